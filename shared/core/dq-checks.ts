/**
 * Data-quality checks, bronze's first step (docs/processors/README.md, "Checks"). Pure: `evaluateChecks` judges a
 * batch summary, however it was built; `dq-accumulator.ts` builds one row by row while the batch streams.
 */
import type { EntityModel } from './entity-model.ts';
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

/**
 * Bounds on a batch's row count against the previous successful batch's: the change in rows (negative: fewer)
 * and in percent of the previous count. Each bound is optional; together they must all hold.
 */
export interface RowCountChange {
  readonly min?: number;
  readonly max?: number;
  readonly min_pct?: number;
  readonly max_pct?: number;
}

/** `quality.row_count`: absolute bounds, bounds on the change against the previous batch, and their severity. */
export interface RowCountConfig {
  readonly min?: number;
  readonly max?: number;
  readonly change?: RowCountChange;
  /** The older spelling of `change: { min_pct: -p, max_pct: p }`, read the same way. */
  readonly max_change_pct?: number;
  /** Of `row_count_min`, `row_count_max` and `row_count_change`; default `error`. */
  readonly severity?: CheckSeverity;
}

/** `quality.column_count`: what the column-count check compares, and its severity. */
export interface ColumnCountConfig {
  /** Also count model columns no row of the batch had a value for (fields the source stopped sending). */
  readonly include_missing?: boolean;
  /** Default `warning`: a source adding fields (bunq does) should be seen, not stop the load. */
  readonly severity?: CheckSeverity;
}

/** An entity's `quality` block (mirrors `shared/metadata/quality-schema.ts`). */
export interface QualityConfig {
  readonly row_count?: RowCountConfig;
  readonly column_count?: ColumnCountConfig;
  readonly not_null?: readonly string[];
  readonly accepted_values?: readonly { readonly column: string; readonly values: readonly (string | number | boolean)[] }[];
  readonly regex?: readonly { readonly column: string; readonly pattern: string }[];
  readonly on_uncoercible?: 'fail' | 'null';
  /** `latest`: duplicate keys are a warning, silver keeps the last by position. Default `fail`. */
  readonly duplicate_keys?: 'fail' | 'latest';
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
  /**
   * Model columns no row had a value for (null or absent in every row), in model order. Only needed, and only
   * built by the accumulator, when `quality.column_count.include_missing` is set.
   */
  readonly empty_columns?: readonly string[];
  readonly null_counts: Readonly<Record<string, number>>;
  readonly unaccepted: Readonly<Record<string, SampledCount>>;
  readonly regex_mismatches: Readonly<Record<string, SampledCount>>;
  /** Values that could not be coerced, with example issues as text. */
  readonly uncoercible: SampledCount;
}

const DEFAULT_MIN_RATIO = 0.5;

