"""Tests for guozi_analysis.forecast (hand-computed values, few simulations)."""

from __future__ import annotations

import os

# one BLAS thread: statsmodels' tiny fits are 10–100× slower with OpenBLAS threads on a busy
# machine (only effective when numpy has not been imported yet, e.g. running this file alone)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from guozi_analysis.analyses import forecast as fc
from guozi_analysis.publishing.views import forecast as forecast_views

# monthly flows of one synthetic year: Jan..Dec (December spike)
PATTERN = np.array([8, 12, 10, 10, 11, 10, 10, 11, 10, 10, 12, 26], dtype=float)  # total 140


def ytd_series(flows_by_year: dict[int, np.ndarray], *, drop_jan: bool = True, last=None):
    """YTD series labelled "YYYY-MM" from monthly flows; January dropped like the real reports."""
    idx, vals = [], []
    for year, flows in flows_by_year.items():
        cum = np.cumsum(flows)
        for m in range(1, 13):
            if drop_jan and m == 1:
                continue
            if last is not None and (year, m) > last:
                break
            idx.append(f"{year:04d}-{m:02d}")
            vals.append(cum[m - 1])
    return pd.Series(vals, index=idx, name="revenue")


# --------------------------------------------------------------------------- conversions
def test_ytd_to_monthly_jan_feb_combined():
    s = pd.Series([20.0, 30.0, 45.0], index=["2021-02", "2021-03", "2021-04"])
    m = fc.ytd_to_monthly(s)
    assert str(m.index[0]) == "2021-01" and np.isnan(m.iloc[0])
    assert m.tolist()[1:] == [20.0, 10.0, 15.0]


def test_ytd_to_monthly_even_split_and_reported_january():
    s = pd.Series([20.0, 30.0], index=["2021-02", "2021-03"])
    m = fc.ytd_to_monthly(s, jan_feb="even")
    assert m.tolist() == [10.0, 10.0, 10.0]
    s2 = pd.Series([5.0, 20.0, 30.0], index=["2021-01", "2021-02", "2021-03"])
    assert fc.ytd_to_monthly(s2).tolist() == [5.0, 15.0, 10.0]


def test_missing_month_stays_nan_not_zero():
    s = pd.Series([20.0, np.nan, 45.0, 50.0], index=["2021-02", "2021-03", "2021-04", "2021-05"])
    m = fc.ytd_to_monthly(s)
    assert np.isnan(m.loc[pd.Period("2021-03", "M")]) and np.isnan(m.loc[pd.Period("2021-04", "M")])
    assert m.loc[pd.Period("2021-05", "M")] == 5.0
    back = fc.monthly_to_ytd(m)
    assert back.loc[pd.Period("2021-02", "M")] == 20.0
    assert back.loc[pd.Period("2021-03", "M"):].isna().all()


def test_round_trip_two_years_with_jan_feb_combined():
    s = ytd_series({2020: PATTERN, 2021: PATTERN * 1.1}, last=(2021, 7))
    m = fc.ytd_to_monthly(s)
    back = fc.monthly_to_ytd(m)
    orig = fc.to_monthly_ytd(s)
    pd.testing.assert_series_equal(back, orig, check_names=False)
    # year boundary: 2021 Feb flow is the Jan–Feb cumulative, not a difference with 2020 Dec
    assert m.loc[pd.Period("2021-02", "M")] == pytest.approx(22.0)


def test_half_monthly_keeps_month_end():
    s = pd.Series([5.0, 20.0, 25.0, 30.0],
                  index=["2021-02-H1", "2021-02-H2", "2021-03-H1", "2021-03-H2"])
    out = fc.to_monthly_ytd(s)
    assert out.loc[pd.Period("2021-02", "M")] == 20.0
    assert out.loc[pd.Period("2021-03", "M")] == 30.0


def test_inputs_not_mutated():
    s = ytd_series({2020: PATTERN, 2021: PATTERN}, last=(2021, 11))
    copy = s.copy()
    fc.ytd_to_monthly(s)
    fc.project_year_end(s, as_of="2021-11", n_sims=50, backtest_sims=50)
    pd.testing.assert_series_equal(s, copy)


# --------------------------------------------------------------------------- methods
def test_linear_and_share_by_hand():
    # 2021 grows 10 % evenly: hist share at June = 61/140 in 2020
    s = ytd_series({2020: PATTERN, 2021: PATTERN * 1.1}, last=(2021, 6))
    lin = fc.forecast_remaining(s, as_of="2021-06", method="linear_ytd", n_sims=400, seed=1)
    ytd = 61 * 1.1
    assert (ytd + lin.sum(axis=1)).mean() == pytest.approx(ytd * 2, rel=0.05)
    share = fc.forecast_remaining(s, as_of="2021-06", method="hist_share", n_sims=4000, seed=1)
    median = np.median(ytd + share.sum(axis=1))
    assert median == pytest.approx(ytd / (61 / 140), rel=0.01)  # = 154
    sn = fc.forecast_remaining(s, as_of="2021-06", method="seasonal_naive", n_sims=200, seed=1)
    assert list(sn.columns.astype(str)) == [f"2021-{m:02d}" for m in range(7, 13)]


def test_share_recent_by_hand():
    # June year-to-date shares 0.40, 0.45, 0.50 in 2018–2020 (second half 79 every year)
    def year(share):
        first = PATTERN[:6] * (share * 79 / (1 - share)) / 61
        return np.concatenate([first, PATTERN[6:]])

    flows = {2018: year(0.40), 2019: year(0.45), 2020: year(0.50), 2021: PATTERN * 66 / 61}
    s = ytd_series(flows, last=(2021, 6))
    assert fc.RECENT_HALF_LIFE == 2.0
    # weights halve every two years back: 0.5, 0.70711, 1 (/2.20711) = 0.22654, 0.32037, 0.45308;
    # weighted share 0.4 × 0.22654 + 0.45 × 0.32037 + 0.5 × 0.45308 = 0.46133
    paths = fc.forecast_remaining(s, as_of="2021-06", method="share_recent", n_sims=20000, seed=3)
    totals = 66 + paths.sum(axis=1)
    assert np.median(totals) == pytest.approx(66 / 0.46133, rel=0.005)  # = 143.07
    # Σw² = 0.35925; weighted variance Σw(s − s̄)² / (1 − Σw²) = 0.0015708 / 0.64075 = 0.0024514;
    # sd = √0.0024514 × √1.35925 = 0.057724; share at its 10 % point 0.46133 − 1.28155 × 0.057724
    # = 0.38735, so the 90 % point of the year end is 66 / 0.38735 = 170.39
    assert np.quantile(totals, 0.9) == pytest.approx(170.39, rel=0.01)
    # the plain historical share weighs the years alike: 66 / 0.45 = 146.67
    plain = 66 + fc.forecast_remaining(s, as_of="2021-06", method="hist_share", n_sims=20000, seed=3).sum(axis=1)
    assert np.median(plain) == pytest.approx(66 / 0.45, rel=0.005)
    # the remaining months are allocated by the weighted within-remainder shares (here the same every year)
    assert paths.mean().to_numpy() / paths.mean().sum() == pytest.approx(PATTERN[6:] / 79, rel=0.02)
    assert fc.METHOD_LABELS["share_recent"] == "近年占比法"


def test_short_history_falls_back_with_reason():
    s = ytd_series({2020: PATTERN, 2021: PATTERN}, last=(2021, 6))
    with pytest.raises(ValueError, match="ETS"):
        fc.forecast_remaining(s, as_of="2021-06", method="ets", n_sims=10)
    res = fc.project_year_end(s, as_of="2021-06", n_sims=100, backtest_sims=50, methods=fc.METHODS)
    assert res["method"] == "seasonal_naive"  # the default: no backtest evidence against it
    assert "ETS" in res["note"] and "SARIMA" in res["note"]


