/**
 * One batch from landing to gold for the dashboard's lineage view (`?batch_id=…`): its audit rows
 * (shared/runs/batch-lineage.ts), the calls that did the work, and each call's function logs.
 */
import type { GatewayAdmin } from '../../adapters/gateway/function-logs.ts';
import type { Db } from '../../adapters/postgres/transaction.ts';
import type { Layer, RunStatus } from '../../core/run-status.ts';
import { connectorFunction } from '../../runtime/payloads.ts';
import { readBatchLineage, type BatchLineage } from '../../runs/batch-lineage.ts';
import { readCallLogs, type CallLogs } from './call-logs.ts';

/** One call of the batch's work: a landing attempt or an entity run, with the function that ran it. */
export interface LineageCall {
  readonly call_id: string;
  readonly function: string;
  readonly layer: Layer;
  readonly entity_id: string | null;
  readonly status: RunStatus;
  readonly attempt: number;
  readonly skip_reason: string | null;
  readonly error: string | null;
  readonly started_at: Date;
  readonly finished_at: Date | null;
}

/** What the lineage view shows; `?batch_id=…&format=json` answers it as data. */
export interface LineageView {
  readonly generated_at: Date;
  readonly batch_id: string;
  /** The batch's system as metadata knows it (null: not in metadata, or no landing of this batch). */
  readonly system: { readonly system_id: string; readonly name: string | null; readonly type: string | null } | null;
  readonly lineage: BatchLineage;
  readonly calls: LineageCall[];
  readonly logs: CallLogs;
}

/** How the view reaches the function logs: the gateway's admin (undefined: not given) and the functions' namespace. */
export interface LogAccess {
  readonly admin: GatewayAdmin | undefined;
  readonly namespace: string;
}

/**
 * The calls that did a batch's work, in the order they started, each once: each landing attempt (its connector,
 * when the system's type is known; its landing entity runs are the same call) and each entity run. A run without a
 * call id (written outside a call) is left out.
 */
export function lineageCalls(lineage: BatchLineage, systemType: string | null): LineageCall[] {
  const landings = systemType === null ? [] : lineage.landings.map((run) => ({ ...run, function: connectorFunction(systemType), layer: 'landing' as const, entity_id: null }));
  const entities = lineage.entity_runs.map((run) => ({ ...run, function: run.layer === 'landing' ? (systemType === null ? null : connectorFunction(systemType)) : run.layer }));
  return [...landings, ...entities]
    .filter((run): run is typeof run & { call_id: string; function: string } => run.call_id !== null && run.function !== null)
    .sort((a, b) => a.started_at.getTime() - b.started_at.getTime())
    .filter((run, index, runs) => runs.findIndex((other) => other.call_id === run.call_id) === index)
    .map((run) => ({
      call_id: run.call_id,
      function: run.function,
      layer: run.layer,
      entity_id: run.entity_id,
      status: run.status,
      attempt: run.attempt,
      skip_reason: run.skip_reason,
      error: run.error,
      started_at: run.started_at,
      finished_at: run.finished_at,
    }));
}

/** How long before the batch's first run its logs are read from (clocks of the database and the functions' host). */
const LOG_SLACK_MS = 60_000;

/** Reads a batch's lineage, its calls and their logs. */
export async function readLineageView(
  db: Db,
  batchId: string,
  options: { readonly systems: ReadonlyArray<{ id: string; name: string; type: string }>; readonly logs: LogAccess; readonly now: Date },
): Promise<LineageView> {
  const lineage = await readBatchLineage(db, batchId);
  const systemId = lineage.landings[0]?.system_id ?? lineage.entity_runs[0]?.system_id;
  const known = options.systems.find((system) => system.id === systemId);
  const calls = lineageCalls(lineage, known?.type ?? null);
  const first = Math.min(...calls.map((call) => call.started_at.getTime()), options.now.getTime());
  const logs = calls.length === 0
    ? ({ state: 'read', calls: {}, problems: [] } as const)
    : await readCallLogs(calls, { admin: options.logs.admin, namespace: options.logs.namespace, since: new Date(first - LOG_SLACK_MS) });
  return {
    generated_at: options.now,
    batch_id: batchId,
    system: systemId === undefined ? null : { system_id: systemId, name: known?.name ?? null, type: known?.type ?? null },
    lineage,
    calls,
    logs,
  };
}
