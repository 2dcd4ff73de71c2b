/**
 * The platform end to end, driven over HTTP exactly as faas-cli and cron-connector drive OpenFaaS: TST01 batches
 * go from the connector through bronze and silver to gold by themselves (each function delivers what it
 * announced, the scheduler delivers the rest), and what a person sees (audit rows, silver, gold, answers, the
 * dashboard) is checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTestBatch, type TestBatchResult } from '../../../dev/start/run-test-batch.ts';
import { models } from '../../../metadata/models/index.ts';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import { TST01_ENTITIES } from '../../../shared/layers/landing/jsonfile/generator/tst01-entities.ts';
import { describeModel, type ModelRegistry } from '../../../shared/metadata/model-dsl.ts';
import { countsPerBatch } from '../../../shared/runs/audit-queries.ts';
import { actualSilver, batchLabels, expectedSilver } from './expected-silver.ts';
import { AUTH, startPlatform, TEST_SYSTEM, type PlatformEnv } from './platform-env.ts';

const BATCH_TIMEOUT_MS = 150_000;

let platform: PlatformEnv;

beforeAll(async () => {
  platform = await startPlatform({ batches: 2 });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
}, 60_000);

function runBatch(options: { driveScheduler?: boolean } = {}): Promise<TestBatchResult> {
  return runTestBatch({
    ...options,
    gatewayUrl: platform.gateway.url,
    db: platform.db.pool,
    systemId: TEST_SYSTEM,
    connector: 'connector-jsonfile',
    isGatewayIdle: platform.isGatewayIdle,
    timeoutMs: BATCH_TIMEOUT_MS - 10_000,
  });
}

/** Layer → status of one batch, from the audit query the dashboard uses. */
async function layerStatuses(batchId: string): Promise<Record<string, string | null>> {
  const rows = (await countsPerBatch(platform.db.pool, { systemId: TEST_SYSTEM, limit: 50 })).filter((row) => row.batch_id === batchId);
  return Object.fromEntries(rows.map((row) => [row.layer ?? '(none)', row.layer_status]));
}

async function expectSilverAsGenerated(batch: string): Promise<void> {
  const labels = await batchLabels(platform.db.pool, TEST_SYSTEM);
  for (const entity of TST01_ENTITIES) {
    const schema = (models as ModelRegistry)[entity.model];
    if (!schema) throw new Error(`no model ${entity.model}`);
    const model = describeModel(entity.model, schema);
    const actual = await actualSilver(platform.db.pool, entity.id, model, labels);
    const expected = await expectedSilver(platform.dataDir, batch, entity.id, model);
    expect(expected.length).toBeGreaterThan(0);
    expect({ entity: entity.id, rows: actual }).toEqual({ entity: entity.id, rows: expected });
  }
}

