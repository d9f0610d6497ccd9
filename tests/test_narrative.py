"""The review's text: every printed number is a Fact that matches its source; wording follows the data."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pandas as pd
import pytest
import yaml

from guozi_analysis.analyses import risk
from guozi_analysis.base import config
from guozi_analysis.base.store import write_table
from guozi_analysis.publishing import book, narrative, views
from guozi_analysis.publishing.text import Fact, change_word, date_zh, done_word, pace_word
from guozi_analysis.running import commands

PERIOD = "2022-11"
AS_OF = "2022年11月30日"
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


# ------------------------------------------------------------------------------------------------
# fixtures: the demo district's shared results for 2022-11 (tables, indicators, narrative frames)
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(demo_inbox):
    from guozi_analysis.indicators.formulas import compute_indicators

    tables = {name: frame.copy() for name, frame in demo_inbox.tables.items()}
    indicators = compute_indicators(tables, period=PERIOD, roster=tables["roster"])
    return tables, indicators


@pytest.fixture(scope="module")
def processed(demo, tmp_path_factory):
    """What the shared step writes for the review (the forecast outlook is left out: it takes seconds)."""
    tables, indicators = demo
    out = tmp_path_factory.mktemp("processed")
    for name, frame in tables.items():
        write_table(frame, out / f"table_{name}.parquet")
    write_table(indicators, out / "indicators.parquet")
    risk_frames = risk.shared_frames(tables, indicators, period=PERIOD)
    for key, frame in narrative.shared_frames(tables, indicators, period=PERIOD, outlook=False,
                                              results=risk_frames).items():
        write_table(frame, out / f"{key}.parquet")
    return out


@pytest.fixture(scope="module")
def ctx(processed):
    return views.open_context(period=PERIOD, processed_dir=processed)


@pytest.fixture(scope="module")
def items(processed):
    frame = pd.read_parquet(processed / "narrative_items.parquet")
    return frame.set_index("item")


def _variant(processed, tmp_path, edit):
    """A copy of the processed dir with one frame edited: ``edit(key) -> frame or None``."""
    out = tmp_path / "variant"
    shutil.copytree(processed, out)
    for key, frame in edit.items():
        write_table(frame, out / f"{key}.parquet")
    return views.open_context(period=PERIOD, processed_dir=out)


def _numbers(markdown: str, year: int = 2022) -> list[str]:
    """Every number printed, in order, leaving out the as-of date and the review's own year labels."""
    text = markdown.replace(AS_OF, "")
    for y in (year, year + 1):
        text = text.replace(f"{y}年", "年")
    return NUMBER.findall(text)


def _sections(ctx):
    return ([narrative.section_headline(ctx)] + narrative.review_sections(ctx)
            + [narrative.section_problems(ctx), narrative.section_plan(ctx)])


# ------------------------------------------------------------------------------------------------
# every number has a fact, and every fact matches its source table
# ------------------------------------------------------------------------------------------------
def test_every_printed_number_is_a_fact_in_order(ctx):
    for section in _sections(ctx):
        printed = _numbers(section.markdown)
        assert printed == [f.text() for f in section.facts], section.title
        assert printed, section.title


def test_every_fact_matches_its_source(ctx):
    for section in _sections(ctx):
        for fact in section.facts:
            source = narrative.source_value(ctx, fact.source)
            assert not pd.isna(source), fact.source
            assert fact.shown_value() == pytest.approx(fact.expected_shown(source)), fact.source
            assert fact.parts[0] in narrative.SOURCE_TABLES_ZH


def test_facts_resolve_against_the_indicator_table_directly(ctx):
    ind = ctx.indicators.set_index(["entity_id", "indicator_id"])["value"]
    facts = [f for s in _sections(ctx) for f in s.facts if f.parts[0] == "indicators"]
    assert len(facts) >= 20
    for f in facts:
        _, entity, item = f.parts
        assert f.value == pytest.approx(ind[(entity, item)])


def test_amounts_in_yi_yuan_with_two_decimals(ctx):
    for section in narrative.review_sections(ctx) + [narrative.section_plan(ctx)]:  # 存在的问题 prints rates only
        amounts = re.findall(r"([\d,.]+)亿元", section.markdown)
        assert amounts
        for a in amounts:
            assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d{2}", a), a
    inv = narrative.section_investment(ctx)
    total = next(f for f in inv.facts if f.source == "indicators:DISTRICT:project_total_investment")
    assert total.unit == "亿元"
    assert f"项目总投资{total.value / 10_000:,.2f}亿元" in inv.markdown


