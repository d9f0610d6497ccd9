"""The line-item panel: one row per entity, one column per input the indicators need.

:func:`line_items` turns the contract tables into a wide frame with

* identity columns ``entity_id, entity_name, level (enterprise/group/district), roster_level,
  parent_id, group_id, period, data_month, months_elapsed, elapsed_share``;
* every 财务快报 line item **as reported** for the closed month of the period (a group's own
  consolidated row; ``DISTRICT`` = the sum of the groups' rows, NaN if any group is missing);
* ``open_<item>``: balance-sheet items at the previous year end (年初数), for averages;
* ``ly_<item>``: every 快报 item for the same month last year, for growth rates — the 上年同期数
  reported with this period's 快报 (table ``financials_ly``) where there is one, else last year's
  filing; ``ly_reported_items`` / ``ly_partly_reported_items`` name the items taken (wholly /
  for some groups of ``DISTRICT``) from this period's 快报 (see :func:`ly_basis`);
* detail-table aggregates (projects, equity investments, funds, listings, debts, credit lines,
  ratings, guarantees, idle assets, reforms, livelihood tasks) summed over each entity's whole
  subtree (itself and every descendant, by the roster's parent codes); ``DISTRICT`` = the sum over
  all rows;
* ``target_<item>``: the year's targets from ``targets``.

Missing data stay NaN: an entity without a 快报 row has NaN line items; a detail table with no rows
for the period gives NaN aggregates for everyone. When a detail table *was* filed for the period,
an entity with no items in it has 0 (no projects is a true zero).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from guozi_analysis.base import periods as _periods
from guozi_analysis.base.entities import DISTRICT_ID, EnterpriseTree

DISTRICT_NAME = "全区合计"

#: Balance-sheet items (period end).
BALANCE_ITEMS: dict[str, str] = {
    "total_assets": "资产总额",
    "current_assets": "流动资产",
    "cash": "货币资金",
    "accounts_receivable": "应收账款",
    "inventory": "存货",
    "contract_assets": "合同资产",
    "total_liabilities": "负债总额",
    "current_liabilities": "流动负债",
    "short_term_borrowings": "短期借款",
    "notes_payable": "应付票据",
    "current_portion_long_term_debt": "一年内到期的非流动负债",
    "long_term_borrowings": "长期借款",
    "bonds_payable": "应付债券",
    "other_interest_bearing_debt": "其他带息负债",
    "lease_liabilities": "租赁负债",  # issue 19
    "perpetual_bonds": "永续债",  # issue 19
    "total_equity": "所有者权益合计",
    "minority_equity": "少数股东权益",
    "paid_in_capital": "实收资本",
    "state_capital": "国有资本及权益",
}
#: Year-to-date flows (本年累计).
FLOW_ITEMS: dict[str, str] = {
    "revenue": "营业总收入",
    "operating_revenue": "营业收入",  # issue 19
    "operating_cost": "营业成本",
    "taxes_and_surcharges": "税金及附加",
    "selling_expenses": "销售费用",
    "admin_expenses": "管理费用",
    "rd_expenses": "研发费用",
    "financial_expenses": "财务费用",
    "interest_expense": "费用化利息支出",
    "capitalized_interest": "资本化利息支出",
    "operating_profit": "营业利润",
    "investment_income": "投资收益",
    "non_operating_income": "营业外收入",
    "non_operating_expenses": "营业外支出",
    "total_profit": "利润总额",
    "income_tax": "所得税费用",
    "net_profit": "净利润",
    "net_profit_parent": "归属于母公司所有者的净利润",
    "employee_compensation": "职工薪酬",
    "depreciation": "计提折旧",
    "taxes_payable_total": "应交税费总额",
    "taxes_paid": "已交税费总额",
    "rd_investment": "研发经费投入",
    "cash_from_sales": "销售商品、提供劳务收到的现金",
    "operating_cash_inflow": "经营活动现金流入",
    "net_operating_cash_flow": "经营活动产生的现金流量净额",
    "state_capital_objective_increase": "国有资本客观增加因素",
    "state_capital_objective_decrease": "国有资本客观减少因素",
}
PEOPLE_ITEMS: dict[str, str] = {
    "headcount_end": "从业人员期末人数",
    "headcount_avg": "本年平均从业人数",
}
FINANCIAL_ITEMS: dict[str, str] = {**BALANCE_ITEMS, **FLOW_ITEMS, **PEOPLE_ITEMS}
#: Optional adjustment items that count as 0 when blank (issue 19): the district sums the groups' reported values.
BLANK_AS_ZERO_ITEMS = ("lease_liabilities", "perpetual_bonds", "capitalized_interest",
                       "state_capital_objective_increase", "state_capital_objective_decrease")

#: Detail-table aggregates (Chinese names used in reasons and headers).
DETAIL_ITEMS: dict[str, str] = {
    "proj_count": "在建项目数",
    "proj_total_investment": "在建项目总投资",
    "proj_annual_plan": "年度计划投资",
    "proj_completed_ytd": "本年完成投资",
    "proj_new_start_count": "新开工项目数",
    "proj_reserve_count": "储备项目数",
    "city_key_count": "市级重点工程项目数",
    "city_key_total_investment": "市级重点工程总投资",
    "city_key_annual_plan": "市级重点工程年度计划投资",
    "city_key_completed_ytd": "市级重点工程本年完成投资",
    "strategic_project_completed_ytd": "战略性新兴产业项目本年完成投资",
    "public_project_completed_ytd": "民生工程与城市更新项目本年完成投资",
    "eq_count": "股权投资项目数",
    "eq_planned": "股权投资计划额",
    "eq_completed_ytd": "股权投资本年完成额",
    "eq_strategic_completed_ytd": "战略性新兴产业股权投资完成额",
    "fund_count": "基金数",
    "fund_aum": "基金实际在管规模",
    "fund_sub_funds": "参股基金数",
    "fund_projects": "基金对外投资项目数",
    "listed_count": "已上市企业数",
    "listing_pipeline_count": "上市培育企业数",
    "debt_balance": "融资余额",
    "debt_rate_x_balance": "融资余额×利率",
    "debt_rated_balance": "有利率的融资余额",
    "direct_debt_balance": "直接融资余额",
    "debt_due_12m": "一年内到期融资余额",
    "credit_line_amount": "授信总额",
    "credit_used_amount": "已用授信",
    "fair_credit_amount": "对接会签约授信",
    "aa_plus_count": "AA+及以上主体数",
    "guarantee_balance": "担保余额",
    "guarantee_count": "担保笔数",
    "non_related_guarantee_balance": "对非关联企业担保余额",
    "non_related_guarantee_count": "对非关联企业担保笔数",
    "above_share_guarantee_balance": "超股比担保额",
    "above_share_guarantee_count": "超股比担保笔数",
    "idle_asset_count": "待盘活资产项目数",
    "idle_in_progress_count": "推进中盘活项目数",
    "idle_revitalised_count": "已盘活项目数",
    "idle_book_value": "待盘活资产账面价值",
    "revitalised_value_ytd": "本年盘活资产价值",
    "mixed_reform_completed_count": "本年完成混改数",
    "mixed_reform_pool_count": "混改储备库数",
    "incentive_pilot_count": "中长期激励试点数",
    "livelihood_task_count": "民生实事任务数",
    "livelihood_done_count": "已完成民生实事数",
    "livelihood_valid_count": "有年度目标的民生实事数",
    "livelihood_progress_sum": "民生实事进度合计",
}
#: Targets whose district value may be summed from the groups when no DISTRICT row is given.
ADDITIVE_TARGETS = {"revenue", "total_profit", "investment_completed", "revitalised_value",
                    "mixed_reform_count", "net_profit"}
#: Targets always present as columns (NaN when not set).
DEFAULT_TARGETS = ("revenue", "total_profit", "revitalised_value", "investment_completed")

CONTEXT_ITEMS = {"months_elapsed": "已过月数", "elapsed_share": "序时进度"}


def item_name(column: str) -> str:
    """Chinese name of a panel column (prefixes 上年末 / 上年同期 / 年度目标 for derived columns)."""
    if column in FINANCIAL_ITEMS:
        return FINANCIAL_ITEMS[column]
    if column in DETAIL_ITEMS:
        return DETAIL_ITEMS[column]
    if column in CONTEXT_ITEMS:
        return CONTEXT_ITEMS[column]
    if column.startswith("open_"):
        return "上年末" + item_name(column[5:])
    if column.startswith("ly_"):
        return "上年同期" + item_name(column[3:])
    if column.startswith("target_"):
        base = column[7:]
        return "年度目标（" + (FINANCIAL_ITEMS.get(base) or DETAIL_ITEMS.get(base) or base) + "）"
    return column


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def as_bool(series: pd.Series) -> pd.Series:
    """Booleans from bool / 0-1 / "True"/"是" columns; missing → False."""
    if series.dtype == bool:
        return series
    text = series.astype("string").str.strip().str.lower()
    return text.isin(["true", "1", "1.0", "是", "y", "yes", "t"]).fillna(False).astype(bool)


def num_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame[column].astype("string").str.strip()


def _period_labels(frame: pd.DataFrame) -> pd.Series:
    col = frame["period"]
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.dt.strftime("%Y-%m")
    return col.astype("string").str.strip()


#: id(frame) → (frame, {period label: row positions}); the indicator history reads 24 months of the same
#: tables, and a province's tables hold a million rows: each month's rows are found once (issue 18).
_PERIOD_INDEX: dict[int, tuple[pd.DataFrame, int, dict[str, np.ndarray]]] = {}
_PERIOD_INDEX_SIZE = 64


def period_positions(frame: pd.DataFrame, labels: Iterable[str]) -> np.ndarray:
    """Sorted row positions of ``frame`` whose period label (``YYYY-MM``, ``YYYY-MM-H1``…) is in ``labels``."""
    hit = _PERIOD_INDEX.get(id(frame))
    if hit is None or hit[0] is not frame or hit[1] != len(frame):
        codes, uniques = pd.factorize(_period_labels(frame), use_na_sentinel=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        index = {str(u): order[bounds[k]:bounds[k + 1]] for k, u in enumerate(uniques)}
        if len(_PERIOD_INDEX) >= _PERIOD_INDEX_SIZE:
            _PERIOD_INDEX.pop(next(iter(_PERIOD_INDEX)))
        hit = _PERIOD_INDEX[id(frame)] = (frame, len(frame), index)
    parts = [hit[2][lab] for lab in dict.fromkeys(labels) if lab in hit[2]]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.intp)


def _rows_for(tables: Mapping[str, pd.DataFrame], name: str, labels: Iterable[str]) -> pd.DataFrame | None:
    """Rows of table ``name`` whose period is one of ``labels``; ``None`` if there are none."""
    frame = tables.get(name)
    if frame is None or len(frame) == 0 or "period" not in frame.columns:
        return None
    rows = frame.iloc[period_positions(frame, labels)]
    return rows if len(rows) else None


def _monthly_labels(month: str) -> list[str]:
    return [month, f"{month}-H2"]


def _half_monthly_labels(period: _periods.Period) -> list[str]:
    if period.is_half_monthly:
        return [period.label]
    return [f"{period.label}-H2", period.label]


def _to_dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce")


# --------------------------------------------------------------------------------------------
# roster and trees
# --------------------------------------------------------------------------------------------
def _entities(roster: pd.DataFrame, tree: EnterpriseTree) -> pd.DataFrame:
    """Identity frame: DISTRICT first, then the roster in tree order (groups, each with its subtree).

    Group membership, parent and level come from the tree (the roster's parent codes), never from
    the shape of a code.
    """
    shape = tree.frame()
    rows = roster.assign(_id=text_column(roster, "enterprise_id").to_numpy()).set_index("_id")
    names = text_column(rows, "name").reindex(shape.index)
    frame = pd.DataFrame(
        {
            "entity_name": names.to_numpy(),
            "level": np.where(shape["is_group"].to_numpy(), "group", "enterprise"),
            "roster_level": shape["depth"].astype(float).to_numpy(),
            "parent_id": shape["parent_id"].to_numpy(),
            "group_id": shape["group_id"].to_numpy(),
        },
        index=pd.Index(shape.index, name="entity_id"),
    )
    district = pd.DataFrame(
        {"entity_name": [DISTRICT_NAME], "level": ["district"], "roster_level": [0.0],
         "parent_id": [""], "group_id": [DISTRICT_ID]},
        index=pd.Index([DISTRICT_ID], name="entity_id"),
    )
    return pd.concat([district, frame])


def _subtree_pairs(tree: EnterpriseTree) -> pd.DataFrame:
    """(member, entity_id) pairs: every roster entity with itself and each of its ancestors."""
    return tree.pairs().rename(columns={"entity_id": "member", "ancestor_id": "entity_id"})[["member", "entity_id"]]


def _rollup(measures: pd.DataFrame | None, owner: pd.Series | None, pairs: pd.DataFrame,
            index: pd.Index, columns: list[str]) -> pd.DataFrame:
    """Sum per-row measures over each entity's subtree; DISTRICT = all rows; no table → NaN."""
    if measures is None or owner is None:
        return pd.DataFrame(np.nan, index=index, columns=columns)
    data = measures[columns].copy()
    data["member"] = owner.astype("string").str.strip().to_numpy()
    per_owner = data.groupby("member", sort=False)[columns].sum(min_count=1)
    merged = pairs.merge(per_owner, left_on="member", right_index=True, how="inner")
    totals = merged.groupby("entity_id", sort=False)[columns].sum(min_count=1)
    out = totals.reindex(index)
    out.loc[DISTRICT_ID] = per_owner.sum(min_count=1)
    return out.fillna(0.0)


# --------------------------------------------------------------------------------------------
# blocks
# --------------------------------------------------------------------------------------------
def _financial_block(tables: Mapping[str, pd.DataFrame], month: str, entities: pd.DataFrame) -> pd.DataFrame:
    items = list(FINANCIAL_ITEMS)
    index = entities.index
    rows = _rows_for(tables, "financials", _monthly_labels(month))
    if rows is None:
        return pd.DataFrame(np.nan, index=index, columns=items)
    values = pd.DataFrame({c: num_column(rows, c) for c in items})
    values.index = rows["enterprise_id"].astype("string").str.strip().to_numpy()
    values = values.loc[~values.index.duplicated(keep="last")]
    out = values.reindex(index)
    groups = entities.index[entities["level"].eq("group")]
    if len(groups):
        out.loc[DISTRICT_ID] = values.reindex(groups).sum(skipna=False)
        zero = list(BLANK_AS_ZERO_ITEMS)
        reported = values.reindex(groups)["total_assets"].notna().all()
        if reported:
            out.loc[DISTRICT_ID, zero] = values.reindex(groups)[zero].sum(min_count=1)
    return out


# --- issue 14: 上年同期数 reported with the current 快报 take precedence (begin) --------------------
LY_BASIS_REPORTED = "上年同期数取自本期快报"
LY_BASIS_FILED = "上年同期数取自上年报送"
LY_BASIS_MIXED = "上年同期数部分取自本期快报、部分取自上年报送"


def _last_year_block(tables: Mapping[str, pd.DataFrame], month: str, ly_month: str,
                     entities: pd.DataFrame) -> pd.DataFrame:
    """``ly_<item>`` per entity: this period's reported 上年同期数 where present, else last year's filing."""
    items = list(FINANCIAL_ITEMS)
    filed = _financial_block(tables, ly_month, entities)
    rows = _rows_for(tables, "financials_ly", _monthly_labels(month))
    if rows is None:
        out = filed.add_prefix("ly_")
        out["ly_reported_items"] = ""
        out["ly_partly_reported_items"] = ""
        return out
    reported = pd.DataFrame({c: num_column(rows, c) for c in items})
    reported.index = rows["enterprise_id"].astype("string").str.strip().to_numpy()
    reported = reported.loc[~reported.index.duplicated(keep="last")].reindex(entities.index)
    use = reported.notna()
    values = reported.where(use, filed)
    groups = entities.index[entities["level"].eq("group")]
    partly = pd.DataFrame(False, index=entities.index, columns=items)
    if len(groups) and DISTRICT_ID in values.index:
        values.loc[DISTRICT_ID] = values.reindex(groups).sum(skipna=False)
        g_use = use.reindex(groups).fillna(False)
        use.loc[DISTRICT_ID] = g_use.all()
        partly.loc[DISTRICT_ID] = g_use.any() & ~g_use.all()
    cols = np.array(items, dtype=object)
    out = values.add_prefix("ly_")
    out["ly_reported_items"] = [",".join(cols[m]) for m in use.to_numpy(bool)]
    out["ly_partly_reported_items"] = [",".join(cols[m]) for m in partly.to_numpy(bool)]
    return out


def ly_basis(panel: pd.DataFrame, ly_inputs: Iterable[str]) -> pd.Series:
    """Per panel row: where the 上年同期数 of ``ly_inputs`` (``ly_<item>`` columns) came from (Chinese text)."""
    items = [c[3:] for c in ly_inputs if c.startswith("ly_") and c[3:] in FINANCIAL_ITEMS]
    out = pd.Series("", index=panel.index, dtype=object)
    if not items:
        return out
    full = panel.get("ly_reported_items", pd.Series("", index=panel.index)).fillna("").astype(str)
    part = panel.get("ly_partly_reported_items", pd.Series("", index=panel.index)).fillna("").astype(str)
    have = panel[[f"ly_{i}" for i in items if f"ly_{i}" in panel.columns]].notna().all(axis=1)
    for pos, (f, p, ok) in enumerate(zip(full, part, have)):
        if not ok:
            continue
        fs, ps = set(f.split(",")) - {""}, set(p.split(",")) - {""}
        if all(i in fs for i in items):
            out.iat[pos] = LY_BASIS_REPORTED
        elif any(i in fs or i in ps for i in items):
            out.iat[pos] = LY_BASIS_MIXED
        else:
            out.iat[pos] = LY_BASIS_FILED
    return out
# --- issue 14 (end) ---------------------------------------------------------------------------------


def _project_measures(rows: pd.DataFrame) -> pd.DataFrame:
    status = text_column(rows, "status")
    active = status.isin(["新开工", "续建", "竣工"]).fillna(False).to_numpy()
    city = as_bool(rows["is_city_key"]).to_numpy() if "is_city_key" in rows else np.zeros(len(rows), bool)
    strategic = (as_bool(rows["is_strategic_emerging"]).to_numpy()
                 if "is_strategic_emerging" in rows else np.zeros(len(rows), bool))
    public = text_column(rows, "project_type").isin(["民生工程", "城市更新"]).fillna(False).to_numpy()
    total = num_column(rows, "total_investment").to_numpy()
    plan = num_column(rows, "annual_plan").to_numpy()
    done = num_column(rows, "completed_ytd").to_numpy()
    zero = np.zeros(len(rows))
    return pd.DataFrame({
        "proj_count": active.astype(float),
        "proj_total_investment": np.where(active, total, zero),
        "proj_annual_plan": np.where(active, plan, zero),
        "proj_completed_ytd": np.where(active, done, zero),
        "proj_new_start_count": status.eq("新开工").fillna(False).to_numpy().astype(float),
        "proj_reserve_count": status.eq("储备").fillna(False).to_numpy().astype(float),
        "city_key_count": (active & city).astype(float),
        "city_key_total_investment": np.where(active & city, total, zero),
        "city_key_annual_plan": np.where(active & city, plan, zero),
        "city_key_completed_ytd": np.where(active & city, done, zero),
        "strategic_project_completed_ytd": np.where(active & strategic, done, zero),
        "public_project_completed_ytd": np.where(active & public, done, zero),
    }, index=rows.index)


def _equity_measures(rows: pd.DataFrame) -> pd.DataFrame:
    strategic = as_bool(rows["is_strategic_emerging"]).to_numpy() if "is_strategic_emerging" in rows \
        else np.zeros(len(rows), bool)
    done = num_column(rows, "completed_ytd").to_numpy()
    return pd.DataFrame({
        "eq_count": np.ones(len(rows)),
        "eq_planned": num_column(rows, "planned_amount").to_numpy(),
        "eq_completed_ytd": done,
        "eq_strategic_completed_ytd": np.where(strategic, done, 0.0),
    }, index=rows.index)


def _fund_measures(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "fund_count": np.ones(len(rows)),
        "fund_aum": num_column(rows, "aum").to_numpy(),
        "fund_sub_funds": num_column(rows, "sub_funds").to_numpy(),
        "fund_projects": num_column(rows, "projects_invested").to_numpy(),
    }, index=rows.index)


