import { nextFiring } from './cron-due.ts';

/**
 * How fresh a system's data is against its schedule:
 * - `fresh`: the latest good landing is no older than the schedule allows;
 * - `late`: the schedule fired since the latest good landing, and the grace for that landing has passed;
 * - `never`: no landing ever succeeded;
 * - `unscheduled`: no schedule (webhooks and manual runs only), so nothing is expected;
 * - `disabled`: the system is switched off in metadata.
 */
export type FreshnessState = 'fresh' | 'late' | 'never' | 'unscheduled' | 'disabled';

export interface Freshness {
  readonly state: FreshnessState;
  /** When the latest landing that succeeded finished. */
  readonly last_success_at: Date | null;
  /** The firing after the latest success, plus the grace: when the next landing should have succeeded by. */
  readonly due_by: Date | null;
  /** How long past `due_by` (late only), in seconds. */
  readonly late_seconds: number;
}

/** What freshness is judged from. */
export interface FreshnessInput {
  readonly enabled: boolean;
  readonly schedule: string | null | undefined;
  readonly timezone: string;
  readonly lastSuccessAt: Date | null;
  readonly now: Date;
  /** How long a landing may take after its firing before it counts as late. Default 10 minutes. */
  readonly graceSeconds?: number;
}

const DEFAULT_GRACE_SECONDS = 600;

/**
 * Judges freshness from the schedule and the latest success. The next landing is expected at the first firing
 * after the latest success; a system is late once that firing plus the grace has passed without a new success,
 * so a system that runs on time is never late, however sparse its schedule.
 *
 * @example freshness({ enabled: true, schedule: '0 * * * *', timezone: 'UTC', lastSuccessAt: at('10:00:40'), now: at('11:20') })
 *   // → late (due by 11:10, 600 s late)
 */
export function freshness(input: FreshnessInput): Freshness {
  const lastSuccess = input.lastSuccessAt;
  if (!input.enabled) return { state: 'disabled', last_success_at: lastSuccess, due_by: null, late_seconds: 0 };
  if (!input.schedule) return { state: 'unscheduled', last_success_at: lastSuccess, due_by: null, late_seconds: 0 };
  if (lastSuccess === null) return { state: 'never', last_success_at: null, due_by: null, late_seconds: 0 };
  const grace = (input.graceSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
  const dueBy = new Date(nextFiring(input.schedule, input.timezone, lastSuccess).getTime() + grace);
  const lateMs = input.now.getTime() - dueBy.getTime();
  return lateMs > 0
    ? { state: 'late', last_success_at: lastSuccess, due_by: dueBy, late_seconds: Math.floor(lateMs / 1000) }
    : { state: 'fresh', last_success_at: lastSuccess, due_by: dueBy, late_seconds: 0 };
}
