import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import { invalidArgument } from '../core/errors.js';
import type { RankKey } from '../store/search.js';
import type { ToolContext } from './define.js';

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
interface CursorScope {
  tool: string;
  workspaceId: string;
  filters: Record<string, unknown>;
}

/** A position in a result: the sort values of the last row returned. */
type Position = Array<string | number | null>;

function scopeDigest(scope: CursorScope): string {
  // workspace_id is left out because workspaceId (the resolved id) is in the digest: the slug
  // and the id name the same workspace, so a cursor continues whichever the next call uses.
  const filters = Object.keys(scope.filters)
    .filter((k) => scope.filters[k] !== undefined && k !== 'cursor' && k !== 'limit' && k !== 'workspace_id')
    .sort()
    .map((k) => [k, scope.filters[k]]);
  return JSON.stringify([scope.tool, scope.workspaceId, filters]);
}

const INVALID_CURSOR = 'cursor is not valid for this query: pass next_cursor from the previous page of the same tool, workspace and filters.';

function sign(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, 16);
}

/**
 * Cursors are `base64url(json).base64url(mac)`: the MAC (HMAC-SHA256 over the payload and
 * the query's scope) makes them tamper-proof and bound to one query, so a forged or
 * transplanted cursor is refused rather than used to read past a filter.
 */
function encodeCursor(key: Buffer, scope: CursorScope, position: Position): string {
  const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
  return `${payload}.${sign(key, `${payload}|${scopeDigest(scope)}`).toString('base64url')}`;
}

