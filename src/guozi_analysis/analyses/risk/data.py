"""Small readers shared by the risk checks, the maturity profile and the stress tests.

Conventions follow the data contract: monthly tables are read for the period's closed month
(:func:`guozi_analysis.periods.closed_month`); every entity's 快报 row is consolidated over its own
tree, so detail items (debts, credit lines) are summed over the entity's tree to match it; the
district's 快报 figures are the sum of the six groups' rows (NaN if one is missing) and its detail
figures the sum of all rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from guozi_analysis.base import periods as _periods
from guozi_analysis.base.entities import DISTRICT_ID, EnterpriseTree
from guozi_analysis.indicators.panel import as_bool, num_column, period_positions, text_column

DISTRICT_NAME = "全区合计"


@dataclass(frozen=True)
class Scope:
    """Where and when: the period, its closed month and as-of date, and the entity tree."""

    period: str
    month: str
    as_of: pd.Timestamp
    months_elapsed: int
    entities: pd.DataFrame  # index entity_id; entity_name, level, industry_class, parent_id
    pairs: pd.DataFrame  # member, entity_id: every roster entity with itself and each ancestor
    tree: EnterpriseTree  # the roster's parent codes: groups, ancestors, subtrees


# Column readers are the panel's: one definition of "missing column → NaN / NA / False".
text = text_column
num = num_column


def flag(frame: pd.DataFrame, column: str) -> pd.Series:
    """Booleans from bool / 0-1 / 是/否 text; missing → False."""
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return as_bool(frame[column])


def rows_for_month(tables: Mapping[str, pd.DataFrame], name: str, month: str) -> pd.DataFrame | None:
    """Rows of a monthly table for ``month`` (``YYYY-MM`` or its ``-H2`` label); ``None`` if not filed."""
    frame = tables.get(name)
    if frame is None or len(frame) == 0 or "period" not in frame.columns:
        return None
    rows = frame.iloc[period_positions(frame, [month, f"{month}-H2"])]
    return rows.reset_index(drop=True) if len(rows) else None


def entity_frame(roster: pd.DataFrame, tree: EnterpriseTree, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """DISTRICT then the roster in tree order: entity_name, level (district/group/enterprise), industry_class,
    parent_id — membership and parents from ``tree`` (the roster's parent codes)."""
    shape = tree.frame()
    rows = roster.assign(_id=text(roster, "enterprise_id").to_numpy()).set_index("_id")
    frame = pd.DataFrame({
        "entity_name": text(rows, "name").reindex(shape.index).to_numpy(),
        "level": np.where(shape["is_group"].to_numpy(), "group", "enterprise"),
        "industry_class": text(rows, "industry_class").reindex(shape.index).to_numpy(),
        "parent_id": shape["parent_id"].to_numpy(),
    }, index=pd.Index(shape.index, name="entity_id"))
    district = pd.DataFrame({"entity_name": [DISTRICT_NAME], "level": ["district"], "industry_class": [pd.NA],
                             "parent_id": [""]}, index=pd.Index([DISTRICT_ID], name="entity_id"))
    out = pd.concat([district, frame])
    if indicators is not None and len(indicators):
        names = indicators.drop_duplicates("entity_id").set_index("entity_id")["entity_name"]
        out["entity_name"] = names.reindex(out.index).fillna(out["entity_name"]).astype(str)
    return out.astype({"entity_name": str, "level": str, "parent_id": str})


def tree_pairs(tree: EnterpriseTree) -> pd.DataFrame:
    """(member, entity_id) pairs: every roster entity with itself and each of its ancestors."""
    pairs = tree.pairs().rename(columns={"entity_id": "member", "ancestor_id": "entity_id"})
    return pairs[["member", "entity_id"]].astype(str)


def make_scope(tables: Mapping[str, pd.DataFrame], *, period: str, indicators: pd.DataFrame | None = None) -> Scope:
    p = _periods.parse_period(period)
    roster = tables.get("roster")
    if roster is None:
        raise ValueError("缺少企业名录（roster），无法评估风险规则")
    tree = EnterpriseTree.from_roster(roster)
    return Scope(period=p.label, month=_periods.closed_month(p), as_of=pd.Timestamp(p.as_of),
                 months_elapsed=_periods.months_elapsed(p), entities=entity_frame(roster, tree, indicators),
                 pairs=tree_pairs(tree), tree=tree)


def tree_sum(values: pd.Series, scope: Scope) -> pd.Series:
    """Sum per-owner values (index = owner id, may repeat) over each entity's tree; DISTRICT = all."""
    per_owner = values.groupby(level=0, sort=False).sum()  # row order: independent of the codes
    merged = scope.pairs.merge(per_owner.rename("v"), left_on="member", right_index=True, how="inner")
    out = merged.groupby("entity_id")["v"].sum().reindex(scope.entities.index).fillna(0.0)
    out.loc[DISTRICT_ID] = float(per_owner.sum())
    return out.astype(float)


def own_sum(values: pd.Series, scope: Scope) -> pd.Series:
    """Sum per-owner values over the owner itself only; DISTRICT = all."""
    per_owner = values.groupby(level=0, sort=False).sum()
    out = per_owner.reindex(scope.entities.index).fillna(0.0)
    out.loc[DISTRICT_ID] = float(per_owner.sum())
    return out.astype(float)


def financial_item(tables: Mapping[str, pd.DataFrame], scope: Scope, column: str, *, month: str | None = None) -> pd.Series:
    """One 快报 line item per entity for a month (default the closed month); DISTRICT = Σ groups."""
    rows = rows_for_month(tables, "financials", month or scope.month)
    index = scope.entities.index
    if rows is None:
        return pd.Series(np.nan, index=index, dtype=float)
    values = pd.Series(num(rows, column).to_numpy(), index=text(rows, "enterprise_id").to_numpy())
    values = values.loc[~values.index.duplicated(keep="last")]
    out = values.reindex(index).astype(float)
    groups = index[scope.entities["level"].eq("group").to_numpy()]
    if len(groups):
        out.loc[DISTRICT_ID] = values.reindex(groups).sum(skipna=False)
    return out


def debt_rows(tables: Mapping[str, pd.DataFrame], scope: Scope) -> pd.DataFrame | None:
    """Outstanding instruments of the closed month: debt_id, owner, balance, maturity (Timestamp)."""
    rows = rows_for_month(tables, "debts", scope.month)
    if rows is None:
        return None
    return pd.DataFrame({
        "debt_id": text(rows, "debt_id").to_numpy(),
        "owner": text(rows, "enterprise_id").to_numpy(),
        "balance": num(rows, "balance").fillna(0.0).to_numpy(),
        "maturity": pd.to_datetime(rows["maturity_date"], errors="coerce").to_numpy()
        if "maturity_date" in rows else pd.NaT,
    })


def committed_unused_lines(tables: Mapping[str, pd.DataFrame], scope: Scope) -> pd.Series | None:
    """Unused committed credit (line − used, at least 0) summed over each entity's tree; None if not filed."""
    rows = rows_for_month(tables, "credit_lines", scope.month)
    if rows is None:
        return None
    unused = (num(rows, "line_amount") - num(rows, "used_amount").fillna(0.0)).clip(lower=0.0).fillna(0.0)
    unused = unused.where(flag(rows, "is_committed").to_numpy(), 0.0)
    return tree_sum(pd.Series(unused.to_numpy(), index=text(rows, "enterprise_id").to_numpy()), scope)


def due_by(debts: pd.DataFrame, scope: Scope, end: pd.Timestamp) -> pd.Series:
    """Balance maturing on or before ``end`` (already overdue included), summed over each tree."""
    due = debts.loc[(debts["maturity"] <= end).fillna(False).to_numpy()]
    return tree_sum(pd.Series(due["balance"].to_numpy(), index=due["owner"].to_numpy()), scope)


def fmt_wan(value: float) -> str:
    """A 万元 amount for messages: ``12,345.60 万元``."""
    return "—" if value is None or pd.isna(value) else f"{value:,.2f} 万元"
