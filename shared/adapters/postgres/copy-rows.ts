/**
 * PostgreSQL's bulk path: `copy … from stdin` in text format, streamed. Rows are encoded by
 * `shared/core/copy-text.ts`, packed into chunks and written with backpressure, so memory holds a few chunks
 * whatever the number of rows.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { copyEncodings, createCopyRowEncoder, type CopyValue } from '../../core/copy-text.ts';
import { isPlatformError } from '../../errors.ts';
import { wrapPgError } from './errors.ts';
import { ident, qualified } from './sql.ts';
import type { Transaction } from './transaction.ts';

/** A column COPY writes: its name, and whether it is jsonb (its values are written as JSON text). */
export interface CopyColumn {
  readonly name: string;
  readonly type: string;
}

/** The table COPY writes into; `schema: 'pg_temp'` names a temp table. */
export interface CopyTable {
  readonly schema: string;
  readonly table: string;
}

/** Rows as arrays of values in column order, produced lazily (a generator) or at once. */
export type CopySource = AsyncIterable<readonly CopyValue[]> | Iterable<readonly CopyValue[]>;

/** Options of `copyRows`. */
export interface CopyOptions {
  /** Bytes of COPY text sent per message, about. Default 64 KiB: large enough that per-message cost vanishes. */
  readonly chunkBytes?: number;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * Streams `rows` into `table` with `copy … from stdin` inside the caller's transaction and returns the number of
 * rows written. The source is pulled only as fast as the server takes the data. When the source throws, COPY is
 * aborted (the transaction is then failed and must roll back) and that error is rethrown unchanged; a value the
 * server refuses becomes a `PostgresError` naming the table.
 *
 * @example
 * await withTransaction(pool, (tx) => copyRows(tx, { schema: 'bronze', table: 'test_customer' }, columns, rows()));
 */
export async function copyRows(
  tx: Transaction,
  table: CopyTable,
  columns: readonly CopyColumn[],
  rows: CopySource,
  options: CopyOptions = {},
): Promise<number> {
  const encode = createCopyRowEncoder(copyEncodings(columns));
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;

  async function* chunks(): AsyncGenerator<Buffer> {
    let pending = '';
    for await (const row of rows) {
      pending += encode(row);
      // String length counts UTF-16 units, not bytes: close enough to bound a chunk.
      if (pending.length >= chunkBytes) {
        yield Buffer.from(pending, 'utf8');
        pending = '';
      }
    }
    if (pending.length > 0) yield Buffer.from(pending, 'utf8');
  }

  return copyText(tx, table, columns, chunks(), { chunkBytes });
}

/**
 * Streams COPY text already encoded (`shared/core/copy-text.ts`: whole rows per chunk, each ending in a newline)
 * into `table`, as `copyRows` does with rows: for a producer that encodes its own rows (bronze's row builder).
 * Same contract: pulled only as fast as the server takes the data; a throwing source aborts COPY and its error is
 * rethrown unchanged.
 */
export async function copyText(
  tx: Transaction,
  table: CopyTable,
  columns: readonly CopyColumn[],
  chunks: AsyncIterable<Uint8Array>,
  options: CopyOptions = {},
): Promise<number> {
  const sql = `copy ${qualified(table.schema, table.table)} (${columns.map((column) => ident(column.name)).join(', ')}) from stdin`;
  const stream = tx.client.query(copyFrom(sql));
  let sourceError: unknown;

  async function* watched(): AsyncGenerator<Uint8Array> {
    try {
      yield* chunks;
    } catch (error) {
      sourceError = error;
      throw error;
    }
  }

  try {
    await pipeline(Readable.from(watched(), { objectMode: false, highWaterMark: options.chunkBytes ?? DEFAULT_CHUNK_BYTES }), stream);
  } catch (error) {
    if (sourceError !== undefined && (error === sourceError || isPlatformError(sourceError))) throw sourceError;
    throw wrapPgError(error, `copy rows into ${table.schema}.${table.table}`);
  }
  return stream.rowCount;
}
