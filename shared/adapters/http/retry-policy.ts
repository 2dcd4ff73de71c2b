/**
 * When the HTTP client tries a request again, and how long it waits first (docs/landing.md, "HTTP client").
 * Pure: the clock and the random source come in, so the rules are tested without waiting.
 */

/** How a client retries. Every field has a default suited to a personal data source. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 4. */
  readonly maxAttempts?: number;
  /** The first backoff's upper bound; each later one doubles. Default 500 ms. */
  readonly baseDelayMs?: number;
  /** No backoff waits longer than this. Default 30 s. */
  readonly maxDelayMs?: number;
  /**
   * The longest `Retry-After` the client honours by waiting. A source asking for more fails the request at once
   * (retryable later, by the scheduler), rather than holding a function past its timeout. Default 60 s.
   */
  readonly maxRetryAfterMs?: number;
}

/** The options with their defaults filled in. */
export type RetrySettings = Required<RetryOptions>;

export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Fills in the defaults. */
export function retrySettings(options: RetryOptions = {}): RetrySettings {
  return { ...DEFAULT_RETRY, ...options };
}

/** Methods that change nothing when sent twice, so a failure after sending may be retried. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Whether `method` may be sent again after a failure whose effect is unknown. */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** What went wrong with one attempt, as far as retrying is concerned. */
export type AttemptFailure =
  /** The source answered 429: it refused the request, so any method may be sent again. */
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number | undefined }
  /** The source answered 5xx. */
  | { readonly kind: 'server_error'; readonly retryAfterMs: number | undefined }
  /** No (whole) answer: connection refused or reset, timeout, a body cut short or not parseable. */
  | { readonly kind: 'transport'; readonly sent: boolean };

/** The decision after a failed attempt: wait this long and try again, or give up with a reason. */
export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false; readonly reason: string };

/**
 * Decides whether to try again after attempt number `attempt` (1-based) failed. A 429 is retried for every
 * method (the source did nothing); a 5xx or a lost answer only for idempotent requests, or when the request was
 * never sent. A `Retry-After` is honoured as given when it fits `maxRetryAfterMs`; otherwise the backoff is
 * "full jitter": a random wait up to `baseDelayMs · 2^(attempt−1)`, capped at `maxDelayMs`.
 */
export function decideRetry(
  failure: AttemptFailure,
  attempt: number,
  idempotent: boolean,
  settings: RetrySettings,
  random: () => number = Math.random,
): RetryDecision {
  if (attempt >= settings.maxAttempts) return { retry: false, reason: `gave up after ${attempt} attempts` };
  if (failure.kind === 'server_error' && !idempotent) return { retry: false, reason: 'not retried: the request is not idempotent' };
  if (failure.kind === 'transport' && failure.sent && !idempotent) {
    return { retry: false, reason: 'not retried: the request is not idempotent and may have arrived' };
  }
  const retryAfterMs = failure.kind === 'transport' ? undefined : failure.retryAfterMs;
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > settings.maxRetryAfterMs) {
      return { retry: false, reason: `the source asks to wait ${Math.ceil(retryAfterMs / 1000)} s, longer than ${settings.maxRetryAfterMs / 1000} s` };
    }
    return { retry: true, delayMs: retryAfterMs };
  }
  return { retry: true, delayMs: backoffDelayMs(attempt, settings, random) };
}

/** Full-jitter backoff after attempt `attempt` (1-based): uniform in [0, min(max, base · 2^(attempt−1))). */
export function backoffDelayMs(attempt: number, settings: Pick<RetrySettings, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.floor(random() * ceiling);
}

/**
 * Reads a `Retry-After` header: delay-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`), as
 * milliseconds from `nowMs` (never negative). `undefined` when absent or unreadable.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month (`Sun, 01 Mar 2026 …`); Date.parse alone would read "-5" as a year.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
