import * as z from 'zod';
import { Identifier, SystemId } from '../metadata/identifier.ts';

/**
 * The payloads of chained calls: what one function asks of the next through the gateway's async route. They carry
 * references (batch, system, entity, layer), never data, so every payload stays far below the 256,000-byte limit
 * of OpenFaaS CE async bodies; string fields are bounded to keep that provable (`MAX_CHAINED_PAYLOAD_BYTES`).
 */

/** The size a chained payload may have; the async route's limit is 256,000 bytes, so this leaves room to spare. */
export const MAX_CHAINED_PAYLOAD_BYTES = 16_384;

/** An OpenFaaS call id (`X-Call-Id`, a UUID on the real gateway); bounded so a payload stays small. */
export const CallId = z.string().min(1).max(200);

/** An ISO 8601 instant with its offset (`2025-01-01T06:00:00.000Z`), as JSON carries a timestamp. */
export const Instant = z.iso.datetime({ offset: true });

const Force = z.boolean().default(false);

/** The longest span a landing window may cover: years of CGM history, but not an unbounded read. */
export const MAX_WINDOW_DAYS = 20 * 366;
const DAY_MS = 86_400_000;

/**
 * The span of a delta load a caller sets (a backfill): from `start`, before `end`, at most `MAX_WINDOW_DAYS`, and not
 * ending more than a day ahead of now (a clock off by hours is fine; a window in next year is a mistake).
 */
const LandingWindow = z
  .strictObject({ start: Instant.optional(), end: Instant.optional() })
  .refine((window) => window.start === undefined || window.end === undefined || Date.parse(window.start) < Date.parse(window.end), {
    error: 'start must be before end',
    path: ['start'],
  })
  .refine((window) => window.start === undefined || window.end === undefined || Date.parse(window.end) - Date.parse(window.start) <= MAX_WINDOW_DAYS * DAY_MS, {
    error: `a window covers at most ${MAX_WINDOW_DAYS} days`,
    path: ['end'],
  })
  .refine((window) => window.end === undefined || Date.parse(window.end) <= Date.now() + DAY_MS, {
    error: 'end is more than a day in the future',
    path: ['end'],
  });

/**
 * Starts a landing (the connector function `connector-<type>`). The scheduler names the batch it starts
 * (`batch_id`, `batch_timestamp`), so a call delivered twice lands one batch once; a manual call may leave them
 * out and the connector makes a new batch. `window` bounds a delta load (a backfill), else the cursor does.
 */
export const LandingRequest = z.strictObject({
  system_id: SystemId,
  batch_id: z.uuid().optional(),
  batch_timestamp: Instant.optional(),
  window: LandingWindow.optional(),
  force: Force,
  parent_call_id: CallId.optional(),
});
export type LandingRequest = z.output<typeof LandingRequest>;

/** Processes one entity of a landed batch in `bronze`, or one bronze batch of an entity in `silver`. */
export const EntityLayerRequest = z.strictObject({
  batch_id: z.uuid(),
  system_id: SystemId,
  entity_id: Identifier,
  force: Force,
  parent_call_id: CallId.optional(),
});
export type EntityLayerRequest = z.output<typeof EntityLayerRequest>;

/** The `bronze` function's payload. */
export const BronzeRequest = EntityLayerRequest;
export type BronzeRequest = EntityLayerRequest;

/**
 * The `silver` function's payload: an entity layer request, plus `rebuild: true` to replay the entity's whole
 * silver history from bronze (every batch whose bronze run succeeded); a rebuild runs even when the batch
 * already succeeded in silver, as `force` does.
 */
export const SilverRequest = EntityLayerRequest.extend({ rebuild: z.boolean().default(false) });
export type SilverRequest = z.output<typeof SilverRequest>;

/** Recomputes a gold entity; `batch_id` is the silver batch that changed one of its sources (absent: a manual rebuild). */
export const GoldRequest = z.strictObject({
  gold_entity_id: Identifier,
  batch_id: z.uuid().optional(),
  force: Force,
  parent_call_id: CallId.optional(),
});
export type GoldRequest = z.output<typeof GoldRequest>;

const Layer = z.enum(['landing', 'bronze', 'silver', 'gold']);
const FinalStatus = z.enum(['succeeded', 'failed', 'skipped']);
const Count = z.int().nonnegative();
/** An event names its error for a person (a notification); the full text stays on the audit row. */
const EventError = z.string().max(1000).nullable();

