"""Benchmark of year-end projections (script, not a test).

Rolling-origin backtest: for every evaluation year and every month-end June..November, each
method projects the year-end total from the data available then (at most ``HISTORY_YEARS`` earlier
years, mimicking the district's 3–4-year histories). The "chosen" method is selected per series
and origin by :func:`guozi_analysis.forecast.choose_from_backtest` using only earlier years —
exactly what ``project_year_end`` does — and its interval is widened by the backtest calibration.

Series:
* synthetic district-like revenue and profit series (December spike, moving Spring Festival,
  a 2020 shock, profits that change sign);
* real monthly series shipped inside statsmodels (nothing downloaded): ``elec_equip`` (euro-area
  electrical equipment orders, 1995–2016), ``elnino`` (sea surface temperature, 1950–2010) and
  ``co2`` (Mauna Loa, weekly → monthly mean, 1958–2001); January is dropped from their YTD form to
  imitate the Jan–Feb combined reporting;
* the demo district's revenue / total profit per enterprise when ``guozi_analysis.intake.load_demo``
  exists.

Run: ``.venv/bin/python benchmarks/bench_forecast.py [--quick]``
"""

from __future__ import annotations

import os

# Tiny state-space fits spend most of their time in OpenBLAS thread hand-offs on a busy 2-core
# machine (10–100× slower); one BLAS thread per process is much faster. Must precede numpy.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

from guozi_analysis.analyses import forecast as fc

MONTHS = range(6, 12)
HISTORY_YEARS = 4
N_SIMS = 400
BASELINES = ("linear_ytd", "hist_share", "seasonal_naive")
LABEL = {"linear_ytd": "线性外推", "hist_share": "历年占比", "seasonal_naive": "季节朴素",
         "ets": "ETS", "sarima": "SARIMA", "chosen": "选定方法", "combination": "等权组合"}


# ------------------------------------------------------------------------------ series
def _ytd_from_monthly(monthly: pd.Series) -> pd.Series:
    """Cumulative within each year; January removed (reported only with February)."""
    m = monthly.copy()
    m.index = m.index.to_period("M") if not isinstance(m.index, pd.PeriodIndex) else m.index
    ytd = m.groupby(m.index.year).cumsum()
    return ytd[ytd.index.month != 1]


def synthetic_series(n_revenue: int = 12, n_profit: int = 6, seed: int = 2022) -> dict:
    rng = np.random.default_rng(seed)
    years = range(2016, 2023)
    out = {}
    for k in range(n_revenue + n_profit):
        level = rng.uniform(5e3, 2e5) / 12
        season = np.ones(12)
        season[11] = rng.uniform(1.6, 2.6)  # December spike
        season[2:11] += rng.normal(0, 0.08, 9)
        values, idx = [], []
        lvl = level
        margin = rng.uniform(0.02, 0.10)
        for y in years:
            lvl *= 1 + rng.normal(0.06, 0.06)
            sf = rng.uniform(0.3, 0.7)  # Spring Festival: share of Jan+Feb falling in January
            s = season.copy()
            s[0], s[1] = 1.7 * sf, 1.7 * (1 - sf)
            shock = np.ones(12)
            if y == 2020:
                shock[1:4] = rng.uniform(0.5, 0.8, 3)
            flows = lvl * s * shock * (1 + rng.normal(0, 0.06, 12))
            if k >= n_revenue:  # profit: margin on revenue minus fixed costs, year-end adjustment
                fixed = lvl * margin * 0.8
                flows = flows * margin - fixed
                flows[11] += lvl * rng.normal(0.4, 0.5) * margin * 3
            values.extend(flows)
            idx.extend(pd.period_range(f"{y}-01", periods=12, freq="M"))
        kind = "revenue" if k < n_revenue else "profit"
        out[f"synthetic_{kind}_{k:02d}"] = (
            f"合成{ '收入' if kind == 'revenue' else '利润'}",
            _ytd_from_monthly(pd.Series(values, index=pd.PeriodIndex(idx))),
            [y for y in years if y >= 2017],
        )
    return out


