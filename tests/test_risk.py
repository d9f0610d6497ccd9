"""Debt-risk rules, the key-supervision list, the maturity profile and the stress tests."""

from __future__ import annotations

import io
import math
import shutil
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from guozi_analysis.analyses import risk
from guozi_analysis.analyses.risk.engine import format_value
from guozi_analysis.analyses.risk.rules import load_rules, parse_rules
from guozi_analysis.base import config
from guozi_analysis.publishing.views import risk as risk_views
from guozi_analysis.running import commands

PERIOD = "2022-11"


# ------------------------------------------------------------------------------------------------
# hand-made frames
# ------------------------------------------------------------------------------------------------
def _roster() -> pd.DataFrame:
    return pd.DataFrame({
        "enterprise_id": ["G01", "G01-01", "G01-02", "G02"],
        "name": ["滨江城投集团有限公司", "滨江精工有限公司", "滨江设计院有限公司", "云湖产业集团有限公司"],
        "short_name": ["滨江城投", "滨江精工", "滨江设计院", "云湖产业"],
        "parent_id": ["", "G01", "G01", ""],
        "level": [1, 2, 2, 1],
        "industry_class": ["非工业", "工业", "科研设计", "工业"],
        "function_class": ["功能类", "竞争类", "竞争类", "竞争类"],
        "shareholding_pct": [100.0, 100.0, 70.0, 100.0],
        "is_group": [True, False, False, True],
    })


def _indicators(values: dict[str, dict[str, float]], period: str = PERIOD) -> pd.DataFrame:
    """Tidy indicator frame from {entity_id: {indicator_id: value}} (a placeholder row when empty)."""
    roster = _roster().set_index("enterprise_id")
    values = values or {"DISTRICT": {"placeholder": float("nan")}}
    rows = []
    for eid, items in values.items():
        level = "district" if eid == "DISTRICT" else ("group" if roster.at[eid, "is_group"] else "enterprise")
        name = "全区合计" if eid == "DISTRICT" else roster.at[eid, "name"]
        for ind, v in items.items():
            rows.append({"entity_id": eid, "entity_name": name, "level": level, "period": period,
                         "indicator_id": ind, "value": float(v), "reason": ""})
    return pd.DataFrame(rows)


def _tables(**extra) -> dict[str, pd.DataFrame]:
    return {"roster": _roster(), **extra}


def _fired(flags: pd.DataFrame, rule_id: str) -> list[str]:
    sub = flags.loc[(flags["rule_id"] == rule_id) & flags["triggered"]]
    return sorted(sub["entity_id"])


def _fin_row(eid: str, period: str = PERIOD, **values) -> dict:
    base = {"enterprise_id": eid, "period": period}
    base.update(values)
    return base


# ------------------------------------------------------------------------------------------------
# the rules file
# ------------------------------------------------------------------------------------------------
def test_default_rules_file_has_every_required_rule():
    rules = load_rules()
    ids = set(rules.ids)
    assert {"district_debt_ratio", "national_debt_ratio_key", "national_debt_ratio_warning",
            "district_negative_coverage", "interest_coverage_below_1", "cash_to_short_term_debt_below_1",
            "maturity_coverage_3m", "maturity_coverage_6m", "maturity_coverage_12m", "maturity_wall",
            "financing_cost_above_median", "guarantee_to_net_assets", "guarantee_non_related",
            "guarantee_above_share", "consecutive_losses", "state_capital_not_preserved"} <= ids
    key, warn = rules.get("national_debt_ratio_key"), rules.get("national_debt_ratio_warning")
    assert [key.threshold.for_entity(industry_class=k) for k in ("工业", "非工业", "科研设计")] == [70, 75, 65]
    assert [warn.threshold.for_entity(industry_class=k) for k in ("工业", "非工业", "科研设计")] == [65, 70, 60]
    assert "本区规定" in key.source and key.verified  # the 科研设计 line is the district's choice, said in words
    assert "本区规定" in rules.get("district_debt_ratio").source
    # issue 19: the list holds the district's two criteria and the 75号 guarantee breaches; the rest only warn
    assert {r.id for r in rules.rules if r.on_list} == {"district_debt_ratio", "district_negative_coverage",
                                                         "guarantee_to_net_assets", "guarantee_non_related",
                                                         "guarantee_above_share", "guarantee_to_distressed",
                                                         "guarantee_financial_subsidiary"}
    assert rules.get("maturity_wall").severity == "预警"
    for rule in rules.rules:
        assert rule.verified and "本项目" not in rule.source and "待核实" not in rule.source, rule.id
    for rid in ("guarantee_to_net_assets", "guarantee_non_related", "guarantee_above_share",
                "guarantee_to_distressed", "guarantee_financial_subsidiary"):
        assert "国资发财评规〔2021〕75号" in rules.get(rid).source, rid
    g = rules.get("guarantee_to_net_assets")
    assert g.threshold.for_entity(level="group") == 40 and g.threshold.for_entity(level="enterprise") == 50
    assert "75号" in g.source


@pytest.mark.parametrize("mutate, words", [
    (lambda r: r.update(message="资产负债率 ${value}"), "${threshold}"),
    (lambda r: r.update(op="gte"), "op"),
    (lambda r: r.update(family="其他"), "family"),
    (lambda r: r.update(test={"check": "no_such_check"}), "具名检验"),
    (lambda r: r.update(severity="红色"), "severity"),
    (lambda r: r.update(message="${value} ${threshold} ${__class__}"), "未知占位符"),
])
def test_rule_file_errors_are_reported_in_chinese(mutate, words):
    data = yaml.safe_load(config.PARAMS_DIR.joinpath("risk_rules.yaml").read_text("utf-8"))
    mutate(data["rules"][0])
    with pytest.raises(ValueError, match="风险规则文件有误") as info:
        parse_rules(data)
    assert words in str(info.value)


