"""What the training function reads and writes of the platform: its settings (the environment, as shared/config.ts
reads it), the action's and the source entity's metadata (the active generation in MongoDB, as
shared/adapters/mongo/metadata-store.ts writes it), the attempt's `audit.action_run` row (the SQL of
shared/layers/actions/action-runs.ts, so both languages claim an event the same way) and the readings in silver."""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from dataplatform_runtime import ConfigurationError, NotFoundError, UpstreamUnavailableError

# Longer than action-train's exec_timeout (stack.yml): an attempt running this long died with its call.
TRAIN_TIMEOUT_SECONDS = 120


def setting(name: str, default: str, secret_file: str | None = None) -> str:
    """A setting as the TypeScript functions read it: NAME_FILE, else the OpenFaaS secret file, else NAME, else the
    development default."""
    for path in (os.environ.get(f"{name}_FILE"), os.path.join(os.environ.get("SECRETS_DIR", "/var/openfaas/secrets"), secret_file) if secret_file else None):
        if path and os.path.isfile(path):
            with open(path, encoding="utf-8") as file:
                return file.read().strip()
    return os.environ.get(name) or default


@dataclass(frozen=True)
class Settings:
    database_url: str
    mongodb_url: str
    metadata_db: str
    mlflow_url: str
    mlserver_url: str

    @staticmethod
    def from_environment() -> "Settings":
        return Settings(
            database_url=setting("DATABASE_URL", "postgres://dataplatform:dataplatform@127.0.0.1:55432/dataplatform", "dataplatform-database-url"),
            mongodb_url=setting("MONGODB_URL", "mongodb://127.0.0.1:27017/?directConnection=true", "dataplatform-mongodb-url"),
            metadata_db=os.environ.get("METADATA_DB") or "metadata",
            mlflow_url=os.environ.get("MLFLOW_TRACKING_URI") or "http://127.0.0.1:5000",
            mlserver_url=os.environ.get("MLSERVER_URL") or "http://127.0.0.1:8085",
        )


def new_run_id() -> str:
    """A UUIDv7 (time-ordered, as the TypeScript side's run ids): 48 bits of milliseconds, then random bits."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


_mongo_clients: dict[str, Any] = {}


def load_metadata(settings: Settings, action_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The action `action_id` of the active metadata generation (validated at deploy, defaults filled in), and the
    entity its settings name as `source_entity` (None when it has none)."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client = _mongo_clients.get(settings.mongodb_url)
    if client is None:
        client = _mongo_clients[settings.mongodb_url] = MongoClient(settings.mongodb_url, serverSelectionTimeoutMS=5000, appname="dataplatform-action-train")
    db = client[settings.metadata_db]
    try:
        pointer = db["deploys"].find_one({"_id": "active"})
        if pointer is None:
            raise ConfigurationError("no metadata deployed: run `npx dataplatform metadata deploy`")
        generation = pointer["generation"]
        found = db["actions"].find_one({"generation": generation, "record.id": action_id})
        if found is None:
            raise NotFoundError(f'unknown action "{action_id}"')
        action = found["record"]
        source = action.get("settings", {}).get("source_entity")
        entity = None
        if source is not None:
            entity_document = db["entities"].find_one({"generation": generation, "record.id": source})
            if entity_document is None:
                raise ConfigurationError(f'action "{action_id}": unknown source_entity "{source}"')
            entity = entity_document["record"]
        return action, entity
    except PyMongoError as error:
        raise UpstreamUnavailableError(f"MongoDB unreachable while reading metadata: {type(error).__name__}") from error


def connect(settings: Settings) -> Any:
    import psycopg2

    try:
        connection = psycopg2.connect(settings.database_url, connect_timeout=5, application_name="dataplatform-action-train")
    except psycopg2.OperationalError as error:
        raise UpstreamUnavailableError("PostgreSQL unreachable") from error
    connection.autocommit = True
    return connection


CLAIM_SQL = """
insert into audit.action_run (
  run_id, action_id, action_type, event, event_run_id, event_status, batch_id, batch_timestamp,
  system_id, layer, entity_id, call_id, parent_call_id, status, finished_at, attempt, timeout_seconds, request
)
select %(run_id)s, %(action_id)s, %(action_type)s, %(event)s, %(event_run_id)s, %(event_status)s, %(batch_id)s,
       %(batch_timestamp)s, %(system_id)s, %(layer)s, %(entity_id)s, %(call_id)s, %(parent_call_id)s, 'running', null,
       coalesce(max(earlier.attempt), 0) + 1, %(timeout_seconds)s, %(request)s
  from audit.action_run as earlier
 where earlier.action_id = %(action_id)s
   and earlier.event = %(event)s
   and earlier.event_run_id = %(event_run_id)s
