import { describe, expect, it } from 'vitest';
import { test as propTest, fc } from '@fast-check/vitest';
import { isStale, staleAt } from '../../../shared/core/run-staleness.ts';

const started = new Date('2025-01-01T10:00:00Z');

describe('isStale', () => {
  it.each([
    // a run is trusted up to and including its timeout: the function may still be committing
    ['just started', '2025-01-01T10:00:00Z', false],
    ['half its timeout old', '2025-01-01T10:02:30Z', false],
    ['exactly its timeout old', '2025-01-01T10:05:00Z', false],
    ['one millisecond past its timeout', '2025-01-01T10:05:00.001Z', true],
    ['an hour old', '2025-01-01T11:00:00Z', true],
  ])('a run %s under a 300 s timeout → stale: %s', (_case, now, expected) => {
    expect(isStale(started, 300, new Date(now))).toBe(expected);
  });

  it('puts the stale moment at start plus timeout', () => {
    expect(staleAt(started, 90).toISOString()).toBe('2025-01-01T10:01:30.000Z');
  });

  propTest.prop([fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 0, max: 200_000_000 })])(
    'is stale exactly when the age exceeds the timeout',
    (timeoutSeconds, ageMs) => {
      const now = new Date(started.getTime() + ageMs);
      expect(isStale(started, timeoutSeconds, now)).toBe(ageMs > timeoutSeconds * 1000);
    },
  );
});