# ------------------------------------------------------------------------------------------------
# indicator rules: boundaries and class-dependent thresholds
# ------------------------------------------------------------------------------------------------
def test_exactly_80_is_not_over_80():
    ind = _indicators({"G01": {"debt_to_asset_ratio": 80.0}, "G02": {"debt_to_asset_ratio": 80.01}})
    ev = risk.evaluate_rules(_tables(), ind, period=PERIOD, include_passed=True)
    assert _fired(ev, "district_debt_ratio") == ["G02"]
    flags = risk.evaluate_rules(_tables(), ind, period=PERIOD)
    g02 = flags.loc[flags["entity_id"] == "G02"]
    # 80.01 also crosses the national 工业 lines (65/70) but those are covered by the district rule
    assert list(g02["rule_id"]) == ["district_debt_ratio"]
    assert ev.loc[(ev["entity_id"] == "G02") & (ev["rule_id"] == "national_debt_ratio_key"), "status"].item() == \
        "已被覆盖"


def test_negative_interest_coverage_boundary_and_supersedes_below_1():
    ind = _indicators({"G01": {"interest_coverage": 0.0}, "G02": {"interest_coverage": -0.01},
                       "G01-01": {"interest_coverage": 0.5}})
    flags = risk.evaluate_rules(_tables(), ind, period=PERIOD)
    assert _fired(flags, "district_negative_coverage") == ["G02"]
    assert _fired(flags, "interest_coverage_below_1") == ["G01", "G01-01"]  # G02's is covered by the red rule


def test_national_debt_lines_depend_on_industry_class():
    # G01 非工业 (70/75), G01-01 工业 (65/70), G01-02 科研设计 (60/65), G02 工业
    ind = _indicators({"G01": {"debt_to_asset_ratio": 72.0}, "G01-01": {"debt_to_asset_ratio": 66.0},
                       "G01-02": {"debt_to_asset_ratio": 65.5}, "G02": {"debt_to_asset_ratio": 65.0}})
    flags = risk.evaluate_rules(_tables(), ind, period=PERIOD)
    assert _fired(flags, "national_debt_ratio_warning") == ["G01", "G01-01"]
    assert _fired(flags, "national_debt_ratio_key") == ["G01-02"]  # 65.5 > 55 + 10
    row = flags.loc[flags["rule_id"] == "national_debt_ratio_key"].iloc[0]
    assert row["threshold"] == 65 and row["severity"] == "重点监管" and not row["on_list"]
    assert "依据待核实" not in row["message"] and "本区规定" in row["message"]
    assert risk.key_supervision_list(flags).empty  # national lines are advisory by default


def test_guarantee_to_net_assets_limit_depends_on_level():
    ind = _indicators({"G01": {"guarantee_to_net_assets": 45.0}, "G01-01": {"guarantee_to_net_assets": 45.0},
                       "G01-02": {"guarantee_to_net_assets": 50.5}})
    flags = risk.evaluate_rules(_tables(), ind, period=PERIOD)
    assert _fired(flags, "guarantee_to_net_assets") == ["G01", "G01-02"]


def test_state_capital_and_cash_ratio_rules():
    ind = _indicators({"G01": {"state_capital_preservation_ratio": 100.0, "cash_to_short_term_debt": 1.0},
                       "G02": {"state_capital_preservation_ratio": 99.99, "cash_to_short_term_debt": 0.99}})
    flags = risk.evaluate_rules(_tables(), ind, period=PERIOD)
    assert _fired(flags, "state_capital_not_preserved") == ["G02"]
    assert _fired(flags, "cash_to_short_term_debt_below_1") == ["G02"]
    assert set(flags.loc[flags["entity_id"] == "G02", "severity"]) == {"关注"}


def test_missing_values_never_fire_and_are_marked():
    ind = _indicators({"G01": {"debt_to_asset_ratio": float("nan")}})
    ev = risk.evaluate_rules(_tables(), ind, period=PERIOD, include_passed=True)
    row = ev.loc[(ev["entity_id"] == "G01") & (ev["rule_id"] == "district_debt_ratio")].iloc[0]
    assert not row["triggered"] and row["status"] == "无数据"


def test_financing_cost_above_district_median_plus_margin():
    # median of 4.0, 4.5, 4.5, 5.51 = 4.5 → line 4.5 + 100 bp = 5.5
    ind = _indicators({"G01": {"composite_financing_cost": 4.0}, "G01-01": {"composite_financing_cost": 4.5},
                       "G01-02": {"composite_financing_cost": 4.5}, "G02": {"composite_financing_cost": 5.51},
                       "DISTRICT": {"composite_financing_cost": 4.6}})
    ev = risk.evaluate_rules(_tables(), ind, period=PERIOD, include_passed=True)
    sub = ev.loc[ev["rule_id"] == "financing_cost_above_median"]
    assert sub["threshold"].round(6).unique().tolist() == [5.5]
    assert _fired(ev, "financing_cost_above_median") == ["G02"]
    assert "DISTRICT" not in set(sub["entity_id"])


# ------------------------------------------------------------------------------------------------
# named checks on hand-made detail tables
# ------------------------------------------------------------------------------------------------
def _debts(rows: list[tuple[str, str, float, str]], period: str = PERIOD) -> pd.DataFrame:
    return pd.DataFrame([{"debt_id": d, "enterprise_id": e, "period": period, "instrument_type": "银行贷款",
                          "is_direct_financing": False, "balance": b, "annual_rate": 5.0, "issue_date": "2021-01-01",
                          "maturity_date": m} for d, e, b, m in rows])


def test_maturity_wall_share_and_boundary():
    debts = _debts([
        ("D1", "G01-01", 50.0, "2023-03-10"), ("D2", "G01-01", 30.0, "2023-05-10"),
        ("D3", "G01-01", 20.0, "2023-08-10"), ("D4", "G01-01", 500.0, "2024-01-10"),  # outside 12 months
        ("D5", "G02", 40.0, "2023-01-05"), ("D6", "G02", 30.0, "2023-02-05"), ("D7", "G02", 30.0, "2023-04-05"),
    ])
    ev = risk.evaluate_rules(_tables(debts=debts), _indicators({}), period=PERIOD, include_passed=True)
    wall = ev.loc[ev["rule_id"] == "maturity_wall"].set_index("entity_id")
    assert wall.at["G01-01", "value"] == pytest.approx(50.0)
    assert wall.at["G02", "value"] == pytest.approx(40.0)  # exactly 40% is not over 40%
    assert _fired(ev, "maturity_wall") == ["G01", "G01-01"]
    # the group's tree holds G01-01's maturities: 50 / 100
    assert wall.at["G01", "value"] == pytest.approx(50.0) and wall.at["G01", "triggered"]
    assert "含全部下属企业" in wall.at["G01", "detail"] and "2023-03" in wall.at["G01-01", "message"]
    # district: largest month 2023-03 (50) of 200 in total
    assert wall.at["DISTRICT", "value"] == pytest.approx(25.0)
    # issue 19: a maturity wall warns (预警) but does not put anyone on the key-supervision list
    assert wall.at["G01", "severity"] == "预警" and not wall.at["G01", "on_list"]
    assert risk.key_supervision_list(ev).empty


