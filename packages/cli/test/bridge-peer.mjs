#!/usr/bin/env node
// A real streamable-HTTP MCP server with sessions, built on the MCP SDK, for the bridge tests.
// The Conduit server is stateless and never talks first; this peer has what the bridge must also
// handle: Mcp-Session-Id sessions (and losing them), SSE responses with progress, a server-to-client
// request (elicitation), notifications on the GET stream, 401 after token expiry, 429 with
// Retry-After, and a connection dropped after a write was performed.
//
// Usage: node bridge-peer.mjs [--port N]  → prints "peer listening <port>".
// Control: POST /admin/<command> with a JSON body (see `admin` below); GET /admin/state.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

const state = {
  acceptedTokens: new Set((process.env.PEER_TOKENS ?? 'peer-token-1').split(',')),
  /** Every MCP POST: what the bridge sent (never the token itself). */
  requests: [],
  /** send_note deliveries, by idempotency key (or a random one without a key). */
  deliveries: [],
  replays: 0,
  rateLimit: { remaining: 0, retryAfter: '1' },
  dropAfterCall: new Set(),
  deletes: 0,
};
const notesByKey = new Map();
const sessions = new Map();

function buildServer() {
  const server = new McpServer({ name: 'bridge-peer', version: '1.0.0' }, { capabilities: { logging: {} } });
  const read = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
  server.registerTool(
    'list_workspaces',
    { description: 'Lists workspaces.', inputSchema: {}, annotations: { title: 'List workspaces', ...read } },
    async () => ({ content: [{ type: 'text', text: JSON.stringify({ data: [{ id: 'wp_1', slug: 'acme-hotels' }] }) }] }),
  );
  server.registerTool(
    'get_thing',
    {
      description: 'Echoes its arguments.',
      inputSchema: { workspace_id: z.string().describe('Workspace id or slug.'), thing_id: z.string() },
      annotations: { title: 'Get thing', ...read },
    },
    async (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }], structuredContent: args }),
  );
  server.registerTool(
    'slow_count',
    {
      description: 'Counts to n, sending a progress notification per step.',
      inputSchema: { n: z.number().int().min(1).max(20) },
      annotations: { title: 'Slow count', ...read },
    },
    async ({ n }, extra) => {
      for (let i = 1; i <= n; i++) {
        const token = extra._meta?.progressToken;
        if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: n } });
        // Spaced out so each notification leaves on its own, as a slow tool's would: the relay is
        // tested on notifications that arrive one by one, not in one chunk with the answer.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return { content: [{ type: 'text', text: `counted to ${n}` }] };
    },
  );
  server.registerTool(
    'ask_name',
    { description: 'Asks the user for a name (elicitation).', inputSchema: {}, annotations: { title: 'Ask name', ...read } },
    async (_args, extra) => {
      // Sent as part of this call, so it travels on the call's SSE response stream.
      const answer = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: { message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
        },
        ElicitResultSchema,
      );
      return { content: [{ type: 'text', text: `hello ${answer.content?.name ?? '?'} (${answer.action})` }] };
    },
  );
  server.registerTool(
    'send_note',
    {
      description: 'Delivers a note (a write that reaches a person).',
      inputSchema: { workspace_id: z.string(), body: z.string(), idempotency_key: z.string().optional() },
      annotations: { title: 'Send note', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    async (args, extra) => {
      const key = args.idempotency_key ?? extra.requestInfo?.headers?.['idempotency-key'];
      if (key !== undefined && notesByKey.has(key)) {
        state.replays += 1;
        return notesByKey.get(key);
      }
      const note = { id: `note_${state.deliveries.length + 1}`, body: args.body, workspace_id: args.workspace_id, key: key ?? null };
      state.deliveries.push(note);
      const result = { content: [{ type: 'text', text: JSON.stringify(note) }], structuredContent: note };
      if (key !== undefined) notesByKey.set(key, result);
      return result;
    },
  );
  return server;
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function admin(req, res, command) {
  const body = (await readJson(req)) ?? {};
  switch (command) {
    case 'state':
      return json(res, 200, {
        requests: state.requests,
        deliveries: state.deliveries,
        replays: state.replays,
        sessions: sessions.size,
        deletes: state.deletes,
      });
    case 'tokens':
      state.acceptedTokens = new Set(body.accept);
      return json(res, 200, {});
    case 'drop-sessions':
      for (const { transport } of sessions.values()) await transport.close();
      sessions.clear();
      return json(res, 200, {});
    case 'rate-limit':
      state.rateLimit = { remaining: body.count, retryAfter: String(body.retryAfter) };
      return json(res, 200, {});
    case 'drop-after-call':
      state.dropAfterCall.add(body.tool);
      return json(res, 200, {});
    case 'notify':
      for (const { server } of sessions.values()) await server.sendLoggingMessage({ level: 'info', data: body.data });
      return json(res, 200, {});
    default:
      return json(res, 404, { error: 'unknown admin command' });
  }
}

async function mcp(req, res) {
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token || !state.acceptedTokens.has(token)) {
    return json(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
  const sessionId = req.headers['mcp-session-id'];
  if (req.method === 'DELETE') state.deletes += 1;
  const body = req.method === 'POST' ? await readJson(req) : undefined;
  if (req.method === 'POST') {
    state.requests.push({
      method: body?.method ?? null,
      id: body?.id ?? null,
      tool: body?.params?.name ?? null,
      arguments: body?.params?.arguments ?? null,
      session: sessionId ?? null,
      protocolVersion: req.headers['mcp-protocol-version'] ?? null,
      idempotencyKey: req.headers['idempotency-key'] ?? null,
      clientInfo: body?.params?.clientInfo ?? null,
    });
    if (state.rateLimit.remaining > 0) {
      state.rateLimit.remaining -= 1;
      return json(res, 429, { error: 'rate_limited' }, { 'retry-after': state.rateLimit.retryAfter });
    }
  }
  if (body?.method === 'initialize') {
    const server = buildServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => sessions.set(id, { server, transport }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(req, res, body);
  }
  const session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
  if (!session) {
    return json(res, sessionId ? 404 : 400, { jsonrpc: '2.0', id: body?.id ?? null, error: { code: -32001, message: 'Session not found' } });
  }
  if (body?.method === 'tools/call' && state.dropAfterCall.has(body.params?.name)) {
    // Perform the call, then lose the connection before the answer gets out.
    state.dropAfterCall.delete(body.params.name);
    res.writeHead = () => res;
    res.write = () => true;
    res.flushHeaders = () => {};
    res.end = () => {
      req.socket.destroy();
      return res;
    };
  }
  return session.transport.handleRequest(req, res, body);
}

const http = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://peer');
  const handler = url.pathname.startsWith('/admin/') ? admin(req, res, url.pathname.slice(7)) : url.pathname === '/mcp' ? mcp(req, res) : json(res, 404, {});
  Promise.resolve(handler).catch((error) => {
    process.stderr.write(`peer error: ${error.stack ?? error}\n`);
    if (!res.headersSent) json(res, 500, { error: String(error) });
  });
});
http.listen(Number(values.port), '127.0.0.1', () => process.stdout.write(`peer listening ${http.address().port}\n`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
