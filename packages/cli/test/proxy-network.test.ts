import { readdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectBridge } from './bridge-harness.js';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { makeLocalhostCert, type LocalhostCert } from './helpers/localhost-cert.js';
import { startPeer, type Peer } from './helpers/oauth-peer.js';

// Every request the CLI makes besides the bridge's MCP traffic — OAuth discovery, registration, the
// code exchange, refresh, revocation, and the commands' MCP calls — honours HTTP(S)_PROXY and
// NO_PROXY like the bridge does. The proxy below only tunnels (CONNECT) and records, per tunnel, the
// target and the request line that went through it (the peer speaks plain http, so it is readable).
let peer: Peer;
let proxy: Server;
let proxyUrl: string;
const connects: string[] = [];
const requests: string[] = [];
let configDir: string;
let localhostCert: LocalhostCert;

beforeAll(async () => {
  peer = await startPeer();
  peer.apiTokens.add('capi_proxy_token');
  proxy = createHttpServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', tunnel);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  localhostCert = makeLocalhostCert('conduit-proxy-tls');
});
afterAll(async () => {
  proxy?.close();
  await peer?.close();
  localhostCert?.remove();
});
beforeEach(() => {
  configDir = tempDir();
  connects.length = 0;
  requests.length = 0;
});

function tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
  connects.push(req.url ?? '');
  const [host, port] = (req.url ?? '').split(':');
  const upstream = connect(Number(port), host, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    let first = true;
    client.on('data', (chunk: Buffer) => {
      if (first) requests.push(/^([A-Z]+ \S+) HTTP\/1\.1\r\n/.exec(chunk.toString('latin1'))?.[1] ?? '(not plain http)');
      first = false;
    });
    upstream.pipe(client).pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
}

/** The CLI's environment with exactly these proxy variables (none inherited from the machine). */
function env(proxyVars: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const unset = { http_proxy: undefined, https_proxy: undefined, no_proxy: undefined, HTTP_PROXY: undefined, HTTPS_PROXY: undefined, NO_PROXY: undefined };
  return cliEnv(configDir, { ...unset, ...proxyVars, ...extra });
}

function storedCount(): number {
  try {
    return readdirSync(join(configDir, 'credentials')).length;
  } catch {
    return 0;
  }
}

const peerHost = () => new URL(peer.mcpUrl).host;

