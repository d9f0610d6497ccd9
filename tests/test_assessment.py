"""Annual assessment (经营业绩考核): scheme machinery, scoring rules, demo run, targets (hand-computed)."""

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from guozi_analysis.analyses import assessment as A
from guozi_analysis.publishing import workbooks
from guozi_analysis.publishing.views import assessment as assessment_views
from guozi_analysis.running import commands

ROE_STD = {"优秀": 15.0, "良好": 9.5, "平均": 1.7, "较低": -5.0, "较差": -10.0}
DEBT_STD = {"优秀": 48.0, "良好": 53.0, "平均": 58.0, "较低": 68.0, "较差": 83.0}


def _roster():
    return pd.DataFrame({
        "enterprise_id": ["G01", "G01-01", "G02", "G03"],
        "name": ["甲城投集团有限公司", "甲城投置业有限公司", "乙交投集团有限公司", "丙更新公司"],
        "short_name": ["甲城投集团", "甲城投置业", "乙交投集团", "丙更新公司"],
        "parent_id": [None, "G01", None, None],
        "level": [1, 2, 1, 1],
        "industry_class": ["工业", "非工业", "非工业", "非工业"],
        "function_class": ["竞争类", "功能类", "功能类", "功能类"],
        "shareholding_pct": [100.0, 100.0, 100.0, 100.0],
        "is_group": [True, False, True, True],
    })


def _scheme(**extra):
    """ROE (efficacy) 20/40 points and total profit (target) 80/60 points by function class."""
    scheme = {
        "year": 2030,
        "enterprises": [{"enterprise_id": "G01"}, {"enterprise_id": "G02"}],
        "indicators": [
            {"id": "roe", "method": "efficacy", "standards": dict(ROE_STD),
             "weights": {"竞争类": 20, "功能类": 40}},
            {"id": "total_profit", "method": "target", "weights": {"竞争类": 80, "功能类": 60}},
        ],
        "targets": {"G01": {"total_profit": 100.0}, "G02": {"total_profit": 100.0}},
    }
    scheme.update(extra)
    return scheme


def _values(rows):
    return pd.DataFrame(rows, columns=["entity_id", "indicator_id", "value"])


SAME_VALUES = _values([("G01", "roe", 8.0), ("G01", "total_profit", 100.0),
                       ("G02", "roe", 8.0), ("G02", "total_profit", 100.0)])


def _points(sheet, eid, item):
    return float(sheet.loc[(sheet["enterprise_id"] == eid) & (sheet["item_id"] == item), "points"].iloc[0])


# ---------------------------------------------------------------------------------------------
# the published efficacy example, through the scheme
# ---------------------------------------------------------------------------------------------
def test_published_efficacy_example_through_scheme():
    # 20×0.6 = 12; (8−1.7)/(9.5−1.7) × 20×(0.8−0.6) = 3.23 → 15.23; profit on target → 80
    sheet = A.score_sheet(SAME_VALUES, scheme=_scheme(), roster=_roster())
    assert _points(sheet, "G01", "roe") == 15.23
    assert _points(sheet, "G01", "total_profit") == 80.0
    row = sheet.loc[(sheet["enterprise_id"] == "G01") & (sheet["item_id"] == "roe")].iloc[0]
    assert "12.00" in row["workings"] and "3.23" in row["workings"] and "15.23" in row["workings"]
    ranking = A.rank(sheet, scheme=_scheme(), roster=_roster())
    g01 = ranking.set_index("enterprise_id").loc["G01"]
    assert g01["total_score"] == 95.23 and g01["grade"] == "A"


def test_efficacy_standards_from_the_table_by_industry():
    table = pd.DataFrame([
        {"industry": "工业", "indicator_id": "roe", **ROE_STD, "source": "测试"},
        {"industry": "全行业", "indicator_id": "roe", "优秀": 20.0, "良好": 16.0, "平均": 12.0, "较低": 8.0,
         "较差": 4.0, "source": "测试"},
    ])
    scheme = _scheme()
    del scheme["indicators"][0]["standards"]
    sheet = A.score_sheet(SAME_VALUES, scheme=scheme, roster=_roster(), standards=table)
    assert _points(sheet, "G01", "roe") == 15.23  # 工业 row
    # G02 is 非工业 → falls back to 全行业: 8 is exactly 较低 → 40×0.4 = 16
    assert _points(sheet, "G02", "roe") == 16.0
    src = sheet.loc[(sheet["enterprise_id"] == "G02") & (sheet["item_id"] == "roe"), "standards_source"].iloc[0]
    assert "全行业" in src


def _std(industry, size, base):
    return {"industry": industry, "size_class": size, "indicator_id": "roe", "优秀": base, "良好": base - 1,
            "平均": base - 2, "较低": base - 3, "较差": base - 4, "source": "测试"}


SIZED = pd.DataFrame([_std("工业", "大型", 50.0), _std("工业", "全部", 40.0), _std("全行业", "中型", 30.0),
                      _std("全行业", "全部", 20.0)])


