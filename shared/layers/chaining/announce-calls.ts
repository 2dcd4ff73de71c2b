import type { Transaction } from '../../adapters/postgres/transaction.ts';
import { PayloadTooLargeError, PlatformError } from '../../errors.ts';
import { formatIssue } from '../../handler.ts';
import { enqueueCall, type OutboxEntry, type OutboxMessage } from '../../runs/outbox.ts';
import { MAX_CHAINED_PAYLOAD_BYTES, payloadSchemaFor } from '../../runtime/payloads.ts';

/** A call to announce: the function to call next and its payload (checked against that function's schema). */
export interface ChainedCall {
  readonly function: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Where announced calls come from: the batch they belong to and the call announcing them. */
export interface CallOrigin {
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  /** The announcing call's `X-Call-Id`: stored on the outbox row and sent as the payload's `parent_call_id`. */
  readonly call_id: string | undefined;
}

/**
 * A chained call's payload does not match its target's schema, or names a function the platform does not chain
 * to: a bug in the announcing code, found before anything is written.
 */
export class InvalidChainedCallError extends PlatformError {
  readonly status = 500;
  readonly code = 'invalid_chained_call';

  constructor(
    readonly functionName: string,
    readonly issues: readonly string[],
  ) {
    super(`chained call to ${functionName} is invalid: ${issues.join('; ')}`);
  }
}

/**
 * Writes the next calls into the outbox, in the caller's transaction: pass the transaction that writes the data
 * they announce, so the calls exist exactly when the data does. Each payload is validated against its target's
 * schema (defaults filled in), gets `parent_call_id` from the origin, and must stay under
 * `MAX_CHAINED_PAYLOAD_BYTES`. Delivery happens after commit (`deliverOutbox`), or at the scheduler's next tick.
 *
 * @example
 * await withTransaction(pool, async (tx) => {
 *   await writeLanding(tx, records);
 *   await announceCalls(tx, origin, entities.map((entity) => ({
 *     function: 'bronze',
 *     payload: { batch_id, system_id, entity_id: entity.id },
 *   })));
 * });
 */
export async function announceCalls(tx: Transaction, origin: CallOrigin, calls: readonly ChainedCall[]): Promise<OutboxMessage[]> {
  const entries = calls.map((call) => ({ function: call.function, payload: checkedPayload(call, origin) }));
  const written: OutboxMessage[] = [];
  for (const entry of entries) {
    written.push(
      await enqueueCall(tx, {
        target_function: entry.function,
        payload: entry.payload,
        batch_id: origin.batch_id,
        batch_timestamp: origin.batch_timestamp,
        call_id: origin.call_id ?? null,
      }),
    );
  }
  return written;
}

function checkedPayload(call: ChainedCall, origin: CallOrigin): OutboxEntry['payload'] {
  const schema = payloadSchemaFor(call.function);
  if (!schema) throw new InvalidChainedCallError(call.function, ['the platform does not chain calls to this function']);
  const withParent =
    origin.call_id === undefined || call.payload.parent_call_id !== undefined
      ? call.payload
      : { ...call.payload, parent_call_id: origin.call_id };
  const parsed = schema.safeParse(withParent);
  if (!parsed.success) throw new InvalidChainedCallError(call.function, parsed.error.issues.map(formatIssue));
  const bytes = Buffer.byteLength(JSON.stringify(parsed.data), 'utf8');
  if (bytes > MAX_CHAINED_PAYLOAD_BYTES) {
    throw new PayloadTooLargeError(
      `chained call to ${call.function} is ${bytes} bytes; chained payloads carry references and stay under ${MAX_CHAINED_PAYLOAD_BYTES}`,
    );
  }
  return parsed.data as OutboxEntry['payload'];
}
