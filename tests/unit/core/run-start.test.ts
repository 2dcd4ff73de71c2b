import { describe, expect, it } from 'vitest';
import { decideRunStart, staleTakeOverError, type StartContext } from '../../../shared/core/run-start.ts';

const now = new Date('2025-01-01T12:00:00Z');
const minutesAgo = (minutes: number): Date => new Date(now.getTime() - minutes * 60_000);
const base: StartContext = { previousAttempts: 0, force: false, timeoutSeconds: 300, now };

describe('decideRunStart', () => {
  it('proceeds as attempt 1 when the work never ran', () => {
    expect(decideRunStart(base)).toEqual({ action: 'proceed', attempt: 1 });
  });

  it('skips work that already succeeded', () => {
    const context = { ...base, succeeded: { run_id: 'done', started_at: minutesAgo(30) }, previousAttempts: 1 };
    expect(decideRunStart(context)).toEqual({ action: 'skip', reason: 'already_succeeded', duplicateOfRunId: 'done' });
  });

  it('reprocesses work that already succeeded when forced, counting the attempt', () => {
    const context = { ...base, force: true, succeeded: { run_id: 'done', started_at: minutesAgo(30) }, previousAttempts: 1 };
    expect(decideRunStart(context)).toEqual({ action: 'proceed', attempt: 2 });
  });

  it('skips work that is running and not stale', () => {
    const context = { ...base, running: { run_id: 'busy', started_at: minutesAgo(1) }, previousAttempts: 1 };
    expect(decideRunStart(context)).toEqual({ action: 'skip', reason: 'already_running', duplicateOfRunId: 'busy' });
  });

  it('skips work that is running and not stale even when forced', () => {
    const context = { ...base, force: true, running: { run_id: 'busy', started_at: minutesAgo(1) }, previousAttempts: 1 };
    expect(decideRunStart(context)).toMatchObject({ action: 'skip', reason: 'already_running' });
  });

  it('takes over a running run older than the timeout', () => {
    const context = { ...base, running: { run_id: 'lost', started_at: minutesAgo(6) }, previousAttempts: 1 };
    expect(decideRunStart(context)).toEqual({ action: 'proceed', attempt: 2, takeOverRunId: 'lost' });
  });

  it('takes over a stale run even when an earlier run succeeded (a forced rerun that died)', () => {
    const context = {
      ...base,
      succeeded: { run_id: 'done', started_at: minutesAgo(60) },
      running: { run_id: 'lost', started_at: minutesAgo(10) },
      previousAttempts: 2,
    };
    expect(decideRunStart(context)).toEqual({ action: 'proceed', attempt: 3, takeOverRunId: 'lost' });
  });

  it('proceeds after a failure, as the next attempt', () => {
    expect(decideRunStart({ ...base, previousAttempts: 2 })).toEqual({ action: 'proceed', attempt: 3 });
  });
});

describe('staleTakeOverError', () => {
  it('names the run that took over', () => {
    expect(staleTakeOverError('0190abcd')).toBe('stale, taken over by run 0190abcd');
  });
});
