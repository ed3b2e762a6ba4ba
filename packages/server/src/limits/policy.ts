/**
 * The one rate-limit vocabulary of the server. Every limit — requests per workspace on /v1/mcp,
 * registrations, token and authorization requests per client address, sign-in attempts per
 * account and per address — is a named token bucket with a policy, kept by one backend (the
 * database, or Redis with --redis-url) that every replica shares. This module holds what the
 * backends share: the policy, the decision a take returns, the arithmetic that turns a bucket's
 * token count into it, and the response headers, so every backend and every limit answers a
 * client with the same numbers.
 */

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

/**
 * Where the buckets live. Each operation is atomic in the backend, so concurrent requests on
 * any number of processes can never overspend a bucket. All of them throw
 * RateLimiterUnavailableError when the backend cannot answer.
 */
export interface BucketStore {
  /** Refills the bucket to `now` and takes one token if there is one. */
  take(key: string, policy: RateLimitPolicy, now?: number): Promise<RateLimitDecision>;
  /** Gives back one token taken earlier (never above the limit): what was taken did not count after all. */
  refund(key: string, policy: RateLimitPolicy, now?: number): Promise<void>;
  /** Forgets the bucket: it is full again. */
  reset(key: string): Promise<void>;
}

/** One named limit: its buckets are keyed `<name>:<subject>` (a workspace, an address, an account). */
export interface RateLimiter {
  /** Names the bucket in storage and in the RateLimit-Policy header, e.g. "workspace", "registration". */
  readonly name: string;
  readonly policy: RateLimitPolicy;
  take(subject: string, now?: number): Promise<RateLimitDecision>;
  refund(subject: string, now?: number): Promise<void>;
  reset(subject: string): Promise<void>;
}

/** The backends forget a bucket idle this long (it is full long before), so no window may be longer. */
export const MAX_WINDOW_SECONDS = 24 * 3600;

export function createLimiter(buckets: BucketStore, name: string, policy: RateLimitPolicy): RateLimiter {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`rate limit name "${name}": lower-case letters, digits and dashes`);
  if (!Number.isInteger(policy.limit) || policy.limit < 1) throw new Error(`rate limit ${name}: limit must be a whole number of at least 1, got ${policy.limit}`);
  if (!(policy.windowSeconds > 0) || policy.windowSeconds > MAX_WINDOW_SECONDS) {
    throw new Error(`rate limit ${name}: window must be between 1 second and ${MAX_WINDOW_SECONDS} seconds, got ${policy.windowSeconds}`);
  }
  const key = (subject: string) => `${name}:${subject}`;
  return {
    name,
    policy,
    take: (subject, now) => buckets.take(key(subject), policy, now),
    refund: (subject, now) => buckets.refund(key(subject), policy, now),
    reset: (subject) => buckets.reset(key(subject)),
  };
}

/** The limiter's backend did not answer: the request was neither counted nor run. */
export class RateLimiterUnavailableError extends Error {
  override readonly name = 'RateLimiterUnavailableError';
}

/** Refill rate in tokens per millisecond: a full bucket (`limit` tokens) per window. */
export function refillPerMs(policy: RateLimitPolicy): number {
  return policy.limit / (policy.windowSeconds * 1000);
}

/**
 * The decision once the bucket holds `tokens`: after the take when one was taken, or the refilled
 * count that was too low when none was.
 */
export function decide(policy: RateLimitPolicy, taken: boolean, tokens: number): RateLimitDecision {
  const rate = refillPerMs(policy);
  const reset = Math.ceil((policy.limit - tokens) / rate / 1000);
  if (taken) return { allowed: true, remaining: Math.floor(tokens), retryAfter: 0, reset };
  // Integer seconds, rounded up, never 0: a client that waits exactly this long gets through.
  return { allowed: false, remaining: 0, retryAfter: Math.max(1, Math.ceil((1 - tokens) / rate / 1000)), reset };
}

/**
 * `RateLimit-Policy` and `RateLimit` response fields (IETF httpapi-ratelimit-headers draft), named
 * after the bucket the request actually drew from, plus `Retry-After` on a refusal.
 */
export function rateLimitHeaders(limiter: Pick<RateLimiter, 'name' | 'policy'>, decision: RateLimitDecision): Record<string, string> {
  const { name, policy } = limiter;
  const headers: Record<string, string> = {
    'ratelimit-policy': `"${name}";q=${policy.limit};w=${policy.windowSeconds}`,
    ratelimit: `"${name}";r=${decision.remaining};t=${decision.allowed ? decision.reset : decision.retryAfter}`,
  };
  if (!decision.allowed) headers['retry-after'] = String(decision.retryAfter);
  return headers;
}