def _listing_measures(rows: pd.DataFrame) -> pd.DataFrame:
    stage = text_column(rows, "stage")
    listed = stage.eq("已上市").fillna(False).to_numpy()
    pipeline = stage.isin(["启动上市", "完成股改", "报辅", "报会"]).fillna(False).to_numpy()
    return pd.DataFrame({"listed_count": listed.astype(float),
                         "listing_pipeline_count": pipeline.astype(float)}, index=rows.index)


def _debt_measures(rows: pd.DataFrame, as_of: date) -> pd.DataFrame:
    balance = num_column(rows, "balance").to_numpy()
    rate = num_column(rows, "annual_rate").to_numpy()
    rated = ~np.isnan(rate) & ~np.isnan(balance)
    direct = as_bool(rows["is_direct_financing"]).to_numpy() if "is_direct_financing" in rows \
        else np.zeros(len(rows), bool)
    maturity = _to_dates(rows["maturity_date"]) if "maturity_date" in rows else pd.Series(pd.NaT, index=rows.index)
    horizon = pd.Timestamp(as_of) + pd.DateOffset(years=1)
    due = (maturity <= horizon).fillna(False).to_numpy()
    return pd.DataFrame({
        "debt_balance": balance,
        "debt_rate_x_balance": np.where(rated, balance * np.nan_to_num(rate), 0.0),
        "debt_rated_balance": np.where(rated, balance, 0.0),
        "direct_debt_balance": np.where(direct, balance, 0.0),
        "debt_due_12m": np.where(due, balance, 0.0),
    }, index=rows.index)


