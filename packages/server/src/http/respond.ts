import type { ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/** A plain HTTP-level error body, shaped like an OAuth error so clients can read `error`. */
export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error, error_description: description }, headers);
}

/** What a client is told when the database is busy (SQLite locked) or unreachable (PostgreSQL down). */
export const DATABASE_UNAVAILABLE = 'The database is busy or unreachable; nothing was changed. Retry shortly.';

/** The database error in one line for the log (its stack says nothing useful about a lock or an outage). */
export function describeUnavailable(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return `${typeof code === 'string' ? `${code}: ` : ''}${String(message ?? error)}`;
}
