/**
 * The Nightscout connector against the fake's API v3: the change feed beside the v1 dated delta, the JWT and its
 * renewal, the choice of API, and the look-back of the v1 read.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNightscout, type FakeNightscout } from '../../../dev/fakes/nightscout/fake-nightscout.ts';
import { UpstreamError } from '../../../shared/errors.ts';
import type { ConnectorCursor, ResolvedSystem } from '../../../shared/layers/landing/connector.ts';
import { createNightscoutConnector } from '../../../shared/layers/landing/nightscout/nightscout-connector.ts';
import { NightscoutSystem } from '../../../shared/metadata/system-schema.ts';
import { FIXTURE_END, nightscoutDataset, sgvSeries } from '../../fixtures/nightscout/dataset.ts';
import { connectorRequest, drain, FAST_RETRY, memoryLogger } from './connector-harness.ts';

const API_SECRET = 'correct horse battery staple';
const TOKEN = 'dataplatform-0123456789abcdef';
const COLLECTIONS = ['entries', 'treatments', 'devicestatus', 'profile'];
const ALL_ENTRIES = 6 * 288 + 1 + 5;
const MINUTE = 60_000;
const DAY = 86_400_000;

let clock = FIXTURE_END;
let fake: FakeNightscout;
const connector = createNightscoutConnector({ http: FAST_RETRY, now: () => clock });

function system(overrides: Record<string, unknown> = {}): ResolvedSystem<'nightscout'> {
  return NightscoutSystem.parse({
    id: 'NSC01',
    name: 'Nightscout',
    type: 'nightscout',
    connection: { base_url: fake.url, api_secret: API_SECRET, token: TOKEN, page_size: 300, backfill_from: '2026-03-01', ...overrides },
  }) as ResolvedSystem<'nightscout'>;
}

async function land(options: { at: number; cursor?: ConnectorCursor | undefined; system?: ResolvedSystem<'nightscout'>; lookback?: Record<string, { span_ms: number; every_ms: number }> }) {
  clock = options.at;
  const { log, lines } = memoryLogger();
  const batch = await connector.openBatch(
    connectorRequest(options.system ?? system(), {
      batch_timestamp: new Date(options.at),
      landing_entities: COLLECTIONS,
      log,
      ...(options.cursor ? { cursor: options.cursor } : {}),
      ...(options.lookback ? { lookback: options.lookback } : {}),
    }),
  );
  return { ...(await drain(batch)), lines };
}

/** A meal bolus AAPS uploaded through v3 a week before the fixture's end. */
const WEEK_OLD_TREATMENT = {
  _id: '65f0aa001a2b3c4d5e6f00aa',
  identifier: 'aaps-week-old',
  eventType: 'Meal Bolus',
  created_at: new Date(FIXTURE_END - 7 * DAY).toISOString(),
  carbs: 30,
  insulin: 3,
  enteredBy: 'AAPS',
};

const idsOf = (records: unknown[] | undefined): string[] => (records ?? []).map((record) => String((record as { identifier?: string; _id?: string }).identifier ?? (record as { _id: string })._id)).sort();
const requestsTo = (pattern: RegExp) => fake.requests.filter((request) => pattern.test(request.path));

beforeAll(async () => {
  fake = await startFakeNightscout({ apiSecret: API_SECRET, tokens: [TOKEN], authDefaultRoles: 'denied', now: () => clock, jwtLifetimeSeconds: 3600, data: nightscoutDataset() });
});
afterAll(() => fake.close());
afterEach(() => {
  fake.faults.clear();
  fake.requests.length = 0;
});

