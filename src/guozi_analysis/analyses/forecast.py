"""Year-end projections of year-to-date (本年累计) figures with simulated intervals.

What this module does
---------------------
Monthly financial figures arrive **year-to-date cumulative**; January is not reported, so the
February figure carries January–February. In November the district must say where the year will
end (营业总收入, 利润总额, 固定资产投资完成额) and whether the annual targets will be met.

* :func:`ytd_to_monthly` / :func:`monthly_to_ytd` convert between cumulative and monthly flows.
  Rule: when January is missing, the January–February value stays on February and January is NaN
  (``jan_feb="combined"``, the default); ``jan_feb="even"`` splits it half and half instead.
* Models work on **11 slots a year**: slot 1 = January–February (robust to the Spring Festival
  moving between the two months), slots 2..11 = March..December.
* Candidate methods (:data:`METHODS`), each giving simulated paths of the remaining months:
  ``linear_ytd`` (YTD × 12 / m, the analysts' habit), ``hist_share`` (YTD / average share of the
  annual total reached by the same month in past years), ``share_recent`` (the same with recent
  years weighted more; not a default candidate), ``seasonal_naive`` (same months last year, additive),
  ``seasonal_naive_mult`` (last year's months × this year's YTD growth, multiplicative), ``ets``
  (statsmodels ``ETSModel``) and ``sarima`` (statsmodels ``SARIMAX`` airline model).
  Methods that do not fit the data (too short a history, non-positive totals, gaps) are skipped
  with a Chinese reason.
* Selection per series and per as-of month m (:func:`choose_from_backtest`, settings ``selection`` in
  ``params/forecast.yaml``): a rolling-origin backtest (:func:`backtest_year_end`) projects every
  earlier year (at most ``backtest_years``) from every month-end Feb..Nov with only the data of
  that time. The incumbent is the set-wide default (:func:`set_default`: the single method with the
  smallest pooled scaled backtest error over the other series of the set — the groups' series of the same
  item — when ``selection.set_default``), else ``selection.default`` (``seasonal_naive``; a combination
  such as ``combo_mean`` may be configured, with ``fallback`` when its members are unavailable); it is kept
  unless a challenger —
  single methods first, then the combinations of :func:`candidate_points` (``combo_mean``: equal
  weights of the methods other than ``linear_ytd``; ``combo_weighted``: 1 / WAPE² weights from
  earlier years only) — compared on every backtest origin month weighted 0.5^(|Δmonth| / ``month_half_life``)
  towards m (:func:`origin_weights`; without a half-life the origins within ``window`` months of m), warm-up
  years (``history < min_history``) left out, covers ``min_years`` years, has a weighted scaled score
  (|error| / (level × √h)) ratio r to the incumbent's over n compared years that, shrunk with weight
  k = ``shrink_years`` towards the two methods' pooled ratio r₀ on the other series of the set
  (``shrink_to: set``; r₀ = 1 without a set), (n·r + k·r₀)/(n + k), lies ``margin`` below 1
  (:func:`shrunk_ratio`, :func:`set_ratio`), and wins at least
  ``win_share`` and ``min_wins`` of those years. Pinned by
  ``test_method_winning_one_backtest_year_is_not_chosen`` and
  ``test_margin_of_five_percent_pins_the_replacement``. Growth guard (``growth_guard``): seasonal naive
  kept while this year's YTD growth on last year (:func:`ytd_growth`) lies outside the growths of the
  backtest origins it was tested on hands over to the historical share (tests ``test_growth_guard_*``).
* Intervals (:func:`final_samples`, :func:`calibration_widths`): the chosen candidate's backtest
  errors at origins within ``calibration.window`` months of m (warm-up years included), scaled by
  level × h^b (b from :func:`_horizon_exponent`), give the 80 %/95 % half-widths (finite-sample
  quantile levels ⌈(n + 1)p⌉/n, 95 % ≥ 1.96/1.28 × 80 %); the simulated totals are
  stretched piecewise to them (:func:`_two_point`), never narrower than the errors imply. Fewer than
  ``calibration.min_years`` years: Student-t stretch and a note; no errors at all:
  ``no_history_factor``. A turn (:func:`turn_signal` above ``turn.threshold``) widens further.
  Pinned by ``test_interval_calibrated_on_known_noise_covers_80_percent``. Only the remaining months
  are uncertain; for flows that cannot fall (``nondecreasing``: revenue, completed investment) the
  remaining amount is clipped at 0 (:func:`floor_remaining`), so no bound lies below the year to date.
  Comparable basis: a 快报's restated 上年同期 puts last year on this year's scope
  (:func:`restate_last_year`). The verdict on a target follows P(target) (:func:`target_status`). The reader-facing
  description (no identifiers) is ``docs/forecast-method.md``, printed in the methods appendix.
* Hierarchy: :func:`reconcile_bottom_up` — see its docstring for what "coherent" means when groups
  submit consolidated figures.

All money stays in 万元; no function mutates its inputs; nothing runs at import time.

Performance note: the statsmodels fits are tiny; with multi-threaded OpenBLAS on a busy 2-core
machine they run 10–100× slower. Set ``OPENBLAS_NUM_THREADS=1`` (before numpy is imported) in
notebooks, CI and batch runs; a projection then takes well under a second per series.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.base import config
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.parallel import map_in_processes
from guozi_analysis.base.params import read_yaml
from guozi_analysis.base.periods import closed_month, elapsed_share

__all__ = [
    "METHODS",
    "METHOD_LABELS",
    "ytd_to_monthly",
    "monthly_to_ytd",
    "to_monthly_ytd",
    "ytd_matrix",
    "forecast_remaining",
    "backtest_year_end",
    "choose_from_backtest",
    "set_default",
    "project_year_end",
    "series_backtest",
    "project_items",
    "project_next_year",
    "reconcile_bottom_up",
    "track_targets",
    "forecast_settings",
    "prob_words",
    "ytd_growth",
    "final_samples",
    "floor_remaining",
    "restate_last_year",
    "target_status",
    "stored_projection",
]

#: Candidate methods, in order of simplicity (ties in the backtest go to the earlier one).
METHODS: tuple[str, ...] = ("seasonal_naive", "seasonal_naive_mult", "hist_share", "share_recent", "linear_ytd", "ets",
                            "sarima")

#: Chinese names for reports.
METHOD_LABELS: dict[str, str] = {
    "linear_ytd": "序时线性外推",
    "hist_share": "历年同期占比法",
    "share_recent": "近年占比法",
    "seasonal_naive": "季节性朴素法",
    "seasonal_naive_mult": "季节性朴素法（按本年增速）",
    "ets": "指数平滑（ETS）",
    "sarima": "季节性ARIMA",
    "actual": "全年实际",
    "combination": "多方法等权组合",
    "combo_mean": "多方法等权组合",
    "combo_weighted": "多方法按回测误差加权组合",
    "bottom_up": "自下而上汇总",
}

_Z80 = 1.2815515655446004  # standard normal 90 % quantile
_QUANTILES = (0.025, 0.10, 0.50, 0.90, 0.975)
_SLOTS = 11  # Jan–Feb, Mar, ..., Dec


class _Unavailable(Exception):
    """A method cannot be used for this series at this origin (message in Chinese)."""


# ---------------------------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------------------------
def _to_period_index(index: pd.Index) -> pd.PeriodIndex:
    if isinstance(index, pd.PeriodIndex):
        return index.asfreq("M")
    if isinstance(index, pd.DatetimeIndex):
        return index.to_period("M")
    labels = pd.Index(index).astype(str).str.slice(0, 7)
    return pd.PeriodIndex(labels, freq="M")


def to_monthly_ytd(series: pd.Series) -> pd.Series:
    """Normalise a YTD series to a monthly ``PeriodIndex`` (freq ``M``), sorted, full calendar.

    Accepts an index of ``pandas.Period``, timestamps, ``"YYYY-MM"`` labels or half-monthly labels
    ``"YYYY-MM-H1"``/``"YYYY-MM-H2"``. For half-monthly data only the month-end value (``H2``) is kept,
    because the monthly models need month-end cumulative figures; a month with only ``H1`` is NaN.
    Missing months (January included) appear as NaN. The input is not modified.
    """
    s = pd.Series(series, copy=True)
    labels = pd.Index(s.index).astype(str) if not isinstance(
        s.index, (pd.PeriodIndex, pd.DatetimeIndex)
    ) else None
    if labels is not None and labels.str.contains("-H").any():
        keep = labels.str.endswith("-H2")
        s = s[np.asarray(keep)]
    values = pd.to_numeric(pd.Series(s.to_numpy(), dtype="object"), errors="coerce").to_numpy(
        dtype=float
    )
    out = pd.Series(values, index=_to_period_index(s.index), name=series.name)
    out = out[~out.index.duplicated(keep="last")].sort_index()
    if out.empty:
        return out
    full = pd.period_range(
        pd.Period(year=out.index[0].year, month=1, freq="M"),
        pd.Period(year=out.index[-1].year, month=out.index[-1].month, freq="M"),
        freq="M",
    )
    return out.reindex(full)


def ytd_to_monthly(ytd: pd.Series, *, jan_feb: str = "combined") -> pd.Series:
    """Monthly flows from a year-to-date cumulative series.

    Parameters
    ----------
    ytd:
        Cumulative figures, one per month (index as accepted by :func:`to_monthly_ytd`).
    jan_feb:
        ``"combined"`` (default): when January is missing, February's flow is the whole
        January–February value and January stays NaN. ``"even"``: the January–February value is
        split half and half between the two months. When January *is* reported the two months are
        separate flows under both rules.

    A missing month makes its own flow and the next month's flow NaN (the two months cannot be
    told apart); nothing is filled with zero.
    """
    if jan_feb not in {"combined", "even"}:
        raise ValueError("jan_feb 只能取 'combined' 或 'even'")
    s = to_monthly_ytd(ytd)
    if s.empty:
        return s.copy()
    years = s.index.year
    prev = s.groupby(years).shift(1)
    flows = s - prev
    is_jan = np.asarray(s.index.month == 1)
    is_feb = np.asarray(s.index.month == 2)
    flows[is_jan] = s[is_jan]
    jan_missing = np.asarray(prev.isna()) & is_feb
    flows[jan_missing] = s[jan_missing]
    if jan_feb == "even":
        feb_pos = np.flatnonzero(jan_missing & np.asarray(s.notna()))
        for pos in feb_pos:
            if pos >= 1 and s.index[pos - 1].month == 1:
                half = s.iloc[pos] / 2.0
                flows.iloc[pos] = half
                flows.iloc[pos - 1] = half
    return flows


def monthly_to_ytd(monthly: pd.Series) -> pd.Series:
    """Year-to-date cumulative figures from monthly flows (inverse of :func:`ytd_to_monthly`).

    A NaN January followed by a reported February is read as the combined January–February
    convention: January's cumulative stays NaN and February carries the sum. Any other missing month
    makes the cumulative figure NaN from that month to December (never filled with zero).
    """
    s = to_monthly_ytd(monthly)
    if s.empty:
        return s.copy()
    values = s.to_numpy(dtype=float)
    out = np.full_like(values, np.nan)
    years = np.asarray(s.index.year)
    months = np.asarray(s.index.month)
    for year in np.unique(years):
        pos = np.flatnonzero(years == year)
        total = 0.0
        broken = False
        for p in pos:
            v = values[p]
            if np.isnan(v):
                if months[p] == 1:
                    continue  # merged into February
                broken = True
            if broken:
                continue
            total += v
            out[p] = total
    return pd.Series(out, index=s.index, name=monthly.name)


def ytd_matrix(ytd: pd.Series) -> pd.DataFrame:
    """Years × months (1..12) table of cumulative figures; NaN where not reported."""
    s = to_monthly_ytd(ytd)
    frame = pd.DataFrame({"year": s.index.year, "month": s.index.month, "value": s.to_numpy()})
    wide = frame.pivot(index="year", columns="month", values="value")
    return wide.reindex(columns=range(1, 13))


# ---------------------------------------------------------------------------------------------
# Internal helpers on the years × 12 matrix
# ---------------------------------------------------------------------------------------------
def _slots(row: np.ndarray) -> np.ndarray:
    """11 slot flows (Jan–Feb, Mar..Dec) from a 12-month YTD row (NaN where unknown)."""
    return np.concatenate([[row[1]], np.diff(row[1:])])


def _history(mat: pd.DataFrame, year: int, history_years: int) -> pd.DataFrame:
    """Complete prior years (Feb..Dec all reported), contiguous, ending at ``year - 1``."""
    # positions, not labels: a backtest asks this for every origin and method (issue 27)
    index = mat.index
    feb_dec = mat.iloc[:, mat.columns.slice_indexer(2, 12)].to_numpy(dtype=float)
    rows = []
    for y in range(year - 1, year - 1 - history_years, -1):
        if y not in index:
            break
        if np.isnan(feb_dec[index.get_loc(y)]).any():
            break
        rows.append(y)
    return mat.iloc[[index.get_loc(y) for y in sorted(rows)]]


def _allocate(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return np.outer(total, weights)


def _m_linear(hist, cur, m, n, rng):
    a = cur[m - 1]
    flows = np.concatenate([[cur[1] / 2.0, cur[1] / 2.0], np.diff(cur[1:m])])
    mean = a / m
    resid = flows - mean
    h = 12 - m
    draws = rng.choice(resid, size=(n, h), replace=True)
    return mean + draws, ""


def _m_hist_share(hist, cur, m, n, rng):
    return _share_method(hist, cur, m, n, rng, weights=None)


#: Half-life (years) of the weights of :func:`_m_share_recent`: last year counts 1, the year before 1/√2,
#: two years back 1/2, … (a half-life of 1 year did worse on both benchmark sets)
RECENT_HALF_LIFE = 2.0


def _recent_weights(k: int, half_life: float) -> np.ndarray:
    """Weights of ``k`` years, oldest first, halving every ``half_life`` years back; sum 1."""
    w = 0.5 ** (np.arange(k - 1, -1, -1, dtype=float) / half_life)
    return w / w.sum()


def _m_share_recent(hist, cur, m, n, rng, half_life=None):
    """Historical share with recent years weighted more (seasonal patterns drift): the year-to-date
    share of the year-end total is the weighted mean of earlier years' shares (weights halving every
    ``RECENT_HALF_LIFE`` years back), its spread the weighted standard deviation × √(1 + Σw²)."""
    k = len(hist)
    weights = _recent_weights(k, RECENT_HALF_LIFE if half_life is None else half_life) if k else None
    return _share_method(hist, cur, m, n, rng, weights=weights)


def _share_method(hist, cur, m, n, rng, *, weights):
    """Year end = year to date ÷ the share of the year-end total reached by this month in earlier
    years (their plain mean, or the ``weights``' mean), simulated with the shares' spread; the
    remainder spread over the months as in those years."""
    k = len(hist)
    if k == 0:
        raise _Unavailable("无完整的往年数据，占比法不适用")
    a = cur[m - 1]
    ytd_m = hist[:, m - 1]
    totals = hist[:, 11]
    if a <= 0 or np.any(totals <= 0) or np.any(ytd_m <= 0):
        raise _Unavailable("累计值或往年全年合计非正（如利润为负），占比法不适用")
    shares = ytd_m / totals
    if weights is None:
        s_bar = shares.mean()
    else:
        s_bar = float(weights @ shares)
        w2 = float((weights**2).sum())
    if k >= 2:
        if weights is None:
            sd = shares.std(ddof=1) * np.sqrt(1.0 + 1.0 / k)
        else:  # unbiased weighted variance
            sd = np.sqrt(float(weights @ (shares - s_bar) ** 2) / (1.0 - w2)) * np.sqrt(1.0 + w2)
        note = ""
    else:
        sd = 0.1 * (1.0 - s_bar)
        note = "仅一个往年，占比波动按剩余份额的10%假定"
    s_sim = s_bar + sd * rng.standard_normal(n)
    s_sim = np.clip(s_sim, 0.25 * shares.min(), None)
    remaining = a / s_sim - a
    rem_hist = totals - ytd_m
    flows_hist = np.diff(hist[:, m - 1 :], axis=1)  # months m+1..12
    if np.all(rem_hist > 0):
        pattern = flows_hist / rem_hist[:, None]
        w = pattern.mean(axis=0) if weights is None else weights @ pattern
    else:
        w = np.full(12 - m, 1.0 / (12 - m))
    w = w / w.sum()
    return _allocate(remaining, w), note


def _m_seasonal_naive(hist, cur, m, n, rng):
    if len(hist) == 0:
        raise _Unavailable("无上年完整数据，季节性朴素法不适用")
    last = _slots(hist[-1])
    base = last[m - 1 :]  # slots for months m+1..12
    # year-on-year slot differences (prior years and this year's known slots), centred
    diffs = [(_slots(hist[i]) - _slots(hist[i - 1])) for i in range(1, len(hist))]
    known = _slots(cur)[: m - 1]
    diffs.append(known - last[: m - 1])
    d = np.concatenate(diffs)
    d = d[np.isfinite(d)]
    d = d - d.mean() if d.size else np.zeros(1)
    draws = rng.choice(d, size=(n, base.size), replace=True)
    return base + draws, ""


def _m_seasonal_naive_mult(hist, cur, m, n, rng):
    """Seasonal naive, multiplicative: last year's remaining months × (this year's year to date ÷ last
    year's at the same month). Spread: the months' deviations from that rule in earlier pairs of years and
    in this year's known months, centred and resampled (as the additive form's)."""
    if len(hist) == 0:
        raise _Unavailable("无上年完整数据，季节性朴素法（乘法）不适用")
    last = _slots(hist[-1])
    a, a_last = cur[m - 1], hist[-1][m - 1]
    if not (a > 0 and a_last > 0) or np.any(last[m - 1:] < 0):
        raise _Unavailable("累计值非正，季节性朴素法（乘法）不适用")
    ratio = a / a_last
    base = last[m - 1:] * ratio
    diffs = []
    for i in range(1, len(hist)):
        before, now = hist[i - 1][m - 1], hist[i][m - 1]
        if before > 0 and now > 0:
            diffs.append(_slots(hist[i]) - _slots(hist[i - 1]) * (now / before))
    diffs.append(_slots(cur)[: m - 1] - last[: m - 1] * ratio)
    d = np.concatenate(diffs)
    d = d[np.isfinite(d)]
    d = d - d.mean() if d.size else np.zeros(1)
    return base + rng.choice(d, size=(n, base.size), replace=True), ""


def _rng_kw(func, rng) -> dict:
    """statsmodels ≥ 0.15 names the generator ``rng``; 0.14 calls it ``random_state``."""

    params = inspect.signature(func).parameters
    return {"rng": rng} if "rng" in params else {"random_state": rng}


def _slot_series(hist, cur, m) -> np.ndarray:
    parts = [_slots(r) for r in hist] + [_slots(cur)[: m - 1]]
    y = np.concatenate(parts)
    if np.isnan(y).any():
        raise _Unavailable("历史数据有缺失月份，模型不适用")
    return y


def _m_ets(hist, cur, m, n, rng):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # deferred: heavy dependency, loaded on first use

    y = _slot_series(hist, cur, m)
    if y.size < 2 * _SLOTS + 2:
        raise _Unavailable(f"历史仅{y.size}个数据点（少于两个完整年度加两期），ETS不适用")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = ETSModel(
                y,
                error="add",
                trend="add",
                damped_trend=True,
                seasonal="add",
                seasonal_periods=_SLOTS,
                initialization_method="heuristic",
            )
            res = model.fit(disp=False, maxiter=500)
            sims = res.simulate(12 - m, repetitions=n, anchor="end", **_rng_kw(res.simulate, rng))
        except Exception as exc:  # numerical failures of the optimiser
            raise _Unavailable(f"ETS拟合失败：{type(exc).__name__}") from exc
    arr = np.asarray(sims, dtype=float).reshape(12 - m, n).T
    if not np.isfinite(arr).all():
        raise _Unavailable("ETS模拟结果非有限值")
    return arr, ""


def _m_sarima(hist, cur, m, n, rng):
    from statsmodels.tsa.statespace.sarimax import SARIMAX  # deferred: heavy dependency, loaded on first use

    y = _slot_series(hist, cur, m)
    if y.size < 2 * _SLOTS + 3:
        raise _Unavailable(f"历史仅{y.size}个数据点（少于两个完整年度加三期），SARIMA不适用")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = SARIMAX(y, order=(0, 1, 1), seasonal_order=(0, 1, 1, _SLOTS)).fit(disp=False)
            sims = res.simulate(12 - m, repetitions=n, anchor="end", **_rng_kw(res.simulate, rng))
        except Exception as exc:
            raise _Unavailable(f"SARIMA拟合失败：{type(exc).__name__}") from exc
    arr = np.asarray(sims, dtype=float).reshape(12 - m, n).T
    if not np.isfinite(arr).all():
        raise _Unavailable("SARIMA模拟结果非有限值")
    return arr, ""


_IMPL = {
    "linear_ytd": _m_linear,
    "hist_share": _m_hist_share,
    "share_recent": _m_share_recent,
    "seasonal_naive": _m_seasonal_naive,
    "seasonal_naive_mult": _m_seasonal_naive_mult,
    "ets": _m_ets,
    "sarima": _m_sarima,
}


def _rng(seed: int, year: int, month: int, method: str) -> np.random.Generator:
    key = sum((i + 1) * ord(c) for i, c in enumerate(method))
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(year), int(month), key]))


def _origin(mat, year, month, method, *, n_sims, seed, history_years, known=None):
    """Paths of remaining monthly flows at one origin, or raise :class:`_Unavailable`. ``known``: the
    year's row and its history (:func:`_history`) as arrays, when the caller has them for several origins."""
    if method not in _IMPL:
        raise ValueError(f"未知的预测方法：{method}")
    if year not in mat.index:
        raise _Unavailable("当年无数据")
    cur = mat.loc[year].to_numpy(dtype=float) if known is None else known[0].copy()
    if np.isnan(cur[1 : month]).any():
        raise _Unavailable("本年已报月份有缺失")
    hist = _history(mat, year, history_years).to_numpy(dtype=float) if known is None else known[1].copy()
    paths, note = _IMPL[method](hist, cur, month, n_sims, _rng(seed, year, month, method))
    return cur[month - 1], paths, note


