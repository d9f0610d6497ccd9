"""Financial-distress model shown beside the rules: Altman Z'' (book-equity version).

This is a *model*, labelled as such wherever it is shown. It never puts an entity on the
key-supervision list by itself: :func:`distress_flags` marks its rows ``is_model=True`` and
``on_list=False``, and :func:`guozi_analysis.risk.key_supervision_list` ignores model rows.

Z'' = 6.56·X1 + 3.26·X2 + 6.72·X3 + 1.05·X4 (the emerging-market version adds 3.25), with

* X1 = (流动资产 − 流动负债) / 资产总额;
* X2 = 留存收益近似 / 资产总额 — the contract has no 留存收益 line, so (所有者权益 − 少数股东权益 −
  实收资本) is used; it also holds 资本公积 and therefore overstates retained earnings;
* X3 = 年化息税前利润 / 资产总额, 息税前利润 = 利润总额 + 费用化利息支出 (本年累计 × 12 / 已过月数);
* X4 = 所有者权益（账面）/ 负债总额.

Zones on Z'' (without the constant): > 2.6 安全区, 1.1–2.6 灰色区, < 1.1 困境区. Sources disagree
on the cut-offs (another gives 2.9 / 1.23); both the coefficients and the cut-offs are read from
the ``models.altman_z2`` block of ``params/risk_rules.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses.risk.engine import FLAG_COLUMNS, format_value
from guozi_analysis.analyses.risk.rules import load_rules
from guozi_analysis.indicators.formulas import annualise, safe_divide
from guozi_analysis.indicators.panel import line_items

__all__ = [ "DEFAULT_MODEL", "altman_z2", "altman_z2_from_panel", "distress_flags",]

MODEL_LABEL = "模型参考（不据此列入名单）"
DEFAULT_MODEL = {
    "name_zh": "Altman Z''（非制造业/新兴市场版，账面权益）",
    "coefficients": {"x1": 6.56, "x2": 3.26, "x3": 6.72, "x4": 1.05},
    "emerging_market_constant": 3.25,
    "safe_above": 2.6,
    "distress_below": 1.1,
    "source": "Altman Z''（非制造业与新兴市场版）；判别线取 2.6 / 1.1，另有来源取 2.9 / 1.23，各来源不一致",
}
COLUMNS = ["entity_id", "entity_name", "level", "period", "x1", "x2", "x3", "x4", "z2", "z2_em", "zone", "model",
           "source"]


def _model(model: Mapping | None, rules_path: Path | str | None) -> dict:
    if model is not None:
        return {**DEFAULT_MODEL, **dict(model)}

    loaded = load_rules(rules_path).models.get("altman_z2") or {}
    return {**DEFAULT_MODEL, **loaded}


def altman_z2_from_panel(panel: pd.DataFrame, *, model: Mapping | None = None) -> pd.DataFrame:
    """Z'' for each row of a line-item panel (:func:`guozi_analysis.panel.line_items`).

    Needs columns current_assets, current_liabilities, total_assets, total_equity, minority_equity,
    paid_in_capital, total_profit, interest_expense, total_liabilities, months_elapsed. Missing
    inputs give NaN; a zero denominator gives NaN (via :func:`guozi_analysis.indicators.safe_divide`).
    """

    m = {**DEFAULT_MODEL, **dict(model or {})}
    c = m["coefficients"]

    def col(name: str) -> pd.Series:
        return panel[name].astype(float) if name in panel.columns else pd.Series(np.nan, index=panel.index)

    assets = col("total_assets")
    retained = col("total_equity") - col("minority_equity").fillna(0.0) - col("paid_in_capital")
    x1 = safe_divide(col("current_assets") - col("current_liabilities"), assets)
    x2 = safe_divide(retained, assets)
    x3 = safe_divide(annualise(col("total_profit") + col("interest_expense"), col("months_elapsed")), assets)
    x4 = safe_divide(col("total_equity"), col("total_liabilities"))
    z2 = c["x1"] * x1 + c["x2"] * x2 + c["x3"] * x3 + c["x4"] * x4
    zone = np.select([z2 > m["safe_above"], z2 >= m["distress_below"], z2 < m["distress_below"]],
                     ["安全区", "灰色区", "困境区"], default="无数据")
    out = pd.DataFrame({
        "entity_id": panel["entity_id"].astype(str),
        "entity_name": panel["entity_name"].astype(str),
        "level": panel["level"].astype(str),
        "period": panel["period"].astype(str),
        "x1": x1, "x2": x2, "x3": x3, "x4": x4,
        "z2": z2,
        "z2_em": z2 + m["emerging_market_constant"],
        "zone": zone,
        "model": m["name_zh"],
        "source": m["source"],
    }, index=panel.index)
    return out[COLUMNS].reset_index(drop=True)


def altman_z2(tables: Mapping[str, pd.DataFrame], *, period: str, model: Mapping | None = None,
              rules_path: Path | str | None = None) -> pd.DataFrame:
    """Altman Z'' for the district, every group and every enterprise in one period.

    Columns: entity_id, entity_name, level, period, x1..x4, z2, z2_em (= z2 + 3.25), zone
    (安全区/灰色区/困境区/无数据), model, source. A model output, never a list criterion.
    """

    panel = line_items(tables, period=period, roster=tables.get("roster"))
    return altman_z2_from_panel(panel, model=_model(model, rules_path))


def distress_flags(scores: pd.DataFrame) -> pd.DataFrame:
    """Distress-zone rows shaped like rule flags (family 模型参考, severity 关注, ``is_model`` true).

    For showing beside the rule flags; ``on_list`` is always false, so the key-supervision list
    is never built from them.
    """

    hit = scores.loc[scores["zone"] == "困境区"]
    rows = []
    for _, r in hit.iterrows():
        rows.append({
            "entity_id": r["entity_id"], "entity_name": r["entity_name"], "level": r["level"], "period": r["period"],
            "rule_id": "altman_z2_distress", "rule_name": "Altman Z'' 处于困境区（模型）", "family": "模型参考",
            "value": float(r["z2"]), "threshold": float(DEFAULT_MODEL["distress_below"]), "severity": "关注",
            "on_list": False,
            "message": (f"{r['entity_name']}：Z'' 值 {format_value(r['z2'], '')}，低于困境区分界 "
                        f"{format_value(DEFAULT_MODEL['distress_below'], '')}。{MODEL_LABEL}；依据：{r['source']}"),
            "source": r["source"], "unit": "", "light": "", "triggered": True, "status": "触发", "superseded_by": "",
            "detail": "", "note": "", "verified": False, "is_model": True,
        })
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


