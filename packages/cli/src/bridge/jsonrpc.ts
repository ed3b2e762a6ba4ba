/** The few JSON-RPC 2.0 shapes the bridge needs to look at; everything else passes through untouched. */

export type RequestId = string | number;

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: RequestId | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: JsonRpcError;
}

export type JsonRpcRequest = JsonRpcMessage & { id: RequestId; method: string };

export function isRequest(message: JsonRpcMessage): message is JsonRpcRequest {
  return typeof message.method === 'string' && (typeof message.id === 'string' || typeof message.id === 'number');
}

export function isNotification(message: JsonRpcMessage): boolean {
  return typeof message.method === 'string' && message.id === undefined;
}

export function isResponse(message: JsonRpcMessage): boolean {
  return message.method === undefined && message.id !== undefined && ('result' in message || 'error' in message);
}

/** True for a plain object that looks like one JSON-RPC 2.0 message. */
export function isJsonRpcMessage(value: unknown): value is JsonRpcMessage {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { jsonrpc?: unknown }).jsonrpc === '2.0';
}

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
