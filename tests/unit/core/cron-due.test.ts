import { fc, test } from '@fast-check/vitest';
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { dueSince, nextFiring } from '../../../shared/core/cron-due.ts';

const at = (iso: string): Date => new Date(iso);

/** Ticks every `stepMinutes` from `from` to `to`, as the scheduler does, and lists what fired. */
function simulateTicks(schedule: string, timezone: string, from: string, to: string, stepMinutes = 1): string[] {
  const fired: string[] = [];
  let lastTick = at(from);
  for (let t = at(from).getTime() + stepMinutes * 60_000; t <= at(to).getTime(); t += stepMinutes * 60_000) {
    const due = dueSince(schedule, timezone, lastTick, new Date(t));
    if (due !== undefined) {
      fired.push(due.toISOString());
      lastTick = due;
    }
  }
  return fired;
}

describe('dueSince', () => {
  it.each([
    // rule: the latest firing in (lastTick, now]
    ['fires at the firing inside the span', '*/15 * * * *', 'UTC', '2025-01-01T10:20:00Z', '2025-01-01T10:31:00Z', '2025-01-01T10:30:00.000Z'],
    ['is not due when no firing falls in the span', '*/15 * * * *', 'UTC', '2025-01-01T10:30:00Z', '2025-01-01T10:44:59Z', undefined],
    ['includes a firing exactly at now', '*/15 * * * *', 'UTC', '2025-01-01T10:14:00Z', '2025-01-01T10:15:00Z', '2025-01-01T10:15:00.000Z'],
    ['excludes a firing exactly at lastTick', '*/15 * * * *', 'UTC', '2025-01-01T10:15:00Z', '2025-01-01T10:15:30Z', undefined],
    ['is not due when now is not after lastTick', '* * * * *', 'UTC', '2025-01-01T10:15:00Z', '2025-01-01T10:15:00Z', undefined],
    ['is not due when the clock went backwards', '* * * * *', 'UTC', '2025-01-01T10:15:00Z', '2025-01-01T10:10:00Z', undefined],
    // rule: the schedule is read in its time zone
    ['reads a daily time in Amsterdam winter time (UTC+1)', '0 6 * * *', 'Europe/Amsterdam', '2025-01-15T04:00:00Z', '2025-01-15T05:00:30Z', '2025-01-15T05:00:00.000Z'],
    ['reads a daily time in Amsterdam summer time (UTC+2)', '0 6 * * *', 'Europe/Amsterdam', '2025-07-15T03:00:00Z', '2025-07-15T04:00:30Z', '2025-07-15T04:00:00.000Z'],
    ['is not due at 06:00 UTC for an Amsterdam schedule', '0 6 * * *', 'Europe/Amsterdam', '2025-01-15T05:30:00Z', '2025-01-15T06:00:30Z', undefined],
    ['reads weekdays in New York', '0 9 * * 1-5', 'America/New_York', '2025-01-17T13:00:00Z', '2025-01-17T14:01:00Z', '2025-01-17T14:00:00.000Z'],
    ['skips the weekend in New York', '0 9 * * 1-5', 'America/New_York', '2025-01-18T13:00:00Z', '2025-01-18T14:01:00Z', undefined],
    ['handles half-hour offsets (Kolkata midnight is 18:30 UTC)', '0 0 * * *', 'Asia/Kolkata', '2025-01-01T18:00:00Z', '2025-01-01T18:31:00Z', '2025-01-01T18:30:00.000Z'],
    // rule: a late tick fires once, at the latest missed firing
    ['coalesces three hours of five-minute firings into one', '*/5 * * * *', 'UTC', '2025-01-01T07:00:00Z', '2025-01-01T10:02:00Z', '2025-01-01T10:00:00.000Z'],
    ['fires a daily start missed by hours once, late', '0 6 * * *', 'UTC', '2025-01-01T06:00:00Z', '2025-01-02T09:00:00Z', '2025-01-02T06:00:00.000Z'],
    ['fires a monthly start missed for months once', '0 6 1 * *', 'UTC', '2024-10-01T06:00:00Z', '2025-02-14T12:00:00Z', '2025-02-01T06:00:00.000Z'],
    ['coalesces a week of every-minute firings into the latest', '* * * * *', 'UTC', '2025-01-01T00:00:00Z', '2025-01-08T00:00:30Z', '2025-01-08T00:00:00.000Z'],
    ['finds a sparse firing after a long outage of a dense schedule', '* 6 1 * *', 'UTC', '2024-11-01T06:00:00Z', '2025-01-20T00:00:00Z', '2025-01-01T06:59:00.000Z'],
    ['finds a yearly firing years back', '0 0 29 2 *', 'UTC', '2019-01-01T00:00:00Z', '2025-06-01T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    // rule: daylight saving time (Europe/Amsterdam: 2025-03-30 02:00 → 03:00, 2025-10-26 03:00 → 02:00)
    ['fires a skipped local time once, right after the spring change', '30 2 * * *', 'Europe/Amsterdam', '2025-03-29T23:00:00Z', '2025-03-30T01:31:00Z', '2025-03-30T01:30:00.000Z'],
    ['fires a repeated local time at its first occurrence', '30 2 * * *', 'Europe/Amsterdam', '2025-10-25T23:00:00Z', '2025-10-26T00:31:00Z', '2025-10-26T00:30:00.000Z'],
  ])('%s', (_rule, schedule, timezone, lastTick, now, expected) => {
    expect(dueSince(schedule, timezone, at(lastTick), at(now))?.toISOString()).toBe(expected);
  });

  it('gives two overlapping ticks with the same view the same firing, and the next tick none', () => {
    const lastTick = at('2025-01-01T09:55:00Z');
    const now = at('2025-01-01T10:00:20Z');
    const first = dueSince('*/5 * * * *', 'UTC', lastTick, now);
    const second = dueSince('*/5 * * * *', 'UTC', lastTick, now);
    expect(first).toEqual(second);
    expect(dueSince('*/5 * * * *', 'UTC', first as Date, at('2025-01-01T10:00:50Z'))).toBeUndefined();
  });

  it('fires a repeated fall-back local time once when ticking every minute', () => {
    expect(simulateTicks('30 2 * * *', 'Europe/Amsterdam', '2025-10-25T22:00:00Z', '2025-10-26T04:00:00Z')).toEqual([
      '2025-10-26T00:30:00.000Z',
    ]);
  });

  it('fires a wildcard-hour schedule in both repeated fall-back hours', () => {
    expect(simulateTicks('15 * * * *', 'America/New_York', '2025-11-02T04:00:00Z', '2025-11-02T08:00:00Z')).toEqual([
      '2025-11-02T04:15:00.000Z', // 00:15 EDT
      '2025-11-02T05:15:00.000Z', // 01:15 EDT
      '2025-11-02T06:15:00.000Z', // 01:15 EST, the repeated hour
      '2025-11-02T07:15:00.000Z', // 02:15 EST
    ]);
  });

  it('fires a skipped spring-forward local time once when ticking every minute', () => {
    expect(simulateTicks('30 2 * * *', 'America/New_York', '2025-03-09T05:00:00Z', '2025-03-09T09:00:00Z')).toEqual([
      '2025-03-09T07:30:00.000Z', // 03:30 EDT: 02:30 does not exist that day
    ]);
  });

  it('refuses an unknown time zone', () => {
    expect(() => dueSince('* * * * *', 'Mars/Olympus', at('2025-01-01T00:00:00Z'), at('2025-01-01T00:05:00Z'))).toThrow(
      'unknown time zone "Mars/Olympus"',
    );
  });

  const spanMinutes = 6 * 60;
  test.prop(
    [
      fc.constantFrom('*/7 * * * *', '0,20,40 * * * *', '5 */2 * * *', '* * * * *'),
      fc.constantFrom('UTC', 'Europe/Amsterdam', 'Asia/Kathmandu'),
      fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 12 }),
    ],
    { numRuns: 15 },
  )('ticks at any pace fire once per span that holds a firing, at that span’s latest firing', (schedule, timezone, gaps) => {
    const origin = at('2025-06-01T00:00:00Z').getTime();
    // The reference: every firing of the schedule in (from, to], by plain forward iteration.
    const every = (from: number, to: number): number[] => {
      const iterator = CronExpressionParser.parse(schedule, { currentDate: new Date(from), tz: timezone });
      const firings: number[] = [];
      for (let t = iterator.next().getTime(); t <= to; t = iterator.next().getTime()) firings.push(t);
      return firings;
    };
    let lastTick = origin;
    let now = origin;
    for (const gap of gaps) {
      now = Math.min(now + gap * 60_000, origin + spanMinutes * 60_000);
      const due = dueSince(schedule, timezone, new Date(lastTick), new Date(now));
      const expected = every(lastTick, now).at(-1);
      expect(due?.getTime()).toBe(expected);
      if (due !== undefined) lastTick = due.getTime();
    }
  });
});

describe('nextFiring', () => {
  it('gives the next firing strictly after a moment, in the schedule’s zone', () => {
    expect(nextFiring('0 6 * * *', 'Europe/Amsterdam', at('2025-01-15T05:00:00Z')).toISOString()).toBe('2025-01-16T05:00:00.000Z');
  });
});
