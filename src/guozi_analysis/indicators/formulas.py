"""The indicator engine: one function per catalogue indicator, and the tidy computation.

Every indicator is a plain function named by its catalogue id. Its arguments are named after the
line items of the panel (:func:`guozi_analysis.panel.line_items`), so it is vectorised over pandas
Series (one value per entity) and also works on scalars and numpy arrays. Money is in 万元,
percentages are percent numbers (65.3 means 65.3%).

Conventions shared by every function
------------------------------------
* All division goes through :func:`safe_divide`: a zero or missing denominator gives NaN, never a
  warning, never ``inf``.
* Where a negative denominator makes a ratio meaningless (average net assets, last year's revenue,
  net profit under 盈余现金保障倍数 …) the function returns NaN; the reason (e.g. 「平均净资产为负」)
  is filled in by :func:`compute_indicators`.
* Flow-over-stock ratios for a month are annualised: 本年累计 × 12 / 已过月数 (February → 2,
  January–February are reported together).
* Group and district values are recomputed from their summed components (ratio of sums), never
  averaged across enterprises: the panel already holds the summed components.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from guozi_analysis.indicators.catalogue import Catalogue, load_catalogue
from guozi_analysis.indicators.panel import item_name, line_items, ly_basis

__all__ = [
    "safe_divide",
    "annualise",
    "REGISTRY",
    "compute_indicators",
    "compute_from_panel",
]

LEVEL_ZH = {"district": "全区", "group": "集团", "enterprise": "企业"}


# --------------------------------------------------------------------------------------------
# arithmetic helpers
# --------------------------------------------------------------------------------------------
def _values(x) -> np.ndarray:
    if isinstance(x, pd.Series):
        return x.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(x, dtype=float)


def safe_divide(numerator, denominator):
    """``numerator / denominator`` with NaN (and no warning) where the denominator is 0 or NaN.

    Works on scalars, numpy arrays and pandas Series (two Series are aligned on their index; the
    result keeps the index). A scalar result is returned as ``float``.
    """
    num_is_s = isinstance(numerator, pd.Series)
    den_is_s = isinstance(denominator, pd.Series)
    if num_is_s and den_is_s and not numerator.index.equals(denominator.index):
        numerator, denominator = numerator.align(denominator)
    num, den = _values(numerator), _values(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out = np.where((den == 0) | np.isnan(den), np.nan, out)
    if num_is_s or den_is_s:
        index = numerator.index if num_is_s else denominator.index
        return pd.Series(out, index=index, dtype=float)
    return float(out) if out.ndim == 0 else out


def annualise(ytd, months_elapsed):
    """本年累计 → 年化: ``ytd × 12 / months_elapsed`` (months 0 or missing → NaN)."""
    return safe_divide(ytd * 12.0, months_elapsed)


def _positive(x):
    """``x`` where ``x > 0``, NaN elsewhere (for denominators that must be positive)."""
    if isinstance(x, pd.Series):
        return x.where(x > 0)
    arr = np.asarray(x, dtype=float)
    out = np.where(arr > 0, arr, np.nan)
    return float(out) if out.ndim == 0 else out


def _nonzero(x):
    if isinstance(x, pd.Series):
        return x.where(x != 0)
    arr = np.asarray(x, dtype=float)
    out = np.where(arr != 0, arr, np.nan)
    return float(out) if out.ndim == 0 else out


def _same(x):
    """A line item reported as the indicator (as float)."""
    if isinstance(x, pd.Series):
        return x.astype(float)
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _explain(denominator: Callable, *, negative: str = "分母为负", zero: str = "分母为零"):
    """Attach the denominator and the reasons for a negative and a zero one, used to explain NaN values."""

    def deco(func):
        func.denominator = denominator
        func.negative_reason = negative
        func.zero_reason = zero
        return func

    return deco


def _blank_as_zero(*names: str):
    """Optional adjustment inputs that count as 0 when blank; the indicator's reason says so (issue 19)."""

    def deco(func):
        func.blank_as_zero = tuple(names)
        return func

    return deco


def _only_when(condition: Callable, reason: str):
    """An indicator that is NaN by design where ``condition`` (called on the panel) is false, with ``reason``."""

    def deco(func):
        func.applies = condition
        func.not_applicable_reason = reason
        return func

    return deco


# --------------------------------------------------------------------------------------------
# 争突破：一利五率与质量效益
# --------------------------------------------------------------------------------------------
def total_profit(total_profit):
    """利润总额（本年累计）。

    定义：营业利润 + 营业外收入 − 营业外支出，按快报本年累计数。
    公式：利润总额。单位：万元。方向：越高越好。
    来源：财务快报（利润表）；国务院国资委2022年“两利四率”指标。零分母：不适用。
    """
    return _same(total_profit)


@_explain(lambda total_assets: total_assets)
def debt_to_asset_ratio(total_liabilities, total_assets):
    """资产负债率。

    定义：期末负债总额占资产总额的比重。
    公式：负债总额 / 资产总额 × 100。单位：%。方向：越低越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）债务风险状况·资产负债率；国务院国资委2022年“两利四率”指标。
    零分母：资产总额为 0 → NaN。
    """
    return safe_divide(total_liabilities, total_assets) * 100.0


@_explain(lambda total_equity, open_total_equity: (total_equity + open_total_equity) / 2, negative="平均净资产为负")
def roe(net_profit, total_equity, open_total_equity, months_elapsed):
    """净资产收益率（年化，含少数股东权益）。

    定义：年化净利润占平均净资产的比重；平均净资产 = (年初所有者权益 + 期末所有者权益) / 2。
    公式：净利润 × 12 / 已过月数 / 平均净资产 × 100。单位：%。方向：越高越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）附件1·净资产收益率；按已过月数年化为本区定义。
    零分母：平均净资产为 0 → NaN；平均净资产为负 → NaN（「平均净资产为负」）。
    """
    average = (total_equity + open_total_equity) / 2.0
    return safe_divide(annualise(net_profit, months_elapsed), _positive(average)) * 100.0


