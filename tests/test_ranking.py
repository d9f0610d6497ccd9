"""Half-monthly 晾晒 rankings: direction, ties, missing submissions, movement, composite, 序时进度."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

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
    # t2: band G01 1, G04 1, G02 3, G03 4 → 100, 100, 33.33, 0; done_rate G01 1, G04 2, G02 3, G03 不适用
    assert comp.loc[("t2", "G03"), "score"] == pytest.approx(0.0)  # 不适用 leaves the weights
    assert comp.loc[("t2", "G01"), "score"] == pytest.approx(100.0)
    assert comp.loc[("t2", "G04"), "score"] == pytest.approx((100 + 200 / 3) / 2)
    # overall = equal-weight mean of the two table scores
    for eid in GROUPS:
        expected = (comp.loc[("t1", eid), "score"] + comp.loc[("t2", eid), "score"]) / 2
        assert comp.loc[(rk.OVERALL, eid), "score"] == pytest.approx(expected)
    t1 = comp.loc["t1"].sort_values("rank")
    assert t1.index.tolist()[0] == "G03" and int(t1["rank"].iloc[0]) == 1


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


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2022-11-30", 334 / 365 * 100),   # month end
    ("2022-11-15", 319 / 365 * 100),   # mid-month (H1)
    ("2024-02-29", 60 / 366 * 100),    # leap day
    ("2024-03-15", 75 / 366 * 100),    # mid-month in a leap year
    ("2022-12-31", 100.0),
])
def test_pace_percent(as_of, expected):
    assert rk.pace_percent(as_of) == pytest.approx(expected)


def test_progress_gap_and_lights_mid_month():
    # H1: half-monthly indicator as of 11-15 → pace 319/365 = 87.40%
    frame = _indicators(BASE, period="2022-11-H1")
    out = rk.rank_indicators(frame, catalogue=CATALOGUE, settings=SETTINGS)
    sub = out.loc[out["indicator_id"] == "done_rate"].set_index("entity_id")
    pace = 319 / 365 * 100
    assert sub["pace"].to_numpy() == pytest.approx([pace] * 4)
    assert sub.loc["G01", "pace_gap"] == pytest.approx(95 - pace)
    assert sub["light"].to_dict() == {"G01": "绿灯", "G04": "绿灯", "G02": "黄灯", "G03": "红灯"}
    assert sub.loc["G01", "as_of"] == "2022-11-15"
    # not a progress indicator: no pace, no light
    other = out.loc[out["indicator_id"] == "up"]
    assert other["pace"].isna().all() and (other["light"] == "").all()
    assert set(out.loc[out["indicator_id"] == "up", "as_of"]) == {"2022-10-31"}


def test_progress_lights_month_end_and_leap_year():
    # month end: pace 334/365 = 91.51 → 92 green, 85 yellow (−6.5), 70 red (−21.5)
    out = rk.rank_indicators(_indicators(BASE), catalogue=CATALOGUE, settings=SETTINGS)
    sub = out.loc[out["indicator_id"] == "done_rate"].set_index("entity_id")
    assert sub["light"].to_dict() == {"G01": "绿灯", "G04": "绿灯", "G02": "黄灯", "G03": "红灯"}
    # leap year H1 of February: as of 2024-02-15 → 46/366 = 12.57%
    leap = _indicators({"done_rate": [12.6, 12.5, 2.56, 2.58]}, period="2024-02-H1")
    sub = rk.rank_indicators(leap, catalogue=CATALOGUE, settings=SETTINGS)
    sub = sub.loc[sub["indicator_id"] == "done_rate"].set_index("entity_id")
    pace = 46 / 366 * 100
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
    assert ranking["movement"].isin(["↑", "↓", "—"]).all()  # H1 exists in the demo
    comp = frames["ranking_composite"]
    assert set(comp["table"]) == {"breakthrough", "investment", "growth", "assets", "livelihood", "finance",
                                  rk.OVERALL}
    assert comp["score"].between(0, 100).all()


def test_shared_frames_keys(demo_frames):
    from guozi_analysis.indicators.formulas import compute_indicators

    tables, frames = demo_frames
    ind = compute_indicators(tables, period="2022-11", roster=tables["roster"])
    out = rk.shared_frames(tables, ind, period="2022-11")
    assert set(out) == {"ranking", "ranking_composite"}
    pd.testing.assert_series_equal(out["ranking"]["rank"], frames["ranking"]["rank"])
