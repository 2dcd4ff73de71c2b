/**
 * The platform end to end on the real OpenFaaS stack, deployed with faas-cli and driven as production is: TST01
 * batches start with `faas-cli invoke --async`, go from the connector through bronze and silver to gold by themselves
 * (each function delivers what it announced, the scheduler delivers the rest), and what a person sees (audit rows,
 * silver, gold, answers, the dashboard, faas-cli list and logs) is checked. Then the two ways OpenFaaS CE runs a call
 * other than once: the real queue-worker delivering a call again after `ack_wait`, and a function process killed in
 * the middle of a call.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import { TST01_ENTITIES } from '../../../shared/layers/landing/jsonfile/generator/tst01-entities.ts';
import { CANARY_CHECK } from '../../../shared/layers/silver/check-canary-silver.ts';
import { gatewayCredentials } from '../../../dev/openfaas/local-stack.ts';
import { authHeader, eventually, GATEWAY_URL, services } from '../stack-harness.ts';
import { ALL_SUCCEEDED, PLATFORM_BATCH_TIMEOUT_MS, ROOT, startPlatform, TEST_SYSTEM, type PlatformEnv } from './platform-env.ts';

let platform: PlatformEnv;

const CANARY_ENTITIES = TST01_ENTITIES.map((entity) => entity.id).sort();

/** The canary checks silver recorded for a batch, per entity. */
async function canaryChecks(batchId: string): Promise<Array<{ entity_id: string; passed: boolean; state_after: string }>> {
  const checks = await query<{ entity_id: string; passed: boolean; state_after: string }>(
    platform.db.pool,
    'read canary checks',
    `select entity_id, passed, expected->>'state_after' as state_after from audit.check_result where batch_id = $1 and check_name = $2 order by entity_id`,
    [batchId, CANARY_CHECK],
  );
  return checks.rows;
}

/** A step of the scenario, made once on first use; `timeoutMs` covers it and every step it builds on. */
interface Step<T> {
  (): Promise<T>;
  readonly timeoutMs: number;
}

/**
 * Makes `make` a step after `after`: TST01's batches go through the stack in turn (the connector lands the next
 * folder, silver is compared with the generator's state after it), so a describe run alone with `-t` first makes
 * the batches before its own, and the whole file makes each batch once.
 */
function step<T>(timeoutMs: number, make: () => Promise<T>, after?: Step<unknown>): Step<T> {
  let making: Promise<T> | undefined;
  const run = (): Promise<T> => (making ??= (after?.() ?? Promise.resolve()).then(make));
  return Object.assign(run, { timeoutMs: timeoutMs + (after?.timeoutMs ?? 0) });
}

/** Makes `step` in the calling describe's beforeAll; its tests read what was made through the function returned. */
function made<T>(step: Step<T>): () => T {
  let value: { readonly made: T } | undefined;
  beforeAll(async () => {
    value = { made: await step() };
  }, step.timeoutMs);
  return () => {
    if (value === undefined) throw new Error('the step is made in beforeAll: read it inside a test');
    return value.made;
  };
}

/** Batch 1, started as production does and driven by scheduler ticks. */
const firstBatch = step(PLATFORM_BATCH_TIMEOUT_MS, () => platform.runBatch());

