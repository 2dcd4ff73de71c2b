/**
 * What the ML tests share: the training's Python environment, metadata deployed to a database of their own, a silver
 * `nightscout_entry` table filled from the CGM simulator, and the local MLflow's REST API.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { simulateCgm, type CgmReading } from '../../../dev/fakes/nightscout/cgm-simulator.ts';
import { ROOT } from '../../../dev/openfaas/local-stack.ts';
import { cachedVenv } from '../../../dev/python-venv.ts';
import { main as cli } from '../../../shared/cli/main.ts';
import { modelOf, projectMetadata, writeSilver, type SilverRow } from '../gold/fixtures.ts';

export const MLFLOW_URL = 'http://127.0.0.1:5000';
export const MLSERVER_URL = 'http://127.0.0.1:8085';
export const TRAIN_HANDLER = path.join(ROOT, 'functions/action-train/handler.py');
const DAY = 86_400_000;

/** The interpreter of the environment the services script built from the training's requirements. */
export async function trainingPython(): Promise<string> {
  return path.join(await cachedVenv(path.join(ROOT, 'functions/action-train/requirements.txt')), 'bin/python');
}

/**
 * Deploys NSC01, its `nightscout_entry` and gold entities and `actions` (the repository's records, with changes)
 * to a fresh metadata database, with the project's CLI; returns the database's name.
 */
export async function deployNightscoutMetadata(actions: ReadonlyArray<Record<string, unknown>>): Promise<string> {
  const database = `metadata_ml_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const read = async (file: string): Promise<Array<Record<string, unknown>>> =>
    JSON.parse(await readFile(path.join(ROOT, 'metadata', file), 'utf8')) as Array<Record<string, unknown>>;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ml-metadata-'));
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'systems.json'), JSON.stringify((await read('systems.json')).filter((system) => system.id === 'NSC01')));
    await writeFile(path.join(dir, 'entities.json'), JSON.stringify((await read('entities.json')).filter((entity) => entity.system_id === 'NSC01')));
    await writeFile(path.join(dir, 'actions.json'), JSON.stringify(actions));
    const output: string[] = [];
    const code = await cli(['metadata', 'deploy', '--dir', dir], {
      out: (line) => output.push(line),
      err: (line) => output.push(line),
      env: { ...process.env, METADATA_DB: database },
      cwd: ROOT,
    });
    if (code !== 0) throw new Error(`metadata deploy failed:\n${output.join('\n')}`);
    return database;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A `train` action record on NSC01's readings. */
export function trainAction(id: string, settings: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    type: 'train',
    on: { event: 'entity-layer-processed', entity_id: 'nightscout_daily_glucose', layers: ['gold'], statuses: ['succeeded'] },
    settings: { source_entity: 'nightscout_entry', min_interval_minutes: 0, ...settings },
  };
}

/**
 * `silver.nightscout_entry` as silver writes it (tests/integration/gold/fixtures.ts), holding `days` of simulated
 * readings ending at `end`, and a deleted and a superseded version that must not count. Returns the readings.
 */
export async function fillSilverEntries(pool: pg.Pool, options: { readonly days: number; readonly end: number; readonly seed?: number }): Promise<CgmReading[]> {
  const readings = simulateCgm({ end: options.end, days: options.days, seed: options.seed ?? 1 });
  const last = readings.at(-1)?.date ?? options.end;
  const rows: SilverRow[] = [
    ...readings.map((reading) => ({ id: `e${reading.date}`, type: 'sgv', sgv: reading.sgv, date: reading.date, sys_time: new Date(reading.date) })),
    { id: 'deleted', type: 'sgv', sgv: 400, date: last + 60_000, version: 'deleted' },
    { id: 'old-version', type: 'sgv', sgv: 39, date: last - DAY / 2 + 60_000, version: 'old' },
  ];
  await writeSilver(pool, 'nightscout_entry', modelOf(await projectMetadata(), 'nightscout_entry'), rows);
  return readings;
}

/** GET on MLflow's REST API 2.0 (`registered-models/alias?…`, `runs/get?…`); undefined for a 404. */
export async function mlflowGet<T>(route: string): Promise<T | undefined> {
  const answer = await fetch(`${MLFLOW_URL}/api/2.0/mlflow/${route}`);
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw new Error(`MLflow GET ${route} answered ${answer.status}: ${await answer.text()}`);
  return (await answer.json()) as T;
}

/** Deletes a registered model and its versions (the runs and their artifacts stay, as MLflow keeps experiments). */
export async function mlflowDeleteModel(name: string): Promise<void> {
  const answer = await fetch(`${MLFLOW_URL}/api/2.0/mlflow/registered-models/delete`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (answer.status !== 200 && answer.status !== 404) throw new Error(`MLflow delete of model ${name} answered ${answer.status}: ${await answer.text()}`);
}