def _summary(totals: np.ndarray) -> dict:
    q = np.quantile(totals, _QUANTILES)
    return {
        "mean": float(totals.mean()),
        "lo95": float(q[0]),
        "lo80": float(q[1]),
        "median": float(q[2]),
        "hi80": float(q[3]),
        "hi95": float(q[4]),
    }


def _parse_as_of(as_of) -> tuple[int, int]:
    if isinstance(as_of, tuple):
        return int(as_of[0]), int(as_of[1])
    p = _to_period_index(pd.Index([as_of]))[0]
    text = str(as_of)
    if text.endswith("-H1"):  # half-month: only the previous month-end is closed
        p = p - 1
    return int(p.year), int(p.month)


def forecast_remaining(
    ytd: pd.Series,
    *,
    as_of,
    method: str,
    n_sims: int = 2000,
    seed: int = 0,
    history_years: int = 5,
) -> pd.DataFrame:
    """Simulated monthly flows for the months after ``as_of`` until December with one method.

    Returns a DataFrame (one row per simulation, one column per remaining month as
    ``pandas.Period``). Raises ``ValueError`` with the Chinese reason when the method does not
    apply to this series.
    """
    year, month = _parse_as_of(as_of)
    _check_month(month)
    mat = ytd_matrix(ytd)
    try:
        _, paths, _ = _origin(
            mat, year, month, method, n_sims=n_sims, seed=seed, history_years=history_years
        )
    except _Unavailable as exc:
        raise ValueError(str(exc)) from exc
    cols = pd.period_range(pd.Period(year=year, month=month, freq="M") + 1, periods=12 - month)
    return pd.DataFrame(paths, columns=cols)


def _check_month(month: int) -> None:
    if month < 2:
        raise ValueError("1月不单独报送（2月报1-2月累计），预测时点至少为2月")


# ---------------------------------------------------------------------------------------------
# Settings (params/forecast.yaml)
# ---------------------------------------------------------------------------------------------
_DEFAULT_SETTINGS: dict = {
    "candidates": ["seasonal_naive", "hist_share", "linear_ytd"],
    "selection": {"default": "seasonal_naive", "fallback": "seasonal_naive", "backtest_months": list(range(2, 12)),
                  "backtest_years": 10, "min_years": 2, "min_history": 2, "min_wins": 2, "score": "scaled", "margin": 0.05,
                  "win_share": 0.5, "mode": "sequential", "window": 2, "combo_weights": "inverse_wape2",
                  "growth_guard": True, "growth_guard_method": "hist_share", "growth_guard_min_years": 2,
                  "set_default": True, "set_min_series": 2, "month_half_life": 2, "shrink_years": 2,
                  "shrink_to": "set"},
    "calibration": {"horizon_exponent": "auto", "min_years": 3, "no_history_factor": 2.0,
                    "floor_at_simulation": False, "two_point": True, "window": 2},
    "turn": {"recent_months": 3, "threshold": 0.08},
    "prob_words": [{"at_least": 0.90, "word": "基本确定"}, {"at_least": 0.60, "word": "较大可能"},
                   {"above": 0.40, "word": "存在不确定性"}, {"above": 0.10, "word": "可能性较小"},
                   {"at_least": 0.0, "word": "难以完成"}],
    "target_status": [{"at_least": 0.60, "word": "预计完成"}, {"above": 0.40, "word": "完成存在不确定性"},
                      {"at_least": 0.0, "word": "存在缺口"}],
    "nondecreasing": ["revenue", "investment_completed"],
}


def forecast_settings(path: Path | None = None) -> dict:
    """Forecast settings: ``params/forecast.yaml`` (or ``path``) over the built-in defaults, section by section."""
    path = Path(path) if path is not None else config.PARAMS_DIR / "forecast.yaml"
    out = copy.deepcopy(_DEFAULT_SETTINGS)
    if not path.exists():
        return out
    data = read_yaml(path, what="预测参数文件")
    for key, value in data.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


def _settings(settings: Mapping | None) -> dict:
    return forecast_settings() if settings is None else dict(settings)


