import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { SERVER_CLI, startServer, type ServerProcess } from '../src/server-process.js';
import { BRIDGE_CLI, connectStdio, E2E_DIR, hostEnv, type BridgeSession, type ToolResult } from './bridge-helpers.js';

/**
 * The bridge's sign-in against the real server, its real sign-in and consent pages in headless
 * Chromium: a first run with no credential (the bridge signs in by itself and the tools appear
 * with list_changed), a grant revoked by an administrator mid-session, and a read-only consent
 * whose write is refused until the user signs in again with writes allowed.
 */

const run = promisify(execFile);
const CHROMIUM_BROWSER = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'chromium-browser.mjs');
const chromium = useService('chromium', import.meta.url);
let server: ServerProcess;
let work: string;
const open: BridgeSession[] = [];

interface Host extends BridgeSession {
  changes(): number;
}

beforeAll(async () => {
  server = await startServer({ demo: true });
  work = mkdtempSync(join(tmpdir(), 'conduit-bridge-sign-in-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((session) => session.close()));
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** What the sign-in page needs (the demo user, acme-hotels) and the file store under `configDir`. */
function env(configDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return hostEnv({
    CONDUIT_CONFIG_DIR: configDir,
    CONDUIT_CREDENTIAL_STORE: 'file',
    BROWSER: `${process.execPath} ${CHROMIUM_BROWSER}`,
    CHROMIUM_PATH: chromium.path ?? '',
    CONDUIT_E2E_EMAIL: server.demoUser!.email,
    CONDUIT_E2E_PASSWORD: server.demoUser!.password,
    CONDUIT_E2E_WORKSPACES: 'acme-hotels',
    ...extra,
  });
}

/** `{"command":"npx","args":["conduit-mcp","--url",…]}` in a host that listens for list_changed. */
async function host(configDir: string): Promise<Host> {
  const session = await connectStdio('npx', ['--no-install', 'conduit-mcp', '--url', server.mcpUrl], env(configDir), E2E_DIR);
  open.push(session);
  let changes = 0;
  session.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void (changes += 1));
  return { ...session, changes: () => changes };
}

const names = async (session: BridgeSession) => (await session.client.listTools()).tools.map((tool) => tool.name);
const call = async (session: BridgeSession, name: string, args: Record<string, unknown>) => (await session.client.callTool({ name, arguments: args })) as ToolResult;

async function messagesIn(session: BridgeSession, conversation: string): Promise<number> {
  const thread = await call(session, 'list_conversation_messages', { workspace_id: 'acme-hotels', conversation_id: conversation, limit: 100 });
  return (thread.structuredContent as { data: unknown[] }).data.length;
}

describe.skipIf(!chromium.available)('the bridge signing in against the real server', () => {
  it('first run: initialize at once with conduit_sign_in, the bridge opens the sign-in itself, and the real tools follow with list_changed', async () => {
    const configDir = join(work, 'first-run');
    const session = await host(configDir);
    expect(session.client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    expect(await names(session)).toEqual(['conduit_sign_in']);
    await expect.poll(session.changes, { timeout: 90_000, interval: 250 }).toBe(1);
    const tools = await names(session);
    expect(tools.length).toBeGreaterThanOrEqual(40);
    expect(tools).not.toContain('conduit_sign_in');
    const workspaces = await call(session, 'list_workspaces', {});
    expect((workspaces.structuredContent as { data: Array<{ slug: string }> }).data.map((w) => w.slug)).toEqual(['acme-hotels']);
  }, 150_000);

  it('a grant revoked by an administrator: the next call says the sign-in ended, conduit_sign_in is back, and the bridge signs in again by itself', async () => {
    const configDir = join(work, 'revoked');
    await run(process.execPath, [BRIDGE_CLI, 'login', '--url', server.mcpUrl, '--timeout', '90'], { env: env(configDir), timeout: 120_000 });
    const session = await host(configDir);
    expect((await call(session, 'list_workspaces', {})).isError).toBeFalsy();

    await run(process.execPath, [SERVER_CLI, 'oauth', 'revoke', '--user', server.demoUser!.email, '--data-dir', server.dataDir]);
    const refused = await call(session, 'list_workspaces', {});
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toMatch(
      new RegExp(`^sign_in_required: The Conduit sign-in for ${server.mcpUrl.replace(/[.]/g, '\\.')} has ended: The server no longer accepts the saved login`),
    );
    await expect.poll(session.changes, { timeout: 10_000, interval: 100 }).toBeGreaterThanOrEqual(1);
    // BROWSER reaches the user here, so the bridge opens the sign-in again; Chromium approves.
    await expect.poll(session.changes, { timeout: 90_000, interval: 250 }).toBe(2);
    expect((await call(session, 'list_workspaces', {})).isError).toBeFalsy();
  }, 240_000);

  it('a read-only consent: a write is refused with what to do, conduit_sign_in asks for writes, and the refused write is never sent', async () => {
    const configDir = join(work, 'read-only');
    await run(process.execPath, [BRIDGE_CLI, 'login', '--url', server.mcpUrl, '--timeout', '90'], { env: env(configDir, { CONDUIT_E2E_WRITE: 'off' }), timeout: 120_000 });
    const session = await host(configDir);
    const conversations = await call(session, 'list_conversations', { workspace_id: 'acme-hotels', limit: 50 });
    const conversation = (conversations.structuredContent as { data: Array<{ id: string; channel: string }> }).data.find((c) => c.channel !== 'voice')!.id;
    const before = await messagesIn(session, conversation);

    const args = { workspace_id: 'acme-hotels', conversation_id: conversation, body: 'Sent once, after allowing writes.' };
    const refused = await call(session, 'send_conversation_message', args);
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toMatch(
      /^insufficient_scope: The server refused send_conversation_message: this sign-in allows reading only \(granted: [^)]*mcp:read[^)]*; needed: mcp:read mcp:write\)\. send_conversation_message did not run, and the bridge does not send it again by itself\. To allow writes, call conduit_sign_in/,
    );
    await expect.poll(session.changes, { timeout: 10_000, interval: 100 }).toBe(1);
    expect(await names(session)).toContain('conduit_sign_in');

    // Chromium (BROWSER) signs in again, this time leaving "Send messages and change data" ticked.
    const answer = await call(session, 'conduit_sign_in', {});
    expect(answer.content[0]!.text).toContain('keep "Send messages and change data" ticked');
    await expect.poll(session.changes, { timeout: 90_000, interval: 250 }).toBe(2);
    expect(await names(session)).not.toContain('conduit_sign_in');
    expect(await messagesIn(session, conversation)).toBe(before);

    const sent = await call(session, 'send_conversation_message', args);
    expect(sent.isError, JSON.stringify(sent.content)).toBeFalsy();
    expect(await messagesIn(session, conversation)).toBe(before + 1);
  }, 240_000);
});