def test_sources_table_lists_each_number(ctx):
    section = narrative.section_risk(ctx)
    table = narrative.sources_table(section)
    assert list(table.columns) == ["数值", "单位", "来源表", "对象", "项目"]
    assert not table.astype(str).apply(lambda col: col.str.contains(r"[a-z]+_[a-z_]+")).any().any()  # no ids
    assert len(table) == len(section.facts)
    assert table["数值"].tolist() == [f.text() for f in section.facts]
    assert "资产负债率" in table["项目"].tolist()


# ------------------------------------------------------------------------------------------------
# the demo's facts, hand-counted from the raw tables and ground_truth.yaml
# ------------------------------------------------------------------------------------------------
def test_key_supervision_counts_match_ground_truth(items):
    truth = yaml.safe_load((config.DEMO_DIR / "ground_truth.yaml").read_text("utf-8"))["rules"]
    debt = items.loc[narrative.KEY_RULE_COUNT + "district_debt_ratio"]
    assert debt["value"] == len(truth["debt_to_asset_ratio_above_80"]["entities"])
    for e in truth["debt_to_asset_ratio_above_80"]["entities"]:
        assert e["name"] in debt["note"]
    coverage = items.loc[narrative.KEY_RULE_COUNT + "district_negative_coverage", "value"]
    assert coverage == len(truth["negative_interest_coverage"]["entities"])
    assert items.loc[narrative.KEY_RULE_THRESHOLD + "district_debt_ratio", "value"] == 80
    listed = set()
    for key in ("debt_to_asset_ratio_above_80", "negative_interest_coverage", "guarantee_to_non_related",
                "guarantee_above_shareholding", "guarantee_to_distressed", "guarantee_to_financial_subsidiary"):
        listed |= {e.get("enterprise_id") or e.get("guarantor_id") for e in truth[key]["entities"]}
    assert items.loc["key_supervision_count", "value"] == len(listed)


def test_key_supervision_count_is_the_cli_list(items, demo_inbox):
    """The review's count and names are those of `guozi risk` on the same inbox (computed independently)."""
    listed = commands.risk_list(demo_inbox, PERIOD)
    assert items.loc["key_supervision_count", "value"] == len(listed)
    assert items.loc["key_supervision_count", "note"] == "、".join(listed["entity_name"])


def test_key_supervision_sentence_is_left_out_without_the_engine(demo, tmp_path):
    tables, indicators = demo
    frame = narrative.narrative_items(tables, indicators, period=PERIOD)
    assert not frame["item"].str.startswith(("key_supervision", narrative.KEY_RULE_COUNT)).any()


def test_listing_fund_rating_and_fair_counts(items, demo):
    tables, _ = demo
    assert items.loc["listing_ipo_count", "value"] == 2
    assert items.loc["listing_ipo_out_of_province_count", "value"] == 2
    assert items.loc["listing_filed_count", "value"] == 3  # 2 报辅 + 1 报会
    assert items.loc["listing_reformed_count", "value"] == 2
    assert items.loc["listing_started_count", "value"] == 4
    assert items.loc["fund_count", "value"] == 3
    assert items.loc["fund_new_kechuang_count", "value"] == 0  # the 科创 fund was set up in 2021
    assert items.loc["aa_plus_count", "value"] == 4  # G01, G02, G05 and G06 (first AA+ on 2022-08-19)
    assert items.loc["aa_plus_new_rank", "value"] == 4
    assert items.loc["aa_plus_new_count", "note"] == "澜海区城市更新投资建设运营有限公司"
    lines = tables["credit_lines"]
    fair = lines.loc[(lines["period"].astype(str) == PERIOD) & lines["signed_at_fair"].astype(bool)]
    assert items.loc["fair_credit_count", "value"] == len(fair) == 8
    assert items.loc["fair_credit_amount", "value"] == pytest.approx(fair["line_amount"].sum())
    assert items.loc["mixed_reform_in_progress_count", "value"] == 3


def test_equity_sectors_sum_to_the_indicator(items, ctx):
    sectors = items.loc[items.index.str.startswith("equity_sector_completed[")]
    total = narrative.source_value(ctx, "indicators:DISTRICT:equity_investment_completed")
    assert sectors["value"].sum() == pytest.approx(total)
    assert sectors.index[0] == "equity_sector_completed[集成电路]"  # largest first
    assert sectors["value"].is_monotonic_decreasing


