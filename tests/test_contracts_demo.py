"""Issue 17: `guozi contracts` on the demo lists exactly the generator's planted cases, with their reasons."""

from __future__ import annotations

import csv
import io

import yaml

from guozi_analysis.analyses.contracts import load_contract_rules
from guozi_analysis.base import config
from guozi_analysis.running.commands import contracts_command


def test_contracts_command_lists_exactly_the_planted_cases(demo_inbox):
    truth = yaml.safe_load((config.DEMO_DIR / "contract_ground_truth.yaml").read_text("utf-8"))["warnings"]
    names = {r.id: r.name_zh for r in load_contract_rules()[0].rules}
    assert {w["rule_id"] for w in truth} == set(names)  # a planted case for every rule
    text = contracts_command("2022-11")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == ["企业编码", "企业名称", "预警对象", "类别", "预警规则", "数值", "阈值", "预警等级", "信号灯",
                             "说明（数值、阈值、规则与依据）"]
    got = sorted((r["预警规则"], r["预警对象"], r["企业编码"]) for r in rows)
    assert got == sorted((names[w["rule_id"]], w["case_id"], w["enterprise_id"]) for w in truth)
    for r in rows:
        assert f"规则：{r['预警规则']}；依据：" in r["说明（数值、阈值、规则与依据）"]
        assert r["说明（数值、阈值、规则与依据）"].startswith(r["企业名称"] + "：")
    english = list(csv.DictReader(io.StringIO(contracts_command("2022-11", english=True).lstrip("\ufeff"))))
    assert sorted((r["rule_id"], r["case_id"]) for r in english) == sorted((w["rule_id"], w["case_id"]) for w in truth)
