import * as z from 'zod';
import { PROCESSOR_NAMES } from '../core/processors/index.ts';
import { Identifier, RecordPath } from './identifier.ts';

/** A column a child row takes from its parent record: `{"column": "devicestatus_id", "path": "_id"}`. */
const ParentKeyColumn = z.strictObject({
  /** The child entity's column (declared in its model). */
  column: Identifier,
  /**
   * Where the value is in the parent landing record; a list names alternatives, the first with a value wins
   * (`["identifier", "_id"]`: a field two API versions name differently).
   */
  path: z.union([RecordPath, z.array(RecordPath).min(1, { error: 'expected at least one path' })]),
});

/** The parent's key columns every child row carries, in order (at least one). */
const ParentKey = z.array(ParentKeyColumn).min(1, { error: 'expected at least one parent key column' });

/**
 * Column for a deterministic child id (a hash of the parent key values, `path` and the list index or map key);
 * not written when absent.
 */
const IdColumn = Identifier.optional();

/** Each landing record is one row; nested objects are flattened (`a.b` → `a_b`). */
export const AsIsProcessor = z.strictObject({ name: z.literal('as_is') });

/** Each landing record is one row of its top-level scalars; nested objects and lists are left out. */
export const DropNestedProcessor = z.strictObject({ name: z.literal('drop_nested') });

/** Each element (an object) of the list at `path` is one row, flattened, with its parent's key and list index. */
export const ExplodeListProcessor = z.strictObject({
  name: z.literal('explode_list'),
  path: RecordPath,
  parent_key: ParentKey,
  index_column: Identifier.default('list_index'),
  id_column: IdColumn,
});

/** Each element (a scalar) of the list at `path` is one row: parent key, list index and the value. */
export const ExplodeScalarsProcessor = z.strictObject({
  name: z.literal('explode_scalars'),
  path: RecordPath,
  parent_key: ParentKey,
  index_column: Identifier.default('list_index'),
  value_column: Identifier.default('value'),
  id_column: IdColumn,
});

/**
 * Each entry of the map at `path` (dynamic keys, e.g. Nightscout's profile `store`) is one row: the key in
 * `key_column`, an object value flattened, a scalar value in `value_column`.
 */
export const ExplodeMapProcessor = z.strictObject({
  name: z.literal('explode_map'),
  path: RecordPath,
  key_column: Identifier,
  parent_key: ParentKey,
  value_column: Identifier.default('value'),
  id_column: IdColumn,
});

/**
 * A record wrapped in a single type key (bunq's `{"Payment": {…}}`) is unwrapped: the type goes to
 * `type_column`, the inner object is flattened. `path` points at the wrapper when it is not the record itself.
 */
export const UnwrapTypeProcessor = z.strictObject({
  name: z.literal('unwrap_type'),
  type_column: Identifier,
  path: RecordPath.optional(),
  /** Only these type keys are accepted (all when absent); another one is reported, not dropped. */
  types: z.array(z.string().min(1)).min(1).optional(),
});

/** A bronze processor and its options; `name` selects the landing structure pattern. */
export const BronzeProcessor = z.discriminatedUnion(
  'name',
  [AsIsProcessor, DropNestedProcessor, ExplodeListProcessor, ExplodeScalarsProcessor, ExplodeMapProcessor, UnwrapTypeProcessor],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `expected processor name to be one of ${PROCESSOR_NAMES.map((name) => `"${name}"`).join(', ')}`
        : undefined,
  },
);
export type BronzeProcessor = z.infer<typeof BronzeProcessor>;
export type BronzeProcessorName = BronzeProcessor['name'];

/** A gold entity's own processor (TypeScript/SQL in the gold layer), with free options it documents itself. */
export const GoldProcessor = z.strictObject({
  name: Identifier,
  options: z.record(z.string(), z.json()).default({}),
});
export type GoldProcessor = z.infer<typeof GoldProcessor>;

/** The model columns a bronze processor writes itself (parent key, index, key, value, type, child id). */
export function processorColumns(processor: BronzeProcessor): string[] {
  switch (processor.name) {
    case 'as_is':
    case 'drop_nested':
      return [];
    case 'explode_list':
      return [...childColumns(processor), processor.index_column];
    case 'explode_scalars':
      return [...childColumns(processor), processor.index_column, processor.value_column];
    case 'explode_map':
      return [...childColumns(processor), processor.key_column];
    case 'unwrap_type':
      return [processor.type_column];
  }
}

function childColumns(processor: { parent_key: { column: string }[]; id_column?: string | undefined }): string[] {
  const columns = processor.parent_key.map((part) => part.column);
  return processor.id_column === undefined ? columns : [...columns, processor.id_column];
}
