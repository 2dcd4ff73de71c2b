import { CronExpressionParser } from 'cron-parser';
import { IANAZone } from 'luxon';
import * as z from 'zod';

/**
 * Why a cron expression is refused, or undefined when it is a valid 5-field expression (minute hour
 * day-of-month month day-of-week). Seconds, `@daily` aliases and Jenkins' `H` are refused: the scheduler
 * ticks once a minute and must compute the same due times everywhere.
 */
export function explainInvalidCron(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  if (fields.some((field) => /(^|[,/-])H($|[(,/-])/i.test(field))) return 'hashed values (H) are not supported';
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A 5-field cron expression, checked with cron-parser. */
export const CronSchedule = z.string().superRefine((expression, ctx) => {
  const reason = explainInvalidCron(expression);
  if (reason) ctx.addIssue({ code: 'custom', message: `invalid cron expression ${JSON.stringify(expression)}: ${reason}` });
});

/** An IANA time zone name (`Europe/Amsterdam`, `UTC`), checked with luxon. */
export const TimeZone = z.string().refine((zone) => IANAZone.isValidZone(zone), {
  error: (issue) => `expected an IANA time zone like "Europe/Amsterdam", got ${JSON.stringify(issue.input)}`,
});
