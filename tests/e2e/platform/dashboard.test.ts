/**
 * The dashboard as a person sees it, in headless Chromium through the real gateway: a healthy platform (two TST01
 * batches landing → gold) with its charts drawn from real audit rows, one batch's lineage with counts and the
 * function logs of each call, then a failing platform (a batch whose customers repeat a key, rejected by bronze's
 * checks) with each failure's rerun command. No page may log a console error (a script error or a Content-Security-
 * Policy refusal would). Screenshots are kept in .local/artifacts/ (dashboard-healthy.png, dashboard-lineage.png,
 * dashboard-failing.png, dashboard-lineage-failing.png).
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_URL } from '../stack-harness.ts';
import { ALL_SUCCEEDED, PLATFORM_BATCH_TIMEOUT_MS, ROOT, startPlatform, type PlatformEnv } from './platform-env.ts';

const ARTIFACTS = path.join(ROOT, '.local/artifacts');

let platform: PlatformEnv;
let browser: Browser;
const batches: string[] = [];

beforeAll(async () => {
  platform = await startPlatform({ batches: 3 });
  for (let index = 0; index < 2; index += 1) {
    const batch = await platform.runBatch();
    expect(batch.settled).toBe(true);
    expect(await platform.layerStatuses(batch.batch_id)).toEqual(ALL_SUCCEEDED);
    batches.push(batch.batch_id);
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  await mkdir(ARTIFACTS, { recursive: true });
}, 240_000 + 2 * PLATFORM_BATCH_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
}, 60_000);

/** The dashboard's URL in the test's namespace, with a query string. */
const dashboardUrl = (query = ''): string => `${GATEWAY_URL}/function/dashboard.${platform.ns.name}${query}`;

/** Opens a dashboard page as a person would (the call token as the browser's password) and collects console errors. */
async function openPage(query: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ httpCredentials: { username: 'me', password: platform.token }, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  const answer = await page.goto(dashboardUrl(query));
  expect(answer?.status()).toBe(200);
  return { page, errors };
}

/** A chart as the page's JSON island carries it (chart-series.ts `ChartSpec`, the fields a test reads). */
interface IslandChart {
  readonly id: string;
  readonly series: ReadonlyArray<{ readonly label: string; readonly data: ReadonlyArray<number | null> }>;
}

/** The charts of the page's JSON island. */
async function islandCharts(page: Page): Promise<IslandChart[]> {
  return JSON.parse((await page.locator('#dashboard-charts').textContent()) ?? '[]') as IslandChart[];
}

/** The canvas the project's Node types can see: drawn by the script (data-rendered), and its pixels. */
interface DrawnCanvas {
  readonly width: number;
  readonly height: number;
  readonly dataset: Record<string, string | undefined>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: ArrayLike<number> } } | null;
}

/** Per chart of the island: how many values it has, whether the script drew its canvas, and how many pixels it inked. */
async function drawnCharts(page: Page): Promise<Array<{ id: string; points: number; drawn: boolean; inked: number }>> {
  await page.waitForLoadState('load');
  return Promise.all(
    (await islandCharts(page)).map(async (chart) => {
      const canvas = await page.locator(`#chart-${chart.id}`).evaluate((element) => {
        const drawn = element as unknown as DrawnCanvas;
        const pixels = drawn.getContext('2d')?.getImageData(0, 0, drawn.width, drawn.height).data ?? [];
        let inked = 0;
        for (let alpha = 3; alpha < pixels.length; alpha += 4) if ((pixels[alpha] ?? 0) > 0) inked += 1;
        return { drawn: drawn.dataset.rendered === 'true', inked };
      });
      const points = chart.series.reduce((sum, series) => sum + series.data.filter((value) => value !== null && value > 0).length, 0);
      return { id: chart.id, points, ...canvas };
    }),
  );
}