def test_identical_years_project_last_year_total():
    s = ytd_series({y: PATTERN for y in (2019, 2020, 2021, 2022)}, last=(2022, 11))
    res = fc.project_year_end(s, as_of="2022-11", n_sims=200, seed=3, backtest_sims=100,
                              methods=["hist_share", "seasonal_naive", "linear_ytd", "ets"])
    assert res["median"] == pytest.approx(140.0, abs=1e-6)
    assert res["hi95"] - res["lo95"] < 1e-6 * 140
    assert res["linear_ytd"] == pytest.approx(114 * 12 / 11)
    assert res["method"] in {"hist_share", "seasonal_naive"}


def _noisy(seed=0, years=(2019, 2020, 2021, 2022), growth=0.06, noise=0.05, last=(2022, 11)):
    rng = np.random.default_rng(seed)
    flows = {y: PATTERN * (1 + growth) ** i * (1 + noise * rng.standard_normal(12))
             for i, y in enumerate(years)}
    return ytd_series(flows, last=last)


def test_interval_ordering_and_probability_monotone():
    s = _noisy()
    res = fc.project_year_end(s, as_of="2022-11", n_sims=300, seed=5, backtest_sims=100)
    assert res["lo95"] <= res["lo80"] <= res["median"] <= res["hi80"] <= res["hi95"]
    targets = np.linspace(res["lo95"] * 0.9, res["hi95"] * 1.1, 15)
    probs = [fc._prob(res["samples"], t) for t in targets]
    assert all(a >= b for a, b in zip(probs, probs[1:]))
    assert probs[0] == 1.0 and probs[-1] == 0.0
    assert res["samples"].shape == (300,)
    assert res["cum_paths"].shape == (300, 1)


def test_backtest_never_sees_the_future():
    s = _noisy(seed=2)
    bt = fc.backtest_year_end(s, months=[8], n_sims=100, history_years=5, methods=fc.METHODS)
    assert set(bt["year"]) == {2019, 2020, 2021}
    # the first year has no history: only linear extrapolation is possible
    first = bt[bt["year"] == 2019].set_index("method")["available"]
    assert first["linear_ytd"] and not first["hist_share"] and not first["ets"]
    choice = fc.choose_from_backtest(bt, year=2021)
    assert choice["method"] == "seasonal_naive" and choice["backtest_n"] == 1  # 2020 only (2019 has no prior year)
    lin = bt[(bt["year"] == 2021) & (bt["method"] == "linear_ytd")].iloc[0]
    mat = fc.ytd_matrix(s)
    assert lin["median"] == pytest.approx(mat.loc[2021, 8] * 12 / 8, rel=0.1)


def test_project_matches_benchmark_composition():
    s = _noisy(seed=4)
    bt = fc.backtest_year_end(s, n_sims=100, history_years=5)
    choice = fc.choose_from_backtest(bt, year=2022, candidates=["hist_share", "seasonal_naive", "linear_ytd"],
                                     month=10, growth=fc.ytd_growth(fc.ytd_matrix(s), 2022, 10))
    res = fc.project_year_end(s, as_of="2022-10", n_sims=100, backtest_sims=100,
                              methods=["hist_share", "seasonal_naive", "linear_ytd"])
    assert res["method"] == choice["method"]
    assert res["backtest_wape"] == pytest.approx(choice["backtest_wape"])
    assert res["backtest_years"] == choice["backtest_years"] == 2


def test_determinism_with_seed():
    s = _noisy(seed=1)
    kw = dict(as_of="2022-09", n_sims=200, seed=11, backtest_sims=60, history_years=2)
    a = fc.project_year_end(s, **kw)
    b = fc.project_year_end(s, **kw)
    np.testing.assert_array_equal(a["samples"], b["samples"])
    assert a["median"] == b["median"] and a["method"] == b["method"]


def test_profit_with_sign_change_does_not_crash():
    rng = np.random.default_rng(7)
    base = np.array([-3, 1, 2, 2, 1, 2, 1, 1, 2, 1, 2, 6], dtype=float)
    flows = {2019: base + 1.0, 2020: base - 2.5, 2021: base * rng.uniform(0.5, 1.5, 12),
             2022: base - 1.0}
    s = ytd_series(flows, last=(2022, 11))
    res = fc.project_year_end(s, as_of="2022-11", target=5.0, n_sims=200, backtest_sims=60)
    assert res["method"] != "hist_share"
    assert np.isfinite(res["median"]) and 0.0 <= res["prob_target"] <= 1.0
    assert res["lo95"] <= res["median"] <= res["hi95"]


def test_year_complete_returns_actual():
    s = _noisy(last=(2022, 12))
    res = fc.project_year_end(s, as_of="2022-12", target=1.0, n_sims=20)
    assert res["method"] == "actual" and res["median"] == res["ytd_actual"]
    assert np.isnan(res["lo80"]) and np.isnan(res["hi95"])  # no fake interval
    assert res["prob_words"] == "全年实际已完成" and res["method_label"] == "全年实际"


def test_january_as_of_rejected():
    with pytest.raises(ValueError, match="1月"):
        fc.project_year_end(_noisy(), as_of="2022-01")


# --------------------------------------------------------------------------- hierarchy + targets
def _roster():
    return pd.DataFrame({
        "enterprise_id": ["G01", "G02", "G01-01", "G01-02"],
        "parent_id": [None, None, "G01", "G01"],
        "is_group": [True, True, False, False],
    })


def _long_frame():
    rows = []
    for k, eid in enumerate(["G01", "G02", "G01-01", "G01-02"]):
        s = _noisy(seed=10 + k) * (k + 1)
        for p, v in s.items():
            rows.append({"enterprise_id": eid, "period": p, "revenue": v})
    return pd.DataFrame(rows)


def test_hierarchy_district_is_sum_of_groups():
    frame = _long_frame()
    proj = fc.project_items(frame, items=["revenue"], as_of="2022-11", n_sims=150,
                            methods=["hist_share", "seasonal_naive", "linear_ytd"])
    rec = fc.reconcile_bottom_up(proj, _roster())
    d = rec[rec["enterprise_id"] == "DISTRICT"].iloc[0]
    g = rec[rec["enterprise_id"].isin(["G01", "G02"])]
    assert d["mean"] == pytest.approx(g["mean"].sum())
    assert d["ytd_actual"] == pytest.approx(g["ytd_actual"].sum())
    for q in ("lo95", "lo80", "median", "hi80", "hi95"):  # comonotonic: quantiles add up
        assert d[q] == pytest.approx(g[q].sum(), rel=1e-9)
    g1 = rec[rec["enterprise_id"] == "G01"].iloc[0]
    assert np.isfinite(g1["children_sum"])
    assert g1["consolidation_gap"] == pytest.approx(g1["median"] - g1["children_sum"])
    ind = fc.reconcile_bottom_up(proj, _roster(), dependence="independent")
    di = ind[ind["enterprise_id"] == "DISTRICT"].iloc[0]
    assert di["mean"] == pytest.approx(d["mean"])
    assert di["hi95"] - di["lo95"] <= d["hi95"] - d["lo95"] + 1e-9