@pytest.mark.parametrize("industry, size, expected, label", [
    ("工业", "大型", 50.0, "工业·大型（测试）"),                     # exact
    ("工业", "小型", 40.0, "工业·小型无标准值，取工业（测试）"),         # the industry as a whole
    ("非工业", "中型", 30.0, "非工业·中型无标准值，取全行业·中型（测试）"),  # 全行业 of the same size
    ("非工业", "大型", 20.0, "非工业·大型无标准值，取全行业（测试）"),      # 全行业 as a whole
    ("工业", None, 40.0, "工业（测试）"),                             # size unknown → the industry row
])
def test_standards_lookup_by_industry_and_size_with_fallback(industry, size, expected, label):
    values, source = A.lookup_standards(SIZED, indicator_id="roe", industry=industry, size_class=size)
    assert values["优秀"] == expected and source == label
    assert A.lookup_standards(SIZED, indicator_id="debt_to_asset_ratio", industry="工业")[0] is None


def test_bundled_standards_lookup_falls_back_to_the_whole_industry():
    std = A.load_standards()
    big, src = A.lookup_standards(std, indicator_id="roe", industry="工业", size_class="大型")
    assert src == "工业·大型（示范数值，非国资委公布的标准值）"
    other, src = A.lookup_standards(std, indicator_id="roe", industry="科研设计", size_class="大型")
    assert src.startswith("科研设计·大型无标准值，取科研设计（")
    row = std.loc[(std["industry"] == "科研设计") & (std["size_class"] == "全部") & (std["indicator_id"] == "roe")]
    assert other["优秀"] == float(row["优秀"].iloc[0])


@pytest.mark.parametrize("industry, headcount, revenue, size", [
    ("工业", 1000, 40000, "大型"), ("工业", 1000, 39999, "中型"),   # both thresholds must be met
    ("工业", 999, 90000, "中型"), ("工业", 300, 2000, "中型"), ("工业", 299, 90000, "小型"),
    ("非工业", 300, 0, "大型"), ("非工业", 299, 0, "中型"), ("非工业", 99, 0, "小型"),
    ("科研设计", 300, 0, "大型"),                                  # not listed → 全行业
    ("工业", float("nan"), 50000, "全部"),                          # missing figure → the whole industry
])
def test_size_class_by_headcount_and_revenue(industry, headcount, revenue, size):
    assert A.size_class_for(industry, headcount=headcount, revenue=revenue) == size


def test_size_class_picks_the_sized_standards_in_the_sheet():
    scheme = _scheme(enterprises=[{"enterprise_id": "G01", "size_class": "大型"}, {"enterprise_id": "G02"}])
    del scheme["indicators"][0]["standards"]
    sheet = A.score_sheet(SAME_VALUES, scheme=scheme, roster=_roster(), standards=SIZED)
    src = sheet.set_index(["enterprise_id", "item_id"])["standards_source"]
    assert src[("G01", "roe")] == "工业·大型（测试）"
    assert src[("G02", "roe")] == "非工业无标准值，取全行业（测试）"


# ---------------------------------------------------------------------------------------------
# grades
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("score, grade", [
    (100.0, "A"), (90.0, "A"), (89.995, "A"), (89.99, "B"), (80.0, "B"), (79.99, "C"), (70.0, "C"),
    (69.99, "D"), (40.0, "D"), (0.0, "D"), (-3.0, "D"),
])
def test_grade_bands_at_their_edges(score, grade):
    # default A ≥ 90, B ≥ 80, C ≥ 70, D below (the district's own bands)
    assert A.grade_for(score) == grade


def test_bundled_schemes_use_the_four_district_bands():
    for year in (2021, 2022):
        bands = A.load_scheme(year)["grade_bands"]
        assert [(b["grade"], b["min"]) for b in bands] == [("A", 90), ("B", 80), ("C", 70), ("D", None)]
        assert A.grade_for(90, bands) == "A" and A.grade_for(79.99, bands) == "C" and A.grade_for(69.99, bands) == "D"


def test_grade_of_nan_and_custom_bands():
    assert A.grade_for(float("nan")) is None
    bands = [{"grade": "优", "min": 90}, {"grade": "良", "min": 75}, {"grade": "一般", "min": None}]
    assert A.grade_for(90, bands) == "优" and A.grade_for(89.99, bands) == "良" and A.grade_for(10, bands) == "一般"


# ---------------------------------------------------------------------------------------------
# target-completion rule: deduction, cap, floor, lower-is-better
# ---------------------------------------------------------------------------------------------
def test_deduction_one_point_per_two_percent():
    points, text = A.target_points(95.0, 100.0, 30.0)  # 5 % short → 2.5 points
    assert points == 27.5
    assert "完成率 95.00%" in text and "扣 2.50 分" in text


def test_deduction_floored_at_zero():
    assert A.target_points(40.0, 100.0, 30.0)[0] == 0.0  # 60 % short → 30 points → 0
    assert A.target_points(10.0, 100.0, 30.0)[0] == 0.0  # would be −15