def _credit_measures(rows: pd.DataFrame) -> pd.DataFrame:
    amount = num_column(rows, "line_amount").to_numpy()
    fair = as_bool(rows["signed_at_fair"]).to_numpy() if "signed_at_fair" in rows else np.zeros(len(rows), bool)
    return pd.DataFrame({
        "credit_line_amount": amount,
        "credit_used_amount": num_column(rows, "used_amount").to_numpy(),
        "fair_credit_amount": np.where(fair, amount, 0.0),
    }, index=rows.index)


def _guarantee_measures(rows: pd.DataFrame) -> pd.DataFrame:
    amount = num_column(rows, "amount")
    debt = num_column(rows, "guaranteed_debt")
    relation = text_column(rows, "relation")
    non_related = relation.eq("非关联企业").fillna(False)
    pct = num_column(rows, "shareholding_pct")
    # 超股比担保额 (issue 19) = 担保金额 − 持股比例 × 被担保债务; a guarantee to a non-related firm is its own
    # (stricter) breach, counted once, not again as above-share.
    excess = (amount - pct / 100.0 * debt).to_numpy()
    above = ((excess > 1e-6) & ~non_related.to_numpy())
    above = np.where(np.isnan(excess), False, above)
    nr = non_related.to_numpy()
    a = amount.to_numpy()
    return pd.DataFrame({
        "guarantee_balance": a,
        "guarantee_count": np.ones(len(rows)),
        "non_related_guarantee_balance": np.where(nr, a, 0.0),
        "non_related_guarantee_count": nr.astype(float),
        "above_share_guarantee_balance": np.where(above, excess, 0.0),
        "above_share_guarantee_count": above.astype(float),
    }, index=rows.index)


