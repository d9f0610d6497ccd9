"""Indicator engine tests: hand-computed values for every catalogue indicator on a small fixture."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from guozi_analysis import indicators as ind
from guozi_analysis.indicators.catalogue import load_catalogue
from guozi_analysis.indicators.formulas import REGISTRY, compute_indicators, safe_divide
from guozi_analysis.indicators.panel import BALANCE_ITEMS, FLOW_ITEMS, line_items
from guozi_analysis.publishing.workbooks import write_indicator_outputs

PERIOD = "2022-06"
#: Enabled indicators: the district's 64, plus 流动比率 and 国有资本保值增值率（预计） (issue 19).
N_ENABLED = 69  # + 营业成本、三项费用 (issue 26)
ELAPSED = 6 / 12  # 2022-06-30: six months closed (months convention; was day 181 / 365 by days)

# ---------------------------------------------------------------------------------------------
# fixture: two groups (G01 with subsidiary G01-01, and G02), three months of 快报 and detail tables
# ---------------------------------------------------------------------------------------------
G01 = dict(
    total_assets=1000, current_assets=400, cash=100, accounts_receivable=80, inventory=120, contract_assets=10,
    total_liabilities=600, current_liabilities=250, short_term_borrowings=50, notes_payable=20,
    current_portion_long_term_debt=30, long_term_borrowings=200, bonds_payable=100, other_interest_bearing_debt=10,
    total_equity=400, minority_equity=40, paid_in_capital=200, state_capital=300,
    revenue=500, operating_cost=350, taxes_and_surcharges=10, selling_expenses=20, admin_expenses=30,
    rd_expenses=15, financial_expenses=25, interest_expense=20, capitalized_interest=5, operating_profit=60,
    investment_income=8, non_operating_income=4, non_operating_expenses=2, total_profit=62, income_tax=12,
    net_profit=50, net_profit_parent=45, employee_compensation=40, depreciation=16, taxes_payable_total=22,
    taxes_paid=18, rd_investment=20, cash_from_sales=480, operating_cash_inflow=520, net_operating_cash_flow=60,
    state_capital_objective_increase=10, state_capital_objective_decrease=2, headcount_end=210, headcount_avg=200,
    # issue 19: 营业收入 below 营业总收入 (a financial subsidiary's interest income), 租赁负债, 永续债
    operating_revenue=480, lease_liabilities=15, perpetual_bonds=40,
)
G01_OPEN = dict(G01, total_assets=900, current_assets=360, accounts_receivable=70, total_equity=380,
                state_capital=280)
G01_LY = dict(G01, revenue=400, operating_revenue=380, total_profit=50)

# G02: not proportional to G01, so ratio-of-sums differs from mean-of-ratios
G02 = {k: 2.0 * v for k, v in G01.items()}
G02.update(total_assets=3000, total_liabilities=2400, total_equity=600, net_profit=30, revenue=900, operating_revenue=900,
           total_profit=40, interest_expense=50, rd_investment=np.nan, headcount_avg=500)
G02_OPEN = dict(G02, total_assets=2800, total_equity=580, current_assets=700, accounts_receivable=150,
                state_capital=560)
G02_LY = dict(G02, revenue=1000, operating_revenue=1000, total_profit=-20)

# G01-01: insolvent subsidiary without interest; no report last year
SUB = {k: 0.5 * v for k, v in G01.items()}
SUB.update(total_equity=-50, interest_expense=0.0, capitalized_interest=0.0)
SUB_OPEN = dict(SUB, total_equity=-30)


def _fin_rows():
    rows = []
    for eid, cur, opn, ly in [("G01", G01, G01_OPEN, G01_LY), ("G02", G02, G02_OPEN, G02_LY),
                              ("G01-01", SUB, SUB_OPEN, None)]:
        rows.append({"enterprise_id": eid, "period": "2022-06", **cur})
        rows.append({"enterprise_id": eid, "period": "2021-12", **opn})
        if ly is not None:
            rows.append({"enterprise_id": eid, "period": "2021-06", **ly})
    return pd.DataFrame(rows)


def make_tables() -> dict[str, pd.DataFrame]:
    roster = pd.DataFrame({
        "enterprise_id": ["G01", "G01-01", "G02"],
        "name": ["滨江城投集团", "滨江建设发展公司", "海城产业集团"],
        "short_name": ["滨江城投", "滨江建设", "海城产业"],
        "parent_id": ["", "G01", ""],
        "level": [1, 2, 1],
        "industry_class": ["非工业", "非工业", "工业"],
        "function_class": ["功能类", "竞争类", "竞争类"],
        "shareholding_pct": [100.0, 100.0, 100.0],
        "is_group": [True, False, True],
    })
    projects = pd.DataFrame([
        # id, owner, type, status, city_key, strategic, total, plan, done
        ("P1", "G01", "基础设施", "续建", True, False, 1000, 200, 90),
        ("P2", "G01-01", "产业项目", "新开工", False, True, 500, 100, 60),
        ("P3", "G01-01", "民生工程", "储备", False, False, 300, 0, 0),
        ("P4", "G02", "民生工程", "竣工", True, False, 400, 150, 150),
        ("P5", "G01", "城市更新", "续建", False, False, 200, 50, 20),
    ], columns=["project_id", "enterprise_id", "project_type", "status", "is_city_key", "is_strategic_emerging",
                "total_investment", "annual_plan", "completed_ytd"])
    projects["period"] = "2022-06-H2"
    projects["project_name"] = projects["project_id"] + "项目"
    projects["completed_cumulative"] = projects["completed_ytd"] * 2
    equity = pd.DataFrame([
        ("E1", "G01", "智能制造", True, 100, 40),
        ("E2", "G01-01", "其他", False, 50, 10),
        ("E3", "G02", "集成电路", True, 80, 30),
    ], columns=["investment_id", "enterprise_id", "sector", "is_strategic_emerging", "planned_amount",
                "completed_ytd"])
    equity["period"] = PERIOD
    equity["target_name"] = ["甲科技", "乙公司", "丙芯片"]
    funds = pd.DataFrame([
        ("F1", "G01", "滨江产业基金", "产业基金", 5000, 3, 12),
        ("F2", "G02", "海城人才基金", "人才基金", 2000, 1, 4),
    ], columns=["fund_id", "enterprise_id", "fund_name", "fund_type", "aum", "sub_funds", "projects_invested"])
    funds["period"] = PERIOD
    listings = pd.DataFrame([
        ("L1", "G01", "甲科技", "已上市"), ("L2", "G01-01", "乙材料", "报辅"),
        ("L3", "G02", "丙芯片", "启动上市"), ("L4", "G02", "丁医药", "完成股改"),
    ], columns=["item_id", "enterprise_id", "company_name", "stage"])
    listings["period"] = PERIOD
    debts = pd.DataFrame([
        ("D1", "G01", "2022-06", "银行贷款", False, 200, 5.0, "2023-03-31"),
        ("D2", "G01", "2022-06", "企业债券", True, 100, 4.0, "2025-06-30"),
        ("D3", "G01-01", "2022-06", "融资租赁", False, 50, 6.0, "2022-12-31"),
        ("D4", "G02", "2022-06", "银行贷款", False, 300, 4.5, "2024-01-01"),
        ("D1", "G01", "2021-06", "银行贷款", False, 220, 5.5, "2023-03-31"),
        ("D2", "G01", "2021-06", "企业债券", True, 100, 4.2, "2025-06-30"),
        ("D3", "G01-01", "2021-06", "融资租赁", False, 60, 6.2, "2022-12-31"),
        ("D4", "G02", "2021-06", "银行贷款", False, 300, 4.8, "2024-01-01"),
    ], columns=["debt_id", "enterprise_id", "period", "instrument_type", "is_direct_financing", "balance",
                "annual_rate", "maturity_date"])
    guarantees = pd.DataFrame([
        ("GU1", "G01", "滨江建设发展公司", "G01-01", "全资子企业", 100.0, 100, 80),
        ("GU2", "G01", "某参股公司", "", "参股企业", 30.0, 100, 50),
        ("GU3", "G01-01", "某外部公司", "", "非关联企业", np.nan, 40, 20),
        ("GU4", "G02", "某控股公司", "", "控股子企业", 60.0, 100, 60),
    ], columns=["guarantee_id", "guarantor_id", "beneficiary_name", "beneficiary_id", "relation",
                "shareholding_pct", "guaranteed_debt", "amount"])
    guarantees["period"] = PERIOD
    idle = pd.DataFrame([
        ("I1", "G01", "土地", 100, "已梳理", 0), ("I2", "G01-01", "房产", 200, "推进中", 50),
        ("I3", "G02", "股权", 300, "已盘活", 300), ("I4", "G02", "房产", 50, "推进中", 10),
    ], columns=["asset_id", "enterprise_id", "asset_type", "book_value", "status", "revitalised_value_ytd"])
    idle["period"] = PERIOD
    reforms = pd.DataFrame([
        ("R1", "G01-01", "混合所有制改革", "已完成", "2022-05-01"),
        ("R2", "G01", "混合所有制改革", "储备", None),
        ("R3", "G02", "混合所有制改革", "推进中", None),
        ("R4", "G02", "中长期激励", "推进中", None),
        ("R5", "G01-01", "混合所有制改革", "已完成", "2021-08-01"),
    ], columns=["item_id", "enterprise_id", "item_type", "status", "completed_date"])
    reforms["period"] = PERIOD
    livelihood = pd.DataFrame([
        ("T1", "G01", "城市运行", 10, 10, "项"), ("T2", "G01", "公共服务", 100, 40, "户"),
        ("T3", "G02", "防汛防台", 5, 6, "次"),
    ], columns=["task_id", "enterprise_id", "category", "annual_target", "completed_ytd", "unit"])
    livelihood["period"] = PERIOD
    targets = pd.DataFrame([
        ("G01", 2022, "revenue", 1000, "万元"), ("G01", 2022, "total_profit", 100, "万元"),
        ("G01", 2022, "revitalised_value", 200, "万元"), ("G02", 2022, "revenue", 2000, "万元"),
        ("G02", 2022, "total_profit", 150, "万元"), ("G02", 2022, "revitalised_value", 500, "万元"),
        ("DISTRICT", 2022, "revitalised_value", 1000, "万元"),
    ], columns=["enterprise_id", "year", "item", "target_value", "unit"])
    return {"roster": roster, "financials": _fin_rows(), "projects": projects, "equity_investments": equity,
            "funds": funds, "listings": listings, "debts": debts, "guarantees": guarantees,
            "idle_assets": idle, "reforms": reforms, "livelihood": livelihood, "targets": targets}


@pytest.fixture(scope="module")
def tables():
    return make_tables()


@pytest.fixture(scope="module")
def result(tables):
    return compute_indicators(tables, period=PERIOD, roster=tables["roster"])


def value(frame, entity, indicator):
    row = frame.loc[(frame["entity_id"] == entity) & (frame["indicator_id"] == indicator)]
    assert len(row) == 1, (entity, indicator)
    return float(row["value"].iloc[0])


def reason(frame, entity, indicator):
    row = frame.loc[(frame["entity_id"] == entity) & (frame["indicator_id"] == indicator)]
    return str(row["reason"].iloc[0])


# Hand-computed values for G01 (consolidated row; detail tables over G01 and G01-01), June 2022, 6 months.
EXPECTED_G01 = {
    # 争突破
    "total_profit": 62,
    "debt_to_asset_ratio": 600 / 1000 * 100,
    "roe": (50 * 12 / 6) / ((400 + 380) / 2) * 100,
    "operating_cash_ratio": 60 / 480 * 100,  # 营业收入, not 营业总收入 (issue 19)
    "rd_intensity": 20 / 480 * 100,
    "labour_productivity": (50 - 8 + 40 + 22 + 16) * 12 / 6 / 200,
    "roa": (62 + 20) * 12 / 6 / ((1000 + 900) / 2) * 100,
    "cost_profit_margin": 62 / (350 + 10 + 20 + 30 + 15 + 25) * 100,
    "cash_earnings_coverage": 60 / 50,
    "state_capital_preservation_ratio": math.nan,  # annual: June has no value (see test below)
    "state_capital_preservation_ratio_ytd": (300 - 10 + 2) / 280 * 100,
    "ipo_count": 1,
    "listing_pipeline": 1,
    # 扩投资 (P1, P2, P5 active; P3 reserve excluded)
    "projects_under_construction": 3,
    "project_total_investment": 1000 + 500 + 200,
    "project_annual_plan": 200 + 100 + 50,
    "project_completed_ytd": 90 + 60 + 20,
    "investment_completion_rate": 170 / 350 * 100,
    "investment_pace_gap": 170 / 350 * 100 - 6 / 12 * 100,  # 48.57 − 50.00 = −1.43
    "city_key_project_count": 1,
    "city_key_completion_rate": 90 / 200 * 100,
    "equity_investment_count": 2,
    "equity_investment_completed": 40 + 10,
    "strategic_emerging_share": (60 + 40) / (170 + 50) * 100,
    "fund_aum": 5000,
    "fund_sub_funds": 3,
    "fund_projects": 12,
    # 稳增长
    "revenue": 500,
    "operating_cost": 350,  # 营业成本 as reported (issue 26)
    "period_expenses": 20 + 30 + 25,  # 三项费用 = 销售 20 + 管理 30 + 财务 25 = 75; 研发费用 15 not included (issue 26)
    "revenue_growth": (480 - 380) / 380 * 100,  # 营业收入 (issue 19); on 营业总收入 it would be 25%
    "total_profit_growth": (62 - 50) / 50 * 100,
    "net_profit": 50,
    "net_profit_parent": 45,
    "revenue_target_completion": 500 / 1000 * 100,
    "profit_target_completion": 62 / 100 * 100,
    "total_assets": 1000,
    "total_asset_turnover": 480 * 2 / 950,
    "receivables_turnover": 480 * 2 / 75,
    "current_asset_turnover": 480 * 2 / 380,
    # 盘资产
    "two_funds_ratio": (80 + 120) / 400 * 100,
    "idle_assets_found": 2,
    "idle_assets_in_progress": 1,
    "revitalised_value_ytd": 0 + 50,
    "revitalisation_rate": 0 / 2 * 100,  # I1 已梳理, I2 推进中: none of the 2 revitalised
    "revitalised_target_completion": 50 / 200 * 100,
    "mixed_reform_completed": 1,
    "mixed_reform_pool": 1,
    "incentive_pilots": 0,
    # 保民生
    "livelihood_task_count": 2,
    # completion progress per task, capped at 1, averaged: T1 10/10 = 1.0, T2 40/100 = 0.4 → 70
    # (before: tasks fully done, 1 of 2 = 50 — 0 for every unit of the demo in November)
    "livelihood_completion_rate": (1.0 + 0.4) / 2 * 100,
    "livelihood_pace_gap": (1.0 + 0.4) / 2 * 100 - 6 / 12 * 100,  # 70 − 50 = 20 (months convention)
    "public_project_completed_ytd": 20,
    "headcount_end": 210,
    "taxes_paid": 18,
    # 稳金融
    "interest_bearing_debt": 50 + 30 + 200 + 100 + 10 + 15 + 40,  # + 租赁负债 + 永续债 (issue 19)
    "interest_bearing_debt_ratio": 445 / (600 + 40) * 100,  # 永续债 added back to the denominator
    "composite_financing_cost": (200 * 5.0 + 100 * 4.0 + 50 * 6.0) / 350,
    "financing_cost_change_bp": ((200 * 5.0 + 100 * 4.0 + 50 * 6.0) / 350
                                 - (220 * 5.5 + 100 * 4.2 + 60 * 6.2) / 380) * 100,
    "direct_financing_share": 100 / 350 * 100,
    "debt_due_12m": 200 + 50,
    "cash_to_short_term_debt": 100 / (50 + 30 + 20),
    "interest_coverage": (62 + 20) / (20 + 5),  # interest incurred: 费用化 20 + 资本化 5 (issue 19)
    "current_ratio": 400 / 250 * 100,
    "quick_ratio": (400 - 120) / 250 * 100,
    "cash_current_liabilities_ratio": 60 * 2 / 250 * 100,
    "guarantee_to_net_assets": (80 + 50 + 20) / 400 * 100,
    "non_related_guarantee": 20,
    "above_share_guarantee": 50 - 0.30 * 100,  # GU2: amount 50 − 30% × debt 100 = 20 (issue 19)
}
# Disabled in the bundled catalogue: checked by calling the functions directly.
EXPECTED_DISABLED = {"operating_profit_margin": 60 / 480 * 100, "cash_collection_ratio": 480 / 480 * 100,
                     "interest_coverage_expensed": (62 + 20) / 20}


def test_expected_covers_every_enabled_indicator():
    cat = load_catalogue()
    assert set(EXPECTED_G01) == set(cat.ids)
    assert set(EXPECTED_G01) | set(EXPECTED_DISABLED) == set(REGISTRY)


@pytest.mark.parametrize("indicator_id", sorted(EXPECTED_G01))
def test_hand_computed_value_g01(result, indicator_id):
    expected = EXPECTED_G01[indicator_id]
    if math.isnan(expected):
        assert math.isnan(value(result, "G01", indicator_id))
        assert reason(result, "G01", indicator_id).startswith("年度指标")
        return
    assert value(result, "G01", indicator_id) == pytest.approx(expected, rel=1e-12)
    assert reason(result, "G01", indicator_id) == ""


@pytest.mark.parametrize("indicator_id", sorted(EXPECTED_DISABLED))
def test_disabled_indicator_functions(tables, indicator_id):
    panel = line_items(tables, period=PERIOD, roster=tables["roster"]).set_index("entity_id")
    func = REGISTRY[indicator_id]
    got = func(**{n: panel[n] for n in ind.inputs_of(func)})
    assert got["G01"] == pytest.approx(EXPECTED_DISABLED[indicator_id])


def test_output_shape_and_levels(result):
    assert list(result.columns) == ["entity_id", "entity_name", "level", "period", "indicator_id", "name_zh",
                                    "table", "value", "unit", "reason", "basis"]
    assert len(result) == 4 * N_ENABLED
    levels = result.drop_duplicates("entity_id").set_index("entity_id")["level"].to_dict()
    assert levels == {"DISTRICT": "district", "G01": "group", "G01-01": "enterprise", "G02": "group"}
    assert set(result["period"]) == {PERIOD}
    assert result.loc[result["entity_id"] == "DISTRICT", "entity_name"].iloc[0] == "全区合计"


# --------------------------------------------------------------------------------------------
# aggregation: groups = consolidated rows; district = sum of groups; ratios of sums
# --------------------------------------------------------------------------------------------
def test_district_financials_are_sum_of_groups_not_subsidiaries(result):
    assert value(result, "DISTRICT", "total_assets") == 1000 + 3000
    assert value(result, "DISTRICT", "revenue") == 500 + 900
    assert value(result, "G01", "total_assets") == 1000  # the consolidated row, not 1000 + 500


def test_district_ratio_is_ratio_of_sums(result):
    got = value(result, "DISTRICT", "debt_to_asset_ratio")
    assert got == pytest.approx((600 + 2400) / (1000 + 3000) * 100)
    mean_of_ratios = (value(result, "G01", "debt_to_asset_ratio") + value(result, "G02", "debt_to_asset_ratio")) / 2
    assert got != pytest.approx(mean_of_ratios)
    assert value(result, "DISTRICT", "roe") == pytest.approx((50 + 30) * 2 / ((400 + 600 + 380 + 580) / 2) * 100)
    # (利润总额 62 + 40 + 费用化利息 20 + 50) / (费用化 20 + 50 + 资本化 5 + 10) (issue 19: interest incurred)
    assert value(result, "DISTRICT", "interest_coverage") == pytest.approx((102 + 70) / (70 + 15))
    assert value(result, "DISTRICT", "guarantee_to_net_assets") == pytest.approx((150 + 60) / (400 + 600) * 100)
    assert value(result, "DISTRICT", "composite_financing_cost") == pytest.approx((1700 + 1350) / 650)
    assert value(result, "DISTRICT", "investment_completion_rate") == pytest.approx(320 / 500 * 100)


def test_detail_tables_roll_up_over_the_tree(result):
    assert value(result, "G01-01", "projects_under_construction") == 1
    assert value(result, "G01", "projects_under_construction") == 3
    assert value(result, "DISTRICT", "projects_under_construction") == 4
    assert value(result, "DISTRICT", "revitalised_value_ytd") == 360
    assert value(result, "DISTRICT", "listing_pipeline") == 3
    assert value(result, "DISTRICT", "mixed_reform_completed") == 1  # R5 was done last year
    assert value(result, "DISTRICT", "incentive_pilots") == 1
    # the DISTRICT target row wins over the sum of the groups' targets
    assert value(result, "DISTRICT", "revitalised_target_completion") == pytest.approx(360 / 1000 * 100)
    # without a DISTRICT row, additive targets are summed over the groups
    assert value(result, "DISTRICT", "revenue_target_completion") == pytest.approx(1400 / 3000 * 100)


def test_guarantee_above_shareholding_rule(result):
    # GU1 80/100 = 80% ≤ 100%; GU2 50% > 30%; GU3 non-related: counted under non_related_guarantee only;
    # GU4 60% = 60% is not above. The indicator is the excess (issue 19): GU2 50 − 30% × 100 = 20.
    assert value(result, "G02", "above_share_guarantee") == 0
    assert value(result, "G01-01", "above_share_guarantee") == 0
    assert value(result, "G01-01", "non_related_guarantee") == 20
    assert value(result, "G01", "above_share_guarantee") == pytest.approx(20)


def test_profit_growth_uses_absolute_base_for_losses(result):
    assert value(result, "G02", "total_profit_growth") == pytest.approx((40 - (-20)) / 20 * 100)
    assert value(result, "G02", "revenue_growth") == pytest.approx((900 - 1000) / 1000 * 100)  # 营业收入


# --------------------------------------------------------------------------------------------
# zero / negative denominators and missing data
# --------------------------------------------------------------------------------------------
def test_negative_average_equity_gives_nan_with_reason(result):
    assert math.isnan(value(result, "G01-01", "roe"))
    assert reason(result, "G01-01", "roe") == "平均净资产为负"
    assert reason(result, "G01-01", "guarantee_to_net_assets") == "净资产为负"


def test_zero_denominator_gives_nan_with_reason(result):
    assert math.isnan(value(result, "G01-01", "interest_coverage"))
    assert reason(result, "G01-01", "interest_coverage") == "分母为零"
    assert reason(result, "G01-01", "city_key_completion_rate") == "分母为零"


def test_missing_line_item_gives_nan_with_reason(result):
    assert math.isnan(value(result, "G02", "rd_intensity"))
    assert reason(result, "G02", "rd_intensity") == "未报送（缺少：研发经费投入）"
    # the district sum is not completed with zeros
    assert math.isnan(value(result, "DISTRICT", "rd_intensity"))


def test_missing_last_year_and_target(result):
    assert math.isnan(value(result, "G01-01", "revenue_growth"))
    assert reason(result, "G01-01", "revenue_growth") == "缺少上年同期数据"
    assert reason(result, "G01-01", "revenue_target_completion") == "未设定年度目标"


def test_missing_group_submission_leaves_district_nan(tables):
    t = dict(tables)
    fin = t["financials"]
    t["financials"] = fin.loc[~((fin["enterprise_id"] == "G02") & (fin["period"] == PERIOD))]
    out = compute_indicators(t, period=PERIOD, roster=t["roster"])
    assert math.isnan(value(out, "G02", "total_assets"))
    assert reason(out, "G02", "total_assets").startswith("未报送")
    assert math.isnan(value(out, "DISTRICT", "total_assets"))
    assert value(out, "G01", "total_assets") == 1000


def test_single_period_only(tables):
    t = dict(tables)
    fin = t["financials"]
    t["financials"] = fin.loc[fin["period"] == PERIOD]
    out = compute_indicators(t, period=PERIOD, roster=t["roster"])
    assert value(out, "G01", "debt_to_asset_ratio") == 60
    assert reason(out, "G01", "roe") == "缺少上年末数据"
    assert reason(out, "G01", "revenue_growth") == "缺少上年同期数据"


def test_half_monthly_period_reads_closed_month(tables):
    out = compute_indicators(tables, period="2022-07-H1", roster=tables["roster"])
    # financials come from June (the month closed on 15 July); projects have no 2022-07-H1 snapshot
    assert value(out, "G01", "roe") == pytest.approx(EXPECTED_G01["roe"])
    assert math.isnan(value(out, "G01", "projects_under_construction"))
    assert reason(out, "G01", "projects_under_construction").startswith("未报送")
    assert set(out["period"]) == {"2022-07-H1"}


def test_no_detail_table_means_nan_not_zero(tables):
    t = {k: v for k, v in tables.items() if k != "debts"}
    out = compute_indicators(t, period=PERIOD, roster=t["roster"])
    assert math.isnan(value(out, "G01", "debt_due_12m"))
    assert math.isnan(value(out, "DISTRICT", "composite_financing_cost"))


def test_scale_invariance(tables):
    money_fin = list(BALANCE_ITEMS) + [c for c in FLOW_ITEMS]
    money_detail = {
        "projects": ["total_investment", "annual_plan", "completed_ytd", "completed_cumulative"],
        "equity_investments": ["planned_amount", "completed_ytd"], "funds": ["aum"], "debts": ["balance"],
        "guarantees": ["guaranteed_debt", "amount"], "idle_assets": ["book_value", "revitalised_value_ytd"],
        "targets": ["target_value"],
    }
    scaled = {k: v.copy() for k, v in tables.items()}
    scaled["financials"][money_fin] = scaled["financials"][money_fin] * 10_000
    for name, cols in money_detail.items():
        scaled[name][cols] = scaled[name][cols] * 10_000
    base = compute_indicators(tables, period=PERIOD, roster=tables["roster"])
    big = compute_indicators(scaled, period=PERIOD, roster=scaled["roster"])
    merged = base.merge(big, on=["entity_id", "indicator_id"], suffixes=("", "_big"))
    money = merged["unit"].isin(["万元", "万元/人"])
    pd.testing.assert_series_equal(merged.loc[~money, "value"], merged.loc[~money, "value_big"],
                                   check_names=False, rtol=1e-9)
    pd.testing.assert_series_equal(merged.loc[money, "value"] * 10_000, merged.loc[money, "value_big"],
                                   check_names=False, rtol=1e-9)
    assert (merged["reason"] == merged["reason_big"]).all()


def test_inputs_not_mutated(tables):
    before = {k: v.copy() for k, v in tables.items()}
    compute_indicators(tables, period=PERIOD, roster=tables["roster"])
    for k, v in tables.items():
        pd.testing.assert_frame_equal(v, before[k])


# --------------------------------------------------------------------------------------------
# safe_divide and function conventions
# --------------------------------------------------------------------------------------------
def test_safe_divide_scalars_arrays_series():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(safe_divide(1.0, 0.0))
        assert math.isnan(safe_divide(1.0, np.nan))
        assert safe_divide(3.0, 4.0) == 0.75
        arr = safe_divide(np.array([1.0, 1.0, 0.0]), np.array([0.0, 2.0, 0.0]))
        assert np.isnan(arr[0]) and arr[1] == 0.5 and np.isnan(arr[2])
        s = safe_divide(pd.Series([1.0, 2.0], index=["a", "b"]), pd.Series([0.0, 4.0], index=["a", "b"]))
        assert list(s.index) == ["a", "b"] and np.isnan(s["a"]) and s["b"] == 0.5
        aligned = safe_divide(pd.Series([1.0, 2.0], index=["a", "b"]), pd.Series([4.0], index=["b"]))
        assert np.isnan(aligned["a"]) and aligned["b"] == 0.5


def test_functions_work_on_scalars_and_negative_denominators():
    assert ind.debt_to_asset_ratio(60.0, 100.0) == 60.0
    assert math.isnan(ind.debt_to_asset_ratio(60.0, 0.0))
    assert math.isnan(ind.roe(10.0, -5.0, -1.0, 12))
    assert math.isnan(ind.cash_earnings_coverage(10.0, -5.0))
    assert ind.interest_coverage(-30.0, 10.0, 0.0) == pytest.approx(-2.0)  # negative coverage is reported
    assert ind.interest_coverage(-30.0, 10.0, 10.0) == pytest.approx(-1.0)  # (−30 + 10) / (10 + 10)
    assert math.isnan(ind.revenue_growth(10.0, 0.0))
    assert ind.total_profit_growth(10.0, -10.0) == pytest.approx(200.0)


def test_every_function_is_importable_and_documented():
    import importlib

    module = importlib.import_module("guozi_analysis.indicators")
    for name, func in REGISTRY.items():
        assert getattr(module, name) is func
        doc = func.__doc__ or ""
        assert "单位" in doc and "来源" in doc and "方向" in doc, name


def test_write_outputs(tables, tmp_path):
    paths = write_indicator_outputs(tables, period=PERIOD, roster=tables["roster"], out_dir=tmp_path)
    assert [p.name for p in paths] == ["indicators.csv", "indicators.xlsx"]
    csv = pd.read_csv(paths[0], encoding="utf-8-sig")
    assert list(csv.columns)[:4] == ["企业编号", "企业名称", "层级", "期间"]
    assert len(csv) == 4 * N_ENABLED
    sheets = pd.read_excel(paths[1], sheet_name=None)
    assert list(sheets) == ["全部指标", "争突破", "扩投资", "稳增长", "盘资产", "保民生", "稳金融"]
    assert "资产负债率（%）" in sheets["争突破"].columns


def test_demo_smoke(demo_tables):
    demo = demo_tables
    out = compute_indicators(demo, period="2022-11", roster=demo["roster"])
    assert set(out["indicator_id"]) == set(load_catalogue().ids)
    district = out.loc[out["entity_id"] == "DISTRICT"].set_index("indicator_id")["value"]
    assert district["total_assets"] > 0
    assert 0 < district["debt_to_asset_ratio"] < 100


# --------------------------------------------------------------------------------------------
# issue 19: definitions (hand-worked values)
# --------------------------------------------------------------------------------------------
def _with(tables, **changes):
    """The fixture with G01's June 快报 row changed."""
    t = {k: v.copy() for k, v in tables.items()}
    fin = t["financials"]
    row = (fin["enterprise_id"] == "G01") & (fin["period"] == PERIOD)
    for column, v in changes.items():
        fin.loc[row, column] = v
    return t