@_explain(lambda operating_revenue: operating_revenue, negative="营业收入为负")
def operating_cash_ratio(net_operating_cash_flow, operating_revenue):
    """营业现金比率。

    定义：经营活动现金流量净额占营业收入的比重（本年累计）；分母为营业收入，不是营业总收入。
    公式：经营活动产生的现金流量净额 / 营业收入 × 100。单位：%。方向：越高越好。
    来源：本区定义（为2023年工作思路预先采用国务院国资委2023年“一利五率”的营业现金比率）。
    零分母：营业收入为 0 或为负 → NaN；营业收入未填 → NaN（不以营业总收入代替）。
    """
    return safe_divide(net_operating_cash_flow, _positive(operating_revenue)) * 100.0


@_explain(lambda operating_revenue: operating_revenue, negative="营业收入为负")
def rd_intensity(rd_investment, operating_revenue):
    """研发经费投入强度。

    定义：研发经费投入占营业收入的比重（本年累计）；分母为营业收入，不是营业总收入。
    公式：研发经费投入 / 营业收入 × 100。单位：%。方向：越高越好。
    来源：国务院国资委2022年“两利四率”指标·研发经费投入强度。
    零分母：营业收入为 0 或为负 → NaN；营业收入未填 → NaN（不以营业总收入代替）。
    """
    return safe_divide(rd_investment, _positive(operating_revenue)) * 100.0


def _labour_value(net_profit, investment_income, employee_compensation, taxes_payable_total, depreciation):
    return net_profit - investment_income + employee_compensation + taxes_payable_total + depreciation


@_explain(lambda headcount_avg: headcount_avg, negative="平均从业人数为负")
def labour_productivity(net_profit, investment_income, employee_compensation, taxes_payable_total,
                        depreciation, headcount_avg, months_elapsed):
    """全员劳动生产率（年化）。

    定义：年化劳动生产总值 / 本年平均从业人数。劳动生产总值按财务快报校验公式：
    净利润 − 投资收益 + 职工薪酬 + 应交税费总额 + 计提折旧。
    公式：劳动生产总值 × 12 / 已过月数 / 平均从业人数。单位：万元/人。方向：越高越好。
    来源：国务院国资委2022年“两利四率”指标·全员劳动生产率；劳动生产总值按财务快报报表项目计算为本区定义。
    零分母：平均从业人数为 0 → NaN。
    """
    value = _labour_value(net_profit, investment_income, employee_compensation, taxes_payable_total, depreciation)
    return safe_divide(annualise(value, months_elapsed), _positive(headcount_avg))


@_explain(lambda total_assets, open_total_assets: (total_assets + open_total_assets) / 2, negative="平均资产为负")
def roa(total_profit, interest_expense, total_assets, open_total_assets, months_elapsed):
    """总资产报酬率（年化）。

    定义：年化息税前利润占平均资产总额的比重。
    公式：(利润总额 + 利息支出) × 12 / 已过月数 / ((年初资产总额 + 期末资产总额) / 2) × 100。
    单位：%。方向：越高越好。来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）附件1。
    零分母：平均资产总额为 0 → NaN。
    """
    average = (total_assets + open_total_assets) / 2.0
    return safe_divide(annualise(total_profit + interest_expense, months_elapsed), _positive(average)) * 100.0


def _cost_total(operating_cost, taxes_and_surcharges, selling_expenses, admin_expenses, rd_expenses,
                financial_expenses):
    return operating_cost + taxes_and_surcharges + selling_expenses + admin_expenses + rd_expenses + financial_expenses


@_explain(_cost_total, negative="成本费用总额为负")
def cost_profit_margin(total_profit, operating_cost, taxes_and_surcharges, selling_expenses, admin_expenses,
                       rd_expenses, financial_expenses):
    """成本费用利润率。

    定义：利润总额占成本费用总额的比重（本年累计）。成本费用总额 = 营业成本 + 税金及附加 +
    销售费用 + 管理费用 + 研发费用 + 财务费用（现行报表把研发费用从管理费用中单列，故加回）。
    公式：利润总额 / 成本费用总额 × 100。单位：%。方向：越高越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）附件1。零分母：成本费用总额为 0 或为负 → NaN。
    """
    costs = _cost_total(operating_cost, taxes_and_surcharges, selling_expenses, admin_expenses, rd_expenses,
                        financial_expenses)
    return safe_divide(total_profit, _positive(costs)) * 100.0


@_explain(lambda net_profit: net_profit, negative="净利润为负，指标无比较意义")
def cash_earnings_coverage(net_operating_cash_flow, net_profit):
    """盈余现金保障倍数。

    定义：经营活动现金流量净额对净利润（含少数股东损益）的保障程度（本年累计）。
    公式：经营活动产生的现金流量净额 / 净利润。单位：倍。方向：越高越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）附件1（现行净利润已含少数股东损益）。
    零分母：净利润为 0 → NaN；净利润为负 → NaN（「净利润为负，指标无比较意义」）。
    """
    return safe_divide(net_operating_cash_flow, _positive(net_profit))


def _preserved_capital(state_capital, state_capital_objective_increase, state_capital_objective_decrease,
                       open_state_capital):
    adjusted = state_capital - state_capital_objective_increase + state_capital_objective_decrease
    return safe_divide(adjusted, _positive(open_state_capital)) * 100.0


@_only_when(lambda months_elapsed: months_elapsed == 12,
            "年度指标：只按12月（年报、决算）数计算；1—11月见国有资本保值增值率（预计）")
@_blank_as_zero("state_capital_objective_increase", "state_capital_objective_decrease")
@_explain(lambda open_state_capital: open_state_capital, negative="期初国有资本为负")
def state_capital_preservation_ratio(state_capital, state_capital_objective_increase,
                                     state_capital_objective_decrease, open_state_capital, months_elapsed):
    """国有资本保值增值率（年度）。

    定义：扣除客观因素影响后的年末国有资本及权益与年初国有资本及权益之比，按12月（年报、决算）数计算。
    公式：(年末国有资本及权益 − 客观增加因素 + 客观减少因素) / 年初国有资本及权益 × 100。
    单位：%。方向：越高越好（100 为保值）。
    来源：《企业国有资本保值增值结果确认暂行办法》；客观减少因素加回为本区定义。
    零分母：年初国有资本为 0 或为负 → NaN。非12月 → NaN（「年度指标」）。客观因素未填 → 按 0 计并说明。
    """
    value = _preserved_capital(state_capital, state_capital_objective_increase, state_capital_objective_decrease,
                               open_state_capital)
    december = months_elapsed == 12
    if isinstance(value, pd.Series):
        return value.where(pd.Series(december, index=value.index).astype(bool))
    return np.where(december, value, np.nan) if np.ndim(value) else (value if december else np.nan)


