import { describe, expect, it } from 'vitest';
import { summarizeLayer } from '../../../shared/core/run-status.ts';

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
