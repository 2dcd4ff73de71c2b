/**
 * Data-quality checks, bronze's first step (docs/processors/README.md, "Checks"). Pure: `evaluateChecks` judges a
 * batch summary; `createCheckAccumulator` builds that summary row by row, so a batch too large for memory is
 * checked while it streams (only the key set grows with the batch).
 */
import type { CellValue, CoercionIssue } from './coerce.ts';
import { formatCoercionIssue } from './coerce.ts';
import type { EntityModel } from './entity-model.ts';
import { ConfigurationError } from '../errors.ts';
import type { JsonObject, JsonValue } from './json.ts';

/** The checks, generic (every entity) and configured (an entity's `quality`). */
export type CheckName =
  | 'key_not_null'
  | 'key_unique'
  | 'column_count'
  | 'row_count_min'
  | 'row_count_max'
  | 'row_count_change'
  | 'full_load_guard'
  | 'not_null'
  | 'accepted_values'
  | 'regex'
  | 'values_coercible';

/** An `error` that fails fails the entity; a `warning` that fails is stored and reported, and the load goes on. */
export type CheckSeverity = 'error' | 'warning';

/** One check's outcome, as stored in the audit schema. */
export interface CheckResult {
  readonly check: CheckName;
  readonly column?: string;
  readonly observed: number;
  /** What passes, in words: `0`, `>= 1`, `within 50% of 1200`. */
  readonly expected: string;
  readonly passed: boolean;
  readonly severity: CheckSeverity;
  readonly details?: JsonObject;
}

/** An entity's `quality` block (mirrors `shared/metadata/quality-schema.ts`). */
export interface QualityConfig {
  readonly row_count?: { readonly min?: number; readonly max?: number; readonly max_change_pct?: number };
  readonly not_null?: readonly string[];
  readonly accepted_values?: readonly { readonly column: string; readonly values: readonly (string | number | boolean)[] }[];
  readonly regex?: readonly { readonly column: string; readonly pattern: string }[];
  readonly on_uncoercible?: 'fail' | 'null';
  /**
   * Full loads only: fail on an empty extract, or one below `min_ratio` (default 0.5) of the previous successful
   * batch. On by default; `false` turns it off.
   */
  readonly full_load_guard?: false | { readonly min_ratio?: number; readonly allow_empty?: boolean };
}

/** Everything the checks of one entity's batch need to know besides the rows. */
export interface CheckConfig {
  readonly model: EntityModel;
  readonly load_type: 'full' | 'delta';
  readonly quality?: QualityConfig;
  /** Columns the processor writes itself (parent key, index…): not source columns for `column_count`. */
  readonly processor_columns?: readonly string[];
  /** Row count of the previous successful batch of this entity; null when there is none. */
  readonly previous_row_count: number | null;
}

/** A count with a few examples, for check details. */
export interface SampledCount {
  readonly count: number;
  readonly samples: readonly JsonValue[];
}

/** What the checks judge: built by the accumulator, or by SQL over a staging table. */
export interface BatchSummary {
  readonly row_count: number;
  /** Rows whose key has a null part. */
  readonly null_keys: number;
  /** Rows beyond the first for each key, with example keys (tuples). */
  readonly duplicate_keys: SampledCount;
  /** Source fields no model column reads: field → rows that had a value for it. */
  readonly unmapped_fields: Readonly<Record<string, number>>;
  readonly null_counts: Readonly<Record<string, number>>;
  readonly unaccepted: Readonly<Record<string, SampledCount>>;
  readonly regex_mismatches: Readonly<Record<string, SampledCount>>;
  /** Values that could not be coerced, with example issues as text. */
  readonly uncoercible: SampledCount;
}

/** Builds a batch summary one row at a time. */
export interface CheckAccumulator {
  /** One coerced row, values in model column order (what `coerceRow` returns), and its unmapped source fields. */
  add(values: readonly CellValue[], unmapped?: readonly string[]): void;
  /** The coercion issues of the batch (the count matters with `on_uncoercible: null`). */
  addCoercionIssues(issues: readonly CoercionIssue[]): void;
  summary(): BatchSummary;
  results(): CheckResult[];
}