@_blank_as_zero("state_capital_objective_increase", "state_capital_objective_decrease")
@_explain(lambda open_state_capital: open_state_capital, negative="期初国有资本为负")
def state_capital_preservation_ratio_ytd(state_capital, state_capital_objective_increase,
                                         state_capital_objective_decrease, open_state_capital):
    """国有资本保值增值率（预计）。

    定义：按月度快报的期末国有资本及权益和本年累计客观因素预计的保值增值率，只作年内跟踪，不是确认结果。
    公式：(期末国有资本及权益 − 本年累计客观增加因素 + 本年累计客观减少因素) / 年初国有资本及权益 × 100。
    单位：%。方向：越高越好（100 为保值）。
    来源：公式同《企业国有资本保值增值结果确认暂行办法》；按月预计为本区定义。
    零分母：年初国有资本为 0 或为负 → NaN。客观因素未填 → 按 0 计并说明。
    """
    return _preserved_capital(state_capital, state_capital_objective_increase, state_capital_objective_decrease,
                              open_state_capital)


def ipo_count(listed_count):
    """国资投资企业已上市数。公式：上市培育台账中阶段为“已上市”的企业数。单位：家。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：不适用。"""
    return _same(listed_count)


def listing_pipeline(listing_pipeline_count):
    """上市培育企业数（启动上市、完成股改、报辅、报会）。单位：家。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：不适用。"""
    return _same(listing_pipeline_count)


@_explain(lambda operating_revenue: operating_revenue, negative="营业收入为负")
def operating_profit_margin(operating_profit, operating_revenue):
    """营业收入利润率（2022“两利四率”口径，默认停用）。

    公式：营业利润 / 营业收入 × 100。单位：%。方向：越高越好。
    来源：国务院国资委2022年“两利四率”指标·营业收入利润率。
    零分母：营业收入为 0 或为负 → NaN；营业收入未填 → NaN（不以营业总收入代替）。
    """
    return safe_divide(operating_profit, _positive(operating_revenue)) * 100.0


@_explain(lambda operating_revenue: operating_revenue, negative="营业收入为负")
def cash_collection_ratio(cash_from_sales, operating_revenue):
    """营业收现率（2025 口径，默认停用）。

    公式：销售商品、提供劳务收到的现金 / 营业收入 × 100。单位：%。方向：越高越好。
    来源：本区定义（市场通行口径）。
    零分母：营业收入为 0 或为负 → NaN；营业收入未填 → NaN（不以营业总收入代替）。
    """
    return safe_divide(cash_from_sales, _positive(operating_revenue)) * 100.0


# --------------------------------------------------------------------------------------------
# 扩投资
# --------------------------------------------------------------------------------------------
def projects_under_construction(proj_count):
    """在建固定资产投资项目数（新开工、续建、本年竣工，不含储备）。单位：个。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：不适用。"""
    return _same(proj_count)


def project_total_investment(proj_total_investment):
    """在建项目总投资。公式：Σ 项目总投资（不含储备）。单位：万元。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：不适用。"""
    return _same(proj_total_investment)


def project_annual_plan(proj_annual_plan):
    """年度计划投资。公式：Σ 本年计划投资（不含储备）。单位：万元。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：不适用。"""
    return _same(proj_annual_plan)


def project_completed_ytd(proj_completed_ytd):
    """本年完成固定资产投资。公式：Σ 本年累计完成投资（不含储备）。单位：万元。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：不适用。"""
    return _same(proj_completed_ytd)


@_explain(lambda proj_annual_plan: proj_annual_plan, negative="年度计划投资为负")
def investment_completion_rate(proj_completed_ytd, proj_annual_plan):
    """年度投资完成率。

    公式：Σ 本年累计完成投资 / Σ 本年计划投资 × 100。单位：%。方向：越高越好。
    来源：本区定义（年度投资计划完成率，各地国资委通行口径）。零分母：年度计划为 0 → NaN。
    """
    return safe_divide(proj_completed_ytd, _positive(proj_annual_plan)) * 100.0


@_explain(lambda proj_annual_plan: proj_annual_plan, negative="年度计划投资为负")
def investment_pace_gap(proj_completed_ytd, proj_annual_plan, elapsed_share):
    """投资完成率与序时进度之差。

    定义：年度投资完成率减去序时进度（本区口径，params/district.yaml 的 pace：默认已过月数 / 12 × 100）。
    公式：年度投资完成率 − 序时进度 × 100。单位：百分点。方向：越高越好（负数为滞后序时）。
    来源：区国资委口径（本区定义）。零分母：年度计划为 0 → NaN。
    """
    return investment_completion_rate(proj_completed_ytd, proj_annual_plan) - elapsed_share * 100.0


def city_key_project_count(city_key_count):
    """市级重点工程项目数（不含储备）。单位：个。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(city_key_count)


@_explain(lambda city_key_annual_plan: city_key_annual_plan, negative="年度计划投资为负")
def city_key_completion_rate(city_key_completed_ytd, city_key_annual_plan):
    """市级重点工程年度完成率。

    公式：Σ 市级重点工程本年累计完成投资 / Σ 其本年计划投资 × 100。单位：%。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：年度计划为 0 → NaN。
    """
    return safe_divide(city_key_completed_ytd, _positive(city_key_annual_plan)) * 100.0


def equity_investment_count(eq_count):
    """股权投资项目数。单位：个。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(eq_count)


def equity_investment_completed(eq_completed_ytd):
    """股权投资本年完成额。公式：Σ 本年累计完成。单位：万元。方向：越高越好。
    来源：区国资委口径（本区定义）。"""
    return _same(eq_completed_ytd)


@_explain(lambda proj_completed_ytd, eq_completed_ytd: proj_completed_ytd + eq_completed_ytd,
          negative="完成投资为负")
