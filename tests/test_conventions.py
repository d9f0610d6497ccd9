"""One 序时进度 convention and one light rule, read by every publication's table code (issue 25).

The same gaps to 序时进度 go through the 月度/季度 pace table, the half-month lights table, the
review's progress table (表F-8), and the printable 晾晒 workbook; every one of them shows the same light,
and prints under the table how 序时进度 is counted and the light rule.
"""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from guozi_analysis.analyses import ranking as rk
from guozi_analysis.base.store import write_table
from guozi_analysis.publishing.display import reader_html
from guozi_analysis.publishing.text import light_rule_note, pace_note
from guozi_analysis.publishing.views import bulletins, half_month
from guozi_analysis.publishing.views import ranking as ranking_views
from guozi_analysis.publishing.views.context import Context
from guozi_analysis.publishing.workbooks import write_ranking_workbook

PERIOD = "2022-11"
PACE_PERIOD = "2022-11-H2"  # the half month the 晾晒 of November's end ranks
#: 序时进度 at 2022-11-30 by months (params/district.yaml pace.basis: months): 11/12 = 91.6667 %
PACE = 11 / 12 * 100
#: Gaps to 序时进度 (百分点) and the light of the one rule (params/ranking.yaml progress: ≥0 green,
#: ≥−10 yellow, below red). −6.3 is the October lag that 表3 of the 月度通报 coloured 红灯 (">5 个百分点")
#: and 表F-8 coloured 黄灯 ("≤10"); −9.5 likewise; −12.0 is red under both old rules.
GAPS = {"G01": 1.5, "G02": -6.3, "G03": -9.5, "G04": -12.0}
EXPECTED = {"G01": "绿灯", "G02": "黄灯", "G03": "黄灯", "G04": "红灯"}
SHORT = {"G01": "甲集团", "G02": "乙集团", "G03": "丙集团", "G04": "丁集团"}
#: The rule as printed under every light table (params/ranking.yaml: green_min_gap 0, yellow_min_gap −10)
RULE = "灯号规则：完成率达到或快于序时进度为绿灯；慢于序时进度不超过10个百分点为黄灯；慢于超过10个百分点为红灯。"
#: How 序时进度 is counted, as printed: 11/12 = 91.666… → 91.67 %
PACE_TEXT = "序时进度按已过月数计算：11/12=91.67%。"


def _indicators() -> pd.DataFrame:
    """Completion rate = 序时进度 + gap (93.17, 85.37, 82.17, 79.67 %); the stored gap indicator = gap."""
    rows = []
    for g, gap in GAPS.items():
        for iid, value in (("investment_completion_rate", PACE + gap), ("investment_pace_gap", gap),
                           ("project_annual_plan", 100_000.0), ("project_completed_ytd", 1000.0 * (PACE + gap))):
            rows.append({"entity_id": g, "entity_name": SHORT[g], "level": "group", "period": PACE_PERIOD,
                         "indicator_id": iid, "value": value, "reason": ""})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> Context:
    pdir = tmp_path_factory.mktemp("processed")
    roster = pd.DataFrame({"enterprise_id": list(GAPS), "parent_id": [None] * 4,
                           "name": [f"{s}有限公司" for s in SHORT.values()], "short_name": list(SHORT.values())})
    write_table(roster, pdir / "table_roster.parquet")
    indicators = _indicators()
    write_table(indicators.assign(period=PERIOD), pdir / "indicators.parquet")
    ranking = rk.rank_indicators(indicators, level="group")  # real catalogue, real params/ranking.yaml
    write_table(ranking, pdir / "ranking.parquet")
    write_table(rk.composite_scores(ranking), pdir / "ranking_composite.parquet")
    return Context(period=PERIOD, entity_id="DISTRICT", processed_dir=pdir)


def test_the_ranking_computes_the_gap_on_the_same_pace(ctx):
    ranking = pd.read_parquet(ctx.processed_dir / "ranking.parquet")
    rate = ranking.loc[ranking["indicator_id"] == "investment_completion_rate"].set_index("entity_id")
    assert rate["pace"].tolist() == pytest.approx([PACE] * 4)  # 91.67, not 334/365 = 91.51
    assert rate["pace_gap"].to_dict() == pytest.approx(GAPS)


