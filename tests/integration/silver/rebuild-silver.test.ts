import { describe, expect, it } from 'vitest';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { ident } from '../../../shared/adapters/postgres/sql.ts';
import { withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import { UnsafeModelChangeError } from '../../../shared/errors.ts';
import { listSucceededBronzeBatches } from '../../../shared/runs/entity-run-history.ts';
import { rebuildSilver } from '../../../shared/layers/silver/rebuild-silver.ts';
import type { BatchRef, SilverEntity } from '../../../shared/layers/silver/silver-entity.ts';
import { finishEntityRun, startEntityRun } from '../../../shared/runs/entity-runs.ts';
import { landBatch } from '../runs/fixtures.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { applyBatch, batchAt, customerModel, newEntity, readSilver, writeBronze, type Row } from './fixtures.ts';

const customer = (id: string, extra: Row = {}): Row => ({ id, name: id, tier: 'bronze', score: '2', email: null, seen_at: null, ...extra });

describe('rebuildSilver', () => {
  const db = useTestDatabase();

  const apply = (entity: SilverEntity, batch: BatchRef) => applyBatch(db.pool, entity, batch);

  /** Lands a batch of TST01 and records a bronze run of `entity` for it that ends in `status`. */
  async function bronzeRun(entity: SilverEntity, rows: readonly Row[], status: 'succeeded' | 'failed'): Promise<BatchRef> {
    const landed = await landBatch(db.pool, { system_id: 'TST01', entities: [entity.id] });
    const batch = { batch_id: landed.batch_id, batch_timestamp: landed.batch_timestamp };
    const start = await startEntityRun(db.pool, { batch_id: batch.batch_id, system_id: 'TST01', layer: 'bronze', entity_id: entity.id, timeout_seconds: 60 });
    if (status === 'succeeded') await writeBronze(db.pool, entity, batch, rows);
    await finishEntityRun(db.pool, start.run.run_id, status === 'succeeded' ? { status } : { status, error: 'checks failed' });
    return batch;
  }

  it('replays the batches whose bronze run succeeded, in batch order, giving the in-order history', async () => {
    const entity = newEntity(customerModel, 'full');
    const b1 = await bronzeRun(entity, [customer('a'), customer('b')], 'succeeded');
    await bronzeRun(entity, [customer('a', { tier: 'never written' })], 'failed');
    const b3 = await bronzeRun(entity, [customer('a', { tier: 'gold' })], 'succeeded');
    await apply(entity, b1);
    await apply(entity, b3);
    const before = await readSilver(db.pool, entity);

    const batches = await listSucceededBronzeBatches(db.pool, entity.id);
    expect(batches.map((batch) => batch.batch_id)).toEqual([b1.batch_id, b3.batch_id]);
    const result = await withTransaction(db.pool, (tx) => rebuildSilver(tx, { entity, batches: [...batches].reverse(), callId: 'call-rebuild' }));
    expect(result).toEqual({
      mode: 'rebuilt',
      counts: { records_in: 3, records_inserted: 3, records_updated: 1, records_deleted: 1, records_unchanged: 0 },
      duplicates: 0,
      batches_replayed: 2,
    });
    expect(await readSilver(db.pool, entity)).toEqual(before);
    expect((await readSilver(db.pool, entity, { withCallId: true })).every((row) => row._dp_call_id === 'call-rebuild')).toBe(true);
  });

  it('leaves silver as it was when the rebuild fails', async () => {
    const entity = newEntity(customerModel, 'delta');
    await writeBronze(db.pool, entity, batchAt(1), [customer('a')]);
    await apply(entity, batchAt(1));
    const before = await readSilver(db.pool, entity);
    await expect(
      withTransaction(db.pool, (tx) => rebuildSilver(tx, { entity, batches: [batchAt(1), { batch_id: 'not-a-uuid', batch_timestamp: new Date() }], callId: 'call' })),
    ).rejects.toThrow(/invalid input syntax for type uuid/);
    expect(await readSilver(db.pool, entity)).toEqual(before);
  });
});

describe('silver when the model changes', () => {
  const db = useTestDatabase();

  const apply = (entity: SilverEntity, batch: BatchRef) => applyBatch(db.pool, entity, batch);
  const withModel = (entity: SilverEntity, model: EntityModel): SilverEntity => ({ ...entity, model });
  it('adds a new column without opening versions for unchanged keys, and versions it once it has values', async () => {
    const entity = newEntity(customerModel, 'full');
    await writeBronze(db.pool, entity, batchAt(1), [customer('a'), customer('b')]);
    await apply(entity, batchAt(1));

    const grown = withModel(entity, { ...customerModel, columns: [...customerModel.columns, { name: 'city', type: 'text', key: false, scd: 2, nullable: true }] });
    await writeBronze(db.pool, grown, batchAt(2), [customer('a'), customer('b', { city: 'Utrecht' })]);
    const result = await apply(grown, batchAt(2));
    expect(result.counts).toMatchObject({ records_inserted: 1, records_unchanged: 1 });
    const rows = await readSilver(db.pool, grown);
    expect(rows.map((row) => [row.id, row.city, row._dp_is_current])).toEqual([
      ['a', null, true],
      ['b', null, false],
      ['b', 'Utrecht', true],
    ]);
  });

  it('turning an SCD2 column into SCD1 overwrites its history on the next batch instead of versioning', async () => {
    const entity = newEntity(customerModel, 'full');
    await writeBronze(db.pool, entity, batchAt(1), [customer('a')]);
    await writeBronze(db.pool, entity, batchAt(2), [customer('a', { tier: 'gold' })]);
    await apply(entity, batchAt(1));
    await apply(entity, batchAt(2));

    const tierScd1 = withModel(entity, { ...customerModel, columns: customerModel.columns.map((c) => (c.name === 'tier' ? { ...c, scd: 1 as const } : c)) });
    await writeBronze(db.pool, tierScd1, batchAt(3), [customer('a', { tier: 'platinum' })]);
    const result = await apply(tierScd1, batchAt(3));
    expect(result.counts).toMatchObject({ records_inserted: 0, records_updated: 2 });
    expect((await readSilver(db.pool, entity)).map((row) => row.tier)).toEqual(['platinum', 'platinum']);
  });

  it('drops the retired fingerprint columns from an older silver table, keeping every row, once', async () => {
    const entity = newEntity(customerModel, 'full');
    await writeBronze(db.pool, entity, batchAt(1), [customer('a'), customer('b')]);
    await writeBronze(db.pool, entity, batchAt(2), [customer('a', { tier: 'gold' }), customer('b')]);
    await writeBronze(db.pool, entity, batchAt(3), [customer('a', { tier: 'gold' }), customer('b')]);
    await apply(entity, batchAt(1));
    // The table as it was before the hashes were removed: two not-null text columns the engine no longer writes.
    const table = `silver.${ident(entity.table)}`;
    await db.pool.query(`alter table ${table} add column "_dp_scd2_hash" text not null default 'old', add column "_dp_scd1_hash" text not null default 'old'`);
    await db.pool.query(`alter table ${table} alter column "_dp_scd2_hash" drop default, alter column "_dp_scd1_hash" drop default`);
    const before = await readSilver(db.pool, entity);
    const hashColumns = async (): Promise<string[]> =>
      (
        await db.pool.query<{ name: string }>(
          `select attname::text as name from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped and attname like '%hash' order by attnum`,
          [table],
        )
      ).rows.map((row) => row.name);
    expect(await hashColumns()).toEqual(['_dp_scd2_hash', '_dp_scd1_hash']);

    const result = await apply(entity, batchAt(2));
    expect(await hashColumns()).toEqual([]);
    expect(result.counts).toMatchObject({ records_inserted: 1, records_updated: 1, records_unchanged: 1 });
    const strip = (rows: readonly Row[]): Row[] => rows.map(({ _dp_scd2_hash: _h2, _dp_scd1_hash: _h1, ...rest }) => rest);
    const after = await readSilver(db.pool, entity);
    expect(after).toHaveLength(3);
    const previous = strip(before);
    for (const row of previous.filter((r) => r.id === 'b')) expect(after).toContainEqual(row); // untouched versions keep every value
    expect(after.filter((r) => r.id === 'a').map((r) => [r.tier, r._dp_is_current])).toEqual([
      ['bronze', false],
      ['gold', true],
    ]);

    await apply(entity, batchAt(3)); // idempotent: nothing left to drop, the next batch applies as usual
    expect(await hashColumns()).toEqual([]);
    expect(await readSilver(db.pool, entity)).toEqual(after);
  });

  it('refuses a type change with UnsafeModelChangeError and changes nothing', async () => {
    const entity = newEntity(customerModel, 'full');
    await writeBronze(db.pool, entity, batchAt(1), [customer('a')]);
    await apply(entity, batchAt(1));
    const retyped = withModel(entity, { ...customerModel, columns: customerModel.columns.map((c) => (c.name === 'score' ? { ...c, type: 'double' as const } : c)) });
    const error = await apply(retyped, batchAt(2)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsafeModelChangeError);
    expect((error as Error).message).toContain(`bronze.${entity.table}.score: the table has type numeric but the model says double precision`);
  });

  it('refuses a changed key', async () => {
    const entity = newEntity(customerModel, 'full');
    await writeBronze(db.pool, entity, batchAt(1), [customer('a')]);
    await apply(entity, batchAt(1));
    const rekeyed = withModel(entity, { ...customerModel, key: ['id', 'name'], columns: customerModel.columns.map((c) => (c.name === 'name' ? { ...c, key: true, nullable: false } : c)) });
    await expect(apply(rekeyed, batchAt(2))).rejects.toThrow(/the key is \(id\) but the model now says \(id, name\)/);
  });
});