const SAMPLE_LIMIT = 5;
const DEFAULT_MIN_RATIO = 0.5;

/** Judges a batch summary: one result per check that applies, generic checks first. */
export function evaluateChecks(summary: BatchSummary, config: CheckConfig): CheckResult[] {
  const quality = config.quality ?? {};
  const rows = summary.row_count;
  const results: CheckResult[] = [
    result('key_not_null', summary.null_keys, '0', summary.null_keys === 0),
    result('key_unique', summary.duplicate_keys.count, '0', summary.duplicate_keys.count === 0, {
      key: [...config.model.key],
      samples: [...summary.duplicate_keys.samples],
    }),
    columnCount(summary, config),
  ];
  const bounds = quality.row_count;
  if (bounds?.min !== undefined) results.push(result('row_count_min', rows, `>= ${bounds.min}`, rows >= bounds.min));
  if (bounds?.max !== undefined) results.push(result('row_count_max', rows, `<= ${bounds.max}`, rows <= bounds.max));
  if (bounds?.max_change_pct !== undefined) results.push(rowCountChange(rows, bounds.max_change_pct, config.previous_row_count));
  if (config.load_type === 'full' && quality.full_load_guard !== false) {
    results.push(fullLoadGuard(rows, quality.full_load_guard ?? {}, config.previous_row_count));
  }
  for (const column of quality.not_null ?? []) {
    const nulls = summary.null_counts[column] ?? 0;
    results.push(result('not_null', nulls, '0', nulls === 0, undefined, column));
  }
  for (const { column, values } of quality.accepted_values ?? []) {
    const found = summary.unaccepted[column] ?? { count: 0, samples: [] };
    results.push(result('accepted_values', found.count, '0', found.count === 0, { accepted: [...values], samples: [...found.samples] }, column));
  }
  for (const { column, pattern } of quality.regex ?? []) {
    const found = summary.regex_mismatches[column] ?? { count: 0, samples: [] };
    results.push(result('regex', found.count, '0', found.count === 0, { pattern, samples: [...found.samples] }, column));
  }
  const uncoercible = summary.uncoercible;
  results.push({
    ...result('values_coercible', uncoercible.count, '0', uncoercible.count === 0, { samples: [...uncoercible.samples] }),
    severity: quality.on_uncoercible === 'null' ? 'warning' : 'error',
  });
  return results;
}

