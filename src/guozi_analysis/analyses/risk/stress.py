"""Stress tests: apply a scenario from ``params/stress_scenarios.yaml``, re-run every rule.

Each scenario changes the period's data (the closed month's 快报 rows, the debt register's rates,
the credit lines) in a copy of the tables, then the indicators and the rules are recomputed
exactly as for the real data. The arithmetic of each kind of shock is written out in the YAML
file's header and in :func:`apply_scenario`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from guozi_analysis.analyses.risk.data import (
    DISTRICT_ID,
    Scope,
    committed_unused_lines,
    debt_rows,
    financial_item,
    flag,
    make_scope,
    num,
    rows_for_month,
    text,
    tree_sum,
)
from guozi_analysis.analyses.risk.engine import FLAG_COLUMNS, evaluate_rules, key_supervision_list
from guozi_analysis.analyses.risk.rules import RuleSet, as_ruleset
from guozi_analysis.base import config
from guozi_analysis.indicators.catalogue import Catalogue, load_catalogue
from guozi_analysis.indicators.formulas import compute_indicators

__all__ = ["KINDS", "load_scenarios", "apply_scenario", "cash_shortfall", "run_stress", "BASELINE_ID"]

KINDS = ("rate_shock", "revenue_shock", "refinancing_freeze")
BASELINE_ID = "baseline"
BASELINE_NAME = "基准（无冲击）"


def load_scenarios(path: Path | str | None = None) -> dict:
    """Read and check ``params/stress_scenarios.yaml``: ``{"horizon_months": int, "scenarios": [..]}``."""
    path = Path(path) if path is not None else config.PARAMS_DIR / "stress_scenarios.yaml"
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"压力情景文件不存在：{path}") from exc
    return check_scenarios(data, path=path)


def check_scenarios(data, *, path: Path | None = None) -> dict:
    """Validate a parsed scenarios mapping (Chinese ``ValueError`` naming the problem)."""
    where = f"（{path}）" if path else ""
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ValueError(f"压力情景文件有误{where}：顶层应含 scenarios 列表")
    ids = set()
    for sc in data["scenarios"]:
        if not isinstance(sc, dict) or not sc.get("id") or not sc.get("name_zh"):
            raise ValueError(f"压力情景文件有误{where}：每个情景都需要 id 与 name_zh")
        if sc["id"] in ids or sc["id"] == BASELINE_ID:
            raise ValueError(f"压力情景文件有误{where}：情景编号「{sc['id']}」重复或保留")
        ids.add(sc["id"])
        if sc.get("kind") not in KINDS:
            raise ValueError(f"压力情景文件有误{where}：情景 {sc['id']} 的 kind 应为 {'、'.join(KINDS)} 之一")
        need = {"rate_shock": "bp", "revenue_shock": "pct", "refinancing_freeze": "months"}[sc["kind"]]
        if not isinstance(sc.get(need), (int, float)) or isinstance(sc.get(need), bool):
            raise ValueError(f"压力情景文件有误{where}：情景 {sc['id']} 缺少数值参数 {need}")
    return {"horizon_months": int(data.get("horizon_months", 12)), "scenarios": list(data["scenarios"])}


def _month_mask(frame: pd.DataFrame, month: str) -> np.ndarray:
    labels = frame["period"].astype("string").str.strip()
    return labels.isin([month, f"{month}-H2"]).fillna(False).to_numpy()


def _shift(fin: pd.DataFrame, mask: np.ndarray, amount: np.ndarray, *, up: tuple[str, ...],
           down: tuple[str, ...]) -> pd.DataFrame:
    out = fin.copy()
    for col in up + down:
        if col not in out.columns:
            continue
        values = pd.to_numeric(out[col], errors="coerce").astype(float).to_numpy().copy()
        values[mask] = values[mask] + (amount[mask] if col in up else -amount[mask])
        out[col] = values
    return out


def apply_scenario(tables: Mapping[str, pd.DataFrame], scenario: Mapping, *, period: str) -> dict[str, pd.DataFrame]:
    """A copy of ``tables`` with one scenario applied to the period's closed month (inputs unchanged).

    * ``rate_shock`` (``bp``): debt rates + bp/100; each entity's 费用化利息支出 and 财务费用 +
      (tree debt balance × bp / 10000 × months elapsed / 12); 营业利润, 利润总额, 净利润, 货币资金,
      资产总额 and 所有者权益 − the same amount.
    * ``revenue_shock`` (``pct``): 营业总收入, 营业成本, 税金及附加, 销售收现 and 经营现金流入 × (1 − pct/100);
      lost margin = max(收入 − 营业成本 − 税金及附加, 0) × pct/100 taken off 营业利润, 利润总额, 净利润,
      经营活动现金流量净额, 货币资金, 资产总额 and 所有者权益.
    * ``refinancing_freeze`` (``months``, ``credit_lines_available``): no change to the 快报; when credit
      lines are not available, committed lines count as fully used.
    """
    scope = make_scope(tables, period=period)
    out = dict(tables)
    kind = scenario["kind"]
    fin = tables.get("financials")
    if kind == "rate_shock":
        bp = float(scenario["bp"])
        debts = tables.get("debts")
        if debts is not None and len(debts):
            d = debts.copy()
            mask = _month_mask(d, scope.month)
            rate = pd.to_numeric(d["annual_rate"], errors="coerce").astype(float).to_numpy().copy()
            rate[mask] = rate[mask] + bp / 100.0
            d["annual_rate"] = rate
            out["debts"] = d
        if fin is not None and len(fin):
            rows = debt_rows(tables, scope)
            balance = (tree_sum(pd.Series(rows["balance"].to_numpy(), index=rows["owner"].to_numpy()), scope)
                       if rows is not None else pd.Series(0.0, index=scope.entities.index))
            extra = balance * bp / 10000.0 * scope.months_elapsed / 12.0
            mask = _month_mask(fin, scope.month)
            amount = text(fin, "enterprise_id").map(extra).fillna(0.0).to_numpy(dtype=float)
            out["financials"] = _shift(fin, mask, amount, up=("interest_expense", "financial_expenses"),
                                       down=("operating_profit", "total_profit", "net_profit", "cash", "total_assets",
                                             "total_equity"))
    elif kind == "revenue_shock":
        share = float(scenario["pct"]) / 100.0
        if fin is not None and len(fin):
            mask = _month_mask(fin, scope.month)
            margin = (num(fin, "revenue") - num(fin, "operating_cost").fillna(0.0)
                      - num(fin, "taxes_and_surcharges").fillna(0.0)).clip(lower=0.0).fillna(0.0)
            loss = (margin * share).to_numpy(dtype=float)
            shocked = _shift(fin, mask, loss, up=(), down=("operating_profit", "total_profit", "net_profit",
                                                           "net_operating_cash_flow", "cash", "total_assets",
                                                           "total_equity"))
            for col in ("revenue", "operating_cost", "taxes_and_surcharges", "cash_from_sales", "operating_cash_inflow"):
                if col in shocked.columns:
                    values = num(shocked, col).to_numpy().copy()
                    values[mask] = values[mask] * (1.0 - share)
                    shocked[col] = values
            out["financials"] = shocked
    elif kind == "refinancing_freeze":
        lines = tables.get("credit_lines")
        if not scenario.get("credit_lines_available", False) and lines is not None and len(lines):
            c = lines.copy()
            mask = _month_mask(c, scope.month) & flag(c, "is_committed").to_numpy()
            used = num(c, "used_amount").to_numpy().copy()
            used[mask] = num(c, "line_amount").to_numpy()[mask]
            c["used_amount"] = used
            out["credit_lines"] = c
    return out


def cash_shortfall(tables: Mapping[str, pd.DataFrame], *, period: str, months: int = 12,
                   include_committed_lines: bool = True) -> pd.DataFrame:
    """Cumulative maturities against available funds at each month end of the next ``months`` months.

    available = 货币资金 (+ 未使用的承诺授信 when ``include_committed_lines``); cumulative_due = debt
    maturing by the month end (already overdue included), over each entity's tree; shortfall =
    max(cumulative_due − available, 0). Entities without maturities in the window are left out.
    Columns: entity_id, entity_name, level, month, cumulative_due, available, shortfall.
    """
    columns = ["entity_id", "entity_name", "level", "month", "cumulative_due", "available", "shortfall"]
    scope = make_scope(tables, period=period)
    debts = debt_rows(tables, scope)
    if debts is None:
        return pd.DataFrame(columns=columns)
    cash = financial_item(tables, scope, "cash")
    lines = committed_unused_lines(tables, scope) if include_committed_lines else None
    available = cash + (lines if lines is not None else 0.0)
    end = scope.as_of + pd.DateOffset(months=months)
    month_ends = pd.period_range((scope.as_of + pd.Timedelta(days=1)).to_period("M"), end.to_period("M"), freq="M")
    cuts = [min(m.to_timestamp(how="end").normalize(), end) for m in month_ends]
    inside = debts.loc[(debts["maturity"] <= end).fillna(False).to_numpy()]
    # bucket k = the first month end on or after the maturity (already overdue → the first month)
    bucket = np.searchsorted(np.array(cuts, dtype="datetime64[ns]"), inside["maturity"].to_numpy(dtype="datetime64[ns]"))
    per_owner = (inside.assign(bucket=bucket).pivot_table(index="owner", columns="bucket", values="balance",
                                                          aggfunc="sum", fill_value=0.0)
                 .reindex(columns=range(len(cuts)), fill_value=0.0).cumsum(axis=1))
    tree = scope.pairs.merge(per_owner, left_on="member", right_index=True).groupby("entity_id")[list(range(len(cuts)))]
    cum = tree.sum().reindex(scope.entities.index).fillna(0.0)
    cum.loc[DISTRICT_ID] = per_owner.sum(axis=0)
    frames = [pd.DataFrame({"entity_id": scope.entities.index, "month": str(m), "cumulative_due": cum[k].to_numpy(),
                            "available": available.to_numpy()}) for k, m in enumerate(month_ends)]
    out = pd.concat(frames, ignore_index=True)
    keep = out.groupby("entity_id")["cumulative_due"].transform("max") > 0
    out = out.loc[keep.to_numpy()].copy()
    out["shortfall"] = (out["cumulative_due"] - out["available"]).clip(lower=0.0)
    out.insert(1, "entity_name", out["entity_id"].map(scope.entities["entity_name"]))
    out.insert(2, "level", out["entity_id"].map(scope.entities["level"]))
    return out[columns].reset_index(drop=True)


def _exposure(tables: Mapping[str, pd.DataFrame], scope: Scope, entity_ids: list[str]) -> tuple[float, float]:
    """Debt and guarantee balances of the given entities' trees, each instrument counted once."""
    members = set(scope.pairs.loc[scope.pairs["entity_id"].isin(entity_ids), "member"])
    debts = debt_rows(tables, scope)
    debt = float(debts.loc[debts["owner"].isin(members), "balance"].sum()) if debts is not None else np.nan
    g = rows_for_month(tables, "guarantees", scope.month)
    guar = float(num(g, "amount").loc[text(g, "guarantor_id").isin(members).to_numpy()].sum()) if g is not None \
        else np.nan
    return debt, guar


