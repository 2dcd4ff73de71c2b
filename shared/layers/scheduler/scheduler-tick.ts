import { isPlatformError, PlatformError } from '../../errors.ts';
import type { FunctionCall } from '../../runtime/define-function.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import { DEFAULT_LOST_CALL_POLICY, sendLostCallsAgain, type LostCallPolicy } from '../../runs/outbox.ts';
import { deliverOutbox } from '../chaining/deliver-outbox.ts';
import type { RequeuePolicy } from '../../runs/requeued-runs.ts';
import { requeueWork, type RequeuedRun } from './requeue-work.ts';
import { startDueActions, type StartedAction } from './start-due-actions.ts';
import { startDueSystems, type StartedSystem } from './start-due-systems.ts';

/** A step of the tick failed for a reason that is not one of the platform's errors (a bug). */
export class SchedulerStepError extends PlatformError {
  readonly status = 500;
  readonly code = 'scheduler_step_failed';

  constructor(
    readonly step: string,
    options?: ErrorOptions,
  ) {
    super(`scheduler step "${step}" failed`, options);
  }
}

/** Settings of a tick, with defaults for production. */
export interface TickOptions {
  readonly requeuePolicy?: RequeuePolicy;
  /** When a delivered call that started no run counts as lost (default: after 5 min, sent again at most 5 times). */
  readonly lostCallPolicy?: LostCallPolicy;
  /** Outbox messages delivered per tick at most. Default 200. */
  readonly maxDeliveries?: number;
}

/**
 * One scheduler tick (cron-connector calls it every minute), idempotent and safe to overlap:
 * 1. start the systems whose schedule fired since their last start (one connector call each, via the outbox), and the
 *    actions whose `schedule` fired (one action call each, with an `action-schedule-fired` event);
 * 2. re-queue failed work with retries left and work whose call died;
 * 3. make delivered calls that never started a run due again (lost: the function failed before it could record
 *    anything, and OpenFaaS CE does not retry);
 * 4. deliver due outbox messages: what steps 1 to 3 wrote, and what earlier deliveries could not hand over.
 * The steps are independent: when metadata cannot be read, the outbox is still delivered. The answer lists what
 * happened; a failed step makes the tick `failed` with that step's error, after the other steps ran.
 */
export async function runSchedulerTick(call: FunctionCall, options: TickOptions = {}): Promise<Outcome> {
  const now = call.deps.now();
  const errors: Array<{ step: string; error: unknown }> = [];
  const attempt = async <T>(step: string, work: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      call.log.error({ err: error, step }, 'scheduler step failed');
      errors.push({ step, error });
      return fallback;
    }
  };

  const metadata = await attempt('load metadata', () => call.deps.metadata(), undefined);
  let started: StartedSystem[] = [];
  let startedActions: StartedAction[] = [];
  let requeued: RequeuedRun[] = [];
  if (metadata) {
    const report = await attempt(
      'start due systems',
      async () => startDueSystems(await call.deps.pool(), metadata.systems, { now, callId: call.callId, log: call.log }),
      { started: [], failures: [] },
    );
    started = report.started;
    for (const failure of report.failures) errors.push({ step: `start ${failure.system_id}`, error: failure.error });
    const actionReport = await attempt(
      'start due actions',
      async () => startDueActions(await call.deps.pool(), metadata.actions, { now, callId: call.callId, log: call.log }),
      { started: [], failures: [] },
    );
    startedActions = actionReport.started;
    for (const failure of actionReport.failures) errors.push({ step: `start action ${failure.action_id}`, error: failure.error });
    requeued = await attempt(
      're-queue work',
      async () =>
        requeueWork(await call.deps.pool(), metadata, {
          callId: call.callId,
          log: call.log,
          ...(options.requeuePolicy ? { policy: options.requeuePolicy } : {}),
        }),
      [],
    );
  }
  // Before delivering: a lost call made due again goes out in this same tick.
  const sentAgain = await attempt(
    'send lost calls again',
    async () => {
      const lost = await sendLostCallsAgain(await call.deps.pool(), options.lostCallPolicy ?? lostCallPolicyFromEnv());
      for (const message of lost) call.log.warn({ outbox_id: message.id, target_function: message.target_function, batch_id: message.batch_id, lost_call_id: message.delivered_call_id }, 'a delivered call never started; sending it again');
      return lost.length;
    },
    0,
  );
  const delivery = await attempt(
    'deliver outbox',
    async () =>
      deliverOutbox(await call.deps.pool(), call.deps.gateway(), {
        log: call.log,
        ...(options.maxDeliveries === undefined ? {} : { maxMessages: options.maxDeliveries }),
      }),
    { delivered: 0, failed: 0 },
  );

  const facts = {
    now: now.toISOString(),
    started,
    started_actions: startedActions,
    requeued: requeued.length,
    requeued_runs: requeued,
    lost_calls_sent_again: sentAgain,
    delivered: delivery.delivered,
    delivery_failed: delivery.failed,
  };
  const first = errors[0];
  if (first === undefined) return { status: 'succeeded', ...facts };
  const error = isPlatformError(first.error) ? first.error : new SchedulerStepError(first.step, { cause: first.error });
  return { status: 'failed', error, failed_steps: errors.map((each) => each.step), ...facts };
}

/**
 * The lost-call grace of this process: `LOST_CALL_GRACE_SECONDS` (stack.yml; a test lowers it), else 5 minutes. Longer
 * than the async queue usually holds a call: a call only slow in the queue is sent twice and skipped the second time.
 */
function lostCallPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): LostCallPolicy {
  const grace = Number(env.LOST_CALL_GRACE_SECONDS);
  return Number.isInteger(grace) && grace > 0 ? { ...DEFAULT_LOST_CALL_POLICY, graceSeconds: grace } : DEFAULT_LOST_CALL_POLICY;
}
