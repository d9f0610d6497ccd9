"""Half-monthly 晾晒 rankings: direction, ties, missing submissions, movement, composite, 序时进度."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
import yaml

from guozi_analysis.analyses import ranking as rk
from guozi_analysis.indicators.catalogue import parse_catalogue

SETTINGS = {
    "labels": {"levels": {"group": "集团", "enterprise": "子企业"}, "tie": "并列", "missing": "未报送",
               "not_applicable": "不适用", "no_previous": "无上期", "up": "↑", "down": "↓", "same": "—"},
    "composite": {"max_points": 100, "missing_points": 0, "not_applicable": "exclude",
                  "table_weights": {"t1": 1, "t2": 1}},
    "progress": {"green_min_gap": 0, "yellow_min_gap": -10,
                 "lights": {"green": "绿灯", "yellow": "黄灯", "red": "红灯"},
                 "completion_indicators": ["done_rate"], "gap_indicators": []},
}


def _entry(iid, table, direction, *, weight=1, frequency="monthly", band=None, unit="%"):
    entry = {"id": iid, "table": table, "name_zh": f"指标{iid}", "name_en": iid, "formula": "f", "unit": unit,
             "direction": direction, "frequency": frequency, "basis": "point_in_time",
             "aggregation": "sum", "inputs": [iid], "source": "测试", "weight": weight}
    if band is not None:
        entry["band"] = band
    return entry


CATALOGUE = parse_catalogue({
    "tables": [{"id": "t1", "name_zh": "表一", "order": 1}, {"id": "t2", "name_zh": "表二", "order": 2}],
    "indicators": [
        _entry("up", "t1", "higher_better", weight=2),
        _entry("down", "t1", "lower_better", weight=1),
        _entry("band_ind", "t2", "band", band=[80, 200]),
        _entry("done_rate", "t2", "higher_better", frequency="half_monthly"),
    ],
})
GROUPS = ["G01", "G02", "G03", "G04"]


def _indicators(values: dict[str, list], *, period="2022-11-H2", reasons: dict[str, list] | None = None,
                level="group", ids=GROUPS) -> pd.DataFrame:
    rows = []
    for iid, vals in values.items():
        for k, (eid, v) in enumerate(zip(ids, vals)):
            reason = (reasons or {}).get(iid, [""] * len(ids))[k]
            rows.append({"entity_id": eid, "entity_name": f"集团{eid}", "level": level, "period": period,
                         "indicator_id": iid, "value": v, "reason": reason})
    return pd.DataFrame(rows)


BASE = {"up": [10.0, 30.0, 20.0, 5.0], "down": [50.0, 40.0, 60.0, 70.0],
        "band_ind": [90.0, 60.0, 250.0, 150.0], "done_rate": [95.0, 85.0, 70.0, 92.0]}


def _ranks(frame, iid):
    sub = frame.loc[frame["indicator_id"] == iid].set_index("entity_id")
    return {k: int(v) for k, v in sub["rank"].items()}


def test_higher_better_ranks_descending_and_lower_better_ascending():
    out = rk.rank_indicators(_indicators(BASE), catalogue=CATALOGUE, settings=SETTINGS)
    assert _ranks(out, "up") == {"G02": 1, "G03": 2, "G01": 3, "G04": 4}
    assert _ranks(out, "down") == {"G02": 1, "G01": 2, "G03": 3, "G04": 4}
    # rows come out in rank order within each indicator
    assert out.loc[out["indicator_id"] == "up", "entity_id"].tolist() == ["G02", "G03", "G01", "G04"]


def test_band_ranks_by_distance_from_band():
    # 90 and 150 inside [80, 200] (distance 0, tie first); 60 → 20 below; 250 → 50 above
    out = rk.rank_indicators(_indicators(BASE), catalogue=CATALOGUE, settings=SETTINGS)
    assert _ranks(out, "band_ind") == {"G01": 1, "G04": 1, "G02": 3, "G03": 4}
    band = out.loc[out["indicator_id"] == "band_ind"].set_index("entity_id")
    assert band.loc["G01", "rank_label"] == "1（并列）" and band.loc["G01", "status"] == "并列"


def test_ties_share_min_rank_and_are_marked():
    vals = {**BASE, "up": [30.0, 30.0, 20.0, 20.0]}
    out = rk.rank_indicators(_indicators(vals), catalogue=CATALOGUE, settings=SETTINGS)
    sub = out.loc[out["indicator_id"] == "up"].set_index("entity_id")
    assert sub["rank"].to_dict() == {"G01": 1, "G02": 1, "G03": 3, "G04": 3}
    assert sub["is_tie"].all()
    assert sub.loc["G03", "rank_label"] == "3（并列）"
    # points 100 × (n − rank)/(n − 1) with n = 4: ranks 1, 1, 3, 3 → 100, 100, 33.33, 33.33
    assert sub["points"].to_numpy() == pytest.approx([100, 100, 100 / 3, 100 / 3])


def test_missing_submission_is_ranked_last_not_skipped():
    vals = {**BASE, "up": [10.0, np.nan, 20.0, np.nan]}
    reasons = {"up": ["", "未报送（缺少：利润总额）", "", "分母为零"]}
    out = rk.rank_indicators(_indicators(vals, reasons=reasons), catalogue=CATALOGUE, settings=SETTINGS)
    sub = out.loc[out["indicator_id"] == "up"].set_index("entity_id")
    assert len(sub) == 4  # nobody skipped
    assert sub["rank"].to_dict() == {"G03": 1, "G01": 2, "G02": 3, "G04": 3}
    assert sub.loc["G02", "rank_label"] == "未报送" and sub.loc["G02", "status"] == "未报送"
    assert sub.loc["G02", "reason"] == "未报送（缺少：利润总额）"
    assert sub.loc["G04", "rank_label"] == "不适用" and sub.loc["G04", "reason"] == "分母为零"
    assert not sub.loc[["G02", "G04"], "is_tie"].any()
    assert sub.loc["G02", "points"] == 0.0 and np.isnan(sub.loc["G04", "points"])
    assert int(sub["n_ranked"].iloc[0]) == 2
    assert out.loc[out["indicator_id"] == "up", "entity_id"].tolist()[-2:] == ["G02", "G04"]


def test_entity_without_any_row_is_shown_as_not_submitted():
    frame = _indicators(BASE)
    frame = frame.loc[~((frame["entity_id"] == "G03") & (frame["indicator_id"] == "down"))]
    out = rk.rank_indicators(frame, catalogue=CATALOGUE, settings=SETTINGS)
    row = out.loc[(out["indicator_id"] == "down") & (out["entity_id"] == "G03")].iloc[0]
    assert row["status"] == "未报送" and int(row["rank"]) == 4


def test_movement_against_previous_half_month():
    prev = _indicators({**BASE, "up": [40.0, 30.0, 20.0, 5.0]}, period="2022-11-H1")
    out = rk.rank_indicators(_indicators(BASE), catalogue=CATALOGUE, previous=prev, settings=SETTINGS)
    sub = out.loc[out["indicator_id"] == "up"].set_index("entity_id")
    # before: G01 1, G02 2, G03 3, G04 4; now: G02 1, G03 2, G01 3, G04 4
    assert sub["previous_rank"].to_dict() == {"G02": 2, "G03": 3, "G01": 1, "G04": 4}
    assert sub["rank_change"].to_dict() == {"G02": 1, "G03": 1, "G01": -2, "G04": 0}
    assert sub["movement"].to_dict() == {"G02": "↑", "G03": "↑", "G01": "↓", "G04": "—"}
    alone = rk.rank_indicators(_indicators(BASE), catalogue=CATALOGUE, settings=SETTINGS)
    assert (alone["movement"] == "无上期").all() and alone["previous_rank"].isna().all()


def test_levels_are_separate_peer_sets():
    groups = _indicators(BASE)
    subs = _indicators({"up": [1.0, 2.0]}, level="enterprise", ids=["G01-01", "G02-01"])
    roster = pd.DataFrame({"enterprise_id": GROUPS + ["G01-01", "G02-01"],
                           "parent_id": [None] * 4 + ["G01", "G02"], "level": [1, 1, 1, 1, 2, 2]})
    out = rk.rank_indicators(pd.concat([groups, subs]), catalogue=CATALOGUE, level="enterprise",
                             settings=SETTINGS, roster=roster)
    assert set(out["entity_id"]) == {"G01-01", "G02-01"}
    assert _ranks(out, "up") == {"G02-01": 1, "G01-01": 2}
    assert set(out.loc[out["indicator_id"] == "down", "status"]) == {"未报送"}
    assert out.set_index("entity_id").loc["G02-01", "group_id"].iloc[0] == "G02"
    with pytest.raises(ValueError, match="排名范围"):
        rk.rank_indicators(groups, catalogue=CATALOGUE, level="district", settings=SETTINGS)


def test_group_id_comes_from_the_roster_not_from_the_code():
    """所属集团 follows the parent codes; a code shaped like another group's is not parsed."""
    subs = _indicators({"up": [1.0, 2.0]}, level="enterprise", ids=["G01-01", "X9"])
    roster = pd.DataFrame({"enterprise_id": GROUPS + ["G01-01", "X9"],
                           "parent_id": [None] * 4 + ["G03", "G01-01"]})
    out = rk.rank_indicators(subs, catalogue=CATALOGUE, level="enterprise", settings=SETTINGS, roster=roster)
    groups = out.drop_duplicates("entity_id").set_index("entity_id")["group_id"].to_dict()
    assert groups == {"G01-01": "G03", "X9": "G03"}
    alone = rk.rank_indicators(subs, catalogue=CATALOGUE, level="enterprise", settings=SETTINGS)
    assert set(alone["group_id"]) == {""}
    own = rk.rank_indicators(_indicators(BASE), catalogue=CATALOGUE, settings=SETTINGS)
    assert (own["group_id"] == own["entity_id"]).all()


