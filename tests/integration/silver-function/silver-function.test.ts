import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silver } from '../../../functions/silver/handler.ts';
import type { LoadType, SilverEntity } from '../../../shared/layers/silver/silver-entity.ts';
import { createFunctionDeps, type FunctionDeps } from '../../../shared/runtime/function-deps.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { jsonFileSystem } from '../runtime/test-metadata.ts';
import { customerModel, newEntity, readSilver } from '../silver/fixtures.ts';
import { countsOf, landBatch, loadBronze, metadataWith, outboxTo, recordEntityRun, runsOf, serveFunction, type Batch, type ServedFunction } from './fixtures.ts';

let db: TestDatabase;
let served: ServedFunction[] = [];
let deps: FunctionDeps[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(served.map((each) => each.close()));
  await Promise.all(deps.map((each) => each.close()));
  served = [];
  deps = [];
});
afterAll(async () => {
  await db.drop();
});

const minute = (n: number): Date => new Date(Date.UTC(2026, 0, 1, 0, n, 0));

/**
 * The silver function serving one fresh entity of TST01 (its own tables), with a gold entity reading it and a
 * log action subscribed to its silver events.
 */
async function setup(loadType: LoadType): Promise<{ entity: SilverEntity; fn: ServedFunction }> {
  const entity = newEntity(customerModel, loadType);
  const metadata = metadataWith(
    {
      systems: [jsonFileSystem('TST01')],
      entities: [
        {
          id: entity.id,
          system_id: 'TST01',
          kind: 'bronze_silver',
          load_type: loadType,
          landing_entity: 'customers',
          processor: { name: 'as_is' },
          model: 'customer',
          events: ['entity-layer-processed'],
        },
        { id: `${entity.id}_gold`, system_id: 'TST01', kind: 'gold', sources: [entity.id], processor: { name: 'customer_tiers' }, model: 'customer' },
      ],
      actions: [{ id: 'log_silver', type: 'log', on: { event: 'entity-layer-processed', layers: ['silver'] } }],
    },
    { customer: customerModel },
  );
  const functionDeps = createFunctionDeps({ name: 'silver', pool: db.pool, metadataLoader: staticMetadataLoader(metadata, createEnvSecretStore({})) });
  deps.push(functionDeps);
  const fn = await serveFunction(silver, functionDeps);
  served.push(fn);
  return { entity, fn };
}

const payload = (batch: Batch, entity: SilverEntity, extra: Record<string, unknown> = {}) => ({
  batch_id: batch.batch_id,
  system_id: 'TST01',
  entity_id: entity.id,
  ...extra,
});

const ann = { id: 'c1', name: 'Ann', tier: 'gold', score: '1.50', email: 'ann@example.org' };
const bob = { id: 'c2', name: 'Bob', tier: 'silver', score: '2', email: 'bob@example.org' };
const cat = { id: 'c3', name: 'Cat', tier: 'bronze', score: null, email: null };
const customers = [ann, bob, cat];

