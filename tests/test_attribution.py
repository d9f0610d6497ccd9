"""Attribution of a change to enterprises and line items (analyses/attribution.py), hand-worked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guozi_analysis.analyses.attribution import (
    DEBT_BRIDGE,
    PROFIT_BRIDGE,
    RESIDUAL,
    drivers,
    entity_contributions,
    is_notable,
    item_bridge,
    offsets,
)


def _frame():
    # three groups, two periods; values in 万元
    return pd.DataFrame({
        "enterprise_id": ["A", "B", "C", "A", "B", "C"],
        "period": ["2022-10"] * 3 + ["2022-11"] * 3,
        "interest_bearing_debt": [500.0, 300.0, 200.0, 400.0, 290.0, 215.0],
    })


def test_entity_contributions_by_hand():
    out = entity_contributions(_frame(), column="interest_bearing_debt", now="2022-11", before="2022-10",
                               entities=["A", "B", "C"])
    # A −100, B −10, C +15; total −95; shares −100/−95 = 105.26 %, 10.53 %, −15.79 %
    assert out["change"].tolist() == [-100.0, -10.0, 15.0]
    assert out.attrs["total"] == -95.0
    assert out["share"].round(2).tolist() == [105.26, 10.53, -15.79]
    # drivers: largest moves with the total's sign until 60 % is covered: A alone covers 105 %
    d = drivers(out, cover=60, most=3)
    assert d.index.tolist() == ["A"]
    # C moved against the total: never a driver, even when more are wanted
    assert drivers(out, cover=200, most=3).index.tolist() == ["A", "B"]


def test_missing_member_leaves_total_unknown():
    frame = _frame().iloc[:5]  # C has no 2022-11 row
    out = entity_contributions(frame, column="interest_bearing_debt", now="2022-11", before="2022-10",
                               entities=["A", "B", "C"])
    assert np.isnan(out.attrs["total"]) and out["share"].isna().all()
    assert out.loc["C", "reason"] == "2022-11 未报送"
    assert drivers(out).empty


def test_profit_bridge_adds_up():
    row = {k: 0.0 for k in PROFIT_BRIDGE} | {"enterprise_id": "A", "total_profit": 0.0}
    before = dict(row, period="2021-10", revenue=1000.0, operating_cost=800.0, admin_expenses=50.0,
                  total_profit=150.0)
    now = dict(row, period="2022-10", revenue=900.0, operating_cost=760.0, admin_expenses=60.0,
               financial_expenses=5.0, total_profit=70.0)
    out = item_bridge(pd.DataFrame([before, now]), entity_id="A", total="total_profit", items=PROFIT_BRIDGE,
                      now="2022-10", before="2021-10")
    # Δ利润 = 70 − 150 = −80: revenue −100, cost −(−40) = +40, admin −10, financial −5 → −75; residual −5
    assert out.attrs["total"] == -80.0
    assert out.loc["revenue", "contribution"] == -100.0
    assert out.loc["operating_cost", "contribution"] == 40.0
    assert out.loc[RESIDUAL, "contribution"] == pytest.approx(-5.0)
    assert out["contribution"].sum() == pytest.approx(-80.0)
    d = drivers(out, value="contribution", cover=60, most=3)
    # revenue −100 covers 125 % of −80 alone
    assert d.index.tolist() == ["revenue"]


def test_debt_bridge_is_the_indicator_formula():
    assert set(DEBT_BRIDGE) == {"short_term_borrowings", "current_portion_long_term_debt", "long_term_borrowings",
                                "bonds_payable", "other_interest_bearing_debt", "lease_liabilities",
                                "perpetual_bonds"}


def test_is_notable():
    assert is_notable(94.0, 100.0, threshold=5)      # −6 %
    assert not is_notable(96.0, 100.0, threshold=5)  # −4 %
    assert not is_notable(5.0, 0.0, threshold=5)     # no base
    assert not is_notable(np.nan, 100.0, threshold=5)


def test_drivers_clause():
    from guozi_analysis.publishing.text import drivers_clause
    assert drivers_clause([("交投集团", -60.123), ("城投集团", -20.0)]) == \
        "主要来自交投集团（减少60.12亿元）、城投集团（减少20.00亿元）"
    assert drivers_clause([]) == ""


def test_offsets_are_the_moves_against_the_total_by_hand():
    """issue 26 (存在的问题: what softened a fall). A profit fall of 100 with revenue −160, 营业成本 −75 (cost
    down: +75 to profit), 其他收益 +40, 管理费用 +10 (−10 to profit), residual −45."""
    bridge = pd.DataFrame({"contribution": [-160.0, 75.0, 40.0, -10.0, -45.0]},
                          index=pd.Index(["revenue", "operating_cost", "other_gains", "admin_expenses", RESIDUAL],
                                         name="item"))
    bridge.attrs["total"] = -100.0  # −160 + 75 + 40 − 10 − 45 = −100
    # against the fall (positive): operating_cost 75, other_gains 40 — largest first; at most two
    out = offsets(bridge, value="contribution")
    assert out.index.tolist() == ["operating_cost", "other_gains"]
    assert offsets(bridge, value="contribution", most=1).index.tolist() == ["operating_cost"]
    # the drivers are the other side: revenue alone covers 160 % of the fall
    assert drivers(bridge, value="contribution", cover=60, most=3).index.tolist() == ["revenue"]
    # the residual is never named, even when it moves against the total
    rise = bridge.copy()
    rise.attrs["total"] = 10.0
    assert RESIDUAL not in offsets(rise, value="contribution", most=5).index
    assert offsets(rise, value="contribution", most=5).index.tolist() == ["revenue", "admin_expenses"]
    # no total, no offsets
    flat = bridge.copy()
    flat.attrs["total"] = 0.0
    assert offsets(flat, value="contribution").empty
