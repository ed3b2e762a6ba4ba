import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, runCli, spawnCli, tempDir } from './helpers/cli.js';
import { freePort } from '../../../scripts/free-port.mjs';
import { startPeer, type Peer } from './helpers/oauth-peer.js';

let peer: Peer;
let configDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  peer = await startPeer();
});
afterAll(() => peer.close());
beforeEach(() => {
  peer.mode = 'approve';
  configDir = tempDir();
  env = cliEnv(configDir);
});

function storedFiles(): string[] {
  try {
    return readdirSync(join(configDir, 'credentials'));
  } catch {
    return [];
  }
}

function stored(): Record<string, unknown> {
  const [file] = storedFiles();
  if (!file) throw new Error('no credential stored');
  return JSON.parse(readFileSync(join(configDir, 'credentials', file), 'utf8')) as Record<string, unknown>;
}

describe('conduit-mcp login (OAuth, against a real authorization server peer)', () => {
  it('discovers, registers, signs in with PKCE and resource, and stores the tokens without printing them', async () => {
    const result = await runCli(['login', '--url', peer.mcpUrl], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`${peer.issuer}/authorize?`); // the URL is always printed
    expect(result.stderr).toMatch(/Signed in to .* with scopes mcp:read mcp:write offline_access/);

    const request = peer.authorizeRequests.at(-1)!;
    expect(request.get('code_challenge_method')).toBe('S256');
    expect(request.get('resource')).toBe(peer.mcpUrl);
    expect(request.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(peer.tokenRequests.at(-1)!.get('resource')).toBe(peer.mcpUrl);

    const credential = stored() as { kind: string; accessToken: string; refreshToken: string; resource: string; url: string };
    expect(credential).toMatchObject({ kind: 'oauth', url: peer.mcpUrl, resource: peer.mcpUrl });
    expect(peer.isActive(credential.accessToken)).toBe(true);
    for (const output of [result.stdout, result.stderr]) {
      expect(output).not.toContain(credential.accessToken);
      expect(output).not.toContain(credential.refreshToken);
    }

    const token = await runCli(['token', '--url', peer.mcpUrl], env);
    expect(token).toMatchObject({ code: 0, stdout: `${credential.accessToken}\n`, stderr: '' });

    const status = await runCli(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(peer.mcpUrl);
    expect(status.stdout).toMatch(/credential\s+OAuth login via .*\/oauth \(refresh token: yes\)/);
    expect(status.stdout).toMatch(/scopes\s+mcp:read mcp:write offline_access/);
    expect(status.stdout).toMatch(/expires\s+\d{4}-.*\(in \d+ min\)/);
    expect(status.stdout).toMatch(new RegExp(`storage\\s+file store ${join(configDir, 'credentials')}`));
    expect(status.stdout).toMatch(/workspaces\s+acme-hotels \(Acme Hotels\)/);
    expect(status.stdout + status.stderr).not.toContain(credential.accessToken);
  });

  it('reports access_denied clearly and stores nothing', async () => {
    peer.mode = 'deny';
    const result = await runCli(['login', '--url', peer.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Access was denied');
    expect(result.stderr).toContain(`conduit-mcp login --url ${peer.mcpUrl}`);
    expect(storedFiles()).toEqual([]);
  });

  it('times out with a clear message when the browser never comes back', async () => {
    peer.mode = 'page';
    const result = await runCli(['login', '--url', peer.mcpUrl, '--timeout', '1'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Timed out after 1 s waiting for the sign-in to finish in the browser');
    expect(storedFiles()).toEqual([]);
  });

  it('rejects a redirect whose state differs from the one sent', async () => {
    const result = await runCli(['login', '--url', peer.mcpUrl], cliEnv(configDir, { TEST_BROWSER_MODE: 'tamper-state' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('did not carry the state this login sent');
    expect(storedFiles()).toEqual([]);
  });

  it('rejects a redirect whose iss is not the authorization server', async () => {
    peer.mode = 'wrong-iss';
    const result = await runCli(['login', '--url', peer.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('iss mismatch');
    expect(storedFiles()).toEqual([]);
  });

  it('--no-browser prints the URL and accepts the pasted redirect address', async () => {
    const run = spawnCli(['login', '--url', peer.mcpUrl, '--no-browser'], cliEnv(configDir, { BROWSER: '/nonexistent/browser' }));
    await run.waitFor(/paste that whole address here/);
    const authorizeUrl = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/.exec(run.stderr())![1]!;
    // The user opens the URL on another machine; the redirect to 127.0.0.1 fails there, so they copy it.
    const redirect = (await fetch(authorizeUrl, { redirect: 'manual' })).headers.get('location')!;
    run.child.stdin!.write('not a url\n');
    await run.waitFor(/That is not the sign-in redirect/);
    run.child.stdin!.write(`${redirect}\n`);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(stored()).toMatchObject({ kind: 'oauth' });
  });

  it('listens on --callback-port when given', async () => {
    const port = await freePort();
    const result = await runCli(['login', '--url', peer.mcpUrl, '--callback-port', String(port)], env);
    expect(result.code, result.stderr).toBe(0);
    expect(peer.authorizeRequests.at(-1)!.get('redirect_uri')).toBe(`http://127.0.0.1:${port}/callback`);
  });

  it('requests --scope instead of the advertised scopes', async () => {
    const result = await runCli(['login', '--url', peer.mcpUrl, '--scope', 'mcp:read'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(peer.authorizeRequests.at(-1)!.get('scope')).toBe('mcp:read offline_access');
  });

  it('writes the credential file 0600 in a 0700 directory', async () => {
    await runCli(['login', '--url', peer.mcpUrl], env);
    const dir = join(configDir, 'credentials');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const [file] = storedFiles();
    expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
  });
});

describe('conduit-mcp login without Dynamic Client Registration', () => {
  let noDcr: Peer;
  beforeAll(async () => {
    noDcr = await startPeer({ dcr: false, preRegistered: { clientId: 'cli-client', clientSecret: 'cli-secret' } });
  });
  afterAll(() => noDcr.close());

  it('says how to proceed when no client id is given', async () => {
    const result = await runCli(['login', '--url', noDcr.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not support Dynamic Client Registration');
    expect(result.stderr).toContain('--client-id');
    expect(result.stderr).toContain('--token-stdin');
  });

  it('signs in with a pre-registered client and secret (client_secret_basic)', async () => {
    const result = await runCli(['login', '--url', noDcr.mcpUrl, '--client-id', 'cli-client'], cliEnv(configDir, { CONDUIT_CLIENT_SECRET: 'cli-secret' }));
    expect(result.code, result.stderr).toBe(0);
    expect(noDcr.counts.register).toBe(0);
    expect(noDcr.authorizeRequests.at(-1)!.get('client_id')).toBe('cli-client');
    expect(stored()).toMatchObject({ client: { clientId: 'cli-client', authMethod: 'client_secret_basic' } });
  });
});
