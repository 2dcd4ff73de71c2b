/**
 * The words of the silver engine: the entity it historises, the batches it applies, the counts it reports.
 */
import type { EntityModel } from '../../core/entity-model.ts';
import { planScd, type ScdPlan, type ScdTombstone } from '../../core/scd-plan.ts';
import { ident, qualified } from '../../adapters/postgres/sql.ts';
import { BRONZE_COLUMN, BRONZE_SCHEMA, SILVER_SCHEMA } from '../../core/table-layout.ts';

/** `full`: each batch is the whole set, absent keys are deleted; `delta`: a batch holds changes only. */
export type LoadType = 'full' | 'delta';

/** A bronze_silver entity as the silver engine sees it. */
export interface SilverEntity {
  /** Entity id: names the per-entity lock and the applied-batch rows. */
  readonly id: string;
  /** Table name in `bronze` and `silver` (the entity id unless metadata says `table`). */
  readonly table: string;
  readonly model: EntityModel;
  readonly loadType: LoadType;
  /** Column that decides which record of a key wins inside one batch (greatest wins); else the last position. */
  readonly latestBy?: string;
  /** Records that delete their key (the entity's `tombstone` rule in metadata). */
  readonly tombstone?: ScdTombstone;
  /** Schema names; the defaults are the platform's (`bronze`, `silver`). */
  readonly schemas?: { readonly bronze: string; readonly silver: string };
}

/** One batch: its id (UUIDv7) and timestamp (the landing run's start), the validity of the versions it opens. */
export interface BatchRef {
  readonly batch_id: string;
  /** A Date, or an ISO string when microseconds matter (pg's Date keeps milliseconds). */
  readonly batch_timestamp: Date | string;
}

/**
 * What applying batches did, named as `audit.entity_layer_run` names them (rows, not keys):
 * `records_in` bronze rows read; `records_inserted` new versions; `records_updated` versions changed in place
 * (closed because an SCD2 column changed, SCD1 columns overwritten, or no longer current because the deleted key
 * came back); `records_deleted` versions closed because their key was absent from a full load or had a tombstone;
 * `records_unchanged` batch records whose key's open version already had the same values (and tombstones of keys
 * with no open version).
 */
export interface SilverCounts {
  readonly records_in: number;
  readonly records_inserted: number;
  readonly records_updated: number;
  readonly records_deleted: number;
  readonly records_unchanged: number;
}

/** The outcome of `applySilverBatch` or `rebuildSilver`. */
export interface SilverResult {
  /** `applied`: the batch was newer than silver and applied on top; `rebuilt`: silver was replayed from bronze. */
  readonly mode: 'applied' | 'rebuilt';
  /** For `applySilverBatch`, what the requested batch did (in its place of the replay when rebuilt); for `rebuildSilver`, the sum over the replay. */
  readonly counts: SilverCounts;
  /** Batch records dropped because a later record of the same batch had the same key (records_in − staged). */
  readonly duplicates: number;
  /** Batches applied by this call (1 unless rebuilt). */
  readonly batches_replayed: number;
}

/** The names and plan every statement of one entity is built from. */
export interface SilverSqlContext {
  readonly plan: ScdPlan;
  /** Quoted `bronze.<table>`. */
  readonly bronze: string;
  /** Quoted `silver.<table>`. */
  readonly silver: string;
  /** Quoted name of the staging temp table. */
  readonly stage: string;
  readonly schemas: { readonly bronze: string; readonly silver: string };
}

/** Name of the temp table a batch is staged in (dropped at commit, replaced for each batch of a replay). */
export const STAGE_TABLE = '_dp_silver_incoming';

/**
 * The staged row's columns besides the model's: where the record was in the batch (from bronze, for the
 * duplicate rule), and whether it is a tombstone.
 */
export const STAGE_COLUMN = {
  position: BRONZE_COLUMN.position,
  record_id: BRONZE_COLUMN.record_id,
  is_tombstone: '_dp_is_tombstone',
} as const;

/** Plans an entity and fixes the names its statements use. */
export function silverSqlContext(entity: SilverEntity): SilverSqlContext {
  const schemas = entity.schemas ?? { bronze: BRONZE_SCHEMA, silver: SILVER_SCHEMA };
  return {
    plan: planScd(entity.model, {
      ...(entity.latestBy === undefined ? {} : { latestBy: entity.latestBy }),
      ...(entity.tombstone === undefined ? {} : { tombstone: entity.tombstone }),
    }),
    bronze: qualified(schemas.bronze, entity.table),
    silver: qualified(schemas.silver, entity.table),
    stage: ident(STAGE_TABLE),
    schemas,
  };
}

/** `alias."a", alias."b"` for a list of column names. */
export function columnList(names: readonly string[], alias?: string): string {
  return names.map((name) => (alias === undefined ? ident(name) : `${alias}.${ident(name)}`)).join(', ');
}
