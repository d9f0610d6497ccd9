"""The quarter's own figures (analyses/quarterly.py): single quarters from year-to-date values, 同比,
the structure by class and the two-row line-item frame the profit bridge reads. Values worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from guozi_analysis.analyses import quarterly as Q
from guozi_analysis.analyses.attribution import PROFIT_BRIDGE, item_bridge


def _history(rows):
    return pd.DataFrame(rows, columns=["entity_id", "indicator_id", "period", "value"])


def test_quarter_end():
    assert Q.quarter_end(2022, 3) == "2022-09"
    assert Q.quarter_end(2021, 1) == "2021-03"
    with pytest.raises(ValueError):
        Q.quarter_end(2022, 5)


def test_single_quarter_is_the_difference_of_two_quarter_end_year_to_date_values():
    ytd = {"2022-03": 658_892.52, "2022-06": 1_451_900.31, "2022-09": 2_248_205.92}
    # Q3 = 1—9月 − 1—6月 = 2,248,205.92 − 1,451,900.31 = 796,305.61
    assert Q.single_quarter(ytd, year=2022, quarter=3) == pytest.approx(796_305.61)
    # Q2 = 1,451,900.31 − 658,892.52 = 793,007.79
    assert Q.single_quarter(ytd, year=2022, quarter=2) == pytest.approx(793_007.79)
    # Q1 is 1—3月 itself
    assert Q.single_quarter(ytd, year=2022, quarter=1) == pytest.approx(658_892.52)
    # a stock is the quarter-end value
    assert Q.single_quarter({"2022-09": 58.81}, year=2022, quarter=3, flow=False) == pytest.approx(58.81)
    # a missing quarter end stays NaN, never 0
    assert math.isnan(Q.single_quarter({"2022-09": 10.0}, year=2022, quarter=3))


def test_quarter_values_gives_both_years_with_reasons():
    hist = _history([
        ("D", "revenue", "2021-06", 1_381_317.84), ("D", "revenue", "2021-09", 2_129_565.91),
        ("D", "revenue", "2022-06", 1_451_900.31), ("D", "revenue", "2022-09", 2_248_205.92),
        ("D", "ratio", "2022-09", 58.81),
    ])
    out = Q.quarter_values(hist, entities=["D"], indicators={"revenue": True, "ratio": False}, years=[2021, 2022],
                           quarters=[3]).set_index(["indicator_id", "year"])
    # 2021 Q3 = 2,129,565.91 − 1,381,317.84 = 748,248.07; 2022 Q3 = 796,305.61
    assert out.at[("revenue", 2021), "value"] == pytest.approx(748_248.07)
    assert out.at[("revenue", 2022), "value"] == pytest.approx(796_305.61)
    assert out.at[("ratio", 2022), "value"] == pytest.approx(58.81)
    assert math.isnan(out.at[("ratio", 2021), "value"])
    assert out.at[("ratio", 2021), "reason"] == "2021-09 无数据"
    # 单季同比 = 796,305.61 / 748,248.07 − 1 = 6.4227 %
    assert Q.change(796_305.61, 748_248.07) == pytest.approx(6.4227, abs=1e-4)


def test_change_uses_the_absolute_base_and_points_for_ratios():
    assert Q.change(-50.0, -100.0) == pytest.approx(50.0)  # (−50 − (−100)) / 100 = +50 %: a smaller loss
    assert Q.change(58.81, 58.52, points=True) == pytest.approx(0.29)  # 58.81 − 58.52
    assert math.isnan(Q.change(1.0, 0.0))
    assert math.isnan(Q.change(np.nan, 1.0))


def test_class_structure_sums_members_and_shares():
    values = pd.Series({"A": 30.0, "B": 10.0, "C": 60.0})
    before = pd.Series({"A": 20.0, "B": 20.0, "C": 50.0})
    classes = pd.Series({"A": "功能类", "B": "功能类", "C": "竞争类"})
    out = Q.class_structure(values, classes, before=before).set_index("class")
    # 功能类 = 30 + 10 = 40 of 100 → 40 %; before 20 + 20 = 40 → 同比 0 %
    assert out.at["功能类", "value"] == 40.0 and out.at["功能类", "share"] == pytest.approx(40.0)
    assert out.at["功能类", "change"] == pytest.approx(0.0) and out.at["功能类", "members"] == 2
    # 竞争类 = 60 → 60 %; 60 / 50 − 1 = +20 %
    assert out.at["竞争类", "share"] == pytest.approx(60.0) and out.at["竞争类", "change"] == pytest.approx(20.0)
    # a missing member leaves its class and every share NaN (never a partial sum)
    gap = Q.class_structure(pd.Series({"A": 30.0, "B": np.nan, "C": 60.0}), classes).set_index("class")
    assert math.isnan(gap.at["功能类", "value"]) and gap["share"].isna().all()


def test_year_on_year_items_feeds_the_profit_bridge():
    line_items = pd.DataFrame([{
        "entity_id": "G04", "total_profit": 100.0, "ly_total_profit": 130.0,
        "revenue": 500.0, "ly_revenue": 520.0, "operating_cost": 350.0, "ly_operating_cost": 340.0,
    }])
    frame = Q.year_on_year_items(line_items, entity_id="G04", items=[*PROFIT_BRIDGE, "total_profit"])
    assert list(frame["period"]) == [Q.NOW, Q.LAST_YEAR]
    bridge = item_bridge(frame, entity_id="G04", total="total_profit", items=PROFIT_BRIDGE, now=Q.NOW,
                         before=Q.LAST_YEAR)
    # Δ利润 = 100 − 130 = −30; 营业总收入 −20 (contribution −20); 营业成本 +10 (contribution −10)
    assert bridge.attrs["total"] == pytest.approx(-30.0)
    assert bridge.at["revenue", "contribution"] == pytest.approx(-20.0)
    assert bridge.at["operating_cost", "contribution"] == pytest.approx(-10.0)
    with pytest.raises(KeyError):
        Q.year_on_year_items(line_items, entity_id="G09", items=["revenue"])


def test_profit_bridge_puts_items_the_kuaibao_lacks_into_the_residual():
    line_items = pd.DataFrame([{
        "entity_id": "G04", "total_profit": 100.0, "ly_total_profit": 130.0,
        "revenue": 500.0, "ly_revenue": 520.0, "operating_cost": 350.0, "ly_operating_cost": 340.0,
    }])
    bridge = Q.profit_bridge(line_items, entity_id="G04")
    # only 营业总收入 (−20) and 营业成本 (+10 → −10) are carried; Δ利润 −30 − (−20 − 10) = 0 in the residual
    assert list(bridge.index) == ["revenue", "operating_cost", "other"]
    assert bridge.at["other", "contribution"] == pytest.approx(0.0)
    assert bridge["contribution"].sum() == pytest.approx(-30.0)
    # shares of the change: −20 / −30 = 66.67 %, −10 / −30 = 33.33 %
    assert bridge.at["revenue", "share"] == pytest.approx(66.6667, abs=1e-3)
