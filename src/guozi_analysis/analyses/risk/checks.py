"""Named checks: the tests a catalogue indicator cannot express, implemented once each.

Every check takes the tables, the :class:`~guozi_analysis.risk.data.Scope`, the wide indicator
frame of the period and the rule, and returns a frame indexed by entity id with

* ``value`` — the number compared with the rule's threshold (NaN = not evaluated);
* ``detail`` — Chinese text explaining the value (which month, which guarantees …);
* ``condition`` — an extra condition that must also hold for the rule to fire (default true);
* ``threshold`` — optional: a threshold computed by the check (the district median …);
* ``note`` — why the value is missing, when it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from guozi_analysis.analyses.risk.data import (
    DISTRICT_ID,
    Scope,
    committed_unused_lines,
    debt_rows,
    due_by,
    financial_item,
    flag,
    fmt_wan,
    num,
    rows_for_month,
    text,
)
from guozi_analysis.analyses.risk.maturity import wall_months
from guozi_analysis.analyses.risk.rules import Rule

__all__ = ["CHECKS", "maturity_wall", "maturity_coverage", "coverage_figures", "financing_cost_above_median",
           "guarantee_non_related", "guarantee_above_share", "guarantee_to_distressed", "guarantee_financial_subsidiary", "consecutive_losses"]


def _frame(scope: Scope, *, note: str = "") -> pd.DataFrame:
    index = scope.entities.index
    return pd.DataFrame({"value": np.nan, "detail": "", "condition": True, "note": note}, index=index)


def maturity_wall(tables: Mapping[str, pd.DataFrame], scope: Scope, wide: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    """Largest single calendar month's share of the maturities due in the next ``months`` months.

    Computed on the entity's own instruments and on its whole tree; the larger share is used (the
    detail says which). The window is (as-of date, as-of date + months]. A month smaller than
    ``min_amount`` (万元) does not trigger.
    """
    months = int(rule.params.get("months", 12))
    min_amount = float(rule.params.get("min_amount", 0))
    debts = debt_rows(tables, scope)
    if debts is None:
        return _frame(scope, note="融资明细未报送")
    best = wall_months(debts, scope, months=months).reindex(scope.entities.index)
    out = _frame(scope, note=f"未来{months}个月无到期融资")
    has = best["share"].notna().to_numpy()
    out["value"] = best["share"].to_numpy(dtype=float)
    out.loc[has, "note"] = ""
    out["condition"] = (best["amount"] >= min_amount).to_numpy()
    out["detail"] = [f"{m} 到期 {fmt_wan(a)}，未来{months}个月到期合计 {fmt_wan(t)}（{b}口径）" if ok else ""
                     for m, a, t, b, ok in zip(best["month"], best["amount"], best["total"], best["basis"], has)]
    return out


def coverage_figures(tables: Mapping[str, pd.DataFrame], scope: Scope, *, months: int,
                     include_committed_lines: bool = True) -> pd.DataFrame | None:
    """The figures of the 到期债务覆盖 check, per entity (index): ``due`` (balance maturing within ``months``
    months of the as-of date, overdue included, whole tree, 万元), ``cash`` (货币资金), ``lines`` (unused
    committed credit; 0 when not filed or not counted), ``available`` = cash + lines, ``cover`` =
    available / due (倍; NaN when nothing is due) and ``lines_note`` (why lines count as 0). None when
    融资明细 was not filed."""
    debts = debt_rows(tables, scope)
    if debts is None:
        return None
    due = due_by(debts, scope, scope.as_of + pd.DateOffset(months=months))
    cash = financial_item(tables, scope, "cash")
    lines = committed_unused_lines(tables, scope) if include_committed_lines else None
    lines_note = ""
    if lines is None:
        lines = pd.Series(0.0, index=scope.entities.index)
        lines_note = "（授信未报送或不计入，按 0 计）" if include_committed_lines else ""
    available = cash + lines
    out = pd.DataFrame({"due": due, "cash": cash, "lines": lines, "available": available,
                        "cover": (available / due.where(due > 0)).astype(float)})
    return out.reindex(scope.entities.index).assign(lines_note=lines_note)


def maturity_coverage(tables: Mapping[str, pd.DataFrame], scope: Scope, wide: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    """(货币资金 + 未使用的承诺授信) / 未来 ``months`` 个月内到期（含已到期未还）的融资余额."""
    months = int(rule.params.get("months", 12))
    figures = coverage_figures(tables, scope, months=months,
                               include_committed_lines=bool(rule.params.get("include_committed_lines", True)))
    if figures is None:
        return _frame(scope, note="融资明细未报送")
    due, cash, lines, available = (figures[c] for c in ("due", "cash", "lines", "available"))
    lines_note = str(figures["lines_note"].iloc[0]) if len(figures) else ""
    out = _frame(scope)
    out["value"] = figures["cover"].reindex(out.index).astype(float)
    out.loc[due.le(0).to_numpy(), "note"] = f"未来{months}个月无到期融资"
    out.loc[cash.isna().to_numpy(), "note"] = "未报送（缺少：货币资金）"
    out["detail"] = [f"{months}个月内到期 {fmt_wan(d)}，可用资金 {fmt_wan(a)}（货币资金 {fmt_wan(c)} + 未使用承诺授信 "
                     f"{fmt_wan(ln)}）{lines_note}" for d, a, c, ln in zip(due, available, cash, lines)]
    return out


def financing_cost_above_median(tables: Mapping[str, pd.DataFrame], scope: Scope, wide: pd.DataFrame,
                                rule: Rule) -> pd.DataFrame:
    """综合融资成本 against the median of the groups' and enterprises' values plus ``margin_bp``."""
    margin = float(rule.params.get("margin_bp", 100))
    out = _frame(scope, note="无存量融资或未报送")
    if "composite_financing_cost" not in wide.columns:
        return out
    cost = wide["composite_financing_cost"].reindex(out.index).astype(float)
    peers = cost.loc[scope.entities["level"].isin(["group", "enterprise"]).to_numpy()].dropna()
    median = float(peers.median()) if len(peers) else np.nan
    out["value"] = cost
    out["threshold"] = median + margin / 100.0
    out.loc[cost.notna().to_numpy(), "note"] = ""
    out["detail"] = f"全区 {len(peers)} 户企业综合融资成本中位数 {median:.2f}%，加 {margin:.0f} 个基点"
    return out


def _loss_years(tables: Mapping[str, pd.DataFrame], scope: Scope, *, include_current: bool = True,
                lookback: int = 5) -> tuple[pd.Series, pd.Series, pd.DataFrame, str]:
    """Per roster entity: consecutive loss years counted back from the latest figures, the latest
    operating cash flow, the net profits read (one column per year, latest first) and the latest label."""
    year, month = int(scope.month[:4]), int(scope.month[5:7])
    bases = [(scope.month, f"{year}年1—{month}月")] if include_current and month != 12 else []
    last_full = year if month == 12 else year - 1
    bases += [(f"{y}-12", f"{y}年") for y in range(last_full, last_full - lookback, -1)]
    profits = pd.DataFrame({label: financial_item(tables, scope, "net_profit", month=m) for m, label in bases})
    ocf = financial_item(tables, scope, "net_operating_cash_flow", month=bases[0][0])
    loss = profits.lt(0).to_numpy()
    count = np.where(loss.all(axis=1), loss.shape[1], np.argmin(loss, axis=1)) if loss.shape[1] else 0
    count = pd.Series(np.where(profits.iloc[:, 0].isna().to_numpy(), np.nan, count).astype(float),
                      index=profits.index)
    return count, ocf, profits, bases[0][1]


def _guarantee_rows(tables: Mapping[str, pd.DataFrame], scope: Scope, *, loss_years: int = 3) -> pd.DataFrame | None:
    """The period's guarantees with the 75号 facts about each guaranteed party.

    The guaranteed party's net assets, consecutive loss years and operating cash flow come from the
    guarantee row when filled, otherwise — for a beneficiary in the roster — from its own 快报
    (所有者权益合计, 净利润 by year, 经营活动产生的现金流量净额).
    """
    rows = rows_for_month(tables, "guarantees", scope.month)
    if rows is None:
        return None
    amount, debt, pct = num(rows, "amount"), num(rows, "guaranteed_debt"), num(rows, "shareholding_pct")
    ben_id = text(rows, "beneficiary_id")
    equity = financial_item(tables, scope, "total_equity")
    count, ocf, _, _ = _loss_years(tables, scope)
    looked_up = ben_id.map(lambda b: b if isinstance(b, str) and b in equity.index else None)
    net_assets = num(rows, "beneficiary_net_assets").fillna(looked_up.map(equity).astype(float))
    years = num(rows, "beneficiary_loss_years").fillna(looked_up.map(count).astype(float))
    given_ocf = rows["beneficiary_negative_ocf"] if "beneficiary_negative_ocf" in rows.columns else \
        pd.Series(pd.NA, index=rows.index)
    neg_ocf = given_ocf.where(given_ocf.notna(), looked_up.map(ocf < 0))
    counter = text(rows, "counter_guarantee").fillna("未填报")
    return pd.DataFrame({
        "guarantee_id": text(rows, "guarantee_id").to_numpy(),
        "owner": text(rows, "guarantor_id").to_numpy(),
        "beneficiary": text(rows, "beneficiary_name").fillna("").to_numpy(),
        "relation": text(rows, "relation").fillna("").to_numpy(),
        "amount": amount.to_numpy(),
        "debt": debt.to_numpy(),
        "covered_pct": (amount / debt.where(debt > 0) * 100.0).to_numpy(),
        "shareholding_pct": pct.to_numpy(),
        # 超股比担保额 = 担保金额 − 持股比例 × 被担保债务 (issue 19)
        "allowed": (pct / 100.0 * debt).to_numpy(),
        "excess": (amount - pct / 100.0 * debt).to_numpy(),
        "net_assets": net_assets.to_numpy(dtype=float),
        "loss_years": years.to_numpy(dtype=float),
        "negative_ocf": pd.array(neg_ocf.astype("boolean"), dtype="boolean").fillna(False).to_numpy(dtype=bool),
        "financial": flag(rows, "is_financial_subsidiary").to_numpy(),
        "counter": counter.to_numpy(),
    })


def _guarantee_check(tables, scope: Scope, select: Callable[[pd.DataFrame], np.ndarray],
                     describe: Callable[[pd.Series], str], *, measure: str = "amount") -> pd.DataFrame:
    """Sum of ``measure`` over the selected guarantees per guarantor (the signer, not its parents); DISTRICT = all.

    Every description ends with the guarantee's 反担保 status.
    """
    rows = _guarantee_rows(tables, scope)
    if rows is None:
        return _frame(scope, note="担保明细未报送")
    out = _frame(scope)
    chosen = rows.loc[select(rows)]
    values = chosen.groupby("owner")[measure].sum()
    out["value"] = values.reindex(out.index).fillna(0.0)
    out.at[DISTRICT_ID, "value"] = float(chosen[measure].sum())

    def text_of(r):
        return f"{describe(r)}（反担保：{r['counter']}）"

    for owner, items in chosen.groupby("owner"):
        if owner in out.index:
            out.at[owner, "detail"] = "；".join(text_of(r) for _, r in items.iterrows())
    out.at[DISTRICT_ID, "detail"] = "；".join(f"{r['owner']} {text_of(r)}" for _, r in chosen.iterrows())
    return out


def guarantee_non_related(tables: Mapping[str, pd.DataFrame], scope: Scope, wide: pd.DataFrame,
                          rule: Rule) -> pd.DataFrame:
    """担保余额 of guarantees whose beneficiary is a 非关联企业 (no equity link)."""
    return _guarantee_check(
        tables, scope,
        lambda r: (r["relation"] == "非关联企业").to_numpy(),
        lambda r: f"{r['guarantee_id']} 为非关联企业「{r['beneficiary']}」担保 {fmt_wan(r['amount'])}",
    )


def guarantee_above_share(tables: Mapping[str, pd.DataFrame], scope: Scope, wide: pd.DataFrame,
                          rule: Rule) -> pd.DataFrame:
    """超股比担保额: Σ (担保金额 − 持股比例 × 被担保债务) over guarantees to related firms where it is positive.

    A 30,000 万元 guarantee of a 50,000 万元 debt with a 30 % stake: allowed 15,000, excess 15,000.
    ``tolerance_pct`` (percentage points of the debt) is allowed before a guarantee counts. An excess no
    larger than the rounding of the reported figures can make is not one: 持股比例 reported to
    ``precision_pct`` (0.01 个百分点) and amounts to ``precision_wan`` (0.01 万元) allow
    precision_pct / 2 / 100 × 被担保债务 + precision_wan (e.g. 60.00 % of 10,000.00 万元 guaranteed with
    6,000.01: excess 0.01 ≤ 0.51, not counted). Guarantees to 非关联企业 are reported by their own rule
    and not counted again here.
    """
    tol = float(rule.params.get("tolerance_pct", 0))
    step_pct = float(rule.params.get("precision_pct", 0.01))
    step_wan = float(rule.params.get("precision_wan", 0.01))
    return _guarantee_check(
        tables, scope,
        lambda r: ((r["relation"] != "非关联企业") & (r["excess"] > tol / 100.0 * r["debt"])
                   & (r["excess"] > step_pct / 200.0 * r["debt"] + step_wan)).fillna(False).to_numpy(),
        lambda r: (f"{r['guarantee_id']} 为「{r['beneficiary']}」担保 {fmt_wan(r['amount'])}（占其债务 "
                   f"{fmt_wan(r['debt'])} 的 {r['covered_pct']:.2f}%），按持股比例 {r['shareholding_pct']:.2f}% "
                   f"只应担保 {fmt_wan(r['allowed'])}，超股比 {fmt_wan(r['excess'])}"),
        measure="excess",
    )


def guarantee_to_distressed(tables: Mapping[str, pd.DataFrame], scope: Scope, wide: pd.DataFrame,
                            rule: Rule) -> pd.DataFrame:
    """担保余额 of guarantees whose **guaranteed party** is insolvent (资不抵债: net assets < 0) or has lost
    money for ``loss_years`` (default 3) consecutive years with a negative operating cash flow."""
    years = float(rule.params.get("loss_years", 3))
    require_ocf = bool(rule.params.get("require_negative_ocf", True))

    def select(r):
        insolvent = (r["net_assets"] < 0)
        losing = (r["loss_years"] >= years) & (r["negative_ocf"] if require_ocf else True)
        return (insolvent | losing).fillna(False).to_numpy()

    def describe(r):
        facts = []
        if r["net_assets"] < 0:
            facts.append(f"被担保人净资产 {fmt_wan(r['net_assets'])}，资不抵债")
        if r["loss_years"] >= years:
            facts.append(f"被担保人连续亏损 {r['loss_years']:.0f} 年" + ("、经营净现金流为负" if r["negative_ocf"] else ""))
        return f"{r['guarantee_id']} 为「{r['beneficiary']}」担保 {fmt_wan(r['amount'])}：{'；'.join(facts)}"

    return _guarantee_check(tables, scope, select, describe)


def guarantee_financial_subsidiary(tables: Mapping[str, pd.DataFrame], scope: Scope, wide: pd.DataFrame,
                                   rule: Rule) -> pd.DataFrame:
    """担保余额 of guarantees to financial subsidiaries (财务公司、小贷、融资担保、融资租赁 …)."""
    return _guarantee_check(
        tables, scope,
        lambda r: r["financial"].to_numpy(dtype=bool),
        lambda r: f"{r['guarantee_id']} 为金融子企业「{r['beneficiary']}」担保 {fmt_wan(r['amount'])}",
    )


def consecutive_losses(tables: Mapping[str, pd.DataFrame], scope: Scope, wide: pd.DataFrame,
                       rule: Rule) -> pd.DataFrame:
    """Years of consecutive net losses of the entity itself, counted back from the latest figures, with
    negative operating cash flow.

    With ``include_current_ytd`` (default) the current year's year-to-date 净利润 counts as the latest
    year; otherwise counting starts at the last December. The operating cash flow tested is the
    latest year's (``require_negative_ocf``, default true). The guarantees *to* such a party are
    tested by :func:`guarantee_to_distressed`.
    """
    include_current = bool(rule.params.get("include_current_ytd", True))
    require_ocf = bool(rule.params.get("require_negative_ocf", True))
    lookback = int(rule.params.get("lookback_years", 5))
    count, ocf, profits, label = _loss_years(tables, scope, include_current=include_current, lookback=lookback)
    out = _frame(scope)
    out["value"] = count.reindex(out.index).to_numpy(dtype=float)
    out["condition"] = (ocf < 0).to_numpy() if require_ocf else True
    out.loc[profits.iloc[:, 0].isna().to_numpy(), "note"] = "未报送（缺少：净利润）"
    details = []
    for eid, n in zip(out.index, out["value"]):
        k = int(n) if n == n and n > 0 else 1
        parts = "、".join(f"{c} {fmt_wan(profits.at[eid, c])}" for c in list(profits.columns[:k])[::-1])
        details.append(f"净利润 {parts}；{label}经营活动现金流量净额 {fmt_wan(ocf.at[eid])}")
    out["detail"] = details
    return out


CHECKS: dict[str, Callable[..., pd.DataFrame]] = {
    "maturity_wall": maturity_wall,
    "maturity_coverage": maturity_coverage,
    "financing_cost_above_median": financing_cost_above_median,
    "guarantee_non_related": guarantee_non_related,
    "guarantee_above_share": guarantee_above_share,
    "guarantee_to_distressed": guarantee_to_distressed,
    "guarantee_financial_subsidiary": guarantee_financial_subsidiary,
    "consecutive_losses": consecutive_losses,
}