def test_financing_cost_lowest_since_walks_back_over_history():
    hist = pd.DataFrame({"month": ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05"],
                         "composite_financing_cost": [5.0, 4.0, 4.6, 4.5, 4.2]})
    assert narrative.lowest_since(hist, "2020-05") == "2020-03"  # 4.2 < 4.6, 4.5; 2020-02 was 4.0
    assert narrative.lowest_since(hist, "2020-02") == "2020-01"  # below everything before it
    assert narrative.lowest_since(hist, "2020-04") == "2020-03"  # only below the month before
    assert narrative.lowest_since(hist, "2020-03") is None  # higher than the month before: not a low
    assert narrative.lowest_since(hist.assign(composite_financing_cost=[1, 2, 3, 4, 5]), "2020-05") is None


def test_financing_cost_history_is_balance_weighted():
    debts = pd.DataFrame({"period": ["2021-01", "2021-01", "2021-01", "2021-02"],
                          "balance": [100.0, 300.0, 50.0, 10.0], "annual_rate": [4.0, 6.0, None, 5.0]})
    hist = narrative.financing_cost_history({"debts": debts})
    assert hist["composite_financing_cost"].tolist() == pytest.approx([(400 + 1800) / 400, 5.0])


def test_demo_financing_cost_is_lowest_on_record(items):
    assert items.loc["financing_cost_lowest_since_year", "value"] == 2019
    assert items.loc["financing_cost_lowest_since_month", "value"] == 1


# ------------------------------------------------------------------------------------------------
# wording follows the data
# ------------------------------------------------------------------------------------------------
def test_change_done_and_pace_words():
    assert change_word(3.2) == "增长" and change_word(-0.1) == "下降" and change_word(0.0) == "持平"
    assert change_word(float("nan")) == "变动不详"
    assert done_word(5, 4) == "完成" and done_word(3, 4) == "未完成" and done_word(4, 4) == "完成"
    assert done_word(-20, -15, higher_better=False) == "完成"
    assert done_word(-10, -15, higher_better=False) == "未完成"
    assert pace_word(2.0) == "快于" and pace_word(-6.4) == "慢于"


def test_demo_wording(ctx):
    inv = narrative.section_investment(ctx).markdown
    assert "慢于序时进度" in inv  # 85.07% done against 11/12 = 91.67% of the year elapsed
    assert "全年目标尚未完成" in inv
    assert "本年未新组建科创基金" in inv
    risk = narrative.section_risk(ctx).markdown
    assert "较上年同期下降" in risk
    assert "有记录的2019年1月以来最低水平" in risk


def test_wording_flips_with_the_sign(ctx, processed, tmp_path):
    ind = ctx.indicators.copy()
    mask = (ind["entity_id"] == "DISTRICT") & (ind["indicator_id"] == "financing_cost_change_bp")
    ind.loc[mask, "value"] = 12.5
    mask = (ind["entity_id"] == "DISTRICT") & (ind["indicator_id"] == "investment_pace_gap")
    ind.loc[mask, "value"] = 3.0
    items = pd.read_parquet(processed / "narrative_items.parquet")
    items.loc[items["item"] == "investment_target_completion", "value"] = 101.0
    other = _variant(processed, tmp_path, {"indicators": ind, "narrative_items": items})
    risk = narrative.section_risk(other).markdown
    assert "较上年同期上升12.50个基点" in risk
    inv = narrative.section_investment(other).markdown
    assert "快于序时进度3.00个百分点" in inv
    assert "全年目标已提前完成" in inv


def test_no_guarantee_sentence_when_none(ctx, processed, tmp_path):
    items = pd.read_parquet(processed / "narrative_items.parquet")
    for item in ("non_related_guarantee_count", "above_share_guarantee_count", "key_supervision_count"):
        items.loc[items["item"] == item, "value"] = 0.0
    other = _variant(processed, tmp_path, {"narrative_items": items})
    section = narrative.section_risk(other)
    assert "未发生为非关联企业担保和超股比担保" in section.markdown
    assert "本期没有企业列入重点监管对象" in section.markdown
    assert _numbers(section.markdown) == [f.text() for f in section.facts]


# ------------------------------------------------------------------------------------------------
# chapter 二: tracked targets
# ------------------------------------------------------------------------------------------------
def test_plan_targets_come_from_the_targets_table(processed):
    targets = pd.read_parquet(processed / "narrative_targets.parquet").set_index("item")
    assert targets.loc["revitalised_value", "target_value"] == 200000  # 20亿元
    assert targets.loc["financing_cost_bp_change", "target_value"] == -15
    assert targets.loc["mixed_reform_count", "target_value"] == 2
    assert targets.loc["mixed_reform_reserve_count", "target_value"] == 5
    assert targets.loc["incentive_pilot_count", "target_value"] == 2
    # revenue 2023: the six groups' targets added up
    assert targets.loc["revenue", "target_value"] == pytest.approx(
        832850 + 362420 + 1188350 + 202660 + 438520 + 298840)
    assert targets.loc["revenue", "origin"] == "年度目标表（各集团合计）"


