"""经济运行 analyses of the 月度通报: loss-making enterprises and the causes of a headline move.

:func:`loss_makers` counts the 亏损企业 and adds up their losses (亏损面 = 亏损企业户数 / 企业户数);
:func:`headline_attribution` says which groups and which line items moved a district figure, using
:mod:`guozi_analysis.analyses.attribution` (one attribution for every publication). Both read stored
tables (the accepted 财务快报 rows and the stored monthly indicators) and return plain frames; the
publication only words them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from guozi_analysis.analyses.attribution import drivers, entity_contributions, is_notable, item_bridge, settings
from guozi_analysis.indicators.formulas import safe_divide

__all__ = ["LOSS_COLUMNS", "loss_makers", "indicator_frame", "Attribution", "headline_attribution",
           "unmatched_debt_move"]

#: Columns of :func:`loss_makers`.
LOSS_COLUMNS = ["reporting", "loss_count", "loss_share", "loss_amount", "loss_entities", "reason"]


def loss_makers(financials: pd.DataFrame, *, periods: Sequence[str], entities: Sequence[str] | None = None,
                column: str = "total_profit", key: str = "enterprise_id") -> pd.DataFrame:
    """亏损企业户数、亏损额和亏损面 for each of ``periods`` (e.g. this month and the same month last year).

    Scope: every legal entity that reported a 快报 with ``column`` (利润总额, year to date) for the period,
    at every level (group, subsidiary, sub-subsidiary), each ``enterprise_id`` counted once; ``entities``
    (the roster) limits the count to known enterprises. Each entity is judged on its own reported row (a
    group's row is its consolidated 快报), as 户数 are counted in the 国资 快报 statistics.

    Definitions: 企业户数 ``reporting`` = entities with a reported value; 亏损企业户数 ``loss_count`` =
    those with ``column`` < 0; 亏损额 ``loss_amount`` = Σ |利润总额| of the 亏损企业 (万元, positive; the
    entities' own figures added up, so a subsidiary's loss also inside its parent's consolidated loss is
    added once for each entity that reports it); 亏损面 ``loss_share`` = 亏损企业户数 / 企业户数 × 100 (%).
    ``loss_entities`` lists the 亏损企业 largest loss first. A period with no reported row has NaN
    figures and the reason (never 0 亏损企业: nobody was looked at).
    """
    rows = []
    if "period" not in financials or key not in financials:  # nothing stored (no 快报 table at all)
        financials = pd.DataFrame(columns=["period", key])
    for period in periods:
        part = financials.loc[financials["period"].astype(str).str[:7] == str(period)[:7]]
        if entities is not None:
            part = part.loc[part[key].astype(str).isin([str(e) for e in entities])]
        part = part.drop_duplicates(key, keep="last")
        values = pd.to_numeric(part[column], errors="coerce") if column in part else pd.Series(dtype=float)
        values.index = part[key].astype(str).to_numpy() if len(part) else values.index
        values = values.dropna()
        if not len(values):
            rows.append({"period": str(period)[:7], "reporting": np.nan, "loss_count": np.nan, "loss_share": np.nan,
                         "loss_amount": np.nan, "loss_entities": (), "reason": f"{str(period)[:7]} 无财务快报"})
            continue
        losses = values.loc[values < 0].sort_values(kind="stable")
        rows.append({"period": str(period)[:7], "reporting": float(len(values)), "loss_count": float(len(losses)),
                     "loss_share": float(safe_divide(len(losses), len(values))) * 100.0,
                     "loss_amount": 0.0 - float(losses.sum()), "loss_entities": tuple(losses.index), "reason": ""})
    return pd.DataFrame(rows, columns=["period", *LOSS_COLUMNS]).set_index("period")


def indicator_frame(history: pd.DataFrame, indicator: str, *, items: pd.DataFrame | None = None,
                    key: str = "enterprise_id") -> pd.DataFrame:
    """The stored monthly values of ``indicator`` as a wide column (``key``, ``period``, ``indicator``),
    joined to the line items ``items`` (the 快报 rows) when given, so that one frame feeds
    :func:`~guozi_analysis.analyses.attribution.entity_contributions` (the stored indicator, the figure the
    publication prints) and :func:`~guozi_analysis.analyses.attribution.item_bridge` (its line items)."""
    hist = history.loc[history["indicator_id"].astype(str) == indicator]
    wide = pd.DataFrame({key: hist["entity_id"].astype(str).to_numpy(),
                         "period": hist["period"].astype(str).str[:7].to_numpy(),
                         indicator: pd.to_numeric(hist["value"], errors="coerce").to_numpy()})
    wide = wide.drop_duplicates([key, "period"], keep="last")
    if items is None:
        return wide
    lines = items.drop(columns=[indicator], errors="ignore").assign(
        **{key: items[key].astype(str), "period": items["period"].astype(str).str[:7]})
    return lines.drop_duplicates([key, "period"], keep="last").merge(wide, on=[key, "period"], how="outer")


@dataclass
class Attribution:
    """What moved a district figure between two periods.

    ``now``/``before`` are the totals over the entities (NaN when one is missing), ``change`` their
    difference, ``notable`` whether it is large enough for a sentence (:func:`is_notable`);
    ``entities`` are the driving entities (:func:`drivers` of :func:`entity_contributions`, column
    ``change``); ``items`` the driving line items of the first driving entity (:func:`drivers` of
    :func:`item_bridge`, by ``contribution``; empty without a bridge) and ``lead`` that entity.
    """

    indicator: str
    now_period: str
    before_period: str
    now: float
    before: float
    change: float
    notable: bool
    entities: pd.DataFrame
    items: pd.DataFrame = field(default_factory=pd.DataFrame)
    lead: str = ""


def headline_attribution(frame: pd.DataFrame, *, indicator: str, now: str, before: str, entities: Sequence[str],
                         bridge: Mapping[str, int] | None = None, threshold: float | None = None,
                         key: str = "enterprise_id") -> Attribution:
    """Which of ``entities`` (the groups) and which line items moved ``indicator`` from ``before`` to ``now``.

    ``frame`` holds one row per (entity, period) with the indicator as a column and the bridge's line items
    (see :func:`indicator_frame`). The total is the sum over ``entities`` (the district = Σ groups for a sum
    indicator); 同比 passes the same month a year earlier as ``before``, 环比 the month before. The move is
    notable when |Δ| / |before| ≥ ``attribution.min_change`` % (``params/bulletins.yaml``). A missing
    entity leaves the total NaN and nothing is attributed.
    """
    contrib = entity_contributions(frame, column=indicator, now=now, before=before, entities=entities, key=key)
    total_now = contrib["now"].sum(min_count=len(contrib)) if len(contrib) and contrib["now"].notna().all() else np.nan
    total_before = contrib["before"].sum() if len(contrib) and contrib["before"].notna().all() else np.nan
    change = float(total_now - total_before)
    notable = is_notable(float(total_now), float(total_before), threshold=threshold)
    named = drivers(contrib)
    out = Attribution(indicator=indicator, now_period=now, before_period=before, now=float(total_now),
                      before=float(total_before), change=change, notable=notable, entities=named)
    if bridge and len(named):
        out.lead = str(named.index[0])
        try:
            split = item_bridge(frame, entity_id=out.lead, total=indicator, items=bridge, now=now, before=before,
                                key=key)
        except KeyError:  # the entity's line items are missing for a period: no item split, said by its absence
            return out
        out.items = drivers(split, value="contribution")
    return out


def unmatched_debt_move(frame: pd.DataFrame, debt: Attribution, *, entities: Sequence[str],
                        gap: float | None = None, column: str = "total_liabilities",
                        key: str = "enterprise_id") -> tuple[float, bool]:
    """负债总额's change over the same entities and periods as ``debt`` (an :class:`Attribution` of 带息负债),
    and whether the debt moved without the liabilities: a notable 带息负债 move with
    |Δ负债总额| < ``gap`` × |Δ带息负债| (``attribution.liability_gap``, default 0.5).

    Debt repaid lowers the liabilities (or the cash) by as much; debt that falls while the liabilities stay
    means the debt went to another liability line or the 快报 lines changed basis — a question for the
    enterprises, not a finding about their debt. Returns ``(Δ负债总额 in 万元, unmatched)``; NaN and False
    when a figure is missing.
    """
    gap = float(settings().get("liability_gap", 0.5) if gap is None else gap)
    liab = entity_contributions(frame, column=column, now=debt.now_period, before=debt.before_period,
                                entities=entities, key=key).attrs["total"]
    if np.isnan(liab) or np.isnan(debt.change) or not debt.notable:
        return float(liab), False
    return float(liab), bool(abs(liab) < gap * abs(debt.change))
