import { sql } from 'kysely';
import { prepared } from '../store/prepared.js';
import type { Store } from '../store/store.js';
import { decide, refillPerMs, type RateLimitDecision, type RateLimiter, type RateLimitPolicy } from './policy.js';

/**
 * A token bucket per key, kept in the database so every replica on it draws from the same
 * bucket. Refill and take happen in one conditional upsert: the row only changes when a token
 * is available, so concurrent requests on several processes can never overspend it.
 */
export function createRateLimiter(store: Store, policy: RateLimitPolicy): RateLimiter {
  const rate = refillPerMs(policy);
  const cap = policy.limit;
  const least = sql.raw(store.dialect === 'postgres' ? 'LEAST' : 'MIN');

  // Prepared: this runs on every MCP request. The CAST keeps PostgreSQL from typing the rate
  // parameter as bigint after updated_ms.
  const takeOne = prepared((db, v: { key: string; now: number }) => {
    const refilled = sql<number>`${least}(${cap}, rate_limit_buckets.tokens + (${v.now} - rate_limit_buckets.updated_ms) * CAST(${rate} AS DOUBLE PRECISION))`;
    const insert = db.insertInto('rate_limit_buckets');
    return (
      store.dialect === 'postgres'
        ? // A counter need not survive a crash, so its commit does not wait for the WAL flush:
          // without this every request on PostgreSQL would wait for an fsync. set_config(…, true)
          // applies to this statement's own transaction only; every other write stays durable.
          insert
            .columns(['key', 'tokens', 'updated_ms'])
            .expression(sql`SELECT ${v.key}, ${cap - 1}, ${v.now} FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed`)
        : insert.values({ key: v.key, tokens: cap - 1, updated_ms: v.now })
    )
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ tokens: sql<number>`${refilled} - 1`, updated_ms: v.now })
          .where(sql<boolean>`${refilled} >= 1`),
      )
      .returning('tokens');
  });

  async function take(key: string, now = Date.now()): Promise<RateLimitDecision> {
    const [taken] = (await takeOne(store.db, { key, now })).rows;
    if (taken) return decide(policy, true, taken.tokens);
    const row = await store.db.selectFrom('rate_limit_buckets').select(['tokens', 'updated_ms']).where('key', '=', key).executeTakeFirst();
    return decide(policy, false, row ? Math.min(cap, row.tokens + (now - row.updated_ms) * rate) : 0);
  }

  return { policy, take };
}
