import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import { PayloadTooLargeError } from '../../../shared/errors.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { claimDueCalls, enqueueCall, markDelivered, markDeliveryFailed, type OutboxMessage } from '../../../shared/runs/outbox.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';

describe('outbox', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query('create table public.bronze_rows (batch_id uuid not null)');
  });
  afterAll(async () => {
    await db.drop();
  });

  const message = (batch_id = newBatchId()) => ({
    target_function: 'silver',
    payload: { batch_id, entity_id: 'person' },
    batch_id,
    batch_timestamp: new Date('2025-01-01T00:00:00Z'),
    call_id: 'call-bronze',
  });
  const outboxFor = async (batchId: string): Promise<OutboxMessage[]> =>
    (await db.pool.query<OutboxMessage>('select * from audit.outbox where batch_id = $1', [batchId])).rows;
  const clearDue = () => db.pool.query(`update audit.outbox set delivered_at = now() where delivered_at is null`);

  it('keeps a message exactly when the data it announces is committed', async () => {
    const kept = message();
    await withTransaction(db.pool, async (tx) => {
      await query(tx, 'write data', 'insert into public.bronze_rows values ($1)', [kept.batch_id]);
      await enqueueCall(tx, kept);
    });
    const lost = message();
    await expect(
      withTransaction(db.pool, async (tx) => {
        await query(tx, 'write data', 'insert into public.bronze_rows values ($1)', [lost.batch_id]);
        await enqueueCall(tx, lost);
        throw new Error('processor failed after writing');
      }),
    ).rejects.toThrow('processor failed');
    expect(await outboxFor(kept.batch_id)).toMatchObject([{ target_function: 'silver', payload: kept.payload, attempts: 0, delivered_at: null }]);
    expect(await outboxFor(lost.batch_id)).toEqual([]);
  });

  it('refuses a payload over the async body limit', async () => {
    const big = { ...message(), payload: { rows: 'x'.repeat(256_001) } };
    await expect(enqueueCall(db.pool, big)).rejects.toThrow(PayloadTooLargeError);
  });

  it('claims a due message once, leases it, and schedules a retry after a failed delivery', async () => {
    await clearDue();
    const written = await enqueueCall(db.pool, message());
    const [claimed, ...rest] = await claimDueCalls(db.pool, { leaseSeconds: 120 });
    expect(rest).toEqual([]);
    expect(claimed).toMatchObject({ id: written.id, attempts: 1 });
    expect(await claimDueCalls(db.pool)).toEqual([]); // leased

    await markDeliveryFailed(db.pool, claimed as OutboxMessage, 'gateway answered 502');
    const [row] = await outboxFor(written.batch_id);
    expect(row).toMatchObject({ attempts: 1, last_error: 'gateway answered 502', delivered_at: null });
    const delay = ((row as OutboxMessage).next_attempt_at.getTime() - Date.now()) / 1000;
    expect(delay).toBeGreaterThan(20);
    expect(delay).toBeLessThanOrEqual(31);
  });

  it('never hands out a delivered message again', async () => {
    await clearDue();
    const written = await enqueueCall(db.pool, message());
    const [claimed] = await claimDueCalls(db.pool, { leaseSeconds: 0 });
    await markDelivered(db.pool, (claimed as OutboxMessage).id, 'queued-call-1');
    expect(await claimDueCalls(db.pool)).toEqual([]);
    expect((await outboxFor(written.batch_id))[0]?.delivered_at).not.toBeNull();
  });

  it('gives two schedulers claiming at once different messages', async () => {
    await clearDue();
    const written = await Promise.all(Array.from({ length: 20 }, () => enqueueCall(db.pool, message())));
    const [first, second] = await Promise.all([claimDueCalls(db.newPool(1), { limit: 15 }), claimDueCalls(db.newPool(1), { limit: 15 })]);
    const ids = [...(first ?? []), ...(second ?? [])].map((claimed) => claimed.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(written.map((each) => each.id).sort());
  });
});