def test_composite_score_is_weighted_rank_points():
    vals = {**BASE, "up": [10.0, np.nan, 20.0, 5.0]}
    reasons = {"up": ["", "未报送（缺少：利润总额）", "", ""], "band_ind": [""] * 4, "done_rate": [""] * 4}
    vals["done_rate"] = [95.0, 85.0, np.nan, 92.0]
    reasons["done_rate"] = ["", "", "未设定年度目标", ""]
    ranking = rk.rank_indicators(_indicators(vals, reasons=reasons), catalogue=CATALOGUE, settings=SETTINGS)
    comp = rk.composite_scores(ranking, settings=SETTINGS).set_index(["table", "entity_id"])
    # t1: up (weight 2) ranks G03 1, G01 2, G04 3, G02 未报送 4 → points 100, 66.67, 33.33, 0;
    #     down (weight 1) ranks G02 1, G01 2, G03 3, G04 4 → 100, 66.67, 33.33, 0
    assert comp.loc[("t1", "G01"), "score"] == pytest.approx((2 * 200 / 3 + 200 / 3) / 3)
    assert comp.loc[("t1", "G02"), "score"] == pytest.approx((2 * 0 + 100) / 3)
    assert comp.loc[("t1", "G03"), "score"] == pytest.approx((2 * 100 + 100 / 3) / 3)
    assert int(comp.loc[("t1", "G02"), "n_missing"]) == 1
    # t2: band G01 1, G04 1, G02 3, G03 4 → 100, 100, 33.33, 0; done_rate G01 1, G04 2, G02 3, G03 不适用:
    #     不适用 is out of the ranking, so the points run over the 3 ranked → 100, 50, 0 (issue 25; before
    #     over all 4 → 100, 66.67, 33.33, which gave the last ranked a share of a place it did not beat)
    assert comp.loc[("t2", "G03"), "score"] == pytest.approx(0.0)  # 不适用 leaves the weights
    assert comp.loc[("t2", "G01"), "score"] == pytest.approx(100.0)
    assert comp.loc[("t2", "G04"), "score"] == pytest.approx((100 + 50) / 2)
    assert comp.loc[("t2", "G02"), "score"] == pytest.approx((100 / 3 + 0) / 2)
    # overall = equal-weight mean of the two table scores
    for eid in GROUPS:
        expected = (comp.loc[("t1", eid), "score"] + comp.loc[("t2", eid), "score"]) / 2
        assert comp.loc[(rk.OVERALL, eid), "score"] == pytest.approx(expected)
    t1 = comp.loc["t1"].sort_values("rank")
    assert t1.index.tolist()[0] == "G03" and int(t1["rank"].iloc[0]) == 1


