"""Runs the `train` actions of actions.json (docs/actions.md): chained through the outbox with `{action_id, event}` when
a platform event matches an action's `on` (the Nightscout gold), or by the scheduler when its `schedule` fires. It
claims the event as an attempt in `audit.action_run` (a call delivered twice trains once), reads the readings of the
action's source entity from silver, trains the glucose forecast (train.py) and records how the attempt ended.

Answers as the TypeScript functions do (shared/runtime/outcome.ts): `succeeded` and `skipped` with 200, a failure
recorded on its attempt with its error's status and `{"status": "failed", "error": code, "message"}`."""

from __future__ import annotations

import threading
from typing import Any

import platform_store
from dataplatform_runtime import InvalidPayloadError, PlatformError, public_failure_message
from train import TrainSettings, train_forecast

ACTION_TYPE = "train"
EVENTS = ("entity-layer-processed", "system-layer-processed", "action-schedule-fired")


def _warm_up() -> None:
    # mlflow and scikit-learn take seconds to import: do it while the function waits for its first call.
    import mlflow.pyfunc  # noqa: F401
    import sklearn.ensemble  # noqa: F401


threading.Thread(target=_warm_up, daemon=True).start()


def parse_request(body: Any) -> dict[str, Any]:
    """`{action_id, event, parent_call_id?}` (shared/runtime/payloads.ts `ActionRequest`): the fields this function
    relies on are checked; the scheduler and the outbox validated the rest when they wrote it."""
    issues: list[str] = []
    if not isinstance(body, dict):
        raise InvalidPayloadError("expected a JSON object", ["(root): expected an object"])
    if not isinstance(body.get("action_id"), str) or body["action_id"] == "":
        issues.append("action_id: expected a string")
    event = body.get("event")
    if not isinstance(event, dict):
        issues.append("event: expected an object")
    else:
        if event.get("event") not in EVENTS:
            issues.append(f"event.event: expected one of {', '.join(EVENTS)}")
        for name in ("run_id", "batch_id", "batch_timestamp", "status"):
            if not isinstance(event.get(name), str):
                issues.append(f"event.{name}: expected a string")
    unknown = set(body) - {"action_id", "event", "parent_call_id"}
    issues.extend(f"(root): unknown field {name!r}" for name in sorted(unknown))
    if issues:
        raise InvalidPayloadError(f"invalid action request: {'; '.join(issues)}", issues)
    return body


def recently_trained(connection: Any, action_id: str, event: dict[str, Any], train: TrainSettings) -> str | None:
    """Why an event comes too soon after the last training (`min_interval_minutes`), or None. A schedule always trains."""
    if event["event"] == "action-schedule-fired" or train.min_interval_minutes == 0:
        return None
    minutes = platform_store.minutes_since_last_training(connection, action_id)
    if minutes is None or minutes >= train.min_interval_minutes:
        return None
    return f"trained_recently: the last training ended {minutes:.0f} minutes ago (min_interval_minutes {train.min_interval_minutes})"


def handle(event: Any, context: Any) -> Any:
    request = parse_request(event.body)
    settings = platform_store.Settings.from_environment()
    action, entity = platform_store.load_metadata(settings, request["action_id"])
    if action["type"] != ACTION_TYPE:
        raise InvalidPayloadError(
            f'action "{action["id"]}" is a {action["type"]} action; action-train runs train actions only',
            [f'action_id: action "{action["id"]}" has type {action["type"]}'],
        )
    if not action.get("enabled", True):
        return {"status": "skipped", "reason": "action disabled", "action_id": action["id"]}
    if entity is None:
        raise InvalidPayloadError(f'action "{action["id"]}" names no source_entity', ["settings.source_entity: required"])
    log = context.log.child({"action_id": action["id"]})
    connection = platform_store.connect(settings)
    try:
        claim = platform_store.claim_action_run(connection, request, action, context.call_id)
        if claim.run_id is None:
            reason = "already_succeeded" if claim.existing_status in ("succeeded", "skipped") else "already_running"
            return {"status": "skipped", "reason": reason, "action_id": action["id"], "duplicate_of_run_id": claim.existing_run_id}
        facts = {"action_id": action["id"], "run_id": claim.run_id, "attempt": claim.attempt}
        log = log.child({"run_id": claim.run_id, "attempt": claim.attempt})
        try:
            train = TrainSettings.of(action["settings"])
            recent = recently_trained(connection, action["id"], request["event"], train)
            if recent is not None:
                platform_store.finish_action_run(connection, claim.run_id, "skipped", skip_reason=recent)
                return {"status": "skipped", "reason": recent, **facts}
            read_at_ms, sgv = platform_store.read_readings(connection, entity, train.history_days)
            tags = {"action_id": action["id"], "action_run_id": claim.run_id, "event": request["event"]["event"], "event_run_id": request["event"]["run_id"], "source_entity": entity["id"], "call_id": context.call_id or ""}
            result = train_forecast(train, read_at_ms, sgv, tags, settings.mlflow_url, settings.mlserver_url, log)
        except Exception as error:
            platform_store.finish_action_run(connection, claim.run_id, "failed", error=str(error) or type(error).__name__)
            if not isinstance(error, PlatformError):
                raise
            return error.status, {**facts, "status": "failed", "error": error.code, "message": str(error) if error.status < 500 else public_failure_message(error.code, context.call_id)}
        if result.skipped is not None:
            platform_store.finish_action_run(connection, claim.run_id, "skipped", skip_reason=result.skipped)
            log.info({"reason": result.skipped}, "training skipped")
            return {"status": "skipped", "reason": result.skipped, **facts}
        platform_store.finish_action_run(connection, claim.run_id, "succeeded")
        log.info({"model_version": result.facts["model_version"], "moved_champion": result.facts["moved_champion"], "rmse_mean": result.facts["metrics"]["rmse_mean"]}, "model trained")
        return {"status": "succeeded", **facts, **result.facts}
    finally:
        connection.close()
