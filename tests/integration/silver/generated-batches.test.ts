/**
 * The silver engine against the test system's own oracle: every generated batch of TST01, landed, loaded into
 * bronze and applied to silver, must leave silver exactly as `batch-NNNN/expected/silver/<entity>.json` says
 * (all versions, validity, current and deleted flags) — in order, and whatever the order, duplication or
 * rebuilds of the silver calls.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { FIRST_BATCH_DAY, simulateTestSource } from '../../../shared/layers/landing/jsonfile/generator/test-source.ts';
import { TST01_ENTITIES } from '../../../shared/layers/landing/jsonfile/generator/tst01-entities.ts';
import { processSilverBatch } from '../../../shared/layers/silver/process-silver-batch.ts';
import { createLogger } from '../../../shared/log.ts';
import type { ModelRegistry } from '../../../shared/metadata/model-dsl.ts';
import { SilverRequest } from '../../../shared/runtime/payloads.ts';
import { actualSilver, expectedSilver } from '../../e2e/platform/expected-silver.ts';
import { createBronzeTestEnv, type BronzeTestEnv, type Landed } from '../bronze/bronze-test-env.ts';

const SEED = 7;
const BATCHES = 6;
const DAY_MS = 86_400_000;

interface LandedBatch {
  readonly label: string;
  readonly landed: Landed;
}

/** Generates the files (the oracle's expected state), then lands and loads into bronze every batch of them. */
async function landAndLoad(env: BronzeTestEnv, dataDir: string): Promise<LandedBatch[]> {
  await generateTestData({ seed: SEED, batches: BATCHES, out: dataDir, models: models as ModelRegistry });
  const batches: LandedBatch[] = [];
  for (const batch of simulateTestSource({ seed: SEED, batches: BATCHES })) {
    const batch_timestamp = new Date(FIRST_BATCH_DAY + (batch.number - 1) * DAY_MS);
    const landed = await env.land('TST01', batch.records, { batch_timestamp });
    for (const entity of TST01_ENTITIES) {
      const outcome = await env.process(landed, entity.id);
      expect(outcome, `${batch.label} ${entity.id}`).toMatchObject({ status: 'succeeded' });
    }
    batches.push({ label: batch.label, landed });
  }
  return batches;
}

function applySilver(env: BronzeTestEnv, landed: Landed, entityId: string, call: string, rebuild = false) {
  const request = SilverRequest.parse({ batch_id: landed.batch_id, system_id: 'TST01', entity_id: entityId, rebuild });
  return processSilverBatch(request, {
    pool: env.db.pool,
    metadata: env.metadata,
    log: createLogger({}, { write: () => undefined }),
    callId: call,
    timeoutSeconds: 60,
  });
}

async function expectSilverAsGenerated(env: BronzeTestEnv, dataDir: string, batches: readonly LandedBatch[], label: string): Promise<void> {
  const labels = new Map(batches.map((batch) => [batch.landed.batch_timestamp.toISOString(), batch.label]));
  for (const entity of TST01_ENTITIES) {
    const model = env.metadata.models[entity.model]!;
    const expected = await expectedSilver(dataDir, label, entity.id, model);
    const actual = await actualSilver(env.db.pool, entity.id, model, labels);
    expect(expected.length, `${label} ${entity.id}: the generator expects rows`).toBeGreaterThan(0);
    expect({ entity: entity.id, after: label, rows: actual }).toEqual({ entity: entity.id, after: label, rows: expected });
  }
}

describe('silver on the generated test system', () => {
  let env: BronzeTestEnv;
  let dataDir: string;
  let batches: LandedBatch[];

  beforeAll(async () => {
    env = await createBronzeTestEnv('silver_generated');
    dataDir = await mkdtemp(path.join(tmpdir(), 'dp-silver-generated-'));
    batches = await landAndLoad(env, dataDir);
  }, 240_000);
  afterAll(async () => {
    await env?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('equals the expected state after every batch, applied in order', async () => {
    for (const batch of batches) {
      for (const entity of TST01_ENTITIES) {
        const outcome = await applySilver(env, batch.landed, entity.id, `call-${batch.label}-${entity.id}`);
        expect(outcome, `${batch.label} ${entity.id}`).toMatchObject({ status: 'succeeded' });
      }
      await expectSilverAsGenerated(env, dataDir, batches, batch.label);
    }
  }, 240_000);

  it('ends in the same state when the calls come shuffled, twice, and with a rebuild in between', async () => {
    // Start over: empty every silver table, then deliver the calls out of order, some twice, forced where a
    // second delivery would otherwise be skipped as already done.
    for (const entity of TST01_ENTITIES) await env.db.pool.query(`truncate silver.${entity.id}`);
    await env.db.pool.query(`delete from audit.entity_layer_run where layer = 'silver'`);
    await env.db.pool.query(`delete from silver._dp_applied_batch`);
    const order = [3, 1, 5, 1, 6, 2, 4, 6].map((number) => batches[number - 1]!);
    for (const [index, batch] of order.entries()) {
      for (const entity of TST01_ENTITIES) {
        const outcome = await applySilver(env, batch.landed, entity.id, `shuffled-${index}-${entity.id}`, index === 4);
        expect(['succeeded', 'skipped'], `${batch.label} ${entity.id}`).toContain(outcome.status);
      }
    }
    await expectSilverAsGenerated(env, dataDir, batches, batches.at(-1)!.label);
  }, 240_000);
});
