import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, cliEnv, runCli, tempDir } from './helpers/cli.js';
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
    expect(result.stderr).toContain('the server rejected the token (HTTP 401');
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
    expect(result.stderr).toContain('Revoked the tokens');
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
      expect(result.stderr).toContain('API tokens stay valid until revoked on the server');
      expect(storedCount()).toBe(0);
    } finally {
      await second.close();
    }
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
      'warn keychain', // the tests force the file store
    ]);
    expect(result.code).toBe(0);
  });

  it('names the fix for each failure', async () => {
    const result = await runCli(['doctor', '--url', peer.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`FAIL credential +Not logged in to .* Fix: run \`conduit-mcp login --url ${peer.mcpUrl.replace(/[.?]/g, '\\$&')}\``));
    const down = await runCli(['doctor', '--url', 'http://127.0.0.1:9/mcp'], env);
    expect(down.stdout).toMatch(/FAIL reachability .* Fix: check the URL/);
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
    const install = tempDir('conduit-install-');
    mkdirSync(join(install, 'dist'));
    cpSync(join(CLI, '..'), join(install, 'dist'), { recursive: true });
    writeFileSync(join(install, 'package.json'), JSON.stringify({ name: 'conduit-mcp', version: '99.0.0', type: 'module' }));
    symlinkSync(join(CLI, '..', '..', 'node_modules'), join(install, 'node_modules'));
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, [join(install, 'dist', 'cli.js'), 'token', '--url', peer.mcpUrl], { env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(peer.isActive(run.stdout.trim())).toBe(true);
    expect(spawnSync(process.execPath, [join(install, 'dist', 'cli.js'), '--version'], { env, encoding: 'utf8' }).stdout.trim()).toBe('99.0.0');
  });
});
