import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../../shared/core/retry-backoff.ts';

describe('retryDelaySeconds', () => {
  it.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [7, 1920],
    [8, 3600], // capped at an hour
    [1000, 3600], // no overflow for absurd attempt counts
  ])('after %i attempt(s) waits %i s', (attempts, seconds) => {
    expect(retryDelaySeconds(attempts)).toBe(seconds);
  });
});

