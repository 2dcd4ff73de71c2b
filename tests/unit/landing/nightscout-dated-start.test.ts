import { describe, expect, it } from 'vitest';
import { planDatedStart } from '../../../shared/layers/landing/nightscout/dated-start.ts';

const DAY = 86_400_000;
const kept = { since_ms: 10 * DAY, ids_at_since: ['a'] };
const threeDaysDaily = { span_ms: 3 * DAY, every_ms: DAY };

describe('planDatedStart', () => {
  it('continues at the kept boundary without a look-back', () => {
    expect(planDatedStart({ kept, initialMs: 0, batchMs: 11 * DAY })).toEqual({ from: kept });
  });

  it('looks back a span before the boundary, skipping no ids, and records when', () => {
    expect(planDatedStart({ kept, initialMs: 0, lookback: threeDaysDaily, lastLookbackMs: 9 * DAY, batchMs: 10 * DAY + 5 })).toEqual({
      from: { since_ms: 7 * DAY, ids_at_since: [] },
      lookbackAtMs: 10 * DAY + 5,
    });
  });

  it('looks back only once `every` has passed since the last look-back', () => {
    expect(planDatedStart({ kept, initialMs: 0, lookback: threeDaysDaily, lastLookbackMs: 10 * DAY, batchMs: 10 * DAY + 300_000 })).toEqual({ from: kept });
  });

  it('looks back on every run when the look-back has no interval', () => {
    const everyRun = { span_ms: DAY, every_ms: 0 };
    expect(planDatedStart({ kept, initialMs: 0, lookback: everyRun, lastLookbackMs: 10 * DAY, batchMs: 10 * DAY }).lookbackAtMs).toBe(10 * DAY);
  });

  it('never looks back before backfill_from', () => {
    expect(planDatedStart({ kept, initialMs: 8 * DAY, lookback: threeDaysDaily, batchMs: 12 * DAY }).from.since_ms).toBe(8 * DAY);
  });

  it('starts a first read at the beginning, which counts as a look-back', () => {
    expect(planDatedStart({ initialMs: 5, lookback: threeDaysDaily, batchMs: 12 * DAY })).toEqual({ from: { since_ms: 5, ids_at_since: [] }, lookbackAtMs: 12 * DAY });
    expect(planDatedStart({ initialMs: 5, lostPositionAtMs: 9 * DAY, batchMs: 12 * DAY })).toEqual({ from: { since_ms: 9 * DAY, ids_at_since: [] } });
  });

  it('reads the caller\'s window as asked, cursor and look-back aside', () => {
    expect(planDatedStart({ callerStartMs: 3, kept, initialMs: 0, lookback: threeDaysDaily, batchMs: 12 * DAY })).toEqual({ from: { since_ms: 3, ids_at_since: [] } });
  });
});