def test_over_achievement_capped_at_110_percent_of_weight():
    assert A.target_points(104.0, 100.0, 30.0)[0] == 32.0  # +4 % → +2
    points, text = A.target_points(130.0, 100.0, 30.0)  # +15 → capped at 33
    assert points == 33.0 and "封顶" in text


def test_whole_steps_and_proportional_rules():
    assert A.target_points(95.0, 100.0, 30.0, rule={"whole_steps": True})[0] == 28.0  # 2 whole steps
    assert A.target_points(90.0, 100.0, 20.0, rule={"kind": "proportional"})[0] == 18.0
    assert A.target_points(200.0, 100.0, 20.0, rule={"kind": "proportional"})[0] == 22.0


def test_negative_target_uses_its_absolute_value():
    # loss target −100, actual −50: 50 % better than target → +25 → capped at 11
    assert A.target_points(-50.0, -100.0, 10.0)[0] == 11.0
    assert A.target_points(-104.0, -100.0, 10.0)[0] == 8.0  # 4 % worse → −2


def test_missing_value_or_target_is_nan_not_zero():
    assert math.isnan(A.target_points(float("nan"), 100.0, 10.0)[0])
    assert math.isnan(A.target_points(100.0, float("nan"), 10.0)[0])
    assert math.isnan(A.efficacy_points(float("nan"), ROE_STD, 10.0)[0])


def test_lower_is_better_indicator_efficacy_and_target():
    # efficacy: 60 between 平均 58 and 较低 68: 12×0.4 + (68−60)/(68−58)×12×0.2 = 4.8 + 1.92
    points, text = A.efficacy_points(60.0, DEBT_STD, 12.0, direction="lower_better", unit="%")
    assert points == 6.72 and "较低值 68.00" in text
    rule = {"gap_basis": "absolute", "shortfall_step": 1, "shortfall_points": 1, "excess_step": 1,
            "excess_points": 0.5}
    # target ≤ 65 %: 60 % is 5 pp better → 10 + 2.5 capped at 11; 68 % is 3 pp worse → 7
    assert A.target_points(60.0, 65.0, 10.0, direction="lower_better", rule=rule, unit="%")[0] == 11.0
    points, text = A.target_points(68.0, 65.0, 10.0, direction="lower_better", rule=rule, unit="%")
    assert points == 7.0 and "高于目标 3.00个百分点" in text


def test_lower_is_better_through_the_scheme():
    scheme = _scheme(indicators=[
        {"id": "debt_to_asset_ratio", "method": "efficacy", "standards": dict(DEBT_STD),
         "weights": {"竞争类": 12, "功能类": 12}},
        {"id": "total_profit", "method": "target", "weights": {"竞争类": 88, "功能类": 88}},
    ])
    values = _values([("G01", "debt_to_asset_ratio", 60.0), ("G01", "total_profit", 100.0),
                      ("G02", "debt_to_asset_ratio", 45.0), ("G02", "total_profit", 100.0)])
    sheet = A.score_sheet(values, scheme=scheme, roster=_roster())
    assert _points(sheet, "G01", "debt_to_asset_ratio") == 6.72
    assert _points(sheet, "G02", "debt_to_asset_ratio") == 12.0  # better than 优秀 48


# ---------------------------------------------------------------------------------------------
# weights by function class
# ---------------------------------------------------------------------------------------------
def test_function_class_changes_the_weights():
    sheet = A.score_sheet(SAME_VALUES, scheme=_scheme(), roster=_roster())
    # same ROE 8 % and same completion, but G02 (功能类) has ROE weight 40:
    # 40×0.6 + 0.8077 × 40 × 0.2 = 24 + 6.46 = 30.46; profit 60
    assert _points(sheet, "G02", "roe") == 30.46
    assert _points(sheet, "G02", "total_profit") == 60.0
    ranking = A.rank(sheet, scheme=_scheme(), roster=_roster()).set_index("enterprise_id")
    assert ranking.loc["G01", "total_score"] == 95.23
    assert ranking.loc["G02", "total_score"] == 90.46
    # the scheme can reclassify an enterprise: G02 as 竞争类 scores exactly like G01
    scheme = _scheme(enterprises=[{"enterprise_id": "G01"}, {"enterprise_id": "G02", "function_class": "竞争类"}])
    sheet = A.score_sheet(SAME_VALUES, scheme=scheme, roster=_roster())
    assert _points(sheet, "G02", "roe") == 15.23


def test_an_indicator_with_zero_weight_is_not_assessed_for_that_class():
    scheme = _scheme(indicators=[
        {"id": "roe", "method": "efficacy", "standards": dict(ROE_STD), "weights": {"竞争类": 0, "功能类": 40}},
        {"id": "total_profit", "method": "target", "weights": {"竞争类": 100, "功能类": 60}},
    ])
    sheet = A.score_sheet(SAME_VALUES, scheme=scheme, roster=_roster())
    assert set(sheet.loc[sheet["enterprise_id"] == "G01", "item_id"]) == {"total_profit"}


