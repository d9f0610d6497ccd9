"""Issue 17: the contract, transaction and inspection ledgers in the template and through intake."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).parent / "data" / "bad"))
import make_corpus as mc  # noqa: E402

from guozi_analysis.base import contract  # noqa: E402
from guozi_analysis.intake.ingestion import ingest, read_submission  # noqa: E402
from guozi_analysis.intake.template import write_submission, write_template  # noqa: E402

LEDGER_SHEETS = ["合同台账", "合同履约节点", "合同收付款计划", "收付款流水", "督查问题台账"]


def _contracts() -> pd.DataFrame:
    base = dict(period="2022-11", enterprise_id="G01", counterparty_credit_code=None, counterparty_related=False,
                counterparty_state_owned=False, contract_type="采购", direction="付款", original_amount=None,
                signed_date=pd.Timestamp("2022-01-10"), start_date=pd.Timestamp("2022-01-10"),
                end_date=pd.Timestamp("2023-01-10"), approval_route="总经理办公会", collective_decision=False)
    return pd.DataFrame([
        {**base, "contract_id": "HT-1", "contract_name": "设备采购合同", "counterparty_name": "甲公司", "amount": 100.0,
         "status": "履行中", "terminated_date": None},
        {**base, "contract_id": "HT-2", "contract_name": "咨询合同", "counterparty_name": "乙公司", "amount": 50.0,
         "status": "终止", "terminated_date": pd.Timestamp("2022-06-30")},
    ])


def _transactions() -> pd.DataFrame:
    rows = [  # row 3: fine; 4: unknown contract; 5: paid after termination; 6: negative amount
        ("LS1", "HT-1", "2022-03-01", 40.0), ("LS2", "HT-9", "2022-04-01", 10.0),
        ("LS3", "HT-2", "2022-07-15", 20.0), ("LS4", "HT-1", "2022-05-01", -5.0),
    ]
    return pd.DataFrame([dict(transaction_id=t, period="2022-11", enterprise_id="G01", contract_id=c,
                              transaction_date=pd.Timestamp(d), direction="付", amount=a, method="银行转账",
                              voucher_no=f"记-{t}", counterparty_name=None) for t, c, d, a in rows])


def _findings() -> pd.DataFrame:
    base = dict(period="2022-11", enterprise_id="G01", source="审计", category="合同管理", description="合同未备案",
                amount_involved=None, responsible_unit="法务部", status="整改中", closed_date=None,
                closure_evidence=None)
    return pd.DataFrame([  # row 3: fine; row 4: deadline before the date found
        {**base, "finding_id": "WT1", "found_date": pd.Timestamp("2022-05-01"), "deadline": pd.Timestamp("2022-08-01")},
        {**base, "finding_id": "WT2", "found_date": pd.Timestamp("2022-09-01"), "deadline": pd.Timestamp("2022-08-01")},
    ])


def test_template_has_the_ledger_sheets(tmp_path):
    path = write_template(tmp_path / "t.xlsx", period="2022-11", roster=mc.roster())
    names = load_workbook(path, read_only=True).sheetnames
    assert names[-5:] == LEDGER_SHEETS
    ws = load_workbook(path)["收付款流水"]
    assert [c.value for c in ws[1]] == [f.label_zh for f in contract.table("transactions").fields]
    assert {h.value: u.value for h, u in zip(ws[1], ws[2])}["金额"] == "单位：万元"


def test_a_template_without_the_ledger_sheets_is_not_an_error(tmp_path):
    path = write_template(tmp_path / "t.xlsx", period="2022-11", roster=mc.roster())
    wb = load_workbook(path)
    for name in LEDGER_SHEETS:
        del wb[name]
    wb.save(path)
    _, findings, _ = read_submission(path)
    assert not [f for f in findings if f.rule == "sheet_missing"]


def test_ingest_names_every_ledger_error_in_chinese(tmp_path):
    folder = tmp_path / "inbox" / "2022-11"
    path = write_submission(folder / "G01_台账.xlsx", {"contracts": _contracts(), "transactions": _transactions(),
                                                     "inspection_findings": _findings()})
    report = ingest([path], raw_store=tmp_path / "raw", processed_dir=tmp_path / "p", today=date(2022, 12, 9),
                    roster=mc.roster())
    errors = [(f.sheet, f.row, f.column, f.rule) for f in report.findings if f.is_error]
    assert sorted(errors) == sorted([
        ("收付款流水", 4, "合同编号", "transaction_contract_unknown"),
        ("收付款流水", 5, "收付款日期", "payment_after_termination"),
        ("收付款流水", 6, "金额", "negative_value"),
        ("督查问题台账", 4, "整改期限", "deadline_before_found"),
    ])
    by_rule = {f.rule: f for f in report.findings}
    unknown = by_rule["transaction_contract_unknown"]
    assert unknown.file == "G01_台账.xlsx" and unknown.value == "HT-9"
    assert "第 4 行「合同编号」“HT-9”不在合同台账中" in unknown.message
    late = by_rule["payment_after_termination"]
    assert "已于 2022-06-30 终止" in late.message and "2022-07-15 仍付款 20.00 万元" in late.message
    assert "第 6 行「金额」为 -5，不能为负数" in by_rule["negative_value"].message
    assert "整改期限 2022-08-01 早于发现日期 2022-09-01" in by_rule["deadline_before_found"].message
    # the good rows are in the store, the bad ones quarantined
    store = pd.read_parquet(tmp_path / "p" / "transactions.parquet")
    assert list(store["transaction_id"]) == ["LS1"]
    assert list(pd.read_parquet(tmp_path / "p" / "inspection_findings.parquet")["finding_id"]) == ["WT1"]
    assert len(pd.read_parquet(tmp_path / "p" / "contracts.parquet")) == 2


def test_ledger_tables_are_complete_and_documented():
    labels = [t.label_zh for t in contract.INTAKE_TABLES.values()]
    assert len(labels) == len(set(labels)) and [t.label_zh for t in contract.LEDGER_TABLES.values()] == LEDGER_SHEETS
    doc = contract.render_contract_markdown()
    for t in contract.LEDGER_TABLES.values():
        names = t.field_names
        assert len(names) == len(set(names)) and all(t.field(k).required for k in t.key) and "period" in t.key
        assert "enterprise_id" in names  # the submission unit (enterprise × period) of intake
        assert len(set(contract.labels_zh(t.name).values())) == len(names)
        assert f"`{t.name}`" in doc and all(f"`{f}`" in doc for f in names)
    assert contract.table("contracts").field("status").vocabulary == ("拟签", "履行中", "变更", "终止", "完成", "纠纷")
    assert contract.table("inspection_findings").field("source").vocabulary == (
        "国资前哨督查", "审计", "巡察", "纪检", "日常监管")
