// What the CLI says, and with which exit status, about a real `conduit-mcp-server` process that
// runs, was stopped, or is addressed by a wrong URL. Every fix printed must match its cause.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { createToken, startServer, type ServerProcess } from './helpers/server.js';

let server: ServerProcess;
let configDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startServer();
}, 120_000);
afterAll(async () => {
  await server.stop();
  server.cleanup();
});
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

/** The doctor line of one check, e.g. "FAIL reachability  … Fix: …". */
function line(stdout: string, check: string): string {
  return stdout.split('\n').find((l) => new RegExp(`^\\S+\\s+${check}\\s`).test(l)) ?? `(no ${check} line in:\n${stdout})`;
}

describe('conduit-mcp doctor against conduit-mcp-server', () => {
  it('a wrong path or a bare host: not an MCP endpoint, fix "use --url …/v1/mcp" (not an API token)', async () => {
    for (const url of [`${server.origin}/mcp`, server.origin]) {
      const result = await runCli(['doctor', '--url', url], env);
      expect(result.code).toBe(1);
      const reachability = line(result.stdout, 'reachability');
      expect(reachability).toMatch(/^FAIL reachability {2}.* is not an MCP endpoint \(HTTP 404: No route for POST \/(mcp)?\)\./);
      expect(reachability).toContain(`Fix: use --url ${server.mcpUrl} (the endpoint this server names in its metadata).`);
      expect(line(result.stdout, 'metadata')).toMatch(/^skip/);
      expect(result.stdout).not.toContain('API token');
    }
  });

  it('localhost instead of 127.0.0.1 with a working API token: exit 0, and OAuth sign-in pointed at the address the server names', async () => {
    const { token } = createToken(server);
    const localhost = server.mcpUrl.replace('127.0.0.1', 'localhost');
    const login = await runCli(['login', '--url', localhost, '--token-stdin'], env, token);
    expect(login.code, login.stderr).toBe(0);
    const result = await runCli(['doctor', '--url', localhost], env);
    expect(result.code, result.stdout).toBe(0);
    expect(line(result.stdout, 'metadata')).toBe(
      `warn metadata      OAuth sign-in is refused at this address: the server names its endpoint ${server.mcpUrl}, and tokens are issued for that address only. ` +
        `Not needed for the stored API token, which the server accepts. Fix: use --url ${server.mcpUrl} to sign in with OAuth.`,
    );
    expect(line(result.stdout, 'credential')).toMatch(/^ok +credential +stored API token accepted by the server\.$/);
    expect(result.stdout).not.toContain('login --token-stdin');
  });

  it('localhost without any credential: the login fix names the address OAuth works at', async () => {
    const localhost = server.mcpUrl.replace('127.0.0.1', 'localhost');
    const result = await runCli(['doctor', '--url', localhost], env);
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'metadata')).toContain(`Fix: use --url ${server.mcpUrl}.`);
    expect(line(result.stdout, 'credential')).toContain(`Fix: run \`conduit-mcp login --url ${server.mcpUrl}\`.`);
  });

  it('CONDUIT_CREDENTIAL_STORE=file chosen explicitly: the keychain line is ok, with no keychain fix', async () => {
    const result = await runCli(['doctor', '--url', server.mcpUrl], { ...env, CONDUIT_CREDENTIAL_STORE: 'file' });
    expect(line(result.stdout, 'keychain')).toBe(`ok   keychain      not used: CONDUIT_CREDENTIAL_STORE=file chose the file store ${join(configDir, 'credentials')} (readable only by you).`);
    expect(result.stdout).not.toContain('install and unlock');
  });

  it('a revoked API token: the fix is a new token, not a new login', async () => {
    const { id, token } = createToken(server);
    await runCli(['login', '--url', server.mcpUrl, '--token-stdin'], env, token);
    server.admin(['tokens', 'revoke', id]);
    const result = await runCli(['doctor', '--url', server.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'credential')).toBe(
      'FAIL credential    stored API token: the server rejected it (HTTP 401: The access token is missing, expired, revoked or not for this server). ' +
        `Fix: create a new API token (Settings > API Tokens; on a self-hosted server \`conduit-mcp-server tokens create\`), then \`conduit-mcp login --url ${server.mcpUrl} --token-stdin\`.`,
    );
  });
});

