import type { CheckResult } from '../../core/dq-checks.ts';

const MAX_SAMPLES = 3;
const MAX_SAMPLE_TEXT = 200;

/**
 * The error text of a batch the checks rejected: every failed check of severity `error`, with what was observed
 * and expected and a few examples, e.g.
 * `entity test_customer: 2 checks failed: key_unique (observed 1, expected 0; e.g. ["c-1"]); not_null on name (observed 3, expected 0)`.
 */
export function describeFailedChecks(entity_id: string, checks: readonly CheckResult[]): string {
  const failed = checks.filter((check) => !check.passed && check.severity === 'error');
  const parts = failed.map((check) => {
    const where = check.column === undefined ? check.check : `${check.check} on ${check.column}`;
    const samples = Array.isArray(check.details?.samples) ? check.details.samples.slice(0, MAX_SAMPLES) : [];
    const examples = samples.length === 0 ? '' : `; e.g. ${samples.map(sampleText).join(', ')}`;
    return `${where} (observed ${check.observed}, expected ${check.expected}${examples})`;
  });
  return `entity ${entity_id}: ${failed.length} ${failed.length === 1 ? 'check' : 'checks'} failed: ${parts.join('; ')}`;
}

function sampleText(sample: unknown): string {
  const text = typeof sample === 'string' ? sample : JSON.stringify(sample);
  return text.length > MAX_SAMPLE_TEXT ? `${text.slice(0, MAX_SAMPLE_TEXT - 1)}…` : text;
}