/** One entity finished a layer for a batch (any final status), with its row counts. */
export const EntityLayerProcessedEvent = z.strictObject({
  event: z.literal('entity-layer-processed'),
  layer: Layer,
  system_id: SystemId,
  entity_id: Identifier,
  batch_id: z.uuid(),
  batch_timestamp: Instant,
  status: FinalStatus,
  run_id: z.uuid(),
  finished_at: Instant,
  error: EventError,
  counts: z.strictObject({
    records_in: Count,
    records_inserted: Count,
    records_updated: Count,
    records_deleted: Count,
    records_rejected: Count,
    records_unchanged: Count,
  }),
});
export type EntityLayerProcessedEvent = z.output<typeof EntityLayerProcessedEvent>;

/** Every expected entity of a system's layer has an outcome for a batch: the layer's status and entity counts. */
export const SystemLayerProcessedEvent = z.strictObject({
  event: z.literal('system-layer-processed'),
  layer: Layer,
  system_id: SystemId,
  batch_id: z.uuid(),
  batch_timestamp: Instant,
  status: FinalStatus,
  run_id: z.uuid(),
  finished_at: Instant,
  counts: z.strictObject({
    entities_expected: Count,
    entities_succeeded: Count,
    entities_failed: Count,
    entities_skipped: Count,
  }),
});
export type SystemLayerProcessedEvent = z.output<typeof SystemLayerProcessedEvent>;

/** A platform event, as actions receive it. */
export const PlatformEventPayload = z.discriminatedUnion('event', [EntityLayerProcessedEvent, SystemLayerProcessedEvent]);
export type PlatformEventPayload = z.output<typeof PlatformEventPayload>;

/**
 * An action's `schedule` fired (the scheduler sends it): the firing's id (`run_id`, also `batch_id`, the reference its
 * outbox message carries) and time. An action runs once per firing, as once per platform event.
 */
export const ActionScheduleFiredEvent = z.strictObject({
  event: z.literal('action-schedule-fired'),
  schedule: z.string().max(200),
  timezone: z.string().max(100),
  status: z.literal('fired'),
  run_id: z.uuid(),
  batch_id: z.uuid(),
  batch_timestamp: Instant,
  fired_at: Instant,
});
export type ActionScheduleFiredEvent = z.output<typeof ActionScheduleFiredEvent>;

/** What starts an action: a platform event it subscribes to, or its schedule. */
export const ActionTrigger = z.discriminatedUnion('event', [EntityLayerProcessedEvent, SystemLayerProcessedEvent, ActionScheduleFiredEvent]);
export type ActionTrigger = z.output<typeof ActionTrigger>;

/** Runs one action (`action-<type>`) for one event; the action's settings are read from metadata by `action_id`. */
export const ActionRequest = z.strictObject({
  action_id: Identifier,
  event: ActionTrigger,
  parent_call_id: CallId.optional(),
});
export type ActionRequest = z.output<typeof ActionRequest>;

/** The scheduler's tick: cron-connector sends no body (read as `{}`), and nothing else is accepted. */
export const SchedulerRequest = z.strictObject({});
export type SchedulerRequest = z.output<typeof SchedulerRequest>;

/**
 * The payload schema of a chained call to `target` (a function name): `bronze`, `silver`, `gold`, `scheduler`,
 * `connector-<type>` or `action-<type>`. Undefined for a function the platform does not chain to.
 */
export function payloadSchemaFor(target: string): z.ZodType | undefined {
  switch (target) {
    case 'bronze':
      return EntityLayerRequest;
    case 'silver':
      return SilverRequest;
    case 'gold':
      return GoldRequest;
    case 'scheduler':
      return SchedulerRequest;
    default:
      if (target.startsWith('connector-')) return LandingRequest;
      if (target.startsWith('action-')) return ActionRequest;
      return undefined;
  }
}

/** The connector function of a system type (`nightscout` → `connector-nightscout`). */
export function connectorFunction(systemType: string): string {
  return `connector-${systemType}`;
}

/** The action function of an action type (`webhook` → `action-webhook`). */
export function actionFunction(actionType: string): string {
  return `action-${actionType}`;
}