def test_plan_falls_back_to_the_yaml_defaults(demo):
    tables, _ = demo
    no_targets = {**tables, "targets": tables["targets"].iloc[0:0]}
    frame = narrative.target_frame(no_targets, year=2023).set_index("item")
    assert frame.loc["revitalised_value", "target_value"] == 200000
    assert frame.loc["revitalised_value", "origin"].startswith("params/targets_2023.yaml")
    assert pd.isna(frame.loc["revenue", "target_value"]) and frame.loc["revenue", "origin"] == "未设定"


def test_plan_lines_say_status_and_no_forecast(ctx):
    md = narrative.section_plan(ctx).markdown
    assert "**盘活账面资产资源**：2023年目标超过20.00亿元" in md
    assert "2023年目标较上年同期下降15个基点以上" in md
    # 2022 data never declare a 2023 target reached (−41 bp in 2022 says nothing about 2023)
    assert "已达到" not in md and "尚未达到" not in md
    # issue 26: a plan written with 2022 data has no 2023 progress (was: 11 × "2023年进展：待2023年数据")
    assert "2023年进展" not in md and "待2023年数据" not in md
    assert "交流选拔优秀干部**：2023年目标不少于10人；2022年基准：截至2022年11月30日本年已交流选拔干部7人" in md
    assert "新建国企廉政宣教阵地**：2023年目标不少于1处；2022年基准：2022年无同类数据（新增目标）" in md
    # every projection names its year; only the financial items are projected
    assert "全年预测" not in md and md.count("2023年预测：暂无预测") == 2


def test_financing_cost_target_is_the_2022_level_less_15bp(processed, ctx):
    targets = pd.read_parquet(processed / "narrative_targets.parquet").set_index("item")
    row = targets.loc["financing_cost_bp_change"]
    indicators = pd.read_parquet(processed / "indicators.parquet")
    level = indicators.loc[(indicators["entity_id"] == "DISTRICT")
                           & (indicators["indicator_id"] == "composite_financing_cost"), "value"].iloc[0]
    assert row["level_baseline"] == pytest.approx(level)
    assert row["target_level"] == pytest.approx(level - 0.15)  # 15 bp = 0.15 percentage points
    md = narrative.section_plan(ctx).markdown
    assert f"存量融资综合成本{level:.2f}%，目标即2023年同期不高于{level - 0.15:.2f}%" in md
    table = narrative.plan_table(ctx)
    assert table.loc["综合融资利率同比变动", "2022年基准"] == f"{level:.2f}%"
    assert f"不高于{level - 0.15:.2f}%" in table.loc["综合融资利率同比变动", "目标与基准比较"]


def test_revitalisation_pipeline_against_the_20yi_target(processed, items):
    row = pd.read_parquet(processed / "narrative_targets.parquet").set_index("item").loc["revitalised_value"]
    assert row["pipeline_value"] == pytest.approx(items.loc["idle_book_value", "value"])
    # issue 26: the reserve against the target as a reader reads it — how many times it covers the target
    # (was: pipeline_share, "相当于目标的199.77%"); demo 399,540.74 万元 / 200,000 万元 = 2.0 倍
    assert row["pipeline_cover"] == pytest.approx(items.loc["idle_book_value", "value"] / 200000)


def test_target_below_the_prior_year_is_flagged(demo):
    tables, indicators = demo
    # 2022 expected year end above the 2023 targets → flagged in words
    projections = pd.DataFrame({"enterprise_id": ["DISTRICT"] * 2, "item": ["revenue", "total_profit"],
                                "as_of": ["2022-11"] * 2, "median": [4_000_000.0, 200_000.0]})
    frame = narrative.target_frame(tables, year=2023, period=PERIOD, indicators=indicators,
                                   projections=projections).set_index("item")
    assert frame.loc["revenue", "below_baseline"] and frame.loc["revenue", "flag_text"] == "目标低于2022年预计完成数"
    assert frame.loc["revenue", "baseline_value"] == 4_000_000.0 and frame.loc["revenue", "baseline_kind"] == "expected"
    assert not frame.loc["total_profit", "below_baseline"]  # 33.28亿 target above 20亿 expected
    # against an actual so far (no projection): a reserve-pool target below today's pool
    lower = tables["targets"].copy()
    lower.loc[(lower["item"] == "mixed_reform_reserve_count").to_numpy(), "target_value"] = 3.0
    frame = narrative.target_frame({**tables, "targets": lower}, year=2023, period=PERIOD,
                                   indicators=indicators).set_index("item")
    assert frame.loc["mixed_reform_reserve_count", "flag_text"] == "目标低于2022年现有水平"
    assert not frame.loc["revenue", "below_baseline"]
    assert set(frame.loc[frame["below_baseline"]].index) == {"mixed_reform_reserve_count"}


