import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPromptReference } from '../src/mcp/prompt-reference.js';
import { createPromptCatalog } from '../src/mcp/prompts.js';
import { createRegistry } from '../src/tools/registry.js';
import { renderToolReference } from '../src/tools/reference.js';

describe('docs/tools.md', () => {
  it('is the reference generated from the registry (run `pnpm --filter @conduit-mcp/server run docs:tools`)', () => {
    const committed = readFileSync(new URL('../../../docs/tools.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderToolReference(createRegistry().listed));
  });
});

describe('docs/prompts.md', () => {
  it('is the reference generated from the prompt catalog (run `pnpm --filter @conduit-mcp/server run docs:tools`)', () => {
    const committed = readFileSync(new URL('../../../docs/prompts.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderPromptReference(createPromptCatalog()));
  });
});
