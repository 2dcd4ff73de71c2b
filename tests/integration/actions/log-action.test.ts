import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import { InvalidPayloadError, NotFoundError } from '../../../shared/errors.ts';
import { runLogAction } from '../../../shared/layers/actions/run-log-action.ts';
import { createLogger, type Logger } from '../../../shared/log.ts';
import type { ActionRequest } from '../../../shared/runtime/payloads.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { testMetadata } from '../runtime/test-metadata.ts';
import { failedEvent } from './failed-event.ts';

/** Why bronze failed, in the events of this file. */
const FAILURE = 'check key_unique failed: 2 duplicate keys';

const metadata = testMetadata({
  actions: [
    {
      id: 'log_failed',
      type: 'log',
      on: { event: 'entity-layer-processed', statuses: ['failed'] },
      settings: { level: 'error', message: 'entity layer run failed' },
    },
    { id: 'log_off', type: 'log', enabled: false, on: { event: 'entity-layer-processed' } },
    {
      id: 'notify',
      type: 'webhook',
      on: { event: 'entity-layer-processed' },
      settings: { url: 'http://127.0.0.1:9/hook', secret: 'signing-secret-0123456789' },
    },
  ],
});

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

/** A logger whose lines are kept as parsed JSON. */
function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ function: 'action-log' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

describe('runLogAction', () => {
  it('writes the event as one line at the action level with the action message, and records it', async () => {
    const { log, lines } = capturingLogger();
    const event = failedEvent(FAILURE);
    const outcome = await runLogAction({ action_id: 'log_failed', event }, { db: db.pool, metadata, log, callId: 'call-1' });
    expect(outcome).toMatchObject({ status: 'succeeded', action_id: 'log_failed' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'entity layer run failed',
      event: 'entity-layer-processed',
      layer: 'bronze',
      system_id: 'TST01',
      entity_id: 'test_customer',
      batch_id: event.batch_id,
      event_status: 'failed',
      event_run_id: event.run_id,
      error: 'check key_unique failed: 2 duplicate keys',
      counts: { records_in: 12, records_rejected: 12 },
    });
    const rows = await query(db.pool, 'read action runs', 'select action_id, action_type, event_run_id, status, call_id from audit.action_run where batch_id = $1', [event.batch_id]);
    expect(rows.rows).toEqual([{ action_id: 'log_failed', action_type: 'log', event_run_id: event.run_id, status: 'succeeded', call_id: 'call-1' }]);
  });

  it('logs an event delivered twice at the same time once; the other call is skipped', async () => {
    const { log, lines } = capturingLogger();
    const request: ActionRequest = { action_id: 'log_failed', event: failedEvent(FAILURE) };
    const outcomes = await Promise.all(
      ['call-a', 'call-b', 'call-c'].map((callId) => runLogAction(request, { db: db.pool, metadata, log, callId })),
    );
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['skipped', 'skipped', 'succeeded']);
    expect(outcomes.filter((outcome) => outcome.status === 'skipped').every((outcome) => outcome.reason === 'already_logged')).toBe(true);
    expect(lines.filter((line) => line.msg === 'entity layer run failed')).toHaveLength(1);
  });

  it('skips a disabled action without recording it', async () => {
    const { log, lines } = capturingLogger();
    const event = failedEvent(FAILURE);
    const outcome = await runLogAction({ action_id: 'log_off', event }, { db: db.pool, metadata, log, callId: undefined });
    expect(outcome).toEqual({ status: 'skipped', reason: 'action disabled', action_id: 'log_off' });
    expect(lines).toEqual([]);
    const rows = await query(db.pool, 'count action runs', 'select count(*)::int as n from audit.action_run where batch_id = $1', [event.batch_id]);
    expect(rows.rows[0]).toEqual({ n: 0 });
  });

  it('refuses an unknown action (404) and an action of another type (400)', async () => {
    const { log } = capturingLogger();
    const deps = { db: db.pool, metadata, log, callId: undefined };
    await expect(runLogAction({ action_id: 'nope', event: failedEvent(FAILURE) }, deps)).rejects.toThrow(NotFoundError);
    await expect(runLogAction({ action_id: 'notify', event: failedEvent(FAILURE) }, deps)).rejects.toThrow(InvalidPayloadError);
  });
});
