/** A limit: at most `max` calls in any `windowMs`. */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
}

/** The buckets bunq limits separately (sources.md §B.4, the strict classic table). */
export interface RateLimits {
  readonly get?: RateLimit;
  readonly post?: RateLimit;
  readonly put?: RateLimit;
  readonly sessionServer?: RateLimit;
}

/** GET 3 per 3 s, POST 5 per 3 s, PUT 2 per 3 s, `/session-server` 1 per 30 s. */
export const BUNQ_RATE_LIMITS: RateLimits = {
  get: { max: 3, windowMs: 3000 },
  post: { max: 5, windowMs: 3000 },
  put: { max: 2, windowMs: 3000 },
  sessionServer: { max: 1, windowMs: 30_000 },
};

/**
 * Sliding-window counters per bucket. The fake keeps one for all clients (bunq counts per IP and endpoint; one
 * counter for every GET is stricter, which is what a connector should survive).
 */
export class SlidingWindowLimiter {
  readonly #calls = new Map<string, number[]>();

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number,
  ) {}

  /** Counts a call; refused when the bucket is full, with the wait until a slot frees. */
  take(bucket: keyof RateLimits): { allowed: true } | { allowed: false; max: number; windowMs: number; retryAfterMs: number } {
    const limit = this.limits[bucket];
    if (!limit) return { allowed: true };
    const time = this.now();
    const recent = (this.#calls.get(bucket) ?? []).filter((at) => at > time - limit.windowMs);
    if (recent.length >= limit.max) {
      this.#calls.set(bucket, recent);
      return { allowed: false, max: limit.max, windowMs: limit.windowMs, retryAfterMs: (recent[0] ?? time) + limit.windowMs - time };
    }
    recent.push(time);
    this.#calls.set(bucket, recent);
    return { allowed: true };
  }
}
