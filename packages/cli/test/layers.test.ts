import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { circles, importGraph, layerViolations, unitGraph } from '../../../scripts/import-graph.mjs';

/**
 * The CLI's layers, top first: a file imports files of its own layer and of the layers below,
 * never above. A folder of src/ (or a file at its top) belongs to exactly one layer. This list is
 * the rule; docs/architecture.md shows it. A new folder or top-level file fails the test until it
 * is given its place here.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  // Entry points: the conduit-mcp bin and the package's exports (the auth layer's programmatic surface).
  ['cli.ts', 'index.ts'],
  // The command line: every command and option, wired to what runs it.
  ['program.ts'],
  // What a user or an MCP host runs: the commands (login, logout, status, token, doctor) and the stdio bridge.
  ['commands/', 'bridge/'],
  // Signing in: OAuth discovery, PKCE login, refresh, revocation, API tokens, and why an endpoint URL fails.
  ['auth/'],
  // Where credentials are kept: the OS keychain or a file, and the lock that serialises logins.
  ['credentials/'],
  // HTTP clients: fetch through the user's proxy for every request but the bridge's, and the commands' MCP session.
  ['mcp-client.ts', 'proxy-fetch.ts'],
  // Leaves that import nothing of the CLI: proxy tunnels, network advice, SSE and JSON-RPC shapes, output, the version.
  ['proxy.ts', 'network-problem.ts', 'sse.ts', 'jsonrpc.ts', 'output.ts', 'version.ts'],
];

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

describe('the CLI’s import graph', () => {
  const graph = importGraph(src);
  const { unplaced, upward } = layerViolations(graph.imports, LAYERS);

  it('reads every import of every source file', () => {
    expect(graph.files.length).toBeGreaterThan(40);
    expect(graph.imports.get('cli.ts')).toContain('program.ts');
    expect(graph.unresolved).toEqual([]);
  });

  // Each fault is listed by name (a loop through the circle, the upward import with both layers).
  it.each([
    ['import circle between files', circles(graph.imports)],
    ['import circle between folders', circles(unitGraph(graph.imports))],
    ['folder or top-level file of src/ outside LAYERS, or in two layers', unplaced],
    ['import from a lower layer up to a higher one', upward],
  ])('has no %s', (_fault, found) => {
    expect(found).toEqual([]);
  });
});
