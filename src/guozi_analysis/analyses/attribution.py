"""Attribution of a change: which enterprises and which line items explain it.

A publication that says "利润总额同比下降 27%" should also say why: which enterprises moved the total
(:func:`entity_contributions`), which line items moved the enterprise's figure (:func:`item_bridge`,
with :data:`PROFIT_BRIDGE` and :data:`DEBT_BRIDGE` for the two a supervisor reads most) and which of
those are worth naming (:func:`drivers`). The functions take the stored wide tables (one row per
``(enterprise_id, period)``, line items in 万元 as columns) and return tidy frames; nothing is averaged.

Comparisons: 同比 compares a period with the same period a year earlier, 环比 with the period
before it. For year-to-date flows the caller passes the values it wants compared (year to date, or a
single month as the difference of two stored year-to-date values); the functions do not guess.

How much a change must be to deserve a sentence, and how many drivers to name, are district
settings in ``params/bulletins.yaml`` (``attribution``); see :func:`settings`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from guozi_analysis.base.params import load_yaml
from guozi_analysis.indicators.formulas import interest_bearing_debt, safe_divide

__all__ = [
    "PROFIT_BRIDGE", "DEBT_BRIDGE", "RESIDUAL", "settings", "entity_contributions", "item_bridge", "drivers",
    "offsets", "is_notable",
]

#: The line items that add up to 利润总额, with their sign (+1 adds to profit, −1 takes from it).
#: What the list leaves out (公允价值变动、减值损失、资产处置收益 …) is the residual row
#: :data:`RESIDUAL` of :func:`item_bridge`, so the bridge always adds up to the change.
PROFIT_BRIDGE: dict[str, int] = {
    "revenue": 1,                 # 营业总收入
    "operating_cost": -1,         # 营业成本
    "taxes_and_surcharges": -1,   # 税金及附加
    "selling_expenses": -1,       # 销售费用
    "admin_expenses": -1,         # 管理费用
    "rd_expenses": -1,            # 研发费用
    "financial_expenses": -1,     # 财务费用
    "other_gains": 1,             # 其他收益
    "investment_income": 1,       # 投资收益
    "non_operating_income": 1,    # 营业外收入
    "non_operating_expenses": -1, # 营业外支出
}

#: 带息负债's components, read from the indicator's formula (:func:`~guozi_analysis.indicators.formulas.interest_bearing_debt`)
#: so the bridge and the indicator cannot disagree on what the debt is made of.
DEBT_BRIDGE: dict[str, int] = {name: 1 for name in inspect.signature(interest_bearing_debt).parameters}

#: Name of the row that holds what the listed items do not explain.
RESIDUAL = "other"


def settings() -> dict:
    """The district's attribution settings (``params/bulletins.yaml`` → ``attribution``)."""
    return dict(load_yaml("bulletins.yaml").get("attribution", {}))


def _values(frame: pd.DataFrame, *, period: str, column: str, key: str) -> pd.Series:
    rows = frame.loc[frame["period"] == period].drop_duplicates(key, keep="last").set_index(key)
    if column not in rows:
        return pd.Series(dtype=float)
    return pd.to_numeric(rows[column], errors="coerce")


def entity_contributions(frame: pd.DataFrame, *, column: str, now: str, before: str,
                         entities: Sequence[str], key: str = "enterprise_id") -> pd.DataFrame:
    """Each entity's change of ``column`` from ``before`` to ``now`` and its share of the total change.

    Definition: 增减额 = 本期 − 比较期; 占合计增减额 = 增减额 / Σ 增减额 × 100 (Σ over ``entities``).
    Unit: the column's (万元); share in %. Returns one row per entity in the order given, columns
    ``now``, ``before``, ``change``, ``share`` and ``reason``. An entity without a value in either period
    has NaN change with the reason; the total (attribute ``frame.attrs["total"]``) is then NaN as well,
    since a sum with a missing member is not the total. Zero total change → shares NaN.
    """
    a = _values(frame, period=now, column=column, key=key)
    b = _values(frame, period=before, column=column, key=key)
    rows = []
    for e in entities:
        x, y = a.get(e, np.nan), b.get(e, np.nan)
        reason = "" if not (pd.isna(x) or pd.isna(y)) else (f"{now} 未报送" if pd.isna(x) else f"{before} 未报送")
        rows.append({"entity_id": e, "now": x, "before": y, "change": x - y, "reason": reason})
    out = pd.DataFrame(rows, columns=["entity_id", "now", "before", "change", "reason"]).set_index("entity_id")
    total = out["change"].sum(min_count=1) if out["change"].notna().all() and len(out) else np.nan
    out.insert(3, "share", safe_divide(out["change"], pd.Series(total, index=out.index)) * 100.0)
    out.attrs["total"] = float(total)
    return out