def strategic_emerging_share(strategic_project_completed_ytd, eq_strategic_completed_ytd, proj_completed_ytd,
                             eq_completed_ytd):
    """战略性新兴产业投资占比。

    公式：(战略性新兴产业固定资产项目完成投资 + 战略性新兴产业股权投资完成额) /
    (固定资产投资完成额 + 股权投资完成额) × 100。单位：%。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：本年完成投资为 0 → NaN。
    """
    numerator = strategic_project_completed_ytd + eq_strategic_completed_ytd
    return safe_divide(numerator, _positive(proj_completed_ytd + eq_completed_ytd)) * 100.0


def fund_aum(fund_aum):
    """国有基金实际在管规模。单位：万元。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(fund_aum)


def fund_sub_funds(fund_sub_funds):
    """国有基金参股基金数。单位：支。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(fund_sub_funds)


def fund_projects(fund_projects):
    """国有基金对外投资项目数。单位：个。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(fund_projects)


# --------------------------------------------------------------------------------------------
# 稳增长
# --------------------------------------------------------------------------------------------
def revenue(revenue):
    """营业总收入（本年累计）。

    定义：快报与财政部月度国企经济运行通报的总量口径，含金融类子企业的利息、手续费及佣金收入。
    单位：万元。方向：越高越好。来源：财务快报报表项目（营业总收入）。
    零分母：不适用。
    """
    return _same(revenue)


def operating_cost(operating_cost):
    """营业成本（本年累计）。

    定义：快报利润表的营业成本，按本年累计数；与营业总收入并列看成本是否快于收入增长。
    单位：万元。方向：越低越好（仅用于通报，权重 0，不参加晾晒排名）。来源：财务快报报表项目。
    零分母：不适用。
    """
    return _same(operating_cost)


def period_expenses(selling_expenses, admin_expenses, financial_expenses):
    """三项费用（本年累计）：销售费用 + 管理费用 + 财务费用。

    定义：期间费用中的销售、管理、财务三项，**不含研发费用**（2018 年起利润表单列研发费用，管理费用
    不再含研发；研发投入另见研发经费投入强度，成本费用利润率的成本费用总额则含研发费用）。
    公式：销售费用 + 管理费用 + 财务费用。单位：万元。方向：越低越好（仅用于通报，权重 0）。
    来源：财务快报报表项目；财政部国有企业月度经济运行情况通报的期间费用口径（本区定义不含研发费用）。
    零分母：不适用。任一项未填 → NaN（不把未填当 0）。
    """
    return _same(selling_expenses + admin_expenses + financial_expenses)


@_explain(lambda ly_operating_revenue: ly_operating_revenue, negative="上年同期营业收入为负")
def revenue_growth(operating_revenue, ly_operating_revenue):
    """营业收入增长率（同比）。

    定义：本年累计营业收入（不是营业总收入）较上年同期的增长。
    公式：(本年累计营业收入 − 上年同期营业收入) / 上年同期营业收入 × 100。单位：%。方向：越高越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）经营增长状况·销售（营业）增长率，主营业务收入按现行准则对应营业收入。
    零分母：上年同期为 0 或为负 → NaN；营业收入未填 → NaN（不以营业总收入代替）。
    """
    return safe_divide(operating_revenue - ly_operating_revenue, _positive(ly_operating_revenue)) * 100.0


@_explain(lambda ly_total_profit: ly_total_profit)
def total_profit_growth(total_profit, ly_total_profit):
    """利润总额增长率（同比）。

    定义：上年同期为亏损时以其绝对值作分母，使减亏表现为正增长。
    公式：(本年累计利润总额 − 上年同期) / |上年同期| × 100。单位：%。方向：越高越好。
    来源：本区定义（上年同期为负时取其绝对值作分母）。
    零分母：上年同期为 0 → NaN。
    """
    base = abs(ly_total_profit)
    return safe_divide(total_profit - ly_total_profit, _nonzero(base)) * 100.0


def net_profit(net_profit):
    """净利润（本年累计，含少数股东损益）。单位：万元。方向：越高越好。来源：财务快报。"""
    return _same(net_profit)


def net_profit_parent(net_profit_parent):
    """归属于母公司所有者的净利润（本年累计）。单位：万元。方向：越高越好。来源：财务快报。"""
    return _same(net_profit_parent)


@_explain(lambda target_revenue: target_revenue, negative="年度目标为负")
def revenue_target_completion(revenue, target_revenue):
    """营业收入年度目标完成率。公式：本年累计营业总收入 / 年度目标 × 100。单位：%。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：目标为 0 或为负 → NaN。"""
    return safe_divide(revenue, _positive(target_revenue)) * 100.0


@_explain(lambda target_total_profit: target_total_profit, negative="年度目标为负（减亏目标不适用）")
def profit_target_completion(total_profit, target_total_profit):
    """利润总额年度目标完成率。公式：本年累计利润总额 / 年度目标 × 100。单位：%。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：目标为 0 或为负 → NaN。"""
    return safe_divide(total_profit, _positive(target_total_profit)) * 100.0


def total_assets(total_assets):
    """资产总额（期末）。单位：万元。方向：越高越好。来源：财务快报。"""
    return _same(total_assets)


@_explain(lambda total_assets, open_total_assets: (total_assets + open_total_assets) / 2, negative="平均资产为负")
def total_asset_turnover(operating_revenue, total_assets, open_total_assets, months_elapsed):
    """总资产周转率（年化）。

    公式：营业收入 × 12 / 已过月数 / ((年初资产总额 + 期末资产总额) / 2)。单位：次。方向：越高越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）附件1，主营业务收入净额按现行准则对应营业收入。
    零分母：平均资产为 0 → NaN；营业收入未填 → NaN（不以营业总收入代替）。
    """
    average = (total_assets + open_total_assets) / 2.0
    return safe_divide(annualise(operating_revenue, months_elapsed), _positive(average))


@_explain(lambda accounts_receivable, open_accounts_receivable: (accounts_receivable + open_accounts_receivable) / 2,
          negative="平均应收账款为负")
def receivables_turnover(operating_revenue, accounts_receivable, open_accounts_receivable, months_elapsed):
    """应收账款周转率（年化）。

    公式：营业收入 × 12 / 已过月数 / ((年初应收账款 + 期末应收账款) / 2)。单位：次。方向：越高越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）附件1（细则用应收账款原值，本区用快报账面净额）。
    零分母：平均应收账款为 0 → NaN；营业收入未填 → NaN（不以营业总收入代替）。
    """
    average = (accounts_receivable + open_accounts_receivable) / 2.0
    return safe_divide(annualise(operating_revenue, months_elapsed), _positive(average))


@_explain(lambda current_assets, open_current_assets: (current_assets + open_current_assets) / 2,
          negative="平均流动资产为负")
def current_asset_turnover(operating_revenue, current_assets, open_current_assets, months_elapsed):
    """流动资产周转率（年化）。

    公式：营业收入 × 12 / 已过月数 / ((年初流动资产 + 期末流动资产) / 2)。单位：次。方向：越高越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）附件1。
    零分母：平均流动资产为 0 → NaN；营业收入未填 → NaN（不以营业总收入代替）。
    """
    average = (current_assets + open_current_assets) / 2.0
    return safe_divide(annualise(operating_revenue, months_elapsed), _positive(average))


# --------------------------------------------------------------------------------------------
# 盘资产
# --------------------------------------------------------------------------------------------
@_explain(lambda current_assets: current_assets, negative="流动资产为负")
def two_funds_ratio(accounts_receivable, inventory, current_assets):
    """两金占流动资产比重。

    公式：(应收账款 + 存货) / 流动资产 × 100。单位：%。方向：越低越好。
    来源：国务院国资委《企业绩效评价标准值》补充资料·两金占流动资产比重。零分母：流动资产为 0 → NaN。
    """
    return safe_divide(accounts_receivable + inventory, _positive(current_assets)) * 100.0


def idle_assets_found(idle_asset_count):
    """梳理出的待盘活存量资产项目数。单位：个。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(idle_asset_count)


