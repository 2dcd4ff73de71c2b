import type { Pool } from '../../adapters/postgres/pool.ts';
import { withTransaction } from '../../adapters/postgres/transaction.ts';
import { dueSince } from '../../core/cron-due.ts';
import type { Logger } from '../../log.ts';
import type { System } from '../../metadata/system-schema.ts';
import { newBatchId } from '../../runs/ids.ts';
import { connectorFunction } from '../../runtime/payloads.ts';
import { announceCalls } from '../chaining/announce-calls.ts';
import { claimFiring, readOrCreateSchedule, type SystemSchedule } from '../../runs/system-schedules.ts';

/** A system the tick started: which firing, as which batch, through which connector. */
export interface StartedSystem {
  readonly system_id: string;
  /** The schedule's firing this start stands for (the latest due one; earlier missed ones coalesce into it). */
  readonly fired_at: string;
  readonly batch_id: string;
  readonly connector: string;
}

/** A system whose start could not be decided or written this tick (it is tried again at the next one). */
export interface StartFailure {
  readonly system_id: string;
  readonly error: unknown;
}

/** What one pass over the scheduled systems did. */
export interface StartReport {
  readonly started: StartedSystem[];
  readonly failures: StartFailure[];
}

/** What starting due systems needs. */
export interface StartDueSystemsOptions {
  readonly now: Date;
  readonly callId: string | undefined;
  readonly log: Logger;
  /**
   * How far back a system seen for the first time looks for a due firing. Default 60 s (one tick): a newly
   * scheduled system starts at its next firing, not for its past.
   */
  readonly firstLookbackSeconds?: number;
}

/** Claims fail only when another tick moved the same schedule; after that one the view is current. */
const MAX_CLAIM_ROUNDS = 3;

/**
 * Starts every enabled system whose `schedule` (read in its `timezone`) fired since its last start: one connector
 * call (`connector-<type>` with `{system_id, batch_id, batch_timestamp}`) per system, written to the outbox in the
 * transaction that claims the firing. Idempotent: two overlapping ticks start a due system once, and a late tick
 * starts a missed firing once (the latest; earlier ones coalesce). The batch is named here, so the connector
 * call, if delivered twice, lands one batch once. A system that fails (PostgreSQL refused its claim) does not keep
 * the others from starting; it is reported and tried again at the next tick.
 */
export async function startDueSystems(
  pool: Pool,
  systems: readonly System[],
  options: StartDueSystemsOptions,
): Promise<StartReport> {
  const watchFrom = new Date(options.now.getTime() - (options.firstLookbackSeconds ?? 60) * 1000);
  const started: StartedSystem[] = [];
  const failures: StartFailure[] = [];
  for (const system of systems) {
    if (!system.enabled || system.schedule === undefined) continue;
    const scheduled = { id: system.id, type: system.type, schedule: system.schedule, timezone: system.timezone };
    try {
      const start = await startIfDue(pool, scheduled, watchFrom, options);
      if (start) started.push(start);
    } catch (error) {
      options.log.error({ err: error, system_id: system.id }, 'scheduled system could not be started');
      failures.push({ system_id: system.id, error });
    }
  }
  return { started, failures };
}

interface ScheduledSystem {
  readonly id: string;
  readonly type: string;
  readonly schedule: string;
  readonly timezone: string;
}

async function startIfDue(
  pool: Pool,
  system: ScheduledSystem,
  watchFrom: Date,
  options: StartDueSystemsOptions,
): Promise<StartedSystem | undefined> {
  const log = options.log.child({ system_id: system.id });
  let row: SystemSchedule = await readOrCreateSchedule(pool, system, watchFrom);
  for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
    const due = dueSince(system.schedule, system.timezone, row.fire_after, options.now);
    if (due === undefined) return undefined;
    const batch_id = newBatchId();
    const connector = connectorFunction(system.type);
    const claimed = await withTransaction(pool, async (tx) => {
      const claim = await claimFiring(tx, {
        system_id: system.id,
        schedule: system.schedule,
        timezone: system.timezone,
        previous_fire_after: row.fire_after,
        fired_at: due,
        started_at: options.now,
        batch_id,
        call_id: options.callId ?? null,
      });
      if (!claim) return undefined;
      await announceCalls(tx, { batch_id, batch_timestamp: options.now, call_id: options.callId }, [
        {
          function: connector,
          payload: { system_id: system.id, batch_id, batch_timestamp: options.now.toISOString(), force: false },
        },
      ]);
      return claim;
    });
    if (claimed) {
      log.info({ fired_at: due.toISOString(), batch_id, connector, late_seconds: lateSeconds(due, options.now) }, 'scheduled system started');
      return { system_id: system.id, fired_at: due.toISOString(), batch_id, connector };
    }
    // Another tick moved the schedule between our read and our claim: read its result and look again.
    row = await readOrCreateSchedule(pool, system, watchFrom);
  }
  log.warn({ rounds: MAX_CLAIM_ROUNDS }, 'schedule kept changing under this tick; left to the next tick');
  return undefined;
}

function lateSeconds(due: Date, now: Date): number {
  return Math.round((now.getTime() - due.getTime()) / 1000);
}
