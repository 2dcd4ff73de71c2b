import { isPlatformError, PlatformError } from '../../errors.ts';
import type { FunctionCall } from '../../runtime/define-function.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import { deliverOutbox } from '../chaining/deliver-outbox.ts';
import { requeueWork, type RequeuePolicy, type RequeuedRun } from './requeue-work.ts';
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
  /** Outbox messages delivered per tick at most. Default 200. */
  readonly maxDeliveries?: number;
}

/**
 * One scheduler tick (cron-connector calls it every minute), idempotent and safe to overlap:
 * 1. start the systems whose schedule fired since their last start (one connector call each, via the outbox);
 * 2. re-queue failed work with retries left and work whose call died;
 * 3. deliver due outbox messages: what steps 1 and 2 wrote, and what earlier deliveries could not hand over.
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
  let requeued: RequeuedRun[] = [];
  if (metadata) {
    const report = await attempt(
      'start due systems',
      async () => startDueSystems(await call.deps.pool(), metadata.systems, { now, callId: call.callId, log: call.log }),
      { started: [], failures: [] },
    );
    started = report.started;
    for (const failure of report.failures) errors.push({ step: `start ${failure.system_id}`, error: failure.error });
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
    requeued: requeued.length,
    requeued_runs: requeued,
    delivered: delivery.delivered,
    delivery_failed: delivery.failed,
  };
  const first = errors[0];
  if (first === undefined) return { status: 'succeeded', ...facts };
  const error = isPlatformError(first.error) ? first.error : new SchedulerStepError(first.step, { cause: first.error });
  return { status: 'failed', error, failed_steps: errors.map((each) => each.step), ...facts };
}
