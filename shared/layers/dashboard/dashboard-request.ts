import * as z from 'zod';
import { SystemId } from '../../metadata/identifier.ts';

/** A whole number from a query string (`?batches=50`). */
const QueryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'expected a whole number' })
    .transform(Number)
    .pipe(z.int().min(min).max(max))
    .default(fallback);

/**
 * The dashboard's query string: `format` (`html`, or `json` for the same overview as data), `system_id` (one
 * system only), `batch_id` (one batch's lineage instead of the overview), `batches` (rows of the batch table),
 * `refresh` (seconds between reloads of the page, 0 = off), `asset` (the page's script, by its hashed name).
 */
export const DashboardQuery = z.strictObject({
  format: z.enum(['html', 'json']).default('html'),
  system_id: SystemId.optional(),
  batch_id: z.uuid().optional(),
  asset: z.string().regex(/^[\w.-]{1,100}$/, { error: 'expected a file name' }).optional(),
  batches: QueryInt(1, 500, 20),
  refresh: QueryInt(0, 86_400, 30),
});
export type DashboardQuery = z.output<typeof DashboardQuery>;