def idle_assets_in_progress(idle_in_progress_count):
    """正在推进的盘活项目数。单位：个。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(idle_in_progress_count)


def revitalised_value_ytd(revitalised_value_ytd):
    """本年盘活账面资产价值。单位：万元。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(revitalised_value_ytd)


@_explain(lambda idle_asset_count: idle_asset_count, zero="无待盘活存量资产项目（不适用）")
def revitalisation_rate(idle_revitalised_count, idle_asset_count):
    """存量资产盘活率。

    定义：存量资产台账中状态为“已盘活”的项目数占台账项目数（已梳理、推进中、已盘活）的比重。
    公式：已盘活项目数 / 台账项目数 × 100。单位：%。方向：越高越好。来源：区国资委口径（本区定义）。
    零分母：台账没有待盘活项目 → NaN（不适用：无可盘活的资产，既不是 100 也不是 0）。
    """
    return safe_divide(idle_revitalised_count, _positive(idle_asset_count)) * 100.0


@_explain(lambda target_revitalised_value: target_revitalised_value, negative="年度目标为负")
def revitalised_target_completion(revitalised_value_ytd, target_revitalised_value):
    """盘活目标完成率。公式：本年盘活账面资产价值 / 年度盘活目标 × 100。单位：%。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：目标为 0 → NaN。"""
    return safe_divide(revitalised_value_ytd, _positive(target_revitalised_value)) * 100.0


def mixed_reform_completed(mixed_reform_completed_count):
    """本年完成混合所有制改革企业数。单位：家。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(mixed_reform_completed_count)


def mixed_reform_pool(mixed_reform_pool_count):
    """混改储备库企业数（储备、推进中）。单位：家。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(mixed_reform_pool_count)


def incentive_pilots(incentive_pilot_count):
    """中长期激励试点数（推进中、已完成）。单位：家。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(incentive_pilot_count)


# --------------------------------------------------------------------------------------------
# 保民生
# --------------------------------------------------------------------------------------------
def livelihood_task_count(livelihood_task_count):
    """民生实事任务数。单位：个。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(livelihood_task_count)


@_explain(lambda livelihood_valid_count: livelihood_valid_count, zero="无有年度目标的民生实事（不适用）")
def livelihood_completion_rate(livelihood_progress_sum, livelihood_valid_count):
    """民生实事完成率。

    定义：各项民生实事本年累计完成量占其年度目标的比例（封顶 100%）的件均值（各任务计量单位不同，
    故逐件求完成比例再平均）。与序时进度比较的是完成进度：只数“已全部完成”的件数，年末前几乎
    处处为 0，会把完成九成的任务算作未动工（2022 年 11 月示范区各单位均为 0.00%）。
    公式：Σ min(本年累计完成 / 年度目标, 1) / 有目标任务数 × 100。单位：%。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：无有年度目标的任务 → NaN（不适用）。
    """
    return safe_divide(livelihood_progress_sum, livelihood_valid_count) * 100.0


@_explain(lambda livelihood_valid_count: livelihood_valid_count, zero="无有年度目标的民生实事（不适用）")
def livelihood_pace_gap(livelihood_progress_sum, livelihood_valid_count, elapsed_share):
    """民生实事进度与序时进度之差。

    定义：各任务完成进度（本年累计完成 / 年度目标，封顶 100%）的件均值减去序时进度。
    公式：Σ min(完成/目标, 1) / 有目标任务数 × 100 − 序时进度 × 100。单位：百分点。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：无有目标任务 → NaN。
    """
    return safe_divide(livelihood_progress_sum, livelihood_valid_count) * 100.0 - elapsed_share * 100.0


def public_project_completed_ytd(public_project_completed_ytd):
    """民生工程与城市更新项目本年完成投资。单位：万元。方向：越高越好。来源：区国资委口径（本区定义）。"""
    return _same(public_project_completed_ytd)


def headcount_end(headcount_end):
    """从业人员期末人数（稳就业）。单位：人。方向：越高越好。来源：财务快报。"""
    return _same(headcount_end)


def taxes_paid(taxes_paid):
    """已交税费总额（本年累计）。单位：万元。方向：越高越好。来源：财务快报。"""
    return _same(taxes_paid)


# --------------------------------------------------------------------------------------------
# 稳金融
# --------------------------------------------------------------------------------------------
def _ibd(short_term_borrowings, current_portion_long_term_debt, long_term_borrowings, bonds_payable,
         other_interest_bearing_debt, lease_liabilities, perpetual_bonds):
    return (short_term_borrowings + current_portion_long_term_debt + long_term_borrowings + bonds_payable
            + other_interest_bearing_debt + lease_liabilities + perpetual_bonds)


