import * as z from 'zod';
import { PayloadTooLargeError } from '../errors.ts';
import { retryDelaySeconds } from '../core/retry-backoff.ts';
import { query, type Db } from '../adapters/postgres/transaction.ts';
import { newRunId } from './ids.ts';
import { insertAuditRow } from './insert-audit-row.ts';
import { clipError } from './run-types.ts';
import { parseRunInput } from './run-errors.ts';

/** The largest body the OpenFaaS CE async route accepts; chained calls carry references, never data. */
export const MAX_ASYNC_BODY_BYTES = 256_000;

/** A row of `audit.outbox`: a chained call, written with the data it announces and delivered by the scheduler. */
export interface OutboxMessage {
  readonly id: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly call_id: string | null;
  readonly target_function: string;
  readonly payload: unknown;
  readonly created_at: Date;
  readonly delivered_at: Date | null;
  readonly attempts: number;
  readonly next_attempt_at: Date;
  readonly last_error: string | null;
  /** The `X-Call-Id` the gateway gave the delivered call: its run rows carry it. */
  readonly delivered_call_id: string | null;
  /** How often the scheduler sent it again because no run of it started (a lost call). */
  readonly redeliveries: number;
}

/** A chained call to write: which function, with which (small, JSON) payload, for which batch. */
export const OutboxEntry = z.strictObject({
  target_function: z.string().min(1),
  payload: z.json(),
  batch_id: z.uuid(),
  batch_timestamp: z.date(),
  /** The call that writes the message. */
  call_id: z.string().min(1).nullish(),
});
export type OutboxEntry = z.input<typeof OutboxEntry>;

/**
 * Writes a chained call to the outbox. Pass the transaction that writes the data the call announces: the
 * message then exists exactly when the data does. A payload over the async limit is refused here, not at delivery.
 */
export async function enqueueCall(db: Db, entry: OutboxEntry): Promise<OutboxMessage> {
  const request = parseRunInput(OutboxEntry, entry, 'enqueue call');
  const body = JSON.stringify(request.payload);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_ASYNC_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `outbox payload for ${request.target_function} is ${bytes} bytes; async calls take at most ${MAX_ASYNC_BODY_BYTES}`,
    );
  }
  const message = await insertAuditRow<OutboxMessage>(db, 'enqueue call', 'outbox', {
    id: newRunId(),
    batch_id: request.batch_id,
    batch_timestamp: request.batch_timestamp,
    call_id: request.call_id ?? null,
    target_function: request.target_function,
    payload: body, // JSON text, which PostgreSQL parses into the jsonb column
  });
  return message as OutboxMessage;
}

/**
 * Claims up to `limit` due messages for delivery, oldest first: each gets one more attempt and a lease (its next
 * attempt moves `leaseSeconds` ahead), so a second scheduler running at the same time claims other messages
 * (`skip locked`), and a deliverer that dies leaves its messages due again once the lease ends.
 */
export async function claimDueCalls(
  db: Db,
  options: { limit?: number; leaseSeconds?: number } = {},
): Promise<OutboxMessage[]> {
  const result = await query<OutboxMessage>(
    db,
    'claim outbox messages',
    `update audit.outbox
        set attempts = attempts + 1,
            next_attempt_at = now() + make_interval(secs => $2)
      where id in (
        select id
          from audit.outbox
         where delivered_at is null
           and next_attempt_at <= now()
         order by next_attempt_at, id
         limit $1
           for update skip locked
      )
      returning *`,
    [options.limit ?? 50, options.leaseSeconds ?? 120],
  );
  return result.rows.sort((a, b) => a.next_attempt_at.getTime() - b.next_attempt_at.getTime() || a.id.localeCompare(b.id));
}

/**
 * Records that the gateway accepted a claimed message, and the call id it gave the queued call (which its run rows
 * will carry): it is not delivered again unless that call is lost (`sendLostCallsAgain`).
 */
export async function markDelivered(db: Db, id: string, callId: string | undefined): Promise<void> {
  await query(
    db,
    'mark outbox message delivered',
    'update audit.outbox set delivered_at = now(), delivered_call_id = $2, last_error = null where id = $1',
    [id, callId ?? null],
  );
}

/**
 * Every chained call announced for one batch, oldest first: when it was written and handed to the gateway, and the
 * call id the gateway gave it. The end-to-end bench reads how long each call waited in the queue from these.
 */
