import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { SERVER_CLI, startServer, type ServerProcess } from '../src/server-process.js';
import { BRIDGE_CLI, callOk, connectStdio, E2E_DIR, hostEnv, type BridgeSession } from './bridge-helpers.js';

/**
 * A user who signed in with OAuth (`conduit-mcp login` in headless Chromium, against the real
 * server's authorization server), then an MCP host that starts `npx conduit-mcp`: the bridge uses
 * the stored credential, refreshes it when the server stops accepting the access token mid-session
 * and when it is already expired at start, and serves conduit_sign_in once logged out.
 */

const CHROMIUM_BROWSER = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'chromium-browser.mjs');
const chromium = useService('chromium', import.meta.url);
let server: ServerProcess;
let work: string;
let configDir: string;
/** A BROWSER for the bridge's processes: it only leaves a mark, so a test can tell it was never started. */
let browserMark: string;
const open: BridgeSession[] = [];

interface StoredOAuth {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
}

/**
 * Makes the server forget one access token, as its expiry does, leaving the grant and refresh
 * token alone. (RFC 7009 revocation is no substitute: this server then refuses the refresh too.)
 */
function expireOnServer(accessToken: string): void {
  // The server's own SQLite driver, straight onto its database file (WAL: the server keeps running).
  const Database = createRequire(SERVER_CLI)('better-sqlite3') as new (file: string) => {
    prepare(sql: string): { run(...params: unknown[]): { changes: number } };
    close(): void;
  };
  const db = new Database(join(server.dataDir, 'conduit.db'));
  try {
    const hash = createHash('sha256').update(accessToken).digest('hex');
    expect(db.prepare("DELETE FROM oauth_models WHERE model = 'AccessToken' AND id_hash = ?").run(hash).changes).toBe(1);
  } finally {
    db.close();
  }
}

function credentialFile(): string {
  const dir = join(configDir, 'credentials');
  return join(dir, readdirSync(dir)[0]!);
}

const stored = (): StoredOAuth => JSON.parse(readFileSync(credentialFile(), 'utf8')) as StoredOAuth;

function bridgeEnv(): Record<string, string> {
  return hostEnv({ CONDUIT_CONFIG_DIR: configDir, CONDUIT_CREDENTIAL_STORE: 'file', BROWSER: `${process.execPath} ${join(work, 'mark-browser.mjs')}` });
}

/** The host config `{"command":"npx","args":["conduit-mcp","--url",…]}`. */
async function host(): Promise<BridgeSession> {
  const session = await connectStdio('npx', ['--no-install', 'conduit-mcp', '--url', server.mcpUrl], bridgeEnv(), E2E_DIR);
  open.push(session);
  return session;
}

async function mcpStatus(token: string): Promise<number> {
  const response = await fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_workspaces', arguments: {} } }),
  });
  await response.body?.cancel();
  return response.status;
}

beforeAll(async () => {
  server = await startServer({ demo: true, args: ['--rate-limit', '0'] });
  work = mkdtempSync(join(tmpdir(), 'conduit-bridge-oauth-'));
  configDir = join(work, 'config');
  browserMark = join(work, 'browser-was-opened');
  writeFileSync(join(work, 'mark-browser.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(browserMark)}, process.argv[2] ?? '');\n`);

  const run = promisify(execFile);
  await run(process.execPath, [BRIDGE_CLI, 'login', '--url', server.mcpUrl, '--timeout', '90'], {
    env: hostEnv({
      CONDUIT_CONFIG_DIR: configDir,
      CONDUIT_CREDENTIAL_STORE: 'file',
      BROWSER: `${process.execPath} ${CHROMIUM_BROWSER}`,
      CHROMIUM_PATH: chromium.path ?? '',
      CONDUIT_E2E_EMAIL: server.demoUser!.email,
      CONDUIT_E2E_PASSWORD: server.demoUser!.password,
      CONDUIT_E2E_WORKSPACES: 'acme-hotels',
    }),
    timeout: 120_000,
  });
  expect(stored().refreshToken).toBeTruthy();
}, 240_000);

afterAll(async () => {
  await Promise.all(open.map((session) => session.close()));
  expect(await server?.stop()).toBe(0);
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!chromium.available)('the bridge on an OAuth login', () => {
  it('reaches exactly the workspaces granted at consent', async () => {
    const { client } = await host();
    const workspaces = await callOk<{ data: Array<{ slug: string }> }>(client, 'list_workspaces', {});
    expect(workspaces.data.map((w) => w.slug)).toEqual(['acme-hotels']);
  });

  it('refreshes when the server stops accepting the access token mid-session, and retries the call', async () => {
    const { client } = await host();
    await callOk(client, 'list_contacts', { workspace_id: 'acme-hotels', limit: 1 });
    const before = stored();
    expireOnServer(before.accessToken);
    expect(await mcpStatus(before.accessToken)).toBe(401);

    const contacts = await callOk<{ data: unknown[] }>(client, 'list_contacts', { workspace_id: 'acme-hotels', limit: 1 });
    expect(contacts.data).toHaveLength(1);
    const after = stored();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken); // rotated, and stored for the next process
    expect(await mcpStatus(after.accessToken)).toBe(200);
  });

  it('refreshes a stored access token that already expired before answering initialize', async () => {
    const before = stored();
    writeFileSync(credentialFile(), JSON.stringify({ ...before, expiresAt: new Date(Date.now() - 60_000).toISOString() }));
    const { client } = await host();
    expect((await callOk<{ data: unknown[] }>(client, 'list_workspaces', {})).data).toHaveLength(1);
    expect(stored().accessToken).not.toBe(before.accessToken);
  });

  it('after logout: initialize still succeeds with conduit_sign_in, and the bridge opens the sign-in page by itself', async () => {
    const run = promisify(execFile);
    await run(process.execPath, [BRIDGE_CLI, 'logout', '--url', server.mcpUrl], { env: bridgeEnv() });
    const { client } = await host();
    expect(client.getInstructions()).toContain(`npx conduit-mcp login --url ${server.mcpUrl}`);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['conduit_sign_in']);
    const call = (await client.callTool({ name: 'list_workspaces', arguments: {} })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(call.isError).toBe(true);
    expect(call.content[0]!.text).toContain('list_workspaces was not sent to the server. Call conduit_sign_in');
    // BROWSER is set, so a browser would reach the user: the bridge starts the sign-in itself.
    await expect.poll(() => existsSync(browserMark), { timeout: 20_000, interval: 200 }).toBe(true);
    const opened = new URL(readFileSync(browserMark, 'utf8'));
    expect(`${opened.origin}${opened.pathname}`).toBe(`${new URL(server.mcpUrl).origin}/oauth/mcp/auth`);
    expect(opened.searchParams.get('code_challenge_method')).toBe('S256');
  });
});