def _idle_measures(rows: pd.DataFrame) -> pd.DataFrame:
    status = text_column(rows, "status")
    return pd.DataFrame({
        "idle_asset_count": np.ones(len(rows)),
        "idle_in_progress_count": status.eq("推进中").fillna(False).to_numpy().astype(float),
        "idle_revitalised_count": status.eq("已盘活").fillna(False).to_numpy().astype(float),
        "idle_book_value": num_column(rows, "book_value").to_numpy(),
        "revitalised_value_ytd": num_column(rows, "revitalised_value_ytd").to_numpy(),
    }, index=rows.index)


def _reform_measures(rows: pd.DataFrame, year: int) -> pd.DataFrame:
    kind = text_column(rows, "item_type")
    status = text_column(rows, "status")
    done_year = _to_dates(rows["completed_date"]).dt.year if "completed_date" in rows \
        else pd.Series(np.nan, index=rows.index)
    in_year = (done_year.eq(year) | done_year.isna()).to_numpy()
    mixed = kind.eq("混合所有制改革").fillna(False).to_numpy()
    done = status.eq("已完成").fillna(False).to_numpy()
    pool = status.isin(["储备", "推进中"]).fillna(False).to_numpy()
    incentive = kind.eq("中长期激励").fillna(False).to_numpy()
    started = status.isin(["推进中", "已完成"]).fillna(False).to_numpy()
    return pd.DataFrame({
        "mixed_reform_completed_count": (mixed & done & in_year).astype(float),
        "mixed_reform_pool_count": (mixed & pool).astype(float),
        "incentive_pilot_count": (incentive & started).astype(float),
    }, index=rows.index)


