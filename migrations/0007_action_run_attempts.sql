-- Actions that talk to the outside (email, webhook, model training) can fail, and are tried again like other work:
-- each attempt is a row of its own (attempt 1, 2, 3), so the audit keeps every failure and its reason. An action and
-- event have at most one attempt that is running or succeeded (the unique partial index): of two deliveries of an
-- event exactly one works, and a failed attempt leaves room for the next. The scheduler re-queues a failed attempt
-- (or one `running` past its timeout) by sending `request` again. Code: shared/layers/actions/action-runs.ts,
-- shared/layers/scheduler/requeue-work.ts; rules: docs/actions.md.

alter table audit.action_run add column attempt integer not null default 1;
alter table audit.action_run add column timeout_seconds integer not null default 60;
-- The action's call ({action_id, event}) as it was made: what a re-queue sends again.
alter table audit.action_run add column request jsonb;
alter table audit.action_run add constraint action_run_attempt_check check (attempt >= 1);
alter table audit.action_run add constraint action_run_timeout_check check (timeout_seconds > 0);

alter table audit.action_run drop constraint action_run_event_key;
create unique index action_run_live_key on audit.action_run (action_id, event, event_run_id) where status <> 'failed';
create index action_run_event_idx on audit.action_run (action_id, event, event_run_id, attempt);
create index action_run_failed_idx on audit.action_run (finished_at) where status = 'failed';

alter table audit.requeued_run drop constraint requeued_run_level_check;
alter table audit.requeued_run add constraint requeued_run_level_check check (level in ('system', 'entity', 'action'));