def test_maturity_coverage_uses_cash_and_unused_committed_lines():
    fin = pd.DataFrame([_fin_row("G02", cash=100.0)])
    debts = _debts([("D1", "G02", 150.0, "2023-01-20"), ("D2", "G02", 1000.0, "2023-09-20")])
    lines = pd.DataFrame([
        {"line_id": "L1", "enterprise_id": "G02", "period": PERIOD, "bank_name": "示范银行", "line_amount": 50.0,
         "used_amount": 30.0, "is_committed": True, "signed_at_fair": False},
        {"line_id": "L2", "enterprise_id": "G02", "period": PERIOD, "bank_name": "示范银行", "line_amount": 999.0,
         "used_amount": 0.0, "is_committed": False, "signed_at_fair": False},
    ])
    ev = risk.evaluate_rules(_tables(financials=fin, debts=debts, credit_lines=lines), _indicators({}),
                             period=PERIOD, include_passed=True)
    cov = ev.loc[ev["entity_id"] == "G02"].set_index("rule_id")
    assert cov.at["maturity_coverage_3m", "value"] == pytest.approx(120.0 / 150.0)
    assert cov.at["maturity_coverage_12m", "value"] == pytest.approx(120.0 / 1150.0)
    assert cov.at["maturity_coverage_3m", "triggered"]
    assert cov.at["maturity_coverage_12m", "status"] == "已被覆盖"
    assert "150.00 万元" in cov.at["maturity_coverage_3m", "message"]


def _guarantees() -> pd.DataFrame:
    rows = [
        ("DB1", "G01", "外部公司甲", "", "非关联企业", np.nan, 1000.0, 200.0),
        ("DB2", "G02", "合资公司乙", "", "参股企业", 30.0, 1000.0, 300.0),   # 30% = share: fine
        ("DB3", "G02", "合资公司丙", "", "参股企业", 30.0, 1000.0, 600.0),   # 60% > 30%
        ("DB4", "G01-01", "滨江设计院有限公司", "G01-02", "控股子企业", 70.0, 100.0, 70.0),
        # rounding, not an excess: 60.00% × 10,000.00 = 6,000.00, guaranteed 6,000.01 → 0.01 ≤ 0.005% × 10,000 + 0.01
        ("DB5", "G01-02", "合资公司丁", "", "控股子企业", 60.0, 10000.0, 6000.01),
        # past the rounding: 6,001.00 → excess 1.00 > 0.51
        ("DB6", "G01-01", "合资公司戊", "", "控股子企业", 60.0, 10000.0, 6001.0),
    ]
    return pd.DataFrame([{"guarantee_id": g, "guarantor_id": o, "period": PERIOD, "beneficiary_name": b,
                          "beneficiary_id": bi, "relation": r, "shareholding_pct": s, "guaranteed_debt": d,
                          "amount": a, "start_date": "2022-01-01", "end_date": "2025-01-01"}
                         for g, o, b, bi, r, s, d, a in rows])


def test_guarantee_checks_name_the_guarantor_and_the_guarantee():
    flags = risk.evaluate_rules(_tables(guarantees=_guarantees()), _indicators({}), period=PERIOD)
    assert _fired(flags, "guarantee_non_related") == ["DISTRICT", "G01"]
    assert _fired(flags, "guarantee_above_share") == ["DISTRICT", "G01-01", "G02"]
    fired = flags.loc[flags["rule_id"] == "guarantee_above_share"].set_index("entity_id")
    assert fired.at["G01-01", "value"] == pytest.approx(1.0)  # 6,001.00 − 60% × 10,000.00
    assert fired.at["DISTRICT", "value"] == pytest.approx(301.0)  # 300 (DB3) + 1 (DB6); DB5's 0.01 is rounding
    above = flags.loc[(flags["rule_id"] == "guarantee_above_share") & (flags["entity_id"] == "G02")].iloc[0]
    # issue 19: the excess, only DB3 (DB2 sits exactly at the share): 600 − 30% × 1,000 = 300
    assert above["value"] == 300.0
    assert "DB3" in above["message"] and "60.00%" in above["message"] and "30.00%" in above["message"]
    assert "超股比 300.00 万元" in above["message"] and "反担保：未填报" in above["message"]
    assert "DB2" not in above["message"]
    listed = risk.key_supervision_list(flags)
    assert sorted(listed["entity_id"]) == ["G01", "G01-01", "G02"]  # the district aggregate is never on the list


def test_consecutive_losses_need_negative_operating_cash_flow():
    fin = pd.DataFrame([
        _fin_row("G01", "2020-12", net_profit=-10.0), _fin_row("G01", "2021-12", net_profit=-20.0),
        _fin_row("G01", PERIOD, net_profit=-5.0, net_operating_cash_flow=-1.0),
        _fin_row("G02", "2020-12", net_profit=-10.0), _fin_row("G02", "2021-12", net_profit=-20.0),
        _fin_row("G02", PERIOD, net_profit=-5.0, net_operating_cash_flow=3.0),
        _fin_row("G01-01", "2020-12", net_profit=10.0), _fin_row("G01-01", "2021-12", net_profit=-20.0),
        _fin_row("G01-01", PERIOD, net_profit=-5.0, net_operating_cash_flow=-3.0),
    ])
    ev = risk.evaluate_rules(_tables(financials=fin), _indicators({}), period=PERIOD, include_passed=True)
    loss = ev.loc[ev["rule_id"] == "consecutive_losses"].set_index("entity_id")
    assert loss.at["G01", "value"] == 3 and loss.at["G01", "triggered"]
    assert loss.at["G02", "value"] == 3 and not loss.at["G02", "triggered"]  # cash flow positive
    assert loss.at["G01-01", "value"] == 2 and not loss.at["G01-01", "triggered"]
    msg = loss.at["G01", "message"]
    assert "2020年" in msg and "2022年1—11月" in msg and "3 年" in msg


