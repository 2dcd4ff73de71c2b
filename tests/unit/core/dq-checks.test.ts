import { describe, expect, it } from 'vitest';
import { evaluateChecks, hasFailedChecks, type BatchSummary, type CheckConfig, type CheckResult } from '../../../shared/core/dq-checks.ts';
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

  it('makes uncoercible values a warning when the entity stores them as null', () => {
    const summary = { ...emptySummary, uncoercible: { count: 1, samples: ['x'] } };
    expect(check(evaluateChecks(summary, deltaConfig), 'values_coercible')?.severity).toBe('error');
    const lenient = evaluateChecks(summary, { ...deltaConfig, quality: { on_uncoercible: 'null' } });
    expect(check(lenient, 'values_coercible')).toMatchObject({ passed: false, severity: 'warning' });
    expect(hasFailedChecks(lenient)).toBe(false);
  });
});