def _indicator_subset(ruleset: RuleSet):

    cat = load_catalogue()
    needed = {r.indicator for r in ruleset.rules if r.indicator} | {"composite_financing_cost"}
    return Catalogue(tables=cat.tables, indicators=tuple(i for i in cat.indicators if i.id in needed), path=cat.path)


def run_stress(tables: Mapping[str, pd.DataFrame], *, period: str, scenarios: Path | str | dict | None = None,
               rules: RuleSet | Path | str | dict | None = None) -> dict[str, pd.DataFrame]:
    """Run every scenario and report who crosses which line, the cash shortfall and the exposure.

    Returns a dict of DataFrames:

    * ``summary`` — one row per scenario (baseline first): scenario_id, scenario_name, flags,
      new_flags, listed, new_listed, new_listed_ids, shortfall_entities, district_shortfall (largest
      month-end shortfall of the district as a whole, 万元), listed_debt, listed_guarantees (debt
      and guarantees of the listed entities' trees, each instrument once), district_debt,
      district_guarantees;
    * ``crossings`` — every flag under each scenario with ``new`` (not fired in the baseline) and
      ``value_before``;
    * ``shortfall`` — :func:`cash_shortfall` for each scenario (committed lines excluded when the
      scenario makes them unavailable).
    """

    ruleset = as_ruleset(rules)
    spec = check_scenarios(scenarios) if isinstance(scenarios, dict) else load_scenarios(scenarios)
    horizon = spec["horizon_months"]
    catalogue = _indicator_subset(ruleset)
    scope = make_scope(tables, period=period)
    district_debt, district_guar = _exposure(tables, scope, [e for e in scope.entities.index if e != DISTRICT_ID])

    base_ind = compute_indicators(tables, period=period, roster=tables.get("roster"), catalogue=catalogue)
    base_all = evaluate_rules(tables, base_ind, period=period, rules=ruleset, include_passed=True)
    base_flags = base_all.loc[base_all["triggered"]]
    base_keys = set(zip(base_flags["entity_id"], base_flags["rule_id"]))
    base_values = base_all.set_index(["entity_id", "rule_id"])["value"]
    base_list = set(key_supervision_list(base_flags)["entity_id"])

    summaries, crossings, shortfalls = [], [], []
    runs = [{"id": BASELINE_ID, "name_zh": BASELINE_NAME, "kind": None}] + spec["scenarios"]
    for sc in runs:
        shocked = tables if sc["kind"] is None else apply_scenario(tables, sc, period=period)
        if sc["kind"] is None:
            flags = base_flags
        else:
            ind = compute_indicators(shocked, period=period, roster=shocked.get("roster"), catalogue=catalogue)
            flags = evaluate_rules(shocked, ind, period=period, rules=ruleset)
        lines_ok = not (sc["kind"] == "refinancing_freeze" and not sc.get("credit_lines_available", False))
        short = cash_shortfall(shocked, period=period, months=int(sc.get("months", horizon)),
                               include_committed_lines=lines_ok)
        listed = key_supervision_list(flags)
        listed_ids = list(listed["entity_id"])
        new_listed = [e for e in listed_ids if e not in base_list]
        keys = list(zip(flags["entity_id"], flags["rule_id"]))
        new = [k not in base_keys for k in keys]
        cross = flags.assign(scenario_id=sc["id"], scenario_name=sc["name_zh"], new=new,
                             value_before=[float(base_values.get(k, np.nan)) for k in keys])
        crossings.append(cross)
        shortfalls.append(short.assign(scenario_id=sc["id"], scenario_name=sc["name_zh"]))
        last = short.groupby("entity_id")["shortfall"].max() if len(short) else pd.Series(dtype=float)
        debt, guar = _exposure(tables, scope, listed_ids)
        summaries.append({
            "scenario_id": sc["id"],
            "scenario_name": sc["name_zh"],
            "flags": int(len(flags)),
            "new_flags": int(sum(new)),
            "listed": len(listed_ids),
            "new_listed": len(new_listed),
            "new_listed_ids": ";".join(new_listed),
            "shortfall_entities": int((last.drop(DISTRICT_ID, errors="ignore") > 0).sum()),
            "district_shortfall": float(last.get(DISTRICT_ID, 0.0)),
            "listed_debt": debt,
            "listed_guarantees": guar,
            "district_debt": district_debt,
            "district_guarantees": district_guar,
        })
    cross_cols = ["scenario_id", "scenario_name", "new", "value_before"] + FLAG_COLUMNS
    short_cols = ["scenario_id", "scenario_name", "entity_id", "entity_name", "level", "month", "cumulative_due",
                  "available", "shortfall"]
    return {
        "summary": pd.DataFrame(summaries),
        "crossings": pd.concat(crossings, ignore_index=True)[cross_cols],
        "shortfall": pd.concat(shortfalls, ignore_index=True)[short_cols],
    }
