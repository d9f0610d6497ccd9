"""Published figures: keys, the lists a publication writes, and the check that one key has one value."""

import json

import pandas as pd
import pytest

from guozi_analysis.base.figures import (
    conflicts,
    conflicts_text,
    figure,
    figures_frame,
    parse_printed,
    read_figures,
    write_figures,
)
from guozi_analysis.publishing import published
from guozi_analysis.publishing.narrative import Section
from guozi_analysis.publishing.text import Fact
from guozi_analysis.running.cli import main


def _fig(text, *, unit="亿元", item="project_annual_plan", basis="", entity="G02", where="表4", period="2022-09-30"):
    return figure(entity=entity, item=item, period=period, text=text, unit=unit, basis=basis, where=where)


@pytest.mark.parametrize("text, expected", [
    ("1,234.56", (1234.56, 2)), ("+3.0", (3.0, 1)), ("-0.25%", (-0.25, 2)), ("7", (7.0, 0)),
    ("+1.20个百分点", (1.2, 2)), ("—", None), ("红灯", None), ("1—10月", None), ("2022-11-30", None),
])
def test_printed_numbers_are_read_back_with_their_decimals(text, expected):
    assert parse_printed(text) == expected


def test_one_value_per_key_at_the_printed_precision_after_normalising_units():
    same = figures_frame([_fig("81.65"), _fig("816,512.34", unit="万元", where="工作簿")])
    # 816,512.34 万元 = 81.651234 亿元, printed to 0.01 亿元 → 81.65: one value
    assert conflicts(same).empty
    two = figures_frame([_fig("81.65"), _fig("81.66", where="正文")])
    # same precision (0.01 亿元 = 100 万元 a step): 816,500 ≠ 816,600 → a contradiction
    found = conflicts(two)
    assert len(found) == 2 and set(found["text"]) == {"81.65", "81.66"} and set(found["unit"]) == {"万元"}
    coarse = figures_frame([_fig("81.65"), _fig("816,600.00", unit="万元")])
    # |816,500 − 816,600| = 100 万元 > (100 + 0.01) / 2: no one value prints as both
    assert len(conflicts(coarse)) == 2
    rounded = figures_frame([_fig("81.7"), _fig("81.65")])
    # 81.65 printed to one decimal may be 81.6 or 81.7 (|81.7 − 81.65| = 0.05 ≤ (0.1 + 0.01) / 2)
    assert conflicts(rounded).empty


def test_different_quantities_have_different_keys():
    plan = _fig("19.45")
    target = _fig("19.52", item="investment_completed", basis="年度目标", where="表6")
    lo80 = _fig("11.63", item="revenue", basis="全年预计80%区间下限")
    lo95 = _fig("10.90", item="revenue", basis="全年预计95%区间下限")
    october = _fig("19.40", period="2022-10-31")
    assert conflicts(figures_frame([plan, target, lo80, lo95, october])).empty


def test_texts_of_one_key_must_be_equal():
    lights = figures_frame([_fig("黄灯", unit="", item="investment_completion_rate", basis="灯号", where="表F-8"),
                            _fig("红灯", unit="", item="investment_completion_rate", basis="灯号", where="晾晒")])
    found = conflicts(lights)
    assert sorted(found["text"]) == ["红灯", "黄灯"]
    assert "G02·investment_completion_rate·2022-09-30·灯号" in conflicts_text(found)


def test_a_fact_keeps_its_sign_and_its_key():
    fact = Fact(-1234.567, "%", "indicators:G01:revenue_growth", absolute=True)
    r = published.fact_figure(fact, period="2022-11-H2")
    # printed "1,234.57" (the sign said in words: 下降); the list keeps −1234.57
    assert (r["entity"], r["item"], r["period"], r["text"], r["value"], r["digits"]) == \
        ("G01", "revenue_growth", "2022-11-30", "1,234.57", -1234.57, 2)
    other = published.fact_figure(Fact(816512.34, "亿元", "narrative_items:DISTRICT:idle_book_value"), period="2022-11")
    # 816,512.34 万元 printed in 亿元 → "81.65"; items of other stored tables are prefixed by the table
    assert (other["item"], other["text"], other["unit"]) == ("narrative_items.idle_book_value", "81.65", "亿元")
    assert published.fact_figure(Fact(float("nan"), "亿元", "indicators:G01:revenue"), period="2022-11") is None
    section = Section("投资", "本年完成投资81.65亿元。", (Fact(816512.34, "亿元", "line_items:DISTRICT:x"),), "2022-11")
    assert [f["text"] for f in section.figures()] == ["81.65"]