def test_flag_is_printed_in_the_plan(ctx, processed, tmp_path):
    targets = pd.read_parquet(processed / "narrative_targets.parquet")
    at = (targets["item"] == "mixed_reform_reserve_count").to_numpy()
    targets.loc[at, "below_baseline"] = True
    targets.loc[at, "flag_text"] = "目标低于2022年现有水平"
    other = _variant(processed, tmp_path, {"narrative_targets": targets})
    md = narrative.section_plan(other).markdown
    assert "混改储备库在库企业5家（目标低于2022年现有水平）" in md
    assert narrative.plan_table(other).loc["混改储备库企业", "目标与基准比较"] == "目标低于2022年现有水平"


def test_plan_table_has_no_nan_or_none(ctx):
    table = narrative.plan_table(ctx)
    assert len(table) == 11
    assert list(table.columns) == ["2023年目标", "2022年基准", "基准口径", "目标与基准比较", "2023年预测", "来源"]
    for value in table.to_numpy().ravel():
        assert value is not None and not (isinstance(value, float) and pd.isna(value)), table
        assert str(value) not in ("", "nan", "None", "—")
    assert "2023年进展" not in table.columns  # issue 26: no progress column before the plan year
    # each figure carries its own unit (the rows' units differ)
    assert table.loc["盘活账面资产资源", "2023年目标"] == "20.00亿元"
    assert table.loc["综合融资利率同比变动", "2023年目标"] == "-15个基点"
    assert table.loc["盘活账面资产资源", "来源"] == "目标：年度目标表（全区）；进展：存量资产台账"


def test_task_ledger_feeds_the_plan(demo, processed):
    tables, indicators = demo
    ledger = tables["key_tasks"]
    assert set(ledger.loc[ledger["year"] == 2023, "item"]) == {
        "cadre_exchange_count", "integrity_base_count", "incentive_pilot_count", "institution_revision_count"}
    targets = pd.read_parquet(processed / "narrative_targets.parquet").set_index("item")
    # 制度修订: no targets-table row → the ledger's 2023 target; 2022 baseline = the ledger's latest progress
    assert targets.loc["institution_revision_count", "target_value"] == 4.0
    assert targets.loc["institution_revision_count", "origin"] == "重点工作任务台账"
    assert targets.loc["institution_revision_count", "baseline_value"] == 3.0
    assert targets.loc["cadre_exchange_count", "baseline_value"] == 7.0  # November, not September's 5
    # with 2023 progress in the ledger, the target is tracked — and only then can it be reached
    later = ledger.copy()
    extra = later.loc[later["task_id"] == "T2023-01"].assign(period="2023-03", progress_value=4.0)
    later = pd.concat([later, extra], ignore_index=True)
    ind23 = indicators.assign(period="2023-03")
    frame = narrative.target_frame({**tables, "key_tasks": later}, year=2023, period="2023-03",
                                   indicators=ind23).set_index("item")
    assert frame.loc["cadre_exchange_count", "progress_value"] == 4.0
    assert frame.loc["cadre_exchange_count", "status_text"] == "进行中"
    done = pd.concat([later, extra.assign(period="2023-04", progress_value=11.0)], ignore_index=True)
    frame = narrative.target_frame({**tables, "key_tasks": done}, year=2023, period="2023-04",
                                   indicators=ind23).set_index("item")
    assert frame.loc["cadre_exchange_count", "status_text"] == "已达到"
    assert frame["baseline_value"].isna().all()  # 2023 data: no 2022 baseline is read from them


