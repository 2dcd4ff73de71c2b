/**
 * The scenario the Nightscout connector exists for, from the site to silver (landing, bronze, silver; NSC01's own
 * metadata): a day of normal readings and a treatment; the uploader offline for two days; back online, it sends
 * the current reading, then the two days it missed with their original dates; a treatment uploaded on day 6 and
 * deleted on day 7; the day-0 treatment edited a week later. Every write goes through API v3, as AAPS makes them.
 *
 * - API v3 (a token): silver ends with every reading, the edit as a new version (insulin is SCD2; the SCD1 notes
 *   overwritten on both versions), and the deleted treatment closed and flagged.
 * - API v1 with NSC01's look-back (3 days, once a day): every reading too (the backlog one look-back later) and the
 *   deletion (inside the span, where v1 lists the soft-deleted document); the week-old edit lies outside the span
 *   and is not seen: the documented limit of a look-back.
 * - API v1 without a look-back: the backlog, the edit and the deletion are lost, as docs/connectors/nightscout.md says.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeNightscout, type FakeNightscout, type NightscoutDocument } from '../../../dev/fakes/nightscout/fake-nightscout.ts';
import { processEntityBatch } from '../../../shared/layers/bronze/process-entity-batch.ts';
import { createNightscoutConnector } from '../../../shared/layers/landing/nightscout/nightscout-connector.ts';
import { processSilverBatch } from '../../../shared/layers/silver/process-silver-batch.ts';
import { createLogger } from '../../../shared/log.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import type { System } from '../../../shared/metadata/system-schema.ts';
import { SilverRequest } from '../../../shared/runtime/payloads.ts';
import { sgvSeries } from '../../fixtures/nightscout/dataset.ts';
import { FAST_RETRY } from './connector-harness.ts';
import { createLandingEnv, TEST_SECRETS, type LandingEnv } from './landing-env.ts';

const TOKEN = 'dataplatform-0123456789abcdef';
const T0 = Date.parse('2026-03-02T00:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ENTITIES = ['nightscout_entry', 'nightscout_treatment'];
const quiet = createLogger({}, { write: () => undefined });

const day0 = sgvSeries(T0 + DAY - 5 * MINUTE, 288, 1);
const current = sgvSeries(T0 + 3 * DAY, 1, 1000);
const backlog = sgvSeries(T0 + 3 * DAY - 5 * MINUTE, 2 * 288 - 1, 2000);
const treatment = (id: string, at: number, extra: Record<string, unknown>): NightscoutDocument => ({
  _id: id,
  identifier: `aaps-${id}`,
  eventType: 'Meal Bolus',
  created_at: new Date(at).toISOString(),
  date: at,
  enteredBy: 'AAPS',
  utcOffset: 60,
  ...extra,
});
const mealDay0 = treatment('65f0000000000000000000a1', T0 + 2 * HOUR, { carbs: 40, insulin: 4, notes: 'pasta' });
const mealDay6 = treatment('65f0000000000000000000b2', T0 + 6 * DAY, { carbs: 20, insulin: 2, notes: 'entered twice' });

/** One variant: its own site, its own databases, NSC01 pointed at the site. */
interface Run {
  readonly env: LandingEnv;
  readonly fake: FakeNightscout;
  readonly metadata: LoadedMetadata;
  clock: number;
}

async function startRun(prefix: string, api: 'v3' | 'v1', withLookback: boolean): Promise<Run> {
  const env = await createLandingEnv(prefix);
  const run = { env, clock: T0 } as Run & { fake: FakeNightscout; metadata: LoadedMetadata };
  run.fake = await startFakeNightscout({ apiSecret: TEST_SECRETS.nightscout_api_secret, tokens: [TOKEN], authDefaultRoles: 'denied', now: () => run.clock });
  const pointed = env.metadata((system: System) =>
    system.id === 'NSC01' && system.type === 'nightscout'
      ? ({ ...system, connection: { ...system.connection, base_url: run.fake.url, api, page_size: 500, backfill_from: '2026-03-01', ...(api === 'v3' ? { token: TOKEN } : {}) } } as System)
      : system,
  );
  run.metadata = withLookback ? pointed : { ...pointed, entities: pointed.entities.map((entity) => (entity.kind === 'bronze_silver' ? { ...entity, lookback: undefined } : entity)) };
  return run;
}

