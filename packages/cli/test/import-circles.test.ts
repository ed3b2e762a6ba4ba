import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { circles, importGraph } from '../../../scripts/import-graph.mjs';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

describe('the CLI’s import graph', () => {
  const graph = importGraph(src);

  it('reads every import of every source file', () => {
    expect(graph.files.length).toBeGreaterThan(40);
    expect(graph.imports.get('cli.ts')).toContain('program.ts');
    expect(graph.unresolved).toEqual([]);
  });

  it('has no import circles between files', () => {
    expect(circles(graph.imports), 'files that import each other in a loop').toEqual([]);
  });
});
