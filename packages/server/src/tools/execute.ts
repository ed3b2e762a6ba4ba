import type { z } from 'zod';
import type { AnyTool, ToolContext } from './define.js';
import { ToolError } from './errors.js';

/** The result of tools/call as MCP defines it (2025-06-18). */
export interface CallToolResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/** Describes zod issues as one sentence naming each bad argument. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'arguments'}: ${issue.message}`)
    .join('; ');
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

/**
 * Validates arguments, runs the handler and validates what it returns. The output parse also
 * strips anything the schema does not declare, so an internal column can never leak into a
 * result. ToolErrors become `isError` results; anything else propagates to the caller, which
 * logs it and answers with a generic internal error.
 */
export async function executeTool(tool: AnyTool, rawArgs: unknown, ctx: ToolContext): Promise<CallToolResult> {
  const parsed = tool.input.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    return errorResult(new ToolError('invalid_argument', describeIssues(parsed.error)));
  }
  try {
    const output = tool.output.parse(await tool.handler(parsed.data, ctx)) as Record<string, unknown>;
    return successResult(output);
  } catch (error) {
    if (error instanceof ToolError) return errorResult(error);
    throw error;
  }
}
