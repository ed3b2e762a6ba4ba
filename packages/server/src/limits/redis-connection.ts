import { Redis } from 'ioredis';
import type { Logger } from 'pino';

const URL_FORMS = 'redis://[user:password@]host[:port][/db], rediss://… (TLS) or unix:///path/to/redis.sock';

/** How long a command may take before the request it serves is answered 503: Redis answers in well under a millisecond. */
const COMMAND_TIMEOUT_MS = 2000;

/**
 * The URL with its password masked, for error messages, the log and the start-up banner. Done on
 * the text rather than through URL, which would also normalise it (add a path, re-encode).
 * Greedy to the last "@" before the path, as URL parsers split user info from the host there.
 */
export function redactRedisUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/]*@/i, '$1***@');
}

/** Throws a clear error unless `value` is a Redis URL ioredis connects to as meant. */
export function validateRedisUrl(value: string): void {
  const invalid = (why: string) => new Error(`invalid Redis URL "${redactRedisUrl(value)}": ${why}; expected ${URL_FORMS}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('not a URL');
  }
  if (url.protocol === 'unix:') {
    if (url.pathname.length <= 1) throw invalid('no socket path');
    return;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw invalid(`unsupported scheme "${url.protocol}"`);
  if (!url.hostname) throw invalid('no host');
  if (url.pathname.length > 1 && !/^\/\d+$/.test(url.pathname)) throw invalid('the path must be a database number');
}

/**
 * Connects to Redis and checks it answers, or throws an error naming the URL (password masked).
 *
 * The client fails fast rather than queueing: with the offline queue off, a command issued while
 * the connection is down fails at once; commands in flight when it drops fail instead of being
 * sent again on reconnect (a resent take could spend a token twice); and a Redis that hangs fails
 * a command after COMMAND_TIMEOUT_MS. The client keeps reconnecting in the background, so the
 * limiter recovers by itself once Redis is back.
 */
export async function connectRedis(value: string, logger: Logger): Promise<Redis> {
  validateRedisUrl(value);
  const display = redactRedisUrl(value);
  const redis = new Redis(value, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 5000,
  });
  // ioredis reports why a connection failed only as an 'error' event; connect() just says "closed".
  let firstError: Error | undefined;
  const remember = (error: Error) => (firstError ??= error);
  redis.on('error', remember);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${display} (--redis-url / REDIS_URL): ${(firstError ?? (error as Error)).message}`);
  } finally {
    redis.off('error', remember);
  }

  // One warning per outage, not one per reconnect attempt.
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ redis: display, reason: error.message }, 'redis unreachable: rate-limited requests are answered 503 until it is back');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: display }, 'redis reachable again');
  });
  return redis;
}
