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

/** Bronze: every row leads back to its batch, its function call, its run and its landing record. */
export const BRONZE_SYSTEM_COLUMNS: readonly SystemColumn[] = [
  { name: '_dp_batch_id', type: 'uuid', nullable: false },
  { name: '_dp_batch_timestamp', type: 'timestamptz', nullable: false },
  { name: '_dp_call_id', type: 'text', nullable: false },
  { name: '_dp_run_id', type: 'bigint', nullable: false },
  { name: '_dp_record_id', type: 'text', nullable: false },
  { name: '_dp_position', type: 'integer', nullable: false },
];

/**
 * Silver: validity from `batch_timestamp` (open = null), a current flag, a deleted flag for keys closed by a
 * full load, the hashes that detect change, and the batch and call that wrote the version.
 */
export const SILVER_SYSTEM_COLUMNS: readonly SystemColumn[] = [
  { name: '_dp_valid_from', type: 'timestamptz', nullable: false },
  { name: '_dp_valid_to', type: 'timestamptz', nullable: true },
  { name: '_dp_is_current', type: 'boolean', nullable: false },
  { name: '_dp_is_deleted', type: 'boolean', nullable: false },
  { name: '_dp_scd2_hash', type: 'text', nullable: false },
  { name: '_dp_scd1_hash', type: 'text', nullable: false },
  { name: '_dp_batch_id', type: 'uuid', nullable: false },
  { name: '_dp_call_id', type: 'text', nullable: false },
  { name: '_dp_updated_batch_id', type: 'uuid', nullable: true },
];

export const BRONZE_SCHEMA = 'bronze';
export const SILVER_SCHEMA = 'silver';
export const GOLD_SCHEMA = 'gold';