def test_an_indicator_without_denominator_is_not_applicable_neither_100_nor_0():
    """盘资产 case (issue 25): a group with no idle asset has no 盘活率 (0 of 0) — 不适用, out of that
    indicator's ranking and out of the table's composite; the others are scored on what they did."""
    vals = {**BASE, "done_rate": [37.5, 12.5, np.nan, 20.0]}
    reasons = {"done_rate": ["", "", "无待盘活存量资产项目（不适用）", ""]}
    ranking = rk.rank_indicators(_indicators(vals, reasons=reasons), catalogue=CATALOGUE, settings=SETTINGS)
    sub = ranking.loc[ranking["indicator_id"] == "done_rate"].set_index("entity_id")
    assert sub.loc["G03", "rank_label"] == "不适用" and np.isnan(sub.loc["G03", "points"])
    assert sub.loc["G03", "reason"] == "无待盘活存量资产项目（不适用）" and sub.loc["G03", "light"] == ""
    # ranked 37.5 > 20 > 12.5 among 3 → 100, 50, 0
    assert sub.loc[["G01", "G04", "G02"], "points"].tolist() == [100.0, 50.0, 0.0]
    comp = rk.composite_scores(ranking, settings=SETTINGS).set_index(["table", "entity_id"])
    # t2 of G03 = its band points alone (band: G01 1, G04 1, G02 3, G03 4 of 4 → 0), not lifted to 100
    assert comp.loc[("t2", "G03"), "score"] == pytest.approx(0.0)
    assert int(comp.loc[("t2", "G03"), "n_indicators"]) == 1


