"""The quarter's own figures: single quarters from stored year-to-date values, their 同比, the structure
by class, and the maturity walls the quarterly names.

A year-to-date flow (营业总收入, 利润总额 …) is stored month by month as 1—n月; its single quarter is the
difference of two stored quarter-end values (三季度 = 1—9月 − 1—6月; 一季度 = 1—3月). A stock or a ratio
(资产总额, 资产负债率 …) has no single quarter: its quarter value is the quarter-end value. Nothing is
averaged across enterprises: a class total is the sum of its members, and a missing member leaves it NaN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from guozi_analysis.analyses.attribution import PROFIT_BRIDGE, change, item_bridge  # noqa: F401 - change: 同比 here too
from guozi_analysis.analyses.risk.data import debt_rows, make_scope
from guozi_analysis.analyses.risk.maturity import wall_months
from guozi_analysis.indicators.formulas import safe_divide

__all__ = ["QUARTER_COLUMNS", "quarter_end", "single_quarter", "quarter_values", "change", "class_structure",
           "year_on_year_items", "profit_bridge", "maturity_walls"]

#: Columns of :func:`quarter_values`.
QUARTER_COLUMNS = ["entity_id", "indicator_id", "year", "quarter", "value", "reason"]


def quarter_end(year: int, quarter: int) -> str:
    """The quarter's last month, ``YYYY-MM`` (2022, 3 → ``2022-09``)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"季度应为 1—4，收到：{quarter}")
    return f"{int(year):04d}-{3 * quarter:02d}"


def single_quarter(values: Mapping[str, float], *, year: int, quarter: int, flow: bool = True) -> float:
    """One quarter's value from month-end values keyed ``YYYY-MM``.

    Flow (year to date): 本季 = 本季末累计 − 上季末累计; the first quarter is the 1—3月 value itself.
    Stock or ratio: the quarter-end value. Unit: the values'. A missing month gives NaN (never 0).
    """
    now = values.get(quarter_end(year, quarter), np.nan)
    now = np.nan if now is None else float(now)
    if not flow or quarter == 1:
        return now
    before = values.get(quarter_end(year, quarter - 1), np.nan)
    before = np.nan if before is None else float(before)
    return now - before


def quarter_values(history: pd.DataFrame, *, entities: Sequence[str], indicators: Mapping[str, bool],
                   years: Iterable[int], quarters: Iterable[int]) -> pd.DataFrame:
    """Each entity's single-quarter value of each indicator (``indicators``: id → is a year-to-date flow).

    ``history`` is the stored ``indicator_history`` (entity_id, indicator_id, period ``YYYY-MM``, value).
    Returns :data:`QUARTER_COLUMNS`, one row per entity × indicator × year × quarter; a value that cannot
    be formed is NaN with its reason (未报送 的月份).
    """
    hist = history.loc[history["entity_id"].astype(str).isin(list(entities))
                       & history["indicator_id"].astype(str).isin(list(indicators))]
    keyed = {(str(e), str(i), str(p)[:7]): float(v) for e, i, p, v in
             zip(hist["entity_id"], hist["indicator_id"], hist["period"], pd.to_numeric(hist["value"], errors="coerce"))}
    rows = []
    for e in entities:
        for ind, flow in indicators.items():
            months = {p: v for (ee, ii, p), v in keyed.items() if ee == e and ii == ind}
            for y in years:
                for q in quarters:
                    v = single_quarter(months, year=y, quarter=q, flow=flow)
                    need = [quarter_end(y, q)] + ([quarter_end(y, q - 1)] if flow and q > 1 else [])
                    missing = [m for m in need if np.isnan(months.get(m, np.nan))]
                    rows.append({"entity_id": e, "indicator_id": ind, "year": int(y), "quarter": int(q), "value": v,
                                 "reason": f"{'、'.join(missing)} 无数据" if missing else ""})
    return pd.DataFrame(rows, columns=QUARTER_COLUMNS)


