import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthFetch } from '../src/auth/auth-fetch.js';
import { NotLoggedInError } from '../src/auth/errors.js';
import { silentReporter } from '../src/output.js';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { startPeer, type Peer } from './helpers/oauth-peer.js';

let peer: Peer;
beforeAll(async () => {
  peer = await startPeer();
});
afterAll(() => peer.close());

const listWorkspaces = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_workspaces', arguments: {} } });
const init = () => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: listWorkspaces,
});

function storedAccessToken(configDir: string): string {
  const dir = join(configDir, 'credentials');
  return (JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as { accessToken: string }).accessToken;
}

describe('createAuthFetch (the transport fetch the bridge uses)', () => {
  it('attaches the stored token', async () => {
    const configDir = tempDir();
    const env = cliEnv(configDir);
    expect((await runCli(['login', '--url', peer.mcpUrl], env)).code).toBe(0);
    const response = await createAuthFetch(peer.mcpUrl, { env, reporter: silentReporter })(peer.mcpUrl, init());
    expect(response.status).toBe(200);
  });

  it('non-interactive and not logged in: throws NotLoggedInError instead of opening a browser', async () => {
    const env = cliEnv(tempDir());
    const authorize = peer.counts.authorize;
    await expect(createAuthFetch(peer.mcpUrl, { env, reporter: silentReporter })(peer.mcpUrl, init())).rejects.toBeInstanceOf(NotLoggedInError);
    expect(peer.counts.authorize).toBe(authorize);
  });

  it('interactive: a 401 challenge drives discovery and login, then the request is retried', async () => {
    const configDir = tempDir();
    const env = cliEnv(configDir);
    const response = await createAuthFetch(peer.mcpUrl, { env, reporter: silentReporter, interactive: true })(peer.mcpUrl, init());
    expect(response.status).toBe(200);
    expect(peer.isActive(storedAccessToken(configDir))).toBe(true);
  });

  it('interactive: when the grant was revoked server-side, the failed refresh leads to a new login', async () => {
    const configDir = tempDir();
    const env = cliEnv(configDir);
    expect((await runCli(['login', '--url', peer.mcpUrl], env)).code).toBe(0);
    const before = storedAccessToken(configDir);
    await fetch(`${peer.issuer}/revoke`, { method: 'POST', body: new URLSearchParams({ token: before }) });
    const authorize = peer.counts.authorize;
    const response = await createAuthFetch(peer.mcpUrl, { env, reporter: silentReporter, interactive: true })(peer.mcpUrl, init());
    expect(response.status).toBe(200);
    expect(peer.counts.authorize - authorize).toBe(1);
    expect(storedAccessToken(configDir)).not.toBe(before);
  });
});
