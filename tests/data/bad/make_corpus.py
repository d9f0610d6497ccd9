"""Generate the bad-input corpus and its expectations (``expected.yaml``).

Run from the project root: ``.venv/bin/python tests/data/bad/make_corpus.py``.
Every file is a small malformed submission of the synthetic district (enterprises G01,
G01-01, G02; reference date 2022-12-05). ``_roster.xlsx`` and ``_baseline.xlsx`` (good
data for 2022-08..2022-10) are ingested first; each case is then ingested on its own
into a copy of that store. The 100k-row case is generated at test time, not here.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import yaml
from openpyxl import Workbook, load_workbook

from guozi_analysis.base import contract
from guozi_analysis.intake.template import write_submission

HERE = Path(__file__).resolve().parent
TODAY = "2022-12-05"


def roster() -> pd.DataFrame:
    return pd.DataFrame({
        "enterprise_id": ["G01", "G01-01", "G02"],
        "name": ["滨江城投集团有限公司", "滨江城投建设发展有限公司", "滨江交投集团有限公司"],
        "short_name": ["滨江城投", "城投建设", "滨江交投"],
        "parent_id": [None, "G01", None],
        "level": [1, 2, 1],
        "industry_class": ["非工业", "非工业", "非工业"],
        "function_class": ["功能类", "竞争类", "功能类"],
        "shareholding_pct": [100.0, 100.0, 100.0],
        "is_group": [True, False, True],
    })


def fin_row(eid: str, period: str, scale: float = 1.0, month: int | None = None) -> dict:
    """A consistent 财务快报 row (万元); YTD flows grow with the month."""
    m = month or int(period[5:7])
    row = {f: 0.0 for f in contract.money_fields("financials")}
    row.update(
        enterprise_id=eid, period=period,
        total_assets=100000.0 * scale, current_assets=40000.0 * scale, cash=8000.0 * scale,
        accounts_receivable=6000.0 * scale, inventory=9000.0 * scale, contract_assets=1000.0 * scale,
        total_liabilities=62000.0 * scale, current_liabilities=30000.0 * scale,
        short_term_borrowings=5000.0 * scale, notes_payable=500.0 * scale,
        current_portion_long_term_debt=3000.0 * scale, long_term_borrowings=20000.0 * scale,
        bonds_payable=10000.0 * scale, other_interest_bearing_debt=1000.0 * scale,
        total_equity=38000.0 * scale, minority_equity=2000.0 * scale, paid_in_capital=20000.0 * scale,
        state_capital=30000.0 * scale,
        revenue=1000.0 * m * scale, operating_cost=800.0 * m * scale, taxes_and_surcharges=10.0 * m * scale,
        selling_expenses=20.0 * m * scale, admin_expenses=50.0 * m * scale, rd_expenses=10.0 * m * scale,
        financial_expenses=40.0 * m * scale, interest_expense=45.0 * m * scale,
        capitalized_interest=5.0 * m * scale, other_gains=0.0,
        operating_profit=70.0 * m * scale, investment_income=5.0 * m * scale,
        non_operating_income=2.0 * m * scale, non_operating_expenses=1.0 * m * scale,
        total_profit=71.0 * m * scale, income_tax=11.0 * m * scale, net_profit=60.0 * m * scale,
        net_profit_parent=55.0 * m * scale, employee_compensation=90.0 * m * scale,
        depreciation=30.0 * m * scale, taxes_payable_total=40.0 * m * scale, taxes_paid=35.0 * m * scale,
        rd_investment=12.0 * m * scale, cash_from_sales=950.0 * m * scale,
        operating_cash_inflow=1000.0 * m * scale, net_operating_cash_flow=60.0 * m * scale,
        state_capital_objective_increase=0.0, state_capital_objective_decrease=0.0,
        headcount_end=500, headcount_avg=490,
    )
    return row


def fin(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def debts(**override) -> pd.DataFrame:
    row = dict(debt_id="D-G01-001", enterprise_id="G01", period="2022-11", instrument_type="银行贷款",
               is_direct_financing=False, balance=5000.0, annual_rate=4.2,
               issue_date=pd.Timestamp("2021-03-01"), maturity_date=pd.Timestamp("2024-02-28"))
    row.update(override)
    return pd.DataFrame([row])


def projects(**override) -> pd.DataFrame:
    row = dict(project_id="P-G01-001", enterprise_id="G01", period="2022-11-H2", project_name="滨江大道改造工程",
               project_type="基础设施", status="续建", is_city_key=True, is_strategic_emerging=False,
               total_investment=50000.0, annual_plan=8000.0, completed_ytd=6000.0, completed_cumulative=30000.0,
               start_date=pd.Timestamp("2021-05-01"), planned_end_date=pd.Timestamp("2024-12-31"))
    row.update(override)
    return pd.DataFrame([row])


def guarantees(**override) -> pd.DataFrame:
    row = dict(guarantee_id="GU-G01-001", guarantor_id="G01", period="2022-11", beneficiary_name="滨江城投建设发展有限公司",
               beneficiary_id="G01-01", relation="全资子企业", shareholding_pct=100.0, guaranteed_debt=3000.0,
               amount=3000.0, start_date=pd.Timestamp("2022-01-10"), end_date=pd.Timestamp("2025-01-09"))
    row.update(override)
    return pd.DataFrame([row])


def good_nov() -> pd.DataFrame:
    return fin(fin_row("G01", "2022-11"), fin_row("G01-01", "2022-11", 0.3))


def _save(path: Path, wb: Workbook) -> None:
    wb.save(path)


def _edit(path: Path, fn) -> None:
    wb = load_workbook(path)
    fn(wb)
    wb.save(path)


def _set(ws, header: str, row: int, value) -> None:
    for c in ws[1]:
        if c.value == header:
            ws.cell(row=row, column=c.column, value=value)
            return
    raise KeyError(header)


def _col(ws, header: str) -> int:
    for c in ws[1]:
        if c.value == header:
            return c.column
    raise KeyError(header)


def build() -> dict:
    """Write every file; return the expectations."""
    cases: dict[str, dict] = {}
    out = HERE

    write_submission(out / "_roster.xlsx", {"roster": roster()})
    base = fin(*[fin_row(e, p, s) for p in ("2022-08", "2022-09", "2022-10")
                 for e, s in (("G01", 1.0), ("G01-01", 0.3))], fin_row("G02", "2022-08", 0.5))
    proj_base = projects(period="2022-11-H1", completed_ytd=5500.0, completed_cumulative=29500.0)
    write_submission(out / "_baseline.xlsx", {"financials": base, "projects": proj_base})

    def case(name, rule, *, column=None, accepted=None, quarantined=None, note=""):
        cases[name] = {k: v for k, v in dict(rule=rule, column=column, accepted=accepted,
                                             quarantined=quarantined, note=note).items() if v is not None and v != ""}

    # --- structure ---------------------------------------------------------------------------
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.active.append(["企业编码", "期间", "资产总额"])
    wb.active.append(["G01", "2022-11", 100.0])
    _save(out / "missing_sheet.xlsx", wb)
    case("missing_sheet.xlsx", "sheet_missing", accepted=0, note="no sheet carries a contract table name")

    p = write_submission(out / "renamed_column.xlsx", {"financials": good_nov()})
    _edit(p, lambda wb: _set(wb["财务快报"], "资产总额", 1, "资产总计"))
    case("renamed_column.xlsx", "column_renamed", column="资产总额", accepted=0, quarantined=2)

    df = good_nov().drop(columns=["total_liabilities"])
    write_submission(out / "missing_column.xlsx", {"financials": df})
    case("missing_column.xlsx", "column_missing", column="负债总额", accepted=0, quarantined=2)

    def merge(wb):
        ws = wb["财务快报"]
        ws.insert_rows(1)
        ws.cell(row=1, column=3, value="资产负债表（期末数）")
        ws.merge_cells(start_row=1, start_column=3, end_row=1, end_column=21)
    p = write_submission(out / "merged_header.xlsx", {"financials": good_nov()})
    _edit(p, merge)
    case("merged_header.xlsx", "header_merged", accepted=0)

    p = write_submission(out / "missing_units_row.xlsx", {"financials": good_nov()})
    _edit(p, lambda wb: wb["财务快报"].delete_rows(2))
    case("missing_units_row.xlsx", "units_row_missing", accepted=2, note="data start at row 2, money read as 万元")

    write_submission(out / "unknown_unit.xlsx", {"financials": good_nov()}, units={"revenue": "单位：美元"})
    case("unknown_unit.xlsx", "unit_unknown", column="营业总收入", accepted=0)

    # --- cells ---------------------------------------------------------------------------------
    p = write_submission(out / "text_in_numeric.xlsx", {"financials": good_nov()})
    _edit(p, lambda wb: _set(wb["财务快报"], "营业总收入", 3, "暂无"))
    case("text_in_numeric.xlsx", "not_a_number", column="营业总收入", accepted=1, quarantined=1)

    def thousands(wb):
        ws = wb["财务快报"]
        _set(ws, "资产总额", 3, "100,000.0")
        _set(ws, "负债总额", 3, "62,000")
        _set(ws, "所有者权益合计", 3, "38,000.00")
    p = write_submission(out / "thousands_text.xlsx", {"financials": good_nov()})
    _edit(p, thousands)
    case("thousands_text.xlsx", "number_as_text", column="资产总额", accepted=2,
         note="“1,234.5” is read as a number, one warning per column")

    p = write_submission(out / "not_integer.xlsx", {"financials": good_nov()})
    _edit(p, lambda wb: _set(wb["财务快报"], "从业人员期末人数", 4, 12.5))
    case("not_integer.xlsx", "not_an_integer", column="从业人员期末人数", accepted=1, quarantined=1)

    def dates(wb):
        ws = wb["融资明细"]
        ws.append(["D-G01-002", "G01", "2022-11", "企业债券", "是", 8000.0, 3.9, 44562, "2027/01/01"])
        ws.append(["D-G01-003", "G01", "2022-11", "中期票据", "是", 6000.0, 3.5, "2022年3月15日", "2022-13-45"])
    p = write_submission(out / "dates.xlsx", {"debts": debts()})
    _edit(p, dates)
    case("dates.xlsx", "not_a_date", column="到期日", accepted=2, quarantined=1,
         note="Excel dates, serial numbers, 2027/01/01 and 2022年3月15日 are read; 2022-13-45 is not a date")

    p = write_submission(out / "bad_bool.xlsx", {"debts": debts()})
    _edit(p, lambda wb: _set(wb["融资明细"], "是否直接融资", 3, "可能"))
    case("bad_bool.xlsx", "not_a_bool", column="是否直接融资", accepted=0, quarantined=1)

    write_submission(out / "bad_vocabulary.xlsx", {"debts": debts(instrument_type="银行借款")})
    case("bad_vocabulary.xlsx", "vocabulary", column="融资品种", accepted=0, quarantined=1)

    p = write_submission(out / "bad_period.xlsx", {"financials": good_nov()})
    _edit(p, lambda wb: _set(wb["财务快报"], "期间", 3, "2022年13月"))
    case("bad_period.xlsx", "period_format", column="期间", accepted=1, quarantined=1)

    write_submission(out / "half_month_period.xlsx", {"projects": projects(period="2022-11")})
    case("half_month_period.xlsx", "period_frequency", column="期间", accepted=0, quarantined=1)

    def formulas(wb):
        ws = wb["财务快报"]
        c = _col(ws, "资产总额")
        from openpyxl.utils import get_column_letter
        liab, eq = get_column_letter(_col(ws, "负债总额")), get_column_letter(_col(ws, "所有者权益合计"))
        ws.cell(row=3, column=c, value=f"={liab}3+{eq}3")
    p = write_submission(out / "formulas.xlsx", {"financials": good_nov()})
    _edit(p, formulas)
    case("formulas.xlsx", "formula_no_value", column="资产总额", accepted=1, quarantined=1,
         note="written by a program: the formula has no cached result")

    p = write_submission(out / "hidden_sheet.xlsx", {"financials": good_nov()})
    def hide(wb):
        wb.create_sheet("填报说明", 0).append(["财务快报工作表已隐藏"])
        wb["财务快报"].sheet_state = "hidden"
    _edit(p, hide)
    case("hidden_sheet.xlsx", "sheet_hidden", accepted=2, note="hidden contract sheets are read, with a warning")

    p = write_submission(out / "total_row.xlsx", {"financials": good_nov()})
    _edit(p, lambda wb: wb["财务快报"].append(["合计", None, 130000.0]))
    case("total_row.xlsx", "total_row_dropped", accepted=2, note="trailing 合计 row dropped")

    # --- values and rules ---------------------------------------------------------------------
    write_submission(out / "wrong_units.xlsx", {"financials": good_nov()}, units={
        f: "单位：元" for f in contract.money_fields("financials")})
    case("wrong_units.xlsx", "unit_jump", accepted=0,
         note="元 declared over 万元 values: every amount ×1e-4 against 2022-10 (warning); the YTD flows then "
              "fall below 2022-10, which blocks the rows (ytd_decrease)")

    r = fin_row("G01", "2022-11")
    r["total_assets"] += 0.0001  # 1 元
    write_submission(out / "identity_1yuan.xlsx", {"financials": fin(r)})
    case("identity_1yuan.xlsx", None, accepted=1, note="an imbalance of 1 元 passes")

    r = fin_row("G01", "2022-11")
    r["total_assets"] *= 1.01
    write_submission(out / "identity_1pct.xlsx", {"financials": fin(r)})
    case("identity_1pct.xlsx", "identity_balance", column="资产总额", accepted=0, quarantined=1)

    r = fin_row("G01-01", "2022-11", 0.3)
    r["total_assets"], r["total_liabilities"], r["total_equity"] = -100.0, -60.0, -40.0
    write_submission(out / "negative_assets.xlsx", {"financials": fin(r)})
    case("negative_assets.xlsx", "negative_value", column="资产总额", accepted=0, quarantined=1)

    write_submission(out / "future_period.xlsx", {"financials": fin(fin_row("G01", "2022-12"))})
    case("future_period.xlsx", "future_period", column="期间", accepted=0, quarantined=1)

    write_submission(out / "unknown_enterprise.xlsx", {"financials": fin(fin_row("G99", "2022-11"))})
    case("unknown_enterprise.xlsx", "unknown_enterprise", column="企业编码", accepted=0, quarantined=1)

    write_submission(out / "duplicate_rows.xlsx", {"financials": fin(fin_row("G01", "2022-11"), fin_row("G01", "2022-11"))})
    case("duplicate_rows.xlsx", "duplicate_row", accepted=1, note="identical copy dropped with a warning")

    write_submission(out / "duplicate_key.xlsx",
                     {"financials": fin(fin_row("G01", "2022-11"), fin_row("G01", "2022-11", 1.1))})
    case("duplicate_key.xlsx", "duplicate_key", accepted=0, quarantined=2)

    r = fin_row("G01", "2022-11")
    r["revenue"] = 5000.0  # 2022-10 had 10,000
    r["operating_profit"] -= 0  # keep the chain as is
    write_submission(out / "ytd_decrease.xlsx", {"financials": fin(r)})
    case("ytd_decrease.xlsx", "ytd_decrease", column="营业总收入", accepted=0, quarantined=1)

    write_submission(out / "period_gap.xlsx", {"financials": fin(fin_row("G02", "2022-11", 0.5))})
    case("period_gap.xlsx", "period_gap", column="期间", accepted=1, note="G02 last reported 2022-08")

    write_submission(out / "project_over_total.xlsx", {"projects": projects(completed_cumulative=52000.0)})
    case("project_over_total.xlsx", "project_cumulative_exceeds_total", column="开累完成投资", accepted=0, quarantined=1)

    write_submission(out / "guarantor_unknown.xlsx", {"guarantees": guarantees(guarantor_id="G77")})
    case("guarantor_unknown.xlsx", "guarantor_unknown", column="担保人企业编码", accepted=0, quarantined=1)

    # --- files ----------------------------------------------------------------------------------
    (out / "empty.xlsx").write_bytes(b"")
    case("empty.xlsx", "file_empty", accepted=0)

    (out / "not_excel.xlsx").write_text("企业编码,期间,资产总额\nG01,2022-11,100\n", encoding="utf-8")
    case("not_excel.xlsx", "file_not_excel", accepted=0, note="a CSV text renamed to .xlsx")

    ole = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    ole += "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    ole += b"\x00" * (2048 - len(ole))
    (out / "encrypted.xlsx").write_bytes(bytes(ole))
    case("encrypted.xlsx", "file_encrypted", accepted=0, note="OLE container with EncryptionInfo: password set")

    legacy = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    legacy += "Workbook".encode("utf-16-le") + b"\x00" * (2048 - len(legacy) - 16)
    (out / "legacy.xls").write_bytes(bytes(legacy))
    case("legacy.xls", "file_legacy_xls", accepted=0)

    tmp = out / "_tmp_good.xlsx"
    write_submission(tmp, {"financials": good_nov()})
    data = tmp.read_bytes()
    tmp.unlink()
    (out / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    case("truncated.xlsx", "file_corrupt", accepted=0, note="zip cut in half")

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "不是工作簿")
    (out / "zip_not_workbook.xlsx").write_bytes(buf.getvalue())
    case("zip_not_workbook.xlsx", "file_not_excel", accepted=0)

    (out / "mystery.csv").write_text("企业编码,期间\nG01,2022-11\n", encoding="utf-8")
    case("mystery.csv", "file_unknown_table", accepted=0, note="CSV name names no table")

    return cases


def main() -> None:
    for p in HERE.iterdir():
        if p.is_file() and p.name not in ("make_corpus.py", "expected.yaml"):
            p.unlink()
    cases = build()
    doc = {
        "today": TODAY,
        "setup": ["_roster.xlsx", "_baseline.xlsx"],
        "cases": cases,
    }
    header = ("# Expected outcome of each bad submission (generated by make_corpus.py).\n"
              "# rule: a finding that must be reported (null: none with severity 错误); column: its Chinese header;\n"
              "# accepted / quarantined: rows that reach the processed store / the quarantine.\n")
    (HERE / "expected.yaml").write_text(header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                        encoding="utf-8")
    print(f"{len(cases)} cases → {HERE}")


if __name__ == "__main__":
    main()