# ------------------------------------------------------------------------------------------------
# list, changes, traffic lights, messages
# ------------------------------------------------------------------------------------------------
def test_key_supervision_list_changes_and_traffic_lights():
    now = risk.evaluate_rules(_tables(), _indicators({"G01": {"debt_to_asset_ratio": 85.0, "interest_coverage": -1.0},
                                                      "G02": {"debt_to_asset_ratio": 66.0}}), period=PERIOD,
                              include_passed=True)
    before = risk.evaluate_rules(_tables(), _indicators({"G02": {"debt_to_asset_ratio": 81.0},
                                                         "G01-01": {"interest_coverage": -2.0}}, "2022-10"),
                                 period="2022-10")
    listed = risk.key_supervision_list(now)
    assert listed.columns.tolist() == risk.LIST_COLUMNS
    assert listed["entity_id"].tolist() == ["G01"]
    row = listed.iloc[0]
    assert row["rule_ids"] == "district_debt_ratio;district_negative_coverage"
    assert row["severity"] == "重点监管" and row["n_rules"] == 2
    changes = risk.list_changes(listed, before)
    assert changes[["entity_id", "change"]].values.tolist() == [["G01", "新列入"], ["G01-01", "移出"],
                                                                ["G02", "移出"]]
    assert changes.loc[changes["entity_id"] == "G02", "rule_ids_previous"].item() == "district_debt_ratio"
    same = risk.list_changes(before, before, include_unchanged=True)
    assert set(same["change"]) == {"继续监管"}

    lights = risk.traffic_lights(now).set_index("entity_id")
    assert list(lights.columns[2:]) == list(risk.FAMILIES)
    assert lights.at["G01", "资产负债"] == "红" and lights.at["G01", "偿债能力"] == "红"
    assert lights.at["G02", "资产负债"] == "黄"  # 工业 warning line 65
    assert lights.at["G01-02", "资产负债"] == "—"  # no data at all
    assert lights.index[0] == "DISTRICT"


def test_every_message_names_value_threshold_rule_and_source():
    tables = _tables(guarantees=_guarantees(),
                     debts=_debts([("D1", "G01-01", 90.0, "2023-03-10"), ("D2", "G01-01", 10.0, "2023-05-10")]))
    ind = _indicators({"G01": {"debt_to_asset_ratio": 85.0, "interest_coverage": -1.0},
                       "G02": {"state_capital_preservation_ratio": 90.0, "cash_to_short_term_debt": 0.5}})
    flags = risk.evaluate_rules(tables, ind, period=PERIOD)
    assert len(flags) >= 6
    for _, f in flags.iterrows():
        assert format_value(f["value"], f["unit"]) in f["message"]
        assert format_value(f["threshold"], f["unit"]) in f["message"]
        assert f["rule_name"] in f["message"] and f["rule_id"] not in f["message"]  # readers see the name, not the id
        assert f["source"] in f["message"]
        assert f["message"].startswith(f["entity_name"])


def test_changing_a_threshold_in_a_copy_of_the_rules_changes_the_list(tmp_path):
    ind = _indicators({"G01": {"debt_to_asset_ratio": 72.0}, "G02": {"debt_to_asset_ratio": 79.0}})
    assert risk.key_supervision_list(risk.evaluate_rules(_tables(), ind, period=PERIOD)).empty
    copy = tmp_path / "risk_rules.yaml"
    shutil.copy(config.PARAMS_DIR / "risk_rules.yaml", copy)
    text = copy.read_text("utf-8")
    assert text.count("threshold: 80\n") == 1
    copy.write_text(text.replace("threshold: 80\n", "threshold: 75\n"), "utf-8")
    listed = risk.key_supervision_list(risk.evaluate_rules(_tables(), ind, period=PERIOD, rules=copy))
    assert listed["entity_id"].tolist() == ["G02"]
    assert "75.00%" in listed.iloc[0]["messages"]


# ------------------------------------------------------------------------------------------------
# maturity profile
# ------------------------------------------------------------------------------------------------
def test_maturity_profile_by_month_with_overdue_bucket():
    debts = _debts([("D1", "G01-01", 60.0, "2022-12-05"), ("D2", "G01-01", 40.0, "2023-02-05"),
                    ("D3", "G01", 100.0, "2022-11-20"), ("D4", "G01", 7.0, "2025-06-01")])
    prof = risk.maturity_profile(_tables(debts=debts), period=PERIOD, months=3)
    g = prof.loc[prof["entity_id"] == "G01"]
    assert g["month"].tolist() == ["已到期未还", "2022-12", "2023-01", "2023-02"]
    assert g["balance"].tolist() == [100.0, 60.0, 0.0, 40.0]
    assert g["share_pct"].tolist()[1:] == [60.0, 0.0, 40.0]
    assert g["cumulative"].tolist() == [100.0, 160.0, 160.0, 200.0]
    e = prof.loc[prof["entity_id"] == "G01-01"]
    assert e["month"].tolist() == ["2022-12", "2023-01", "2023-02"]
    assert "G02" not in set(prof["entity_id"])
    assert prof.loc[prof["entity_id"] == "DISTRICT", "balance"].sum() == 200.0


