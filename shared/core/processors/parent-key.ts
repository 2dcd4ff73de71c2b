/** The parent key columns child rows carry, compiled once per entity. */
import type { FlatRecord } from '../flatten.ts';
import { parsePath, readPath, type JsonObject, type JsonValue } from '../json.ts';
import type { ParentKeyColumn } from './types.ts';

/** Parent key columns with their paths parsed. */
export interface ParentKey {
  /** Each column with its parsed paths, in order of preference. */
  readonly columns: readonly { readonly column: string; readonly paths: readonly (readonly string[])[] }[];
  /** Reads the parent key values of a record, in order (missing values are null). */
  read(record: JsonObject): JsonValue[];
  /** Writes the values `read` returned under their columns. */
  write(flat: FlatRecord, values: readonly JsonValue[]): void;
}

/** Compiles `parent_key` options. */
export function compileParentKey(parentKey: readonly ParentKeyColumn[]): ParentKey {
  const columns = parentKey.map((part) => ({ column: part.column, paths: pathsOf(part).map(parsePath) }));
  const readFirst = (record: JsonObject, paths: readonly (readonly string[])[]): JsonValue => {
    for (const keys of paths) {
      const value = readPath(record, keys);
      if (value !== undefined && value !== null) return value;
    }
    return null;
  };
  return {
    columns,
    read: (record) => columns.map((part) => readFirst(record, part.paths)),
    write(flat, values) {
      columns.forEach((part, i) => {
        flat[part.column] = values[i] ?? null;
      });
    },
  };
}

/** The processor's own columns for collision messages: parent key columns described by their paths. */
export function describeParentKey(parentKey: readonly ParentKeyColumn[]): [string, string][] {
  return parentKey.map((part) => [part.column, `(parent key ${pathsOf(part).join(' | ')})`]);
}

function pathsOf(part: ParentKeyColumn): readonly string[] {
  return typeof part.path === 'string' ? [part.path] : part.path;
}
