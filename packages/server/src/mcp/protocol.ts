import { z } from 'zod';
import type { CallContext } from '../tools/define.js';
import { executeTool } from '../tools/execute.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { CallToolResult } from '../tools/result.js';
import { SERVER_ICONS } from '../icons.js';
import { complete } from './completions.js';
import { InvalidParamsError, type PromptContext } from './prompt-arguments.js';
import { createPromptCatalog } from './prompts.js';

/**
 * The MCP methods this server answers, as a stateless JSON-RPC dispatcher. We answer them
 * directly instead of building an SDK McpServer per request: the tool and prompt lists and the
 * tools' JSON schemas are built once at start-up and a call costs one parse, one handler and one
 * stringify.
 */

/** What a client asking for a version we do not know is offered (the spec: our latest). */
export const LATEST_PROTOCOL_VERSION = '2025-11-25';
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'];

export const JSONRPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

export type RequestId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: RequestId | undefined;
  method: string;
  params?: Record<string, unknown> | undefined;
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: RequestId; result: unknown }
  | { jsonrpc: '2.0'; id: RequestId | null; error: { code: number; message: string; data?: unknown } };

export const jsonRpcMessageSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string(), z.number().int()]).optional(),
  method: z.string().min(1).max(200),
  params: z.record(z.string(), z.unknown()).optional(),
});

/**
 * A JSON-RPC response (to a server-to-client request); stateless mode never sends those, so they
 * are ignored. Exactly a response: a result or an error, no method, an id that is a string or an
 * integer (MCP), so a request with a malformed id is refused rather than taken for a response.
 */
export const jsonRpcResponseSchema = z
  .object({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string(), z.number().int()]),
    result: z.unknown().optional(),
    error: z.unknown().optional(),
  })
  .strict()
  .refine((message) => ('result' in message) !== ('error' in message));

/** Why a message that is neither a valid request nor a response is refused, for the -32600 error. */
export function invalidMessageReason(raw: unknown): string {
  if (typeof raw !== 'object' || raw === null) return 'Invalid JSON-RPC request: the body must be one JSON-RPC message (an object)';
  const { jsonrpc, id } = raw as Record<string, unknown>;
  if (jsonrpc !== '2.0') return 'Invalid JSON-RPC request: "jsonrpc" must be "2.0"';
  if (id !== undefined && typeof id !== 'string' && !Number.isInteger(id)) return 'Invalid JSON-RPC request: "id" must be a string or an integer';
  return 'Invalid JSON-RPC request';
}

export function rpcError(id: RequestId | null, code: number, message: string, data?: unknown): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

const callParamsSchema = z.object({
  name: z.string().min(1).max(200),
  arguments: z.record(z.string(), z.unknown()).optional(),
  _meta: z.record(z.string(), z.unknown()).optional(),
});

const initializeParamsSchema = z.object({
  protocolVersion: z.string(),
  capabilities: z.record(z.string(), z.unknown()).optional(),
  clientInfo: z.object({ name: z.string(), version: z.string() }).passthrough().optional(),
});

export interface ServerIdentity {
  name: string;
  version: string;
  instructions: string;
}

export interface ProtocolHandler {
  /** Answers one request, or null for a notification. `context` is built only when a tool runs. */
  handle(message: JsonRpcRequest, context: () => CallContext): Promise<JsonRpcResponse | null>;
}

export function negotiateVersion(requested: string): string {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

/** serverInfo.description (MCP 2025-11-25), shown by clients next to the server's name. */
const SERVER_DESCRIPTION = 'Support data over MCP: contacts, conversations, tickets, calls, appointments, reservations, knowledge base, agents and skills.';

export function createProtocolHandler(registry: ToolRegistry, identity: ServerIdentity): ProtocolHandler {
  const toolsList = { tools: registry.listed };
  const prompts = createPromptCatalog();
  const promptsList = { prompts: prompts.listed };
  const promptContext = (context: () => CallContext): PromptContext => {
    const { credential, data, now } = context();
    return { credential, db: data.db, now };
  };

  /** prompts/get and completion/complete: a bad argument or unknown prompt is -32602 with what to fix. */
  async function answer(id: RequestId, run: () => Promise<unknown>): Promise<JsonRpcResponse> {
    try {
      return { jsonrpc: '2.0', id, result: await run() };
    } catch (error) {
      if (error instanceof InvalidParamsError) return rpcError(id, JSONRPC.INVALID_PARAMS, error.message);
      throw error;
    }
  }

  async function handle(message: JsonRpcRequest, context: () => CallContext): Promise<JsonRpcResponse | null> {
    const { id, method } = message;
    if (id === undefined) return null; // notifications (initialized, cancelled…) need no answer
    switch (method) {
      case 'initialize': {
        const params = initializeParamsSchema.safeParse(message.params ?? {});
        if (!params.success) return rpcError(id, JSONRPC.INVALID_PARAMS, 'initialize needs protocolVersion');
        return {
          jsonrpc: '2.0',
          id,
          result: {
            protocolVersion: negotiateVersion(params.data.protocolVersion),
            capabilities: { tools: { listChanged: false }, prompts: { listChanged: false }, completions: {} },
            serverInfo: { name: identity.name, title: 'Conduit', version: identity.version, description: SERVER_DESCRIPTION, icons: SERVER_ICONS },
            instructions: identity.instructions,
          },
        };
      }
      case 'ping':
        return { jsonrpc: '2.0', id, result: {} };
      case 'tools/list':
        return { jsonrpc: '2.0', id, result: toolsList };
      case 'tools/call': {
        const params = callParamsSchema.safeParse(message.params ?? {});
        if (!params.success) return rpcError(id, JSONRPC.INVALID_PARAMS, 'tools/call needs params.name (string) and params.arguments (object)');
        const tool = registry.get(params.data.name);
        if (!tool) return rpcError(id, JSONRPC.INVALID_PARAMS, `Unknown tool: ${params.data.name}`);
        const result: CallToolResult = await executeTool(tool, params.data.arguments ?? {}, context());
        return { jsonrpc: '2.0', id, result };
      }
      case 'prompts/list':
        // One page holds every prompt: a cursor can only be one we never issued.
        if (message.params?.cursor !== undefined) return rpcError(id, JSONRPC.INVALID_PARAMS, 'Invalid cursor: prompts/list returns every prompt on its first page');
        return { jsonrpc: '2.0', id, result: promptsList };
      case 'prompts/get':
        return answer(id, () => prompts.get(message.params, promptContext(context)));
      case 'completion/complete':
        return answer(id, () => complete(message.params, prompts, promptContext(context)));
      default:
        return rpcError(id, JSONRPC.METHOD_NOT_FOUND, `Method not found: ${method}`);
    }
  }

  return { handle };
}
