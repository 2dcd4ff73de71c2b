/**
 * Faults, for real, on the platform deployed to the local OpenFaaS stack (docs/reliability.md): PostgreSQL, FerretDB
 * and OpenBao each stopped in the middle of a batch and started again, the provider killed while a function is in a
 * call, two calls racing for the same work, and a soak of batch after batch. Every time: callers get a 503 that names
 * no host, nothing is half-written, and the scheduler (ticked every second, as cron-connector would every minute)
 * completes the batch afterwards, silver equal to the generator's expected state: no row lost or doubled. The figures
 * go to .local/artifacts/reliability-faults.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBatchResult } from '../../dev/start/run-test-batch.ts';
import { RUN_DIR } from '../../dev/openfaas/local-stack.ts';
import { query } from '../../shared/adapters/postgres/transaction.ts';
import { eventually, GATEWAY_URL, services } from '../e2e/stack-harness.ts';
import { ALL_SUCCEEDED, ROOT, startPlatform, TEST_SYSTEM, type PlatformEnv } from '../e2e/platform/platform-env.ts';

const VAULT_PREFIX = `reliability_${randomUUID().slice(0, 8)}`;
const WEBHOOK_TOKEN = `reliability-webhook-token-${randomUUID()}`;
const SOAK_BATCHES = 10;
const FAULT_TIMEOUT_MS = 240_000;

let platform: PlatformEnv;
/** The next generated batch folder the connector lands (`batch-0001`, …). */
let nextBatch = 1;
const figures: {
  faults: Array<{ fault: string; answered_while_down: number | null; heal_seconds: number; batch: string; rows: number; rows_doubled: number }>;
  batches_completed: number;
  soak: { batches: number; rss_mb: Record<string, { after_first: number; after_last: number }> } | null;
} = { faults: [], batches_completed: 0, soak: null };

beforeAll(async () => {
  await putVaultSecret();
  platform = await startPlatform({
    batches: 8 + SOAK_BATCHES,
    // A call the gateway accepted while a service was down, and that never started, is sent again after this.
    deployEnv: { LOST_CALL_GRACE_SECONDS: '15', VAULT_PATH_PREFIX: 'dataplatform' },
    webhookTokenKey: `${VAULT_PREFIX}/webhook_token`,
  });
}, 300_000);

afterAll(async () => {
  // Whatever failed, leave every service running for what comes next.
  await services(['up']).catch(() => undefined);
  await platform?.stop();
  await mkdir(path.join(ROOT, '.local/artifacts'), { recursive: true });
  await writeFile(path.join(ROOT, '.local/artifacts/reliability-faults.json'), `${JSON.stringify(figures, null, 2)}\n`);
}, 180_000);

/** The webhook token in the dev OpenBao (in memory: written again after OpenBao restarts, as npm start seeds). */
async function putVaultSecret(): Promise<void> {
  const answer = await fetch(`http://127.0.0.1:8200/v1/secret/data/dataplatform/${VAULT_PREFIX}`, {
    method: 'POST',
    headers: { 'x-vault-token': 'dev-root-token', 'content-type': 'application/json' },
    body: JSON.stringify({ data: { webhook_token: WEBHOOK_TOKEN } }),
  });
  if (answer.status !== 200) throw new Error(`OpenBao refused the test secret: ${answer.status}`);
}

/** A call of a protected function for work that does not exist: what a caller gets while a service is down. */
async function callWhileDown(): Promise<{ status: number; text: string }> {
  const answer = await fetch(`${GATEWAY_URL}/function/bronze.${platform.ns.name}`, {
    method: 'POST',
    headers: { ...platform.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ batch_id: randomUUID(), system_id: TEST_SYSTEM, entity_id: 'test_customer' }),
  });
  return { status: answer.status, text: await answer.text() };
}

