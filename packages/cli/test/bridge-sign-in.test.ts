import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  McpError,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { KeychainStore } from '../src/credentials/keychain-store.js';
import { connectBridge, startPeer as startSessionPeer, type BridgeClient } from './bridge-harness.js';
import { cliEnv, runCli, spawnCli, tempDir, TEST_BROWSER } from './helpers/cli.js';
import { startPeer, type Peer } from './helpers/oauth-peer.js';
import { freePort } from '../../../scripts/free-port.mjs';

// The bridge's first run and the ways a sign-in ends, end to end: the bridge as a child process
// driven by the SDK client over stdio, a real OAuth server + MCP endpoint on loopback, and other
// CLI processes (`conduit-mcp login`) storing credentials in the same store: the file store, and
// the OS keychain (gnome-keyring over D-Bus) where the test runner provides one.

const underKeyring = useService('keychain', import.meta.url).available;
const stores = underKeyring ? (['file', 'keychain'] as const) : (['file'] as const);

let peer: Peer;
const open: BridgeClient[] = [];
/**
 * How long to wait for what another process did to show in a bridge (its store watcher looks every
 * 2 s, then reads the store, a keychain over D-Bus here, and lists the server's tools) or for a
 * process to get somewhere: seconds when idle, several times that on a busy 2-core machine.
 */
const SEEN_MS = 30_000;

beforeAll(async () => {
  peer = await startPeer();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((bridge) => bridge.close()));
  peer.mode = 'approve';
  peer.readOnlyConsent = false;
});
afterAll(() => peer?.close());

interface Watched extends BridgeClient {
  /** How many notifications/tools/list_changed the client got so far. */
  changes(): number;
  completed: string[];
}

function storeEnv(store: 'file' | 'keychain', configDir: string): Record<string, string | undefined> {
  return { CONDUIT_CONFIG_DIR: configDir, CONDUIT_CREDENTIAL_STORE: store, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS };
}

/** A host starting `conduit-mcp --url <peer>` with this environment; no BROWSER and no display unless given. */
async function host(env: Record<string, string | undefined>, args: string[] = [], capabilities?: ClientCapabilities, setup?: (client: Client) => void): Promise<Watched> {
  let changes = 0;
  const completed: string[] = [];
  const bridge = await connectBridge(['--url', peer.mcpUrl, ...args], env, 'sign-in-test', capabilities, (client) => {
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void (changes += 1));
    client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => void completed.push(n.params.elicitationId));
    setup?.(client);
  });
  open.push(bridge);
  return { ...bridge, changes: () => changes, completed };
}

const names = async (client: Client) => (await client.listTools()).tools.map((tool) => tool.name);
const text = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as Array<{ text: string }>)[0]!.text;

/** `conduit-mcp login` in a terminal (its BROWSER approves at once), on the same store. */
async function loginInTerminal(store: 'file' | 'keychain', configDir: string, extra: string[] = [], input?: string) {
  const result = await runCli(['login', '--url', peer.mcpUrl, ...extra], cliEnv(configDir, { CONDUIT_CREDENTIAL_STORE: store }), input);
  expect(result.code, result.stderr).toBe(0);
}

/** Opens a sign-in link the way a browser would, following the redirects back to the loopback listener. */
async function completeInBrowser(link: string, done = 'You are signed in to Conduit'): Promise<void> {
  const page = await fetch(link);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain(done);
}

function linkIn(message: string): string {
  const match = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/.exec(message);
  if (!match) throw new Error(`no sign-in link in: ${message}`);
  return match[1]!;
}

/** Until the bridge says it waits for another process's sign-in page, or (as it used to) answers. */
async function waitingOrAnswered(bridge: BridgeClient, answer: Promise<unknown>): Promise<void> {
  let answered = false;
  void answer.finally(() => (answered = true));
  await expect.poll(() => answered || /is starting a sign-in to \S+; waiting for its sign-in page/.test(bridge.stderr()), { timeout: SEEN_MS, interval: 100 }).toBe(true);
}