def _livelihood_measures(rows: pd.DataFrame) -> pd.DataFrame:
    target = num_column(rows, "annual_target")
    done = num_column(rows, "completed_ytd")
    valid = (target > 0).to_numpy()
    progress = (done / target.where(target > 0)).clip(lower=0.0, upper=1.0).to_numpy()
    return pd.DataFrame({
        "livelihood_task_count": np.ones(len(rows)),
        "livelihood_done_count": (valid & (done >= target).to_numpy()).astype(float),
        "livelihood_valid_count": valid.astype(float),
        "livelihood_progress_sum": np.where(valid & ~np.isnan(progress), progress, 0.0),
    }, index=rows.index)


def _rating_measures(tables: Mapping[str, pd.DataFrame], as_of: date) -> tuple[pd.DataFrame, pd.Series] | None:
    frame = tables.get("ratings")
    if frame is None or len(frame) == 0:
        return None
    dates = _to_dates(frame["rating_date"])
    rows = frame.loc[(dates <= pd.Timestamp(as_of)).fillna(False).to_numpy()].copy()
    if not len(rows):
        return None
    rows["_date"] = _to_dates(rows["rating_date"])
    rows = rows.sort_values("_date").drop_duplicates("enterprise_id", keep="last")
    high = text_column(rows, "rating").isin(["AAA", "AA+"]).fillna(False).to_numpy()
    return pd.DataFrame({"aa_plus_count": high.astype(float)}, index=rows.index), rows["enterprise_id"]


