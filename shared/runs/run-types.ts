import * as z from 'zod';
import { LAYERS, type FinalStatus, type Layer, type RunStatus } from '../core/run-status.ts';

/** The audit columns every run row shares (`audit.system_run`, `audit.entity_layer_run`). */
export interface RunRow {
  readonly run_id: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
  readonly call_id: string | null;
  readonly parent_call_id: string | null;
  readonly status: RunStatus;
  readonly force: boolean;
  readonly attempt: number;
  readonly timeout_seconds: number;
  readonly took_over_run_id: string | null;
  readonly duplicate_of_run_id: string | null;
  readonly skip_reason: string | null;
  readonly error: string | null;
  readonly started_at: Date;
  readonly finished_at: Date | null;
}

/** How many entities ended in each final status (system and system-layer runs). */
export interface EntityCounts {
  readonly entities_succeeded: number;
  readonly entities_failed: number;
  readonly entities_skipped: number;
}

/** A row of `audit.system_run`: one landing of one batch of a system. */
export interface SystemRun extends RunRow, EntityCounts {}

/** A row of `audit.system_layer_run`: one layer of one system for one batch. */
export interface SystemLayerRun extends EntityCounts {
  readonly run_id: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
  readonly layer: Layer;
  readonly system_run_id: string;
  readonly call_id: string | null;
  readonly status: RunStatus;
  readonly entities_expected: number;
  readonly started_at: Date;
  readonly finished_at: Date | null;
}

/** Row counts of one entity-layer run, as the layer's processor reports them. */
export const RecordCounts = z.strictObject({
  records_in: z.int().nonnegative().default(0),
  records_inserted: z.int().nonnegative().default(0),
  records_updated: z.int().nonnegative().default(0),
  records_deleted: z.int().nonnegative().default(0),
  records_rejected: z.int().nonnegative().default(0),
  records_unchanged: z.int().nonnegative().default(0),
});
export type RecordCounts = z.infer<typeof RecordCounts>;

/** A row of `audit.entity_layer_run`: one call's work on one entity of one batch in one layer. */
export interface EntityLayerRun extends RunRow, RecordCounts {
  readonly layer: Layer;
  readonly entity_id: string;
  readonly system_layer_run_id: string;
  readonly system_run_id: string;
}

const CallFields = {
  /** The OpenFaaS `X-Call-Id` of this call. */
  call_id: z.string().min(1).nullish(),
  /** The call that chained this one, when known (from the payload). */
  parent_call_id: z.string().min(1).nullish(),
  /** `force: true` reprocesses work that already succeeded. */
  force: z.boolean().default(false),
  /** The function's timeout: a `running` row of the same work older than this is stale and taken over. */
  timeout_seconds: z.int().positive(),
};

/** What a connector says when it starts landing a batch. */
export const StartSystemRunInput = z.strictObject({
  batch_id: z.uuid(),
  batch_timestamp: z.date(),
  system_id: z.string().min(1),
  ...CallFields,
});
export type StartSystemRunInput = z.input<typeof StartSystemRunInput>;

/** What opens a system's layer for a batch: how many entities it waits for. */
export const OpenSystemLayerRunInput = z.strictObject({
  batch_id: z.uuid(),
  system_id: z.string().min(1),
  layer: z.enum(LAYERS),
  entities_expected: z.int().nonnegative(),
  call_id: z.string().min(1).nullish(),
});
export type OpenSystemLayerRunInput = z.input<typeof OpenSystemLayerRunInput>;

/** What a layer function says when it starts work on one entity of a batch. */
export const StartEntityRunInput = z.strictObject({
  batch_id: z.uuid(),
  system_id: z.string().min(1),
  layer: z.enum(LAYERS),
  entity_id: z.string().min(1),
  ...CallFields,
});
export type StartEntityRunInput = z.input<typeof StartEntityRunInput>;

const FinalStatusSchema = z.enum(['succeeded', 'failed', 'skipped'] satisfies FinalStatus[]);

/** How a run ended. `error` is a message for a person (never a stack or a secret); long ones are cut. */
const FinishFields = {
  status: FinalStatusSchema,
  error: z.string().nullish(),
  /** Why a run that started decided there was nothing to do (`no new records`). */
  skip_reason: z.string().nullish(),
};

/** A delta window a successful landing fetched; `entity_id` absent for a system-wide cursor. */
export const CursorWindow = z.strictObject({
  entity_id: z.string().min(1).nullish(),
  window_start: z.date().nullish(),
  window_end: z.date(),
  /** A source-specific marker kept beside the window (the newest id seen), for sources that page by id. */
  position: z.string().nullish(),
});
export type CursorWindow = z.input<typeof CursorWindow>;

/** How a landing ended, and the windows to record when it succeeded. */
export const FinishSystemRunInput = z.strictObject({
  ...FinishFields,
  cursors: z.array(CursorWindow).default([]),
});
export type FinishSystemRunInput = z.input<typeof FinishSystemRunInput>;

/** How an entity-layer run ended, with its row counts. */
export const FinishEntityRunInput = z.strictObject({
  ...FinishFields,
  counts: RecordCounts.partial().default({}),
});
export type FinishEntityRunInput = z.input<typeof FinishEntityRunInput>;

/** The longest error text kept on an audit row; the full error belongs in the log. */
export const MAX_ERROR_LENGTH = 4000;

/** Cuts an error message to what an audit row keeps. */
export function clipError(error: string | null | undefined): string | null {
  if (error === null || error === undefined) return null;
  return error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH - 1)}…` : error;
}
