import * as z from 'zod';
import { Identifier } from './identifier.ts';

/** More rows than any batch of a personal source could hold: a larger bound is a typo. */
const MAX_ROW_COUNT = 1_000_000_000;

/** What a failed check does: `error` fails the entity, `warning` is stored and reported and the load goes on. */
const Severity = z.enum(['error', 'warning']);

const RowCount = z.number().int().min(-MAX_ROW_COUNT).max(MAX_ROW_COUNT);
/** A change in percent of the previous count: -100 is "none left", 100 is "doubled". */
const ChangePct = z.number().min(-100).max(100_000);

/**
 * Bounds on the change against the previous successful batch's row count: in rows (negative: fewer) and in percent
 * of that count. `{"min_pct": -20, "max_pct": 50}`: at most a fifth fewer, at most half as many again.
 */
const RowCountChange = z
  .strictObject({ min: RowCount.optional(), max: RowCount.optional(), min_pct: ChangePct.optional(), max_pct: ChangePct.optional() })
  .refine((change) => Object.values(change).some((bound) => bound !== undefined), {
    error: 'give at least one of min, max, min_pct, max_pct',
  })
  .refine((change) => change.min === undefined || change.max === undefined || change.min <= change.max, {
    error: 'min must not exceed max',
    path: ['min'],
  })
  .refine((change) => change.min_pct === undefined || change.max_pct === undefined || change.min_pct <= change.max_pct, {
    error: 'min_pct must not exceed max_pct',
    path: ['min_pct'],
  });

/** Bounds on a batch's row count: absolute, and as a change against the previous successful batch. */
const RowCountCheck = z
  .strictObject({
    min: z.number().int().min(0).max(MAX_ROW_COUNT).optional(),
    max: z.number().int().min(0).max(MAX_ROW_COUNT).optional(),
    change: RowCountChange.optional(),
    /** The older spelling of `change: {"min_pct": -p, "max_pct": p}`: at most p percent either way. */
    max_change_pct: z.number().positive().max(100_000).optional(),
    /** Of the row-count checks; default `error`. */
    severity: Severity.optional(),
  })
  .refine((check) => check.min === undefined || check.max === undefined || check.min <= check.max, {
    error: 'min must not exceed max',
    path: ['min'],
  })
  .refine((check) => check.change === undefined || check.max_change_pct === undefined, {
    error: 'give change or max_change_pct, not both (max_change_pct p is change {"min_pct": -p, "max_pct": p})',
    path: ['max_change_pct'],
  });

/** The generic column-count check, tuned: also count missing columns, and how much a failure weighs. */
const ColumnCountCheck = z.strictObject({
  /** Also count model columns no row of a batch had a value for; then the count must equal the model's. */
  include_missing: z.boolean().optional(),
  /** Default `warning`: a source adding fields should be seen, not stop the load. */
  severity: Severity.optional(),
});

const AcceptedValuesCheck = z.strictObject({
  column: Identifier,
  values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
});

const RegexCheck = z.strictObject({
  column: Identifier,
  pattern: z.string().superRefine((pattern, ctx) => {
    try {
      new RegExp(pattern, 'u');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(error as Error).message}` });
    }
  }),
});

/**
 * An entity's checks beyond the generic ones (business-key uniqueness, column count), run as bronze's first
 * step; a failed check fails that entity only.
 */
export const Quality = z.strictObject({
  row_count: RowCountCheck.optional(),
  column_count: ColumnCountCheck.optional(),
  not_null: z.array(Identifier).default([]),
  accepted_values: z.array(AcceptedValuesCheck).default([]),
  regex: z.array(RegexCheck).default([]),
  /**
   * A value that cannot be coerced to its column's type: `fail` rejects the batch (the default), `null` stores
   * null and reports the value's path as a failed check. Never dropped silently.
   */
  on_uncoercible: z.enum(['fail', 'null']).default('fail'),
  /**
   * Rows of one batch sharing a business key: `fail` rejects the batch (the default); `latest` stores them all in
   * bronze, reports the check as a warning, and lets silver keep the last one by position (docs/silver.md), for
   * sources known to resend a record within one extract.
   */
  duplicate_keys: z.enum(['fail', 'latest']).default('fail'),
  /**
   * Full loads only: fail on an empty extract, or one below `min_ratio` (default 0.5) of the previous successful
   * batch, since a full load closes every absent key in silver. On when absent; `false` turns it off.
   */
  full_load_guard: z
    .union([
      z.literal(false),
      z.strictObject({ min_ratio: z.number().min(0).max(1).optional(), allow_empty: z.boolean().optional() }),
    ])
    .optional(),
});
export type Quality = z.infer<typeof Quality>;

/** Every model column a quality block names. */
export function qualityColumns(quality: Quality): string[] {
  return [
    ...quality.not_null,
    ...quality.accepted_values.map((check) => check.column),
    ...quality.regex.map((check) => check.column),
  ];
}
