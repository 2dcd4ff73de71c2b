import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previousRowCount } from '../../../shared/runs/entity-run-history.ts';
import { createBronzeTestEnv, type BronzeTestEnv, type Landed } from './bronze-test-env.ts';
import { customer } from './tst01-records.ts';

/**
 * The baseline of the row-count change check and the full-load guard, looked up in real audit rows of earlier
 * batches: test_customer (a full load, `row_count.max_change_pct: 50`) loaded batch after batch.
 */
describe('previousRowCount', () => {
  let env: BronzeTestEnv;
  beforeAll(async () => {
    env = await createBronzeTestEnv('bronze_previous_rows');
  });
  afterAll(async () => {
    await env.close();
  });

  const day = (date: number, hour = 0): Date => new Date(Date.UTC(2026, 0, date, hour));
  const customers = (count: number, overrides = {}) => ({ customers: Array.from({ length: count }, (_, n) => customer(`c-${n + 1}`, overrides)) });
  const landAndLoad = async (count: number, batch_timestamp: Date, overrides = {}): Promise<{ landed: Landed; status: string }> => {
    const landed = await env.land('TST01', customers(count, overrides), { batch_timestamp });
    const outcome = await env.process(landed, 'test_customer');
    return { landed, status: outcome.status };
  };
  const changeCheck = async (batch_id: string) =>
    (
      await env.db.pool.query<{ passed: boolean; expected: string; details: Record<string, unknown> }>(
        `select passed, expected, details - 'severity' as details from audit.check_result where batch_id = $1 and entity_id = 'test_customer' and check_name = 'row_count_change'`,
        [batch_id],
      )
    ).rows;

  it('is the row count of the latest earlier batch whose bronze run succeeded, and what the change check compares with', async () => {
    const first = await landAndLoad(4, day(1));
    expect(first.status).toBe('succeeded');
    expect(await previousRowCount(env.db.pool, 'test_customer', first.landed)).toBeNull();
    expect(await changeCheck(first.landed.batch_id)).toEqual([
      { passed: true, expected: 'change -50%..+50% of the previous batch', details: expect.objectContaining({ previous_row_count: null }) },
    ]);

    // a failed run (a tier outside accepted_values) wrote nothing and is no baseline
    const failed = await landAndLoad(3, day(2), { tier: 'platinum' });
    expect(failed.status).toBe('failed');

    const third = await landAndLoad(5, day(3));
    expect(third.status).toBe('succeeded');
    expect(await previousRowCount(env.db.pool, 'test_customer', third.landed)).toBe(4);
    expect(await changeCheck(third.landed.batch_id)).toEqual([
      { passed: true, expected: 'change -50%..+50% of 4', details: { previous_row_count: 4, change: 1, change_pct: 25 } },
    ]);
  });

  it('takes earlier batches by batch timestamp, so a late batch compares with the one before it, not the latest loaded', async () => {
    const late = await landAndLoad(6, day(2, 12));
    expect(late.status).toBe('succeeded');
    expect(await changeCheck(late.landed.batch_id)).toEqual([
      { passed: true, expected: 'change -50%..+50% of 4', details: { previous_row_count: 4, change: 2, change_pct: 50 } },
    ]);
  });

  it('never takes the batch itself, so a forced rerun compares with the batch before it', async () => {
    const batch = await landAndLoad(6, day(4));
    expect(await previousRowCount(env.db.pool, 'test_customer', batch.landed)).toBe(5);
    expect((await env.process(batch.landed, 'test_customer', { force: true })).status).toBe('succeeded');
    expect(await previousRowCount(env.db.pool, 'test_customer', batch.landed)).toBe(5);
  });

  it('rejects a batch whose count collapsed against the real previous batch', async () => {
    const collapsed = await landAndLoad(2, day(5));
    expect(collapsed.status).toBe('failed');
    expect(await changeCheck(collapsed.landed.batch_id)).toEqual([
      { passed: false, expected: 'change -50%..+50% of 6', details: { previous_row_count: 6, change: -4, change_pct: -66.67 } },
    ]);
  });
});
