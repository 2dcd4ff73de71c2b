/**
 * The webhook is the one function the internet reaches, so it is fuzzed: random methods, paths, headers, content
 * types, sizes, tokens and signatures against the real handler behind the template's server (real PostgreSQL and
 * FerretDB, the repository's metadata with a push, a token pull and a bunq-signed system). Whatever comes, the answer
 * is a 4xx or a 2xx, never a 5xx; and a call without valid credentials stores nothing. The counts go to
 * .local/artifacts/reliability-webhook.json (docs/reliability.md).
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBunq, type FakeBunq } from '../../dev/fakes/bunq/fake-bunq.ts';
import { createBunqConnector } from '../../shared/layers/landing/bunq/bunq-connector.ts';
import type { LoadedMetadata } from '../../shared/metadata/metadata-loader.ts';
import type { System } from '../../shared/metadata/system-schema.ts';
import type { RunningServer } from '../../templates/dataplatform-node20/server.ts';
import { bunqDataset, mutationCallbackBody } from '../fixtures/bunq/dataset.ts';
import { FAST_RETRY } from '../integration/connectors/connector-harness.ts';
import { createLandingEnv, TEST_SECRETS, type LandingEnv } from '../integration/connectors/landing-env.ts';
import { startWebhookServer } from '../integration/connectors/webhook-server.ts';
import { startGatewayStandIn, type GatewayStandIn } from '../integration/runtime/gateway-stand-in.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PUSH_TOKEN = 'fuzz-push-token-0123456789abcdef';
const PULL_TOKEN = 'fuzz-pull-token-0123456789abcdef';
const RUNS = { unauthenticated: 400, authenticated: 250 };

let env: LandingEnv;
let fake: FakeBunq;
let gateway: GatewayStandIn;
let server: RunningServer;
const statuses = new Map<number, number>();

beforeAll(async () => {
  env = await createLandingEnv('fuzz');
  fake = await startFakeBunq({ apiKey: TEST_SECRETS.bunq_api_key, ...bunqDataset() });
  gateway = await startGatewayStandIn();
  const metadata: LoadedMetadata = env.metadata((system: System): System => {
    if (system.id === 'BNQ01' && system.type === 'bunq') {
      return { ...system, connection: { ...system.connection, base_url: fake.apiUrl }, webhook: { signature: 'bunq', mode: 'pull', max_body_bytes: 8192 } };
    }
    if (system.id === 'TST01') return { ...system, webhook: { token: PUSH_TOKEN, mode: 'push', landing_entity: 'readings', max_body_bytes: 65_536 } };
    if (system.id === 'NSC01') return { ...system, webhook: { token: PULL_TOKEN, mode: 'pull', max_body_bytes: 2048 } };
    return system;
  });
  server = await startWebhookServer(env, metadata, gateway.url, 1024 * 1024);
  // An installation, so bunq signatures can be checked (and forged ones refused).
  const first = await env.land({ system_id: 'BNQ01' }, { connectors: { bunq: createBunqConnector({ state: env.state, http: { ...FAST_RETRY, rateLimit: { requests: 1000, perMs: 1000 } } }) }, metadata, now: new Date() });
  expect(first.status).toBe('succeeded');
  await env.db.pool.query('delete from audit.outbox');
}, 120_000);

afterAll(async () => {
  await server?.close();
  await gateway?.close();
  await fake?.close();
  await env?.close();
  const counts = Object.fromEntries([...statuses.entries()].sort(([a], [b]) => a - b).map(([status, n]) => [String(status), n]));
  await mkdir(path.join(ROOT, '.local/artifacts'), { recursive: true });
  await writeFile(
    path.join(ROOT, '.local/artifacts/reliability-webhook.json'),
    `${JSON.stringify({ cases: [...statuses.values()].reduce((sum, n) => sum + n, 0), statuses: counts }, null, 2)}\n`,
  );
}, 60_000);

/** Rows and documents a call without credentials must not add. */
async function stored(): Promise<{ outbox: number; runs: number; pushes: number; readings: number }> {
  const count = async (sql: string): Promise<number> => (await env.db.pool.query<{ n: number }>(sql)).rows[0]?.n ?? -1;
  return {
    outbox: await count('select count(*)::int as n from audit.outbox'),
    runs: await count('select count(*)::int as n from audit.system_run'),
    pushes: await count('select count(*)::int as n from audit.webhook_push'),
    readings: await env.countDocuments('TST01', 'readings'),
  };
}

