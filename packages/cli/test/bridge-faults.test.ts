import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, spawnBridge, type RawBridge } from './bridge-harness.js';

/**
 * The bridge process facing a server that misbehaves: it stalls, resets connections, or answers
 * with garbage. Every request still gets a JSON-RPC answer on stdout (a clear error naming the
 * problem), stdout carries nothing but JSON-RPC, and the bridge goes on serving the next call.
 * The server here is not an MCP peer but a plain HTTP server that answers initialize properly
 * and then does what the tool name says.
 */

const UPSTREAM_UNAVAILABLE = -32011;
let server: Server;
let url: string;
/** POSTs seen per tool name (retries included). */
const attempts = new Map<string, number>();
/** Stalled responses, ended when the test is over. */
const stalled: ServerResponse[] = [];

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
}

function misbehave(name: string, id: unknown, req: IncomingMessage, res: ServerResponse): void {
  switch (name) {
    case 'echo':
      return json(res, 200, { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'echo' }] } });
    case 'stall':
      stalled.push(res); // headers never come
      return;
    case 'reset':
      return void req.socket.destroy();
    case 'reset_mid_body':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
      res.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[`);
      return void setTimeout(() => req.socket.destroy(), 20);
    case 'html':
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>');
    case 'truncated_json':
      return json(res, 200, `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"te`);
    case 'not_json_rpc':
      return json(res, 200, { hello: 'world' });
    case 'wrong_id':
      return json(res, 200, { jsonrpc: '2.0', id: 'someone-else', result: { content: [] } });
    case 'empty_json':
      return void res.writeHead(200, { 'content-type': 'application/json' }).end();
    case 'binary':
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x0a, 0x7d]));
    case 'sse_garbage':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return void res.end('data: not json at all\n\nevent: message\ndata: {"jsonrpc":"2.0","id":"nobody"}\n\n: comment\n\n');
    case 'server_error_page':
      return void res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>500 Internal Server Error</h1><pre>at Object.<anonymous> (/srv/app.js:1:1)</pre>');
    case 'bad_gateway':
      return void res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>502 Bad Gateway</h1>');
    default:
      return json(res, 200, { jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool ${name}` } });
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method?: string; params?: { name?: string } };
      if (message.id === undefined) return void res.writeHead(202).end();
      if (message.method === 'initialize') {
        return json(res, 200, { jsonrpc: '2.0', id: message.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'hostile', version: '1.0.0' } } });
      }
      if (message.method === 'tools/list') {
        return json(res, 200, { jsonrpc: '2.0', id: message.id, result: { tools: [] } });
      }
      const name = message.params?.name ?? '';
      attempts.set(name, (attempts.get(name) ?? 0) + 1);
      misbehave(name, message.id, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/mcp`;
});

afterAll(async () => {
  for (const res of stalled) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function initialized(): Promise<RawBridge> {
  const bridge = spawnBridge(['--url', url, '--header', 'Authorization: Bearer hostile-test']);
  expect((await bridge.request(INITIALIZE)).result).toBeDefined();
  bridge.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return bridge;
}

let nextId = 100;
function callTool(bridge: RawBridge, name: string): Promise<Record<string, unknown>> {
  return bridge.request({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: {} } });
}

async function expectEcho(bridge: RawBridge): Promise<void> {
  const answer = await callTool(bridge, 'echo');
  expect(answer.result).toEqual({ content: [{ type: 'text', text: 'echo' }] });
}

async function finish(bridge: RawBridge): Promise<void> {
  bridge.child.stdin.end();
  expect(await bridge.exited).toEqual({ code: 0, signal: null });
  // The harness parses every stdout line as JSON (a non-JSON line fails the test); each is also JSON-RPC 2.0.
  for (const message of bridge.messages) expect(message.jsonrpc).toBe('2.0');
}

describe('a server that answers with garbage', { timeout: 30_000 }, () => {
  const cases: Array<[string, RegExp]> = [
    ['html', /text\/html instead of JSON/],
    ['truncated_json', /not a JSON-RPC answer/],
    ['not_json_rpc', /not a JSON-RPC answer/],
    ['wrong_id', /not a JSON-RPC answer/],
    ['empty_json', /instead of JSON|not a JSON-RPC answer/],
    ['binary', /not a JSON-RPC answer/],
    ['server_error_page', /HTTP 500/],
  ];
  for (const [name, says] of cases) {
    it(`${name}: the call gets a clear error, and the next call works`, async () => {
      const bridge = await initialized();
      const answer = await callTool(bridge, name);
      const error = answer.error as { code: number; message: string } | undefined;
      expect(error?.code, JSON.stringify(answer)).toBe(UPSTREAM_UNAVAILABLE);
      expect(error!.message).toMatch(says);
      await expectEcho(bridge);
      await finish(bridge);
    });
  }

  it('an event stream that ends without the answer: retried, then a clear error, and the next call works', async () => {
    const bridge = await initialized();
    const answer = await callTool(bridge, 'sse_garbage');
    expect((answer.error as { code: number }).code).toBe(UPSTREAM_UNAVAILABLE);
    expect(attempts.get('sse_garbage')).toBe(3); // the first try and two retries
    await expectEcho(bridge);
    await finish(bridge);
  });

  it('502 every time: retried twice, then an error that says so', async () => {
    const bridge = await initialized();
    const before = attempts.get('bad_gateway') ?? 0;
    const answer = await callTool(bridge, 'bad_gateway');
    expect((answer.error as { message: string }).message).toMatch(/HTTP 502/);
    expect((attempts.get('bad_gateway') ?? 0) - before).toBe(3);
    await finish(bridge);
  });
});

describe('a server that resets connections', { timeout: 30_000 }, () => {
  for (const name of ['reset', 'reset_mid_body']) {
    it(`${name}: retried twice, then "cannot reach", and the bridge keeps serving`, async () => {
      const bridge = await initialized();
      const before = attempts.get(name) ?? 0;
      const answer = await callTool(bridge, name);
      const error = answer.error as { code: number; message: string };
      expect(error.code).toBe(UPSTREAM_UNAVAILABLE);
      expect(error.message).toMatch(/Cannot reach the Conduit MCP server \((ECONNRESET|socket hang up|aborted)/i);
      expect((attempts.get(name) ?? 0) - before).toBe(3);
      await expectEcho(bridge);
      await finish(bridge);
    });
  }
});

describe('a server that stalls', { timeout: 30_000 }, () => {
  it('a stalled call does not hold up the others, and the bridge still exits promptly on EOF', async () => {
    const bridge = await initialized();
    const stalledId = nextId++;
    bridge.send({ jsonrpc: '2.0', id: stalledId, method: 'tools/call', params: { name: 'stall', arguments: {} } });
    // Calls after it are answered while it hangs.
    for (let i = 0; i < 5; i++) await expectEcho(bridge);
    await Promise.all([expectEcho(bridge), callTool(bridge, 'html'), expectEcho(bridge)]);
    // The client gives up on it; the bridge passes the cancellation on and keeps going.
    bridge.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: stalledId, reason: 'timeout' } });
    await expectEcho(bridge);
    // The host closes stdin: the bridge exits within its shutdown budget despite the stalled call.
    await finish(bridge);
    expect(bridge.messages.some((m) => m.id === stalledId && 'result' in m)).toBe(false);
  });
});
