import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.js';
import type { ConversationHitSearch, TimeRange } from './search.js';
import { windowSeqRange, type SeqRange } from './search-window.js';

/** SQL fragments that both dialects' search engines build the same way. */

export function timeRange(column: RawBuilder<unknown>, range: TimeRange): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  if (range.after) parts.push(sql`AND ${column} >= ${range.after}`);
  if (range.before) parts.push(sql`AND ${column} < ${range.before}`);
  return parts.length ? sql.join(parts, sql` `) : sql``;
}

function likePrefix(path: string): string {
  return `${path.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
}

/** The nodes at these paths and everything below them (LIKE wildcards in titles are escaped). */
export function pathFilter(column: RawBuilder<unknown>, prefixes: readonly string[] | undefined): RawBuilder<unknown> {
  if (!prefixes || prefixes.length === 0) return sql``;
  const ors = prefixes.map((p) => sql`${column} = ${p} OR ${column} LIKE ${likePrefix(p)} ESCAPE '\\'`);
  return sql`AND (${sql.join(ors, sql` OR `)})`;
}

export function inList(values: readonly string[]): RawBuilder<unknown> {
  return sql.join(values.map((v) => sql`${v}`));
}

/** Scores are "lower ranks first" in both dialects; expose 0–1 with the best hit at 1. */
export function withRelevance<T extends { score: number }>(
  rows: T[],
): Array<Omit<T, 'score'> & { relevance_score: number }> {
  const best = rows.reduce((min, row) => Math.min(min, row.score), 0);
  return rows.map(({ score, ...rest }) => ({
    ...rest,
    relevance_score: best === 0 ? 0 : Math.round((score / best) * 1000) / 1000,
  }));
}

/**
 * Up to this many messages in a page's conversations, a search finds their matches from those
 * messages: PostgreSQL tests each of them against the query (≈ 20 µs a message), SQLite walks
 * the index only between the lowest and highest of them and keeps their entries (FTS5 answers
 * a lookup of one row far more slowly than it walks a range). Beyond it, by walking every match
 * of the query in the window and keeping those in the page. Neither planner can tell which is
 * cheaper — the second grows with the query's matches in the whole window (13 ms for a common
 * word at 1M messages, against about 1 ms for the first with a page of 20 conversations) — so the
 * conversations' message counts decide.
 */
const SMALL_PAGE_MESSAGES = 2000;

export async function pageIsSmall(db: Kysely<Database>, conversationIds: readonly string[]): Promise<boolean> {
  const [counted] = await db
    .selectFrom('conversations')
    .select((eb) => eb.fn.sum<number>('message_count').as('n'))
    .where('id', 'in', conversationIds)
    .execute();
  return Number(counted?.n ?? 0) <= SMALL_PAGE_MESSAGES;
}

/**
 * For a walk over the index's matches in a time window: the seq range holding the window's
 * messages (undefined without a window), or null when the window holds no message.
 */
export async function matchRange(db: Kysely<Database>, p: ConversationHitSearch): Promise<SeqRange | null | undefined> {
  if (p.created.after === undefined && p.created.before === undefined) return undefined;
  return windowSeqRange(db, p.workspaceId, p.created);
}
