import { setTimeout as sleepFor } from 'node:timers/promises';

/** At most `requests` request starts in any `perMs` window (bunq: 3 GET per 3 s). */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
}

/** Hands out request slots. `acquire` resolves when a request may start, with the `release` to call once its
 * answer (or failure) is in. */
export interface RateLimiter {
  acquire(): Promise<() => void>;
}

/** The clock and the wait a limiter uses; tests pass their own to run without waiting. */
export interface Clock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const SYSTEM_CLOCK: Clock = { now: Date.now, sleep: (ms) => sleepFor(ms) };

/**
 * A sliding-window limiter over the last `requests` requests. A request holds its slot while it is in flight and
 * for `perMs` after its answer came in: the source counts a request when it arrives, which is some time between
 * our start and our answer, so timing the window from our start would let a slow request and a fast next one land
 * within `perMs` at the source (a real 429 under load). A sliding window (not a fixed one) is what the strict
 * sources count: 3 requests at the end of one window and 3 at the start of the next would be 6 within 3 s.
 * Callers take turns, so concurrent requests of one client share the limit.
 */
export function createRateLimiter(limit: RateLimit, clock: Clock = SYSTEM_CLOCK): RateLimiter {
  if (!Number.isInteger(limit.requests) || limit.requests < 1 || !(limit.perMs > 0)) {
    throw new RangeError(`a rate limit needs requests ≥ 1 and perMs > 0, got ${limit.requests} per ${limit.perMs} ms`);
  }
  const slots: { answeredAt?: number }[] = [];
  let wakeOnAnswer: (() => void) | undefined;
  let turn: Promise<unknown> = Promise.resolve();

  async function takeSlot(): Promise<() => void> {
    for (;;) {
      const now = clock.now();
      for (let i = slots.length - 1; i >= 0; i -= 1) {
        const answeredAt = slots[i]?.answeredAt;
        if (answeredAt !== undefined && answeredAt <= now - limit.perMs) slots.splice(i, 1);
      }
      if (slots.length < limit.requests) {
        const slot: { answeredAt?: number } = {};
        slots.push(slot);
        return () => {
          if (slot.answeredAt !== undefined) return;
          slot.answeredAt = clock.now();
          wakeOnAnswer?.();
        };
      }
      const answered = slots.flatMap((slot) => (slot.answeredAt === undefined ? [] : [slot.answeredAt]));
      if (answered.length > 0) await clock.sleep(Math.min(...answered) + limit.perMs - now);
      else await new Promise<void>((resolve) => (wakeOnAnswer = resolve)); // every slot is in flight
      wakeOnAnswer = undefined;
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
