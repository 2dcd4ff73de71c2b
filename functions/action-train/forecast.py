"""The glucose forecast, without I/O: CGM readings on a 5-minute grid, the features of a moment (the reading, its
changes over the last hour, the time of day), the targets (the change 30 and 60 minutes later), one gradient-boosted
model per horizon, the persistence baseline (the glucose stays where it is) and the figures they are compared by.
Used by the training (handler.py, train.py) and, logged with the model, by MLServer (model.py): one feature code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STEP = pd.Timedelta(minutes=5)
# The reading and the 11 before it: the last hour.
HISTORY_STEPS = 12
# A gap of up to 15 minutes (a missed reading or two) is interpolated; a longer one leaves no features there.
MAX_GAP_STEPS = 3


def regular_series(read_at_ms: np.ndarray | list[int], sgv: np.ndarray | list[float]) -> pd.Series:
    """The readings on a 5-minute UTC grid: the mean of the readings in each slot, gaps of at most 15 minutes filled
    linearly, longer gaps left empty (NaN)."""
    values = pd.Series(np.asarray(sgv, dtype=float), index=pd.to_datetime(np.asarray(read_at_ms, dtype="int64"), unit="ms", utc=True))
    if values.empty:
        return values
    grid = values.groupby(values.index.floor(STEP)).mean().resample(STEP).mean()
    missing = grid.isna()
    gap_length = missing.groupby((~missing).cumsum()).transform("sum")
    return grid.interpolate(limit_area="inside").mask(missing & (gap_length > MAX_GAP_STEPS))


def features(series: pd.Series) -> pd.DataFrame:
    """The features of each grid moment with a whole last hour: the glucose, its change against each of the 11
    readings before, and the time of day as a point on a circle. Moments without them are left out."""
    frame = pd.DataFrame({"sgv": series})
    for step in range(1, HISTORY_STEPS):
        frame[f"change_{step * 5}"] = series - series.shift(step)
    minutes = series.index.hour * 60 + series.index.minute
    frame["day_sin"] = np.sin(2 * np.pi * minutes / 1440)
    frame["day_cos"] = np.cos(2 * np.pi * minutes / 1440)
    return frame.dropna()


def targets(series: pd.Series, horizons_minutes: list[int]) -> pd.DataFrame:
    """What the models learn: the change of the glucose `horizon` minutes after each moment."""
    return pd.DataFrame({horizon: series.shift(-(horizon // 5)) - series for horizon in horizons_minutes})


@dataclass(frozen=True)
class TrainingSet:
    """Features and targets of the moments that have both, split in time: training before `holdout_start`."""

    train_x: pd.DataFrame
    train_y: pd.DataFrame
    holdout_x: pd.DataFrame
    holdout_y: pd.DataFrame


def training_set(series: pd.Series, horizons_minutes: list[int], holdout_start: pd.Timestamp) -> TrainingSet:
    """The moments with features and every target; those from `holdout_start` on are held out. Training moments whose
    targets reach into the held-out window are dropped, so nothing of it is learnt."""
    x = features(series)
    y = targets(series, horizons_minutes).reindex(x.index).dropna()
    x = x.loc[y.index]
    reach = pd.Timedelta(minutes=max(horizons_minutes))
    is_train = x.index + reach < holdout_start
    is_holdout = x.index >= holdout_start
    return TrainingSet(x[is_train], y[is_train], x[is_holdout], y[is_holdout])


# Small and quick (a few seconds for four weeks of readings): more trees or leaves gained nothing on the held-out days.
ESTIMATOR_PARAMS = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "l2_regularization": 1.0}


def fit_models(train_x: pd.DataFrame, train_y: pd.DataFrame, seed: int = 0) -> dict[int, object]:
    """One gradient-boosted regressor per horizon, learning the change from the features."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    models = {}
    for horizon in train_y.columns:
        model = HistGradientBoostingRegressor(**ESTIMATOR_PARAMS, random_state=seed)
        model.fit(train_x, train_y[horizon])
        models[int(horizon)] = model
    return models


def predict_changes(models: dict[int, object], x: pd.DataFrame) -> pd.DataFrame:
    """Each model's predicted change for each moment of `x`."""
    return pd.DataFrame({horizon: model.predict(x) for horizon, model in models.items()}, index=x.index)  # type: ignore[attr-defined]


def served_changes(models: dict[int, object], x: pd.DataFrame) -> pd.DataFrame:
    """The changes as a served model answers them (`forecast_rows` rounds the glucose to one decimal): what the new
    version is judged by, so it compares with the champion, judged through its served answers, to the last digit."""
    changes = predict_changes(models, x)
    return changes.apply(lambda change: np.round(x["sgv"] + change, 1) - x["sgv"])


def rmse(errors: pd.Series | np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(errors))))


def mae(errors: pd.Series | np.ndarray) -> float:
    return float(np.mean(np.abs(errors)))


def evaluate(predicted_changes: pd.DataFrame, true_changes: pd.DataFrame) -> dict[str, float]:
    """RMSE and MAE (mg/dL) per horizon of predicted changes against the true ones, and persistence's (a change of
    0), with the improvement in % of RMSE: `rmse_30`, `persistence_rmse_30`, `improvement_pct_30`, …"""
    figures: dict[str, float] = {}
    for horizon in true_changes.columns:
        error = predicted_changes[horizon] - true_changes[horizon]
        figures[f"rmse_{horizon}"] = rmse(error)
        figures[f"mae_{horizon}"] = mae(error)
        figures[f"persistence_rmse_{horizon}"] = rmse(true_changes[horizon])
        figures[f"persistence_mae_{horizon}"] = mae(true_changes[horizon])
        figures[f"improvement_pct_{horizon}"] = 100 * (1 - figures[f"rmse_{horizon}"] / figures[f"persistence_rmse_{horizon}"])
    figures["rmse_mean"] = float(np.mean([figures[f"rmse_{horizon}"] for horizon in true_changes.columns]))
    return figures


def forecast_rows(models: dict[int, object], read_at_ms: np.ndarray, sgv: np.ndarray, forecast: np.ndarray) -> pd.DataFrame:
    """The forecasts a served model answers: for each reading flagged in `forecast` whose last hour is known, one row
    per horizon with the reading's time (epoch ms), the horizon and the predicted glucose (mg/dL, one decimal)."""
    series = regular_series(read_at_ms, sgv)
    x = features(series)
    wanted = pd.DataFrame({"read_at_ms": np.asarray(read_at_ms, dtype="int64"), "flag": np.asarray(forecast, dtype=float)})
    wanted = wanted[wanted["flag"] > 0].drop_duplicates("read_at_ms")
    wanted["slot"] = pd.to_datetime(wanted["read_at_ms"], unit="ms", utc=True).dt.floor(STEP)
    wanted = wanted[wanted["slot"].isin(x.index)]
    columns = {"read_at_ms": [], "horizon_minutes": [], "predicted_sgv": []}
    if not wanted.empty:
        at = x.loc[wanted["slot"]]
        changes = predict_changes(models, at)
        for horizon in changes.columns:
            columns["read_at_ms"].extend(wanted["read_at_ms"].astype(float))
            columns["horizon_minutes"].extend([float(horizon)] * len(wanted))
            columns["predicted_sgv"].extend(np.round(at["sgv"].to_numpy() + changes[horizon].to_numpy(), 1))
    return pd.DataFrame({name: np.asarray(values, dtype=float) for name, values in columns.items()})