def prob_words(p: float, settings: Mapping | None = None) -> str:
    """P(reaching the target) in words with the percentage, e.g. ``基本确定（96%）``; empty for NaN.

    Thresholds come from ``prob_words`` in the settings (first rule that holds wins). The percentage
    never prints as 0 % or 100 %, which a simulation cannot establish: ``<1%`` and ``>99%`` instead.
    """
    if p is None or not np.isfinite(p):
        return ""
    word = _first_rule(p, _settings(settings)["prob_words"])
    pct = "<1%" if p < 0.005 else ">99%" if p > 0.995 else f"{p * 100:.0f}%"
    return f"{word}（{pct}）"


def _first_rule(p: float, rules: Sequence[Mapping]) -> str:
    """The word of the first rule that ``p`` satisfies (``at_least``: p ≥ x; ``above``: p > x); the
    last rule's word when none does."""
    for rule in rules:
        if ("at_least" in rule and p >= float(rule["at_least"])) or ("above" in rule and p > float(rule["above"])):
            return str(rule["word"])
    return str(rules[-1]["word"])


def target_status(p: float, settings: Mapping | None = None) -> str:
    """The verdict on an annual target from P(reaching it) (``target_status`` in the settings, first rule
    that holds): 预计完成 (P ≥ 60 %), 完成存在不确定性 (40 % < P < 60 %), 存在缺口 (P ≤ 40 %). Empty for
    NaN. Every sentence or column that says whether a target will be met reads this one function on
    the stored probability, never the median alone."""
    if p is None or not np.isfinite(p):
        return ""
    return _first_rule(p, _settings(settings)["target_status"])


# ---------------------------------------------------------------------------------------------
# Backtest and selection
# ---------------------------------------------------------------------------------------------
def _level(mat: pd.DataFrame, year: int, month: int) -> float:
    """Level of a series at an origin: mean absolute monthly flow of the last complete year before
    ``year`` (this year's months so far when there is none). Uses no data after the origin; times
    horizon^exponent it is the error scale of the calibration."""
    hist = _history(mat, year, 1)
    if len(hist):
        level = np.nansum(np.abs(_slots(hist.iloc[-1].to_numpy(dtype=float)))) / 12.0
    else:
        cur = mat.loc[year].to_numpy(dtype=float)
        level = np.nansum(np.abs(_slots(cur)[: month - 1])) / month
    return float(level)


def ytd_growth(mat: pd.DataFrame, year: int, month: int) -> float:
    """Year-on-year growth of the year-to-date figure at an origin: YTD ÷ last year's YTD at the same
    month − 1 (NaN without last year's figure or when either is not positive, e.g. a loss)."""
    if year - 1 not in mat.index or year not in mat.index:
        return np.nan
    now, before = float(mat.loc[year, month]), float(mat.loc[year - 1, month])
    if not (np.isfinite(now) and np.isfinite(before)) or now <= 0 or before <= 0:
        return np.nan
    return now / before - 1.0


def _horizon_exponent(errors: pd.Series, horizons: pd.Series, level: pd.Series, cfg: Mapping) -> float:
    """How backtest errors grow with the horizon h (months left): the configured exponent, or with
    ``horizon_exponent: auto`` the slope of log(median |error| / level) on log h, clipped to
    [0.5, 1] (0.5: independent monthly noise; 1: errors that persist, such as a level shift)."""
    value = cfg["calibration"]["horizon_exponent"]
    if value != "auto":
        return float(value)
    rel = (errors.abs() / level).replace([np.inf, -np.inf], np.nan)
    med = rel.groupby(horizons.to_numpy()).median().dropna()
    med = med[med > 0]
    if len(med) < 3:
        return 0.5
    slope = np.polyfit(np.log(med.index.to_numpy(dtype=float)), np.log(med.to_numpy(dtype=float)), 1)[0]
    return float(np.clip(slope, 0.5, 1.0))