def test_scores_equal_as_printed_share_the_rank():
    """Two composite scores that print alike (2 decimals) are tied, not ranked apart by float noise."""
    scores = pd.DataFrame({"level": "group", "peer_class": "全部", "table": "t1", "entity_id": ["A", "B", "C"],
                           "score": [200 / 3, 66.666666666667, 50.0]})
    out = rk._rank_scores(scores.assign(n_entities=0), SETTINGS["labels"]).set_index("entity_id")
    assert out["rank"].tolist() == [1, 1, 3] and out.loc["A", "rank_label"] == "1（并列）"


def test_composite_movement_and_ties():
    cur = rk.rank_indicators(_indicators(BASE), catalogue=CATALOGUE, settings=SETTINGS)
    same = rk.composite_scores(cur, previous=cur, settings=SETTINGS)
    assert (same["movement"] == "—").all()
    tied = {k: [1.0, 1.0, 1.0, 1.0] for k in BASE}
    comp = rk.composite_scores(rk.rank_indicators(_indicators(tied), catalogue=CATALOGUE, settings=SETTINGS),
                               settings=SETTINGS)
    assert comp["is_tie"].all() and set(comp["rank_label"]) == {"1（并列）"}


def test_as_of_dates_follow_frequency():
    assert rk.indicator_as_of("2022-11-H1", "half_monthly") == date(2022, 11, 15)
    assert rk.indicator_as_of("2022-11-H1", "monthly") == date(2022, 10, 31)  # latest closed month
    assert rk.indicator_as_of("2022-11-H2", "monthly") == date(2022, 11, 30)
    assert rk.indicator_as_of("2022-01-H1", "monthly") == date(2021, 12, 31)
    assert rk.ranking_period("2022-11") == "2022-11-H2"
    assert rk.ranking_period("2022-11-H1") == "2022-11-H1"
    assert rk.period_zh("2022-11-H1") == "2022年11月上半月"


# the district's convention (params/district.yaml pace.basis: months): months closed / 12, the
# half month closed on the 15th counting ½ (was days / days in year: 91.51, 87.40, 16.39, 20.49)
@pytest.mark.parametrize(("as_of", "expected"), [
    ("2022-11-30", 11 / 12 * 100),     # month end: 91.67
    ("2022-11-15", 10.5 / 12 * 100),   # mid-month (H1): 87.50
    ("2024-02-29", 2 / 12 * 100),      # leap day is February's end: 16.67
    ("2024-03-15", 2.5 / 12 * 100),    # mid-month in a leap year: 20.83
    ("2022-12-31", 100.0),
])
def test_pace_percent(as_of, expected):
    assert rk.pace_percent(as_of) == pytest.approx(expected)


def test_progress_gap_and_lights_mid_month():
    # H1: half-monthly indicator as of 11-15 → pace 10.5/12 = 87.50% (months convention)
    # 95 → +7.5 green, 85 → −2.5 yellow, 70 → −17.5 red, 92 → +4.5 green
    frame = _indicators(BASE, period="2022-11-H1")
    out = rk.rank_indicators(frame, catalogue=CATALOGUE, settings=SETTINGS)
    sub = out.loc[out["indicator_id"] == "done_rate"].set_index("entity_id")
    pace = 10.5 / 12 * 100
    assert sub["pace"].to_numpy() == pytest.approx([pace] * 4)
    assert sub.loc["G01", "pace_gap"] == pytest.approx(95 - pace)
    assert sub["light"].to_dict() == {"G01": "绿灯", "G04": "绿灯", "G02": "黄灯", "G03": "红灯"}
    assert sub.loc["G01", "as_of"] == "2022-11-15"
    # not a progress indicator: no pace, no light
    other = out.loc[out["indicator_id"] == "up"]
    assert other["pace"].isna().all() and (other["light"] == "").all()
    assert set(out.loc[out["indicator_id"] == "up", "as_of"]) == {"2022-10-31"}


