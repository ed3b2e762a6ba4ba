import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../src/bridge/http.js';
import { proxyFor } from '../src/proxy.js';
import { connectBridge, startPeer, type Peer } from './bridge-harness.js';
import { makeLocalhostCert, type LocalhostCert } from './helpers/localhost-cert.js';

// Proxies and private CAs, the two things corporate networks put between the bridge and the server.
const TOKEN = 'peer-token-1';
let peer: Peer;
let proxy: Server;
const tunnels: string[] = [];
const proxyAuthorizations: Array<string | undefined> = [];
let localhostCert: LocalhostCert;

function listen(server: { listen(port: number, host: string, cb: () => void): unknown; address(): AddressInfo | string | null }): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  peer = await startPeer();
  // A forward proxy that only tunnels (CONNECT), and records where to and with which credentials;
  // user "deny" gets 407.
  proxy = createHttpServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', tunnel);
  await listen(proxy);
  localhostCert = makeLocalhostCert('conduit-bridge-tls');
});

function tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
  tunnels.push(req.url ?? '');
  const authorization = req.headers['proxy-authorization'];
  proxyAuthorizations.push(authorization);
  if (authorization && Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString().startsWith('deny:')) {
    client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
    return;
  }
  const [host, port] = (req.url ?? '').split(':');
  const upstream = connect(Number(port), host, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client).pipe(upstream);
  });
  // Either side gone, the tunnel is gone.
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
}