def test_every_publication_gives_the_same_gap_the_same_light(ctx, tmp_path):
    # 月度通报 表3 / 季度分析 表4: the pace table (was: −6.3 and −9.5 红灯 by its own ">5" rule)
    pace = bulletins.pace_table(ctx).set_index("企业")
    assert {g: pace.loc[SHORT[g], "灯号"] for g in GAPS} == EXPECTED
    assert pace.loc[SHORT["G02"], "快于或慢于序时（百分点）"] == pytest.approx(-6.3)
    assert pace.loc[SHORT["G02"], "序时进度（%）"] == pytest.approx(91.67)
    # 半月晾晒通报: the lights table (both progress indicators of the investment table)
    lights = half_month.lights_table(ctx)
    for name in ("年度投资完成率", "投资完成率与序时进度差"):
        row = lights.loc[[i for i in lights.index if i == name or name in i][0]]
        assert {g: row[SHORT[g]] for g in GAPS} == EXPECTED
    # review 表F-8: the progress table
    progress = ranking_views.progress_table(ctx).reset_index()
    progress = progress.loc[progress["指标"].str.contains("投资完成率")]  # the others are not reported here
    assert progress["指标"].nunique() == 2
    for _, part in progress.groupby("指标"):
        assert dict(zip(part["企业"], part["信号灯"])) == {SHORT[g]: EXPECTED[g] for g in GAPS}
    # the printable 晾晒 workbook
    ranking = pd.read_parquet(ctx.processed_dir / "ranking.parquet")
    composite = pd.read_parquet(ctx.processed_dir / "ranking_composite.parquet")
    roster = pd.read_parquet(ctx.processed_dir / "table_roster.parquet")
    path = write_ranking_workbook(tmp_path / "晾晒.xlsx", ranking, composite, roster=roster)
    ws = load_workbook(path)["扩投资"]
    headers = [c.value for c in ws[3]]
    cells = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    frame = pd.DataFrame(cells, columns=headers)
    frame = frame.loc[frame["指标"].isin(["年度投资完成率", "投资完成率与序时进度差"])
                      & frame["企业编号"].isin(list(GAPS))]
    assert len(frame) == 8
    for _, part in frame.groupby("指标"):
        assert dict(zip(part["企业编号"], part["信号灯"])) == EXPECTED
    assert PACE_TEXT in ws["A2"].value and RULE in ws["A2"].value


def test_every_light_table_prints_the_convention_and_the_rule(ctx):
    assert pace_note("2022-11-30") == PACE_TEXT
    assert light_rule_note(rk.load_settings()["progress"]) == RULE
    for table in (bulletins.pace_table(ctx), half_month.lights_table(ctx), ranking_views.progress_table(ctx)):
        html = reader_html(table)
        assert f'<p class="table-note">{PACE_TEXT}</p>' in html
        assert f'<p class="table-note">{RULE}</p>' in html