# ------------------------------------------------------------------------------------------------
# stress tests: arithmetic by hand
# ------------------------------------------------------------------------------------------------
def _stress_tables() -> dict[str, pd.DataFrame]:
    roster = _roster().iloc[[3]].reset_index(drop=True)  # G02 alone (工业 group)
    fin = pd.DataFrame([_fin_row("G02", PERIOD, total_assets=10_000.0, total_liabilities=6_000.0,
                                 total_equity=4_000.0, cash=1_000.0, revenue=2_000.0, operating_cost=1_500.0,
                                 taxes_and_surcharges=100.0, interest_expense=100.0, financial_expenses=100.0,
                                 operating_profit=500.0, total_profit=500.0, net_profit=400.0,
                                 net_operating_cash_flow=300.0, short_term_borrowings=500.0,
                                 current_portion_long_term_debt=0.0, notes_payable=0.0)])
    debts = _debts([("D1", "G02", 2_000.0, "2023-02-10"), ("D2", "G02", 1_500.0, "2023-06-10"),
                    ("D3", "G02", 1_500.0, "2023-10-10")])  # largest month 40%: no maturity wall
    lines = pd.DataFrame([{"line_id": "L1", "enterprise_id": "G02", "period": PERIOD, "bank_name": "示范银行",
                           "line_amount": 500.0, "used_amount": 200.0, "is_committed": True,
                           "signed_at_fair": False}])
    guar = pd.DataFrame([{"guarantee_id": "DB1", "guarantor_id": "G02", "period": PERIOD,
                          "beneficiary_name": "合资公司", "beneficiary_id": "", "relation": "参股企业",
                          "shareholding_pct": 50.0, "guaranteed_debt": 1_000.0, "amount": 400.0,
                          "start_date": "2022-01-01", "end_date": "2025-01-01"}])
    return {"roster": roster, "financials": fin, "debts": debts, "credit_lines": lines, "guarantees": guar}


def test_rate_shock_arithmetic():
    tables = _stress_tables()
    shocked = risk.apply_scenario(tables, {"kind": "rate_shock", "bp": 100}, period=PERIOD)
    row = shocked["financials"].iloc[0]
    extra = 5_000.0 * 0.01 * 11 / 12  # 45.8333…
    assert row["interest_expense"] == pytest.approx(100.0 + extra)
    assert row["total_profit"] == pytest.approx(500.0 - extra)
    assert row["cash"] == pytest.approx(1_000.0 - extra)
    assert row["total_equity"] == pytest.approx(4_000.0 - extra)
    assert shocked["debts"]["annual_rate"].iloc[0] == pytest.approx(6.0)
    assert tables["financials"].iloc[0]["interest_expense"] == 100.0  # input untouched


def test_revenue_shock_arithmetic():
    shocked = risk.apply_scenario(_stress_tables(), {"kind": "revenue_shock", "pct": 10}, period=PERIOD)
    row = shocked["financials"].iloc[0]
    # lost margin = (2000 − 1500 − 100) × 10% = 40
    assert row["revenue"] == pytest.approx(1_800.0)
    assert row["operating_cost"] == pytest.approx(1_350.0)
    assert row["total_profit"] == pytest.approx(460.0)
    assert row["net_operating_cash_flow"] == pytest.approx(260.0)
    assert row["cash"] == pytest.approx(960.0)


def test_run_stress_shortfall_crossings_and_exposure(tmp_path):
    spec = {"horizon_months": 12, "scenarios": [
        {"id": "rate_up_200bp", "name_zh": "融资成本上升200个基点", "kind": "rate_shock", "bp": 200},
        {"id": "revenue_down_50", "name_zh": "营业收入下降50%", "kind": "revenue_shock", "pct": 50},
        {"id": "freeze", "name_zh": "再融资冻结12个月", "kind": "refinancing_freeze", "months": 12,
         "credit_lines_available": False},
    ]}
    out = risk.run_stress(_stress_tables(), period=PERIOD, scenarios=spec)
    summary = out["summary"].set_index("scenario_id")
    assert summary.index.tolist() == ["baseline", "rate_up_200bp", "revenue_down_50", "freeze"]
    # baseline: 2000 due 2023-02, 1500 2023-06, 1500 2023-10 against cash 1000 + unused committed line 300
    short = out["shortfall"]
    base = short.loc[(short["scenario_id"] == "baseline") & (short["entity_id"] == "G02")].set_index("month")
    assert base.index.tolist()[0] == "2022-12" and len(base) == 12
    assert base.at["2023-01", "shortfall"] == 0.0
    assert base.at["2023-02", "shortfall"] == pytest.approx(2_000.0 - 1_300.0)
    assert base.at["2023-10", "shortfall"] == pytest.approx(5_000.0 - 1_300.0)
    frozen = short.loc[(short["scenario_id"] == "freeze") & (short["entity_id"] == "G02")].set_index("month")
    assert frozen.at["2023-02", "shortfall"] == pytest.approx(1_000.0)  # the line cannot be drawn
    assert frozen.at["2023-11", "shortfall"] == pytest.approx(4_000.0)
    rate = short.loc[(short["scenario_id"] == "rate_up_200bp") & (short["entity_id"] == "G02")].set_index("month")
    assert rate.at["2023-10", "shortfall"] == pytest.approx(5_000.0 - (1_000.0 - 5_000.0 * 0.02 * 11 / 12) - 300.0)
    assert summary.at["freeze", "district_shortfall"] == pytest.approx(4_000.0)
    # revenue −50%: lost margin 200 → cash 800; the 3-month coverage (800 + 300) / 2000 = 0.55 was
    # already below 1 (1300 / 2000 = 0.65) in the baseline, so it is not new
    cross = out["crossings"].set_index(["scenario_id", "entity_id", "rule_id"])
    row = cross.loc[("revenue_down_50", "G02", "maturity_coverage_3m")]
    assert row["value"] == pytest.approx(0.55) and row["value_before"] == pytest.approx(0.65)
    assert not row["new"]
    # exposure: the district's debt and guarantees, whoever is listed
    assert summary.at["baseline", "district_debt"] == 5_000.0
    assert summary.at["baseline", "district_guarantees"] == 400.0
    assert summary.at["baseline", "listed"] == 0 and summary.at["baseline", "listed_debt"] == 0.0


