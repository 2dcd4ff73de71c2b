import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { loadEnv } from '../../../shared/config.ts';
import type { EntityLayerProcessedEvent } from '../../../shared/runtime/payloads.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { deployNightscoutMetadata, fillSilverEntries, MLFLOW_URL, mlflowDeleteModel, mlflowGet, TRAIN_HANDLER, trainAction, trainingPython } from './ml-fixtures.ts';
import { startPythonFunction, type PythonFunction } from './python-function.ts';

// The training function (Python) against the real services: PostgreSQL (audit rows, silver readings), FerretDB
// (metadata), MLflow (runs, registry). Its model has a name of this file's own, which MLServer does not serve (the
// serving test trains the served one); the models are deleted afterwards, their runs stay as MLflow keeps experiments.

const MODEL = `glucose_forecast_it_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
const END = Date.parse('2026-03-18T18:00:00.000Z');

let db: TestDatabase;
let fn: PythonFunction;

beforeAll(async () => {
  db = await createTestDatabase();
  const metadataDb = await deployNightscoutMetadata([
    trainAction('train_forecast', { model: MODEL, history_days: 14, holdout_days: 2 }),
    trainAction('train_needs_more', { model: `${MODEL}_more`, history_days: 60, holdout_days: 2, min_training_days: 30 }),
    trainAction('train_hourly', { model: `${MODEL}_hourly`, history_days: 14, min_interval_minutes: 60 }),
    // One model, two trainings: on 3 days of readings, then on 12, judged on the same 2 held-out days.
    trainAction('train_short', { model: `${MODEL}_pair`, history_days: 5, holdout_days: 2, min_training_days: 2 }),
    trainAction('train_long', { model: `${MODEL}_pair`, history_days: 14, holdout_days: 2 }),
  ]);
  await fillSilverEntries(db.pool, { days: 14, end: END });
  fn = await startPythonFunction({
    handlerPath: TRAIN_HANDLER,
    python: await trainingPython(),
    env: { DATABASE_URL: db.url, MONGODB_URL: loadEnv().MONGODB_URL, METADATA_DB: metadataDb, MLFLOW_TRACKING_URI: MLFLOW_URL, MLSERVER_URL: 'http://127.0.0.1:8085', FUNCTION_NAME: 'action-train' },
  });
}, 120_000);

afterAll(async () => {
  await fn?.stop();
  await db?.drop();
  for (const suffix of ['', '_more', '_hourly', '_pair']) await mlflowDeleteModel(`${MODEL}${suffix}`);
});

function goldEvent(): EntityLayerProcessedEvent {
  return {
    event: 'entity-layer-processed',
    layer: 'gold',
    system_id: 'NSC01',
    entity_id: 'nightscout_daily_glucose',
    batch_id: uuidv7(),
    batch_timestamp: '2026-03-18T18:00:00.000Z',
    status: 'succeeded',
    run_id: uuidv7(),
    finished_at: '2026-03-18T18:00:30.000Z',
    error: null,
    counts: { records_in: 14, records_inserted: 1, records_updated: 1, records_deleted: 0, records_rejected: 0, records_unchanged: 12 },
  };
}

async function attempts(eventRunId: string): Promise<Array<{ action_id: string; status: string; attempt: number; skip_reason: string | null }>> {
  const { rows } = await db.pool.query('select action_id, status, attempt, skip_reason from audit.action_run where event_run_id = $1 order by started_at', [eventRunId]);
  return rows as Array<{ action_id: string; status: string; attempt: number; skip_reason: string | null }>;
}

interface Trained {
  status: string;
  model_version: number;
  champion_version: number;
  moved_champion: boolean;
  served: boolean;
  mlflow_run_id: string;
  metrics: Record<string, number>;
  champion_metrics: Record<string, number> | null;
}

describe('the train action (functions/action-train)', () => {
  let first: Trained;

  it('trains, beats persistence on the held-out days, logs the run to MLflow and registers version 1 as champion', async () => {
    const event = goldEvent();
    const answer = await fn.call({ action_id: 'train_forecast', event });
    expect(answer.status).toBe(200);
    first = answer.body as unknown as Trained;
    expect(first).toMatchObject({ status: 'succeeded', model_version: 1, champion_version: 1, moved_champion: true, served: false, champion_metrics: null });
    expect(first.metrics.improvement_pct_30).toBeGreaterThan(20);
    expect(first.metrics.improvement_pct_60).toBeGreaterThan(20);
    expect(first.metrics.rmse_30).toBeLessThan(first.metrics.persistence_rmse_30 ?? 0);
    expect(await attempts(event.run_id)).toEqual([{ action_id: 'train_forecast', status: 'succeeded', attempt: 1, skip_reason: null }]);

    const run = await mlflowGet<{ run: { info: { status: string }; data: { metrics: Array<{ key: string; value: number }>; params: Array<{ key: string; value: string }>; tags: Array<{ key: string; value: string }> } } }>(
      `runs/get?run_id=${first.mlflow_run_id}`,
    );
    expect(run?.run.info.status).toBe('FINISHED');
    const metric = (key: string) => run?.run.data.metrics.find((each) => each.key === key)?.value;
    expect(metric('rmse_30')).toBeCloseTo(first.metrics.rmse_30 ?? 0, 2);
    expect(metric('persistence_rmse_60')).toBeGreaterThan(metric('rmse_60') ?? Infinity);
    expect(run?.run.data.params).toEqual(expect.arrayContaining([{ key: 'horizons_minutes', value: '30,60' }, { key: 'holdout_days', value: '2' }]));
    expect(run?.run.data.tags).toEqual(expect.arrayContaining([{ key: 'event_run_id', value: event.run_id }]));
    const champion = await mlflowGet<{ model_version: { version: string; run_id: string } }>(`registered-models/alias?name=${MODEL}&alias=champion`);
    expect(champion?.model_version).toMatchObject({ version: '1', run_id: first.mlflow_run_id });
  }, 120_000);

  it('trains an event delivered again once: the second call is skipped, no new version', async () => {
    const event = goldEvent();
    const trained = await fn.call({ action_id: 'train_forecast', event });
    expect(trained.body).toMatchObject({ status: 'succeeded', model_version: 2 });
    const again = await fn.call({ action_id: 'train_forecast', event });
    expect(again).toMatchObject({ status: 200, body: { status: 'skipped', reason: 'already_succeeded' } });
    const versions = await mlflowGet<{ model_versions: unknown[] }>(`model-versions/search?filter=${encodeURIComponent(`name='${MODEL}'`)}`);
    expect(versions?.model_versions).toHaveLength(2);
  }, 120_000);

  it('moves the champion only when the new version beats it on the same held-out window', async () => {
    // The same readings and seed give the same model: as good as the champion, not better, so the alias stays.
    const answer = await fn.call({ action_id: 'train_forecast', event: goldEvent() });
    const trained = answer.body as unknown as Trained;
    expect(trained).toMatchObject({ status: 'succeeded', model_version: 3, moved_champion: false, champion_version: 1 });
    expect(trained.champion_metrics?.rmse_mean).toBeCloseTo(first.metrics.rmse_mean ?? 0, 6);
    const version = await mlflowGet<{ model_version: { tags: Array<{ key: string; value: string }> } }>(`model-versions/get?name=${MODEL}&version=3`);
    expect(version?.model_version.tags).toEqual(expect.arrayContaining([{ key: 'beats_champion', value: 'false' }]));
    const champion = await mlflowGet<{ model_version: { version: string } }>(`registered-models/alias?name=${MODEL}&alias=champion`);
    expect(champion?.model_version.version).toBe('1');
  }, 120_000);

  it('moves the champion to a version that beats it there', async () => {
    const short = (await fn.call({ action_id: 'train_short', event: goldEvent() })).body as unknown as Trained;
    expect(short).toMatchObject({ status: 'succeeded', model_version: 1, moved_champion: true });
    const long = (await fn.call({ action_id: 'train_long', event: goldEvent() })).body as unknown as Trained;
    expect(long).toMatchObject({ status: 'succeeded', model_version: 2, moved_champion: true, champion_version: 2 });
    expect(long.champion_metrics?.rmse_mean).toBeGreaterThan(long.metrics.rmse_mean ?? Infinity);
    const champion = await mlflowGet<{ model_version: { version: string } }>(`registered-models/alias?name=${MODEL}_pair&alias=champion`);
    expect(champion?.model_version.version).toBe('2');
  }, 120_000);

  it('skips with the reason when there is too little data, and records the attempt as skipped', async () => {
    const event = goldEvent();
    const answer = await fn.call({ action_id: 'train_needs_more', event });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'skipped', attempt: 1 });
    expect(String(answer.body.reason)).toMatch(/^too little data: 11\.\d days of usable readings before the 2-day held-out window, at least 30 needed$/);
    expect(await attempts(event.run_id)).toEqual([{ action_id: 'train_needs_more', status: 'skipped', attempt: 1, skip_reason: answer.body.reason }]);
    expect(await mlflowGet(`registered-models/get?name=${MODEL}_more`)).toBeUndefined();
  }, 60_000);

  it('skips an event that comes within min_interval_minutes of the last training; a schedule firing trains anyway', async () => {
    expect((await fn.call({ action_id: 'train_hourly', event: goldEvent() })).body).toMatchObject({ status: 'succeeded', model_version: 1 });
    const soon = await fn.call({ action_id: 'train_hourly', event: goldEvent() });
    expect(soon.body).toMatchObject({ status: 'skipped' });
    expect(String(soon.body.reason)).toMatch(/^trained_recently: the last training ended 0 minutes ago \(min_interval_minutes 60\)$/);
    const firing = uuidv7();
    const scheduled = await fn.call({
      action_id: 'train_hourly',
      event: { event: 'action-schedule-fired', schedule: '30 3 * * *', timezone: 'UTC', status: 'fired', run_id: firing, batch_id: firing, batch_timestamp: '2026-03-18T03:30:00.000Z', fired_at: '2026-03-18T03:30:00.000Z' },
    });
    expect(scheduled.body).toMatchObject({ status: 'succeeded', model_version: 2 });
    const { rows } = await db.pool.query('select event, system_id, layer, status from audit.action_run where event_run_id = $1', [firing]);
    expect(rows).toEqual([{ event: 'action-schedule-fired', system_id: null, layer: null, status: 'succeeded' }]);
  }, 180_000);

  it('refuses a call for another type of action, and an invalid request, with 400', async () => {
    const invalid = await fn.call({ action_id: 'train_forecast', event: { event: 'something-else' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.issues).toEqual(expect.arrayContaining(['event.event: expected one of entity-layer-processed, system-layer-processed, action-schedule-fired']));
    expect((await fn.call({ action_id: 'nope', event: goldEvent() })).status).toBe(404);
  });
});