/** Whether any check that fails the entity (severity `error`) failed. */
export function hasFailedChecks(results: readonly CheckResult[]): boolean {
  return results.some((check) => !check.passed && check.severity === 'error');
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
 * for (const values of rows) checks.add(values, unmapped);
 * const failed = hasFailedChecks(checks.results());
 */
export function createCheckAccumulator(config: CheckConfig): CheckAccumulator {
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
  const keys = createKeyTracker();
  const nullCounts: Record<string, number> = Object.fromEntries(notNull.map(({ column }) => [column, 0]));
  const unaccepted = Object.fromEntries(accepted.map(({ column }) => [column, sampler()]));
  const mismatches = Object.fromEntries(patterns.map(({ column }) => [column, sampler()]));
  const unmappedFields = new Map<string, number>();
  const uncoercible = sampler();
  let rowCount = 0;
  let nullKeys = 0;

  const accumulator: CheckAccumulator = {
    add(values, unmapped) {
      rowCount += 1;
      if (keyIndexes.length === 1) {
        const value = values[keyIndexes[0]!] ?? null; // the common case, without a tuple per row
        if (value === null) nullKeys += 1;
        else keys.add(value);
      } else {
        const key = keyIndexes.map((index) => values[index] ?? null);
        if (key.includes(null)) nullKeys += 1;
        else keys.add(key);
      }
      for (const { column, index } of notNull) if (values[index] === null || values[index] === undefined) nullCounts[column]! += 1;
      for (const { column, index, values: allowed } of accepted) {
        const value = values[index];
        if (value !== null && value !== undefined && !allowed.has(asText(value))) unaccepted[column]!.add(value);
      }
      for (const { column, index, pattern } of patterns) {
        const value = values[index];
        if (value !== null && value !== undefined && !pattern.test(asText(value))) mismatches[column]!.add(value);
      }
      if (unmapped !== undefined) for (const field of unmapped) unmappedFields.set(field, (unmappedFields.get(field) ?? 0) + 1);
    },
    addCoercionIssues(issues) {
      for (const found of issues) uncoercible.add(formatCoercionIssue(found));
    },
    summary: () => ({
      row_count: rowCount,
      null_keys: nullKeys,
      duplicate_keys: keys.duplicates(),
      unmapped_fields: Object.fromEntries(unmappedFields),
      null_counts: { ...nullCounts },
      unaccepted: mapValues(unaccepted, (found) => found.result()),
      regex_mismatches: mapValues(mismatches, (found) => found.result()),
      uncoercible: uncoercible.result(),
    }),
    results: () => evaluateChecks(accumulator.summary(), config),
  };
  return accumulator;
}

function columnCount(summary: BatchSummary, config: CheckConfig): CheckResult {
  const own = new Set(config.processor_columns ?? []);
  const sourceColumns = config.model.columns.filter((column) => !own.has(column.name)).length;
  const unmapped = Object.entries(summary.unmapped_fields).sort(([a], [b]) => a.localeCompare(b));
  const details: JsonObject = unmapped.length === 0 ? {} : { unmapped_fields: Object.fromEntries(unmapped.slice(0, 50)) };
  // Warns: a source adding fields (bunq does) should be seen, not stop the load. Missing fields are nulls.
  return { ...result('column_count', sourceColumns + unmapped.length, `<= ${sourceColumns}`, unmapped.length === 0, details), severity: 'warning' };
}

function rowCountChange(rows: number, maxChangePct: number, previous: number | null): CheckResult {
  const expected = `within ${maxChangePct}% of the previous batch`;
  if (previous === null || previous === 0) {
    return result('row_count_change', rows, expected, true, { previous_row_count: previous, note: 'no baseline to compare with' });
  }
  const changePct = (Math.abs(rows - previous) / previous) * 100;
  return result('row_count_change', rows, `within ${maxChangePct}% of ${previous}`, changePct <= maxChangePct, {
    previous_row_count: previous,
    change_pct: Math.round(changePct * 100) / 100,
  });
}

function fullLoadGuard(rows: number, guard: { readonly min_ratio?: number; readonly allow_empty?: boolean }, previous: number | null): CheckResult {
  const ratio = guard.min_ratio ?? DEFAULT_MIN_RATIO;
  if (rows === 0) {
    const allowed = guard.allow_empty === true;
    return result('full_load_guard', rows, allowed ? '>= 0 (empty allowed)' : '> 0 (an empty full extract would close every key)', allowed, {
      previous_row_count: previous,
    });
  }
  if (previous === null || previous === 0) return result('full_load_guard', rows, '> 0', true, { previous_row_count: previous });
  const minimum = Math.ceil(previous * ratio);
  return result('full_load_guard', rows, `>= ${minimum} (${ratio * 100}% of ${previous})`, rows >= minimum, { previous_row_count: previous });
}

function result(check: CheckName, observed: number, expected: string, passed: boolean, details?: JsonObject, column?: string): CheckResult {
  return {
    check,
    ...(column === undefined ? {} : { column }),
    observed,
    expected,
    passed,
    severity: 'error',
    ...(details === undefined ? {} : { details }),
  };
}

function createKeyTracker() {
  const seen = new Set<string>();
  const duplicates = sampler();
  return {
    /** A one-column key as its value, a composite key as its tuple. */
    add(key: JsonValue | readonly JsonValue[]): void {
      // One column: its text (a column holds one type after coercion); several: the JSON tuple.
      const single = !Array.isArray(key);
      const text = single ? asText(key as JsonValue) : JSON.stringify(key);
      if (!seen.has(text)) seen.add(text);
      else duplicates.add(single ? [key as JsonValue] : [...(key as readonly JsonValue[])]);
    },
    duplicates: () => duplicates.result(),
  };
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