describe('the platform on TST01', () => {
  let first: TestBatchResult;

  it('takes batch 1 from landing to gold, every layer succeeded', async () => {
    first = await runBatch();
    expect(first.settled).toBe(true);
    expect(first.started_by).toBe('invoke');
    expect(first.connector_answer?.status).toBe(200);
    expect(await layerStatuses(first.batch_id)).toEqual({
      landing: 'succeeded',
      bronze: 'succeeded',
      silver: 'succeeded',
      gold: 'succeeded',
    });
    const failed = await query(platform.db.pool, 'read failed runs', `select entity_id, layer, error from audit.entity_layer_run where status = 'failed'`);
    expect(failed.rows).toEqual([]);
  }, BATCH_TIMEOUT_MS);

  it('leaves silver exactly as the generator expects after batch 1', async () => {
    await expectSilverAsGenerated('batch-0001');
  });

  it('fills the gold table from silver', async () => {
    const gold = await query<{ rows: number }>(platform.db.pool, 'count gold', 'select count(*)::int as rows from gold.test_customer_order_total');
    expect(gold.rows[0]?.rows).toBeGreaterThan(0);
  });

  it('runs the log action for the system-layer events TST01 emits, once per event', async () => {
    const runs = await query<{ action_id: string; event: string; layer: string; status: string }>(
      platform.db.pool,
      'read action runs',
      `select action_id, event, layer, status from audit.action_run where batch_id = $1 order by layer`,
      [first.batch_id],
    );
    expect(runs.rows).toEqual([{ action_id: 'log_system_silver_done', event: 'system-layer-processed', layer: 'silver', status: 'succeeded' }]);
    const lines = platform.gateway.logs({ name: 'action-log', tail: 0 }).filter((line) => line.text.includes('system silver layer processed'));
    expect(lines).toHaveLength(1);
  });

  it('skips a second delivery of the same bronze call', async () => {
    const original = await query<{ call_id: string; run_id: string }>(
      platform.db.pool,
      'read bronze run',
      `select call_id, run_id from audit.entity_layer_run
        where batch_id = $1 and layer = 'bronze' and entity_id = 'test_customer' and status = 'succeeded'`,
      [first.batch_id],
    );
    const run = original.rows[0];
    expect(run).toBeDefined();
    // The queue-worker's redelivery: the same payload with the same X-Call-Id, on the async route.
    const answer = await fetch(`${platform.gateway.url}/async-function/bronze.openfaas-fn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-call-id': run?.call_id ?? '' },
      body: JSON.stringify({ batch_id: first.batch_id, system_id: TEST_SYSTEM, entity_id: 'test_customer' }),
    });
    expect(answer.status).toBe(202);
    await platform.gateway.waitForIdle();
    const duplicate = await query<{ status: string; skip_reason: string; duplicate_of_run_id: string }>(
      platform.db.pool,
      'read duplicate bronze run',
      `select status, skip_reason, duplicate_of_run_id from audit.entity_layer_run
        where batch_id = $1 and layer = 'bronze' and entity_id = 'test_customer' and run_id <> $2`,
      [first.batch_id, run?.run_id],
    );
    expect(duplicate.rows).toEqual([{ status: 'skipped', skip_reason: 'already_succeeded', duplicate_of_run_id: run?.run_id }]);
  });

  it('answers an invalid payload with 400 and the reason', async () => {
    const answer = await fetch(`${platform.gateway.url}/function/bronze.openfaas-fn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ batch_id: 'not-a-uuid', system_id: TEST_SYSTEM }),
    });
    expect(answer.status).toBe(400);
    const body = (await answer.json()) as { error: string; issues: string[] };
    expect(body.error).toBe('invalid_payload');
    expect(body.issues).toEqual(expect.arrayContaining([expect.stringMatching(/^batch_id: /), expect.stringMatching(/^entity_id: /)]));
  });

  it('takes batch 2 without any scheduler tick (each function hands over what it announced); silver again as generated', async () => {
    const second = await runBatch({ driveScheduler: false });
    expect(second.settled).toBe(true);
    expect(second.ticks).toBe(0);
    expect(second.batch_id).not.toBe(first.batch_id);
    expect(await layerStatuses(second.batch_id)).toEqual({
      landing: 'succeeded',
      bronze: 'succeeded',
      silver: 'succeeded',
      gold: 'succeeded',
    });
    await expectSilverAsGenerated('batch-0002');
  }, BATCH_TIMEOUT_MS);

  it('serves the dashboard as an HTML page and as JSON', async () => {
    const page = await fetch(`${platform.gateway.url}/function/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const text = await page.text();
    expect(text).toMatch(/^<!doctype html>/);
    expect(text).toContain('<code>TST01</code>');
    expect(text).toContain('gold.test_customer_order_total');
    expect(text).not.toMatch(/<script|<link|src="http/);

    const data = await fetch(`${platform.gateway.url}/function/dashboard?format=json&system_id=TST01`);
    expect(data.status).toBe(200);
    const overview = (await data.json()) as { systems: Array<{ system_id: string; latest: { run: { status: string } } | null }> };
    expect(overview.systems.map((system) => [system.system_id, system.latest?.run.status])).toEqual([[TEST_SYSTEM, 'succeeded']]);

    const refused = await fetch(`${platform.gateway.url}/function/dashboard?format=xml`);
    expect(refused.status).toBe(400);
  });

  it('lists every function and keeps their logs, as faas-cli list and logs read them', async () => {
    const list = await fetch(`${platform.gateway.url}/system/functions`, { headers: AUTH });
    expect(list.status).toBe(200);
    const functions = (await list.json()) as Array<{ name: string; availableReplicas?: number }>;
    expect(functions.map((fn) => fn.name).sort()).toEqual([...platform.gateway.functions].sort());
    expect(functions.every((fn) => fn.availableReplicas === 1)).toBe(true);

    const logs = await fetch(`${platform.gateway.url}/system/logs?name=bronze&tail=5`, { headers: AUTH });
    expect(logs.status).toBe(200);
    const lines = (await logs.text()).trim().split('\n').map((line) => JSON.parse(line) as { name: string; text: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.name === 'bronze')).toBe(true);
  });
});
