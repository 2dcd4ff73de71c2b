import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNightscout, type FakeNightscout } from '../../../dev/fakes/nightscout/fake-nightscout.ts';
import { UpstreamError, UpstreamUnavailableError } from '../../../shared/errors.ts';
import type { ResolvedSystem } from '../../../shared/layers/landing/connector.ts';
import { createNightscoutConnector } from '../../../shared/layers/landing/nightscout/nightscout-connector.ts';
import { NightscoutSystem } from '../../../shared/metadata/system-schema.ts';
import { FIXTURE_END, nightscoutDataset, renamedProfile, sgvEntry, tiedEntries } from '../../fixtures/nightscout/dataset.ts';
import { connectorRequest, drain, FAST_RETRY, memoryLogger } from './connector-harness.ts';

const API_SECRET = 'correct horse battery staple';
const COLLECTIONS = ['entries', 'treatments', 'devicestatus', 'profile'];
const connector = createNightscoutConnector({ http: FAST_RETRY });
let fake: FakeNightscout;

function system(overrides: Record<string, unknown> = {}): ResolvedSystem<'nightscout'> {
  return NightscoutSystem.parse({
    id: 'NSC01',
    name: 'Nightscout',
    type: 'nightscout',
    connection: { base_url: fake.url, api_secret: API_SECRET, page_size: 200, backfill_from: '2026-03-01', ...overrides },
  }) as ResolvedSystem<'nightscout'>;
}

async function land(options: { system?: ResolvedSystem<'nightscout'>; cursor?: Parameters<typeof connectorRequest>[1]['cursor']; at?: number } = {}) {
  const { log, lines } = memoryLogger();
  const batch = await connector.openBatch(
    connectorRequest(options.system ?? system(), { batch_timestamp: new Date(options.at ?? FIXTURE_END), landing_entities: COLLECTIONS, log, ...(options.cursor ? { cursor: options.cursor } : {}) }),
  );
  return { ...(await drain(batch)), lines };
}

beforeAll(async () => {
  fake = await startFakeNightscout({ apiSecret: API_SECRET, authDefaultRoles: 'denied', now: () => FIXTURE_END, data: nightscoutDataset() });
});
afterAll(() => fake.close());
afterEach(() => {
  fake.faults.clear();
  fake.requests.length = 0;
});

