"""Weekly inflow forecast: week-of-year seasonality (STL), an Easter effect, ETS on the rest.

The model, per unit × planning object, on the log scale ``z = log(inflow + 0.5)``:

1. **Week-of-year profile** ``s[w]`` (w = ISO week 1..52) from statsmodels' STL (period 52,
   ``seasonal_deg=0`` with a wide seasonal window, so each week's factor is a robust average
   over the years, robust to outlier weeks). With ``seasonality='unit'`` (default) the profile
   and the Easter effect are estimated on the unit's total inflow and shared by its objects
   (group seasonal indices: an object's own 2–3 noisy points per week would make a noisy
   profile); ``'object'`` estimates them per object.
2. **Easter** moves between ISO weeks 12 and 17, so it is not in ``s``: the Easter weeks
   (Good Friday, Easter Monday; :mod:`pks_opt.forecasting.weeks`) are interpolated before STL and
   their mean log residual is the Easter effect, applied to the Easter weeks of the forecast.
   Christmas/New Year and midsummer are aligned on ISO week and live in ``s``.
3. **Level and trend**: statsmodels ``ETSModel`` (additive error) on ``z − s − easter``, with a
   damped additive trend or none, whichever has the lower AIC; its analytic prediction
   intervals (80 %, 95 %) carry over to the inflow through the exponential. The point forecast
   is smeared (× mean exp(residual), Duan) so that it estimates the mean, not the median.

A 53rd ISO week (every 5–6 years) is left out of the fit so that week w of every year is 52
steps apart; in the forecast it takes the mean of weeks 52 and 1 (log scale).

The back-test refits everything on the history without its last 13 (or 26) weeks and compares
the forecast of those weeks with the actuals and with the seasonal naive forecast (the same ISO
week a year earlier; week 53 → week 52).
"""

from __future__ import annotations

import datetime as dt
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pks_opt.constants import WEEKS_PER_YEAR
from pks_opt.forecasting.data import HistoryData, Series
from pks_opt.forecasting.weeks import EASTER, iso_week, next_weeks, week_label, week_type
from pks_opt.result import Result, SolveStatus

LOG_OFFSET = 0.5  # log(inflow + 0.5): weeks with no inflow stay finite
STL_SEASONAL_WINDOW = 35  # odd; wide with seasonal_deg=0 → a per-week average over the years
ALPHAS = {80: 0.20, 95: 0.05}
SEASONALITY = ("unit", "object")
QUARTER_WEEKS = 13
#: a week keeps its own seasonal factor when it is this many standard errors from its neighbours
PROFILE_KEEP_SE = 2.5


@dataclass(frozen=True)
class Profile:
    """Log seasonal factor per ISO week 1..52 (mean 0) and the log Easter effect."""

    seasonal: np.ndarray
    easter: float
    easter_weeks: int

    def at(self, mondays: Sequence[dt.date]) -> np.ndarray:
        """Sum the log seasonal factor and Easter effect for each Monday's ISO week."""
        return np.array(
            [
                self._week(iso_week(m)) + (self.easter if week_type(m) == EASTER else 0.0)
                for m in mondays
            ]
        )

    def _week(self, week: int) -> float:
        if week > WEEKS_PER_YEAR:  # week 53 lies between week 52 and week 1
            return float(0.5 * (self.seasonal[-1] + self.seasonal[0]))
        return float(self.seasonal[week - 1])

    def factors(self) -> np.ndarray:
        """Multiplicative factors, mean 1 over the 52 weeks."""
        f = np.exp(self.seasonal)
        return np.asarray(f / f.mean())


@dataclass(frozen=True)
class ObjectForecast:
    """A forecast of one series: mean and 80/95 % bounds per week ahead, the fit, the trend."""

    mean: np.ndarray
    bounds: dict[str, np.ndarray]  # lower_80, upper_80, lower_95, upper_95
    fitted: np.ndarray  # in-sample fit over the fitted weeks (53rd weeks: nan)
    trend: str


