/**
 * Machine learning end to end on the real OpenFaaS stack: NSC01 against a fake Nightscout with two weeks of realistic
 * CGM readings, deployed with faas-cli into a namespace of its own. The Nightscout chain (connector → bronze →
 * silver → gold) ends in the daily glucose gold, whose event starts the train action (the Python function through
 * the gateway): a run in MLflow with its figures and a registered version, the champion served by MLServer. A
 * second batch then writes gold.nightscout_glucose_forecast from the served champion.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNightscout, type FakeNightscout } from '../../../dev/fakes/nightscout/fake-nightscout.ts';
import { cgmEntries } from '../../../dev/fakes/nightscout/cgm-simulator.ts';
import { runTestBatch, type TestBatchResult } from '../../../dev/start/run-test-batch.ts';
import { createMlflowRegistry } from '../../../shared/adapters/ml/mlflow-registry.ts';
import { createMlServerClient } from '../../../shared/adapters/ml/mlserver-client.ts';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import { runFingerprint } from '../../../shared/layers/gold/processors/glucose-forecast.ts';
import { createLogger } from '../../../shared/log.ts';
import { devicestatus, profiles, treatments } from '../../fixtures/nightscout/dataset.ts';
import { MLFLOW_URL, MLSERVER_URL } from '../../integration/ml/ml-fixtures.ts';
import { PLATFORM_BATCH_TIMEOUT_MS, ROOT, startPlatform, type PlatformEnv, type TestMetadataFiles } from '../platform/platform-env.ts';
import { GATEWAY_URL, isQueueIdle } from '../stack-harness.ts';

const VAULT_PREFIX = `e2e_ml_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
const API_SECRET = `e2e-nightscout-${randomUUID()}`;
const FIVE_MINUTES = 300_000;
const log = createLogger({}, { write: () => undefined });

let fake: FakeNightscout;
let platform: PlatformEnv;
/** The newest reading of the fake at start: half an hour ago, so the readings added later are not in the future. */
const end = Math.floor(Date.now() / FIVE_MINUTES) * FIVE_MINUTES - 6 * FIVE_MINUTES;

/** NSC01 reading the fake (at 10.62.0.1, as a function reaches this machine), its entities, and the train action. */
async function withNightscout(metadata: TestMetadataFiles): Promise<TestMetadataFiles> {
  const read = async (file: string): Promise<Array<Record<string, unknown>>> =>
    JSON.parse(await readFile(path.join(ROOT, 'metadata', file), 'utf8')) as Array<Record<string, unknown>>;
  const system = (await read('systems.json')).find((each) => each.id === 'NSC01') as Record<string, unknown>;
  const { schedule: _schedule, ...unscheduled } = system;
  return {
    systems: [
      ...metadata.systems,
      {
        ...unscheduled,
        connection: {
          ...(system.connection as object),
          base_url: fake.url.replace('127.0.0.1', '10.62.0.1'),
          api: 'v1',
          api_secret: { type: 'secret', key: `${VAULT_PREFIX}/api_secret` },
          backfill_from: new Date(end - 15 * 86_400_000).toISOString().slice(0, 10),
        },
      },
    ],
    entities: [...metadata.entities, ...(await read('entities.json')).filter((entity) => entity.system_id === 'NSC01')],
    actions: [
      {
        id: 'train_glucose_forecast',
        type: 'train',
        on: { event: 'entity-layer-processed', entity_id: 'nightscout_daily_glucose', layers: ['gold'], statuses: ['succeeded'] },
        // The second batch's gold event comes within the hour: skipped, so the champion the forecast used stays.
        settings: { model: 'glucose_forecast', source_entity: 'nightscout_entry', history_days: 14, holdout_days: 2, min_interval_minutes: 60 },
      },
    ],
  };
}

/** One NSC01 batch through the stack: `faas-cli invoke --async connector-nightscout`, the scheduler driven until it settles. */
function runNightscoutBatch(): Promise<TestBatchResult> {
  return runTestBatch({
    gatewayUrl: GATEWAY_URL,
    namespace: platform.ns.name,
    db: platform.db.pool,
    systemId: 'NSC01',
    isQueueIdle,
    timeoutMs: PLATFORM_BATCH_TIMEOUT_MS - 10_000,
    invokeConnector: async (payload, callbackUrl) => {
      const invoked = await platform.ns.cli(
        ['invoke', 'connector-nightscout', '--async', '--namespace', platform.ns.name, '--content-type', 'application/json', '--header', `X-Callback-Url: ${callbackUrl}`, '--header', `Authorization: ${platform.auth.authorization}`],
        { input: JSON.stringify(payload) },
      );
      if (invoked.code !== 0) throw new Error(`faas-cli invoke --async failed: ${invoked.stderr}`);
    },
  });
}

