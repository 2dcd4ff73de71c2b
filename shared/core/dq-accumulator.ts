/**
 * Builds a data-quality `BatchSummary` row by row, so a batch too large for memory is checked while it streams:
 * only the set of distinct keys grows with the batch, everything else is counters and a few samples.
 */
import type { CellValue, CoercionIssue } from './coerce.ts';
import { formatCoercionIssue } from './coerce.ts';
import { evaluateChecks, type BatchSummary, type CheckConfig, type CheckResult, type SampledCount } from './dq-checks.ts';
import type { EntityModel } from './entity-model.ts';
import { ConfigurationError } from '../errors.ts';
import type { JsonValue } from './json.ts';
import { createFingerprintSet, type FingerprintAdded, type FingerprintSet } from './key-fingerprints.ts';

const SAMPLE_LIMIT = 5;

/** Builds a batch summary one row at a time. */
export interface CheckAccumulator {
  /** One coerced row, values in model column order (what `coerceRow` returns). */
  add(values: readonly CellValue[]): void;
  /** A record's unmapped source fields, as its processor returned them (once per record, not per row). */
  addUnmapped(fields: readonly string[]): void;
  /** The coercion issues of the batch (the count matters with `on_uncoercible: null`). */
  addCoercionIssues(issues: readonly CoercionIssue[]): void;
  /**
   * Whether only the loaded table can tell the duplicate keys: the batch held more distinct keys than
   * `maxTrackedKeys` and one may repeat. The caller then counts them where the rows went (`setDuplicateKeys`)
   * before asking for the summary or results.
   */
  needsTableDuplicateCount(): boolean;
  /** Duplicate keys counted outside (in the loaded table), when `needsTableDuplicateCount()`. */
  setDuplicateKeys(found: SampledCount): void;
  summary(): BatchSummary;
  results(): CheckResult[];
}

/** Tuning of an accumulator. */
export interface CheckAccumulatorOptions {
  /**
   * Distinct keys held in memory for the uniqueness check (about 100 bytes each). Beyond it the set is dropped for
   * the keys' 64-bit fingerprints (up to `MAX_FINGERPRINTS`); when one repeats (or there are more),
   * `needsTableDuplicateCount()` says so. Memory stays bounded whatever the batch size. Default: no bound.
   */
  readonly maxTrackedKeys?: number;
}

/** Counts duplicate keys in a list of key tuples ("given key tuples"); tuples with a null part are left out. */
export function countDuplicateKeys(keys: Iterable<readonly JsonValue[]>): SampledCount {
  const tracker = createKeyTracker();
  for (const key of keys) if (!key.includes(null)) tracker.add(key);
  return tracker.duplicates();
}

/**
 * Starts a batch's checks. Memory: the set of distinct keys (for uniqueness) and small counters, never the rows.
 *
 * @example
 * const checks = createCheckAccumulator({ model, load_type: 'full', quality, previous_row_count: 1200 });
 * for (const values of rows) checks.add(values);
 * checks.addUnmapped(unmapped);
 * const failed = hasFailedChecks(checks.results());
 */