def item_bridge(frame: pd.DataFrame, *, entity_id: str, total: str, items: Mapping[str, int], now: str,
                before: str, key: str = "enterprise_id") -> pd.DataFrame:
    """The change of ``total`` for one entity split into its line items.

    Definition: 贡献 = 符号 × (本期 − 比较期) for each item; the row :data:`RESIDUAL` holds
    Δ合计 − Σ 贡献 (items outside the list), so the contributions add up to the change of ``total``.
    Unit: 万元; share of the change in %. An item left blank in either period is NaN with its reason and
    the residual is then NaN too (what it would hold is unknown). Zero change of the total → shares NaN.
    """
    rows = frame.loc[(frame[key] == entity_id) & frame["period"].isin([now, before])]
    at = rows.drop_duplicates("period", keep="last").set_index("period")
    if now not in at.index or before not in at.index:
        raise KeyError(f"{entity_id} 缺少 {now} 或 {before} 的数据，无法分解")

    def value(period: str, col: str) -> float:
        return float(pd.to_numeric(at.at[period, col], errors="coerce")) if col in at else np.nan

    change_total = value(now, total) - value(before, total)
    out = []
    for item, sign in items.items():
        x, y = value(now, item), value(before, item)
        out.append({"item": item, "sign": sign, "change": x - y, "contribution": sign * (x - y),
                    "reason": "" if not (np.isnan(x) or np.isnan(y)) else "未填报"})
    frame_out = pd.DataFrame(out)
    explained = frame_out["contribution"].sum(min_count=len(frame_out)) if len(frame_out) else 0.0
    frame_out.loc[len(frame_out)] = {"item": RESIDUAL, "sign": 1, "change": change_total - explained,
                                     "contribution": change_total - explained,
                                     "reason": "" if not np.isnan(explained) else "分项未填全"}
    frame_out = frame_out.set_index("item")
    frame_out["share"] = safe_divide(frame_out["contribution"], pd.Series(change_total, index=frame_out.index)) * 100
    frame_out.attrs["total"] = change_total
    return frame_out


def drivers(contributions: pd.DataFrame, *, value: str = "change", cover: float | None = None,
            most: int | None = None) -> pd.DataFrame:
    """The few rows that explain a change: the largest moves in the direction of the total, in order.

    Rows are taken largest first (same sign as the total) until they cover ``cover`` % of the total
    change or ``most`` rows are taken (defaults from :func:`settings`: 60 %, 3). Rows moving against the
    total are never drivers; the residual row :data:`RESIDUAL` is never named. A total of zero or NaN
    has no drivers (empty frame).
    """
    conf = settings()
    cover = float(conf.get("cover", 60.0) if cover is None else cover)
    most = int(conf.get("most", 3) if most is None else most)
    total = contributions.attrs.get("total", np.nan)
    if total is None or np.isnan(total) or total == 0:
        return contributions.iloc[0:0]
    named = contributions.drop(index=[RESIDUAL], errors="ignore")
    named = named.loc[np.sign(named[value]) == np.sign(total)]
    named = named.reindex(named[value].abs().sort_values(ascending=False, kind="stable").index)
    taken, covered = [], 0.0
    for idx, v in named[value].items():
        if len(taken) >= most or covered >= cover:
            break
        taken.append(idx)
        covered += abs(v) / abs(total) * 100
    out = named.loc[taken]
    out.attrs["total"] = total
    out.attrs["covered"] = covered
    return out


def offsets(contributions: pd.DataFrame, *, value: str = "change", most: int = 2) -> pd.DataFrame:
    """The rows that moved against the total (what softened a fall or held back a rise), largest first.

    The counterpart of :func:`drivers`: rows whose ``value`` has the opposite sign of the total change,
    at most ``most`` of them, largest in size first; the residual row :data:`RESIDUAL` is never named.
    A total of zero or NaN has no offsets (empty frame).
    """
    total = contributions.attrs.get("total", np.nan)
    if total is None or np.isnan(total) or total == 0:
        return contributions.iloc[0:0]
    named = contributions.drop(index=[RESIDUAL], errors="ignore")
    against = named.loc[np.sign(named[value]) == -np.sign(total)]
    out = against.reindex(against[value].abs().sort_values(ascending=False, kind="stable").index).head(most)
    out.attrs["total"] = total
    return out


def change(now: float, before: float, *, points: bool = False) -> float:
    """同比 (or 环比): ``points`` → now − before (百分点, for a ratio); else (now − before) / |before| × 100 (%).

    The absolute base makes a smaller loss a positive change. NaN when either is missing or the base is 0.
    """
    if now is None or before is None or np.isnan(now) or np.isnan(before):
        return float("nan")
    if points:
        return float(now - before)
    return float(safe_divide(now - before, abs(before)) * 100.0)


def is_notable(now: float, before: float, *, threshold: float | None = None) -> bool:
    """Whether a change is large enough for a drivers sentence: |本期 / 比较期 − 1| × 100 ≥ threshold.

    The threshold (%) is the district's ``attribution.min_change`` (default 5). A missing value or a
    zero base is never notable (the change has no relative size).
    """
    threshold = float(settings().get("min_change", 5.0) if threshold is None else threshold)
    rel = change(now, before)
    return bool(not np.isnan(rel) and abs(rel) >= threshold)