on conflict (action_id, event, event_run_id) where status <> 'failed' do nothing
returning run_id::text, attempt"""

FAIL_DEAD_SQL = """
update audit.action_run
   set status = 'failed',
       error = 'its call ended without finishing it (running past its timeout); taken over by the next attempt',
       finished_at = now()
 where action_id = %(action_id)s
   and event = %(event)s
   and event_run_id = %(event_run_id)s
   and status = 'running'
   and started_at + make_interval(secs => timeout_seconds) < now()"""

LIVE_SQL = """
select run_id::text, status
  from audit.action_run
 where action_id = %(action_id)s
   and event = %(event)s
   and event_run_id = %(event_run_id)s
   and status <> 'failed'"""


@dataclass(frozen=True)
class Claim:
    """This call owns the event (`run_id`, `attempt`), or another attempt does (`existing_run_id`, `existing_status`)."""

    run_id: str | None = None
    attempt: int | None = None
    existing_run_id: str | None = None
    existing_status: str | None = None


def claim_action_run(connection: Any, request: dict[str, Any], action: dict[str, Any], call_id: str | None) -> Claim:
    """Claims the event for the action as its next attempt (see shared/layers/actions/action-runs.ts)."""
    event = request["event"]
    is_schedule = event["event"] == "action-schedule-fired"
    values = {
        "action_id": action["id"],
        "action_type": action["type"],
        "event": event["event"],
        "event_run_id": event["run_id"],
        "event_status": event["status"],
        "batch_id": event["batch_id"],
        "batch_timestamp": event["batch_timestamp"],
        "system_id": None if is_schedule else event["system_id"],
        "layer": None if is_schedule else event["layer"],
        "entity_id": event.get("entity_id"),
        "call_id": call_id,
        "parent_call_id": request.get("parent_call_id"),
        "timeout_seconds": TRAIN_TIMEOUT_SECONDS,
        "request": json.dumps(request),
    }
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(CLAIM_SQL, {**values, "run_id": new_run_id()})
            row = cursor.fetchone()
            if row is not None:
                return Claim(run_id=row[0], attempt=row[1])
            cursor.execute(FAIL_DEAD_SQL, values)
            if cursor.rowcount == 1:
                continue
            cursor.execute(LIVE_SQL, values)
            live = cursor.fetchone()
            if live is not None:
                return Claim(existing_run_id=live[0], existing_status=live[1])
    raise RuntimeError(f"action {action['id']} could not claim {event['event']} {event['run_id']} in 3 rounds")


def finish_action_run(connection: Any, run_id: str, status: str, error: str | None = None, skip_reason: str | None = None) -> None:
    """Ends a claimed attempt: succeeded, skipped (with the reason) or failed (with the error, at most 4,000 characters)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """update audit.action_run
                  set status = %s, error = %s, skip_reason = %s, finished_at = now()
                where run_id = %s and status = 'running'""",
            (status, None if error is None else error[:4000], skip_reason, run_id),
        )


def minutes_since_last_training(connection: Any, action_id: str) -> float | None:
    """Minutes since the action's last successful attempt ended, or None when it never succeeded."""
    with connection.cursor() as cursor:
        cursor.execute(
            """select extract(epoch from now() - max(finished_at)) / 60
                 from audit.action_run
                where action_id = %s and status = 'succeeded'""",
            (action_id,),
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else float(row[0])


READINGS_SQL = """
with entries as (
  select coalesce(to_timestamp(entry."date" / 1000.0), entry."sys_time") as read_at, entry."sgv", entry."id"
    from {table} as entry
   where entry."_dp_is_current" and not entry."_dp_is_deleted"
     and entry."type" = 'sgv'
     and entry."sgv" >= 39
),
readings as (
  select distinct on (entries.read_at) entries.read_at, entries."sgv"
    from entries
   where entries.read_at is not null
   order by entries.read_at, entries."id"
)
select (extract(epoch from readings.read_at) * 1000)::bigint as read_at_ms, readings."sgv"
  from readings
 where readings.read_at > (select max(read_at) from readings) - make_interval(days => %(days)s)
 order by readings.read_at"""


def read_readings(connection: Any, entity: dict[str, Any], days: int) -> tuple[list[int], list[float]]:
    """The CGM readings (sgv entries, one per instant, the current version of each) of the last `days` days before
    the newest, from the entity's silver table — the readings `daily_glucose_stats` counts."""
    import psycopg2
    from psycopg2 import sql

    table = sql.SQL("{}.{}").format(sql.Identifier("silver"), sql.Identifier(entity.get("table") or entity["id"]))
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL(READINGS_SQL).format(table=table), {"days": days})
            rows = cursor.fetchall()
    except psycopg2.errors.UndefinedTable:
        return [], []
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
        raise UpstreamUnavailableError(f"PostgreSQL failed while reading {entity['id']}: {type(error).__name__}") from error
    return [row[0] for row in rows], [float(row[1]) for row in rows]
