import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../src/tools/registry.js';
import { renderToolReference } from '../src/tools/reference.js';

describe('docs/tools.md', () => {
  it('is the reference generated from the registry (run `pnpm --filter @conduit-mcp/server run docs:tools`)', () => {
    const committed = readFileSync(new URL('../../../docs/tools.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderToolReference(createRegistry().listed));
  });
});
