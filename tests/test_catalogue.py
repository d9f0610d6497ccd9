"""Catalogue tests: the bundled YAML, its validation and its 1:1 match with the engine."""

from pathlib import Path

import pytest
import yaml

from guozi_analysis.indicators.catalogue import (
    AGGREGATIONS,
    BASES,
    DIRECTIONS,
    UNITS,
    catalogue_frame,
    default_path,
    load_catalogue,
    parse_catalogue,
)
from guozi_analysis.indicators.formulas import REGISTRY, inputs_of


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(default_path().read_text("utf-8"))


def test_exactly_69_enabled_over_six_tables():
    # the district's 64, plus 流动比率 (current_ratio) and 国有资本保值增值率（预计） from issue 19, and
    # 存量资产盘活率 (issue 25: 盘资产 scores what was revitalised; 不适用 without idle assets)
    # and 营业成本、三项费用 (issue 26: the 月度通报 gives their 同比 next to revenue; weight 0, not ranked)
    cat = load_catalogue()
    assert len(cat.enabled()) == 69
    assert [t.name_zh for t in sorted(cat.tables, key=lambda t: t.order)] == \
        ["争突破", "扩投资", "稳增长", "盘资产", "保民生", "稳金融"]
    per_table = {t.id: sum(1 for s in cat.enabled() if s.table == t.id) for t in cat.tables}
    assert all(n > 0 for n in per_table.values())
    assert sum(per_table.values()) == 69


def test_catalogue_and_registry_are_one_to_one():
    cat = load_catalogue()
    assert set(cat.ids) <= set(REGISTRY)
    assert {s.id for s in cat.indicators} == set(REGISTRY)
    for spec in cat.indicators:
        assert list(spec.inputs) == inputs_of(REGISTRY[spec.id]), spec.id


def test_required_indicators_present():
    ids = set(load_catalogue().ids)
    one_profit_five_rates = {"total_profit", "debt_to_asset_ratio", "roe", "operating_cash_ratio", "rd_intensity",
                             "labour_productivity"}
    performance = {"roa", "cost_profit_margin", "cash_earnings_coverage", "total_asset_turnover",
                   "receivables_turnover", "current_asset_turnover", "two_funds_ratio", "interest_coverage",
                   "quick_ratio", "cash_current_liabilities_ratio", "interest_bearing_debt_ratio", "revenue_growth",
                   "state_capital_preservation_ratio"}
    assert one_profit_five_rates | performance <= ids


def test_vocabularies_and_sources():
    cat = load_catalogue()
    for spec in cat.indicators:
        assert spec.unit in UNITS and spec.direction in DIRECTIONS
        assert spec.basis in BASES and spec.aggregation in AGGREGATIONS
        assert spec.source and spec.formula and spec.name_zh
    labour = cat.get("labour_productivity")
    assert "净利润" in labour.formula and "投资收益" in labour.formula and "快报" in labour.source
    assert cat.get("quick_ratio").band == (80.0, 200.0)


def test_catalogue_frame_columns():
    frame = catalogue_frame()
    assert list(frame.columns[:9]) == ["id", "table", "name_zh", "name_en", "unit", "direction", "basis",
                                       "aggregation", "source"]
    assert len(frame) == 69 and frame["id"].is_unique
    assert len(catalogue_frame(include_disabled=True)) == len(REGISTRY)


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def test_district_can_rename_reweight_and_drop(raw, tmp_path):
    data = yaml.safe_load(yaml.safe_dump(raw))
    data["indicators"][0]["name_zh"] = "利润总额（本区）"
    data["indicators"][1]["weight"] = 3
    data["indicators"][2]["enabled"] = False
    cat = load_catalogue(_write(tmp_path, data))
    assert len(cat.enabled()) == 68  # 69 − the one dropped (营业成本、三项费用 added, issue 26)
    assert cat.get(data["indicators"][0]["id"]).name_zh == "利润总额（本区）"
    assert cat.get(data["indicators"][1]["id"]).weight == 3.0


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["indicators"].append(dict(d["indicators"][0])), "指标编号重复"),
    (lambda d: d["indicators"][0].update(table="nowhere"), "报表"),
    (lambda d: d["indicators"][0].update(unit="亿元"), "单位"),
    (lambda d: d["indicators"][0].update(direction="up"), "方向"),
    (lambda d: d["indicators"][0].update(basis="weird"), "口径"),
    (lambda d: d["indicators"][0].update(aggregation="mean"), "汇总方式"),
    (lambda d: d["indicators"][0].update(id="TotalProfit"), "英文小写"),
    (lambda d: d["indicators"][0].pop("source"), "缺少字段"),
    (lambda d: d["indicators"][0].update(direction="band"), "band"),
    (lambda d: d["indicators"][0].update(weight=-1), "权重"),
    (lambda d: d.pop("tables"), "tables"),
])
def test_invalid_catalogue_raises_chinese_error(raw, mutate, message):
    data = yaml.safe_load(yaml.safe_dump(raw))
    mutate(data)
    with pytest.raises(ValueError, match=f"^指标目录错误.*{message}"):
        parse_catalogue(data)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="找不到指标目录"):
        load_catalogue(tmp_path / "none.yaml")
