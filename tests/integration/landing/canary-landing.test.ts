/**
 * TST01 as a canary, landed through the landing use case on a real PostgreSQL and FerretDB: when its folder has no
 * batch left, the connector generates the next one (the same bytes the generator writes for that batch whatever the
 * total) and lands it; landings of the canary take turns, so calls at the same time never generate or land one
 * folder twice.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { landSystem, LandSystemRequest } from '../../../shared/layers/landing/land-system.ts';
import { readBatchPositions } from '../../../shared/runs/cursors.ts';
import type { Outcome } from '../../../shared/runtime/outcome.ts';
import { createTst01Env, readJsonLines, readRunRecords, type Tst01Env } from './tst01-env.ts';

let env: Tst01Env;

beforeAll(async () => {
  env = await createTst01Env('canary');
  expect(env.metadata.systems.find((system) => system.id === 'TST01')).toMatchObject({ connection: { canary: true } });
  await generateTestData({ seed: 4, batches: 1, out: env.dir, models });
});

afterAll(async () => {
  await env.close();
});

const land = (call: string): Promise<Outcome> => landSystem(LandSystemRequest.parse({ system_id: 'TST01' }), env.deps(call));
const field = (outcome: Outcome, name: string): unknown => (outcome as unknown as Record<string, unknown>)[name];

async function folders(): Promise<string[]> {
  return (await readdir(env.dir)).filter((name) => name.startsWith('batch-')).sort();
}

async function positions(): Promise<string[]> {
  return (await readBatchPositions(env.db.pool, 'TST01')).map((batch) => batch.position);
}

describe('a canary (TST01) through landSystem', () => {
  it('lands the generated folder, then generates the next one with the same seed and lands it', async () => {
    expect(await land('call-1')).toMatchObject({ status: 'succeeded', description: 'batch-0001' });
    const second = await land('call-2');
    expect(second).toMatchObject({ status: 'succeeded', description: 'batch-0002' });
    expect(await folders()).toEqual(['batch-0001', 'batch-0002']);
    expect(JSON.parse(await readFile(join(env.dir, 'generator.json'), 'utf8'))).toMatchObject({ seed: 4, batches: 2 });
    // what was landed is the folder, and the folder is what the generator writes for batch 2 of seed 4
    const reference = join(env.dir, 'reference'); // not a batch folder: the connector ignores it
    await generateTestData({ seed: 4, batches: 2, out: reference, models });
    for (const landing_entity of ['customers', 'products', 'readings']) {
      const file = `batch-0002/${landing_entity}.jsonl`;
      expect(await readFile(join(env.dir, file), 'utf8'), file).toBe(await readFile(join(reference, file), 'utf8'));
      const records = await readRunRecords(env.landing, {
        system_id: 'TST01',
        landing_entity,
        batch_id: field(second, 'batch_id') as string,
        run_id: field(second, 'run_id') as string,
      });
      expect(records.map((record) => record.record)).toEqual(await readJsonLines(join(env.dir, file)));
    }
    expect(await positions()).toEqual(['batch-0001', 'batch-0002']);
  }, 120_000);

  it('skips a landing while another landing of the canary runs, naming why; nothing is generated or landed', async () => {
    const holder = new pg.Client({ connectionString: env.db.url });
    await holder.connect();
    try {
      await holder.query(`select pg_advisory_lock(hashtextextended('dataplatform:landing:TST01', 0))`);
      const outcome = await land('call-busy');
      expect(outcome).toMatchObject({ status: 'skipped', reason: 'another landing of TST01 is running' });
      const run = await env.db.pool.query('select status, skip_reason from audit.system_run where run_id = $1', [field(outcome, 'run_id')]);
      expect(run.rows).toEqual([{ status: 'skipped', skip_reason: 'another landing of TST01 is running' }]);
    } finally {
      await holder.end();
    }
    expect(await folders()).toEqual(['batch-0001', 'batch-0002']);
    expect(await positions()).toEqual(['batch-0001', 'batch-0002']);
  }, 60_000);

  it('never generates or lands one folder twice when calls come at the same time', async () => {
    const outcomes = await Promise.all([1, 2, 3, 4].map((n) => land(`call-race-${n}`)));
    const succeeded = outcomes.filter((outcome) => outcome.status === 'succeeded');
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    for (const outcome of outcomes.filter((each) => each.status !== 'succeeded')) {
      expect(outcome).toMatchObject({ status: 'skipped', reason: 'another landing of TST01 is running' });
    }
    const landedFolders = succeeded.map((outcome) => field(outcome, 'description'));
    expect(new Set(landedFolders).size).toBe(landedFolders.length);
    const recorded = await positions();
    expect(recorded).toEqual([...new Set(recorded)]);
    expect(recorded).toEqual(['batch-0001', 'batch-0002', ...[...landedFolders].sort()]);
    expect(await folders()).toEqual(recorded);
  }, 120_000);
});
