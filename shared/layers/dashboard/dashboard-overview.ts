/**
 * What the dashboard shows, read in one go from the audit schema (shared/runs/audit-queries.ts, run-history.ts and
 * stuck-work.ts), the action runs and the gold tables, with the systems and entities of the active metadata.
 */
import { qualified } from '../../adapters/postgres/sql.ts';
import { query, type Db } from '../../adapters/postgres/transaction.ts';
import { freshness, type Freshness } from '../../core/freshness.ts';
import { GOLD_SCHEMA } from '../../core/table-layout.ts';
import { entityTable, type GoldEntity } from '../../metadata/entity-schema.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import { countsPerBatch, failedWork, latestSystemRuns, type BatchLayerCounts, type FailedWork, type SystemOverview } from '../../runs/audit-queries.ts';
import { entityRowsPerBatch, latestReachedLandings, runsPerHour, type EntityBatchRows, type LatestReachedLanding, type RunsInHour } from '../../runs/run-history.ts';
import { databaseNow } from '../../runs/session-progress.ts';
import { stuckWork, type StuckWork } from '../../runs/stuck-work.ts';
import { recentActionRuns, type ActionRun } from '../../runs/action-runs.ts';
import { RUNS_CHART_DAYS } from './chart-series.ts';
import { existingGoldTables, readGoldFigures, type GoldFigure } from './gold-figures.ts';

/** A system as the dashboard lists it: what metadata says (null for a system gone from metadata) and its latest landing. */
export interface SystemStatus {
  readonly system_id: string;
  readonly name: string | null;
  readonly type: string | null;
  readonly enabled: boolean | null;
  readonly schedule: string | null;
  readonly latest: SystemOverview | null;
  /** Its latest landing that reached the source, against its schedule (core/freshness.ts). */
  readonly freshness: Freshness;
}

/** A gold entity's table and its row count (null while the table does not exist yet). */
export interface GoldTableCount {
  readonly entity_id: string;
  readonly system_id: string;
  readonly table: string;
  readonly rows: number | null;
}

/** Everything on the page; the JSON answer (`?format=json`) is this object. */
export interface DashboardOverview {
  readonly generated_at: Date;
  /** The active deploy, or why it could not be read (the audit part still shows). */
  readonly metadata: { readonly generation: string; readonly deployed_at: Date } | { readonly error: string };
  readonly system_id: string | null;
  readonly systems: SystemStatus[];
  readonly stuck: StuckWork;
  readonly failed: FailedWork[];
  readonly batches: BatchLayerCounts[];
  readonly gold: GoldTableCount[];
  readonly actions: ActionRun[];
  /** Runs per hour and status over the last 14 days (the runs chart). */
  readonly runs_per_hour: RunsInHour[];
  /** Bronze rows per entity of the latest batches (the rows chart). */
  readonly rows_per_batch: EntityBatchRows[];
  /** The gold entities' figures (daily glucose, monthly spending, …). */
  readonly gold_figures: GoldFigure[];
}

/** The active metadata as the overview uses it, or the reason it could not be loaded. */
export type OverviewMetadata =
  | (Pick<MetadataSet, 'systems' | 'entities'> & { readonly generation: string; readonly deployed_at: Date })
  | { readonly error: string };

/** How much to show. */
export interface OverviewOptions {
  /** Only this system (its runs, batches, failures and gold tables). */
  readonly systemId?: string | undefined;
  /** Batches in the counts table. Default 20. */
  readonly batches?: number;
  /** Failed runs listed. Default 50. */
  readonly failedLimit?: number;
  /** Action runs listed. Default 20. */
  readonly actionLimit?: number;
}

/**
 * Reads the dashboard's overview: latest landing, layers and freshness per system, stuck work, failed work with
 * errors, counts per batch, gold row counts and figures, recent action runs, and what the charts draw (runs per
 * hour, bronze rows per batch). Read-only, a dozen small statements, most in parallel.
 */
