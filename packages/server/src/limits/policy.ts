/**
 * What every rate-limit backend (the database bucket, the Redis bucket) shares: the policy, the
 * decision a take returns and the arithmetic that turns a bucket's token count into it, so both
 * backends answer a client with the same numbers.
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

export interface RateLimiter {
  readonly policy: RateLimitPolicy;
  /** Throws RateLimiterUnavailableError when the backend cannot answer (the request must not run). */
  take(key: string, now?: number): Promise<RateLimitDecision>;
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

/** `RateLimit-Policy` and `RateLimit` response fields (IETF httpapi-ratelimit-headers draft). */
export function rateLimitHeaders(policy: RateLimitPolicy, decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'ratelimit-policy': `"workspace";q=${policy.limit};w=${policy.windowSeconds}`,
    ratelimit: `"workspace";r=${decision.remaining};t=${decision.allowed ? decision.reset : decision.retryAfter}`,
  };
  if (!decision.allowed) headers['retry-after'] = String(decision.retryAfter);
  return headers;
}