def _log(y: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.log(np.asarray(y, dtype=float) + LOG_OFFSET)


def _unlog(z: np.ndarray) -> np.ndarray:
    return np.asarray(np.maximum(np.exp(z) - LOG_OFFSET, 0.0))


def fit_profile(weeks: Sequence[dt.date], inflow: Sequence[float]) -> Profile:
    """STL week-of-year profile and Easter effect of one weekly series (see module doc)."""
    from statsmodels.tsa.seasonal import STL  # type: ignore[import-untyped]

    keep = np.array([iso_week(m) <= WEEKS_PER_YEAR for m in weeks])
    mondays = [m for m, k in zip(weeks, keep, strict=True) if k]
    z = _log(inflow)[keep]
    easter = np.array([week_type(m) == EASTER for m in mondays])
    pos = np.arange(len(z))
    z_fill = z.copy()
    if easter.any():
        z_fill[easter] = np.interp(pos[easter], pos[~easter], z[~easter])
    stl = STL(
        z_fill, period=WEEKS_PER_YEAR, seasonal=STL_SEASONAL_WINDOW, seasonal_deg=0, robust=True
    ).fit()
    seasonal = np.asarray(stl.seasonal)
    trend = np.asarray(stl.trend)
    by_week = np.zeros(WEEKS_PER_YEAR)
    for i, m in enumerate(mondays):  # the last year's value of each week wins
        by_week[iso_week(m) - 1] = seasonal[i]
    by_week = _smooth_profile(by_week, z_fill, len(z) / WEEKS_PER_YEAR)
    effect = float(np.mean(z[easter] - trend[easter] - seasonal[easter])) if easter.any() else 0.0
    return Profile(seasonal=by_week, easter=effect, easter_weeks=int(easter.sum()))


def _smooth_profile(by_week: np.ndarray, z: np.ndarray, years: float) -> np.ndarray:
    """Smooth the weekly seasonal factors where a week does not differ significantly (mean 0).

    Each week keeps its factor, or takes the median of its five neighbouring weeks where the
    two differ by less than ``PROFILE_KEEP_SE`` standard errors of a week's factor.

    A week's factor is an average of only 2–3 noisy weeks (one per year), so ordinary weeks
    scatter around their neighbours by noise alone; a running median of five weeks keeps steps
    and plateaus (the summer weeks), and a significant one-week dip (Christmas) stays its own.
    The noise of one week is measured on the same week a year apart (``z[t] − z[t−52]`` has
    twice its variance; robust spread), so it does not depend on the seasonal fit itself.
    """
    if len(z) <= WEEKS_PER_YEAR:
        return np.asarray(by_week - by_week.mean())
    diff = z[WEEKS_PER_YEAR:] - z[:-WEEKS_PER_YEAR]
    sd = 1.4826 * float(np.median(np.abs(diff - np.median(diff)))) / math.sqrt(2.0)
    se = sd / math.sqrt(max(years, 1.0))
    ring = np.concatenate([by_week[-2:], by_week, by_week[:2]])
    median = np.array([np.median(ring[i : i + 5]) for i in range(len(by_week))])
    own = by_week - median
    out = median + np.where(np.abs(own) > PROFILE_KEEP_SE * se, own, 0.0)
    return np.asarray(out - out.mean())


def fit_forecast(
    weeks: Sequence[dt.date],
    inflow: Sequence[float],
    profile: Profile,
    future: Sequence[dt.date],
) -> ObjectForecast:
    """ETS on the deseasonalised log series; forecast of the ``future`` weeks with intervals."""
    from statsmodels.tsa.exponential_smoothing.ets import (  # type: ignore[import-untyped]
        ETSModel,
    )

    if max(inflow) <= 0:  # no inflow in the history: none forecast, no interval
        zeros = np.zeros(len(future))
        return ObjectForecast(
            mean=zeros,
            bounds={f"{b}_{lvl}": zeros for b in ("lower", "upper") for lvl in ALPHAS},
            fitted=np.zeros(len(weeks)),
            trend="none (no inflow)",
        )
    keep = np.array([iso_week(m) <= WEEKS_PER_YEAR for m in weeks])
    mondays = [m for m, k in zip(weeks, keep, strict=True) if k]
    seas = profile.at(mondays)
    a = pd.Series(_log(inflow)[keep] - seas)
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser
        for trend in ("damped", "none"):
            kwargs = {"trend": "add", "damped_trend": True} if trend == "damped" else {}
            res = ETSModel(a, error="add", **kwargs).fit(disp=False)
            if best is None or res.aic < best[1].aic:
                best = (trend, res)
    assert best is not None
    trend, res = best
    n = len(a)
    h = len(future)
    pred = res.get_prediction(start=n, end=n + h - 1)
    fut_seas = profile.at(future)
    resid = np.asarray(res.resid, dtype=float)
    smear = float(np.mean(np.exp(resid)))
    mean = _unlog(np.asarray(pred.predicted_mean, dtype=float) + fut_seas + math.log(smear))
    bounds: dict[str, np.ndarray] = {}
    for level, alpha in ALPHAS.items():
        frame = pred.summary_frame(alpha=alpha)
        bounds[f"lower_{level}"] = _unlog(np.asarray(frame["pi_lower"], dtype=float) + fut_seas)
        bounds[f"upper_{level}"] = _unlog(np.asarray(frame["pi_upper"], dtype=float) + fut_seas)
    fitted = np.full(len(weeks), np.nan)
    fitted[keep] = _unlog(np.asarray(res.fittedvalues, dtype=float) + seas + math.log(smear))
    return ObjectForecast(mean=mean, bounds=bounds, fitted=fitted, trend=trend)


def _profiles(
    series: Sequence[Series], cut: int, seasonality: str
) -> dict[tuple[str, str], Profile]:
    """Profile per series key, fitted on each series' first ``cut`` weeks."""
    out: dict[tuple[str, str], Profile] = {}
    if seasonality == "object":
        for s in series:
            out[s.key] = fit_profile(s.weeks[:cut], s.inflow[:cut])
        return out
    for unit in dict.fromkeys(s.unit for s in series):
        members = [s for s in series if s.unit == unit]
        total = np.sum([np.asarray(s.inflow[:cut]) for s in members], axis=0)
        prof = fit_profile(members[0].weeks[:cut], total)
        for s in members:
            out[s.key] = prof
    return out


def seasonal_naive(
    weeks: Sequence[dt.date], inflow: Sequence[float], targets: Sequence[dt.date]
) -> np.ndarray:
    """Forecast the same ISO week a year earlier (week 53 → week 52 of the year before)."""
    by_label = {week_label(m): v for m, v in zip(weeks, inflow, strict=True)}
    out = []
    for m in targets:
        iso = m.isocalendar()
        w = min(iso.week, WEEKS_PER_YEAR)
        out.append(by_label[f"{iso.year - 1}-W{w:02d}"])
    return np.array(out, dtype=float)


def _naive_scale(weeks: Sequence[dt.date], inflow: Sequence[float]) -> float:
    """MASE's scale: the in-sample MAE of the seasonal naive forecast on the fitted weeks."""
    labels = {week_label(m) for m in weeks}
    pairs = []
    for i, m in enumerate(weeks):
        iso = m.isocalendar()
        prev = f"{iso.year - 1}-W{min(iso.week, WEEKS_PER_YEAR):02d}"
        if prev in labels:
            pairs.append(i)
    targets = [weeks[i] for i in pairs]
    naive = seasonal_naive(weeks, inflow, targets)
    return float(np.mean(np.abs(np.asarray([inflow[i] for i in pairs]) - naive)))


def _quarter_label(monday: dt.date) -> str:
    iso = monday.isocalendar()
    return f"{iso.year}Q{min((iso.week - 1) // QUARTER_WEEKS + 1, 4)}"


def run_forecast(
    data: HistoryData,
    *,
    horizon: int = 52,
    holdout: int | None = None,
    start: dt.date | None = None,
    seasonality: str = "unit",
) -> Result:
    """Fit, back-test and forecast every series of ``data``.

    Gives a :class:`Result` of kind ``forecast``.
    """
    t0 = time.perf_counter()
    if holdout is None:
        holdout = data.holdout_weeks
    series = data.series
    last = data.last_week
    first = start if start is not None else last + dt.timedelta(weeks=1)
    lead = (first - last).days // 7 - 1  # weeks between the history and the forecast start
    future = next_weeks(last, lead + horizon)
    out_weeks = future[lead:]
    n = len(series[0].weeks)
    cut = n - holdout
    test_weeks = list(series[0].weeks[cut:])
    profiles = _profiles(series, n, seasonality)
    bt_profiles = _profiles(series, cut, seasonality)
    rows = _Rows()
    for s in series:
        prof = profiles[s.key]
        fc = fit_forecast(s.weeks, s.inflow, prof, future)
        bt = fit_forecast(s.weeks[:cut], s.inflow[:cut], bt_profiles[s.key], test_weeks)
        rows.backtest.append(_backtest_row(s, bt, cut, test_weeks, holdout))
        rows.add_fit(s, fc, bt, cut)
        rows.add_profile(s, prof, seasonality)
        rows.add_forecast(s, fc, out_weeks, lead)
        rows.add_waiting(s)
    tables = rows.tables()
    if data.weekday:
        tables["weekday_profile"] = _weekday_table(data)
    bt_df = tables["backtest"]
    mase = float(bt_df["MASE"].mean())
    kpis = {
        "series": len(series),
        "history_weeks": n,
        "history": f"{week_label(series[0].weeks[0])}…{week_label(last)}",
        "forecast_weeks": f"{week_label(out_weeks[0])}…{week_label(out_weeks[-1])}",
        "holdout_weeks": holdout,
        "seasonality": seasonality,
        "mean_MAPE": round(float(bt_df["MAPE"].mean()), 2),
        "mean_MASE": round(mase, 3),
        "max_MASE": round(float(bt_df["MASE"].max()), 3),
        "forecast_total": round(float(tables["forecast"]["inflow"].sum()), 1),
    }
    explanation = [
        f"back-test: last {holdout} weeks held out; MASE < 1 beats the seasonal naive forecast"
    ]
    worse = bt_df[bt_df["MASE"] >= 1]
    for _, r in worse.iterrows():
        explanation.append(
            f"{r['unit']}/{r['planning_object']}: back-test MASE {r['MASE']} — no better than "
            "the same week last year"
        )
    return Result(
        kind="forecast",
        status=SolveStatus.OPTIMAL,
        instance=data.name,
        solver="statsmodels STL + ETS",
        objective=mase,
        runtime_s=time.perf_counter() - t0,
        kpis=kpis,
        tables=tables,
        explanation=explanation,
        warnings=rows.warnings,
    )


def _backtest_row(
    s: Series, bt: Any, cut: int, test_weeks: list[dt.date], holdout: int
) -> dict[str, object]:
    """Back-test of one series against the seasonal naive forecast (MAPE, MASE, coverage)."""
    actual = np.asarray(s.inflow[cut:], dtype=float)
    naive = seasonal_naive(s.weeks, s.inflow, test_weeks)
    err = np.abs(actual - bt.mean)
    model_mae = float(err.mean())
    naive_mae = float(np.abs(actual - naive).mean())
    scale = _naive_scale(s.weeks[:cut], s.inflow[:cut])
    pos = actual > 0
    mape = float(100 * np.mean(err[pos] / actual[pos])) if pos.any() else math.nan
    cover = {
        lvl: float(
            np.mean((actual >= bt.bounds[f"lower_{lvl}"]) & (actual <= bt.bounds[f"upper_{lvl}"]))
        )
        for lvl in ALPHAS
    }
    return {
        "unit": s.unit,
        "planning_object": s.planning_object,
        "holdout_weeks": holdout,
        "first_week": week_label(test_weeks[0]),
        "last_week": week_label(test_weeks[-1]),
        "MAPE": round(mape, 2),
        "MASE": round(model_mae / scale, 3) if scale > 0 else math.nan,
        "relative_MAE": round(model_mae / naive_mae, 3) if naive_mae > 0 else math.nan,
        "seasonal_naive_MAE": round(naive_mae, 2),
        "model_MAE": round(model_mae, 2),
        "coverage_80": round(cover[80], 3),
        "coverage_95": round(cover[95], 3),
        "trend": bt.trend,
    }


@dataclass
class _Rows:
    """The forecast's tables, row by row, as the series are fitted."""

    forecast: list[dict[str, object]] = field(default_factory=list)
    backtest: list[dict[str, object]] = field(default_factory=list)
    profile: list[dict[str, object]] = field(default_factory=list)
    holiday: list[dict[str, object]] = field(default_factory=list)
    fit: list[dict[str, object]] = field(default_factory=list)
    inflow: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    demand: list[dict[str, object]] = field(default_factory=list)
    waiting: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_fit(self, s: Series, fc: Any, bt: Any, cut: int) -> None:
        for i, m in enumerate(s.weeks):
            self.fit.append(
                {
                    "unit": s.unit,
                    "planning_object": s.planning_object,
                    "week": week_label(m),
                    "inflow": s.inflow[i],
                    "fitted": None if math.isnan(fc.fitted[i]) else round(float(fc.fitted[i]), 2),
                    "backtest": round(float(bt.mean[i - cut]), 2) if i >= cut else None,
                }
            )

    def add_profile(self, s: Series, prof: Any, seasonality: str) -> None:
        for w, f in enumerate(prof.factors(), start=1):
            self.profile.append(
                {
                    "unit": s.unit,
                    "planning_object": s.planning_object,
                    "week_of_year": w,
                    "factor": round(float(f), 4),
                    "estimated_on": seasonality,
                }
            )
        self.holiday.append(
            {
                "unit": s.unit,
                "planning_object": s.planning_object,
                "week_type": EASTER,
                "factor": round(math.exp(prof.easter), 4),
                "weeks_in_history": prof.easter_weeks,
                "estimated_on": seasonality,
            }
        )

    def add_forecast(self, s: Series, fc: Any, out_weeks: list[dt.date], lead: int) -> None:
        """Add the weekly forecast with its bands, the plan's inflow table and quarter volumes."""
        inflow_list = self.inflow.setdefault(s.unit, [])
        quarters: dict[str, float] = {}
        for k, m in enumerate(out_weeks, start=1):
            j = lead + k - 1
            row: dict[str, object] = {
                "unit": s.unit,
                "planning_object": s.planning_object,
                "week": week_label(m),
                "iso_week": iso_week(m),
                "inflow": round(float(fc.mean[j]), 2),
            }
            for b, arr in fc.bounds.items():
                row[b] = round(float(arr[j]), 2)
            row["week_type"] = week_type(m)
            self.forecast.append(row)
            inflow_list.append(
                {
                    "planning_object": s.planning_object,
                    "week": k,
                    "inflow": round(float(fc.mean[j]), 2),
                }
            )
            block = _quarter_label(out_weeks[((k - 1) // QUARTER_WEEKS) * QUARTER_WEEKS])
            quarters[block] = quarters.get(block, 0.0) + float(fc.mean[j])
        for period, vol in quarters.items():
            self.demand.append(
                {
                    "unit": s.unit,
                    "planning_object": s.planning_object,
                    "period": period,
                    "base_volume": round(vol, 1),
                }
            )

    def add_waiting(self, s: Series) -> None:
        if s.waiting_at_end is not None:
            self.waiting.append(
                {
                    "unit": s.unit,
                    "planning_object": s.planning_object,
                    "waiting": s.waiting_at_end,
                    "max_reduction_per_period": None,
                }
            )
        elif any(v is not None for v in s.waiting):
            self.warnings.append(
                f"{s.unit}/{s.planning_object}: no waiting list in the last week of the "
                "history; it is left out of waiting_lists.csv"
            )

    def tables(self) -> dict[str, pd.DataFrame]:
        tables: dict[str, pd.DataFrame] = {
            "forecast": pd.DataFrame(self.forecast),
            "backtest": pd.DataFrame(self.backtest),
            "seasonal_profile": pd.DataFrame(self.profile),
            "holiday_effects": pd.DataFrame(self.holiday),
            "fit": pd.DataFrame(self.fit),
            "demand_forecast": pd.DataFrame(self.demand),
        }
        single = len(self.inflow) == 1
        for unit, rows in self.inflow.items():
            tables["inflow" if single else f"inflow_{unit}"] = pd.DataFrame(rows)
        if self.waiting:
            tables["waiting_lists"] = pd.DataFrame(self.waiting)
        return tables


def _weekday_table(data: HistoryData) -> pd.DataFrame:
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return pd.DataFrame(
        [
            {
                "unit": w.unit,
                "planning_object": w.planning_object,
                "weekday": w.weekday,
                "weekday_name": names[w.weekday - 1],
                "share": round(w.share, 4),
                "days": w.days,
            }
            for w in data.weekday
        ]
    )