def real_series(last_years: int = 12) -> dict:
    from statsmodels.datasets import co2, elec_equip, elnino

    out = {}
    ee = elec_equip.load().data.iloc[:, 0]
    ee.index = pd.PeriodIndex(pd.to_datetime(ee.index), freq="M")
    ee = ee[ee.index.year <= 2015]
    out["elec_equip"] = ("statsmodels elec_equip", _ytd_from_monthly(ee), None)

    en = elnino.load_pandas().data
    long = en.melt(id_vars="YEAR", var_name="mon", value_name="v")
    month_no = {m: i + 1 for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])}
    long["period"] = [pd.Period(year=int(y), month=month_no[m], freq="M")
                      for y, m in zip(long["YEAR"], long["mon"])]
    s = long.set_index("period")["v"].sort_index()
    out["elnino"] = ("statsmodels elnino", _ytd_from_monthly(s), None)

    c = co2.load_pandas().data["co2"].interpolate()
    cm = c.resample("MS").mean()
    cm = cm[(cm.index.year >= 1959)]
    cm.index = cm.index.to_period("M")
    out["co2"] = ("statsmodels co2", _ytd_from_monthly(cm), None)

    result = {}
    for key, (label, ytd, _) in out.items():
        years = sorted(set(ytd.index.year))
        full = [y for y in years if (ytd.index == pd.Period(year=y, month=12, freq="M")).any()]
        result[key] = (label, ytd, full[-last_years:])
    return result


def demo_series() -> dict:
    try:
        from guozi_analysis.intake.legacy import load_demo
    except ImportError:
        return {}
    try:
        fin = load_demo()["financials"]
    except Exception as exc:  # demo loader present but not working yet
        print(f"（演示数据读取失败，跳过：{exc}）")
        return {}
    # the six groups (consolidated) and the district (= sum of the groups): the series the
    # year-end review actually reports; subsidiaries are left out to keep the run short
    groups = fin[fin["enterprise_id"].astype(str).str.fullmatch(r"G\d\d")]
    district = groups.groupby("period", as_index=False)[["revenue", "total_profit"]].sum(
        min_count=6)
    district["enterprise_id"] = "DISTRICT"
    out = {}
    for eid, grp in pd.concat([groups, district], ignore_index=True).groupby("enterprise_id"):
        for item, label in (("revenue", "演示收入"), ("total_profit", "演示利润")):
            s = pd.Series(grp[item].to_numpy(dtype=float),
                          index=grp["period"].astype(str).to_numpy())
            mat = fc.ytd_matrix(s)
            full = [y for y in mat.index if np.isfinite(mat.loc[y, 12])]
            if len(full) >= 2:
                out[f"demo_{eid}_{item}"] = (label, s, full[1:])
    return out


# ------------------------------------------------------------------------------ evaluation
def evaluate(name: str, ytd: pd.Series, eval_years) -> tuple[pd.DataFrame, float]:
    t0 = time.perf_counter()
    first = min(eval_years) - HISTORY_YEARS
    mat = fc.ytd_matrix(ytd)
    bt_years = [y for y in mat.index if first <= y <= max(eval_years)]
    bt = fc.backtest_year_end(ytd, months=MONTHS, years=bt_years, n_sims=N_SIMS, seed=0,
                              history_years=HISTORY_YEARS, keep_samples=True)
    elapsed = time.perf_counter() - t0
    rows = []
    for y in eval_years:
        for m in MONTHS:
            here = bt[(bt["year"] == y) & (bt["month"] == m)].set_index("method")
            if here.empty:
                continue
            avail = [c for c in fc.METHODS if bool(here.loc[c, "available"])]
            choice = fc.choose_from_backtest(bt, year=y, month=m, candidates=avail,
                                             history_years=HISTORY_YEARS)
            for method in list(fc.METHODS) + ["chosen"]:
                members = choice["members"] if method == "chosen" else [method]
                if any(mem not in avail for mem in members):
                    continue
                actual = float(here.loc[members[0], "actual"])
                if len(members) == 1:
                    sims = here.loc[members[0], "samples"]
                else:  # the same equal-weight mixture as project_year_end
                    sims = np.empty_like(here.loc[members[0], "samples"])
                    for i, mem in enumerate(members):
                        sims[i :: len(members)] = here.loc[mem, "samples"][i :: len(members)]
                f = choice["calibration"] if method == "chosen" else 1.0
                sims = np.median(sims) + f * (sims - np.median(sims))  # as fc._widen
                lo, med, hi = np.quantile(sims, [0.1, 0.5, 0.9])
                rows.append({"series": name, "year": y, "month": m, "method": method,
                             "picked": choice["method"] if method == "chosen" else method,
                             "actual": actual, "median": med,
                             "ape": abs(med - actual) / abs(actual) * 100,
                             "abs_err": abs(med - actual),
                             "covered80": lo <= actual <= hi})
    return pd.DataFrame(rows), elapsed