export async function readDashboardOverview(db: Db, metadata: OverviewMetadata, options: OverviewOptions = {}): Promise<DashboardOverview> {
  const systemId = options.systemId;
  const keep = <Row extends { readonly system_id: string | null }>(rows: Row[]): Row[] =>
    systemId === undefined ? rows : rows.filter((row) => row.system_id === systemId);
  const now = await databaseNow(db);
  const known = 'error' in metadata ? undefined : metadata;
  const goldEntities = keep((known?.entities ?? []).filter((entity): entity is GoldEntity => entity.kind === 'gold'));
  const [latest, reached, stuck, failed, batches, actions, runs, rows, goldTables] = await Promise.all([
    latestSystemRuns(db),
    latestReachedLandings(db),
    stuckWork(db),
    failedWork(db, { limit: options.failedLimit ?? 50 }),
    countsPerBatch(db, { ...(systemId === undefined ? {} : { systemId }), limit: options.batches ?? 20 }),
    recentActionRuns(db, { limit: options.actionLimit ?? 20 }),
    runsPerHour(db, { since: new Date(now.getTime() - RUNS_CHART_DAYS * 86_400_000), systemId }),
    entityRowsPerBatch(db, { layer: 'bronze', systemId, limit: options.batches ?? 20 }),
    existingGoldTables(db),
  ]);
  return {
    generated_at: now,
    metadata: known ? { generation: known.generation, deployed_at: known.deployed_at } : { error: (metadata as { error: string }).error },
    system_id: systemId ?? null,
    systems: keep(systemStatuses(known?.systems ?? [], latest, reached, now)),
    stuck: { runs: keep(stuck.runs), messages: stuck.messages, layers: keep(stuck.layers) },
    failed: keep(failed),
    batches,
    gold: await goldTableCounts(db, goldEntities, goldTables),
    actions: keep(actions),
    runs_per_hour: runs,
    rows_per_batch: rows,
    gold_figures: await readGoldFigures(db, goldEntities, goldTables),
  };
}

/** Systems of metadata in its order, then systems that only the audit tables still know. */
function systemStatuses(
  systems: MetadataSet['systems'],
  latest: readonly SystemOverview[],
  reached: readonly LatestReachedLanding[],
  now: Date,
): SystemStatus[] {
  const byId = new Map(latest.map((overview) => [overview.run.system_id, overview]));
  const lastSuccessAt = (systemId: string): Date | null => reached.find((landing) => landing.system_id === systemId)?.finished_at ?? null;
  const listed: SystemStatus[] = systems.map((system) => ({
    system_id: system.id,
    name: system.name,
    type: system.type,
    enabled: system.enabled,
    schedule: system.schedule ?? null,
    latest: byId.get(system.id) ?? null,
    freshness: freshness({ enabled: system.enabled, schedule: system.schedule, timezone: system.timezone, lastSuccessAt: lastSuccessAt(system.id), now }),
  }));
  const gone = latest
    .filter((overview) => !systems.some((system) => system.id === overview.run.system_id))
    .map((overview) => ({
      system_id: overview.run.system_id,
      name: null,
      type: null,
      enabled: null,
      schedule: null,
      latest: overview,
      freshness: freshness({ enabled: true, schedule: null, timezone: 'UTC', lastSuccessAt: lastSuccessAt(overview.run.system_id), now }),
    }));
  return [...listed, ...gone];
}

/** Exact row counts of the gold tables (small aggregates); a table not created yet counts as null. */
async function goldTableCounts(db: Db, gold: readonly GoldEntity[], tables: ReadonlySet<string>): Promise<GoldTableCount[]> {
  return Promise.all(
    gold.map(async (entity) => {
      const table = entityTable(entity);
      let rows: number | null = null;
      if (tables.has(table)) {
        const counted = await query<{ rows: number }>(db, `count gold table ${table}`, `select count(*)::int as rows from ${qualified(GOLD_SCHEMA, table)}`);
        rows = counted.rows[0]?.rows ?? 0;
      }
      return { entity_id: entity.id, system_id: entity.system_id, table, rows };
    }),
  );
}