describe('the CLI through HTTP(S)_PROXY', { timeout: 60_000 }, () => {
  it('login --token-stdin and status reach the server through the proxy', async () => {
    const login = await runCli(['login', '--url', peer.mcpUrl, '--token-stdin'], env({ HTTP_PROXY: proxyUrl }), 'capi_proxy_token\n');
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain('Workspaces: acme-hotels');
    expect(new Set(connects)).toEqual(new Set([peerHost()]));
    expect(requests).toContain('POST /mcp');

    requests.length = 0;
    const status = await runCli(['status'], env({ HTTP_PROXY: proxyUrl }));
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/workspaces\s+acme-hotels/);
    expect(requests).toContain('POST /mcp');
  });

  it('an OAuth login: discovery, registration and the code exchange go through the proxy; logout revokes through it', async () => {
    const login = await runCli(['login', '--url', peer.mcpUrl], env({ HTTP_PROXY: proxyUrl }));
    expect(login.code, login.stderr).toBe(0);
    expect(storedCount()).toBe(1);
    expect(new Set(connects)).toEqual(new Set([peerHost()]));
    expect(requests).toEqual(
      expect.arrayContaining([
        'POST /mcp',
        'GET /.well-known/oauth-protected-resource/mcp',
        'GET /.well-known/oauth-authorization-server/oauth',
        'POST /oauth/register',
        'POST /oauth/token',
      ]),
    );
    // The sign-in page is the browser's request, not the CLI's.
    expect(requests.some((line) => line.startsWith('GET /oauth/authorize'))).toBe(false);

    requests.length = 0;
    const logout = await runCli(['logout', '--url', peer.mcpUrl], env({ HTTP_PROXY: proxyUrl }));
    expect(logout.code, logout.stderr).toBe(0);
    expect(requests.filter((line) => line === 'POST /oauth/revoke')).toHaveLength(2);
  });

  it('refreshes through the proxy, in `token` and in the bridge', async () => {
    // Tokens that live 30 s are inside the 60 s refresh margin: every use refreshes first.
    const short = await startPeer({ loginTtl: 30, refreshTtl: 30 });
    try {
      const login = await runCli(['login', '--url', short.mcpUrl], env({}));
      expect(login.code, login.stderr).toBe(0);
      expect(connects).toEqual([]);

      const refreshes = short.counts.refreshes;
      const token = await runCli(['token', '--url', short.mcpUrl], env({ HTTP_PROXY: proxyUrl }));
      expect(token.code, token.stderr).toBe(0);
      expect(short.counts.refreshes - refreshes).toBe(1);
      // The refresh, then the check of the new token against the server.
      expect(requests).toEqual(['POST /oauth/token', 'POST /mcp']);

      requests.length = 0;
      const bridge = await connectBridge(['--url', short.mcpUrl], { CONDUIT_CONFIG_DIR: configDir, HTTP_PROXY: proxyUrl });
      try {
        expect((await bridge.client.listTools()).tools.length).toBeGreaterThan(0);
      } finally {
        await bridge.close();
      }
      // Refreshed tokens live 30 s too, so the bridge refreshes on each use; at least once.
      expect(short.counts.refreshes - refreshes).toBeGreaterThan(1);
      expect(requests).toContain('POST /oauth/token');
      expect(requests).toContain('POST /mcp');
    } finally {
      await short.close();
    }
  });

  it('tunnels https through HTTPS_PROXY and checks the certificate behind it (NODE_EXTRA_CA_CERTS)', async () => {
    const front = createTlsServer({ key: localhostCert.key, cert: localhostCert.cert }, (socket) => {
      const upstream = connect(Number(new URL(peer.mcpUrl).port), '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const url = `https://localhost:${(front.address() as AddressInfo).port}/mcp`;
    try {
      const login = await runCli(['login', '--url', url, '--token-stdin'], env({ HTTPS_PROXY: proxyUrl }, { NODE_EXTRA_CA_CERTS: localhostCert.certFile }), 'capi_proxy_token\n');
      expect(login.code, login.stderr).toBe(0);
      expect(connects).toContain(`localhost:${(front.address() as AddressInfo).port}`);
      expect(requests.every((line) => line === '(not plain http)')).toBe(true);

      const untrusted = await runCli(['login', '--url', url, '--token-stdin'], env({ HTTPS_PROXY: proxyUrl }), 'capi_proxy_token\n');
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/TLS certificate is not trusted \((SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED|UNABLE_TO_VERIFY)/);
    } finally {
      front.close();
    }
  });

  it('stays direct for hosts NO_PROXY names', async () => {
    const vars = { HTTP_PROXY: proxyUrl, NO_PROXY: 'localhost,127.0.0.1,::1' };
    const tokenLogin = await runCli(['login', '--url', peer.mcpUrl, '--token-stdin'], env(vars), 'capi_proxy_token\n');
    expect(tokenLogin.code, tokenLogin.stderr).toBe(0);
    const oauthLogin = await runCli(['login', '--url', peer.mcpUrl], env(vars));
    expect(oauthLogin.code, oauthLogin.stderr).toBe(0);
    const status = await runCli(['status'], env(vars));
    expect(status.code, status.stderr).toBe(0);
    expect(connects).toEqual([]);
  });

  it('an unusable proxy setting fails the command and nothing goes direct', async () => {
    const requestsBefore = peer.counts.codeExchanges;
    const login = await runCli(['login', '--url', peer.mcpUrl, '--token-stdin'], env({ HTTP_PROXY: 'socks5://127.0.0.1:1080' }), 'capi_proxy_token\n');
    expect(login.code).toBe(1);
    expect(login.stderr).toContain('the proxy address "socks5://127.0.0.1:1080" (HTTP(S)_PROXY) must be an http:// or https:// URL');
    expect(login.stderr).toContain('set HTTPS_PROXY/HTTP_PROXY to the http:// or https:// address of the proxy');
    expect(storedCount()).toBe(0);

    const oauth = await runCli(['login', '--url', peer.mcpUrl], env({ HTTP_PROXY: 'socks5://127.0.0.1:1080' }));
    expect(oauth.code).toBe(1);
    expect(oauth.stderr).toContain('must be an http:// or https:// URL');
    expect(peer.counts.codeExchanges).toBe(requestsBefore);
    expect(storedCount()).toBe(0);
  });

  it('names a proxy that wants credentials, and how to give them', async () => {
    const guarded = createHttpServer((_req, res) => res.writeHead(405).end());
    guarded.on('connect', (_req: IncomingMessage, client: Socket) => client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n'));
    await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
    try {
      const address = `127.0.0.1:${(guarded.address() as AddressInfo).port}`;
      const login = await runCli(['login', '--url', peer.mcpUrl, '--token-stdin'], env({ HTTP_PROXY: `http://${address}` }), 'capi_proxy_token\n');
      expect(login.code).toBe(1);
      expect(login.stderr).toContain(`the proxy ${address} refused the tunnel to ${peerHost()}: HTTP 407 Proxy Authentication Required`);
      expect(login.stderr).toContain('http://user:password@host:port');
      expect(storedCount()).toBe(0);
    } finally {
      guarded.close();
    }
  });
});
