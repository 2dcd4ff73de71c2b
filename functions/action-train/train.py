"""One training of the glucose forecast, tracked in MLflow: fit on the readings before the held-out window, compare
with persistence and with the current champion on that same window, log parameters, figures and the model, register
a version, move the `champion` alias only when the new version is better (lower mean RMSE), and have MLServer load
the champion."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import forecast
from dataplatform_runtime import Logger, UpstreamUnavailableError

HERE = os.path.dirname(os.path.abspath(__file__))
CHAMPION = "champion"


@dataclass(frozen=True)
class TrainSettings:
    """The `train` action's settings (shared/metadata/action-schema.ts `TrainAction`; deployed with defaults)."""

    model: str
    horizons_minutes: list[int]
    history_days: int
    holdout_days: int
    min_training_days: float
    min_interval_minutes: int

    @staticmethod
    def of(settings: dict[str, Any]) -> "TrainSettings":
        return TrainSettings(
            model=settings["model"],
            horizons_minutes=[int(horizon) for horizon in settings["horizons_minutes"]],
            history_days=int(settings["history_days"]),
            holdout_days=int(settings["holdout_days"]),
            min_training_days=float(settings["min_training_days"]),
            min_interval_minutes=int(settings["min_interval_minutes"]),
        )


@dataclass
class TrainResult:
    """A training that ran (`skipped` is None) or why none did."""

    skipped: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def train_forecast(settings: TrainSettings, read_at_ms: list[int], sgv: list[float], tags: dict[str, str], mlflow_url: str, mlserver_url: str, log: Logger) -> TrainResult:
    """Trains, evaluates, logs, registers and maybe promotes (see the module). Too little data is a skip with the
    reason, never an error."""
    series = forecast.regular_series(read_at_ms, sgv)
    if series.dropna().empty:
        return TrainResult(skipped="too little data: no readings in silver yet")
    holdout_start = series.index.max() - pd.Timedelta(days=settings.holdout_days) + forecast.STEP
    data = forecast.training_set(series, settings.horizons_minutes, holdout_start)
    training_days = len(data.train_x) * 5 / 1440
    if training_days < settings.min_training_days or data.holdout_x.empty:
        return TrainResult(
            skipped=f"too little data: {training_days:.1f} days of usable readings before the {settings.holdout_days}-day held-out window, at least {settings.min_training_days:g} needed",
        )

    models = forecast.fit_models(data.train_x, data.train_y)
    figures = forecast.evaluate(forecast.served_changes(models, data.holdout_x), data.holdout_y)

    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from model import GlucoseForecaster

    mlflow.set_tracking_uri(mlflow_url)
    client = MlflowClient()
    try:
        mlflow.set_experiment(settings.model)
        champion = champion_version(client, settings.model)
        with mlflow.start_run(run_name=f"{settings.model} {tags.get('event_run_id', '')[:8]}", tags=tags) as run:
            mlflow.log_params(
                {
                    "horizons_minutes": ",".join(map(str, settings.horizons_minutes)),
                    "history_days": settings.history_days,
                    "holdout_days": settings.holdout_days,
                    "history_steps": forecast.HISTORY_STEPS,
                    "estimator": "HistGradientBoostingRegressor",
                    **{f"estimator_{name}": value for name, value in forecast.ESTIMATOR_PARAMS.items()},
                    "train_rows": len(data.train_x),
                    "holdout_rows": len(data.holdout_x),
                    "holdout_start": holdout_start.isoformat(),
                }
            )
            mlflow.log_metrics(figures)
            champion_figures = None
            if champion is not None:
                champion_figures = evaluate_champion(settings.model, series, data, log)
                if champion_figures is not None:
                    mlflow.log_metrics({f"champion_{name}": value for name, value in champion_figures.items()})
            example = pd.DataFrame({"read_at_ms": read_at_ms[-13:], "sgv": sgv[-13:], "forecast": [0.0] * 12 + [1.0]}).astype(float)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=GlucoseForecaster(models, run.info.run_id),
                code_paths=[os.path.join(HERE, "forecast.py"), os.path.join(HERE, "model.py")],
                input_example=example,
            )
        version = mlflow.register_model(info.model_uri, settings.model, tags={"event_run_id": tags.get("event_run_id", "")})
        beats = champion_figures is None or figures["rmse_mean"] < champion_figures["rmse_mean"]
        client.set_model_version_tag(settings.model, version.version, "beats_champion", str(beats).lower())
        if beats:
            client.set_registered_model_alias(settings.model, CHAMPION, version.version)
            log.info({"model": settings.model, "version": version.version, "rmse_mean": figures["rmse_mean"]}, "champion moved")
        champion_now = version.version if beats else (champion.version if champion is not None else None)
    except MlflowException as error:
        raise UpstreamUnavailableError(f"MLflow at {mlflow_url} failed: {str(error)[:300]}") from error
    served = reload_served_model(mlserver_url, settings.model, log)
    return TrainResult(
        facts={
            "model": settings.model,
            "model_version": int(version.version),
            "champion_version": None if champion_now is None else int(champion_now),
            "moved_champion": beats,
            "served": served,
            "mlflow_run_id": run.info.run_id,
            "metrics": {name: round(value, 3) for name, value in figures.items()},
            "champion_metrics": None if champion_figures is None else {name: round(value, 3) for name, value in champion_figures.items()},
        }
    )


