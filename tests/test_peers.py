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
