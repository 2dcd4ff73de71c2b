/**
 * Follows one batch through its chain (landing → bronze → silver → gold → actions) by polling the audit schema until
 * its work settles, showing progress as it goes. Following only reads: stopping it (Ctrl-C, a timeout) stops
 * nothing of the work.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../adapters/postgres/transaction.ts';
import { countsPerBatch } from '../runs/audit-queries.ts';
import { isSettled, readBatchWork } from '../runs/session-progress.ts';
import type { ProgressView } from './progress-view.ts';

/** How following ended: the work settled, the person stopped following, or the time given ran out. */
export type FollowEnd = 'settled' | 'stopped' | 'timed_out';

export interface FollowInput {
  readonly db: Db;
  readonly batchId: string;
  readonly view: ProgressView;
  /** Aborted when the person stops following (Ctrl-C). */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** Between two looks. Default 1 s. */
  readonly pollMs?: number;
}

/**
 * Polls until the batch settles. Settled must be seen twice in a row: the chain announces the next calls in the
 * transaction that ends a run, so one look cannot fall between two hops, but two looks keep a read that raced a
 * commit from ending the follow early.
 */
export async function followBatch(input: FollowInput): Promise<FollowEnd> {
  const deadline = Date.now() + input.timeoutMs;
  let settledLooks = 0;
  try {
    while (!input.signal.aborted) {
      const [work, counts] = await Promise.all([readBatchWork(input.db, input.batchId), countsPerBatch(input.db, { batchId: input.batchId })]);
      input.view.update({ work, counts });
      settledLooks = isSettled(work) ? settledLooks + 1 : 0;
      if (settledLooks >= 2) return 'settled';
      if (Date.now() >= deadline) return 'timed_out';
      await sleep(input.pollMs ?? 1000, undefined, { signal: input.signal }).catch(() => undefined);
    }
    return 'stopped';
  } finally {
    input.view.stop();
  }
}
