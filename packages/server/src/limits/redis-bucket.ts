import type { Redis } from 'ioredis';
import { decide, RateLimiterUnavailableError, refillPerMs, type BucketStore, type RateLimitDecision, type RateLimitPolicy } from './policy.js';

/** Every bucket key starts with this, so the limiter's keys are easy to find and never clash with others. */
export const REDIS_KEY_PREFIX = 'conduit:rl:';

/**
 * Each operation is one script, which Redis runs atomically: replicas taking from the same bucket
 * at once are serialised by Redis, so the bucket can never be overspent. The same arithmetic as the
 * database buckets: a bucket starts full, refills linearly up to the cap, and changes only when a
 * token is taken or given back. The key expires once the bucket would be full again, when it is
 * the same as no key.
 *
 * KEYS[1] the bucket; ARGV capacity, refill rate (tokens per ms), now (ms). Counts go back as
 * strings, because Redis truncates Lua numbers in replies to integers.
 */
const REFILLED = `
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local tokens = cap
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated_ms')
if state[1] then
  tokens = math.min(cap, tonumber(state[1]) + (now - tonumber(state[2])) * rate)
end
`;

const STORE = `
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'updated_ms', ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((cap - tokens) / rate)))
`;

/** Returns {1 if a token was taken else 0, tokens left (or the refilled count that was too low)}. */
const TAKE_SCRIPT = `${REFILLED}
if tokens < 1 then
  return {0, string.format('%.17g', tokens)}
end
tokens = tokens - 1
${STORE}
return {1, string.format('%.17g', tokens)}
`;

/** A bucket with no key is full: nothing to give back. */
const REFUND_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
${REFILLED}
tokens = math.min(cap, tokens + 1)
if tokens >= cap then
  redis.call('DEL', KEYS[1])
  return 1
end
${STORE}
return 1
`;

const TAKE = 'conduitRateLimitTake';
const REFUND = 'conduitRateLimitRefund';

type BucketCommand<Reply> = (key: string, capacity: number, ratePerMs: number, now: number) => Promise<Reply>;

/**
 * Token buckets in Redis, for deployments whose request rate the database should not carry. Any
 * failure to get an answer from Redis is a RateLimiterUnavailableError: the caller refuses the
 * request rather than letting it through uncounted.
 */
export function createRedisBuckets(redis: Redis): BucketStore {
  // defineCommand sends EVALSHA, and the script itself only when Redis does not have it cached.
  redis.defineCommand(TAKE, { numberOfKeys: 1, lua: TAKE_SCRIPT });
  redis.defineCommand(REFUND, { numberOfKeys: 1, lua: REFUND_SCRIPT });
  const commands = redis as unknown as Record<typeof TAKE, BucketCommand<[number, string]>> & Record<typeof REFUND, BucketCommand<number>>;
  const take = commands[TAKE].bind(redis);
  const refund = commands[REFUND].bind(redis);

  async function call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new RateLimiterUnavailableError(`redis: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  return {
    async take(key: string, policy: RateLimitPolicy, now = Date.now()): Promise<RateLimitDecision> {
      const reply = await call(() => take(`${REDIS_KEY_PREFIX}${key}`, policy.limit, refillPerMs(policy), now));
      return decide(policy, reply[0] === 1, Number(reply[1]));
    },
    async refund(key: string, policy: RateLimitPolicy, now = Date.now()): Promise<void> {
      await call(() => refund(`${REDIS_KEY_PREFIX}${key}`, policy.limit, refillPerMs(policy), now));
    },
    async reset(key: string): Promise<void> {
      await call(() => redis.del(`${REDIS_KEY_PREFIX}${key}`));
    },
  };
}
