/**
 * Replay protection of webhook pushes (`audit.webhook_push`, migrations/0004_webhook_push.sql): a push is claimed by
 * its key before it is landed, so the same push sent again (a retry of a source, an attacker replaying a captured
 * call) lands once. The claim is one statement: of two calls racing with the same push, one lands it.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';

/** What a claim found. */
export type PushClaim =
  /** Land it: the first time, or again after a failed (or lost) attempt, or after the replay window. */
  | { readonly kind: 'claimed' }
  /** The same push was landed within the window: answer it as a duplicate, with that batch. */
  | { readonly kind: 'duplicate'; readonly batch_id: string | null; readonly received_at: Date }
  /** The same push is being landed now: the caller may try again later. */
  | { readonly kind: 'in_progress' };

/**
 * Claims a push (system, key) for a landing: takes the row when it is new, failed, stale (`running` for longer than
 * `staleAfterSeconds`) or older than `windowSeconds`; otherwise says why not.
 */
export async function claimWebhookPush(
  db: Db,
  push: { readonly system_id: string; readonly push_key: string; readonly call_id: string | undefined },
  rules: { readonly windowSeconds: number; readonly staleAfterSeconds: number },
): Promise<PushClaim> {
  const claimed = await query<{ claimed: boolean }>(
    db,
    'claim a webhook push',
    `insert into audit.webhook_push as push (system_id, push_key, status, call_id)
     values ($1, $2, 'running', $3)
     on conflict (system_id, push_key) do update
        set status = 'running', call_id = excluded.call_id, batch_id = null, received_at = now(), finished_at = null
      where push.status = 'failed'
         or (push.status = 'running' and push.received_at < now() - make_interval(secs => $5))
         or (push.status = 'succeeded' and push.received_at < now() - make_interval(secs => $4))
     returning true as claimed`,
    [push.system_id, push.push_key, push.call_id ?? null, rules.windowSeconds, rules.staleAfterSeconds],
  );
  if (claimed.rows.length > 0) return { kind: 'claimed' };
  const existing = await query<{ status: string; batch_id: string | null; received_at: Date }>(
    db,
    'read a webhook push',
    'select status, batch_id, received_at from audit.webhook_push where system_id = $1 and push_key = $2',
    [push.system_id, push.push_key],
  );
  const row = existing.rows[0];
  if (row?.status === 'succeeded') return { kind: 'duplicate', batch_id: row.batch_id, received_at: row.received_at };
  return { kind: 'in_progress' };
}

/** Records how the landing of a claimed push ended. */
export async function finishWebhookPush(
  db: Db,
  push: { readonly system_id: string; readonly push_key: string },
  result: { readonly status: 'succeeded' | 'failed'; readonly batch_id: string | null },
): Promise<void> {
  await query(
    db,
    'finish a webhook push',
    `update audit.webhook_push set status = $3, batch_id = $4, finished_at = now()
      where system_id = $1 and push_key = $2 and status = 'running'`,
    [push.system_id, push.push_key, result.status, result.batch_id],
  );
}