def test_missing_group_leaves_district_nan():
    frame = _long_frame()
    frame = frame[frame["enterprise_id"] != "G02"]
    proj = fc.project_items(frame, items=["revenue"], as_of="2022-11", n_sims=50,
                            methods=["linear_ytd"])
    rec = fc.reconcile_bottom_up(proj, _roster())
    d = rec[rec["enterprise_id"] == "DISTRICT"].iloc[0]
    assert np.isnan(d["median"]) and "G02" in d["note"]


def test_track_targets_status_and_progress():
    s = ytd_series({y: PATTERN for y in (2020, 2021, 2022)}, last=(2022, 11))
    res = fc.project_year_end(s, as_of="2022-11", n_sims=100, backtest_sims=50)
    proj = pd.DataFrame([{"enterprise_id": "G01", "item": "revenue", **res}]).drop(
        columns=["cum_paths"])
    targets = pd.DataFrame({
        "enterprise_id": ["G01", "G01", "G01"], "year": [2022, 2022, 2021],
        "item": ["revenue", "revenue", "revenue"], "target_value": [130.0, 150.0, 100.0],
        "unit": ["万元"] * 3,
    })
    out = fc.track_targets(targets, proj)
    assert len(out) == 2
    assert out["status"].tolist() == ["预计完成", "存在缺口"]
    assert out["completion_pct"].iloc[0] == pytest.approx(114 / 130 * 100)
    assert out["time_progress_pct"].iloc[0] == pytest.approx(11 / 12 * 100)  # months convention: 91.67
    assert out["prob_reach_target"].tolist() == [1.0, 0.0]
    assert out["projected_gap"].iloc[1] == pytest.approx(-10.0)


def test_next_year_outlook_runs():
    out = fc.project_next_year(_noisy(), as_of="2022-11", n_sims=100, history_years=2)
    assert out["year"] == 2023 and out["lo80"] <= out["median"] <= out["hi80"]
    assert np.isnan(out["prob_target"]) and out["target_status"] == ""
    # next year's verdict reads P(total ≥ target) of the same simulations: at the median, about one half
    half = fc.project_next_year(_noisy(), as_of="2022-11", n_sims=100, history_years=2, target=out["median"])
    assert half["prob_target"] == pytest.approx(0.5, abs=0.011) and half["target_status"] == "完成存在不确定性"
    low = fc.project_next_year(_noisy(), as_of="2022-11", n_sims=100, history_years=2, target=out["lo80"])
    assert low["prob_target"] == pytest.approx(0.9, abs=0.011) and low["target_status"] == "预计完成"


def test_fan_chart_has_chinese_labels():
    s = _noisy()
    res = fc.project_year_end(s, as_of="2022-08", target=160.0, n_sims=100, backtest_sims=50,
                              methods=["hist_share", "linear_ytd"])
    fig = forecast_views.fan_chart(s, res, title="营业总收入预测")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "月份" and "本年累计" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "80%区间" in labels and "年度目标" in labels
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_calibration_widens_around_median():
    paths = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 5.0]])  # remaining totals 2, 4, 8
    wide = fc._widen(paths, 2.0)
    np.testing.assert_allclose(wide.sum(axis=1), [0.0, 4.0, 12.0], atol=1e-12)  # 4 + 2 × (x − 4)
    np.testing.assert_array_equal(fc._widen(paths, 1.0), paths)


# --------------------------------------------------------------------------- selection rule
def _bt_rows(errors_by_year: dict[int, dict[str, float]], months=range(2, 12)) -> pd.DataFrame:
    """Backtest rows: actual 100 at every origin; ``errors_by_year[y][method]`` = median − actual."""
    rows = []
    for y, errs in errors_by_year.items():
        for m in months:
            for meth, e in errs.items():
                rows.append({"year": y, "month": m, "method": meth, "available": True, "actual": 100.0,
                             "level": 10.0, "median": 100.0 + e})
    return pd.DataFrame(rows)


SEL = ["seasonal_naive", "hist_share"]


def test_method_winning_one_backtest_year_is_not_chosen():
    # hist_share is far better in 2019 only; over the four years its error is lower, but it wins one year of four
    bt = _bt_rows({2019: {"seasonal_naive": 20, "hist_share": 1}, 2020: {"seasonal_naive": 2, "hist_share": 3},
                   2021: {"seasonal_naive": 2, "hist_share": 3}, 2022: {"seasonal_naive": 2, "hist_share": 3}})
    c = fc.choose_from_backtest(bt, year=2023, candidates=SEL)
    assert c["method"] == "seasonal_naive" and c["backtest_years"] == 4
    # with only one backtest year even a clear winner is not chosen; two years it wins both are enough
    two = _bt_rows({2021: {"seasonal_naive": 10, "hist_share": 1}, 2022: {"seasonal_naive": 10, "hist_share": 1}})
    assert fc.choose_from_backtest(two.loc[two["year"] == 2022], year=2023, candidates=SEL)["method"] == \
        "seasonal_naive"
    assert fc.choose_from_backtest(two, year=2023, candidates=SEL)["method"] == "hist_share"
    # a warm-up year (only one earlier complete year behind it) is no evidence for the choice
    warm = two.assign(history=np.where(two["year"] == 2021, 1, 2))
    c = fc.choose_from_backtest(warm, year=2023, candidates=SEL)
    assert c["method"] == "seasonal_naive" and c["backtest_years"] == 2  # still reported, not used to switch
    # two years, one won by far and one lost: not chosen (at least two winning years)
    split = _bt_rows({2021: {"seasonal_naive": 20, "hist_share": 1}, 2022: {"seasonal_naive": 2, "hist_share": 3}})
    assert fc.choose_from_backtest(split, year=2023, candidates=SEL)["method"] == "seasonal_naive"


def test_growth_guard_hands_over_when_this_year_grows_beyond_the_backtest_years():
    # seasonal naive wins every backtest year; the years' year-to-date growths were +2 %, −3 %, +5 %
    bt = _bt_rows({2019: {"seasonal_naive": 1, "hist_share": 3}, 2020: {"seasonal_naive": 1, "hist_share": 3},
                   2021: {"seasonal_naive": 1, "hist_share": 3}})
    bt["growth"] = bt["year"].map({2019: 0.02, 2020: -0.03, 2021: 0.05})
    pick = lambda g, **kw: fc.choose_from_backtest(bt, year=2022, candidates=SEL, month=9, growth=g, **kw)  # noqa: E731
    assert pick(0.04)["method"] == "seasonal_naive" and pick(-0.05)["method"] == "seasonal_naive"  # within ±5 %
    assert pick(None)["method"] == "seasonal_naive" and pick(np.nan)["method"] == "seasonal_naive"
    up = pick(0.12)
    assert up["method"] == "hist_share" and up["members"] == ["hist_share"]
    assert up["note"] == ("本年累计同比+12.0%，超出回测年份同期增速的范围（±5.0%），季节性朴素法不随本年水平调整，"
                          "改用历年同期占比法")
    assert up["backtest_wape"] == pytest.approx(3.0)  # the replacement's own backtest record
    assert pick(-0.06)["method"] == "hist_share"
    # only the backtest origins within the selection window count: a +20 % year at other months does not
    far = pd.concat([bt, _bt_rows({2018: {"seasonal_naive": 1, "hist_share": 3}}, months=[2]).assign(growth=0.20)])
    assert fc.choose_from_backtest(far, year=2022, candidates=SEL, month=9, growth=0.12)["method"] == "hist_share"
    # one year's growth is a point, not a range: with a single backtest year the guard does not act
    assert fc.choose_from_backtest(bt.loc[bt["year"] == 2021], year=2022, candidates=SEL, month=9,
                                   growth=0.12)["method"] == "seasonal_naive"
    # nor when the share method has no backtest record at those origins (e.g. losses in those years)
    no_share = bt.assign(available=bt["method"].ne("hist_share"))
    assert fc.choose_from_backtest(no_share, year=2022, candidates=SEL, month=9, growth=0.12)["method"] == \
        "seasonal_naive"
    # switched off, or without the share method, seasonal naive stays
    cfg = fc.forecast_settings()
    off = {**cfg, "selection": {**cfg["selection"], "growth_guard": False}}
    assert pick(0.12, settings=off)["method"] == "seasonal_naive"
    assert fc.choose_from_backtest(bt, year=2022, candidates=["seasonal_naive"], month=9,
                                   growth=0.12)["method"] == "seasonal_naive"


