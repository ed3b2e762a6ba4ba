import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getAccessToken } from '../src/auth/access-token.js';
import { LoginRequiredError, NotLoggedInError } from '../src/auth/errors.js';
import { resolveStore } from '../src/credentials/resolve.js';
import type { OAuthCredential } from '../src/credentials/types.js';
import { silentReporter } from '../src/output.js';
import { cliEnv, runCli, spawnCli, tempDir } from './helpers/cli.js';
import { startPeer, type Peer } from './helpers/oauth-peer.js';

let peer: Peer;
let configDir: string;
let env: NodeJS.ProcessEnv;

// Login tokens live 30 s: inside the 60 s refresh margin, so the next use refreshes proactively.
beforeAll(async () => {
  peer = await startPeer({ loginTtl: 30, refreshTtl: 3600 });
});
afterAll(() => peer.close());
beforeEach(async () => {
  configDir = tempDir();
  env = cliEnv(configDir);
  const login = await runCli(['login', '--url', peer.mcpUrl], env);
  expect(login.code, login.stderr).toBe(0);
});

function storedCredential(): OAuthCredential {
  const dir = join(configDir, 'credentials');
  const [file] = readdirSync(dir);
  return JSON.parse(readFileSync(join(dir, file!), 'utf8')) as OAuthCredential;
}

function counts() {
  return { ...peer.counts };
}

describe('token refresh', () => {
  it('refreshes proactively before expiry, rotating the refresh token, and keeps the login', async () => {
    const before = storedCredential();
    const start = counts();
    const result = await runCli(['token', '--url', peer.mcpUrl], env);
    expect(result.code, result.stderr).toBe(0);
    const after = storedCredential();
    expect(peer.counts.refreshes - start.refreshes).toBe(1);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(result.stdout).toBe(`${after.accessToken}\n`);
    expect(peer.isActive(after.accessToken)).toBe(true);
    expect(peer.tokenRequests.at(-1)!.get('resource')).toBe(peer.mcpUrl);

    // Fresh now: the next call uses it without another refresh.
    const again = await runCli(['token', '--url', peer.mcpUrl], env);
    expect(again.stdout).toBe(`${after.accessToken}\n`);
    expect(peer.counts.refreshes - start.refreshes).toBe(1);
  });

  it('on invalid_grant clears the credentials and tells the user to log in', async () => {
    // Spend the stored refresh token elsewhere, so the server sees it reused.
    const credential = storedCredential();
    const spent = await fetch(`${peer.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.refreshToken!, client_id: credential.client.clientId, resource: peer.mcpUrl }),
    });
    expect(spent.status).toBe(200);
    const result = await runCli(['token', '--url', peer.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('invalid_grant');
    expect(result.stderr).toContain(`Run \`conduit-mcp login --url ${peer.mcpUrl}\``);
    expect(readdirSync(join(configDir, 'credentials'))).toEqual([]);

    const status = await runCli(['token', '--url', peer.mcpUrl], env);
    expect(status.stderr).toContain(`Not logged in to ${peer.mcpUrl}`);
  });

  it('five processes sharing one rotating refresh token perform one refresh, and none is logged out', async () => {
    const start = counts();
    const release = peer.holdRefreshes();
    const debugEnv = { ...env, CONDUIT_MCP_DEBUG: '1' };
    const processes = Array.from({ length: 5 }, () => spawnCli(['token', '--url', peer.mcpUrl], debugEnv));
    try {
      // The refresh is held at the server until every other process is waiting on the lock, so all
      // five really overlap: without the lock they would each present the same refresh token.
      await Promise.all(processes.map((p) => p.waitFor(/refreshing the access token|waiting for the refresh lock/)));
      await waitUntil(() => peer.counts.refreshRequests - start.refreshRequests >= 1);
      expect(processes.filter((p) => /waiting for the refresh lock/.test(p.stderr()))).toHaveLength(4);
    } finally {
      release();
    }
    const results = await Promise.all(processes.map((p) => p.done));
    const stored = storedCredential();
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`${stored.accessToken}\n`);
    }
    expect(peer.counts.refreshRequests - start.refreshRequests).toBe(1);
    expect(peer.counts.refreshes - start.refreshes).toBe(1);
    expect(peer.counts.reuse - start.reuse).toBe(0);
    expect(peer.isActive(stored.accessToken)).toBe(true);
  });
});

describe('getAccessToken (the bridge API)', () => {
  it('shares one refresh between concurrent callers in a process', async () => {
    const start = counts();
    const store = await resolveStore({ ...env }, silentReporter);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => getAccessToken(peer.mcpUrl, { env, store, reporter: silentReporter })));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(peer.counts.refreshes - start.refreshes).toBe(1);
  });

  it('throws NotLoggedInError naming the login command when nothing is stored', async () => {
    const other = cliEnv(tempDir());
    const error = await getAccessToken(peer.mcpUrl, { env: other, reporter: silentReporter }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotLoggedInError);
    expect((error as Error).message).toContain(`conduit-mcp login --url ${peer.mcpUrl}`);
  });

  it('throws LoginRequiredError when the token expired and there is no refresh token', async () => {
    const credential = storedCredential();
    const dir = join(configDir, 'credentials');
    const [file] = readdirSync(dir);
    writeFileSync(join(dir, file!), JSON.stringify({ ...credential, refreshToken: undefined, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const error = await getAccessToken(peer.mcpUrl, { env, reporter: silentReporter }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginRequiredError);
    expect((error as Error).message).toContain('expired and there is no refresh token');
    expect((error as Error).message).toContain(`conduit-mcp login --url ${peer.mcpUrl}`);
  });

  it('returns CONDUIT_API_TOKEN when set, whatever is stored', async () => {
    const token = await getAccessToken(peer.mcpUrl, { env: { ...env, CONDUIT_API_TOKEN: 'capi_from_env' }, reporter: silentReporter });
    expect(token).toEqual({ token: 'capi_from_env', source: 'env' });
    // `conduit-mcp token` prints it once the server has accepted it.
    peer.apiTokens.add('capi_from_env');
    const cli = await runCli(['token', '--url', peer.mcpUrl], { ...env, CONDUIT_API_TOKEN: 'capi_from_env' });
    expect(cli.stdout).toBe('capi_from_env\n');
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
