import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { SERVER_CLI, startServer, type ServerProcess } from '../src/server-process.js';

/**
 * What `conduit-mcp login` and `logout` leave behind on the server, as its administrator sees it
 * (`conduit-mcp-server oauth grants`): a second login ends the first grant, and a logout while the
 * server is down says the grant is still active, deletes the local copy anyway, exits 1 and names
 * the admin command that ends it. Real server, headless Chromium on the sign-in pages.
 */

const require = createRequire(import.meta.url);
const CLI = join(dirname(require.resolve('conduit-mcp/package.json')), 'dist', 'cli.js');
const CHROMIUM_BROWSER = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'chromium-browser.mjs');
const chromium = useService('chromium', import.meta.url);

let server: ServerProcess;
let configDir: string;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CONDUIT_') && key !== 'BROWSER' && key !== 'npm_command') env[key] = value;
  Object.assign(env, {
    CONDUIT_CONFIG_DIR: configDir,
    CONDUIT_CREDENTIAL_STORE: 'file',
    BROWSER: `${process.execPath} ${CHROMIUM_BROWSER}`,
    CHROMIUM_PATH: chromium.path ?? '',
    CONDUIT_E2E_EMAIL: server.demoUser!.email,
    CONDUIT_E2E_PASSWORD: server.demoUser!.password,
    CONDUIT_E2E_WORKSPACES: 'acme-hotels',
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

interface Grant {
  id: string;
  client_id: string;
}

/** The server's active grants, read by its admin command (works while the server is stopped). */
function grants(): Grant[] {
  const run = spawnSync(process.execPath, [SERVER_CLI, 'oauth', 'grants', '--json', '--data-dir', server.dataDir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`oauth grants failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Grant[];
}

function storedClientId(): string {
  const dir = join(configDir, 'credentials');
  const [file] = readdirSync(dir);
  return (JSON.parse(readFileSync(join(dir, file!), 'utf8')) as { client: { clientId: string } }).client.clientId;
}

describe.skipIf(!chromium.available)('conduit-mcp logins and logouts as the server sees them', () => {
  beforeAll(async () => {
    server = await startServer({ demo: true });
    expect(server.demoUser, server.output()).toBeDefined();
    configDir = mkdtempSync(join(tmpdir(), 'conduit-cli-grants-'));
  }, 180_000);

  afterAll(async () => {
    rmSync(configDir, { recursive: true, force: true });
    await server?.stop();
    server?.cleanup();
  });

  it('a second login revokes the grant of the first: one active grant, not two', async () => {
    const first = await cli(['login', '--url', server.mcpUrl, '--timeout', '90']);
    expect(first.code, first.stderr).toBe(0);
    const firstClient = storedClientId();
    expect(grants().map((g) => g.client_id)).toEqual([firstClient]);

    const second = await cli(['login', '--url', server.mcpUrl, '--timeout', '90']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`Revoked the previous login at ${server.url}/oauth/mcp (refresh token and access token).`);
    const secondClient = storedClientId();
    expect(secondClient).not.toBe(firstClient);
    expect(grants().map((g) => g.client_id)).toEqual([secondClient]);
  }, 240_000);

  it('with the server stopped: doctor blames the server, logout deletes the login anyway, exits 1 and names the admin command', async () => {
    const clientId = storedClientId();
    const [grant] = grants();
    expect(grant?.client_id).toBe(clientId);
    expect(await server.stop()).toBe(0);

    const doctor = await cli(['doctor', '--url', server.mcpUrl]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/^FAIL reachability .* connection refused \(ECONNREFUSED\).* Fix: check that the server is running/m);
    expect(doctor.stdout).toMatch(/^skip credential +stored OAuth login \(access token valid until .*\); not checked: the endpoint did not answer\.$/m);
    expect(doctor.stdout).not.toMatch(/conduit-mcp login/);

    const logout = await cli(['logout', '--url', server.mcpUrl]);
    expect(logout.code).toBe(1);
    expect(logout.stderr).toContain(`could not revoke the refresh token and access token of the OAuth login at ${server.url}/oauth/mcp:`);
    expect(logout.stderr).toContain('connection refused (ECONNREFUSED)');
    expect(logout.stderr).toContain(
      `Not revoked: the OAuth login stays active on the server until it is revoked there; on a self-hosted server, \`conduit-mcp-server oauth grants --json\` lists it with client_id "${clientId}" and \`conduit-mcp-server oauth revoke <grant-id>\` ends it.`,
    );
    expect(logout.stderr).toContain(`Logged out of ${server.mcpUrl}; its credentials were deleted from file store ${join(configDir, 'credentials')} anyway.`);
    expect(readdirSync(join(configDir, 'credentials'))).toEqual([]);

    // The truth: the grant is still there, and the command named ends it.
    expect(grants()).toEqual([expect.objectContaining({ id: grant!.id, client_id: clientId })]);
    const revoke = spawnSync(process.execPath, [SERVER_CLI, 'oauth', 'revoke', grant!.id, '--data-dir', server.dataDir], { encoding: 'utf8' });
    expect(revoke.status, revoke.stderr).toBe(0);
    expect(grants()).toEqual([]);
  }, 120_000);
});
