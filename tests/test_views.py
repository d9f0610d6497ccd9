"""Notebook display helpers: parameters fail fast, peers and report tables use the shared results."""

import numpy as np
import pandas as pd
import pytest

from guozi_analysis.publishing import views


@pytest.fixture
def processed(tmp_path):
    roster = pd.DataFrame({
        "enterprise_id": ["G01", "G02", "G03", "G01-01"],
        "name": ["甲集团有限公司", "乙集团有限公司", "丙集团有限公司", "甲子公司"],
        "short_name": ["甲集团", "乙集团", "丙集团", "甲子"],
        "parent_id": ["", "", "", "G01"], "level": [1, 1, 1, 2],
        "industry_class": ["非工业", "非工业", "工业", "工业"],
        "function_class": ["功能类", "功能类", "竞争类", "竞争类"],
    })
    roster.to_parquet(tmp_path / "table_roster.parquet")
    rows = []
    for entity, profit, ratio in (("G01", 100.0, 60.0), ("G02", 300.0, 70.0), ("G03", 50.0, 40.0),
                                  ("G01-01", 10.0, 85.0), ("DISTRICT", 450.0, 62.0)):
        rows += [{"entity_id": entity, "indicator_id": "total_profit", "value": profit, "reason": None},
                 {"entity_id": entity, "indicator_id": "debt_to_asset_ratio", "value": ratio, "reason": None}]
    pd.DataFrame(rows).to_parquet(tmp_path / "indicators.parquet")
    return tmp_path


def test_parameters_fail_fast_in_chinese(processed):
    with pytest.raises(views.ParameterError, match="期间"):
        views.open_context(period="2022-13", processed_dir=processed)
    with pytest.raises(views.ParameterError, match="不在企业名录中"):
        views.open_context(period="2022-11", entity_id="G09", processed_dir=processed)
    with pytest.raises(views.ParameterError, match="绝对路径"):
        views.open_context(period="2022-11", processed_dir="relative/dir")


def test_peers_are_the_same_class_and_ranked_by_direction(processed):
    ctx = views.open_context(period="2022-11", entity_id="G01", processed_dir=processed)
    table = views.peer_table(ctx, indicator_ids=("total_profit", "debt_to_asset_ratio"))
    assert list(table.index) == ["甲集团（本企业）", "乙集团", "本企业在同类中的名次"]  # 功能类 groups only
    assert table.iloc[0, 0] == pytest.approx(100 / 10_000)  # 万元 shown in 亿元
    # profit: higher is better → 2nd of 2; debt ratio: lower is better → 1st of 2
    assert list(table.loc["本企业在同类中的名次"]) == ["2/2", "1/2"]


def test_report_table_prints_counts_whole_amounts_in_yi_and_gaps_as_dashes(processed):
    ind = pd.read_parquet(processed / "indicators.parquet")
    extra = pd.DataFrame([{"entity_id": "G01", "indicator_id": "ipo_count", "value": 2.0, "reason": None}])
    pd.concat([ind, extra]).to_parquet(processed / "indicators.parquet")
    ctx = views.open_context(period="2022-11", processed_dir=processed)
    table = views.report_table(ctx, table="breakthrough")
    assert list(table.columns) == ["甲集团", "乙集团", "丙集团", "全区"]
    assert table.loc["利润总额（亿元）", "乙集团"] == "0.03"  # 300 万元
    assert table.loc["资产负债率（%）", "全区"] == "62.00"
    ipo = next(label for label in table.index if label.startswith("国资投资企业上市数"))
    assert table.loc[ipo, "甲集团"] == "2" and table.loc[ipo, "乙集团"] == "—"