describe('nightscout connector', { timeout: 120_000 }, () => {
  it('lands every collection from backfill_from, always with a date filter, past the 4-day default window', async () => {
    const result = await land();
    expect(result.byEntity.entries).toHaveLength(6 * 288 + 1 + 5);
    expect(result.byEntity.treatments).toHaveLength(8);
    expect(result.byEntity.devicestatus).toHaveLength(2);
    expect(result.byEntity.profile).toHaveLength(2);
    const ids = (result.byEntity.entries ?? []).map((entry) => (entry as { _id: string })._id);
    expect(new Set(ids).size).toBe(ids.length);
    const dated = fake.requests.filter((request) => /entries|treatments|devicestatus/.test(request.path));
    expect(dated.length).toBeGreaterThan(8);
    for (const request of dated) {
      const field = request.path.includes('entries') ? 'date' : 'created_at';
      expect(request.query.get(`find[${field}][$gte]`)).not.toBeNull();
      expect(request.query.get(`find[${field}][$lte]`)).not.toBeNull();
      expect(request.query.get('count')).not.toBeNull();
    }
  });

  it('sends the SHA-1 hex of the secret as api-secret and never logs it', async () => {
    const result = await land();
    const sha1 = createHash('sha1').update(API_SECRET).digest('hex');
    expect(fake.requests.every((request) => request.headers['api-secret'] === sha1)).toBe(true);
    const logged = result.lines.join('');
    expect(logged).toContain('nightscout collection read');
    expect(logged).not.toContain(sha1);
    expect(logged).not.toContain(API_SECRET);
  });

  it('lands the drift document and the Loop devicestatus unchanged', async () => {
    const result = await land();
    const drift = result.byEntity.entries?.find((entry) => (entry as { _id: string })._id === '5f2b6a1e9c8d7e6f5a4b3c2d');
    expect(drift).toMatchObject({ sgv: '5', direction: 'NOT COMPUTABLE', dateString: '2026-03-18T09:10:00.000-07:00' });
    const loop = result.byEntity.devicestatus?.find((status) => (status as { device: string }).device === 'loop://iPhone');
    expect(loop).toMatchObject({ loop: { predicted: { values: [142, 140, 138, 137, 135, 134, 134, 133] } } });
    const correction = result.byEntity.treatments?.find((treatment) => (treatment as { eventType: string }).eventType === 'Correction Bolus');
    expect(correction).toMatchObject({ carbs: null, insulin: 1.2 });
  });

  it('lands only what is new on the next run, including records that arrive at the boundary instant', async () => {
    const first = await land();
    const position = JSON.parse(first.cursor?.position ?? '{}') as { collections: { entries: { since_ms: number; ids_at_since: string[] } } };
    expect(position.collections.entries.since_ms).toBe(FIXTURE_END);
    const later = FIXTURE_END + 600_000;
    const atBoundary = { ...sgvEntry(FIXTURE_END, 111, 50_001), type: 'mbg', device: 'meter' };
    const arrivals = [atBoundary, ...tiedEntries(FIXTURE_END + 300_000), sgvEntry(later, 120, 50_002)];
    fake.insert('entries', arrivals);
    try {
      const second = await land({ cursor: first.cursor, at: later + 1 });
      expect((second.byEntity.entries ?? []).map((entry) => (entry as { _id: string })._id).sort()).toEqual(arrivals.map((entry) => entry._id).sort());
      expect(second.byEntity.treatments ?? []).toEqual([]);
      expect(second.byEntity.profile).toHaveLength(2); // a full load every batch
      const third = await land({ cursor: second.cursor, at: later + 2 });
      expect(third.byEntity.entries ?? []).toEqual([]);
    } finally {
      fake.data.entries.splice(fake.data.entries.length - arrivals.length, arrivals.length);
    }
  });

  it('lands a renamed profile store key as the document now is', async () => {
    const original = fake.data.profile[0];
    fake.data.profile[0] = renamedProfile();
    try {
      const result = await land();
      const current = result.byEntity.profile?.find((profile) => (profile as { _id: string })._id === '65f80c001a2b3c4d5e6f2001') as { store: Record<string, unknown> };
      expect(Object.keys(current.store).sort()).toEqual(['Default', 'Sport']);
    } finally {
      if (original) fake.data.profile[0] = original;
    }
  });

  it('lands a long backfill over several batches within a page budget, oldest weeks first, each record once', async () => {
    const budgeted = createNightscoutConnector({ http: FAST_RETRY, maxPagesPerCollection: 3 });
    const { log } = memoryLogger();
    const landed: string[] = [];
    let cursor: Parameters<typeof connectorRequest>[1]['cursor'];
    let batches = 0;
    for (; batches < 30; batches += 1) {
      const batch = await budgeted.openBatch(
        connectorRequest(system({ page_size: 100, backfill_from: '2025-06-01' }), { batch_timestamp: new Date(FIXTURE_END + batches), landing_entities: ['entries'], log, ...(cursor ? { cursor } : {}) }),
      );
      const result = await drain(batch);
      landed.push(...(result.byEntity.entries ?? []).map((entry) => (entry as { _id: string })._id));
      cursor = result.cursor;
      if (landed.length >= 6 * 288 + 6 && (result.byEntity.entries ?? []).length === 0) break;
    }
    expect(batches).toBeGreaterThan(3);
    expect(landed).toHaveLength(6 * 288 + 6);
    expect(new Set(landed).size).toBe(landed.length);
  });

  it.each([
    ['no credentials while reads are denied', { api_secret: undefined }],
    ['a wrong api_secret', { api_secret: 'not the right secret at all' }],
    ['a wrong token', { api_secret: undefined, token: 'reader-0123456789abcdef' }],
  ])('fails with an upstream 401 for %s', async (_case, overrides) => {
    const error = await land({ system: system(overrides) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).upstreamStatus).toBe(401);
  });

  it('waits out a 429 with Retry-After and a truncated answer, then lands everything', async () => {
    fake.faults.add({ path: /entries/, skip: 1, kind: { type: 'status', status: 429, headers: { 'retry-after': '1' }, body: { status: 429, message: 'Too many requests' } } });
    fake.faults.add({ path: /treatments/, kind: { type: 'truncate' } });
    const started = Date.now();
    const result = await land();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(result.byEntity.entries).toHaveLength(6 * 288 + 6);
    expect(result.byEntity.treatments).toHaveLength(8);
    expect(fake.requests.filter((request) => request.status === 429)).toHaveLength(1);
  });

  it('fails when the source keeps answering 500 after some pages, without a cursor', async () => {
    fake.faults.add({ path: /entries/, skip: 2, times: Number.POSITIVE_INFINITY, kind: { type: 'status', status: 500 } });
    const { log } = memoryLogger();
    const batch = await connector.openBatch(connectorRequest(system(), { batch_timestamp: new Date(FIXTURE_END), landing_entities: COLLECTIONS, log }));
    let landed = 0;
    const error = await (async () => {
      if (batch.kind !== 'records') throw new Error('expected records');
      for await (const _item of batch.records) landed += 1;
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toMatch(/answered 500/);
    expect(landed).toBeGreaterThan(0); // the pages before the failure were handed out…
    expect(landed).toBeLessThan(6 * 288 + 6); // …but not the batch: the caller must not record it
  });
});