def test_progress_lights_month_end_and_leap_year():
    # month end: pace 11/12 = 91.67 → 92 green (+0.33), 85 yellow (−6.67), 70 red (−21.67)
    out = rk.rank_indicators(_indicators(BASE), catalogue=CATALOGUE, settings=SETTINGS)
    sub = out.loc[out["indicator_id"] == "done_rate"].set_index("entity_id")
    assert sub["light"].to_dict() == {"G01": "绿灯", "G04": "绿灯", "G02": "黄灯", "G03": "红灯"}
    # leap year H1 of February: as of 2024-02-15 → 1.5/12 = 12.50% (months; was 46/366 = 12.57% by days)
    # 12.6 → +0.1 green, 12.49 → −0.01 yellow, 2.49 → −10.01 red, 2.5 → −10.00 yellow (boundary inclusive)
    leap = _indicators({"done_rate": [12.6, 12.49, 2.49, 2.5]}, period="2024-02-H1")
    sub = rk.rank_indicators(leap, catalogue=CATALOGUE, settings=SETTINGS)
    sub = sub.loc[sub["indicator_id"] == "done_rate"].set_index("entity_id")
    pace = 1.5 / 12 * 100
    assert sub["pace"].iloc[0] == pytest.approx(pace)
    assert sub["light"].to_dict() == {"G01": "绿灯", "G02": "黄灯", "G04": "黄灯", "G03": "红灯"}


def test_progress_light_bands_are_configurable():
    lights = rk.progress_light(pd.Series([0.0, -0.01, -5.0, -5.01, np.nan]),
                               settings={**SETTINGS, "progress": {**SETTINGS["progress"], "yellow_min_gap": -5}})
    assert lights.tolist() == ["绿灯", "黄灯", "黄灯", "红灯", ""]


def test_rank_values_helper():
    s = pd.Series([3.0, np.nan, 3.0, 1.0])
    assert rk.rank_values(s, direction="higher_better").tolist() == [1, 4, 1, 3]
    assert rk.rank_values(s, direction="lower_better").tolist() == [2, 4, 2, 1]
    with pytest.raises(ValueError):
        rk.rank_values(s, direction="sideways")


def test_does_not_mutate_input():
    frame = _indicators(BASE)
    before = frame.copy()
    rk.rank_indicators(frame, catalogue=CATALOGUE, previous=frame, settings=SETTINGS)
    pd.testing.assert_frame_equal(frame, before)


def test_bundled_settings_load():
    settings = rk.load_settings()
    assert settings["progress"]["green_min_gap"] >= settings["progress"]["yellow_min_gap"]
    assert "investment_completion_rate" in settings["progress"]["completion_indicators"]


@pytest.fixture(scope="module")
def demo_frames():
    from guozi_analysis.demo import build_demo_tables

    tables, _ = build_demo_tables()
    return tables, rk.build_ranking(tables, period="2022-11-H2")


def test_demo_ranking_covers_every_indicator_and_entity(demo_frames):
    from guozi_analysis.indicators.catalogue import load_catalogue

    tables, frames = demo_frames
    ranking = frames["ranking"]
    ids = set(load_catalogue().ids)
    roster = tables["roster"]
    n_groups = int(roster["is_group"].astype(bool).sum())
    for level, n in (("group", n_groups), ("enterprise", len(roster) - n_groups)):
        sub = ranking.loc[ranking["level"] == level]
        assert set(sub["indicator_id"]) == ids
        assert (sub.groupby("indicator_id").size() == n).all()
    assert (ranking["period"] == "2022-11-H2").all()
    assert set(ranking["as_of"]) == {"2022-11-30"}
    ranked = ~ranking["is_size"]
    assert ranking.loc[ranked, "movement"].isin(["↑", "↓", "—"]).all()  # H1 exists in the demo
    # size indicators are shown, not ranked: no rank, no movement, no points
    size = ranking.loc[~ranked]
    assert set(size["indicator_id"]) == set(rk.size_indicators()) & ids
    assert size["rank"].isna().all() and (size["movement"] == "").all() and size["points"].isna().all()
    # subsidiaries are ranked within their function class; the six groups together
    subs = ranking.loc[(ranking["level"] == "enterprise") & ranked]
    classes = roster.loc[~roster["is_group"].astype(bool)].set_index("enterprise_id")["function_class"]
    assert (subs["peer_class"] == subs["entity_id"].map(classes)).all()
    per_class = classes.value_counts()
    assert (subs["n_entities"] == subs["peer_class"].map(per_class)).all()
    assert subs.groupby(["indicator_id", "peer_class"])["rank"].max().le(subs["peer_class"].map(per_class).max()).all()
    assert set(ranking.loc[ranking["level"] == "group", "peer_class"]) == {rk.ALL_CLASSES}
    # the district total rides along for reference
    assert ranking["district_value"].notna().any()
    comp = frames["ranking_composite"]
    assert set(comp["table"]) == {"breakthrough", "investment", "growth", "assets", "livelihood", "finance",
                                  rk.OVERALL}
    assert comp["score"].dropna().between(0, 100).all()
    # a table whose ranked indicators all are 不适用 for an entity (no livelihood task, no project …)
    # has no score: it is labelled 不适用, never scored by size indicators
    empty = comp.loc[comp["score"].isna()]
    assert (empty["n_indicators"] == 0).all() and (empty["rank_label"] == "不适用").all()
    assert comp.loc[comp["table"] == rk.OVERALL, "score"].notna().all()