def test_growth_guard_in_a_projection_after_a_level_shift():
    # the second half of the year repeats exactly, the first half varies (±4 %): seasonal naive is exact
    # in every backtest year; in 2022 the whole year is 15 % higher
    rng = np.random.default_rng(0)
    flows = {}
    for y in range(2016, 2022):
        first = PATTERN[:6] * (1 + 0.04 * rng.uniform(-1, 1, 6))
        flows[y] = np.concatenate([first, PATTERN[6:]])
    flows[2022] = PATTERN * 1.15
    s = ytd_series(flows, last=(2022, 6))
    res = fc.project_year_end(s, as_of="2022-06", n_sims=200, backtest_sims=100, seed=1)
    assert res["method"] == "hist_share" and "超出回测年份同期增速的范围" in res["note"]
    # the share method scales the remaining months with this year's level (140 × 1.15 = 161; shares vary
    # a little); seasonal naive adds last year's second half (79) to this year's 61 × 1.15: 149.15, 11.85 short
    assert res["median"] == pytest.approx(161.0, rel=0.01)
    cfg = fc.forecast_settings()
    off = {**cfg, "selection": {**cfg["selection"], "growth_guard": False}}
    res_off = fc.project_year_end(s, as_of="2022-06", n_sims=200, backtest_sims=100, seed=1, settings=off)
    assert res_off["method"] == "seasonal_naive"
    assert res_off["median"] == pytest.approx(PATTERN[:6].sum() * 1.15 + PATTERN[6:].sum(), rel=0.01)
    assert abs(res["median"] - 161.0) < abs(res_off["median"] - 161.0) / 5


def test_margin_of_five_percent_pins_the_replacement():
    def pick(ratio):
        bt = _bt_rows({y: {"seasonal_naive": 4.0, "hist_share": 4.0 * ratio} for y in (2019, 2020, 2021)})
        return fc.choose_from_backtest(bt, year=2022, candidates=SEL)
    # three compared years, shrink_years k = 2: the margin is 5 % × (3 + 2) / 3 = 8.33 % (a flat 5 % before
    # shrinkage was configured, when 6 % better was enough)
    assert pick(0.96)["method"] == "seasonal_naive"  # 4 % better: not enough
    assert pick(0.94)["method"] == "seasonal_naive"  # 6 % better: (3 × 0.94 + 2) / 5 = 0.964 > 0.95
    c = pick(0.91)  # 9 % better in every one of three years: (3 × 0.91 + 2) / 5 = 0.946 ≤ 0.95
    assert c["method"] == "hist_share" and c["backtest_wape"] == pytest.approx(3.64)
    assert c["default_wape"] == pytest.approx(4.0) and "取代默认方法" in c["note"]
    # the origin never sees its own year: rows of 2022 and later are ignored
    assert fc.choose_from_backtest(_bt_rows({2022: {"seasonal_naive": 9, "hist_share": 0}}), year=2022,
                                   candidates=SEL)["backtest_n"] == 0


def test_challenger_margin_shrinks_towards_the_default_with_thin_evidence():
    # shrinkage towards the incumbent with k = 4 years: the challenger's score ratio r over n compared years
    # counts n / (n + 4), the incumbent's 1 counts 4 / (n + 4); the shrunk ratio must be ≤ 1 − 5 %, i.e.
    # r ≤ 1 − 0.05 × (n + 4) / n: n = 2 → 15 %, n = 4 → 10 %, n = 8 → 7.5 % below the incumbent
    cfg = fc.forecast_settings()
    assert cfg["selection"]["shrink_years"] == 2  # the configured k (required margin 10 % at 2 years)
    assert fc.required_margin(2, cfg["selection"]) == pytest.approx(0.10)
    k4 = {**cfg, "selection": {**cfg["selection"], "margin": 0.05, "shrink_years": 4}}
    assert fc.required_margin(2, k4["selection"]) == pytest.approx(0.15)
    assert fc.required_margin(4, k4["selection"]) == pytest.approx(0.10)
    assert fc.required_margin(8, k4["selection"]) == pytest.approx(0.075)

    def pick(ratio, years, settings):
        bt = _bt_rows({y: {"seasonal_naive": 4.0, "hist_share": 4.0 * ratio} for y in years})
        return fc.choose_from_backtest(bt, year=2022, candidates=SEL, settings=settings)["method"]
    # 12 % better in each of 2 years: (2 × 0.88 + 4) / 6 = 0.96 > 0.95 — the default stays
    assert pick(0.88, (2020, 2021), k4) == "seasonal_naive"
    # the same 12 % in each of 4 years: (4 × 0.88 + 4) / 8 = 0.94 ≤ 0.95 — the challenger replaces it
    assert pick(0.88, range(2018, 2022), k4) == "hist_share"
    # 8 years: 7 % better is not enough ((8 × 0.93 + 4) / 12 = 0.9533), 8 % is ((8 × 0.92 + 4) / 12 = 0.9467)
    assert pick(0.93, range(2014, 2022), k4) == "seasonal_naive"
    assert pick(0.92, range(2014, 2022), k4) == "hist_share"
    # without shrinkage (k = 0) the margin is 5 % whatever the years: 6 % better in 2 years suffices
    k0 = {**cfg, "selection": {**cfg["selection"], "margin": 0.05, "shrink_years": 0}}
    assert pick(0.94, (2020, 2021), k0) == "hist_share"


def test_every_origin_month_counts_weighted_towards_the_origins_month():
    # origin_weights with a half-life of 2 months: 0.5 ** (|Δ| / 2) — same month 1, one month away
    # 1/√2 = 0.7071, two 0.5, four 0.25; without a half-life the ±window of 2 months, weight 1
    cfg = fc.forecast_settings()
    weighted = {**cfg["selection"], "month_half_life": 2}
    window = {**cfg["selection"], "month_half_life": None, "window": 2}
    np.testing.assert_allclose(fc.origin_weights([9, 8, 7, 5], 9, weighted), [1, 0.5**0.5, 0.5, 0.25])
    np.testing.assert_array_equal(fc.origin_weights([9, 8, 7, 5], 9, window), [1, 1, 1, 0])
    # three backtest years; errors chosen so the scaled error |e| / (level 10 × √(12 − m)) is the same at
    # every origin month: at the months 7–11 around September both methods 0.2 (a tie); at February–June
    # seasonal naive 0.6, the share 0.2
    def rows(sn, hs, months):
        out = []
        for m in months:
            out.append(_bt_rows({y: {"seasonal_naive": sn * 10 * np.sqrt(12 - m), "hist_share": hs * 10 * np.sqrt(12 - m)}
                                 for y in (2019, 2020, 2021)}, months=[m]))
        return pd.concat(out, ignore_index=True)
    bt = pd.concat([rows(0.6, 0.2, range(2, 7)), rows(0.2, 0.2, range(7, 12))], ignore_index=True)
    pick = lambda sel: fc.choose_from_backtest(bt, year=2022, candidates=SEL, month=9,  # noqa: E731
                                               settings={**cfg, "selection": sel})
    # window only: a tie at months 7–11 (ratio 1), seasonal naive stays
    assert pick(window)["method"] == "seasonal_naive"
    # every month weighted: February–June weigh 2^-3.5 + 2^-3 + 2^-2.5 + 2^-2 + 2^-1.5 = 0.9937, July–November
    # 0.5 + 0.7071 + 1 + 0.7071 + 0.5 = 3.4142; seasonal naive (0.6 × 0.9937 + 0.2 × 3.4142) / 4.4079 = 0.2902,
    # the share 0.2: ratio 0.689, 31 % lower (more than the 8.3 % three years require), every year won
    c = pick(weighted)
    assert c["method"] == "hist_share" and "低31%" in c["note"]


