"""The district's composite financing cost over its whole history, and since when this month's is the lowest.

The review says "综合融资成本为 20xx 年 x 月以来最低": that claim is computed here, in the analyses layer,
with the indicator's own formula (:func:`~guozi_analysis.indicators.formulas.composite_financing_cost`),
so the month compared is the number the indicator table prints.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from guozi_analysis.indicators.formulas import composite_financing_cost

__all__ = ["financing_cost_history", "lowest_since"]


def financing_cost_history(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """District composite financing cost by month: Σ(余额 × 利率) / Σ 有利率的余额 (%), over all history."""

    debts = tables.get("debts")
    if debts is None or not len(debts):
        return pd.DataFrame(columns=["month", "composite_financing_cost"])
    balance = pd.to_numeric(debts["balance"], errors="coerce")
    rate = pd.to_numeric(debts["annual_rate"], errors="coerce")
    rated = balance.notna() & rate.notna()
    month = debts["period"].astype("string").str.slice(0, 7)
    frame = pd.DataFrame({"month": month.to_numpy(),
                          "rxb": (balance * rate).where(rated, 0.0).to_numpy(),
                          "bal": balance.where(rated, 0.0).to_numpy()})
    sums = frame.groupby("month", sort=True)[["rxb", "bal"]].sum()
    cost = composite_financing_cost(sums["rxb"], sums["bal"])
    return pd.DataFrame({"month": sums.index.astype(str), "composite_financing_cost": cost.to_numpy()})


def lowest_since(history: pd.DataFrame, month: str) -> str | None:
    """The first month from which ``month``'s cost is the lowest, or ``None`` when it is not a low.

    Walks back from ``month`` while every earlier value is higher; the month after the last value
    that is not higher (or the first month of the history) is returned as ``"YYYY-MM"``.
    """
    h = history.dropna().sort_values("month")
    h = h.loc[h["month"] <= month]
    if not len(h) or h["month"].iloc[-1] != month:
        return None
    current = h["composite_financing_cost"].iloc[-1]
    earlier = h.iloc[:-1]
    if not len(earlier):
        return None
    not_higher = earlier.loc[earlier["composite_financing_cost"] <= current]
    if not len(not_higher):
        return str(earlier["month"].iloc[0])
    after = earlier.loc[earlier["month"] > not_higher["month"].iloc[-1]]
    return str(after["month"].iloc[0]) if len(after) else None