/** Bronze's call for test_customer of batch 1 delivered again with the same X-Call-Id, and what became of it. */
const bronzeDeliveredAgain = step(
  30_000,
  async () => {
    const first = await firstBatch();
    const original = await query<{ call_id: string; run_id: string }>(
      platform.db.pool,
      'read bronze run',
      `select call_id, run_id from audit.entity_layer_run
        where batch_id = $1 and layer = 'bronze' and entity_id = 'test_customer' and status = 'succeeded'`,
      [first.batch_id],
    );
    const run = original.rows[0];
    const answer = await fetch(`${GATEWAY_URL}/async-function/bronze.${platform.ns.name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-call-id': run?.call_id ?? '', ...platform.auth },
      body: JSON.stringify({ batch_id: first.batch_id, system_id: TEST_SYSTEM, entity_id: 'test_customer' }),
    });
    const duplicate = await eventually('the skipped duplicate', async () => {
      const rows = await query<{ status: string; skip_reason: string; duplicate_of_run_id: string }>(
        platform.db.pool,
        'read duplicate bronze run',
        `select status, skip_reason, duplicate_of_run_id from audit.entity_layer_run
          where batch_id = $1 and layer = 'bronze' and entity_id = 'test_customer' and run_id <> $2`,
        [first.batch_id, run?.run_id],
      );
      return rows.rows.length > 0 ? rows.rows : undefined;
    });
    return { run, status: answer.status, duplicate };
  },
  firstBatch,
);

/** Batch 2 with no scheduler tick: each function hands over what it announced. */
const secondBatch = step(PLATFORM_BATCH_TIMEOUT_MS, () => platform.runBatch({ driveScheduler: false }), firstBatch);

/** Batch 3, whose connector call the queue-worker delivers again after ack_wait. */
const thirdBatch = step(
  PLATFORM_BATCH_TIMEOUT_MS + 60_000,
  async () => {
    // The connector's landing waits on the lock for longer than ack_wait (3 s here, 5m5s as on faasd otherwise), so
    // NATS Streaming hands the call to the queue-worker again; it runs once the first delivery returned.
    await services(['restart', 'queue-worker'], { OPENFAAS_ACK_WAIT: '3s' });
    try {
      return await platform.runBatch({
        invoke: async (payload, callbackUrl) => {
          const lock = await platform.holdWriteLock('audit.system_run');
          try {
            await platform.invokeConnector(payload, callbackUrl);
            await new Promise((resolve) => setTimeout(resolve, 7000));
          } finally {
            await lock.release();
          }
        },
      });
    } finally {
      await services(['restart', 'queue-worker']);
    }
  },
  secondBatch,
);

/** Batch 4, whose bronze process is killed while it runs test_customer; the bronze replica before and after. */
const fourthBatch = step(
  240_000,
  async () => {
    const bronzeLock = await platform.holdWriteLock('bronze.test_customer');
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await bronzeLock.release();
    };
    const before = await platform.ns.replica('bronze');
    try {
      const batch = platform.runBatch();
      // Once bronze runs for test_customer (and waits on the lock), kill its process: the call dies with it.
      await eventually('bronze of test_customer running', async () => {
        const running = await query(
          platform.db.pool,
          'read running bronze',
          `select 1 from audit.entity_layer_run where layer = 'bronze' and entity_id = 'test_customer' and status = 'running'`,
        );
        return running.rows.length > 0 ? true : undefined;
      }, 60_000);
      process.kill(before.pid, 'SIGKILL');
      await release();
      const fourth = await batch;
      return { batch: fourth, before, after: await platform.ns.replica('bronze') };
    } finally {
      await release();
    }
  },
  thirdBatch,
);

/** Batch 5, which the canary's connector generates once the four folders are landed; whether its folder was there before. */
const fifthBatch = step(
  PLATFORM_BATCH_TIMEOUT_MS,
  async () => {
    const existedBefore = existsSync(path.join(platform.dataDir, 'batch-0005'));
    return { batch: await platform.runBatch(), existedBefore };
  },
  fourthBatch,
);

beforeAll(async () => {
  // A call lost with the killed bronze process is sent again 15 s after its delivery (5 min in production).
  platform = await startPlatform({ batches: 4, deployEnv: { LOST_CALL_GRACE_SECONDS: '15' } });
}, 240_000);

afterAll(async () => {
  await platform?.stop();
}, 60_000);

// Each describe makes what it looks at in its beforeAll (with the steps before it); each it only reads and asserts.
describe('the platform on TST01, on the real OpenFaaS stack', () => {
  it('lists every function of stack.yml with one replica, as faas-cli list shows them', async () => {
    const listed = await platform.ns.cli(['list', '--namespace', platform.ns.name]);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/));
    expect(rows.map(([name]) => name).sort()).toEqual([...platform.functions].sort());
    expect(rows.every((row) => row.at(-1) === '1')).toBe(true);
  });

  it('answers an invalid payload with 400 and the reason, and the healthcheck with its call id', async () => {
    const answer = await fetch(`${GATEWAY_URL}/function/bronze.${platform.ns.name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...platform.auth },
      body: JSON.stringify({ batch_id: 'not-a-uuid', system_id: TEST_SYSTEM }),
    });
    expect(answer.status).toBe(400);
    const body = (await answer.json()) as { error: string; issues: string[] };
    expect(body.error).toBe('invalid_payload');
    expect(body.issues).toEqual(expect.arrayContaining([expect.stringMatching(/^batch_id: /), expect.stringMatching(/^entity_id: /)]));
    const health = await fetch(`${GATEWAY_URL}/function/healthcheck.${platform.ns.name}`, { headers: { 'x-call-id': 'e2e-health-1', ...platform.auth } });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ function: 'healthcheck', status: 'ok', call_id: 'e2e-health-1' });
  });

  describe('batch 1', () => {
    const readFirst = made(firstBatch);

    it('takes batch 1 from landing to gold, every layer succeeded', async () => {
      const first = readFirst();
      expect(first.settled).toBe(true);
      expect(first.started_by).toBe('invoke');
      expect(first.connector_answer?.status).toBe(200);
      expect(await platform.layerStatuses(first.batch_id)).toEqual(ALL_SUCCEEDED);
      const failed = await query(platform.db.pool, 'read failed runs', `select entity_id, layer, error from audit.entity_layer_run where status = 'failed'`);
      expect(failed.rows).toEqual([]);
      await platform.expectSilverAsGenerated('batch-0001');
      const gold = await query<{ rows: number }>(platform.db.pool, 'count gold', 'select count(*)::int as rows from gold.test_customer_order_total');
      expect(gold.rows[0]?.rows).toBeGreaterThan(0);
      // TST01 is a canary: the silver function checked each entity against the generator's expected state.
      expect(await canaryChecks(first.batch_id)).toEqual(CANARY_ENTITIES.map((entity_id) => ({ entity_id, passed: true, state_after: 'batch-0001' })));
    });

    it('runs the log action for the system-layer events TST01 emits, once per event, and faas-cli logs shows it', async () => {
      const first = readFirst();
      const runs = await query<{ action_id: string; event: string; layer: string; status: string }>(
        platform.db.pool,
        'read action runs',
        `select action_id, event, layer, status from audit.action_run where batch_id = $1 order by layer`,
        [first.batch_id],
      );
      expect(runs.rows).toEqual([{ action_id: 'log_system_silver_done', event: 'system-layer-processed', layer: 'silver', status: 'succeeded' }]);
      const logs = await eventually('the action in faas-cli logs', async () => {
        const result = await platform.ns.cli(['logs', 'action-log', '--namespace', platform.ns.name, '--tail=false']);
        return result.stdout.includes('system silver layer processed') ? result.stdout : undefined;
      });
      expect(logs.split('\n').filter((line) => line.includes('system silver layer processed') && line.includes(first.batch_id))).toHaveLength(1);
    });

    it('asks every function but the webhook for the call token through the gateway; a bodiless scheduler tick needs none', async () => {
      const first = readFirst();
      const url = (fn: string): string => `${GATEWAY_URL}/function/${fn}.${platform.ns.name}`;
      const body = JSON.stringify({ batch_id: first.batch_id, system_id: TEST_SYSTEM, entity_id: 'test_customer', force: true });
      for (const fn of ['bronze', 'silver', 'connector-jsonfile', 'dashboard', 'healthcheck', 'action-log', 'gold']) {
        const refused = await fetch(url(fn), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect({ fn, status: refused.status }).toEqual({ fn, status: 401 });
      }
      const wrong = await fetch(url('silver'), { method: 'POST', headers: { authorization: 'Bearer someone-else-0123456789abcdefgh' }, body: '{"rebuild":true}' });
      expect(wrong.status).toBe(401);
      expect((await fetch(url('scheduler'), { method: 'POST', body: '{"x":1}' })).status).toBe(401);
      const tick = await fetch(url('scheduler'), { method: 'POST', headers: { 'x-topic': 'cron-function' } });
      expect(tick.status).toBe(200);
      // The webhook answers anyone, and authenticates the caller itself.
      expect((await fetch(`${url('webhook')}/TST01`, { method: 'POST', body: '{}' })).status).toBe(401);
    });
  });

  describe('the same bronze call delivered again', () => {
    const readAgain = made(bronzeDeliveredAgain);

    it('skips a second delivery of the same bronze call (the same X-Call-Id again)', () => {
      const again = readAgain();
      expect(again.run).toBeDefined();
      expect(again.status).toBe(202);
      expect(again.duplicate).toEqual([{ status: 'skipped', skip_reason: 'already_succeeded', duplicate_of_run_id: again.run?.run_id }]);
    });
  });

  describe('batch 2', () => {
    const readSecond = made(secondBatch);
    const readFirst = made(firstBatch);

    it('takes batch 2 without any scheduler tick (each function hands over what it announced); silver again as generated', async () => {
      const first = readFirst();
      const second = readSecond();
      expect(second.settled).toBe(true);
      expect(second.ticks).toBe(0);
      expect(second.batch_id).not.toBe(first.batch_id);
      expect(await platform.layerStatuses(second.batch_id)).toEqual(ALL_SUCCEEDED);
      await platform.expectSilverAsGenerated('batch-0002');
    });
  });

  describe('batch 3', () => {
    const readThird = made(thirdBatch);

    it('does the work of a call the queue-worker delivers again after ack_wait once, and skips the second delivery', async () => {
      const third = readThird();
      expect(third.settled).toBe(true);
      const landings = await query<{ status: string; skip_reason: string | null; duplicate_of_run_id: string | null; run_id: string }>(
        platform.db.pool,
        'read landing runs',
        `select status, skip_reason, duplicate_of_run_id, run_id from audit.system_run where batch_id = $1 order by started_at`,
        [third.batch_id],
      );
      const [done, ...again] = landings.rows;
      expect(done).toMatchObject({ status: 'succeeded', duplicate_of_run_id: null });
      expect(again.length).toBeGreaterThanOrEqual(1);
      expect(again.every((run) => run.status === 'skipped' && run.skip_reason === 'already_succeeded' && run.duplicate_of_run_id === done?.run_id)).toBe(true);
      expect(await platform.layerStatuses(third.batch_id)).toEqual(ALL_SUCCEEDED);
      const counts = await platform.bronzeRowsPerKey(third.batch_id);
      expect(counts.rows).toBe(counts.keys);
      await platform.expectSilverAsGenerated('batch-0003');
    });
  });

  describe('batch 4', () => {
    const readKilled = made(fourthBatch);

    it('completes a batch whose bronze process is killed mid-call: the provider restarts it, the scheduler re-queues the work', async () => {
      const { batch: fourth, before, after } = readKilled();
      expect(after.pid).not.toBe(before.pid);
      expect(after.starts).toBe(before.starts + 1);
      expect(fourth.settled).toBe(true);
      const runs = await query<{ status: string; error: string | null }>(
        platform.db.pool,
        'read bronze runs',
        `select status, error from audit.entity_layer_run
          where batch_id = $1 and layer = 'bronze' and entity_id = 'test_customer' and duplicate_of_run_id is null
          order by started_at`,
        [fourth.batch_id],
      );
      // The killed call's run went stale and was taken over by the scheduler's re-queued call.
      expect(runs.rows.map((run) => run.status)).toEqual(['failed', 'succeeded']);
      expect(runs.rows[0]?.error).toMatch(/stale, taken over by run/);
      expect(await platform.layerStatuses(fourth.batch_id)).toEqual(ALL_SUCCEEDED);
      const counts = await platform.bronzeRowsPerKey(fourth.batch_id);
      expect(counts.rows).toBe(counts.keys);
      expect(counts.rows).toBeGreaterThan(0);
      await platform.expectSilverAsGenerated('batch-0004');
    });
  });

  describe('batch 5', () => {
    const readGenerated = made(fifthBatch);

    it('lands a fifth batch, which the canary generates once its four folders are landed, and checks its silver', async () => {
      const { batch: fifth, existedBefore } = readGenerated();
      expect(existedBefore).toBe(false);
      expect(fifth.settled).toBe(true);
      expect(await platform.layerStatuses(fifth.batch_id)).toEqual(ALL_SUCCEEDED);
      expect(existsSync(path.join(platform.dataDir, 'batch-0005', 'expected', 'silver', 'test_customer.json'))).toBe(true);
      expect(await canaryChecks(fifth.batch_id)).toEqual(CANARY_ENTITIES.map((entity_id) => ({ entity_id, passed: true, state_after: 'batch-0005' })));
      await platform.expectSilverAsGenerated('batch-0005');
    });
  });

  describe('once batches went through', () => {
    // The dashboard and the invocation counts need a batch; in the whole file these follow all five.
    made(firstBatch);

    it('serves the dashboard as an HTML page and as JSON', async () => {
      const page = await fetch(`${GATEWAY_URL}/function/dashboard.${platform.ns.name}`, { headers: platform.auth });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const text = await page.text();
      expect(text).toMatch(/^<!doctype html>/);
      expect(text).toContain('<code>TST01</code>');
      expect(text).toContain('gold.test_customer_order_total');
      // Its one script comes from the function itself (tests/e2e/platform/dashboard.test.ts looks at the charts).
      expect(text).not.toMatch(/<link rel="stylesheet"|src="http|href="http/);
      expect(text.match(/<script src="[^"]*"/g)).toEqual([expect.stringMatching(/^<script src="\?asset=dashboard-charts\.[0-9a-f]{16}\.js"$/)]);

      const data = await fetch(`${GATEWAY_URL}/function/dashboard.${platform.ns.name}?format=json&system_id=TST01`, { headers: platform.auth });
      expect(data.status).toBe(200);
      const overview = (await data.json()) as { systems: Array<{ system_id: string; latest: { run: { status: string } } | null }> };
      expect(overview.systems.map((system) => [system.system_id, system.latest?.run.status])).toEqual([[TEST_SYSTEM, 'succeeded']]);

      const refused = await fetch(`${GATEWAY_URL}/function/dashboard.${platform.ns.name}?format=xml`, { headers: platform.auth });
      expect(refused.status).toBe(400);
    });

    it('reports each function with its invocations through the gateway (Prometheus) and its logs', async () => {
      const listed = await eventually('invocation counts from Prometheus', async () => {
        const answer = await fetch(`${GATEWAY_URL}/system/functions?namespace=${platform.ns.name}`, { headers: authHeader() });
        const functions = (await answer.json()) as Array<{ name: string; invocationCount?: number; availableReplicas?: number }>;
        return functions.some((fn) => fn.name === 'bronze' && (fn.invocationCount ?? 0) > 0) ? functions : undefined;
      }, 60_000, 2000);
      expect(listed.every((fn) => fn.availableReplicas === 1)).toBe(true);
      const logs = await fetch(`${GATEWAY_URL}/system/logs?name=bronze&namespace=${platform.ns.name}&tail=5&follow=false`, { headers: authHeader() });
      expect(logs.status).toBe(200);
      const lines = (await logs.text()).trim().split('\n').map((line) => JSON.parse(line) as { name: string; namespace: string; text: string });
      expect(lines).toHaveLength(5);
      expect(lines.every((line) => line.name === 'bronze' && line.namespace === platform.ns.name)).toBe(true);
    }, 90_000);
  });

  it('shows its functions in the OpenFaaS UI, opened in headless Chromium with the credentials', async () => {
    expect((await fetch(`${GATEWAY_URL}/ui/`)).status).toBe(401);
    const { user, password } = gatewayCredentials();
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const context = await browser.newContext({ httpCredentials: { username: user, password }, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      expect((await page.goto(`${GATEWAY_URL}/ui/`))?.status()).toBe(200);
      // The UI shows the first namespace; choose the platform's once the list holds it.
      const option = page.locator('md-option', { hasText: platform.ns.name });
      await option.waitFor({ state: 'attached' });
      await page.locator('md-select').first().click();
      await option.click();
      const button = (name: string) => page.getByRole('button', { name, exact: true });
      for (const name of platform.functions) await button(name).waitFor();
      await button('bronze').click();
      // The detail panel (read-only fields) asks the gateway for the function's replicas every few seconds.
      const fields = (): Promise<string[]> => page.locator('input').evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value));
      await expect.poll(fields, { timeout: 15_000 }).toContain('Ready');
      expect(await fields()).toEqual(expect.arrayContaining([`${GATEWAY_URL}/function/bronze.${platform.ns.name}`, platform.ns.name]));
      const artifacts = path.join(ROOT, '.local/artifacts');
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, 'openfaas-ui.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
