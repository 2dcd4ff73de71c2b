import { CronExpressionParser } from 'cron-parser';
import { IANAZone } from 'luxon';

/**
 * Steps of cron-parser spent walking forward from `lastTick` before switching to a windowed search. A steady
 * scheduler needs one or two per system and tick; only a long outage of a dense schedule exceeds it.
 */
const WALK_STEPS = 512;

/**
 * After a long outage the walk from `lastTick` would take too many steps (a year of `* * * * *`): the search then
 * looks back this far from `now`, then further. A dense schedule is found in the first window, a sparse one
 * (`0 6 1 * *`) costs a few steps per window.
 */
const SEARCH_WINDOWS_MS = [
  2 * 3_600_000, // two hours
  2 * 86_400_000, // two days
  64 * 86_400_000, // two months
  4 * 366 * 86_400_000, // four years (29 February)
  32 * 366 * 86_400_000, // 29 February on a given weekday
];

/** A window search that needs more steps than this is a pathological schedule; it fails loudly instead. */
const MAX_STEPS = 100_000;

/**
 * The latest moment in `(lastTick, now]` at which a 5-field cron `schedule`, read in `timezone`, fires, or
 * undefined when it does not fire in that span. Several missed firings coalesce into the latest one: a scheduler
 * that was down for hours starts a system once, not once per missed minute.
 *
 * Daylight saving time follows cron-parser's forward iteration (Vixie cron's rule): a fixed local time that does
 * not exist on the spring-forward day fires once right after the change (02:30 → 03:30), one that occurs twice on
 * the fall-back day fires once (the first time), and schedules with a wildcard hour fire in both repeated hours.
 * `lastTick` is the previous firing (or where the caller started watching), so ticks walking forward in time see
 * every firing exactly once.
 *
 * @example dueSince('*\/15 * * * *', 'UTC', new Date('2025-01-01T10:00:00Z'), new Date('2025-01-01T10:31:00Z'))
 *   // → 2025-01-01T10:30:00Z (10:15 coalesced into it)
 */
export function dueSince(schedule: string, timezone: string, lastTick: Date, now: Date): Date | undefined {
  if (!IANAZone.isValidZone(timezone)) throw new RangeError(`unknown time zone ${JSON.stringify(timezone)}`);
  if (now.getTime() <= lastTick.getTime()) return undefined;
  // Walking from the previous firing keeps cron-parser's view of a repeated fall-back hour: it knows 02:30 already
  // fired. A walk started inside that hour would take its second 02:30 for a new firing.
  const walk = latestFiringUpTo(schedule, timezone, lastTick, now, WALK_STEPS);
  if (!walk.isExhausted) return walk.latest;
  for (const windowMs of SEARCH_WINDOWS_MS) {
    const start = Math.max(lastTick.getTime(), now.getTime() - windowMs);
    const { latest, isExhausted } = latestFiringUpTo(schedule, timezone, new Date(start), now, MAX_STEPS);
    if (isExhausted) {
      throw new RangeError(`cron schedule ${JSON.stringify(schedule)} fires more than ${MAX_STEPS} times in its search window`);
    }
    if (latest !== undefined) return latest;
    if (start === lastTick.getTime()) return undefined;
  }
  // No firing in the last 32 years: for this scheduler's purpose, not due.
  return undefined;
}

/** The next firing strictly after `after`, for showing when a system will start next. */
export function nextFiring(schedule: string, timezone: string, after: Date): Date {
  if (!IANAZone.isValidZone(timezone)) throw new RangeError(`unknown time zone ${JSON.stringify(timezone)}`);
  return CronExpressionParser.parse(schedule, { currentDate: after, tz: timezone }).next().toDate();
}

/** Walks forward from `start` (exclusive) and keeps the last firing not after `now`, for at most `maxSteps`. */
function latestFiringUpTo(
  schedule: string,
  timezone: string,
  start: Date,
  now: Date,
  maxSteps: number,
): { latest: Date | undefined; isExhausted: boolean } {
  const firings = CronExpressionParser.parse(schedule, { currentDate: start, tz: timezone });
  let latest: Date | undefined;
  for (let step = 0; step < maxSteps; step += 1) {
    const firing = firings.next().toDate();
    if (firing.getTime() > now.getTime()) return { latest, isExhausted: false };
    latest = firing;
  }
  return { latest, isExhausted: true };
}
