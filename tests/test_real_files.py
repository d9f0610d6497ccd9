"""Issue 14: files made outside the project — never a silent wrong number.

Each defect seen with real district files has a test here whose expected value is worked out
independently of the code under test (from the figures written into the file), or is a finding
naming file, sheet, row and column.
"""

from __future__ import annotations

import inspect
import os
import shutil
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data" / "bad"))
import make_corpus as mc  # noqa: E402

from guozi_analysis.base import config, contract
from guozi_analysis.indicators.formulas import REGISTRY
from guozi_analysis.intake import ingestion as ing
from guozi_analysis.intake.cells import parse_number, parse_period
from guozi_analysis.intake.template import write_submission
from guozi_analysis.running.commands import indicators_command, ingest_command

TODAY = "2022-12-05"
#: realistic 快报 item names (as finance software prints them) for some fields; the rest use the contract label
KB_NAMES = {"total_assets": "资产总计", "total_liabilities": "负债合计", "total_equity": "所有者权益（或股东权益）合计",
            "current_assets": "流动资产合计", "current_liabilities": "流动负债合计", "revenue": "一、营业总收入",
            "paid_in_capital": "实收资本（或股本）", "income_tax": "减：所得税费用"}


def _ytd(f: contract.Field) -> bool:
    return "本年累计" in f.description_zh or f.name == "headcount_avg"


