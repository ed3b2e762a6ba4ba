import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBridge, startPeer, type Peer } from './bridge-harness.js';

// Proxies and private CAs, the two things corporate networks put between the bridge and the server.
const TOKEN = 'peer-token-1';
let peer: Peer;
let proxy: Server;
const tunnels: string[] = [];
let dir: string;

function listen(server: { listen(port: number, host: string, cb: () => void): unknown; address(): AddressInfo | string | null }): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  peer = await startPeer();
  // A forward proxy that only tunnels (CONNECT), and records where to.
  proxy = createHttpServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await listen(proxy);
  dir = mkdtempSync(join(tmpdir(), 'conduit-bridge-tls-'));
});

afterAll(async () => {
  proxy?.close();
  await peer?.stop();
  rmSync(dir, { recursive: true, force: true });
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
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    // TLS in front of the peer, as a corporate reverse proxy would terminate it.
    const tls = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (socket) => {
      const upstream = connect(peer.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    const port = await listen(tls);
    const url = `https://localhost:${port}/mcp`;
    try {
      const refused = await connectBridge(['--url', url], { CONDUIT_API_TOKEN: TOKEN }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(McpError);
      expect((refused as McpError).message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
      expect((refused as McpError).message).toContain('NODE_EXTRA_CA_CERTS');

      const bridge = await connectBridge(['--url', url], { CONDUIT_API_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: cert });
      expect((await bridge.client.listTools()).tools.length).toBeGreaterThan(0);
      await bridge.close();
    } finally {
      tls.close();
    }
  });
});
