import { sql } from 'kysely';
import type { Store } from '../store/store.js';

export interface RateLimitPolicy {
  /** Requests allowed per window (also the burst size). */
  limit: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Whole requests left right now. */
  remaining: number;
  /** Seconds until one more request is allowed (0 when allowed). */
  retryAfter: number;
  /** Seconds until the bucket is full again. */
  reset: number;
}

export interface RateLimiter {
  readonly policy: RateLimitPolicy;
  take(key: string, now?: number): Promise<RateLimitDecision>;
}

/**
 * A token bucket per key, kept in the database so every replica on it draws from the same
 * bucket. Refill and take happen in one conditional upsert: the row only changes when a token
 * is available, so concurrent requests on several processes can never overspend it.
 */
export function createRateLimiter(store: Store, policy: RateLimitPolicy): RateLimiter {
  const rate = policy.limit / (policy.windowSeconds * 1000); // tokens per millisecond
  const cap = policy.limit;
  const least = sql.raw(store.dialect === 'postgres' ? 'LEAST' : 'MIN');

  async function take(key: string, now = Date.now()): Promise<RateLimitDecision> {
    // The CAST keeps PostgreSQL from typing the rate parameter as bigint after updated_ms.
    const refilled = sql<number>`${least}(${cap}, rate_limit_buckets.tokens + (${now} - rate_limit_buckets.updated_ms) * CAST(${rate} AS DOUBLE PRECISION))`;
    const insert = store.db.insertInto('rate_limit_buckets');
    const taken = await (
      store.dialect === 'postgres'
        ? // A counter need not survive a crash, so its commit does not wait for the WAL flush:
          // without this every request on PostgreSQL would wait for an fsync. set_config(…, true)
          // applies to this statement's own transaction only; every other write stays durable.
          insert
            .columns(['key', 'tokens', 'updated_ms'])
            .expression(sql`SELECT ${key}, ${cap - 1}, ${now} FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed`)
        : insert.values({ key, tokens: cap - 1, updated_ms: now })
    )
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ tokens: sql<number>`${refilled} - 1`, updated_ms: now })
          .where(sql<boolean>`${refilled} >= 1`),
      )
      .returning('tokens')
      .executeTakeFirst();
    if (taken) {
      return { allowed: true, remaining: Math.floor(taken.tokens), retryAfter: 0, reset: Math.ceil((cap - taken.tokens) / rate / 1000) };
    }
    const row = await store.db.selectFrom('rate_limit_buckets').select(['tokens', 'updated_ms']).where('key', '=', key).executeTakeFirst();
    const tokens = row ? Math.min(cap, row.tokens + (now - row.updated_ms) * rate) : 0;
    // Integer seconds, rounded up, never 0: a client that waits exactly this long gets through.
    return { allowed: false, remaining: 0, retryAfter: Math.max(1, Math.ceil((1 - tokens) / rate / 1000)), reset: Math.ceil((cap - tokens) / rate / 1000) };
  }

  return { policy, take };
}

/** `RateLimit-Policy` and `RateLimit` response fields (IETF httpapi-ratelimit-headers draft). */
export function rateLimitHeaders(policy: RateLimitPolicy, decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'ratelimit-policy': `"workspace";q=${policy.limit};w=${policy.windowSeconds}`,
    ratelimit: `"workspace";r=${decision.remaining};t=${decision.allowed ? decision.reset : decision.retryAfter}`,
  };
  if (!decision.allowed) headers['retry-after'] = String(decision.retryAfter);
  return headers;
}
