"""forecast.py's rules, without services (tests/integration/ml/python-unit.test.ts runs them with the training's
environment): the grid, the features, the targets, the split, the figures and the served rows."""

import os
import sys
import unittest

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import forecast  # noqa: E402

T0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z
MINUTE = 60_000


def series_of(values: list[float], start: int = T0) -> pd.Series:
    return forecast.regular_series([start + 5 * MINUTE * index for index in range(len(values))], values)


def realistic(days: int, seed: int = 1) -> tuple[list[int], list[float]]:
    """A CGM-like day: a rhythm, three meal rises and noise, so a trend is there to learn."""
    random = np.random.default_rng(seed)
    minutes = np.arange(days * 288) * 5
    meals = [m for day in range(days + 1) for m in (day * 1440 + 450 + random.integers(-45, 45), day * 1440 + 750 + random.integers(-45, 45), day * 1440 + 1110 + random.integers(-45, 45))]
    glucose = 115 + 15 * np.cos((minutes % 1440 - 300) / 1440 * 2 * np.pi)
    for meal in meals:
        x = np.clip((minutes - meal) / 55, 0, None)
        glucose += 70 * x * x * np.exp(2 * (1 - x)) * (minutes > meal)
    glucose += random.normal(0, 3, len(minutes))
    return [T0 + int(m) * MINUTE for m in minutes], list(np.round(glucose))


class RegularSeries(unittest.TestCase):
    def test_averages_readings_of_one_slot_and_fills_short_gaps_only(self) -> None:
        at = [T0, T0 + MINUTE, T0 + 5 * MINUTE, T0 + 20 * MINUTE, T0 + 60 * MINUTE]
        series = forecast.regular_series(at, [100, 110, 110, 140, 200])
        self.assertEqual(series.iloc[0], 105)  # two readings in the first slot
        self.assertEqual(list(series.iloc[1:5]), [110, 120, 130, 140])  # 15 minutes missing: interpolated
        self.assertTrue(series.iloc[5:12].isna().all())  # 40 minutes missing: left empty
        self.assertEqual(series.iloc[12], 200)

    def test_is_empty_without_readings(self) -> None:
        self.assertTrue(forecast.regular_series([], []).empty)


class Features(unittest.TestCase):
    def test_changes_over_the_last_hour_and_the_time_of_day(self) -> None:
        x = forecast.features(series_of([100 + 2 * index for index in range(14)]))
        self.assertEqual(len(x), 3)  # the first 11 moments lack a whole hour
        first = x.iloc[0]
        self.assertEqual(first["sgv"], 122)
        self.assertEqual(first["change_5"], 2)
        self.assertEqual(first["change_55"], 22)
        self.assertAlmostEqual(first["day_sin"], np.sin(2 * np.pi * 55 / 1440))

    def test_targets_are_the_change_that_many_minutes_later(self) -> None:
        y = forecast.targets(series_of([100, 101, 103, 106, 110, 115, 121]), [30])
        self.assertEqual(y[30].iloc[0], 21)
        self.assertTrue(np.isnan(y[30].iloc[1]))


class TrainingSetSplit(unittest.TestCase):
    def test_learns_nothing_of_the_held_out_window(self) -> None:
        at, sgv = realistic(4)
        series = forecast.regular_series(at, sgv)
        start = series.index.max() - pd.Timedelta(days=1)
        data = forecast.training_set(series, [30, 60], start)
        self.assertLess(data.train_x.index.max() + pd.Timedelta(minutes=60), start)
        self.assertGreaterEqual(data.holdout_x.index.min(), start)
        self.assertEqual(list(data.train_y.columns), [30, 60])


class Figures(unittest.TestCase):
    def test_persistence_is_a_change_of_zero(self) -> None:
        truth = pd.DataFrame({30: [10.0, -10.0], 60: [20.0, 0.0]})
        figures = forecast.evaluate(pd.DataFrame({30: [10.0, -10.0], 60: [10.0, 0.0]}), truth)
        self.assertEqual(figures["rmse_30"], 0)
        self.assertEqual(figures["persistence_rmse_30"], 10)
        self.assertAlmostEqual(figures["rmse_60"], np.sqrt(50))
        self.assertAlmostEqual(figures["improvement_pct_60"], 100 * (1 - np.sqrt(50) / np.sqrt(200)))
        self.assertAlmostEqual(figures["rmse_mean"], np.sqrt(50) / 2)

    def test_a_trained_model_beats_persistence_on_cgm_like_data(self) -> None:
        at, sgv = realistic(8)
        series = forecast.regular_series(at, sgv)
        data = forecast.training_set(series, [30, 60], series.index.max() - pd.Timedelta(days=2))
        models = forecast.fit_models(data.train_x, data.train_y)
        figures = forecast.evaluate(forecast.predict_changes(models, data.holdout_x), data.holdout_y)
        self.assertGreater(figures["improvement_pct_30"], 20)
        self.assertGreater(figures["improvement_pct_60"], 20)


class ServedRows(unittest.TestCase):
    def test_one_row_per_horizon_for_each_flagged_reading_with_a_whole_hour(self) -> None:
        at, sgv = realistic(3)
        models = forecast.fit_models(*self._data(at, sgv))
        flags = [0.0] * len(at)
        flags[5] = 1.0  # not a whole hour before it: no row
        flags[-1] = flags[-2] = 1.0
        rows = forecast.forecast_rows(models, np.array(at[:]), np.array(sgv), np.array(flags))
        self.assertEqual(sorted(set(rows["read_at_ms"])), [float(at[-2]), float(at[-1])])
        self.assertEqual(sorted(set(rows["horizon_minutes"])), [30.0, 60.0])
        self.assertEqual(len(rows), 4)
        self.assertTrue(all(dtype == np.float64 for dtype in rows.dtypes))

    def test_no_rows_without_flags(self) -> None:
        at, sgv = realistic(3)
        rows = forecast.forecast_rows(forecast.fit_models(*self._data(at, sgv)), np.array(at), np.array(sgv), np.zeros(len(at)))
        self.assertEqual(list(rows.columns), ["read_at_ms", "horizon_minutes", "predicted_sgv"])
        self.assertEqual(len(rows), 0)

    @staticmethod
    def _data(at: list[int], sgv: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
        series = forecast.regular_series(at, sgv)
        data = forecast.training_set(series, [30, 60], series.index.max())
        return data.train_x, data.train_y


if __name__ == "__main__":
    unittest.main()