def test_plan_uses_the_outlook_when_present(ctx, processed, tmp_path):
    outlook = pd.DataFrame({"entity_id": ["DISTRICT"], "item": ["revenue"], "year": [2023], "median": [3_400_000.0],
                            "lo80": [3_000_000.0], "hi80": [3_800_000.0], "basis": ["按往年平均增速外推"],
                            "prob_target": [0.72], "target_status": ["预计完成"]})
    other = _variant(processed, tmp_path, {"narrative_outlook": outlook})
    section = narrative.section_plan(other)
    assert ("2023年预测：预计340.00亿元（八成概率区间300.00～380.00亿元，按往年平均增速外推），预计可完成目标"
            in section.markdown)
    # the verdict is the stored one (from P(target)), not the median against the target: the same median
    # with P = 0.5 reads 完成目标存在不确定性
    unsure = _variant(processed, tmp_path / "unsure", {"narrative_outlook": outlook.assign(
        prob_target=0.5, target_status="完成存在不确定性")})
    assert "按往年平均增速外推），完成目标存在不确定性" in narrative.section_plan(unsure).markdown
    assert _numbers(section.markdown) == [f.text() for f in section.facts]
    for f in section.facts:
        assert f.shown_value() == pytest.approx(f.expected_shown(narrative.source_value(other, f.source)))
    table = narrative.plan_table(other)
    assert table.loc["营业总收入", "2023年预测"] == "340.00亿元"
    assert table.loc["综合融资利率同比变动", "2023年目标"] == "-15个基点"


# ------------------------------------------------------------------------------------------------
# formatting
# ------------------------------------------------------------------------------------------------
def test_date_and_fact_formatting():
    assert date_zh(date(2022, 11, 30)) == "2022年11月30日"
    assert date_zh("2023-01-05") == "2023年1月5日"
    assert Fact(123456.0, "亿元", "x:y:z").text() == "12.35"
    assert Fact(1_234_567_890.0, "亿元", "x:y:z").text() == "123,456.79"
    assert Fact(1234.0, "个", "x:y:z").text() == "1,234"
    assert Fact(2019.0, "年", "x:y:z").text() == "2019"
    assert Fact(-41.286, "bp", "x:y:z").magnitude().text() == "41.29"
    assert Fact(float("nan"), "%", "x:y:z").text() == "—"
    assert Fact(65.306, "%", "x:y:z").shown_value() == 65.31
    assert Fact(1.0, "%", "indicators:DISTRICT:roe").parts == ("indicators", "DISTRICT", "roe")


def test_render_fills_slots_in_order():
    a, b = Fact(1.5, "%", "t:e:a"), Fact(20000.0, "亿元", "t:e:b")
    text, used = narrative.render("比率{a}%，金额{b}亿元", {"b": b, "a": a})
    assert text == "比率1.50%，金额2.00亿元"
    assert used == [a, b]


def test_index_page_still_works(tmp_path):
    settings = {"district": {"name": "澜海区", "supervisor": "澜海区国资委"}}
    page = book.index_page(period=PERIOD, settings=settings, executed_dir=tmp_path)
    # issue 26: the 前言 speaks to the reader (no 地区/版本 table; versions are in the colophon)
    assert "数据截至2022年11月30日" in page and "澜海区区属国有企业2022年工作" in page


def test_every_number_links_to_its_own_row_of_the_sources_appendix(ctx):
    for section in _sections(ctx):
        linked = narrative.linked_markdown(section, "x")
        links = re.findall(r"\[\[([^\]]+)\]\(#src-x-(\d+)\)\]\{#ref-x-(\d+)\}", linked)
        assert [text for text, _, _ in links] == [f.text() for f in section.facts], section.title
        assert [int(k) for _, k, _ in links] == list(range(1, len(section.facts) + 1))
        assert all(k == back for _, k, back in links)  # the row links back to the same number
        # removing the link syntax gives back the text exactly (dates untouched)
        assert re.sub(r"\[\[([^\]]+)\]\(#src-x-\d+\)\]\{#ref-x-\d+\}", r"\1", linked) == section.markdown


def test_sources_appendix_has_one_row_per_number_with_a_link_back(ctx):
    page = narrative.sources_appendix(ctx).data
    for key, section in narrative.cited_sections(ctx):
        for k, fact in enumerate(section.facts, start=1):
            assert f"[{k}]{{#src-{key}-{k}}} | {fact.text()} |" in page
            assert f"[返回](#ref-{key}-{k})" in page
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", page)  # no ids
    assert not re.search(r"\| G\d\d", page)  # enterprises by name, never by code


def test_numbers_inside_dates_are_not_taken_for_facts():
    section = narrative.Section("t", "截至2022年11月30日，共11个项目。",
                                (narrative.Fact(11, "个", "line_items:DISTRICT:proj_count"),))
    assert narrative.linked_markdown(section, "s") == "截至2022年11月30日，共[[11](#src-s-1)]{#ref-s-1}个项目。"