beforeAll(async () => {
  fake = await startFakeNightscout({
    apiSecret: API_SECRET,
    authDefaultRoles: 'denied',
    data: { entries: cgmEntries({ end, days: 14, seed: 3 }), treatments: treatments(), devicestatus: devicestatus(), profile: profiles() },
  });
  const answer = await fetch(`http://127.0.0.1:8200/v1/secret/data/dataplatform/${VAULT_PREFIX}`, {
    method: 'POST',
    headers: { 'x-vault-token': 'dev-root-token', 'content-type': 'application/json' },
    body: JSON.stringify({ data: { api_secret: API_SECRET } }),
  });
  if (answer.status !== 200) throw new Error(`OpenBao refused the test secret: ${answer.status}`);
  const files = await withNightscout({ systems: [], entities: [], actions: [] });
  platform = await startPlatform({ batches: 1, editMetadata: (metadata) => ({ systems: [...metadata.systems, ...files.systems], entities: [...metadata.entities, ...files.entities], actions: files.actions }) });
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  await fake?.close();
}, 60_000);

describe('machine learning on the real OpenFaaS stack', () => {
  let goldEventRunId: string;

  it('trains the glucose forecast after the Nightscout gold: a run in MLflow with its figures, a registered version', async () => {
    const batch = await runNightscoutBatch();
    expect(batch.settled).toBe(true);
    const gold = await query<{ run_id: string; status: string }>(
      platform.db.pool,
      'read the daily gold run',
      `select run_id, status from audit.entity_layer_run where batch_id = $1 and layer = 'gold' and entity_id = 'nightscout_daily_glucose'`,
      [batch.batch_id],
    );
    expect(gold.rows.map((row) => row.status)).toEqual(['succeeded']);
    goldEventRunId = gold.rows[0]?.run_id ?? '';
    const trained = await query<{ status: string; attempt: number }>(
      platform.db.pool,
      'read the training',
      `select status, attempt from audit.action_run where action_id = 'train_glucose_forecast' and event_run_id = $1`,
      [goldEventRunId],
    );
    expect(trained.rows).toEqual([{ status: 'succeeded', attempt: 1 }]);

    const search = await fetch(`${MLFLOW_URL}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_ids: await experimentIds(), filter: `tags.event_run_id = '${goldEventRunId}'` }),
    });
    const runs = ((await search.json()) as { runs?: Array<{ info: { run_id: string; status: string }; data: { metrics: Array<{ key: string; value: number }> } }> }).runs ?? [];
    expect(runs).toHaveLength(1);
    const metric = (key: string) => runs[0]?.data.metrics.find((each) => each.key === key)?.value ?? Number.NaN;
    expect(runs[0]?.info.status).toBe('FINISHED');
    expect(metric('rmse_30')).toBeLessThan(metric('persistence_rmse_30'));
    expect(metric('rmse_60')).toBeLessThan(metric('persistence_rmse_60'));
    const versions = await fetch(`${MLFLOW_URL}/api/2.0/mlflow/model-versions/search?filter=${encodeURIComponent(`run_id='${runs[0]?.info.run_id}'`)}`);
    expect(((await versions.json()) as { model_versions?: Array<{ name: string }> }).model_versions?.map((version) => version.name)).toEqual(['glucose_forecast']);
  }, PLATFORM_BATCH_TIMEOUT_MS);

  it('has MLServer answer predictions with the champion', async () => {
    const champion = await createMlflowRegistry({ baseUrl: MLFLOW_URL, log }).aliasedVersion('glucose_forecast');
    expect(champion).toBeDefined();
    const recent = cgmEntries({ end, days: 1, seed: 3 }).slice(0, 13).reverse();
    const answer = await createMlServerClient({ baseUrl: MLSERVER_URL, log }).infer('glucose_forecast', {
      read_at_ms: recent.map((entry) => entry.date as number),
      sgv: recent.map((entry) => entry.sgv as number),
      forecast: recent.map((_, index) => (index === 12 ? 1 : 0)),
    });
    if (answer === 'not_loaded') throw new Error('MLServer has not loaded the champion');
    expect(answer.horizon_minutes).toEqual([30, 60]);
    expect(answer.model_run).toEqual([runFingerprint(champion?.run_id ?? ''), runFingerprint(champion?.run_id ?? '')]);
  });

  it('writes gold.nightscout_glucose_forecast from the served champion when the next readings come in', async () => {
    fake.insert('entries', cgmEntries({ end: end + 3 * FIVE_MINUTES, days: 3 * FIVE_MINUTES / 86_400_000, seed: 3, firstCounter: 2_000_000 }));
    const batch = await runNightscoutBatch();
    expect(batch.settled).toBe(true);
    const champion = await createMlflowRegistry({ baseUrl: MLFLOW_URL, log }).aliasedVersion('glucose_forecast');
    const forecast = await query<{ rows: number; versions: number[]; newest: Date }>(
      platform.db.pool,
      'read the forecast',
      `select count(*)::int as rows, array_agg(distinct model_version) as versions, max(read_at) as newest from gold.nightscout_glucose_forecast`,
    );
    expect(forecast.rows[0]).toEqual({ rows: 2 * 288, versions: [champion?.version], newest: new Date(end + 3 * FIVE_MINUTES) });
  }, PLATFORM_BATCH_TIMEOUT_MS);
});

/** MLflow's experiment ids (the runs search needs them). */
async function experimentIds(): Promise<string[]> {
  const answer = await fetch(`${MLFLOW_URL}/api/2.0/mlflow/experiments/get-by-name?experiment_name=glucose_forecast`);
  return [((await answer.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id];
}
