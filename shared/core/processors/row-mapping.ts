/**
 * How a processor's flattened object becomes a model row. A model column reads, in this order of preference:
 * its `source` as an exact key path when it starts with `$.` (`$.pump.pumpID`); else the flattened field its
 * `source` names, normalised like every column (`pump_pumpID` → `pump_pump_id`); else the field of its own name.
 * A `source` list names alternatives, each read that way: the first with a value wins (`['identifier', '_id']`).
 */
import type { EntityModel } from '../entity-model.ts';
import { ColumnCollisionError } from '../errors.ts';
import { buildPathTree, flattenInto, type FlatRecord, type FlattenOptions } from '../flatten.ts';
import { parsePath, readPath, type JsonObject, type JsonValue } from '../json.ts';
import { makeIdentifier } from '../naming.ts';
import type { Row } from './types.ts';

/** A `source` starting with this is an exact key path into the processor's object, left out of flattening. */
export const EXACT_PATH_PREFIX = '$.';

/** How a processor wants its objects mapped. */
export interface RowMappingOptions {
  /** `flatten` descends into nested objects (as_is and the like); `drop` keeps top-level values only. */
  readonly nested: 'flatten' | 'drop';
  /** The processor's own columns (parent key, index, type…), described for collision messages. */
  readonly own?: ReadonlyMap<string, string>;
}

/** A model's columns compiled for one processor. */
export interface RowMapping {
  /** Whether the model has this column, so a processor can skip work (a child id) nobody reads. */
  has(column: string): boolean;
  /**
   * Flattens `object` into `flat` (which already holds the processor's own values), returns the model row, and
   * appends to `unmapped` every source field with a value that no column reads. Throws `ColumnCollisionError` when
   * a column reads a field two source paths landed on.
   */
  map(object: JsonObject | undefined, flat: FlatRecord, unmapped: string[]): Row;
}

/** One place a column's value may come from: an exact key path, or a flattened field. */
type SourcePlan =
  | { readonly keys: readonly string[]; readonly field?: undefined }
  | { readonly field: string; readonly keys?: undefined; readonly inherited: boolean };

interface ColumnPlan {
  readonly name: string;
  /** In order of preference: the first with a value wins. */
  readonly sources: readonly SourcePlan[];
}

function planSource(source: string): SourcePlan {
  if (source.startsWith(EXACT_PATH_PREFIX)) return { keys: parsePath(source.slice(EXACT_PATH_PREFIX.length)) };
  return planField(makeIdentifier(source));
}

function planField(field: string): SourcePlan {
  // `constructor` is the one identifier a plain object also inherits: read it as an own property only.
  return { field, inherited: field in Object.prototype };
}

/** Compiles the model once per entity; `map` then runs per object without re-reading the model. */
export function compileRowMapping(model: EntityModel, options: RowMappingOptions): RowMapping {
  const own = options.own ?? new Map<string, string>();
  const plans: ColumnPlan[] = model.columns.map((column) => {
    if (column.source === undefined) return { name: column.name, sources: [planField(column.name)] };
    return { name: column.name, sources: (typeof column.source === 'string' ? [column.source] : column.source).map(planSource) };
  });
  const fieldsOf = (plan: ColumnPlan): string[] => plan.sources.flatMap((source) => (source.field === undefined ? [] : [source.field]));
  const read = new Set(plans.flatMap(fieldsOf));
  const keepWhole = new Set(model.columns.flatMap((column, i) => (column.type === 'jsonb' && plans[i] ? fieldsOf(plans[i]) : [])));
  const collisions = new Map<string, readonly [string, string]>();
  const flattenOptions: FlattenOptions = {
    nested: options.nested,
    keepWhole,
    skip: buildPathTree(plans.flatMap((plan) => plan.sources.flatMap((source) => (source.keys === undefined ? [] : [source.keys])))),
    reserved: own,
    collisions,
    known: new Set([...read, ...own.keys()]),
  };
  const columns = new Set(model.columns.map((column) => column.name));

  return {
    has: (column) => columns.has(column),
    map(object, flat, unmapped) {
      if (collisions.size > 0) collisions.clear();
      if (object !== undefined) flattenInto(flat, object, flattenOptions, unmapped);
      const row: Row = {};
      for (const plan of plans) {
        let value: JsonValue | undefined;
        for (const source of plan.sources) {
          value = readSource(source, object, flat, collisions, model.name);
          if (value !== undefined && value !== null) break;
        }
        row[plan.name] = value === undefined ? null : value;
      }
      return row;
    },
  };
}

function readSource(
  source: SourcePlan,
  object: JsonObject | undefined,
  flat: FlatRecord,
  collisions: ReadonlyMap<string, readonly [string, string]>,
  modelName: string,
): JsonValue | undefined {
  if (source.field === undefined) return readPath(object, source.keys);
  if (collisions.size > 0) {
    const paths = collisions.get(source.field);
    if (paths !== undefined) throw new ColumnCollisionError(source.field, paths, modelName);
  }
  return source.inherited && !Object.hasOwn(flat, source.field) ? undefined : flat[source.field];
}

/** A fresh target for `RowMapping.map`. */
export function emptyFlatRecord(): FlatRecord {
  return {};
}
