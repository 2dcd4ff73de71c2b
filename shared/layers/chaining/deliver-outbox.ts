import type { GatewayClient } from '../../adapters/gateway/gateway-client.ts';
import type { Db } from '../../adapters/postgres/transaction.ts';
import { UpstreamUnavailableError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { claimDueCalls, markDelivered, markDeliveryFailed } from '../../runs/outbox.ts';

/** What one delivery round did. */
export interface DeliveryReport {
  /** Messages the gateway accepted (202). */
  readonly delivered: number;
  /** Messages whose delivery failed; each is due again after its backoff. */
  readonly failed: number;
}

/** How much one round delivers and how long a claimed message stays leased. */
export interface DeliveryOptions {
  readonly log: Logger;
  /** Messages per round at most (a function's timeout bounds the round). Default 200. */
  readonly maxMessages?: number;
  /** Messages claimed per statement. Default 50. */
  readonly pageSize?: number;
  /** How long a claimed message is hidden from other deliverers. Default 120 s. */
  readonly leaseSeconds?: number;
}

/**
 * Posts due outbox messages to the gateway's async route (`POST /async-function/<target>`, the payload as JSON),
 * oldest first, and records each result: delivered, or failed with the reason and the next attempt after a
 * backoff (30 s, 1 min, 2 min… at most 1 h). A message is never lost: until the gateway accepts it, it stays due
 * for the next round (the scheduler runs one every minute). Claims use `skip locked`, so overlapping rounds
 * deliver different messages. The gateway makes the call id; the payload carries `parent_call_id`.
 */
export async function deliverOutbox(db: Db, gateway: GatewayClient, options: DeliveryOptions): Promise<DeliveryReport> {
  const maxMessages = options.maxMessages ?? 200;
  const pageSize = Math.min(options.pageSize ?? 50, maxMessages);
  let delivered = 0;
  let failed = 0;
  // Once the gateway is unreachable, the rest of the round is recorded failed without trying: a hanging gateway
  // would otherwise cost one timeout per message, and the scheduler's own call would time out.
  let unreachable: string | undefined;
  while (delivered + failed < maxMessages && unreachable === undefined) {
    const limit = Math.min(pageSize, maxMessages - delivered - failed);
    const messages = await claimDueCalls(db, { limit, leaseSeconds: options.leaseSeconds ?? 120 });
    for (const message of messages) {
      const log = options.log.child({ outbox_id: message.id, target_function: message.target_function, batch_id: message.batch_id });
      if (unreachable !== undefined) {
        await markDeliveryFailed(db, message, unreachable);
        failed += 1;
        continue;
      }
      try {
        const accepted = await gateway.invokeAsync(message.target_function, message.payload);
        await markDelivered(db, message.id, accepted.callId);
        delivered += 1;
        log.debug({ queued_call_id: accepted.callId, attempts: message.attempts }, 'chained call delivered');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await markDeliveryFailed(db, message, reason);
        failed += 1;
        if (error instanceof UpstreamUnavailableError) unreachable = reason;
        log.warn({ attempts: message.attempts, reason }, 'chained call not delivered; retried later');
      }
    }
    if (messages.length < limit) break;
  }
  return { delivered, failed };
}
