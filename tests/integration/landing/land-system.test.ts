import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { InvalidPayloadError } from '../../../shared/errors.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { landSystem, LandSystemRequest } from '../../../shared/layers/landing/land-system.ts';
import { layerEntitiesOf } from '../../../shared/metadata/entity-schema.ts';
import { readCursor } from '../../../shared/runs/cursors.ts';
import type { Outcome } from '../../../shared/runtime/outcome.ts';
import { createTst01Env, projectMetadata, readJsonLines, readRunRecords, type Tst01Env } from './tst01-env.ts';

let env: Tst01Env;
const landed: { batch_id: string; run_id: string; label: string }[] = [];

beforeAll(async () => {
  env = await createTst01Env('land');
  await generateTestData({ seed: 7, batches: 6, out: env.dir, models });
});

afterAll(async () => {
  await env.close();
});

function request(fields: Record<string, unknown> = {}): LandSystemRequest {
  return LandSystemRequest.parse({ system_id: 'TST01', ...fields });
}

function facts(outcome: Outcome): Record<string, unknown> {
  return outcome as unknown as Record<string, unknown>;
}

describe('landSystem with the jsonfile connector (TST01)', () => {
  it('lands the generated batches one by one, with audit rows, cursors and bronze calls', async () => {
    const entityIds = layerEntitiesOf(env.metadata, 'TST01').map((entity) => entity.id);
    expect(entityIds).toHaveLength(6);
    for (let number = 1; number <= 6; number += 1) {
      const label = `batch-000${number}`;
      const outcome = await landSystem(request(), env.deps(`call-${number}`));
      expect(outcome).toMatchObject({ status: 'succeeded', system_id: 'TST01', description: label, bronze_calls: 6 });
      const { batch_id, run_id, counts } = facts(outcome) as { batch_id: string; run_id: string; counts: Record<string, number> };
      landed.push({ batch_id, run_id, label });

      // every record of every file, in file order, exactly once
      for (const landing_entity of ['customers', 'products', 'readings']) {
        const expected = await readJsonLines(join(env.dir, label, `${landing_entity}.jsonl`));
        const records = await readRunRecords(env.landing, { system_id: 'TST01', landing_entity, batch_id, run_id });
        expect(records.map((record) => record.record)).toEqual(expected);
        expect(records.map((record) => record.position)).toEqual(expected.map((_record, index) => index));
        expect(counts[landing_entity]).toBe(expected.length);
      }

      const cursor = await readCursor(env.db.pool, { system_id: 'TST01' });
      expect(cursor).toMatchObject({ batch_id, position: label });

      const systemRun = await env.db.pool.query('select status, call_id, attempt from audit.system_run where run_id = $1', [run_id]);
      expect(systemRun.rows).toEqual([{ status: 'succeeded', call_id: `call-${number}`, attempt: 1 }]);

      const entityRuns = await env.db.pool.query(
        `select entity_id, status, records_in, records_inserted
           from audit.entity_layer_run
          where batch_id = $1 and layer = 'landing'
          order by entity_id`,
        [batch_id],
      );
      expect(entityRuns.rows).toEqual(
        ['customers', 'products', 'readings'].map((entity_id) => ({
          entity_id,
          status: 'succeeded',
          records_in: counts[entity_id],
          records_inserted: counts[entity_id],
        })),
      );

      const layers = await env.db.pool.query(
        `select layer, status, entities_expected, entities_succeeded
           from audit.system_layer_run
          where batch_id = $1
          order by layer desc`,
        [batch_id],
      );
      expect(layers.rows).toEqual([
        { layer: 'landing', status: 'succeeded', entities_expected: 3, entities_succeeded: 3 },
        { layer: 'bronze', status: 'running', entities_expected: 6, entities_succeeded: 0 },
      ]);

      const outbox = await env.db.pool.query(
        `select target_function, payload, call_id
           from audit.outbox
          where batch_id = $1 and target_function = 'bronze'
          order by payload->>'entity_id'`,
        [batch_id],
      );
      expect(outbox.rows).toEqual(
        [...entityIds].sort().map((entity_id) => ({
          target_function: 'bronze',
          payload: { batch_id, system_id: 'TST01', entity_id, force: false, parent_call_id: `call-${number}` },
          call_id: `call-${number}`,
        })),
      );
    }
  });

  it('keeps the batch with a dotted attribute key exactly as the file has it', async () => {
    const batch = landed[3];
    if (!batch) throw new Error('batch 4 was not landed');
    const records = await readRunRecords(env.landing, { system_id: 'TST01', landing_entity: 'customers', ...batch });
    const dotted = records.find((record) => JSON.stringify(record.record).includes('pref.language'));
    expect(dotted?.record).toMatchObject({ id: 'C0005', attributes: { 'pref.language': 'nl' } });
    const stored = await env.mongo.db(env.landingDatabase).collection('TST01__customers').findOne({ _id: dotted?.record_id as never });
    expect(typeof stored?.record_json).toBe('string');
  });

  it('records an empty delta batch as landed with zero readings', async () => {
    const batch = landed[4];
    if (!batch) throw new Error('batch 5 was not landed');
    const result = await env.db.pool.query(
      `select records_in from audit.entity_layer_run where batch_id = $1 and layer = 'landing' and entity_id = 'readings'`,
      [batch.batch_id],
    );
    expect(result.rows).toEqual([{ records_in: 0 }]);
  });

  it('records a call with no new batch folder as skipped, chaining nothing (a system that is no canary)', async () => {
    const outcome = await landSystem(request(), env.deps('call-7', await projectMetadata(env.dir, false)));
    expect(outcome).toMatchObject({ status: 'skipped', reason: `no batch folder after batch-0006 in ${env.dir}` });
    const run = await env.db.pool.query('select status, skip_reason from audit.system_run where run_id = $1', [facts(outcome).run_id]);
    expect(run.rows).toEqual([{ status: 'skipped', skip_reason: `no batch folder after batch-0006 in ${env.dir}` }]);
    const outbox = await env.db.pool.query('select count(*)::int as n from audit.outbox where batch_id = $1', [facts(outcome).batch_id]);
    expect(outbox.rows).toEqual([{ n: 0 }]);
  });

  it('skips a call delivered twice (same batch id) as already succeeded', async () => {
    const batch = landed[0];
    const outcome = await landSystem(request({ batch_id: batch?.batch_id }), env.deps('call-again'));
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'already_succeeded', duplicate_of_run_id: batch?.run_id });
  });

  it('re-lands a succeeded batch when forced: the same folder, the same timestamp, bronze forced too', async () => {
    const batch = landed[1];
    if (!batch) throw new Error('batch 2 was not landed');
    const before = await env.db.pool.query('select batch_timestamp from audit.system_run where run_id = $1', [batch.run_id]);
    const outcome = await landSystem(request({ batch_id: batch.batch_id, force: true }), env.deps('call-forced'));
    expect(outcome).toMatchObject({ status: 'succeeded', description: 'batch-0002', batch_timestamp: (before.rows[0] as { batch_timestamp: Date }).batch_timestamp.toISOString() });
    const run = await env.db.pool.query('select attempt from audit.system_run where run_id = $1', [facts(outcome).run_id]);
    expect(run.rows).toEqual([{ attempt: 2 }]);
    const outbox = await env.db.pool.query(
      `select count(*)::int as n from audit.outbox where batch_id = $1 and call_id = 'call-forced' and (payload->>'force')::boolean`,
      [batch.batch_id],
    );
    expect(outbox.rows).toEqual([{ n: 6 }]);
    // the cursor stays where the newest batch left it
    expect(await readCursor(env.db.pool, { system_id: 'TST01' })).toMatchObject({ position: 'batch-0006' });
  });

  it('lands a given folder again as a new batch without moving the cursor back', async () => {
    const outcome = await landSystem(request({ options: { batch: 'batch-0003' } }), env.deps('call-replay'));
    expect(outcome).toMatchObject({ status: 'succeeded', description: 'batch-0003' });
    expect(await readCursor(env.db.pool, { system_id: 'TST01' })).toMatchObject({ position: 'batch-0006' });
  });

  it('refuses unknown connector options and systems of another type', async () => {
    await expect(landSystem(request({ options: { folder: 'x' } }), env.deps('call-bad'))).resolves.toMatchObject({
      status: 'failed',
      error: expect.any(InvalidPayloadError),
    });
    await expect(landSystem(request({ system_id: 'NSC01' }), env.deps('call-bad'))).rejects.toThrow(
      'system NSC01 is a nightscout system; this function lands jsonfile systems',
    );
  });
});