describe('nightscout connector on API v3', { timeout: 120_000 }, () => {
  let cursor: ConnectorCursor | undefined;

  it('reads the change feed with a JWT beside the v1 dated delta, landing every document once', async () => {
    // AAPS-style uploads through v3 (identifier, srvModified) beside the dataset's v1 uploads (neither)
    clock = FIXTURE_END - 7 * DAY;
    fake.insert('treatments', [WEEK_OLD_TREATMENT], { via: 'v3' });
    clock = FIXTURE_END - 10 * MINUTE;
    const viaV3 = sgvSeries(FIXTURE_END - 2 * DAY, 3, 500).map((entry) => ({ ...entry, identifier: `aaps-${String(entry._id)}` }));
    fake.insert('entries', viaV3, { via: 'v3' });
    const result = await land({ at: FIXTURE_END });
    expect(result.byEntity.entries).toHaveLength(ALL_ENTRIES + 3);
    expect(result.byEntity.treatments).toHaveLength(8 + 1);
    const keys = idsOf(result.byEntity.entries);
    expect(new Set(keys).size).toBe(keys.length);
    // the v3 documents came through the feed (no _id), not a second time through v1
    expect((result.byEntity.entries ?? []).filter((entry) => String((entry as { identifier?: string }).identifier).startsWith('aaps-'))).toEqual(
      expect.arrayContaining(viaV3.map((entry) => expect.not.objectContaining({ _id: entry._id }))),
    );
    expect(requestsTo(/^\/api\/v2\/authorization\/request\//)).toHaveLength(1);
    const feed = requestsTo(/\/history\//);
    expect(feed.map((request) => request.path).sort()).toEqual(['/api/v3/devicestatus/history/1772323199999', '/api/v3/entries/history/1772323199999', '/api/v3/treatments/history/1772323199999']);
    expect(feed.every((request) => /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(String(request.headers.authorization)) && request.headers.date !== undefined)).toBe(true);
    expect(JSON.parse(result.cursor?.position ?? '{}')).toMatchObject({ version: 2, history: { entries: { since_ms: FIXTURE_END - 10 * MINUTE } } });
    const logged = result.lines.join('');
    expect(logged).toContain('"api":"v3"');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain('0123456789abcdef');
    cursor = result.cursor;
  });

  it('lands a two-day backfill, a treatment edited a week later and a deleted treatment on the next run, whatever their dates', async () => {
    const at = FIXTURE_END + 5 * MINUTE;
    clock = at - MINUTE;
    const backfill = sgvSeries(FIXTURE_END + 2 * DAY, 2 * 288, 900).map((entry) => ({ ...entry, date: (entry.date as number) - 4 * DAY }));
    fake.insert('entries', backfill, { via: 'v3' });
    fake.update('treatments', WEEK_OLD_TREATMENT._id, { insulin: 5, notes: 'corrected a week later' }, { via: 'v3' });
    fake.remove('treatments', '65f86a001a2b3c4d5e6f0002', { via: 'v3' });
    const result = await land({ at, cursor });
    expect(result.byEntity.entries).toHaveLength(backfill.length);
    expect(result.byEntity.treatments).toHaveLength(2);
    expect(result.byEntity.treatments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ identifier: 'aaps-week-old', insulin: 5, notes: 'corrected a week later', created_at: WEEK_OLD_TREATMENT.created_at }),
        expect.objectContaining({ identifier: '65f86a001a2b3c4d5e6f0002', isValid: false }),
      ]),
    );
    const next = await land({ at: at + 5 * MINUTE, cursor: result.cursor });
    expect(next.byEntity.entries ?? []).toEqual([]);
    expect(next.byEntity.treatments ?? []).toEqual([]);
    cursor = next.cursor;
  });

  it('keeps its JWT across batches, renews it before it expires, and once more when the site refuses it', async () => {
    await land({ at: FIXTURE_END + 20 * MINUTE, cursor });
    expect(requestsTo(/authorization\/request/)).toHaveLength(0); // the first run's JWT (1 hour) still has 40 minutes
    await land({ at: FIXTURE_END + 50 * MINUTE, cursor });
    expect(requestsTo(/authorization\/request/)).toHaveLength(1); // 10 minutes left: renewed
    fake.requests.length = 0;
    fake.faults.add({ path: /\/history\//, kind: { type: 'status', status: 401, body: { status: 401, message: 'Bad access token or JWT' } } });
    const result = await land({ at: FIXTURE_END + 55 * MINUTE, cursor });
    expect(result.cursor).toBeDefined();
    expect(requestsTo(/authorization\/request/)).toHaveLength(1);
    const feed = requestsTo(/\/history\//).map((request) => request.status);
    expect(feed[0]).toBe(401);
    expect(feed.slice(1).every((status) => status === 200)).toBe(true);
  });

  it('fails with a clear 401 when the site refuses the access token, without quoting it', async () => {
    const error = await land({ at: FIXTURE_END + 2 * DAY, system: system({ token: 'dataplatform-fedcba9876543210', api: 'v3' }) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).upstreamStatus).toBe(401);
    expect((error as Error).message).toBe('nightscout refused the access token (401): check token, and that its subject exists');
    expect(String((error as Error).cause)).not.toContain('fedcba9876543210');
  });

  it('chooses API v1 without a token, or on a site without API v3, and refuses a required v3 the site lacks', async () => {
    const v1Only = await land({ at: FIXTURE_END, system: system({ token: undefined }) });
    expect(v1Only.lines.join('')).toContain('"api":"v1"');
    expect(requestsTo(/^\/api\/v[23]\//)).toEqual([]);

    const old = await startFakeNightscout({ apiSecret: API_SECRET, tokens: [TOKEN], v3: false, now: () => clock, data: nightscoutDataset() });
    try {
      const onOld = (api: string) => ({ ...system({ api }), connection: { ...system({ api }).connection, base_url: old.url } });
      const result = await land({ at: FIXTURE_END, system: onOld('auto') });
      expect(result.byEntity.entries).toHaveLength(ALL_ENTRIES);
      expect(old.requests.filter((request) => request.path.startsWith('/api/v3')).map((request) => request.path)).toEqual(['/api/v3/version']);
      const error = await land({ at: FIXTURE_END, system: onOld('v3') }).catch((caught: unknown) => caught);
      expect((error as UpstreamError).upstreamStatus).toBe(404);
    } finally {
      await old.close();
    }
  });
});

describe('nightscout connector looking back through API v1', { timeout: 120_000 }, () => {
  it('lands a late v1 upload with its original dates at the next look-back, and only then', async () => {
    const v1 = system({ api: 'v1' });
    const lookback = { entries: { span_ms: 3 * DAY, every_ms: DAY }, treatments: { span_ms: 3 * DAY, every_ms: DAY } };
    const first = await land({ at: FIXTURE_END + 2 * DAY + 10 * MINUTE, system: v1, lookback });
    // xDrip+ was offline for two days; back online it uploads the current reading, then its backlog, through v1
    const current = sgvSeries(FIXTURE_END + 2 * DAY + 5 * MINUTE, 1, 2999);
    const backlog = sgvSeries(FIXTURE_END + 2 * DAY, 2 * 288, 3000);
    fake.insert('entries', current);
    try {
      const resumed = await land({ at: FIXTURE_END + 2 * DAY + 15 * MINUTE, system: v1, lookback, cursor: first.cursor });
      expect(idsOf(resumed.byEntity.entries)).toEqual(idsOf(current));
      fake.insert('entries', backlog);
      const plain = await land({ at: FIXTURE_END + 2 * DAY + 20 * MINUTE, system: v1, lookback, cursor: resumed.cursor });
      expect(plain.byEntity.entries ?? []).toEqual([]); // dated before the boundary: a plain delta cannot see them
      const lookingBack = await land({ at: FIXTURE_END + 3 * DAY + 20 * MINUTE, system: v1, lookback, cursor: plain.cursor });
      const landed = new Set(idsOf(lookingBack.byEntity.entries));
      expect(backlog.filter((entry) => !landed.has(entry._id))).toEqual([]);
      expect(JSON.parse(lookingBack.cursor?.position ?? '{}').lookback_at).toEqual({ entries: FIXTURE_END + 3 * DAY + 20 * MINUTE, treatments: FIXTURE_END + 3 * DAY + 20 * MINUTE });
      const after = await land({ at: FIXTURE_END + 3 * DAY + 25 * MINUTE, system: v1, lookback, cursor: lookingBack.cursor });
      expect(after.byEntity.entries ?? []).toEqual([]);
    } finally {
      fake.data.entries.splice(fake.data.entries.length - current.length - backlog.length);
    }
  });
});
