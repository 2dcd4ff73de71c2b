import { createHash, createSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeBunq, type FakeBunq } from '../../../dev/fakes/bunq/fake-bunq.ts';
import { createBunqConnector } from '../../../shared/layers/landing/bunq/bunq-connector.ts';
import { LandSystemRequest } from '../../../shared/layers/landing/land-system.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import type { System } from '../../../shared/metadata/system-schema.ts';
import type { RunningServer } from '../../../templates/dataplatform-node20/server.ts';
import { bunqDataset, mutationCallbackBody, QUIRK_PAYMENT_ID } from '../../fixtures/bunq/dataset.ts';
import { startGatewayStandIn, type GatewayStandIn } from '../runtime/gateway-stand-in.ts';
import { FAST_RETRY } from './connector-harness.ts';
import { createLandingEnv, TEST_SECRETS, type LandingEnv } from './landing-env.ts';
import { startWebhookServer } from './webhook-server.ts';

const PUSH_TOKEN = 'push-token-0123456789abcdefghij';
const PULL_TOKEN = 'pull-token-0123456789abcdefghij';
let env: LandingEnv;
let fake: FakeBunq;
let gateway: GatewayStandIn;
let server: RunningServer;
let metadata: LoadedMetadata;

/** BNQ01 on the fake with bunq's signature check; TST01 taking pushed readings; NSC01 a token-triggered pull. */
function webhookMetadata(): LoadedMetadata {
  return env.metadata((system: System): System => {
    if (system.id === 'BNQ01' && system.type === 'bunq') {
      return { ...system, connection: { ...system.connection, base_url: fake.apiUrl }, webhook: { signature: 'bunq', mode: 'pull', max_body_bytes: 4096 } };
    }
    if (system.id === 'TST01') return { ...system, webhook: { token: PUSH_TOKEN, mode: 'push', landing_entity: 'readings', max_body_bytes: 262_144 } };
    if (system.id === 'NSC01') return { ...system, webhook: { token: PULL_TOKEN, mode: 'pull', max_body_bytes: 1024 } };
    return system;
  });
}

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST') {
  const response = await fetch(`${server.url}${path}`, { method, body: method === 'GET' ? undefined : body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Rows and documents that a refused call must not have added. */
async function stored() {
  const outbox = await env.db.pool.query<{ n: number }>('select count(*)::int as n from audit.outbox');
  const runs = await env.db.pool.query<{ n: number }>('select count(*)::int as n from audit.system_run');
  return { outbox: outbox.rows[0]?.n, runs: runs.rows[0]?.n, readings: await env.countDocuments('TST01', 'readings') };
}

beforeAll(async () => {
  env = await createLandingEnv('webhook');
  fake = await startFakeBunq({ apiKey: TEST_SECRETS.bunq_api_key, ...bunqDataset() });
  gateway = await startGatewayStandIn();
  metadata = webhookMetadata();
  server = await startWebhookServer(env, metadata, gateway.url);
  // the connector's first run makes the installation whose server key verifies callbacks
  const first = await env.land({ system_id: 'BNQ01' }, { connectors: { bunq: createBunqConnector({ state: env.state, http: { ...FAST_RETRY, rateLimit: { requests: 1000, perMs: 1000 } } }) }, metadata, now: new Date() });
  expect(first.status).toBe('succeeded');
  await env.db.pool.query('delete from audit.outbox');
});
afterAll(async () => {
  await server.close();
  await gateway.close();
  await fake.close();
  await env.close();
});
beforeEach(() => {
  gateway.received.length = 0;
});

const quirk = () => bunqDataset().payments.find((payment) => payment.id === QUIRK_PAYMENT_ID)?.raw as string;
const callback = () => mutationCallbackBody(quirk(), 'https://dataplatform.example.org/function/webhook/BNQ01');

describe('webhook refusals store nothing', { timeout: 120_000 }, () => {
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const json = { 'content-type': 'application/json' };

  it.each([
    ['an unknown system', 401, 'unauthorized', '/XYZ99', () => callback(), json],
    ['no system in the URL', 401, 'unauthorized', '/', () => callback(), json],
    ['a system without a webhook', 401, 'unauthorized', '/BNQ02', () => callback(), json],
    ['a bunq callback without a signature', 401, 'unauthorized', '/BNQ01', () => callback(), json],
    ['a bunq callback signed with another key', 401, 'unauthorized', '/BNQ01', () => callback(), { ...json, 'x-bunq-server-signature': createSign('sha256').update(callback()).sign(otherKey, 'base64') }],
    ['a push without a token', 401, 'unauthorized', '/TST01', () => '[{"Thermometer":{"id":1}}]', json],
    ['a push with a wrong bearer token', 401, 'unauthorized', '/TST01', () => '[{"Thermometer":{"id":1}}]', { ...json, authorization: 'Bearer not-the-token-0123456789abcdef' }],
    ['a push with the token in the query string', 401, 'unauthorized', `/TST01?token=${PUSH_TOKEN}`, () => '[{"Thermometer":{"id":1}}]', json],
    ['a push of text', 415, 'unsupported_media_type', '/TST01', () => 'id,value', { 'content-type': 'text/csv', authorization: `Bearer ${PUSH_TOKEN}` }],
    ['a push of malformed JSON', 400, 'invalid_payload', '/TST01', () => '[{"Thermometer":', { ...json, authorization: `Bearer ${PUSH_TOKEN}` }],
    ['a push of something that is not records', 400, 'invalid_payload', '/TST01', () => '[1, 2]', { ...json, authorization: `Bearer ${PUSH_TOKEN}` }],
    ['a push of malformed NDJSON', 400, 'invalid_payload', '/TST01', () => '{"a":1}\n{oops}\n', { 'content-type': 'application/x-ndjson', authorization: `Bearer ${PUSH_TOKEN}` }],
    ['an oversized pull trigger', 413, 'payload_too_large', '/NSC01', () => JSON.stringify({ padding: 'x'.repeat(2000) }), { ...json, authorization: `Bearer ${PULL_TOKEN}` }],
  ])('answers %s with a JSON %i %s', async (_case, status, code, path, body, headers) => {
    const before = await stored();
    const answer = await post(path, body(), headers);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ error: code });
    expect(JSON.stringify(answer.body)).not.toContain(PUSH_TOKEN);
    expect(await stored()).toEqual(before);
    expect(gateway.received).toEqual([]);
  });

  it('answers a bunq callback that is not JSON with 415 even when signed', async () => {
    const before = await stored();
    const body = 'category=MUTATION';
    const answer = await post('/BNQ01', body, { 'content-type': 'application/x-www-form-urlencoded', 'x-bunq-server-signature': fake.sign(body) });
    expect(answer).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
    expect(await stored()).toEqual(before);
  });

  it('answers a signed JSON body that is not a bunq callback with 400', async () => {
    const body = '{"Payment":{"id":1}}';
    const answer = await post('/BNQ01', body, { ...json, 'x-bunq-server-signature': fake.sign(body) });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
  });

  it('gives an unknown system, a system without a webhook and a wrong token the very same answer', async () => {
    const answers = await Promise.all([
      post('/XYZ99', '{}', { ...json, authorization: `Bearer ${PUSH_TOKEN}` }),
      post('/BNQ02', '{}', { ...json, authorization: `Bearer ${PUSH_TOKEN}` }),
      post('/TST01', '{}', { ...json, authorization: 'Bearer not-the-token-0123456789abcdef' }),
    ]);
    expect(new Set(answers.map((answer) => JSON.stringify(answer)))).toEqual(new Set([JSON.stringify({ status: 401, body: { error: 'unauthorized', message: 'webhook call is not authenticated' } })]));
  });

  it('answers 405 to a GET', async () => {
    const answer = await post('/NSC01', '', { authorization: `Bearer ${PULL_TOKEN}` }, 'GET');
    expect(answer).toMatchObject({ status: 405, body: { error: 'method_not_allowed' } });
  });
});

