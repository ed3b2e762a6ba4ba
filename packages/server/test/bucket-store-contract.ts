import { describe, expect, it } from 'vitest';
import { createLimiter, type BucketStore } from '../src/limits/policy.js';

/**
 * What every rate-limit backend must do, run against each of them (rate-limit.test.ts on the
 * database, rate-limit-redis.test.ts on Redis): the same decisions for the same takes, refunds
 * and resets. `buckets` is called inside each test, after the suite's set-up has run.
 */
export function describeBucketStore(label: string, buckets: () => BucketStore, other: () => BucketStore = buckets): void {
  describe(`${label}: token buckets`, () => {
    it('allows a burst of `limit`, then refills at limit/window', async () => {
      const limiter = createLimiter(buckets(), 'burst', { limit: 3, windowSeconds: 60 });
      const t0 = 1_000_000;
      const burst = [];
      for (let i = 0; i < 4; i++) burst.push(await limiter.take('k1', t0));
      expect(burst.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(burst.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
      expect(burst[3]!.retryAfter).toBe(20); // one token per 20 s
      expect((await limiter.take('k1', t0 + 19_000)).allowed).toBe(false);
      expect((await limiter.take('k1', t0 + 20_000)).allowed).toBe(true);
      expect((await limiter.take('k2', t0)).allowed).toBe(true); // subjects are independent
    });

    it('never overspends under concurrent takes, from one connection or two (as two replicas)', async () => {
      const policy = { limit: 10, windowSeconds: 3600 };
      const limiters = [createLimiter(buckets(), 'concurrent', policy), createLimiter(other(), 'concurrent', policy)];
      const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => limiters[i % 2]!.take('one', 5_000_000)));
      const allowed = decisions.filter((d) => d.allowed);
      expect(allowed).toHaveLength(10);
      expect(allowed.map((d) => d.remaining).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('keeps one bucket per limit name: the same subject under two names is counted twice', async () => {
      const policy = { limit: 1, windowSeconds: 60 };
      const a = createLimiter(buckets(), 'name-a', policy);
      const b = createLimiter(buckets(), 'name-b', policy);
      expect((await a.take('203.0.113.7', 3_000_000)).allowed).toBe(true);
      expect((await a.take('203.0.113.7', 3_000_000)).allowed).toBe(false);
      expect((await b.take('203.0.113.7', 3_000_000)).allowed).toBe(true);
    });

    it('refund gives one token back, never above the limit; reset makes the bucket full', async () => {
      const limiter = createLimiter(buckets(), 'refund', { limit: 2, windowSeconds: 60 });
      const t0 = 4_000_000;
      await limiter.take('s', t0);
      await limiter.take('s', t0);
      expect((await limiter.take('s', t0)).allowed).toBe(false);
      await limiter.refund('s', t0);
      expect(await limiter.take('s', t0)).toEqual({ allowed: true, remaining: 0, retryAfter: 0, reset: 60 });
      // Refunds beyond the limit are lost: three back on an empty bucket of two is a full bucket.
      for (let i = 0; i < 3; i++) await limiter.refund('s', t0);
      const after = [await limiter.take('s', t0), await limiter.take('s', t0), await limiter.take('s', t0)];
      expect(after.map((d) => d.allowed)).toEqual([true, true, false]);
      // A refund counts the refill up to now: 30 s is one token, plus the one given back.
      await limiter.refund('s', t0 + 30_000);
      expect((await limiter.take('s', t0 + 30_000)).remaining).toBe(1);
      await limiter.reset('s');
      expect((await limiter.take('s', t0 + 30_000)).remaining).toBe(1);
      // Refunding a bucket nobody took from changes nothing.
      await limiter.refund('untouched', t0);
      expect((await limiter.take('untouched', t0)).remaining).toBe(1);
    });

    it('refuses a policy it cannot keep', () => {
      expect(() => createLimiter(buckets(), 'long', { limit: 5, windowSeconds: 2 * 86_400 })).toThrow(/window must be between 1 second and 86400 seconds/);
      expect(() => createLimiter(buckets(), 'none', { limit: 0, windowSeconds: 60 })).toThrow(/limit must be a whole number of at least 1/);
      expect(() => createLimiter(buckets(), 'Bad Name', { limit: 1, windowSeconds: 60 })).toThrow(/lower-case letters/);
    });
  });
}
