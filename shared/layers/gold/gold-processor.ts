/**
 * The contract of a gold processor: the business logic of one kind of gold entity, written as set-based SQL over
 * silver. The platform gives it the tables it reads and a way to replace the gold table's rows; the processor
 * decides what the rows are.
 */
import type * as z from 'zod';
import { ident } from '../../adapters/postgres/sql.ts';
import type { Transaction } from '../../adapters/postgres/transaction.ts';
import type { EntityModel } from '../../core/entity-model.ts';
import { SILVER_COLUMN } from '../../core/table-layout.ts';
import type { Logger } from '../../log.ts';
import type { GoldEntity } from '../../metadata/entity-schema.ts';

/** What a recompute did to the gold table, named as `audit.entity_layer_run` names it. */
export interface GoldCounts {
  /** Rows the processor computed. */
  readonly records_in: number;
  /** Rows whose key was not in the table. */
  readonly records_inserted: number;
  /** Rows whose key was there with other values. */
  readonly records_updated: number;
  /** Rows whose key the processor no longer computes. */
  readonly records_deleted: number;
  /** Rows already there with the same values (left untouched). */
  readonly records_unchanged: number;
}

/** A silver table a processor reads: the source entity and its quoted, schema-qualified table name. */
export interface SourceTable {
  readonly entity_id: string;
  /** `"silver"."<table>"`, ready to splice into SQL. */
  readonly table: string;
}

/** What a processor gets for one recompute. */
export interface GoldContext<Options> {
  /** The gold entity's metadata (`entities.json`). */
  readonly entity: GoldEntity;
  /** The gold entity's model: the columns and key of the gold table. */
  readonly model: EntityModel;
  /** The source tables by the model name the processor declared in `sources`. */
  readonly sources: Readonly<Record<string, SourceTable>>;
  /** The entity's `processor.options`, parsed with the processor's schema (defaults filled in). */
  readonly options: Options;
  /** The IANA zone calendar boundaries are taken in: the `timezone` option, else the system's `timezone`. */
  readonly timeZone: string;
  /** The quoted gold table (`"gold"."<table>"`), for processors that read their own earlier result. */
  readonly target: string;
  /** The call's logger (a processor that calls a service logs through it). */
  readonly log: Logger;
  /**
   * Makes the gold table hold exactly the rows `select` returns (by column name; every model column must be
   * there, other columns are ignored): rows with new keys are inserted, changed rows updated, rows whose key is
   * gone deleted, equal rows left alone. Values are parameters (`$1`…). A key returned twice is refused.
   */
  replaceRows(select: string, values?: readonly unknown[]): Promise<GoldCounts>;
}

/**
 * A gold processor: `id` is the name `entities.json` gives in `processor.name`; `sources` are the models of the
 * silver entities it reads (the gold entity's `sources` must include exactly one entity of each); `options` parses
 * `processor.options`; `recompute` computes the whole gold table again from silver, in the caller's transaction,
 * and must give the same table when run twice on the same silver.
 *
 * @example
 * export const customerCount: GoldProcessor<{}> = {
 *   id: 'customer_count',
 *   sources: ['test_customer'],
 *   options: z.strictObject({}),
 *   recompute: (_tx, ctx) => ctx.replaceRows(`
 *     select customer.tier, count(*) as customers
 *       from ${ctx.sources.test_customer.table} as customer
 *      where customer."_dp_is_current" and not customer."_dp_is_deleted"
 *      group by customer.tier`),
 * };
 */
export interface GoldProcessor<Options = unknown> {
  readonly id: string;
  readonly sources: readonly string[];
  readonly options: z.ZodType<Options>;
  recompute(tx: Transaction, ctx: GoldContext<Options>): Promise<GoldCounts>;
}

/**
 * The SQL predicate for the rows of a silver table that hold what is true now: the current version of each key,
 * unless a full load closed it as deleted. `alias` is the table's alias in the query.
 */
export function isCurrentVersion(alias: string): string {
  return `${alias}.${ident(SILVER_COLUMN.is_current)} and not ${alias}.${ident(SILVER_COLUMN.is_deleted)}`;
}

/** The quoted silver table of the source with model `model` (one the processor declared in `sources`). */
export function sourceTable(ctx: Pick<GoldContext<unknown>, 'sources'>, model: string): string {
  const source = ctx.sources[model];
  if (!source) throw new TypeError(`gold: source model ${model} is not among the resolved sources`);
  return source.table;
}
