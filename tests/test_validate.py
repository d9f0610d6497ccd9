"""Rule families of guozi_analysis.validate, on small hand-made frames."""

from __future__ import annotations

from datetime import date

import pandas as pd

from guozi_analysis.intake import validate as v


def fin(**over) -> pd.DataFrame:
    base = dict(enterprise_id=["G01"], period=["2022-11"], total_assets=[1000.0], total_liabilities=[600.0],
                total_equity=[400.0], revenue=[500.0], operating_profit=[50.0], non_operating_income=[2.0],
                non_operating_expenses=[1.0], total_profit=[51.0], income_tax=[11.0], net_profit=[40.0])
    base.update({k: [x] if not isinstance(x, list) else x for k, x in over.items()})
    n = max(len(x) for x in base.values())
    return pd.DataFrame({k: x * n if len(x) == 1 else x for k, x in base.items()})


def rules(findings) -> list[str]:
    return [f.rule for f in findings]


def test_identity_tolerance_one_yuan_passes_one_percent_fails():
    # 1 元 = 0.0001 万元 off: passes; 0.5 万元 off: passes (absolute tolerance); 1 % off: fails
    ok = fin(total_assets=[1000.0001, 1000.5])
    assert v.check_identities(ok) == []
    bad = fin(total_assets=[1010.0])
    (f,) = v.check_identities(bad)
    assert (f.rule, f.severity, f.column, f.row) == ("identity_balance", "错误", "资产总额", 3)
    assert "相差 10.00 万元" in f.message
    # relative tolerance: 0.01 % of 100 亿 (1,000,000 万元) is 100 万元
    big = fin(total_assets=[1_000_080.0], total_liabilities=[600_000.0], total_equity=[400_000.0])
    assert v.check_identities(big) == []


def test_profit_chain_is_a_warning():
    (f,) = v.check_identities(fin(net_profit=[45.0]))
    assert (f.rule, f.severity) == ("identity_profit", "警告")


def test_schema_finds_every_failure_at_once():
    df = fin(total_assets=[-5.0, 1000.0], enterprise_id=["G01", None], period=["2022-11", "2022-13"])
    got = sorted((f.rule, f.row) for f in v.check_schema(df, "financials") if f.row is not None)
    assert got == [("negative_value", 3), ("period_format", 4), ("required_missing", 4)]
    # the missing required columns of this partial frame are reported per column
    missing = [f for f in v.check_schema(df, "financials") if f.rule == "column_missing"]
    assert "流动资产" in {f.column for f in missing}


def test_vocabulary_message_lists_allowed_values():
    df = pd.DataFrame({"item_id": ["R1"], "enterprise_id": ["G01"], "period": ["2022-11"],
                       "item_type": ["混改"], "status": ["推进中"], "completed_date": [pd.NaT]})
    df["completed_date"] = df["completed_date"].astype("datetime64[ns]")
    (f,) = v.check_schema(df, "reforms")
    assert f.rule == "vocabulary" and f.column == "改革类型" and "混合所有制改革" in f.message


def test_ytd_decrease_within_year_only():
    hist = fin(period=["2022-09", "2022-10"], revenue=[400.0, 450.0])
    now = fin(revenue=[449.8])  # fall of 0.2 万元: rounding, passes
    assert v.check_ytd_monotonic(now, "financials", history=hist) == []
    (f,) = v.check_ytd_monotonic(fin(revenue=[300.0]), "financials", history=hist)
    assert (f.rule, f.column, f.value) == ("ytd_decrease", "营业总收入", 300.0)
    assert "2022-10" in f.message
    # a new year starts again from zero
    jan_feb = fin(period=["2023-02"], revenue=[90.0])
    assert v.check_ytd_monotonic(jan_feb, "financials", history=hist) == []
    # a resubmission of 2022-10 is compared with 2022-09, not with itself
    resub = fin(period=["2022-10"], revenue=[420.0])
    assert v.check_ytd_monotonic(resub, "financials", history=hist) == []


