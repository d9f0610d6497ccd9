"""Who reported: the period's coverage, computed once in the shared step before anything is published.

For every table the enterprises submit each month (the 财务快报 and the ledgers of the group
workbook), :func:`coverage_frame` compares the roster with the period's accepted rows, group by
group: how many reporters were expected, how many reported, and who is missing.

* 财务快报 (``financials``): every enterprise of the roster is expected for the period's closed month
  (January excepted: it is reported with February, as :func:`~guozi_analysis.intake.quality.missing_submissions`
  counts it).
* a ledger (projects, debts, guarantees …): a group is expected when it reported that ledger in the
  month before (a ledger has no row for an enterprise with nothing to report, so only a group that
  reported before and not now is missing).

A period is *complete* when nobody expected is missing (:func:`is_complete`). Publications read the
stored frame (``coverage.parquet``) to say who is missing, to mark totals incomplete and to leave out
comparisons and statements of absence the missing data would decide.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from guozi_analysis.base.contract import TABLES
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.periods import closed_month

__all__ = ["COVERAGE_COLUMNS", "coverage_frame", "is_complete", "missing_groups", "partial_groups",
           "reported_entities"]

#: Columns of :func:`coverage_frame`.
COVERAGE_COLUMNS = ["table", "table_zh", "group_id", "group_name", "expected", "reported", "missing", "missing_ids"]
#: The table every enterprise reports each month: its coverage decides what the totals contain.
FINANCIALS = "financials"
#: Tables not reported per period (the roster, the year's targets, the 委's own task ledger).
_NOT_REPORTED = {"roster", "targets", "key_tasks"}


def _entity_column(table: str) -> str | None:
    """The table's first enterprise-code field (the reporter), or None."""
    for f in TABLES[table].fields:
        if f.description_zh.startswith("企业名录中的企业编码"):
            return f.name
    return None


def _month_ids(frame: pd.DataFrame | None, column: str, month: str) -> set[str]:
    """Reporters with a row for ``month`` (a half-monthly table's H1/H2 rows count for their month)."""
    if frame is None or not len(frame) or column not in frame.columns or "period" not in frame.columns:
        return set()
    labels = frame["period"].astype("string").str.strip().str[:7]
    return set(frame.loc[labels == month, column].dropna().astype(str).str.strip())


def coverage_frame(tables: Mapping[str, pd.DataFrame], *, period: str) -> pd.DataFrame:
    """One row per (table, group): reporters expected, reported, missing (count and codes, 、-joined);
    ``group_name`` is the group's short name (简称, else its name) as publications print it.

    Only rows with something expected are kept; see the module's docstring for who is expected.
    """
    roster = tables["roster"]
    tree = EnterpriseTree.from_roster(roster)
    names = roster["short_name"] if "short_name" in roster else roster["name"]
    names = dict(zip(roster["enterprise_id"].astype(str).str.strip(), names.astype(str)))
    month = closed_month(period)
    before = str(pd.Period(month, freq="M") - 1)
    rows = []
    for name, table in TABLES.items():
        column = _entity_column(name)
        if name in _NOT_REPORTED or column is None or table.frequency not in ("monthly", "half_monthly"):
            continue
        now = {e for e in _month_ids(tables.get(name), column, month) if e in tree}
        if name == FINANCIALS:
            if month.endswith("-01"):
                continue
            for g in tree.groups:
                expected = list(tree.subtree(g))
                missing = [e for e in expected if e not in now]
                rows.append((name, table.label_zh, g, names.get(g, g), len(expected), len(expected) - len(missing),
                             len(missing), "、".join(missing)))
            continue
        earlier = {tree.group_of(e) for e in _month_ids(tables.get(name), column, before) if e in tree}
        reported = {tree.group_of(e) for e in now}
        for g in tree.groups:
            if g not in earlier:
                continue
            missing = [] if g in reported else [g]
            rows.append((name, table.label_zh, g, names.get(g, g), 1, 1 - len(missing), len(missing),
                         "、".join(missing)))
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def is_complete(coverage: pd.DataFrame) -> bool:
    """Whether every expected reporter reported (an empty frame — nothing expected — is complete)."""
    return not len(coverage) or int(coverage["missing"].sum()) == 0


def missing_groups(coverage: pd.DataFrame, table: str = FINANCIALS) -> list[str]:
    """Groups none of whose enterprises reported ``table`` (roster order)."""
    if not len(coverage):
        return []
    part = coverage.loc[coverage["table"] == table]
    return [str(g) for g in part.loc[(part["reported"] == 0) & (part["expected"] > 0), "group_id"]]


def partial_groups(coverage: pd.DataFrame, table: str = FINANCIALS) -> dict[str, list[str]]:
    """Groups of which some, not all, enterprises reported ``table``: group → the missing codes."""
    if not len(coverage):
        return {}
    part = coverage.loc[(coverage["table"] == table) & (coverage["reported"] > 0) & (coverage["missing"] > 0)]
    return {str(r.group_id): str(r.missing_ids).split("、") for r in part.itertuples()}


def reported_entities(coverage: pd.DataFrame, roster: pd.DataFrame, table: str = FINANCIALS) -> set[str]:
    """Roster enterprises that reported ``table`` this period (every enterprise when nothing is expected)."""
    ids = set(roster["enterprise_id"].astype(str).str.strip())
    if not len(coverage):
        return ids
    part = coverage.loc[coverage["table"] == table]
    if not len(part):
        return ids
    missing = {e for codes in part["missing_ids"].astype(str) for e in codes.split("、") if e}
    return ids - missing
