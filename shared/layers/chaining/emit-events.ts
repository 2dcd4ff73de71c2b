import type { Transaction } from '../../adapters/postgres/transaction.ts';
import { matchActions } from '../../core/event-match.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import type { EntityRunFinish } from '../../runs/entity-runs.ts';
import type { EntityLayerRun, SystemLayerRun } from '../../runs/run-types.ts';
import {
  actionFunction,
  type EntityLayerProcessedEvent,
  type PlatformEventPayload,
  type SystemLayerProcessedEvent,
} from '../../runtime/payloads.ts';
import { announceCalls } from './announce-calls.ts';

/** The longest error text an event carries; the audit row keeps the full one. */
const EVENT_ERROR_LENGTH = 1000;

/** The `entity-layer-processed` event of a finished entity-layer run. */
export function entityLayerProcessedEvent(run: EntityLayerRun): EntityLayerProcessedEvent {
  if (run.status === 'running' || run.finished_at === null) {
    throw new TypeError(`entity run ${run.run_id} is still running; an event reports a finished run`);
  }
  return {
    event: 'entity-layer-processed',
    layer: run.layer,
    system_id: run.system_id,
    entity_id: run.entity_id,
    batch_id: run.batch_id,
    batch_timestamp: run.batch_timestamp.toISOString(),
    status: run.status,
    run_id: run.run_id,
    finished_at: run.finished_at.toISOString(),
    error: clip(run.error),
    counts: {
      records_in: run.records_in,
      records_inserted: run.records_inserted,
      records_updated: run.records_updated,
      records_deleted: run.records_deleted,
      records_rejected: run.records_rejected,
      records_unchanged: run.records_unchanged,
    },
  };
}

/** The `system-layer-processed` event of a finished system layer run. */
export function systemLayerProcessedEvent(layerRun: SystemLayerRun): SystemLayerProcessedEvent {
  if (layerRun.status === 'running' || layerRun.finished_at === null) {
    throw new TypeError(`layer run ${layerRun.run_id} is still open; an event reports a finished layer`);
  }
  return {
    event: 'system-layer-processed',
    layer: layerRun.layer,
    system_id: layerRun.system_id,
    batch_id: layerRun.batch_id,
    batch_timestamp: layerRun.batch_timestamp.toISOString(),
    status: layerRun.status,
    run_id: layerRun.run_id,
    finished_at: layerRun.finished_at.toISOString(),
    counts: {
      entities_expected: layerRun.entities_expected,
      entities_succeeded: layerRun.entities_succeeded,
      entities_failed: layerRun.entities_failed,
      entities_skipped: layerRun.entities_skipped,
    },
  };
}

/**
 * Announces a call to each action subscribed to `event` (`actions.json` `on`), when the event's entity (or system,
 * for `system-layer-processed`) lists it in its `events`. The calls go to `action-<type>` with
 * `{action_id, event}` through the outbox, in the caller's transaction. Returns the ids of the actions called.
 */
export async function emitEvents(
  tx: Transaction,
  event: PlatformEventPayload,
  metadata: Pick<MetadataSet, 'systems' | 'entities' | 'actions'>,
  origin: { readonly call_id: string | undefined },
): Promise<string[]> {
  const system = metadata.systems.find((candidate) => candidate.id === event.system_id);
  const entity = event.event === 'entity-layer-processed' ? metadata.entities.find((candidate) => candidate.id === event.entity_id) : undefined;
  const actions = matchActions(event, metadata.actions, { systemEvents: system?.events, entityEvents: entity?.events });
  if (actions.length === 0) return [];
  await announceCalls(
    tx,
    { batch_id: event.batch_id, batch_timestamp: new Date(event.batch_timestamp), call_id: origin.call_id },
    actions.map((action) => ({ function: actionFunction(action.type), payload: { action_id: action.id, event } })),
  );
  return actions.map((action) => action.id);
}

/**
 * Emits what finishing an entity-layer run means: its `entity-layer-processed` event, and the layer's
 * `system-layer-processed` when this finish was the layer's last entity (`isLastEntity`, true exactly once per
 * layer run). Call it in the transaction of `finishEntityRun`, so the events exist exactly when the finish does.
 */
export async function emitLayerFinishEvents(
  tx: Transaction,
  finish: EntityRunFinish,
  metadata: Pick<MetadataSet, 'systems' | 'entities' | 'actions'>,
  origin: { readonly call_id: string | undefined },
): Promise<string[]> {
  const called = await emitEvents(tx, entityLayerProcessedEvent(finish.run), metadata, origin);
  if (finish.isLastEntity && finish.layerRun.finished_at !== null) {
    called.push(...(await emitEvents(tx, systemLayerProcessedEvent(finish.layerRun), metadata, origin)));
  }
  return called;
}

function clip(error: string | null): string | null {
  if (error === null) return null;
  return error.length > EVENT_ERROR_LENGTH ? `${error.slice(0, EVENT_ERROR_LENGTH - 1)}…` : error;
}