def test_a_keyed_table_lists_its_cells_as_printed():
    frame = pd.DataFrame({"企业": ["城投", "全区合计"], "年度计划投资（亿元）": [19.4512, 81.65],
                          "灯号": ["黄灯", "—"], "说明": ["x", "y"]})
    frame = published.keyed(frame, period="2022-Q3", entities=["G02", "DISTRICT"], columns={
        "年度计划投资（亿元）": ("project_annual_plan", "", "亿元"),
        "灯号": ("investment_completion_rate", "灯号", "")})
    got = [(r["entity"], r["item"], r["period"], r["text"]) for r in published.frame_figures(frame)]
    # 19.4512 prints as 19.45 (two decimals); the missing light ("—") is no figure
    assert got == [("G02", "project_annual_plan", "2022-09-30", "19.45"),
                   ("DISTRICT", "project_annual_plan", "2022-09-30", "81.65"),
                   ("G02", "investment_completion_rate", "2022-09-30", "黄灯")]
    assert published.frame_figures(frame.iloc[:1]) == []  # rows taken out: keys no longer aligned, nothing listed
    html, meta = published.html_with_figures(frame)
    assert "19.45" in html and len(meta[published.METADATA_KEY]) == 3


def test_the_lists_are_read_from_executed_notebooks_and_workbook_sidecars(tmp_path):
    records = [_fig("19.45")]
    nb = {"cells": [{"cell_type": "code", "source": "#| tbl-cap: 投资完成情况\nviews.pace_table(ctx)",
                     "outputs": [{"output_type": "execute_result", "data": {"text/html": "<table/>"},
                                  "metadata": {"text/html": {published.METADATA_KEY: records}}}]}]}
    (tmp_path / "monthly.ipynb").write_text(json.dumps(nb, ensure_ascii=False), "utf-8")
    (tmp_path / "outputs").mkdir()
    published.write_sidecar(tmp_path / "outputs" / "月度通报.xlsx", [_fig("19.52", where="投资进度")])
    path = published.write_publication_figures([tmp_path / "monthly.ipynb"], tmp_path / "out")
    listed = read_figures([tmp_path / "out"])
    assert list(listed["where"]) == ["monthly·投资完成情况·表4", "月度通报.xlsx·投资进度"]
    assert listed["source"].iloc[0] == str(path)
    assert len(conflicts(listed)) == 2  # the table prints 19.45, the workbook 19.52 for one key


def test_figures_check_command_prints_conflicts_in_chinese(tmp_path, capsys):
    write_figures([_fig("81.65", where="正文")], tmp_path / "review" / "figures.csv")
    write_figures([_fig("81.65", where="表4")], tmp_path / "monthly" / "figures.csv")
    assert main(["figures", "--check", str(tmp_path)]) == 0
    assert "各出版物数字一致" in capsys.readouterr().out
    write_figures([_fig("81.66", where="表4")], tmp_path / "monthly" / "figures.csv")
    assert main(["figures", "--check", str(tmp_path / "review"), str(tmp_path / "monthly" / "figures.csv")]) == 1
    out = capsys.readouterr().out
    assert "发现 1 个数字在不同位置印出不同的值" in out and "81.65" in out and "81.66" in out and "表4" in out


def test_a_column_may_name_its_own_entity_per_row():
    frame = pd.DataFrame({"报表": ["扩投资", "稳增长"], "领先": ["城投", "水务"], "领先得分": [96.004, 88.5]})
    frame = published.keyed(frame, period="2022-11-H2", items=["ranking.investment", "ranking.growth"],
                            columns={"领先得分": (None, "综合得分", "分", ["G02", "G03"])})
    got = [(r["entity"], r["item"], r["text"]) for r in published.frame_figures(frame)]
    # 96.004 prints as 96.00 (the column is not whole), 88.5 as 88.50
    assert got == [("G02", "ranking.investment", "96.00"), ("G03", "ranking.growth", "88.50")]


