/**
 * The lineage page of one batch (`?batch_id=…`): landing → bronze → silver → gold with each entity's outcome and
 * counts, what still fails with the command that runs it again, the data-quality results, and every call with the
 * lines its function logged. Server-rendered like the overview, with no chart and so no script.
 */
import type { Layer } from '../../core/run-status.ts';
import type { CheckResult } from '../../runs/check-results.ts';
import type { EntityLayerRun } from '../../runs/run-types.ts';
import { rerunCommand } from '../../core/rerun-command.ts';
import type { LogLine } from '../../adapters/gateway/function-logs.ts';
import { GATEWAY_PASSWORD_SECRET, type CallLog } from './call-logs.ts';
import { html, type SafeHtml } from './html.ts';
import type { LineageCall, LineageView } from './lineage-view.ts';
import { badge, empty, errorText, pageDocument, rerunLine, section, shortId, timeOf } from './page-parts.ts';

const LAYERS: readonly Layer[] = ['landing', 'bronze', 'silver', 'gold'];

/** Renders the lineage page. */
export function renderLineagePage(view: LineageView): string {
  const title = `Batch ${shortId(view.batch_id)}${view.system ? ` · ${view.system.system_id}` : ''}`;
  const landing = view.lineage.landings.find((run) => run.duplicate_of_run_id === null);
  const known = landing !== undefined || view.lineage.entity_runs.length > 0;
  const body = html`<h1>${title}</h1>
<p class="meta">batch <code>${view.batch_id}</code>${landing ? html` of ${timeOf(landing.batch_timestamp)} · landing ${badge(landing.status)}` : ''}
 · as of ${timeOf(view.generated_at)} · <a href="?">overview</a> · <a href="?batch_id=${view.batch_id}&amp;format=json">JSON</a></p>
${known
    ? html`${section('From landing to gold', flow(view))}
${section('Failed work', failures(view))}
${section('Data quality', checksTable(view.lineage.checks))}
${section('Calls and their logs', calls(view))}`
    : empty('The audit schema knows no run of this batch.')}`;
  return pageDocument({ title, refreshSeconds: 0, script: null }, body, []);
}

/** The latest run of each entity in each layer that was not a skipped duplicate of another call. */
function latestRuns(view: LineageView): EntityLayerRun[] {
  const latest = new Map<string, EntityLayerRun>();
  for (const run of view.lineage.entity_runs) {
    if (run.duplicate_of_run_id === null) latest.set(`${run.layer}/${run.entity_id}`, run);
  }
  return [...latest.values()];
}

function flow(view: LineageView): SafeHtml {
  const runs = latestRuns(view);
  const cards = LAYERS.map((layer) => {
    const layerRun = view.lineage.layers.find((run) => run.layer === layer);
    const entities = runs.filter((run) => run.layer === layer);
    const finished = layerRun ? layerRun.entities_succeeded + layerRun.entities_failed + layerRun.entities_skipped : 0;
    return html`<div class="layer"><h3>${layer} ${layerRun ? html`${badge(layerRun.status)} <span class="meta">${finished}/${layerRun.entities_expected}</span>` : ''}</h3>
${entities.length === 0 ? html`<p class="empty">not reached</p>` : html`<ul>${entities.map((run) => html`<li><span>${run.entity_id}<br>${badge(run.status)}</span><span><span class="count">${run.records_in}</span> in<br><span class="meta">${countDetail(run)}</span></span></li>`)}</ul>`}</div>`;
  });
  return html`<div class="flow">${cards}</div>`;
}

/** The counts besides `in` that are not zero: `32 inserted · 3 deleted`. */
function countDetail(run: EntityLayerRun): string {
  const counts: Array<[string, number]> = [
    ['inserted', run.records_inserted], ['updated', run.records_updated], ['deleted', run.records_deleted],
    ['rejected', run.records_rejected], ['unchanged', run.records_unchanged],
  ];
  return counts.filter(([, count]) => count > 0).map(([name, count]) => `${count} ${name}`).join(' · ');
}

