-- What actions (actions.json) did: one row per action and platform event. The unique key makes an event that
-- reaches its action twice (an outbox message delivered again, a queue redelivery) run the action once.
-- Code: shared/layers/actions/; rules: docs/operate.md ("Actions").

create table audit.action_run (
  run_id uuid primary key,
  action_id text not null,
  action_type text not null,
  -- The event that started the action, and the run it reports (audit.entity_layer_run or audit.system_layer_run).
  event text not null,
  event_run_id uuid not null,
  event_status text not null,
  batch_id uuid not null,
  batch_timestamp timestamptz not null,
  system_id text not null,
  layer text not null,
  entity_id text,
  call_id text,
  parent_call_id text,
  status text not null,
  error text,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint action_run_event_key unique (action_id, event, event_run_id),
  constraint action_run_event_check check (event in ('entity-layer-processed', 'system-layer-processed')),
  constraint action_run_status_check check (status in ('running', 'succeeded', 'failed')),
  constraint action_run_finished_check check ((status = 'running') = (finished_at is null))
);
create index action_run_batch_idx on audit.action_run (batch_id);
create index action_run_started_idx on audit.action_run (started_at desc);