def test_period_gap_skips_january():
    hist = fin(period=["2021-11", "2021-12"])
    assert v.check_period_continuity(fin(period=["2022-02"]), history=hist) == []
    (f,) = v.check_period_continuity(fin(period=["2022-04"]), history=hist)
    assert f.rule == "period_gap" and "2022-02、2022-03" in f.message
    (j,) = v.check_period_continuity(fin(period=["2022-01"]), history=hist)
    assert j.rule == "january_reported"


def test_unit_jump_row_and_cell():
    hist = fin(period=["2022-10"])
    scaled = fin(**{c: [x * 1e-4] for c, x in fin().iloc[0].items() if isinstance(x, float)})
    (f,) = v.check_unit_jumps(scaled, "financials", history=hist)
    assert f.rule == "unit_jump" and f.severity == "警告" and "缩小" in f.message
    one = fin(revenue=[500.0 * 1e4])
    (g,) = v.check_unit_jumps(one, "financials", history=hist)
    assert g.column == "营业总收入"
    assert v.check_unit_jumps(fin(revenue=[900.0]), "financials", history=hist) == []


def test_duplicates_identical_vs_conflicting():
    same = fin(enterprise_id=["G01", "G01"])
    (f,) = v.check_duplicates(same, "financials")
    assert (f.rule, f.row, f.severity) == ("duplicate_row", 4, "警告")
    conflict = fin(enterprise_id=["G01", "G01"], revenue=[1.0, 2.0])
    got = v.check_duplicates(conflict, "financials")
    assert [(x.rule, x.row) for x in got] == [("duplicate_key", 3), ("duplicate_key", 4)]


def test_future_period_and_frequency():
    df = fin(period=["2022-11", "2022-12"])
    (f,) = v.check_periods(df, "financials", today=date(2022, 12, 5))
    assert (f.rule, f.row, f.value) == ("future_period", 4, "2022-12")
    proj = pd.DataFrame({"project_id": ["P1"], "period": ["2022-11"]})
    (g,) = v.check_periods(proj, "projects", today=date(2022, 12, 5))
    assert g.rule == "period_frequency"
    # H1 closes on the 15th
    proj = pd.DataFrame({"project_id": ["P1", "P1"], "period": ["2022-12-H1", "2022-12-H2"]})
    assert rules(v.check_periods(proj, "projects", today=date(2022, 12, 15))) == ["future_period"]


def test_roster_and_cross_table():
    roster = pd.DataFrame({"enterprise_id": ["G01", "G01-01"]})
    (f,) = v.check_enterprises(fin(enterprise_id=["G09"]), "financials", roster)
    assert f.rule == "unknown_enterprise" and f.value == "G09"
    guar = pd.DataFrame({"guarantee_id": ["A"], "guarantor_id": ["G77"], "period": ["2022-11"],
                         "beneficiary_id": ["X1"]})
    assert rules(v.check_enterprises(guar, "guarantees", roster)) == ["guarantor_unknown"]
    proj = pd.DataFrame({"project_id": ["P1", "P2"], "project_name": ["甲", "乙"],
                         "total_investment": [100.0, 100.0], "completed_cumulative": [100.4, 120.0]})
    got = v.check_cross_table({"projects": proj, "guarantees": guar}, roster=roster)
    assert [(x.rule, x.row) for x in got] == [("project_cumulative_exceeds_total", 4), ("beneficiary_unknown", 3)]


def test_validate_tables_and_frame():
    df = fin(total_assets=[1010.0])
    df["source_file"] = "abc_x.xlsx"
    df["source_sheet"] = "财务快报"
    df["source_row"] = pd.array([7], dtype="Int64")
    found = v.validate_tables({"financials": df}, roster=pd.DataFrame({"enterprise_id": ["G01"]}),
                              today=date(2022, 12, 5))
    ident = [f for f in found if f.rule == "identity_balance"]
    assert ident and ident[0].row == 7 and ident[0].file == "abc_x.xlsx" and ident[0].enterprise_id == "G01"
    frame = v.findings_frame(found, chinese=True)
    assert {"文件", "行号", "列", "规则名称", "说明"} <= set(frame.columns)
    assert set(v.RULES) >= {f.rule for f in found}
