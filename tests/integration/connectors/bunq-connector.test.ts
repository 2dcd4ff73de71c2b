import type { MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeBunq, type FakeBunq } from '../../../dev/fakes/bunq/fake-bunq.ts';
import { createConnectorStateStore, type ConnectorStateStore } from '../../../shared/adapters/mongo/connector-state-store.ts';
import { UpstreamError } from '../../../shared/errors.ts';
import { createBunqConnector } from '../../../shared/layers/landing/bunq/bunq-connector.ts';
import type { ConnectorCursor, ResolvedSystem } from '../../../shared/layers/landing/connector.ts';
import { BunqSystem } from '../../../shared/metadata/system-schema.ts';
import { amountValue, bunqDataset, paymentObject, QUIRK_PAYMENT_ID, readFixtureText } from '../../fixtures/bunq/dataset.ts';
import { connectTestMongo, uniqueLandingDatabase } from '../landing/landing-test-env.ts';
import { connectorRequest, drain, FAST_RETRY, memoryLogger } from './connector-harness.ts';

const API_KEY = 'sandbox_0123456789abcdef0123456789abcdef';
const ENTITIES = ['monetary_accounts', 'payments'];
const QUICK = { ...FAST_RETRY, rateLimit: { requests: 1000, perMs: 1000 } };
let mongo: MongoClient;
let database: string;
let state: ConnectorStateStore;
let fake: FakeBunq;

function system(overrides: Record<string, unknown> = {}): ResolvedSystem<'bunq'> {
  return BunqSystem.parse({
    id: 'BNQ01',
    name: 'bunq',
    type: 'bunq',
    connection: { base_url: fake.apiUrl, api_key: API_KEY, page_size: 100, ...overrides },
  }) as ResolvedSystem<'bunq'>;
}

async function land(options: { cursor?: ConnectorCursor; http?: typeof QUICK | Record<string, unknown>; at?: Date; overrides?: Record<string, unknown> } = {}) {
  const { log, lines } = memoryLogger();
  const connector = createBunqConnector({ state, http: (options.http ?? QUICK) as typeof QUICK });
  const batch = await connector.openBatch(
    connectorRequest(system(options.overrides), { batch_timestamp: options.at ?? new Date(), landing_entities: ENTITIES, log, ...(options.cursor ? { cursor: options.cursor } : {}) }),
  );
  return { ...(await drain(batch)), lines };
}

/** The highest payment id per account in the recorded dataset. */
function highestIds(): Record<string, number> {
  const highest: Record<string, number> = {};
  for (const payment of bunqDataset().payments) {
    const key = String(payment.monetary_account_id);
    highest[key] = Math.max(highest[key] ?? 0, payment.id);
  }
  return highest;
}

const paymentIds = (records: readonly unknown[] | undefined): number[] => (records ?? []).map((record) => (record as { Payment: { id: number } }).Payment.id);

beforeAll(async () => {
  mongo = await connectTestMongo();
  database = uniqueLandingDatabase('bunq_state');
});
afterAll(async () => {
  await mongo.db(database).dropDatabase();
  await mongo.close();
});
beforeEach(async () => {
  state = createConnectorStateStore(mongo.db(database));
  await state.remove('bunq', 'BNQ01');
  fake = await startFakeBunq({ apiKey: API_KEY, ...bunqDataset() });
});
afterEach(() => fake.close());

