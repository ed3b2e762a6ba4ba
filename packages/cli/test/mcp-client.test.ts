import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listWorkspaces, TokenRejectedError, ToolCallError, withMcpClient } from '../src/mcp-client.js';

// The commands' own streamable-HTTP client, against a server scripted per test: what it sends, and
// how it reads JSON and SSE answers.
interface Seen {
  method: string;
  headers: IncomingMessage['headers'];
  body: { id?: number; method?: string; params?: Record<string, unknown> } | null;
}

let server: Server | undefined;
afterEach(() => server?.close());

async function serve(answer: (seen: Seen, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const entry = { method: req.method ?? '', headers: req.headers, body: text ? (JSON.parse(text) as Seen['body']) : null };
      seen.push(entry);
      answer(entry, res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/mcp`, seen };
}

const workspaces = [{ id: 'w1', slug: 'acme', name: 'Acme' }];

describe('the commands’ MCP client', () => {
  it('initializes, calls the tool, reads SSE answers past notifications, and ends the session', async () => {
    const { url, seen } = await serve(({ method, body }, res) => {
      if (method === 'DELETE') return res.writeHead(200).end();
      if (body?.method === 'notifications/initialized') return res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'session-1' });
      if (body?.method === 'initialize') {
        res.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 's', version: '1' } } })}\n\n`);
        return;
      }
      res.write(`: keep-alive\n\nevent: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } })}\n\n`);
      res.end(`event: message\r\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: body?.id, result: { content: [], structuredContent: { data: workspaces } } })}\r\n\r\n`);
    });
    expect(await withMcpClient(url, 'tok', listWorkspaces)).toEqual(workspaces);
    expect(seen.map((s) => s.body?.method ?? s.method)).toEqual(['initialize', 'notifications/initialized', 'tools/call', 'DELETE']);
    expect(seen.every((s) => s.headers.authorization === 'Bearer tok')).toBe(true);
    expect(seen[0]!.headers['mcp-session-id']).toBeUndefined();
    for (const later of seen.slice(1)) {
      expect(later.headers['mcp-session-id']).toBe('session-1');
      expect(later.headers['mcp-protocol-version']).toBe('2025-06-18');
    }
    expect(seen[2]!.body).toMatchObject({ method: 'tools/call', params: { name: 'list_workspaces', arguments: {} } });
  });

  it('reads JSON answers, and sends no DELETE when the server keeps no session', async () => {
    const { url, seen } = await serve(({ body }, res) => {
      if (body?.method === 'notifications/initialized') return res.writeHead(202).end();
      const result = body?.method === 'initialize' ? { protocolVersion: '2025-03-26', capabilities: {} } : { content: [], structuredContent: { data: workspaces } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: body?.id, result }));
    });
    expect(await withMcpClient(url, 'tok', listWorkspaces)).toEqual(workspaces);
    expect(seen.map((s) => s.method)).toEqual(['POST', 'POST', 'POST']);
    expect(seen[2]!.headers['mcp-protocol-version']).toBe('2025-03-26');
  });

  it('a 401 or 403 on initialize is a rejected token', async () => {
    for (const status of [401, 403]) {
      const { url } = await serve((_seen, res) => res.writeHead(status, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}'));
      const error = await withMcpClient(url, 'bad', listWorkspaces).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenRejectedError);
      expect((error as TokenRejectedError).status).toBe(status);
      server!.close();
    }
  });

  it('a tool answering isError is a ToolCallError with its text; a JSON-RPC error and an HTTP error name the call', async () => {
    let mode: 'isError' | 'rpc' | 'http' = 'isError';
    const { url } = await serve(({ body }, res) => {
      if (body?.method === 'notifications/initialized') return res.writeHead(202).end();
      if (body?.method === 'initialize') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-06-18' } }));
      if (mode === 'http') return res.writeHead(500).end('boom');
      const reply = mode === 'rpc' ? { error: { code: -32601, message: 'Unknown tool' } } : { result: { content: [{ type: 'text', text: 'forbidden: no workspace' }], isError: true } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: body?.id, ...reply }));
    });
    const toolError = await withMcpClient(url, 'tok', listWorkspaces).catch((e: unknown) => e);
    expect(toolError).toBeInstanceOf(ToolCallError);
    expect((toolError as Error).message).toBe('forbidden: no workspace');
    mode = 'rpc';
    await expect(withMcpClient(url, 'tok', listWorkspaces)).rejects.toThrow('tools/call list_workspaces: Unknown tool (JSON-RPC error -32601)');
    mode = 'http';
    await expect(withMcpClient(url, 'tok', listWorkspaces)).rejects.toThrow('tools/call list_workspaces: HTTP 500 boom');
  });

  it('a stopped server fails as fetch fails, so the callers can name the cause', async () => {
    const { url } = await serve((_seen, res) => res.end());
    server!.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = (await withMcpClient(url, 'tok', listWorkspaces).catch((e: unknown) => e)) as Error & { cause?: { code?: string } };
    expect(error.message).toBe('fetch failed');
    expect(error.cause?.code).toBe('ECONNREFUSED');
  });
});
