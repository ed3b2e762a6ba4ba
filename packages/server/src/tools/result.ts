import type { ToolError } from '../core/errors.js';

/** The result of tools/call as MCP defines it (2025-06-18). */
export interface CallToolResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/**
 * Error results carry no structuredContent: clients validate structuredContent against the
 * tool's outputSchema even on errors. The machine-readable code travels in `_meta` instead.
 */
export function errorResult(error: ToolError): CallToolResult {
  return {
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    isError: true,
    _meta: { 'conduit/error': { code: error.code, ...(error.details ?? {}) } },
  };
}

export function successResult(output: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(output) }], structuredContent: output };
}
