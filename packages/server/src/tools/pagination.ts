import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql, type Expression, type SqlBool } from 'kysely';
import { z } from 'zod';
import { invalidArgument } from '../core/errors.js';

export const limitSchema = z
  .number()
  .int()
  .min(1)
  .max(100)
  .default(20)
  .describe('Maximum number of items to return (1-100, default 20).');

export const cursorSchema = z
  .string()
  .min(1)
  .max(1024)
  .optional()
  .describe('Opaque cursor from a previous page\'s next_cursor, to fetch the next page. Only valid with the same tool, workspace and filters.');

export const paginationShape = { limit: limitSchema, cursor: cursorSchema };

/** Output schema of every list or search tool. */
export function pageSchema<Item extends z.ZodType>(item: Item) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as cursor to get the next page; null on the last page.'),
    has_more: z.boolean(),
  });
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
  has_more: boolean;
}

/**
 * The query a cursor belongs to: a cursor only continues the same tool, workspace and filters.
 * Anything else would silently return a page of a different result set.
 */
export interface CursorScope {
  tool: string;
  workspaceId: string;
  filters: Record<string, unknown>;
}

/** A position in a result: the sort values of the last row returned. */
export type Position = Array<string | number | null>;

function scopeDigest(scope: CursorScope): string {
  // workspace_id is left out because workspaceId (the resolved id) is in the digest: the slug
  // and the id name the same workspace, so a cursor continues whichever the next call uses.
  const filters = Object.keys(scope.filters)
    .filter((k) => scope.filters[k] !== undefined && k !== 'cursor' && k !== 'limit' && k !== 'workspace_id')
    .sort()
    .map((k) => [k, scope.filters[k]]);
  return JSON.stringify([scope.tool, scope.workspaceId, filters]);
}

function sign(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, 16);
}

/**
 * Cursors are `base64url(json).base64url(mac)`: the MAC (HMAC-SHA256 over the payload and
 * the query's scope) makes them tamper-proof and bound to one query, so a forged or
 * transplanted cursor is refused rather than used to read past a filter.
 */
export function encodeCursor(key: Buffer, scope: CursorScope, position: Position): string {
  const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
  return `${payload}.${sign(key, `${payload}|${scopeDigest(scope)}`).toString('base64url')}`;
}

export function decodeCursor(key: Buffer, scope: CursorScope, cursor: string): Position {
  const invalid = invalidArgument(
    'cursor is not valid for this query: pass next_cursor from the previous page of the same tool, workspace and filters.',
  );
  const [payload, mac, extra] = cursor.split('.');
  if (!payload || !mac || extra !== undefined) throw invalid;
  const expected = sign(key, `${payload}|${scopeDigest(scope)}`);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
  try {
    const position: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (Array.isArray(position)) return position as Position;
  } catch {
    // fall through: a correctly signed but unparsable cursor cannot happen unless the key leaked
  }
  throw invalid;
}

/**
 * Keyset condition "row comes after `position`" for an ordering on (column, seq), both in
 * `direction`. seq is unique, so the order is total and pages never repeat or skip a row,
 * even while rows are inserted. `column` must be NOT NULL: dialects disagree on where
 * NULLs sort.
 */
export function afterPosition(
  column: string,
  seqColumn: string,
  direction: 'asc' | 'desc',
  position: Position,
): Expression<SqlBool> {
  const [value, seq] = position;
  const op = sql.raw(direction === 'asc' ? '>' : '<');
  return sql<SqlBool>`(${sql.ref(column)} ${op} ${value} OR (${sql.ref(column)} = ${value} AND ${sql.ref(seqColumn)} ${op} ${seq}))`;
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only tells whether there is more.
 * `positionOf` gives the sort values of a row for the next cursor.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  map: (row: Row) => Item,
  cursor: { key: Buffer; scope: CursorScope; positionOf: (row: Row) => Position },
): Page<Item> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(map),
    next_cursor: hasMore && last !== undefined ? encodeCursor(cursor.key, cursor.scope, cursor.positionOf(last)) : null,
    has_more: hasMore,
  };
}