def test_stress_can_put_an_entity_on_the_list():
    tables = _stress_tables()
    fin = tables["financials"].copy()
    fin.loc[0, ["total_profit", "operating_profit", "net_profit"]] = [5.0, 5.0, 4.0]  # coverage (5+100)/100
    tables["financials"] = fin
    spec = {"scenarios": [{"id": "r", "name_zh": "融资成本上升200个基点", "kind": "rate_shock", "bp": 200},
                          {"id": "v", "name_zh": "营业收入下降50%", "kind": "revenue_shock", "pct": 50}]}
    out = risk.run_stress(tables, period=PERIOD, scenarios=spec)
    # extra interest 5000 × 2% × 11/12 = 91.67 → profit −86.67, interest 191.67 → coverage 0.548 (<1, not < 0)
    cross = out["crossings"].set_index(["scenario_id", "entity_id", "rule_id"])
    value = cross.loc[("r", "G02", "interest_coverage_below_1"), "value"]
    assert value == pytest.approx((5.0 - 91.6667 + 191.6667) / 191.6667, rel=1e-4)
    assert cross.loc[("r", "G02", "interest_coverage_below_1"), "new"]
    # a rate shock moves profit and interest by the same amount: 利润总额 + 利息支出 (the numerator) is
    # unchanged, so coverage can fall below 1 but never turn negative; a revenue shock can:
    # lost margin (2000 − 1500 − 100) × 50% = 200 → profit −195 → coverage (−195 + 100) / 100 = −0.95
    assert cross.loc[("v", "G02", "district_negative_coverage"), "value"] == pytest.approx(-0.95)
    assert ("r", "G02", "district_negative_coverage") not in cross.index
    s = out["summary"].set_index("scenario_id")
    assert s.at["baseline", "listed"] == 0 and s.at["v", "listed"] == 1 and s.at["v", "new_listed_ids"] == "G02"
    assert s.at["v", "listed_debt"] == 5_000.0 and s.at["v", "listed_guarantees"] == 400.0


def test_default_scenarios_file():
    spec = risk.load_scenarios()
    kinds = {(s["kind"], s.get("bp") or s.get("pct") or s.get("months")) for s in spec["scenarios"]}
    assert kinds == {("rate_shock", 100), ("rate_shock", 200), ("revenue_shock", 10), ("revenue_shock", 20),
                     ("refinancing_freeze", 12)}


# ------------------------------------------------------------------------------------------------
# the shared step, notebook views and the command
# ------------------------------------------------------------------------------------------------
def test_shared_frames_and_views_on_small_tables(tmp_path):
    tables = _stress_tables()
    tables["roster"] = _roster()
    from guozi_analysis.indicators.formulas import compute_indicators

    ind = compute_indicators(tables, period=PERIOD, roster=tables["roster"])
    spec = {"scenarios": [{"id": "f", "name_zh": "再融资冻结12个月", "kind": "refinancing_freeze", "months": 12}]}
    frames = risk.shared_frames(tables, ind, period=PERIOD, scenarios=spec)
    assert {"risk_evaluation", "risk_flags", "risk_list", "risk_changes", "risk_traffic_lights",
            "risk_maturity_profile", "risk_maturity_scopes", "risk_stress_summary", "risk_stress_crossings", "risk_stress_shortfall",
            "risk_distress"} == set(frames)
    for key, frame in frames.items():
        frame.to_parquet(tmp_path / f"{key}.parquet", index=False)
    ctx = SimpleNamespace(processed_dir=tmp_path, period=PERIOD, entity_id="G02")
    assert "严重程度" in risk_views.supervision_list_table(ctx).columns
    assert "变动" in risk_views.list_changes_table(ctx).columns
    assert list(risk_views.traffic_light_table(ctx).columns[1:]) == list(risk.FAMILIES)
    assert "情景" == risk_views.stress_summary_table(ctx).index.name
    risk_views.stress_crossings_table(ctx)
    assert risk_views.maturity_table(ctx).shape[1] >= 1
    section = risk_views.entity_risk_section(ctx)
    assert section["规则类别"].iloc[-1] == "模型参考" and section["列入名单"].iloc[-1] == "否"
    fig = risk_views.maturity_chart(ctx)
    assert fig.axes[0].get_title().startswith("全区合计")
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_risk_command_prints_the_list_as_csv_from_the_raw_files(demo_inbox):
    truth = yaml.safe_load((config.DEMO_DIR / "ground_truth.yaml").read_text("utf-8"))
    text = commands.risk_command(truth["period"], demo_inbox.path)
    assert text.startswith("\ufeff")  # BOM: Excel opens the UTF-8 correctly
    frame = pd.read_csv(io.StringIO(text[1:]), dtype=str)
    assert list(frame.columns) == ["企业编码", "企业名称", "层级", "监管等级", "触发规则", "说明（数值、阈值、规则与依据）"]
    assert set(frame["企业编码"]) == set(_expected(truth))
    assert set(frame["监管等级"]) == {"重点监管"}
    english = pd.read_csv(io.StringIO(commands.risk_command(truth["period"], demo_inbox.path, english=True)[1:]),
                          dtype=str)
    assert list(english.columns) == ["entity_id", "entity_name", "level", "severity", "rule_ids", "messages"]
    assert {r.entity_id: set(r.rule_ids.split(";")) for r in english.itertuples()} == _expected(truth)


# ------------------------------------------------------------------------------------------------
# the demo district: exactly the designed enterprises, for the designed reasons
# ------------------------------------------------------------------------------------------------
_TRUTH_TO_RULE = {
    "debt_to_asset_ratio_above_80": "district_debt_ratio",
    "negative_interest_coverage": "district_negative_coverage",
    "guarantee_to_non_related": "guarantee_non_related",
    "guarantee_above_shareholding": "guarantee_above_share",
    "guarantee_to_distressed": "guarantee_to_distressed",
    "guarantee_to_financial_subsidiary": "guarantee_financial_subsidiary",
}


def _expected(truth: dict) -> dict[str, set[str]]:
    expected: dict[str, set[str]] = {}
    for key, rule_id in _TRUTH_TO_RULE.items():
        for item in truth["rules"][key]["entities"]:
            eid = item.get("enterprise_id") or item.get("guarantor_id")
            expected.setdefault(eid, set()).add(rule_id)
    return expected