describe('a valid bunq callback', { timeout: 120_000 }, () => {
  it('starts an ingestion of BNQ01 through the outbox and the gateway, absorbing a burst, and the connector lands it', async () => {
    const sent = await fake.sendCallback(`${server.url}/BNQ01`, callback());
    expect(sent.status).toBe(202);
    const answer = JSON.parse(sent.body) as { batch_id: string; coalesced: boolean; delivered: boolean; category: string };
    expect(answer).toMatchObject({ coalesced: false, delivered: true, category: 'MUTATION' });
    expect(gateway.received).toEqual([
      expect.objectContaining({ path: '/async-function/connector-bunq', body: expect.objectContaining({ system_id: 'BNQ01', batch_id: answer.batch_id }) }),
    ]);
    const outbox = await env.db.pool.query('select target_function, delivered_at from audit.outbox where batch_id = $1', [answer.batch_id]);
    expect(outbox.rows).toEqual([{ target_function: 'connector-bunq', delivered_at: expect.any(Date) }]);

    const again = await fake.sendCallback(`${server.url}/BNQ01`, mutationCallbackBody(quirk(), 'https://x/function/webhook/BNQ01', 'MUTATION_UPDATED'));
    expect(JSON.parse(again.body)).toMatchObject({ batch_id: answer.batch_id, coalesced: true });
    expect(gateway.received).toHaveLength(1);

    // the queue-worker's call: the connector lands the announced batch, with the usual audit and chaining
    const payload = LandSystemRequest.parse(gateway.received[0]?.body);
    const landed = await env.land(payload, { connectors: { bunq: createBunqConnector({ state: env.state, http: { ...FAST_RETRY, rateLimit: { requests: 1000, perMs: 1000 } } }) }, metadata, now: new Date() });
    expect(landed).toMatchObject({ status: 'succeeded', batch_id: answer.batch_id, counts: { monetary_accounts: 3 } });
    const run = await env.db.pool.query('select status, parent_call_id from audit.system_run where batch_id = $1', [answer.batch_id]);
    expect(run.rows).toEqual([{ status: 'succeeded', parent_call_id: null }]);

    const later = await fake.sendCallback(`${server.url}/BNQ01`, callback());
    expect(JSON.parse(later.body)).toMatchObject({ coalesced: false });
    expect((JSON.parse(later.body) as { batch_id: string }).batch_id).not.toBe(answer.batch_id);
  });

  it('keeps the pull for the scheduler when the gateway is down', async () => {
    await env.db.pool.query('delete from audit.outbox');
    gateway.status = 500;
    try {
      const sent = await post('/NSC01', '', { authorization: `Bearer ${PULL_TOKEN}` });
      expect(sent).toMatchObject({ status: 202, body: { coalesced: false, delivered: false } });
      const outbox = await env.db.pool.query('select target_function, delivered_at, payload from audit.outbox');
      expect(outbox.rows).toEqual([{ target_function: 'connector-nightscout', delivered_at: null, payload: expect.objectContaining({ system_id: 'NSC01' }) }]);
    } finally {
      gateway.status = 202;
    }
  });
});