function credentialFile(configDir: string): string {
  const dir = join(configDir, 'credentials');
  return join(dir, readdirSync(dir)[0]!);
}

function storedAccessToken(configDir: string): string {
  return (JSON.parse(readFileSync(credentialFile(configDir), 'utf8')) as { accessToken: string }).accessToken;
}

/** Points the stored login's token endpoint at `endpoint` (a closed port: the authorization server is down). */
function setTokenEndpoint(configDir: string, endpoint: string): string {
  const stored = JSON.parse(readFileSync(credentialFile(configDir), 'utf8')) as { authorizationServer: { metadata: { token_endpoint: string } } };
  const previous = stored.authorizationServer.metadata.token_endpoint;
  stored.authorizationServer.metadata.token_endpoint = endpoint;
  writeFileSync(credentialFile(configDir), JSON.stringify(stored));
  return previous;
}

describe.each(stores)('first run with the %s store', (store) => {
  // The keychain is keyed by server URL alone (not by config dir): each test starts without a credential.
  beforeEach(async () => {
    if (store !== 'keychain') return;
    const probe = await KeychainStore.open();
    if (!probe.ok) throw new Error(`a keyring session was started but the keychain is unusable: ${probe.reason}`);
    await probe.store.delete(peer.mcpUrl);
  });

  it('initialize succeeds at once with conduit_sign_in; `conduit-mcp login` in another process brings the real tools with list_changed', async () => {
    const configDir = tempDir();
    const bridge = await host(storeEnv(store, configDir));
    const { client } = bridge;
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    expect(client.getInstructions()).toMatch(/^Not signed in to Conduit \(http:\/\/127\.0\.0\.1:\d+\/mcp\) yet\. Call the conduit_sign_in tool/);
    const tools = (await client.listTools()).tools;
    expect(tools.map((t) => t.name)).toEqual(['conduit_sign_in']);
    expect(tools[0]!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });

    const call = await client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(call.isError).toBe(true);
    expect(text(call)).toContain('list_workspaces was not sent to the server. Call conduit_sign_in to sign in');

    await loginInTerminal(store, configDir);
    await expect.poll(bridge.changes, { timeout: SEEN_MS, interval: 100 }).toBe(1);
    expect(await names(client)).toEqual(['list_workspaces', 'send_note']);
    const workspaces = await client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(workspaces.structuredContent).toEqual({ data: peer.options.workspaces });
    expect(bridge.stderr()).toContain(`signed in to ${peer.mcpUrl}: serving Conduit's tools`);
  });

  it('an API token stored with `login --token-stdin` in another process is picked up the same way', async () => {
    const configDir = tempDir();
    peer.apiTokens.add(`capi_first_run_${store}`);
    const bridge = await host(storeEnv(store, configDir));
    expect(await names(bridge.client)).toEqual(['conduit_sign_in']);
    await loginInTerminal(store, configDir, ['--token-stdin'], `capi_first_run_${store}`);
    await expect.poll(bridge.changes, { timeout: SEEN_MS, interval: 100 }).toBe(1);
    expect((await bridge.client.callTool({ name: 'list_workspaces', arguments: {} })).isError).toBeFalsy();
  });
});