/** The 503 a caller gets names the failure and the call id, never a host, a port or a path. */
function expectOpaque503(answer: { status: number; text: string }): void {
  expect(answer.status).toBe(503);
  const body = JSON.parse(answer.text) as { error: string; message: string; call_id?: string };
  expect(body).toMatchObject({ error: 'upstream_unavailable', message: expect.stringMatching(/^the function failed \(upstream_unavailable\)/) });
  expect(answer.text).not.toMatch(/127\.0\.0\.1|10\.62\.|55432|27017|8200|password|\/work\//);
}

async function bronzeRunning(): Promise<true | undefined> {
  const running = await query(
    platform.db.pool,
    'read running bronze',
    `select 1 from audit.entity_layer_run where layer = 'bronze' and entity_id = 'test_customer' and status = 'running'`,
  ).catch(() => ({ rows: [] }));
  return running.rows.length > 0 ? true : undefined;
}

/** Checks a batch that went through a fault: every layer succeeded, silver as generated, no bronze row twice. */
async function expectCompleted(result: TestBatchResult, fault: string, healStartedAt: number, answeredWhileDown: number | null): Promise<void> {
  const batch = `batch-${String(nextBatch).padStart(4, '0')}`;
  nextBatch += 1;
  expect(result.settled).toBe(true);
  expect(await platform.layerStatuses(result.batch_id)).toEqual(ALL_SUCCEEDED);
  await platform.expectSilverAsGenerated(batch);
  const counts = await platform.bronzeRowsPerKey(result.batch_id);
  expect(counts.rows).toBe(counts.keys);
  figures.batches_completed += 1;
  figures.faults.push({
    fault,
    answered_while_down: answeredWhileDown,
    heal_seconds: Math.round((Date.now() - healStartedAt) / 100) / 10,
    batch,
    rows: counts.rows,
    rows_doubled: counts.rows - counts.keys,
  });
}

/** Runs a batch whose bronze call for test_customer is held on a lock until `fault` has done its harm. */
async function batchThrough(fault: () => Promise<void>): Promise<TestBatchResult> {
  const lock = await platform.holdWriteLock('bronze.test_customer');
  try {
    const batch = platform.runBatch();
    await eventually('bronze of test_customer in a call', bronzeRunning, 60_000);
    await fault();
    await lock.release();
    return await batch;
  } finally {
    await lock.release();
  }
}

describe('the platform under faults', () => {
  it('takes a first batch as usual', async () => {
    const started = Date.now();
    await expectCompleted(await platform.runBatch(), 'none', started, null);
  }, FAULT_TIMEOUT_MS);

  it.each([
    ['PostgreSQL', 'postgres'],
    ['FerretDB', 'ferretdb'],
  ])('completes a batch during which %s stopped and started again', async (name, service) => {
    let whileDown: { status: number; text: string } | undefined;
    let healFrom = 0;
    const result = await batchThrough(async () => {
      await services(['stop', service]);
      whileDown = await callWhileDown();
      await services(['start', service]);
      healFrom = Date.now();
    });
    expectOpaque503(whileDown as { status: number; text: string });
    await expectCompleted(result, `${name} stopped`, healFrom, whileDown?.status ?? null);
  }, FAULT_TIMEOUT_MS);

  it('completes a batch during which the provider was killed with a function in a call', async () => {
    let healFrom = 0;
    const result = await batchThrough(async () => {
      const pid = Number((await readFile(path.join(RUN_DIR, 'provider.pid'), 'utf8')).trim());
      process.kill(pid, 'SIGKILL');
      await services(['up']);
      healFrom = Date.now();
    });
    await expectCompleted(result, 'provider killed', healFrom, null);
  }, FAULT_TIMEOUT_MS);

  it('does work two racing calls ask for once', async () => {
    const answers: Array<{ status: number; body: { status?: string; reason?: string } }> = [];
    const started = Date.now();
    const result = await platform.runBatch({
      invoke: async (payload) => {
        const call = (): Promise<void> =>
          fetch(`${GATEWAY_URL}/function/connector-jsonfile.${platform.ns.name}`, {
            method: 'POST',
            headers: { ...platform.auth, 'content-type': 'application/json' },
            body: JSON.stringify(payload),
          }).then(async (answer) => void answers.push({ status: answer.status, body: (await answer.json()) as { status?: string } }));
        await Promise.all([call(), call()]);
      },
    });
    expect(answers.map((answer) => answer.body.status).sort()).toEqual(['skipped', 'succeeded']);
    const landings = await query<{ status: string }>(platform.db.pool, 'read landings', 'select status from audit.system_run where batch_id = $1 and duplicate_of_run_id is null', [result.batch_id]);
    expect(landings.rows).toEqual([{ status: 'succeeded' }]);
    await expectCompleted(result, 'two racing calls', started, null);
  }, FAULT_TIMEOUT_MS);

  it(`keeps memory flat over ${SOAK_BATCHES} batches in a row, each verified`, async () => {
    const rssMb = async (fn: string): Promise<number> => {
      const replica = await platform.ns.replica(fn);
      const status = async (pid: number): Promise<number> => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))?.[1] ?? 0);
      const children = (await readFile(`/proc/${replica.pid}/task/${replica.pid}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number);
      let kb = await status(replica.pid);
      for (const child of children) kb += await status(child);
      return Math.round(kb / 102.4) / 10;
    };
    const watched = ['bronze', 'silver', 'gold', 'scheduler', 'connector-jsonfile'];
    const afterFirst: Record<string, number> = {};
    for (let i = 0; i < SOAK_BATCHES; i += 1) {
      const started = Date.now();
      await expectCompleted(await platform.runBatch(), 'none (soak)', started, null);
      if (i === 0) for (const fn of watched) afterFirst[fn] = await rssMb(fn);
    }
    const rss: Record<string, { after_first: number; after_last: number }> = {};
    for (const fn of watched) rss[fn] = { after_first: afterFirst[fn] ?? 0, after_last: await rssMb(fn) };
    figures.soak = { batches: SOAK_BATCHES, rss_mb: rss };
    for (const [fn, { after_first, after_last }] of Object.entries(rss)) {
      expect({ fn, growth_mb: after_last - after_first < 40 }).toEqual({ fn, growth_mb: true });
    }
  }, SOAK_BATCHES * 60_000);

  it('answers a push with 503 while OpenBao is down, stores nothing, and lands it once OpenBao is back', async () => {
    const push = (): Promise<Response> =>
      fetch(`${GATEWAY_URL}/function/webhook.${platform.ns.name}/${TEST_SYSTEM}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify([{ Thermometer: { id: `vault-fault-${Date.now()}`, celsius: 22 } }]),
      });
    const landings = async (): Promise<number> =>
      (await query<{ n: number }>(platform.db.pool, 'count landings', `select count(*)::int as n from audit.system_run where system_id = 'TST01'`)).rows[0]?.n ?? 0;
    const before = await landings();
    await services(['stop', 'openbao']);
    let down: { status: number; text: string };
    try {
      const answer = await push();
      down = { status: answer.status, text: await answer.text() };
    } finally {
      await services(['start', 'openbao']);
    }
    expectOpaque503(down);
    expect(await landings()).toBe(before);
    const healFrom = Date.now();
    await putVaultSecret();
    const accepted = await eventually('the push landed', async () => {
      const answer = await push();
      return answer.status === 200 ? ((await answer.json()) as { status: string; batch_id: string }) : undefined;
    }, 60_000, 1000);
    expect(accepted.status).toBe('succeeded');
    expect(await landings()).toBe(before + 1);
    figures.faults.push({ fault: 'openbao stopped', answered_while_down: down.status, heal_seconds: Math.round((Date.now() - healFrom) / 100) / 10, batch: 'webhook push', rows: 1, rows_doubled: 0 });
  }, FAULT_TIMEOUT_MS);
});