describe('a push', { timeout: 120_000 }, () => {
  it('lands the records of an NDJSON body as a batch of their own and chains only the entities that read them', async () => {
    const lines = [{ Thermometer: { id: 'r-1', celsius: 20.5 } }, { Hygrometer: { id: 'r-2', humidity: 41 } }].map((record) => JSON.stringify(record)).join('\n');
    const answer = await post('/TST01', lines, { 'content-type': 'application/x-ndjson', authorization: `Bearer ${PUSH_TOKEN}` });
    expect(answer).toMatchObject({ status: 200, body: { status: 'succeeded', records: 2, counts: { readings: 2 } } });
    const batch_id = answer.body.batch_id as string;
    const outbox = await env.db.pool.query<{ payload: { entity_id: string } }>('select payload from audit.outbox where batch_id = $1', [batch_id]);
    expect(outbox.rows.map((row) => row.payload.entity_id)).toEqual(['test_reading']);
    const cursor = await env.db.pool.query("select 1 from audit.cursor where system_id = 'TST01'");
    expect(cursor.rows).toEqual([]);
    expect(await env.countDocuments('TST01', 'readings')).toBe(2);
  });
});

describe('a push sent again', { timeout: 120_000 }, () => {
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${PUSH_TOKEN}` };

  it('is landed once: the same body again (a replay, a retry) answers duplicate with the first batch', async () => {
    const body = JSON.stringify([{ Thermometer: { id: `replay-${Date.now()}`, celsius: 19.5 } }]);
    const before = await env.countDocuments('TST01', 'readings');
    const first = await post('/TST01', body, auth);
    expect(first).toMatchObject({ status: 200, body: { status: 'succeeded', records: 1 } });
    const replays = await Promise.all([post('/TST01', body, auth), post('/TST01', body, auth)]);
    for (const replay of replays) expect(replay).toMatchObject({ status: 200, body: { status: 'duplicate', batch_id: first.body.batch_id } });
    expect(await env.countDocuments('TST01', 'readings')).toBe(before + 1);
    const runs = await env.db.pool.query("select count(*)::int as n from audit.system_run where system_id = 'TST01' and batch_id = $1", [first.body.batch_id]);
    expect(runs.rows[0]?.n).toBe(1);
  });

  it('names a push by its Idempotency-Key when the caller sends one, whatever the body', async () => {
    const key = `push-${Date.now()}`;
    const first = await post('/TST01', JSON.stringify([{ Thermometer: { id: `${key}-a`, celsius: 1 } }]), { ...auth, 'idempotency-key': key });
    const second = await post('/TST01', JSON.stringify([{ Thermometer: { id: `${key}-b`, celsius: 2 } }]), { ...auth, 'idempotency-key': key });
    expect(first.body.status).toBe('succeeded');
    expect(second).toMatchObject({ status: 200, body: { status: 'duplicate', batch_id: first.body.batch_id } });
    const bad = await post('/TST01', '[]', { ...auth, 'idempotency-key': 'x'.repeat(201) });
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
  });

  it('is landed when sent again after its landing failed', async () => {
    const body = JSON.stringify([{ Thermometer: { id: `retry-${Date.now()}`, celsius: 3 } }]);
    // A push whose landing failed (as recorded by the webhook) may come again, and is landed then.
    const key = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    await env.db.pool.query(
      "insert into audit.webhook_push (system_id, push_key, status, finished_at) values ('TST01', $1, 'failed', now())",
      [key],
    );
    const again = await post('/TST01', body, auth);
    expect(again).toMatchObject({ status: 200, body: { status: 'succeeded', records: 1 } });
    const row = await env.db.pool.query('select status, batch_id from audit.webhook_push where push_key = $1', [key]);
    expect(row.rows).toEqual([{ status: 'succeeded', batch_id: again.body.batch_id }]);
  });
});
