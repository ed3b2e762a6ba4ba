#!/usr/bin/env node
// Writes docs/tools.md from the built registry and docs/prompts.md from the prompt catalog (run after `pnpm build`).
import { writeFileSync } from 'node:fs';
import { createPromptCatalog, createRegistry, renderPromptReference, renderToolReference } from '../dist/index.js';

for (const [file, text] of [
  ['tools.md', renderToolReference(createRegistry().listed)],
  ['prompts.md', renderPromptReference(createPromptCatalog())],
]) {
  const target = new URL(`../../../docs/${file}`, import.meta.url);
  writeFileSync(target, text);
  console.log(`wrote ${target.pathname}`);
}