// Two healthy batches first (beforeAll), then a failing one (the last describe's beforeAll): each it only reads.
describe('the dashboard in Chromium, on the real OpenFaaS stack, with two healthy batches', () => {
  it('shows a healthy platform: every chart drawn from the audit rows and gold, no failure, no console error', async () => {
    const { page, errors } = await openPage('?refresh=0');
    const charts = await drawnCharts(page);
    expect(charts.map((chart) => chart.id)).toEqual(['runs', 'freshness', 'rows-TST01', 'gold-test_customer_order_total']);
    for (const chart of charts) {
      expect({ id: chart.id, drawn: chart.drawn, hasData: chart.points > 0, inked: chart.inked > 1000 }).toEqual({ id: chart.id, drawn: true, hasData: true, inked: true });
    }
    // TST01 has no schedule here (the test starts its batches): nothing is due, so it is never late.
    expect(await page.locator('td .st.unscheduled').count()).toBe(1);
    expect(await page.textContent('body')).toContain('No failed work');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-healthy.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it('serves its script from the function itself under a hashed name, for good, and nothing else', async () => {
    const page = await fetch(dashboardUrl(), { headers: platform.auth });
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/^default-src 'none'; script-src 'self'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    const src = /<script src="(\?asset=dashboard-charts\.[0-9a-f]{16}\.js)" defer><\/script>/.exec(await page.text())?.[1];
    expect(src).toBeDefined();
    const script = await fetch(dashboardUrl(src), { headers: platform.auth });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect((await script.text()).length).toBeGreaterThan(50_000);
    expect((await fetch(dashboardUrl('?asset=dashboard-charts.0000000000000000.js'), { headers: platform.auth })).status).toBe(404);
    expect((await fetch(dashboardUrl(src))).status).toBe(401);
  });

  it("shows one batch's lineage: each layer's entities with counts, the checks, and each call's function log", async () => {
    const batchId = batches[0] ?? '';
    const { page, errors } = await openPage(`?batch_id=${batchId}`);
    const layers = await page.locator('.flow .layer').allTextContents();
    expect(layers).toHaveLength(4);
    expect(layers[0]).toMatch(/landing\s*succeeded\s*3\/3/);
    expect(layers[1]).toMatch(/test_customer_order\s*succeeded\s*\d+ in\s*\d+ inserted/);
    expect(layers[3]).toContain('test_customer_order_total');
    expect(await page.locator('text=key_unique').count()).toBeGreaterThan(0);
    // every call has its log, read through /system/logs and matched by call id
    const calls = page.locator('details');
    expect(await calls.count()).toBeGreaterThanOrEqual(1 + 6 + 6 + 1);
    const logs = await page.locator('details .log').allTextContents();
    expect(logs.some((log) => log.includes('bronze entity loaded'))).toBe(true);
    expect(logs.some((log) => log.includes('silver entity applied'))).toBe(true);
    expect(logs.every((log) => log.includes('function work finished'))).toBe(true);
    expect(await page.textContent('body')).not.toContain('Function logs are not shown');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-lineage.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

});

describe('the dashboard once a batch failed', () => {
  let failing: { batch_id: string };

  beforeAll(async () => {
    // The next batch repeats a customer: bronze's key_unique check rejects the customer entities of that batch.
    const customers = path.join(platform.dataDir, 'batch-0003', 'customers.jsonl');
    const first = (await readFile(customers, 'utf8')).split('\n')[0] ?? '';
    await appendFile(customers, `${first}\n`);
    const batch = await platform.runBatch({ driveScheduler: false });
    expect(batch.settled).toBe(true);
    expect((await platform.layerStatuses(batch.batch_id)).bronze).toBe('failed');
    failing = batch;
  }, PLATFORM_BATCH_TIMEOUT_MS);

  it('shows a failing platform: the rejected batch in red, each failure with its rerun command', async () => {
    const { page, errors } = await openPage('?refresh=0');
    const rerun = await page.locator('code.rerun').allTextContents();
    expect(rerun).toContain(`npx dataplatform rerun ${failing.batch_id} --layer bronze --entity test_customer`);
    expect((await drawnCharts(page)).every((chart) => chart.drawn)).toBe(true);
    const failedRuns = (await islandCharts(page)).find((chart) => chart.id === 'runs')?.series.find((series) => series.label === 'failed');
    expect(failedRuns?.data.reduce<number>((sum, value) => sum + (value ?? 0), 0)).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-failing.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows the failed batch\'s lineage with the failed check and its rerun command', async () => {
    const lineage = await openPage(`?batch_id=${failing.batch_id}`);
    const body = await lineage.page.textContent('body');
    expect(body).toContain(`npx dataplatform rerun ${failing.batch_id} --layer bronze --entity test_customer`);
    expect(await lineage.page.locator('tr', { hasText: 'key_unique' }).filter({ hasText: 'failed' }).count()).toBeGreaterThan(0);
    const logs = await lineage.page.locator('details .log').allTextContents();
    expect(logs.some((log) => /ERROR|WARN/.test(log) && log.includes('key_unique'))).toBe(true);
    await lineage.page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-lineage-failing.png'), fullPage: true });
    expect(lineage.errors).toEqual([]);
  }, 60_000);
});
