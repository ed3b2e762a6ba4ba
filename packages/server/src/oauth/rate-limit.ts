import { sql } from 'kysely';
import type { Store } from '../store/store.js';

/**
 * Fixed-window counters in the database (table oauth_counters), so every replica on one
 * database counts the same requests. Used for per-IP limits on the OAuth endpoints and for
 * failed sign-in throttling.
 */
export interface Limit {
  /** Requests (or failures) allowed per window. */
  max: number;
  windowSeconds: number;
}

export interface LimitState {
  count: number;
  /** Seconds until the current window ends. */
  retryAfter: number;
}

function windowStart(now: Date, windowSeconds: number): Date {
  const size = windowSeconds * 1000;
  return new Date(Math.floor(now.getTime() / size) * size);
}

function stateOf(count: number, start: Date, limit: Limit, now: Date): LimitState {
  return { count, retryAfter: Math.max(1, Math.ceil((start.getTime() + limit.windowSeconds * 1000 - now.getTime()) / 1000)) };
}

/** Adds one to the counter and returns the new count for the current window. */
export async function hit(store: Store, key: string, limit: Limit, now = new Date()): Promise<LimitState> {
  const start = windowStart(now, limit.windowSeconds);
  const startIso = start.toISOString();
  const row = await store.db
    .insertInto('oauth_counters')
    .values({ key, window_start: startIso, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        // A counter from an earlier window starts over.
        count: sql<number>`CASE WHEN oauth_counters.window_start = ${startIso} THEN oauth_counters.count + 1 ELSE 1 END`,
        window_start: startIso,
      }),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  return stateOf(row.count, start, limit, now);
}

/** The current count without adding to it (0 when the stored window is over). */
export async function peek(store: Store, key: string, limit: Limit, now = new Date()): Promise<LimitState> {
  const start = windowStart(now, limit.windowSeconds);
  const row = await store.db.selectFrom('oauth_counters').select(['count', 'window_start']).where('key', '=', key).executeTakeFirst();
  const count = row && row.window_start === start.toISOString() ? row.count : 0;
  return stateOf(count, start, limit, now);
}

export async function reset(store: Store, key: string): Promise<void> {
  await store.db.deleteFrom('oauth_counters').where('key', '=', key).execute();
}