def test_shared_frames_keys(demo_frames):
    from guozi_analysis.indicators.formulas import compute_indicators

    tables, frames = demo_frames
    ind = compute_indicators(tables, period="2022-11", roster=tables["roster"])
    out = rk.shared_frames(tables, ind, period="2022-11")
    assert set(out) == {"ranking", "ranking_composite"}
    pd.testing.assert_series_equal(out["ranking"]["rank"], frames["ranking"]["rank"])


# ------------------------------------------------------------------------------------------------
# size indicators and comparable classes: a small hand-worked panel
# ------------------------------------------------------------------------------------------------
CLASS_SETTINGS = {
    **SETTINGS,
    "labels": {**SETTINGS["labels"], "size": "规模指标", "not_ranked": "不排名"},
    "composite": {**SETTINGS["composite"], "table_weights": {"t1": 1}},
    "peer_classes": {"column": "function_class", "levels": ["enterprise"], "order": ["竞争类", "功能类"]},
    "size_indicators": ["heads"],
}
CLASS_CATALOGUE = parse_catalogue({
    "tables": [{"id": "t1", "name_zh": "表一", "order": 1}],
    "indicators": [
        _entry("eff", "t1", "higher_better"),
        _entry("cost", "t1", "lower_better"),
        _entry("heads", "t1", "higher_better", unit="人"),
    ],
})
SUBS = ["E1", "E2", "E3", "E4", "E5", "E6"]
CLASS_ROSTER = pd.DataFrame({
    "enterprise_id": ["G01", *SUBS], "parent_id": [None, "G01", "G01", "G01", "G01", "G01", "G01"],
    "function_class": ["功能类", "竞争类", "竞争类", "竞争类", "功能类", "功能类", "功能类"],
})
CLASS_VALUES = {
    # 竞争类 E1–E3: E1 and E2 tie, E3 did not submit; 功能类 E4–E6: no ties
    "eff": [10.0, 10.0, np.nan, 5.0, 8.0, 2.0],
    "cost": [3.0, 1.0, 2.0, 4.0, 6.0, 5.0],
    # size: E6 is by far the largest — it must not earn a rank for it
    "heads": [100.0, 50.0, 20.0, 80.0, 60.0, 9000.0],
}


def _class_panel():
    frame = _indicators(CLASS_VALUES, level="enterprise", ids=SUBS,
                        reasons={"eff": ["", "", "未报送（缺少：净利润）", "", "", ""]})
    district = pd.DataFrame({"entity_id": "DISTRICT", "entity_name": "全区", "level": "district",
                             "period": "2022-11-H2", "indicator_id": ["eff", "cost", "heads"],
                             "value": [7.5, 3.2, 9310.0], "reason": ""})
    return pd.concat([frame, district], ignore_index=True)


def _class_ranking():
    return rk.rank_indicators(_class_panel(), catalogue=CLASS_CATALOGUE, level="enterprise",
                              settings=CLASS_SETTINGS, roster=CLASS_ROSTER)