def test_subtrees_and_group_names_follow_parent_codes_not_code_shapes(tmp_path):
    """Codes without structure (and one shaped like another group's child) are placed by their parent."""
    roster = pd.DataFrame({
        "enterprise_id": ["91330100MA2K0009", "91330100MA2K0001", "913301", "91330100MA2K0001-01"],
        "name": ["甲集团有限公司", "乙集团有限公司", "甲子公司", "乙子公司"],
        "short_name": ["甲集团", "乙集团", "甲子", "乙子"],
        "parent_id": ["", "", "91330100MA2K0009", "91330100MA2K0009"], "level": [1, 1, 2, 2],
        "industry_class": ["非工业", "非工业", "工业", "工业"],
        "function_class": ["功能类", "功能类", "竞争类", "竞争类"],
    })
    roster.to_parquet(tmp_path / "table_roster.parquet")
    pd.DataFrame([{"entity_id": "DISTRICT", "indicator_id": "total_profit", "value": 1.0, "reason": None}]) \
        .to_parquet(tmp_path / "indicators.parquet")
    funds = pd.DataFrame({
        "fund_id": ["F1", "F2", "F3"], "enterprise_id": ["913301", "91330100MA2K0001-01", "91330100MA2K0001"],
        "period": ["2022-11"] * 3, "fund_name": ["一号基金", "二号基金", "三号基金"], "aum": [1e4, 2e4, 3e4],
    })
    funds.to_parquet(tmp_path / "table_funds.parquet")
    ctx = views.open_context(period="2022-11", entity_id="91330100MA2K0009", processed_dir=tmp_path)
    out = views.detail_list(ctx, table="funds")
    assert list(out["所属集团"]) == ["甲集团", "甲集团"]  # 二号基金's owner is 甲集团's, whatever its code says
    assert list(out["基金名称"]) == ["一号基金", "二号基金"]
    district = views.open_context(period="2022-11", processed_dir=tmp_path)
    assert list(views.detail_list(district, table="funds")["所属集团"]) == ["甲集团", "甲集团", "乙集团"]
    facts = views.profile_facts(ctx)
    assert facts.loc["直属子企业数（家）", "内容"] == "2" and facts.loc["层级", "内容"] == "一级（集团）"
    child = views.open_context(period="2022-11", entity_id="91330100MA2K0001-01", processed_dir=tmp_path)
    assert views.profile_facts(child).loc["层级", "内容"] == "二级"


def test_a_profile_opened_on_a_run_without_slices_splits_the_results_first(processed):
    """A bulletin's run does not split its results by entity; the first profile opened on them does."""
    from guozi_analysis.publishing.views import profile

    assert not (processed / "by_entity").exists()
    ctx = profile.open_profile(period="2022-11", entity_id="G02", processed_dir=processed)
    assert ctx.processed_dir == processed / "by_entity" / "G02"
    assert sorted(p.name for p in (processed / "by_entity").iterdir()) == ["G01", "G01-01", "G02", "G03"]


