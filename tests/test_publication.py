"""The printable 晾晒 workbook: six sheets, every indicator exactly once, print set-up, colours; CLI entry."""

import pandas as pd
import pytest
from openpyxl import load_workbook

from guozi_analysis.analyses import ranking as rk
from guozi_analysis.indicators.catalogue import load_catalogue
from guozi_analysis.publishing import workbooks as pub
from guozi_analysis.running import commands


@pytest.fixture(scope="module")
def demo():
    from guozi_analysis.demo import build_demo_tables

    tables, _ = build_demo_tables()
    return tables


@pytest.fixture(scope="module")
def outputs(demo_inbox, tmp_path_factory):
    """The CLI entry run once on the demo district's raw files (through the inbox)."""
    return commands.ranking_command("2022-11-H2", tmp_path_factory.mktemp("pub") / "out", demo_inbox.path)


@pytest.fixture(scope="module")
def workbook(outputs):
    return load_workbook(outputs[0])


def _column(ws, header: str) -> list:
    headers = [c.value for c in ws[3]]
    j = headers.index(header) + 1
    return [ws.cell(row=i, column=j).value for i in range(4, ws.max_row + 1)]


def test_six_sheets_in_table_order(workbook):
    catalogue = load_catalogue()
    names = [t.name_zh for t in sorted(catalogue.tables, key=lambda t: t.order)]
    assert workbook.sheetnames == names == ["争突破", "扩投资", "稳增长", "盘资产", "保民生", "稳金融"]


def test_every_indicator_in_exactly_one_sheet(workbook):
    # issue 28: the printed sheets carry no indicator ids (the CSV does), so indicators are found by name
    catalogue = load_catalogue()
    seen: dict[str, list[str]] = {}
    for ws in workbook.worksheets:
        for name in set(_column(ws, "指标")) - {pub.COMPOSITE_NAME}:
            seen.setdefault(name, []).append(ws.title)
    assert len(catalogue.ids) == 69  # 64 + 流动比率 + 国有资本保值增值率（预计） (issue 19) + 存量资产盘活率 (issue 25) + 营业成本、三项费用 (issue 26)
    assert set(seen) == {spec.name_zh for spec in catalogue.enabled()}
    assert all(len(sheets) == 1 for sheets in seen.values())
    table_names = {t.id: t.name_zh for t in catalogue.tables}
    for spec in catalogue.enabled():
        assert seen[spec.name_zh] == [table_names[spec.table]]


def test_printed_sheets_show_no_english_ids(workbook):
    """issue 28: no ``composite``, ``DISTRICT`` or indicator id in a printed sheet — names in Chinese; the
    enterprises' codes (G01, G01-01) are the roster's and stay."""
    import re

    for ws in workbook.worksheets:
        unit = [c.value for c in ws[3]].index("单位")  # units such as bp (基点) are units, not ids
        texts = {c.value for row in ws.iter_rows() for j, c in enumerate(row)
                 if isinstance(c.value, str) and not (j == unit and c.row > 3)}
        english = {t for t in texts if re.search(r"[A-Za-z]{2,}|_", t)}
        assert english == set(), (ws.title, sorted(english)[:5])
        assert "指标编号" not in [c.value for c in ws[3]]
        assert pub.COMPOSITE_NAME in _column(ws, "指标")


def test_every_entity_listed_per_indicator(workbook, demo):
    tables = demo
    n_groups = int(tables["roster"]["is_group"].astype(bool).sum())
    ws = workbook["稳金融"]
    rows = pd.DataFrame({h: _column(ws, h) for h in ("层级", "指标", "企业编号", "企业名称", "名次")})
    block = rows.loc[rows["指标"] == "一年内到期融资"]  # debt_due_12m
    entities = block.loc[block["企业名称"] != pub.DISTRICT_REFERENCE]
    counts = entities.groupby("层级").size().to_dict()
    assert counts == {"集团": n_groups, "子企业": len(tables["roster"]) - n_groups}
    # one 全区合计（参考） row heads each peer set's block, unranked; a size indicator has no 名次
    reference = block.loc[block["企业名称"] == pub.DISTRICT_REFERENCE]
    assert reference["层级"].tolist() == ["集团", "子企业"] and reference["名次"].isna().all()
    assert reference["企业编号"].isna().all()  # the CSV's DISTRICT id is not printed
    assert entities["名次"].isna().all()  # 一年内到期融资 is a size indicator: shown, not ranked
    ranked = rows.loc[(rows["指标"] == "已获利息倍数") & (rows["企业名称"] != pub.DISTRICT_REFERENCE)]
    assert ranked["名次"].notna().all()
    subs = ranked.loc[ranked["层级"] == "子企业"]
    assert int(subs["名次"].max()) <= 22  # ranked within the largest function class, not across all 40
    # composite first, groups before subsidiaries
    assert rows["指标"].iloc[0] == pub.COMPOSITE_NAME and rows["层级"].iloc[0] == "集团"
    assert rows["层级"].tolist().index("子企业") > rows["层级"].tolist().index("集团")


