-- The audit schema: what ran, when, on which batch, how many rows, what failed and why.
-- Every row carries batch_id (UUIDv7) and batch_timestamp; runs carry the OpenFaaS call_id (X-Call-Id).
-- One row per attempt: a call that finds its work done or in progress records a `skipped` row pointing at the
-- run that made it unnecessary (duplicate_of_run_id); a call taking over a stale run points at it (took_over_run_id).
-- Rules and queries: docs/audit.md.

create schema if not exists audit;

-- A run of a system: the landing of one batch. Entity counts roll up from the batch's entity-layer runs.
create table audit.system_run (
  run_id uuid primary key,
  batch_id uuid not null,
  batch_timestamp timestamptz not null,
  system_id text not null,
  call_id text,
  parent_call_id text,
  status text not null,
  force boolean not null default false,
  attempt integer not null default 1,
  timeout_seconds integer not null,
  took_over_run_id uuid references audit.system_run (run_id),
  duplicate_of_run_id uuid references audit.system_run (run_id),
  skip_reason text,
  error text,
  started_at timestamptz not null,
  finished_at timestamptz,
  entities_succeeded integer not null default 0,
  entities_failed integer not null default 0,
  entities_skipped integer not null default 0,
  constraint system_run_status_check check (status in ('running', 'succeeded', 'failed', 'skipped')),
  constraint system_run_finished_check check ((status = 'running') = (finished_at is null)),
  constraint system_run_attempt_check check (attempt >= 1),
  constraint system_run_timeout_check check (timeout_seconds > 0),
  constraint system_run_counts_check check (entities_succeeded >= 0 and entities_failed >= 0 and entities_skipped >= 0)
);

-- At most one running landing per batch and system, whatever the application does.
create unique index system_run_one_running_idx
  on audit.system_run (batch_id, system_id)
  where status = 'running';
create index system_run_work_idx on audit.system_run (batch_id, system_id, started_at desc);
create index system_run_system_idx on audit.system_run (system_id, started_at desc);
create index system_run_running_idx on audit.system_run (started_at) where status = 'running';

-- A layer of a system for one batch (bronze of NSC01 for batch X). Opened once with the number of entities
-- expected; finished when every expected entity has an outcome.
create table audit.system_layer_run (
  run_id uuid primary key,
  batch_id uuid not null,
  batch_timestamp timestamptz not null,
  system_id text not null,
  layer text not null,
  system_run_id uuid not null references audit.system_run (run_id),
  call_id text,
  status text not null,
  entities_expected integer not null,
  entities_succeeded integer not null default 0,
  entities_failed integer not null default 0,
  entities_skipped integer not null default 0,
  started_at timestamptz not null,
  finished_at timestamptz,
  constraint system_layer_run_work_key unique (batch_id, system_id, layer),
  constraint system_layer_run_layer_check check (layer in ('landing', 'bronze', 'silver', 'gold')),
  constraint system_layer_run_status_check check (status in ('running', 'succeeded', 'failed', 'skipped')),
  constraint system_layer_run_expected_check check (entities_expected >= 0),
  constraint system_layer_run_counts_check check (entities_succeeded >= 0 and entities_failed >= 0 and entities_skipped >= 0)
);
create index system_layer_run_parent_idx on audit.system_layer_run (system_run_id);
create index system_layer_run_open_idx on audit.system_layer_run (started_at) where finished_at is null;

-- The work of one function call on one entity of one batch in one layer.
create table audit.entity_layer_run (
  run_id uuid primary key,
  batch_id uuid not null,
  batch_timestamp timestamptz not null,
  system_id text not null,
  layer text not null,
  entity_id text not null,
  system_layer_run_id uuid not null references audit.system_layer_run (run_id),
  system_run_id uuid not null references audit.system_run (run_id),
  call_id text,
  parent_call_id text,
  status text not null,
  force boolean not null default false,
  attempt integer not null default 1,
  timeout_seconds integer not null,
  took_over_run_id uuid references audit.entity_layer_run (run_id),
  duplicate_of_run_id uuid references audit.entity_layer_run (run_id),
  skip_reason text,
  error text,
  started_at timestamptz not null,
  finished_at timestamptz,
  records_in integer not null default 0,
  records_inserted integer not null default 0,
  records_updated integer not null default 0,
  records_deleted integer not null default 0,
  records_rejected integer not null default 0,
  records_unchanged integer not null default 0,
  constraint entity_layer_run_layer_check check (layer in ('landing', 'bronze', 'silver', 'gold')),
  constraint entity_layer_run_status_check check (status in ('running', 'succeeded', 'failed', 'skipped')),
  constraint entity_layer_run_finished_check check ((status = 'running') = (finished_at is null)),
  constraint entity_layer_run_attempt_check check (attempt >= 1),
  constraint entity_layer_run_timeout_check check (timeout_seconds > 0),
  constraint entity_layer_run_counts_check check (
    records_in >= 0 and records_inserted >= 0 and records_updated >= 0
    and records_deleted >= 0 and records_rejected >= 0 and records_unchanged >= 0
  )
);

-- At most one running call per batch, layer and entity, whatever the application does.
create unique index entity_layer_run_one_running_idx
  on audit.entity_layer_run (batch_id, layer, entity_id)
  where status = 'running';
create index entity_layer_run_work_idx on audit.entity_layer_run (batch_id, layer, entity_id, started_at desc);
create index entity_layer_run_layer_run_idx on audit.entity_layer_run (system_layer_run_id, entity_id, started_at desc);
create index entity_layer_run_system_run_idx on audit.entity_layer_run (system_run_id);
create index entity_layer_run_entity_idx on audit.entity_layer_run (entity_id, layer, started_at desc);
create index entity_layer_run_running_idx on audit.entity_layer_run (started_at) where status = 'running';

-- The windows delta loads have fetched: one row per successful batch. The lower bound of the next load is the
-- greatest window_end; rows are written only once the batch's landing succeeded, and never backwards.
-- entity_id is null for a system-wide cursor.
create table audit.cursor (
  system_id text not null,
  entity_id text,
  batch_id uuid not null,
  batch_timestamp timestamptz not null,
  window_start timestamptz,
  window_end timestamptz not null,
  position text,
  recorded_at timestamptz not null default now(),
  constraint cursor_batch_key unique nulls not distinct (system_id, entity_id, batch_id),
  constraint cursor_window_check check (window_start is null or window_start <= window_end)
);
create index cursor_latest_idx on audit.cursor (system_id, entity_id, window_end desc);

-- Data-quality results, one row per check of an entity's batch.
create table audit.check_result (
  check_result_id uuid primary key,
  batch_id uuid not null,
  batch_timestamp timestamptz not null,
  entity_id text not null,
  entity_layer_run_id uuid references audit.entity_layer_run (run_id),
  call_id text,
  check_name text not null,
  observed jsonb,
  expected jsonb,
  passed boolean not null,
  details jsonb,
  checked_at timestamptz not null default now()
);
create index check_result_batch_idx on audit.check_result (batch_id, entity_id);
create index check_result_failed_idx on audit.check_result (checked_at desc) where not passed;

-- Chained calls not yet delivered, written in the same transaction as the data they announce. The scheduler
-- delivers what is due and records each attempt.
create table audit.outbox (
  id uuid primary key,
  batch_id uuid not null,
  batch_timestamp timestamptz not null,
  call_id text,
  target_function text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  constraint outbox_attempts_check check (attempts >= 0)
);
create index outbox_due_idx on audit.outbox (next_attempt_at) where delivered_at is null;
create index outbox_batch_idx on audit.outbox (batch_id);