@_blank_as_zero("lease_liabilities", "perpetual_bonds")
def interest_bearing_debt(short_term_borrowings, current_portion_long_term_debt, long_term_borrowings,
                          bonds_payable, other_interest_bearing_debt, lease_liabilities, perpetual_bonds):
    """带息负债（含租赁负债与列为权益的永续债）。

    定义：期末有息债务。在细则分子之外加上租赁负债和其他权益工具中的永续债（实为有息融资）。
    公式：短期借款 + 一年内到期的非流动负债 + 长期借款 + 应付债券 + 其他带息负债 + 租赁负债 + 永续债。
    单位：万元。方向：越低越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）债务风险状况·带息负债比率的分子；租赁负债、永续债并入为本区定义。
    零分母：不适用。租赁负债、永续债未填 → 按 0 计并说明。
    """
    return _same(_ibd(short_term_borrowings, current_portion_long_term_debt, long_term_borrowings, bonds_payable,
                      other_interest_bearing_debt, lease_liabilities, perpetual_bonds))


@_blank_as_zero("lease_liabilities", "perpetual_bonds")
@_explain(lambda total_liabilities, perpetual_bonds: total_liabilities + perpetual_bonds.fillna(0.0)
          if isinstance(perpetual_bonds, pd.Series) else total_liabilities + np.nan_to_num(perpetual_bonds),
          negative="负债总额为负")
def interest_bearing_debt_ratio(short_term_borrowings, current_portion_long_term_debt, long_term_borrowings,
                                bonds_payable, other_interest_bearing_debt, lease_liabilities, perpetual_bonds,
                                total_liabilities):
    """带息负债比率（含租赁负债与永续债）。

    定义：带息负债占负债总额的比重；永续债列在权益中，故分母同时加回永续债，分子分母口径一致。
    公式：带息负债 / (负债总额 + 永续债) × 100。单位：%。方向：越低越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）债务风险状况·带息负债比率；租赁负债、永续债并入为本区定义。
    零分母：负债总额为 0 → NaN。租赁负债、永续债未填 → 按 0 计并说明。
    """
    debt = _ibd(short_term_borrowings, current_portion_long_term_debt, long_term_borrowings, bonds_payable,
                other_interest_bearing_debt, lease_liabilities, perpetual_bonds)
    return safe_divide(debt, _positive(total_liabilities + perpetual_bonds)) * 100.0


@_explain(lambda debt_rated_balance: debt_rated_balance)
def composite_financing_cost(debt_rate_x_balance, debt_rated_balance):
    """综合融资成本（存量加权平均利率）。

    公式：Σ(融资余额 × 年利率) / Σ 融资余额（只计有利率的存量融资）。单位：%。方向：越低越好。
    来源：区国资委口径（本区定义）。零分母：无存量融资 → NaN。
    """
    return safe_divide(debt_rate_x_balance, debt_rated_balance)


@_explain(lambda ly_debt_rated_balance: ly_debt_rated_balance)
def financing_cost_change_bp(debt_rate_x_balance, debt_rated_balance, ly_debt_rate_x_balance,
                             ly_debt_rated_balance):
    """综合融资成本同比变动。

    公式：(本期综合融资成本 − 上年同期综合融资成本) × 100。单位：bp。方向：越低越好（2023 年目标下降 15bp 以上）。
    来源：区国资委口径（本区定义）。零分母：任一期无存量融资 → NaN。
    """
    now = safe_divide(debt_rate_x_balance, debt_rated_balance)
    before = safe_divide(ly_debt_rate_x_balance, ly_debt_rated_balance)
    return (now - before) * 100.0


@_explain(lambda debt_balance: debt_balance)
def direct_financing_share(direct_debt_balance, debt_balance):
    """直接融资占比。公式：直接融资余额（债券、票据等）/ 融资余额 × 100。单位：%。方向：越高越好。
    来源：区国资委口径（本区定义）。零分母：无存量融资 → NaN。"""
    return safe_divide(direct_debt_balance, debt_balance) * 100.0


def debt_due_12m(debt_due_12m):
    """一年内到期融资余额（含已逾期未还）。公式：Σ 到期日不晚于截至日后 12 个月的融资余额。
    单位：万元。方向：越低越好。来源：区国资委口径（本区定义）。"""
    return _same(debt_due_12m)


def _short_debt(short_term_borrowings, current_portion_long_term_debt, notes_payable):
    return short_term_borrowings + current_portion_long_term_debt + notes_payable


@_explain(_short_debt, negative="短期债务为负")
def cash_to_short_term_debt(cash, short_term_borrowings, current_portion_long_term_debt, notes_payable):
    """现金短债比。

    公式：货币资金 / (短期借款 + 一年内到期的非流动负债 + 应付票据)。单位：倍。方向：越高越好（低于 1 有再融资压力）。
    来源：本区定义（市场通行口径）。零分母：短期债务为 0 → NaN。
    """
    return safe_divide(cash, _positive(_short_debt(short_term_borrowings, current_portion_long_term_debt,
                                                   notes_payable)))


@_blank_as_zero("capitalized_interest")
@_explain(lambda interest_expense, capitalized_interest: interest_expense + capitalized_interest.fillna(0.0)
          if isinstance(capitalized_interest, pd.Series) else interest_expense + np.nan_to_num(capitalized_interest),
          negative="利息支出为负")
def interest_coverage(total_profit, interest_expense, capitalized_interest):
    """已获利息倍数（按利息发生额，含资本化利息）。

    定义：息税前利润对当期全部利息支出（费用化与资本化之和）的保障倍数，本年累计。
    公式：(利润总额 + 费用化利息支出) / (费用化利息支出 + 资本化利息支出)。单位：倍。
    方向：越高越好（为负即纳入本区重点监管）。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）债务风险状况·已获利息倍数；
    分子的利息支出只加回计入利润的费用化部分，分母取利息发生额（含资本化利息）为本区定义。
    零分母：利息合计为 0 → NaN。资本化利息支出未填 → 按 0 计并说明。
    """
    return safe_divide(total_profit + interest_expense, _positive(interest_expense + capitalized_interest))


