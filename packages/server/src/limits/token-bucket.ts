import { sql, type Kysely } from 'kysely';
import { prepared } from '../store/prepared.js';
import type { BucketDatabase } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { decide, MAX_WINDOW_SECONDS, refillPerMs, type BucketStore, type RateLimitDecision, type RateLimitPolicy } from './policy.js';

/**
 * Token buckets kept beside the data (table rate_limit_buckets of Store.bucketDb: the PostgreSQL
 * database, or the SQLite database's bucket file), so every replica on it draws from the same
 * buckets. Refill and take happen in one conditional upsert: the row only changes when a token
 * is available, so concurrent requests on several processes can never overspend it.
 * A bucket is stored as its token count at `updated_ms`; no row is a full bucket.
 */
export function createDatabaseBuckets(store: Store): BucketStore {
  const db = store.bucketDb();
  const least = sql.raw(store.dialect === 'postgres' ? 'LEAST' : 'MIN');
  const double = (value: unknown) => sql<number>`CAST(${value} AS DOUBLE PRECISION)`;

  // Prepared: this runs on every MCP request. The casts keep PostgreSQL from typing the
  // parameters after the columns they meet (updated_ms is a bigint).
  const takeOne = prepared((on: Kysely<BucketDatabase>, v: { key: string; now: number; cap: number; rate: number; full: number }) => {
    const refilled = sql<number>`${least}(${double(v.cap)}, rate_limit_buckets.tokens + (${v.now} - rate_limit_buckets.updated_ms) * ${double(v.rate)})`;
    const insert = on.insertInto('rate_limit_buckets');
    return (
      store.dialect === 'postgres'
        ? // A counter need not survive a crash, so its commit does not wait for the WAL flush:
          // without this every request on PostgreSQL would wait for an fsync. set_config(…, true)
          // applies to this statement's own transaction only; every other write stays durable.
          insert
            .columns(['key', 'tokens', 'updated_ms'])
            .expression(sql`SELECT ${v.key}, ${double(v.full)}, ${v.now} FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed`)
        : insert.values({ key: v.key, tokens: v.full, updated_ms: v.now })
    )
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ tokens: sql<number>`${refilled} - 1`, updated_ms: v.now })
          .where(sql<boolean>`${refilled} >= 1`),
      )
      .returning('tokens');
  });

  return {
    async take(key: string, policy: RateLimitPolicy, now = Date.now()): Promise<RateLimitDecision> {
      const rate = refillPerMs(policy);
      const [taken] = (await takeOne(db, { key, now, cap: policy.limit, rate, full: policy.limit - 1 })).rows;
      if (taken) return decide(policy, true, taken.tokens);
      const row = await db.selectFrom('rate_limit_buckets').select(['tokens', 'updated_ms']).where('key', '=', key).executeTakeFirst();
      return decide(policy, false, row ? Math.min(policy.limit, row.tokens + (now - row.updated_ms) * rate) : 0);
    },

    async refund(key: string, policy: RateLimitPolicy, now = Date.now()): Promise<void> {
      const cap = double(policy.limit);
      const refilled = sql<number>`${least}(${cap}, tokens + (${now} - updated_ms) * ${double(refillPerMs(policy))})`;
      await db
        .updateTable('rate_limit_buckets')
        .set({ tokens: sql<number>`${least}(${cap}, ${refilled} + 1)`, updated_ms: now })
        .where('key', '=', key)
        .execute();
    },

    async reset(key: string): Promise<void> {
      await db.deleteFrom('rate_limit_buckets').where('key', '=', key).execute();
    },
  };
}

/**
 * Deletes buckets untouched for longer than any window: each is full by then, the same as no row.
 * Without it the per-address buckets of the OAuth limits would pile up, one per address ever seen.
 */
export async function pruneIdleBuckets(db: Kysely<BucketDatabase>, now = Date.now()): Promise<void> {
  await db.deleteFrom('rate_limit_buckets').where('updated_ms', '<', now - MAX_WINDOW_SECONDS * 1000).execute();
}
