import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { createMlflowRegistry, type ModelVersion } from '../../../shared/adapters/ml/mlflow-registry.ts';
import { createMlServerClient } from '../../../shared/adapters/ml/mlserver-client.ts';
import { loadEnv } from '../../../shared/config.ts';
import { processGoldRequest } from '../../../shared/layers/gold/process-gold-request.ts';
import { runFingerprint } from '../../../shared/layers/gold/processors/glucose-forecast.ts';
import { createLogger } from '../../../shared/log.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { landBatch } from '../silver-function/fixtures.ts';
import { goldContext, modelOf, projectMetadata, readGold } from '../gold/fixtures.ts';
import { deployNightscoutMetadata, fillSilverEntries, MLFLOW_URL, MLSERVER_URL, TRAIN_HANDLER, trainAction, trainingPython } from './ml-fixtures.ts';
import { startPythonFunction, type PythonFunction } from './python-function.ts';
import type { CgmReading } from '../../../dev/fakes/nightscout/cgm-simulator.ts';

// The served model end to end without the stack: the training function trains `glucose_forecast` (the model MLServer
// serves) and has MLServer load the champion; MLServer answers V2 inference with it; the glucose_forecast gold
// processor writes gold.nightscout_glucose_forecast from its answers. MLflow and MLServer are the real local ones.

const log = createLogger({}, { write: () => undefined });
const END = Date.parse('2026-03-18T18:00:00.000Z');
const HOUR = 3_600_000;

let db: TestDatabase;
let fn: PythonFunction;
let metadata: LoadedMetadata;
let readings: CgmReading[];
let champion: ModelVersion;

beforeAll(async () => {
  db = await createTestDatabase();
  readings = await fillSilverEntries(db.pool, { days: 14, end: END, seed: 7 });
  metadata = await projectMetadata([
    {
      id: 'forecast_of_nothing',
      system_id: 'NSC01',
      kind: 'gold',
      sources: ['nightscout_entry'],
      processor: { name: 'glucose_forecast', options: { model: `never_trained_${uuidv7().slice(-8)}` } },
      model: 'nightscout_glucose_forecast',
    },
  ]);
  const metadataDb = await deployNightscoutMetadata([trainAction('train_glucose_forecast', { model: 'glucose_forecast', history_days: 14 })]);
  fn = await startPythonFunction({
    handlerPath: TRAIN_HANDLER,
    python: await trainingPython(),
    env: { DATABASE_URL: db.url, MONGODB_URL: loadEnv().MONGODB_URL, METADATA_DB: metadataDb, MLFLOW_TRACKING_URI: MLFLOW_URL, MLSERVER_URL },
  });
}, 180_000);

afterAll(async () => {
  await fn?.stop();
  await db?.drop();
});

async function recompute(goldEntityId: string) {
  const batch = await landBatch(db.pool, 'NSC01', new Date());
  return processGoldRequest({ gold_entity_id: goldEntityId, batch_id: batch.batch_id, force: true }, goldContext(db.pool, metadata));
}

describe('the glucose forecast, served', () => {
  it('writes no forecast while its model has no champion', async () => {
    expect(await recompute('forecast_of_nothing')).toMatchObject({ status: 'succeeded', counts: { records_in: 0 } });
  });

  it('trains the served model and has MLServer load the champion', async () => {
    const event = { event: 'entity-layer-processed', layer: 'gold', system_id: 'NSC01', entity_id: 'nightscout_daily_glucose', batch_id: uuidv7(), batch_timestamp: new Date(END).toISOString(), status: 'succeeded', run_id: uuidv7(), finished_at: new Date(END).toISOString(), error: null, counts: { records_in: 14, records_inserted: 14, records_updated: 0, records_deleted: 0, records_rejected: 0, records_unchanged: 0 } };
    const answer = await fn.call({ action_id: 'train_glucose_forecast', event });
    expect(answer.body).toMatchObject({ status: 'succeeded', served: true });
    const found = await createMlflowRegistry({ baseUrl: MLFLOW_URL, log }).aliasedVersion('glucose_forecast');
    expect(found?.version).toBe(answer.body.champion_version);
    champion = found as ModelVersion;
  }, 120_000);

  it('answers V2 inference with the champion: one forecast per horizon from each flagged reading', async () => {
    const recent = readings.slice(-15);
    const answer = await createMlServerClient({ baseUrl: MLSERVER_URL, log }).infer('glucose_forecast', {
      read_at_ms: recent.map((reading) => reading.date),
      sgv: recent.map((reading) => reading.sgv),
      forecast: recent.map((_, index) => (index >= 13 ? 1 : 0)),
    });
    if (answer === 'not_loaded') throw new Error('MLServer has not loaded the champion');
    expect(answer.horizon_minutes).toEqual([30, 30, 60, 60]);
    expect(answer.read_at_ms).toEqual([recent[13]?.date, recent[14]?.date, recent[13]?.date, recent[14]?.date]);
    expect(new Set(answer.model_run)).toEqual(new Set([runFingerprint(champion.run_id)]));
    for (const predicted of answer.predicted_sgv ?? []) expect(predicted).toBeGreaterThan(40);
  });

  it('writes gold.nightscout_glucose_forecast from the served champion, and the same table again', async () => {
    const outcome = await recompute('nightscout_glucose_forecast');
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { records_in: 2 * 288 } });
    const rows = await readGold(db.pool, 'nightscout_glucose_forecast', modelOf(metadata, 'nightscout_glucose_forecast'));
    const newest = rows.filter((row) => (row.read_at as Date).getTime() === END);
    expect(newest.map((row) => ({ ...row, predicted_sgv: typeof row.predicted_sgv }))).toEqual([
      { read_at: new Date(END), horizon_minutes: 30, forecast_for: new Date(END + HOUR / 2), sgv: readings.at(-1)?.sgv, predicted_sgv: 'string', model_version: champion.version },
      { read_at: new Date(END), horizon_minutes: 60, forecast_for: new Date(END + HOUR), sgv: readings.at(-1)?.sgv, predicted_sgv: 'string', model_version: champion.version },
    ]);
    expect(Math.min(...rows.map((row) => (row.read_at as Date).getTime()))).toBeGreaterThan(END - 24 * HOUR);
    expect(await recompute('nightscout_glucose_forecast')).toMatchObject({ status: 'succeeded', counts: { records_unchanged: 2 * 288 } });
  }, 60_000);
});
