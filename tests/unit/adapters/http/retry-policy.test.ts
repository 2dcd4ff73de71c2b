import { describe, expect, it } from 'vitest';
import { backoffDelayMs, decideRetry, parseRetryAfter, retrySettings, type AttemptFailure } from '../../../../shared/adapters/http/retry-policy.ts';

const settings = retrySettings();
const now = Date.parse('2026-03-01T12:00:00Z');

describe('parseRetryAfter', () => {
  it.each<[string | undefined, number | undefined]>([
    ['120', 120_000],
    [' 0 ', 0],
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sun, 01 Mar 2026 11:00:00 GMT', 0], // a date in the past: go now
    ['soon', undefined],
    ['-5', undefined],
    [undefined, undefined],
  ])('reads %j as %j ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});

describe('backoffDelayMs', () => {
  it('doubles its ceiling per attempt and caps it', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, { baseDelayMs: 100, maxDelayMs: 500 }, top))).toEqual([99, 199, 399, 499]);
  });

  it('waits nothing when the jitter draws 0', () => {
    expect(backoffDelayMs(5, settings, () => 0)).toBe(0);
  });
});

describe('decideRetry', () => {
  const cases: [string, AttemptFailure, number, boolean, ReturnType<typeof decideRetry>][] = [
    ['a 429 is retried for a POST too', { kind: 'rate_limited', retryAfterMs: undefined }, 1, false, { retry: true, delayMs: 250 }],
    ['a 429 waits its Retry-After exactly', { kind: 'rate_limited', retryAfterMs: 3_000 }, 1, true, { retry: true, delayMs: 3_000 }],
    ['a 5xx is retried for a GET', { kind: 'server_error', retryAfterMs: undefined }, 2, true, { retry: true, delayMs: 500 }],
    ['a 5xx is not retried for a POST', { kind: 'server_error', retryAfterMs: undefined }, 1, false, { retry: false, reason: 'not retried: the request is not idempotent' }],
    ['a lost answer to a POST is not retried', { kind: 'transport', sent: true }, 1, false, { retry: false, reason: 'not retried: the request is not idempotent and may have arrived' }],
    ['a refused connection is retried for a POST', { kind: 'transport', sent: false }, 1, false, { retry: true, delayMs: 250 }],
    ['the last attempt is not retried', { kind: 'transport', sent: false }, 4, true, { retry: false, reason: 'gave up after 4 attempts' }],
  ];
  it.each(cases)('%s', (_rule, failure, attempt, idempotent, expected) => {
    expect(decideRetry(failure, attempt, idempotent, settings, () => 0.5)).toEqual(expected);
  });
});
