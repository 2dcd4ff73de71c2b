import * as z from 'zod';
import { Identifier } from './identifier.ts';

/** More rows than any batch of a personal source could hold: a larger bound is a typo. */
const MAX_ROW_COUNT = 1_000_000_000;

/** Bounds on a batch's row count: absolute, and as a change against the previous successful batch. */
const RowCountCheck = z
  .strictObject({
    min: z.number().int().min(0).max(MAX_ROW_COUNT).optional(),
    max: z.number().int().min(0).max(MAX_ROW_COUNT).optional(),
    /** Largest allowed change in percent (either way) against the previous successful batch's count. */
    max_change_pct: z.number().positive().max(100_000).optional(),
  })
  .refine((check) => check.min === undefined || check.max === undefined || check.min <= check.max, {
    error: 'min must not exceed max',
    path: ['min'],
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
