import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { gracefulClose } from '../src/http/graceful-close.js';
import { createConduitServer } from '../src/server.js';
import { createTestStore, createWorkspace } from './helpers.js';

/**
 * A stop while requests are being answered. The clients here are raw keep-alive sockets that
 * never close on their own, as a busy client's connection pool does not: every close the tests
 * wait for is the server's. Without gracefulClose a test hangs on the 65 s keep-alive and times out.
 */

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface KeepAliveClient {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

/** Connects a keep-alive client, destroyed after the test. */
function keepAliveClient(port: number): Promise<KeepAliveClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
  });
}

function waitFor(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (check() ? resolve() : setTimeout(poll, 5));
    poll();
  });
}

/** `server` made closable by gracefulClose, listening, and one keep-alive client connected to it. */
async function withClient(server: Server): Promise<{ close: () => Promise<void>; client: KeepAliveClient }> {
  const close = gracefulClose(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { close, client: await keepAliveClient((server.address() as AddressInfo).port) };
}

describe('gracefulClose', () => {
  it('answers a request whose body is still arriving, says Connection: close, then closes its socket', async () => {
    const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`got ${body}`));
    });
    const { close, client } = await withClient(server);
    let answered = 0;
    server.on('request', () => (answered += 1));
    client.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello');
    await waitFor(() => answered === 1);

    let stopped = false;
    const stopping = close().then(() => (stopped = true));
    client.socket.write('world');
    await Promise.all([client.closed, stopping]);

    expect(stopped).toBe(true);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(client.received()).toMatch(/\r\nConnection: close\r\n/i);
    expect(client.received()).toContain('got helloworld');
  });

  it('lets an event stream under way end, then closes its connection', async () => {
    let finish: (() => void) | undefined;
    const server = createServer({ keepAliveTimeout: 65_000 }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      finish = () => res.end('data: last\n\n');
    });
    const { close, client } = await withClient(server);
    client.socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => client.received().includes('data: first'));

    let stopped = false;
    const stopping = close().then(() => (stopped = true));
    // The stream is still open: the close waits for it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    finish?.();
    await Promise.all([client.closed, stopping]);
    expect(client.received()).toContain('data: last');
  });

  it('answers a request whose headers were still arriving, then closes its socket', async () => {
    const server = createServer({ keepAliveTimeout: 65_000 }, (_req, res) => res.end('late but answered'));
    let accepted: Socket | undefined;
    server.on('connection', (socket: Socket) => (accepted = socket));
    const { close, client } = await withClient(server);
    client.socket.write('GET / HTTP/1.1\r\nHo');
    // Node's parser reads the socket natively (no 'data' event); the byte count still moves.
    await waitFor(() => (accepted?.bytesRead ?? 0) > 0);

    const stopping = close();
    client.socket.write('st: x\r\n\r\n');
    await Promise.all([client.closed, stopping]);
    expect(client.received()).toMatch(/\r\nConnection: close\r\n/i);
    expect(client.received()).toContain('late but answered');
  });

  it('closes an idle keep-alive connection at once', async () => {
    const server = createServer({ keepAliveTimeout: 65_000 }, (_req, res) => res.end('ok'));
    const { close, client } = await withClient(server);
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => client.received().endsWith('ok'));
    expect(client.received()).toMatch(/\r\nConnection: keep-alive\r\n/i);

    await Promise.all([client.closed, close()]);
  });

  it("is how the Conduit server stops: a tools/call under way is answered, and the server's close does not wait on its connection", async () => {
    const t = await createTestStore();
    cleanups.push(() => t.cleanup());
    const ws = await createWorkspace(t.store, 'acme');
    const { token } = await createApiToken(t.store, { name: 'stop', access: 'read_write', workspaceIds: [ws.id], expiresAt: null });
    const server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false, rateLimit: false });
    const client = await keepAliveClient(Number(new URL(server.url).port));
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_workspaces', arguments: {} } });
    const head = [
      'POST /v1/mcp HTTP/1.1',
      `Host: ${new URL(server.url).host}`,
      `Authorization: Bearer ${token}`,
      'Content-Type: application/json',
      'Accept: application/json, text/event-stream',
      'MCP-Protocol-Version: 2025-11-25',
      `Content-Length: ${Buffer.byteLength(body)}`,
    ].join('\r\n');
    let received = 0;
    server.httpServer.on('request', () => (received += 1));
    // The headers and half the body: the request is under way when the stop begins.
    client.socket.write(`${head}\r\n\r\n${body.slice(0, 20)}`);
    await waitFor(() => received === 1);

    const stopping = server.close();
    client.socket.write(body.slice(20));
    await Promise.all([client.closed, stopping]);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(client.received()).toMatch(/\r\nConnection: close\r\n/i);
    expect(client.received()).toMatch(/"result":\{.*acme/);
  });
});
