/**
 * The canary's check on a real PostgreSQL: TST01 as a canary, its generated batches landed (each recording the folder
 * it landed, as the connector does) and loaded into bronze; silver then checks every applied batch against the
 * generator's expected state. A difference fails the silver run with entity, key, version and column, applies
 * nothing, and is recorded as a failed check; a batch that landed no folder cannot be checked and fails too.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { FIRST_BATCH_DAY, simulateTestSource } from '../../../shared/layers/landing/jsonfile/generator/test-source.ts';
import { TST01_ENTITIES } from '../../../shared/layers/landing/jsonfile/generator/tst01-entities.ts';
import { CANARY_CHECK } from '../../../shared/layers/silver/check-canary-silver.ts';
import { processSilverBatch } from '../../../shared/layers/silver/process-silver-batch.ts';
import { createLogger } from '../../../shared/log.ts';
import type { ValidatedMetadata } from '../../../shared/metadata/metadata-set.ts';
import { advanceCursor } from '../../../shared/runs/cursors.ts';
import { SilverRequest } from '../../../shared/runtime/payloads.ts';
import { createBronzeTestEnv, type BronzeTestEnv, type Landed } from '../bronze/bronze-test-env.ts';

const DAY_MS = 86_400_000;
const BATCHES = 3;

let env: BronzeTestEnv;
let baseDir: string;
let metadata: ValidatedMetadata;
const landed: Landed[] = [];

/** TST01 as the project declares it (a canary), its folder relative to `baseDir` as JSONFILE_BASE_DIR makes it. */
function canaryMetadata(): ValidatedMetadata {
  const systems = env.metadata.systems.map((system) =>
    system.type === 'jsonfile' && system.id === 'TST01' ? { ...system, connection: { ...system.connection, path: 'tst01', canary: true } } : system,
  );
  return { ...env.metadata, systems };
}

function applySilver(batch: Landed, entityId: string, call: string) {
  return processSilverBatch(SilverRequest.parse({ batch_id: batch.batch_id, system_id: 'TST01', entity_id: entityId }), {
    pool: env.db.pool,
    metadata,
    log: createLogger({}, { write: () => undefined }),
    callId: call,
    timeoutSeconds: 60,
    canaryBaseDir: baseDir,
  });
}

/** Lands a batch's records and loads every entity into bronze; `folder` is recorded as the cursor position. */
async function landAndLoad(records: Parameters<BronzeTestEnv['land']>[1], batchTimestamp: Date, folder: string | null): Promise<Landed> {
  const batch = await env.land('TST01', records, { batch_timestamp: batchTimestamp });
  if (folder !== null) await advanceCursor(env.db.pool, { system_id: 'TST01', batch_id: batch.batch_id, window_end: batchTimestamp, position: folder });
  for (const entity of TST01_ENTITIES) expect(await env.process(batch, entity.id), `${folder} ${entity.id}`).toMatchObject({ status: 'succeeded' });
  return batch;
}

async function checkResults(batchId: string, entityId: string): Promise<Array<{ passed: boolean; observed: unknown; expected: unknown; details: unknown }>> {
  const result = await env.db.pool.query(
    'select passed, observed, expected, details from audit.check_result where batch_id = $1 and entity_id = $2 and check_name = $3 order by checked_at',
    [batchId, entityId, CANARY_CHECK],
  );
  return result.rows;
}

beforeAll(async () => {
  env = await createBronzeTestEnv('silver_canary');
  baseDir = await mkdtemp(path.join(tmpdir(), 'dp-canary-'));
  metadata = canaryMetadata();
  await generateTestData({ seed: 3, batches: BATCHES, out: path.join(baseDir, 'tst01'), models });
  for (const batch of simulateTestSource({ seed: 3, batches: BATCHES })) {
    landed.push(await landAndLoad(batch.records, new Date(FIRST_BATCH_DAY + (batch.number - 1) * DAY_MS), batch.label));
  }
}, 240_000);

afterAll(async () => {
  await env?.close();
  await rm(baseDir, { recursive: true, force: true });
});