def _detail_block(tables: Mapping[str, pd.DataFrame], period: _periods.Period, entities: pd.DataFrame,
                  pairs: pd.DataFrame, *, month: str, as_of: date) -> pd.DataFrame:
    index = entities.index
    year = _periods.parse_period(month).year
    specs = [
        ("projects", _half_monthly_labels(period), "enterprise_id", _project_measures),
        ("equity_investments", _monthly_labels(month), "enterprise_id", _equity_measures),
        ("funds", _monthly_labels(month), "enterprise_id", _fund_measures),
        ("listings", _monthly_labels(month), "enterprise_id", _listing_measures),
        ("debts", _monthly_labels(month), "enterprise_id", lambda r: _debt_measures(r, as_of)),
        ("credit_lines", _monthly_labels(month), "enterprise_id", _credit_measures),
        ("guarantees", _monthly_labels(month), "guarantor_id", _guarantee_measures),
        ("idle_assets", _monthly_labels(month), "enterprise_id", _idle_measures),
        ("reforms", _monthly_labels(month), "enterprise_id", lambda r: _reform_measures(r, year)),
        ("livelihood", _monthly_labels(month), "enterprise_id", _livelihood_measures),
    ]
    blocks = []
    for name, labels, owner_col, measure in specs:
        rows = _rows_for(tables, name, labels)
        measures = measure(rows) if rows is not None else None
        columns = _DETAIL_COLUMNS[name]
        owner = rows[owner_col] if rows is not None and owner_col in rows else None
        blocks.append(_rollup(measures, owner, pairs, index, columns))
    rated = _rating_measures(tables, as_of)
    if rated is None:
        blocks.append(_rollup(None, None, pairs, index, ["aa_plus_count"]))
    else:
        blocks.append(_rollup(rated[0], rated[1], pairs, index, ["aa_plus_count"]))
    return pd.concat(blocks, axis=1)