/** Judges a batch summary: one result per check that applies, generic checks first. */
export function evaluateChecks(summary: BatchSummary, config: CheckConfig): CheckResult[] {
  const quality = config.quality ?? {};
  const rows = summary.row_count;
  const results: CheckResult[] = [
    result('key_not_null', summary.null_keys, '0', summary.null_keys === 0),
    {
      ...result('key_unique', summary.duplicate_keys.count, '0', summary.duplicate_keys.count === 0, {
        key: [...config.model.key],
        samples: [...summary.duplicate_keys.samples],
      }),
      severity: quality.duplicate_keys === 'latest' ? 'warning' : 'error',
    },
    columnCount(summary, config),
  ];
  results.push(...rowCountChecks(rows, quality.row_count ?? {}, config.previous_row_count));
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

/**
 * The batch's source columns against the model's (less the processor's own). Fields no model column reads always
 * count; with `include_missing`, so do model columns no row had a value for: the number of columns must then be
 * exactly the model's. A warning unless `column_count.severity` says `error`.
 */
function columnCount(summary: BatchSummary, config: CheckConfig): CheckResult {
  const settings = config.quality?.column_count ?? {};
  const own = new Set(config.processor_columns ?? []);
  const sourceColumns = config.model.columns.filter((column) => !own.has(column.name)).map((column) => column.name);
  const unmapped = Object.entries(summary.unmapped_fields).sort(([a], [b]) => a.localeCompare(b));
  // An empty batch has no values at all: that is the row-count checks' business, not a missing column.
  const checksMissing = settings.include_missing === true && summary.row_count > 0;
  const empty = new Set(summary.empty_columns ?? []);
  const missing = checksMissing ? sourceColumns.filter((column) => empty.has(column)) : [];
  const details: JsonObject = {
    ...(unmapped.length === 0 ? {} : { unmapped_fields: Object.fromEntries(unmapped.slice(0, 50)) }),
    ...(missing.length === 0 ? {} : { missing_columns: missing.slice(0, 50) }),
  };
  const observed = sourceColumns.length - missing.length + unmapped.length;
  const expected = checksMissing ? `= ${sourceColumns.length}` : `<= ${sourceColumns.length}`;
  const passed = unmapped.length === 0 && missing.length === 0;
  return { ...result('column_count', observed, expected, passed, details), severity: settings.severity ?? 'warning' };
}

/** The absolute bounds, and the change against the previous batch, each with the configured severity. */
function rowCountChecks(rows: number, settings: RowCountConfig, previous: number | null): CheckResult[] {
  const severity = settings.severity ?? 'error';
  const results: CheckResult[] = [];
  if (settings.min !== undefined) results.push(result('row_count_min', rows, `>= ${settings.min}`, rows >= settings.min));
  if (settings.max !== undefined) results.push(result('row_count_max', rows, `<= ${settings.max}`, rows <= settings.max));
  const change = rowCountChangeBounds(settings);
  if (change !== undefined) results.push(rowCountChange(rows, change, previous));
  return results.map((found) => ({ ...found, severity }));
}

/** `change`, or the older `max_change_pct: p` read as a change of at most p% either way. */
function rowCountChangeBounds(settings: RowCountConfig): RowCountChange | undefined {
  if (settings.change !== undefined) return settings.change;
  if (settings.max_change_pct === undefined) return undefined;
  return { min_pct: -settings.max_change_pct, max_pct: settings.max_change_pct };
}

/**
 * The change from the previous successful batch, in rows and in percent of it. Without a previous batch there is
 * nothing to compare with, and it passes; after an empty one, percentages cannot be judged and only the bounds
 * in rows apply.
 */
function rowCountChange(rows: number, bounds: RowCountChange, previous: number | null): CheckResult {
  if (previous === null) {
    return result('row_count_change', rows, describeChange(bounds, 'the previous batch'), true, { previous_row_count: null, note: 'no baseline to compare with' });
  }
  const change = rows - previous;
  const changePct = previous === 0 ? null : (change / previous) * 100;
  const withinRows = within(change, bounds.min, bounds.max);
  const withinPct = changePct === null || within(changePct, bounds.min_pct, bounds.max_pct);
  return result('row_count_change', rows, describeChange(bounds, String(previous)), withinRows && withinPct, {
    previous_row_count: previous,
    change,
    ...(changePct === null ? { note: 'no percentage of an empty batch' } : { change_pct: Math.round(changePct * 100) / 100 }),
  });
}

function within(value: number, min: number | undefined, max: number | undefined): boolean {
  return (min === undefined || value >= min) && (max === undefined || value <= max);
}

/** `change -50%..+50% of 1000`, `change >= -100 rows and <= +20% of 1000`: what passes, in words. */
function describeChange(bounds: RowCountChange, previous: string): string {
  const signed = (value: number): string => (value > 0 ? `+${value}` : String(value));
  const range = (min: number | undefined, max: number | undefined, unit: string): string | undefined => {
    if (min !== undefined && max !== undefined) return `${signed(min)}${unit}..${signed(max)}${unit}`;
    if (min !== undefined) return `>= ${signed(min)}${unit}`;
    if (max !== undefined) return `<= ${signed(max)}${unit}`;
    return undefined;
  };
  const inRows = range(bounds.min, bounds.max, ' rows');
  const inPct = range(bounds.min_pct, bounds.max_pct, '%');
  return `change ${[inRows, inPct === undefined ? undefined : `${inPct} of ${previous}`].filter((part) => part !== undefined).join(' and ')}`;
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
