import type { Pool } from '../../adapters/postgres/pool.ts';
import type { GatewayClient } from '../../adapters/gateway/gateway-client.ts';
import { withTransaction } from '../../adapters/postgres/transaction.ts';
import { lockForTransaction } from '../../adapters/postgres/advisory-lock.ts';
import type { Logger } from '../../log.ts';
import { findPendingPull, markDelivered } from '../../runs/outbox.ts';
import { newBatchId } from '../../runs/ids.ts';
import { connectorFunction } from '../../runtime/payloads.ts';
import { announceCalls } from '../chaining/announce-calls.ts';

/** What a pull announcement did: the batch the connector will land, and whether an earlier one already covers it. */
export interface PullAnnouncement {
  readonly batch_id: string;
  /** An announced pull of the system had not started yet: this call joins it instead of adding another. */
  readonly isCoalesced: boolean;
  /** The gateway already accepted the call (else the scheduler delivers it at its next tick). */
  readonly isDelivered: boolean;
}

export interface AnnouncePullDeps {
  readonly pool: Pool;
  readonly gateway: GatewayClient;
  readonly log: Logger;
  readonly now: () => Date;
}

/** A pull announced this long ago and still not started is no longer waited for. */
const COALESCE_WINDOW_SECONDS = 3600;

/**
 * Starts a pull of a system the way the scheduler does: a `connector-<type>` call for a new batch, written to the
 * outbox (so it is never lost), then handed to the gateway's async route at once; if the gateway is not reachable
 * the scheduler delivers it within a minute. Callbacks come in bursts (one per payment), so a pull announced but
 * not yet started absorbs later calls: one run reads everything they announce. Calls for one system take turns
 * on an advisory lock, so a burst announces one pull.
 */
export async function announcePull(system: { readonly id: string; readonly type: string }, callId: string | undefined, deps: AnnouncePullDeps): Promise<PullAnnouncement> {
  const target = connectorFunction(system.type);
  const decided = await withTransaction(deps.pool, async (tx) => {
    await lockForTransaction(tx, 'lock webhook pulls', `dataplatform:webhook-pull:${system.id}`);
    const pendingBatchId = await findPendingPull(tx, { target_function: target, system_id: system.id, windowSeconds: COALESCE_WINDOW_SECONDS });
    if (pendingBatchId !== undefined) return { batch_id: pendingBatchId, message: undefined };
    const batch_id = newBatchId();
    const batch_timestamp = deps.now();
    const [message] = await announceCalls(tx, { batch_id, batch_timestamp, call_id: callId }, [
      { function: target, payload: { system_id: system.id, batch_id, batch_timestamp: batch_timestamp.toISOString() } },
    ]);
    return { batch_id, message };
  });
  if (!decided.message) {
    deps.log.info({ batch_id: decided.batch_id }, 'webhook pull joins one not yet started');
    return { batch_id: decided.batch_id, isCoalesced: true, isDelivered: false };
  }
  try {
    const accepted = await deps.gateway.invokeAsync(target, decided.message.payload);
    await markDelivered(deps.pool, decided.message.id, accepted.callId);
    deps.log.info({ batch_id: decided.batch_id, target_function: target }, 'webhook pull started');
    return { batch_id: decided.batch_id, isCoalesced: false, isDelivered: true };
  } catch (error) {
    // the outbox row stays due: the scheduler's next tick delivers it (a second delivery is skipped by the audit)
    deps.log.warn({ batch_id: decided.batch_id, reason: error instanceof Error ? error.message : String(error) }, 'webhook pull queued for the scheduler');
    return { batch_id: decided.batch_id, isCoalesced: false, isDelivered: false };
  }
}
