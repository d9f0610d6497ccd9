"""The data contract: completeness, labels, generated documentation."""

from __future__ import annotations

import pytest

from guozi_analysis.base.config import DOCS_DIR
from guozi_analysis.base.contract import (
    DTYPES,
    FREQUENCIES,
    TABLES,
    header_to_field,
    labels_zh,
    money_fields,
    pandera_schema,
    render_contract_markdown,
    table,
)

EXPECTED = {
    "roster", "financials", "projects", "equity_investments", "funds", "listings", "debts", "credit_lines",
    "ratings", "guarantees", "idle_assets", "reforms", "livelihood", "targets",
    "key_tasks",  # 重点工作任务台账 (issue 19: the 2023 plan's non-financial targets)
}


def test_all_fifteen_tables_present():
    assert set(TABLES) == EXPECTED
    assert len({t.label_zh for t in TABLES.values()}) == 15  # sheet names unique
    assert list(TABLES)[-1] == "key_tasks"  # the ledger block is kept last


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_table_is_complete(name):
    t = table(name)
    names = t.field_names
    assert len(names) == len(set(names)), "field names unique"
    assert t.key and all(k in names for k in t.key), "key fields exist"
    assert all(t.field(k).required for k in t.key), "key fields required"
    labels = list(labels_zh(name).values())
    assert len(labels) == len(set(labels)), "Chinese headers unique"
    assert t.frequency in FREQUENCIES
    for f in t.fields:
        assert f.dtype in DTYPES
        assert f.label_zh and f.name.isascii()
        if f.vocabulary:
            assert f.dtype == "str" and len(set(f.vocabulary)) == len(f.vocabulary)
    if t.frequency in ("monthly", "half_monthly"):
        assert "period" in t.key


def test_header_mapping_is_inverse_of_labels():
    for name in TABLES:
        assert {v: k for k, v in labels_zh(name).items()} == header_to_field(name)


def test_contract_fields_named_in_brief():
    fin = table("financials").field_names
    for f in ("total_assets", "total_liabilities", "total_equity", "revenue", "total_profit", "net_profit",
              "interest_expense", "headcount_avg", "state_capital_objective_increase", "taxes_paid"):
        assert f in fin
    assert header_to_field("financials")["营业总收入"] == "revenue"
    assert table("guarantees").field("relation").vocabulary == ("全资子企业", "控股子企业", "参股企业", "非关联企业")
    assert "balance" in money_fields("debts") and "annual_rate" not in money_fields("debts")


def test_unknown_table_message_is_chinese():
    with pytest.raises(KeyError, match="数据契约中没有表"):
        table("nope")


def test_committed_contract_doc_is_generated():
    text = render_contract_markdown()
    for t in TABLES.values():
        assert f"`{t.name}`" in text and t.label_zh in text
        for f in t.fields:
            assert f"`{f.name}`" in text
    assert (DOCS_DIR / "data-contract.md").read_text(encoding="utf-8") == text


def test_pandera_schema_checks_vocabulary():
    import pandas as pd
    import pandera.errors

    schema = pandera_schema("listings")
    good = pd.DataFrame({"item_id": ["SS01"], "enterprise_id": ["G03"], "period": ["2022-11"],
                         "company_name": ["甲公司"], "stage": ["报辅"], "is_out_of_province": [True],
                         "invest_mode": ["直接"]})
    schema.validate(good)
    with pytest.raises(pandera.errors.SchemaError):
        schema.validate(good.assign(stage=["上天"]))