export async function readBatchOutbox(db: Db, batchId: string): Promise<OutboxMessage[]> {
  const result = await query<OutboxMessage>(
    db,
    'read outbox of batch',
    'select * from audit.outbox where batch_id = $1 order by created_at, id',
    [batchId],
  );
  return result.rows;
}

/** When a delivered call counts as lost, and how often one is sent again. */
export interface LostCallPolicy {
  /** No run of the call started this long after its delivery (the async queue may hold calls a while). */
  readonly graceSeconds: number;
  /** Sent again at most this often; then it stays for a person (the dashboard's stuck work). */
  readonly maxRedeliveries: number;
}

export const DEFAULT_LOST_CALL_POLICY: LostCallPolicy = { graceSeconds: 300, maxRedeliveries: 5 };

/**
 * Makes delivered messages whose call never started a run due again: the gateway accepted them, but the function
 * failed before it could record anything (OpenFaaS CE does not retry). A message delivered without a call id, or
 * over a day ago, is left alone. Functions are idempotent, so a call that was only slow in the queue and runs after
 * all is skipped the second time. Returns the messages sent again.
 */
export async function sendLostCallsAgain(db: Db, policy: LostCallPolicy = DEFAULT_LOST_CALL_POLICY): Promise<Array<Pick<OutboxMessage, 'id' | 'target_function' | 'batch_id' | 'delivered_call_id'>>> {
  const result = await query<Pick<OutboxMessage, 'id' | 'target_function' | 'batch_id' | 'delivered_call_id'>>(
    db,
    'send lost calls again',
    `with lost as (
       select outbox.id, outbox.delivered_call_id as lost_call_id
         from audit.outbox
        where outbox.delivered_call_id is not null
          and outbox.delivered_at < now() - make_interval(secs => $1)
          and outbox.delivered_at > now() - interval '1 day'
          and outbox.redeliveries < $2
          and not exists (select 1 from audit.system_run run where run.call_id = outbox.delivered_call_id)
          and not exists (select 1 from audit.entity_layer_run run where run.call_id = outbox.delivered_call_id)
          and not exists (select 1 from audit.action_run run where run.call_id = outbox.delivered_call_id)
          for update of outbox skip locked
     )
     update audit.outbox
        set delivered_at = null,
            delivered_call_id = null,
            next_attempt_at = now(),
            redeliveries = redeliveries + 1,
            last_error = 'call ' || lost.lost_call_id || ' was delivered but never started; sent again'
       from lost
      where outbox.id = lost.id
      returning outbox.id, outbox.target_function, outbox.batch_id, lost.lost_call_id as delivered_call_id`,
    [policy.graceSeconds, policy.maxRedeliveries],
  );
  return result.rows;
}

/**
 * Records a failed delivery of a claimed message and when to try again: after a delay doubling with each attempt
 * (30 s, 1 min, 2 min, … at most 1 h), so a gateway that is down is not hammered.
 */
export async function markDeliveryFailed(
  db: Db,
  message: Pick<OutboxMessage, 'id' | 'attempts'>,
  error: string,
): Promise<void> {
  await query(
    db,
    'mark outbox delivery failed',
    `update audit.outbox
        set last_error = $2,
            next_attempt_at = now() + make_interval(secs => $3)
      where id = $1
        and delivered_at is null`,
    [message.id, clipError(error), retryDelaySeconds(message.attempts)],
  );
}

/**
 * The batch of the newest call to `target_function` for a system, enqueued within `windowSeconds`, whose landing
 * has not started yet (no `system_run` of that batch): a pull announced and still waiting, which a later request
 * can join.
 */
export async function findPendingPull(
  db: Db,
  pull: { readonly target_function: string; readonly system_id: string; readonly windowSeconds: number },
): Promise<string | undefined> {
  const result = await query<{ batch_id: string }>(
    db,
    'find pending pull',
    `select outbox.batch_id
       from audit.outbox as outbox
      where outbox.target_function = $1
        and outbox.payload ->> 'system_id' = $2
        and outbox.created_at > now() - make_interval(secs => $3)
        and not exists (
              select 1
                from audit.system_run as run
               where run.batch_id = outbox.batch_id
                 and run.system_id = $2)
      order by outbox.created_at desc
      limit 1`,
    [pull.target_function, pull.system_id, pull.windowSeconds],
  );
  return result.rows[0]?.batch_id;
}