def champion_version(client: Any, model: str) -> Any:
    """The version the `champion` alias names, or None (no model, or no alias yet)."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model, CHAMPION)
    except MlflowException as error:
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def evaluate_champion(model: str, series: pd.Series, data: forecast.TrainingSet, log: Logger) -> dict[str, float] | None:
    """The champion's figures on the same held-out moments, predicted through its own logged code (as MLServer
    serves it). None when it cannot be loaded: the new version then stands on its own figures."""
    import mlflow

    try:
        champion = mlflow.pyfunc.load_model(f"models:/{model}@{CHAMPION}")
    except Exception as error:  # noqa: BLE001 - a champion that no longer loads is replaced, not fatal
        log.warn({"err": error}, "the champion could not be loaded; judging the new version on its own")
        return None
    window = series[series.index >= data.holdout_x.index.min() - pd.Timedelta(hours=1)].dropna()
    wanted = window.index.isin(data.holdout_x.index)
    rows = champion.predict(
        pd.DataFrame(
            {
                # Whatever the index's unit (pandas 3 keeps microseconds), as epoch milliseconds.
                "read_at_ms": ((window.index - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)).astype(float),
                "sgv": window.to_numpy(dtype=float),
                "forecast": wanted.astype(float),
            }
        )
    )
    predicted = rows.pivot_table(index="read_at_ms", columns="horizon_minutes", values="predicted_sgv")
    predicted.index = pd.to_datetime(predicted.index.astype("int64"), unit="ms", utc=True)
    predicted.columns = [int(column) for column in predicted.columns]
    common = data.holdout_x.index.intersection(predicted.index)
    if len(common) == 0 or set(predicted.columns) != set(data.holdout_y.columns):
        return None
    changes = predicted.loc[common].sub(data.holdout_x.loc[common, "sgv"], axis=0)
    return forecast.evaluate(changes, data.holdout_y.loc[common])


def reload_served_model(mlserver_url: str, model: str, log: Logger) -> bool:
    """Has MLServer load the champion again (its model URI is `models:/<model>@champion`). False when MLServer does
    not serve this model at all (a model of another name, as tests train): nothing to reload."""
    request = urllib.request.Request(f"{mlserver_url}/v2/repository/models/{model}/load", method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
        return True
    except urllib.error.HTTPError as error:
        if error.code == 404:
            log.info({"model": model}, "MLServer does not serve this model; nothing to reload")
            return False
        raise UpstreamUnavailableError(f"MLServer at {mlserver_url} did not load the champion of {model}: HTTP {error.code}") from error
    except (urllib.error.URLError, TimeoutError) as error:
        raise UpstreamUnavailableError(f"MLServer at {mlserver_url} did not load the champion of {model}: {error}") from error
