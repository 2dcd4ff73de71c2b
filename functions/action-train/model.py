"""The served glucose forecast: an MLflow pyfunc model holding one regressor per horizon. Logged by the training with
this file and forecast.py as its code, so MLServer (mlserver-mlflow) builds the same features as the training did.

Input (V2 inference, content type `pd`): columns `read_at_ms` (epoch ms), `sgv` (mg/dL) and `forecast` (1 for the
readings to forecast from, 0 for history only). Output: columns `read_at_ms`, `horizon_minutes`, `predicted_sgv`
and `model_run`, all numbers (MLServer's pandas codec cannot answer text), one row per forecast reading and horizon.
`model_run` is the training run's fingerprint (`run_fingerprint`): a reader compares it with the champion's to know
which model version answered."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

import forecast


def run_fingerprint(run_id: str) -> float:
    """The first 13 hex digits of an MLflow run id as a number: exact in a double (52 bits), unique in practice."""
    return float(int(run_id[:13], 16))


class GlucoseForecaster(mlflow.pyfunc.PythonModel):
    def __init__(self, models: dict[int, object], run_id: str) -> None:
        self.models = models
        self.run_id = run_id

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        rows = forecast.forecast_rows(self.models, model_input["read_at_ms"].to_numpy(), model_input["sgv"].to_numpy(), model_input["forecast"].to_numpy())
        rows["model_run"] = np.full(len(rows), run_fingerprint(self.run_id))
        return rows
