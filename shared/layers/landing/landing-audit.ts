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

/** The landing runs of a batch that succeeded (the latest is what bronze reads; earlier ones it may be reading). */
export async function succeededLandingRunIds(db: Db, batch_id: string, system_id: string): Promise<string[]> {
  const result = await query<{ run_id: string }>(
    db,
    'read succeeded landing runs',
    `select run_id
       from audit.system_run
      where batch_id = $1
        and system_id = $2
        and status = 'succeeded'`,
    [batch_id, system_id],
  );
  return result.rows.map((row) => row.run_id);
}
