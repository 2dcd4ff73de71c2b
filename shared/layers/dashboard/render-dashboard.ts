/**
 * The dashboard page: one HTML document rendered on the server from the overview, readable without its script
 * (every figure is also in a table), with charts drawn by the page's script from a JSON island (page-parts.ts). Every
 * value goes through `html`, so audit text cannot inject markup.
 */
import type { Freshness } from '../../core/freshness.ts';
import type { BatchLayerCounts, FailedWork } from '../../runs/audit-queries.ts';
import type { SystemLayerRun } from '../../runs/run-types.ts';
import { rerunCommand } from '../../core/rerun-command.ts';
import type { ActionRun } from '../../runs/action-runs.ts';
import { freshnessChart, rowsPerBatchCharts, runsOverTimeChart, type ChartSpec } from './chart-series.ts';
import type { DashboardOverview, GoldTableCount, SystemStatus } from './dashboard-overview.ts';
import { html, type SafeHtml } from './html.ts';
import { badge, batchLink, chartFigure, empty, errorText, pageDocument, rerunLine, section, shortId, timeOf } from './page-parts.ts';

/** How the page links to itself and refreshes, and the name of its script (null: the charts are not drawn). */
export interface PageOptions {
  /** Seconds between automatic reloads; 0 = never. */
  readonly refreshSeconds: number;
  readonly script?: string | null;
}

const LAYERS = ['landing', 'bronze', 'silver', 'gold'] as const;

/** Renders the whole page. */
export function renderDashboardPage(overview: DashboardOverview, options: PageOptions): string {
  const title = overview.system_id === null ? 'Dataplatform' : `Dataplatform · ${overview.system_id}`;
  const script = options.script ?? null;
  const figures = overviewFigures(overview);
  const body = html`<h1>${title}</h1>
<p class="meta">${metadataLine(overview)} · as of ${timeOf(overview.generated_at)}
 · <a href="${link(overview, { format: 'json' })}">JSON</a>${overview.system_id === null ? '' : html` · <a href="?">all systems</a>`}
 · ${options.refreshSeconds > 0 ? html`reloads every ${options.refreshSeconds} s (<a href="${link(overview, { refresh: '0' })}">stop</a>)` : html`<a href="${link(overview, { refresh: '30' })}">reload every 30 s</a>`}</p>
${section('Systems', systemsTable(overview.systems))}
${section('Charts', html`${script === null ? UNBUNDLED_NOTE : ''}<div class="charts">${figures.map((figure) => chartFigure(figure.title, figure.chart, figure.note))}</div>`)}
${section('Stuck work', stuckTables(overview))}
${section('Failed work', failedTable(overview.failed))}
${section('Batches', batchesTable(overview.batches))}
${section('Gold tables', goldTable(overview.gold))}
${section('Actions', actionsTable(overview.actions))}`;
  const charts = figures.flatMap((figure) => (figure.chart === null ? [] : [figure.chart]));
  return pageDocument({ title, refreshSeconds: options.refreshSeconds, script }, body, charts);
}

const UNBUNDLED_NOTE = html`<p class="note">The charts are drawn by the page's script, which the build bakes into the function (npm run build); this copy runs unbundled.</p>`;

/** The overview's charts in page order, each with its title and the note shown instead when there is nothing to draw. */
function overviewFigures(overview: DashboardOverview): Array<{ title: string; chart: ChartSpec | null; note: string }> {
  const rows = rowsPerBatchCharts(overview.rows_per_batch, 'bronze');
  return [
    { title: 'Runs and failures over time', chart: runsOverTimeChart(overview.runs_per_hour, overview.generated_at), note: 'No runs in the last 14 days.' },
    { title: 'Freshness per system (against its schedule)', chart: freshnessChart(overview.systems, overview.generated_at), note: 'No system has landed yet.' },
    ...(rows.length === 0
      ? [{ title: 'Bronze rows per batch and entity', chart: null, note: 'No batch has reached bronze yet.' }]
      : rows.map((chart) => ({ title: `Bronze rows per batch and entity · ${chart.id.slice('rows-'.length)}`, chart, note: '' }))),
    ...overview.gold_figures.map((figure) => ({ title: `${figure.title} · gold.${figure.entity_id}`, chart: figure.chart, note: figure.note ?? '' })),
  ];
}

