"""guozi_analysis.template: sheets, headers, units line, drop-downs, pre-filled enterprises."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).parent / "data" / "bad"))
import make_corpus as mc  # noqa: E402

from guozi_analysis.base import contract
from guozi_analysis.intake.template import template_command, template_tables, write_template


def test_sheets_per_period_kind():
    monthly = template_tables("2022-11")
    assert "financials" in monthly and "ratings" in monthly
    assert not {"roster", "targets", "projects"} & set(monthly)
    assert template_tables("2022-11-H1") == ["projects"]
    with pytest.raises(ValueError, match="期间格式错误"):
        template_tables("2022-13")


def test_monthly_template_layout(tmp_path):
    path = write_template(tmp_path / "t.xlsx", period="2022-11", enterprise_id="G01", roster=mc.roster())
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "填报说明"
    ws = wb["财务快报"]
    t = contract.table("financials")
    assert [c.value for c in ws[1]] == [f.label_zh for f in t.fields]
    units = {h.value: u.value for h, u in zip(ws[1], ws[2])}
    assert units["资产总额"] == "单位：万元" and units["从业人员期末人数"] == "单位：人" and units["企业编码"] is None
    # the enterprise and its subsidiary, not G02
    assert [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in (3, 4, 5)] == [
        ("G01", "2022-11"), ("G01-01", "2022-11"), (None, None)]
    debts = wb["融资明细"]
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in debts.data_validations.dataValidation
             if dv.type == "list"}
    assert lists["D"] == '"银行贷款,企业债券,中期票据,短期融资券,融资租赁,信托及其他非标"'
    assert lists["E"] == '"是,否"'
    assert lists["C"] == '"2022-11"'
    assert lists["B"].startswith("='填报说明'!$A$")
    assert "guozi-template" in wb.properties.keywords


def test_half_month_template_and_command(tmp_path):
    out = template_command("2022-11-H1", None, tmp_path / "h.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["填报说明", "固定资产投资项目"]
    dv = [d for d in wb["固定资产投资项目"].data_validations.dataValidation if d.formula1 == '"2022-11-H1,2022-11-H2"']
    assert dv


def test_unknown_enterprise_is_refused(tmp_path):
    with pytest.raises(ValueError, match="不在企业名录"):
        write_template(tmp_path / "x.xlsx", period="2022-11", enterprise_id="G42", roster=mc.roster())


def test_missing_sheet_of_a_template_is_named(tmp_path):
    """Deleting a sheet from a template is reported as sheet_missing for that sheet."""
    from guozi_analysis.intake.ingestion import read_submission

    path = write_template(tmp_path / "t.xlsx", period="2022-11", enterprise_id="G02", roster=mc.roster())
    wb = load_workbook(path)
    del wb["对外担保"]
    wb.save(path)
    _, findings, _ = read_submission(path)
    missing = [f for f in findings if f.rule == "sheet_missing"]
    assert [f.sheet for f in missing] == ["对外担保"]


def test_instructions_explain_the_colours(tmp_path):
    """issue 28: the 填报说明 sheet says what the header colours mean, in those colours."""
    path = write_template(tmp_path / "t.xlsx", period="2022-11", enterprise_id="G01", roster=mc.roster())
    wb = load_workbook(path)
    notes = {c.value: c.fill.fgColor.rgb for c in wb["填报说明"]["A"] if isinstance(c.value, str)}
    required = next(t for t in notes if "橙色" in t)
    optional = next(t for t in notes if "蓝色" in t)
    assert "必填" in required and "选填" in optional
    header = {c.value: c.fill.fgColor.rgb for c in wb["财务快报"][1]}
    required_field = contract.table("financials").field("enterprise_id")
    optional_field = next(f for f in contract.table("financials").fields if not f.required)
    assert required_field.required
    assert notes[required] == header[required_field.label_zh] == "00FCE4D6"
    assert notes[optional] == header[optional_field.label_zh] == "00DDEBF7"


def test_out_adds_xlsx_or_takes_a_folder(tmp_path):
    """issue 28: ``guozi template --out …/tpl`` writes tpl.xlsx; ``--out`` an existing folder names the file."""
    from guozi_analysis.intake.template import template_path

    assert template_path(tmp_path / "tpl", period="2022-11") == tmp_path / "tpl.xlsx"
    assert template_path(tmp_path / "tpl.XLSX", period="2022-11") == tmp_path / "tpl.XLSX"
    assert template_path(tmp_path, period="2022-11", enterprise_id="G01") == tmp_path / "报送模板_2022-11_G01.xlsx"
    assert template_path(f"{tmp_path / 'new'}/", period="2022-11") == tmp_path / "new" / "报送模板_2022-11_全区.xlsx"
    out = template_command("2022-11", None, tmp_path / "tpl")
    assert out == tmp_path / "tpl.xlsx" and load_workbook(out).sheetnames[0] == "填报说明"
