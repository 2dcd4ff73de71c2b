import type { ColumnType } from './entity-model.ts';

/**
 * System columns the platform adds to every bronze and silver table, beside the model's own columns.
 * They carry the `_dp_` prefix so they can never clash with a source field (bunq payments have their own
 * `batch_id`; Nightscout documents their own `_id`): the naming rule never produces a leading underscore.
 */
export interface SystemColumn {
  readonly name: string;
  readonly type: ColumnType | 'uuid';
  readonly nullable: boolean;
}

/** Bronze's system column names, spelled once; bronze writes them and silver reads them. */
export const BRONZE_COLUMN = {
  batch_id: '_dp_batch_id',
  batch_timestamp: '_dp_batch_timestamp',
  call_id: '_dp_call_id',
  run_id: '_dp_run_id',
  record_id: '_dp_record_id',
  position: '_dp_position',
} as const;

/** Bronze: every row leads back to its batch, its function call, its run and its landing record. */
export const BRONZE_SYSTEM_COLUMNS: readonly SystemColumn[] = [
  { name: BRONZE_COLUMN.batch_id, type: 'uuid', nullable: false },
  { name: BRONZE_COLUMN.batch_timestamp, type: 'timestamptz', nullable: false },
  { name: BRONZE_COLUMN.call_id, type: 'text', nullable: false },
  { name: BRONZE_COLUMN.run_id, type: 'bigint', nullable: false },
  { name: BRONZE_COLUMN.record_id, type: 'text', nullable: false },
  { name: BRONZE_COLUMN.position, type: 'integer', nullable: false },
];

/** Silver's system column names, spelled once; the engine's SQL, the table DDL and readers use them. */
export const SILVER_COLUMN = {
  valid_from: '_dp_valid_from',
  valid_to: '_dp_valid_to',
  is_current: '_dp_is_current',
  is_deleted: '_dp_is_deleted',
  batch_id: '_dp_batch_id',
  call_id: '_dp_call_id',
  updated_batch_id: '_dp_updated_batch_id',
} as const;

/**
 * Silver: validity from `batch_timestamp` (open = null), a current flag, a deleted flag for keys closed by a
 * full load or a tombstone, and the batch and call that wrote the version. No stored fingerprints: the engine
 * detects change by comparing columns (docs/silver.md).
 */
export const SILVER_SYSTEM_COLUMNS: readonly SystemColumn[] = [
  { name: SILVER_COLUMN.valid_from, type: 'timestamptz', nullable: false },
  { name: SILVER_COLUMN.valid_to, type: 'timestamptz', nullable: true },
  { name: SILVER_COLUMN.is_current, type: 'boolean', nullable: false },
  { name: SILVER_COLUMN.is_deleted, type: 'boolean', nullable: false },
  { name: SILVER_COLUMN.batch_id, type: 'uuid', nullable: false },
  { name: SILVER_COLUMN.call_id, type: 'text', nullable: false },
  { name: SILVER_COLUMN.updated_batch_id, type: 'uuid', nullable: true },
];

/**
 * Silver system columns the platform no longer keeps: the md5 fingerprints of a version's SCD2 and SCD1 values.
 * Nothing read them and each cost an md5 per row written, so they were removed; `ensureTable` drops them from a
 * silver table that still has them (`alter table … drop column if exists`), and nothing else.
 */
export const RETIRED_SILVER_COLUMNS: readonly string[] = ['_dp_scd2_hash', '_dp_scd1_hash'];

/** Gold's system column names, spelled once (the columns themselves: `GOLD_SYSTEM_COLUMNS` in shared/layers/gold). */
export const GOLD_COLUMN = {
  batch_id: '_dp_batch_id',
  run_id: '_dp_run_id',
  call_id: '_dp_call_id',
} as const;

export const BRONZE_SCHEMA = 'bronze';
export const SILVER_SCHEMA = 'silver';
export const GOLD_SCHEMA = 'gold';