def test_profile_reads_its_own_slice_and_compares_with_its_peers(processed):
    """The shared step's split: each entity's slice holds its rows (and the district's), a group's slice its
    subsidiaries'; peers come from the peer-set file (groups together; subsidiaries by 功能分类)."""
    from guozi_analysis.publishing.views import profile

    pd.DataFrame({"entity_id": ["G01", "G01-01", "G02"], "rule_name": ["甲规则", "乙规则", "丙规则"],
                  "family": ["流动性"] * 3, "severity": ["关注"] * 3, "value": [0.5, 0.8, 2.0],
                  "threshold": [1.0, 1.0, 1.0], "unit": ["倍"] * 3, "on_list": [True, False, False],
                  "triggered": [True, True, False], "message": ["甲集团现金短债比 0.50 倍", "甲子现金短债比 0.80 倍", ""]}
                 ).to_parquet(processed / "risk_evaluation.parquet")
    assert profile.split_by_entity(processed) == 4
    own = pd.read_parquet(processed / "by_entity" / "G02" / "indicators.parquet")
    assert sorted(set(own["entity_id"])) == ["DISTRICT", "G02"]
    group = pd.read_parquet(processed / "by_entity" / "G01" / "indicators.parquet")
    assert sorted(set(group["entity_id"])) == ["DISTRICT", "G01", "G01-01"]
    assert not (processed / "by_entity" / "G03" / "risk_evaluation.parquet").exists()  # nothing of its own

    ctx = profile.open_profile(period="2022-11", entity_id="G01", processed_dir=processed)
    assert ctx.processed_dir == processed / "by_entity" / "G01"
    peers = profile.peers(ctx)
    assert peers.index.name == "同类：全部集团（3家）"
    # 利润总额 100 / 300 / 50 万元 → 0.01 亿元 for G01; median 0.01, best 0.03; rank 2 of 3
    assert list(peers.loc["利润总额", ["本企业", "同类中位数", "同类最好", "名次"]]) == ["0.01", "0.01", "0.03", "2/3"]
    # 资产负债率 lower is better: 60 / 70 / 40 → best 40.00, G01 second
    assert list(peers.loc["资产负债率", ["本企业", "同类最好", "名次"]]) == ["60.00", "40.00", "2/3"]
    assert peers.loc["营业总收入", "本企业"] == "—" and peers.loc["营业总收入", "名次"] == "—"
    subs = profile.subsidiaries(ctx)
    assert list(subs.index) == ["甲子"] and subs.loc["甲子", "触发预警（条）"] == "1"
    assert subs.loc["甲子", "资产负债率（%）"] == "85.00" and subs.loc["甲子", "营业总收入（亿元）"] == "—"
    table = profile.risks(ctx)
    assert list(table.index) == ["甲规则"] and table.loc["甲规则", "列入重点监管"] == "是"
    facts = profile.facts(ctx)
    assert facts.loc["所属集团", "内容"] == "（本企业为集团）" and "G01" not in facts["内容"].str.cat()
    shown = profile.indicators(ctx)
    assert shown.loc[("争突破", "利润总额"), "本企业"] == "0.01" and shown.loc[("争突破", "利润总额"), "全区"] == "0.05"  # 450 万元 = 0.045 亿元
    assert shown.loc[("争突破", "净资产收益率（年化）"), "本企业"] == "—"

    child = profile.open_profile(period="2022-11", entity_id="G01-01", processed_dir=processed)
    assert profile.peers(child).index.name == "同类：竞争类子企业（1家）"  # issue 26: says which level
    assert profile.facts(child).loc["所属集团", "内容"] == "甲集团有限公司"
    with pytest.raises(views.ParameterError, match="G99"):
        profile.open_profile(period="2022-11", entity_id="G99", processed_dir=processed)


def test_a_profile_opens_with_its_main_business_and_assessment_and_ends_with_supervisory_points(processed):
    """Issue 26: 主营业务 from the roster, an assessment against the peers (晾晒 rank, ratios against the peers'
    median; size indicators left out), and the advice of each triggered rule (params/risk_rules.yaml)."""
    from guozi_analysis.analyses.risk.rules import load_rules
    from guozi_analysis.publishing.views import profile

    roster = pd.read_parquet(processed / "table_roster.parquet")
    roster["main_business"] = ["城市基础设施投资建设", None, "产业投资和先进制造。", "工程施工"]
    roster.to_parquet(processed / "table_roster.parquet")
    pd.DataFrame({"level": "group", "table": "overall", "table_name": "六表总分", "entity_id": ["G02", "G03"],
                  "peer_class": "全部", "score": [50.0, 80.5], "rank": [2, 1], "n_entities": 3,
                  "is_tie": [True, False]}).to_parquet(processed / "ranking_composite.parquet")
    pd.DataFrame({"entity_id": ["G03", "G03", "G02"], "rule_id": ["district_debt_ratio", "altman_z", "interest_coverage_below_1"],
                  "rule_name": ["资产负债率超过区级重点监管线", "Z值困境区", "已获利息倍数低于1"],
                  "family": ["资产负债"] * 3, "severity": ["重点监管", "关注", "预警"], "value": [86.0, 1.0, 2.0],
                  "threshold": [80.0, 1.1, 1.0], "unit": ["%", "", "倍"], "on_list": [True, False, False],
                  "triggered": [True, True, False], "message": ["", "", ""]}).to_parquet(processed / "risk_evaluation.parquet")
    profile.split_by_entity(processed)

    g03 = profile.open_profile(period="2022-11", entity_id="G03", processed_dir=processed)
    assert "**主营业务**：产业投资和先进制造。" in profile.title(g03).data
    assert profile.facts(g03).loc["主营业务", "内容"] == "产业投资和先进制造"
    # 资产负债率 (lower is better) 60 / 70 / 40: median 60; G03's 40 is better. 利润总额 is a size indicator: not judged
    assert profile.assessment(g03).data == ("**总体评价**：在全部集团（3家）中，本期半月晾晒六表总分80.50分，排第1名。"
                                            "与同类企业相比，资产负债率优于同类中位数（逐项比较见下表）。")
    advice = load_rules().get("district_debt_ratio").advice
    # the model row (no rule advice) gives no point; the rule's advice follows its name and this period's value
    assert profile.supervision(g03).data == f"1. **资产负债率超过区级重点监管线**（本期86.00%）：{advice}"

    g02 = profile.open_profile(period="2022-11", entity_id="G02", processed_dir=processed)
    assert "主营业务" not in profile.title(g02).data and profile.facts(g02).loc["主营业务", "内容"] == "—"
    # G02's 70 is worse than the median 60; its rank 2 is shared with another group
    assert profile.assessment(g02).data == ("**总体评价**：在全部集团（3家）中，本期半月晾晒六表总分50.00分，排第2名（并列）。"
                                            "与同类企业相比，资产负债率不及同类中位数（逐项比较见下表）。")
    assert "未触发" in profile.supervision(g02).data  # its one rule did not fire
    g01 = profile.open_profile(period="2022-11", entity_id="G01", processed_dir=processed)
    # no 晾晒 score, and its debt ratio is the median itself: nothing to say, and it says so
    assert profile.assessment(g01).data == "本期没有可与同类企业比较的数据。"


