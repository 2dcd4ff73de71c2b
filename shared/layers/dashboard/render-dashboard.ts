/**
 * The dashboard page: one self-contained HTML document (inline CSS, no script, no external asset), rendered on
 * the server from the overview. Every value goes through `html`, so audit text cannot inject markup.
 */
import type { BatchLayerCounts, FailedWork } from '../../runs/audit-queries.ts';
import type { SystemLayerRun } from '../../runs/run-types.ts';
import type { ActionRun } from '../actions/action-runs.ts';
import type { DashboardOverview, GoldTableCount, SystemStatus } from './dashboard-overview.ts';
import { html, raw, type SafeHtml } from './html.ts';

/** How the page links to itself and refreshes. */
export interface PageOptions {
  /** Seconds between automatic reloads; 0 = never. */
  readonly refreshSeconds: number;
}

const LAYERS = ['landing', 'bronze', 'silver', 'gold'] as const;

const STYLE = raw(`
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; background: #fafafa; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
  table { border-collapse: collapse; background: #fff; width: 100%; }
  th, td { border: 1px solid #d8dee4; padding: .3rem .5rem; text-align: left; vertical-align: top; }
  th { background: #f0f3f6; font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .meta { color: #57606a; } .empty { color: #57606a; font-style: italic; }
  .st { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .85em; white-space: nowrap; }
  .succeeded { background: #dafbe1; color: #116329; } .failed { background: #ffebe9; color: #a40e26; }
  .running { background: #ddf4ff; color: #0550ae; } .skipped { background: #eaeef2; color: #424a53; }
  .none { color: #8c959f; } code, pre { font-family: ui-monospace, monospace; font-size: .9em; }
  pre { white-space: pre-wrap; margin: .25rem 0 0; } details summary { cursor: pointer; }
`);

/** Renders the whole page. */
export function renderDashboardPage(overview: DashboardOverview, options: PageOptions): string {
  const title = overview.system_id === null ? 'Dataplatform' : `Dataplatform · ${overview.system_id}`;
  const refresh = options.refreshSeconds > 0 ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : '';
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${title}</h1>
<p class="meta">${metadataLine(overview)} · as of ${timeOf(overview.generated_at)}
 · <a href="${link(overview, { format: 'json' })}">JSON</a>${overview.system_id === null ? '' : html` · <a href="?">all systems</a>`}
 · ${options.refreshSeconds > 0 ? html`reloads every ${options.refreshSeconds} s (<a href="${link(overview, { refresh: '0' })}">stop</a>)` : html`<a href="${link(overview, { refresh: '30' })}">reload every 30 s</a>`}</p>
${section('Systems', systemsTable(overview.systems))}
${section('Stuck work', stuckTables(overview))}
${section('Failed work', failedTable(overview.failed))}
${section('Batches', batchesTable(overview.batches))}
${section('Gold tables', goldTable(overview.gold))}
${section('Actions', actionsTable(overview.actions))}
</body>
</html>
`;
  return page.text;
}

function section(title: string, body: SafeHtml): SafeHtml {
  return html`<h2>${title}</h2>\n${body}`;
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
<td>${latest ? html`<code title="${latest.run.batch_id}">${shortId(latest.run.batch_id)}</code> ${timeOf(latest.run.batch_timestamp)}` : html`<span class="none">never ran</span>`}</td>
<td>${latest ? html`${badge(latest.run.status)}${latest.run.skip_reason ? html` <span class="meta">${latest.run.skip_reason}</span>` : ''}` : ''}</td>
${layers}
</tr>`;
  });
  return html`<table>
<tr><th>system</th><th>type</th><th>schedule</th><th>latest batch</th><th>landing</th><th>bronze</th><th>silver</th><th>gold</th></tr>
${rows}
</table>`;
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
${runs.map((run) => html`<tr><td><code>${run.system_id}</code></td><td>${run.layer ?? 'landing'}</td><td>${run.entity_id ?? ''}</td><td><code title="${run.batch_id}">${shortId(run.batch_id)}</code></td><td>${timeOf(run.started_at)}</td><td class="n">${run.running_seconds} s</td><td class="n">${run.timeout_seconds} s</td><td><code>${run.call_id ?? ''}</code></td></tr>`)}
</table>`);
  }
  if (messages.length > 0) {
    parts.push(html`<p>Chained calls not delivered (the scheduler retries them every minute):</p>