def test_rms_score_prefers_the_steady_method_over_a_fat_tailed_one():
    # seasonal naive: tiny errors in two years, 4 in two others (mean 2.1); hist_share: 2.2 every year
    bt = _bt_rows({2018: {"seasonal_naive": 0.2, "hist_share": 2.2}, 2019: {"seasonal_naive": 4, "hist_share": 2.2},
                   2020: {"seasonal_naive": 0.2, "hist_share": 2.2}, 2021: {"seasonal_naive": 4, "hist_share": 2.2}})
    cfg = fc.forecast_settings()
    mean_abs = {**cfg, "selection": {**cfg["selection"], "score": "scaled"}}
    rms = {**cfg, "selection": {**cfg["selection"], "score": "scaled_rms"}}
    # mean absolute: 2.2 / 2.1 = 1.048 — seasonal naive stays
    assert fc.choose_from_backtest(bt, year=2022, candidates=SEL, settings=mean_abs)["method"] == "seasonal_naive"
    # root mean square: 2.2 / √((2 × 0.2² + 2 × 4²) / 4) = 2.2 / 2.832 = 0.777, two years of four won
    c = fc.choose_from_backtest(bt, year=2022, candidates=SEL, settings=rms)
    assert c["method"] == "hist_share" and "低22%" in c["note"]
    # the rms score keeps the evidence rules: a method winning a single year is still not chosen
    one = _bt_rows({2019: {"seasonal_naive": 20, "hist_share": 1}, 2020: {"seasonal_naive": 2, "hist_share": 3},
                    2021: {"seasonal_naive": 2, "hist_share": 3}, 2022: {"seasonal_naive": 2, "hist_share": 3}})
    assert fc.choose_from_backtest(one, year=2023, candidates=SEL, settings=rms)["method"] == "seasonal_naive"


def test_inverse_mse_weights_of_the_weighted_combination():
    # errors over 2019–2020: seasonal naive 1 and 7 (mean 4, mean square 25), hist_share 3 and 3 (3, 9)
    bt = _bt_rows({2019: {"seasonal_naive": 1, "hist_share": 3}, 2020: {"seasonal_naive": 7, "hist_share": 3},
                   2021: {"seasonal_naive": 0, "hist_share": 34}})
    wape2, _ = fc.candidate_points(bt, candidates=SEL)
    mse, _ = fc.candidate_points(bt, candidates=SEL, combo_weights="inverse_mse")
    # 2021: weights 1/4² : 1/3² → hist 16/25 (error 34 × 0.64); 1/25 : 1/9 → hist 25/34 (error 25)
    assert wape2.loc[(2021, 6), "combo_weighted"] == pytest.approx(100 + 34 * 0.64)
    assert mse.loc[(2021, 6), "combo_weighted"] == pytest.approx(125.0)


def test_combination_is_a_candidate():
    # errors of opposite sign: the equal-weight mean beats both by far in every year
    bt = _bt_rows({y: {"seasonal_naive": 4, "hist_share": -4} for y in (2019, 2020, 2021)})
    c = fc.choose_from_backtest(bt, year=2022, candidates=SEL)
    assert c["method"] == "combo_mean" and c["members"] == SEL
    assert c["weights"] == {"seasonal_naive": 0.5, "hist_share": 0.5} and c["backtest_wape"] == 0.0


def test_a_combination_as_default_falls_back_to_seasonal_naive_without_its_members():
    cfg = fc.forecast_settings()
    cfg["selection"] = {**cfg["selection"], "default": "combo_mean"}
    bt = _bt_rows({y: {"seasonal_naive": 4, "hist_share": 3, "linear_ytd": 9} for y in (2019, 2020, 2021)})
    c = fc.choose_from_backtest(bt, year=2022, candidates=["seasonal_naive", "hist_share", "linear_ytd"], settings=cfg)
    # the mean (3.5) is the default; hist_share (3) is 14 % better in every year and replaces it
    assert c["method"] == "hist_share"
    c = fc.choose_from_backtest(bt, year=2022, candidates=SEL, settings=cfg, month=6)
    assert c["method"] == "hist_share"
    even = _bt_rows({y: {"seasonal_naive": 4, "hist_share": -4} for y in (2019, 2020, 2021)})
    c = fc.choose_from_backtest(even, year=2022, candidates=SEL, settings=cfg)
    assert c["method"] == "combo_mean" and c["members"] == SEL and c["note"] == ""
    # profits below zero: no historical shares, so no mean — seasonal naive, as without the setting
    c = fc.choose_from_backtest(bt, year=2022, candidates=["seasonal_naive", "linear_ytd"], settings=cfg)
    assert c["method"] == "seasonal_naive" and c["members"] == ["seasonal_naive"]
    # no backtest at all: the combination's members, equal weights
    c = fc.choose_from_backtest(bt.iloc[:0], year=2022, candidates=SEL, settings=cfg)
    assert c["members"] == SEL and c["weights"] == {"seasonal_naive": 0.5, "hist_share": 0.5}


# --------------------------------------------------------------------------- calibration
def test_interval_calibrated_on_known_noise_covers_80_percent():
    rng = np.random.default_rng(2024)
    years = range(1971, 2031)
    flows = {y: PATTERN + rng.normal(0.0, 1.0, 12) for y in years}  # stable pattern, N(0, 1) monthly noise
    s = ytd_series(flows)
    mat = fc.ytd_matrix(s)
    bt = fc.backtest_year_end(s, methods=["seasonal_naive"], n_sims=200, keep_samples=True)
    hits80, hits95 = [], []
    for y in range(1985, 2031, 2):
        for m in range(6, 12):  # calibrated per origin month, as project_year_end does
            choice = fc.choose_from_backtest(bt.loc[bt["year"] >= y - 10], year=y, candidates=["seasonal_naive"],
                                             month=m)
            row = bt.loc[(bt["year"] == y) & (bt["month"] == m)].iloc[0]
            samples, factor, notes = fc.final_samples({"seasonal_naive": row["samples"]}, choice, ytd=row["ytd"],
                                                      level=fc._level(mat, y, m), month=m)
            lo10, lo025, hi90, hi975 = np.quantile(samples, [0.10, 0.025, 0.90, 0.975])
            hits80.append(lo10 <= row["actual"] <= hi90)
            hits95.append(lo025 <= row["actual"] <= hi975)
            w80, _, _ = fc.calibration_widths(choice["z"], choice["calibration_years"])
            implied = w80 * fc._level(mat, y, m) * (12 - m) ** choice["exponent"]
            assert (hi90 - lo10) / 2 >= 0.97 * implied and notes == []  # never narrower than the errors imply
    assert 0.75 <= np.mean(hits80) <= 0.85
    assert 0.90 <= np.mean(hits95) <= 0.99


