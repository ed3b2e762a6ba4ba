import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfflineHosts, type OfflineHosts } from '../src/hosts/offline.js';
import { expectSuccess, runHost } from '../src/hosts/run-host.js';
import { recordWorksWith, type WorksWithRow } from '../src/hosts/works-with.js';
import { startServer, type ServerProcess } from '../src/server-process.js';
import { BRIDGE_CLI } from './bridge-helpers.js';

/**
 * LangChain's MCP adapters (`MultiServerMCPClient`, pinned) with the server over streamable HTTP
 * and through the stdio bridge at once, as an agent would load them: every tool of each server
 * becomes a LangChain tool, and invoking one returns the tool's result.
 */

let server: ServerProcess;
let hosts: OfflineHosts;
let bridgeConfig: string;
let toolNames: string[];
let client: MultiServerMCPClient;
const rows = new Map<string, WorksWithRow>();

beforeAll(async () => {
  [server, hosts] = await Promise.all([startServer({ demo: true }), startOfflineHosts('conduit-langchain-home')]);
  const sdk = new Client({ name: 'e2e', version: '1.0.0' });
  await sdk.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${server.token}` } } }));
  toolNames = (await sdk.listTools()).tools.map((tool) => tool.name).sort();
  await sdk.close();

  bridgeConfig = mkdtempSync(join(tmpdir(), 'conduit-langchain-bridge-'));
  const bridgeEnv = hosts.env({ CONDUIT_CONFIG_DIR: bridgeConfig, CONDUIT_CREDENTIAL_STORE: 'file' });
  expectSuccess(
    await runHost(process.execPath, [BRIDGE_CLI, 'login', '--url', server.mcpUrl, '--token-stdin'], { env: bridgeEnv, cwd: hosts.home, input: server.token!, timeoutMs: 30_000 }),
    'conduit-mcp login --token-stdin',
  );
  client = new MultiServerMCPClient({
    throwOnLoadError: true,
    prefixToolNameWithServerName: true,
    mcpServers: {
      http: { transport: 'http', url: server.mcpUrl, headers: { Authorization: `Bearer ${server.token}` } },
      bridge: { transport: 'stdio', command: process.execPath, args: [BRIDGE_CLI, '--url', server.mcpUrl], env: bridgeEnv },
    },
  });
}, 180_000);

afterAll(async () => {
  try {
    const expected = ['http', 'bridge'];
    if (expected.every((key) => rows.has(key))) {
      recordWorksWith({ id: 'langchain', host: 'LangChain MCP adapters', packageName: '@langchain/mcp-adapters', test: 'hosts-langchain.test.ts', rows: expected.map((key) => rows.get(key)!) });
    }
  } finally {
    await client?.close();
    await hosts?.close();
    rmSync(bridgeConfig, { recursive: true, force: true });
    const stopping = Date.now();
    const code = await server?.stop();
    expect(code, `exit after ${Date.now() - stopping} ms:\n${server?.output().slice(-3000)}`).toBe(0);
    server?.cleanup();
  }
});

describe('LangChain MultiServerMCPClient', () => {
  it.each([
    ['http', "`{ transport: 'http', url, headers: { Authorization: 'Bearer capi_…' } }`"],
    ['bridge', "`{ transport: 'stdio', command: 'npx', args: ['conduit-mcp', '--url', url] }` after `conduit-mcp login --token-stdin`"],
  ])('%s: loads every tool and invokes one', async (name, configuration) => {
    const tools = (await client.getTools(name)).filter((tool) => tool.name.startsWith(`${name}__`));
    expect(tools.map((tool) => tool.name.slice(name.length + 2)).sort()).toEqual(toolNames);
    const search = tools.find((tool) => tool.name === `${name}__search_knowledge_nodes`)!;
    // The adapters hand the model the tool's text content block; the JSON the server returns is in it.
    const result = (await search.invoke({ workspace_id: 'acme-hotels', query: '48 hours', match: 'phrase' })) as { type: string; text: string };
    expect(result.type).toBe('text');
    const found = JSON.parse(result.text) as { data: Array<{ matches: string[] }> };
    expect(found.data.length).toBeGreaterThan(0);
    expect(found.data[0]!.matches.join(' ')).toContain('48 hours');
    rows.set(name, { configuration, result: `✔ ${tools.length} tools loaded; a tool invoked` });
  });
});