def test_blank_capitalized_interest_counts_as_zero_with_a_note(tables):
    out = compute_indicators(_with(tables, capitalized_interest=np.nan), period=PERIOD, roster=tables["roster"])
    assert value(out, "G01", "interest_coverage") == pytest.approx((62 + 20) / (20 + 0))
    assert reason(out, "G01", "interest_coverage") == "（资本化利息支出未填报，按 0 计）"
    # the district adds the groups' reported values, G01's blank as 0: (102 + 70) / (70 + 0 + 10)
    assert value(out, "DISTRICT", "interest_coverage") == pytest.approx(172 / 80)


def test_interest_coverage_counts_capitalised_interest():
    # 利润总额 100, 费用化利息 20, 资本化利息 30: (100 + 20) / (20 + 30) = 2.4; expensed only: 6.0
    assert ind.interest_coverage(100.0, 20.0, 30.0) == pytest.approx(2.4)
    assert ind.interest_coverage_expensed(100.0, 20.0) == pytest.approx(6.0)


def test_blank_objective_factors_count_as_zero_with_a_note(tables):
    t = _with(tables, state_capital_objective_increase=np.nan, state_capital_objective_decrease=np.nan)
    out = compute_indicators(t, period=PERIOD, roster=tables["roster"])
    assert value(out, "G01", "state_capital_preservation_ratio_ytd") == pytest.approx(300 / 280 * 100)
    assert reason(out, "G01", "state_capital_preservation_ratio_ytd") == \
        "（国有资本客观增加因素、国有资本客观减少因素未填报，按 0 计）"