def _history(entity: str, values: dict[str, float], indicator: str = "revenue") -> pd.DataFrame:
    return pd.DataFrame({"entity_id": entity, "indicator_id": indicator, "period": list(values),
                         "value": list(values.values())})


def test_trend_chart_sets_this_year_against_last_year_by_month_with_target_and_pace(processed):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from guozi_analysis.publishing.views.figures import FIGURE_DPI

    history = pd.concat([
        _history("G01", {"2020-12": 999.0, "2021-02": 10_000.0, "2021-12": 60_000.0,
                         "2022-02": 20_000.0, "2022-06": 40_000.0, "2022-11": 90_000.0}),
        _history("G02", {"2022-11": 5.0}),
    ])
    history.to_parquet(processed / "indicator_history.parquet")
    pd.DataFrame({"enterprise_id": ["G01", "G02"], "item": ["revenue", "revenue"],
                  "target": [120_000.0, 1.0]}).to_parquet(processed / "forecast_targets.parquet")
    ctx = views.open_context(period="2022-11", entity_id="G01", processed_dir=processed)
    open_before = plt.get_fignums()
    fig = views.trend_chart(ctx, indicator_ids=["revenue"], title="营业总收入（本年累计）")
    assert plt.get_fignums() == open_before  # closed: the notebook shows the returned figure once
    assert fig.dpi == FIGURE_DPI >= 200
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{m}月" for m in range(1, 13)]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"2021年", "2022年", "2022年目标", "序时进度"}
    # 万元 → 亿元; the 2020-12 point of the running history is not drawn
    assert list(lines["2021年"].get_xdata()) == [2, 12] and list(lines["2021年"].get_ydata()) == [1.0, 6.0]
    assert list(lines["2022年"].get_xdata()) == [2, 6, 11]
    assert list(lines["2022年"].get_ydata()) == pytest.approx([2.0, 4.0, 9.0])
    assert list(lines["2022年目标"].get_ydata()) == pytest.approx([12.0, 12.0])
    pace = dict(zip(lines["序时进度"].get_xdata(), lines["序时进度"].get_ydata()))
    # months convention: June end → 6/12 of the target 12.0 = 6.0 (was 181/365 × 12 = 5.95 by days)
    assert pace[6] == pytest.approx(12.0 * 6 / 12) and pace[12] == pytest.approx(12.0)
    assert "2022年与2021年逐月对比" in fig._suptitle.get_text()
    # no target for the entity: no target or pace line
    plain = views.trend_chart(views.open_context(period="2022-11", entity_id="G03", processed_dir=processed),
                              indicator_ids=["revenue"], title="营业总收入")
    assert not plain.axes[0].get_lines()