def write_kuaibao(path: Path, *, cur: dict, ly: dict | None, name: str | None, code: str | None,
                  period_text: str = "2022年11月", unit: str = "元", factor: float = 1e4,
                  extra: list[tuple] = (), title_extra: list[str] = (), sheet: str = "Sheet1") -> dict:
    """Write a 快报-layout workbook from contract values in 万元; returns {field: (本年累计/期末 元, 上年同期 元)}."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["财务快报", *title_extra])
    ws.append([f"编制单位：{name}" if name else None, None, None, f"企业编码：{code}" if code else None])
    ws.append([period_text, None, None, f"金额单位：{unit}"])
    ws.append(["项　目", "行次", "计量单位", "本月数", "本年累计数", "上年同期累计数"])
    written = {}
    for i, f in enumerate(contract.table("financials").fields[2:], start=1):
        if f.name not in cur or pd.isna(cur[f.name]):
            continue
        people = f.unit == "人"
        k = 1 if people else factor
        v = round(float(cur[f.name]) * k, 2)
        lv = None if ly is None or pd.isna(ly.get(f.name, float("nan"))) else round(float(ly[f.name]) * k, 2)
        if people:
            v, lv = int(round(v)), (None if lv is None else int(round(lv)))
        month = round(v / 11, 2) if _ytd(f) and not people else v
        ws.append([KB_NAMES.get(f.name, f.label_zh), i, "人" if people else None, month, v, lv])
        written[f.name] = (v, lv)
    for row in extra:
        ws.append(list(row))
    wb.save(path)
    return written


# --------------------------------------------------------------------------------------------
# 1 + 2. the done-when check: a 快报 workbook in the demo inbox, read by `guozi indicators`
# --------------------------------------------------------------------------------------------
def test_kuaibao_in_demo_inbox_lands_in_wan_yuan_and_growth_uses_its_last_year_column(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(config.DEMO_DIR / "raw", inbox)
    eid = "G01-02"
    # the demo's own figures for the enterprise (万元), read from the files themselves
    tables, _f, _c = ing.read_submission(inbox / "2022-11" / "G01_澜海城投集团.xlsx")
    fin = tables["financials"].set_index("enterprise_id")
    cur = fin.loc[eid].to_dict()
    hist = pd.read_csv(inbox / "history" / "financials.csv", skiprows=[1], encoding="utf-8-sig")
    hist = hist.rename(columns=contract.header_to_field("financials"))
    filed_ly = hist[(hist["enterprise_id"] == eid) & (hist["period"] == "2021-11")].iloc[0].to_dict()
    # a restatement: the 上年同期 column differs from last year's filing by 8 %
    ly = {k: (v * 1.08 if isinstance(v, float) else v) for k, v in filed_ly.items()}
    # remove the enterprise's row from the group workbook: the 快报 is now its only 2022-11 source
    wb = openpyxl.load_workbook(inbox / "2022-11" / "G01_澜海城投集团.xlsx")
    ws = wb["财务快报"]
    row = next(c.row for c in ws["A"] if c.value == eid)
    ws.delete_rows(row)
    wb.save(inbox / "2022-11" / "G01_澜海城投集团.xlsx")
    roster = ing.read_submission(inbox / "roster.xlsx")[0]["roster"].set_index("enterprise_id")
    name = roster.loc[eid, "name"]
    # 营业收入 (operating revenue) differs from 营业总收入 so the test tells them apart
    op_cur, op_ly = round(cur["revenue"] * 0.97 * 1e4, 2), round(ly["revenue"] * 0.96 * 1e4, 2)
    # a contract with 营业收入 makes the writer emit that row from the demo's own figures; else it is added here
    has_operating_revenue = any(f.name == "operating_revenue" for f in contract.table("financials").fields)
    written = write_kuaibao(inbox / "2022-11" / "快报_G01-02_2022年11月.xlsx", cur=cur, ly=ly,
                            name=name.replace("有限公司", " 有限公司"), code=eid,
                            extra=[] if has_operating_revenue else
                            [("营业收入", 99, None, round(op_cur / 11, 2), op_cur, op_ly)])
    out = tmp_path / "out"
    indicators_command("2022-11", out, inbox)
    table = pd.read_csv(out / "indicators.csv", encoding="utf-8-sig", dtype={"企业编号": str})
    mine = table[table["企业编号"] == eid].set_index("指标编号")
    # which revenue line the growth indicator reads (营业总收入 today, 营业收入 once the contract has it)
    line = list(inspect.signature(REGISTRY["revenue_growth"]).parameters)[0]
    ytd_yuan, ly_yuan = (written[line] if line in written else (op_cur, op_ly))
    expected_growth = (ytd_yuan / ly_yuan - 1) * 100
    assert mine.loc["revenue_growth", "数值"] == pytest.approx(expected_growth, rel=1e-9)
    assert mine.loc["revenue_growth", "同比口径"] == "上年同期数取自本期快报"
    # the filing-based growth would differ: the restatement is visible
    assert expected_growth != pytest.approx((cur["revenue"] / filed_ly["revenue"] - 1) * 100, rel=1e-3)
    # amounts in 万元: 元 ÷ 10000
    assert mine.loc["revenue", "数值"] == pytest.approx(written["revenue"][0] / 1e4, rel=1e-12)
    assert mine.loc["total_profit", "数值"] == pytest.approx(written["total_profit"][0] / 1e4, rel=1e-12)
    # another enterprise's growth is still from last year's filing, and says so
    other = table[(table["企业编号"] == "G01-01") & (table["指标编号"] == "revenue_growth")].iloc[0]
    assert other["同比口径"] == "上年同期数取自上年报送"


def test_kuaibao_reads_balances_from_month_column_flows_from_ytd_and_lists_unknown_items(tmp_path):
    _roster(tmp_path)
    folder = tmp_path / "2022-11"
    folder.mkdir()
    cur = mc.fin_row("G01-01", "2022-11")
    ly = mc.fin_row("G01-01", "2021-11", 0.9)
    path = folder / "anything.xlsx"
    written = write_kuaibao(path, cur=cur, ly=ly, name="滨江城投建设发展有限公司", code=None, unit="千元", factor=10.0,
                            extra=[("其中：应收利息", 70, None, 5, 5, 4), ("七、其他综合收益的税后净额", 71, None, 1, 9, 8)])
    rep = ing.ingest([tmp_path / "roster.xlsx", path], raw_store=tmp_path / "raw", processed_dir=tmp_path / "p",
                     today=TODAY)
    assert rep.ok, rep.summary_zh()
    unknown = [f for f in rep.findings if f.rule == "kuaibao_item_unknown"]
    assert {f.value for f in unknown} == {"其中：应收利息", "七、其他综合收益的税后净额"}
    assert all(f.row is not None and f.file == "anything.xlsx" and f.sheet == "Sheet1" for f in unknown)
    matched = [f for f in rep.findings if f.rule == "enterprise_matched"]
    assert matched and "G01-01" in matched[0].message
    store = ing.load_processed(tmp_path / "p")
    row = store["financials"].set_index("enterprise_id").loc["G01-01"]
    # 千元 → 万元: ÷ 10; balance from 本月数, flow from 本年累计数
    assert row["total_assets"] == pytest.approx(written["total_assets"][0] / 10)
    assert row["revenue"] == pytest.approx(written["revenue"][0] / 10)
    assert row["revenue"] == pytest.approx(cur["revenue"])
    assert int(row["headcount_end"]) == 500
    lyrow = store["financials_ly"].set_index("enterprise_id").loc["G01-01"]
    assert lyrow["period"] == "2022-11"
    assert lyrow["revenue"] == pytest.approx(ly["revenue"])


# --------------------------------------------------------------------------------------------
# 3. cell semantics
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cell", "fmt", "expected"), [
    (6.17, None, (6.17, None, None)),
    ("6.17%", None, (6.17, "text", "%")),
    (0.0617, "0.00%", (6.17, None, "%")),
    ("１２３．４", None, (123.4, "text", None)),
    ("1,234.5万元", None, (1234.5, "text", "万元")),
    ("12.3亿", None, (12.3, "text", "亿元")),
    ("1.2E+05", None, (120000.0, "text", None)),
    ("(1,234.00)", None, (-1234.0, "text", None)),
    ("无", None, (None, None, None)),
    ("N/A", None, (None, None, None)),
    ("—", None, (None, None, None)),
    ("#DIV/0!", None, (None, "error_value", None)),
])
def test_cell_numbers(cell, fmt, expected):
    x, issue, unit = parse_number(cell, fmt)
    assert (issue, unit) == expected[1:]
    assert (x is None and expected[0] is None) or x == pytest.approx(expected[0])


@pytest.mark.parametrize(("cell", "expected"), [
    (2022.1, (None, "ambiguous")),    # Excel's 2022.10: January or October
    ("2022.1", (None, "ambiguous")),
    (2022.11, ("2022-11", "numeric")),
    (202210, ("2022-10", "numeric")),
    ("2022.10", ("2022-10", None)),
    ("2022年10月", ("2022-10", None)),
])
def test_cell_periods(cell, expected):
    assert parse_period(cell) == expected


def _roster(tmp: Path) -> None:
    write_submission(tmp / "roster.xlsx", {"roster": mc.roster()})


def _ingest(tmp: Path, *paths):
    return ing.ingest([tmp / "roster.xlsx", *paths], raw_store=tmp / "raw", processed_dir=tmp / "p", today=TODAY)


def test_percent_cells_read_alike_and_a_fraction_share_is_a_finding_not_a_guess(tmp_path):
    _roster(tmp_path)
    g = pd.concat([mc.guarantees(guarantee_id=f"GU-{i}", shareholding_pct=70.0) for i in range(4)], ignore_index=True)
    path = tmp_path / "guarantees.xlsx"
    write_submission(path, {"guarantees": g})
    wb = openpyxl.load_workbook(path)
    ws = wb["对外担保"]
    col = mc._col(ws, "担保人持股比例")
    ws.cell(row=4, column=col, value="70%")
    ws.cell(row=5, column=col, value=0.7).number_format = "0%"
    ws.cell(row=6, column=col, value=0.7).number_format = "General"
    wb.save(path)
    rep = _ingest(tmp_path, path)
    bad = [f for f in rep.findings if f.rule == "percent_ambiguous"]
    assert len(bad) == 1 and bad[0].row == 6 and bad[0].column == "担保人持股比例" and bad[0].sheet == "对外担保"
    assert "0.7%" in bad[0].message and "70%" in bad[0].message
    stored = ing.load_processed(tmp_path / "p")["guarantees"].set_index("guarantee_id")
    assert stored["shareholding_pct"].to_dict() == {"GU-0": 70.0, "GU-1": 70.0, "GU-2": pytest.approx(70.0)}
    assert "GU-3" not in stored.index  # quarantined, not read as 0.7 % (a false above-share alert) nor as 70 %


def test_unit_typed_in_a_cell_is_converted_with_a_warning(tmp_path):
    _roster(tmp_path)
    path = tmp_path / "debts.xlsx"
    write_submission(path, {"debts": mc.debts()})
    wb = openpyxl.load_workbook(path)
    mc._set(wb["融资明细"], "期末余额", 3, "0.5亿")
    wb.save(path)
    rep = _ingest(tmp_path, path)
    assert rep.ok and any(f.rule == "unit_in_cell" for f in rep.findings)
    assert ing.load_processed(tmp_path / "p")["debts"]["balance"].iloc[0] == pytest.approx(5000.0)


# --------------------------------------------------------------------------------------------
# 4. cross-checks: period from cells, file name and folder
# --------------------------------------------------------------------------------------------
def test_numeric_month_2022_1_is_never_january(tmp_path):
    _roster(tmp_path)
    path = tmp_path / "fin.xlsx"
    write_submission(path, {"financials": mc.fin(mc.fin_row("G01", "2022-10"))})
    wb = openpyxl.load_workbook(path)
    mc._set(wb["财务快报"], "期间", 3, 2022.1)
    wb.save(path)
    rep = _ingest(tmp_path, path)
    hit = [f for f in rep.findings if f.rule == "period_ambiguous"]
    assert hit and hit[0].row == 3 and hit[0].column == "期间" and hit[0].file == "fin.xlsx"
    fin = ing.load_processed(tmp_path / "p").get("financials")
    assert fin is None or not (fin["period"] == "2022-01").any()


def test_period_mismatch_names_each_cell_that_disagrees(tmp_path):
    """Issue 27: a file rejected for its 期间 lists the cells that disagree with the folder, not only the file."""
    _roster(tmp_path)
    (tmp_path / "2022-11").mkdir()
    path = tmp_path / "2022-11" / "财务快报.xlsx"
    # rows as written by the template: header row 1, units row 2, data from row 3 —
    # row 3 G01 2022-11, row 4 G01 2022-10 (bad), row 5 G01-01 2022-11, row 6 G02 2022-09 (bad), row 7 G02 2022-11
    write_submission(path, {"financials": mc.fin(mc.fin_row("G01", "2022-11"), mc.fin_row("G01", "2022-10"),
                                                 mc.fin_row("G01-01", "2022-11"), mc.fin_row("G02", "2022-09"),
                                                 mc.fin_row("G02", "2022-11"))})
    rep = _ingest(tmp_path, path)
    cells = sorted((f.sheet, f.row, f.column, f.value, f.enterprise_id) for f in rep.errors
                   if f.rule == "period_mismatch" and f.row is not None)
    assert cells == [("财务快报", 4, "期间", "2022-10", "G01"), ("财务快报", 6, "期间", "2022-09", "G02")]
    msg = {f.row: f.message for f in rep.errors if f.rule == "period_mismatch" and f.row is not None}
    assert "第 4 行「期间」为 2022-10" in msg[4] and "文件夹 2022-11" in msg[4]
    sheet_level = [f for f in rep.errors if f.rule == "period_mismatch" and f.row is None and f.sheet == "财务快报"]
    assert len(sheet_level) == 1 and sheet_level[0].value == "2022-09、2022-10"
    assert [f.accepted for f in rep.files if "财务快报" in f.file] == [0]
    assert "financials" not in ing.load_processed(tmp_path / "p")


def test_cells_naming_another_month_than_the_folder_store_nothing(tmp_path):
    _roster(tmp_path)
    (tmp_path / "2022-10").mkdir()
    first = tmp_path / "2022-10" / "G01.xlsx"
    write_submission(first, {"financials": mc.fin(mc.fin_row("G01", "2022-10"))})
    assert _ingest(tmp_path, first).ok
    (tmp_path / "2022-11").mkdir()
    wrong = tmp_path / "2022-11" / "G01.xlsx"
    write_submission(wrong, {"financials": mc.fin(mc.fin_row("G01", "2022-10", 2.0)),
                             "debts": mc.debts(period="2022-11")})
    rep = ing.ingest([wrong], raw_store=tmp_path / "raw", processed_dir=tmp_path / "p", today=TODAY)
    assert any(f.rule == "period_mismatch" and f.sheet == "财务快报" and "2022-10" in f.message for f in rep.errors)
    assert rep.files[0].accepted == 0
    store = ing.load_processed(tmp_path / "p")
    assert store["financials"].set_index("period").loc["2022-10", "total_assets"] == pytest.approx(100000.0)
    assert "debts" not in store


def test_kuaibao_enterprise_is_checked_against_roster_and_file_name(tmp_path):
    _roster(tmp_path)
    folder = tmp_path / "2022-11"
    folder.mkdir()
    cur = mc.fin_row("G01-01", "2022-11")
    # the name matches the roster despite half-width brackets and spaces; the code contradicts it
    write_kuaibao(folder / "a.xlsx", cur=cur, ly=None, name="滨江城投建设发展 有限公司", code="G02")
    # the file name says G02, the cells say G01-01
    write_kuaibao(folder / "G02_滨江交投集团有限公司.xlsx", cur=cur, ly=None, name="滨江城投建设发展有限公司", code=None)
    rep = _ingest(tmp_path, folder / "a.xlsx", folder / "G02_滨江交投集团有限公司.xlsx")
    by_file = {f.file: f for f in rep.errors if f.rule == "enterprise_mismatch"}
    assert set(by_file) == {"a.xlsx", "G02_滨江交投集团有限公司.xlsx"}
    assert "G01-01" in by_file["a.xlsx"].message and "G02" in by_file["a.xlsx"].message
    assert "financials" not in ing.load_processed(tmp_path / "p")


# --------------------------------------------------------------------------------------------
# 5. versions within a batch
# --------------------------------------------------------------------------------------------
def test_correction_in_the_same_batch_wins_whatever_the_name_order(tmp_path):
    _roster(tmp_path)
    folder = tmp_path / "2022-11"
    folder.mkdir()
    original = folder / "G02_财务快报.xlsx"
    correction = folder / "G02_更正_财务快报.xlsx"  # sorts before the original by name
    write_submission(original, {"financials": mc.fin(mc.fin_row("G02", "2022-11"))})
    write_submission(correction, {"financials": mc.fin(mc.fin_row("G02", "2022-11", 1.5))})
    os.utime(correction, (1_600_000_000, 1_600_000_000))  # even when copied earlier
    rep = ing.ingest([folder, tmp_path / "roster.xlsx"], raw_store=tmp_path / "raw", processed_dir=tmp_path / "p",
                     today=TODAY)
    assert rep.ok, rep.summary_zh()
    fin = ing.load_processed(tmp_path / "p")["financials"]
    assert fin["total_assets"].tolist() == [pytest.approx(150000.0)]
    decision = [f for f in rep.findings if f.rule == "version_superseded"]
    assert len(decision) == 1 and decision[0].file == correction.name and original.name in decision[0].message


def test_later_file_wins_by_mtime(tmp_path):
    _roster(tmp_path)
    folder = tmp_path / "2022-11"
    folder.mkdir()
    a, b = folder / "a.xlsx", folder / "b.xlsx"
    write_submission(a, {"financials": mc.fin(mc.fin_row("G02", "2022-11", 2.0))})
    write_submission(b, {"financials": mc.fin(mc.fin_row("G02", "2022-11", 1.0))})
    os.utime(a, (1_700_000_000, 1_700_000_000))
    os.utime(b, (1_600_000_000, 1_600_000_000))
    rep = _ingest(tmp_path, folder)
    assert ing.load_processed(tmp_path / "p")["financials"]["total_assets"].tolist() == [pytest.approx(200000.0)]
    assert any(f.rule == "version_superseded" and "修改时间较晚" in f.message for f in rep.findings)


@pytest.mark.parametrize("same_batch", [True, False])
def test_correction_with_a_bad_row_keeps_the_accepted_version_of_that_row(tmp_path, same_batch):
    _roster(tmp_path)
    folder = tmp_path / "2022-11"
    folder.mkdir()
    orig = pd.concat([mc.projects(project_id="P1", completed_ytd=6000.0),
                      mc.projects(project_id="P2", completed_ytd=1000.0)], ignore_index=True)
    fix = pd.concat([mc.projects(project_id="P1", completed_ytd=6500.0),
                     mc.projects(project_id="P2", completed_ytd=1200.0, project_type="火箭发射")], ignore_index=True)
    write_submission(folder / "G01_项目.xlsx", {"projects": orig})
    write_submission(folder / "G01_项目_更正.xlsx", {"projects": fix})
    if same_batch:
        rep = _ingest(tmp_path, folder)
    else:
        assert _ingest(tmp_path, folder / "G01_项目.xlsx").ok
        rep = ing.ingest([folder / "G01_项目_更正.xlsx"], raw_store=tmp_path / "raw", processed_dir=tmp_path / "p",
                         today=TODAY)
    proj = ing.load_processed(tmp_path / "p")["projects"].set_index("project_id")
    assert proj.loc["P1", "completed_ytd"] == pytest.approx(6500.0)
    assert proj.loc["P2", "completed_ytd"] == pytest.approx(1000.0)  # the earlier accepted version stays
    kept = [f for f in rep.findings if f.rule == "correction_kept_previous"]
    assert kept and "P2" in kept[0].message
    assert any(f.rule == "vocabulary" and f.column == "项目类型" for f in rep.errors)


# --------------------------------------------------------------------------------------------
# 6. sheets and formats
# --------------------------------------------------------------------------------------------
def test_renamed_sheet_is_read_by_its_header_and_unknown_data_is_an_error(tmp_path):
    _roster(tmp_path)
    path = tmp_path / "wps.xlsx"
    write_submission(path, {"financials": mc.fin(mc.fin_row("G01", "2022-11"))})
    wb = openpyxl.load_workbook(path)
    wb["财务快报"].title = "Sheet1"
    other = wb.create_sheet("备用")
    other.append(["甲", "乙"])
    other.append([1, 2])
    wb.save(path)
    rep = _ingest(tmp_path, path)
    assert any(f.rule == "sheet_recognised" and f.sheet == "Sheet1" for f in rep.findings)
    assert [f.sheet for f in rep.errors if f.rule == "sheet_unknown_data"] == ["备用"]
    assert ing.load_processed(tmp_path / "p")["financials"]["total_assets"].tolist() == [pytest.approx(100000.0)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_and_any_file_name(tmp_path, encoding):
    _roster(tmp_path)
    df = mc.fin(mc.fin_row("G02", "2022-11"))
    labels = contract.labels_zh("financials")
    units = {labels[f]: "单位：万元" for f in contract.money_fields("financials")}
    out = pd.concat([pd.DataFrame([units]), df.rename(columns=labels)], ignore_index=True)
    path = tmp_path / "upload.csv"
    out.to_csv(path, index=False, encoding=encoding)
    rep = _ingest(tmp_path, path)
    assert rep.ok, rep.summary_zh()
    assert ing.load_processed(tmp_path / "p")["financials"]["total_assets"].tolist() == [pytest.approx(100000.0)]


def test_roster_by_content_is_ingested_first(tmp_path):
    write_submission(tmp_path / "0_names.xlsx", {"roster": mc.roster()})
    (tmp_path / "2022-11").mkdir()
    write_submission(tmp_path / "2022-11" / "a.xlsx", {"financials": mc.fin(mc.fin_row("G02", "2022-11"))})
    rep = ing.ingest([tmp_path / "2022-11" / "a.xlsx", tmp_path / "0_names.xlsx"], raw_store=tmp_path / "raw",
                     processed_dir=tmp_path / "p", today=TODAY)
    assert rep.ok and not any(f.rule == "roster_unavailable" for f in rep.findings)


# --------------------------------------------------------------------------------------------
# 7. every finding reachable
# --------------------------------------------------------------------------------------------
def test_ingest_command_writes_findings_csv_and_xlsx(tmp_path, capsys):
    _roster(tmp_path)
    (tmp_path / "2022-11").mkdir()
    path = tmp_path / "2022-11" / "fin.xlsx"
    write_submission(path, {"financials": mc.fin(mc.fin_row("G01", "2022-11"))})
    wb = openpyxl.load_workbook(path)
    mc._set(wb["财务快报"], "期间", 3, 2022.1)
    wb.save(path)
    code = ingest_command(tmp_path, findings_out=tmp_path / "out" / "问题清单.csv")
    assert code == 1
    text = capsys.readouterr().out
    assert str(tmp_path / "out" / "问题清单.csv") in text and str(tmp_path / "out" / "问题清单.xlsx") in text
    xlsx = pd.read_excel(tmp_path / "out" / "问题清单.xlsx", engine="openpyxl")
    csv = pd.read_csv(tmp_path / "out" / "问题清单.csv", encoding="utf-8-sig")
    assert len(xlsx) == len(csv) and "period_ambiguous" in set(xlsx["规则"])


def test_light_read_takes_percent_formats_from_the_styles_and_leaves_formulas_to_openpyxl(tmp_path):
    """Issue 27: the light .xlsx read (python-calamine + styles) sees what openpyxl saw where it matters."""
    import io
    import zipfile

    from guozi_analysis.intake.xlsx import open_light, percent_styles

    styles = (b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<numFmts count="2"><numFmt numFmtId="164" formatCode="0.0%"/>'
              b'<numFmt numFmtId="165" formatCode="0&quot;%&quot;"/></numFmts>'
              b'<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="10"/><xf numFmtId="164"/><xf numFmtId="165"/>'
              b'<xf numFmtId="9"/></cellXfs></styleSheet>')
    # style 1 = built-in 10 (0.00%), 2 = custom 0.0%, 4 = built-in 9 (0%); 3 shows a literal "%" (not a percentage)
    assert percent_styles(styles) == {1: "0.00%", 2: "0.0%", 4: "0%"}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "担保"
    ws.append(["持股比例", "金额"])
    ws.append([0.7, 5])
    ws["A2"].number_format = "0.00%"
    ws.append([None, 2.5])
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    data = plain.read_bytes()
    light = open_light(data, zipfile.ZipFile(io.BytesIO(data)))
    sheet = light.sheets[0]
    rows = light.rows(sheet)
    # as openpyxl gives them: the whole number 5 an int, an empty cell None
    assert rows == [("持股比例", "金额"), (0.7, 5), (None, 2.5)] and type(rows[1][1]) is int
    assert light.formats(sheet, rows) == [(None, None), ("0.00%", None), (None, None)]
    ws["B3"] = "=B2*2"
    formula = tmp_path / "formula.xlsx"
    wb.save(formula)
    data = formula.read_bytes()
    assert open_light(data, zipfile.ZipFile(io.BytesIO(data))) is None