async function send(request: { method: string; path: string; headers: Record<string, string>; body: Uint8Array | undefined }): Promise<number> {
  const response = await fetch(`${server.url}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
  });
  await response.arrayBuffer();
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  return response.status;
}

const systemPath = fc.oneof(
  fc.constantFrom('/TST01', '/NSC01', '/BNQ01', '/BNQ02', '/XYZ99', '/', '', '/TST01/extra', '/tst01', '/%00', '/../TST01', '/TST01?token=x'),
  fc.stringMatching(/^\/[A-Za-z0-9%._~-]{0,12}$/),
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/x-ndjson',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/vnd.api+json',
  '',
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 4096 }),
  fc.json({ maxDepth: 6 }).map((text) => new TextEncoder().encode(text)),
  fc.array(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), { maxLength: 30 }).map((records) => new TextEncoder().encode(JSON.stringify(records))),
  fc.integer({ min: 60_000, max: 1_100_000 }).map((size) => new Uint8Array(size).fill(0x7b)),
  fc.constant(new TextEncoder().encode(mutationCallbackBody('{}', 'https://x/function/webhook/BNQ01'))),
);
const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('Bearer', 'Bearer ', `Basic ${Buffer.from(`x:${PUSH_TOKEN}`).toString('base64')}`, `bearer ${PUSH_TOKEN}x`, `Bearer ${PULL_TOKEN.slice(1)}`, 'Bearer \u0000'),
  fc.string({ maxLength: 80 }).map((text) => `Bearer ${text.replace(/[\r\n]/g, '')}`),
);
const signature = fc.oneof(fc.constant(undefined), fc.base64String({ maxLength: 400 }), fc.string({ maxLength: 40 }).map((text) => text.replace(/[\r\n]/g, '')));
const method = fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH');

/** Header values fetch refuses (non-Latin-1) are not what an attacker can send either: keep them sendable. */
function sendable(headers: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined && /^[\x20-\x7e]*$/.test(entry[1])));
}

describe('the webhook under fuzzing', () => {
  it('never answers 5xx and stores nothing for calls without valid credentials', async () => {
    const before = await stored();
    await fc.assert(
      fc.asyncProperty(method, systemPath, contentType, body, authorization, signature, async (verb, route, type, payload, auth, sig) => {
        const status = await send({
          method: verb,
          path: route,
          headers: sendable({ 'content-type': type, authorization: auth, 'x-bunq-server-signature': sig, 'idempotency-key': undefined }),
          body: payload,
        });
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS.unauthenticated },
    );
    expect(await stored()).toEqual(before);
  }, 300_000);

  it('never answers 5xx to authenticated calls, whatever their body, content type or Idempotency-Key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/TST01', '/NSC01'), contentType, body, fc.option(fc.stringMatching(/^[!-~]{1,210}$/), { nil: undefined }), async (route, type, payload, key) => {
        const token = route === '/TST01' ? PUSH_TOKEN : PULL_TOKEN;
        const status = await send({
          method: 'POST',
          path: route,
          headers: sendable({ 'content-type': type, authorization: `Bearer ${token}`, 'idempotency-key': key }),
          body: payload,
        });
        expect([200, 202, 400, 409, 413, 415]).toContain(status);
      }),
      { numRuns: RUNS.authenticated },
    );
  }, 300_000);

  it('lands a push sent twice once, however the two race', async () => {
    const payload = JSON.stringify([{ Thermometer: { id: `race-${Date.now()}`, celsius: 21 } }]);
    const before = await env.countDocuments('TST01', 'readings');
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        fetch(`${server.url}/TST01`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${PUSH_TOKEN}` }, body: payload }).then(
          async (response) => ({ status: response.status, body: (await response.json()) as { status?: string } }),
        ),
      ),
    );
    expect(answers.filter((answer) => answer.body.status === 'succeeded')).toHaveLength(1);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 409)).toBe(true);
    expect(await env.countDocuments('TST01', 'readings')).toBe(before + 1);
    const key = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
    const pushes = await env.db.pool.query('select status from audit.webhook_push where push_key = $1', [key]);
    expect(pushes.rows).toEqual([{ status: 'succeeded' }]);
  }, 60_000);
});
