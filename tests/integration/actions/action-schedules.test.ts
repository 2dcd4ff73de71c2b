import { describe, expect, it } from 'vitest';
import { runLogAction } from '../../../shared/layers/actions/run-log-action.ts';
import { createLogger } from '../../../shared/log.ts';
import { ActionRequest } from '../../../shared/runtime/payloads.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { useGatewayStandIn } from '../runtime/gateway-stand-in.ts';
import { testMetadata } from '../runtime/test-metadata.ts';
import { tickScheduler, type TickAnswer } from '../scheduler/scheduler-harness.ts';

// Actions on a schedule (actions.json `schedule`): the scheduler starts a firing once, however many ticks overlap,
// as an `action-schedule-fired` event through the outbox; the action records it like an event.

const metadata = testMetadata({
  actions: [
    {
      id: 'nightly_note',
      type: 'log',
      on: { event: 'system-layer-processed' },
      schedule: '30 3 * * *',
      timezone: 'Europe/Amsterdam',
      settings: { level: 'info', message: 'nightly' },
    },
    { id: 'unscheduled', type: 'log', on: { event: 'system-layer-processed' } },
    { id: 'off', type: 'log', enabled: false, on: { event: 'system-layer-processed' }, schedule: '* * * * *' },
  ],
});

const db = useTestDatabase();
const gateway = useGatewayStandIn();

/** One tick at `now` by a scheduler process of its own. */
function tickAt(now: string, callId = 'tick'): Promise<TickAnswer> {
  return tickScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date(now), callId });
}

describe('scheduled actions', () => {
  it('starts a firing once, in the action time zone, as an action-schedule-fired event the action records', async () => {
    // First sight at 03:29:50 Amsterdam (02:29:50 UTC in winter): nothing of the past fires.
    expect((await tickAt('2025-01-10T02:29:50Z')).body).toMatchObject({ started_actions: [] });
    const [a, b] = await Promise.all([tickAt('2025-01-10T02:30:20Z', 'tick-a'), tickAt('2025-01-10T02:30:20Z', 'tick-b')]);
    const started = [...a.body.started_actions, ...b.body.started_actions];
    expect(started).toEqual([{ action_id: 'nightly_note', fired_at: '2025-01-10T02:30:00.000Z', run_id: expect.any(String), function: 'action-log' }]);
    expect(gateway.received).toHaveLength(1);
    const request = ActionRequest.parse(gateway.received[0]?.body);
    expect(request.event).toMatchObject({ event: 'action-schedule-fired', schedule: '30 3 * * *', timezone: 'Europe/Amsterdam', fired_at: '2025-01-10T02:30:00.000Z', status: 'fired' });

    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const outcome = await runLogAction(request, { db: db.pool, metadata, log, callId: 'call-log' });
    expect(outcome).toMatchObject({ status: 'succeeded', action_id: 'nightly_note' });
    expect(lines).toEqual([expect.objectContaining({ msg: 'nightly', event: 'action-schedule-fired', fired_at: '2025-01-10T02:30:00.000Z' })]);
    const { rows } = await db.pool.query('select event, event_status, system_id, layer, batch_id from audit.action_run where action_id = $1', ['nightly_note']);
    expect(rows).toEqual([{ event: 'action-schedule-fired', event_status: 'fired', system_id: null, layer: null, batch_id: request.event.run_id }]);
  });

  it('starts a missed firing once when the scheduler comes back late, and nothing again until the next one', async () => {
    const late = await tickAt('2025-01-12T09:00:00Z');
    expect(late.body).toMatchObject({ started_actions: [{ action_id: 'nightly_note', fired_at: '2025-01-12T02:30:00.000Z' }] });
    expect((await tickAt('2025-01-12T09:01:00Z')).body).toMatchObject({ started_actions: [] });
    expect((await tickAt('2025-01-13T02:30:10Z')).body).toMatchObject({ started_actions: [{ fired_at: '2025-01-13T02:30:00.000Z' }] });
  });
});