def test_state_capital_preservation_ratio_is_annual(tables):
    june = compute_indicators(tables, period=PERIOD, roster=tables["roster"])
    assert math.isnan(value(june, "G01", "state_capital_preservation_ratio"))
    assert "12月" in reason(june, "G01", "state_capital_preservation_ratio")
    t = {k: v.copy() for k, v in tables.items()}
    dec = t["financials"].loc[t["financials"]["period"] == PERIOD].assign(period="2022-12")
    t["financials"] = pd.concat([t["financials"], dec], ignore_index=True)
    out = compute_indicators(t, period="2022-12", roster=t["roster"])
    assert value(out, "G01", "state_capital_preservation_ratio") == pytest.approx((300 - 10 + 2) / 280 * 100)
    assert value(out, "G01", "state_capital_preservation_ratio_ytd") == pytest.approx((300 - 10 + 2) / 280 * 100)


def test_revenue_growth_uses_operating_revenue_not_total_revenue(tables):
    # G01 has a financial subsidiary: 营业总收入 500 (last year 400) but 营业收入 480 (last year 380)
    assert value(compute_indicators(tables, period=PERIOD, roster=tables["roster"]), "G01", "revenue_growth") == \
        pytest.approx((480 - 380) / 380 * 100)  # 26.32%, not (500 − 400) / 400 = 25%
    assert (480 - 380) / 380 != pytest.approx((500 - 400) / 400)


