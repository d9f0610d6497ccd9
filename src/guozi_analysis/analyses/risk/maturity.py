"""The maturity profile: how much outstanding financing falls due in each coming month."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from guozi_analysis.analyses.risk.data import DISTRICT_ID, Scope, debt_rows, make_scope
from guozi_analysis.base.frames import rows_by

__all__ = ["OVERDUE_LABEL", "PROFILE_COLUMNS", "OWN_BASIS", "TREE_BASIS", "SCOPE_COLUMNS", "maturity_profile",
           "wall_months", "maturity_scopes"]

#: Month label of instruments already past maturity but still in the snapshot.
OVERDUE_LABEL = "已到期未还"
PROFILE_COLUMNS = ["entity_id", "entity_name", "level", "period", "month", "balance", "share_pct", "cumulative"]


#: The scopes a maturity is summed on: the enterprise's own instruments, or its whole tree (itself and
#: every subsidiary, the 快报's consolidated scope; the maturity profile's scope).
OWN_BASIS, TREE_BASIS, DISTRICT_BASIS = "本企业自身", "含全部下属企业", "全区"
#: Columns of :func:`maturity_scopes`.
SCOPE_COLUMNS = ["entity_id", "entity_name", "level", "period", "wall_basis", "wall_month", "month_own", "month_tree",
                 "month_subsidiaries", "window_own", "window_tree", "window_subsidiaries", "months"]


def _month_table(rows: pd.DataFrame, keys, basis: str) -> pd.DataFrame:
    """Largest month, its amount, the window total and the share per key."""
    by = rows.assign(key=keys).groupby(["key", "month"], as_index=False)["balance"].sum()
    by["total"] = by.groupby("key")["balance"].transform("sum")
    by = by.sort_values(["key", "balance", "month"], ascending=[True, False, True], kind="mergesort")
    top = by.drop_duplicates("key").rename(columns={"balance": "amount"})
    top = top.loc[top["total"] > 0]
    return top.assign(share=top["amount"] / top["total"] * 100.0, basis=basis)


def _window(debts: pd.DataFrame, scope: Scope, months: int) -> pd.DataFrame:
    """Instruments maturing in (as-of date, as-of date + ``months``], with their calendar month."""
    end = scope.as_of + pd.DateOffset(months=months)
    window = debts.loc[((debts["maturity"] > scope.as_of) & (debts["maturity"] <= end)).fillna(False).to_numpy()]
    return window.assign(month=window["maturity"].dt.strftime("%Y-%m"))


def wall_months(debts: pd.DataFrame, scope: Scope, *, months: int = 12) -> pd.DataFrame:
    """Each entity's largest single month of the next ``months`` months, on the scope where it weighs most.

    Computed on the entity's own instruments, on its whole tree and (for the district) on every
    instrument; the scope with the larger share of the window is kept (index ``key`` = entity; columns
    month, amount, total, share, basis). The 集中到期 check (``maturity_wall``) reads this.
    """
    window = _window(debts, scope, months)
    tree_rows = window.merge(scope.pairs, left_on="owner", right_on="member")
    candidates = pd.concat([
        _month_table(window, window["owner"].to_numpy(), OWN_BASIS),
        _month_table(tree_rows, tree_rows["entity_id"].to_numpy(), TREE_BASIS),
        _month_table(window, np.full(len(window), DISTRICT_ID, dtype=object), DISTRICT_BASIS),
    ], ignore_index=True)
    return candidates.sort_values("share", ascending=False, kind="mergesort").drop_duplicates("key").set_index("key")


def maturity_scopes(tables: Mapping[str, pd.DataFrame], *, period: str, months: int = 12) -> pd.DataFrame:
    """Where the 集中到期 warning and the maturity profile count one quantity on different scopes.

    For every entity whose 集中到期 month was found on its own instruments (``wall_basis`` 本企业自身)
    while the maturity profile sums its whole tree: the wall month's maturities and the next ``months``
    months' total on both scopes, and their difference — what the subsidiaries owe (万元). The
    difference is ``tree − own`` by construction: the note under the profile table reconciles the two.
    """
    scope = make_scope(tables, period=period)
    debts = debt_rows(tables, scope)
    if debts is None:
        return pd.DataFrame(columns=SCOPE_COLUMNS)
    walls = wall_months(debts, scope, months=months)
    walls = walls.loc[walls["basis"] == OWN_BASIS]
    window = _window(debts, scope, months)
    tree_rows = window.merge(scope.pairs, left_on="owner", right_on="member")
    own_of, tree_of = rows_by(window, "owner"), rows_by(tree_rows, "entity_id")
    rows = []
    for eid, wall in walls.iterrows():
        if eid not in scope.tree or not scope.tree.descendants(eid):
            continue  # no subsidiaries (or the district): one scope only
        own, tree = own_of(eid), tree_of(eid)
        month_own = float(own.loc[own["month"] == wall["month"], "balance"].sum())
        month_tree = float(tree.loc[tree["month"] == wall["month"], "balance"].sum())
        window_own, window_tree = float(own["balance"].sum()), float(tree["balance"].sum())
        rows.append((eid, scope.entities.at[eid, "entity_name"], scope.entities.at[eid, "level"], scope.period,
                     OWN_BASIS, wall["month"], month_own, month_tree, month_tree - month_own,
                     window_own, window_tree, window_tree - window_own, months))
    return pd.DataFrame(rows, columns=SCOPE_COLUMNS)


def _months(start: pd.Timestamp, end: pd.Timestamp) -> list[str]:
    first = (start + pd.Timedelta(days=1)).to_period("M")
    return [str(p) for p in pd.period_range(first, end.to_period("M"), freq="M")]


def maturity_profile(tables: Mapping[str, pd.DataFrame], *, period: str, months: int = 24) -> pd.DataFrame:
    """Balance falling due in each calendar month of the next ``months`` months, per entity and district.

    Read from the closed month's 融资明细 snapshot. An entity's profile covers its whole tree (itself
    and every subsidiary, matching its consolidated 快报); ``DISTRICT`` covers every instrument. The
    window is (as-of date, as-of date + ``months`` months]; instruments past maturity but still
    outstanding are shown in a first row labelled 「已到期未还」 when there are any. ``share_pct`` is
    the month's share of the entity's window total (%), ``cumulative`` the running total (万元).
    Entities without financing do not appear; an empty frame when 融资明细 was not filed.
    """
    scope = make_scope(tables, period=period)
    debts = debt_rows(tables, scope)
    if debts is None:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    end = scope.as_of + pd.DateOffset(months=months)
    debts = debts.loc[debts["maturity"].notna().to_numpy() & (debts["maturity"] <= end).to_numpy()]
    debts = debts.assign(month=debts["maturity"].dt.strftime("%Y-%m"))
    debts.loc[(debts["maturity"] <= scope.as_of).to_numpy(), "month"] = OVERDUE_LABEL
    labels = _months(scope.as_of, end)
    tree = debts.merge(scope.pairs, left_on="owner", right_on="member")[["entity_id", "month", "balance"]]
    district = debts.assign(entity_id=DISTRICT_ID)[["entity_id", "month", "balance"]]
    sums = pd.concat([district, tree]).groupby(["entity_id", "month"])["balance"].sum()
    present = set(sums.index.get_level_values(0))  # once: a lookup per entity was quadratic in their number
    overdue = set(sums.index.get_level_values(0)[sums.index.get_level_values(1) == OVERDUE_LABEL])
    entities = [e for e in scope.entities.index if e in present]
    if not entities:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    # every entity's months in one frame: the 已到期未还 row first where there is one, then the window's months
    orders = [([OVERDUE_LABEL] if e in overdue else []) + labels for e in entities]
    ids = np.repeat(np.array(entities, dtype=object), [len(o) for o in orders])
    months_of = [m for order in orders for m in order]
    balance = sums.reindex(pd.MultiIndex.from_arrays([ids, months_of])).fillna(0.0).to_numpy(dtype=float)
    share, cumulative = np.full(len(balance), np.nan), np.empty(len(balance))
    start = 0
    for e, order in zip(entities, orders):  # numpy on each entity's slice (sums in the order pandas sums them)
        stop = start + len(order)
        window = slice(start + (e in overdue), stop)
        total = float(balance[window].sum())
        share[window] = balance[window] / total * 100.0 if total > 0 else balance[window] * float("nan")
        cumulative[start:stop] = balance[start:stop].cumsum()
        start = stop
    facts = scope.entities.loc[ids]
    return pd.DataFrame({
        "entity_id": ids,
        "entity_name": facts["entity_name"].to_numpy(dtype=object),
        "level": facts["level"].to_numpy(dtype=object),
        "period": scope.period,
        "month": np.array(months_of, dtype=object),
        "balance": balance,
        "share_pct": share,
        "cumulative": cumulative,
    })[PROFILE_COLUMNS]