def test_one_quantity_has_one_key_whichever_table_it_is_read_from():
    target = published.fact_figure(Fact(816_600.0, "亿元", "narrative_items:DISTRICT:investment_target"),
                                   period="2022-11")
    gap = published.fact_figure(Fact(-6.44, "百分点", "indicators:DISTRICT:investment_pace_gap", absolute=True),
                                period="2022-11")
    # the review's 年度投资目标合计 is the forecast table's 年度目标 of investment_completed (816,600 万元 = 81.66 亿元);
    # the stored pace gap is the completion rate's 与序时进度差, printed "6.44" (慢于) and listed as −6.44
    assert (target["item"], target["basis"], target["text"]) == ("investment_completed", "年度目标", "81.66")
    assert (gap["item"], gap["basis"], gap["text"], gap["value"]) == \
        ("investment_completion_rate", published.PACE_GAP, "6.44", -6.44)
    frame = published.keyed(pd.DataFrame({"本年累计（亿元）": [69.45]}), period="2022-11", entities=["DISTRICT"],
                            items=["investment_completed"], columns={"本年累计（亿元）": (None, "本年累计", "亿元")})
    assert [(r["item"], r["basis"]) for r in published.frame_figures(frame)] == [("project_completed_ytd", "")]


def test_the_financing_cost_history_has_one_author_the_indicator_formula():
    from guozi_analysis.analyses.financing import financing_cost_history
    from guozi_analysis.publishing import narrative

    debts = pd.DataFrame({"period": ["2022-10", "2022-10", "2022-11"], "balance": [100.0, 300.0, 200.0],
                          "annual_rate": [4.0, 6.0, float("nan")]})
    hist = financing_cost_history({"debts": debts})
    # 2022-10: (100×4 + 300×6) / (100 + 300) = 2200 / 400 = 5.5; 2022-11: no rated balance → NaN, never 0
    assert hist["composite_financing_cost"].iloc[0] == 5.5 and pd.isna(hist["composite_financing_cost"].iloc[1])
    assert narrative.financing_cost_history is financing_cost_history  # the review reads it, never recomputes


def test_a_column_may_carry_its_own_unit_per_row():
    frame = pd.DataFrame({"同比": ["+5.92%", "-1.20个百分点"]})
    frame = published.keyed(frame, period="2022-10", entities=["DISTRICT", "DISTRICT"],
                            items=["revenue", "debt_to_asset_ratio"], columns={"同比": (None, "同比", ["%", "百分点"])})
    got = [(r["item"], r["unit"], r["value"]) for r in published.frame_figures(frame)]
    # "+5.92%" reads 5.92 (%), "-1.20个百分点" reads −1.2 (百分点)
    assert got == [("revenue", "%", 5.92), ("debt_to_asset_ratio", "百分点", -1.2)]


def test_markdown_with_figures_leaves_out_a_sentence_with_a_missing_number():
    """The overview headline (markdown_with_figures) printed "资产总额—亿元" on a 2022-12 inbox where five
    groups had not reported: like markdown(), it now leaves the sentence out and keeps what it printed."""
    from guozi_analysis.base.figures import figure
    from guozi_analysis.publishing.published import METADATA_KEY, markdown_with_figures

    shown = markdown_with_figures("资产总额—亿元，资产负债率—%。利润总额5.00亿元。",
                                  [figure(entity="DISTRICT", item="total_profit", period="2022-12", text="5.00",
                                          unit="亿元")])
    assert "—亿元" not in shown.data and "利润总额5.00亿元。" in shown.data
    assert [r["text"] for r in shown.metadata[METADATA_KEY]] == ["5.00"]


def test_atomic_write_gives_an_ordinary_file_mode(tmp_path):
    """mkstemp makes 0600 files; a published file gets 0666 & ~umask like any other (umask 022 → 0644)."""
    import os

    from guozi_analysis.base.store import atomic_write_bytes

    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "figures.csv", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "figures.csv").stat().st_mode & 0o777 == 0o644
