/**
 * The bronze processors' contract and options. The options mirror `shared/metadata/processor-schema.ts` (the zod
 * schema is the source; these plain types keep core free of zod); a parsed `BronzeProcessor` is a valid
 * `ProcessorOptions` (tests/unit/core/processors/options-alignment.test.ts).
 */
import type { JsonObject, JsonValue } from '../json.ts';

/** A column a child row takes from its parent record: `{ column: 'devicestatus_id', path: '_id' }`. */
export interface ParentKeyColumn {
  /** The child model's column. */
  readonly column: string;
  /**
   * Dotted key path in the landing record (`\.` for a dot inside a key); a list names alternatives, the first
   * with a value wins (`["identifier", "_id"]`).
   */
  readonly path: string | readonly string[];
}

/** Each landing record is one row; nested objects are flattened (`a.b` → `a_b`). */
export interface AsIsOptions {
  readonly name: 'as_is';
}

/** Each landing record is one row of its top-level values; nested objects and lists are left out. */
export interface DropNestedOptions {
  readonly name: 'drop_nested';
}

/** Options every child-row processor shares. */
export interface ChildRowOptions {
  /** Dotted key path of the list or map in the landing record. */
  readonly path: string;
  /** Parent fields every child row carries (at least one: the parent's business key). */
  readonly parent_key: readonly ParentKeyColumn[];
  /**
   * Column for a deterministic child id: hash of the parent key values, `path` and the list index or map key.
   * Not written when absent.
   */
  readonly id_column?: string;
}

/** Each element (an object) of the list at `path` is one row, flattened, with its parent's key and list index. */
export interface ExplodeListOptions extends ChildRowOptions {
  readonly name: 'explode_list';
  /** Column for the element's 0-based position in the list. Default `list_index`. */
  readonly index_column?: string;
}

/** Each element (a scalar) of the list at `path` is one row: parent key, list index and the value. */
export interface ExplodeScalarsOptions extends ChildRowOptions {
  readonly name: 'explode_scalars';
  /** Default `list_index`. */
  readonly index_column?: string;
  /** Default `value`. */
  readonly value_column?: string;
}

/** Each entry of the map at `path` (dynamic keys) is one row: the key, an object value flattened or a scalar value. */
export interface ExplodeMapOptions extends ChildRowOptions {
  readonly name: 'explode_map';
  /** Column for the map key (the key as written, not normalised). */
  readonly key_column: string;
  /** Column for a value that is not an object. Default `value`. */
  readonly value_column?: string;
}

/** A record wrapped in one type key (bunq's `{"Payment": {…}}`): the type goes to `type_column`, the inside is flattened. */
export interface UnwrapTypeOptions {
  readonly name: 'unwrap_type';
  readonly type_column: string;
  /** Dotted key path of the wrapper when it is not the record itself (a callback's `NotificationUrl.object`). */
  readonly path?: string;
  /** The accepted type keys (all when absent); another one is reported as an issue, never dropped. */
  readonly types?: readonly string[];
}

/** A bronze processor and its options; `name` selects the landing structure pattern. */
export type ProcessorOptions =
  | AsIsOptions
  | DropNestedOptions
  | ExplodeListOptions
  | ExplodeScalarsOptions
  | ExplodeMapOptions
  | UnwrapTypeOptions;

/** A processor's name. */
export type ProcessorName = ProcessorOptions['name'];

/** One bronze row, keyed by model column names; values as landed (coercion comes after). */
export type Row = Record<string, JsonValue>;

/** A record whose shape does not fit the processor (a map where a list was expected…). */
export interface ProcessorIssue {
  /** Position of the landing record in its batch. */
  readonly position: number;
  /** Where in the record (dotted path, list elements as `path[3]`). */
  readonly path: string;
  readonly reason: string;
}

/** What a processor makes of one landing record. */
export interface ProcessorResult {
  /** Zero or more rows, each with every model column (null when the source has no value). */
  readonly rows: Row[];
  /**
   * Source fields with a value (not null, not an empty list) that no model column reads, as flattened column
   * names, once per row. The bronze layer counts and reports them; they are never dropped silently.
   */
  readonly unmapped: string[];
  readonly issues: ProcessorIssue[];
}

/** A processor compiled for one entity: call it once per landing record. */
export type RecordProcessor = (record: JsonObject, position: number) => ProcessorResult;
