import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
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

/** Connects an MCP SDK client with this bearer token (initialize included), runs `fn`, and closes. */
export async function withMcpClient<T>(url: string, token: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ name: 'conduit-mcp', version: CLI_VERSION });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  try {
    await client.connect(transport);
  } catch (error) {
    if (error instanceof StreamableHTTPError && (error.code === 401 || error.code === 403)) throw new TokenRejectedError(error.code);
    throw error;
  }
  try {
    return await fn(client);
  } finally {
    await client.close().catch(() => {});
  }
}

/** The workspaces `list_workspaces` returns for this token. */
export async function listWorkspaces(client: Client): Promise<Workspace[]> {
  const result = await client.callTool({ name: 'list_workspaces', arguments: {} });
  if (result.isError) {
    const content = Array.isArray(result.content) ? result.content : [];
    const text = content.map((item) => (item && typeof item === 'object' && 'text' in item ? String(item.text) : '')).join(' ').trim();
    throw new ToolCallError('list_workspaces', text || 'list_workspaces failed');
  }
  const data = (result.structuredContent as { data?: Workspace[] } | undefined)?.data;
  return Array.isArray(data) ? data : [];
}