<table><tr><th>function</th><th>batch</th><th>created</th><th>attempts</th><th>next attempt</th><th>last error</th></tr>
${messages.map((message) => html`<tr><td><code>${message.target_function}</code></td><td><code title="${message.batch_id}">${shortId(message.batch_id)}</code></td><td>${timeOf(message.created_at)}</td><td class="n">${message.attempts}</td><td>${timeOf(message.next_attempt_at)}</td><td>${errorText(message.last_error)}</td></tr>`)}
</table>`);
  }
  if (layers.length > 0) {
    parts.push(html`<p>Layers still waiting for entities after an hour (an entity's call was lost before it started):</p>
<table><tr><th>system</th><th>layer</th><th>batch</th><th>started</th><th>entities finished</th></tr>
${layers.map((layer) => html`<tr><td><code>${layer.system_id}</code></td><td>${layer.layer}</td><td><code title="${layer.batch_id}">${shortId(layer.batch_id)}</code></td><td>${timeOf(layer.started_at)}</td><td class="n">${layer.entities_finished}/${layer.entities_expected}</td></tr>`)}
</table>`);
  }
  return html`${parts}`;
}

function failedTable(failed: readonly FailedWork[]): SafeHtml {
  if (failed.length === 0) return empty('No failed work (failures that a later run fixed are left out).');
  return html`<table>
<tr><th>finished</th><th>system</th><th>layer</th><th>entity</th><th>batch</th><th>attempt</th><th>call</th><th>error</th></tr>
${failed.map((work) => html`<tr><td>${timeOf(work.finished_at)}</td><td><code>${work.system_id}</code></td><td>${work.layer ?? 'landing'}</td><td>${work.entity_id ?? ''}</td><td><code title="${work.batch_id}">${shortId(work.batch_id)}</code></td><td class="n">${work.attempt}</td><td><code>${work.call_id ?? ''}</code></td><td>${errorText(work.error)}</td></tr>`)}
</table>`;
}

function batchesTable(batches: readonly BatchLayerCounts[]): SafeHtml {
  if (batches.length === 0) return empty('No batches yet.');
  const rows = batches.map((row, index) => {
    const first = index === 0 || batches[index - 1]?.batch_id !== row.batch_id;
    const batchCells = first
      ? html`<td><code title="${row.batch_id}">${shortId(row.batch_id)}</code></td><td>${timeOf(row.batch_timestamp)}</td><td><code>${row.system_id}</code></td><td>${badge(row.landing_status)}</td>`
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

function empty(text: string): SafeHtml {
  return html`<p class="empty">${text}</p>`;
}

function badge(status: string): SafeHtml {
  return html`<span class="st ${status}">${status}</span>`;
}

/** `2025-01-01 06:00:00 UTC`, with the exact instant in the `datetime` attribute. */
function timeOf(value: Date | string | null): SafeHtml {
  if (value === null) return html``;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return html`${String(value)}`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

/** The first 8 characters of an id (UUIDv7: the time part), with the whole id in a `title` where it is shown. */
function shortId(id: string): string {
  return id.slice(0, 8);
}

/** An error's first line, and the whole text on demand when it is longer. */
function errorText(error: string | null): SafeHtml {
  if (error === null || error === '') return html``;
  const firstLine = error.split('\n', 1)[0] ?? '';
  if (firstLine.length <= 160 && firstLine === error) return html`${error}`;
  return html`<details><summary>${firstLine.slice(0, 160)}${firstLine.length > 160 ? '…' : ''}</summary><pre>${error}</pre></details>`;
}