def test_title_header_freeze_and_print_setup(workbook):
    for ws in workbook.worksheets:
        assert ws.title in ws["A1"].value and "数据截至2022年11月30日" in ws["A1"].value
        assert "2022年11月下半月" in ws["A1"].value
        assert ws["A2"].value.startswith("数据截至：") and (
            # one 序时进度 convention (months: 11/12 = 91.67 %, was 334/365 = 91.51 %) and the one light rule
            "序时进度按已过月数计算：11/12=91.67%。灯号规则：完成率达到或快于序时进度为绿灯；"
            "慢于序时进度不超过10个百分点为黄灯；慢于超过10个百分点为红灯。") in ws["A2"].value
        headers = [c.value for c in ws[3]]
        assert headers == [h for h in pub.HEADERS[1:] if h != "指标编号"]  # issue 28: ids only in the CSV
        assert "序时进度（%）" in headers and "与序时进度差（百分点）" in headers
        assert ws.freeze_panes == "A4"
        assert ws.print_title_rows == "$3:$3"
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0


def test_conditional_colours_for_lights_and_arrows(workbook):
    ws = workbook["扩投资"]
    headers = [c.value for c in ws[3]]
    light_col = chr(ord("A") + headers.index("信号灯"))
    move_col = chr(ord("A") + headers.index("较上期"))
    ranges = {str(cf.sqref): [r for r in cf.rules] for cf in ws.conditional_formatting}
    light_rules = next(v for k, v in ranges.items() if k.startswith(light_col))
    assert sorted(r.formula[0] for r in light_rules) == sorted(['"绿灯"', '"黄灯"', '"红灯"'])
    assert all(r.dxf.fill is not None for r in light_rules)
    move_rules = next(v for k, v in ranges.items() if k.startswith(move_col))
    assert {r.formula[0][-3:] for r in move_rules} == {'"↑"', '"↓"'}
    lights = set(_column(ws, "信号灯")) - {None}
    assert lights and lights <= {"绿灯", "黄灯", "红灯"}


def test_number_formats_follow_units(workbook):
    ws = workbook["扩投资"]
    headers = [c.value for c in ws[3]]
    unit_j, value_j = headers.index("单位") + 1, headers.index("数值") + 1
    formats = {}
    for i in range(4, ws.max_row + 1):
        cell = ws.cell(row=i, column=value_j)
        if cell.value is not None:
            formats.setdefault(ws.cell(row=i, column=unit_j).value, set()).add(cell.number_format)
    assert formats["万元"] == {"#,##0.00"}
    assert formats["个"] == {"#,##0"}
    assert formats["%"] == {"0.00"}


def _small_frames():
    ranking = pd.DataFrame({
        "level": ["group"] * 3, "table": "t1", "table_name": "表一", "table_order": 1, "indicator_order": 0,
        "indicator_id": "up", "indicator_name": "指标一", "unit": "万元", "direction": "higher_better",
        "frequency": "monthly", "weight": 1.0, "period": "2022-11-H1", "as_of": "2022-10-31",
        "entity_id": ["G02", "G01", "G03"], "entity_name": ["乙集团", "甲集团", "丙集团"],
        "group_id": ["G02", "G01", "G03"], "value": [2.0, 1.0, float("nan")],
        "rank": pd.array([1, 2, 3], dtype="Int64"), "n_entities": 3, "n_ranked": 2, "is_tie": False,
        "status": ["正常", "正常", "未报送"], "rank_label": ["1", "2", "未报送"],
        "reason": ["", "", "未报送（缺少：利润总额）"], "previous_rank": pd.array([2, 1, 3], dtype="Int64"),
        "rank_change": pd.array([1, -1, 0], dtype="Int64"), "movement": ["↑", "↓", "—"],
        "points": [100.0, 50.0, 0.0], "pace": float("nan"), "pace_gap": float("nan"), "light": "",
    })
    composite = rk.composite_scores(ranking, settings=rk.load_settings())
    return ranking, composite