def test_without_any_backtest_seasonal_naive_is_at_least_as_uncertain_as_the_growth_it_ignores():
    # one earlier year; this year runs 10 % above it: seasonal naive adds last year's July–December (79)
    s = ytd_series({2021: PATTERN, 2022: PATTERN * 1.10}, last=(2022, 6))
    res = fc.project_year_end(s, as_of="2022-06", n_sims=400, seed=2, backtest_sims=50)
    assert res["method"] == "seasonal_naive" and res["backtest_n"] == 0
    assert res["median"] == pytest.approx(61 * 1.10 + 79, rel=0.01)
    # the 80 % half-width is 10 % of the 79 still to come (the simulated spread, doubled, is narrower)
    assert (res["hi80"] - res["lo80"]) / 2 == pytest.approx(0.10 * 79, rel=0.03)
    assert "无往年回测误差" in res["note"]


def test_too_little_history_widens_and_says_so():
    z = np.array([1.0, -1.0, 0.5, -0.5, 2.0])
    w80, w95, note = fc.calibration_widths(z, 2)
    w80_ok, _, note_ok = fc.calibration_widths(z, 5)
    assert note_ok == "" and "回测仅2年" in note
    assert w80 / w80_ok == pytest.approx(1.886 / 1.2815515655446004)  # t(2) 90 % quantile over the normal's
    # the 80 % width itself: the ⌈(5 + 1) × 0.8⌉ = 5th smallest |z| of five (the conformal level 0.96)
    assert w80_ok == pytest.approx(2.0)
    assert np.isnan(fc.calibration_widths(np.array([]), 0)[0])


def test_turn_in_the_last_months_widens_the_interval():
    rng = np.random.default_rng(3)
    flows = {y: PATTERN * 1.05 ** i * (1 + 0.02 * rng.standard_normal(12)) for i, y in enumerate(range(2016, 2023))}
    calm = ytd_series(flows, last=(2022, 9))
    shifted_flows = dict(flows)
    shifted_flows[2022] = flows[2022].copy()
    shifted_flows[2022][6:9] *= 1.3  # July–September 30 % above the year's pattern
    shifted = ytd_series(shifted_flows, last=(2022, 9))
    kw = dict(as_of="2022-09", n_sims=400, backtest_sims=100)
    a, b = fc.project_year_end(calm, **kw), fc.project_year_end(shifted, **kw)
    assert abs(b["turn"]) > 0.25 and abs(a["turn"]) < 0.08
    assert b["hi80"] - b["lo80"] > 1.5 * (a["hi80"] - a["lo80"])
    assert "走势偏离往年季节规律" in b["note"] and "走势" not in a["note"]


# --------------------------------------------------------------------------- wording
@pytest.mark.parametrize("p, text", [
    (1.0, "基本确定（>99%）"), (0.96, "基本确定（96%）"), (0.90, "基本确定（90%）"), (0.75, "较大可能（75%）"),
    (0.60, "较大可能（60%）"), (0.50, "存在不确定性（50%）"), (0.40, "可能性较小（40%）"), (0.2, "可能性较小（20%）"),
    (0.10, "难以完成（10%）"), (0.0, "难以完成（<1%）"), (float("nan"), ""),
])
def test_probability_in_words(p, text):
    assert fc.prob_words(p) == text


# --------------------------------------------------------------------------- one stored projection
def test_stored_projection_read_identically_by_view_and_assessment():
    from guozi_analysis.analyses import assessment

    frame = _long_frame()
    frame = frame[frame["enterprise_id"].isin(["G01", "G02"])]
    targets = pd.DataFrame({"enterprise_id": ["G01"], "year": [2022], "item": ["revenue"],
                            "target_value": [160.0], "unit": ["万元"]})
    proj = fc.project_items(frame, items=["revenue"], as_of="2022-11", n_sims=200, targets=targets)
    rec = fc.reconcile_bottom_up(proj, _roster().iloc[:2])
    tracked = fc.track_targets(targets, rec)
    stored = fc._parquet_safe(rec.drop(columns=["samples"]))
    stored["prob_words"] = [fc.prob_words(p) for p in stored["prob_target"]]
    median = float(rec.loc[rec["enterprise_id"] == "G01", "median"].iloc[0])
    view = forecast_views.projection_view(stored, fc._parquet_safe(tracked), names={"G01": "一集团", "G02": "二集团"})
    assert view.loc[("一集团", "营业总收入"), "预计全年（亿元）"] == pytest.approx(round(median / 1e4, 2))
    assert view.loc[("一集团", "营业总收入"), "回测年数"] == 2
    assert view.loc[("一集团", "营业总收入"), "完成目标可能性"] == tracked["prob_words"].iloc[0]
    series = pd.Series(frame.loc[frame["enterprise_id"] == "G01", "revenue"].to_numpy(),
                       index=frame.loc[frame["enterprise_id"] == "G01", "period"].to_numpy())
    value, how = assessment._project_value(series, month="2022-11", options=assessment.DEFAULT_PROJECTION,
                                           stored=fc.stored_projection(stored, "G01", "revenue", as_of="2022-11"))
    assert value == median and "预测章节" in how
    assert fc.stored_projection(stored, "G01", "revenue", as_of="2022-10") is None


def test_december_row_says_full_year_actual():
    frame = _long_frame()
    frame = frame[frame["enterprise_id"] == "G01"]
    dec = pd.DataFrame([{"enterprise_id": "G01", "period": "2022-12", "revenue": 150.0}])
    proj = fc.project_items(pd.concat([frame, dec]), items=["revenue"], as_of="2022-12", n_sims=20)
    stored = fc._parquet_safe(proj.drop(columns=["samples"]))
    view = forecast_views.projection_view(stored, pd.DataFrame(), names={"G01": "一集团"})
    row = view.loc[("一集团", "营业总收入")]
    assert row["预测方法"] == "全年实际" and row["判断"] == "全年实际" and row["预计全年（亿元）"] == 0.02
    assert np.isnan(row["80%区间下限（亿元）"]) and np.isnan(row["80%区间上限（亿元）"])


def test_next_year_outlook_from_stored_year_end_equals_recomputed():
    s = _noisy()
    this = fc.project_year_end(s, as_of="2022-11", n_sims=100, seed=0)
    direct = fc.project_next_year(s, as_of="2022-11", n_sims=100)
    stored = fc.project_next_year(s, as_of="2022-11", n_sims=100, this_year=this["samples"])
    assert stored == direct


def test_method_note_for_readers_has_no_code_identifiers():
    """The methods appendix prints docs/forecast-method.md for readers: Chinese, no code or file names."""
    import re

    from guozi_analysis.base import config

    text = (config.DOCS_DIR / "forecast-method.md").read_text("utf-8")
    assert "`" not in text
    assert not re.search(r"[A-Za-z]\w*_\w+", text)  # snake_case names
    assert not re.search(r"\w+\.(py|yaml|md|csv|parquet)\b|params/|benchmarks/", text)
    assert not re.search(r"\b[a-z]+\(", text)  # function calls