def test_weights_must_add_up_to_100_and_ids_must_be_catalogued():
    bad = _scheme()
    bad["indicators"][0]["weights"]["竞争类"] = 25
    with pytest.raises(ValueError, match="合计为 105"):
        A.validate_scheme(bad)
    unknown = _scheme()
    unknown["indicators"][0]["id"] = "no_such_indicator"
    with pytest.raises(ValueError, match="不在指标目录"):
        A.validate_scheme(unknown)


# ---------------------------------------------------------------------------------------------
# bonus and penalty, trial, missing data
# ---------------------------------------------------------------------------------------------
def _adjusted_scheme(**extra):
    return _scheme(
        adjustments=[
            {"id": "debt_key", "name": "列入债务风险重点监管", "points": -1, "max_points": -1.5,
             "rule": {"scope": "tree", "any": [{"indicator": "debt_to_asset_ratio", "above": 80},
                                               {"indicator": "interest_coverage", "below": 0}]}},
            {"id": "honour", "name": "重大表彰", "points": 2},
        ],
        events=[{"enterprise_id": "G02", "adjustment": "honour"}, {"enterprise_id": "G02", "adjustment": "honour"}],
        bonus_cap=3, **extra)


def test_rule_penalty_counts_enterprises_in_the_tree_up_to_the_limit():
    risk = pd.DataFrame([("G01", "debt_to_asset_ratio", 70.0), ("G01-01", "debt_to_asset_ratio", 85.0),
                         ("G01", "interest_coverage", -0.5), ("G02", "debt_to_asset_ratio", 79.9)],
                        columns=["entity_id", "indicator_id", "value"])
    sheet = A.score_sheet(SAME_VALUES, scheme=_adjusted_scheme(), roster=_roster(), risk=risk, risk_month="2030-12")
    pen = sheet.loc[(sheet["enterprise_id"] == "G01") & (sheet["item_id"] == "debt_key")].iloc[0]
    assert pen["points"] == -1.5  # two enterprises × −1, limited to −1.5
    assert "甲城投置业有限公司" in pen["workings"] and "85.00%" in pen["workings"]
    ranking = A.rank(sheet, scheme=_adjusted_scheme(), roster=_roster()).set_index("enterprise_id")
    assert ranking.loc["G01", "penalty"] == -1.5 and ranking.loc["G01", "total_score"] == 93.73
    # G02: two honours of +2 each = 4, capped at 3; no penalty (79.9 is not above 80)
    assert ranking.loc["G02", "bonus"] == 3.0 and ranking.loc["G02", "penalty"] == 0.0
    assert ranking.loc["G02", "total_score"] == 93.46


def test_trial_enterprise_is_scored_but_not_ranked():
    scheme = _scheme(enterprises=[{"enterprise_id": "G01"}, {"enterprise_id": "G02"},
                                  {"enterprise_id": "G03", "trial": True}])
    scheme["targets"]["G03"] = {"total_profit": 100.0}
    values = pd.concat([SAME_VALUES, _values([("G03", "roe", 20.0), ("G03", "total_profit", 120.0)])])
    ranking = A.rank(A.score_sheet(values, scheme=scheme, roster=_roster()), scheme=scheme, roster=_roster())
    g03 = ranking.set_index("enterprise_id").loc["G03"]
    assert g03["status"] == "试考核" and pd.isna(g03["rank"]) and "不参与排名" in g03["note"]
    assert g03["total_score"] == 106.0  # 40 + 66 (capped at 110 % of 60): best score, still unranked
    assert list(ranking["enterprise_id"]) == ["G01", "G02", "G03"]
    assert list(ranking["rank"].iloc[:2]) == [1, 2]


def test_missing_indicator_leaves_the_total_pending():
    values = SAME_VALUES.loc[~((SAME_VALUES["entity_id"] == "G02") & (SAME_VALUES["indicator_id"] == "roe"))]
    ranking = A.rank(A.score_sheet(values, scheme=_scheme(), roster=_roster()), scheme=_scheme(),
                     roster=_roster()).set_index("enterprise_id")
    assert pd.isna(ranking.loc["G02", "total_score"]) and ranking.loc["G02", "grade"] == "待定"
    assert "净资产收益率" in ranking.loc["G02", "note"]


# ---------------------------------------------------------------------------------------------
# reproducible from the YAML alone
# ---------------------------------------------------------------------------------------------
def test_bundled_schemes_load_and_are_complete():
    s21, s22 = A.load_scheme(2021), A.load_scheme(2022)
    assert [e["enterprise_id"] for e in s21["enterprises"]] == ["G01", "G02", "G03", "G04", "G05"]
    assert [e["enterprise_id"] for e in s22["enterprises"] if e["trial"]] == ["G06"]
    for s in (s21, s22):
        assert s["target_rule"]["shortfall_step"] == 2 and s["target_rule"]["cap_pct"] == 110
        assert [b["min"] for b in s["grade_bands"]] == [90, 80, 70, None]
    std = A.load_standards()
    assert set(std["indicator_id"]) >= {i["id"] for i in s22["indicators"] if i["method"] == "efficacy"}
    # the demo's values are illustrative and say so in words
    assert (std["source"] == "示范数值，非国资委公布的标准值").all()
    # industry × size: 工业/非工业 × 大型/中型/小型, each industry's 全部, and 全行业
    for iid in set(std["indicator_id"]):
        own = std.loc[std["indicator_id"] == iid]
        pairs = set(zip(own["industry"], own["size_class"]))
        assert {(i, s) for i in ("工业", "非工业", "全行业") for s in ("大型", "中型", "小型", "全部")} <= pairs