def test_split_skips_a_shared_file_without_its_entity_column(processed):
    """A month without ledgers stores empty contract frames (no columns): the split leaves them out."""
    from guozi_analysis.publishing.views import profile

    pd.DataFrame().to_parquet(processed / "contract_warnings.parquet")
    assert profile.split_by_entity(processed) == 4
    assert not list((processed / "by_entity").glob("*/contract_warnings.parquet"))


def test_a_profiles_projection_table_lists_its_items_side_by_side(processed):
    """One enterprise's 全年预计与目标: a column per item, the figures down the side, reader text only."""
    from guozi_analysis.publishing.views import profile

    pd.DataFrame({
        "enterprise_id": ["G01", "G01", "G02"], "item": ["revenue", "total_profit", "revenue"],
        "as_of": ["2022-11"] * 3, "ytd_actual": [9_000.0, 500.0, 1.0], "median": [10_000.0, 560.0, 1.0],
        "lo80": [9_800.0, 540.0, 1.0], "hi80": [10_300.0, 590.0, 1.0], "target": [12_000.0, np.nan, np.nan],
        "method": ["seasonal_naive"] * 3, "method_label": ["季节性朴素法"] * 3, "prob_words": ["难以完成（<1%）", "", ""],
        "backtest_wape": [0.83, 1.7, 1.0], "backtest_years": [8.0, 8.0, 8.0], "note": ["", "", ""],
    }).to_parquet(processed / "forecast_projections.parquet")
    pd.DataFrame(columns=["enterprise_id", "item", "target"]).to_parquet(processed / "forecast_targets.parquet")
    profile.split_by_entity(processed)
    ctx = profile.open_profile(period="2022-11", entity_id="G01", processed_dir=processed)
    table = profile.forecasts(ctx).set_index("项目")
    assert list(table.columns) == ["营业总收入", "利润总额"]
    # 10,000 万元 = 1.00 亿元; 8 backtest years as a whole number; no target → "—"
    assert table.loc["预计全年（亿元）", "营业总收入"] == "1.00"
    assert table.loc["年度目标（亿元）", "营业总收入"] == "1.20" and table.loc["年度目标（亿元）", "利润总额"] == "—"
    assert table.loc["回测年数", "利润总额"] == "8"
    assert table.loc["完成目标可能性", "营业总收入"] == "难以完成（<1%）"


def test_the_bulletins_year_end_projection_is_the_median_the_review_prints(processed):
    """季度分析 表6 printed the mean as 全年预计 while the review prints the median: one point forecast."""
    from guozi_analysis.publishing.views import quarterly
    from guozi_analysis.publishing.views.context import Context

    # a skewed projection: mean 10,500 万元, median 10,000 万元 → the table prints 1.00 亿元 (the median)
    pd.DataFrame({
        "enterprise_id": ["G01"], "item": ["revenue"], "as_of": ["2022-09"], "ytd_actual": [9_000.0],
        "mean": [10_500.0], "median": [10_000.0], "lo80": [9_800.0], "hi80": [12_000.0], "target": [11_000.0],
        "prob_words": [""],
    }).to_parquet(processed / "forecast_projections.parquet")
    table = quarterly.outlook_table(Context(period="2022-09", entity_id="DISTRICT", processed_dir=processed))
    assert table["全年预计（亿元）"].tolist() == [1.0]


def test_a_projection_table_with_profit_says_why_its_range_may_start_below_the_year_to_date(processed):
    """Profit may fall in the remaining months (year-end provisions): its 80 % range may start below the
    year to date, and the table says so; revenue's never does."""
    from guozi_analysis.publishing.text import PROFIT_RANGE_NOTE
    from guozi_analysis.publishing.views import quarterly
    from guozi_analysis.publishing.views.context import Context

    pd.DataFrame({
        "enterprise_id": ["G01", "G01"], "item": ["revenue", "total_profit"], "as_of": ["2022-09"] * 2,
        "ytd_actual": [9_000.0, 500.0], "mean": [10_500.0, 560.0], "median": [10_000.0, 560.0],
        "lo80": [9_000.0, 450.0], "hi80": [12_000.0, 700.0], "target": [11_000.0, 600.0], "prob_words": ["", ""],
    }).to_parquet(processed / "forecast_projections.parquet")
    table = quarterly.outlook_table(Context(period="2022-09", entity_id="DISTRICT", processed_dir=processed))
    assert PROFIT_RANGE_NOTE in table.attrs["notes"]