/** The landing and entity work whose latest run failed, each with the command that runs it again. */
function failures(view: LineageView): SafeHtml {
  const landing = view.lineage.landings.filter((run) => run.duplicate_of_run_id === null).at(-1);
  const failed = [
    ...(landing?.status === 'failed' ? [{ layer: null, entity_id: null, error: landing.error, attempt: landing.attempt }] : []),
    ...latestRuns(view).filter((run) => run.status === 'failed'),
  ];
  if (failed.length === 0) return empty('Nothing of this batch is failed now.');
  return html`<table>
<tr><th>layer</th><th>entity</th><th>attempt</th><th>error, and the command that runs it again</th></tr>
${failed.map((work) => html`<tr><td>${work.layer ?? 'landing'}</td><td>${work.entity_id ?? ''}</td><td class="n">${work.attempt}</td><td>${errorText(work.error)}${rerunLine(rerunCommand({ batch_id: view.batch_id, layer: work.layer, entity_id: work.entity_id }))}</td></tr>`)}
</table>`;
}

/** The batch's check results, failed ones first. */
function checksTable(checks: readonly CheckResult[]): SafeHtml {
  if (checks.length === 0) return empty('No data-quality results for this batch.');
  const ordered = [...checks.filter((check) => !check.passed), ...checks.filter((check) => check.passed)];
  return html`<table>
<tr><th>entity</th><th>check</th><th>result</th><th>severity</th><th>observed</th><th>expected</th></tr>
${ordered.map((check) => html`<tr><td>${check.entity_id}</td><td>${check.check_name}</td><td>${check.passed ? badge('succeeded', 'passed') : badge('failed')}</td><td>${severityOf(check.details)}</td><td><code>${jsonText(check.observed)}</code></td><td><code>${jsonText(check.expected)}</code></td></tr>`)}
</table>`;
}

function severityOf(details: unknown): string {
  const severity = typeof details === 'object' && details !== null ? (details as { severity?: unknown }).severity : undefined;
  return typeof severity === 'string' ? severity : '';
}

function calls(view: LineageView): SafeHtml {
  if (view.calls.length === 0) return empty('No call of this batch has a call id.');
  const logs = view.logs;
  const intro = logs.state === 'disabled'
    ? html`<p class="note">Function logs are not shown: the dashboard has no gateway password. Give it the OpenFaaS secret <code>${GATEWAY_PASSWORD_SECRET}</code> (the gateway's admin password; docs/security.md) and deploy again: <code>faas-cli secret create ${GATEWAY_PASSWORD_SECRET} --from-file …/basic-auth-password</code>.</p>`
    : html`${logs.problems.map((problem) => html`<p class="note">${problem}</p>`)}`;
  return html`${intro}${view.calls.map((call) => callBlock(call, logs.state === 'read' ? (logs.calls[call.call_id] ?? { lines: [], omitted: 0 }) : null))}`;
}

function callBlock(call: LineageCall, log: CallLog | null): SafeHtml {
  const took = call.finished_at === null ? 'running' : `${((call.finished_at.getTime() - call.started_at.getTime()) / 1000).toFixed(1)} s`;
  const summary = html`${timeOf(call.started_at)} · <code>${call.function}</code> · ${call.layer}${call.entity_id ? html` · ${call.entity_id}` : ''} · attempt ${call.attempt} · ${badge(call.status)} ${took}${call.skip_reason ? html` <span class="meta">${call.skip_reason}</span>` : ''} · <span class="meta">call <code>${call.call_id}</code></span>`;
  if (log === null) return html`<details><summary>${summary}</summary>${call.error ? html`<pre>${call.error}</pre>` : ''}</details>`;
  const lines = log.lines.length === 0
    ? html`<div class="meta">no log line of this call is kept (the provider keeps the newest lines of each function)</div>`
    : html`${log.lines.map(logLineHtml)}${log.omitted > 0 ? html`<div class="meta">… ${log.omitted} more lines: faas-cli logs ${call.function}</div>` : ''}`;
  return html`<details open><summary>${summary}</summary><div class="log">${lines}</div></details>`;
}

function logLineHtml(line: LogLine): SafeHtml {
  const fields = Object.entries(line.fields).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' ');
  return html`<div class="${line.level}">${line.time.slice(11, 23)} ${line.level.toUpperCase().padEnd(5)} ${line.msg}${fields === '' ? '' : html` <span class="meta">${fields}</span>`}</div>`;
}

function jsonText(value: unknown): string {
  return value === null || value === undefined ? '' : JSON.stringify(value);
}