/** One scheduled batch at `at`: land NSC01, then bronze and silver for entries and treatments. */
async function batch(run: Run, at: number): Promise<void> {
  run.clock = at;
  const connectors = { nightscout: createNightscoutConnector({ http: FAST_RETRY, now: () => run.clock }) };
  const landed = await run.env.land({ system_id: 'NSC01' }, { connectors, metadata: run.metadata, now: new Date(at) });
  expect(landed, `landing at ${new Date(at).toISOString()}`).toMatchObject({ status: 'succeeded' });
  const batch_id = landed.batch_id as string;
  for (const entity_id of ENTITIES) {
    const bronze = await processEntityBatch(
      { batch_id, system_id: 'NSC01', entity_id, force: false },
      { pool: run.env.db.pool, landing: run.env.store, metadata: run.metadata, log: quiet, call_id: `bronze-${at}`, timeout_seconds: 300 },
    );
    expect(bronze, `bronze ${entity_id}`).toMatchObject({ status: 'succeeded' });
    const silver = await processSilverBatch(SilverRequest.parse({ batch_id, system_id: 'NSC01', entity_id }), {
      pool: run.env.db.pool,
      metadata: run.metadata,
      log: quiet,
      callId: `silver-${at}`,
      timeoutSeconds: 300,
    });
    expect(silver, `silver ${entity_id}`).toMatchObject({ status: 'succeeded' });
  }
}

/** The site's week, interleaved with the platform's batches (every write through API v3). */
async function playScenario(run: Run): Promise<void> {
  const write = (at: number, change: () => void): void => {
    run.clock = at;
    change();
  };
  write(T0 + 2 * HOUR, () => run.fake.insert('treatments', [mealDay0], { via: 'v3' }));
  write(T0 + DAY - 4 * MINUTE, () => run.fake.insert('entries', day0, { via: 'v3' }));
  await batch(run, T0 + DAY);
  await batch(run, T0 + 2 * DAY); // the uploader is offline: nothing new
  write(T0 + 3 * DAY + MINUTE, () => run.fake.insert('entries', current, { via: 'v3' }));
  await batch(run, T0 + 3 * DAY + 5 * MINUTE);
  write(T0 + 3 * DAY + 6 * MINUTE, () => run.fake.insert('entries', backlog, { via: 'v3' }));
  await batch(run, T0 + 3 * DAY + 10 * MINUTE);
  write(T0 + 6 * DAY + MINUTE, () => run.fake.insert('treatments', [mealDay6], { via: 'v3' }));
  await batch(run, T0 + 6 * DAY + 5 * MINUTE);
  write(T0 + 7 * DAY + 2 * HOUR, () => run.fake.update('treatments', mealDay0._id, { insulin: 5, notes: 'pasta, corrected by a carer' }, { via: 'v3' }));
  write(T0 + 7 * DAY + 2 * HOUR + MINUTE, () => run.fake.remove('treatments', mealDay6._id, { via: 'v3' }));
  await batch(run, T0 + 7 * DAY + 3 * HOUR);
  await batch(run, T0 + 8 * DAY + 3 * HOUR);
}

async function silverOf(run: Run, table: string): Promise<Record<string, unknown>[]> {
  const result = await run.env.db.pool.query<Record<string, unknown>>(`select * from silver.${table} order by id, _dp_valid_from`);
  return result.rows;
}

/** Every reading's date (unique per reading), as text, sorted: what silver must hold once each. */
const EVERY_READING = [...day0, ...current, ...backlog].map((entry) => String(entry.date)).sort();
const at = (ms: number): Date => new Date(ms);

