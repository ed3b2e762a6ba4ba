import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/free-port.mjs';
import { startServer, type ServerProcess } from '../src/server-process.js';
import { BRIDGE_CLI, callOk, connectStdio, hostEnv, type BridgeSession } from './bridge-helpers.js';
import { openDatabase } from './write-helpers.js';

/**
 * The bridge against the real server with `--sessions` (Mcp-Session-Id, lost on restart) and
 * against a small per-workspace rate limit (429 + Retry-After).
 */

let sessions: ServerProcess;
let limited: ServerProcess;
let strict: ServerProcess;
const open: BridgeSession[] = [];
type Page<T> = { data: T[] };

async function bridge(target: ServerProcess, args: string[] = []): Promise<BridgeSession> {
  const session = await connectStdio(process.execPath, [BRIDGE_CLI, '--url', target.mcpUrl, '--debug', ...args], hostEnv({ CONDUIT_API_TOKEN: target.token! }));
  open.push(session);
  return session;
}

/** Spends the acme-hotels bucket from another client until the server answers 429. */
async function exhaust(target: ServerProcess): Promise<void> {
  const client = new Client({ name: 'exhaust', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(target.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${target.token}` } } }));
  try {
    for (let i = 0; i < 200; i++) {
      const failed = await client.callTool({ name: 'list_contacts', arguments: { workspace_id: 'acme-hotels', limit: 1 } }).then(
        () => false,
        (error: unknown) => (error as { code?: unknown }).code === 429,
      );
      if (failed) return;
    }
    throw new Error('the rate limit never answered 429');
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  [sessions, limited, strict] = await Promise.all([
    // Restarted on the same port mid-test: a port from below the ephemeral range (see scripts/free-port.mjs).
    freePort().then((port) => startServer({ demo: true, port, args: ['--sessions', '--rate-limit', '0'] })),
    // 12 per minute: a token every 5 s once the burst is spent, so a read that met 429 is answered
    // after a short wait.
    startServer({ demo: true, args: ['--rate-limit', '12'] }),
    // 4 per minute, a token every 15 s: a bucket spent from full stays empty for ~15 s, however slow
    // the machine. (4, not 1: the credential's own bucket, at the same limit, has to let through
    // the bridge's initialize and tools/list and the exhausting client's initialize.)
    startServer({ demo: true, args: ['--rate-limit', '4'] }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all(open.map((session) => session.close()));
  for (const server of [sessions, limited, strict]) {
    await server?.stop();
    server?.cleanup();
  }
});

describe('sessions', () => {
  it('a restart of the server mid-session: errors while it is down, then a transparent re-initialize', async () => {
    const session = await bridge(sessions);
    const { client } = session;
    expect((await callOk<Page<unknown>>(client, 'list_contacts', { workspace_id: 'acme-hotels', limit: 1 })).data).toHaveLength(1);
    const port = Number(new URL(sessions.url).port);
    expect(await sessions.stop(), sessions.output()).toBe(0);

    const down = await client.callTool({ name: 'list_contacts', arguments: { workspace_id: 'acme-hotels', limit: 1 } }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(McpError);
    expect((down as McpError).code).toBe(-32011);
    expect((down as McpError).message).toContain('Cannot reach the Conduit MCP server');

    const restarted = await startServer({ dataDir: sessions.dataDir, port, args: ['--sessions', '--rate-limit', '0'] });
    sessions = { ...restarted, token: sessions.token, cleanup: sessions.cleanup };
    // The new process knows nothing of the old session: 404, and the bridge replays the client's initialize.
    expect((await callOk<Page<unknown>>(client, 'list_contacts', { workspace_id: 'acme-hotels', limit: 1 })).data).toHaveLength(1);
    expect(session.stderr()).toContain('session expired on the server; re-initializing');
    expect((await client.listTools()).tools.length).toBeGreaterThan(25);
  });
});

describe('rate limits', () => {
  it('a read that meets 429 waits Retry-After and succeeds', async () => {
    const session = await bridge(limited);
    await session.client.listTools();
    // The bucket refills a token at some point in the next 5 s, so a call right after exhausting it
    // can still find one: try again until the bridge met the 429 (each try spends the bucket anew).
    for (let attempt = 1; ; attempt++) {
      const before = session.stderr().length;
      await exhaust(limited);
      const contacts = await callOk<Page<unknown>>(session.client, 'list_contacts', { workspace_id: 'acme-hotels', limit: 1 });
      expect(contacts.data).toHaveLength(1);
      if (/rate limited; waiting \d+ ms \(Retry-After\)/.test(session.stderr().slice(before))) return;
      if (attempt === 3) throw new Error(`three reads after an exhausted bucket and the bridge never waited:\n${session.stderr().slice(-2000)}`);
    }
  });

  it('a write that meets 429 gets the error at once and is not sent', async () => {
    const db = openDatabase(strict.dataDir);
    const { id: conversation } = db
      .prepare("SELECT c.id FROM conversations c JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = 'acme-hotels' AND c.channel <> 'voice' LIMIT 1")
      .get() as { id: string };
    const session = await bridge(strict);
    await session.client.listTools();
    await exhaust(strict);
    const body = `rate-limited send ${Date.now()}`;
    const refused = await session.client
      .callTool({ name: 'send_conversation_message', arguments: { workspace_id: 'acme-hotels', conversation_id: conversation, body } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).code).toBe(-32012);
    expect((refused as McpError).message).toMatch(/Rate limited by the server: retry after \d+ s/);
    expect(db.prepare('SELECT count(*) AS n FROM messages WHERE body = ?').get(body)).toEqual({ n: 0 });
    db.close();
  });
});
