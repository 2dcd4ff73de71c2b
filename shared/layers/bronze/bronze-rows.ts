/**
 * The heart of bronze: landed records in, COPY rows out. Each record goes through the entity's processor, each
 * row through coercion to the model's types, and every row feeds the data-quality checks as it passes, so memory
 * does not grow with the batch (only the checks' key set does).
 */
import { createRowCoercer, type CoercionIssue } from '../../core/coerce.ts';
import { copyEncodings, createCopyFieldsEncoder, encodeCopyValue, escapeCopyText } from '../../core/copy-text.ts';
import { createCheckAccumulator } from '../../core/dq-accumulator.ts';
import type { CheckResult, SampledCount } from '../../core/dq-checks.ts';
import { isJsonObject } from '../../core/json.ts';
import { compileProcessor } from '../../core/processors/index.ts';
import type { ProcessorIssue } from '../../core/processors/types.ts';
import type { LandedRecord } from '../../adapters/mongo/landing-store.ts';
import type { BronzeEntity } from './bronze-entity.ts';

/** The values of the bronze system columns every row of this write carries (`BRONZE_SYSTEM_COLUMNS` order). */
export interface BronzeWrite {
  readonly batch_id: string;
  /** The batch's timestamp as PostgreSQL's text (exact to the microsecond), or a Date. */
  readonly batch_timestamp: string | Date;
  readonly call_id: string;
  /** `_dp_run_id`: the bronze run's attempt number for this batch and entity, so a later write sorts later. */
  readonly run_number: number;
}

/** What a stream counted once it has been read to the end. */
export interface BronzeRowCounts {
  /** Landing records read. */
  readonly records_in: number;
  /** Rows the processor made (what the checks judged). */
  readonly rows_out: number;
  /** Rows handed to COPY. */
  readonly rows_written: number;
  /** Rows not written (a value that cannot be stored) plus records the processor could not read. */
  readonly rows_rejected: number;
  /** Source fields no model column reads: field → rows that had a value for it. Reported, never dropped silently. */
  readonly unmapped_fields: Readonly<Record<string, number>>;
}

/**
 * Makes one entity's rows from its landed records, one record at a time, and what they showed. Synchronous, so
 * a batch of records costs no promise per row (`streamBronzeRows` drives one as COPY pulls).
 */
export interface BronzeRowBuilder {
  /**
   * One landed record: each row to write goes to `emit` as a line of COPY text (newline included), columns in
   * bronze table order: the model's, then the system columns (`bronzeTableSpec`).
   */
  addRecord(landed: LandedRecord, emit: (line: string) => void): void;
  /** The counts of the records added so far. */
  counts(): BronzeRowCounts;
  /** The checks' results over every row the processor made; call once every record is added. */
  checkResults(): CheckResult[];
  /**
   * More distinct keys than `max_tracked_keys` and one may repeat: give the duplicate keys counted in the table to
   * `setDuplicateKeys`.
   */
  needsTableDuplicateCount(): boolean;
  setDuplicateKeys(found: SampledCount): void;
}

/** One batch load's rows as COPY text, and what they showed (`streamBronzeRows`). */
export interface BronzeRows {
  /** The rows as COPY text (whole rows per chunk, in record order), pulled from the source as it is read. Read once. */
  readonly text: AsyncIterable<Uint8Array>;
  /** Only the table can tell the duplicate keys (see `BronzeRowBuilder`): count them there and pass them to `finish`. */
  needsTableDuplicateCount(): boolean;
  /** Once `text` is read to the end: the counts and the checks' results. */
  finish(duplicates?: SampledCount): { readonly counts: BronzeRowCounts; readonly checks: CheckResult[] };
}

/** What a batch load's rows are made for: the entity, the system column values, the checks' options. */
export interface BronzeRowsConfig {
  readonly bronze: BronzeEntity;
  readonly write: BronzeWrite;
  readonly options: BronzeRowStreamOptions;
}

/** Characters of COPY text per chunk, about: large enough that per-chunk cost vanishes. */
export const BRONZE_CHUNK_CHARS = 64 * 1024;

/** Makes the rows record by record as COPY pulls them (load-bronze-batch.ts). */
export function streamBronzeRows(source: AsyncIterable<LandedRecord>, config: BronzeRowsConfig): BronzeRows {
  // Built when COPY first pulls, so a configuration error surfaces where it always did: after the table is ensured.
  let made: BronzeRowBuilder | undefined;
  const builder = (): BronzeRowBuilder => (made ??= createBronzeRowBuilder(config.bronze, config.write, config.options));
  async function* text(): AsyncGenerator<Uint8Array> {
    const rows = builder();
    let pending = '';
    const append = (line: string): void => {
      pending += line;
    };
    for await (const landed of source) {
      rows.addRecord(landed, append);
      // String length counts UTF-16 units, not bytes: close enough to bound a chunk.
      if (pending.length >= BRONZE_CHUNK_CHARS) {
        yield Buffer.from(pending, 'utf8');
        pending = '';
      }
    }
    if (pending.length > 0) yield Buffer.from(pending, 'utf8');
  }
  return {
    text: text(),
    needsTableDuplicateCount: () => builder().needsTableDuplicateCount(),
    finish(duplicates) {
      const rows = builder();
      if (duplicates !== undefined) rows.setDuplicateKeys(duplicates);
      return { counts: rows.counts(), checks: rows.checkResults() };
    },
  };
}

