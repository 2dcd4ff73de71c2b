/**
 * What the landing layer reads from the audit schema beyond run control: the timestamp a rerun keeps, the cursor
 * as it stood before a batch, and which attempts of a batch succeeded. Read-only; rows are written by `shared/runs/`.
 */
import { query, type Db } from '../../adapters/postgres/transaction.ts';
import type { ConnectorCursor } from './connector.ts';

/** The `batch_timestamp` of a batch's earlier landing attempts: a rerun keeps it, so its window is the same. */
export async function earlierBatchTimestamp(db: Db, batch_id: string, system_id: string): Promise<Date | undefined> {
  const result = await query<{ batch_timestamp: Date }>(
    db,
    'read batch timestamp',
    `select batch_timestamp
       from audit.system_run
      where batch_id = $1
        and system_id = $2
      order by started_at
      limit 1`,
    [batch_id, system_id],
  );
  return result.rows[0]?.batch_timestamp;
}

/**
 * The system's cursor as it stood before the batch of `batch_timestamp`: the greatest window recorded by an older
 * batch. For a new batch that is the current cursor; a rerun of an older batch reads the cursor it started from,
 * so it fetches what it fetched the first time.
 */
export async function cursorBefore(db: Db, system_id: string, batch_timestamp: Date): Promise<ConnectorCursor | undefined> {
  const result = await query<ConnectorCursor>(
    db,
    'read cursor before batch',
    `select window_start, window_end, position
       from audit.cursor
      where system_id = $1
        and entity_id is null
        and batch_timestamp < $2
      order by window_end desc, recorded_at desc
      limit 1`,
    [system_id, batch_timestamp],
  );
  return result.rows[0];
}

/**
 * The batch's other landing attempts that wrote records nobody reads: failed ones, and running ones taken over as
 * stale (skipped calls wrote nothing). Usually none, so the common landing asks the landing store for nothing.
 */
export async function unsucceededLandingRunIds(db: Db, ref: { readonly batch_id: string; readonly system_id: string; readonly run_id: string }): Promise<string[]> {
  const result = await query<{ run_id: string }>(
    db,
    'read unsucceeded landing attempts',
    `select run_id
       from audit.system_run
      where batch_id = $1
        and system_id = $2
        and run_id <> $3
        and status in ('failed', 'running')`,
    [ref.batch_id, ref.system_id, ref.run_id],
  );
  return result.rows.map((row) => row.run_id);
}
