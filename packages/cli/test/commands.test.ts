import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, copyInstall, runBin, runCli, tempDir } from './helpers/cli.js';
import { freePort } from '../../../scripts/free-port.mjs';
import { startPeer, type Peer } from './helpers/oauth-peer.js';

let peer: Peer;
let configDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  peer = await startPeer();
  peer.apiTokens.add('capi_valid_token');
});
afterAll(() => peer.close());
beforeEach(() => {
  configDir = tempDir();
  env = cliEnv(configDir);
});

function storedCount(): number {
  try {
    return readdirSync(join(configDir, 'credentials')).length;
  } catch {
    return 0;
  }
}

describe('conduit-mcp login --token', () => {
  it('checks the API token against the server, stores it and lists its workspaces', async () => {
    const result = await runCli(['login', '--url', peer.mcpUrl, '--token', 'capi_valid_token'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Stored the API token for ${peer.mcpUrl}`);
    expect(result.stderr).toContain('Workspaces: acme-hotels');
    expect(result.stdout + result.stderr).not.toContain('capi_valid_token');
    const token = await runCli(['token', '--url', peer.mcpUrl], env);
    expect(token.stdout).toBe('capi_valid_token\n');
    const status = await runCli(['status'], env);
    expect(status.stdout).toMatch(/credential\s+API token/);
    expect(status.stdout).toMatch(/workspaces\s+acme-hotels/);
    expect(status.stdout).not.toContain('capi_valid_token');
  });

  it('reads the token from stdin with --token-stdin', async () => {
    const result = await runCli(['login', '--url', peer.mcpUrl, '--token-stdin'], env, 'capi_valid_token\n');
    expect(result.code, result.stderr).toBe(0);
    expect(storedCount()).toBe(1);
  });

  it('refuses a token the server rejects and stores nothing', async () => {
    const result = await runCli(['login', '--url', peer.mcpUrl, '--token', 'capi_revoked'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${peer.mcpUrl} rejected the token (HTTP 401`);
    expect(result.stderr).toContain('Settings > API Tokens');
    expect(result.stderr).not.toContain('capi_revoked');
    expect(storedCount()).toBe(0);
  });
});

describe('conduit-mcp logout', () => {
  it('revokes the OAuth tokens at the server and deletes them locally', async () => {
    await runCli(['login', '--url', peer.mcpUrl], env);
    const token = (await runCli(['token', '--url', peer.mcpUrl], env)).stdout.trim();
    const revocations = peer.counts.revocations;
    const result = await runCli(['logout', '--url', peer.mcpUrl], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Revoked the OAuth login at ${peer.issuer} (refresh token and access token).`);
    expect(peer.counts.revocations - revocations).toBe(2);
    expect(peer.isActive(token)).toBe(false);
    expect(storedCount()).toBe(0);
    expect((await runCli(['token', '--url', peer.mcpUrl], env)).stderr).toContain('Not logged in');
  });

  it('--all signs out of every stored server; API tokens are only deleted locally', async () => {
    const second = await startPeer();
    try {
      await runCli(['login', '--url', peer.mcpUrl], env);
      second.apiTokens.add('capi_second');
      await runCli(['login', '--url', second.mcpUrl, '--token', 'capi_second'], env);
      expect(storedCount()).toBe(2);
      const result = await runCli(['logout', '--all'], env);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`Logged out of ${peer.mcpUrl}`);
      expect(result.stderr).toContain(`Logged out of ${second.mcpUrl}`);
      expect(result.stderr).toContain('The API token itself was not revoked and stays valid on the server: revoke it under Settings > API Tokens');
      expect(storedCount()).toBe(0);
    } finally {
      await second.close();
    }
  });
});

describe('conduit-mcp logout when the server cannot be reached', () => {
  it('deletes the credential anyway, says what was not revoked and how to revoke it on the server, and exits 1', async () => {
    const down = await startPeer();
    await runCli(['login', '--url', down.mcpUrl], env);
    const token = (await runCli(['token', '--url', down.mcpUrl], env)).stdout.trim();
    const [file] = readdirSync(join(configDir, 'credentials'));
    const { client } = JSON.parse(readFileSync(join(configDir, 'credentials', file!), 'utf8')) as { client: { clientId: string } };
    const clientId = client.clientId;
    await down.close();
    const result = await runCli(['logout', '--url', down.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`could not revoke the refresh token and access token of the OAuth login at ${down.issuer}: ${down.issuer}/revoke did not answer: connection refused (ECONNREFUSED)`);
    expect(result.stderr).toContain('Not revoked: the OAuth login stays active on the server until it is revoked there');
    expect(result.stderr).toContain(`\`conduit-mcp-server oauth grants --json\` lists it with client_id "${clientId}" and \`conduit-mcp-server oauth revoke <grant-id>\` ends it.`);
    expect(result.stderr).toContain(`Logged out of ${down.mcpUrl}; its credentials were deleted from file store ${join(configDir, 'credentials')} anyway.`);
    expect(result.stderr).not.toContain('Revoked');
    expect(result.stderr).not.toContain(token);
    expect(down.isActive(token)).toBe(true);
    expect(storedCount()).toBe(0);
  });
});

describe('logging in again', () => {
  it('revokes the login it replaces, so one server never has two live grants from this machine', async () => {
    await runCli(['login', '--url', peer.mcpUrl], env);
    const first = (await runCli(['token', '--url', peer.mcpUrl], env)).stdout.trim();
    const again = await runCli(['login', '--url', peer.mcpUrl], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`Revoked the previous login at ${peer.issuer} (refresh token and access token).`);
    const second = (await runCli(['token', '--url', peer.mcpUrl], env)).stdout.trim();
    expect(second).not.toBe(first);
    expect(peer.isActive(first)).toBe(false);
    expect(peer.isActive(second)).toBe(true);
  });

  it('an API token stored over an OAuth login revokes that login; one stored over an API token says the old one stays valid', async () => {
    await runCli(['login', '--url', peer.mcpUrl], env);
    const oauthToken = (await runCli(['token', '--url', peer.mcpUrl], env)).stdout.trim();
    const overOAuth = await runCli(['login', '--url', peer.mcpUrl, '--token-stdin'], env, 'capi_valid_token\n');
    expect(overOAuth.code, overOAuth.stderr).toBe(0);
    expect(overOAuth.stderr).toContain('Revoked the previous login');
    expect(peer.isActive(oauthToken)).toBe(false);
    peer.apiTokens.add('capi_other_token');
    const overToken = await runCli(['login', '--url', peer.mcpUrl, '--token-stdin'], env, 'capi_other_token\n');
    expect(overToken.stderr).toContain('Replaced the API token stored before; it stays valid on the server until revoked: revoke it under Settings > API Tokens, or on a self-hosted server with `conduit-mcp-server tokens revoke <tok_id>` (`conduit-mcp-server tokens list` shows it as capi_valid_t…).');
  });
});

describe('a mistyped command', () => {
  it('is named as an unknown command with the nearest one, not "too many arguments"', async () => {
    const result = await runCli(['logn'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("conduit-mcp: unknown command 'logn'. Did you mean login?");
    expect(result.stderr).toContain('Commands: login, logout, status, token, doctor');
    expect(result.stderr).not.toContain('too many arguments');
    expect(result.stdout).toBe('');
    expect((await runCli(['--url', peer.mcpUrl, 'statsu'], env)).stderr).toContain("unknown command 'statsu'. Did you mean status?");
    expect((await runCli(['frobnicate'], env)).stderr).toMatch(/unknown command 'frobnicate'\.\n/);
  });
});

describe('conduit-mcp status', () => {
  it('says how to log in when nothing is stored', async () => {
    const result = await runCli(['status'], env);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('Not logged in to any server. Run `conduit-mcp login`.');
  });

  it('shows the CONDUIT_API_TOKEN override', async () => {
    const result = await runCli(['status', '--url', peer.mcpUrl], { ...env, CONDUIT_API_TOKEN: 'capi_valid_token' });
    expect(result.stdout).toMatch(/credential\s+API token from CONDUIT_API_TOKEN/);
    expect(result.stdout).toMatch(/workspaces\s+acme-hotels/);
  });
});

describe('conduit-mcp doctor', () => {
  it('passes every check after an OAuth login, one line each', async () => {
    await runCli(['login', '--url', peer.mcpUrl], env);
    const result = await runCli(['doctor', '--url', peer.mcpUrl], env);
    const lines = result.stdout.trim().split('\n').slice(1);
    expect(lines.map((line) => line.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'ok reachability',
      'ok metadata',
      'ok credential',
      'ok registration',
      'ok scopes',
      'ok workspaces',
      'ok keychain', // the tests choose the file store explicitly: nothing to fix
    ]);
    expect(result.code).toBe(0);
  });

  it('names the fix for each failure', async () => {
    const result = await runCli(['doctor', '--url', peer.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`FAIL credential +Not logged in to .* Fix: run \`conduit-mcp login --url ${peer.mcpUrl.replace(/[.?]/g, '\\$&')}\``));
    const down = await runCli(['doctor', '--url', `http://127.0.0.1:${await freePort()}/v1/mcp`], env);
    expect(down.stdout).toMatch(/FAIL reachability .* connection refused \(ECONNREFUSED\).* Fix: check that the server is running/);
  });

  it('reports a credential that reaches no workspace with the product page fix', async () => {
    const empty = await startPeer({ workspaces: [] });
    try {
      empty.apiTokens.add('capi_nowhere');
      const result = await runCli(['doctor', '--url', empty.mcpUrl], { ...env, CONDUIT_API_TOKEN: 'capi_nowhere' });
      expect(result.stdout).toMatch(/FAIL workspaces .*not scoped to any workspace.* Fix: for OAuth, run conduit-mcp login again and grant at least one workspace during consent; for API tokens, attach the token to the right workspace/);
    } finally {
      await empty.close();
    }
  });
});

describe('upgrades', () => {
  it('a reinstalled package in another directory still finds the login', async () => {
    await runCli(['login', '--url', peer.mcpUrl], env);
    // A fresh install of the package elsewhere (as npm does on upgrade): dist copied, same dependencies.
    const bin = copyInstall({ version: '99.0.0' });
    const run = await runBin(bin, ['token', '--url', peer.mcpUrl], env);
    expect(run.code, run.stderr).toBe(0);
    expect(peer.isActive(run.stdout.trim())).toBe(true);
    expect((await runBin(bin, ['--version'], env)).stdout.trim()).toBe('99.0.0');
  });
});
