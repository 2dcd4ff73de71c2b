import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNightscout, type FakeNightscout } from '../../../dev/fakes/nightscout/fake-nightscout.ts';
import { createNightscoutConnector } from '../../../shared/layers/landing/nightscout/nightscout-connector.ts';
import { layerEntitiesOf } from '../../../shared/metadata/entity-schema.ts';
import type { System } from '../../../shared/metadata/system-schema.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { FIXTURE_END, nightscoutDataset, sgvEntry, tiedEntries } from '../../fixtures/nightscout/dataset.ts';
import { FAST_RETRY } from './connector-harness.ts';
import { auditOf, createLandingEnv, TEST_SECRETS, type LandingEnv } from './landing-env.ts';

let env: LandingEnv;
let fake: FakeNightscout;
const ALL_ENTRIES = 6 * 288 + 1 + 5;
const connectors = { nightscout: createNightscoutConnector({ http: FAST_RETRY }) };

function nsc01(change: Record<string, unknown> = {}) {
  return env.metadata((system: System) =>
    system.id === 'NSC01' && system.type === 'nightscout' ? ({ ...system, connection: { ...system.connection, base_url: fake.url, page_size: 250, ...change } } as System) : system,
  );
}

beforeAll(async () => {
  env = await createLandingEnv('nsc01');
  fake = await startFakeNightscout({ apiSecret: TEST_SECRETS.nightscout_api_secret, authDefaultRoles: 'denied', now: () => FIXTURE_END, data: nightscoutDataset() });
});
afterAll(async () => {
  await fake.close();
  await env.close();
});
afterEach(() => fake.faults.clear());

describe('landing NSC01 from the fake Nightscout', { timeout: 120_000 }, () => {
  let firstBatch: string;

  it('lands every collection into FerretDB with audit rows, a cursor and one bronze call per entity', async () => {
    const outcome = await env.land({ system_id: 'NSC01' }, { connectors, metadata: nsc01(), now: new Date(FIXTURE_END) });
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { entries: ALL_ENTRIES, treatments: 8, devicestatus: 2, profile: 2 } });
    firstBatch = outcome.batch_id as string;
    const audit = await auditOf(env.db, 'NSC01', firstBatch);
    expect(audit.runs.map((run) => run.status)).toEqual(['succeeded']);
    expect(audit.entityRuns.map((run) => [run.entity_id, run.status, run.records_in]).sort()).toEqual([
      ['devicestatus', 'succeeded', 2], ['entries', 'succeeded', ALL_ENTRIES], ['profile', 'succeeded', 2], ['treatments', 'succeeded', 8],
    ]);
    const entities = layerEntitiesOf(nsc01(), 'NSC01').map((entity) => entity.id);
    expect(audit.outbox.map((message) => [message.target_function, message.payload.entity_id])).toEqual(entities.map((id) => ['bronze', id]));
    expect(audit.cursors).toHaveLength(1);
    expect(JSON.parse(audit.cursors[0]?.position ?? '{}')).toMatchObject({ version: 2, collections: { entries: { since_ms: FIXTURE_END } }, history: {} });
    const runId = audit.runs[0]?.run_id as string;
    const entries = await env.landed('NSC01', 'entries', firstBatch, runId);
    expect(entries).toHaveLength(ALL_ENTRIES);
    expect(entries).toContainEqual(expect.objectContaining({ _id: '5f2b6a1e9c8d7e6f5a4b3c2d', sgv: '5' }));
    expect(env.logLines.join('')).not.toContain(TEST_SECRETS.nightscout_api_secret);
  });

  it('fails a run whose source answers 500 after some pages, keeps the cursor and lands nothing readable; the rerun lands the batch once', async () => {
    const at = new Date(FIXTURE_END + 900_000);
    const arrivals = [sgvEntry(FIXTURE_END + 300_000, 150, 60_001), sgvEntry(FIXTURE_END + 600_000, 152, 60_002), ...tiedEntries(FIXTURE_END + 600_000)];
    fake.insert('entries', arrivals);
    fake.faults.add({ path: /treatments/, times: Number.POSITIVE_INFINITY, kind: { type: 'status', status: 500 } });
    const batch_id = newBatchId();
    const failed = await env.land({ system_id: 'NSC01', batch_id }, { connectors, metadata: nsc01({ page_size: 3 }), now: at });
    expect(failed).toMatchObject({ status: 'failed', batch_id });
    expect((failed as { error: { code: string } }).error.code).toBe('upstream_unavailable');
    let audit = await auditOf(env.db, 'NSC01', batch_id);
    expect(audit.runs.map((run) => run.status)).toEqual(['failed']);
    expect(audit.runs[0]?.error).toMatch(/treatments.*answered 500/);
    expect(audit.outbox).toEqual([]);
    expect(audit.cursors.map((cursor) => cursor.batch_id)).toEqual([firstBatch]);
    expect(await env.landed('NSC01', 'entries', batch_id, audit.runs[0]?.run_id as string)).toEqual([]);

    fake.faults.clear();
    const rerun = await env.land({ system_id: 'NSC01', batch_id }, { connectors, metadata: nsc01({ page_size: 3 }), now: new Date(at.getTime() + 60_000) });
    expect(rerun).toMatchObject({ status: 'succeeded', batch_id, counts: { entries: arrivals.length, treatments: 0, devicestatus: 0, profile: 2 } });
    audit = await auditOf(env.db, 'NSC01', batch_id);
    expect(audit.runs.map((run) => run.status)).toEqual(['failed', 'succeeded']);
    const landed = await env.landed('NSC01', 'entries', batch_id, audit.runs[1]?.run_id as string);
    expect(landed.map((entry) => (entry as { _id: string })._id).sort()).toEqual(arrivals.map((entry) => entry._id).sort());
    expect(audit.cursors.map((cursor) => cursor.batch_id)).toEqual([firstBatch, batch_id]);
    expect(audit.outbox.length).toBeGreaterThan(0);
  });

  it('lands nothing twice on the next delta run and picks up a record at the boundary instant', async () => {
    const boundary = FIXTURE_END + 600_000;
    const late = { ...sgvEntry(boundary, 99, 70_001), type: 'mbg', device: 'meter' };
    fake.insert('entries', [late]);
    const outcome = await env.land({ system_id: 'NSC01' }, { connectors, metadata: nsc01(), now: new Date(FIXTURE_END + 1_800_000) });
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { entries: 1, treatments: 0, devicestatus: 0, profile: 2 } });
    const audit = await auditOf(env.db, 'NSC01', outcome.batch_id as string);
    expect(await env.landed('NSC01', 'entries', outcome.batch_id as string, audit.runs[0]?.run_id as string)).toEqual([late]);
  });

  it('fails with the source 401 when the secret is wrong, leaving the cursor where it was', async () => {
    const before = (await auditOf(env.db, 'NSC01', newBatchId())).cursors.length;
    const metadata = env.metadata((system) =>
      system.id === 'NSC01' && system.type === 'nightscout' ? ({ ...system, connection: { ...system.connection, base_url: fake.url, api_secret: 'a wrong secret, long enough' } } as System) : system,
    );
    const outcome = await env.land({ system_id: 'NSC01' }, { connectors, metadata, now: new Date(FIXTURE_END + 3_600_000) });
    expect(outcome).toMatchObject({ status: 'failed' });
    expect((outcome as { error: { code: string; message: string } }).error).toMatchObject({ code: 'upstream_error', message: expect.stringMatching(/verifyauth answered 401/) });
    expect((await auditOf(env.db, 'NSC01', newBatchId())).cursors).toHaveLength(before);
  });
});