export function createCheckAccumulator(config: CheckConfig, options: CheckAccumulatorOptions = {}): CheckAccumulator {
  const quality = config.quality ?? {};
  const indexOf = columnIndexes(config.model);
  const keyIndexes = config.model.key.map(indexOf);
  const notNull = (quality.not_null ?? []).map((column) => ({ column, index: indexOf(column) }));
  const accepted = (quality.accepted_values ?? []).map(({ column, values }) => ({
    column,
    index: indexOf(column),
    values: new Set(values.map(String)),
  }));
  const patterns = (quality.regex ?? []).map(({ column, pattern }) => ({ column, index: indexOf(column), pattern: new RegExp(pattern, 'u') }));
  const keys = createKeyTracker(options.maxTrackedKeys ?? Number.POSITIVE_INFINITY);
  let externalDuplicates: SampledCount | undefined;
  const nullCounts: Record<string, number> = Object.fromEntries(notNull.map(({ column }) => [column, 0]));
  const unaccepted = Object.fromEntries(accepted.map(({ column }) => [column, sampler()]));
  const mismatches = Object.fromEntries(patterns.map(({ column }) => [column, sampler()]));
  const unmappedFields = new Map<string, number>();
  const uncoercible = sampler();
  // Indexes of model columns no row has had a value for yet; each row looks only at these, so the cost falls to
  // nothing once every column has been seen. Tracked only when the column-count check counts missing columns.
  let emptyIndexes = quality.column_count?.include_missing === true ? config.model.columns.map((_column, index) => index) : [];
  const tracksEmpty = emptyIndexes.length > 0;
  let rowCount = 0;
  let nullKeys = 0;

  const accumulator: CheckAccumulator = {
    add(values) {
      rowCount += 1;
      if (keyIndexes.length === 1) {
        const value = values[keyIndexes[0]!] ?? null; // the common case, without a tuple per row
        if (value === null) nullKeys += 1;
        else keys.add(Array.isArray(value) ? [value] : value); // a jsonb list key is one value, not a tuple
      } else if (hasNullAt(values, keyIndexes)) {
        nullKeys += 1;
      } else {
        keys.addTuple(values, keyIndexes);
      }
      if (emptyIndexes.length > 0) emptyIndexes = emptyIndexes.filter((index) => values[index] === null || values[index] === undefined);
      for (const { column, index } of notNull) if (values[index] === null || values[index] === undefined) nullCounts[column]! += 1;
      for (const { column, index, values: allowed } of accepted) {
        const value = values[index];
        if (value !== null && value !== undefined && !allowed.has(asText(value))) unaccepted[column]!.add(value);
      }
      for (const { column, index, pattern } of patterns) {
        const value = values[index];
        if (value !== null && value !== undefined && !pattern.test(asText(value))) mismatches[column]!.add(value);
      }
    },
    addUnmapped(fields) {
      for (const field of fields) unmappedFields.set(field, (unmappedFields.get(field) ?? 0) + 1);
    },
    addCoercionIssues(issues) {
      for (const found of issues) uncoercible.add(formatCoercionIssue(found));
    },
    needsTableDuplicateCount: () => keys.needsTableCount(),
    setDuplicateKeys(found) {
      externalDuplicates = found;
    },
    summary: () => ({
      row_count: rowCount,
      null_keys: nullKeys,
      duplicate_keys: duplicateKeys(),
      unmapped_fields: Object.fromEntries(unmappedFields),
      ...(tracksEmpty ? { empty_columns: emptyIndexes.map((index) => config.model.columns[index]!.name) } : {}),
      null_counts: { ...nullCounts },
      unaccepted: mapValues(unaccepted, (found) => found.result()),
      regex_mismatches: mapValues(mismatches, (found) => found.result()),
      uncoercible: uncoercible.result(),
    }),
    results: () => evaluateChecks(accumulator.summary(), config),
  };
  function duplicateKeys(): SampledCount {
    if (externalDuplicates !== undefined) return externalDuplicates;
    if (keys.needsTableCount()) throw new Error('the batch has more keys than the check holds: count its duplicate keys with setDuplicateKeys first');
    return keys.duplicates();
  }
  return accumulator;
}

/** Key fingerprints held past `maxTrackedKeys` (at most 8M slots of 8 bytes, 64 MB); past them, the table counts. */
export const MAX_FINGERPRINTS = 6_000_000;