describe('silver of a canary', () => {
  it('passes batch 1 of every entity, and records the check with what it compared', async () => {
    const first = landed[0]!;
    for (const entity of TST01_ENTITIES) {
      expect(await applySilver(first, entity.id, `call-1-${entity.id}`), entity.id).toMatchObject({ status: 'succeeded' });
    }
    const expectedRows = JSON.parse(await readFile(path.join(baseDir, 'tst01/batch-0001/expected/silver/test_customer.json'), 'utf8')) as unknown[];
    expect(await checkResults(first.batch_id, 'test_customer')).toEqual([
      { passed: true, observed: { rows: expectedRows.length, differences: 0 }, expected: { rows: expectedRows.length, state_after: 'batch-0001' }, details: null },
    ]);
  }, 120_000);

  it('fails a batch whose silver differs from the expected state, naming entity, key, version and column, and applies nothing', async () => {
    const second = landed[1]!;
    const file = path.join(baseDir, 'tst01/batch-0002/expected/silver/test_customer.json');
    const original = await readFile(file, 'utf8');
    const rows = JSON.parse(original) as Array<Record<string, unknown>>;
    const target = rows.find((row) => row.id === 'C0001' && row._dp_valid_to === null)!;
    const tier = target.tier;
    target.tier = 'platinum';
    await writeFile(file, JSON.stringify(rows));
    try {
      const outcome = await applySilver(second, 'test_customer', 'call-2-test_customer');
      expect(outcome).toMatchObject({ status: 'failed' });
      const message = (outcome as { error: Error }).error.message;
      expect(message).toBe(
        `canary TST01: silver.test_customer differs from the generator's expected state after batch-0002: 1 difference: ` +
          `id=C0001, version from ${String(target._dp_valid_from)}: tier is ${JSON.stringify(tier)}, expected "platinum"`,
      );
      const run = await env.db.pool.query(
        `select status, error from audit.entity_layer_run where batch_id = $1 and layer = 'silver' and entity_id = 'test_customer'`,
        [second.batch_id],
      );
      expect(run.rows).toEqual([{ status: 'failed', error: message }]);
      const applied = await env.db.pool.query(`select 1 from silver._dp_applied_batch where entity_id = 'test_customer' and batch_id = $1`, [second.batch_id]);
      expect(applied.rows).toEqual([]);
      expect(await checkResults(second.batch_id, 'test_customer')).toEqual([
        { passed: false, observed: { rows: rows.length, differences: 1 }, expected: { rows: rows.length, state_after: 'batch-0002' }, details: { differences: [message.split('1 difference: ')[1]] } },
      ]);
    } finally {
      await writeFile(file, original);
    }
    // Put right (here: the expected file), a retry passes.
    const retried = await processSilverBatch(SilverRequest.parse({ batch_id: second.batch_id, system_id: 'TST01', entity_id: 'test_customer' }), {
      pool: env.db.pool,
      metadata,
      log: createLogger({}, { write: () => undefined }),
      callId: 'call-2-retry',
      timeoutSeconds: 60,
      canaryBaseDir: baseDir,
    });
    expect(retried).toMatchObject({ status: 'succeeded' });
  }, 120_000);

  it('checks against the newest folder silver holds when a batch comes late (an older batch replays the entity)', async () => {
    const [, second, third] = landed;
    expect(await applySilver(third!, 'test_customer_order', 'call-3-order')).toMatchObject({ status: 'failed' }); // batch 2 missing: not batch 3's state
    expect(await applySilver(second!, 'test_customer_order', 'call-2-order')).toMatchObject({ status: 'succeeded' });
    const retried = await processSilverBatch(SilverRequest.parse({ batch_id: third!.batch_id, system_id: 'TST01', entity_id: 'test_customer_order', force: true }), {
      pool: env.db.pool,
      metadata,
      log: createLogger({}, { write: () => undefined }),
      callId: 'call-3-order-again',
      timeoutSeconds: 60,
      canaryBaseDir: baseDir,
    });
    expect(retried).toMatchObject({ status: 'succeeded' });
    const results = await checkResults(third!.batch_id, 'test_customer_order');
    expect(results.map((result) => result.passed)).toEqual([false, true]);
  }, 120_000);

  it('fails a batch that landed no folder of the canary (a replay or a push): its state cannot be checked', async () => {
    const [source] = simulateTestSource({ seed: 3, batches: 1 });
    const replay = await landAndLoad(source!.records, new Date(FIRST_BATCH_DAY + 10 * DAY_MS), null);
    const outcome = await applySilver(replay, 'test_customer_tag', 'call-replay');
    expect(outcome).toMatchObject({ status: 'failed' });
    expect((outcome as { error: Error }).error.message).toBe(
      `canary TST01: silver.test_customer_tag holds batch ${replay.batch_id}, which landed no batch folder of tst01 (a replay or a push?), ` +
        'so it cannot be checked: its silver no longer follows the generator (docs/test-system.md, "Start the canary over")',
    );
  }, 120_000);
});
