import type { Pool } from '../../adapters/postgres/pool.ts';
import { withTransaction } from '../../adapters/postgres/transaction.ts';
import type { Logger } from '../../log.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import {
  DEFAULT_REQUEUE_POLICY,
  findRequeueCandidates,
  linkRequeuedRun,
  recordRequeue,
  type RequeueCandidate,
  type RequeuePolicy,
} from '../../runs/requeued-runs.ts';
import { actionFunction } from '../../runtime/payloads.ts';
import { announceCalls, type ChainedCall } from '../chaining/announce-calls.ts';
import { callForWork } from '../chaining/work-call.ts';

/** A run the tick re-queued. */
export interface RequeuedRun {
  readonly run_id: string;
  readonly reason: 'failed' | 'stale';
  readonly target_function: string;
  readonly batch_id: string;
  readonly system_id: string;
  readonly entity_id: string | null;
  /** The attempt number the re-queued call will get. */
  readonly attempt: number;
}

/**
 * Re-queues failed work with retries left and work whose call died (`running` past its timeout): one outbox message
 * per run, to the function that does that work (an action attempt: its call again), with `force: false`, so run
 * control takes the stale run over or starts the failed work as its next attempt (and skips it if it succeeded meanwhile). Each re-queue is recorded in
 * `audit.requeued_run` in the message's transaction, once per run, so overlapping ticks re-queue a run once and
 * the attempts stay bounded (`maxAttempts`, counted by the run rows themselves).
 */
export async function requeueWork(
  pool: Pool,
  metadata: Pick<MetadataSet, 'systems' | 'entities' | 'actions'>,
  options: { readonly callId: string | undefined; readonly log: Logger; readonly policy?: RequeuePolicy },
): Promise<RequeuedRun[]> {
  const policy = options.policy ?? DEFAULT_REQUEUE_POLICY;
  const requeued: RequeuedRun[] = [];
  for (const candidate of await findRequeueCandidates(pool, policy)) {
    const log = options.log.child({ run_id: candidate.run_id, batch_id: candidate.batch_id, system_id: candidate.system_id });
    const call = candidate.level === 'action' ? actionCall(candidate, metadata) : callForWork({ ...candidate, level: candidate.level }, metadata, { force: false });
    const decision = await withTransaction(pool, async (tx): Promise<'requeued' | 'not_requeued' | 'already_handled'> => {
      const isSkip = 'skip' in call;
      const isRecorded = await recordRequeue(tx, {
        run_id: candidate.run_id,
        level: candidate.level,
        batch_id: candidate.batch_id,
        batch_timestamp: candidate.batch_timestamp,
        system_id: candidate.system_id,
        layer: candidate.layer,
        entity_id: candidate.entity_id,
        reason: candidate.reason,
        attempt: candidate.attempt + 1,
        decision: isSkip ? 'not_requeued' : 'requeued',
        note: isSkip ? call.skip : null,
        target_function: isSkip ? null : call.function,
        call_id: options.callId ?? null,
      });
      if (!isRecorded) return 'already_handled'; // another tick took this run
      if (isSkip) return 'not_requeued';
      const [message] = await announceCalls(
        tx,
        { batch_id: candidate.batch_id, batch_timestamp: candidate.batch_timestamp, call_id: options.callId },
        [call],
      );
      await linkRequeuedRun(tx, candidate.run_id, message?.id);
      return 'requeued';
    });
    if ('skip' in call) {
      if (decision === 'not_requeued') log.warn({ reason: call.skip }, 'failed work not re-queued');
      continue;
    }
    if (decision !== 'requeued') continue;
    log.info({ reason: candidate.reason, target_function: call.function, attempt: candidate.attempt + 1 }, 'work re-queued');
    requeued.push({
      run_id: candidate.run_id,
      reason: candidate.reason,
      target_function: call.function,
      batch_id: candidate.batch_id,
      system_id: candidate.system_id,
      entity_id: candidate.entity_id,
      attempt: candidate.attempt + 1,
    });
  }
  return requeued;
}

/** An action attempt's call again, unless the action is gone or off (the event happened, whatever its system is now). */
function actionCall(candidate: RequeueCandidate, metadata: Pick<MetadataSet, 'actions'>): ChainedCall | { skip: string } {
  const action = metadata.actions.find((each) => each.id === candidate.action_id);
  if (!action?.enabled || candidate.request === undefined) return { skip: `action ${candidate.action_id ?? '?'} is unknown or disabled` };
  return { function: actionFunction(action.type), payload: candidate.request };
}
