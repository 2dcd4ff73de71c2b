import { describe, expect, it } from 'vitest';
import { evaluateChecks, hasFailedChecks, type BatchSummary, type CheckConfig, type CheckResult, type RowCountChange } from '../../../shared/core/dq-checks.ts';
import { defineModel } from './fixtures/models.ts';

const payment = defineModel('bunq_payment', [
  ['id', 'bigint', { key: true }],
  ['amount_value', 'numeric'],
  ['amount_currency', 'text'],
  ['description', 'text'],
]);

const emptySummary: BatchSummary = {
  row_count: 0,
  null_keys: 0,
  duplicate_keys: { count: 0, samples: [] },
  unmapped_fields: {},
  null_counts: {},
  unaccepted: {},
  regex_mismatches: {},
  uncoercible: { count: 0, samples: [] },
};

const deltaConfig: CheckConfig = { model: payment, load_type: 'delta', previous_row_count: null };

function check(results: CheckResult[], name: CheckResult['check'], column?: string): CheckResult | undefined {
  return results.find((found) => found.check === name && found.column === column);
}

describe('evaluateChecks', () => {
  it('runs the generic checks on every entity', () => {
    expect(evaluateChecks({ ...emptySummary, row_count: 3 }, deltaConfig).map((found) => found.check)).toEqual([
      'key_not_null',
      'key_unique',
      'column_count',
      'values_coercible',
    ]);
  });

  it.each<[string, 'fail' | 'latest' | undefined, boolean]>([
    ['fails the entity on duplicate keys by default', undefined, true],
    ['fails the entity on duplicate keys with duplicate_keys "fail"', 'fail', true],
    ['only warns on duplicate keys with duplicate_keys "latest" (silver keeps the last)', 'latest', false],
  ])('%s', (_rule, duplicateKeys, fails) => {
    const summary: BatchSummary = { ...emptySummary, row_count: 2, duplicate_keys: { count: 1, samples: [['p1']] } };
    const config: CheckConfig = { ...deltaConfig, quality: duplicateKeys === undefined ? {} : { duplicate_keys: duplicateKeys } };
    const results = evaluateChecks(summary, config);
    expect(results.find((found) => found.check === 'key_unique')?.passed).toBe(false);
    expect(hasFailedChecks(results)).toBe(fails);
  });

  it.each<[string, number, { min?: number; max?: number }, boolean]>([
    ['below the minimum', 0, { min: 1 }, false],
    ['at the minimum', 1, { min: 1 }, true],
    ['at the maximum', 50, { max: 50 }, true],
    ['above the maximum', 51, { max: 50 }, false],
  ])('judges a row count %s', (_rule, rows, bounds, passed) => {
    const results = evaluateChecks({ ...emptySummary, row_count: rows }, { ...deltaConfig, quality: { row_count: bounds } });
    const found = results.find((result) => result.check.startsWith('row_count_'));
    expect(found).toMatchObject({ observed: rows, passed, severity: 'error' });
  });

  it.each<[string, number, number | null, boolean]>([
    ['passes without a previous batch', 10, null, true],
    ['passes after an empty previous batch', 10, 0, true],
    ['passes within the allowed change', 1300, 1000, true],
    ['passes exactly at the allowed change', 1500, 1000, true],
    ['fails on a larger increase', 1501, 1000, false],
    ['fails on a larger decrease', 499, 1000, false],
  ])('row count change %s', (_rule, rows, previous, passed) => {
    const config: CheckConfig = { ...deltaConfig, previous_row_count: previous, quality: { row_count: { max_change_pct: 50 } } };
    expect(check(evaluateChecks({ ...emptySummary, row_count: rows }, config), 'row_count_change')?.passed).toBe(passed);
  });

  it.each<[string, number, number | null, RowCountChange, boolean]>([
    // bounds in percent of the previous batch, either side on its own
    ['passes a drop within min_pct', 800, 1000, { min_pct: -20 }, true],
    ['fails a drop beyond min_pct', 799, 1000, { min_pct: -20 }, false],
    ['passes a growth within max_pct', 2000, 1000, { max_pct: 100 }, true],
    ['fails a growth beyond max_pct', 2001, 1000, { max_pct: 100 }, false],
    ['does not bound the other side', 10_000, 1000, { min_pct: -20 }, true],
    // a minimum change above zero: the batch must grow
    ['fails a batch that did not grow by min_pct', 1000, 1000, { min_pct: 1 }, false],
    // bounds in rows (the difference, negative when fewer)
    ['passes a drop within min rows', 900, 1000, { min: -100 }, true],
    ['fails a drop beyond min rows', 899, 1000, { min: -100 }, false],
    ['fails a growth beyond max rows', 1011, 1000, { max: 10 }, false],
    // together: every bound must hold
    ['fails when the rows hold but the percentage does not', 30, 10, { max: 100, max_pct: 50 }, false],
    // after an empty batch a percentage cannot be judged; rows still can
    ['passes a percentage bound after an empty batch', 500, 0, { max_pct: 10 }, true],
    ['judges rows after an empty batch', 500, 0, { max: 100 }, false],
    ['passes without a previous batch', 0, null, { min: -1, min_pct: -1 }, true],
  ])('row count change %s', (_rule, rows, previous, change, passed) => {
    const config: CheckConfig = { ...deltaConfig, previous_row_count: previous, quality: { row_count: { change } } };
    expect(check(evaluateChecks({ ...emptySummary, row_count: rows }, config), 'row_count_change')?.passed).toBe(passed);
  });

  it('reads the older max_change_pct as a change of at most that percentage either way', () => {
    const config: CheckConfig = { ...deltaConfig, previous_row_count: 1000, quality: { row_count: { max_change_pct: 50 } } };
    expect(check(evaluateChecks({ ...emptySummary, row_count: 400 }, config), 'row_count_change')).toEqual({
      check: 'row_count_change',
      observed: 400,
      expected: 'change -50%..+50% of 1000',
      passed: false,
      severity: 'error',
      details: { previous_row_count: 1000, change: -600, change_pct: -60 },
    });
  });

  it('says every bound of a change in words', () => {
    const config: CheckConfig = { ...deltaConfig, previous_row_count: 10, quality: { row_count: { change: { min: -5, max_pct: 20 } } } };
    expect(check(evaluateChecks({ ...emptySummary, row_count: 10 }, config), 'row_count_change')?.expected).toBe('change >= -5 rows and <= +20% of 10');
  });

  it('gives every row-count check the configured severity', () => {
    const quality = { row_count: { min: 5, max: 1, change: { max: 0 }, severity: 'warning' as const } };
    const results = evaluateChecks({ ...emptySummary, row_count: 3 }, { ...deltaConfig, previous_row_count: 1, quality });
    expect(results.filter((found) => found.check.startsWith('row_count_')).map(({ check: name, passed, severity }) => ({ name, passed, severity }))).toEqual([
      { name: 'row_count_min', passed: false, severity: 'warning' },
      { name: 'row_count_max', passed: false, severity: 'warning' },
      { name: 'row_count_change', passed: false, severity: 'warning' },
    ]);
    expect(hasFailedChecks(results)).toBe(false);
  });

  it.each<[string, number, number | null, CheckConfig['quality'], boolean]>([
    ['fails an empty full extract', 0, null, {}, false],
    ['fails an empty full extract even after an empty one', 0, 0, {}, false],
    ['passes an empty full extract when allowed', 0, 40, { full_load_guard: { allow_empty: true } }, true],
    ['passes the first full extract', 10, null, {}, true],
    ['fails an extract collapsed below half of the previous one', 49, 100, {}, false],
    ['passes an extract at half of the previous one', 50, 100, {}, true],
    ['honours a configured ratio', 79, 100, { full_load_guard: { min_ratio: 0.8 } }, false],
    ['can be turned off', 0, 100, { full_load_guard: false }, true],
  ])('full load guard %s', (_rule, rows, previous, quality, passed) => {
    const config: CheckConfig = { model: payment, load_type: 'full', previous_row_count: previous, quality };
    const guard = check(evaluateChecks({ ...emptySummary, row_count: rows }, config), 'full_load_guard');
    expect(guard?.passed ?? true).toBe(passed);
  });

  it('does not guard delta loads, which may well be empty', () => {
    expect(check(evaluateChecks(emptySummary, deltaConfig), 'full_load_guard')).toBeUndefined();
  });

  it('warns, without failing the entity, on source fields the model does not read', () => {
    const results = evaluateChecks({ ...emptySummary, row_count: 2, unmapped_fields: { geolocation_latitude: 2 } }, deltaConfig);
    expect(check(results, 'column_count')).toEqual({
      check: 'column_count',
      observed: 5,
      expected: '<= 4',
      passed: false,
      severity: 'warning',
      details: { unmapped_fields: { geolocation_latitude: 2 } },
    });
    expect(hasFailedChecks(results)).toBe(false);
  });

  it('does not count the processor’s own columns as source columns', () => {
    const results = evaluateChecks(emptySummary, { ...deltaConfig, processor_columns: ['id'] });
    expect(check(results, 'column_count')?.expected).toBe('<= 3');
  });

  it('fails the entity on added fields when column_count.severity is error', () => {
    const summary = { ...emptySummary, row_count: 1, unmapped_fields: { geolocation_latitude: 1 } };
    const results = evaluateChecks(summary, { ...deltaConfig, quality: { column_count: { severity: 'error' } } });
    expect(check(results, 'column_count')).toMatchObject({ passed: false, severity: 'error' });
    expect(hasFailedChecks(results)).toBe(true);
  });

  it('counts model columns without a value in any row as missing with include_missing', () => {
    const summary: BatchSummary = { ...emptySummary, row_count: 2, empty_columns: ['description'] };
    const results = evaluateChecks(summary, { ...deltaConfig, quality: { column_count: { include_missing: true } } });
    expect(check(results, 'column_count')).toEqual({
      check: 'column_count',
      observed: 3,
      expected: '= 4',
      passed: false,
      severity: 'warning',
      details: { missing_columns: ['description'] },
    });
  });

  it('counts added and missing columns together', () => {
    const summary: BatchSummary = { ...emptySummary, row_count: 2, unmapped_fields: { note: 2 }, empty_columns: ['description'] };
    const results = evaluateChecks(summary, { ...deltaConfig, quality: { column_count: { include_missing: true } } });
    expect(check(results, 'column_count')).toMatchObject({ observed: 4, expected: '= 4', passed: false, details: { unmapped_fields: { note: 2 }, missing_columns: ['description'] } });
  });

  it.each<[string, BatchSummary]>([
    ['without include_missing', { ...emptySummary, row_count: 2, empty_columns: ['description'] }],
    ['in an empty batch (the row-count checks judge that)', { ...emptySummary, row_count: 0, empty_columns: ['id', 'amount_value', 'amount_currency', 'description'] }],
  ])('does not count missing columns %s', (rule, summary) => {
    const quality = rule.startsWith('without') ? {} : { column_count: { include_missing: true } };
    expect(check(evaluateChecks(summary, { ...deltaConfig, quality }), 'column_count')?.passed).toBe(true);
  });

  it('does not count the processor’s own columns as missing', () => {
    const summary: BatchSummary = { ...emptySummary, row_count: 1, empty_columns: ['description'] };
    const config: CheckConfig = { ...deltaConfig, processor_columns: ['description'], quality: { column_count: { include_missing: true } } };
    expect(check(evaluateChecks(summary, config), 'column_count')).toMatchObject({ observed: 3, expected: '= 3', passed: true });
  });

  it('makes uncoercible values a warning when the entity stores them as null', () => {
    const summary = { ...emptySummary, uncoercible: { count: 1, samples: ['x'] } };
    expect(check(evaluateChecks(summary, deltaConfig), 'values_coercible')?.severity).toBe('error');
    const lenient = evaluateChecks(summary, { ...deltaConfig, quality: { on_uncoercible: 'null' } });
    expect(check(lenient, 'values_coercible')).toMatchObject({ passed: false, severity: 'warning' });
    expect(hasFailedChecks(lenient)).toBe(false);
  });
});
