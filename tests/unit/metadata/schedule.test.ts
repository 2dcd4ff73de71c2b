import { describe, expect, it } from 'vitest';
import { CronSchedule, explainInvalidCron, TimeZone } from '../../../shared/metadata/schedule.ts';

describe('explainInvalidCron', () => {
  it.each(['*/5 * * * *', '0 6 * * *', '0 0 1 * *', '15 8 * * MON-FRI', '0 0 L * *', '0 12 * JAN,JUL THU'])(
    'accepts %s',
    (expression) => {
      expect(explainInvalidCron(expression)).toBeUndefined();
    },
  );

  it.each([
    ['61 * * * *', 'Constraint error, got value 61 expected range 0-59'], // minute out of range
    ['0 25 * * *', 'Constraint error, got value 25 expected range 0-23'], // hour out of range
    ['0 0 * * * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 6'], // seconds field
    ['@daily', 'expected 5 fields (minute hour day-of-month month day-of-week), got 1'], // alias
    ['H * * * *', 'hashed values (H) are not supported'], // Jenkins hash: not the same everywhere
    ['0 0 31 2 *', 'Invalid explicit day of month definition'], // never due
  ])('refuses %s', (expression, reason) => {
    expect(explainInvalidCron(expression)).toBe(reason);
  });

  it('names the expression in the schema message', () => {
    expect(CronSchedule.safeParse('61 * * * *').error?.issues[0]?.message).toBe(
      'invalid cron expression "61 * * * *": Constraint error, got value 61 expected range 0-59',
    );
  });
});

describe('TimeZone', () => {
  it.each(['UTC', 'Europe/Amsterdam', 'America/Los_Angeles'])('accepts %s', (zone) => {
    expect(TimeZone.safeParse(zone).success).toBe(true);
  });

  it.each(['Mars/Base', '+01:00', 'CEST'])('refuses %s', (zone) => {
    expect(TimeZone.safeParse(zone).success).toBe(false);
  });
});
