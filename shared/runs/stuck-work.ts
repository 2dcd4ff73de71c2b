import { query, type Db } from '../adapters/postgres/transaction.ts';
import type { Layer } from '../core/run-status.ts';

/** A run still `running` after its function's timeout: its call died without writing its end. */
export interface StuckRun {
  readonly level: 'system' | 'entity';
  readonly run_id: string;
  readonly batch_id: string;
  readonly system_id: string;
  readonly layer: Layer | null;
  readonly entity_id: string | null;
  readonly call_id: string | null;
  readonly started_at: Date;
  readonly timeout_seconds: number;
  readonly running_seconds: number;
}

/** A chained call not delivered although it is older than the threshold. */
export interface StuckMessage {
  readonly id: string;
  readonly batch_id: string;
  readonly target_function: string;
  readonly created_at: Date;
  readonly attempts: number;
  readonly next_attempt_at: Date;
  readonly last_error: string | null;
}

/** A system's layer still waiting for entities after the threshold. */
export interface StuckLayer {
  readonly run_id: string;
  readonly batch_id: string;
  readonly system_id: string;
  readonly layer: Layer;
  readonly started_at: Date;
  readonly entities_expected: number;
  readonly entities_finished: number;
}

/** Everything that should have moved on and did not. */
export interface StuckWork {
  readonly runs: StuckRun[];
  readonly messages: StuckMessage[];
  readonly layers: StuckLayer[];
}

/**
 * What is stuck: runs `running` beyond their timeout (the scheduler may start them again; the next start takes
 * them over), outbox messages undelivered after `messageAgeSeconds`, and layer runs still open after
 * `layerAgeSeconds` (an entity's call was lost before it started).
 */
export async function stuckWork(
  db: Db,
  options: { messageAgeSeconds?: number; layerAgeSeconds?: number } = {},
): Promise<StuckWork> {
  const runs = await query<StuckRun>(
    db,
    'read stuck runs',
    `select 'system' as level, run_id, batch_id, system_id, null as layer, null as entity_id, call_id, started_at,
            timeout_seconds, extract(epoch from now() - started_at)::int as running_seconds
       from audit.system_run
      where status = 'running'
        and started_at + make_interval(secs => timeout_seconds) < now()
     union all
     select 'entity', run_id, batch_id, system_id, layer, entity_id, call_id, started_at,
            timeout_seconds, extract(epoch from now() - started_at)::int
       from audit.entity_layer_run
      where status = 'running'
        and started_at + make_interval(secs => timeout_seconds) < now()
      order by started_at`,
  );
  const messages = await query<StuckMessage>(
    db,
    'read undelivered outbox messages',
    `select id, batch_id, target_function, created_at, attempts, next_attempt_at, last_error
       from audit.outbox
      where delivered_at is null
        and created_at < now() - make_interval(secs => $1)
      order by created_at`,
    [options.messageAgeSeconds ?? 300],
  );
  const layers = await query<StuckLayer>(
    db,
    'read open layer runs',
    `select run_id, batch_id, system_id, layer, started_at, entities_expected,
            entities_succeeded + entities_failed + entities_skipped as entities_finished
       from audit.system_layer_run
      where finished_at is null
        and started_at < now() - make_interval(secs => $1)
      order by started_at`,
    [options.layerAgeSeconds ?? 3600],
  );
  return { runs: runs.rows, messages: messages.rows, layers: layers.rows };
}
