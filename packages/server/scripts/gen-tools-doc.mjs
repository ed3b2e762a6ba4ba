#!/usr/bin/env node
// Writes docs/tools.md from the built registry (run after `pnpm build`).
import { writeFileSync } from 'node:fs';
import { createRegistry, renderToolReference } from '../dist/index.js';

const target = new URL('../../../docs/tools.md', import.meta.url);
writeFileSync(target, renderToolReference(createRegistry().listed));
console.log(`wrote ${target.pathname}`);