describe('conduit-mcp token against conduit-mcp-server', () => {
  it('prints a token the server accepts', async () => {
    const { token } = createToken(server);
    await runCli(['login', '--url', server.mcpUrl, '--token-stdin'], env, token);
    expect(await runCli(['token', '--url', server.mcpUrl], env)).toMatchObject({ code: 0, stdout: `${token}\n`, stderr: '' });
  });

  it('a revoked stored token: nothing on stdout, exit 1, the reason and the fix', async () => {
    const { id, token } = createToken(server);
    await runCli(['login', '--url', server.mcpUrl, '--token-stdin'], env, token);
    server.admin(['tokens', 'revoke', id]);
    const result = await runCli(['token', '--url', server.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `conduit-mcp: ${server.mcpUrl} rejected the stored API token (HTTP 401: The access token is missing, expired, revoked or not for this server). ` +
        `Create a new one (Settings > API Tokens; on a self-hosted server \`conduit-mcp-server tokens create\`) and store it with \`conduit-mcp login --url ${server.mcpUrl} --token-stdin\`.\n`,
    );
  });

  it('a revoked CONDUIT_API_TOKEN: exit 1 naming the variable', async () => {
    const { id, token } = createToken(server);
    server.admin(['tokens', 'revoke', id]);
    const result = await runCli(['token', '--url', server.mcpUrl], { ...env, CONDUIT_API_TOKEN: token });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${server.mcpUrl} rejected the API token in CONDUIT_API_TOKEN (HTTP 401`);
    expect(result.stderr).not.toContain(token);
  });
});

describe('conduit-mcp login --token-stdin with a wrong path', () => {
  it('names the endpoint to use instead of the raw SDK error', async () => {
    const { token } = createToken(server);
    const result = await runCli(['login', '--url', `${server.origin}/mcp`, '--token-stdin'], env, token);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `conduit-mcp: ${server.origin}/mcp is not an MCP endpoint (HTTP 404: No route for POST /mcp). Nothing was stored. ` +
        `Fix: use --url ${server.mcpUrl} (the endpoint this server names in its metadata).\n`,
    );
    expect(storedCount()).toBe(0);
  });
});

describe('conduit-mcp login (OAuth) at an address the server does not name', () => {
  it('a wrong path, a bare host or localhost: refused, with the --url to use', async () => {
    for (const url of [`${server.origin}/mcp`, server.origin, server.mcpUrl.replace('127.0.0.1', 'localhost')]) {
      const result = await runCli(['login', '--url', url], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('refusing to sign in');
      expect(result.stderr).toMatch(new RegExp(`Fix: use --url ${server.mcpUrl.replace(/[.]/g, '\\.')} \\(the endpoint this server names in its metadata\\)\\.\n$`));
      expect(storedCount()).toBe(0);
    }
  });
});

describe('a stopped server', () => {
  let token: string;
  beforeAll(async () => {
    token = createToken(server).token;
    await server.stop();
  });
  afterAll(() => server.restart());

  it('login --token-stdin names the URL and the cause, stores nothing, and says what to check', async () => {
    const result = await runCli(['login', '--url', server.mcpUrl, '--token-stdin'], env, token);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `conduit-mcp: ${server.mcpUrl} did not answer: connection refused (ECONNREFUSED): nothing is listening on 127.0.0.1:${server.port}. Nothing was stored. ` +
        `Fix: check that the server is running and that the port in the URL is the one it listens on. \`conduit-mcp doctor --url ${server.mcpUrl}\` checks each step.\n`,
    );
    expect(storedCount()).toBe(0);
  });

  it('login (OAuth) names the URL and the cause instead of "fetch failed"', async () => {
    const result = await runCli(['login', '--url', server.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `conduit-mcp: ${server.mcpUrl} did not answer: connection refused (ECONNREFUSED): nothing is listening on 127.0.0.1:${server.port}. Nothing was stored. ` +
        `Fix: check that the server is running and that the port in the URL is the one it listens on. \`conduit-mcp doctor --url ${server.mcpUrl}\` checks each step.\n`,
    );
  });

  it('doctor: the fix is to start the server; the stored credential is not blamed', async () => {
    await server.restart();
    await runCli(['login', '--url', server.mcpUrl, '--token-stdin'], env, token);
    await server.stop();
    const result = await runCli(['doctor', '--url', server.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'reachability')).toBe(
      `FAIL reachability  ${server.mcpUrl} did not answer: connection refused (ECONNREFUSED): nothing is listening on 127.0.0.1:${server.port}. ` +
        'Fix: check that the server is running and that the port in the URL is the one it listens on.',
    );
    expect(line(result.stdout, 'credential')).toBe('skip credential    stored API token; not checked: the endpoint did not answer.');
    expect(result.stdout).not.toMatch(/login|rotated|revoked/);
  });

  it('token: exit 1 and no token printed, since it cannot be checked', async () => {
    await server.restart();
    await runCli(['login', '--url', server.mcpUrl, '--token-stdin'], env, token);
    await server.stop();
    const result = await runCli(['token', '--url', server.mcpUrl], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`Could not check the token: ${server.mcpUrl} did not answer: connection refused (ECONNREFUSED)`);
  });
});
