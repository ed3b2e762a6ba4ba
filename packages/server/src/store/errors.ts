/** True for a unique/primary-key violation from either dialect (SQLite or PostgreSQL 23505). */
export function isUniqueViolation(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** PostgreSQL SQLSTATEs that mean "the database cannot serve this now", not "this query is wrong". */
const PG_UNAVAILABLE = /^(08|57P0[1-3]|53300)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True when a query failed because the database is busy or unreachable (SQLite locked by another
 * process; PostgreSQL restarting, refusing or dropping connections): the request did not happen
 * and the same request may succeed shortly, so the server answers 503 with Retry-After.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (/^SQLITE_(BUSY|LOCKED)/.test(code) || PG_UNAVAILABLE.test(code) || NETWORK_CODES.has(code))) return true;
  // pg reports a connection that died mid-query without a code.
  return /^Connection terminated|timeout exceeded when trying to connect|is not queryable/i.test(String((error as { message?: unknown }).message ?? ''));
}