def test_the_bulletin_workbook_carries_the_same_lights_and_notes(ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(bulletins, "_history", lambda ctx: pd.Series(dtype=float))
    monkeypatch.setattr(bulletins, "_read", lambda ctx, name: pd.DataFrame(columns=["change"]))
    monkeypatch.setattr(bulletins, "write_contract_sheet", lambda *a, **k: None)
    bulletins.export_workbook(ctx, output_dir=tmp_path, kind="monthly")
    ws = load_workbook(tmp_path / "月度通报_2022-11.xlsx")["投资进度"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    header = values[0]
    lights = {r[0]: r[header.index("灯号")] for r in values[1:] if r[0] in SHORT.values()}
    assert lights == {SHORT[g]: EXPECTED[g] for g in GAPS}
    notes = [r[0] for r in values if r[0] and str(r[0]).startswith(("序时进度按", "灯号规则"))]
    assert notes == [PACE_TEXT, RULE]


def test_half_month_pace_is_stated_with_its_half_month():
    # 2022-11-H1 closes on the 15th: October (10) and half of November → 10.5/12 = 87.50 %;
    # the month's 快报 figures of the same half month are as of 2022-10-31: 10/12 = 83.33 %
    assert pace_note("2022-11-15") == "序时进度按已过月数计算（月末计满一个月，截至15日的上半月计半个月）：10.5/12=87.50%。"
    assert pace_note("2022-11-15", "2022-10-31") == (
        "序时进度按已过月数计算（月末计满一个月，截至15日的上半月计半个月）："
        "截至2022年11月15日10.5/12=87.50%，截至2022年10月31日10/12=83.33%。")
    assert pace_note("2022-10-31") == "序时进度按已过月数计算：10/12=83.33%。"  # 83.33, was 304/365 = 83.29


def test_the_bulletins_problems_follow_the_light_rule(ctx, monkeypatch):
    # 存在问题 names the groups behind 序时进度 by their light: red (−12.0) first, then yellow
    monkeypatch.setattr(bulletins, "_history", lambda ctx: pd.Series(dtype=float))
    monkeypatch.setattr(bulletins, "_read", lambda ctx, name: pd.DataFrame(columns=["change"]))
    text = bulletins.points(ctx).data
    assert "1. 投资完成率慢于序时进度超过10个百分点（红灯）的集团：丁集团（慢12.00个百分点）。" in text
    # the yellow ones (慢6.30, 慢9.50: red under the old ">5" rule) are named as yellow, the green one not at all
    assert "2. 投资完成率慢于序时进度（黄灯）的集团：乙集团（慢6.30个百分点）、丙集团（慢9.50个百分点）。" in text
    assert "甲集团（" not in text


# ------------------------------------------------------------------------------------------------
# 2023 targets: the adopted targets, the proposal rule beside them, full year against full year
# ------------------------------------------------------------------------------------------------
def _target_inputs():
    roster = pd.DataFrame({"enterprise_id": ["G01", "G02"], "parent_id": [None, None],
                           "name": ["甲集团有限公司", "乙集团有限公司"], "short_name": ["甲集团", "乙集团"]})
    targets = pd.DataFrame({  # 年度目标.xlsx: each group's adopted 2023 targets (万元)
        "enterprise_id": ["G01", "G02", "G01", "G02"], "year": [2023] * 4,
        "item": ["revenue", "revenue", "investment_completed", "investment_completed"],
        "target_value": [1_600_000.0, 1_723_640.0, 400_000.0, 374_370.0], "unit": ["万元"] * 4})
    projections = pd.DataFrame({  # the forecast's 2022 year end of the district (万元)
        "enterprise_id": ["DISTRICT", "DISTRICT"], "item": ["revenue", "investment_completed"],
        "as_of": ["2022-11", "2022-11"], "median": [3_400_000.0, 759_500.0], "method": ["share", "share"]})
    proposals = pd.DataFrame({  # 附录H.3: each group's proposal by the rule (万元)
        "enterprise_id": ["G01", "G02"], "item": ["revenue", "revenue"],
        "proposed_target": [1_700_000.0, 1_728_800.0]})
    return {"roster": roster, "targets": targets}, projections, proposals


def test_2023_targets_are_the_adopted_ones_compared_full_year_with_full_year_and_with_the_rule(tmp_path):
    from types import SimpleNamespace

    from guozi_analysis.publishing import narrative

    tables, projections, proposals = _target_inputs()
    frame = narrative.target_frame(tables, year=2023, period="2022-11", projections=projections,
                                   proposals=proposals).set_index("item")
    revenue, invest = frame.loc["revenue"], frame.loc["investment_completed"]
    # adopted = the groups' 2023 targets added up: 1,600,000 + 1,723,640 = 3,323,640 万元 = 332.36 亿元
    assert revenue["target_value"] == 3_323_640.0 and revenue["origin"] == "年度目标表（各集团合计）"
    # the rule's proposal: 1,700,000 + 1,728,800 = 3,428,800 (342.88 亿元); adopted − proposal = −105,160 (−10.52)
    assert revenue["proposed_value"] == 3_428_800.0 and revenue["proposal_gap"] == -105_160.0
    assert revenue["proposal_reason"].startswith("采用的目标取自年度目标表（各集团合计）")
    # below the 2022 expected year end 3,400,000 (340.00): flagged
    assert revenue["baseline_kind"] == "expected" and revenue["flag_text"] == "目标低于2022年预计完成数"
    # investment: 400,000 + 374,370 = 774,370 (77.44) against the 2022 expected year end 759,500 (75.95),
    # full year with full year (was: against 11 months' actual, 694,500 = 69.45, labelled 不低于上年)
    assert invest["target_value"] == 774_370.0 and invest["baseline_value"] == 759_500.0
    assert invest["baseline_kind"] == "expected" and invest["baseline_text"] == "2022年预计固定资产投资完成额"
    assert not invest["below_baseline"] and pd.isna(invest["proposed_value"])  # no proposal for investment
    # the body prints the adopted target, the proposal beside it and why it is below
    pdir = tmp_path / "processed"
    pdir.mkdir()
    write_table(frame.reset_index(), pdir / "narrative_targets.parquet")
    ctx = SimpleNamespace(period="2022-11", entity_id="DISTRICT", processed_dir=pdir,
                          indicators=pd.DataFrame(columns=["entity_id", "indicator_id", "value"]))
    lines = {row["item"]: text for row, _, text in narrative.plan_lines(ctx)}
    assert lines["revenue"].startswith("**营业总收入**：2023年目标不少于332.36亿元；2022年基准：2022年预计营业总收入"
                                       "340.00亿元（目标低于2022年预计完成数）；按附录“下一年度目标建议”的规则（")
    assert "测算，各集团建议目标合计342.88亿元，采用目标低于建议10.52亿元，不满足该规则：采用的目标取自年度目标表" \
        in lines["revenue"]
    # issue 26: with 2022 data the line ends at its baseline (no "2023年进展：待2023年数据" clause after it)
    assert "2023年目标不少于77.44亿元；2022年基准：2022年预计固定资产投资完成额75.95亿元。" in lines["investment_completed"]
    assert "建议目标" not in lines["investment_completed"]


def test_an_adopted_target_meeting_the_proposal_says_so():
    from guozi_analysis.publishing import narrative

    tables, projections, proposals = _target_inputs()
    proposals["proposed_target"] = [1_600_000.0, 1_723_640.0]  # the rule gives exactly the adopted targets
    frame = narrative.target_frame(tables, year=2023, period="2022-11", projections=projections,
                                   proposals=proposals).set_index("item")
    row = frame.loc["revenue"].to_dict() | {"item": "revenue"}
    writer = narrative._Writer()  # numbers are placeholders until the writer prints the text
    text, _ = writer.done(narrative._proposal_part(row, writer.n))
    assert text.endswith("各集团建议目标合计332.36亿元，与采用目标一致") and row["proposal_reason"] == ""


def test_the_plan_table_sets_the_adopted_target_beside_the_proposal(tmp_path):
    from types import SimpleNamespace

    from guozi_analysis.publishing import narrative

    tables, projections, proposals = _target_inputs()
    frame = narrative.target_frame(tables, year=2023, period="2022-11", projections=projections, proposals=proposals)
    pdir = tmp_path / "processed"
    pdir.mkdir()
    write_table(frame, pdir / "narrative_targets.parquet")
    ctx = SimpleNamespace(period="2022-11", entity_id="DISTRICT", processed_dir=pdir,
                          indicators=pd.DataFrame(columns=["entity_id", "indicator_id", "value"]))
    table = narrative.plan_table(ctx)
    assert table.loc["营业总收入", "2023年目标"] == "332.36亿元"
    assert table.loc["营业总收入", "目标与基准比较"].startswith(
        "目标低于2022年预计完成数；低于附录建议目标342.88亿元：采用的目标取自年度目标表（各集团合计）")
    assert table.loc["固定资产投资完成额", "目标与基准比较"] == "不低于上年"  # 77.44 ≥ 2022 预计 75.95
    assert table.loc["固定资产投资完成额", "基准口径"] == "2022年预计固定资产投资完成额"