def test_review_numbers_match_an_independent_recomputation_from_the_raw_rows(ctx, demo_inbox):
    """Figures printed in the risk section, recomputed here straight from the accepted rows."""
    tables = demo_inbox.tables
    roster, fin, debts = tables["roster"], tables["financials"], tables["debts"]
    groups = set(roster.loc[roster["parent_id"].isna() | (roster["parent_id"].astype(str) == ""), "enterprise_id"])
    month = fin.loc[(fin["period"] == PERIOD) & fin["enterprise_id"].isin(groups)]
    debt_ratio = month["total_liabilities"].sum() / month["total_assets"].sum() * 100  # ratio of sums
    live = debts.loc[debts["period"] == PERIOD]
    cost = (live["balance"] * live["annual_rate"]).sum() / live["balance"].sum()
    section = narrative.section_risk(ctx)
    printed = {f.source: f for f in section.facts}
    assert printed["indicators:DISTRICT:debt_to_asset_ratio"].text() == f"{debt_ratio:,.2f}"
    assert printed["indicators:DISTRICT:composite_financing_cost"].text() == f"{cost:,.2f}"
    assert f"全区国企资产负债率{debt_ratio:.2f}%" in section.markdown


def test_plan_follows_the_six_parts_with_each_target_under_its_part(ctx):
    md = narrative.section_plan(ctx).markdown
    parts = ["扩投资优结构", "稳增长促发展", "稳金融防风险", "抓改革重绩效", "建机制优体系", "强引领聚合力"]
    headings = re.findall(r"^### （([一二三四五六])）(\S+)$", md, flags=re.M)
    assert [name for _, name in headings] == parts
    assert [num for num, _ in headings] == list("一二三四五六")
    blocks = dict(zip(parts, re.split(r"^### （[一二三四五六]）\S+$", md, flags=re.M)[1:]))
    assert "**盘活账面资产资源**" in blocks["扩投资优结构"]
    assert "**综合融资利率同比变动**" in blocks["稳金融防风险"]
    assert "**完成混合所有制改革企业**" in blocks["抓改革重绩效"]
    assert "**交流选拔优秀干部**" in blocks["强引领聚合力"]
    assert "2022年基准" in blocks["稳增长促发展"]


# ------------------------------------------------------------------------------------------------
# issue 26: the headline, causes not counts, the maturity wall, the plan as a plan
# ------------------------------------------------------------------------------------------------
def test_headline_gives_the_years_figures_from_the_stored_indicators(ctx):
    section = narrative.section_headline(ctx)
    md = section.markdown
    # demo district, 2022-11 (快报 sums of the six groups, 万元):
    # 资产总额 19,101,122.81 (1,910.11 亿元); 上年同期 18,129,856.78 → +971,266.03 / 18,129,856.78 = +5.36 %
    # 资产负债率 11,167,178.64 / 19,101,122.81 = 58.46 %; 上年同期 10,692,675.03 / 18,129,856.78 = 58.98 %
    #   → −0.51 个百分点
    # 营业总收入 2,815,443.34 (281.54 亿元); 利润总额 284,671.46 (28.47 亿元), 上年同期 253,410.76 → +12.34 %
    # 本年完成投资 694,540.13 (69.45 亿元), 年度计划完成率 85.07 %
    assert "全区国有企业经济运行总体平稳、稳中有进" in md
    assert "全区国企资产总额1,910.11亿元，同比增长5.36%；资产负债率58.46%，较上年同期下降0.51个百分点" in md
    assert "本年累计实现营业总收入281.54亿元，其中营业收入同比增长5.74%；利润总额28.47亿元，同比增长12.34%" in md
    assert "完成固定资产投资69.45亿元，为年度计划投资的85.07%" in md
    # the same stored values 附录A prints: each indicator fact is the indicator table's value
    ind = ctx.indicators.set_index(["entity_id", "indicator_id"])["value"]
    for f in section.facts:
        table, entity, item = f.parts
        if table == "indicators":
            assert f.value == ind[(entity, item)]
    assert {f.parts[2] for f in section.facts} >= {"total_assets", "debt_to_asset_ratio", "revenue", "total_profit",
                                                    "project_completed_ytd"}


