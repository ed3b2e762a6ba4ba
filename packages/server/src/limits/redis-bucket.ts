import type { Redis } from 'ioredis';
import { decide, RateLimiterUnavailableError, refillPerMs, type RateLimitDecision, type RateLimiter, type RateLimitPolicy } from './policy.js';

/** Every bucket key starts with this, so the limiter's keys are easy to find and never clash with others. */
export const REDIS_KEY_PREFIX = 'conduit:rl:';

/**
 * Refill and take in one script, which Redis runs atomically: replicas taking from the same bucket
 * at once are serialised by Redis, so the bucket can never be overspent. The same arithmetic as the
 * database bucket: the bucket starts full, refills linearly up to the cap, and changes only when a
 * token is taken. The key expires once the bucket would be full again, when it is the same as no key.
 *
 * KEYS[1] the bucket; ARGV capacity, refill rate (tokens per ms), now (ms).
 * Returns {1 if a token was taken else 0, tokens left (or the refilled count that was too low)}:
 * the count goes back as a string, because Redis truncates Lua numbers in replies to integers.
 */
const TAKE_SCRIPT = `
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local tokens = cap
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated_ms')
if state[1] then
  tokens = math.min(cap, tonumber(state[1]) + (now - tonumber(state[2])) * rate)
end
if tokens < 1 then
  return {0, string.format('%.17g', tokens)}
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'updated_ms', ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((cap - tokens) / rate)))
return {1, string.format('%.17g', tokens)}
`;

const COMMAND = 'conduitRateLimitTake';

type TakeCommand = (key: string, capacity: number, ratePerMs: number, now: number) => Promise<[number, string]>;

/**
 * A token bucket per key in Redis, for deployments whose request rate the database should not
 * carry. Any failure to get an answer from Redis is a RateLimiterUnavailableError: the caller
 * refuses the request rather than letting it through uncounted.
 */
export function createRedisRateLimiter(redis: Redis, policy: RateLimitPolicy): RateLimiter {
  // defineCommand sends EVALSHA, and the script itself only when Redis does not have it cached.
  redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const run = (redis as unknown as Record<typeof COMMAND, TakeCommand>)[COMMAND].bind(redis);
  const rate = refillPerMs(policy);

  async function take(key: string, now = Date.now()): Promise<RateLimitDecision> {
    let reply: [number, string];
    try {
      reply = await run(`${REDIS_KEY_PREFIX}${key}`, policy.limit, rate, now);
    } catch (error) {
      throw new RateLimiterUnavailableError(`redis: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return decide(policy, reply[0] === 1, Number(reply[1]));
  }

  return { policy, take };
}