def test_ranks_are_worked_within_each_class():
    out = _class_ranking()
    eff = out.loc[out["indicator_id"] == "eff"].set_index("entity_id")
    assert eff["peer_class"].to_dict() == {"E1": "竞争类", "E2": "竞争类", "E3": "竞争类",
                                           "E5": "功能类", "E4": "功能类", "E6": "功能类"}
    # 竞争类: E1 = E2 = 10 → 1（并列）, 1（并列）; E3 未报送 → last of its class (3), not of all six
    # 功能类: E5 8 → 1, E4 5 → 2, E6 2 → 3
    assert {k: int(v) for k, v in eff["rank"].items()} == {"E1": 1, "E2": 1, "E3": 3, "E5": 1, "E4": 2, "E6": 3}
    assert eff["rank_label"].to_dict() == {"E1": "1（并列）", "E2": "1（并列）", "E3": "未报送",
                                           "E5": "1", "E4": "2", "E6": "3"}
    assert eff.loc["E3", "status"] == "未报送" and eff.loc["E3", "reason"] == "未报送（缺少：净利润）"
    assert eff["n_entities"].tolist() == [3] * 6
    assert eff.loc["E1", "n_ranked"] == 2 and eff.loc["E5", "n_ranked"] == 3
    # points within the class (n = 3): 1 → 100, 2 → 50, 3 → 0; 未报送 → missing_points 0
    assert eff["points"].to_dict() == pytest.approx({"E1": 100, "E2": 100, "E3": 0, "E5": 100, "E4": 50, "E6": 0})
    # rows: 竞争类 before 功能类 (params order), rank order inside
    assert out.loc[out["indicator_id"] == "eff", "entity_id"].tolist() == ["E1", "E2", "E3", "E5", "E4", "E6"]
    cost = out.loc[out["indicator_id"] == "cost"].set_index("entity_id")["rank"].astype(int).to_dict()
    assert cost == {"E2": 1, "E3": 2, "E1": 3, "E4": 1, "E6": 2, "E5": 3}


def test_size_indicators_are_shown_not_ranked():
    out = _class_ranking()
    heads = out.loc[out["indicator_id"] == "heads"].set_index("entity_id")
    assert heads["is_size"].all()
    assert heads["rank"].isna().all()
    assert (heads["rank_label"] == "不排名").all() and (heads["status"] == "规模指标").all()
    assert heads["points"].isna().all() and not heads["is_tie"].any()
    assert heads.loc["E6", "value"] == 9000.0  # shown
    # listed largest first within each class
    assert out.loc[out["indicator_id"] == "heads", "entity_id"].tolist() == ["E1", "E2", "E3", "E6", "E4", "E5"]
    comp = rk.composite_scores(out, settings=CLASS_SETTINGS).set_index(["table", "entity_id"])
    # composite = mean of eff and cost points only (heads left out): E6 gets nothing for its size
    # cost 竞争类: E2 100, E3 50, E1 0; 功能类: E4 100, E6 50, E5 0
    expected = {"E1": (100 + 0) / 2, "E2": (100 + 100) / 2, "E3": (0 + 50) / 2,
                "E4": (50 + 100) / 2, "E5": (100 + 0) / 2, "E6": (0 + 50) / 2}
    assert comp.loc["t1", "score"].to_dict() == pytest.approx(expected)
    assert comp.loc["t1", "n_indicators"].to_dict() == dict.fromkeys(SUBS, 2)  # 未报送 keeps its weight
    assert int(comp.loc[("t1", "E3"), "n_missing"]) == 1
    # composite ranked within the class too: 竞争类 E2 1, E1 2, E3 3; 功能类 E4 1, E5 2, E6 3
    ranks = comp.loc["t1", "rank"].astype(int).to_dict()
    assert ranks == {"E2": 1, "E1": 2, "E3": 3, "E4": 1, "E5": 2, "E6": 3}
    assert comp.loc["t1", "peer_class"].to_dict()["E4"] == "功能类"


def test_district_total_is_carried_for_reference():
    out = _class_ranking()
    ref = out.drop_duplicates("indicator_id").set_index("indicator_id")["district_value"].to_dict()
    assert ref == {"eff": 7.5, "cost": 3.2, "heads": 9310.0}
    assert "DISTRICT" not in set(out["entity_id"])


def test_size_rows_carry_no_movement():
    prev = _class_panel().assign(period="2022-11-H1")
    out = rk.rank_indicators(_class_panel(), catalogue=CLASS_CATALOGUE, level="enterprise", previous=prev,
                             settings=CLASS_SETTINGS, roster=CLASS_ROSTER)
    heads = out.loc[out["indicator_id"] == "heads"]
    assert (heads["movement"] == "").all() and heads["rank_change"].isna().all()
    assert set(out.loc[out["indicator_id"] == "eff", "movement"]) == {"—"}


