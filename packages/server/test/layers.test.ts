import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { circles, importGraph, layerViolations, unitGraph } from '../../../scripts/import-graph.mjs';

/**
 * The server's layers, top first: a file imports files of its own layer and of the layers below,
 * never above. A folder of src/ (or a file at its top) belongs to exactly one layer. This list is
 * the rule; docs/architecture.md shows it. A new folder or top-level file fails the test until it
 * is given its place here.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  // Entry points: the admin CLI's bin and the package's exports.
  ['cli.ts', 'index.ts'],
  // The admin CLI's commands (serve, migrate, seed, workspaces, users, tokens, oauth…).
  ['commands/'],
  // The composition root: builds the store, limiters, authorization server and HTTP server from options.
  ['server.ts'],
  // The typed configuration: every serve/store setting parsed once from argv and env, and checked.
  ['config/'],
  // The OAuth authorization server, its sign-in and consent pages (served through http/).
  ['oauth/'],
  // HTTP: the router, the /v1/mcp endpoint, Origin/Host checks, bodies, sessions, metrics.
  ['http/'],
  // MCP: JSON-RPC dispatch, the preflight (limits, write access, call context), prompts, completions.
  ['mcp/'],
  // What runs against the data: the tool surfaces, and the demo data that seeds a workspace.
  ['tools/', 'demo/'],
  // The domain: messages and their delivery, the knowledge tree, rate limits, API tokens and passwords.
  ['messaging/', 'knowledge/', 'delivery/', 'limits/', 'auth/'],
  // The shared vocabulary: errors, credentials, workspace access, normalizers, find-in-workspace.
  ['core/'],
  // The database: schema, migrations, dialects, full-text search.
  ['store/'],
  // Leaves that import nothing of the server: ids and time, icons, the version, the logger.
  ['ids.ts', 'icons.ts', 'version.ts', 'logger.ts'],
];

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

describe('the server’s import graph', () => {
  const graph = importGraph(src);

  it('reads every import of every source file', () => {
    expect(graph.files.length).toBeGreaterThan(100);
    expect(graph.imports.get('server.ts')).toContain('http/router.ts');
    expect(graph.unresolved).toEqual([]);
  });

  it('has no import circles between files', () => {
    expect(circles(graph.imports), 'files that import each other in a loop').toEqual([]);
  });

  it('has no import circles between folders', () => {
    expect(circles(unitGraph(graph.imports)), 'folders whose files import each other in a loop').toEqual([]);
  });

  it('gives every folder and top-level file of src/ one layer (LAYERS in test/layers.test.ts)', () => {
    expect(layerViolations(graph.imports, LAYERS).unplaced).toEqual([]);
  });

  it('only imports from the same layer or a lower one', () => {
    expect(layerViolations(graph.imports, LAYERS).upward, 'imports from a lower layer up to a higher one').toEqual([]);
  });
});

describe('the import graph checks', () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)]));

  it('name each circle with a loop through it', () => {
    expect(circles(graph({ 'tools/execute.ts': ['tools/idempotency.ts'], 'tools/idempotency.ts': ['tools/execute.ts'], 'tools/result.ts': [] }))).toEqual([
      'tools/execute.ts -> tools/idempotency.ts -> tools/execute.ts',
    ]);
    expect(circles(graph({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts', 'd.ts'], 'c.ts': ['a.ts'], 'd.ts': ['b.ts'] }))).toEqual([
      'a.ts -> b.ts -> c.ts -> a.ts (the circle also holds d.ts)',
    ]);
    expect(circles(graph({ 'a.ts': ['a.ts'] }))).toEqual(['a.ts -> a.ts']);
    expect(circles(unitGraph(graph({ 'core/errors.ts': ['auth/users.ts'], 'auth/users.ts': ['core/normalize.ts'], 'core/normalize.ts': [] })))).toEqual([
      'auth/ -> core/ -> auth/',
    ]);
  });

  it('name each upward import and each folder without a layer', () => {
    const imports = graph({ 'messaging/outbound.ts': ['tools/errors.ts', 'core/errors.ts'], 'tools/errors.ts': [], 'core/errors.ts': [], 'extra/x.ts': [] });
    expect(layerViolations(imports, [['tools/'], ['messaging/'], ['core/'], ['gone/']])).toEqual({
      unplaced: ['extra/ is in no layer', 'gone/ is in a layer but holds no source file'],
      upward: ['messaging/outbound.ts (layer 2: messaging/) imports tools/errors.ts (layer 1: tools/)'],
    });
  });
});