function metadataLine(overview: DashboardOverview): SafeHtml {
  if ('error' in overview.metadata) return html`<span class="st failed">metadata unavailable</span> ${overview.metadata.error}`;
  return html`metadata deployed ${timeOf(overview.metadata.deployed_at)} (generation <code>${shortId(overview.metadata.generation)}</code>)`;
}

/** A link to this page with some query parameters changed (kept relative, so any gateway path works). */
function link(overview: DashboardOverview, changes: Readonly<Record<string, string>>): string {
  const params = new URLSearchParams();
  if (overview.system_id !== null) params.set('system_id', overview.system_id);
  for (const [name, value] of Object.entries(changes)) params.set(name, value);
  return `?${params.toString()}`;
}

function systemsTable(systems: readonly SystemStatus[]): SafeHtml {
  if (systems.length === 0) return empty('No systems: deploy metadata (npx dataplatform metadata deploy).');
  const rows = systems.map((system) => {
    const latest = system.latest;
    const layers = LAYERS.slice(1).map((layer) => html`<td>${layerCell(latest?.layers.find((run) => run.layer === layer))}</td>`);
    return html`<tr>
<td><a href="?system_id=${system.system_id}"><code>${system.system_id}</code></a>${system.name === null ? html` <span class="meta">(not in metadata)</span>` : html` ${system.name}`}</td>
<td>${system.type ?? ''}${system.enabled === false ? html` <span class="st skipped">disabled</span>` : ''}</td>
<td><code>${system.schedule ?? '—'}</code></td>
<td>${latest ? html`${batchLink(latest.run.batch_id)} ${timeOf(latest.run.batch_timestamp)}` : html`<span class="none">never ran</span>`}</td>
<td>${freshnessCell(system.freshness)}</td>
<td>${latest ? html`${badge(latest.run.status)}${latest.run.skip_reason ? html` <span class="meta">${latest.run.skip_reason}</span>` : ''}` : ''}</td>
${layers}
</tr>`;
  });
  return html`<table>
<tr><th>system</th><th>type</th><th>schedule</th><th>latest batch</th><th>freshness</th><th>landing</th><th>bronze</th><th>silver</th><th>gold</th></tr>
${rows}
</table>`;
}

function freshnessCell(state: Freshness): SafeHtml {
  const detail = state.state === 'late'
    ? html`late by ${duration(state.late_seconds)}, was due by ${timeOf(state.due_by)}`
    : state.state === 'fresh' ? html`next due by ${timeOf(state.due_by)}` : '';
  return html`${badge(state.state)} <span class="meta">${detail}</span>`;
}

