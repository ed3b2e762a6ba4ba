import type { JsonRpcMessage, RequestId } from '../jsonrpc.js';

// What the bridge answers by itself, without the server: its JSON-RPC error codes and replies.

/**
 * Error codes the bridge itself answers with (JSON-RPC leaves -32000…-32099 to implementations).
 * `data.reason` carries the same information as a stable string for clients that branch on it.
 */
export const BRIDGE_ERROR = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  /** No usable credential: the user has to run `conduit-mcp login`. */
  LOGIN_REQUIRED: -32010,
  /** The server could not be reached, or answered with an unexpected HTTP error. */
  UPSTREAM_UNAVAILABLE: -32011,
  /** HTTP 429 that the bridge did not (or could not) wait out. */
  RATE_LIMITED: -32012,
} as const;

export function errorResponse(id: RequestId | null, code: number, message: string, data?: unknown): JsonRpcMessage {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** A tool result with isError, the way MCP reports a refused or failed call to the model. */
export function toolErrorResult(id: RequestId, code: string, message: string): JsonRpcMessage {
  return {
    jsonrpc: '2.0',
    id,
    result: { content: [{ type: 'text', text: `${code}: ${message}` }], isError: true, _meta: { 'conduit/error': { code, source: 'conduit-mcp' } } },
  };
}