def test_scores_are_reproducible_from_the_yaml_alone(tmp_path):
    values = _values([(e, i, v) for e in ("G01", "G02", "G03", "G04", "G05") for i, v in (
        ("total_profit", 70000.0), ("revenue", 400000.0), ("roe", 4.2), ("state_capital_preservation_ratio", 105.0),
        ("debt_to_asset_ratio", 61.0), ("operating_cash_ratio", 7.5), ("project_completed_ytd", 100000.0))])
    roster = pd.DataFrame({
        "enterprise_id": [f"G0{k}" for k in range(1, 6)], "name": list("甲乙丙丁戊"), "short_name": list("甲乙丙丁戊"),
        "parent_id": [None] * 5, "level": [1] * 5, "industry_class": ["非工业", "非工业", "工业", "非工业", "非工业"],
        "function_class": ["功能类", "功能类", "竞争类", "竞争类", "公益类"],
    })
    first = A.score_sheet(values, scheme=A.load_scheme(2021), roster=roster)
    # write the scheme out and read it back: same points, same workings
    (tmp_path / "assessment").mkdir()
    raw = yaml.safe_load(A.scheme_path(2021).read_text("utf-8"))
    (tmp_path / "assessment" / "2021.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    again = A.score_sheet(values, scheme=A.load_scheme(2021, params_dir=tmp_path), roster=roster)
    pd.testing.assert_frame_equal(first, again)
    # G01 (功能类) total profit: target 78,000, actual 70,000 → 10.26 % short → 20 − 5.13 = 14.87
    assert _points(first, "G01", "total_profit") == 14.87
    # editing a weight in the YAML is the only way to change the score
    raw["indicators"][0]["weights"]["功能类"] = 25
    raw["indicators"][1]["weights"]["功能类"] = 5
    (tmp_path / "assessment" / "2021.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    edited = A.score_sheet(values, scheme=A.load_scheme(2021, params_dir=tmp_path), roster=roster)
    assert _points(edited, "G01", "total_profit") == 19.87  # 25 − 5.13


# ---------------------------------------------------------------------------------------------
def test_key_supervision_deduction_reads_the_list_groups_themselves_included():
    """The deduction counts every member of the group's tree on the risk engine's key-supervision list,
    the group itself included (before: indicator thresholds of its own, so a group listed for 超股比担保
    read 「未触发」). Hand-worked: G01 竞争类 base 15.23 + 80 = 95.23 (ROE 8: 20×0.6 + 6.3/7.8×20×0.2);
    its subsidiary G01-01 is listed → −1 → 94.23. G02 功能类 base 30.46 + 60 = 90.46; G02 itself is
    listed (超股比担保) → −1 → 89.46."""
    listed = pd.DataFrame({"entity_id": ["G01-01", "G02"],
                           "rule_names": ["资产负债率超过区级重点监管线", "超股比担保"]})
    rule = {"id": "debt_key", "name": "本集团或所属企业列入债务风险重点监管", "points": -1, "max_points": -3,
            "rule": {"scope": "tree", "list": "key_supervision"}}
    scheme = _scheme(adjustments=[rule])
    sheet = A.score_sheet(SAME_VALUES, scheme=scheme, roster=_roster(), supervision=listed, risk_month="2030-11")
    pen = sheet.loc[sheet["item_id"] == "debt_key"].set_index("enterprise_id")
    assert pen.loc["G01", "points"] == -1.0 and pen.loc["G02", "points"] == -1.0
    assert "乙交投集团有限公司（超股比担保）" in pen.loc["G02", "workings"]
    assert "甲城投置业有限公司（资产负债率超过区级重点监管线）" in pen.loc["G01", "workings"]
    assert pen.loc["G02", "workings"].startswith("按2030年11月债务风险重点监管名单自动判定")
    ranking = A.rank(sheet, scheme=scheme, roster=_roster()).set_index("enterprise_id")
    assert ranking.loc["G01", "total_score"] == 94.23 and ranking.loc["G02", "total_score"] == 89.46
    # scope self: only the group itself counts (G01's listed subsidiary does not)
    own = A.score_sheet(SAME_VALUES, scheme=_scheme(adjustments=[{**rule, "rule": {"scope": "self",
                                                                                 "list": "key_supervision"}}]),
                        roster=_roster(), supervision=listed)
    assert _points(own, "G01", "debt_key") == 0.0 and _points(own, "G02", "debt_key") == -1.0
    # an empty list deducts nothing; an unknown list is refused
    none = A.score_sheet(SAME_VALUES, scheme=scheme, roster=_roster(), supervision=listed.iloc[:0])
    row = none.loc[(none["enterprise_id"] == "G02") & (none["item_id"] == "debt_key")].iloc[0]
    assert row["points"] == 0.0 and "未触发" in row["workings"]
    with pytest.raises(ValueError, match="rule.list"):
        A.validate_scheme(_scheme(adjustments=[{**rule, "rule": {"list": "other"}}]))


# demo district: state capital, 2021 actuals, 2022 projected, shared frames, workbook
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo():
    from guozi_analysis.demo import build_demo_tables

    tables, _ = build_demo_tables()
    return tables


@pytest.fixture(scope="module")
def frames(demo):
    return A.shared_frames(demo, None, period="2022-11")


def _fin(demo, eid, period, item):
    f = demo["financials"]
    return float(f.loc[(f["enterprise_id"] == eid) & (f["period"].astype(str) == period), item].iloc[0])


def test_state_capital_preservation_uses_the_objective_factors(demo):
    scheme = A.load_scheme(2021)
    scheme["input_overrides"] = {"G01": {"state_capital_objective_increase": 100000.0,
                                         "state_capital_objective_decrease": 20000.0}}
    values = A.assessment_values(demo, year=2021, scheme=scheme)
    v = values.set_index(["entity_id", "indicator_id"]).loc[("G01", "state_capital_preservation_ratio")]
    expected = ((_fin(demo, "G01", "2021-12", "state_capital") - 100000.0 + 20000.0)
                / _fin(demo, "G01", "2020-12", "state_capital") * 100.0)
    assert v["value"] == pytest.approx(expected, rel=1e-12)
    assert "考核方案确认数 100,000.00" in v["basis"] and not v["projected"]
    plain = A.assessment_values(demo, year=2021, scheme=A.load_scheme(2021))
    p = plain.set_index(["entity_id", "indicator_id"]).loc[("G01", "state_capital_preservation_ratio"), "value"]
    reported = ((_fin(demo, "G01", "2021-12", "state_capital")
                 - _fin(demo, "G01", "2021-12", "state_capital_objective_increase")
                 + _fin(demo, "G01", "2021-12", "state_capital_objective_decrease"))
                / _fin(demo, "G01", "2020-12", "state_capital") * 100.0)
    assert p == pytest.approx(reported, rel=1e-12)


def test_demo_2021_is_full_year_actual_and_2022_is_projected(demo, frames):
    r = frames["assessment_ranking"]
    r21, r22 = r.loc[r["year"] == 2021], r.loc[r["year"] == 2022]
    assert sorted(r21["enterprise_id"]) == ["G01", "G02", "G03", "G04", "G05"] and not r21["projected"].any()
    assert sorted(r22["enterprise_id"]) == ["G01", "G02", "G03", "G04", "G05", "G06"] and r22["projected"].all()
    assert r22.set_index("enterprise_id").loc["G06", "status"] == "试考核"
    assert set(r["grade"]) <= {"A", "B", "C", "D"}
    # 预评估 before December data, in the stored title and kind
    assert (r22["assessment_kind"] == "预评估").all() and r22["title"].str.endswith("（预评估）").all()
    assert (r21["assessment_kind"] == "年度考核").all() and not r21["title"].str.contains("预评估").any()
    s = frames["assessment_sheet"]
    # a 2021 total-profit line is the December actual against the YAML target
    line = s.loc[(s["year"] == 2021) & (s["enterprise_id"] == "G03") & (s["item_id"] == "total_profit")].iloc[0]
    assert line["value"] == pytest.approx(_fin(demo, "G03", "2021-12", "total_profit"))
    assert line["target"] == 70000.0 and line["target_source"] == "考核方案"
    # 2022 flows are projected beyond the November YTD, labelled 预计
    line = s.loc[(s["year"] == 2022) & (s["enterprise_id"] == "G03") & (s["item_id"] == "total_profit")].iloc[0]
    assert line["projected"] and line["value"] > _fin(demo, "G03", "2022-11", "total_profit")
    assert "预计" in line["workings"] and "预计" in line["basis"]
    # the sheet adds up to the ranking
    for (year, eid), grp in s.groupby(["year", "enterprise_id"]):
        total = r.set_index(["year", "enterprise_id"]).loc[(year, eid), "total_score"]
        assert round(grp["points"].sum(), 2) == pytest.approx(total, abs=0.011)
    # the deduction reads the risk engine's key-supervision list of November (the list the risk chapter
    # prints): every group on it, or with a subsidiary on it, loses 1 point per listed member (at most 3).
    # Before, 交投 (listed itself for 超股比担保) and 城市更新 read 「未触发，不加减分」.
    from guozi_analysis.analyses.risk.engine import evaluate_rules
    from guozi_analysis.analyses.risk.report import supervision_list
    from guozi_analysis.base.entities import EnterpriseTree

    listed = supervision_list(evaluate_rules(demo, None, period="2022-11"))
    groups = EnterpriseTree.from_roster(demo["roster"]).group_map()
    per_group = pd.Series([groups[e] for e in listed["entity_id"]]).value_counts()
    pen = s.loc[(s["year"] == 2022) & (s["item_id"] == "debt_key_supervision")].set_index("enterprise_id")["points"]
    for group, points in pen.items():
        assert points == -min(int(per_group.get(group, 0)), 3), group
    # the demo's list: 城投 + 安居置业, 交投, 产发 + 精密机械, 文旅 + 海湾酒店, 城市更新; 水务 none
    assert pen.to_dict() == {"G01": -2.0, "G02": -1.0, "G03": -2.0, "G04": -2.0, "G05": 0.0, "G06": -1.0}


def test_shared_frames_survive_parquet_and_feed_the_notebook_functions(frames, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    assert set(frames) == {"assessment_ranking", "assessment_sheet", "assessment_scheme",
                           "assessment_targets_proposed"}
    for key, frame in frames.items():
        frame.to_parquet(tmp_path / f"{key}.parquet")
    ctx = SimpleNamespace(period="2022-11", entity_id="DISTRICT", processed_dir=tmp_path)
    table = assessment_views.ranking_table(ctx)
    assert list(table.columns[:3]) == ["企业", "功能分类", "考核类型"] and table.index.name == "排名"
    assert "—" in table.index  # the trial company has no rank
    assert len(assessment_views.ranking_table(ctx, previous=True)) == 5
    assert "计分过程" in assessment_views.workings_table(ctx, previous=True).columns
    assert "预计" in assessment_views.assessment_intro(ctx).data and "试考核" in assessment_views.assessment_intro(ctx).data
    assert "三位一体试考核权重" in assessment_views.weights_table(ctx).columns
    assert assessment_views.proposed_targets_table(ctx)["建议目标（万元）"].str.len().min() > 0
    one = SimpleNamespace(period="2022-11", entity_id="G02", processed_dir=tmp_path)
    assert set(assessment_views.workings_table(one).index.get_level_values("企业")) == {"澜海交投集团"}
    fig = assessment_views.score_chart(ctx)
    assert fig.axes[0].get_title().startswith("2022年度经营业绩考核预评估")
    # the 2022 result (November data, December projected) is a 预评估 everywhere it is shown
    assert "预评估" in assessment_views.assessment_intro(ctx).data
    assert set(table["评估性质"]) == {"预评估（含预计数）"}
    assert set(assessment_views.workings_table(ctx)["评估性质"]) == {"预评估（含预计数）"}
    assert set(assessment_views.ranking_table(ctx, previous=True)["评估性质"]) == {"年度考核（实际数）"}
    assert "预评估" not in assessment_views.score_chart(ctx, previous=True).axes[0].get_title()
    assert "示范数值，非国资委公布的标准值" in assessment_views.standards_note(ctx).data
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_the_workbook_prints_the_books_scores_to_the_cent(frames, tmp_path):
    """The workbook is written from the stored assessment the book's 得分与等级 table reads: the same
    totals, to the cent (before: the workbook re-assessed the year with its own projection, e.g. 文旅
    60.17 in the workbook against 59.89 in the book)."""
    import openpyxl

    for key, frame in frames.items():
        frame.to_parquet(tmp_path / f"{key}.parquet")
    ctx = SimpleNamespace(period="2022-11", entity_id="DISTRICT", processed_dir=tmp_path)
    assessment_views.export_workbook(ctx, output_dir=tmp_path / "out")
    book = assessment_views.ranking_table(ctx).set_index("企业")
    wb = openpyxl.load_workbook(tmp_path / "out" / "经营业绩考核预评估_2022.xlsx", read_only=True)
    rows = list(wb["排名与等级（预评估）"].iter_rows(values_only=True))
    header = list(rows[0])
    printed = {r[header.index("企业")]: r[header.index("总分")] for r in rows[1:]}
    assert set(printed) == set(book.index) and len(printed) == 6
    for name, total in printed.items():
        assert f"{total:.2f}" == f"{book.loc[name, '总分']:.2f}", name
        assert total == frames["assessment_ranking"].set_index(["year", "enterprise_name"]).loc[(2022, name),
                                                                                              "total_score"]


def test_workbook(demo, tmp_path):
    import openpyxl

    a = A.assess(demo, year=2021)
    path = workbooks.write_assessment_workbook(tmp_path / "a.xlsx", **A.stored_frames(a))
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["说明", "排名与等级", "计分明细", "加减分事项", "考核方案"]  # 2021: actuals
    pre = A.assess(demo, year=2022, projections=None)
    assert pre.projected and pre.kind == "预评估" and pre.display_title.endswith("（预评估）")
    path22 = workbooks.write_assessment_workbook(tmp_path / "b.xlsx", **A.stored_frames(pre))
    wb22 = openpyxl.load_workbook(path22, read_only=True)
    assert wb22.sheetnames == ["说明（预评估）", "排名与等级（预评估）", "计分明细（预评估）", "加减分事项（预评估）",
                               "考核方案"]
    info = {r[0]: r[1] for r in wb22["说明（预评估）"].iter_rows(min_row=2, values_only=True)}
    assert info["考核方案"].endswith("（预评估）") and info["评估性质"].startswith("预评估")
    assert "示范数值，非国资委公布的标准值" in info["标准值"]
    ranked = [r for r in wb22["排名与等级（预评估）"].iter_rows(values_only=True)]
    assert ranked[0][-1] == "评估性质" and {r[-1] for r in ranked[1:]} == {"预评估（含预计数）"}
    header = [c.value for c in next(wb["计分明细"].iter_rows(max_row=1))]
    assert "计分过程" in header and "得分" in header


# ---------------------------------------------------------------------------------------------
# next year's targets
# ---------------------------------------------------------------------------------------------
def _history_tables():
    rows = []
    for year, rev, tp in ((2019, 100.0, 50.0), (2020, 110.0, 45.0), (2021, 121.0, 40.0), (2022, 133.1, 30.0)):
        for m in range(2, 13):
            rows.append({"enterprise_id": "G01", "period": f"{year}-{m:02d}", "revenue": rev * m / 12,
                         "total_profit": tp * m / 12})
    roster = _roster().iloc[[0]]
    return {"financials": pd.DataFrame(rows), "roster": roster}


def test_propose_targets_no_lower_than_actual_and_at_least_the_trend(tmp_path):
    p = A.propose_targets(_history_tables(), year=2023).set_index("item")
    # revenue: 100 → 133.1 in 3 years = 10 % a year; trend 146.41 → rounded up to 150
    assert p.loc["revenue", "trend_growth_pct"] == pytest.approx(10.0)
    assert p.loc["revenue", "proposed_target"] == 150.0 and not p.loc["revenue", "base_projected"]
    # total profit falls: the trend (below 30) loses to "no lower than this year's 30"
    assert p.loc["total_profit", "trend_value"] < 30.0
    assert p.loc["total_profit", "proposed_target"] == 30.0
    floor = A.propose_targets(_history_tables(), year=2023, min_growth_pct=5).set_index("item")
    assert floor.loc["total_profit", "proposed_target"] == 40.0  # 31.5 rounded up to 10
    path = workbooks.write_proposed_targets(p.reset_index(), params_dir=tmp_path)
    assert path == tmp_path / "targets" / "2023_proposed.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    assert data["targets"] == {"G01": {"revenue": 150.0, "total_profit": 30.0}}
    # adopted by copying the block into a scheme
    scheme = _scheme(year=2023, enterprises=[{"enterprise_id": "G01"}], targets=data["targets"])
    sheet = A.score_sheet(_values([("G01", "roe", 8.0), ("G01", "total_profit", 30.0)]), scheme=scheme,
                          roster=_roster())
    assert _points(sheet, "G01", "total_profit") == 80.0


def test_propose_targets_projects_when_december_is_missing():
    tables = _history_tables()
    tables["financials"] = tables["financials"].loc[tables["financials"]["period"] != "2022-12"]
    p = A.propose_targets(tables, year=2023, projection={"n_sims": 200, "backtest_sims": 50}).set_index("item")
    assert p.loc["revenue", "base_projected"]
    assert p.loc["revenue", "base_value"] == pytest.approx(133.1, rel=0.02)
    assert "预计" in p.loc["revenue", "rule"]
    assert np.isfinite(p.loc["revenue", "proposed_target"])


def test_assessment_command_writes_workbook_and_csvs(demo_inbox, tmp_path):
    paths = commands.assessment_command(2021, tmp_path / "out", demo_inbox.path)
    assert [p.name for p in paths] == ["assessment_2021.xlsx", "assessment_2021_ranking.csv",
                                       "assessment_2021_sheet.csv"]
    ranking = pd.read_csv(paths[1], encoding="utf-8-sig")
    assert list(ranking.columns[:3]) == ["排名", "企业", "功能分类"] and len(ranking) == 5


def test_the_assessment_reads_the_stored_investment_projection_on_the_same_basis():
    """One projection, many readers: the pre-assessment's 本年完成投资 reads the stored
    ``investment_completed`` projection (附录G) when its year to date is the panel's; on another basis
    (a different year to date) it projects the series itself."""
    import pandas as pd

    from guozi_analysis.analyses.assessment import _stored_for

    stored = pd.DataFrame({"enterprise_id": ["G01"], "item": ["investment_completed"], "as_of": ["2022-11"],
                           "ytd_actual": [177_296.64], "median": [180_200.0]})
    assert _stored_for(stored, "G01", "proj_completed_ytd", month="2022-11", ytd=177_296.64)["median"] == 180_200.0
    assert _stored_for(stored, "G01", "proj_completed_ytd", month="2022-11", ytd=170_000.0) is None
    assert _stored_for(stored, "G02", "proj_completed_ytd", month="2022-11", ytd=177_296.64) is None