/** Options of a stream: what the checks compare with. */
export interface BronzeRowStreamOptions {
  /** Rows of the entity's previous successful batch (row-count change, full-load guard); null when none. */
  readonly previous_row_count: number | null;
  /** Distinct keys the uniqueness check holds in memory; default `BRONZE_MAX_TRACKED_KEYS`. */
  readonly max_tracked_keys?: number;
}

/**
 * Keys the uniqueness check holds in memory (~100 bytes each, so ~10 MB): batches up to here are checked as they
 * stream. Larger ones (a backfill of millions of rows) go on with the keys' fingerprints (8 bytes each): none
 * repeating proves no duplicate; when one repeats, the duplicates are counted in the loaded table. Memory stays
 * bounded.
 */
export const BRONZE_MAX_TRACKED_KEYS = 100_000;

/**
 * Builds the row builder of one entity's batch. The failure policy (`quality.on_uncoercible`): with `fail` (the
 * default) a row with any value that cannot be coerced is not written and the `values_coercible` check fails the
 * run; with `null` such values are stored as null and the check only warns, except in a key or non-nullable
 * column, which cannot hold null: that row is not written and the check fails the run. Records the processor
 * cannot read (wrong shape, unknown wrapper type) are reported through the same check with their path.
 */
export function createBronzeRowBuilder(bronze: BronzeEntity, write: BronzeWrite, options: BronzeRowStreamOptions): BronzeRowBuilder {
  const { model, entity, quality } = bronze;
  const process = compileProcessor(bronze.processor, model);
  const coerce = createRowCoercer(model, entity.id, { timeZone: bronze.timeZone });
  const checks = createCheckAccumulator({
    model,
    load_type: entity.load_type,
    quality,
    processor_columns: bronze.processorColumns,
    previous_row_count: options.previous_row_count,
  }, { maxTrackedKeys: options.max_tracked_keys ?? BRONZE_MAX_TRACKED_KEYS });
  const keys = new Set(model.key);
  const required = new Set(model.columns.filter((column) => column.key || !column.nullable || keys.has(column.name)).map((column) => column.name));
  const nullsAllowed = quality.on_uncoercible === 'null';
  const encodeFields = createCopyFieldsEncoder(copyEncodings(model.columns));
  // The system columns are the batch's but for the last two, the record's id and position: encoded once.
  const batchColumns = [write.batch_id, write.batch_timestamp, write.call_id, write.run_number].map((value) => `\t${encodeCopyValue(value, 'plain')}`).join('');
  let recordsIn = 0;
  let rowsOut = 0;
  let rowsWritten = 0;
  let rowsRejected = 0;
  let requiredIssues = 0;

  const issues: CoercionIssue[] = [];

  function addRecord(landed: LandedRecord, emit: (line: string) => void): void {
    recordsIn += 1;
    const { position } = landed;
    let recordColumns: string | undefined;
    if (!isJsonObject(landed.record)) {
      rowsRejected += 1;
      checks.addCoercionIssues([processorIssue(entity.id, { position, path: '(record)', reason: 'expected an object record' })]);
      return;
    }
    const result = process(landed.record, position);
    if (result.unmapped.length > 0) checks.addUnmapped(result.unmapped);
    if (result.issues.length > 0) {
      rowsRejected += result.issues.length;
      checks.addCoercionIssues(result.issues.map((found) => processorIssue(entity.id, found)));
    }
    for (let i = 0; i < result.rows.length; i += 1) {
      rowsOut += 1;
      issues.length = 0;
      const values = coerce(result.rows[i]!, position, issues);
      checks.add(values);
      if (issues.length > 0) {
        checks.addCoercionIssues(issues);
        const blocking = issues.filter((found) => required.has(found.column)).length;
        requiredIssues += blocking;
        if (!nullsAllowed || blocking > 0) {
          rowsRejected += 1;
          continue;
        }
      }
      recordColumns ??= `${batchColumns}\t${escapeCopyText(landed.record_id)}\t${encodeCopyValue(position, 'plain')}\n`;
      rowsWritten += 1;
      emit(encodeFields(values) + recordColumns);
    }
  }

  return {
    addRecord,
    counts: () => ({
      records_in: recordsIn,
      rows_out: rowsOut,
      rows_written: rowsWritten,
      rows_rejected: rowsRejected,
      unmapped_fields: checks.summary().unmapped_fields,
    }),
    needsTableDuplicateCount: () => checks.needsTableDuplicateCount(),
    setDuplicateKeys: (found) => checks.setDuplicateKeys(found),
    checkResults() {
      const results = checks.results();
      if (requiredIssues === 0) return results;
      // Null cannot stand in for a value of a key or non-nullable column: under `null` too, that fails the run.
      return results.map((check) =>
        check.check === 'values_coercible'
          ? { ...check, severity: 'error', details: { ...check.details, required_column_issues: requiredIssues } }
          : check,
      );
    },
  };
}

function processorIssue(entity: string, found: ProcessorIssue): CoercionIssue {
  return { entity, position: found.position, column: '', path: found.path, value: '', reason: found.reason };
}
