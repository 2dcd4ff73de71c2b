import { appendFile, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { DataRejectedError } from '../../../shared/errors.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { landSystem, LandSystemRequest } from '../../../shared/layers/landing/land-system.ts';
import { readCursor } from '../../../shared/runs/cursors.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { startSystemRun } from '../../../shared/runs/system-runs.ts';
import { backdateRun } from '../runs/fixtures.ts';
import { createTst01Env, readJsonLines, readRunRecords, type Tst01Env } from './tst01-env.ts';

let env: Tst01Env;
let products: string;

beforeAll(async () => {
  env = await createTst01Env('fail');
  const generated = join(env.dir, 'generated');
  await generateTestData({ seed: 3, batches: 1, out: generated, models });
  // TST01's folder holds batch-0001 with a products file that breaks after three good records
  await mkdir(join(env.dir, 'batch-0001'));
  for (const name of ['customers.jsonl', 'readings.jsonl']) await copyFile(join(generated, 'batch-0001', name), join(env.dir, 'batch-0001', name));
  products = await readFile(join(generated, 'batch-0001', 'products.jsonl'), 'utf8');
  const lines = products.trimEnd().split('\n');
  await writeFile(join(env.dir, 'batch-0001', 'products.jsonl'), `${lines.slice(0, 3).join('\n')}\n{"sku": "P-0004", "name": \n${lines.slice(3).join('\n')}\n`);
});

afterAll(async () => {
  await env.close();
});

const request = (fields: Record<string, unknown> = {}): LandSystemRequest => LandSystemRequest.parse({ system_id: 'TST01', ...fields });

async function documentsOfBatch(batch_id: string): Promise<number> {
  const landing = env.mongo.db(env.landingDatabase);
  let total = 0;
  for (const name of ['TST01__customers', 'TST01__products', 'TST01__readings']) {
    total += await landing.collection(name).countDocuments({ '_dp.batch_id': batch_id });
  }
  return total;
}

describe('a landing that fails halfway', () => {
  let failedBatch: string;
  let failedRun: string;

  it('ends failed with the file and line, keeps the cursor, chains nothing and leaves no records', async () => {
    const outcome = (await landSystem(request(), env.deps('call-broken'))) as unknown as Record<string, unknown>;
    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.any(DataRejectedError),
      counts: { customers: expect.any(Number), products: 3, readings: 0 },
    });
    expect((outcome.error as Error).message).toBe('batch-0001/products.jsonl line 4: not JSON');
    failedBatch = outcome.batch_id as string;
    failedRun = outcome.run_id as string;

    const run = await env.db.pool.query('select status, error from audit.system_run where run_id = $1', [failedRun]);
    expect(run.rows).toEqual([{ status: 'failed', error: 'batch-0001/products.jsonl line 4: not JSON' }]);
    const entityRuns = await env.db.pool.query(
      `select entity_id, status, records_in, records_inserted from audit.entity_layer_run where batch_id = $1 order by entity_id`,
      [failedBatch],
    );
    expect(entityRuns.rows).toEqual([
      { entity_id: 'customers', status: 'failed', records_in: (outcome.counts as Record<string, number>).customers, records_inserted: 0 },
      { entity_id: 'products', status: 'failed', records_in: 3, records_inserted: 0 },
      { entity_id: 'readings', status: 'failed', records_in: 0, records_inserted: 0 },
    ]);
    expect(await readCursor(env.db.pool, { system_id: 'TST01' })).toBeUndefined();
    const outbox = await env.db.pool.query(`select count(*)::int as n from audit.outbox where target_function = 'bronze'`);
    expect(outbox.rows).toEqual([{ n: 0 }]);
    const layers = await env.db.pool.query('select layer, status from audit.system_layer_run where batch_id = $1', [failedBatch]);
    expect(layers.rows).toEqual([{ layer: 'landing', status: 'failed' }]);
    expect(await documentsOfBatch(failedBatch)).toBe(0);
  });

  it('lands the whole batch once when rerun after the file is fixed, past a crashed attempt', async () => {
    await writeFile(join(env.dir, 'batch-0001', 'products.jsonl'), products);
    // a second attempt crashed after writing part of the batch: its run is still `running` and long stale
    const crashed = await startSystemRun(env.db.pool, {
      batch_id: failedBatch,
      batch_timestamp: new Date(),
      system_id: 'TST01',
      call_id: 'call-crashed',
      force: false,
      timeout_seconds: 60,
    });
    if (!crashed.proceed) throw new Error('the crashed attempt should have started');
    await backdateRun(env.db.pool, 'system_run', crashed.run.run_id, 3600);
    const writer = env.landing.openWriter({ system_id: 'TST01', batch_id: failedBatch, batch_timestamp: new Date(), run_id: crashed.run.run_id, call_id: 'call-crashed' });
    for (let i = 0; i < 5; i += 1) await writer.append('customers', { id: `half-${i}` });
    await writer.flush();

    const outcome = (await landSystem(request({ batch_id: failedBatch }), env.deps('call-rerun'))) as unknown as Record<string, unknown>;
    expect(outcome).toMatchObject({ status: 'succeeded', batch_id: failedBatch, description: 'batch-0001', bronze_calls: 6 });
    const run = await env.db.pool.query('select attempt, took_over_run_id from audit.system_run where run_id = $1', [outcome.run_id]);
    expect(run.rows).toEqual([{ attempt: 3, took_over_run_id: crashed.run.run_id }]);

    const batchDir = join(env.dir, 'batch-0001');
    let expectedTotal = 0;
    for (const landing_entity of ['customers', 'products', 'readings']) {
      const expected = await readJsonLines(join(batchDir, `${landing_entity}.jsonl`));
      expectedTotal += expected.length;
      const records = await readRunRecords(env.landing, { system_id: 'TST01', landing_entity, batch_id: failedBatch, run_id: outcome.run_id as string });
      expect(records.map((record) => record.record)).toEqual(expected);
    }
    // the failed and the crashed attempt's records are gone: the batch is in landing exactly once
    expect(await documentsOfBatch(failedBatch)).toBe(expectedTotal);
    expect(await readCursor(env.db.pool, { system_id: 'TST01' })).toMatchObject({ batch_id: failedBatch, position: 'batch-0001' });
    const layers = await env.db.pool.query('select layer, status from audit.system_layer_run where batch_id = $1 order by layer desc', [failedBatch]);
    expect(layers.rows).toEqual([
      { layer: 'landing', status: 'succeeded' },
      { layer: 'bronze', status: 'running' },
    ]);
  });

  it('never offers a failed attempt to bronze: only the succeeded run has records to read', async () => {
    expect(await readRunRecords(env.landing, { system_id: 'TST01', landing_entity: 'products', batch_id: failedBatch, run_id: failedRun })).toEqual([]);
    const succeeded = await env.db.pool.query(
      `select run_id from audit.system_run where batch_id = $1 and status = 'succeeded' and duplicate_of_run_id is null`,
      [failedBatch],
    );
    expect(succeeded.rows).toHaveLength(1);
  });

  it('fails a batch folder that lacks a landing entity file before landing anything', async () => {
    await mkdir(join(env.dir, 'batch-0002'));
    await appendFile(join(env.dir, 'batch-0002', 'customers.jsonl'), '{"id":"C0001"}\n');
    const outcome = await landSystem(request({ batch_id: newBatchId() }), env.deps('call-missing'));
    expect(outcome).toMatchObject({ status: 'failed', error: expect.any(DataRejectedError) });
    expect((outcome as { error: Error }).error.message).toBe('batch-0002 has no file for products.jsonl, readings.jsonl');
    expect(await readCursor(env.db.pool, { system_id: 'TST01' })).toMatchObject({ position: 'batch-0001' });
  });
});
