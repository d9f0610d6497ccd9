"""Issue 25: only what the data supports. Who reported (the coverage frame), sentences that never print a
missing number, and risk-list changes that are not read from absent data."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from guozi_analysis.analyses import risk
from guozi_analysis.analyses.coverage import (
    coverage_frame,
    is_complete,
    missing_groups,
    partial_groups,
    reported_entities,
)
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.publishing import coverage as coverage_text
from guozi_analysis.publishing.text import LEFT_OUT, Fact, missing_numbers, supported_text


def _roster() -> pd.DataFrame:
    return pd.DataFrame({
        "enterprise_id": ["G01", "G01-01", "G01-02", "G02", "G02-01", "G03"],
        "name": ["滨江城投集团有限公司", "滨江精工有限公司", "滨江设计院有限公司", "云湖产业集团有限公司",
                 "云湖电子有限公司", "东湖水务集团有限公司"],
        "short_name": ["滨江城投", "滨江精工", "滨江设计院", "云湖产业", "云湖电子", "东湖水务"],
        "parent_id": ["", "G01", "G01", "", "G02", ""],
        "level": [1, 2, 2, 1, 2, 1],
        "is_group": [True, False, False, True, False, True],
    })


def _tables() -> dict[str, pd.DataFrame]:
    """December: G01 and G01-01 reported, G01-02 did not; G02's group did not report at all; G03 did.
    The debts ledger: G02 and G03 reported it in November, only G03 in December."""
    fin = pd.DataFrame({"enterprise_id": ["G01", "G01-01", "G01-02", "G02", "G02-01", "G03", "G01", "G01-01", "G03"],
                        "period": ["2022-11"] * 6 + ["2022-12"] * 3, "revenue": 1.0})
    debts = pd.DataFrame({"debt_id": ["D1", "D2", "D3"], "enterprise_id": ["G02-01", "G03", "G03"],
                          "period": ["2022-11", "2022-11", "2022-12"], "balance": 10.0})
    return {"roster": _roster(), "financials": fin, "debts": debts}


def test_coverage_frame_counts_expected_reported_and_missing_by_group():
    """By hand, December 财务快报: G01's tree has 3 enterprises, 2 reported (G01-02 missing); G02's 2, none;
    G03's 1, reported. Debts: expected from the groups that filed it in November (G02 via G02-01, G03):
    G02 missing, G03 reported; G01 never filed debts, so it is not expected."""
    cov = coverage_frame(_tables(), period="2022-12")
    fin = cov.loc[cov["table"] == "financials"].set_index("group_id")
    assert fin[["expected", "reported", "missing"]].to_dict("index") == {
        "G01": {"expected": 3, "reported": 2, "missing": 1},
        "G02": {"expected": 2, "reported": 0, "missing": 2},
        "G03": {"expected": 1, "reported": 1, "missing": 0},
    }
    assert fin.at["G02", "missing_ids"] == "G02、G02-01" and fin.at["G01", "missing_ids"] == "G01-02"
    debts = cov.loc[cov["table"] == "debts"].set_index("group_id")
    assert list(debts.index) == ["G02", "G03"] and list(debts["missing"]) == [1, 0]
    assert not is_complete(cov)
    assert missing_groups(cov) == ["G02"] and partial_groups(cov) == {"G01": ["G01-02"]}
    assert missing_groups(cov, "debts") == ["G02"]
    assert reported_entities(cov, _roster()) == {"G01", "G01-01", "G03"}
    # November: everybody reported the 快报 → complete (nothing expected of the ledger before November)
    assert is_complete(coverage_frame(_tables(), period="2022-11"))


def test_the_first_paragraph_and_every_table_note_say_who_is_missing(tmp_path):
    cov = coverage_frame(_tables(), period="2022-12")
    cov.to_parquet(tmp_path / "coverage.parquet")
    roster = _roster()
    ctx = SimpleNamespace(processed_dir=tmp_path, roster=roster, tree=EnterpriseTree.from_roster(roster))
    sentence = coverage_text.coverage_sentence(ctx)
    assert sentence.startswith("本期数据不完整：1家集团（云湖产业）未报送本期财务快报；滨江城投有1家所属企业未报送本期财务快报。")
    assert "全区合计仅含已报送企业" in sentence
    assert coverage_text.table_note(ctx).startswith("注：1家集团（云湖产业）未报送本期财务快报")
    assert coverage_text.total_label(ctx) == "全区合计（仅含已报送企业）"
    # a complete period (or results stored before coverage existed) says nothing
    (tmp_path / "coverage.parquet").unlink()
    assert coverage_text.coverage_sentence(ctx) == "" and coverage_text.total_label(ctx) == "全区合计"


def test_a_sentence_with_a_missing_number_is_left_out_and_the_paragraph_says_why():
    """The 2022-12 月度通报 printed "营业总收入—亿元，同比变动不详—%" and "慢于序时进度（100.00%）—个百分点"."""
    missing = Fact(float("nan"), "亿元", "indicators:DISTRICT:revenue").text()
    text = (f"据企业财务快报反映，1—12月实现营业总收入{missing}亿元，同比变动不详—%；利润总额12.00亿元，同比增长3.00%。"
            "截至12月末，资产总额1,824.18亿元。本年完成投资11.16亿元，慢于序时进度（100.00%）—个百分点。")
    assert missing_numbers(text) == ["—亿元", "不详—", "—个百分点"]
    out = supported_text(text)
    assert out == "利润总额12.00亿元，同比增长3.00%。截至12月末，资产总额1,824.18亿元。" + LEFT_OUT
    assert missing_numbers(out) == []
    # ranges, dates and the tables' own note are not missing numbers; a clean text is unchanged
    clean = "1—10月营业总收入15.06—23.94亿元。注：“—”表示该项无报送数据。"
    assert missing_numbers(clean) == [] and supported_text(clean) == clean
    # a bold lead-in stays when the sentence after it goes
    assert supported_text("**一是有效投资。**在建项目—个。") == "**一是有效投资。**" + LEFT_OUT


def test_the_review_prints_no_missing_fact_and_keeps_the_facts_it_prints():
    from guozi_analysis.publishing.narrative import _Writer

    w = _Writer()
    n = w.n
    shown = Fact(123456.0, "亿元", "indicators:DISTRICT:project_total_investment")
    absent = Fact(float("nan"), "个", "indicators:DISTRICT:projects_under_construction")
    section = w.section("（一）抓项目", [f"**一是有效投资。**在建项目{n(absent)}个，总投资{n(shown)}亿元。"
                                         f"本年完成投资{n(shown)}亿元。"])
    assert "—" not in section.markdown and "在建项目" not in section.markdown
    assert "本年完成投资12.35亿元。" in section.markdown and section.facts == (shown,)


def test_an_enterprise_that_did_not_report_neither_leaves_nor_enters_the_list():
    """November's list had G01 and G02; December's has G01 only, but G02 did not report in December:
    its 移出 would be read from absent data → 未报送，无法比较. G01 stays (继续监管)."""
    def listed(*ids, period):
        return pd.DataFrame({"entity_id": list(ids), "entity_name": list(ids), "period": period,
                             "rule_ids": "district_debt_ratio"})

    changes = risk.list_changes(listed("G01", period="2022-12"), listed("G01", "G02", period="2022-11"),
                                include_unchanged=True, unreported={"G02"})
    assert changes[["entity_id", "change"]].values.tolist() == [["G01", "继续监管"], ["G02", "未报送，无法比较"]]
    # the same lists, everybody reported: G02 leaves
    plain = risk.list_changes(listed("G01", period="2022-12"), listed("G01", "G02", period="2022-11"))
    assert plain[["entity_id", "change"]].values.tolist() == [["G02", "移出"]]


@pytest.mark.parametrize("value, shown", [(float("nan"), "—"), (12345.0, "1.23")])
def test_fact_text_is_unchanged_for_tables(value, shown):
    assert Fact(value, "亿元", "x:y:z").text() == shown