describe('signing in from the host', () => {
  it('conduit_sign_in answers with the sign-in link where no browser can be opened; completing it brings the tools', async () => {
    const configDir = tempDir();
    const bridge = await host(storeEnv('file', configDir));
    const answer = await bridge.client.callTool({ name: 'conduit_sign_in', arguments: {} });
    expect(answer.isError).toBeFalsy();
    expect(text(answer)).toMatch(/^To sign in to Conduit \(http:\/\/127\.0\.0\.1:\d+\/mcp\), open this link in a browser:\n\nhttp:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/);
    // Asked again while the sign-in is open: the same page, not a second sign-in.
    const again = await bridge.client.callTool({ name: 'conduit_sign_in', arguments: {} });
    expect(linkIn(text(again))).toBe(linkIn(text(answer)));
    expect(bridge.changes()).toBe(0);

    await completeInBrowser(linkIn(text(answer)));
    await expect.poll(bridge.changes, { timeout: SEEN_MS, interval: 100 }).toBe(1);
    expect(await names(bridge.client)).toEqual(['list_workspaces', 'send_note']);
    const done = await bridge.client.callTool({ name: 'conduit_sign_in', arguments: {} });
    expect(text(done)).toContain('You are signed in to Conduit');
  });

  it('where a browser can be opened, starts the sign-in by itself: one browser for two bridges, both get the tools', async () => {
    const configDir = tempDir();
    const work = tempDir('conduit-browser-');
    const log = join(work, 'browser.log');
    writeFileSync(log, '');
    const start = { ...peer.counts };
    const env = { ...storeEnv('file', configDir), BROWSER: `${process.execPath} ${TEST_BROWSER}`, TEST_BROWSER_MODE: 'follow', TEST_BROWSER_LOG: log };
    const [first, second] = await Promise.all([host(env), host(env)]);
    await expect.poll(() => first!.changes() + second!.changes(), { timeout: SEEN_MS, interval: 100 }).toBe(2);
    expect(await names(first!.client)).toEqual(['list_workspaces', 'send_note']);
    expect(await names(second!.client)).toEqual(['list_workspaces', 'send_note']);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(peer.counts.authorize - start.authorize).toBe(1);
    expect(peer.counts.codeExchanges - start.codeExchanges).toBe(1);
  });

  it('a login stored elsewhere while the bridge waits to start its own sign-in: no browser, the tools arrive', async () => {
    // A login made in another config dir, copied in at the moment another bridge's would land.
    const elsewhere = tempDir();
    await loginInTerminal('file', elsewhere);
    const configDir = tempDir();
    const log = join(tempDir('conduit-browser-'), 'browser.log');
    writeFileSync(log, '');
    const start = { ...peer.counts };
    const bridge = await host({ ...storeEnv('file', configDir), BROWSER: `${process.execPath} ${TEST_BROWSER}`, TEST_BROWSER_MODE: 'follow', TEST_BROWSER_LOG: log });
    // Signed out now, with its own sign-in due 1.5 s after initialize and its next look at the
    // store at 2 s: the credential lands in between.
    cpSync(join(elsewhere, 'credentials'), join(configDir, 'credentials'), { recursive: true });
    await expect.poll(() => bridge.changes(), { timeout: SEEN_MS, interval: 100 }).toBe(1);
    expect(await names(bridge.client)).toEqual(['list_workspaces', 'send_note']);
    expect(readFileSync(log, 'utf8')).toBe('');
    expect(peer.counts.authorize - start.authorize).toBe(0);
  });

  it('a sign-in in progress is shared: another bridge and a terminal login hand out the same page, and one completion signs all in', async () => {
    const configDir = tempDir();
    const work = tempDir('conduit-browser-');
    const log = join(work, 'browser.log');
    writeFileSync(log, '');
    const start = { ...peer.counts };
    // The first bridge opens a browser by itself, where the user has not acted yet.
    const first = await host({ ...storeEnv('file', configDir), BROWSER: `${process.execPath} ${TEST_BROWSER}`, TEST_BROWSER_MODE: 'ignore', TEST_BROWSER_LOG: log });
    await expect.poll(() => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length, { timeout: SEEN_MS, interval: 100 }).toBe(1);
    const second = await host(storeEnv('file', configDir));
    const answer = await second.client.callTool({ name: 'conduit_sign_in', arguments: {} });
    expect(text(answer)).toMatch(/^A sign-in to http:\S+ is already in progress in another conduit-mcp process \(pid \d+\)\. Finish it by opening this link:\n\n/);
    const link = linkIn(text(answer));
    const terminal = spawnCli(['login', '--url', peer.mcpUrl], cliEnv(configDir, { TEST_BROWSER_MODE: 'ignore' }));
    await terminal.waitFor(/To finish that sign-in, open this URL in a browser:/);
    expect(linkIn(terminal.stderr().split('To finish that sign-in')[1]!)).toBe(link);

    await completeInBrowser(link);
    await expect.poll(() => first.changes() + second.changes(), { timeout: SEEN_MS, interval: 100 }).toBe(2);
    const result = await terminal.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Signed in by another conduit-mcp process');
    expect(peer.counts.authorize - start.authorize).toBe(1);
    expect(peer.counts.codeExchanges - start.codeExchanges).toBe(1);
  });

  // Another process (a terminal login here; in hosts, a second bridge of the same configuration)
  // took the login lock but is slow to publish its page: discovery and client registration take
  // seconds on a loaded machine. The registration is held to make that deterministic.
  it('a sign-in another process is still starting: conduit_sign_in waits for its page and hands out that link, never a reply without one', async () => {
    const configDir = tempDir();
    const start = { ...peer.counts };
    const release = peer.holdRegistrations();
    try {
      const terminal = spawnCli(['login', '--url', peer.mcpUrl], cliEnv(configDir, { TEST_BROWSER_MODE: 'ignore' }));
      await expect.poll(() => peer.counts.register - start.register, { timeout: SEEN_MS, interval: 50 }).toBe(1);
      const bridge = await host(storeEnv('file', configDir));
      const answer = bridge.client.callTool({ name: 'conduit_sign_in', arguments: {} });
      await waitingOrAnswered(bridge, answer);
      // Longer than the 5 s the bridge used to wait before answering without a link.
      await sleep(6_000);
      release();
      const reply = text(await answer);
      expect(reply).toMatch(new RegExp(`^A sign-in to http:\\S+ is already in progress in another conduit-mcp process \\(pid ${terminal.child.pid}\\)\\. Finish it by opening this link:\n\n`));
      await terminal.waitFor(/open this URL in a browser/);
      expect(linkIn(reply)).toBe(linkIn(terminal.stderr()));

      // The terminal's login completes it: its page sends the user back to the terminal.
      await completeInBrowser(linkIn(reply), 'You are signed in. You can close this tab and return to the terminal.');
      await expect.poll(bridge.changes, { timeout: SEEN_MS, interval: 100 }).toBe(1);
      const result = await terminal.done;
      expect(result.code, result.stderr).toBe(0);
      expect(peer.counts.register - start.register).toBe(1);
      expect(peer.counts.authorize - start.authorize).toBe(1);
    } finally {
      release();
    }
  });

  it('a process that dies while starting a sign-in: the waiting conduit_sign_in takes over the lock and starts its own, with a link', async () => {
    const configDir = tempDir();
    const start = { ...peer.counts };
    const release = peer.holdRegistrations();
    try {
      const terminal = spawnCli(['login', '--url', peer.mcpUrl], cliEnv(configDir, { TEST_BROWSER_MODE: 'ignore' }));
      await expect.poll(() => peer.counts.register - start.register, { timeout: SEEN_MS, interval: 50 }).toBe(1);
      const bridge = await host(storeEnv('file', configDir));
      const answer = bridge.client.callTool({ name: 'conduit_sign_in', arguments: {} });
      await waitingOrAnswered(bridge, answer);
      // Killed: it leaves its lock behind and never publishes a page.
      terminal.child.kill('SIGKILL');
      await terminal.done;
      release();
      const reply = text(await answer);
      expect(reply).toMatch(/^To sign in to Conduit \(http:\/\/127\.0\.0\.1:\d+\/mcp\), open this link in a browser:\n\n/);

      await completeInBrowser(linkIn(reply));
      await expect.poll(bridge.changes, { timeout: SEEN_MS, interval: 100 }).toBe(1);
      expect(await names(bridge.client)).toEqual(['list_workspaces', 'send_note']);
      expect(peer.counts.register - start.register).toBe(2);
      expect(peer.counts.authorize - start.authorize).toBe(1);
    } finally {
      release();
    }
  });

  it('with URL-mode elicitation, conduit_sign_in has the client open the page, and the completion is notified', async () => {
    const configDir = tempDir();
    const elicited: Array<{ mode?: string; url?: string; elicitationId?: string; message: string }> = [];
    const bridge = await host(storeEnv('file', configDir), [], { elicitation: { url: {} } }, (client) =>
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        elicited.push(request.params as (typeof elicited)[number]);
        return { action: 'accept' };
      }),
    );
    // A call while signed out: URL elicitation required (-32042), carrying the sign-in page.
    const refused = await bridge.client.callTool({ name: 'list_workspaces', arguments: {} }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).code).toBe(-32042);
    const required = ((refused as McpError).data as { elicitations: Array<{ mode: string; url: string; elicitationId: string }> }).elicitations;
    expect(required).toHaveLength(1);
    expect(required[0]!.mode).toBe('url');

    const answer = await bridge.client.callTool({ name: 'conduit_sign_in', arguments: {} });
    expect(text(answer)).toContain('The Conduit sign-in page for');
    expect(elicited).toHaveLength(1);
    expect(elicited[0]).toMatchObject({ mode: 'url', message: expect.stringContaining('Sign in to Conduit') });
    expect(elicited[0]!.url).toBe(required[0]!.url); // one sign-in in progress, whoever asks
    await completeInBrowser(elicited[0]!.url!);
    await expect.poll(bridge.changes, { timeout: SEEN_MS, interval: 100 }).toBe(1);
    expect(bridge.completed.sort()).toEqual([required[0]!.elicitationId, elicited[0]!.elicitationId!].sort());
    expect(await names(bridge.client)).toEqual(['list_workspaces', 'send_note']);
  });
});

