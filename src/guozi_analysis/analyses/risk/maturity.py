"""The maturity profile: how much outstanding financing falls due in each coming month."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from guozi_analysis.analyses.risk.data import DISTRICT_ID, debt_rows, make_scope

__all__ = ["OVERDUE_LABEL", "PROFILE_COLUMNS", "maturity_profile"]

#: Month label of instruments already past maturity but still in the snapshot.
OVERDUE_LABEL = "已到期未还"
PROFILE_COLUMNS = ["entity_id", "entity_name", "level", "period", "month", "balance", "share_pct", "cumulative"]


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
    frames = []
    present = set(sums.index.get_level_values(0))  # once: a lookup per entity was quadratic in their number
    for eid in [e for e in scope.entities.index if e in present]:
        own = sums.loc[eid]
        order = ([OVERDUE_LABEL] if OVERDUE_LABEL in own.index else []) + labels
        values = own.reindex(order).fillna(0.0)
        in_window = values.drop(OVERDUE_LABEL, errors="ignore")
        total = float(in_window.sum())
        share = in_window / total * 100.0 if total > 0 else in_window * float("nan")
        frames.append(pd.DataFrame({
            "entity_id": eid,
            "entity_name": scope.entities.at[eid, "entity_name"],
            "level": scope.entities.at[eid, "level"],
            "period": scope.period,
            "month": order,
            "balance": values.to_numpy(dtype=float),
            "share_pct": share.reindex(order).to_numpy(dtype=float),
            "cumulative": values.cumsum().to_numpy(dtype=float),
        }))
    if not frames:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[PROFILE_COLUMNS]
