/**
 * The few lines `npm start` prints after a test batch: how each layer went with its counts (the audit queries of
 * shared/runs/audit-queries.ts), what failed and why, the gold tables, and where to look next.
 */
import { query, type Db } from '../../shared/adapters/postgres/transaction.ts';
import { readDashboardOverview, type OverviewMetadata } from '../../shared/layers/dashboard/dashboard-overview.ts';
import { failedWorkLines, firstLine, layerTable } from '../../shared/cli/batch-report.ts';
import { batchNumber } from '../../shared/layers/landing/jsonfile/batch-folder.ts';
import { countsPerBatch, failedWork } from '../../shared/runs/audit-queries.ts';
import type { TestBatchResult } from './run-test-batch.ts';

/** What the summary needs besides the run's result. */
export interface SummaryInput {
  readonly db: Db;
  readonly metadata: OverviewMetadata;
  readonly systemId: string;
  readonly result: TestBatchResult;
  /** A batch folder was waiting, so a landing that found nothing to land is a problem. */
  readonly expectsData: boolean;
}

/** The summary's facts, and whether the batch went through. */
export interface BatchSummary {
  readonly ok: boolean;
  /** The source batch folder the landing read (`batch-0002`), from the cursor it recorded. */
  readonly label: string | null;
  readonly lines: string[];
}

/** Reads the batch's audit rows and renders them; `ok` is false when anything of the batch failed or hung. */
export async function summarizeBatch(input: SummaryInput): Promise<BatchSummary> {
  const { db, result, systemId } = input;
  const counts = await countsPerBatch(db, { systemId, batchId: result.batch_id });
  const failed = await failedWork(db, { batchId: result.batch_id });
  const overview = await readDashboardOverview(db, input.metadata, { systemId, batches: 1 });
  const label = await batchLabel(db, systemId, result.batch_id);
  const landing = await landingRun(db, systemId, result.batch_id);

  const problems: string[] = [];
  if (!result.settled) problems.push(`gave up after ${seconds(result.elapsed_ms)} s: the chain had not settled (see "stuck work" on the dashboard)`);
  if (!landing) {
    const answer = result.connector_answer;
    problems.push(answer ? `the connector answered ${answer.status}: ${JSON.stringify(answer.body)}` : 'no landing run was recorded');
  } else if (landing.status === 'failed') {
    problems.push(`the landing failed: ${firstLine(landing.error)}`);
  } else if (landing.status === 'skipped' && input.expectsData) {
    problems.push(`the landing found nothing to land: ${landing.skip_reason ?? '(no reason)'}`);
  }
  for (const row of counts) if (row.layer_status === 'failed') problems.push(`the ${row.layer ?? '?'} layer failed`);
  if (result.progress.open_layers > 0) problems.push(`${result.progress.open_layers} layer run(s) still wait for entities`);

  const by = result.started_by === 'invoke' ? 'invoked by this command' : 'started by its schedule';
  const verdict = problems.length > 0 ? 'FAILED' : landing?.status === 'skipped' ? 'nothing to land' : 'went through';
  const lines = [
    `${systemId} ${label ?? 'batch'} (batch_id ${result.batch_id}, ${by}): ${verdict} in ${seconds(result.elapsed_ms)} s`,
    ...layerTable(counts),
  ];
  const golds = overview.gold.filter((table) => table.system_id === systemId);
  if (golds.length > 0) {
    lines.push(`  gold tables: ${golds.map((table) => `gold.${table.table} ${table.rows === null ? '(not created)' : `${table.rows} rows`}`).join(', ')}`);
  }
  lines.push(failed.length === 0 ? '  failed work: none' : '  failed work:');
  lines.push(...failedWorkLines(failed, '    '));
  const others = result.scheduled.filter((start) => start.batch_id !== result.batch_id);
  for (const other of others) {
    const status = result.progress.landings.find((each) => each.batch_id === other.batch_id)?.status ?? 'queued';
    lines.push(`  also started by its schedule: ${other.system_id} batch ${other.batch_id} (landing ${status})`);
  }
  if (result.failed_ticks > 0) lines.push(`  ${result.failed_ticks} scheduler tick(s) answered with an error (faas-cli logs scheduler)`);
  for (const problem of problems) lines.push(`  ! ${problem}`);
  return { ok: problems.length === 0, label, lines };
}

/** The latest landing run of the batch (skipped duplicates left out). */
async function landingRun(
  db: Db,
  systemId: string,
  batchId: string,
): Promise<{ status: string; skip_reason: string | null; error: string | null } | undefined> {
  const result = await query<{ status: string; skip_reason: string | null; error: string | null }>(
    db,
    'read landing run',
    `select status, skip_reason, error
       from audit.system_run
      where system_id = $1
        and batch_id = $2
        and duplicate_of_run_id is null
      order by started_at desc
      limit 1`,
    [systemId, batchId],
  );
  return result.rows[0];
}

/**
 * The batch folder the batch's landing recorded as its position (jsonfile); null for other sources, whose positions
 * (Nightscout's boundaries, bunq's newest ids) are no name for a batch.
 */
async function batchLabel(db: Db, systemId: string, batchId: string): Promise<string | null> {
  const result = await query<{ position: string | null }>(
    db,
    'read batch cursor',
    `select position
       from audit.cursor
      where system_id = $1
        and batch_id = $2
      order by recorded_at desc
      limit 1`,
    [systemId, batchId],
  );
  const position = result.rows[0]?.position ?? null;
  return batchNumber(position) === undefined ? null : position;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
