import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { startServer, type ServerProcess } from '../src/server-process.js';

/**
 * `conduit-mcp login` against our own server (`serve --demo`, OAuth on oidc-provider) with headless
 * Chromium as the BROWSER: discovery, DCR, the sign-in and consent pages, the loopback redirect,
 * then status, refresh, and logout with revocation — all through the built CLI as a user runs it.
 */

const require = createRequire(import.meta.url);
const CLI = join(dirname(require.resolve('conduit-mcp/package.json')), 'dist', 'cli.js');
const CHROMIUM_BROWSER = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'chromium-browser.mjs');
const chromium = useService('chromium', import.meta.url);

let server: ServerProcess;
let configDir: string;

function cli(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CONDUIT_') && key !== 'BROWSER') env[key] = value;
  Object.assign(env, {
    CONDUIT_CONFIG_DIR: configDir,
    CONDUIT_CREDENTIAL_STORE: 'file',
    BROWSER: `${process.execPath} ${CHROMIUM_BROWSER}`,
    CHROMIUM_PATH: chromium.path ?? '',
    CONDUIT_E2E_EMAIL: server.demoUser!.email,
    CONDUIT_E2E_PASSWORD: server.demoUser!.password,
    CONDUIT_E2E_WORKSPACES: 'acme-hotels',
    ...extra,
  });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function credentialFile(): string {
  const dir = join(configDir, 'credentials');
  return join(dir, readdirSync(dir)[0]!);
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
  server = await startServer({ demo: true });
  expect(server.demoUser, server.output()).toBeDefined();
  configDir = mkdtempSync(join(tmpdir(), 'conduit-cli-e2e-'));
}, 180_000);

afterAll(async () => {
  rmSync(configDir, { recursive: true, force: true });
  expect(await server?.stop()).toBe(0);
  server?.cleanup();
});

describe.skipIf(!chromium.available)('conduit-mcp login against our server in headless Chromium', () => {
  it('a denied consent stores nothing and says so', async () => {
    const result = await cli(['login', '--url', server.mcpUrl, '--timeout', '90'], { CONDUIT_E2E_DECISION: 'deny' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Access was denied');
    expect(result.stderr).toContain(`conduit-mcp login --url ${server.mcpUrl}`);
  }, 120_000);

  it('signs in, reaches only the granted workspace, refreshes, and logs out with revocation', async () => {
    const login = await cli(['login', '--url', server.mcpUrl, '--timeout', '90']);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain('/oauth/mcp/auth?');
    expect(login.stderr).toMatch(/Signed in to .* with scopes mcp:read mcp:write/);

    const status = await cli(['status']);
    expect(status.stdout).toMatch(/credential\s+OAuth login via .*\/oauth\/mcp \(refresh token: yes\)/);
    expect(status.stdout).toMatch(/workspaces\s+acme-hotels \(Acme Hotels\)\n/);

    const first = (await cli(['token', '--url', server.mcpUrl])).stdout.trim();
    expect(await mcpStatus(first)).toBe(200);

    // Make the stored access token look expired: the next `token` refreshes with the rotating refresh token.
    const stored = JSON.parse(readFileSync(credentialFile(), 'utf8')) as { expiresAt: string; refreshToken: string };
    writeFileSync(credentialFile(), JSON.stringify({ ...stored, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const refreshed = await cli(['token', '--url', server.mcpUrl]);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const second = refreshed.stdout.trim();
    expect(second).not.toBe(first);
    expect(await mcpStatus(second)).toBe(200);
    expect((JSON.parse(readFileSync(credentialFile(), 'utf8')) as { refreshToken: string }).refreshToken).not.toBe(stored.refreshToken);

    const doctor = await cli(['doctor', '--url', server.mcpUrl]);
    expect(doctor.stdout).toMatch(/ok\s+credential/);
    expect(doctor.stdout).toMatch(/ok\s+workspaces\s+acme-hotels\n/);

    const logout = await cli(['logout', '--url', server.mcpUrl]);
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stderr).toContain(`Revoked the OAuth login at ${server.url}/oauth/mcp (refresh token and access token).`);
    expect(await mcpStatus(second)).toBe(401);
    expect((await cli(['token', '--url', server.mcpUrl])).stderr).toContain('Not logged in');
  }, 180_000);
});
