import { describe, expect, it } from 'vitest';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { advanceCursor, readCursor } from '../../../shared/runs/cursors.ts';
import { finishSystemRun, startSystemRun } from '../../../shared/runs/system-runs.ts';
import type { FinalStatus } from '../../../shared/core/run-status.ts';
import { useTestDatabase } from '../postgres/test-database.ts';

const at = (iso: string): Date => new Date(iso);

describe('cursors', () => {
  const db = useTestDatabase();

  let systemCounter = 0;
  const newSystem = (): string => `CUR${String(++systemCounter).padStart(2, '0')}`;
  const land = async (system_id: string) => {
    const batch_id = newBatchId();
    const start = await startSystemRun(db.pool, { batch_id, batch_timestamp: new Date(), system_id, timeout_seconds: 60 });
    return { batch_id, run_id: start.run.run_id };
  };
  const landWith = async (system_id: string, status: FinalStatus, window_end: Date) => {
    const { batch_id, run_id } = await land(system_id);
    await finishSystemRun(db.pool, run_id, { status, cursors: [{ window_start: at('2025-01-01T00:00:00Z'), window_end }] });
    return batch_id;
  };

  it('has no cursor before the first successful delta load', async () => {
    expect(await readCursor(db.pool, { system_id: newSystem() })).toBeUndefined();
  });

  it('advances when the landing succeeds, in the same transaction', async () => {
    const system_id = newSystem();
    const batch_id = await landWith(system_id, 'succeeded', at('2025-01-02T00:00:00Z'));
    expect(await readCursor(db.pool, { system_id })).toMatchObject({
      system_id,
      entity_id: null,
      batch_id,
      window_start: at('2025-01-01T00:00:00Z'),
      window_end: at('2025-01-02T00:00:00Z'),
    });
  });

  it('stays where it was when the landing fails', async () => {
    const system_id = newSystem();
    await landWith(system_id, 'succeeded', at('2025-01-02T00:00:00Z'));
    await landWith(system_id, 'failed', at('2025-01-03T00:00:00Z'));
    expect((await readCursor(db.pool, { system_id }))?.window_end).toEqual(at('2025-01-02T00:00:00Z'));
  });

  it('refuses to advance for a batch whose landing has not succeeded', async () => {
    const system_id = newSystem();
    const running = await land(system_id);
    const result = await advanceCursor(db.pool, { system_id, batch_id: running.batch_id, window_end: at('2025-02-01T00:00:00Z') });
    expect(result).toEqual({ advanced: false, reason: 'batch_not_succeeded' });
    expect(await readCursor(db.pool, { system_id })).toBeUndefined();
  });

  it('never moves backwards', async () => {
    const system_id = newSystem();
    await landWith(system_id, 'succeeded', at('2025-01-05T00:00:00Z'));
    const older = await land(system_id);
    await finishSystemRun(db.pool, older.run_id, { status: 'succeeded' });
    const result = await advanceCursor(db.pool, { system_id, batch_id: older.batch_id, window_end: at('2025-01-04T00:00:00Z') });
    expect(result).toEqual({ advanced: false, reason: 'behind_current' });
    expect((await readCursor(db.pool, { system_id }))?.window_end).toEqual(at('2025-01-05T00:00:00Z'));
  });

  it('records a batch once', async () => {
    const system_id = newSystem();
    const batch_id = await landWith(system_id, 'succeeded', at('2025-01-02T00:00:00Z'));
    const again = await advanceCursor(db.pool, { system_id, batch_id, window_end: at('2025-01-02T00:00:00Z') });
    expect(again).toEqual({ advanced: false, reason: 'already_recorded' });
  });

  it('keeps entity cursors apart from the system cursor, with a source position', async () => {
    const system_id = newSystem();
    const { batch_id, run_id } = await land(system_id);
    await finishSystemRun(db.pool, run_id, {
      status: 'succeeded',
      cursors: [
        { window_end: at('2025-01-02T00:00:00Z') },
        { entity_id: 'payment', window_end: at('2025-01-03T00:00:00Z'), position: '1234567' },
      ],
    });
    expect(await readCursor(db.pool, { system_id })).toMatchObject({ entity_id: null, window_end: at('2025-01-02T00:00:00Z'), batch_id });
    expect(await readCursor(db.pool, { system_id, entity_id: 'payment' })).toMatchObject({
      entity_id: 'payment',
      window_end: at('2025-01-03T00:00:00Z'),
      position: '1234567',
    });
    expect(await readCursor(db.pool, { system_id, entity_id: 'card' })).toBeUndefined();
  });
});