# --------------------------------------------------------------------------- intervals that respect the facts
def test_a_flow_that_cannot_fall_never_ends_below_its_year_to_date():
    # hand-worked: 41 simulated totals 80, 81, …, 120 around a median of 100, year to date 95.
    # The 15 totals 80..94 would mean the year ends below what is already earned: they become 95
    # (remaining amount 0); the others do not move.
    totals = np.arange(80.0, 121.0)
    floored = fc.floor_remaining(totals, 95.0)
    assert floored[:16].tolist() == [95.0] * 16 and floored[16:].tolist() == totals[16:].tolist()
    # quantiles (41 values, linear): 10 % at position 4 → 84 before, 95 after; 2.5 % at position 1 → 81 → 95;
    # the median (position 20 → 100) and the 90 % quantile (position 36 → 116) stay
    before, after = (np.quantile(t, [0.025, 0.10, 0.5, 0.90]) for t in (totals, floored))
    assert before.tolist() == [81.0, 84.0, 100.0, 116.0]
    assert after.tolist() == [95.0, 95.0, 100.0, 116.0]
    # a remainder whose whole distribution is below 0 puts even the median at the year to date
    assert np.median(fc.floor_remaining(np.array([90.0, 92.0, 94.0]), 95.0)) == 95.0


def _wide_noise_series():
    """Eight years of a flow whose monthly noise is large next to December's amount (2022 up to November)."""
    rng = np.random.default_rng(7)
    flows = {y: np.clip(PATTERN + rng.normal(0.0, 6.0, 12), 0.5, None) for y in range(2015, 2023)}
    flows[2022][11] = 2.0
    return ytd_series(flows, last=(2022, 11))


def test_revenue_interval_is_clipped_at_the_year_to_date_and_profit_is_not():
    s = _wide_noise_series()
    ytd = float(s.iloc[-1])
    free = fc.project_year_end(s, as_of="2022-11", n_sims=400, backtest_sims=100)
    kept = fc.project_year_end(s, as_of="2022-11", n_sims=400, backtest_sims=100, nondecreasing=True)
    assert free["lo95"] < ytd  # without the rule the interval reaches below what has happened
    assert kept["lo95"] >= ytd and kept["lo80"] >= ytd and kept["median"] >= ytd
    assert kept["hi95"] == pytest.approx(free["hi95"]) and kept["hi80"] == pytest.approx(free["hi80"])
    # the simulated months are never negative: every cumulative path rises to its year end
    paths = kept["cum_paths"].to_numpy()
    assert (paths >= ytd - 1e-9).all() and (np.diff(paths, axis=1) >= -1e-9).all()
    assert np.allclose(paths[:, -1] - ytd, np.maximum(paths[:, -1] - ytd, 0))


def test_project_items_applies_the_rule_to_the_flows_listed_in_params():
    assert set(fc.forecast_settings()["nondecreasing"]) == {"revenue", "investment_completed"}
    s = _wide_noise_series()
    frame = pd.DataFrame({"enterprise_id": "G01", "period": s.index, "revenue": s.to_numpy(),
                          "total_profit": s.to_numpy()})
    out = fc.project_items(frame, items=("revenue", "total_profit"), as_of="2022-11", n_sims=400).set_index("item")
    ytd = float(s.iloc[-1])
    assert out.loc["revenue", "lo95"] >= ytd
    # profit may still end below its year to date (a loss in December is possible); the same series,
    # not clipped, keeps the interval the remaining month's errors give
    assert out.loc["total_profit", "lo95"] < ytd


def test_the_verdict_on_a_target_follows_its_probability_not_the_median():
    # simulated totals 0..99: P(total ≥ 45) = 55/100 — the median (49.5) reaches 45, yet the verdict is
    # 完成存在不确定性, because 40 % < 55 % < 60 % (params/forecast.yaml target_status)
    samples = np.arange(100.0)
    row = {"enterprise_id": "G01", "item": "revenue", "year": 2022, "month": 11, "ytd_actual": 30.0,
           "median": float(np.median(samples)), "lo80": 9.9, "hi80": 89.1, "method": "seasonal_naive",
           "samples": samples}
    targets = pd.DataFrame({"enterprise_id": ["G01"] * 3, "year": [2022] * 3, "item": ["revenue"] * 3,
                            "target_value": [45.0, 30.0, 70.0], "unit": ["万元"] * 3})
    out = fc.track_targets(targets, pd.DataFrame([row]))
    assert out["prob_reach_target"].tolist() == [0.55, 0.70, 0.30]  # 55, 70 and 30 of the 100 totals
    assert out["status"].tolist() == ["完成存在不确定性", "预计完成", "存在缺口"]
    assert [fc.target_status(p) for p in (0.60, 0.41, 0.40, np.nan)] == ["预计完成", "完成存在不确定性", "存在缺口", ""]


# --------------------------------------------------------------------------- comparable basis
def test_restated_last_year_puts_seasonal_naive_on_this_years_scope():
    # An enterprise joined the group in 2022; alone it runs at a quarter of the group's 2021 flows, so the
    # group's 2022 months are 1.25 × PATTERN. The June 快报 restates 上年同期 to the 2022 scope: 2021's
    # January–June, group and newcomer, 1.25 × 61 = 76.25 (first reported: 61).
    s = ytd_series({2021: PATTERN, 2022: PATTERN * 1.25}, last=(2022, 6))
    restated = pd.Series(np.cumsum(PATTERN * 1.25)[1:6], index=[f"2022-{m:02d}" for m in range(2, 7)])
    as_was = fc.project_year_end(s, as_of="2022-06", n_sims=400, backtest_sims=50)
    comparable = fc.project_year_end(s, as_of="2022-06", n_sims=400, backtest_sims=50, last_year_restated=restated)
    assert as_was["method"] == comparable["method"] == "seasonal_naive"
    # hand-worked: year to date 76.25 + last year's July–December on this year's scope 1.25 × 79 = 98.75
    # → 175.00; the months restated match this year's exactly, so nothing is left to scatter
    assert comparable["median"] == pytest.approx(175.0)
    assert comparable["hi80"] - comparable["lo80"] == pytest.approx(0.0, abs=1e-9)
    # first-reported, seasonal naive adds 2021's July–December as reported (79): 155.25, 19.75 short
    assert as_was["median"] == pytest.approx(76.25 + 79.0, abs=1.0)
    assert comparable["note"].startswith("上年同期按本年口径重述（本期快报）：上年1—6月累计较首报数多25.0%（+15.25万元）")
    assert "上年7—12月按同一比例折算" in comparable["note"]
    # restate_last_year itself: restated months as given, later months × 76.25 / 61 = 1.25
    mat, _ = fc.restate_last_year(fc.ytd_matrix(s), restated, 2022, 6)
    assert mat.loc[2021, 6] == pytest.approx(76.25) and mat.loc[2021, 12] == pytest.approx(175.0)
    assert fc.restate_last_year(fc.ytd_matrix(s), None, 2022, 6)[1] == ""


def test_project_items_reads_the_restated_table_per_enterprise():
    s = ytd_series({2021: PATTERN, 2022: PATTERN * 1.25}, last=(2022, 6))
    frame = pd.DataFrame({"enterprise_id": ["G01"] * len(s) + ["G02"] * len(s), "period": list(s.index) * 2,
                          "revenue": list(s.to_numpy()) * 2})
    ly = pd.DataFrame({"enterprise_id": "G01", "period": [f"2022-{m:02d}" for m in range(2, 7)],
                       "revenue": np.cumsum(PATTERN * 1.25)[1:6]})
    out = fc.project_items(frame, items=("revenue",), as_of="2022-06", n_sims=200, restated=ly).set_index(
        "enterprise_id")
    assert out.loc["G01", "median"] == pytest.approx(175.0)  # as above
    assert out.loc["G02", "median"] == pytest.approx(155.25, abs=1.0) and "重述" not in out.loc["G02", "note"]