def backtest_year_end(
    ytd: pd.Series,
    *,
    months: Iterable[int] | None = None,
    years: Iterable[int] | None = None,
    methods: Sequence[str] | None = None,
    n_sims: int = 300,
    seed: int = 0,
    history_years: int = 5,
    keep_samples: bool = False,
    settings: Mapping | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of year-end projections.

    For every complete year (or ``years``) and every as-of month in ``months`` (default: the
    settings' ``backtest_months``, Feb..Nov) each method forecasts the year-end total using only the
    data up to that month (and at most ``history_years`` earlier years). Columns: ``year, month,
    method, available, note, ytd, actual, level, mean, lo95, lo80, median, hi80, hi95, error, ape``
    (``error`` = median − actual; ``ape`` in percent; ``level`` as in :func:`_level`),
    plus ``samples`` (simulated annual totals) when ``keep_samples``; ``growth`` is the origin's
    year-to-date growth on last year (:func:`ytd_growth`).
    """
    cfg = _settings(settings)
    months = cfg["selection"]["backtest_months"] if months is None else list(months)
    methods = cfg["candidates"] if methods is None else list(methods)
    mat = ytd_matrix(ytd)
    complete = [y for y in mat.index if np.isfinite(mat.loc[y, 12])]
    chosen_years = complete if years is None else [y for y in years if y in complete]
    rows = []
    for y in chosen_years:
        actual = float(mat.loc[y, 12])
        history = _history(mat, y, history_years)
        depth = len(history)
        # the year's row and history, its origins' growth and level: once, not once per method (issue 27)
        known = (mat.loc[y].to_numpy(dtype=float), history.to_numpy(dtype=float))
        for m in months:
            _check_month(m)
            growth = ytd_growth(mat, y, m)
            level = None
            for method in methods:
                row = {"year": y, "month": m, "method": method, "actual": actual, "history": depth,
                       "growth": growth}
                try:
                    a, paths, note = _origin(
                        mat, y, m, method, n_sims=n_sims, seed=seed, history_years=history_years, known=known
                    )
                except _Unavailable as exc:
                    row.update(available=False, note=str(exc))
                    rows.append(row)
                    continue
                totals = a + paths.sum(axis=1)
                level = _level(mat, y, m) if level is None else level
                row.update(available=True, note=note, ytd=float(a), level=level, **_summary(totals))
                if keep_samples:
                    row["samples"] = totals
                rows.append(row)
    cols = ["year", "month", "method", "available", "note", "history", "growth", "ytd", "actual", "level", "mean",
            "lo95", "lo80", "median", "hi80", "hi95"] + (["samples"] if keep_samples else [])
    out = pd.DataFrame(rows).reindex(columns=cols)
    out["available"] = out["available"].fillna(False).astype(bool)
    out["error"] = out["median"] - out["actual"]
    out["ape"] = (out["error"].abs() / out["actual"].abs() * 100.0).where(out["actual"] != 0)
    return out


def _wape(point: pd.Series, actual: pd.Series) -> float:
    denom = actual.abs().sum()
    return float((point - actual).abs().sum() / denom * 100.0) if denom > 0 else np.inf


def _score(point: pd.Series, actual: pd.Series, scale: pd.Series, sel: Mapping,
           weight: pd.Series | None = None) -> float:
    """Selection score: WAPE (%), or with ``score: scaled`` the mean absolute error in units of the
    horizon-scaled error scale (each origin month counts alike, or by ``weight``: :func:`origin_weights`);
    ``scaled_rms``: the root mean square of those scaled errors (a method with rare large misses scores
    worse than a steady one with the same mean; years are then won on their squared errors)."""
    score = sel.get("score", "wape")
    w = pd.Series(1.0, index=point.index) if weight is None else weight
    if score == "scaled":
        return float(((point - actual).abs() / scale * w).sum() / w.sum())
    if score == "scaled_rms":
        return float(np.sqrt((((point - actual) / scale) ** 2 * w).sum() / w.sum()))
    return _wape(point, actual)


def origin_weights(months, month: int | None, sel: Mapping) -> np.ndarray:
    """Weight of each backtest origin month in the selection evidence for an origin in ``month``.

    With ``selection.month_half_life`` h: every month-end origin of every backtest year counts, with weight
    0.5 ** (|origin month − month| / h) (h = 2: the same month 1, two months away ½, four months away ¼), so
    a series' whole backtest speaks for the choice while the origins nearest this one speak loudest. Without
    it (``None``): weight 1 within ``selection.window`` months of ``month``, 0 beyond (all months without
    a month or a window)."""
    months = np.asarray(months, dtype=float)
    if month is None:
        return np.ones(len(months))
    half_life = sel.get("month_half_life")
    if half_life:
        return 0.5 ** (np.abs(months - int(month)) / float(half_life))
    window = sel.get("window")
    return np.ones(len(months)) if window is None else (np.abs(months - int(month)) <= int(window)).astype(float)


def _selection_rows(earlier: pd.DataFrame, month: int | None, sel: Mapping) -> pd.DataFrame:
    """The backtest rows that are evidence for the choice at ``month``: every origin month with
    ``month_half_life`` (weighted by :func:`origin_weights`), else those within ``window`` months; warm-up
    years (``history < min_history``) left out."""
    rows = earlier if sel.get("month_half_life") else _month_window(earlier, month, sel.get("window"))
    if "history" in rows and sel.get("min_history"):
        rows = rows.loc[rows["history"].fillna(np.inf) >= int(sel["min_history"])]
    return rows


def _inverse_wape_weights(points: pd.DataFrame, actual: pd.Series, members: Sequence[str],
                          scale: pd.Series | None = None) -> dict[str, float]:
    """Weights ∝ 1 / WAPE² over the rows given (equal weights when there are none); with ``scale``
    (``selection.combo_weights: inverse_mse``) ∝ 1 / mean squared scaled error instead."""
    w = _inverse_weights(points[list(members)].to_numpy(dtype=float), actual.to_numpy(dtype=float),
                         None if scale is None else scale.to_numpy(dtype=float))
    return dict(zip(members, (float(v) for v in w)))


def _inverse_weights(p: np.ndarray, a: np.ndarray, s: np.ndarray | None) -> np.ndarray:
    """:func:`_inverse_wape_weights` on arrays (rows = origins, columns = members): the rows where every
    member has a point count; NaN errors are skipped as pandas sums and means skip them."""
    rows = ~np.isnan(p).any(axis=1)
    if not rows.any():
        return np.full(p.shape[1], 1.0 / p.shape[1])
    p, a = p[rows], a[rows]
    if s is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / np.maximum(np.nanmean(((p - a[:, None]) / s[rows][:, None]) ** 2, axis=0), 1e-18)
    else:
        denom = np.nansum(np.abs(a))
        wape = np.nansum(np.abs(p - a[:, None]), axis=0) / denom * 100.0 if denom > 0 else np.full(p.shape[1], np.inf)
        inv = 1.0 / np.maximum(wape, 1e-9) ** 2
    return inv / inv.sum()


def candidate_points(backtest: pd.DataFrame, *, candidates: Sequence[str],
                     combo_weights: str = "inverse_wape2") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest points of every candidate, combinations included, one row per origin (year, month).

    Returns ``(points, info)``: ``points`` has one column per candidate (single methods and, when at
    least two methods qualify, ``combo_mean`` — the equal-weight mean of the methods other than
    linear extrapolation — and ``combo_weighted`` — all methods weighted by 1 / WAPE² over the
    *earlier* backtest years only, equal weights for the first year); ``info`` has ``actual`` and
    ``level`` per origin.
    """
    bt = backtest.loc[backtest["available"].astype(bool) & backtest["method"].isin(list(candidates))]
    points = bt.pivot_table(index=["year", "month"], columns="method", values="median")
    points = points.reindex(columns=[c for c in candidates if c in points.columns])
    info = bt.groupby(["year", "month"])[["actual", "level"]].first().reindex(points.index)
    info["horizon"] = 12 - info.index.get_level_values("month")
    info["scale"] = info["level"] * np.sqrt(info["horizon"])  # selection's scaled score
    singles = list(points.columns)
    mean_members = [c for c in singles if c != "linear_ytd"]
    if len(mean_members) >= 2:
        points["combo_mean"] = points[mean_members].mean(axis=1, skipna=False)
    if len(singles) >= 2:
        years = points.index.get_level_values("year").to_numpy()
        p, a = points[singles].to_numpy(dtype=float), info["actual"].to_numpy(dtype=float)
        s = info["scale"].to_numpy(dtype=float) if combo_weights == "inverse_mse" else None
        combo = np.full(len(points), np.nan)
        for y in np.unique(years):
            before = years < y
            w = _inverse_weights(p[before], a[before], None if s is None else s[before])
            combo[years == y] = p[years == y] @ w
        points["combo_weighted"] = combo
    return points, info


def combo_members(method: str, candidates: Sequence[str]) -> list[str]:
    """The single methods a candidate is made of."""
    if method == "combo_mean":
        return [c for c in candidates if c != "linear_ytd" and not c.startswith("combo")]
    if method == "combo_weighted":
        return [c for c in candidates if not c.startswith("combo")]
    return [method]


def choose_from_backtest(
    backtest: pd.DataFrame,
    *,
    year: int,
    candidates: Sequence[str] | None = None,
    settings: Mapping | None = None,
    month: int | None = None,
    growth: float | None = None,
    default: str | None = None,
    prior: Mapping[str, float] | None = None,
) -> dict:
    """Pick the projection method for origins in ``year`` from backtest rows of earlier years.

    ``default`` (the set-wide default of :func:`set_default`, when the series is one of a set) replaces
    ``selection.default`` as the method kept unless a challenger earns its place: where the series' own
    evidence is thin, the choice shrinks to what works across the set. ``prior`` (:func:`pooled_scores` of the
    *other* series of the set, combinations included) is what the set says about each candidate: with
    ``selection.shrink_to: set`` a challenger's score ratio to the incumbent shrinks towards the ratio of their
    pooled scores on the other series rather than towards 1 (:func:`shrunk_ratio`), so a method that is
    generally worse across the set needs more evidence from the series itself.

    The rule (settings ``selection``): the default method (seasonal naive) is kept unless a
    challenger — another single method or a combination (:func:`candidate_points`) — compared with it
    on the same origins (every backtest origin month, weighted by :func:`origin_weights` towards ``month``
    with ``month_half_life`` (2), else the months within ``window`` (2) of ``month``; every earlier
    year except warm-up years with fewer than ``min_history`` (2) complete years before them)

    1. covers at least ``min_years`` (2) backtest years,
    2. has a weighted score at least :func:`required_margin` below the incumbent's (``margin`` 5 % × (n +
       ``shrink_years``) / n over n compared years: thin evidence shrinks towards the default), and
    3. has the smaller (weighted) error in at least ``win_share`` (half) and at least ``min_wins`` (2) of those
       years.

    Growth guard (``selection.growth_guard``): seasonal naive repeats last year's months whatever this
    year's level, so its backtest record only speaks for years whose year-to-date growth on last year
    lay in the range it was tested on. When the origin's ``growth`` (:func:`ytd_growth`) lies outside
    the growths of the backtest origins within ``window`` months (|growth| above their largest |growth|;
    at least ``growth_guard_min_years`` (2) years with a growth) and seasonal naive would be kept, the
    historical share (``growth_guard_method``), which scales with this year's level, is used instead,
    with a note — provided it has a backtest record of its own at those origins.

    Only rows with ``row.year < year`` count (the origin never sees its own outcome). Without ``month``
    all origin months are pooled. The reported error and the calibration errors ``z`` use every earlier
    year (warm-up years included) within ``selection.window`` / ``calibration.window`` months. Returns
    ``{"method", "members", "weights", "backtest_wape" (chosen, %), "default_wape", "backtest_n"
    (origins), "backtest_years", "calibration_years", "z" (standardised errors (actual − point) /
    (level × h^exponent)), "exponent", "note"}``.
    """
    cfg = _settings(settings)
    sel = cfg["selection"]
    candidates = list(cfg["candidates"] if candidates is None else candidates)
    earlier = backtest.loc[backtest["year"] < year]
    configured = _default_method(sel, candidates)
    if default is not None and default in candidates:
        sel = {**sel, "default": default}
    default = _default_method(sel, candidates)
    set_note = (f"同组序列合并回测中{METHOD_LABELS.get(default, default)}误差最小，作为本序列的默认方法"
                if default != configured else "")
    # selection evidence: origins within selection.window months of this one, warm-up years left out
    # (a year with a single earlier year: one year's shares, one year's growth — it says little about
    # the methods as they work with the fuller history of the years that follow)
    near = _month_window(earlier, month, sel.get("window"))  # every earlier year, warm-up years included
    best, best_ratio = default, 1.0
    points, info = _points_or_none(_selection_rows(earlier, month, sel), candidates, sel)
    if info is not None:
        info["weight"] = origin_weights(info.index.get_level_values("month"), month, sel)
    # the default keeps its place while it has no backtest (e.g. seasonal naive the year after the
    # first) rather than handing over to whatever could be backtested
    if points is not None and default in points.columns and points[default].notna().any():
        order = [c for c in points.columns if c != default]
        if sel.get("mode", "sequential") == "sequential":  # simpler first: singles, then combinations
            order = [c for c in order if not c.startswith("combo")] + [c for c in order if c.startswith("combo")]
        for c in order:
            incumbent = best if sel.get("mode", "sequential") == "sequential" else default
            ok, ratio = _beats(points, info, c, incumbent, sel, prior_ratio=set_ratio(prior, c, incumbent, sel))
            if ok and (sel.get("mode", "sequential") == "sequential" or ratio < best_ratio):
                best = c
                best_ratio = ratio if incumbent == default else best_ratio * ratio
    guard = _growth_guard(near, growth, best, candidates, sel)
    if guard:
        best, guard_note = guard
    # what is reported (backtest error, origins, years) and the calibration use every earlier year
    rep_points, rep_info = _points_or_none(near, candidates, sel)
    c_points, c_info = (rep_points, rep_info) if cfg["calibration"].get("window") == sel.get("window") else \
        _points_or_none(_month_window(earlier, month, cfg["calibration"].get("window")), candidates, sel)
    if rep_points is None or best not in rep_points or c_points is None or best not in c_points:
        members = combo_members(best, candidates)
        return {"method": best, "members": members, "weights": {m: 1.0 / len(members) for m in members},
                "backtest_wape": np.nan,
                "default_wape": np.nan, "backtest_n": 0, "backtest_years": 0, "calibration_years": 0,
                "z": np.array([]), "exponent": 0.5, "note": "无往年回测依据，采用默认方法"}
    members = [m for m in combo_members(best, list(rep_points.columns)) if m in candidates]
    actual = rep_info["actual"]
    if best == "combo_weighted":
        weights = _inverse_wape_weights(rep_points, actual, members,
                                        rep_info["scale"] if sel.get("combo_weights") == "inverse_mse" else None)
    else:
        weights = {m: 1.0 / len(members) for m in members}
    rows = rep_points[best].notna()
    years_idx = rep_points.index.get_level_values("year")
    # calibration: the chosen candidate's errors at the origins within calibration.window months of
    # this one (all origin months without a month or a window), scaled by level × horizon^b
    c_rows = c_points[best].notna()
    err = c_info["actual"][c_rows] - c_points.loc[c_rows, best]
    exponent = _horizon_exponent(err, c_info["horizon"][c_rows], c_info["level"][c_rows], cfg)
    z = (err / (c_info["level"][c_rows] * c_info["horizon"][c_rows] ** exponent)).to_numpy(dtype=float)
    z = z[np.isfinite(z)]
    c_years = int(len(set(c_points.index.get_level_values("year")[c_rows.to_numpy()])))
    d_rows = rep_points[default].notna() if default in rep_points else rows & False
    note = guard_note if guard else set_note if best == default else (
        f"{METHOD_LABELS.get(best, best)}回测误差比{METHOD_LABELS.get(default, default)}低"
        f"{(1 - best_ratio) * 100:.0f}%，取代默认方法")
    return {
        "method": best,
        "members": members,
        "weights": weights,
        "backtest_wape": _wape(rep_points.loc[rows, best], actual[rows]),
        "default_wape": _wape(rep_points.loc[d_rows, default], actual[d_rows]) if d_rows.any() else np.nan,
        "backtest_n": int(rows.sum()),
        "backtest_years": int(len(set(years_idx[rows.to_numpy()]))),
        "calibration_years": c_years,
        "z": z,
        "exponent": exponent,
        "note": note,
    }


def set_default(backtests: Sequence[pd.DataFrame], *, candidates: Sequence[str] | None = None,
                month: int | None = None, year: int | None = None, settings: Mapping | None = None) -> str | None:
    """The set-wide default: the single method with the smallest scaled backtest error pooled over a set of
    series (the groups' series of one item in a run; each set of the benchmark).

    Each series counts alike: per series, the mean scaled error (|error| / (level × √h), as the selection
    scores) of every candidate at its selection origins (:func:`series_scores`); the default is the
    candidate with the smallest mean of those over the series (:func:`pooled_default`). ``None`` (use
    ``selection.default``) when fewer than ``selection.set_min_series`` (2) series give evidence or the
    setting ``selection.set_default`` is off. Combinations are not candidates for the default.
    """
    cfg = _settings(settings)
    if not cfg["selection"].get("set_default", False):
        return None
    return pooled_default([series_scores(bt, candidates=candidates, month=month, year=year, settings=cfg)
                           for bt in backtests], settings=cfg)


def series_scores(bt: pd.DataFrame | None, *, candidates: Sequence[str] | None = None, month: int | None = None,
                  year: int | None = None, settings: Mapping | None = None, combos: bool = False) -> pd.Series | None:
    """One series' evidence for the set-wide default: the mean scaled error (|error| / (level × √h)) of every
    single candidate over its origins where all of them have a projection — earlier years than ``year``
    only, warm-up years left out, the origin months of :func:`_selection_rows` weighted by
    :func:`origin_weights`. ``None`` without such origins. ``combos``: the combinations of
    :func:`candidate_points` as well (at the same origins)."""
    cfg = _settings(settings)
    sel = cfg["selection"]
    singles = [c for c in (cfg["candidates"] if candidates is None else candidates) if not str(c).startswith("combo")]
    if bt is None or not len(bt):
        return None
    rows = _selection_rows(bt if year is None else bt.loc[bt["year"] < year], month, sel)
    rows = rows.loc[rows["available"].astype(bool) & rows["method"].isin(singles)]
    if rows.empty:
        return None
    if combos:
        points, info = candidate_points(rows, candidates=singles, combo_weights=sel.get("combo_weights", "inverse_wape2"))
        table = points.sub(info["actual"], axis=0).abs().div(info["scale"], axis=0)
        table = table.reindex(columns=singles + [c for c in points.columns if c not in singles])
    else:
        err = (rows["median"] - rows["actual"]).abs() / (rows["level"] * np.sqrt(12 - rows["month"]))
        table = err.groupby([rows["year"], rows["month"], rows["method"]]).first().unstack("method")
        table = table.reindex(columns=singles)
    table = table.replace([np.inf, -np.inf], np.nan).dropna()
    if not len(table):
        return None
    w = origin_weights(table.index.get_level_values("month"), month, sel)
    return table.mul(w, axis=0).sum() / w.sum()


def pooled_default(scores: Sequence[pd.Series | None], *, settings: Mapping | None = None) -> str | None:
    """The single candidate with the smallest mean of the series' :func:`series_scores` (each series alike),
    or ``None`` when fewer than ``selection.set_min_series`` series give evidence."""
    return _best_single(pooled_scores(scores, settings=settings))


def _best_single(pooled: pd.Series | None) -> str | None:
    """The single (not combined) candidate of smallest pooled score, or ``None`` without pooled scores."""
    if pooled is None:
        return None
    return str(pooled[[c for c in pooled.index if not str(c).startswith("combo")]].idxmin())


def pooled_without_each(scores: Sequence[pd.Series | None], *,
                        settings: Mapping | None = None) -> list[pd.Series | None]:
    """For each series, :func:`pooled_scores` of all the *other* series (``scores`` without its own entry),
    in one pass: the set's sums and counts per candidate less the series' own (a province has over a thousand
    groups; pooling the others afresh for each would cost the square of that, issue 27). Same candidates in
    the same order as :func:`pooled_scores` of the others (the order they first appear in); the others' sum is
    the sum of the series before it plus the sum of those after it (never the total less its own, whose
    rounding would grow with the series' own score), so the means may differ from it in the last bit only."""
    minimum = int(_settings(settings)["selection"].get("set_min_series", 2))
    rows = [k for k, sc in enumerate(scores) if sc is not None]
    labels: dict = {}  # candidate → column, in the order of first appearance
    seen: dict = {}  # candidate → the first two (row, place) it appears at
    for r, k in enumerate(rows):
        for place, label in enumerate(scores[k].index):
            labels.setdefault(label, len(labels))
            if len(seen.setdefault(label, [])) < 2:
                seen[label].append((r, place))
    values = np.full((len(rows), len(labels)), np.nan)
    for r, k in enumerate(rows):
        values[r, [labels[c] for c in scores[k].index]] = scores[k].to_numpy(dtype=float)
    counted = ~np.isnan(values)
    filled = np.where(counted, values, 0.0)
    zero = np.zeros((1, len(labels)))
    before = np.concatenate([zero, np.cumsum(filled, axis=0)])  # before[r]: the sum of rows < r
    after = np.concatenate([np.cumsum(filled[::-1], axis=0)[::-1], zero])  # after[r]: the sum of rows ≥ r
    counts = counted.sum(axis=0)
    row_of = {k: r for r, k in enumerate(rows)}
    out: list[pd.Series | None] = []
    for k in range(len(scores)):
        r = row_of.get(k)
        if len(rows) - (r is not None) < minimum:
            out.append(None)
            continue
        s, c = before[-1], counts
        if r is not None:
            s, c = before[r] + after[r + 1], counts - counted[r]
        # the others' candidates, ordered as pooled_scores' union orders them (first appearance among them)
        keys = {label: next(((rr, pl) for rr, pl in seen[label] if rr != r), None) for label in labels}
        order = sorted((key, label) for label, key in keys.items() if key is not None)
        columns = [labels[label] for _key, label in order]
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(c[columns] > 0, s[columns] / c[columns], np.nan)
        out.append(pd.Series(means, index=[label for _key, label in order], dtype=float))
    return out


def pooled_scores(scores: Sequence[pd.Series | None], *, settings: Mapping | None = None) -> pd.Series | None:
    """Mean of the series' :func:`series_scores` per candidate (each series alike; a candidate only over the
    series that have it), or ``None`` when fewer than ``selection.set_min_series`` series give evidence."""
    sel = _settings(settings)["selection"]
    per_series = [s for s in scores if s is not None]
    if len(per_series) < int(sel.get("set_min_series", 2)):
        return None
    return pd.concat(per_series, axis=1).mean(axis=1)


#: Methods that repeat last year's months whatever this year's level (the growth guard's concern)
LEVEL_BLIND = frozenset({"seasonal_naive"})  # the multiplicative form scales with this year's level


def _growth_guard(near: pd.DataFrame, growth: float | None, best: str, candidates: Sequence[str],
                  sel: Mapping) -> tuple[str, str] | None:
    """``(replacement, note)`` when the growth guard of :func:`choose_from_backtest` applies, else None.
    ``near``: the earlier years' backtest rows within ``selection.window`` months of the origin."""
    if not sel.get("growth_guard", False) or best not in LEVEL_BLIND:
        return None
    replacement = sel.get("growth_guard_method", "hist_share")
    if replacement not in candidates or growth is None or not np.isfinite(growth) or "growth" not in near:
        return None
    window = near.loc[np.isfinite(near["growth"].to_numpy(dtype=float))]
    if window["year"].nunique() < int(sel.get("growth_guard_min_years", 2)):
        return None  # one year's growth is a point, not a range
    if not (window["method"].eq(replacement) & window["available"].astype(bool)).any():
        return None  # the replacement has no backtest record here (e.g. losses in those years)
    tested = np.abs(window["growth"].to_numpy(dtype=float))
    if abs(growth) <= tested.max():
        return None
    return replacement, (
        f"本年累计同比{growth * 100:+.1f}%，超出回测年份同期增速的范围（±{tested.max() * 100:.1f}%），"
        f"{METHOD_LABELS.get(best, best)}不随本年水平调整，改用{METHOD_LABELS.get(replacement, replacement)}")


def _default_method(sel: Mapping, candidates: Sequence[str]) -> str:
    """The default of ``selection.default`` among the candidates available: a single method, or a
    combination when at least two of its members are available; otherwise ``selection.fallback``
    (seasonal naive), or the first candidate."""
    default = sel["default"]
    if default in candidates:
        return default
    if str(default).startswith("combo") and len(combo_members(default, candidates)) >= 2:
        return default
    fallback = sel.get("fallback", "seasonal_naive")
    return fallback if fallback in candidates else candidates[0]


def _points_or_none(bt: pd.DataFrame, candidates: Sequence[str], sel: Mapping | None = None):
    """:func:`candidate_points` of some backtest rows, or ``(None, None)`` when none is usable."""
    if bt.empty or not bt["available"].astype(bool).any():
        return None, None
    return candidate_points(bt, candidates=candidates,
                            combo_weights=(sel or {}).get("combo_weights", "inverse_wape2"))


def _month_window(backtest: pd.DataFrame, month: int | None, window) -> pd.DataFrame:
    """Backtest rows whose origin month is within ``window`` months of ``month`` (all rows when either
    is None): the evidence for an origin in June is the backtest origins around June, not February's,
    where the historical shares scatter far more."""
    if month is None or window is None:
        return backtest
    return backtest.loc[(backtest["month"] - int(month)).abs() <= int(window)]


def _beats(points: pd.DataFrame, info: pd.DataFrame, challenger: str, incumbent: str,
           sel: Mapping, prior_ratio: float = 1.0) -> tuple[bool, float]:
    """Whether ``challenger`` beats ``incumbent`` on their common backtest origins by the rule of
    :func:`choose_from_backtest`, and the ratio of their scores."""
    years_idx = points.index.get_level_values("year")
    both = points[[challenger, incumbent]].notna().all(axis=1).to_numpy()
    if len(set(years_idx[both])) < int(sel["min_years"]):
        return False, np.inf
    actual, scale = info["actual"][both], info["scale"][both]
    weight = info["weight"][both] if "weight" in info else None
    s_c, s_i = (_score(points.loc[both, k], actual, scale, sel, weight) for k in (challenger, incumbent))
    err = points.loc[both, [challenger, incumbent]].sub(actual, axis=0).abs()
    if sel.get("score", "wape") in ("scaled", "scaled_rms"):
        err = err.div(scale, axis=0)
    if sel.get("score", "wape") == "scaled_rms":  # a year is won on its squared errors, as the score counts them
        err = err**2
    if weight is not None and sel.get("score", "wape") in ("scaled", "scaled_rms"):
        err = err.mul(weight, axis=0)  # a year is won on its weighted errors, as the score counts them
    err = err.groupby(years_idx[both]).sum()
    won = err[challenger] < err[incumbent]
    wins = float(won.mean())
    ratio = s_c / s_i if s_i > 0 else np.inf
    enough = int(won.sum()) >= int(sel.get("min_wins", 0))
    shrunk = shrunk_ratio(ratio, len(won), sel, prior_ratio)
    return bool(shrunk <= 1.0 - float(sel["margin"]) and wins >= float(sel["win_share"]) and enough), float(ratio)


def shrunk_ratio(ratio: float, n_years: int, sel: Mapping, prior_ratio: float = 1.0) -> float:
    """The challenger's score ratio to the incumbent after shrinkage (empirical Bayes): the series' own ratio
    ``ratio`` over ``n_years`` compared years with weight n, the prior ratio with weight k
    (``selection.shrink_years``): (n·r + k·r₀) / (n + k). The challenger replaces the incumbent when this
    lies ``margin`` below 1. r₀ = 1 (prior "equal to the incumbent") gives :func:`required_margin`; with
    ``shrink_to: set``, r₀ is the ratio of the two methods' pooled scores on the other series of the set
    (:func:`set_ratio`)."""
    k = float(sel.get("shrink_years", 0) or 0)
    n = max(int(n_years), 1)
    return float((n * ratio + k * prior_ratio) / (n + k))


def set_ratio(prior: Mapping[str, float] | None, challenger: str, incumbent: str, sel: Mapping) -> float:
    """The prior ratio r₀ of :func:`shrunk_ratio`: the challenger's pooled score over the incumbent's on the
    other series of the set (``prior``, :func:`pooled_scores`) when ``selection.shrink_to`` is ``set`` and
    both are known; else 1."""
    if sel.get("shrink_to", "default") != "set" or prior is None:
        return 1.0
    c, i = (float(prior.get(m, np.nan)) for m in (challenger, incumbent))
    return c / i if np.isfinite(c) and np.isfinite(i) and i > 0 else 1.0


def required_margin(n_years: int, sel: Mapping) -> float:
    """How far (as a share of the incumbent's score) a challenger's backtest score must lie below the
    incumbent's after ``n_years`` compared backtest years.

    Shrinkage towards the incumbent (the set-wide default): the series' own score ratio r counts with
    weight n / (n + k) against the incumbent's 1 with weight k / (n + k) (``k`` = ``selection.shrink_years``),
    and the shrunk ratio must lie ``margin`` below 1: (n·r + k) / (n + k) ≤ 1 − margin ⇔
    r ≤ 1 − margin·(n + k) / n. Thin evidence asks for a wide margin (k = 4, margin 5 %: 2 years 15 %,
    4 years 10 %, 8 years 7.5 %); without ``shrink_years`` (0) it is ``margin`` whatever n.
    """
    k = float(sel.get("shrink_years", 0) or 0)
    n = max(int(n_years), 1)
    return float(sel["margin"]) * (n + k) / n


def calibration_widths(z: np.ndarray, n_years: int, settings: Mapping | None = None) -> tuple[float, float, str]:
    """80 % and 95 % half-widths, in units of the error scale, implied by pooled backtest errors.

    Finite-sample (split-conformal) quantiles of |z|; with fewer than ``calibration.min_years``
    backtest years they are further stretched to Student-t quantiles with that many degrees of
    freedom, and a note says so. (An earlier rule also multiplied by √(1 + 1/years); the conformal
    level already is the finite-sample allowance, and with both the 80 % interval covered 90.6 % of
    the benchmark's outcomes, above the 70–90 % target; without it 88.5 %, and 77.0 % on the
    held-out series.) Returns ``(w80, w95, note)``
    (NaN widths when there are no errors).
    """
    cfg = _settings(settings)["calibration"]
    z = np.abs(np.asarray(z, dtype=float))
    z = z[np.isfinite(z)]
    if z.size == 0 or n_years < 1:
        return np.nan, np.nan, "无往年回测误差，区间按经验放宽"
    # finite-sample (split-conformal) quantile levels: with m errors, the ⌈(m + 1)·p⌉-th smallest
    # covers a new error with probability ≥ p; the plain quantile of a few dozen errors is too low
    m = z.size
    level80, level95 = min(1.0, 0.80 * (1 + 1 / m)), min(1.0, 0.95 * (1 + 1 / m))
    w80 = float(np.quantile(z, level80, method="higher"))
    w95 = float(np.quantile(z, level95, method="higher"))
    # tails no thinner than the normal's: a few dozen errors, a handful of years apart, rarely show
    # the 1-in-20 miss, so the 95 % width is at least 1.96 / 1.28 times the 80 % width
    w95 = max(w95, w80 * 1.959963984540054 / _Z80)
    note = ""
    if n_years < int(cfg["min_years"]):
        w80 *= _T90[n_years] / _Z80
        w95 *= _T975[n_years] / 1.959963984540054
        note = f"回测仅{n_years}年，区间已按小样本放宽，可信度有限"
    return w80, w95, note


_T90 = {1: 3.078, 2: 1.886, 3: 1.638, 4: 1.533, 5: 1.476}
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}


def turn_signal(mat: pd.DataFrame, year: int, month: int, settings: Mapping | None = None) -> float:
    """Break from the seasonal pattern within the year: year-on-year growth of the last
    ``turn.recent_months`` months minus that of the months before them (0 when it cannot be told:
    no prior year, too few months, non-positive flows)."""
    cfg = _settings(settings)["turn"]
    k = int(cfg["recent_months"])
    if year - 1 not in mat.index or month - 1 < k + 1:
        return 0.0
    cur = _slots(mat.loc[year].to_numpy(dtype=float))[: month - 1]
    last = _slots(mat.loc[year - 1].to_numpy(dtype=float))[: month - 1]
    if not (np.isfinite(cur).all() and np.isfinite(last).all()):
        return 0.0
    recent, early = slice(month - 1 - k, month - 1), slice(0, month - 1 - k)
    if last[recent].sum() <= 0 or last[early].sum() <= 0 or cur[recent].sum() <= 0 or cur[early].sum() <= 0:
        return 0.0
    return float(cur[recent].sum() / last[recent].sum() - cur[early].sum() / last[early].sum())


def final_samples(
    totals_by_method: Mapping[str, np.ndarray],
    choice: Mapping,
    *,
    ytd: float,
    level: float,
    month: int,
    turn: float = 0.0,
    growth: float = np.nan,
    nondecreasing: bool = False,
    settings: Mapping | None = None,
) -> tuple[np.ndarray, float, list[str]]:
    """Simulated annual totals of the chosen method or combination, calibrated.

    Point = weighted mean of the members' medians. Spread = the members' simulations (paired,
    weighted), stretched around the point by the factor that makes the 80 % and 95 % half-widths at
    least those the pooled backtest errors imply (:func:`calibration_widths` × ``level`` ×
    (12 − ``month``)^exponent, the exponent from the choice) — never
    narrowed. A turn (|``turn``| above ``turn.threshold``) widens the 80 % half-width further by
    |turn| × the remaining amount. With no backtest errors at all the simulated spread is widened by
    ``calibration.no_history_factor``; for seasonal naive the 80 % half-width is then at least |``growth``|
    (this year's year-to-date growth, :func:`ytd_growth`) × the remaining amount — what repeating last
    year's months misses if the rest of the year grows like the months so far.

    The year to date has happened; only the remaining months are uncertain: every simulated total is
    ``ytd`` + a remaining amount, and the widths above are widths of that remaining amount (they scale
    with the level of the monthly flows and the months left, never with the year to date). For a flow
    that cannot decrease (``nondecreasing``: 营业总收入, 完成投资) the remaining amount is clipped at 0
    (:func:`floor_remaining`), so no quantile — lower bounds and median included — lies below ``ytd``.
    Returns ``(samples, factor, notes)``.
    """
    cfg = _settings(settings)
    scale = level * (12 - month) ** float(choice.get("exponent", 0.5))
    members, weights = choice["members"], choice["weights"]
    point = float(sum(weights[m] * np.median(totals_by_method[m]) for m in members))
    mix = sum(weights[m] * totals_by_method[m] for m in members)
    dev = mix - np.median(mix)
    q = np.quantile(dev, [0.025, 0.10, 0.90, 0.975])
    sim80, sim95 = (q[2] - q[1]) / 2.0, (q[3] - q[0]) / 2.0
    n_years = int(choice.get("calibration_years", choice.get("backtest_years", 0)))
    w80, w95, note = calibration_widths(choice["z"], n_years, cfg)
    notes = [note] if note else []
    tiny = 1e-12 * max(1.0, abs(point))
    if np.isnan(w80):
        factor = float(cfg["calibration"]["no_history_factor"])
        dev, half = factor * dev, factor * sim80
        need = abs(growth) * abs(point - ytd) if np.isfinite(growth) else 0.0
        if set(members) <= LEVEL_BLIND and half > tiny and need > half:
            dev, factor, half = dev * (need / half), factor * need / half, need
    else:
        need80, need95 = w80 * scale, w95 * scale
        factor = max(need80 / sim80 if sim80 > tiny else 1.0, need95 / sim95 if sim95 > tiny else 1.0)
        if sim80 <= tiny and need80 > tiny:  # no simulated spread: the backtest errors give it
            z = np.concatenate([choice["z"], -choice["z"]])
            dev = np.quantile(z, np.linspace(0, 1, dev.size)) * scale * (w80 / np.quantile(np.abs(z), 0.8))
            dev, factor = dev - np.median(dev), 1.0
        elif cfg["calibration"].get("floor_at_simulation", False):
            factor = max(1.0, factor)
            dev = factor * dev
        elif cfg["calibration"].get("two_point", True) and sim95 > sim80 > tiny:
            # stretch the simulated deviations piecewise so that both the 80 % and the 95 % half-widths
            # are those the backtest errors imply (one factor for both over-covers one of them)
            dev, factor = _two_point(dev, need80, need95), need80 / sim80
        else:
            dev = factor * dev
        half = need80
    if abs(turn) > float(cfg["turn"]["threshold"]):
        remaining = abs(point - ytd)
        half = max(half, tiny)
        widen = (half + abs(turn) * remaining) / half
        factor *= widen
        dev = dev * widen
        notes.append(f"近{cfg['turn']['recent_months']}个月同比增速较此前变化{turn * 100:+.0f}个百分点，"
                     "走势偏离往年季节规律，区间已放宽")
    samples = point + dev
    return (floor_remaining(samples, ytd) if nondecreasing else samples), factor, notes


def floor_remaining(totals: np.ndarray, ytd: float) -> np.ndarray:
    """Simulated year-end totals of a flow that cannot decrease: ``ytd`` + max(remaining, 0).

    What has been earned or invested by the origin stays; a simulated remaining amount below 0 (a
    symmetric interval around a small remainder) becomes 0, so no quantile lies below the year to
    date. Order is kept, so quantiles above the year to date do not move.
    """
    return ytd + np.maximum(np.asarray(totals, dtype=float) - ytd, 0.0)


def _two_point(dev: np.ndarray, need80: float, need95: float) -> np.ndarray:
    """Deviations from the median stretched by rank, each side on its own: the 10 %/90 % quantiles
    move to ∓``need80``, the 2.5 %/97.5 % quantiles to ∓``need95``, linearly in between and
    proportionally beyond; order kept, median kept."""
    q025, q10, q90, q975 = np.quantile(dev, [0.025, 0.10, 0.90, 0.975])
    if not (q025 < q10 < 0.0 < q90 < q975):
        a80 = (q90 - q10) / 2.0
        return dev * (need80 / a80 if a80 > 0 else 1.0)
    out = np.interp(dev, [q025, q10, 0.0, q90, q975], [-need95, -need80, 0.0, need80, need95])
    low, high = dev < q025, dev > q975
    out[low] = dev[low] * need95 / -q025
    out[high] = dev[high] * need95 / q975
    return out


# ---------------------------------------------------------------------------------------------
# Comparable basis
# ---------------------------------------------------------------------------------------------
def restate_last_year(mat: pd.DataFrame, restated: pd.Series | None, year: int,
                      month: int) -> tuple[pd.DataFrame, str]:
    """Last year's row of ``mat`` on this year's scope, and a note (``(mat, "")`` when nothing is restated).

    ``restated`` holds the 快报's 上年同期 figures: last year's year-to-date restated to this year's scope
    (enterprises that joined or left, restatements), one per month of this year it was reported with
    (index ``YYYY-MM`` of this year, or of last year). Months up to ``month`` with a restated figure take
    it; the later months of last year — which no 快报 has restated yet — and months without one are the
    first-reported figures × the ratio restated ÷ first reported at the latest restated month (the scope
    change in proportion). The note gives that month's difference to the first-reported figure.
    """
    if restated is None or year - 1 not in mat.index:
        return mat, ""
    r = to_monthly_ytd(restated)
    if not len(r):
        return mat, ""
    r = r.loc[[p.year in (year, year - 1) and p.month <= month for p in r.index]].dropna()
    values = {p.month: float(v) for p, v in r.items()}
    first = mat.loc[year - 1].to_numpy(dtype=float)
    known = [m for m in sorted(values) if np.isfinite(first[m - 1]) and first[m - 1] != 0]
    if not known:
        return mat, ""
    last = known[-1]
    ratio = values[last] / first[last - 1]
    row = first * ratio
    for m, v in values.items():
        row[m - 1] = v
    out = mat.copy()
    out.loc[year - 1] = row
    diff = values[last] - first[last - 1]
    later = f"，上年{last + 1}—12月按同一比例折算" if last < 12 else ""
    note = (f"上年同期按本年口径重述（本期快报）：上年{_months_zh(last)}累计较首报数{'多' if diff >= 0 else '少'}"
            f"{abs(ratio - 1) * 100:.1f}%（{diff:+,.2f}万元），季节规律与季节性朴素法按重述数计算{later}")
    return out, note


def _months_zh(month: int) -> str:
    return "1—2月" if month == 2 else f"1—{month}月"


# ---------------------------------------------------------------------------------------------
# Projection
# ---------------------------------------------------------------------------------------------
def project_year_end(
    ytd_series: pd.Series,
    *,
    as_of,
    target: float | None = None,
    n_sims: int = 2000,
    seed: int = 0,
    methods: Sequence[str] | None = None,
    history_years: int = 5,
    backtest_sims: int = 300,
    nondecreasing: bool = False,
    last_year_restated: pd.Series | None = None,
    backtest: pd.DataFrame | None = None,
    default: str | None = None,
    prior: Mapping[str, float] | None = None,
    settings: Mapping | None = None,
) -> dict:
    """Project the year-end total of a YTD series at ``as_of`` (``"YYYY-MM"`` or ``(year, month)``).

    Year end = YTD actual + simulated remaining months of the method or combination chosen by the
    rolling-origin backtest over earlier years (:func:`choose_from_backtest`; seasonal naive unless
    a challenger earns its place), with the interval calibrated on the pooled backtest errors
    (:func:`final_samples`). ``methods`` defaults to the settings' ``candidates``. In December the
    year is over: the actual is returned without an interval (``method == "actual"``, interval
    columns NaN). Deterministic for a given ``seed``. ``nondecreasing`` (a flow that cannot fall, e.g.
    营业总收入, 完成投资; ``nondecreasing`` items in the settings): the remaining amount is never below 0,
    so no bound lies below the year to date (:func:`floor_remaining`), and no simulated month is negative.
    ``last_year_restated``: the 快报's 上年同期 figures (last year's year-to-date restated to this year's
    scope, indexed by this year's months as the 快报 gives them): the projection at this origin reads
    last year on that comparable basis (:func:`restate_last_year`; seasonal pattern, seasonal naive, this
    year's growth), and the note gives the difference to the first-reported months. The backtest of
    earlier years keeps the figures as they were reported then. ``backtest`` (this series' backtest from
    :func:`series_backtest`, when already computed) and ``default`` (the set-wide default of
    :func:`set_default`) are what :func:`project_items` passes for a set of series.

    Returns a dict: ``year, month, as_of, ytd_actual, linear_ytd, method, method_label, members,
    mean, median, lo80, hi80, lo95, hi95, target, prob_target (P(year end ≥ target)), prob_words,
    backtest_wape (%), default_wape, backtest_n (origins), backtest_years, calibration, turn, note``
    plus ``samples`` (simulated annual totals, ndarray) and ``cum_paths`` (DataFrame of simulated
    cumulative values for the remaining months).
    """
    cfg = _settings(settings)
    methods = list(cfg["candidates"] if methods is None else methods)
    year, month = _parse_as_of(as_of)
    _check_month(month)
    mat = ytd_matrix(ytd_series)
    if year not in mat.index or not np.isfinite(mat.loc[year, month]):
        raise ValueError(f"{year}年{month}月无累计数据，无法预测")
    ytd_now = float(mat.loc[year, month])
    base = {
        "year": year,
        "month": month,
        "as_of": f"{year:04d}-{month:02d}",
        "ytd_actual": ytd_now,
        "linear_ytd": ytd_now * 12.0 / month,
        "target": np.nan if target is None else float(target),
    }
    if month == 12:
        samples = np.full(n_sims, ytd_now)
        res = {**base, "method": "actual", "method_label": METHOD_LABELS["actual"], "members": "actual",
               **_summary(samples), "backtest_wape": np.nan, "default_wape": np.nan, "backtest_n": 0,
               "backtest_years": 0, "calibration": 1.0, "turn": 0.0, "note": "全年已结束，为全年实际数"}
        res.update({k: np.nan for k in ("lo95", "lo80", "hi80", "hi95")})
        res["prob_target"] = _prob(samples, target)
        res["prob_words"] = _actual_words(ytd_now, target)
        res["samples"] = samples
        res["cum_paths"] = pd.DataFrame(index=range(n_sims))
        return res

    bt = series_backtest(ytd_series, as_of=(year, month), methods=methods, backtest_sims=backtest_sims, seed=seed,
                         history_years=history_years, settings=cfg) if backtest is None else backtest
    mat, basis_note = restate_last_year(mat, last_year_restated, year, month)
    available_now: dict[str, tuple] = {}
    reasons = []
    for method in methods:
        try:
            available_now[method] = _origin(
                mat, year, month, method, n_sims=n_sims, seed=seed, history_years=history_years
            )
        except _Unavailable as exc:
            reasons.append(f"{METHOD_LABELS[method]}：{exc}")
    if not available_now:
        raise ValueError("没有可用的预测方法：" + "；".join(reasons))
    growth = ytd_growth(mat, year, month)
    choice = choose_from_backtest(bt, year=year, candidates=[m for m in methods if m in available_now],
                                  settings=cfg, month=month, growth=growth, default=default, prior=prior)
    totals = {m: a + p.sum(axis=1) for m, (a, p, _) in available_now.items()}
    turn = turn_signal(mat, year, month, cfg)
    samples, factor, cal_notes = final_samples(totals, choice, ytd=ytd_now, level=_level(mat, year, month),
                                               month=month, turn=turn, growth=growth,
                                               nondecreasing=nondecreasing, settings=cfg)
    members = choice["members"]
    paths = sum(choice["weights"][m] * available_now[m][1] for m in members)
    paths = _reshape(paths, samples - ytd_now, nonnegative=nondecreasing)
    method_notes = [available_now[m][2] for m in members if available_now[m][2]]
    if len(members) > 1:
        method_notes.append("组合成员：" + "、".join(
            f"{METHOD_LABELS[m]}{choice['weights'][m] * 100:.0f}%" for m in members))
    notes = [t for t in [basis_note, choice["note"], *method_notes, *cal_notes] if t] + reasons
    res = {
        **base,
        "method": choice["method"],
        "method_label": METHOD_LABELS[choice["method"]],
        "members": ",".join(members),
        **_summary(samples),
        "prob_target": _prob(samples, target),
        "backtest_wape": choice["backtest_wape"],
        "default_wape": choice["default_wape"],
        "backtest_n": choice["backtest_n"],
        "backtest_years": choice["backtest_years"],
        "calibration": factor,
        "turn": turn,
        "note": "；".join(notes),
        "samples": samples,
    }
    res["prob_words"] = prob_words(res["prob_target"], cfg)
    cols = pd.period_range(pd.Period(year=year, month=month, freq="M") + 1, periods=12 - month)
    res["cum_paths"] = pd.DataFrame(ytd_now + np.cumsum(paths, axis=1), columns=cols)
    return res


def series_backtest(ytd_series: pd.Series, *, as_of, methods: Sequence[str] | None = None, backtest_sims: int = 300,
                    seed: int = 0, history_years: int = 5, settings: Mapping | None = None) -> pd.DataFrame:
    """The backtest a projection at ``as_of`` rests on: every complete year before it (at most
    ``selection.backtest_years``), every origin month, every candidate (:func:`backtest_year_end`)."""
    cfg = _settings(settings)
    year, _ = _parse_as_of(as_of)
    mat = ytd_matrix(ytd_series)
    complete = [y for y in mat.index if y < year and np.isfinite(mat.loc[y, 12])]
    bt_years = complete[-int(cfg["selection"]["backtest_years"]):]
    return backtest_year_end(ytd_series, years=bt_years, methods=list(cfg["candidates"] if methods is None else methods),
                             n_sims=backtest_sims, seed=seed, history_years=history_years, settings=cfg)


def _actual_words(actual: float, target) -> str:
    if target is None or not np.isfinite(target):
        return ""
    return "全年实际已完成" if actual >= target else "全年实际未完成"


def _reshape(paths: np.ndarray, remaining: np.ndarray, *, nonnegative: bool = False) -> np.ndarray:
    """Monthly paths whose row sums are ``remaining``: each row's difference is spread over the months
    in proportion to the average path (evenly when that sums to zero). ``nonnegative`` (a flow that
    cannot fall, ``remaining`` ≥ 0): each row is its months' non-negative parts scaled to ``remaining``
    (the average path's shape where a row has none), so no cumulative path dips."""
    if paths.size == 0:
        return paths
    avg = paths.mean(axis=0)
    w = avg / avg.sum() if abs(avg.sum()) > 1e-12 else np.full(avg.size, 1.0 / avg.size)
    if nonnegative:
        w = np.maximum(w, 0.0)
        w = w / w.sum() if w.sum() > 0 else np.full(avg.size, 1.0 / avg.size)
        pos = np.maximum(paths, 0.0)
        sums = pos.sum(axis=1, keepdims=True)
        shape = np.where(sums > 0, pos / np.where(sums > 0, sums, 1.0), w)
        return shape * np.maximum(remaining, 0.0)[:, None]
    extra = remaining - paths.sum(axis=1)
    return paths + np.outer(extra, w)


def _widen(paths: np.ndarray, factor: float) -> np.ndarray:
    """Stretch simulated annual remainders around their median by ``factor`` (median unchanged)."""
    if factor == 1.0 or paths.size == 0:
        return paths
    rem = paths.sum(axis=1)
    return _reshape(paths, np.median(rem) + factor * (rem - np.median(rem)))


def _prob(samples: np.ndarray, target) -> float:
    if target is None or not np.isfinite(target):
        return np.nan
    return float(np.mean(samples >= target))


def project_items(
    frame: pd.DataFrame,
    *,
    items: Sequence[str] = ("revenue", "total_profit"),
    as_of,
    id_col: str = "enterprise_id",
    period_col: str = "period",
    targets: pd.DataFrame | None = None,
    n_sims: int = 2000,
    seed: int = 0,
    history_years: int = 5,
    methods: Sequence[str] | None = None,
    keep_paths: bool = False,
    settings: Mapping | None = None,
    jobs: int | None = None,
    restated: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Project many YTD series from a long table (e.g. the ``financials`` table).

    One output row per ``id_col`` × item with the fields of :func:`project_year_end` (``samples`` is
    kept as an object column for :func:`reconcile_bottom_up`; ``cum_paths`` is dropped unless
    ``keep_paths``). Series that
    cannot be projected get NaN figures and the Chinese reason in ``note``. Every series uses the
    same ``seed`` (common random numbers), so the result does not depend on the order or on ``jobs``:
    with many series they are projected by that many worker processes (default: one per CPU).
    ``targets`` follows the contract table ``targets``. ``restated`` (same layout, e.g. the 快报's
    ``financials_ly``: this year's periods, last year's figures restated to this year's scope) puts last
    year on the comparable basis (``last_year_restated`` of :func:`project_year_end`).
    """
    year, _ = _parse_as_of(as_of)
    cfg = _settings(settings)
    tmap = {}
    if targets is not None and len(targets):
        t = targets[targets["year"] == year]
        tmap = {(r.enterprise_id, r.item): r.target_value for r in t.itertuples()}
    options = {"as_of": as_of, "n_sims": n_sims, "seed": seed, "history_years": history_years,
               "methods": methods, "settings": cfg, "keep_paths": keep_paths}
    restated_by = dict(iter(restated.groupby(id_col, sort=False))) if restated is not None and len(restated) else {}
    tasks = []
    for eid, grp in frame.groupby(id_col, sort=True):
        for item in items:
            if item not in grp.columns:
                continue
            series = pd.Series(grp[item].to_numpy(), index=grp[period_col].astype(str).to_numpy())
            ly = restated_by.get(eid)
            ly = (pd.Series(pd.to_numeric(ly[item], errors="coerce").to_numpy(), index=ly[period_col].astype(str).to_numpy())
                  .dropna() if ly is not None and item in ly else None)
            tasks.append((eid, item, series, tmap.get((eid, item)),
                          {**options, "nondecreasing": item in set(cfg.get("nondecreasing") or ()),
                           "last_year_restated": ly if ly is not None and len(ly) else None}))
    if cfg["selection"].get("set_default", False) and len(tasks) >= 2:
        tasks = _with_set_defaults(tasks, jobs=jobs, settings=cfg)
    results = map_in_processes(_project_task, tasks, jobs=jobs, min_items=PARALLEL_MIN_SERIES, stage="shared")
    return pd.DataFrame([{id_col: eid, "item": item, **res} for (eid, item, *_), res in zip(tasks, results)])


def _with_set_defaults(tasks: list[tuple], *, jobs: int | None, settings: Mapping) -> list[tuple]:
    """The tasks of :func:`project_items` with each series' backtest, the set-wide default of its item
    (:func:`set_default` over the *other* series of the same item) and the pooled scores of those other series
    (:func:`pooled_scores`, the prior of :func:`choose_from_backtest`) in its options."""
    done = map_in_processes(_backtest_task, tasks, jobs=jobs, min_items=PARALLEL_MIN_SERIES, stage="shared")
    backtests, scores = [bt for bt, _ in done], [sc for _, sc in done]
    on = settings["selection"].get("set_default", False)
    priors: list[pd.Series | None] = [None] * len(tasks)
    if on:  # each series' prior: the pooled scores of the other series of its item
        for item in dict.fromkeys(t[1] for t in tasks):
            mine = [i for i, t in enumerate(tasks) if t[1] == item]
            for i, pooled in zip(mine, pooled_without_each([scores[i] for i in mine], settings=settings)):
                priors[i] = pooled
    return [(eid, item, series, target, {**options, "backtest": backtests[i], "default": _best_single(priors[i]),
                                         "prior": priors[i]})
            for i, (eid, item, series, target, options) in enumerate(tasks)]


def _backtest_task(task: tuple) -> tuple[pd.DataFrame | None, pd.Series | None]:
    """One series' backtest for :func:`_with_set_defaults` and, when the set-wide default is on, its evidence for
    it (:func:`series_scores`, in the worker too: a province's groups give thousands); ``(None, None)`` when the
    series has no usable history."""
    _eid, _item, series, _target, options = task
    cfg = options["settings"]
    try:
        bt = series_backtest(series, as_of=options["as_of"], methods=options.get("methods"), seed=options["seed"],
                             history_years=options["history_years"], settings=cfg)
    except (ValueError, KeyError):
        return None, None
    if not cfg["selection"].get("set_default", False):
        return bt, None
    year, month = _parse_as_of(options["as_of"])
    return bt, series_scores(bt, candidates=options.get("methods"), month=month, year=year, settings=cfg, combos=True)


#: Fewer series than this are projected in this process (a worker costs more than a few projections).
PARALLEL_MIN_SERIES = 24


def _project_task(task: tuple) -> dict:
    """One series of :func:`project_items`: its projection, or NaN figures and the reason."""
    _eid, _item, series, target, options = task
    options = dict(options)
    keep_paths = options.pop("keep_paths")
    try:
        res = project_year_end(series, target=target, **options)
        if not keep_paths:
            res.pop("cum_paths", None)
    except ValueError as exc:
        res = {"note": str(exc), "samples": None, "target": np.nan if target is None else target}
    return res


def project_next_year(
    ytd_series: pd.Series,
    *,
    as_of,
    n_sims: int = 2000,
    seed: int = 0,
    history_years: int = 5,
    this_year: np.ndarray | None = None,
    target: float | None = None,
) -> dict:
    """Rough outlook for next year's annual total.

    This year's simulated total (from :func:`project_year_end`) times a growth factor drawn from
    the past years' annual growth rates (normal with their mean and standard deviation, the latter
    at least 5 percentage points); when a total is not positive, additive year-on-year changes are
    used instead. ``this_year`` (simulated annual totals of this year, e.g. the stored projection's
    year-end column of ``forecast_paths``) replaces the projection of this year, so the outlook
    starts from the same number every other reader sees. Returns ``{"year", "mean", "median", "lo80", "hi80", "lo95", "hi95", "basis",
    "prob_target", "target_status"}`` (P(next year's total ≥ ``target``) and :func:`target_status` of it; NaN and
    empty without a target).
    """
    mat = ytd_matrix(ytd_series)
    if this_year is not None:
        year, _ = _parse_as_of(as_of)
        this = {"year": year, "samples": np.asarray(this_year, dtype=float)}
    else:
        this = project_year_end(ytd_series, as_of=as_of, n_sims=n_sims, seed=seed,
                                history_years=history_years)
    totals = _history(mat, this["year"], history_years)[12].to_numpy(dtype=float)
    rng = _rng(seed, this["year"] + 1, 0, "next_year")
    base = this["samples"]
    if totals.size >= 2 and np.all(totals > 0) and np.all(base > 0):
        g = totals[1:] / totals[:-1]
        sd = max(g.std(ddof=1) if g.size > 1 else 0.0, 0.05)
        sims = base * (g.mean() + sd * rng.standard_normal(base.size))
        basis = "按往年平均增速外推"
    elif totals.size >= 2:
        d = np.diff(totals)
        sd = max(d.std(ddof=1) if d.size > 1 else 0.0, 0.05 * np.abs(totals).mean())
        sims = base + d.mean() + sd * rng.standard_normal(base.size)
        basis = "按往年平均增减额外推"
    else:
        sims = base.copy()
        basis = "往年数据不足，按本年预计数持平"
    prob = _prob(sims, np.nan if target is None else float(target))
    return {"year": this["year"] + 1, **_summary(sims), "basis": basis, "prob_target": prob,
            "target_status": target_status(prob)}


# ---------------------------------------------------------------------------------------------
# Hierarchy
# ---------------------------------------------------------------------------------------------
def _sum_samples(arrays: list[np.ndarray], *, dependence: str, rng) -> np.ndarray:
    if dependence == "comonotonic":
        return np.sum([np.sort(a) for a in arrays], axis=0)
    if dependence == "independent":
        return np.sum([rng.permutation(a) for a in arrays], axis=0)
    if dependence == "paired":
        return np.sum(arrays, axis=0)
    raise ValueError("dependence 只能取 'comonotonic'、'independent' 或 'paired'")


def reconcile_bottom_up(
    projections: pd.DataFrame,
    roster: pd.DataFrame,
    *,
    dependence: str = "comonotonic",
    district_id: str = "DISTRICT",
    seed: int = 0,
) -> pd.DataFrame:
    """Make the hierarchy add up: district = sum of the six groups, computed on simulated paths.

    "Coherent" here: groups submit **consolidated** figures that already include their
    subsidiaries and are *not* the plain sum of them (intra-group eliminations, the head office's
    own business). So a group's own projection is kept as it is; its subsidiaries' projections are
    summed only for information (``children_sum``) and the difference is reported as
    ``consolidation_gap``. Only when a group has no own projection is it built bottom-up from its
    direct subsidiaries. The district row is always built from the groups' simulated annual totals
    (the contract: district line items = sum of the six groups' rows), so its mean is exactly the
    sum of the groups' means.

    ``dependence`` couples the groups' simulations: ``"comonotonic"`` (default; sorted samples
    added, so every district quantile equals the sum of the groups' quantiles — a deliberately
    cautious upper bound on spread, since the groups share the district's economy),
    ``"independent"`` (randomly permuted; the narrowest credible interval) or ``"paired"`` (sample
    *i* with sample *i*, i.e. common random numbers from the same seed). Missing groups make the
    district row NaN (never treated as zero).

    ``projections`` needs ``enterprise_id, item, ytd_actual, linear_ytd, samples``; the output
    has the same columns plus ``children_sum``, ``consolidation_gap``; one ``DISTRICT`` row per item.
    """
    rng = np.random.default_rng(seed)
    proj = projections.copy()
    groups = list(EnterpriseTree.from_roster(roster).groups)
    parent = dict(zip(roster["enterprise_id"].astype(str), roster["parent_id"]))
    out_rows = []
    for item, sub in proj.groupby("item", sort=False):
        by_id = {str(r["enterprise_id"]): r for r in sub.to_dict("records")}
        group_rows = {}
        for g in groups:
            kids = [by_id[e] for e in by_id if str(parent.get(e)) == g and _has(by_id[e])]
            kid_sum = (
                _sum_samples([k["samples"] for k in kids], dependence=dependence, rng=rng)
                if kids else None
            )
            if g in by_id and _has(by_id[g]):
                row = dict(by_id[g])
            elif kid_sum is not None:
                row = _aggregate_row(g, item, kids, kid_sum, label="bottom_up")
            else:
                continue
            row["children_sum"] = float(np.median(kid_sum)) if kid_sum is not None else np.nan
            row["consolidation_gap"] = (
                row["median"] - row["children_sum"] if kid_sum is not None else np.nan
            )
            group_rows[g] = row
        for e, r in by_id.items():
            if e not in group_rows and e != district_id:
                out_rows.append(dict(r))
        out_rows.extend(group_rows.values())
        missing = [g for g in groups if g not in group_rows]
        if missing:
            drow = {"enterprise_id": district_id, "item": item, "method": "bottom_up",
                    "method_label": METHOD_LABELS["bottom_up"], "samples": None,
                    "note": "缺少集团预测：" + "、".join(missing) + "，区合计不予汇总"}
        else:
            members = [group_rows[g] for g in groups]
            total = _sum_samples([r["samples"] for r in members], dependence=dependence, rng=rng)
            drow = _aggregate_row(district_id, item, members, total, label="bottom_up")
            drow["children_sum"] = drow["median"]
            drow["consolidation_gap"] = 0.0
        out_rows.append(drow)
    return pd.DataFrame(out_rows)


def _has(row: Mapping) -> bool:
    s = row.get("samples")
    return isinstance(s, np.ndarray) and s.size > 0


def _aggregate_row(eid, item, members, total, *, label) -> dict:
    row = {
        "enterprise_id": eid,
        "item": item,
        "year": members[0].get("year"),
        "month": members[0].get("month"),
        "as_of": members[0].get("as_of"),
        "ytd_actual": float(np.sum([m["ytd_actual"] for m in members])),
        "linear_ytd": float(np.sum([m["linear_ytd"] for m in members])),
        "method": label,
        "method_label": METHOD_LABELS[label],
        **_summary(total),
        "note": "由下级预测的模拟路径汇总",
        "samples": total,
    }
    row["mean"] = float(np.sum([m["mean"] for m in members]))
    if all(m.get("method") == "actual" for m in members):  # December: the sum of actuals, no interval
        row.update(method="actual", method_label=METHOD_LABELS["actual"], note="全年已结束，为全年实际数",
                   **{k: np.nan for k in ("lo95", "lo80", "hi80", "hi95")})
    return row


# ---------------------------------------------------------------------------------------------
# Target tracking
# ---------------------------------------------------------------------------------------------
def _time_progress(year: int, month: int) -> float:
    try:

        return float(elapsed_share(f"{year:04d}-{month:02d}")) * 100.0
    except (ImportError, ValueError):
        return month / 12.0 * 100.0


def track_targets(
    targets: pd.DataFrame,
    projections: pd.DataFrame,
    *,
    year: int | None = None,
) -> pd.DataFrame:
    """Compare annual targets with YTD actuals and year-end projections.

    ``targets`` is the contract table (``enterprise_id, year, item, target_value, unit``);
    ``projections`` comes from :func:`project_items` / :func:`reconcile_bottom_up`. Only targets of
    projected items are kept. Columns: ``enterprise_id, item, unit, target, actual_ytd,
    completion_pct`` (actual / target × 100), ``time_progress_pct`` (序时进度, days elapsed / days in
    the year × 100), ``pace_gap_pct`` (completion − time progress), ``projected_year_end``
    (median), ``lo80, hi80, projected_gap`` (projection − target), ``prob_reach_target``,
    ``prob_words`` (:func:`prob_words`; 全年实际已完成/未完成 in December) and ``status``: the verdict
    :func:`target_status` reads from ``prob_reach_target`` (预计完成 / 完成存在不确定性 / 存在缺口; in
    December 全年实际已完成/未完成), 无目标/无预测 when an input is missing.
    """
    proj = projections.copy()
    if year is None:
        year = int(pd.to_numeric(proj["year"], errors="coerce").dropna().iloc[0])
    t = targets[(targets["year"] == year) & targets["item"].isin(proj["item"].unique())]
    merged = t.merge(proj, on=["enterprise_id", "item"], how="left", suffixes=("", "_proj"))
    out = pd.DataFrame({
        "enterprise_id": merged["enterprise_id"],
        "item": merged["item"],
        "unit": merged.get("unit"),
        "target": pd.to_numeric(merged["target_value"], errors="coerce"),
        "actual_ytd": pd.to_numeric(merged["ytd_actual"], errors="coerce"),
    })
    out["completion_pct"] = (out["actual_ytd"] / out["target"] * 100.0).where(out["target"] != 0)
    months = pd.to_numeric(merged["month"], errors="coerce")
    out["time_progress_pct"] = [
        _time_progress(year, int(m)) if np.isfinite(m) else np.nan for m in months
    ]
    out["pace_gap_pct"] = out["completion_pct"] - out["time_progress_pct"]
    out["projected_year_end"] = pd.to_numeric(merged["median"], errors="coerce")
    out["lo80"] = pd.to_numeric(merged["lo80"], errors="coerce")
    out["hi80"] = pd.to_numeric(merged["hi80"], errors="coerce")
    out["projected_gap"] = out["projected_year_end"] - out["target"]
    probs = []
    samples = merged["samples"] if "samples" in merged else [None] * len(merged)
    for s, tv in zip(samples, out["target"]):
        probs.append(_prob(s, tv) if isinstance(s, np.ndarray) else np.nan)
    out["prob_reach_target"] = probs
    methods = merged["method"] if "method" in merged else pd.Series([None] * len(merged))
    out["prob_words"] = [
        _actual_words(a, t) if m == "actual" else prob_words(p)
        for m, a, t, p in zip(methods, out["actual_ytd"], out["target"], out["prob_reach_target"])
    ]
    status = [_actual_words(a, t) if m == "actual" else target_status(p)
              for m, a, t, p in zip(methods, out["actual_ytd"], out["target"], out["prob_reach_target"])]
    status = np.where(out["projected_year_end"].isna(), "无预测", status)
    status = np.where(out["target"].isna(), "无目标", status)
    out["status"] = status
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The shared step of a period run, and what the notebooks display
# ---------------------------------------------------------------------------------------------
#: Items projected every period, with their Chinese names.
PROJECTED_ITEMS = {"revenue": "营业总收入", "total_profit": "利润总额", "investment_completed": "固定资产投资完成额"}
_KEPT_PATHS = 400  # simulated cumulative paths kept per series for the fan charts


def investment_ytd(projects: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """Fixed-asset investment completed this year per group (its whole tree, from the roster's
    enterprise tree) × month (month-end H2 rows)."""
    rows = projects.loc[projects["period"].astype(str).str.endswith("-H2")]
    group_of = EnterpriseTree.from_roster(roster).group_map()
    keys = [rows["enterprise_id"].astype(str).map(group_of).rename("enterprise_id"),
            rows["period"].astype(str).str[:7].rename("period")]
    out = rows.groupby(keys)["completed_ytd"].sum().rename("investment_completed").reset_index()
    return out


def _comonotonic_sum(paths: list[pd.DataFrame]) -> pd.DataFrame:
    """Add simulated cumulative paths rank by rank of their year-end value (as the district reconciliation)."""
    n = min(len(p) for p in paths)
    ordered = [p.iloc[np.argsort(p.iloc[:, -1].to_numpy())[np.linspace(0, len(p) - 1, n).astype(int)]]
               .reset_index(drop=True) for p in paths]
    return sum(ordered[1:], ordered[0])


def with_district_targets(targets: pd.DataFrame, *, groups: list[str], year: int) -> pd.DataFrame:
    """Add the district's target of a projected item as the sum of the groups' targets, where every group
    has one and the district has none of its own (the district's figures are the sum of the groups')."""
    rows = targets.loc[(targets["year"] == year) & targets["item"].isin(list(PROJECTED_ITEMS))]
    own = set(rows.loc[rows["enterprise_id"] == "DISTRICT", "item"])
    extra = []
    for item, grp in rows.loc[rows["enterprise_id"].isin(groups)].groupby("item"):
        if item not in own and set(grp["enterprise_id"]) == set(groups):
            extra.append({"enterprise_id": "DISTRICT", "year": year, "item": item,
                          "target_value": float(grp["target_value"].sum()), "unit": grp["unit"].iloc[0]})
    return pd.concat([targets, pd.DataFrame(extra)], ignore_index=True) if extra else targets


def _paths_long(entity: str, item: str, cum: pd.DataFrame) -> pd.DataFrame:
    keep = cum.iloc[np.linspace(0, len(cum) - 1, min(_KEPT_PATHS, len(cum))).astype(int)]
    long = keep.reset_index(drop=True).rename_axis("sim").reset_index().melt(
        id_vars="sim", var_name="month", value_name="value")
    long.insert(0, "item", item)
    long.insert(0, "entity_id", entity)
    long["month"] = long["month"].astype(str)
    return long


#: Columns of the stored projection (``forecast_projections``) every reader relies on.
STORED_COLUMNS = ("enterprise_id", "item", "as_of", "ytd_actual", "median", "lo80", "hi80", "lo95", "hi95",
                  "prob_target", "prob_words", "target_status", "method", "method_label", "backtest_wape", "backtest_years",
                  "backtest_n", "note")


def shared_frames(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame | None = None, *, period: str,
                  n_sims: int = 2000, seed: int = 0, settings: Mapping | None = None) -> dict[str, pd.DataFrame]:
    """Year-end projections of the groups and the district, target tracking and fan-chart paths.

    This is the single place a period's projections are computed: ``forecast_projections`` (one row
    per entity × item: point, intervals, P(target) and its wording, method, backtest error; see
    :data:`STORED_COLUMNS` and :func:`stored_projection`) is what the forecast chapter, the
    assessment's pre-assessment and the review's sentences read.

    Groups are projected on their own consolidated series (investment: the sum over the group's
    tree); the district is the sum of the six groups' simulations (:func:`reconcile_bottom_up`,
    comonotonic), so it adds up; its fan-chart paths are the groups' paths added rank by rank. The
    district's backtest error is that of its own series under the same selection rule.
    """

    cfg = _settings(settings)
    as_of = closed_month(period)
    roster = tables["roster"]
    groups = list(EnterpriseTree.from_roster(roster).groups)
    fin = tables["financials"].loc[lambda f: f["enterprise_id"].astype(str).isin(groups)]
    inv = investment_ytd(tables["projects"], roster).loc[lambda f: f["enterprise_id"].isin(groups)]
    targets = tables.get("targets")
    restated = tables.get("financials_ly")  # the 快报's 上年同期, restated to this year's scope
    if restated is not None:
        restated = restated.loc[restated["enterprise_id"].astype(str).isin(groups)]
    projections = pd.concat([
        project_items(fin, items=("revenue", "total_profit"), as_of=as_of, targets=targets, n_sims=n_sims,
                      seed=seed, keep_paths=True, settings=cfg, restated=restated),
        project_items(inv, items=("investment_completed",), as_of=as_of, targets=targets, n_sims=n_sims,
                      seed=seed, keep_paths=True, settings=cfg),
    ], ignore_index=True)
    fan = []
    for item in PROJECTED_ITEMS:
        rows = projections.loc[projections["item"] == item]
        cums = [c for c in rows.get("cum_paths", pd.Series(dtype=object))
                if isinstance(c, pd.DataFrame) and c.shape[1]]
        fan += [_paths_long(e, item, c) for e, c in zip(rows["enterprise_id"], rows["cum_paths"])
                if isinstance(c, pd.DataFrame) and c.shape[1]]
        if cums and len(cums) == len(groups):
            fan.append(_paths_long("DISTRICT", item, _comonotonic_sum(cums)))
    reconciled = reconcile_bottom_up(projections.drop(columns=["cum_paths"], errors="ignore"), roster, seed=seed)
    year = int(as_of[:4])
    tracked = (track_targets(with_district_targets(targets, groups=groups, year=year), reconciled, year=year)
               if targets is not None else pd.DataFrame())
    district = pd.concat([fin.groupby(fin["period"].astype(str))[["revenue", "total_profit"]].sum(min_count=1),
                          inv.groupby("period")[["investment_completed"]].sum(min_count=1)], axis=1)
    backtests = []
    for item in PROJECTED_ITEMS:
        series = district[item].dropna()
        bt = backtest_year_end(series, n_sims=300, seed=seed, settings=cfg)
        here = reconciled["item"].eq(item) & reconciled["enterprise_id"].eq("DISTRICT")
        if here.any() and len(bt) and reconciled.loc[here, "method"].iloc[0] != "actual":
            month = _parse_as_of(as_of)[1]
            choice = choose_from_backtest(bt, year=year, settings=cfg, month=month,
                                          growth=ytd_growth(ytd_matrix(series), year, month))
            reconciled.loc[here, ["backtest_wape", "backtest_years", "backtest_n"]] = [
                choice["backtest_wape"], choice["backtest_years"], choice["backtest_n"]]
        bt.insert(0, "item", item)
        backtests.append(bt)
    reconciled["prob_words"] = [
        _actual_words(a, t) if m == "actual" else prob_words(p, cfg)
        for m, a, t, p in zip(reconciled["method"], reconciled["ytd_actual"], reconciled["target"],
                              reconciled["prob_target"])
    ] if len(reconciled) else []
    reconciled["target_status"] = [
        _actual_words(a, t) if m == "actual" else target_status(p, cfg)
        for m, a, t, p in zip(reconciled["method"], reconciled["ytd_actual"], reconciled["target"],
                              reconciled["prob_target"])
    ] if len(reconciled) else []
    table = reconciled.drop(columns=["samples"], errors="ignore")
    paths = pd.concat(fan, ignore_index=True) if fan else pd.DataFrame(
        columns=["entity_id", "item", "sim", "month", "value"])
    return {"forecast_projections": _parquet_safe(table), "forecast_targets": _parquet_safe(tracked),
            "forecast_paths": paths, "forecast_backtest": _parquet_safe(pd.concat(backtests, ignore_index=True))}


def stored_projection(projections: pd.DataFrame | None, entity_id: str, item: str, *,
                      as_of: str | None = None) -> dict | None:
    """The stored year-end projection of one series (a row of ``forecast_projections``) as a dict, or
    ``None`` when there is none (no frame, no row, another ``as_of``, or no point projection).

    Every reader — the forecast chapter, the assessment's projected values, the review — goes through
    this function, so they all show the same number.
    """
    if projections is None or not len(projections):
        return None
    rows = projections.loc[(projections["enterprise_id"].astype(str) == str(entity_id))
                           & (projections["item"].astype(str) == item)]
    if as_of is not None and "as_of" in rows:
        rows = rows.loc[rows["as_of"].astype(str) == str(as_of)[:7]]
    if not len(rows) or not np.isfinite(pd.to_numeric(rows["median"], errors="coerce").iloc[0]):
        return None
    return rows.iloc[0].to_dict()


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding arrays or mixed values become text, so the frame can go to parquet."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: v if v is None or isinstance(v, (str, float, int)) else str(v))
    return out
