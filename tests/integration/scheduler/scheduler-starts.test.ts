import { describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../../shared/runs/outbox.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { useGatewayStandIn } from '../runtime/gateway-stand-in.ts';
import { jsonFileSystem, testMetadata } from '../runtime/test-metadata.ts';
import { tickScheduler, type TickAnswer } from './scheduler-harness.ts';

describe('scheduler: starting scheduled systems', () => {
  const db = useTestDatabase();
  const gateway = useGatewayStandIn();

  /** One tick at `now` by a scheduler process of its own (on `pool`). */
  const tickAt = (metadata: ReturnType<typeof testMetadata>, now: string, pool = db.pool): Promise<TickAnswer> =>
    tickScheduler({ pool, metadata, gatewayUrl: gateway.url, now: new Date(now) });
  const connectorCalls = async (systemId: string): Promise<OutboxMessage[]> =>
    (
      await db.pool.query<OutboxMessage>(
        `select * from audit.outbox where target_function like 'connector-%' and payload ->> 'system_id' = $1 order by created_at, id`,
        [systemId],
      )
    ).rows;
  const firedAt = (answer: TickAnswer, systemId: string): string[] =>
    answer.body.started.filter((start) => start.system_id === systemId).map((start) => start.fired_at);

  it('starts a due system through its connector with a named batch, and delivers the call', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SCA01', { schedule: '*/5 * * * *' })] });
    expect(firedAt(await tickAt(metadata, '2025-03-03T10:03:30Z'), 'SCA01')).toEqual([]); // first sight: 10:02:30 on
    const answer = await tickAt(metadata, '2025-03-03T10:05:20Z', db.pool);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'succeeded', delivered: 1, delivery_failed: 0, requeued: 0 });
    const [start] = answer.body.started;
    expect(start).toMatchObject({ system_id: 'SCA01', fired_at: '2025-03-03T10:05:00.000Z', connector: 'connector-jsonfile' });

    const [message, ...others] = await connectorCalls('SCA01');
    expect(others).toEqual([]);
    expect(message).toMatchObject({ target_function: 'connector-jsonfile', batch_id: start?.batch_id, delivered_at: expect.any(Date) });
    expect(gateway.received).toMatchObject([
      {
        path: '/async-function/connector-jsonfile',
        body: { system_id: 'SCA01', batch_id: start?.batch_id, batch_timestamp: '2025-03-03T10:05:20.000Z', force: false, parent_call_id: expect.any(String) },
      },
    ]);
  });

  it('starts a due system exactly once when two ticks overlap', async () => {
    const metadata = testMetadata({
      systems: [jsonFileSystem('SCB01', { schedule: '*/5 * * * *' }), jsonFileSystem('SCB02', { schedule: '* * * * *' })],
    });
    await tickAt(metadata, '2025-03-03T11:00:30Z'); // first sight of both: 11:00 falls in the first minute
    const poolA = db.newPool(2);
    const poolB = db.newPool(2);
    for (const now of ['2025-03-03T11:05:10Z', '2025-03-03T11:06:10Z', '2025-03-03T11:10:10Z', '2025-03-03T11:11:10Z']) {
      const [a, b] = await Promise.all([tickAt(metadata, now, poolA), tickAt(metadata, now, poolB)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const due = now.endsWith('5:10Z') || now.endsWith('0:10Z') ? ['SCB01', 'SCB02'] : ['SCB02'];
      const started = [...a.body.started, ...b.body.started].map((start) => start.system_id).sort();
      expect(started, `ticks at ${now}`).toEqual(due);
    }
    const calls = [...(await connectorCalls('SCB01')), ...(await connectorCalls('SCB02'))];
    expect(calls).toHaveLength(3 + 5); // SCB01: 11:00, 11:05, 11:10 — SCB02: 11:00, 11:05, 11:06, 11:10, 11:11
    expect(new Set(calls.map((call) => call.batch_id)).size).toBe(calls.length);
    // Both schedulers delivered, each message once.
    expect(gateway.received.filter((call) => call.path === '/async-function/connector-jsonfile')).toHaveLength(calls.length);
  });

  it('fires a missed start once when the tick comes late, then keeps the schedule', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SCC01', { schedule: '*/5 * * * *' })] });
    expect(firedAt(await tickAt(metadata, '2025-03-03T09:00:30Z'), 'SCC01')).toEqual(['2025-03-03T09:00:00.000Z']);
    // The scheduler was down for three hours: 36 firings missed, one start.
    expect(firedAt(await tickAt(metadata, '2025-03-03T12:02:30Z'), 'SCC01')).toEqual(['2025-03-03T12:00:00.000Z']);
    expect(firedAt(await tickAt(metadata, '2025-03-03T12:03:30Z'), 'SCC01')).toEqual([]);
    expect(firedAt(await tickAt(metadata, '2025-03-03T12:05:01Z'), 'SCC01')).toEqual(['2025-03-03T12:05:00.000Z']);
    expect(await connectorCalls('SCC01')).toHaveLength(3);
  });

  it('reads the schedule in the system’s time zone', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SCD01', { schedule: '0 6 * * *', timezone: 'Europe/Amsterdam' })] });
    expect(firedAt(await tickAt(metadata, '2025-01-15T04:59:30Z'), 'SCD01')).toEqual([]);
    expect(firedAt(await tickAt(metadata, '2025-01-15T06:00:30Z'), 'SCD01')).toEqual(['2025-01-15T05:00:00.000Z']); // 06:00 CET
  });

  it('leaves disabled and unscheduled systems alone', async () => {
    const metadata = testMetadata({
      systems: [jsonFileSystem('SCE01', { schedule: '* * * * *', enabled: false }), jsonFileSystem('SCE02')],
    });
    await tickAt(metadata, '2025-03-03T13:00:30Z');
    const answer = await tickAt(metadata, '2025-03-03T13:05:30Z');
    expect(answer.body.started).toEqual([]);
    expect([...(await connectorCalls('SCE01')), ...(await connectorCalls('SCE02'))]).toEqual([]);
  });

  it('remembers each system’s last start in audit.system_schedule', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SCF01', { schedule: '30 * * * *' })] });
    await tickAt(metadata, '2025-03-03T14:00:00Z');
    const answer = await tickAt(metadata, '2025-03-03T14:31:00Z');
    const { rows } = await db.pool.query('select * from audit.system_schedule where system_id = $1', ['SCF01']);
    expect(rows).toMatchObject([
      {
        schedule: '30 * * * *',
        timezone: 'UTC',
        fire_after: new Date('2025-03-03T14:30:00Z'),
        last_fired_at: new Date('2025-03-03T14:30:00Z'),
        last_started_at: new Date('2025-03-03T14:31:00Z'),
        last_batch_id: answer.body.started[0]?.batch_id,
      },
    ]);
  });

  it('starts the other systems when one cannot be started, and answers the failure', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SCG01', { schedule: '*/5 * * * *' }), jsonFileSystem('SCG02', { schedule: '*/5 * * * *' })] });
    // A schedule the deploy would have refused, as if metadata were written by a newer version of the platform.
    const broken = { ...metadata, systems: [{ ...metadata.systems[0], schedule: '61 * * * *' }, metadata.systems[1]] } as typeof metadata;
    const answer = await tickAt(broken, '2025-03-03T15:00:30Z');
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ status: 'failed', error: 'scheduler_step_failed', failed_steps: ['start SCG01'] });
    expect(firedAt(answer, 'SCG02')).toEqual(['2025-03-03T15:00:00.000Z']);
  });
});
