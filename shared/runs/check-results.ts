import * as z from 'zod';
import { query, type Db } from '../adapters/postgres/transaction.ts';
import { newRunId } from './ids.ts';
import { parseRunInput } from './run-errors.ts';

/** One data-quality check's outcome, as the checks report it. Observed and expected are any JSON. */
export const CheckOutcome = z.strictObject({
  check_name: z.string().min(1),
  observed: z.json().optional(),
  expected: z.json().optional(),
  passed: z.boolean(),
  details: z.json().optional(),
});
export type CheckOutcome = z.input<typeof CheckOutcome>;

/** Which batch, entity and run the outcomes belong to. */
export const CheckSubject = z.strictObject({
  batch_id: z.uuid(),
  batch_timestamp: z.date(),
  entity_id: z.string().min(1),
  entity_layer_run_id: z.uuid().nullish(),
  call_id: z.string().min(1).nullish(),
});
export type CheckSubject = z.input<typeof CheckSubject>;

/** A row of `audit.check_result`. */
export interface CheckResult {
  readonly check_result_id: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly entity_id: string;
  readonly entity_layer_run_id: string | null;
  readonly call_id: string | null;
  readonly check_name: string;
  readonly observed: unknown;
  readonly expected: unknown;
  readonly passed: boolean;
  readonly details: unknown;
  readonly checked_at: Date;
}

/** Stores the outcomes of an entity's checks for a batch in one statement, one row per check. */
export async function recordCheckResults(
  db: Db,
  subject: CheckSubject,
  outcomes: readonly CheckOutcome[],
): Promise<CheckResult[]> {
  const target = parseRunInput(CheckSubject, subject, 'record check results');
  const checks = parseRunInput(z.array(CheckOutcome), outcomes, 'record check results');
  if (checks.length === 0) return [];
  const rows = checks.map((check) => ({
    check_result_id: newRunId(),
    check_name: check.check_name,
    // null, not absent: jsonb_to_recordset reads a missing key and a JSON null alike, and SQL null is the intent
    observed: check.observed ?? null,
    expected: check.expected ?? null,
    passed: check.passed,
    details: check.details ?? null,
  }));
  const result = await query<CheckResult>(
    db,
    'record check results',
    `insert into audit.check_result (
       check_result_id, batch_id, batch_timestamp, entity_id, entity_layer_run_id, call_id,
       check_name, observed, expected, passed, details
     )
     select incoming.check_result_id, $2, $3, $4, $5, $6,
            incoming.check_name, incoming.observed, incoming.expected, incoming.passed, incoming.details
       from jsonb_to_recordset($1::jsonb) as incoming (
              check_result_id uuid, check_name text, observed jsonb, expected jsonb, passed boolean, details jsonb
            )
     returning *`,
    [
      JSON.stringify(rows), target.batch_id, target.batch_timestamp, target.entity_id,
      target.entity_layer_run_id ?? null, target.call_id ?? null,
    ],
  );
  return result.rows;
}

/** The check results of one batch, per entity in check order (the dashboard's lineage view). */
export async function readCheckResults(db: Db, batchId: string): Promise<CheckResult[]> {
  const result = await query<CheckResult>(
    db,
    'read check results',
    `select *
       from audit.check_result
      where batch_id = $1
      order by entity_id, checked_at, check_name`,
    [batchId],
  );
  return result.rows;
}