@_explain(lambda interest_expense: interest_expense, negative="利息支出为负")
def interest_coverage_expensed(total_profit, interest_expense):
    """已获利息倍数（仅费用化利息，备选口径，默认停用）。

    公式：(利润总额 + 费用化利息支出) / 费用化利息支出（本年累计）。单位：倍。方向：越高越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）债务风险状况·已获利息倍数，利息支出取利润表费用化部分。零分母：利息支出为 0 → NaN。
    """
    return safe_divide(total_profit + interest_expense, _positive(interest_expense))


@_explain(lambda current_liabilities: current_liabilities, negative="流动负债为负")
def current_ratio(current_assets, current_liabilities):
    """流动比率。

    定义：期末流动资产对流动负债的保障程度，按百分数表示（与细则速动比率、现金流动负债比率的表示一致）。
    公式：流动资产 / 流动负债 × 100。单位：%。方向：越高越好。
    来源：本区定义（会计通行公式；国资委绩效评价细则的债务风险指标中无流动比率）。
    零分母：流动负债为 0 或为负 → NaN。
    """
    return safe_divide(current_assets, _positive(current_liabilities)) * 100.0


@_explain(lambda current_liabilities: current_liabilities, negative="流动负债为负")
def quick_ratio(current_assets, inventory, current_liabilities):
    """速动比率。公式：(流动资产 − 存货) / 流动负债 × 100。单位：%。方向：区间内为宜。
    来源：本区定义（（流动资产 − 存货）/ 流动负债，会计通行公式）。零分母：流动负债为 0 → NaN。"""
    return safe_divide(current_assets - inventory, _positive(current_liabilities)) * 100.0


@_explain(lambda current_liabilities: current_liabilities, negative="流动负债为负")
def cash_current_liabilities_ratio(net_operating_cash_flow, current_liabilities, months_elapsed):
    """现金流动负债比率（年化）。

    公式：经营活动现金流量净额 × 12 / 已过月数 / 期末流动负债 × 100。单位：%。方向：越高越好。
    来源：《中央企业综合绩效评价管理暂行办法》（国资委令第14号）及其实施细则（2006）债务风险状况·现金流动负债比率。零分母：流动负债为 0 → NaN。
    """
    return safe_divide(annualise(net_operating_cash_flow, months_elapsed), _positive(current_liabilities)) * 100.0


@_explain(lambda total_equity: total_equity, negative="净资产为负")
def guarantee_to_net_assets(guarantee_balance, total_equity):
    """担保余额占净资产比例。

    公式：对外担保余额 / 期末所有者权益合计 × 100（集团为全树担保对合并净资产）。单位：%。方向：越低越好（央企上限 40%）。
    来源：国资发财评规〔2021〕75号。零分母：净资产为 0 → NaN；净资产为负 → NaN（「净资产为负」）。
    """
    return safe_divide(guarantee_balance, _positive(total_equity)) * 100.0


def non_related_guarantee(non_related_guarantee_balance):
    """对非关联企业担保余额（应为 0）。单位：万元。方向：越低越好。来源：国资发财评规〔2021〕75号。"""
    return _same(non_related_guarantee_balance)


def above_share_guarantee(above_share_guarantee_balance):
    """超股比担保额。

    定义：对有产权关系企业的担保中，超过按持股比例应承担部分的金额，逐笔计算后加总。
    公式：Σ max(担保金额 − 持股比例 × 被担保债务, 0)。单位：万元。方向：越低越好（应为 0）。
    来源：国资发财评规〔2021〕75号（不得对参股企业超股比担保）。零分母：不适用。
    """
    return _same(above_share_guarantee_balance)


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------
REGISTRY: dict[str, Callable] = {
    f.__name__: f
    for f in (
        total_profit, debt_to_asset_ratio, roe, operating_cash_ratio, rd_intensity, labour_productivity, roa,
        cost_profit_margin, cash_earnings_coverage, state_capital_preservation_ratio,
        state_capital_preservation_ratio_ytd, ipo_count, listing_pipeline,
        operating_profit_margin, cash_collection_ratio,
        projects_under_construction, project_total_investment, project_annual_plan, project_completed_ytd,
        investment_completion_rate, investment_pace_gap, city_key_project_count, city_key_completion_rate,
        equity_investment_count, equity_investment_completed, strategic_emerging_share, fund_aum, fund_sub_funds,
        fund_projects,
        revenue, operating_cost, period_expenses, revenue_growth, total_profit_growth, net_profit, net_profit_parent, revenue_target_completion,
        profit_target_completion, total_assets, total_asset_turnover, receivables_turnover, current_asset_turnover,
        two_funds_ratio, idle_assets_found, idle_assets_in_progress, revitalised_value_ytd, revitalisation_rate,
        revitalised_target_completion, mixed_reform_completed, mixed_reform_pool, incentive_pilots,
        livelihood_task_count, livelihood_completion_rate, livelihood_pace_gap, public_project_completed_ytd,
        headcount_end, taxes_paid,
        interest_bearing_debt, interest_bearing_debt_ratio, composite_financing_cost, financing_cost_change_bp,
        direct_financing_share, debt_due_12m, cash_to_short_term_debt, interest_coverage, interest_coverage_expensed,
        current_ratio, quick_ratio,
        cash_current_liabilities_ratio, guarantee_to_net_assets, non_related_guarantee, above_share_guarantee,
    )
}

_CONTEXT = {"months_elapsed", "elapsed_share"}


def inputs_of(func: Callable) -> list[str]:
    """The panel columns an indicator function reads (its argument names)."""
    return list(inspect.signature(func).parameters)


def _call(func: Callable, panel: pd.DataFrame, *, fill_blanks: bool = True):
    kwargs = {}
    zero = getattr(func, "blank_as_zero", ()) if fill_blanks else ()
    for name in inputs_of(func):
        column = panel[name] if name in panel.columns else pd.Series(np.nan, index=panel.index)
        kwargs[name] = column.astype(float).fillna(0.0) if name in zero else column
    return func(**kwargs)


def _blank_note(func: Callable, panel: pd.DataFrame) -> pd.Series:
    """「（资本化利息支出未填报，按 0 计）」 where a blank-as-zero input was blank, else ""."""
    notes = pd.Series("", index=panel.index, dtype=object)
    for name in getattr(func, "blank_as_zero", ()):
        blank = panel[name].isna() if name in panel.columns else pd.Series(True, index=panel.index)
        notes = notes.where(~blank.to_numpy(), notes + item_name(name) + "、")
    has = notes.str.len() > 0
    return notes.where(~has, "（" + notes.str.rstrip("、") + "未填报，按 0 计）")