def class_structure(values: pd.Series, classes: pd.Series, *, before: pd.Series | None = None) -> pd.DataFrame:
    """Totals by class (e.g. 功能类/竞争类/公益类 of the groups), each class's share and its 同比.

    ``values`` and ``before`` are indexed by entity, ``classes`` maps entity → class. Definition:
    合计 = Σ members; 占比 = 合计 / Σ all classes × 100; 同比 as :func:`change`. Units: the values'; %.
    A class with a missing member has a NaN total (a sum with a missing member is not the total); the
    shares are then NaN as well. Columns ``class``, ``value``, ``share``, ``before``, ``change``, ``members``.
    """
    classes = classes.astype(str)
    before = pd.Series(np.nan, index=values.index) if before is None else before
    rows = []
    for name in dict.fromkeys(classes.loc[classes.index.isin(values.index)]):
        members = [e for e in values.index if classes.get(e) == name]
        now = values.reindex(members)
        was = before.reindex(members)
        total = float(now.sum()) if now.notna().all() else np.nan
        was_total = float(was.sum()) if was.notna().all() else np.nan
        rows.append({"class": name, "value": total, "before": was_total, "change": change(total, was_total),
                     "members": len(members)})
    out = pd.DataFrame(rows, columns=["class", "value", "before", "change", "members"])
    whole = out["value"].sum() if out["value"].notna().all() and len(out) else np.nan
    out.insert(2, "share", safe_divide(out["value"], pd.Series(whole, index=out.index)) * 100.0)
    return out


#: Period labels of :func:`year_on_year_items`' two rows.
NOW, LAST_YEAR = "本年", "上年同期"


def year_on_year_items(line_items: pd.DataFrame, *, entity_id: str, items: Iterable[str]) -> pd.DataFrame:
    """One entity's year-to-date line items and their stored 上年同期 (``ly_<item>``) as two rows.

    The shape :func:`~guozi_analysis.analyses.attribution.item_bridge` reads: ``enterprise_id``,
    ``period`` (:data:`NOW`, :data:`LAST_YEAR`) and one column per item (万元). An item without its
    上年同期 column stays NaN (the bridge then says 未填报).
    """
    row = line_items.loc[line_items["entity_id"].astype(str) == entity_id]
    if not len(row):
        raise KeyError(f"{entity_id} 没有本期科目数据")
    row = row.iloc[-1]
    names = list(items)
    now = {i: pd.to_numeric(row.get(i, np.nan), errors="coerce") for i in names}
    was = {i: pd.to_numeric(row.get(f"ly_{i}", np.nan), errors="coerce") for i in names}
    return pd.DataFrame([{"enterprise_id": entity_id, "period": NOW, **now},
                         {"enterprise_id": entity_id, "period": LAST_YEAR, **was}])


def profit_bridge(line_items: pd.DataFrame, *, entity_id: str) -> pd.DataFrame:
    """The entity's year-to-date 利润总额 change on last year split into the line items of
    :data:`~guozi_analysis.analyses.attribution.PROFIT_BRIDGE` that the stored line items carry with their
    上年同期 (an item the 快报 does not carry goes to the residual row, so the bridge still adds up).

    Returns :func:`~guozi_analysis.analyses.attribution.item_bridge`'s frame (万元); KeyError when the entity
    has no line items.
    """
    items = {i: sign for i, sign in PROFIT_BRIDGE.items() if i in line_items and f"ly_{i}" in line_items}
    frame = year_on_year_items(line_items, entity_id=entity_id, items=[*items, "total_profit"])
    return item_bridge(frame, entity_id=entity_id, total="total_profit", items=items, now=NOW, before=LAST_YEAR)


def maturity_walls(tables: Mapping[str, pd.DataFrame], *, period: str, entities: Iterable[str],
                   months: int = 12) -> pd.DataFrame:
    """The largest single month of the next ``months`` months for ``entities`` (the risk engine's 集中到期
    measure, :func:`~guozi_analysis.analyses.risk.maturity.wall_months`): month, amount and window total
    (万元), share (%) and the scope it was counted on. ``tables`` are the stored ``roster`` and ``debts``.
    Empty when no debts were filed for the period's month.
    """
    scope = make_scope(tables, period=period)
    debts = debt_rows(tables, scope)
    cols = ["month", "amount", "total", "share", "basis"]
    if debts is None:
        return pd.DataFrame(columns=cols)
    walls = wall_months(debts, scope, months=months)
    return walls.reindex([e for e in entities if e in walls.index])[cols]