describe('Nightscout to silver: backfill, edit and delete', { timeout: 300_000 }, () => {
  const runs: Run[] = [];
  afterAll(async () => {
    for (const run of runs) {
      await run.fake.close();
      await run.env.close();
    }
  });

  /** Plays the scenario on a run of its own (`api`, with or without the look-back) and reads silver after it. */
  const silverAfterScenario = async (prefix: string, api: 'v3' | 'v1', withLookback: boolean) => {
    const run = await startRun(prefix, api, withLookback);
    runs.push(run);
    await playScenario(run);
    return { entries: await silverOf(run, 'nightscout_entry'), treatments: await silverOf(run, 'nightscout_treatment') };
  };
  const backlogDates = new Set(backlog.map((entry) => String(entry.date)));

  it('with API v3: every reading, the edit as a new version, the deletion closed and flagged', async () => {
    const { entries, treatments } = await silverAfterScenario('nsc_v3', 'v3', true);
    // each reading once (keyed by its v3 identifier), open and current
    expect(entries.map((row) => String(row.date)).sort()).toEqual(EVERY_READING);
    expect(entries.every((row) => row._dp_valid_to === null && row._dp_is_current === true)).toBe(true);
    expect(entries.filter((row) => backlogDates.has(String(row.date))).map((row) => row._dp_valid_from)).toEqual(backlog.map(() => at(T0 + 3 * DAY + 10 * MINUTE)));

    expect(treatments.filter((row) => row.id === mealDay0.identifier).map((row) => [row.insulin, row.notes, row._dp_valid_from, row._dp_valid_to, row._dp_is_current])).toEqual([
      ['4', 'pasta, corrected by a carer', at(T0 + DAY), at(T0 + 7 * DAY + 3 * HOUR), false],
      ['5', 'pasta, corrected by a carer', at(T0 + 7 * DAY + 3 * HOUR), null, true],
    ]);
    expect(treatments.filter((row) => row.id === mealDay6.identifier).map((row) => [row.insulin, row._dp_valid_to, row._dp_is_current, row._dp_is_deleted])).toEqual([
      ['2', at(T0 + 7 * DAY + 3 * HOUR), true, true],
    ]);
  });

  it('with API v1 and the look-back: every reading (the backlog one look-back later) and the deletion inside the span; not the week-old edit', async () => {
    const { entries, treatments } = await silverAfterScenario('nsc_v1_lookback', 'v1', true);
    expect(entries.map((row) => String(row.date)).sort()).toEqual(EVERY_READING);
    expect(entries.every((row) => row._dp_valid_to === null && row._dp_is_current === true)).toBe(true);
    // the batch at day 3 + 10 min did not look back (the last look-back was 5 minutes earlier); day 6's did
    expect(new Set(entries.filter((row) => backlogDates.has(String(row.date))).map((row) => (row._dp_valid_from as Date).toISOString()))).toEqual(new Set([at(T0 + 6 * DAY + 5 * MINUTE).toISOString()]));

    expect(treatments.filter((row) => row.id === mealDay6.identifier).map((row) => [row._dp_valid_to, row._dp_is_current, row._dp_is_deleted])).toEqual([[at(T0 + 7 * DAY + 3 * HOUR), true, true]]);
    // created a week before the edit: outside the 3-day span, so the edit is not seen through v1
    expect(treatments.filter((row) => row.id === mealDay0.identifier).map((row) => [row.insulin, row._dp_valid_to])).toEqual([['4', null]]);
  });

  it('with API v1 and no look-back: the backlog, the edit and the deletion are lost (the limit the look-back removes)', async () => {
    const { entries, treatments } = await silverAfterScenario('nsc_v1_plain', 'v1', false);
    expect(entries.map((row) => String(row.date)).sort()).toEqual([...day0, ...current].map((entry) => String(entry.date)).sort());
    expect(treatments.map((row) => [row.id, row.insulin, row._dp_is_deleted])).toEqual([
      [mealDay0.identifier, '4', false],
      [mealDay6.identifier, '2', false],
    ]);
  });
});