def summarise(res: pd.DataFrame, label: str) -> dict:
    out = {"数据": label, "序列数": res["series"].nunique(),
           "预测点": int((res["method"] == "chosen").sum())}
    for method in ("linear_ytd", "hist_share", "seasonal_naive", "ets", "sarima", "chosen"):
        r = res[res["method"] == method]
        out[f"MAPE {LABEL[method]}"] = r["ape"].mean() if len(r) else np.nan
    # like-for-like: the points where all three baselines and the chosen method exist
    piv = res.pivot_table(index=["series", "year", "month"], columns="method", values="ape")
    common = piv.dropna(subset=[c for c in BASELINES + ("chosen",) if c in piv.columns])
    for method in BASELINES + ("chosen",):
        out[f"同口径MAPE {LABEL[method]}"] = common[method].mean()
    for method in ("linear_ytd", "hist_share", "seasonal_naive", "chosen"):
        r = res[res["method"] == method]
        out[f"80%覆盖 {LABEL[method]}"] = r["covered80"].mean() * 100 if len(r) else np.nan
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer series (smoke run)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    t_all = time.perf_counter()
    sets = {}
    sets.update(synthetic_series(*( (4, 2) if args.quick else (12, 6))))
    sets.update(real_series(last_years=4 if args.quick else 12))
    sets.update(demo_series())
    results, timings = [], {}
    for name, (label, ytd, years) in sets.items():
        print(f"回测 {name} …", file=sys.stderr, flush=True)
        res, secs = evaluate(name, ytd, years)
        res["label"] = label
        results.append(res)
        timings[name] = secs
    allres = pd.concat(results, ignore_index=True)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    table = [summarise(allres[allres["label"] == lab], lab) for lab in allres["label"].unique()]
    summary = pd.DataFrame(table).set_index("数据")
    print("\n=== 年末预测回测（预测时点：6—11月末；每个时点只用当时可得数据，历史窗口"
          f"{HISTORY_YEARS}年）===")
    cols_mape = [c for c in summary.columns if c.startswith("MAPE")]
    cols_like = [c for c in summary.columns if c.startswith("同口径")]
    cols_cov = [c for c in summary.columns if c.startswith("80%")]
    print("\n-- MAPE（%），各方法在其可用的预测点上 --")
    print(summary[["序列数", "预测点"] + cols_mape].round(2).to_string())
    print("\n-- 同口径MAPE（%），三种基准与选定方法都可用的预测点 --")
    print(summary[cols_like].round(2).to_string())
    avg = summary[cols_like].mean()
    print("\n各数据组平均：" + "，".join(f"{k.split()[-1]} {v:.2f}" for k, v in avg.items()))
    best_base = min(avg[f"同口径MAPE {LABEL[b]}"] for b in BASELINES)
    chosen_avg = avg["同口径MAPE 选定方法"]
    verdict = "达到" if chosen_avg <= best_base + 1e-9 else "未达到"
    print(f"选定方法 {chosen_avg:.2f} 对比最佳基准 {best_base:.2f}："
          f"{verdict}“不劣于最佳基准”的要求")
    print("\n-- 80%区间经验覆盖率（%） --")
    print(summary[cols_cov].round(1).to_string())
    picked = allres[allres["method"] == "chosen"]["picked"].value_counts()
    print("\n选定方法分布：" + "，".join(f"{LABEL[k]} {v}" for k, v in picked.items()))
    print("\n-- 用时 --")
    per_label = {}
    for name, secs in timings.items():
        per_label.setdefault(sets[name][0], []).append(secs)
    for lab, secs in per_label.items():
        print(f"{lab}: {len(secs)} 条序列，回测合计 {sum(secs):.1f} 秒（每条 {np.mean(secs):.2f} 秒）")
    # one production call per series: project_year_end at the last November, n_sims = 2000
    t0 = time.perf_counter()
    n = 0
    for name, (label, ytd, years) in sets.items():
        fc.project_year_end(ytd, as_of=f"{max(years)}-11", n_sims=2000,
                            history_years=HISTORY_YEARS)
        n += 1
    secs = time.perf_counter() - t0
    print(f"project_year_end（n_sims=2000，含回测选方法）：{n} 条序列共 {secs:.1f} 秒，"
          f"每条 {secs / n:.2f} 秒")
    print(f"总用时 {time.perf_counter() - t_all:.1f} 秒")


if __name__ == "__main__":
    main()