/** TLS with the self-signed certificate in front of the peer, as a corporate reverse proxy would terminate it. */
async function tlsFront(): Promise<{ port: number; close: () => void }> {
  const tls = createTlsServer({ key: localhostCert.key, cert: localhostCert.cert }, (socket) => {
    const upstream = connect(peer.port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  const port = await listen(tls);
  return { port, close: () => tls.close() };
}

afterAll(async () => {
  proxy?.close();
  await peer?.stop();
  localhostCert?.remove();
});

describe('proxies', { timeout: 30_000 }, () => {
  it('goes through HTTP_PROXY', async () => {
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    tunnels.length = 0;
    const bridge = await connectBridge(['--url', peer.mcpUrl], { CONDUIT_API_TOKEN: TOKEN, HTTP_PROXY: proxyUrl });
    expect((await bridge.client.listTools()).tools.length).toBeGreaterThan(0);
    await bridge.close();
    expect(tunnels).toContain(`127.0.0.1:${peer.port}`);
  });

  it('tunnels https through HTTPS_PROXY with the credentials of the proxy URL, and verifies the server certificate inside the tunnel', async () => {
    const front = await tlsFront();
    const proxyUrl = `http://proxy%20user:p%40ss@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    tunnels.length = 0;
    proxyAuthorizations.length = 0;
    try {
      const bridge = await connectBridge(['--url', `https://localhost:${front.port}/mcp`], { CONDUIT_API_TOKEN: TOKEN, HTTPS_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: localhostCert.certFile });
      expect((await bridge.client.listTools()).tools.length).toBeGreaterThan(0);
      await bridge.close();
      expect(tunnels).toContain(`localhost:${front.port}`);
      expect(proxyAuthorizations[0]).toBe(`Basic ${Buffer.from('proxy user:p@ss').toString('base64')}`);

      // Without the CA the tunnel opens but the certificate behind it is refused.
      const refused = await connectBridge(['--url', `https://localhost:${front.port}/mcp`], { CONDUIT_API_TOKEN: TOKEN, HTTPS_PROXY: proxyUrl }).catch((e: unknown) => e);
      expect((refused as McpError).message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    } finally {
      front.close();
    }
  });

  it('speaks TLS to an https:// proxy (its certificate checked like any other)', async () => {
    const secureProxy = createHttpsServer({ key: localhostCert.key, cert: localhostCert.cert }, (_req, res) => res.writeHead(405).end());
    secureProxy.on('connect', tunnel);
    const port = await listen(secureProxy);
    tunnels.length = 0;
    try {
      const bridge = await connectBridge(['--url', peer.mcpUrl], { CONDUIT_API_TOKEN: TOKEN, HTTP_PROXY: `https://localhost:${port}`, NODE_EXTRA_CA_CERTS: localhostCert.certFile });
      expect((await bridge.client.listTools()).tools.length).toBeGreaterThan(0);
      await bridge.close();
      expect(tunnels).toContain(`127.0.0.1:${peer.port}`);
      const refused = await connectBridge(['--url', peer.mcpUrl], { CONDUIT_API_TOKEN: TOKEN, HTTP_PROXY: `https://localhost:${port}` }).catch((e: unknown) => e);
      expect((refused as McpError).message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    } finally {
      secureProxy.close();
    }
  });

  it('says which proxy refused the tunnel, and how', async () => {
    const proxyUrl = `http://deny:nope@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const refused = await connectBridge(['--url', peer.mcpUrl], { CONDUIT_API_TOKEN: TOKEN, HTTP_PROXY: proxyUrl }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).message).toContain(`the proxy 127.0.0.1:${(proxy.address() as AddressInfo).port} refused the tunnel to 127.0.0.1:${peer.port}: HTTP 407 Proxy Authentication Required`);
  });

  it('keeps one tunnel for many requests (keep-alive)', async () => {
    tunnels.length = 0;
    const client = createHttpClient(new URL(peer.mcpUrl), { env: { HTTP_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` } });
    try {
      for (let i = 0; i < 3; i++) {
        const response = await client.send('POST', { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, '{}');
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        await response.body.dump();
        // A socket goes back to the pool on the tick after its response ended.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await client.close();
    }
    expect(tunnels).toEqual([`127.0.0.1:${peer.port}`]);
  });

  it('bounds setting up a tunnel, and closes what it opened: a proxy that never answers, a server that never completes TLS', async () => {
    const closed: Array<Promise<void>> = [];
    const silent = createTcpServer((socket) => {
      // Reads (so it sees the other end go) but never answers.
      socket.resume();
      socket.on('error', () => undefined);
      closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
    });
    const silentPort = await listen(silent);
    try {
      const viaSilentProxy = createHttpClient(new URL('https://localhost:9/mcp'), { connectTimeoutMs: 300, env: { HTTPS_PROXY: `http://127.0.0.1:${silentPort}` } });
      const noAnswer = await viaSilentProxy.send('POST', {}, '{}').catch((e: unknown) => e as Error & { code?: string });
      expect(noAnswer).toMatchObject({ code: 'ETIMEDOUT', message: `connect timeout after 300 ms (through the proxy 127.0.0.1:${silentPort})` });
      await viaSilentProxy.close();

      const toSilentServer = createHttpClient(new URL(`https://127.0.0.1:${silentPort}/mcp`), { connectTimeoutMs: 300, env: { HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` } });
      const noHandshake = await toSilentServer.send('POST', {}, '{}').catch((e: unknown) => e as Error & { code?: string });
      expect(noHandshake).toMatchObject({ code: 'ETIMEDOUT' });
      await toSilentServer.close();

      // Both connections (to the silent proxy, and through the tunnel to the silent server) were closed.
      expect(closed).toHaveLength(2);
      await Promise.all(closed);
    } finally {
      silent.close();
    }
  });

  it('a proxy setting it cannot use is an error, not a direct connection', async () => {
    const before = (await peer.state()).requests.length;
    const refused = await connectBridge(['--url', peer.mcpUrl], { CONDUIT_API_TOKEN: TOKEN, HTTP_PROXY: 'socks5://127.0.0.1:1080' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).message).toContain('the proxy address "socks5://127.0.0.1:1080" (HTTP(S)_PROXY) must be an http:// or https:// URL');
    expect((await peer.state()).requests).toHaveLength(before);
  });

  it('skips the proxy for hosts in NO_PROXY', async () => {
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    tunnels.length = 0;
    const bridge = await connectBridge(['--url', peer.mcpUrl], { CONDUIT_API_TOKEN: TOKEN, HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' });
    expect((await bridge.client.listTools()).tools.length).toBeGreaterThan(0);
    await bridge.close();
    expect(tunnels).toEqual([]);
  });
});

describe('TLS with a private CA', { timeout: 30_000 }, () => {
  it('refuses an unknown certificate, and trusts it through NODE_EXTRA_CA_CERTS', async () => {
    const front = await tlsFront();
    const url = `https://localhost:${front.port}/mcp`;
    try {
      const refused = await connectBridge(['--url', url], { CONDUIT_API_TOKEN: TOKEN }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(McpError);
      expect((refused as McpError).message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
      expect((refused as McpError).message).toContain('NODE_EXTRA_CA_CERTS');

      const bridge = await connectBridge(['--url', url], { CONDUIT_API_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: localhostCert.certFile });
      expect((await bridge.client.listTools()).tools.length).toBeGreaterThan(0);
      await bridge.close();
    } finally {
      front.close();
    }
  });
});

describe('which proxy a URL goes through', () => {
  const env = { HTTP_PROXY: 'http://plain:3128', HTTPS_PROXY: 'http://secure:3128' };
  const via = (url: string, extra: NodeJS.ProcessEnv = {}) => proxyFor(new URL(url), { ...env, ...extra })?.href;

  it('HTTPS_PROXY for https, HTTP_PROXY for http, and HTTP_PROXY for https when it is the only one', () => {
    expect(via('https://a.example/v1/mcp')).toBe('http://secure:3128/');
    expect(via('http://a.example/v1/mcp')).toBe('http://plain:3128/');
    expect(proxyFor(new URL('https://a.example/'), { HTTP_PROXY: 'http://plain:3128' })?.href).toBe('http://plain:3128/');
    expect(proxyFor(new URL('http://a.example/'), { HTTPS_PROXY: 'http://secure:3128' })).toBeUndefined();
    expect(proxyFor(new URL('https://a.example/'), { https_proxy: 'proxy.internal:8080' })?.href).toBe('http://proxy.internal:8080/');
  });

  it('NO_PROXY: exact hosts and IPs, domains with their subdomains, ports, and *', () => {
    expect(via('https://api.example.com/', { NO_PROXY: 'example.com' })).toBeUndefined();
    expect(via('https://example.com/', { NO_PROXY: '.example.com' })).toBeUndefined();
    expect(via('https://api.example.com/', { NO_PROXY: '*.example.com' })).toBeUndefined();
    expect(via('https://notexample.com/', { NO_PROXY: 'example.com' })).toBe('http://secure:3128/');
    expect(via('http://10.0.0.5:8080/', { NO_PROXY: 'localhost, 10.0.0.5' })).toBeUndefined();
    expect(via('http://10.0.0.55/', { NO_PROXY: '10.0.0.5' })).toBe('http://plain:3128/');
    expect(via('https://[::1]:8443/', { no_proxy: '::1' })).toBeUndefined();
    expect(via('https://[::1]:8443/', { no_proxy: '[::1]:8443' })).toBeUndefined();
    expect(via('https://[::1]:8443/', { no_proxy: '[::1]:443' })).toBe('http://secure:3128/');
    expect(via('https://api.example.com/', { NO_PROXY: 'api.example.com:443' })).toBeUndefined();
    expect(via('https://api.example.com:8443/', { NO_PROXY: 'api.example.com:443' })).toBe('http://secure:3128/');
    expect(via('https://anything.test/', { NO_PROXY: '*' })).toBeUndefined();
  });

  it('a proxy setting that is not an http(s) URL is an error naming it', () => {
    expect(() => proxyFor(new URL('https://a.example/'), { HTTPS_PROXY: 'socks5://127.0.0.1:1080' })).toThrow('the proxy address "socks5://127.0.0.1:1080" (HTTP(S)_PROXY) must be an http:// or https:// URL');
    expect(() => proxyFor(new URL('https://a.example/'), { HTTPS_PROXY: 'http://[bad' })).toThrow('is not a URL');
  });
});
