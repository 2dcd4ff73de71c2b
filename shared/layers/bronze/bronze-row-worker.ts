/**
 * Bronze's row pipeline across two threads (`BRONZE_ROW_THREAD=worker`): the main thread reads the landed records
 * and streams COPY to PostgreSQL, a worker thread (`bronze-row-thread.ts`) does the per-record work (processor,
 * coercion, checks, COPY encoding). The JavaScript of one batch of records overlaps the reading of the next. The
 * price is copying every record to the worker (structured clone, paid on both threads): it pays off only when the
 * second core is free (docs/bronze.md, "Threads").
 */
import { Worker } from 'node:worker_threads';
import { ColumnCollisionError } from '../../core/errors.ts';
import { ConfigurationError, DataRejectedError } from '../../errors.ts';
import type { LandedRecord } from '../../adapters/mongo/landing-store.ts';
import type { BronzeRows, BronzeRowsConfig } from './bronze-rows.ts';
import { ROW_THREAD_ROLE, type RowThreadReply, type RowThreadRequest, type ThreadError } from './bronze-row-thread.ts';

/** Records per message to the worker: big enough that messaging costs little, small enough to keep memory flat. */
const RECORDS_PER_MESSAGE = 256;
/** Messages the worker may have queued: enough to keep it busy while the main thread reads or writes. */
const MESSAGES_IN_FLIGHT = 4;

/**
 * Threads kept between loads, unreferenced (they never keep the process alive): a thread costs 100–300 ms to start,
 * which a function process pays once, not per call. Concurrent loads get a thread each; one is kept.
 */
const idleThreads: Worker[] = [];
const MAX_IDLE_THREADS = 1;

/**
 * Starts one batch load in a worker thread (an idle one, else a new one). Call `close` when done, whatever happened:
 * an error of the worker (a `ColumnCollisionError`, a `ConfigurationError`…) is rethrown on this thread with its
 * class and message.
 *
 * @example
 * const rows = startBronzeRowWorker(source, { bronze, write, options });
 * try { await copyText(tx, table, spec.columns, rows.text); const { counts, checks } = await rows.finish(); }
 * finally { await rows.close(); }
 */
export function startBronzeRowWorker(source: AsyncIterable<LandedRecord>, config: BronzeRowsConfig): BronzeRows {
  const worker = idleThreads.pop() ?? spawnRowThread();
  worker.ref();
  const replies: RowThreadReply[] = [];
  let waiter: { resolve: (reply: RowThreadReply) => void; reject: (error: unknown) => void } | undefined;
  let failure: Error | undefined;
  let closed = false;
  let finished = false;
  let keysOverflowed = false;

  const fail = (error: Error): void => {
    failure ??= error;
    waiter?.reject(failure);
    waiter = undefined;
  };
  const onMessage = (reply: RowThreadReply): void => {
    if (waiter === undefined) replies.push(reply);
    else {
      waiter.resolve(reply);
      waiter = undefined;
    }
  };
  const onExit = (code: number): void => {
    if (!closed) fail(new Error(`the bronze row worker stopped early (exit code ${code})`));
  };
  worker.on('message', onMessage);
  worker.on('error', fail);
  worker.on('exit', onExit);

  async function receive<T extends RowThreadReply['type']>(type: T): Promise<Extract<RowThreadReply, { type: T }>> {
    const reply = replies.shift() ?? (failure ? Promise.reject(failure) : new Promise<RowThreadReply>((resolve, reject) => (waiter = { resolve, reject })));
    const received = await reply;
    if (received.type === 'error') throw reviveError(received.error);
    if (received.type !== type) throw new Error(`the bronze row worker answered ${received.type} where ${type} was due`);
    return received as Extract<RowThreadReply, { type: T }>;
  }
  const send = (request: RowThreadRequest): void => worker.postMessage(request);
  send({ type: 'start', job: config });

  async function* text(): AsyncGenerator<Uint8Array> {
    const records = source[Symbol.asyncIterator]();
    let sourceDone = false;
    let inFlight = 0;
    try {
      for (;;) {
        // Keep the worker's queue full: it works on earlier records while this thread reads the next ones.
        while (!sourceDone && inFlight < MESSAGES_IN_FLIGHT) {
          const batch: LandedRecord[] = [];
          while (batch.length < RECORDS_PER_MESSAGE) {
            const next = await records.next();
            if (next.done === true) {
              sourceDone = true;
              break;
            }
            batch.push(next.value);
          }
          if (batch.length === 0) break;
          send({ type: 'records', records: batch });
          inFlight += 1;
        }
        if (inFlight === 0) return;
        const reply = await receive('rows');
        inFlight -= 1;
        keysOverflowed = reply.keys_overflowed;
        if (reply.text.byteLength > 0) yield reply.text;
      }
    } finally {
      if (!sourceDone) await records.return?.();
    }
  }

  return {
    text: text(),
    keysOverflowed: () => keysOverflowed,
    async finish(duplicates) {
      send(duplicates === undefined ? { type: 'finish' } : { type: 'finish', duplicates });
      const { counts, checks } = await receive('results');
      finished = true;
      return { counts, checks };
    },
    async close() {
      if (closed) return;
      closed = true;
      worker.off('message', onMessage);
      worker.off('error', fail);
      worker.off('exit', onExit);
      // Only a thread that finished its load cleanly is kept: after a failure, replies may still be on their way.
      if (finished && failure === undefined && idleThreads.length < MAX_IDLE_THREADS) {
        worker.unref();
        idleThreads.push(worker);
        return;
      }
      await worker.terminate();
    },
  };
}

/**
 * The worker's code: bundled, the build inlines it as this variable (`WORKER_SCRIPTS` in dev/build.ts), since a
 * function image holds its one bundle; unbundled (tests, tsx), the TypeScript module itself, loaded through tsx's
 * loader, registered in the thread (a worker's `execArgv` cannot `--import` it).
 */
function spawnRowThread(): Worker {
  const bundled = process.env.DATAPLATFORM_BRONZE_ROW_WORKER;
  if (bundled !== undefined) return new Worker(bundled, { eval: true, workerData: ROW_THREAD_ROLE });
  const module = JSON.stringify(new URL('./bronze-row-thread.ts', import.meta.url).href);
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${module}); })`;
  return new Worker(boot, { eval: true, workerData: ROW_THREAD_ROLE, execArgv: [] });
}

// The errors the per-record work can raise, rebuilt with their class: callers and the template's server tell them
// apart by class (status, code). Anything else comes back as an Error with the worker's name, message and stack.
function reviveError(error: ThreadError): Error {
  const fields = error.fields;
  switch (error.name) {
    case 'ColumnCollisionError':
      return new ColumnCollisionError(fields.column as string, fields.paths as [string, string], fields.entity as string | undefined);
    case 'ConfigurationError':
      return new ConfigurationError(error.message);
    case 'DataRejectedError':
      return new DataRejectedError(error.message);
    default: {
      const revived = error.name === 'TypeError' ? new TypeError(error.message) : new Error(error.message);
      if (error.name !== 'TypeError') revived.name = error.name;
      if (error.stack !== undefined) revived.stack = error.stack;
      return revived;
    }
  }
}