def _check_demo_list(tables: dict, truth: dict) -> None:
    flags = risk.evaluate_rules(tables, None, period=truth["period"])
    listed = risk.key_supervision_list(flags)
    got = {r.entity_id: set(r.rule_ids.split(";")) for r in listed.itertuples()}
    assert got == _expected(truth)
    by_rule = flags.set_index(["entity_id", "rule_id"])
    for item in truth["rules"]["debt_to_asset_ratio_above_80"]["entities"]:
        assert by_rule.at[(item["enterprise_id"], "district_debt_ratio"), "value"] == pytest.approx(item["value"],
                                                                                                    abs=0.01)
    for item in truth["rules"]["negative_interest_coverage"]["entities"]:
        assert by_rule.at[(item["enterprise_id"], "district_negative_coverage"), "value"] == \
            pytest.approx(item["value"], abs=1e-3)
    for item in truth["warnings"]["maturity_wall"]["entities"]:  # warned, not listed
        row = by_rule.loc[(item["enterprise_id"], "maturity_wall")]
        assert row["value"] == pytest.approx(item["value"], abs=0.01) and item["month"] in row["message"]
        assert row["severity"] == "预警" and not row["on_list"]
    for key in ("guarantee_to_non_related", "guarantee_above_shareholding", "guarantee_to_distressed",
                "guarantee_to_financial_subsidiary"):
        for item in truth["rules"][key]["entities"]:
            assert item["guarantee_id"] in by_rule.at[(item["guarantor_id"], _TRUTH_TO_RULE[key]), "message"]
    for item in truth["rules"]["guarantee_above_shareholding"]["entities"]:
        assert by_rule.at[(item["guarantor_id"], "guarantee_above_share"), "value"] == pytest.approx(item["value"])


@pytest.fixture(scope="module")
def demo():
    from guozi_analysis.demo import build_demo_tables

    return build_demo_tables()


def test_demo_list_is_exactly_the_ground_truth(demo):
    tables, truth = demo
    _check_demo_list(tables, truth)


def test_demo_ground_truth_file_matches_the_generator(demo):
    path = config.DEMO_DIR / "ground_truth.yaml"
    tables, truth = demo
    on_file = yaml.safe_load(path.read_text("utf-8"))
    assert _expected(on_file) == _expected(truth)
    _check_demo_list(tables, on_file)


def test_demo_raw_files_list_is_exactly_the_ground_truth(demo_tables):
    path = config.DEMO_DIR / "ground_truth.yaml"
    _check_demo_list(demo_tables, yaml.safe_load(path.read_text("utf-8")))


def test_demo_district_threshold_copy_changes_the_list(demo, tmp_path):
    tables, truth = demo
    copy = tmp_path / "risk_rules.yaml"
    text = (config.PARAMS_DIR / "risk_rules.yaml").read_text("utf-8")
    copy.write_text(text.replace("threshold: 80\n", "threshold: 68\n"), "utf-8")
    listed = risk.key_supervision_list(risk.evaluate_rules(tables, None, period=truth["period"], rules=copy))
    assert "G03-02" in set(listed["entity_id"])  # 68.01% > 68
    assert not math.isnan(listed["n_rules"].sum())


# ------------------------------------------------------------------------------------------------
# issue 19: 国资发财评规〔2021〕75号 checks, hand-worked
# ------------------------------------------------------------------------------------------------
def _guarantees_75() -> pd.DataFrame:
    base = {"period": PERIOD, "beneficiary_id": None, "start_date": "2022-01-01", "end_date": "2025-01-01"}
    rows = [
        # the brief's example: 30,000 covering 60% of 50,000 with a 30% stake → excess 30,000 − 15,000 = 15,000
        dict(guarantee_id="E1", guarantor_id="G02", beneficiary_name="合资公司甲", relation="参股企业",
             shareholding_pct=30.0, guaranteed_debt=50000.0, amount=30000.0, counter_guarantee="未落实"),
        # insolvent guaranteed party (net assets −100), within the share
        dict(guarantee_id="E2", guarantor_id="G01", beneficiary_name="合资公司乙", relation="参股企业",
             shareholding_pct=40.0, guaranteed_debt=1000.0, amount=400.0, beneficiary_net_assets=-100.0,
             counter_guarantee="已落实"),
        # three loss years but positive cash flow: allowed; three loss years and negative cash flow: not
        dict(guarantee_id="E3", guarantor_id="G01", beneficiary_name="合资公司丙", relation="参股企业",
             shareholding_pct=40.0, guaranteed_debt=1000.0, amount=400.0, beneficiary_net_assets=500.0,
             beneficiary_loss_years=3, beneficiary_negative_ocf=False),
        dict(guarantee_id="E4", guarantor_id="G01-01", beneficiary_name="合资公司丁", relation="参股企业",
             shareholding_pct=40.0, guaranteed_debt=1000.0, amount=300.0, beneficiary_net_assets=500.0,
             beneficiary_loss_years=4, beneficiary_negative_ocf=True),
        # a financial subsidiary
        dict(guarantee_id="E5", guarantor_id="G02", beneficiary_name="示范小额贷款公司", relation="全资子企业",
             shareholding_pct=100.0, guaranteed_debt=800.0, amount=800.0, is_financial_subsidiary=True),
    ]
    return pd.DataFrame([{**base, **r} for r in rows])


def test_guarantee_excess_is_amount_minus_share_of_the_debt():
    flags = risk.evaluate_rules(_tables(guarantees=_guarantees_75()), _indicators({}), period=PERIOD)
    row = flags.loc[(flags["rule_id"] == "guarantee_above_share") & (flags["entity_id"] == "G02")].iloc[0]
    assert row["value"] == 30000.0 - 0.30 * 50000.0 == 15000.0
    assert "只应担保 15,000.00 万元" in row["message"] and "反担保：未落实" in row["message"]


def test_guarantee_to_distressed_tests_the_guaranteed_party():
    flags = risk.evaluate_rules(_tables(guarantees=_guarantees_75()), _indicators({}), period=PERIOD)
    assert _fired(flags, "guarantee_to_distressed") == ["DISTRICT", "G01", "G01-01"]
    by = flags.loc[flags["rule_id"] == "guarantee_to_distressed"].set_index("entity_id")
    assert by.at["G01", "value"] == 400.0  # E2 only: E3's cash flow is positive
    assert "资不抵债" in by.at["G01", "message"] and "E3" not in by.at["G01", "message"]
    assert by.at["G01-01", "value"] == 300.0 and "连续亏损 4 年" in by.at["G01-01", "message"]
    # the guarantors themselves report no losses: the enterprise's own rule does not fire
    assert _fired(flags, "consecutive_losses") == []


