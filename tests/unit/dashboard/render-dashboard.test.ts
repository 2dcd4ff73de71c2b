import { describe, expect, it } from 'vitest';
import type { DashboardOverview } from '../../../shared/layers/dashboard/dashboard-overview.ts';
import { escapeHtml, html, jsonScript, raw } from '../../../shared/layers/dashboard/html.ts';
import { renderDashboardPage } from '../../../shared/layers/dashboard/render-dashboard.ts';

describe('escapeHtml', () => {
  it.each([
    ['<script>', '&lt;script&gt;'],
    ['a & b', 'a &amp; b'],
    ['"quoted" \'single\'', '&quot;quoted&quot; &#39;single&#39;'],
    ['plain text', 'plain text'],
  ])('escapes %s', (text, expected) => {
    expect(escapeHtml(text)).toBe(expected);
  });
});

describe('html', () => {
  it('escapes interpolated text but keeps nested html and raw markup', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x"'}">${inner}${raw('<br>')}${['a', '<', 1]}${null}${undefined}${false}</p>`.text).toBe(
      '<p title="&quot;x&quot;"><b>&lt;i&gt;</b><br>a&lt;1</p>',
    );
  });
});

const BATCH = '01970000-0000-7000-8000-000000000001';
const RUN = '01970000-0000-7000-8000-0000000000aa';
const at = new Date('2025-01-01T06:00:00.000Z');

function overview(changes: Partial<DashboardOverview> = {}): DashboardOverview {
  return {
    generated_at: at,
    metadata: { generation: '01970000-1111-7000-8000-000000000000', deployed_at: at },
    system_id: null,
    systems: [
      {
        system_id: 'TST01',
        name: 'Test system',
        type: 'jsonfile',
        enabled: true,
        schedule: '*/15 * * * *',
        freshness: { state: 'late', last_success_at: at, due_by: at, late_seconds: 7200 },
        latest: {
          run: {
            run_id: RUN, batch_id: BATCH, batch_timestamp: at, system_id: 'TST01', call_id: 'c1', parent_call_id: null,
            status: 'succeeded', force: false, attempt: 1, timeout_seconds: 300, took_over_run_id: null,
            duplicate_of_run_id: null, skip_reason: null, error: null, started_at: at, finished_at: at,
            entities_succeeded: 6, entities_failed: 1, entities_skipped: 0,
          },
          layers: [
            {
              run_id: RUN, batch_id: BATCH, batch_timestamp: at, system_id: 'TST01', layer: 'bronze', system_run_id: RUN,
              call_id: null, status: 'failed', entities_expected: 6, entities_succeeded: 5, entities_failed: 1,
              entities_skipped: 0, started_at: at, finished_at: at,
            },
          ],
        },
      },
      {
        system_id: 'NSC01', name: 'Nightscout', type: 'nightscout', enabled: false, schedule: null, latest: null,
        freshness: { state: 'disabled', last_success_at: null, due_by: null, late_seconds: 0 },
      },
    ],
    stuck: { runs: [], messages: [], layers: [] },
    failed: [
      {
        level: 'entity', run_id: RUN, batch_id: BATCH, batch_timestamp: at, system_id: 'TST01', layer: 'bronze',
        entity_id: 'test_customer', attempt: 2, call_id: 'call-1', error: 'check failed: <script>alert(1)</script>',
        started_at: at, finished_at: at,
      },
    ],
    batches: [],
    gold: [{ entity_id: 'test_customer_order_total', system_id: 'TST01', table: 'test_customer_order_total', rows: 42 }],
    actions: [],
    runs_per_hour: [
      { hour: new Date('2025-01-01T05:00:00Z'), status: 'succeeded', runs: 17 },
      { hour: new Date('2025-01-01T05:00:00Z'), status: 'failed', runs: 1 },
    ],
    rows_per_batch: [
      { batch_id: BATCH, batch_timestamp: at, system_id: 'TST01', entity_id: 'test_customer', status: 'succeeded', records_in: 12, records_inserted: 12, records_rejected: 0 },
    ],
    gold_figures: [
      { entity_id: 'nightscout_daily_glucose', system_id: 'NSC01', title: 'Daily glucose', chart: null, note: 'gold.nightscout_daily_glucose is not created yet: NSC01 has not finished a gold run.' },
    ],
    ...changes,
  };
}

describe('renderDashboardPage', () => {
  it('escapes error text from the audit tables', () => {
    const page = renderDashboardPage(overview(), { refreshSeconds: 0 });
    expect(page).toContain('check failed: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>');
  });

  it('shows each system with its latest landing and layer outcomes, and systems that never ran', () => {
    const page = renderDashboardPage(overview(), { refreshSeconds: 0 });
    expect(page).toContain('<code>TST01</code></a> Test system');
    expect(page).toContain('<span class="st failed">failed</span> <span class="meta">6/6, 1 failed</span>');
    expect(page).toContain('<span class="none">never ran</span>');
    expect(page).toContain('<span class="st skipped">disabled</span>');
    expect(page).toContain('<td class="n">42</td>');
  });

  it('says so when nothing is stuck, nothing failed and no batch ran', () => {
    const page = renderDashboardPage(overview({ failed: [], systems: [], gold: [] }), { refreshSeconds: 0 });
    expect(page).toContain('Nothing is stuck.');
    expect(page).toContain('No failed work');
    expect(page).toContain('No batches yet.');
    expect(page).toContain('No systems: deploy metadata');
  });

  it('reloads itself only when asked, and links to the JSON form with the same filter', () => {
    const filtered = overview({ system_id: 'TST01' });
    expect(renderDashboardPage(filtered, { refreshSeconds: 15 })).toContain('<meta http-equiv="refresh" content="15">');
    expect(renderDashboardPage(filtered, { refreshSeconds: 0 })).not.toContain('http-equiv="refresh"');
    expect(renderDashboardPage(filtered, { refreshSeconds: 0 })).toContain('href="?system_id=TST01&amp;format=json"');
  });

  it('shows why metadata is missing instead of failing', () => {
    const page = renderDashboardPage(overview({ metadata: { error: 'no metadata deployed' } }), { refreshSeconds: 0 });
    expect(page).toContain('metadata unavailable</span> no metadata deployed');
  });

  it('shows the command that runs each failure again, and links each batch to its lineage', () => {
    const page = renderDashboardPage(overview(), { refreshSeconds: 0 });
    expect(page).toContain(`<code class="rerun" title="run it again from the project folder">npx dataplatform rerun ${BATCH} --layer bronze --entity test_customer</code>`);
    expect(page).toContain(`<a href="?batch_id=${BATCH}"><code title="${BATCH}">01970000-0000</code></a>`);
  });

  it('shows each system\'s freshness against its schedule', () => {
    const page = renderDashboardPage(overview(), { refreshSeconds: 0 });
    expect(page).toContain('<span class="st late">late</span> <span class="meta">late by 2 h, was due by');
    expect(page).toContain('<span class="st disabled">disabled</span>');
  });

  it('carries its charts as a JSON island with a canvas each, and says why a gold figure has no chart', () => {
    const page = renderDashboardPage(overview(), { refreshSeconds: 0, script: 'dashboard-charts.0123456789abcdef.js' });
    expect(page).toContain('<script src="?asset=dashboard-charts.0123456789abcdef.js" defer></script>');
    const island = /<script type="application\/json" id="dashboard-charts">(.*?)<\/script>/s.exec(page)?.[1] ?? '';
    const charts = JSON.parse(island) as Array<{ id: string }>;
    expect(charts.map((chart) => chart.id)).toEqual(['runs', 'freshness', 'rows-TST01']);
    for (const chart of charts) expect(page).toContain(`<canvas id="chart-${chart.id}"`);
    expect(page).toContain('gold.nightscout_daily_glucose is not created yet: NSC01 has not finished a gold run.');
  });

  it('has no script unless the function was bundled with one, and says the charts need it', () => {
    const page = renderDashboardPage(overview(), { refreshSeconds: 0 });
    expect(page).not.toMatch(/<script/);
    expect(page).toContain('npm run build');
  });
});

describe('jsonScript', () => {
  it('escapes what could end the element or open another one, and stays the same JSON', () => {
    const value = { error: '</script><script>alert(1)</script> & \u2028' };
    const island = jsonScript('data', value).text;
    expect(island).toBe('<script type="application/json" id="data">{"error":"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e \\u0026 \\u2028"}</script>');
    expect(JSON.parse(island.slice(island.indexOf('>') + 1, island.lastIndexOf('<')))).toEqual(value);
  });
});