_DETAIL_COLUMNS = {
    "projects": ["proj_count", "proj_total_investment", "proj_annual_plan", "proj_completed_ytd",
                 "proj_new_start_count", "proj_reserve_count", "city_key_count", "city_key_total_investment",
                 "city_key_annual_plan", "city_key_completed_ytd", "strategic_project_completed_ytd",
                 "public_project_completed_ytd"],
    "equity_investments": ["eq_count", "eq_planned", "eq_completed_ytd", "eq_strategic_completed_ytd"],
    "funds": ["fund_count", "fund_aum", "fund_sub_funds", "fund_projects"],
    "listings": ["listed_count", "listing_pipeline_count"],
    "debts": ["debt_balance", "debt_rate_x_balance", "debt_rated_balance", "direct_debt_balance", "debt_due_12m"],
    "credit_lines": ["credit_line_amount", "credit_used_amount", "fair_credit_amount"],
    "guarantees": ["guarantee_balance", "guarantee_count", "non_related_guarantee_balance",
                   "non_related_guarantee_count", "above_share_guarantee_balance", "above_share_guarantee_count"],
    "idle_assets": ["idle_asset_count", "idle_in_progress_count", "idle_revitalised_count", "idle_book_value",
                    "revitalised_value_ytd"],
    "reforms": ["mixed_reform_completed_count", "mixed_reform_pool_count", "incentive_pilot_count"],
    "livelihood": ["livelihood_task_count", "livelihood_done_count", "livelihood_valid_count",
                   "livelihood_progress_sum"],
}


