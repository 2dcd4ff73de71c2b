/**
 * Flattening: nested objects become one level of columns (`{a: {b: 1}}` → `{a_b: 1}`), every key passing through
 * the naming rule of `naming.ts`. Arrays stay as values, for the explode processors or a jsonb column.
 */
import { ColumnCollisionError } from './errors.ts';
import { formatPath, type JsonObject, type JsonValue } from './json.ts';
import { joinIdentifiers, MAX_IDENTIFIER_BYTES, normalizeIdentifier, shortenIdentifier } from './naming.ts';

/** One level of columns, keyed by identifier. A plain object (fast in V8); read it with `Object.hasOwn` in mind. */
export type FlatRecord = Record<string, JsonValue>;

/** A set of key paths as a tree; `true` marks where a path ends (that value, and all below it, is meant). */
export type PathTree = ReadonlyMap<string, PathTree | true>;

/** How `flattenRecord` treats the record. */
export interface FlattenOptions {
  /** `flatten` (default) descends into nested objects; `drop` keeps top-level values only (no objects, no arrays). */
  readonly nested?: 'flatten' | 'drop';
  /** Column names whose object or array value is kept whole (a jsonb column) instead of being descended into. */
  readonly keepWhole?: ReadonlySet<string>;
  /** Paths left out entirely: taken by an explicit `source` path, or ignored on purpose. */
  readonly skip?: PathTree;
  /** Columns the caller already put in the target (a processor's own columns), described for collision messages. */
  readonly reserved?: ReadonlyMap<string, string>;
  /**
   * When given, a collision is recorded here (column → the two source paths) and the first value kept, instead of
   * throwing; the caller then fails only if it reads that column (see `processors/row-mapping.ts`).
   */
  readonly collisions?: Map<string, readonly [string, string]>;
  /** With `unmapped`: the columns somebody reads; any other column with a value is appended to `unmapped`. */
  readonly known?: ReadonlySet<string>;
}

/**
 * Lifts nested objects into one level (`{pump: {pumpID: "1"}}` → `{pump_pump_id: "1"}`). Throws
 * `ColumnCollisionError` naming both source paths when two fields land on one column.
 *
 * @example flattenRecord({ amount: { value: '-12.50', currency: 'EUR' } }) // { amount_value: '-12.50', amount_currency: 'EUR' }
 */
export function flattenRecord(record: JsonObject, options: FlattenOptions = {}): FlatRecord {
  const flat: FlatRecord = {};
  flattenInto(flat, record, options);
  return flat;
}

/**
 * Flattens `record` into an existing target (which may already hold `options.reserved` columns). With `unmapped`
 * and `options.known`, it also lists the columns that carry a value (not null, not an empty list) nobody reads,
 * so the caller need not walk the target again.
 */
export function flattenInto(target: FlatRecord, record: JsonObject, options: FlattenOptions = {}, unmapped?: string[]): void {
  visit(target, record, names, options.skip, options, record, unmapped);
}

/** Builds a `PathTree` from key paths; a path that is a prefix of another wins (it covers the longer one). */
export function buildPathTree(paths: Iterable<readonly string[]>): PathTree | undefined {
  const root = new Map<string, Map<string, unknown> | true>();
  let isEmpty = true;
  for (const keys of paths) {
    if (keys.length === 0) continue;
    isEmpty = false;
    let node = root;
    keys.forEach((key, i) => {
      const existing = node.get(key);
      if (existing === true) return;
      if (i === keys.length - 1) {
        node.set(key, true);
        return;
      }
      const next = existing ?? new Map<string, Map<string, unknown> | true>();
      node.set(key, next);
      node = next as Map<string, Map<string, unknown> | true>;
    });
  }
  return isEmpty ? undefined : (root as PathTree);
}

// Column names by key path, built once and reused by every record: flattening then costs one map lookup per key
// instead of normalising and joining strings. Bounded, because maps with dynamic keys would grow it without end.
interface NameNode {
  /** The joined, normalised column before shortening (the prefix of its children). */
  readonly column: string;
  /** The column name (shortened when over 63 bytes). */
  readonly name: string;
  children: Map<string, NameNode> | undefined;
}
const NAME_NODE_LIMIT = 100_000;
let names: NameNode = { column: '', name: '', children: undefined };
let nameNodeCount = 0;

function nameNode(parent: NameNode, key: string): NameNode {
  let children = parent.children;
  if (children === undefined) {
    children = new Map();
    parent.children = children;
  }
  let node = children.get(key);
  if (node === undefined) {
    if (nameNodeCount >= NAME_NODE_LIMIT) {
      names = { column: '', name: '', children: undefined }; // the current walk keeps its detached branch
      nameNodeCount = 0;
    }
    const segment = normalizeIdentifier(key);
    const column = parent.column === '' ? segment : joinIdentifiers(parent.column, segment);
    node = { column, name: column.length > MAX_IDENTIFIER_BYTES ? shortenIdentifier(column) : column, children: undefined };
    children.set(key, node);
    nameNodeCount += 1;
  }
  return node;
}

function visit(
  target: FlatRecord,
  object: JsonObject,
  parent: NameNode,
  skip: PathTree | undefined,
  options: FlattenOptions,
  root: JsonObject,
  unmapped: string[] | undefined,
): void {
  // for…in: no key array per object; JSON objects have no inherited enumerable keys.
  for (const key in object) {
    let below: PathTree | undefined;
    if (skip !== undefined) {
      const node = skip.get(key);
      if (node === true) continue;
      below = node;
    }
    const value = object[key] as JsonValue;
    const node = nameNode(parent, key);
    const name = node.name;
    if (typeof value === 'object' && value !== null && options.keepWhole?.has(name) !== true) {
      if (options.nested === 'drop') continue;
      if (!Array.isArray(value)) {
        visit(target, value, node, below, options, root, unmapped);
        continue;
      }
    }
    if (unmapped !== undefined && options.known?.has(name) !== true && value !== null && !(Array.isArray(value) && value.length === 0)) {
      unmapped.push(name);
    }
    if (!Object.hasOwn(target, name)) target[name] = value;
    else if (options.collisions === undefined) throw collision(name, root, options);
    else if (!options.collisions.has(name)) options.collisions.set(name, collision(name, root, options).paths);
  }
}

// Rare, so it re-walks the record to find every path that produced the column instead of tracking paths always.
function collision(name: string, root: JsonObject, options: FlattenOptions): ColumnCollisionError {
  const paths: string[] = [];
  const reserved = options.reserved?.get(name);
  if (reserved !== undefined) paths.push(reserved);
  const walk = (object: JsonObject, prefix: string, keys: string[], skip: PathTree | undefined): void => {
    for (const key of Object.keys(object)) {
      const node = skip?.get(key);
      if (node === true) continue;
      const value = object[key] as JsonValue;
      const segment = normalizeIdentifier(key);
      const column = prefix === '' ? segment : joinIdentifiers(prefix, segment);
      const path = [...keys, key];
      const isObject = typeof value === 'object' && value !== null && options.keepWhole?.has(shortenIdentifier(column)) !== true;
      if (isObject && options.nested === 'drop') continue;
      if (isObject && !Array.isArray(value)) walk(value, column, path, node);
      else if (shortenIdentifier(column) === name) paths.push(formatPath(path));
    }
  };
  walk(root, '', [], options.skip);
  return new ColumnCollisionError(name, [paths[0] ?? name, paths[1] ?? name]);
}
