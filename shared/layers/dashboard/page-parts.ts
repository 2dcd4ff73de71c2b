/**
 * What the dashboard's pages share: the document shell with its style and script, the Content-Security-Policy that
 * allows exactly those, charts as figures with their JSON island, and the small cells (status badges, times, ids,
 * errors). Every value goes through `html`, so audit text cannot inject markup.
 */
import { createHash } from 'node:crypto';
import type { ChartSpec } from './chart-series.ts';
import { html, jsonScript, raw, type SafeHtml } from './html.ts';

const STYLE_TEXT = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; background: #fafafa; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
  h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
  table { border-collapse: collapse; background: #fff; width: 100%; }
  th, td { border: 1px solid #d8dee4; padding: .3rem .5rem; text-align: left; vertical-align: top; }
  th { background: #f0f3f6; font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .meta { color: #57606a; } .empty { color: #57606a; font-style: italic; }
  .st { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .85em; white-space: nowrap; }
  .succeeded, .fresh { background: #dafbe1; color: #116329; } .failed, .late { background: #ffebe9; color: #a40e26; }
  .running, .unscheduled { background: #ddf4ff; color: #0550ae; } .skipped, .never, .disabled { background: #eaeef2; color: #424a53; }
  .none { color: #8c959f; } code, pre { font-family: ui-monospace, monospace; font-size: .9em; }
  pre { white-space: pre-wrap; margin: .25rem 0 0; } details summary { cursor: pointer; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 1rem; }
  figure.chart { margin: 0; background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: .6rem .8rem .4rem; }
  figure.chart figcaption { font-weight: 600; margin-bottom: .4rem; }
  .plot { position: relative; height: 250px; } .plot canvas { display: block; }
  .rerun { display: block; margin-top: .3rem; padding: .2rem .4rem; background: #f6f8fa; border: 1px solid #d8dee4; border-radius: 4px; overflow-wrap: anywhere; user-select: all; }
  .flow { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 1.5rem; }
  .layer { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: .5rem .7rem; position: relative; }
  .layer + .layer::before { content: "→"; position: absolute; left: -1.25rem; top: 40%; color: #8c959f; font-size: 1.2rem; }
  .layer h3 { margin: 0 0 .4rem; text-transform: capitalize; }
  .layer ul { list-style: none; margin: 0; padding: 0; } .layer li { display: flex; justify-content: space-between; gap: .5rem; padding: .15rem 0; border-top: 1px solid #eaeef2; }
  .count { font-variant-numeric: tabular-nums; font-weight: 600; }
  .log { margin: .3rem 0 .2rem; padding: .4rem .5rem; background: #f6f8fa; border-radius: 4px; font: 12px/1.45 ui-monospace, monospace; overflow-x: auto; }
  .log div { white-space: pre-wrap; } .log .warn { color: #9a6700; } .log .error, .log .fatal { color: #a40e26; }
  .note { padding: .5rem .7rem; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; }
`;

/** The pages' one `<style>` element, allowed by its hash in the Content-Security-Policy. */
const STYLE = raw(STYLE_TEXT);

/**
 * What the pages may load: the script from the function itself (`?asset=…`), the inline style by its hash, the empty
 * icon (`data:`, so the browser asks the gateway for no /favicon.ico), nothing else (no inline script, no other
 * origin, no frames). The JSON island is data, not a script, so it needs no grant.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'sha256-${createHash('sha256').update(STYLE_TEXT).digest('base64')}'`,
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The JSON island's element id, which the page's script reads. */
const CHARTS_ISLAND_ID = 'dashboard-charts';

/** How a page is framed: its title, whether it reloads itself, and the page script's name (null: no charts drawn). */
export interface PageFrame {
  readonly title: string;
  readonly refreshSeconds: number;
  readonly script: string | null;
}

/** The whole document around a page's body, with the charts it draws as a JSON island for the script. */
export function pageDocument(frame: PageFrame, body: SafeHtml, charts: readonly ChartSpec[]): string {
  const refresh = frame.refreshSeconds > 0 ? html`<meta http-equiv="refresh" content="${frame.refreshSeconds}">` : '';
  const script = frame.script !== null && charts.length > 0
    ? html`${jsonScript(CHARTS_ISLAND_ID, charts)}\n<script src="?asset=${frame.script}" defer></script>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
${refresh}
<title>${frame.title}</title>
<style>${STYLE}</style>
${script}
</head>
<body>
${body}
</body>
</html>
`.text;
}

/** A chart's figure: the caption and its canvas (drawn by the script), or the note saying why there is no chart. */
export function chartFigure(title: string, chart: ChartSpec | null, note: string): SafeHtml {
  const content = chart === null
    ? html`<p class="empty">${note}</p>`
    : html`<div class="plot"><canvas id="chart-${chart.id}" role="img" aria-label="${title}"></canvas></div>`;
  return html`<figure class="chart" data-chart="${chart?.id ?? ''}"><figcaption>${title}</figcaption>${content}</figure>`;
}

export function section(title: string, body: SafeHtml): SafeHtml {
  return html`<h2>${title}</h2>\n${body}`;
}

export function empty(text: string): SafeHtml {
  return html`<p class="empty">${text}</p>`;
}

/** A status as a coloured badge; `label` when the words differ from the status (a check `passed`). */
export function badge(status: string, label = status): SafeHtml {
  return html`<span class="st ${status}">${label}</span>`;
}

/** `2025-01-01 06:00:00 UTC`, with the exact instant in the `datetime` attribute. */
export function timeOf(value: Date | string | null): SafeHtml {
  if (value === null) return html``;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return html`${String(value)}`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

/**
 * The first 13 characters of an id, with the whole id in a `title` where it is shown: a UUIDv7's first 8 change only
 * once a minute, its first 13 (the millisecond) tell batches apart, and the CLI takes them as a batch.
 */
export function shortId(id: string): string {
  return id.slice(0, 13);
}

/** A batch id, short, linking to its lineage view. */
export function batchLink(batchId: string): SafeHtml {
  return html`<a href="?batch_id=${batchId}"><code title="${batchId}">${shortId(batchId)}</code></a>`;
}

/** An error's first line, and the whole text on demand when it is longer. */
export function errorText(error: string | null): SafeHtml {
  if (error === null || error === '') return html``;
  const firstLine = error.split('\n', 1)[0] ?? '';
  if (firstLine.length <= 160 && firstLine === error) return html`${error}`;
  return html`<details><summary>${firstLine.slice(0, 160)}${firstLine.length > 160 ? '…' : ''}</summary><pre>${error}</pre></details>`;
}

/** The command that runs a failed piece of work again, selectable as a whole. */
export function rerunLine(command: string): SafeHtml {
  return html`<code class="rerun" title="run it again from the project folder">${command}</code>`;
}
