"""Weekly inflow forecast from history (``pks forecast``).

STL week-of-year profile, Easter effect, ETS level/trend, back-test against the seasonal
naive forecast.
"""

from pks_opt.forecasting.charts import forecast_charts
from pks_opt.forecasting.data import HistoryData, Series, read_history
from pks_opt.forecasting.model import fit_profile, run_forecast, seasonal_naive

__all__ = [
    "HistoryData",
    "Series",
    "fit_profile",
    "forecast_charts",
    "read_history",
    "run_forecast",
    "seasonal_naive",
]
