import { setTimeout as sleepFor } from 'node:timers/promises';

/** At most `requests` request starts in any `perMs` window (bunq: 3 GET per 3 s). */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
}

/** Hands out request slots; `acquire` resolves when a request may start. */
export interface RateLimiter {
  acquire(): Promise<void>;
}

/** The clock and the wait a limiter uses; tests pass their own to run without waiting. */
export interface Clock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const SYSTEM_CLOCK: Clock = { now: Date.now, sleep: (ms) => sleepFor(ms) };

/**
 * A sliding-window limiter: it remembers the start times of the last `requests` requests, and a new one waits
 * until the oldest of them is `perMs` old. A sliding window (not a fixed one) is what the strict sources count:
 * 3 requests at the end of one window and 3 at the start of the next would be 6 within 3 s. Callers take turns,
 * so concurrent requests of one client share the limit.
 */
export function createRateLimiter(limit: RateLimit, clock: Clock = SYSTEM_CLOCK): RateLimiter {
  if (!Number.isInteger(limit.requests) || limit.requests < 1 || !(limit.perMs > 0)) {
    throw new RangeError(`a rate limit needs requests ≥ 1 and perMs > 0, got ${limit.requests} per ${limit.perMs} ms`);
  }
  const starts: number[] = [];
  let turn: Promise<void> = Promise.resolve();

  async function takeSlot(): Promise<void> {
    for (;;) {
      const now = clock.now();
      while (starts.length > 0 && (starts[0] as number) <= now - limit.perMs) starts.shift();
      if (starts.length < limit.requests) {
        starts.push(now);
        return;
      }
      await clock.sleep((starts[0] as number) + limit.perMs - now);
    }
  }

  return {
    acquire() {
      const slot = turn.then(takeSlot);
      turn = slot.catch(() => undefined);
      return slot;
    },
  };
}
