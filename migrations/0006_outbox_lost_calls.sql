-- Calls the gateway accepted but that never ran: OpenFaaS CE drops an async call whose function failed before it
-- could record anything (its database was down, its process died before the first statement) and never retries it.
-- The outbox keeps the call id the gateway gave each delivered call; a call whose id no run row names after a grace
-- period is sent again by the scheduler (a bounded number of times). Code: shared/runs/outbox.ts (findLostCalls);
-- rules: docs/runtime.md ("Lost calls").

alter table audit.outbox add column delivered_call_id text;
alter table audit.outbox add column redeliveries integer not null default 0;
alter table audit.outbox add constraint outbox_redeliveries_check check (redeliveries >= 0);
create index outbox_delivered_idx on audit.outbox (delivered_at) where delivered_call_id is not null;

-- The lookup of a call id in every run table.
create index if not exists system_run_call_idx on audit.system_run (call_id);
create index if not exists entity_layer_run_call_idx on audit.entity_layer_run (call_id);
create index if not exists action_run_call_idx on audit.action_run (call_id);