def _debt_cost_block(tables: Mapping[str, pd.DataFrame], month: str, entities: pd.DataFrame,
                     pairs: pd.DataFrame, prefix: str) -> pd.DataFrame:
    p = _periods.parse_period(month)
    rows = _rows_for(tables, "debts", _monthly_labels(month))
    columns = ["debt_balance", "debt_rate_x_balance", "debt_rated_balance"]
    measures = _debt_measures(rows, p.as_of) if rows is not None else None
    owner = rows["enterprise_id"] if rows is not None else None
    out = _rollup(measures, owner, pairs, entities.index, columns)
    return out.add_prefix(prefix)


def _target_block(tables: Mapping[str, pd.DataFrame], year: int, entities: pd.DataFrame) -> pd.DataFrame:
    index = entities.index
    frame = tables.get("targets")
    wide = pd.DataFrame(index=index)
    if frame is not None and len(frame):
        rows = frame.loc[num_column(frame, "year").eq(year).to_numpy()]
        if len(rows):
            tidy = pd.DataFrame({
                "entity_id": text_column(rows, "enterprise_id").to_numpy(),
                "item": text_column(rows, "item").to_numpy(),
                "value": num_column(rows, "target_value").to_numpy(),
            }).drop_duplicates(["entity_id", "item"], keep="last")
            wide = tidy.pivot(index="entity_id", columns="item", values="value").reindex(index)
            wide.columns = [str(c) for c in wide.columns]
            groups = entities.index[entities["level"].eq("group")]
            for item in wide.columns:
                if item in ADDITIVE_TARGETS and pd.isna(wide.at[DISTRICT_ID, item]) and len(groups):
                    wide.at[DISTRICT_ID, item] = wide.loc[groups, item].sum(skipna=False)
    for item in DEFAULT_TARGETS:
        if item not in wide.columns:
            wide[item] = np.nan
    wide = wide.astype(float)
    wide.columns = [f"target_{c}" for c in wide.columns]
    wide.index.name = "entity_id"
    return wide


# --------------------------------------------------------------------------------------------
# public
# --------------------------------------------------------------------------------------------
def line_items(tables: Mapping[str, pd.DataFrame], *, period: str, roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per entity (``DISTRICT`` first, then the roster in tree order) with every indicator input.

    Groups, parents and subtrees come from the roster's parent codes
    (:class:`~guozi_analysis.base.entities.EnterpriseTree`); a roster whose parent codes do not form
    a tree raises :class:`~guozi_analysis.base.entities.EnterpriseTreeError`.

    Parameters
    ----------
    tables:
        Contract tables keyed by name (``financials``, ``projects``, …); absent tables are fine.
    period:
        ``"YYYY-MM"`` or ``"YYYY-MM-H1"``/``"YYYY-MM-H2"``. Monthly tables are read for the
        period's closed month (:func:`guozi_analysis.periods.closed_month`), projects for the
        half-month itself (a monthly period reads its ``H2`` snapshot).
    roster:
        The 企业名录; defaults to ``tables["roster"]``.
    """
    p = _periods.parse_period(period)
    roster = tables.get("roster") if roster is None else roster
    if roster is None:
        raise ValueError("缺少企业名录（roster），无法构建指标面板")
    month = _periods.closed_month(p)
    ly_month = _periods.same_period_last_year(month)
    open_month = _periods.previous_year_end(p)
    as_of = p.as_of
    tree = EnterpriseTree.from_roster(roster)
    entities = _entities(roster, tree)
    pairs = _subtree_pairs(tree)

    current = _financial_block(tables, month, entities)
    opening = _financial_block(tables, open_month, entities)[list(BALANCE_ITEMS)].add_prefix("open_")
    last_year = _last_year_block(tables, month, ly_month, entities)  # issue 14
    details = _detail_block(tables, p, entities, pairs, month=month, as_of=as_of)
    ly_debt = _debt_cost_block(tables, ly_month, entities, pairs, "ly_")
    targets = _target_block(tables, _periods.parse_period(month).year, entities)

    panel = pd.concat([entities, current, opening, last_year, details, ly_debt, targets], axis=1)
    panel.insert(0, "period", p.label)
    panel.insert(1, "data_month", month)
    panel.insert(2, "months_elapsed", float(_periods.months_elapsed(p)))
    panel.insert(3, "elapsed_share", _periods.elapsed_share(as_of))
    panel.index.name = "entity_id"
    panel = panel.reset_index()
    first = ["entity_id", "entity_name", "level", "period"]
    return panel[first + [c for c in panel.columns if c not in first]]