def test_blank_operating_revenue_is_nan_never_total_revenue(tables):
    out = compute_indicators(_with(tables, operating_revenue=np.nan), period=PERIOD, roster=tables["roster"])
    for indicator in ("revenue_growth", "operating_cash_ratio", "rd_intensity", "total_asset_turnover"):
        assert math.isnan(value(out, "G01", indicator)), indicator
        assert reason(out, "G01", indicator) == "未报送（缺少：营业收入）"
    assert value(out, "G01", "revenue") == 500  # the headline stays 营业总收入


def test_current_ratio():
    assert ind.current_ratio(400.0, 250.0) == pytest.approx(160.0)  # 400 / 250 = 1.6 倍 = 160%
    assert math.isnan(ind.current_ratio(400.0, 0.0))


def test_interest_bearing_debt_with_lease_and_perpetual(tables):
    # 50 + 30 + 200 + 100 + 10 + 租赁负债 15 + 永续债 40 = 445; ratio 445 / (600 + 40)
    assert ind.interest_bearing_debt(50.0, 30.0, 200.0, 100.0, 10.0, 15.0, 40.0) == 445.0
    out = compute_indicators(_with(tables, lease_liabilities=np.nan, perpetual_bonds=np.nan), period=PERIOD,
                             roster=tables["roster"])
    assert value(out, "G01", "interest_bearing_debt") == 390
    assert value(out, "G01", "interest_bearing_debt_ratio") == pytest.approx(390 / 600 * 100)
    assert reason(out, "G01", "interest_bearing_debt") == "（租赁负债、永续债未填报，按 0 计）"