function decodeCursor(key: Buffer, scope: CursorScope, cursor: string): Position {
  const invalid = invalidArgument(INVALID_CURSOR);
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
 * Keyset condition "row comes after `position`" for an ordering on `columns`, all in `direction`:
 * lexicographic, so (a, b) after (x, y) is a > x OR (a = x AND b > y). The last column is unique,
 * so the order is total and pages never repeat or skip a row, even while rows are inserted. The
 * columns must be NOT NULL: dialects disagree on where NULLs sort.
 */
function afterPosition(columns: readonly string[], direction: 'asc' | 'desc', position: Position): Expression<SqlBool> {
  const op = sql.raw(direction === 'asc' ? '>' : '<');
  const [column, ...rest] = columns;
  const [value, ...restValues] = position;
  if (column === undefined || value === undefined) throw invalidArgument(INVALID_CURSOR);
  const beyond = sql<SqlBool>`${sql.ref(column)} ${op} ${value}`;
  if (rest.length === 0) return sql<SqlBool>`(${beyond})`;
  return sql<SqlBool>`(${beyond} OR (${sql.ref(column)} = ${value} AND ${afterPosition(rest, direction, restValues)}))`;
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only tells whether there is more.
 * `positionOf` gives the sort values of a row for the next cursor.
 */
function toPage<Row, Item>(
  rows: readonly Row[],
  items: readonly Item[],
  limit: number,
  cursor: { key: Buffer; scope: CursorScope; positionOf: (row: Row) => Position },
): Page<Item> {
  const hasMore = rows.length > limit;
  const last = rows[Math.min(rows.length, limit) - 1];
  return {
    data: [...items],
    next_cursor: hasMore && last !== undefined ? encodeCursor(cursor.key, cursor.scope, cursor.positionOf(last)) : null,
    has_more: hasMore,
  };
}

/** What a page needs of the call: the tool running (a cursor is bound to it) and the signing key. */
export type PageContext = Pick<ToolContext, 'tool' | 'cursorKey'>;

/** A list tool's parsed arguments: its filters (which a cursor is bound to), limit and cursor. */
export type PageArgs = { limit: number; cursor?: string | undefined } & Record<string, unknown>;

/**
 * The order of a list: `column` (as the rows carry it), then `seq` (unique) to break ties, both in
 * `direction`. `table` is the alias that qualifies them in SQL when the query joins; `unique` says
 * the column alone is unique in the list, so it needs no tiebreak.
 */
export interface KeysetOrder<Row> {
  column: keyof Row & string;
  direction: 'asc' | 'desc';
  table?: string;
  unique?: boolean;
}

/**
 * One page of a list tool: continues after the cursor's position, orders by `order`, fetches one
 * row more than `args.limit` to know whether there is more, and signs the next cursor with the
 * sort values of the page's last row, bound to the tool, the workspace and the filters. Column and
 * direction are named once, here, so the condition, the ORDER BY and the cursor cannot disagree
 * (a mismatch would skip or repeat rows silently).
 */
export async function keysetPage<DB, TB extends keyof DB, Row, Item>(
  ctx: PageContext,
  workspaceId: string,
  args: PageArgs,
  query: SelectQueryBuilder<DB, TB, Row>,
  order: KeysetOrder<Row>,
  toItem: (row: Row) => Item,
): Promise<Page<Item>> {
  const scope: CursorScope = { tool: ctx.tool, workspaceId, filters: args };
  const columns: string[] = order.unique ? [order.column] : [order.column, 'seq'];
  const refs = columns.map((column) => (order.table ? `${order.table}.${column}` : column));
  if (args.cursor) query = query.where(afterPosition(refs, order.direction, decodeCursor(ctx.cursorKey, scope, args.cursor)));
  for (const ref of refs) query = query.orderBy(sql.ref(ref), order.direction);
  const rows = await query.limit(args.limit + 1).execute();
  const positionOf = (row: Row) => columns.map((column) => (row as Record<string, unknown>)[column] as Position[number]);
  return toPage(rows, rows.slice(0, args.limit).map(toItem), args.limit, { key: ctx.cursorKey, scope, positionOf });
}

/** Where a ranked search continues, and how much of it to fetch. */
export interface RankWindow {
  /** The rank of the previous page's last hit. */
  after: RankKey | undefined;
  /**
   * On a later page, the `since` its first page's ranking had (see ConversationSearch.since): its
   * time, or null when it ranked every match (as cursors written before rankings were limited
   * do); undefined on a first page.
   */
  since: string | null | undefined;
  /** How many hits to fetch: one more than the page, to know whether there is more. */
  limit: number;
  /** How many of them the page shows. */
  pageSize: number;
}

/**
 * One page of a search tool, ranked best first by the search engine: `search` fetches the hits
 * after the cursor's rank, `present` turns the page's hits (at most `args.limit`) into items, and
 * the next cursor holds the rank of the last one, and its `since` when the ranking has one.
 */
export async function rankedPage<Hit extends RankKey & { since?: string | undefined }, Item>(
  ctx: PageContext,
  workspaceId: string,
  args: PageArgs,
  search: (window: RankWindow) => Promise<Hit[]>,
  present: (hits: Hit[]) => Item[] | Promise<Item[]>,
): Promise<Page<Item>> {
  const scope: CursorScope = { tool: ctx.tool, workspaceId, filters: args };
  const { after, since } = args.cursor ? rankPosition(decodeCursor(ctx.cursorKey, scope, args.cursor)) : { after: undefined, since: undefined };
  const hits = await search({ after, since, limit: args.limit + 1, pageSize: args.limit });
  const items = await present(hits.slice(0, args.limit));
  const positionOf = (hit: Hit): Position => (hit.since === undefined ? [hit.score, hit.seq] : [hit.score, hit.seq, hit.since]);
  return toPage(hits, items, args.limit, { key: ctx.cursorKey, scope, positionOf });
}

function rankPosition(position: Position): { after: RankKey; since: string | null } {
  const [score, seq, since] = position;
  if (typeof score !== 'number' || typeof seq !== 'number' || (since !== undefined && since !== null && typeof since !== 'string')) throw invalidArgument(INVALID_CURSOR);
  return { after: { score, seq }, since: typeof since === 'string' ? since : null };
}