# --------------------------------------------------------------------------- set-wide default
def test_set_default_is_the_method_with_the_smallest_pooled_scaled_error():
    # two other series of the set; scaled error = |error| / (level 10 × √h). Series A: seasonal naive off by
    # 4, the share by 2; series B: seasonal naive off by 1, the share by 2. Per origin (h = 12 − m) the
    # share's mean over the two series is (2 + 2) / 2 / (10√h) = 2 / (10√h), seasonal naive's (4 + 1) / 2
    # / (10√h) = 2.5 / (10√h): the share is the set's default
    a = _bt_rows({y: {"seasonal_naive": 4, "hist_share": -2} for y in (2019, 2020, 2021)})
    b = _bt_rows({y: {"seasonal_naive": -1, "hist_share": 2} for y in (2019, 2020, 2021)})
    cfg = fc.forecast_settings()
    assert fc.set_default([a, b], candidates=SEL, month=9, settings=cfg) == "hist_share"
    # with B's seasonal naive off by 0.5 instead: (4 + 0.5) / 2 = 2.25 > 2, still the share
    assert fc.set_default([a, b.assign(median=b["median"].where(b["method"] != "seasonal_naive", 99.5))],
                          candidates=SEL, month=9, settings=cfg) == "hist_share"
    assert fc.set_default([a], candidates=SEL, month=9, settings=cfg) is None  # one series is not a set
    off = {**cfg, "selection": {**cfg["selection"], "set_default": False}}
    assert fc.set_default([a, b], candidates=SEL, month=9, settings=off) is None
    # a series with one backtest year of its own (no challenger can earn its place) takes the set's default,
    # and says so; without it, the configured default (seasonal naive)
    own = _bt_rows({2021: {"seasonal_naive": 3, "hist_share": 3}})
    c = fc.choose_from_backtest(own, year=2022, candidates=SEL, month=9, default="hist_share")
    assert c["method"] == "hist_share" and c["note"] == "同组序列合并回测中历年同期占比法误差最小，作为本序列的默认方法"
    assert fc.choose_from_backtest(own, year=2022, candidates=SEL, month=9)["method"] == "seasonal_naive"


def test_challenger_shrinks_towards_its_ratio_on_the_other_series_of_the_set():
    # empirical Bayes: the series' own score ratio r (challenger / incumbent) over n years, weight n, shrinks
    # towards the prior ratio r0 of the two methods' pooled scores on the OTHER series of the set, weight
    # k = shrink_years = 2: (n·r + k·r0) / (n + k) must be ≤ 1 − 5 % = 0.95.
    # The other series, as in the set-default test: A seasonal naive off by 4, the share by −2; B off by −1
    # and 2. Every origin has the same scale (10√h) for both methods, so the pooled ratio is
    # (2 + 2) / (4 + 1) = 0.8 — the share is 20 % better across the set; the equal-weight combination is
    # off by (4 − 2) / 2 = 1 and (−1 + 2) / 2 = 0.5: 1.5 / 5 = 0.3 of seasonal naive's
    a = _bt_rows({y: {"seasonal_naive": 4, "hist_share": -2} for y in (2019, 2020, 2021)})
    b = _bt_rows({y: {"seasonal_naive": -1, "hist_share": 2} for y in (2019, 2020, 2021)})
    set_cfg = fc.forecast_settings()
    assert set_cfg["selection"]["shrink_to"] == "set"  # the configured rule
    cfg = {**set_cfg, "selection": {**set_cfg["selection"], "shrink_to": "default"}}  # the rule before: towards 1
    prior = fc.pooled_scores([fc.series_scores(bt, candidates=SEL, month=9, settings=set_cfg, combos=True)
                              for bt in (a, b)], settings=set_cfg)
    assert fc.set_ratio(prior, "hist_share", "seasonal_naive", set_cfg["selection"]) == pytest.approx(0.8)
    assert fc.set_ratio(prior, "combo_mean", "seasonal_naive", set_cfg["selection"]) == pytest.approx(0.3)
    assert fc.set_ratio(prior, "hist_share", "seasonal_naive", cfg["selection"]) == 1.0  # shrink_to: default
    # this series: seasonal naive off by 4, the share by 3.92 in each of three years: r = 0.98
    # towards 1 (shrink_to default): (3 × 0.98 + 2 × 1) / 5 = 0.988 > 0.95 — seasonal naive stays;
    # towards the set's 0.8: (3 × 0.98 + 2 × 0.8) / 5 = 0.908 ≤ 0.95 — the share takes over (it wins all
    # three years); the combinations lose every year to the share (3.96 > 3.92) and stay out
    own = _bt_rows({y: {"seasonal_naive": 4.0, "hist_share": 3.92} for y in (2019, 2020, 2021)})
    assert fc.shrunk_ratio(0.98, 3, cfg["selection"]) == pytest.approx(0.988)
    assert fc.shrunk_ratio(0.98, 3, cfg["selection"], 0.8) == pytest.approx(0.908)
    assert fc.choose_from_backtest(own, year=2022, candidates=SEL, month=9, settings=cfg,
                                   prior=prior)["method"] == "seasonal_naive"
    assert fc.choose_from_backtest(own, year=2022, candidates=SEL, month=9, settings=set_cfg,
                                   prior=prior)["method"] == "hist_share"
    # the other way round: a method 20 % worse across the set (r0 = 1.25) needs more from the series itself:
    # 9 % better in three years was enough towards 1, (3 × 0.91 + 2) / 5 = 0.946; towards 1.25 it is
    # (3 × 0.91 + 2 × 1.25) / 5 = 1.046 > 0.95 — seasonal naive stays
    worse = pd.Series({"seasonal_naive": 1.0, "hist_share": 1.25})
    nine = _bt_rows({y: {"seasonal_naive": 4.0, "hist_share": 3.64} for y in (2019, 2020, 2021)})
    assert fc.choose_from_backtest(nine, year=2022, candidates=SEL, month=9, settings=cfg,
                                   prior=worse)["method"] == "hist_share"
    assert fc.choose_from_backtest(nine, year=2022, candidates=SEL, month=9, settings=set_cfg,
                                   prior=worse)["method"] == "seasonal_naive"


def test_each_series_prior_pools_the_other_series_in_one_pass():
    """The prior of each series is the pooled score of the others: a mean per candidate over the series that
    have it, candidates in the order they first appear among the others, None below set_min_series."""
    a = pd.Series([1.0, 2.0, 6.0], index=["ets", "hist_share", "combo_x"])
    b = pd.Series([3.0, np.nan], index=["hist_share", "ets"])  # another order; ets not scored here
    c = pd.Series([5.0, 4.0], index=["ets", "hist_share"])
    scores = [a, None, b, c]
    cfg = {"selection": {"set_min_series": 2}}
    got = fc.pooled_without_each(scores, settings=cfg)
    # without a: b then c → hist_share first (b's order), mean (3+4)/2; ets only c's 5; no combo_x
    assert list(got[0].index) == ["hist_share", "ets"] and got[0].tolist() == [3.5, 5.0]
    # without the series that has no scores: all three, in a's order
    assert list(got[1].index) == ["ets", "hist_share", "combo_x"] and got[1].tolist() == [3.0, 3.0, 6.0]
    assert list(got[2].index) == ["ets", "hist_share", "combo_x"] and got[2].tolist() == [3.0, 3.0, 6.0]
    assert list(got[3].index) == ["ets", "hist_share", "combo_x"] and got[3].tolist() == [1.0, 2.5, 6.0]
    for k in range(4):  # the same as pooling the others afresh
        others = [s for j, s in enumerate(scores) if j != k]
        pd.testing.assert_series_equal(got[k], fc.pooled_scores(others, settings=cfg))
    assert fc.pooled_without_each([a, b], settings={"selection": {"set_min_series": 2}}) == [None, None]