def test_publication_frame_layout():
    ranking, composite = _small_frames()
    frame = pub.publication_frame(ranking, composite)
    assert list(frame.columns) == pub.HEADERS
    assert frame["指标编号"].tolist() == ["composite"] * 3 + ["up"] * 3
    ind = frame.loc[frame["指标编号"] == "up"].set_index("企业编号")
    assert ind.loc["G03", "名次说明"] == "未报送" and int(ind.loc["G03", "名次"]) == 3
    assert ind.loc["G03", "说明"] == "未报送（缺少：利润总额）"
    assert ind.loc["G02", "较上期"] == "↑1" and ind.loc["G01", "较上期"] == "↓1"
    assert ind.loc["G01", "所属集团"] == "甲集团"
    comp = frame.loc[frame["指标编号"] == "composite"].set_index("企业编号")
    assert comp.loc["G02", "数值"] == pytest.approx(100.0) and comp.loc["G03", "说明"] == "1 项指标未报送"


def test_bad_colour_setting_is_reported(tmp_path):
    ranking, composite = _small_frames()
    settings = rk.load_settings()
    bad = {**settings, "workbook": {"colours": {"up_font": 6100}}}
    with pytest.raises(ValueError, match="六位十六进制"):
        pub.write_ranking_workbook(tmp_path / "x.xlsx", ranking, composite, settings=bad)


def test_ranking_command_writes_workbook_and_csv(outputs):
    assert [p.name for p in outputs] == ["晾晒排名_2022-11-H2.xlsx", "晾晒排名_2022-11-H2.csv"]
    assert all(p.exists() for p in outputs)
    csv = pd.read_csv(outputs[1], encoding="utf-8-sig")
    assert list(csv.columns) == pub.HEADERS
    assert set(csv["指标编号"]) - {pub.COMPOSITE_ID} == set(load_catalogue().ids)
    assert set(csv["报表"]) == {"争突破", "扩投资", "稳增长", "盘资产", "保民生", "稳金融"}


def test_monthly_period_is_published_as_month_end_half():
    assert rk.ranking_period("2022-11") == "2022-11-H2"


def test_mid_month_title_states_each_as_of_date(tmp_path):
    from guozi_analysis.indicators.catalogue import parse_catalogue

    catalogue = parse_catalogue({
        "tables": [{"id": "t1", "name_zh": "表一", "order": 1}],
        "indicators": [{"id": "up", "table": "t1", "name_zh": "指标一", "name_en": "up", "formula": "f",
                        "unit": "万元", "direction": "higher_better", "frequency": "monthly",
                        "basis": "point_in_time", "aggregation": "sum", "inputs": ["up"], "source": "测试"}],
    })
    ranking, composite = _small_frames()  # 2022-11-H1, a monthly indicator as of 2022-10-31
    path = pub.write_ranking_workbook(tmp_path / "h1.xlsx", ranking, composite, catalogue=catalogue)
    ws = load_workbook(path)["表一"]
    assert "2022年11月上半月" in ws["A1"].value and "数据截至2022年11月15日" in ws["A1"].value
    assert "月度指标截至2022年10月31日" in ws["A2"].value
    # months convention: October closed → 10/12 = 83.33 % (was 304/365 = 83.29 % by days)
    assert "序时进度按已过月数计算：10/12=83.33%。" in ws["A2"].value
    assert ws.max_row == 3 + 6  # 3 composite rows + 3 indicator rows
    assert _column(ws, "名次说明")[-1] == "未报送" and _column(ws, "名次")[-1] == 3
