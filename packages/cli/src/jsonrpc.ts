/**
 * The few JSON-RPC 2.0 shapes the CLI looks at (in the bridge's relay and the commands' MCP client);
 * everything else passes through untouched.
 */

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

export function isResponse(message: JsonRpcMessage): boolean {
  return message.method === undefined && message.id !== undefined && ('result' in message || 'error' in message);
}

/** True for a plain object that looks like one JSON-RPC 2.0 message. */
export function isJsonRpcMessage(value: unknown): value is JsonRpcMessage {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { jsonrpc?: unknown }).jsonrpc === '2.0';
}
