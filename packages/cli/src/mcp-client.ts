import { parseSse } from './sse.js';
import { isJsonRpcMessage, type JsonRpcMessage } from './jsonrpc.js';
import { proxyFetch } from './proxy-fetch.js';
import { CLI_VERSION } from './version.js';

export interface Workspace {
  id: string;
  slug: string;
  name: string;
  role?: string;
}

/** The server rejected the token (HTTP 401/403 on initialize). */
export class TokenRejectedError extends Error {
  constructor(readonly status: number) {
    super(status === 401 ? 'the server rejected the token (HTTP 401: missing, expired or revoked)' : `the server refused the token (HTTP ${status})`);
    this.name = 'TokenRejectedError';
  }
}

/** A tool answered with isError; `message` is the server's text. */
export class ToolCallError extends Error {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToolCallError';
  }
}

/** What a tools/call answered (the fields the commands read). */
export interface ToolResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: boolean;
}

/** One initialized MCP session on the endpoint, for the commands' few tool calls. */
export interface McpSession {
  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult>;
}

const PROTOCOL_VERSION = '2025-06-18';
const TIMEOUT_MS = 30_000;

/**
 * Opens an MCP session with this bearer token (initialize, then notifications/initialized), runs
 * `fn`, and ends the session (DELETE). The commands (status, doctor, login --token-stdin) make one
 * tool call, so this speaks streamable HTTP itself — JSON or SSE answers — rather than carrying an
 * MCP SDK client (and the schema libraries it brings) into the package. Network failures are thrown
 * as fetch throws them, so the callers' network advice applies.
 */
export async function withMcpClient<T>(url: string, token: string, fn: (session: McpSession) => Promise<T>): Promise<T> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  let nextId = 0;
  const send = async (method: string, params: Record<string, unknown>, notification = false): Promise<Response> => {
    const message = notification ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', id: nextId++, method, params };
    return proxyFetch(url, { method: 'POST', headers, body: JSON.stringify(message), signal: AbortSignal.timeout(TIMEOUT_MS) });
  };

  const initialize = await send('initialize', { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'conduit-mcp', version: CLI_VERSION } });
  if (initialize.status === 401 || initialize.status === 403) {
    await initialize.body?.cancel();
    throw new TokenRejectedError(initialize.status);
  }
  const session = initialize.headers.get('mcp-session-id');
  if (session) headers['mcp-session-id'] = session;
  try {
    const init = await answer('initialize', 0, initialize);
    const version = (init as { protocolVersion?: unknown }).protocolVersion;
    headers['mcp-protocol-version'] = typeof version === 'string' ? version : PROTOCOL_VERSION;
    const initialized = await send('notifications/initialized', {}, true);
    await initialized.body?.cancel();
    if (!initialized.ok) throw new Error(`${url} answered HTTP ${initialized.status} to notifications/initialized`);
    return await fn({
      async callTool(name, args) {
        const id = nextId;
        return (await answer(`tools/call ${name}`, id, await send('tools/call', { name, arguments: args }))) as ToolResult;
      },
    });
  } finally {
    if (session) {
      await proxyFetch(url, { method: 'DELETE', headers, signal: AbortSignal.timeout(TIMEOUT_MS) })
        .then((closed) => closed.body?.cancel())
        .catch(() => {});
    }
  }
}

/** The result of request `id` from a JSON or SSE answer; an HTTP or JSON-RPC error is thrown. */
async function answer(what: string, id: number, response: Response): Promise<unknown> {
  if (!response.ok) {
    const text = (await response.text().catch(() => '')).trim();
    throw new Error(`${what}: HTTP ${response.status}${text ? ` ${text.slice(0, 200)}` : ''}`);
  }
  const type = response.headers.get('content-type') ?? '';
  let reply: JsonRpcMessage | undefined;
  if (type.includes('text/event-stream') && response.body) {
    for await (const event of parseSse(response.body)) {
      if (event.event !== 'message') continue;
      const message = parseMessage(event.data);
      if (message?.id === id) {
        reply = message;
        break;
      }
    }
    await response.body.cancel().catch(() => {});
  } else {
    const message = parseMessage(await response.text());
    if (message?.id === id) reply = message;
  }
  if (!reply) throw new Error(`${what}: the server's answer carried no response to request ${id}`);
  if (reply.error) throw new Error(`${what}: ${reply.error.message} (JSON-RPC error ${reply.error.code})`);
  if (typeof reply.result !== 'object' || reply.result === null) throw new Error(`${what}: the server's answer carried no result`);
  return reply.result;
}

function parseMessage(text: string): JsonRpcMessage | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonRpcMessage(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The workspaces `list_workspaces` returns for this token. */
export async function listWorkspaces(session: McpSession): Promise<Workspace[]> {
  const result = await session.callTool('list_workspaces', {});
  if (result.isError) {
    const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
    const text = content.map((item) => (item && typeof item === 'object' && 'text' in item ? String(item.text) : '')).join(' ').trim();
    throw new ToolCallError('list_workspaces', text || 'list_workspaces failed');
  }
  const data = (result.structuredContent as { data?: Workspace[] } | undefined)?.data;
  return Array.isArray(data) ? data : [];
}