def test_a_groups_profile_draws_its_revenue_fan_chart_as_svg(processed):
    """Issue 27: the profile's 预测区间图 is drawn as SVG (no matplotlib figure per profile), from the same layers
    as the review's chart: past years, this year, the bands, the target and the year-end note."""
    from guozi_analysis.publishing.views import forecast as forecast_views
    from guozi_analysis.publishing.views import profile

    periods = [f"{y}-{m:02d}" for y in (2021, 2022) for m in range(2, 13) if (y, m) != (2022, 12)]
    # revenue 10,000 万元 a month from February: 2022-11 YTD = 11 × 10,000 = 110,000 万元 = 11 亿元
    pd.DataFrame({"enterprise_id": "G01", "period": periods,
                  "revenue": [10_000.0 * int(p[5:]) for p in periods]}).to_parquet(processed / "table_financials.parquet")
    pd.DataFrame({"enterprise_id": ["G01"], "item": ["revenue"], "as_of": ["2022-11"], "ytd_actual": [110_000.0],
                  "median": [120_000.0], "lo80": [118_000.0], "hi80": [123_000.0], "target": [125_000.0],
                  "method": ["seasonal_naive"], "method_label": ["季节性朴素法"], "prob_words": [""],
                  "backtest_wape": [1.0], "backtest_years": [2.0], "note": [""]}
                 ).to_parquet(processed / "forecast_projections.parquet")
    # four simulated year-ends: 117,000 … 123,000 万元
    pd.DataFrame({"entity_id": "G01", "item": "revenue", "sim": range(4), "month": "2022-12",
                  "value": [117_000.0, 119_000.0, 121_000.0, 123_000.0]}).to_parquet(processed / "forecast_paths.parquet")
    profile.split_by_entity(processed)
    ctx = profile.open_profile(period="2022-11", entity_id="G01", processed_dir=processed)
    history, projection, title = forecast_views.fan_inputs(ctx, item="revenue")
    layers = forecast_views.fan_layers(history, projection, past_years=2)
    assert title == "甲集团营业总收入：本年累计与全年预测" and [y for y, _ in layers["past"]] == [2021]
    assert layers["current"][10] == 11.0 and np.isnan(layers["current"][11])  # 110,000 万元 at November
    months, q = layers["bands"]
    # the bands start at November's 11 亿元; December's median of 11.7, 11.9, 12.1, 12.3 亿元 is 12.0
    assert list(months) == [11, 12] and q[2][0] == 11.0 and q[2][1] == pytest.approx(12.0)
    # 12.0 亿元 median, 80 % interval 118,000–123,000 万元 = 11.80–12.30 亿元, to 0.01 as the projection table
    # prints them (whole 亿元 printed "12～12"); target 12.5 亿元; the note stands on the 95 % band's top in
    # December: the 97.5 % quantile of 11.7, 11.9, 12.1, 12.3 (numpy linear: position 0.975 × 3 = 2.925
    # → 12.1 + 0.925 × 0.2 = 12.285)
    assert layers["note"] == ["预计全年 12.00", "80%区间 11.80～12.30"] and layers["target"] == 12.5
    assert layers["note_at"] == pytest.approx(12.285)
    svg = profile.forecast_chart(ctx).data
    assert svg.startswith("<svg") and "Noto Sans CJK SC" in svg
    for text in ("甲集团营业总收入：本年累计与全年预测", "预计全年 12.00", "80%区间 11.80～12.30", "2021年实际", "2022年实际",
                 "95%区间", "80%区间", "预测中位数", "年度目标", "12月", "本年累计（亿元）"):
        assert f">{text}<" in svg, text
    other = profile.open_profile(period="2022-11", entity_id="G02", processed_dir=processed)
    assert profile.forecast_chart(other) is None  # no forecast of its own: the cell shows nothing
