/**
 * The worker thread side of bronze's row pipeline (`bronze-row-worker.ts` is the main thread side): landed
 * records in, COPY text out. Processor, coercion, checks and COPY encoding, the per-record work, run here on the
 * second core while the main thread reads landing and streams COPY to PostgreSQL. Only plain data crosses the
 * thread boundary: batches of records in, one transferred byte buffer of whole COPY rows per batch out.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { CheckResult, SampledCount } from '../../core/dq-checks.ts';
import type { LandedRecord } from '../../adapters/mongo/landing-store.ts';
import type { BronzeEntity } from './bronze-entity.ts';
import { createBronzeRowBuilder, type BronzeRowBuilder, type BronzeRowCounts, type BronzeRowStreamOptions, type BronzeWrite } from './bronze-rows.ts';

/** What one batch load's rows are made for (`start`). */
export interface RowThreadJob {
  readonly bronze: BronzeEntity;
  readonly write: BronzeWrite;
  readonly options: BronzeRowStreamOptions;
}

/** The thread's `workerData`: marks a bronze row worker, so the module serves only as that worker's entry. */
export const ROW_THREAD_ROLE = 'dataplatform-bronze-rows';

/** Main thread → worker: `start`, then `records` any number of times, then `finish`; then the next load may start. */
export type RowThreadRequest =
  | { readonly type: 'start'; readonly job: RowThreadJob }
  | { readonly type: 'records'; readonly records: readonly LandedRecord[] }
  /** Every record is sent: judge the checks, with the duplicate keys counted in the table when the keys overflowed. */
  | { readonly type: 'finish'; readonly duplicates?: SampledCount };

/** Worker → main thread: one `rows` per `records`, in order; one `results` per `finish`; `error` ends the load. */
export type RowThreadReply =
  | { readonly type: 'rows'; readonly text: Uint8Array; readonly keys_overflowed: boolean }
  | { readonly type: 'results'; readonly counts: BronzeRowCounts; readonly checks: CheckResult[] }
  | { readonly type: 'error'; readonly error: ThreadError };

/** An error as it crosses the thread boundary: its class name, message and own fields (structured-cloneable). */
export interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Serves batch loads on `port`, one after the other: the thread outlives a load, so a process starts it once. */
export function serveBronzeRows(port: MessagePort): void {
  const encoder = new TextEncoder();
  let text = '';
  let builder: BronzeRowBuilder | undefined;
  const append = (line: string): void => {
    text += line;
  };
  port.on('message', (request: RowThreadRequest) => {
    try {
      if (request.type === 'start') {
        text = '';
        builder = undefined;
        // Built here, so a configuration error (an unknown time zone, a check on a column the model lacks) is
        // answered like any other: with the first `records`.
        builder = createBronzeRowBuilder(request.job.bronze, request.job.write, request.job.options);
        return;
      }
      if (builder === undefined) throw new Error(`bronze row worker: ${request.type} before start`);
      if (request.type === 'records') {
        for (const landed of request.records) builder.addRecord(landed, append);
        // A fresh buffer of its own (not a slice of Node's shared pool), so it can be transferred, not copied.
        const bytes = encoder.encode(text);
        text = '';
        port.postMessage({ type: 'rows', text: bytes, keys_overflowed: builder.keysOverflowed() } satisfies RowThreadReply, [bytes.buffer]);
        return;
      }
      if (request.duplicates !== undefined) builder.setDuplicateKeys(request.duplicates);
      const checks = builder.checkResults();
      port.postMessage({ type: 'results', counts: builder.counts(), checks } satisfies RowThreadReply);
      builder = undefined;
    } catch (error) {
      text = '';
      builder = undefined;
      port.postMessage({ type: 'error', error: toThreadError(error) } satisfies RowThreadReply);
    }
  });
}

function toThreadError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  // Own enumerable fields (a ColumnCollisionError's column and paths): plain data, so they clone.
  const fields = Object.fromEntries(Object.entries(error).filter(([, value]) => typeof value !== 'function'));
  return { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }), fields };
}

if (!isMainThread && parentPort !== null && workerData === ROW_THREAD_ROLE) serveBronzeRows(parentPort);
