-- The scheduler's memory: which scheduled start of each system it made, and which failed or stale runs it
-- started again. Code: shared/layers/scheduler/; rules: docs/runtime.md.

-- One row per scheduled system. `fire_after` is the firing the scheduler last started (before the first one:
-- where it began watching); a tick starts the latest firing after it that is due. A tick claims that firing by
-- moving `fire_after` forward `where fire_after = <the value it read>`, in the transaction that writes the
-- connector call to the outbox, so two overlapping ticks start a due system exactly once.
create table audit.system_schedule (
  system_id text primary key,
  schedule text not null,
  timezone text not null,
  fire_after timestamptz not null,
  last_fired_at timestamptz,
  last_started_at timestamptz,
  last_batch_id uuid,
  last_call_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One row per run the scheduler re-queued (failed with retries left, or `running` past its timeout): at most once
-- per run, which keeps overlapping ticks from re-queueing the same work twice. `attempt` is the attempt number
-- the re-queued call will get; the call itself is the outbox message `outbox_id`. A run the scheduler could not
-- re-queue (its system or entity is gone from metadata, or disabled) is recorded `not_requeued` with the reason.
create table audit.requeued_run (
  run_id uuid primary key,
  level text not null,
  batch_id uuid not null,
  batch_timestamp timestamptz not null,
  system_id text not null,
  layer text,
  entity_id text,
  reason text not null,
  attempt integer not null,
  decision text not null,
  note text,
  target_function text,
  outbox_id uuid references audit.outbox (id),
  call_id text,
  requeued_at timestamptz not null default now(),
  constraint requeued_run_level_check check (level in ('system', 'entity')),
  constraint requeued_run_reason_check check (reason in ('failed', 'stale')),
  constraint requeued_run_decision_check check (decision in ('requeued', 'not_requeued')),
  constraint requeued_run_target_check check ((decision = 'requeued') = (target_function is not null)),
  constraint requeued_run_attempt_check check (attempt >= 2)
);
create index requeued_run_batch_idx on audit.requeued_run (batch_id);

-- The scheduler looks for recent failures every minute; without these it would read every run ever recorded.
create index system_run_failed_idx on audit.system_run (finished_at) where status = 'failed';
create index entity_layer_run_failed_idx on audit.entity_layer_run (finished_at) where status = 'failed';
