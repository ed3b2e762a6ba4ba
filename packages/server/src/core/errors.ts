/** The stable error codes a tool result can carry (`content[0].text` = `"<code>: <message>"`). */
export type ToolErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'forbidden'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_use'
  | 'conflict'
  | 'unavailable';

/**
 * A failure the caller can act on. Thrown anywhere below a tool handler and turned into an
 * `isError` result at the MCP boundary; any other exception becomes a generic internal error
 * whose details go to the log, not to the client.
 */
export class ToolError extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    /** Extra machine-readable detail, returned in the result's structuredContent. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

export function notFound(kind: string, id: string): ToolError {
  return new ToolError('not_found', `${kind} ${id} was not found in this workspace.`);
}

export function invalidArgument(message: string, details?: Record<string, unknown>): ToolError {
  return new ToolError('invalid_argument', message, details);
}
