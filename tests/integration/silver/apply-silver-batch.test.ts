import { describe, expect, it } from 'vitest';
import { withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import { applySilverBatch } from '../../../shared/layers/silver/apply-silver-batch.ts';
import { STAGE_TABLE, type BatchRef, type SilverEntity, type SilverResult } from '../../../shared/layers/silver/silver-entity.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { applyBatch, batchAt, customerModel, IS_VALID_FALSE, newEntity, readSilver, validatedCustomerModel, versionsOf, writeBronze, type Row } from './fixtures.ts';

describe('applySilverBatch', () => {
  const db = useTestDatabase();

  const apply = (entity: SilverEntity, batch: BatchRef, callId?: string): Promise<SilverResult> => applyBatch(db.pool, entity, batch, callId);
  const load = async (entity: SilverEntity, batch: BatchRef, rows: readonly Row[]): Promise<SilverResult> => {
    await writeBronze(db.pool, entity, batch, rows);
    return apply(entity, batch);
  };
  const customer = (id: string, extra: Row = {}): Row => ({ id, name: `name ${id}`, tier: 'bronze', score: '1.5', email: `${id}@example.org`, seen_at: null, ...extra });

  it('opens one current version per new key, valid from the batch timestamp', async () => {
    const entity = newEntity(customerModel, 'full');
    const b1 = batchAt(1);
    const result = await load(entity, b1, [customer('a'), customer('b')]);
    expect(result).toEqual({
      mode: 'applied',
      counts: { records_in: 2, records_inserted: 2, records_updated: 0, records_deleted: 0, records_unchanged: 0 },
      duplicates: 0,
      batches_replayed: 1,
    });
    const rows = await readSilver(db.pool, entity, { withCallId: true });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      id: 'a',
      tier: 'bronze',
      score: '1.5',
      _dp_valid_from: b1.batch_timestamp,
      _dp_valid_to: null,
      _dp_is_current: true,
      _dp_is_deleted: false,
      _dp_batch_id: b1.batch_id,
      _dp_call_id: 'call-silver',
      _dp_updated_batch_id: null,
    });
  });

  it('handles SCD1 and SCD2 changes in one batch: new versions for SCD2, SCD1 overwritten on every version', async () => {
    const entity = newEntity(customerModel, 'full');
    const [b1, b2] = [batchAt(1), batchAt(2)];
    await load(entity, b1, [customer('a'), customer('b'), customer('c'), customer('u')]);
    const result = await load(entity, b2, [
      customer('a', { tier: 'gold' }), // SCD2 only
      customer('b', { email: 'b@new.example.org' }), // SCD1 only
      customer('c', { tier: 'silver', email: 'c@new.example.org' }), // both
      customer('d'), // new key
      customer('u', { score: '1.50' }), // the same number: unchanged
    ]);
    expect(result.counts).toEqual({ records_in: 5, records_inserted: 3, records_updated: 3, records_deleted: 0, records_unchanged: 1 });

    const rows = await readSilver(db.pool, entity);
    const a = versionsOf(rows, 'a');
    expect(a.map((row) => [row.tier, row._dp_valid_from, row._dp_valid_to, row._dp_is_current])).toEqual([
      ['bronze', b1.batch_timestamp, b2.batch_timestamp, false],
      ['gold', b2.batch_timestamp, null, true],
    ]);
    expect(a[0]?._dp_updated_batch_id).toBe(b2.batch_id);
    expect(versionsOf(rows, 'b')).toEqual([expect.objectContaining({ email: 'b@new.example.org', _dp_valid_to: null, _dp_is_current: true, _dp_updated_batch_id: b2.batch_id })]);
    const c = versionsOf(rows, 'c');
    expect(c.map((row) => [row.tier, row.email, row._dp_is_current])).toEqual([
      ['bronze', 'c@new.example.org', false],
      ['silver', 'c@new.example.org', true],
    ]);
    expect(versionsOf(rows, 'd')).toHaveLength(1);
    expect(versionsOf(rows, 'u')).toEqual([expect.objectContaining({ score: '1.5', _dp_updated_batch_id: null })]);
  });

  it('overwrites SCD1 columns on closed versions too, when only SCD1 changes later', async () => {
    const entity = newEntity(customerModel, 'delta');
    await load(entity, batchAt(1), [customer('a')]);
    await load(entity, batchAt(2), [customer('a', { tier: 'gold' })]);
    const result = await load(entity, batchAt(3), [customer('a', { tier: 'gold', email: 'fixed@example.org' })]);
    expect(result.counts).toMatchObject({ records_inserted: 0, records_updated: 2, records_unchanged: 0 });
    const rows = await readSilver(db.pool, entity);
    expect(rows.map((row) => [row.tier, row.email])).toEqual([
      ['bronze', 'fixed@example.org'],
      ['gold', 'fixed@example.org'],
    ]);
  });

  it('deletes keys absent from a full load, and gives a key that comes back a new version', async () => {
    const entity = newEntity(customerModel, 'full');
    const [b1, b2, b3] = [batchAt(1), batchAt(2), batchAt(3)];
    await load(entity, b1, [customer('a'), customer('b')]);
    const deleting = await load(entity, b2, [customer('a')]);
    expect(deleting.counts).toEqual({ records_in: 1, records_inserted: 0, records_updated: 0, records_deleted: 1, records_unchanged: 1 });
    let b = versionsOf(await readSilver(db.pool, entity), 'b');
    expect(b).toEqual([expect.objectContaining({ _dp_valid_to: b2.batch_timestamp, _dp_is_current: true, _dp_is_deleted: true, _dp_updated_batch_id: b2.batch_id })]);

    const returning = await load(entity, b3, [customer('a'), customer('b')]);
    expect(returning.counts).toEqual({ records_in: 2, records_inserted: 1, records_updated: 1, records_deleted: 0, records_unchanged: 1 });
    b = versionsOf(await readSilver(db.pool, entity), 'b');
    expect(b.map((row) => [row._dp_valid_from, row._dp_valid_to, row._dp_is_current, row._dp_is_deleted])).toEqual([
      [b1.batch_timestamp, b2.batch_timestamp, false, true],
      [b3.batch_timestamp, null, true, false],
    ]);
  });

  it("leaves the transaction's planner settings as they were after a full load's close of absent keys", async () => {
    const entity = newEntity(customerModel, 'full');
    await load(entity, batchAt(1), [customer('a'), customer('b')]);
    await writeBronze(db.pool, entity, batchAt(2), [customer('a')]);
    const after = await withTransaction(db.pool, async (tx) => {
      const result = await applySilverBatch(tx, { entity, batch: batchAt(2), callId: 'call-silver' });
      const setting = await tx.client.query<{ nestloop: string }>(`select current_setting('enable_nestloop') as nestloop`);
      return { deleted: result.counts.records_deleted, nestloop: setting.rows[0]?.nestloop };
    });
    expect(after).toEqual({ deleted: 1, nestloop: 'on' });
  });

  it('never closes absent keys in a delta load', async () => {
    const entity = newEntity(customerModel, 'delta');
    await load(entity, batchAt(1), [customer('a'), customer('b')]);
    const result = await load(entity, batchAt(2), [customer('a', { tier: 'gold' })]);
    expect(result.counts.records_deleted).toBe(0);
    const rows = await readSilver(db.pool, entity);
    expect(versionsOf(rows, 'b')).toEqual([expect.objectContaining({ _dp_valid_to: null, _dp_is_current: true, _dp_is_deleted: false })]);
  });

  it('changes nothing for an empty delta batch', async () => {
    const entity = newEntity(customerModel, 'delta');
    await load(entity, batchAt(1), [customer('a')]);
    const before = await readSilver(db.pool, entity);
    const result = await load(entity, batchAt(2), []);
    expect(result.counts).toEqual({ records_in: 0, records_inserted: 0, records_updated: 0, records_deleted: 0, records_unchanged: 0 });
    expect(await readSilver(db.pool, entity)).toEqual(before);
  });

  it('deletes every key on an empty full load (the whole set is empty)', async () => {
    const entity = newEntity(customerModel, 'full');
    await load(entity, batchAt(1), [customer('a'), customer('b')]);
    const result = await load(entity, batchAt(2), []);
    expect(result.counts.records_deleted).toBe(2);
    expect((await readSilver(db.pool, entity)).every((row) => row._dp_is_deleted === true && row._dp_is_current === true)).toBe(true);
  });

  describe('tombstones (an explicit delete: is_valid = false)', () => {
    const tombstoneOf = (id: string, extra: Row = {}): Row => customer(id, { is_valid: false, ...extra });
    const withRule = (loadType: 'full' | 'delta') => newEntity(validatedCustomerModel, loadType, { tombstone: IS_VALID_FALSE });

    it('closes the key\'s open version in a delta load, flags it deleted and keeps it current, without writing its values', async () => {
      const entity = withRule('delta');
      const [b1, b2] = [batchAt(1), batchAt(2)];
      await load(entity, b1, [customer('a'), customer('b', { is_valid: true })]);
      const result = await load(entity, b2, [tombstoneOf('a', { tier: 'gold', email: 'gone@example.org' })]);
      expect(result.counts).toEqual({ records_in: 1, records_inserted: 0, records_updated: 0, records_deleted: 1, records_unchanged: 0 });
      const rows = await readSilver(db.pool, entity);
      expect(versionsOf(rows, 'a')).toEqual([
        expect.objectContaining({ tier: 'bronze', email: 'a@example.org', is_valid: null, _dp_valid_to: b2.batch_timestamp, _dp_is_current: true, _dp_is_deleted: true, _dp_updated_batch_id: b2.batch_id }),
      ]);
      expect(versionsOf(rows, 'b')).toEqual([expect.objectContaining({ _dp_valid_to: null, _dp_is_deleted: false })]);
    });

    it('changes nothing for a tombstone of a key silver never held, or one already deleted', async () => {
      const entity = withRule('delta');
      await load(entity, batchAt(1), [customer('a')]);
      const unknown = await load(entity, batchAt(2), [tombstoneOf('x')]);
      expect(unknown.counts).toEqual({ records_in: 1, records_inserted: 0, records_updated: 0, records_deleted: 0, records_unchanged: 1 });
      await load(entity, batchAt(3), [tombstoneOf('a')]);
      const before = await readSilver(db.pool, entity);
      const again = await load(entity, batchAt(4), [tombstoneOf('a')]);
      expect(again.counts).toEqual({ records_in: 1, records_inserted: 0, records_updated: 0, records_deleted: 0, records_unchanged: 1 });
      expect(await readSilver(db.pool, entity)).toEqual(before);
      expect(versionsOf(before, 'x')).toEqual([]);
    });

    it('gives a deleted key that comes back a new version', async () => {
      const entity = withRule('delta');
      const [b1, b2, b3] = [batchAt(1), batchAt(2), batchAt(3)];
      await load(entity, b1, [customer('a')]);
      await load(entity, b2, [tombstoneOf('a')]);
      const back = await load(entity, b3, [customer('a', { is_valid: true })]);
      expect(back.counts).toEqual({ records_in: 1, records_inserted: 1, records_updated: 1, records_deleted: 0, records_unchanged: 0 });
      expect(versionsOf(await readSilver(db.pool, entity), 'a').map((row) => [row._dp_valid_from, row._dp_valid_to, row._dp_is_current, row._dp_is_deleted, row.is_valid])).toEqual([
        [b1.batch_timestamp, b2.batch_timestamp, false, true, true],
        [b3.batch_timestamp, null, true, false, true],
      ]);
    });

    it('deletes by tombstone in a full load too, beside the keys the batch lacks', async () => {
      const entity = withRule('full');
      await load(entity, batchAt(1), [customer('a'), customer('b'), customer('c')]);
      const result = await load(entity, batchAt(2), [customer('a'), tombstoneOf('b')]);
      expect(result.counts).toEqual({ records_in: 2, records_inserted: 0, records_updated: 0, records_deleted: 2, records_unchanged: 1 });
      const rows = await readSilver(db.pool, entity);
      expect(rows.filter((row) => row._dp_is_deleted).map((row) => row.id)).toEqual(['b', 'c']);
    });

    it('lets the last record of a key in the batch decide: an edit followed by its deletion deletes', async () => {
      const entity = withRule('delta');
      await load(entity, batchAt(1), [customer('a'), customer('b')]);
      await load(entity, batchAt(2), [customer('a', { tier: 'gold' }), tombstoneOf('a'), tombstoneOf('b'), customer('b', { tier: 'gold' })]);
      const rows = await readSilver(db.pool, entity);
      expect(versionsOf(rows, 'a').map((row) => [row.tier, row._dp_is_current, row._dp_is_deleted])).toEqual([['bronze', true, true]]);
      expect(versionsOf(rows, 'b').map((row) => [row.tier, row._dp_is_current, row._dp_is_deleted])).toEqual([
        ['bronze', false, false],
        ['gold', true, false],
      ]);
    });
  });

  describe('the first batch of an empty silver table', () => {
    /** Applies a batch, also telling whether it was staged: the staging temp table lives until the commit. */
    const loadSeeingStage = async (entity: SilverEntity, batch: BatchRef, rows: readonly Row[]): Promise<{ result: SilverResult; staged: boolean }> => {
      await writeBronze(db.pool, entity, batch, rows);
      return withTransaction(db.pool, async (tx) => {
        const result = await applySilverBatch(tx, { entity, batch, callId: 'call-silver' });
        const stage = await tx.client.query<{ staged: boolean }>(`select to_regclass('pg_temp.${STAGE_TABLE}') is not null as staged`);
        return { result, staged: stage.rows[0]?.staged ?? true };
      });
    };
    const rows = [customer('a', { seen_at: '2026-01-01T00:00:00.000Z' }), customer('b', { score: null }), customer('c', { email: null })];

    it('is loaded straight from bronze, without staging, to the same state the staged path gives', async () => {
      const [direct, staged] = [newEntity(customerModel, 'full'), newEntity(customerModel, 'full')];
      const batch = batchAt(1);
      const first = await loadSeeingStage(direct, batch, rows);
      // A key held twice makes the first load give way to the general path; the earlier record loses.
      const general = await loadSeeingStage(staged, batch, [customer('a', { tier: 'loses' }), ...rows]);

      expect(first).toEqual({
        result: { mode: 'applied', counts: { records_in: 3, records_inserted: 3, records_updated: 0, records_deleted: 0, records_unchanged: 0 }, duplicates: 0, batches_replayed: 1 },
        staged: false,
      });
      expect(general).toEqual({
        result: { mode: 'applied', counts: { records_in: 4, records_inserted: 3, records_updated: 0, records_deleted: 0, records_unchanged: 0 }, duplicates: 1, batches_replayed: 1 },
        staged: true,
      });
      expect(await readSilver(db.pool, direct)).toEqual(await readSilver(db.pool, staged));
    });

    it('gives way to the general path when the batch holds a tombstone, which changes nothing', async () => {
      const entity = newEntity(validatedCustomerModel, 'delta', { tombstone: IS_VALID_FALSE });
      const { result, staged } = await loadSeeingStage(entity, batchAt(1), [customer('a', { is_valid: true }), customer('b', { is_valid: false })]);
      expect(staged).toBe(true);
      expect(result.counts).toEqual({ records_in: 2, records_inserted: 1, records_updated: 0, records_deleted: 0, records_unchanged: 1 });
      expect((await readSilver(db.pool, entity)).map((row) => row.id)).toEqual(['a']);
    });

    it('is loaded straight from bronze with a tombstone rule when no record is a tombstone', async () => {
      const entity = newEntity(validatedCustomerModel, 'delta', { tombstone: IS_VALID_FALSE });
      const { result, staged } = await loadSeeingStage(entity, batchAt(1), [customer('a', { is_valid: true }), customer('b', { is_valid: null })]);
      expect(staged).toBe(false);
      expect(result.counts).toEqual({ records_in: 2, records_inserted: 2, records_updated: 0, records_deleted: 0, records_unchanged: 0 });
    });
  });

  it('keeps the last record of a key by position when a batch holds the key twice', async () => {
    const entity = newEntity(customerModel, 'full');
    const result = await load(entity, batchAt(1), [
      customer('a', { tier: 'late', _dp_position: 7 }),
      customer('a', { tier: 'early', _dp_position: 3 }),
      customer('b'),
    ]);
    expect(result.counts).toMatchObject({ records_in: 3, records_inserted: 2 });
    expect(result.duplicates).toBe(1);
    expect(versionsOf(await readSilver(db.pool, entity), 'a')).toEqual([expect.objectContaining({ tier: 'late' })]);
  });

  it('keeps the record with the greatest latest_by value when the entity names one; nulls lose', async () => {
    const entity = newEntity(customerModel, 'full', { latestBy: 'seen_at' });
    await load(entity, batchAt(1), [
      customer('a', { tier: 'newest', seen_at: new Date('2026-01-02T00:00:00Z'), _dp_position: 0 }),
      customer('a', { tier: 'older', seen_at: new Date('2026-01-01T00:00:00Z'), _dp_position: 1 }),
      customer('a', { tier: 'unknown', seen_at: null, _dp_position: 2 }),
    ]);
    expect(versionsOf(await readSilver(db.pool, entity), 'a')).toEqual([expect.objectContaining({ tier: 'newest' })]);
  });

  it('takes validity from the batch timestamp to the microsecond', async () => {
    const entity = newEntity(customerModel, 'delta');
    const batch = { batch_id: '00000000-0000-7000-8000-000000000099', batch_timestamp: '2026-01-01T00:00:00.123456Z' };
    await load(entity, batch, [customer('a')]);
    const result = await db.pool.query<{ valid_from: string }>(`select to_char("_dp_valid_from" at time zone 'UTC', 'HH24:MI:SS.US') as valid_from from silver.${entity.table}`);
    expect(result.rows).toEqual([{ valid_from: '00:00:00.123456' }]);
  });

  it('reads only the latest bronze write of a batch (a forced bronze rerun replaces its rows)', async () => {
    const entity = newEntity(customerModel, 'full');
    const batch = batchAt(1);
    await writeBronze(db.pool, entity, batch, [customer('a', { tier: 'first write' }), customer('b')], { runId: 1 });
    await writeBronze(db.pool, entity, batch, [customer('a', { tier: 'second write' })], { runId: 2 });
    const result = await apply(entity, batch);
    expect(result.counts).toMatchObject({ records_in: 1, records_inserted: 1 });
    expect(await readSilver(db.pool, entity)).toEqual([expect.objectContaining({ id: 'a', tier: 'second write' })]);
  });

  it('replays from bronze when a batch older than silver arrives, ending as if applied in order', async () => {
    const inOrder = newEntity(customerModel, 'full');
    const late = newEntity(customerModel, 'full');
    const batches = [batchAt(1), batchAt(2), batchAt(3)];
    const contents = [[customer('a'), customer('b')], [customer('a', { tier: 'gold' })], [customer('a', { tier: 'gold' }), customer('b', { email: 'x@y.z' })]];
    for (const [index, batch] of batches.entries()) {
      await writeBronze(db.pool, inOrder, batch, contents[index] ?? []);
      await writeBronze(db.pool, late, batch, contents[index] ?? []);
    }
    const expected: SilverResult[] = [];
    for (const batch of batches) expected.push(await apply(inOrder, batch));

    await apply(late, batches[0] as BatchRef);
    await apply(late, batches[2] as BatchRef);
    const result = await apply(late, batches[1] as BatchRef);
    expect(result).toEqual({ ...expected[1], mode: 'rebuilt', batches_replayed: 3 });
    expect(await readSilver(db.pool, late)).toEqual(await readSilver(db.pool, inOrder));
  });

  it('replays when the newest batch is applied again (a forced rerun), changing nothing', async () => {
    const entity = newEntity(customerModel, 'full');
    await load(entity, batchAt(1), [customer('a'), customer('b')]);
    await load(entity, batchAt(2), [customer('a', { tier: 'gold' })]);
    const before = await readSilver(db.pool, entity);
    const again = await apply(entity, batchAt(2));
    expect(again).toMatchObject({ mode: 'rebuilt', batches_replayed: 2, counts: { records_inserted: 1, records_deleted: 1 } });
    expect(await readSilver(db.pool, entity)).toEqual(before);
  });

  it('orders batches of one timestamp by batch id', async () => {
    const entity = newEntity(customerModel, 'delta');
    const first = batchAt(5, '00000000-0000-7000-8000-00000000000a');
    const second = batchAt(5, '00000000-0000-7000-8000-00000000000b');
    await writeBronze(db.pool, entity, first, [customer('a', { tier: 'first' })]);
    await writeBronze(db.pool, entity, second, [customer('a', { tier: 'second' })]);
    await apply(entity, second);
    const result = await apply(entity, first);
    expect(result.mode).toBe('rebuilt');
    const rows = await readSilver(db.pool, entity);
    expect(rows.find((row) => row._dp_is_current)).toMatchObject({ tier: 'second' });
  });
});