/** `3 min`, `5 h`, `2 d`: a duration as a person reads it. */
function duration(seconds: number): string {
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min`;
  if (seconds < 2 * 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

function layerCell(run: SystemLayerRun | undefined): SafeHtml {
  if (!run) return html`<span class="none">—</span>`;
  const finished = run.entities_succeeded + run.entities_failed + run.entities_skipped;
  return html`${badge(run.status)} <span class="meta">${finished}/${run.entities_expected}${run.entities_failed > 0 ? html`, ${run.entities_failed} failed` : ''}</span>`;
}

function stuckTables(overview: DashboardOverview): SafeHtml {
  const { runs, messages, layers } = overview.stuck;
  if (runs.length + messages.length + layers.length === 0) return empty('Nothing is stuck.');
  const parts: SafeHtml[] = [];
  if (runs.length > 0) {
    parts.push(html`<p>Runs still <span class="st running">running</span> past their timeout (the next call or the scheduler takes them over):</p>
<table><tr><th>system</th><th>layer</th><th>entity</th><th>batch</th><th>started</th><th>running</th><th>timeout</th><th>call</th></tr>
${runs.map((run) => html`<tr><td><code>${run.system_id}</code></td><td>${run.layer ?? 'landing'}</td><td>${run.entity_id ?? ''}</td><td>${batchLink(run.batch_id)}</td><td>${timeOf(run.started_at)}</td><td class="n">${run.running_seconds} s</td><td class="n">${run.timeout_seconds} s</td><td><code>${run.call_id ?? ''}</code></td></tr>`)}
</table>`);
  }
  if (messages.length > 0) {
    parts.push(html`<p>Chained calls not delivered (the scheduler retries them every minute):</p>
<table><tr><th>function</th><th>batch</th><th>created</th><th>attempts</th><th>next attempt</th><th>last error</th></tr>
${messages.map((message) => html`<tr><td><code>${message.target_function}</code></td><td>${batchLink(message.batch_id)}</td><td>${timeOf(message.created_at)}</td><td class="n">${message.attempts}</td><td>${timeOf(message.next_attempt_at)}</td><td>${errorText(message.last_error)}</td></tr>`)}
</table>`);
  }
  if (layers.length > 0) {
    parts.push(html`<p>Layers still waiting for entities after an hour (an entity's call was lost before it started):</p>
<table><tr><th>system</th><th>layer</th><th>batch</th><th>started</th><th>entities finished</th></tr>
${layers.map((layer) => html`<tr><td><code>${layer.system_id}</code></td><td>${layer.layer}</td><td>${batchLink(layer.batch_id)}</td><td>${timeOf(layer.started_at)}</td><td class="n">${layer.entities_finished}/${layer.entities_expected}</td></tr>`)}
</table>`);
  }
  return html`${parts}`;
}

function failedTable(failed: readonly FailedWork[]): SafeHtml {
  if (failed.length === 0) return empty('No failed work (failures that a later run fixed are left out).');
  return html`<table>
<tr><th>finished</th><th>system</th><th>layer</th><th>entity</th><th>batch</th><th>attempt</th><th>error, and the command that runs it again</th></tr>
${failed.map((work) => html`<tr><td>${timeOf(work.finished_at)}</td><td><code>${work.system_id}</code></td><td>${work.layer ?? 'landing'}</td><td>${work.entity_id ?? ''}</td><td>${batchLink(work.batch_id)}</td><td class="n">${work.attempt}</td><td>${errorText(work.error)}${rerunLine(rerunCommand(work))}</td></tr>`)}
</table>`;
}

function batchesTable(batches: readonly BatchLayerCounts[]): SafeHtml {
  if (batches.length === 0) return empty('No batches yet.');
  const rows = batches.map((row, index) => {
    const first = index === 0 || batches[index - 1]?.batch_id !== row.batch_id;
    const batchCells = first
      ? html`<td>${batchLink(row.batch_id)}</td><td>${timeOf(row.batch_timestamp)}</td><td><code>${row.system_id}</code></td><td>${badge(row.landing_status)}</td>`
      : html`<td colspan="4"></td>`;
    return html`<tr>${batchCells}<td>${row.layer ?? html`<span class="none">—</span>`}</td><td>${row.layer_status ? badge(row.layer_status) : ''}</td>
<td class="n">${row.entities_succeeded}/${row.entities_failed}/${row.entities_skipped} of ${row.entities_expected}</td>
<td class="n">${row.records_in}</td><td class="n">${row.records_inserted}</td><td class="n">${row.records_updated}</td><td class="n">${row.records_deleted}</td><td class="n">${row.records_rejected}</td><td class="n">${row.records_unchanged}</td></tr>`;
  });
  return html`<table>
<tr><th>batch</th><th>timestamp</th><th>system</th><th>landing</th><th>layer</th><th>status</th><th>entities ok/failed/skipped</th><th>in</th><th>inserted</th><th>updated</th><th>deleted</th><th>rejected</th><th>unchanged</th></tr>
${rows}
</table>`;
}

function goldTable(gold: readonly GoldTableCount[]): SafeHtml {
  if (gold.length === 0) return empty('No gold entities in metadata.');
  return html`<table>
<tr><th>entity</th><th>system</th><th>table</th><th>rows</th></tr>
${gold.map((table) => html`<tr><td>${table.entity_id}</td><td><code>${table.system_id}</code></td><td><code>gold.${table.table}</code></td><td class="n">${table.rows ?? html`<span class="none">not created yet</span>`}</td></tr>`)}
</table>`;
}

function actionsTable(actions: readonly ActionRun[]): SafeHtml {
  if (actions.length === 0) return empty('No action has run yet.');
  return html`<table>
<tr><th>started</th><th>action</th><th>type</th><th>event</th><th>system</th><th>layer</th><th>entity</th><th>event status</th><th>status</th><th>error</th></tr>
${actions.map((run) => html`<tr><td>${timeOf(run.started_at)}</td><td>${run.action_id}</td><td>${run.action_type}</td><td>${run.event}</td><td><code>${run.system_id}</code></td><td>${run.layer}</td><td>${run.entity_id ?? ''}</td><td>${badge(run.event_status)}</td><td>${badge(run.status)}</td><td>${errorText(run.error)}</td></tr>`)}
</table>`;
}