function createKeyTracker(maxKeys = Number.POSITIVE_INFINITY) {
  const seen = new Set<string>();
  const duplicates = sampler();
  // Past the bound, the keys' fingerprints (key-fingerprints.ts): a batch whose fingerprints never repeat has no
  // duplicate key, so only a batch with a possible one (or too many keys even for those) is counted in the table.
  let fingerprints: FingerprintSet | undefined;
  let maybeDuplicates = false;
  const noteFingerprint = (added: FingerprintAdded): void => {
    if (added !== 'new') maybeDuplicates = true;
  };
  // The same fingerprint as the joined text `addTuple` keys the set by (parts fed with a NUL between them), without
  // building that text; a part holding a NUL is keyed by the JSON tuple there, so here too.
  const fingerprintTuple = (set: FingerprintSet, values: readonly CellValue[], indexes: readonly number[]): void => {
    set.startKey();
    for (let i = 0; i < indexes.length; i += 1) {
      const part = asText(values[indexes[i]!]!);
      if (part.includes('\u0000')) {
        noteFingerprint(set.add(JSON.stringify(indexes.map((index) => values[index]))));
        return;
      }
      set.feedPart(part);
    }
    noteFingerprint(set.endKey());
  };
  // One hash lookup per key: a Set that did not grow already held it.
  const isNew = (text: string): boolean => {
    if (fingerprints !== undefined) {
      noteFingerprint(fingerprints.add(text));
      return true;
    }
    const size = seen.size;
    if (seen.add(text).size === size) return false;
    if (seen.size > maxKeys) {
      fingerprints = createFingerprintSet(MAX_FINGERPRINTS);
      for (const key of seen) noteFingerprint(fingerprints.add(key));
      seen.clear();
    }
    return true;
  };
  return {
    /** A one-column key as its value, a composite key as its tuple. */
    add(key: JsonValue | readonly JsonValue[]): void {
      // One column: its text (a column holds one type after coercion); several: the JSON tuple.
      const single = !Array.isArray(key);
      if (!isNew(single ? asText(key as JsonValue) : JSON.stringify(key))) duplicates.add(single ? [key as JsonValue] : [...(key as readonly JsonValue[])]);
    },
    /**
     * The composite key at `indexes` of a row, without building its tuple: the parts' texts joined by NUL, which
     * no part holds (coerced text cannot, JSON text escapes it); where one does, the JSON tuple.
     */
    addTuple(values: readonly CellValue[], indexes: readonly number[]): void {
      if (fingerprints !== undefined) {
        fingerprintTuple(fingerprints, values, indexes);
        return;
      }
      let text = asText(values[indexes[0]!]!);
      let plain = !text.includes('\u0000');
      for (let i = 1; i < indexes.length; i += 1) {
        const part = asText(values[indexes[i]!]!);
        plain &&= !part.includes('\u0000');
        text += `\u0000${part}`;
      }
      const key = plain ? text : JSON.stringify(indexes.map((index) => values[index]));
      if (!isNew(key)) duplicates.add(indexes.map((index) => values[index] ?? null));
    },
    /**
     * Past the bound with a possible duplicate: only the table can count them exactly. Without one, the duplicates
     * found before the bound are all there are (a later repeat of any key would have repeated its fingerprint).
     */
    needsTableCount: () => maybeDuplicates,
    /** The duplicates, unless `needsTableCount()`. */
    duplicates: () => duplicates.result(),
  };
}

// A loop, not `indexes.some(…)`: no closure per row.
function hasNullAt(values: readonly CellValue[], indexes: readonly number[]): boolean {
  for (let i = 0; i < indexes.length; i += 1) if ((values[indexes[i]!] ?? null) === null) return true;
  return false;
}

function sampler() {
  let count = 0;
  const samples: JsonValue[] = [];
  const texts = new Set<string>();
  return {
    add(value: JsonValue): void {
      count += 1;
      if (samples.length >= SAMPLE_LIMIT) return;
      const text = JSON.stringify(value);
      if (!texts.has(text)) {
        texts.add(text);
        samples.push(value);
      }
    },
    result: (): SampledCount => ({ count, samples: [...samples] }),
  };
}

function columnIndexes(model: EntityModel): (column: string) => number {
  const indexes = new Map(model.columns.map((column, index) => [column.name, index]));
  return (column) => {
    const index = indexes.get(column);
    if (index === undefined) throw new ConfigurationError(`check names column "${column}", which model ${model.name} does not have`);
    return index;
  };
}

// Checks compare values as text, so an accepted 12 matches a coerced "12" (numeric columns coerce to text).
function asText(value: JsonValue): string {
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
