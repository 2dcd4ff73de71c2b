import type { FunctionAccess } from '../../shared/handler.ts';
import { runSchedulerTick } from '../../shared/layers/scheduler/scheduler-tick.ts';
import { defineFunction, type FunctionDefinition } from '../../shared/runtime/define-function.ts';
import { SchedulerRequest } from '../../shared/runtime/payloads.ts';

/**
 * The platform's heartbeat, called every minute by cron-connector (no body, no content type): starts the systems
 * whose schedule is due, re-queues failed and lost work, delivers the outbox. See docs/runtime.md.
 */
export const scheduler: FunctionDefinition<typeof SchedulerRequest> = {
  name: 'scheduler',
  request: SchedulerRequest,
  run: (_request, call) => runSchedulerTick(call),
};

export const handler = defineFunction(scheduler);

/** cron-connector calls it without credentials and without a body: a plain tick passes, anything more needs the token. */
export const access: FunctionAccess = 'platform-or-tick';
