"""Altman Z'' (a model shown beside the rules, never a list criterion)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guozi_analysis.analyses import risk
from guozi_analysis.analyses.risk.distress import DEFAULT_MODEL, altman_z2, altman_z2_from_panel, distress_flags

PERIOD = "2022-11"


def _panel(rows: list[dict]) -> pd.DataFrame:
    base = {"entity_name": "示范企业", "level": "enterprise", "period": PERIOD, "minority_equity": 0.0}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_z2_by_hand():
    panel = _panel([
        # X1 = 200/1000, X2 = (400 − 50 − 200)/1000, X3 = (60 + 30) × 12/6 / 1000, X4 = 400/600
        {"entity_id": "A", "current_assets": 500.0, "current_liabilities": 300.0, "total_assets": 1000.0,
         "total_equity": 400.0, "minority_equity": 50.0, "paid_in_capital": 200.0, "total_profit": 60.0,
         "interest_expense": 30.0, "total_liabilities": 600.0, "months_elapsed": 6.0},
        # X1 = −0.3, X2 = −0.15, X3 = −0.03, X4 = 50/950
        {"entity_id": "B", "current_assets": 100.0, "current_liabilities": 400.0, "total_assets": 1000.0,
         "total_equity": 50.0, "paid_in_capital": 200.0, "total_profit": -50.0, "interest_expense": 20.0,
         "total_liabilities": 950.0, "months_elapsed": 12.0},
    ])
    z = altman_z2_from_panel(panel).set_index("entity_id")
    assert z.at["A", "x1"] == pytest.approx(0.2) and z.at["A", "x2"] == pytest.approx(0.15)
    assert z.at["A", "x3"] == pytest.approx(0.18) and z.at["A", "x4"] == pytest.approx(2 / 3)
    expected_a = 6.56 * 0.2 + 3.26 * 0.15 + 6.72 * 0.18 + 1.05 * 2 / 3  # 3.7106
    assert z.at["A", "z2"] == pytest.approx(expected_a)
    assert z.at["A", "z2_em"] == pytest.approx(expected_a + 3.25)
    assert z.at["A", "zone"] == "安全区"
    expected_b = 6.56 * -0.3 + 3.26 * -0.15 + 6.72 * -0.03 + 1.05 * 50 / 950
    assert z.at["B", "z2"] == pytest.approx(expected_b)
    assert z.at["B", "zone"] == "困境区"
    assert "各来源不一致" in z.at["A", "source"] and "2.9" in z.at["A", "source"]


def test_zone_boundaries_and_missing_inputs():
    only_x4 = {"coefficients": {"x1": 0.0, "x2": 0.0, "x3": 0.0, "x4": 1.0}}
    common = {"current_assets": 0.0, "current_liabilities": 0.0, "total_assets": 1000.0, "total_profit": 0.0,
              "interest_expense": 0.0, "months_elapsed": 11.0, "total_liabilities": 100.0}
    panel = _panel([
        {"entity_id": "at_safe", "total_equity": 260.0, "paid_in_capital": 260.0, **common},      # 2.6 → grey
        {"entity_id": "above_safe", "total_equity": 261.0, "paid_in_capital": 261.0, **common},   # 2.61 → safe
        {"entity_id": "at_distress", "total_equity": 110.0, "paid_in_capital": 110.0, **common},  # 1.1 → grey
        {"entity_id": "below", "total_equity": 109.0, "paid_in_capital": 109.0, **common},        # 1.09 → distress
        {"entity_id": "missing", "total_equity": np.nan, "paid_in_capital": 1.0, **common},
    ])
    z = altman_z2_from_panel(panel, model=only_x4).set_index("entity_id")["zone"]
    assert z.to_dict() == {"at_safe": "灰色区", "above_safe": "安全区", "at_distress": "灰色区", "below": "困境区",
                           "missing": "无数据"}


def test_cut_offs_come_from_the_rules_file():
    from guozi_analysis.analyses.risk.rules import load_rules

    model = load_rules().models["altman_z2"]
    assert model["safe_above"] == 2.6 and model["distress_below"] == 1.1
    assert model["coefficients"] == DEFAULT_MODEL["coefficients"]
    assert model["emerging_market_constant"] == 3.25


def _tables() -> dict[str, pd.DataFrame]:
    roster = pd.DataFrame({
        "enterprise_id": ["G01", "G02"], "name": ["滨江城投集团有限公司", "云湖产业集团有限公司"],
        "short_name": ["滨江城投", "云湖产业"], "parent_id": ["", ""], "level": [1, 1],
        "industry_class": ["非工业", "非工业"], "function_class": ["功能类", "竞争类"],
        "shareholding_pct": [100.0, 100.0], "is_group": [True, True],
    })
    fin = pd.DataFrame([
        # G02 is deep in the distress zone but crosses none of the district's list lines:
        # debt ratio 79% (≤ 80), interest coverage (5 + 20) / 20 = 1.25 (≥ 0)
        {"enterprise_id": "G02", "period": PERIOD, "total_assets": 1000.0, "total_liabilities": 790.0,
         "total_equity": 210.0, "minority_equity": 0.0, "paid_in_capital": 400.0, "current_assets": 100.0,
         "current_liabilities": 600.0, "total_profit": 5.0, "interest_expense": 20.0},
        {"enterprise_id": "G01", "period": PERIOD, "total_assets": 1000.0, "total_liabilities": 500.0,
         "total_equity": 500.0, "minority_equity": 0.0, "paid_in_capital": 300.0, "current_assets": 600.0,
         "current_liabilities": 300.0, "total_profit": 80.0, "interest_expense": 20.0},
    ])
    return {"roster": roster, "financials": fin}


def test_distress_never_puts_an_entity_on_the_list():
    tables = _tables()
    scores = altman_z2(tables, period=PERIOD).set_index("entity_id")
    assert scores.at["G02", "zone"] == "困境区"
    assert scores.at["G02", "x3"] == pytest.approx(25.0 * 12 / 11 / 1000)
    model_rows = distress_flags(scores.reset_index())
    assert model_rows["entity_id"].tolist() == ["DISTRICT", "G02"]  # the district total is weak too
    assert model_rows["is_model"].all() and not model_rows["on_list"].any()
    assert "模型参考" in model_rows.iloc[0]["message"]
    # even if someone marks a model row as a list criterion, the list ignores model rows
    forced = model_rows.assign(on_list=True)
    assert risk.key_supervision_list(forced).empty
    flags = risk.evaluate_rules(tables, None, period=PERIOD)
    assert "altman_z2_distress" not in set(flags["rule_id"])
    combined = pd.concat([flags, model_rows], ignore_index=True)
    assert "G02" not in set(risk.key_supervision_list(combined)["entity_id"])
    # model rows do not colour the traffic lights either
    lights = risk.traffic_lights(combined).set_index("entity_id")
    assert "模型参考" not in lights.columns


def test_district_z2_uses_summed_components():
    scores = altman_z2(_tables(), period=PERIOD).set_index("entity_id")
    # district = G01 + G02: X1 = (700 − 900) / 2000, X4 = 710 / 1290
    assert scores.at["DISTRICT", "x1"] == pytest.approx(-0.1)
    assert scores.at["DISTRICT", "x4"] == pytest.approx(710 / 1290)
