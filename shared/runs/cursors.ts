import * as z from 'zod';
import { inTransaction, query, type Db } from '../adapters/postgres/transaction.ts';
import { lockForTransaction } from '../adapters/postgres/advisory-lock.ts';
import { insertAuditRow } from './insert-audit-row.ts';
import { parseRunInput } from './run-errors.ts';
import { CursorWindow } from './run-types.ts';

/** Where a delta load stands: the last successful window of a system (or one of its entities). */
export interface CursorPosition {
  readonly system_id: string;
  readonly entity_id: string | null;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly window_start: Date | null;
  readonly window_end: Date;
  readonly position: string | null;
  readonly recorded_at: Date;
}

/** Which cursor: a system's own (`entity_id` absent) or one entity's. */
export const CursorRef = z.strictObject({
  system_id: z.string().min(1),
  entity_id: z.string().min(1).nullish(),
});
export type CursorRef = z.input<typeof CursorRef>;

/** A window to record for a batch. */
export const CursorAdvance = CursorWindow.extend({ system_id: z.string().min(1), batch_id: z.uuid() });
export type CursorAdvance = z.input<typeof CursorAdvance>;

/** Whether a window was recorded, and if not, why. */
export type CursorAdvanceResult =
  | { readonly advanced: true; readonly cursor: CursorPosition }
  | { readonly advanced: false; readonly reason: 'batch_not_succeeded' | 'behind_current' | 'already_recorded' };

const SELECT_LATEST = `
  select system_id, entity_id, batch_id, batch_timestamp, window_start, window_end, position, recorded_at
    from audit.cursor
   where system_id = $1
     and (entity_id = $2 or ($2::text is null and entity_id is null))
   order by window_end desc, recorded_at desc
   limit 1`;

/**
 * Reads the lower bound of the next delta load: the greatest window end recorded for the system (or entity).
 * `undefined` means no successful load yet, so the connector loads from its configured start.
 */
export async function readCursor(db: Db, ref: CursorRef): Promise<CursorPosition | undefined> {
  const request = parseRunInput(CursorRef, ref, 'read cursor');
  const result = await query<CursorPosition>(db, 'read cursor', SELECT_LATEST, [request.system_id, request.entity_id ?? null]);
  return result.rows[0];
}

/**
 * Records the window a batch fetched, moving the cursor forward. Refused unless the batch's landing succeeded,
 * and when the window ends before the current cursor (never backwards); recording the same batch twice is a
 * no-op. Cursors of one system and entity take turns on an advisory lock, so "never backwards" holds under
 * concurrency. `finishSystemRun` calls this in its transaction; call it directly for windows learned later.
 */
export async function advanceCursor(db: Db, input: CursorAdvance): Promise<CursorAdvanceResult> {
  const request = parseRunInput(CursorAdvance, input, 'advance cursor');
  const entityId = request.entity_id ?? null;
  return inTransaction(db, async (tx) => {
    await lockForTransaction(tx, 'lock cursor', `dataplatform:cursor:${request.system_id}:${entityId ?? ''}`);
    const batch = await query<{ batch_timestamp: Date }>(
      tx,
      'check batch succeeded',
      `select batch_timestamp
         from audit.system_run
        where batch_id = $1
          and system_id = $2
          and status = 'succeeded'
        limit 1`,
      [request.batch_id, request.system_id],
    );
    const batchTimestamp = batch.rows[0]?.batch_timestamp;
    if (!batchTimestamp) return { advanced: false, reason: 'batch_not_succeeded' };
    const current = await query<CursorPosition>(tx, 'read cursor', SELECT_LATEST, [request.system_id, entityId]);
    const currentEnd = current.rows[0]?.window_end;
    if (currentEnd && request.window_end.getTime() < currentEnd.getTime()) return { advanced: false, reason: 'behind_current' };
    const cursor = await insertAuditRow<CursorPosition>(
      tx,
      'advance cursor',
      'cursor',
      {
        system_id: request.system_id,
        entity_id: entityId,
        batch_id: request.batch_id,
        batch_timestamp: batchTimestamp,
        window_start: request.window_start ?? null,
        window_end: request.window_end,
        position: request.position ?? null,
      },
      {
        onConflict: 'on conflict on constraint cursor_batch_key do nothing',
        returning: 'system_id, entity_id, batch_id, batch_timestamp, window_start, window_end, position, recorded_at',
      },
    );
    return cursor ? { advanced: true, cursor } : { advanced: false, reason: 'already_recorded' };
  });
}

/** A batch of a system and the source position its landing recorded (jsonfile: the batch folder it landed). */
export interface BatchPosition {
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly position: string;
}

/**
 * Every batch of a system whose landing recorded a position in its system-wide cursor, oldest first: which batch
 * landed which source folder, so silver validity (batch timestamps) can be read as folder names.
 */
export async function readBatchPositions(db: Db, systemId: string): Promise<BatchPosition[]> {
  const result = await query<BatchPosition>(
    db,
    'read batch positions',
    `select batch_id, batch_timestamp, position
       from audit.cursor
      where system_id = $1
        and entity_id is null
        and position is not null
      order by batch_timestamp, batch_id`,
    [systemId],
  );
  return result.rows;
}

/** A recorded delta window of a system, as a connector starts from it. */
export interface RecordedWindow {
  readonly window_start: Date | null;
  readonly window_end: Date;
  readonly position: string | null;
}

/**
 * The system's cursor as it stood before the batch of `batch_timestamp`: the greatest window recorded by an older
 * batch. For a new batch that is the current cursor; a rerun of an older batch reads the cursor it started from,
 * so it fetches what it fetched the first time.
 */
export async function cursorBefore(db: Db, system_id: string, batch_timestamp: Date): Promise<RecordedWindow | undefined> {
  const result = await query<RecordedWindow>(
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

