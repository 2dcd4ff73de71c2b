import { describe, expect, it } from 'vitest';
import { freshness } from '../../../shared/core/freshness.ts';

const at = (iso: string): Date => new Date(iso);
const hourly = { enabled: true, schedule: '0 * * * *', timezone: 'UTC' } as const;

describe('freshness', () => {
  it('is fresh until the firing after the latest success plus the grace', () => {
    const judged = freshness({ ...hourly, lastSuccessAt: at('2025-01-01T10:00:40Z'), now: at('2025-01-01T11:09:59Z') });
    expect(judged).toEqual({ state: 'fresh', last_success_at: at('2025-01-01T10:00:40Z'), due_by: at('2025-01-01T11:10:00Z'), late_seconds: 0 });
  });

  it('is late once that moment passed without a new success, by how long', () => {
    const judged = freshness({ ...hourly, lastSuccessAt: at('2025-01-01T10:00:40Z'), now: at('2025-01-01T11:20:00Z') });
    expect(judged.state).toBe('late');
    expect(judged.late_seconds).toBe(600);
  });

  it('takes the grace from the caller', () => {
    const judged = freshness({ ...hourly, lastSuccessAt: at('2025-01-01T10:00:40Z'), now: at('2025-01-01T11:02:00Z'), graceSeconds: 60 });
    expect(judged).toMatchObject({ state: 'late', late_seconds: 60 });
  });

  it('reads the schedule in the system time zone', () => {
    const daily = { enabled: true, schedule: '0 6 * * *', timezone: 'Europe/Amsterdam' };
    // 06:00 in Amsterdam is 05:00 UTC in winter: the landing of 15 January is due by 05:10 UTC on the 16th.
    expect(freshness({ ...daily, lastSuccessAt: at('2025-01-15T05:01:00Z'), now: at('2025-01-16T05:09:00Z') }).state).toBe('fresh');
    expect(freshness({ ...daily, lastSuccessAt: at('2025-01-15T05:01:00Z'), now: at('2025-01-16T05:11:00Z') }).state).toBe('late');
  });

  it('says never, unscheduled or disabled where nothing can be late', () => {
    expect(freshness({ ...hourly, lastSuccessAt: null, now: at('2025-01-01T11:00:00Z') }).state).toBe('never');
    expect(freshness({ ...hourly, schedule: undefined, lastSuccessAt: null, now: at('2025-01-01T11:00:00Z') }).state).toBe('unscheduled');
    expect(freshness({ ...hourly, enabled: false, lastSuccessAt: at('2024-01-01T00:00:00Z'), now: at('2025-01-01T11:00:00Z') }).state).toBe('disabled');
  });
});