def test_without_a_roster_everybody_is_one_class():
    out = rk.rank_indicators(_class_panel(), catalogue=CLASS_CATALOGUE, level="enterprise", settings=CLASS_SETTINGS)
    eff = out.loc[out["indicator_id"] == "eff"].set_index("entity_id")
    assert set(eff["peer_class"]) == {rk.ALL_CLASSES}
    assert {k: int(v) for k, v in eff["rank"].items()} == {"E1": 1, "E2": 1, "E5": 3, "E4": 4, "E6": 5, "E3": 6}


def test_class_dimension_is_configurable():
    roster = CLASS_ROSTER.assign(industry_class=["非工业", "工业", "非工业", "工业", "非工业", "工业", "非工业"])
    settings = {**CLASS_SETTINGS, "peer_classes": {"column": "industry_class", "levels": ["enterprise"]}}
    out = rk.rank_indicators(_class_panel(), catalogue=CLASS_CATALOGUE, level="enterprise", settings=settings,
                             roster=roster)
    eff = out.loc[out["indicator_id"] == "eff"].set_index("entity_id")
    # 工业 E1, E3, E5: E1 10 → 1, E5 8 → 2, E3 未报送 → 3; 非工业 E2, E4, E6: 10, 5, 2 → 1, 2, 3
    assert {k: int(v) for k, v in eff["rank"].items()} == {"E1": 1, "E5": 2, "E3": 3, "E2": 1, "E4": 2, "E6": 3}


def test_unknown_class_column_is_refused(tmp_path):
    text = rk.load_settings()
    text["peer_classes"] = {"column": "size_class", "levels": ["enterprise"]}
    (tmp_path / "ranking.yaml").write_text(yaml.safe_dump(text, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="peer_classes.column"):
        rk.load_settings(params_dir=tmp_path)


def test_bundled_size_list_names_catalogue_indicators():
    from guozi_analysis.indicators.catalogue import load_catalogue

    cat = load_catalogue()
    known = {s.id for s in cat.indicators}
    size = rk.size_indicators()
    assert size <= known
    # every size indicator is an absolute amount or count, never a ratio or a rate
    assert {cat.get(i).unit for i in size} <= {"万元", "个", "家", "支", "人"}
    # and every table keeps ranked indicators
    for t in cat.tables:
        assert [s for s in cat.enabled() if s.table == t.id and s.id not in size], t.id
    settings = rk.load_settings()
    assert settings["peer_classes"]["column"] == "function_class"
    assert settings["peer_classes"]["levels"] == ["enterprise"]


def test_the_half_month_names_tied_leaders_together(tmp_path):
    """扩投资·竞争类 of the demo (issue 25): 产业投资, 精密机械 and 人才创投 all score 100 — named together as
    并列 leaders, not 产业投资 alone; the headline names tied best/worst groups together too."""
    from types import SimpleNamespace

    from guozi_analysis.publishing.views import half_month

    comp = pd.DataFrame({
        "level": ["enterprise"] * 4 + ["group"] * 3, "table": ["investment"] * 4 + [rk.OVERALL] * 3,
        "table_name": ["扩投资"] * 4 + ["六表总分"] * 3, "table_order": [2] * 4 + [7] * 3,
        "peer_class": ["竞争类"] * 4 + ["全部"] * 3,
        "entity_id": ["E1", "E2", "E3", "E4", "G01", "G02", "G03"],
        "entity_name": ["产业投资全称", "精密机械全称", "人才创投全称", "新材料全称", "甲", "乙", "丙"],
        "score": [100.0, 100.0, 100.0, 40.0, 70.0, 55.5, 70.0], "rank": [1, 1, 1, 4, 1, 3, 1],
    })
    comp.to_parquet(tmp_path / "ranking_composite.parquet")
    pd.DataFrame({"level": ["group"] * 3, "entity_id": ["G01", "G02", "G03"], "light": ["红灯", "", ""]}) \
        .to_parquet(tmp_path / "ranking.parquet")
    roster = pd.DataFrame({"enterprise_id": ["E1", "E2", "E3", "E4", "G01", "G02", "G03"],
                           "short_name": ["产业投资", "精密机械", "人才创投", "新材料", "甲集团", "乙集团", "丙集团"]})
    ctx = SimpleNamespace(processed_dir=tmp_path, roster=roster, period="2022-11-H2")
    row = half_month.leaders_table(ctx, level="enterprise").iloc[0]
    assert row["领先"] == "产业投资、精密机械、人才创投（并列）" and row["领先得分"] == 100.0
    assert row["落后"] == "新材料" and row["落后得分"] == 40.0
    text = half_month.half_month_headline(ctx).data
    assert "综合得分最高的是甲集团、丙集团（并列），最低的是乙集团。" in text
