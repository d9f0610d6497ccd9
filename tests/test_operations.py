"""经济运行 analyses of the 月度通报 (issue 26): 亏损企业户数/亏损额/亏损面 and headline attribution.
Every expected value is worked out by hand in the comment next to it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guozi_analysis.analyses.attribution import DEBT_BRIDGE, PROFIT_BRIDGE
from guozi_analysis.analyses.operations import headline_attribution, indicator_frame, loss_makers


def _fin(rows):
    return pd.DataFrame(rows, columns=["enterprise_id", "period", "total_profit"])


FIN = _fin([
    # 2022-10: five entities at three levels; G02-01 and G03 lose money
    ("G01", "2022-10", 500.0), ("G01-01", "2022-10", 120.0), ("G01-01-01", "2022-10", 0.0),
    ("G02-01", "2022-10", -300.0), ("G03", "2022-10", -50.0),
    ("G03", "2022-10", -40.0),  # a corrected resubmission: the last row counts, G03 once
    ("G04", "2022-10", np.nan),  # 利润总额 blank: not a reporting entity for this count
    # 2021-10: four entities, one loss
    ("G01", "2021-10", 450.0), ("G01-01", "2021-10", 100.0), ("G02-01", "2021-10", -200.0), ("G03", "2021-10", 30.0),
])


def test_loss_makers_counts_each_entity_once_over_all_levels():
    out = loss_makers(FIN, periods=["2022-10", "2021-10"])
    now, ly = out.loc["2022-10"], out.loc["2021-10"]
    # 2022-10: reporting G01, G01-01, G01-01-01, G02-01, G03 (last row −40) = 5; G04 blank is not counted
    assert now["reporting"] == 5
    # losses: G02-01 (−300), G03 (−40); a profit of exactly 0 (G01-01-01) is not a loss
    assert now["loss_count"] == 2
    # 亏损面 = 2 / 5 × 100 = 40 %
    assert now["loss_share"] == pytest.approx(40.0)
    # 亏损额 = 300 + 40 = 340 万元 (positive), largest loss first
    assert now["loss_amount"] == pytest.approx(340.0)
    assert now["loss_entities"] == ("G02-01", "G03")
    # 2021-10: 4 reporting, 1 loss (G02-01, 200): 亏损面 1/4 = 25 %
    assert (ly["reporting"], ly["loss_count"], ly["loss_amount"]) == (4, 1, 200.0)
    assert ly["loss_share"] == pytest.approx(25.0)


def test_loss_makers_roster_scope_and_missing_period():
    out = loss_makers(FIN, periods=["2022-10", "2020-10"], entities=["G01", "G02-01"])
    # only the roster's G01 (500) and G02-01 (−300): 1 of 2 → 50 %, 亏损额 300
    assert (out.loc["2022-10", "reporting"], out.loc["2022-10", "loss_count"]) == (2, 1)
    assert out.loc["2022-10", "loss_share"] == pytest.approx(50.0)
    assert out.loc["2022-10", "loss_amount"] == pytest.approx(300.0)
    # no 快报 in 2020-10: NaN with the reason, never "0 亏损企业"
    assert np.isnan(out.loc["2020-10", "loss_count"]) and np.isnan(out.loc["2020-10", "loss_amount"])
    assert "无财务快报" in out.loc["2020-10", "reason"]


def _history(values):
    return pd.DataFrame([{"entity_id": e, "period": p, "indicator_id": i, "value": v} for e, p, i, v in values])


def test_headline_attribution_names_groups_and_items_of_a_debt_fall():
    debt = list(DEBT_BRIDGE)  # short_term_borrowings, current_portion_long_term_debt, … (7 items)
    base = dict.fromkeys(debt, 0.0)
    items = pd.DataFrame([
        # G1: 短期借款 100 → 20 (−80), 一年内到期 50 → 40 (−10), 长期借款 0 → 10 (+10): 150 → 70, Δ −80
        {"enterprise_id": "G1", "period": "2022-10", **base, "short_term_borrowings": 100.0,
         "current_portion_long_term_debt": 50.0},
        {"enterprise_id": "G1", "period": "2022-11", **base, "short_term_borrowings": 20.0,
         "current_portion_long_term_debt": 40.0, "long_term_borrowings": 10.0},
        # G2: 应付债券 200 → 180, Δ −20; G3: 长期借款 100 → 105, Δ +5
        {"enterprise_id": "G2", "period": "2022-10", **base, "bonds_payable": 200.0},
        {"enterprise_id": "G2", "period": "2022-11", **base, "bonds_payable": 180.0},
        {"enterprise_id": "G3", "period": "2022-10", **base, "long_term_borrowings": 100.0},
        {"enterprise_id": "G3", "period": "2022-11", **base, "long_term_borrowings": 105.0},
    ])
    hist = _history([("G1", "2022-10-31", "interest_bearing_debt", 150.0), ("G1", "2022-11-30", "interest_bearing_debt", 70.0),
                     ("G2", "2022-10-31", "interest_bearing_debt", 200.0), ("G2", "2022-11-30", "interest_bearing_debt", 180.0),
                     ("G3", "2022-10-31", "interest_bearing_debt", 100.0), ("G3", "2022-11-30", "interest_bearing_debt", 105.0),
                     ("G1", "2022-11-30", "revenue", 1.0)])
    frame = indicator_frame(hist, "interest_bearing_debt", items=items)
    out = headline_attribution(frame, indicator="interest_bearing_debt", now="2022-11", before="2022-10",
                               entities=["G1", "G2", "G3"], bridge=DEBT_BRIDGE, threshold=5)
    # total 450 → 355: Δ −95, |−95| / 450 = 21.1 % ≥ 5 % → notable
    assert (out.before, out.now, out.change, out.notable) == (450.0, 355.0, -95.0, True)
    # drivers (cover 60 %, at most 3): G1 −80 covers 84.2 % ≥ 60 → G1 alone; G3 (+5) moves against the fall
    assert list(out.entities.index) == ["G1"]
    assert out.entities.loc["G1", "change"] == -80.0
    # G1's items by contribution (DEBT_BRIDGE signs +1): 短期借款 −80 covers 100 % → named alone;
    # 一年内到期 −10 and 长期借款 +10 net to 0 in the residual-free bridge (residual 0)
    assert out.lead == "G1"
    assert list(out.items.index) == ["short_term_borrowings"]
    assert out.items.loc["short_term_borrowings", "change"] == -80.0


def test_headline_attribution_small_or_incomplete_moves():
    fin = pd.DataFrame([
        {"enterprise_id": "G1", "period": "2021-10", "total_profit": 100.0, **dict.fromkeys(PROFIT_BRIDGE, 0.0)},
        {"enterprise_id": "G1", "period": "2022-10", "total_profit": 103.0, **dict.fromkeys(PROFIT_BRIDGE, 0.0)},
        {"enterprise_id": "G2", "period": "2021-10", "total_profit": 100.0, **dict.fromkeys(PROFIT_BRIDGE, 0.0)},
        {"enterprise_id": "G2", "period": "2022-10", "total_profit": 101.0, **dict.fromkeys(PROFIT_BRIDGE, 0.0)},
    ])
    hist = _history([(r.enterprise_id, r.period, "total_profit", r.total_profit) for r in fin.itertuples()])
    frame = indicator_frame(hist, "total_profit", items=fin)
    out = headline_attribution(frame, indicator="total_profit", now="2022-10", before="2021-10",
                               entities=["G1", "G2"], bridge=PROFIT_BRIDGE, threshold=5)
    # 200 → 204: +2 % < 5 % → not notable (drivers are still given to the caller, who decides)
    assert (out.before, out.now, out.change, out.notable) == (200.0, 204.0, 4.0, False)
    # a group missing last year: total NaN, nothing attributed, never notable
    missing = headline_attribution(frame, indicator="total_profit", now="2022-10", before="2021-10",
                                   entities=["G1", "G2", "G9"], bridge=PROFIT_BRIDGE, threshold=5)
    assert np.isnan(missing.change) and not missing.notable and not len(missing.entities)


def test_unmatched_debt_move_flags_debt_that_left_without_the_liabilities():
    from guozi_analysis.analyses.operations import Attribution, unmatched_debt_move

    frame = pd.DataFrame([
        {"enterprise_id": "G1", "period": "2022-10", "total_liabilities": 1000.0},
        {"enterprise_id": "G1", "period": "2022-11", "total_liabilities": 996.0},
        {"enterprise_id": "G2", "period": "2022-10", "total_liabilities": 500.0},
        {"enterprise_id": "G2", "period": "2022-11", "total_liabilities": 499.0},
    ])
    debt = Attribution(indicator="interest_bearing_debt", now_period="2022-11", before_period="2022-10", now=355.0,
                       before=450.0, change=-95.0, notable=True, entities=pd.DataFrame())
    # Δ负债总额 = (996 − 1000) + (499 − 500) = −5; |−5| < 0.5 × |−95| = 47.5 → unmatched
    assert unmatched_debt_move(frame, debt, entities=["G1", "G2"], gap=0.5) == (-5.0, True)
    # a repayment that lowers the liabilities as much (−95 → 0.5 × 95 = 47.5 ≤ 95) is not flagged
    repaid = frame.assign(total_liabilities=[1000.0, 910.0, 500.0, 495.0])  # Δ = −90 − 5 = −95
    assert unmatched_debt_move(repaid, debt, entities=["G1", "G2"], gap=0.5) == (-95.0, False)
    # a move too small for a sentence is never flagged
    small = Attribution(**{**debt.__dict__, "notable": False})
    assert unmatched_debt_move(frame, small, entities=["G1", "G2"], gap=0.5) == (-5.0, False)


def test_no_stored_financials_give_nan_with_the_reason():
    # a district whose store has no 快报 table at all: nobody was looked at, so no 0 亏损企业
    out = loss_makers(pd.DataFrame(columns=["change"]), periods=["2022-10"])
    assert np.isnan(out.loc["2022-10", "loss_count"]) and out.loc["2022-10", "reason"] == "2022-10 无财务快报"
