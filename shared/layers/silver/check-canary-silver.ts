/**
 * The canary's check (docs/test-system.md, "The canary"): silver of a canary system (a jsonfile system whose folder
 * is the test-data generator's, `connection.canary`) must be exactly what the generator expects. After silver
 * applied a batch of an entity, the entity's whole silver table is compared with `expected/silver/<entity>.json` of
 * the newest batch folder silver holds for it; a difference fails the silver run, naming key, version and column.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ident, qualified } from '../../adapters/postgres/sql.ts';
import { query, type Db, type Transaction } from '../../adapters/postgres/transaction.ts';
import { diffSilverState, STATE_COLUMNS, type StateDifference, type StateRow } from '../../core/silver-state-diff.ts';
import { SILVER_COLUMN, SILVER_SCHEMA } from '../../core/table-layout.ts';
import { ConfigurationError, DataRejectedError } from '../../errors.ts';
import type { System } from '../../metadata/system-schema.ts';
import { recordCheckResults } from '../../runs/check-results.ts';
import { readBatchPositions } from '../../runs/cursors.ts';
import { listAppliedBatches } from './applied-batches.ts';
import type { SilverEntity } from './silver-entity.ts';

/** The check's name in `audit.check_result`. */
export const CANARY_CHECK = 'canary_expected_state';

/** Differences quoted in the run's error; all of them (up to 100) go to the check result. */
const QUOTED_DIFFERENCES = 5;

/** A jsonfile system that is a canary. */
export type CanarySystem = Extract<System, { type: 'jsonfile' }>;

/** Whether a system is a canary, whose silver the check compares. */
export function isCanary(system: System | undefined): system is CanarySystem {
  return system?.type === 'jsonfile' && system.connection.canary;
}

/** What the check compares, and the run it belongs to. */
export interface CanaryCheckInput {
  readonly system: CanarySystem;
  readonly entity: SilverEntity;
  readonly run: { readonly run_id: string; readonly batch_id: string; readonly batch_timestamp: Date | string };
  readonly callId: string | undefined;
  /** Where a relative `connection.path` is read from (JSONFILE_BASE_DIR, as the connector reads it). */
  readonly baseDir: string;
}

/**
 * Compares the entity's silver table, in `tx` (so it sees what this call just applied), with the generator's expected
 * state after the newest batch folder silver holds (which batch landed which folder: the cursor positions). A match
 * is recorded as a passed check in `tx`; a difference is recorded as a failed check through `pool` (it outlives the
 * rollback that follows) and thrown as a `DataRejectedError`. A newest batch that landed no folder (a replay, a push)
 * cannot be checked and fails too: the canary's silver no longer follows the generator.
 */
export async function checkCanarySilver(tx: Transaction, pool: Db, input: CanaryCheckInput): Promise<void> {
  const { system, entity } = input;
  const shown = `canary ${system.id}: silver.${entity.table}`;
  const positions = await readBatchPositions(tx, system.id);
  const folderOf = new Map(positions.map((batch) => [batch.batch_id, batch.position]));
  const labelOf = new Map(positions.map((batch) => [batch.batch_timestamp.toISOString(), batch.position]));
  const newest = (await listAppliedBatches(tx, entity.schemas?.silver ?? SILVER_SCHEMA, entity.id)).at(-1);
  const folder = newest === undefined ? undefined : folderOf.get(newest.batch_id);
  if (newest === undefined || folder === undefined) {
    throw new DataRejectedError(
      `${shown} holds batch ${newest?.batch_id ?? '(none)'}, which landed no batch folder of ${system.connection.path} (a replay or a ` +
        'push?), so it cannot be checked: its silver no longer follows the generator (docs/test-system.md, "Start the canary over")',
    );
  }
  const expected = await readExpectedState(input, folder);
  const actual = await readSilverState(tx, input.entity, (timestamp) => labelOf.get(timestamp.toISOString()) ?? `unknown batch ${timestamp.toISOString()}`);
  const differences = diffSilverState(entity.model, actual, expected);
  const subject = {
    batch_id: input.run.batch_id,
    batch_timestamp: new Date(input.run.batch_timestamp),
    entity_id: entity.id,
    entity_layer_run_id: input.run.run_id,
    call_id: input.callId ?? null,
  };
  const outcome = {
    check_name: CANARY_CHECK,
    observed: { rows: actual.length, differences: differences.length },
    expected: { rows: expected.length, state_after: folder },
    passed: differences.length === 0,
    ...(differences.length === 0 ? {} : { details: { differences: differences.slice(0, 100).map((difference) => difference.message) } }),
  };
  if (differences.length === 0) {
    await recordCheckResults(tx, subject, [outcome]);
    return;
  }
  await recordCheckResults(pool, subject, [outcome]);
  throw new DataRejectedError(`${shown} differs from the generator's expected state after ${folder}: ${describe(differences)}`);
}

function describe(differences: readonly StateDifference[]): string {
  const quoted = differences.slice(0, QUOTED_DIFFERENCES).map((difference) => difference.message).join('; ');
  const more = differences.length - QUOTED_DIFFERENCES;
  const count = `${differences.length} ${differences.length === 1 ? 'difference' : 'differences'}`;
  return `${count}: ${quoted}${more > 0 ? `; and ${more} more (audit.check_result)` : ''}`;
}

/** `<folder>/expected/silver/<entity>.json` of the canary's folder. */
async function readExpectedState(input: CanaryCheckInput, folder: string): Promise<StateRow[]> {
  const relative = path.join(input.system.connection.path, folder, 'expected', 'silver', `${input.entity.id}.json`);
  let text: string;
  try {
    text = await readFile(path.resolve(input.baseDir, relative), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigurationError(
      `canary ${input.system.id}: cannot read ${relative} (${code}); silver reads the canary's folder as the connector does (JSONFILE_BASE_DIR)`,
      { cause: error },
    );
  }
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    rows = undefined;
  }
  if (!Array.isArray(rows)) throw new DataRejectedError(`canary ${input.system.id}: ${relative} is not a JSON array of rows`);
  return rows as StateRow[];
}

/** The entity's silver table: model columns and state columns, validity read as batch folder names. */
async function readSilverState(tx: Transaction, entity: SilverEntity, label: (timestamp: Date) => string): Promise<StateRow[]> {
  const columns = [...entity.model.columns.map((column) => column.name), ...STATE_COLUMNS];
  const table = qualified(entity.schemas?.silver ?? SILVER_SCHEMA, entity.table);
  const result = await query<Record<string, unknown>>(tx, `read silver of ${entity.id} for the canary`, `select ${columns.map(ident).join(', ')} from ${table}`);
  return result.rows.map((row) => ({
    ...row,
    [SILVER_COLUMN.valid_from]: label(row[SILVER_COLUMN.valid_from] as Date),
    [SILVER_COLUMN.valid_to]: row[SILVER_COLUMN.valid_to] === null ? null : label(row[SILVER_COLUMN.valid_to] as Date),
  }));
}