def test_guarantee_to_a_roster_member_is_looked_up_in_its_own_report():
    fin = pd.DataFrame([_fin_row("G01-02", total_equity=-20.0)])
    g = pd.DataFrame([{"guarantee_id": "E6", "guarantor_id": "G01", "period": PERIOD, "beneficiary_name": "子企业",
                       "beneficiary_id": "G01-02", "relation": "全资子企业", "shareholding_pct": 100.0,
                       "guaranteed_debt": 100.0, "amount": 100.0}])
    flags = risk.evaluate_rules(_tables(financials=fin, guarantees=g), _indicators({}), period=PERIOD)
    assert _fired(flags, "guarantee_to_distressed") == ["DISTRICT", "G01"]
    assert "-20.00 万元" in flags.loc[(flags["rule_id"] == "guarantee_to_distressed") & (flags["entity_id"] == "G01"),
                                      "message"].item()


def test_guarantee_to_financial_subsidiary_and_the_list():
    flags = risk.evaluate_rules(_tables(guarantees=_guarantees_75()), _indicators({}), period=PERIOD)
    assert _fired(flags, "guarantee_financial_subsidiary") == ["DISTRICT", "G02"]
    listed = risk.key_supervision_list(flags).set_index("entity_id")
    assert set(listed.loc["G02", "rule_ids"].split(";")) == {"guarantee_above_share", "guarantee_financial_subsidiary"}
    assert list(listed.index) == ["G01", "G01-01", "G02"]


def test_blank_optional_items_give_intake_warnings():
    from guozi_analysis.intake.validate import check_optional_items

    df = pd.DataFrame([{"enterprise_id": "G01", "period": PERIOD, "capitalized_interest": np.nan,
                        "lease_liabilities": 1.0, "perpetual_bonds": 0.0, "operating_revenue": np.nan,
                        "state_capital_objective_increase": np.nan, "state_capital_objective_decrease": 0.0}])
    found = {(f.rule, f.column) for f in check_optional_items(df)}
    assert found == {("blank_counted_as_zero", "资本化利息支出"), ("blank_counted_as_zero", "国有资本客观增加因素"),
                     ("operating_revenue_missing", "营业收入")}
    assert all(f.severity == "警告" for f in check_optional_items(df))


def test_the_chapter_says_which_rules_list_an_enterprise_from_the_rules_themselves(tmp_path):
    text = (config.PARAMS_DIR / "risk_rules.yaml").read_text("utf-8")
    listed = risk_views.list_basis(rules=config.PARAMS_DIR / "risk_rules.yaml").data
    assert "资产负债率超过区级重点监管线（高于80%）" in listed and "已获利息倍数为负（低于0倍）" in listed
    assert "债务集中到期" not in listed  # a warning only, since the district did not list on it
    moved = tmp_path / "risk_rules.yaml"
    start = text.index("  - id: maturity_wall")
    block_end = text.index("\n  - id:", start + 5)
    block = text[start:block_end].replace("on_list: false", "on_list: true")
    moved.write_text(text[:start] + block + text[block_end:], "utf-8")
    assert "债务集中到期（高于40%）" in risk_views.list_basis(rules=moved).data


def test_maturities_on_two_scopes_are_reconciled_by_what_the_subsidiaries_owe(tmp_path):
    """Issue 25, 附录D: 文旅's 2023-03 maturities were 17.41 in the 集中到期 warning and 17.61 in the
    maturity table, its next 12 months 20.27 and 29.06, unexplained. The warning counts the group's
    own instruments (its largest month weighs most there), the table the whole tree.

    By hand: G01 itself owes 80 in 2023-03 and 20 in 2023-06 → own wall month 2023-03, share 80/100 = 80%;
    G01-01 owes 10 in 2023-03 and 90 in 2023-09 → tree 2023-03 = 90 of 200 = 45% < 80%, so the warning's
    scope is 本企业自身. Own: month 80, 12 months 100; tree: month 90, 12 months 200; the subsidiaries'
    share is 90 − 80 = 10 and 200 − 100 = 100 (G01-01's 10 + 90). D9 (2024-02) lies outside the 12 months.
    """
    debts = _debts([
        ("D1", "G01", 80.0, "2023-03-15"), ("D2", "G01", 20.0, "2023-06-15"),
        ("D3", "G01-01", 10.0, "2023-03-20"), ("D4", "G01-01", 90.0, "2023-09-20"),
        ("D9", "G01", 1000.0, "2024-02-01"),
    ])
    tables = _tables(debts=debts)
    frames = risk.shared_frames(tables, _indicators({}), period=PERIOD)
    scopes = frames["risk_maturity_scopes"]
    row = scopes.set_index("entity_id").loc["G01"]
    assert (row["wall_basis"], row["wall_month"]) == ("本企业自身", "2023-03")
    assert (row["month_own"], row["month_tree"], row["month_subsidiaries"]) == (80.0, 90.0, 10.0)
    assert (row["window_own"], row["window_tree"], row["window_subsidiaries"]) == (100.0, 200.0, 100.0)
    assert list(scopes["entity_id"]) == ["G01"]  # G01-01 has no subsidiaries; G02 no debts
    # the table's figures are the tree's: the profile's 2023-03 and its 12-month window
    prof = frames["risk_maturity_profile"]
    g01 = prof.loc[prof["entity_id"] == "G01"].set_index("month")["balance"]
    assert g01["2023-03"] == row["month_tree"] and g01.iloc[:12].sum() == row["window_tree"]
    # the note prints both scopes and a difference that adds up: 90 − 80 = 10, 200 − 100 = 100
    store = tmp_path / "processed"
    store.mkdir()
    scopes.to_parquet(store / "risk_maturity_scopes.parquet")
    frames["risk_flags"].to_parquet(store / "risk_flags.parquet")  # G01's wall (80% > 40%) is warned
    assert "G01" in set(frames["risk_flags"].query("rule_id == 'maturity_wall'")["entity_id"])
    text = risk_views.maturity_scope_note(SimpleNamespace(processed_dir=store)).data
    assert "含全部下属企业口径" in text
    assert ("滨江城投集团有限公司按本企业自身口径2023-03到期80.00万元、未来12个月到期合计100.00万元，"
            "按本表口径分别为90.00万元、200.00万元，差额10.00万元、100.00万元为其下属企业的到期融资") in text