describe('when a sign-in ends mid-session', () => {
  it('a grant revoked on the server (refresh refused: invalid_grant): back to conduit_sign_in with list_changed, then a new login brings the tools back', async () => {
    const configDir = tempDir();
    await loginInTerminal('file', configDir);
    const bridge = await host(storeEnv('file', configDir));
    expect(await names(bridge.client)).toEqual(['list_workspaces', 'send_note']);
    expect(bridge.client.getServerCapabilities()?.tools).toEqual({ listChanged: true });

    peer.revokeGrantOf(storedAccessToken(configDir));
    const call = await bridge.client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(call.isError).toBe(true);
    expect(text(call)).toMatch(
      /^sign_in_required: The Conduit sign-in for http:\S+ has ended: The server no longer accepts the saved login for http:\S+ \(invalid_grant: it expired, was revoked or was used elsewhere\); the saved credentials were removed\. list_workspaces was not sent to the server\. Call conduit_sign_in to sign in/,
    );
    await expect.poll(bridge.changes, { timeout: 5_000, interval: 50 }).toBe(1);
    expect(await names(bridge.client)).toEqual(['conduit_sign_in']);
    await expect(bridge.client.ping()).resolves.toEqual({});

    await loginInTerminal('file', configDir);
    await expect.poll(bridge.changes, { timeout: SEEN_MS, interval: 100 }).toBe(2);
    expect(await names(bridge.client)).toEqual(['list_workspaces', 'send_note']);
    expect((await bridge.client.callTool({ name: 'list_workspaces', arguments: {} })).isError).toBeFalsy();
  });

  it('the authorization server down while the server refuses the token: a passing error, the tools stay; once it answers, a refused refresh signs out', async () => {
    const configDir = tempDir();
    await loginInTerminal('file', configDir);
    const bridge = await host(storeEnv('file', configDir));
    expect((await bridge.client.callTool({ name: 'list_workspaces', arguments: {} })).isError).toBeFalsy();

    peer.revokeGrantOf(storedAccessToken(configDir));
    const tokenEndpoint = setTokenEndpoint(configDir, `http://127.0.0.1:${await freePort()}/oauth/token`);
    const failed = await bridge.client.callTool({ name: 'list_workspaces', arguments: {} }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(McpError);
    expect((failed as McpError).code).toBe(-32011);
    expect((failed as McpError).message).toContain('could not be renewed now: the authorization server did not answer the refresh. The saved login is kept; try again in a moment.');
    expect(bridge.changes()).toBe(0);
    expect(bridge.stderr()).not.toContain('Serving conduit_sign_in');

    setTokenEndpoint(configDir, tokenEndpoint);
    const ended = await bridge.client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(text(ended)).toContain('has ended: The server no longer accepts the saved login');
    await expect.poll(bridge.changes, { timeout: 5_000, interval: 50 }).toBe(1);
  });

  it('an access token that expired while the authorization server is down: its own message, the login kept, no sign-in offered', async () => {
    const shortLived = await startPeer({ loginTtl: 2 });
    try {
      const configDir = tempDir();
      const login = await runCli(['login', '--url', shortLived.mcpUrl], cliEnv(configDir));
      expect(login.code, login.stderr).toBe(0);
      setTokenEndpoint(configDir, `http://127.0.0.1:${await freePort()}/oauth/token`);
      await new Promise((resolve) => setTimeout(resolve, 2_100)); // the access token is expired everywhere now
      // Like a server that cannot be reached: initialize fails with the reason (nothing to sign in for).
      const failed = await connectBridge(['--url', shortLived.mcpUrl], storeEnv('file', configDir)).catch((error: unknown) => error);
      expect((failed as McpError).code).toBe(-32011);
      expect((failed as McpError).message).toMatch(/^MCP error -32011: Could not refresh the access token for http:\S+: the authorization server http:\S+ did not answer \(.+\)\. The saved login was kept/);
      expect(readdirSync(join(configDir, 'credentials'))).toHaveLength(1);
    } finally {
      await shortLived.close();
    }
  });

  it('a stored API token that the server rejects: says it expired or was revoked and what to do, never "refreshed"', async () => {
    const configDir = tempDir();
    peer.apiTokens.add('capi_revoked_soon');
    await loginInTerminal('file', configDir, ['--token-stdin'], 'capi_revoked_soon');
    const bridge = await host(storeEnv('file', configDir));
    expect((await bridge.client.callTool({ name: 'list_workspaces', arguments: {} })).isError).toBeFalsy();

    peer.apiTokens.delete('capi_revoked_soon');
    const call = await bridge.client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(text(call)).toBe(
      `sign_in_required: The Conduit sign-in for ${peer.mcpUrl} has ended: The server rejected the API token stored for ${peer.mcpUrl} (expired or revoked). ` +
        `list_workspaces was not sent to the server. Call conduit_sign_in to sign in (or run \`conduit-mcp login --url ${peer.mcpUrl}\` in a terminal), then call list_workspaces again.`,
    );
    expect(bridge.stderr()).not.toContain('refreshed');
    await expect.poll(bridge.changes, { timeout: 5_000, interval: 50 }).toBe(1);

    peer.apiTokens.add('capi_replacement');
    await loginInTerminal('file', configDir, ['--token-stdin'], 'capi_replacement');
    await expect.poll(bridge.changes, { timeout: SEEN_MS, interval: 100 }).toBe(2);
    expect((await bridge.client.callTool({ name: 'list_workspaces', arguments: {} })).isError).toBeFalsy();
  });

  it('a write refused with insufficient_scope: says what happened, offers conduit_sign_in for writes, and never sends the write again', async () => {
    const configDir = tempDir();
    peer.readOnlyConsent = true;
    await loginInTerminal('file', configDir);
    peer.readOnlyConsent = false;
    const bridge = await host(storeEnv('file', configDir));
    expect(await names(bridge.client)).toEqual(['list_workspaces', 'send_note']);

    const refused = await bridge.client.callTool({ name: 'send_note', arguments: { body: 'once' } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toBe(
      'insufficient_scope: The server refused send_note: this sign-in allows reading only (granted: mcp:read offline_access; needed: mcp:read mcp:write). ' +
        'send_note did not run, and the bridge does not send it again by itself. To allow writes, call conduit_sign_in: it opens the Conduit sign-in page again, ' +
        'where you approve "Send messages and change data". Then call send_note again.',
    );
    await expect.poll(bridge.changes, { timeout: 5_000, interval: 50 }).toBe(1);
    expect(await names(bridge.client)).toEqual(['list_workspaces', 'send_note', 'conduit_sign_in']);
    // Reads keep working meanwhile.
    expect((await bridge.client.callTool({ name: 'list_workspaces', arguments: {} })).isError).toBeFalsy();

    const answer = await bridge.client.callTool({ name: 'conduit_sign_in', arguments: {} });
    expect(text(answer)).toContain('keep "Send messages and change data" ticked');
    const link = linkIn(text(answer));
    expect(new URL(link).searchParams.get('scope')).toBe('mcp:read offline_access mcp:write');
    await completeInBrowser(link);
    await expect.poll(bridge.changes, { timeout: SEEN_MS, interval: 100 }).toBe(2);
    expect(await names(bridge.client)).toEqual(['list_workspaces', 'send_note']);
    expect(peer.notes).toEqual([]);
    expect(text(await bridge.client.callTool({ name: 'send_note', arguments: { body: 'now allowed' } }))).toBe('delivered: now allowed');
    expect(peer.notes).toEqual(['now allowed']);
  });
});

describe('policies once signed in', () => {
  it('--read-only, --tools and --workspace apply to the tools that appear after the sign-in', async () => {
    const sessionPeer = await startSessionPeer();
    try {
      const configDir = tempDir();
      const bridge = await connectBridge(
        ['--url', sessionPeer.mcpUrl, '--read-only', '--tools', 'get_*', 'list_*', 'send_*', '--workspace', 'acme-hotels'],
        storeEnv('file', configDir),
      );
      open.push(bridge);
      let changes = 0;
      bridge.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void (changes += 1));
      expect(await names(bridge.client)).toEqual(['conduit_sign_in']);
      const login = await runCli(['login', '--url', sessionPeer.mcpUrl, '--token-stdin'], cliEnv(configDir), 'peer-token-1');
      expect(login.code, login.stderr).toBe(0);
      await expect.poll(() => changes, { timeout: SEEN_MS, interval: 100 }).toBe(1);
      const tools = (await bridge.client.listTools()).tools;
      expect(tools.map((t) => t.name)).toEqual(['list_workspaces', 'get_thing']);
      expect(tools.find((t) => t.name === 'get_thing')!.inputSchema.required).toEqual(['thing_id']);
      const thing = await bridge.client.callTool({ name: 'get_thing', arguments: { thing_id: 't' } });
      expect(thing.structuredContent).toEqual({ workspace_id: 'acme-hotels', thing_id: 't' });
      const refused = await bridge.client.callTool({ name: 'send_note', arguments: { body: 'no' } });
      expect(text(refused)).toMatch(/^forbidden: send_note is not a read-only tool, and this bridge runs with --read-only/);
      // The session the bridge opened after the sign-in carries the host's own initialize.
      const initializes = (await sessionPeer.state()).requests.filter((r) => r.method === 'initialize').map((r) => r.clientInfo?.name);
      expect(initializes).toContain('bridge-test');
    } finally {
      await Promise.all(open.splice(0).map((b) => b.close()));
      await sessionPeer.stop();
    }
  });
});
