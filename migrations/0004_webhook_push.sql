-- Pushes the webhook landed, by system and push key (the caller's Idempotency-Key, else the body's SHA-256): the same
-- push again within the replay window is answered as a duplicate instead of landing a second batch. A push whose
-- landing failed, or that is `running` past the webhook's timeout, may be sent again and is landed then.
-- Code: shared/runs/webhook-pushes.ts; rules: docs/connectors/webhook.md ("Replays"), docs/security.md.

create table audit.webhook_push (
  system_id text not null,
  push_key text not null,
  status text not null,
  batch_id uuid,
  call_id text,
  received_at timestamptz not null default now(),
  finished_at timestamptz,
  primary key (system_id, push_key),
  constraint webhook_push_status_check check (status in ('running', 'succeeded', 'failed')),
  constraint webhook_push_finished_check check ((status = 'running') = (finished_at is null))
);
create index webhook_push_received_idx on audit.webhook_push (received_at);