describe('silver function', () => {
  it('applies a bronze batch, records its counts, chains gold and emits its event in one go', async () => {
    const { entity, fn } = await setup('full');
    const batch = await landBatch(db.pool, 'TST01', minute(0));
    await loadBronze(db.pool, entity, 'TST01', batch, customers);

    const answer = await fn.post(payload(batch, entity), 'call-silver-1');

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'succeeded', mode: 'applied', gold_calls: [`${entity.id}_gold`] });
    const [run] = await runsOf(db.pool, 'silver', entity.id);
    expect(run).toMatchObject({ status: 'succeeded', attempt: 1, call_id: 'call-silver-1', batch_id: batch.batch_id });
    expect(countsOf(run!)).toEqual({ records_in: 3, records_inserted: 3, records_updated: 0, records_deleted: 0, records_unchanged: 0 });
    expect((await readSilver(db.pool, entity)).map((row) => [row.id, row.tier, row._dp_is_current])).toEqual([
      ['c1', 'gold', true],
      ['c2', 'silver', true],
      ['c3', 'bronze', true],
    ]);
    expect(await outboxTo(db.pool, batch.batch_id, 'gold')).toEqual([
      { gold_entity_id: `${entity.id}_gold`, batch_id: batch.batch_id, force: true, parent_call_id: 'call-silver-1' },
    ]);
    const [event] = await outboxTo(db.pool, batch.batch_id, 'action-log');
    expect(event).toMatchObject({ action_id: 'log_silver', event: { event: 'entity-layer-processed', layer: 'silver', status: 'succeeded', entity_id: entity.id } });
    const layer = await db.pool.query('select status, entities_expected, entities_succeeded from audit.system_layer_run where batch_id = $1 and layer = $2', [batch.batch_id, 'silver']);
    expect(layer.rows).toEqual([{ status: 'succeeded', entities_expected: 1, entities_succeeded: 1 }]);
  });

  it('skips a batch that already succeeded, recording the skip, and changes nothing', async () => {
    const { entity, fn } = await setup('full');
    const batch = await landBatch(db.pool, 'TST01', minute(0));
    await loadBronze(db.pool, entity, 'TST01', batch, customers);
    const first = await fn.post(payload(batch, entity));
    const before = await readSilver(db.pool, entity);

    const again = await fn.post(payload(batch, entity));

    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'skipped', reason: 'already_succeeded', duplicate_of_run_id: first.body.run_id });
    expect((await runsOf(db.pool, 'silver', entity.id)).map((run) => [run.status, run.skip_reason])).toEqual([
      ['succeeded', null],
      ['skipped', 'already_succeeded'],
    ]);
    expect(await readSilver(db.pool, entity)).toEqual(before);
    expect(await outboxTo(db.pool, batch.batch_id, 'gold')).toHaveLength(1);
  });

  it('reprocesses with force as the next attempt: the batch is replayed and the history stays the same', async () => {
    const { entity, fn } = await setup('full');
    const first = await landBatch(db.pool, 'TST01', minute(0));
    const second = await landBatch(db.pool, 'TST01', minute(10));
    await loadBronze(db.pool, entity, 'TST01', first, customers);
    await loadBronze(db.pool, entity, 'TST01', second, [{ ...ann, tier: 'platinum' }, bob]);
    await fn.post(payload(first, entity));
    await fn.post(payload(second, entity));
    const before = await readSilver(db.pool, entity);

    const forced = await fn.post(payload(first, entity, { force: true }));

    expect(forced.body).toMatchObject({ status: 'succeeded', mode: 'rebuilt', batches_replayed: 2 });
    const runs = (await runsOf(db.pool, 'silver', entity.id)).filter((run) => run.batch_id === first.batch_id);
    expect(runs.map((run) => [run.status, run.attempt, run.force])).toEqual([
      ['succeeded', 1, false],
      ['succeeded', 2, true],
    ]);
    // What the first batch did in its place of the replay: the same as the first time.
    expect(countsOf(runs[1]!)).toEqual(countsOf(runs[0]!));
    expect(await readSilver(db.pool, entity)).toEqual(before);
    expect((await outboxTo(db.pool, first.batch_id, 'gold')).map((call) => call.force)).toEqual([true, true]);
  });

  it('counts what a full batch did: inserted, updated (SCD2 close and SCD1 overwrite), deleted, unchanged', async () => {
    const { entity, fn } = await setup('full');
    const first = await landBatch(db.pool, 'TST01', minute(0));
    const second = await landBatch(db.pool, 'TST01', minute(10));
    await loadBronze(db.pool, entity, 'TST01', first, customers);
    await loadBronze(db.pool, entity, 'TST01', second, [
      { ...ann, tier: 'platinum' }, // SCD2 change: c1's open version closed (updated), a new one (inserted)
      { ...bob, email: 'bob@new.example.org' }, // SCD1 change: overwritten in place (updated)
      // c3 absent: deleted
      { id: 'c4', name: 'Dan', tier: 'gold', score: '0', email: null }, // new key (inserted)
      { id: 'c4', name: 'Dan', tier: 'gold', score: '0', email: null }, // same key twice in the batch: one record in
    ]);
    await fn.post(payload(first, entity));

    const answer = await fn.post(payload(second, entity));

    expect(answer.body).toMatchObject({ status: 'succeeded', mode: 'applied', duplicates: 1 });
    const run = (await runsOf(db.pool, 'silver', entity.id)).find((each) => each.batch_id === second.batch_id);
    expect(countsOf(run!)).toEqual({ records_in: 4, records_inserted: 2, records_updated: 2, records_deleted: 1, records_unchanged: 0 });
    expect(answer.body.counts).toEqual({ ...countsOf(run!) });
  });

  it('counts a batch that repeats silver as unchanged, and tells gold it need not recompute again', async () => {
    const { entity, fn } = await setup('delta');
    const first = await landBatch(db.pool, 'TST01', minute(0));
    const second = await landBatch(db.pool, 'TST01', minute(10));
    await loadBronze(db.pool, entity, 'TST01', first, customers);
    await loadBronze(db.pool, entity, 'TST01', second, customers.slice(0, 2));
    await fn.post(payload(first, entity));

    await fn.post(payload(second, entity));

    const run = (await runsOf(db.pool, 'silver', entity.id)).find((each) => each.batch_id === second.batch_id);
    expect(countsOf(run!)).toEqual({ records_in: 2, records_inserted: 0, records_updated: 0, records_deleted: 0, records_unchanged: 2 });
    expect(await outboxTo(db.pool, second.batch_id, 'gold')).toEqual([{ gold_entity_id: `${entity.id}_gold`, batch_id: second.batch_id, force: false }]);
  });

  it('replays the entity when a late batch arrives, giving the history of in-order delivery', async () => {
    const { entity, fn } = await setup('full');
    const early = await landBatch(db.pool, 'TST01', minute(0));
    const middle = await landBatch(db.pool, 'TST01', minute(5));
    const late = await landBatch(db.pool, 'TST01', minute(10));
    await loadBronze(db.pool, entity, 'TST01', early, customers);
    await loadBronze(db.pool, entity, 'TST01', middle, [{ ...ann, tier: 'silver' }, bob, cat]);
    await loadBronze(db.pool, entity, 'TST01', late, [{ ...ann, tier: 'platinum' }, bob, cat]);
    await fn.post(payload(early, entity));
    await fn.post(payload(late, entity));

    const answer = await fn.post(payload(middle, entity));

    expect(answer.body).toMatchObject({ status: 'succeeded', mode: 'rebuilt', batches_replayed: 3 });
    const versions = (await readSilver(db.pool, entity)).filter((row) => row.id === 'c1');
    expect(versions.map((row) => [row.tier, row._dp_valid_from, row._dp_valid_to])).toEqual([
      ['gold', minute(0), minute(5)],
      ['silver', minute(5), minute(10)],
      ['platinum', minute(10), null],
    ]);
  });

  it('rebuilds from every batch whose bronze run succeeded when asked to, even after success', async () => {
    const { entity, fn } = await setup('full');
    const first = await landBatch(db.pool, 'TST01', minute(0));
    const second = await landBatch(db.pool, 'TST01', minute(10));
    await loadBronze(db.pool, entity, 'TST01', first, customers);
    await loadBronze(db.pool, entity, 'TST01', second, customers.slice(0, 1));
    await fn.post(payload(first, entity));
    await fn.post(payload(second, entity));
    const before = await readSilver(db.pool, entity);
    await db.pool.query(`truncate table silver.${entity.table}`); // silver lost; bronze has the whole history

    const answer = await fn.post(payload(second, entity, { rebuild: true }));

    expect(answer.body).toMatchObject({ status: 'succeeded', mode: 'rebuilt', batches_replayed: 2 });
    const run = (await runsOf(db.pool, 'silver', entity.id)).at(-1);
    expect(run).toMatchObject({ status: 'succeeded', force: true, attempt: 2 });
    // Counts of a rebuild are summed over the replay: 3 + 1 records in, 3 inserted, 2 deleted, 1 unchanged.
    expect(countsOf(run!)).toEqual({ records_in: 4, records_inserted: 3, records_updated: 0, records_deleted: 2, records_unchanged: 1 });
    expect(await readSilver(db.pool, entity)).toEqual(before);
  });

  it('records a skip with its reason when bronze has not succeeded for the batch, and still tells gold', async () => {
    const { entity, fn } = await setup('full');
    const batch = await landBatch(db.pool, 'TST01', minute(0));
    await recordEntityRun(db.pool, { batch, system_id: 'TST01', layer: 'bronze', entity_id: entity.id, expected: 1 }, 'failed');

    const answer = await fn.post(payload(batch, entity));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'skipped', reason: 'bronze has not succeeded for this batch (latest bronze run: failed)' });
    const [run] = await runsOf(db.pool, 'silver', entity.id);
    expect(run).toMatchObject({ status: 'skipped', skip_reason: 'bronze has not succeeded for this batch (latest bronze run: failed)' });
    expect(await outboxTo(db.pool, batch.batch_id, 'gold')).toEqual([{ gold_entity_id: `${entity.id}_gold`, batch_id: batch.batch_id, force: false }]);

    // bronze succeeds later (a re-queued attempt): silver then runs, as the skip was no success
    await loadBronze(db.pool, entity, 'TST01', batch, customers);
    expect((await fn.post(payload(batch, entity))).body).toMatchObject({ status: 'succeeded' });
  });

  it('answers 404 for an entity, system or batch it does not know, and 400 for a bad payload', async () => {
    const { entity, fn } = await setup('full');
    const batch = await landBatch(db.pool, 'TST01', minute(0));
    expect((await fn.post({ ...payload(batch, entity), entity_id: 'nope' })).body).toMatchObject({ error: 'not_found', message: 'unknown entity "nope"' });
    expect((await fn.post({ ...payload(batch, entity), system_id: 'NSC01' })).status).toBe(404);
    expect((await fn.post({ ...payload(batch, entity), batch_id: '0190f1f6-3c4e-7a7b-8c9d-0123456789ab' })).body).toMatchObject({
      error: 'not_found',
      message: 'batch 0190f1f6-3c4e-7a7b-8c9d-0123456789ab of system TST01 has no landing run',
    });
    const bad = await fn.post({ ...payload(batch, entity), rebuild: 'yes' });
    expect(bad.status).toBe(400);
    expect(await runsOf(db.pool, 'silver', entity.id)).toEqual([]);
  });

  it('records a failure with its reason when the model cannot be applied, and answers with its status', async () => {
    const { entity, fn } = await setup('full');
    const batch = await landBatch(db.pool, 'TST01', minute(0));
    await loadBronze(db.pool, entity, 'TST01', batch, customers);
    await db.pool.query('create schema if not exists silver');
    await db.pool.query(`create table silver.${entity.table} (id integer)`); // not what the model makes

    const answer = await fn.post(payload(batch, entity));

    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ status: 'failed', error: 'unsafe_model_change' });
    const [run] = await runsOf(db.pool, 'silver', entity.id);
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/^the model of silver\.customer_\d+_full changed in a way the table cannot take/);
  });
});