def test_problems_name_the_groups_furthest_behind_and_the_drivers_of_the_profit_fall(ctx):
    md = narrative.section_problems(ctx).markdown
    # 序时进度 11/12 = 91.67 %. 营业收入: 全区 84.21 % (−7.46); all six groups behind, furthest 澜海文旅集团
    # 72.79 % (72.79 − 91.67 = −18.88) and 城市更新公司 82.47 % (−9.20)
    assert ("全区国企营业收入目标完成率84.21%，慢于序时进度7.46个百分点；六家集团均慢于序时进度，差距最大的是"
            "澜海文旅集团（完成72.79%，慢18.88个百分点）、城市更新公司（完成82.47%，慢9.20个百分点）") in md
    # 利润总额: 澜海文旅集团 59.78 % (−31.89), 城市更新公司 81.39 % (−10.27), 澜海水务集团 91.29 % (−0.37)
    assert "三家集团慢于序时进度，差距最大的是澜海文旅集团（完成59.78%，慢31.89个百分点）" in md
    # why: 澜海文旅集团 利润总额 14,245.87 vs 18,837.07 (2021-11) = −4,591.20 万元 (−24.37 %);
    # 营业总收入 167,067.25 − 183,269.17 = −16,201.92 (alone 353 % of the fall: the one driver);
    # against it: 营业成本 132,966.74 − 140,500.17 = −7,533.43 (cost down), 其他收益等 +4,903.51
    assert ("但澜海文旅集团利润总额同比下降24.37%、减少0.46亿元，主要来自营业总收入减少1.62亿元；"
            "营业成本减少0.75亿元、其他收益等增加0.49亿元，部分抵消了下降。") in md


def test_problems_carry_the_maturity_wall_the_risk_engine_flagged(ctx, processed, tmp_path):
    md = narrative.section_problems(ctx).markdown
    # 澜海文旅集团 (maturity_wall fired): 2023-03 174,102.03 万元 of 202,673.27 due in 12 months = 85.90 %;
    # six months (maturity_coverage_6m fired): due 197,660.28, cash 82,455.61 + unused lines 7,270.38 =
    # 89,725.99 → 0.45 倍; district 现金短债比 0.64 (flagged); district peak 2023-03 459,618.25 (45.96 亿元)
    assert ("澜海文旅集团2023年3月到期融资17.41亿元，占其未来十二个月到期融资的85.90%；未来六个月内到期融资19.77亿元，"
            "可用资金（货币资金与未使用授信）8.97亿元，覆盖倍数仅0.45倍") in md
    assert "全区国企现金短债比0.64倍，未来二十四个月中到期最集中的是2023年3月，当月全区到期45.96亿元" in md
    # without the engine's flags, no wall sentence
    problems = pd.read_parquet(processed / "narrative_problems.parquet")
    quiet = problems.loc[~problems["item"].str.startswith(("wall_", "cover_", "peak_"))]
    other = _variant(processed, tmp_path, {"narrative_problems": quiet})
    assert "集中到期" not in narrative.section_problems(other).markdown


def test_the_plan_has_its_guiding_paragraph_six_parts_measures_and_targets(ctx):
    md = narrative.section_plan(ctx).markdown
    assert md.startswith("**指导思想。**2023年，区国资系统")
    blocks = dict(zip(re.findall(r"^### （[一二三四五六]）(\S+)$", md, flags=re.M),
                      re.split(r"^### （[一二三四五六]）\S+$", md, flags=re.M)[1:]))
    assert list(blocks) == ["扩投资优结构", "稳增长促发展", "稳金融防风险", "抓改革重绩效", "建机制优体系", "强引领聚合力"]
    for part, block in blocks.items():  # each part: 一是、二是、三是 measures in 公文 style
        assert re.findall(r"^\*\*([一二三])是", block, flags=re.M) == ["一", "二", "三"], part
    # each target once, right after the measure that carries it
    draft = narrative.plan_draft(2023)
    catalogue = yaml.safe_load((config.PARAMS_DIR / "targets_2023.yaml").read_text(encoding="utf-8"))
    names = {t["item"]: t["name_zh"] for t in catalogue["targets"]}
    placed = [item for part in draft["parts"] for m in part["measures"] for item in m["targets"]]
    assert sorted(placed) == sorted(names)  # the demo's draft places every tracked target under a measure
    for part in draft["parts"]:
        for m in part["measures"]:
            for item in m["targets"]:
                zh = names[item]
                assert md.count(f"**{zh}**：") == 1, zh
                assert md.index(m["lead"]) < md.index(f"**{zh}**："), zh
    # the reserve as a reader reads it: 399,540.20 / 200,000 = 2.0 倍 (was 相当于目标的199.77%)
    assert "待盘活存量资产账面价值39.95亿元，储备可覆盖目标2.0倍" in md
    assert "相当于目标" not in md and "正在推进混改的企业3家。" in md


def test_the_plan_draft_names_no_enterprise(ctx):
    """The plan file is read by the public edition too: no enterprise of the roster is named in it."""
    text = (config.PARAMS_DIR / "plan_2023.yaml").read_text(encoding="utf-8")
    roster = ctx.roster
    for col in ("name", "short_name"):
        for name in roster[col].dropna().astype(str):
            assert name not in text, name