def _missing_reason(names: list[str]) -> str:
    current = [n for n in names if not n.startswith(("open_", "ly_", "target_"))]
    if current:
        return "未报送（缺少：" + "、".join(item_name(n) for n in current) + "）"
    if any(n.startswith("open_") for n in names):
        return "缺少上年末数据"
    if any(n.startswith("ly_") for n in names):
        return "缺少上年同期数据"
    return "未设定年度目标"


def _reasons(func: Callable, panel: pd.DataFrame, values: pd.Series) -> pd.Series:
    reasons = _blank_note(func, panel)
    nan_rows = values.isna().to_numpy()
    if not nan_rows.any():
        return reasons
    out = reasons.to_numpy(dtype=object, copy=True)
    out[nan_rows] = ""
    applies = getattr(func, "applies", None)
    outside = (~_call(applies, panel).astype(bool)).to_numpy() if applies is not None else np.zeros(len(panel), bool)
    zero = set(getattr(func, "blank_as_zero", ()))
    names = [n for n in inputs_of(func) if n not in _CONTEXT and n not in zero]
    # plain arrays, not pandas scalars: a province's history has ~10^5 rows per indicator (issue 27)
    missing = np.column_stack([panel[n].isna().to_numpy() if n in panel.columns else np.ones(len(panel), bool)
                               for n in names]) if names else np.zeros((len(panel), 0), bool)
    denominator = getattr(func, "denominator", None)
    den = np.broadcast_to(_values(_call(denominator, panel)), (len(panel),)) if denominator is not None else None
    negative = getattr(func, "negative_reason", "分母为负")
    for pos in np.flatnonzero(nan_rows):
        if outside[pos]:
            out[pos] = func.not_applicable_reason
            continue
        row_missing = [n for n, m in zip(names, missing[pos]) if m]
        if row_missing:
            out[pos] = _missing_reason(row_missing)
            continue
        d = np.nan if den is None else float(den[pos])
        if d == 0:
            out[pos] = getattr(func, "zero_reason", "分母为零")
        elif d < 0:
            out[pos] = negative
        else:
            out[pos] = "无法计算"
    return pd.Series(out, index=reasons.index, dtype=object)


def compute_from_panel(panel: pd.DataFrame, *, catalogue: Catalogue | None = None,
                       blocks: Sequence[int] | None = None) -> pd.DataFrame:
    """Tidy indicator values for every enabled catalogue indicator from a line-item panel.

    ``blocks``: the panel's rows come in consecutive blocks of these lengths (e.g. one panel per month,
    stacked); the result lists them block by block, each as this function gives that block alone (the
    formulas are row by row), so many months cost one pass per indicator, not one per indicator and month.
    """
    catalogue = catalogue or load_catalogue()
    panel = panel.reset_index(drop=True)
    if blocks is not None and sum(blocks) != len(panel):
        raise ValueError(f"blocks 的行数之和（{sum(blocks)}）与面板行数（{len(panel)}）不符")
    columns = ["entity_id", "entity_name", "level", "period", "indicator_id", "name_zh", "table", "value",
               "unit", "reason", "basis"]  # basis: issue 14, where a growth rate's 上年同期数 came from
    specs = catalogue.enabled()
    if not specs:
        return pd.DataFrame(columns=columns)
    n = len(panel)
    values, reasons, bases = [], [], []
    for spec in specs:
        func = REGISTRY.get(spec.id)
        if func is None:
            raise KeyError(f"指标「{spec.id}」在目录中启用，但没有对应的计算函数")
        raw = np.broadcast_to(_values(_call(func, panel)), (n,)).astype(float)
        raw = np.where(np.isfinite(raw), raw, np.nan)
        values.append(raw)
        reasons.append(_reasons(func, panel, pd.Series(raw, index=panel.index)).to_numpy())
        bases.append(np.where(np.isnan(raw), "", ly_basis(panel, inputs_of(func)).to_numpy()))  # issue 14
    k = len(specs)
    bounds = np.cumsum([0, *(blocks if blocks is not None else [n])])
    spans = list(zip(bounds[:-1], bounds[1:]))

    def by_block(per_indicator):  # indicator-major within each block, block after block
        matrix = np.stack(per_indicator)
        return np.concatenate([matrix[:, a:b].ravel() for a, b in spans])

    def per_spec(attr):
        names = np.array([getattr(s, attr) for s in specs], dtype=object)
        return pd.array(np.concatenate([np.repeat(names, b - a) for a, b in spans]), dtype="string")

    def per_entity(col):
        cells = panel[col].astype("string").to_numpy(dtype=object)
        return pd.array(np.concatenate([np.tile(cells[a:b], k) for a, b in spans]), dtype="string")

    out = pd.DataFrame({
        "entity_id": per_entity("entity_id"),
        "entity_name": per_entity("entity_name"),
        "level": per_entity("level"),
        "period": per_entity("period"),
        "indicator_id": per_spec("id"),
        "name_zh": per_spec("name_zh"),
        "table": per_spec("table"),
        "value": by_block(values),
        "unit": per_spec("unit"),
        "reason": pd.array(by_block(reasons), dtype="string"),
        "basis": pd.array(by_block(bases), dtype="string"),
    })
    return out[columns]


def compute_indicators(tables: Mapping[str, pd.DataFrame], *, period: str, roster: pd.DataFrame | None = None,
                       catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Every enabled indicator for every entity (enterprises, groups, ``DISTRICT``) in one period.

    Returns a tidy frame with columns ``entity_id, entity_name, level, period, indicator_id, name_zh,
    table, value, unit, reason, basis``; ``reason`` is Chinese text where ``value`` is NaN (「未报送（缺少：…）」,
    「分母为零」, 「缺少上年同期数据」, 「平均净资产为负」 …) and empty otherwise; ``basis`` says, for an
    indicator reading 上年同期数, whether they came from this period's 快报 or last year's filing.
    """
    panel = line_items(tables, period=period, roster=roster)
    return compute_from_panel(panel, catalogue=catalogue)


