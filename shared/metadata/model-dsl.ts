import * as z from 'zod';
import type { ColumnSpec, ColumnType, EntityModel, ScdType } from '../core/entity-model.ts';
import { InvalidPayloadError } from '../errors.ts';

/** What a model declares about one column, beyond its zod type. */
export interface ColumnOptions {
  /** Part of the business key: never null, in shape order. */
  readonly key?: boolean;
  /** 2 keeps history (the default), 1 overwrites in place. */
  readonly scd?: ScdType;
  /** Whether the column may be null; defaults to true, and is always false for a key column. */
  readonly nullable?: boolean;
  /**
   * The processor's flattened field the value comes from, when it is not the column name (`_id`, `dateString`);
   * a list names alternatives, the first with a value wins (`['identifier', '_id']`).
   */
  readonly source?: string | readonly string[];
  readonly description?: string;
}

/** The column facts kept beside each zod field, read back at run time by `describeModel`. */
export interface ColumnMeta {
  readonly type: ColumnType;
  readonly key: boolean;
  readonly scd: ScdType;
  readonly nullable: boolean;
  readonly source?: string | readonly string[];
  readonly description?: string;
}

/** The registry that holds every model column's `ColumnMeta`: the zod model stays the single source. */
export const columnRegistry = z.registry<ColumnMeta>();

// The value schemas describe a silver row as the pg driver returns it: int8 and numeric as strings (no precision
// lost), timestamptz as Date; date as a 'YYYY-MM-DD' string (pg's date parser is expected to be turned off).
const DECIMAL = /^-?\d+(\.\d+)?$/;
const valueSchema = {
  text: () => z.string(),
  integer: () => z.number().int(),
  bigint: () => z.string().regex(/^-?\d+$/),
  numeric: () => z.string().regex(DECIMAL),
  double: () => z.number(),
  boolean: () => z.boolean(),
  timestamptz: () => z.date(),
  date: () => z.iso.date(),
  jsonb: () => z.json(),
} satisfies Record<ColumnType, () => z.ZodType>;

type ValueSchema<T extends ColumnType> = ReturnType<(typeof valueSchema)[T]>;
type ColumnSchema<T extends ColumnType, O extends ColumnOptions> = O extends { key: true }
  ? ValueSchema<T>
  : O extends { nullable: false }
    ? ValueSchema<T>
    : z.ZodNullable<ValueSchema<T>>;

function defineColumn<T extends ColumnType, const O extends ColumnOptions>(type: T, options: O): ColumnSchema<T, O> {
  const key = options.key ?? false;
  if (key && options.nullable === true) throw new TypeError('a key column cannot be nullable');
  if (typeof options.source === 'object' && options.source.length === 0) throw new TypeError('a source list names at least one field');
  const nullable = key ? false : (options.nullable ?? true);
  const base = valueSchema[type]();
  const schema = nullable ? base.nullable() : base;
  const meta: ColumnMeta = {
    type,
    key,
    scd: options.scd ?? 2,
    nullable,
    ...(options.source === undefined ? {} : { source: options.source }),
    ...(options.description === undefined ? {} : { description: options.description }),
  };
  schema.register(columnRegistry, meta);
  return schema as ColumnSchema<T, O>;
}

/**
 * Column builders for entity models: `column.text({ key: true, source: '_id' })`, `column.numeric({ scd: 1 })`.
 *
 * @example
 * export const NightscoutEntry = z.strictObject({
 *   id: column.text({ key: true, source: '_id' }),
 *   sgv: column.numeric(),
 *   device: column.text({ scd: 1 }),
 * });
 */
export const column = {
  text: <const O extends ColumnOptions = object>(options?: O) => defineColumn('text', options ?? ({} as O)),
  integer: <const O extends ColumnOptions = object>(options?: O) => defineColumn('integer', options ?? ({} as O)),
  bigint: <const O extends ColumnOptions = object>(options?: O) => defineColumn('bigint', options ?? ({} as O)),
  numeric: <const O extends ColumnOptions = object>(options?: O) => defineColumn('numeric', options ?? ({} as O)),
  double: <const O extends ColumnOptions = object>(options?: O) => defineColumn('double', options ?? ({} as O)),
  boolean: <const O extends ColumnOptions = object>(options?: O) => defineColumn('boolean', options ?? ({} as O)),
  timestamptz: <const O extends ColumnOptions = object>(options?: O) =>
    defineColumn('timestamptz', options ?? ({} as O)),
  date: <const O extends ColumnOptions = object>(options?: O) => defineColumn('date', options ?? ({} as O)),
  jsonb: <const O extends ColumnOptions = object>(options?: O) => defineColumn('jsonb', options ?? ({} as O)),
};

/** A zod entity model: an object whose every field was built with `column.*`. */
export type ModelSchema = z.ZodObject<z.ZodRawShape>;

/** Models by name, as `metadata/models/index.ts` exports them and `entities.json` refers to them. */
export type ModelRegistry = Readonly<Record<string, ModelSchema>>;

/**
 * Reads a zod model's column metadata into the plain `EntityModel` every layer works from: columns in shape
 * order, the key in shape order. A field not built with `column.*` is refused with its name.
 */
export function describeModel(name: string, schema: ModelSchema): EntityModel {
  const problems: string[] = [];
  const columns: ColumnSpec[] = [];
  for (const [field, fieldSchema] of Object.entries(schema.shape)) {
    const meta = columnRegistry.get(fieldSchema as z.ZodType);
    if (!meta) {
      problems.push(`models › ${name} › ${field}: not a model column; build it with column.text(), column.numeric(), …`);
      continue;
    }
    columns.push({ name: field, ...meta });
  }
  if (problems.length > 0) throw new InvalidPayloadError(`model ${name} is invalid`, problems);
  return { name, columns, key: columns.filter((spec) => spec.key).map((spec) => spec.name) };
}
