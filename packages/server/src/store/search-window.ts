import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { TimeRange } from './search.js';

/**
 * Where a time window's messages are in the full-text index. Both dialects index messages under
 * their `seq` (FTS5 rowid, the tsvector side table's key), and message_time_buckets keeps, per
 * workspace and hour, the lowest and highest seq written for that hour (see the 0008
 * migrations). A search over a window then reads the index between those bounds only, and its
 * cost follows the matches in the window instead of every match in the workspace. The bounds
 * are always right; they are narrow when seq follows time, as it does for messages written as
 * they happen (and for the demo data, written in time order).
 */

export const HOUR_MS = 3_600_000;

export interface SeqRange {
  minSeq: number;
  maxSeq: number;
}

/** Consecutive hours of a workspace's messages: their seq range and how many were written. */
export interface Bucket extends SeqRange {
  fromHour: number;
  toHour: number;
  messages: number;
}

export function hourOf(iso: string): number {
  return Math.floor(Date.parse(iso) / HOUR_MS);
}

export function hourStart(hour: number): string {
  return new Date(hour * HOUR_MS).toISOString();
}

/** The hours a window touches, both ends included (`before` is exclusive, so its own hour may not be). */
function hours(range: TimeRange): { first: number | undefined; last: number | undefined } {
  return {
    first: range.after === undefined ? undefined : hourOf(range.after),
    last: range.before === undefined ? undefined : Math.floor((Date.parse(range.before) - 1) / HOUR_MS),
  };
}

/**
 * The seq range holding every message of the workspace created in the window, or null when no
 * message was ever written in it.
 */
export async function windowSeqRange(db: Kysely<Database>, workspaceId: string, range: TimeRange): Promise<SeqRange | null> {
  const { first, last } = hours(range);
  let query = db
    .selectFrom('message_time_buckets')
    .select((eb) => [eb.fn.min<number>('min_seq').as('minSeq'), eb.fn.max<number>('max_seq').as('maxSeq')])
    .where('workspace_id', '=', workspaceId);
  if (first !== undefined) query = query.where('hour', '>=', first);
  if (last !== undefined) query = query.where('hour', '<=', last);
  const row = await query.executeTakeFirst();
  if (row?.minSeq === null || row?.minSeq === undefined || row.maxSeq === null) return null;
  return { minSeq: Number(row.minSeq), maxSeq: Number(row.maxSeq) };
}

/**
 * How the window is read, newest first: hour by hour for its first two days (a common word
 * fills a ranking within hours), then a day, then a week at a time (the grouping is done by the
 * database: a year of hours is 8,760 rows, and a rare phrase reads the window in a few large
 * slices anyway). `hours` is the length of one group, `groups` how many a query reads, counted
 * back from the newest hour left (fewer where hours hold no message). The first query of weeks
 * reads eight: a phrase found a few times a day fills the cap within weeks, and grouping 64
 * weeks of hours for it cost more than its slices' seek (1–2 ms for the demo's half year).
 */
const LEVELS = [
  { hours: 1, groups: 48 },
  { hours: 24, groups: 14 },
  { hours: 168, groups: 8 },
  { hours: 168, groups: 64 },
] as const;

/** The window's buckets, newest first, hours first and then days and weeks, read as they are needed. */
export class BucketsNewestFirst {
  private page: Bucket[] = [];
  private readonly first: number | undefined;
  /** Hours below this are still to be read. */
  private below: number | undefined;
  private level = 0;
  private exhausted = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly workspaceId: string,
    range: TimeRange,
  ) {
    const { first, last } = hours(range);
    this.first = first;
    this.below = last === undefined ? undefined : last + 1;
  }

  /** The next older bucket, or undefined when the window has no more. */
  async next(): Promise<Bucket | undefined> {
    if (this.page.length === 0 && !this.exhausted) await this.read();
    return this.page.shift();
  }

  /** The next older bucket without taking it. */
  async peek(): Promise<Bucket | undefined> {
    if (this.page.length === 0 && !this.exhausted) await this.read();
    return this.page[0];
  }

  private async read(): Promise<void> {
    const { hours: size, groups } = LEVELS[this.level] as (typeof LEVELS)[number];
    // The groups are counted back from the newest hour left in the window (one seek of the
    // primary key), and only their hours are read: a far-off `created_before` or a quiet stretch
    // costs nothing, and a read no longer aggregates every older hour of the workspace to keep
    // the newest few groups.
    let newest = this.db
      .selectFrom('message_time_buckets')
      .select((eb) => eb.fn.max<number>('hour').as('hour'))
      .where('workspace_id', '=', this.workspaceId);
    if (this.first !== undefined) newest = newest.where('hour', '>=', this.first);
    if (this.below !== undefined) newest = newest.where('hour', '<', this.below);
    const top = (await newest.executeTakeFirst())?.hour;
    if (top === null || top === undefined) {
      this.exhausted = true;
      return;
    }
    const from = Math.max(this.first ?? Number.NEGATIVE_INFINITY, (Math.floor(Number(top) / size) - groups + 1) * size);
    // A literal: a bound number is a REAL to better-sqlite3 (a division with a remainder), and
    // PostgreSQL accepts the ORDER BY only as the very expression grouped by.
    const group = sql<number>`hour / ${sql.lit(size)}`;
    const rows = await this.db
      .selectFrom('message_time_buckets')
      .select((eb) => [
        eb.fn.min<number>('hour').as('fromHour'),
        eb.fn.max<number>('hour').as('toHour'),
        eb.fn.min<number>('min_seq').as('minSeq'),
        eb.fn.max<number>('max_seq').as('maxSeq'),
        eb.fn.sum<number>('messages').as('messages'),
      ])
      .where('workspace_id', '=', this.workspaceId)
      .where('hour', '>=', from)
      .where('hour', '<=', Number(top))
      .groupBy(group)
      .orderBy(group, 'desc')
      .execute();
    this.page = rows.map((r) => ({
      fromHour: Number(r.fromHour),
      toHour: Number(r.toHour),
      minSeq: Number(r.minSeq),
      maxSeq: Number(r.maxSeq),
      messages: Number(r.messages),
    }));
    this.below = from;
    this.exhausted = this.first !== undefined && from <= this.first;
    if (this.level < LEVELS.length - 1) this.level += 1;
  }
}
