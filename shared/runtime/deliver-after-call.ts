import { deliverOutbox } from '../layers/chaining/deliver-outbox.ts';
import type { Logger } from '../log.ts';
import type { FunctionDeps } from './function-deps.ts';

/** Outbox messages one call hands over at most; the rest wait for the scheduler's next tick. */
const MAX_MESSAGES_AFTER_CALL = 50;

/**
 * Whether a layer function hands its announced calls to the gateway as soon as its work is done
 * (`DELIVER_OUTBOX_AFTER_CALL=true`, set for the layer functions in stack.yml). Without it the chain moves at the
 * scheduler's pace: one hop a minute. Off unless set, so functions served in tests deliver nothing behind the
 * test's back.
 */
export function isDeliveryAfterCallEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DELIVER_OUTBOX_AFTER_CALL === 'true';
}

/**
 * Delivers due outbox messages (the ones this call just announced, and any others due) through the gateway's
 * async route. Never fails the call: its work is committed, and what is not delivered now stays due for the
 * scheduler's next tick.
 */
export async function deliverAfterCall(deps: FunctionDeps, log: Logger): Promise<void> {
  try {
    const report = await deliverOutbox(await deps.pool(), deps.gateway(), { log, maxMessages: MAX_MESSAGES_AFTER_CALL });
    if (report.delivered + report.failed > 0) log.debug({ ...report }, 'announced calls handed to the gateway');
  } catch (error) {
    log.warn({ err: error }, 'announced calls not delivered; the scheduler delivers them');
  }
}
