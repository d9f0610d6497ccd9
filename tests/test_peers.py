"""analyses.peers.peer_standing: the enterprise's rank, the peers' median and best, its side of the median."""

from __future__ import annotations

import numpy as np
import pandas as pd

from guozi_analysis.analyses.peers import peer_standing


def test_standing_by_direction_with_ties_and_missing_values():
    values = pd.DataFrame({
        "roe": [8.0, 5.0, 8.0, 2.0],                        # higher is better
        "debt_to_asset_ratio": [70.0, 55.0, np.nan, 80.0],  # lower is better; C did not report
        "quick_ratio": [1.0, 1.2, 0.9, 1.1],                # a band: no rank, no side
    }, index=["A", "B", "C", "D"])
    directions = {"roe": "higher_better", "debt_to_asset_ratio": "lower_better", "quick_ratio": "band"}
    a = peer_standing(values, entity="A", directions=directions).set_index("indicator_id")
    # roe: A 8 and C 8 share rank 1 (then B 5 rank 3, D 2 rank 4); median of 8, 5, 8, 2 = (5 + 8) / 2 = 6.5;
    # A's 8 > 6.5 → better; best 8
    assert a.loc["roe", "rank"] == 1 and a.loc["roe", "n"] == 4
    assert a.loc["roe", "median"] == 6.5 and a.loc["roe", "best"] == 8.0 and bool(a.loc["roe", "better_than_median"])
    # debt ratio among the three with a value (55, 70, 80): A's 70 is rank 2 of 3, median 70 → equal, no side;
    # best is the lowest, 55
    assert a.loc["debt_to_asset_ratio", "rank"] == 2 and a.loc["debt_to_asset_ratio", "n"] == 3
    assert a.loc["debt_to_asset_ratio", "median"] == 70.0 and a.loc["debt_to_asset_ratio", "best"] == 55.0
    assert pd.isna(a.loc["debt_to_asset_ratio", "better_than_median"])
    assert pd.isna(a.loc["quick_ratio", "rank"]) and pd.isna(a.loc["quick_ratio", "better_than_median"])
    d = peer_standing(values, entity="D", directions=directions).set_index("indicator_id")
    # D: roe 2 < 6.5 → worse, rank 4; debt 80 > 70 → worse (lower is better), rank 3
    assert d.loc["roe", "rank"] == 4 and not bool(d.loc["roe", "better_than_median"])
    assert d.loc["debt_to_asset_ratio", "rank"] == 3 and not bool(d.loc["debt_to_asset_ratio", "better_than_median"])
    c = peer_standing(values, entity="C", directions=directions).set_index("indicator_id")
    # C has no debt ratio: no rank, no side — never ranked last
    assert pd.isna(c.loc["debt_to_asset_ratio", "rank"]) and np.isnan(c.loc["debt_to_asset_ratio", "value"])
    assert pd.isna(c.loc["debt_to_asset_ratio", "better_than_median"])


def _roster() -> pd.DataFrame:
    # two groups (one peer set: groups are not split by class), three subsidiaries: S1, S2 竞争类 (one set), S3 公益类
    return pd.DataFrame({
        "enterprise_id": ["G1", "S1", "S2", "G2", "S3"],
        "parent_id": [None, "G1", "G1", None, "G2"],
        "level": [1, 2, 2, 1, 2],
        "is_group": [True, False, False, True, False],
        "function_class": ["功能类", "竞争类", "竞争类", "竞争类", "公益类"],
    })


def _indicators(values: dict[str, tuple[float, float]]) -> pd.DataFrame:
    rows = [{"entity_id": e, "indicator_id": i, "value": v}
            for e, pair in values.items() for i, v in zip(("roe", "debt_to_asset_ratio"), pair)]
    return pd.DataFrame(rows)


def test_peer_standings_rank_every_enterprise_once_within_its_level_and_class():
    from guozi_analysis.analyses.peers import peer_standings

    directions = {"roe": "higher_better", "debt_to_asset_ratio": "lower_better"}
    ind = _indicators({"G1": (6.0, 60.0), "G2": (9.0, 50.0), "S1": (4.0, 70.0), "S2": (np.nan, 65.0),
                       "S3": (3.0, 40.0), "DISTRICT": (7.0, 55.0)})
    out = peer_standings(ind, _roster(), directions=directions).set_index(["entity_id", "indicator_id"])
    assert sorted(out.index.get_level_values(0).unique()) == ["G1", "G2", "S1", "S2", "S3"]  # no DISTRICT row
    # groups: roe 6 and 9 → G2 first, G1 second; median (6 + 9) / 2 = 7.5, G1 worse; best 9
    assert out.loc[("G1", "roe"), "rank"] == 2 and out.loc[("G1", "roe"), "median"] == 7.5
    assert out.loc[("G1", "roe"), "best"] == 9.0 and not bool(out.loc[("G1", "roe"), "better_than_median"])
    assert (out.loc["G1", "level"] == "group").all() and (out.loc["G1", "peer_class"] == "全部").all()
    assert (out.loc["G1", "set_size"] == 2).all()
    # 竞争类 subsidiaries S1, S2: S2 has no roe → S1 is 1 of 1 (median 4, equal: no side), S2 no rank;
    # debt ratio 70 vs 65 (lower is better): S2 first, S1 second; median 67.5, best 65; the set has 2 members
    assert out.loc[("S1", "roe"), "rank"] == 1 and out.loc[("S1", "roe"), "n"] == 1
    assert pd.isna(out.loc[("S1", "roe"), "better_than_median"])
    assert pd.isna(out.loc[("S2", "roe"), "rank"]) and np.isnan(out.loc[("S2", "roe"), "value"])
    assert out.loc[("S2", "debt_to_asset_ratio"), "rank"] == 1 and out.loc[("S1", "debt_to_asset_ratio"), "rank"] == 2
    assert out.loc[("S1", "debt_to_asset_ratio"), "median"] == 67.5
    assert out.loc[("S1", "debt_to_asset_ratio"), "best"] == 65.0
    assert (out.loc["S1", "peer_class"] == "竞争类").all() and (out.loc["S2", "set_size"] == 2).all()
    # 公益类 S3 alone: rank 1 of 1 on both
    assert out.loc[("S3", "roe"), "rank"] == 1 and out.loc[("S3", "debt_to_asset_ratio"), "n"] == 1
    assert (out.loc["S3", "set_size"] == 1).all() and (out.loc["S3", "level"] == "enterprise").all()


def test_peer_table_agrees_with_peer_standing_of_each_entity():
    from guozi_analysis.analyses.peers import STANDING_COLUMNS, peer_table

    values = pd.DataFrame({"roe": [8.0, 5.0, 8.0, 2.0], "debt_to_asset_ratio": [70.0, 55.0, np.nan, 80.0],
                           "quick_ratio": [1.0, 1.2, 0.9, 1.1]}, index=["A", "B", "C", "D"])
    directions = {"roe": "higher_better", "debt_to_asset_ratio": "lower_better", "quick_ratio": "band"}
    table = peer_table(values, directions=directions)
    for entity in values.index:
        one = peer_standing(values, entity=entity, directions=directions)
        rows = table.loc[table["entity_id"] == entity, STANDING_COLUMNS].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, one)
    # an entity outside the set: no value, no rank; the set's statistics all the same (roe median 6.5)
    out = peer_standing(values, entity="X", directions=directions).set_index("indicator_id")
    assert np.isnan(out.loc["roe", "value"]) and pd.isna(out.loc["roe", "rank"])
    assert out.loc["roe", "median"] == 6.5 and out.loc["roe", "n"] == 4
