-- Actions on a schedule (actions.json `schedule`), and actions that find nothing to do. Code:
-- shared/layers/scheduler/start-due-actions.ts, shared/layers/actions/; rules: docs/actions.md.

-- One row per scheduled action, as audit.system_schedule is per scheduled system: `fire_after` is the firing last
-- started; a tick claims a due firing by moving it `where fire_after = <the value it read>`, in the transaction that
-- writes the action's call to the outbox, so overlapping ticks start a firing once.
create table audit.action_schedule (
  action_id text primary key,
  schedule text not null,
  timezone text not null,
  fire_after timestamptz not null,
  last_fired_at timestamptz,
  last_started_at timestamptz,
  -- The firing's id: the `run_id` (and batch reference) of its `action-schedule-fired` event.
  last_run_id uuid,
  last_call_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- A schedule's firing concerns no system or layer.
alter table audit.action_run alter column system_id drop not null;
alter table audit.action_run alter column layer drop not null;
alter table audit.action_run drop constraint action_run_event_check;
alter table audit.action_run add constraint action_run_event_check
  check (event in ('entity-layer-processed', 'system-layer-processed', 'action-schedule-fired'));
alter table audit.requeued_run alter column system_id drop not null;

-- `skipped`: the attempt found nothing to do (the training: too little data), with the reason; final, not retried.
alter table audit.action_run add column skip_reason text;
alter table audit.action_run drop constraint action_run_status_check;
alter table audit.action_run add constraint action_run_status_check check (status in ('running', 'succeeded', 'failed', 'skipped'));
