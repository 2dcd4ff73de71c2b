/**
 * `dataplatform status`: the platform in one screen, read from the audit schema with the dashboard's queries: each
 * system with its latest landing, how its layers went and its freshness against its schedule; stuck work; failed
 * work with the command that reruns it. Exit status 1 when anything needs a person (failed, stuck, late), so a
 * cron job or a monitor can run it; `--json` gives the same facts to scripts.
 */
import type { Freshness } from '../core/freshness.ts';
import { readDashboardOverview, type DashboardOverview, type OverviewMetadata, type SystemStatus } from '../layers/dashboard/dashboard-overview.ts';
import { rerunCommand } from '../core/rerun-command.ts';
import { firstLine, groupFailures } from './batch-report.ts';
import { EXIT, readCommandLine, type CliIo } from './cli-io.ts';
import { openPlatform } from './platform-access.ts';

/** Failed pieces of work read at most (grouped on screen). */
const FAILED_LIMIT = 200;

export async function runStatusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = readCommandLine(argv, { json: { type: 'boolean', default: false }, system: { type: 'string' } });
  const platform = openPlatform(io.env);
  try {
    const db = await platform.db();
    // The audit part is worth showing even when metadata cannot be read (MongoDB down): the reason is shown instead.
    const metadata: OverviewMetadata = await platform.metadata().catch((error: unknown) => ({ error: (error as Error).message }));
    const overview = await readDashboardOverview(db, metadata, { systemId: parsed.values.system, batches: 1, failedLimit: FAILED_LIMIT, actionLimit: 1 });
    const problems = problemsOf(overview);
    if (parsed.values.json) {
      io.out(JSON.stringify(statusJson(overview, problems), null, 2));
    } else {
      for (const line of statusLines(overview, problems)) io.out(line);
    }
    return problems.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await platform.close();
  }
}

/** What needs a person, one short sentence each. */
export function problemsOf(overview: DashboardOverview): string[] {
  const late = overview.systems.filter((system) => system.freshness.state === 'late');
  const stuck = overview.stuck.runs.length + overview.stuck.messages.length + overview.stuck.layers.length;
  return [
    ...late.map((system) => `${system.system_id} is late by ${duration(system.freshness.late_seconds)}`),
    ...(overview.failed.length > 0 ? [`${overview.failed.length} piece(s) of work failed${overview.failed.length >= FAILED_LIMIT ? ' (or more)' : ''}`] : []),
    ...(stuck > 0 ? [`${stuck} piece(s) of work stuck`] : []),
    ...('error' in overview.metadata ? [`metadata cannot be read: ${overview.metadata.error}`] : []),
  ];
}

/** The screen: a table of systems, then stuck and failed work, then the verdict. */
export function statusLines(overview: DashboardOverview, problems: readonly string[]): string[] {
  const now = overview.generated_at;
  const deploy = 'error' in overview.metadata ? 'metadata unreadable' : `metadata generation ${overview.metadata.generation}`;
  const rows = overview.systems.map((system) => [
    system.system_id,
    system.type ?? '(gone)',
    system.schedule ?? '—',
    latestLanding(system, now),
    freshnessText(system.freshness, now),
  ]);
  const lines = [`Dataplatform · ${clock(now)} UTC · ${deploy}`, '', ...table(['system', 'type', 'schedule', 'latest landing', 'freshness'], rows)];
  for (const system of overview.systems) {
    const layers = system.latest?.layers ?? [];
    if (layers.length === 0) continue;
    const parts = layers.map((layer) => {
      const finished = layer.entities_succeeded + layer.entities_failed + layer.entities_skipped;
      return `${layer.layer} ${layer.status} ${finished}/${layer.entities_expected}`;
    });
    lines.push(`  ${system.system_id}: ${parts.join(' · ')}`);
  }
  lines.push('', ...stuckLines(overview));
  lines.push(...failedLines(overview));
  lines.push('', problems.length === 0 ? 'all well' : `needs a look: ${problems.join('; ')}`);
  return lines;
}

/** Failed work grouped by what failed and why, newest first, with the command that reruns the newest. */
function failedLines(overview: DashboardOverview): string[] {
  if (overview.failed.length === 0) return ['failed work: none'];
  const now = overview.generated_at;
  return [
    'failed work (newest first):',
    ...groupFailures(overview.failed).flatMap(({ latest, batches }) => [
      `  ${latest.system_id} ${latest.layer ?? 'landing'}${latest.entity_id === null ? '' : ` ${latest.entity_id}`}` +
        `${batches > 1 ? ` in ${batches} batches` : ''}, ${ago(latest.finished_at, now)} (attempt ${latest.attempt}): ${firstLine(latest.error)}`,
      `    rerun${batches > 1 ? ' the newest' : ''}: ${rerunCommand(latest)}`,
    ]),
  ];
}

function stuckLines(overview: DashboardOverview): string[] {
  const { runs, messages, layers } = overview.stuck;
  if (runs.length + messages.length + layers.length === 0) return ['stuck work: none'];
  return [
    'stuck work:',
    ...runs.map((run) => `  ${run.system_id} ${run.layer ?? 'landing'}${run.entity_id === null ? '' : ` ${run.entity_id}`} running for ${duration(run.running_seconds)} (timeout ${run.timeout_seconds} s); the scheduler takes it over, or: ${rerunCommand(run)}`),
    ...messages.map((message) => `  call to ${message.target_function} undelivered since ${clock(message.created_at)} (${message.attempts} attempts): ${message.last_error ?? ''}`),
    ...layers.map((layer) => `  ${layer.system_id} ${layer.layer} of batch ${layer.batch_id} waits for entities (${layer.entities_finished}/${layer.entities_expected} finished)`),
  ];
}

function latestLanding(system: SystemStatus, now: Date): string {
  const run = system.latest?.run;
  if (!run) return 'never ran';
  return `${run.status} ${ago(run.finished_at ?? run.started_at, now)} (batch ${run.batch_id.slice(0, 13)})`;
}

function freshnessText(fresh: Freshness, now: Date): string {
  switch (fresh.state) {
    case 'fresh':
      return fresh.due_by === null ? 'fresh' : `fresh (next landing due ${ago(fresh.due_by, now)})`;
    case 'late':
      return `LATE by ${duration(fresh.late_seconds)}`;
    case 'never':
      return 'never landed';
    case 'unscheduled':
      return 'no schedule';
    case 'disabled':
      return 'disabled';
  }
}

/** The facts of the screen for scripts: systems, stuck and failed work (each with its rerun command), problems. */
function statusJson(overview: DashboardOverview, problems: readonly string[]) {
  return {
    generated_at: overview.generated_at,
    healthy: problems.length === 0,
    problems,
    metadata: overview.metadata,
    systems: overview.systems.map((system) => ({
      system_id: system.system_id,
      type: system.type,
      enabled: system.enabled,
      schedule: system.schedule,
      freshness: system.freshness,
      latest_landing: system.latest?.run ?? null,
      layers: system.latest?.layers ?? [],
    })),
    stuck: overview.stuck,
    failed: overview.failed.map((work) => ({ ...work, rerun: rerunCommand(work) })),
  };
}

/** Columns padded to their widest cell. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  return [header, ...rows].map((cells) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
}

/** `2026-12-01 23:10:04` in UTC. */
function clock(at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

/** `3 min ago`, or `in 12 min` for a moment ahead. */
function ago(at: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  return seconds >= 0 ? `${duration(seconds)} ago` : `in ${duration(-seconds)}`;
}

/** A span a person reads at a glance: `45 s`, `12 min`, `3.5 h`, `2.0 d`. */
export function duration(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}