describe('bunq connector', { timeout: 120_000 }, () => {
  it('installs once, lands every account wrapper and every payment unchanged, and records the highest id per account', async () => {
    const result = await land();
    expect(fake.counts).toEqual({ installations: 1, devices: 1, sessions: 1 });
    expect((result.byEntity.monetary_accounts ?? []).map((account) => Object.keys(account as object)[0])).toEqual([
      'MonetaryAccountJoint', 'MonetaryAccountSavings', 'MonetaryAccountBank',
    ]);
    const ids = paymentIds(result.byEntity.payments);
    expect(ids).toHaveLength(350);
    expect(new Set(ids).size).toBe(350);
    const quirk = result.byEntity.payments?.find((record) => (record as { Payment: { id: number } }).Payment.id === QUIRK_PAYMENT_ID);
    expect(quirk).toEqual(JSON.parse(readFixtureText('quirk-payment.json')));
    expect(JSON.parse(result.cursor?.position ?? '{}')).toEqual({ version: 1, accounts: highestIds() });
  });

  it('keeps its context sealed in MongoDB and logs no secret', async () => {
    const result = await land();
    const stored = JSON.stringify(await mongo.db(database).collection('connector_state').find().toArray());
    const session = fake.requests.find((request) => request.path.includes('/payment'))?.headers['x-bunq-client-authentication'];
    expect(typeof session).toBe('string');
    for (const secret of ['PRIVATE KEY', API_KEY, session as string]) {
      expect(stored).not.toContain(secret);
      expect(result.lines.join('')).not.toContain(secret);
    }
  });

  it('reuses the context on the next run and lands only payments above the recorded ids', async () => {
    const first = await land();
    const newest = 4_200_149;
    const added = [newest + 1, newest + 2].map((id) => ({
      id, monetary_account_id: 1002,
      raw: JSON.stringify(paymentObject({ id, accountId: 1002, createdMs: Date.parse('2026-03-19T09:00:00Z'), cents: -500, balanceCents: 100, counterparty: 1, geolocated: false })),
    }));
    for (const payment of added) fake.addPayment(payment);
    const second = await land({ cursor: first.cursor ?? undefined });
    expect(fake.counts).toEqual({ installations: 1, devices: 1, sessions: 1 });
    expect(paymentIds(second.byEntity.payments)).toEqual([newest + 2, newest + 1]);
    expect(second.byEntity.monetary_accounts).toHaveLength(3);
    const asked = fake.requests.filter((request) => request.path.endsWith('/1002/payment')).map((request) => request.query.get('newer_id'));
    expect(asked.at(-1)).toBe(String(highestIds()['1002']));
  });

  it('reads every payment again with full, to see one updated after it was landed', async () => {
    const first = await land();
    const updated = JSON.parse(readFixtureText('quirk-payment.json')) as { Payment: Record<string, unknown> };
    updated.Payment.updated = '2026-03-04 10:00:00.000000';
    updated.Payment.amount = { currency: 'EUR', value: amountValue(-1300) };
    fake.replacePayment(QUIRK_PAYMENT_ID, JSON.stringify(updated));
    const { log } = memoryLogger();
    const batch = await createBunqConnector({ state, http: QUICK }).openBatch(
      connectorRequest(system(), { batch_timestamp: new Date(), landing_entities: ENTITIES, log, cursor: first.cursor as ConnectorCursor, options: { full: true } }),
    );
    const result = await drain(batch);
    expect(paymentIds(result.byEntity.payments)).toHaveLength(350);
    expect(result.byEntity.payments).toContainEqual(updated);
  });

  it('lands a long history over several batches within a page budget, without a gap or a repeat', async () => {
    const { log } = memoryLogger();
    const connector = createBunqConnector({ state, http: QUICK, maxPagesPerBatch: 5 });
    const landed: number[] = [];
    let cursor: ConnectorCursor | undefined;
    let batches = 0;
    for (; batches < 40; batches += 1) {
      if (batches === 3) {
        const id = 4_200_200;
        fake.addPayment({ id, monetary_account_id: 1001, raw: JSON.stringify(paymentObject({ id, accountId: 1001, createdMs: Date.parse('2026-03-20T08:00:00Z'), cents: -100, balanceCents: 0, counterparty: 0, geolocated: false })) });
      }
      const batch = await connector.openBatch(
        connectorRequest(system({ page_size: 20 }), { batch_timestamp: new Date(Date.now() + batches), landing_entities: ENTITIES, log, ...(cursor ? { cursor } : {}) }),
      );
      const result = await drain(batch);
      landed.push(...paymentIds(result.byEntity.payments));
      cursor = result.cursor;
      const position = JSON.parse(cursor?.position ?? '{}') as { accounts: Record<string, number>; backfill?: Record<string, number> };
      if (position.backfill === undefined && Object.keys(position.accounts).length === 3) break;
    }
    expect(batches).toBeGreaterThan(3);
    expect(landed).toHaveLength(351);
    expect(new Set(landed).size).toBe(351);
  });

  it('opens a new session when bunq answers 401, and installs again when the installation is gone', async () => {
    await land();
    fake.expireSessions();
    await land();
    expect(fake.counts).toEqual({ installations: 1, devices: 1, sessions: 2 });
    fake.forgetInstallations();
    await land();
    expect(fake.counts).toEqual({ installations: 2, devices: 2, sessions: 3 });
  });

  it('refuses an answer whose server signature does not verify', async () => {
    await land();
    fake.faults.add({ path: /monetary-account$/, kind: { type: 'status', status: 200, body: { Response: [] } } });
    const error = await land().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toMatch(/X-Bunq-Server-Signature does not verify/);
  });

  it('stays under bunq rate limits with its own limiter', async () => {
    await fake.close();
    fake = await startFakeBunq({ apiKey: API_KEY, ...bunqDataset(), rateLimits: 'bunq' });
    const result = await land({ http: FAST_RETRY, overrides: { page_size: 200 } });
    expect(paymentIds(result.byEntity.payments)).toHaveLength(350);
    expect(fake.requests.filter((request) => request.status === 429)).toEqual([]);
  });

  it('waits out 429 answers with Retry-After when it sends too fast', async () => {
    await fake.close();
    // One GET a second: any two GETs less than a second apart meet a 429. (Three a second needed four GETs within
    // one second, which a busy machine may not manage.)
    fake = await startFakeBunq({ apiKey: API_KEY, ...bunqDataset(), rateLimits: { get: { max: 1, windowMs: 1000 } } });
    const result = await land({ overrides: { page_size: 200 } });
    expect(paymentIds(result.byEntity.payments)).toHaveLength(350);
    const throttled = fake.requests.filter((request) => request.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
  });
});

describe('the fake bunq', { timeout: 120_000 }, () => {
  it('answers 466 to a session-server call without a body signature', async () => {
    const installation = await fetch(`${fake.apiUrl}/installation`, {
      method: 'POST',
      body: JSON.stringify({ client_public_key: (await import('../../../shared/layers/landing/bunq/bunq-signing.ts')).generateBunqKeyPair().public_key_pem }),
    });
    const token = ((await installation.json()) as { Response: [unknown, { Token: { token: string } }] }).Response[1].Token.token;
    const session = await fetch(`${fake.apiUrl}/session-server`, { method: 'POST', headers: { 'x-bunq-client-authentication': token }, body: JSON.stringify({ secret: API_KEY }) });
    expect(session.status).toBe(466);
    expect(await session.json()).toEqual({ Error: [{ error_description: 'Request signature required for this endpoint.', error_description_translated: 'Request signature required for this endpoint.' }] });
  });
});
