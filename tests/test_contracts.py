"""Issue 17: contract life, money against contracts and the inspection loop, on hand-worked ledgers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guozi_analysis.analyses import contracts as C

T = pd.Timestamp
P = "2022-11"  # as-of date 2022-11-30


def _roster() -> pd.DataFrame:
    return pd.DataFrame({"enterprise_id": ["E1", "E2"], "name": ["甲企业", "乙企业"], "short_name": ["甲", "乙"],
                         "parent_id": [None, None], "level": [1, 1], "industry_class": ["非工业", "非工业"],
                         "function_class": ["竞争类", "竞争类"], "shareholding_pct": [100.0, 100.0],
                         "is_group": [True, True]})


def _contract(cid, eid, cp, amount, signed, *, direction="付款", status="履行中", original=None, end="2023-12-31",
              related=False, collective=False):
    return dict(contract_id=cid, period=P, enterprise_id=eid, contract_name=f"合同{cid}", counterparty_name=cp,
                counterparty_credit_code=None, counterparty_related=related, counterparty_state_owned=False,
                contract_type="采购" if direction == "付款" else "销售", direction=direction, amount=amount,
                original_amount=original, signed_date=T(signed), start_date=T(signed), end_date=T(end),
                approval_route="总经理办公会", collective_decision=collective, status=status, terminated_date=None)


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    contracts = pd.DataFrame([
        _contract("C1", "E1", "甲供应商", 100.0, "2022-01-01"),
        _contract("C2", "E2", "乙客户", 200.0, "2022-01-01", direction="收款", original=160.0, end="2022-09-30"),
        _contract("S1", "E1", "丙公司", 200.0, "2022-01-01"),
        _contract("S2", "E1", "丙公司", 250.0, "2022-03-01"),
        _contract("S3", "E1", "丙公司", 100.0, "2022-06-15"),
        _contract("R1", "E1", "关联公司", 350.0, "2022-02-01", related=True),
    ])
    plan = pd.DataFrame([dict(contract_id="C1", installment_no=k, period=P, enterprise_id="E1", due_date=T(d),
                              planned_amount=a, milestone_no=None)
                         for k, d, a in ((1, "2022-03-31", 40.0), (2, "2022-08-31", 30.0), (3, "2023-01-31", 30.0))])
    trx = pd.DataFrame([dict(transaction_id=t, period=P, enterprise_id=e, contract_id=c, transaction_date=T(d),
                             direction=di, amount=a, method="银行转账", voucher_no=t, counterparty_name=None)
                        for t, e, c, d, di, a in (
                            ("T1", "E1", "C1", "2022-04-10", "付", 25.0), ("T2", "E1", "C1", "2022-09-10", "付", 10.0),
                            ("T3", "E1", "C1", "2022-09-11", "收", 5.0),  # a refund: not a payment on C1
                            ("T4", "E2", "C2", "2022-05-01", "收", 230.0),  # 115 % of C2
                            ("T5", "E2", None, "2022-10-01", "付", 8.0), ("T6", "E2", None, "2022-10-02", "付", 2.0),
                            ("T7", "E2", "C2", "2022-12-05", "收", 50.0))])  # after the as-of date: not counted
    ms = pd.DataFrame([dict(contract_id="C1", milestone_no=k, period=P, enterprise_id="E1", milestone_name=n,
                            planned_date=T(d), actual_date=None if a is None else T(a))
                       for k, n, d, a in ((1, "交货", "2022-03-01", "2022-03-05"), (2, "验收", "2022-10-01", None),
                                          (3, "质保", "2023-03-01", None))])
    base = dict(period=P, enterprise_id="E1", description="示例", amount_involved=None, responsible_unit="财务部",
                closed_date=None, closure_evidence=None)
    findings = pd.DataFrame([
        {**base, "finding_id": "F1", "source": "审计", "category": "合同管理", "found_date": T("2022-05-01"),
         "deadline": T("2022-08-01"), "status": "整改中"},
        {**base, "finding_id": "F2", "source": "审计", "category": "合同管理", "found_date": T("2022-09-01"),
         "deadline": T("2022-12-31"), "status": "未整改"},
        {**base, "finding_id": "F3", "source": "巡察", "category": "资金管理", "found_date": T("2022-03-01"),
         "deadline": T("2022-06-01"), "status": "已销号", "closed_date": T("2022-05-20"), "closure_evidence": "报告"},
    ])
    return {"roster": _roster(), "contracts": contracts, "contract_payment_plan": plan, "transactions": trx,
            "contract_milestones": ms, "inspection_findings": findings}


def test_contract_life_against_plan_and_milestones(tables):
    life = C.contract_life(tables, period=P).set_index("contract_id")
    c1 = life.loc["C1"]
    assert c1["planned_to_date"] == 70.0 and c1["settled"] == 35.0 and c1["gap"] == 35.0  # 40 + 30 due; 25 + 10 paid
    assert c1["settled_share"] == pytest.approx(35.0)
    assert (c1["milestones_due"], c1["milestones_done"], c1["milestones_late"]) == (2, 1, 1)
    c2 = life.loc["C2"]
    assert c2["settled"] == 230.0 and c2["settled_share"] == pytest.approx(115.0)
    assert c2["days_past_end"] == 61  # 2022-09-30 → 2022-11-30, still 履行中
    assert np.isnan(life.loc["C1", "days_past_end"])


def test_overdue_installments_first_due_first_paid_with_ageing(tables):
    od = C.overdue_installments(tables, period=P)
    # 35 paid: installment 1 (40) short by 5, installment 2 (30) unpaid; installment 3 not yet due
    assert list(zip(od["installment_no"], od["unpaid"], od["days_overdue"], od["bucket"])) == [
        (1, 5.0, 244, "181—365天"), (2, 30.0, 91, "91—180天")]
    ageing = C.ageing_table(od)
    assert ageing.loc["应付逾期", "181—365天"] == 5.0 and ageing.loc["应付逾期", "91—180天"] == 30.0
    assert ageing.loc["应收逾期"].sum() == 0.0
    assert list(ageing.columns) == ["≤30天", "31—90天", "91—180天", "181—365天", ">365天"]


def test_split_contracts_within_the_window(tables):
    con = tables["contracts"]
    assert C.split_contracts(con, threshold=500.0, window_days=90).empty  # 200 + 250 = 450 < 500
    s = C.split_contracts(con, threshold=500.0, window_days=180)
    assert list(s["case_id"]) == ["S1、S2、S3"] and s["total"].iloc[0] == 550.0 and s["n_contracts"].iloc[0] == 3


def test_concentration_and_related_share(tables):
    conc = C.counterparty_concentration(tables["contracts"]).set_index("enterprise_id")
    # E1: C1 100 + 丙 550 + 关联 350 = 1000
    assert conc.loc["E1", "total"] == 1000.0
    assert conc.loc["E1", "top_counterparty"] == "丙公司" and conc.loc["E1", "top_share"] == pytest.approx(55.0)
    assert conc.loc["E1", "related_share"] == pytest.approx(35.0)


def test_inspection_loop(tables):
    st = C.finding_status(tables, period=P).set_index("finding_id")
    assert st.loc["F1", "days_overdue"] == 121 and st.loc["F1", "age_days"] == 213
    assert np.isnan(st.loc["F2", "days_overdue"]) and st.loc["F2", "age_days"] == 90
    closure = C.closure_rate_by_source(st.reset_index()).set_index("source")
    assert list(closure.loc["审计", ["findings", "closed", "open", "overdue"]]) == [2, 0, 2, 1]
    assert closure.loc["审计", "closure_rate"] == 0.0 and closure.loc["巡察", "closure_rate"] == 100.0
    assert closure.loc["合计", "closure_rate"] == pytest.approx(100 / 3)
    by_age = C.open_findings_by_age(st.reset_index())
    assert by_age.loc["E1", "31—90天"] == 1 and by_age.loc["E1", "181—365天"] == 1 and by_age.loc["E1", "合计"] == 2
    rep = C.repeat_findings(st.reset_index())
    assert list(zip(rep["enterprise_id"], rep["category"], rep["n_findings"], rep["case_id"])) == [
        ("E1", "合同管理", 2, "F1、F2")]


def test_warnings_through_the_risk_engine(tables):
    w = C.contract_warnings(tables, period=P)
    got = {(r, c): v for r, c, v in zip(w["rule_id"], w["case_id"], w["value"])}
    assert got == pytest.approx({
        ("contract_payment_overdue", "C1"): 244.0,
        ("contract_expired_open", "C2"): 61.0,
        ("contract_milestone_overdue", "C1#2"): 60.0,
        ("contract_amendment_increase", "C2"): 25.0,
        ("counterparty_concentration", "E1"): 55.0,
        ("related_party_share", "E1"): 35.0,
        ("transaction_without_contract", "T5"): 8.0,  # T6 (2 万元) is under the 5 万元 line
        ("transaction_over_contract", "C2"): 115.0,
        ("finding_rectification_overdue", "F1"): 121.0,
        ("finding_repeat", "F1、F2"): 2.0,
    })
    row = w.set_index("case_id").loc["C1"]
    assert row["threshold"] == 30.0 and row["light"] == "黄" and row["severity"] == "预警" and not row["on_list"]
    assert row["message"].startswith("甲企业：合同「合同C1」（相对方甲供应商）到期未付 2 期共 35.00 万元，"
                                     "最早一期已逾期 244 天，超过 30 天。规则：合同应付款逾期未付；依据：")
    listed = C.shared_frames(tables, period=P)["contract_list"]
    assert listed.empty  # default: no contract rule lists an enterprise for key supervision


def test_the_district_decides_which_rules_list_an_enterprise(tables):
    import yaml

    from guozi_analysis.base.config import PARAMS_DIR
    data = yaml.safe_load((PARAMS_DIR / "contract_rules.yaml").read_text("utf-8"))
    for rule in data["rules"]:
        rule["on_list"] = rule["id"] == "finding_rectification_overdue"
        if rule["id"] == "contract_split_below_threshold":
            rule["params"]["window_days"] = 180
    w = C.contract_warnings(tables, period=P, rules=data)
    assert ("contract_split_below_threshold", "S1、S2、S3") in set(zip(w["rule_id"], w["case_id"]))
    from guozi_analysis.analyses.risk import key_supervision_list
    listed = key_supervision_list(w[C.WARNING_COLUMNS[:-1]])
    assert list(listed["entity_id"]) == ["E1"] and listed["rule_ids"].iloc[0] == "finding_rectification_overdue"


def test_no_ledgers_no_warnings():
    assert C.contract_warnings({"roster": _roster()}, period=P).empty
    summary = C.contract_summary({"roster": _roster()}, C.contract_warnings({"roster": _roster()}, period=P), period=P)
    assert summary["value"].isna().all() and len(summary) == len(C.SUMMARY_ITEMS)


def test_views_show_names_chinese_headers_and_no_missing_marks(tables, tmp_path):
    import re

    from guozi_analysis.publishing import views
    from guozi_analysis.publishing.views import contracts as V

    for name, frame in C.shared_frames(tables, period=P).items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    tables["roster"].to_parquet(tmp_path / "table_roster.parquet")
    pd.DataFrame({"entity_id": ["DISTRICT"], "period": [P]}).to_parquet(tmp_path / "indicators.parquet")
    ctx = views.open_context(period=P, entity_id="DISTRICT", processed_dir=str(tmp_path))
    ids = {"E1", "E2", "C1", "C2", "S1", "S2", "S3", "R1", "F1", "F2", "F3", "T5"}
    shown = [V.coverage_table(ctx), V.warnings_table(ctx), V.ageing_table(ctx), V.lagging_contracts_table(ctx),
             V.concentration_table(ctx), V.closure_table(ctx), V.open_findings_table(ctx)]
    for table in shown:
        headers = [*table.columns, table.index.name]
        assert all(h and not re.search(r"[A-Za-z]", str(h)) for h in headers), headers
        cells = {str(v) for v in table.to_numpy().ravel()} | {str(v) for v in table.index}
        assert not cells & ids and not cells & {"nan", "NaN", "None", "<NA>"}
    assert V.open_findings_table(ctx).index[0] == "甲企业"
    assert V.coverage_table(ctx).loc["跟踪合同份数", "数值"] == "6"
    assert V.closure_table(ctx).loc["合计", "整改完成率（%）"] == "33.3"


def test_contract_sheet_for_the_monthly_workbook(tables):
    from openpyxl import Workbook

    from guozi_analysis.publishing.workbooks import write_contract_sheet

    wb = Workbook()
    ws = write_contract_sheet(wb, C.contract_warnings(tables, period=P), period=P)
    assert ws.title == "合同与督查预警" and ws["A1"].value.startswith("合同与督查整改预警（2022-11，数据截至2022年11月30日")
    assert [c.value for c in ws[4]] == ["企业名称", "类别", "预警规则", "数值", "阈值", "预警等级", "信号灯",
                                        "说明（数值、阈值、规则与依据）"]
    first = [c.value for c in ws[5]]
    assert first[:7] == ["甲企业", "合同履约", "合同应付款逾期未付", "244 天", "30 天", "预警", "黄"]
    assert ws.max_row == 4 + 10


def test_a_district_without_ledgers_gets_empty_tables_not_errors(tmp_path):
    from guozi_analysis.publishing import views
    from guozi_analysis.publishing.views import contracts as V

    tables = {"roster": _roster()}
    for name, frame in C.shared_frames(tables, period=P).items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    tables["roster"].to_parquet(tmp_path / "table_roster.parquet")
    pd.DataFrame({"entity_id": ["DISTRICT"], "period": [P]}).to_parquet(tmp_path / "indicators.parquet")
    ctx = views.open_context(period=P, entity_id="DISTRICT", processed_dir=str(tmp_path))
    assert set(V.coverage_table(ctx)["数值"]) == {"—"}
    for view in (V.warnings_table, V.lagging_contracts_table, V.concentration_table, V.closure_table,
                 V.open_findings_table):
        assert view(ctx).empty
