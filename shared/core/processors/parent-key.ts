/** The parent key columns child rows carry, compiled once per entity. */
import type { FlatRecord } from '../flatten.ts';
import { parsePath, readPath, type JsonObject, type JsonValue } from '../json.ts';
import type { ParentKeyColumn } from './types.ts';

/** Parent key columns with their paths parsed. */
export interface ParentKey {
  readonly columns: readonly { readonly column: string; readonly keys: readonly string[] }[];
  /** Reads the parent key values of a record, in order (missing values are null). */
  read(record: JsonObject): JsonValue[];
  /** Writes the values `read` returned under their columns. */
  write(flat: FlatRecord, values: readonly JsonValue[]): void;
}

/** Compiles `parent_key` options. */
export function compileParentKey(parentKey: readonly ParentKeyColumn[]): ParentKey {
  const columns = parentKey.map((part) => ({ column: part.column, keys: parsePath(part.path) }));
  return {
    columns,
    read: (record) => columns.map((part) => readPath(record, part.keys) ?? null),
    write(flat, values) {
      columns.forEach((part, i) => {
        flat[part.column] = values[i] ?? null;
      });
    },
  };
}

/** The processor's own columns for collision messages: parent key columns described by their paths. */
export function describeParentKey(parentKey: readonly ParentKeyColumn[]): [string, string][] {
  return parentKey.map((part) => [part.column, `(parent key ${part.path})`]);
}
