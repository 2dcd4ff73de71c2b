import { describe, expect, it } from 'vitest';
import { canTransition, isFinalStatus, summarizeLayer, RUN_STATUSES } from '../../../shared/core/run-status.ts';

describe('canTransition', () => {
  const allowed = new Set(['running→succeeded', 'running→failed', 'running→skipped']);
  const pairs = RUN_STATUSES.flatMap((from) => RUN_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.has(`${from}→${to}`));
  });
});

describe('isFinalStatus', () => {
  it('treats every status but running as final', () => {
    expect(RUN_STATUSES.filter(isFinalStatus)).toEqual(['succeeded', 'failed', 'skipped']);
  });
});

describe('summarizeLayer', () => {
  const counts = (entities_succeeded: number, entities_failed: number, entities_skipped: number) => ({
    entities_succeeded,
    entities_failed,
    entities_skipped,
  });

  it.each([
    ['waits while entities have no outcome', counts(2, 0, 0), 3, { isComplete: false }],
    ['succeeds when every entity succeeded', counts(3, 0, 0), 3, { isComplete: true, status: 'succeeded' }],
    ['fails when any entity failed', counts(2, 1, 0), 3, { isComplete: true, status: 'failed' }],
    ['succeeds when some were skipped and the rest succeeded', counts(2, 0, 1), 3, { isComplete: true, status: 'succeeded' }],
    ['is skipped when every entity was skipped', counts(0, 0, 3), 3, { isComplete: true, status: 'skipped' }],
    ['is skipped at once when no entity is expected', counts(0, 0, 0), 0, { isComplete: true, status: 'skipped' }],
    ['completes when more entities ran than expected', counts(4, 0, 0), 3, { isComplete: true, status: 'succeeded' }],
  ])('%s', (_rule, outcome, expected, summary) => {
    expect(summarizeLayer(outcome, expected)).toEqual(summary);
  });
});
