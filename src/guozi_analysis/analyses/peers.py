"""Where one enterprise stands among its peers (same level, same class): the profiles' assessment.

The peer set is the one of the 晾晒 (``params/ranking.yaml`` → ``peer_classes``: the six groups together,
subsidiaries by 功能分类). On each indicator the enterprise's value is compared with the peers that have
one: its competition rank by the indicator's direction (1 = best; equal values share the best rank), the
peers' median and best, and whether it is on the good side of the median. A missing value has no rank
and no side (never counted as last or as 0).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from guozi_analysis.analyses.ranking import rank_values

__all__ = ["STANDING_COLUMNS", "peer_standing"]

STANDING_COLUMNS = ["indicator_id", "value", "median", "best", "rank", "n", "better_than_median"]


def peer_standing(values: pd.DataFrame, *, entity: str, directions: Mapping[str, str]) -> pd.DataFrame:
    """The standing of ``entity`` on each indicator among the entities of ``values``.

    ``values`` is wide: one row per peer (index: entity ids, the enterprise itself included), one column
    per indicator. ``directions`` gives each indicator's catalogue direction (``higher_better`` or
    ``lower_better``; another direction — a band — gets a rank of NaN and no side).

    Returns one row per column of ``values`` (:data:`STANDING_COLUMNS`): ``value`` (the enterprise's),
    ``median`` and ``best`` of the peers with a value, ``rank`` among them (``Int64``; NA when the
    enterprise has no value), ``n`` how many peers have a value, and ``better_than_median`` (True when
    strictly better than the median in the indicator's direction, False when strictly worse, NA when
    equal, missing or the direction has no side).
    """
    rows = []
    for indicator in values.columns:
        column = values[indicator].astype(float)
        valued = column.dropna()
        direction = str(directions.get(indicator, ""))
        own = float(column.get(entity, np.nan))
        median = float(valued.median()) if len(valued) else np.nan
        sided = direction in ("higher_better", "lower_better")
        lower = direction == "lower_better"
        best = (float(valued.min()) if lower else float(valued.max())) if len(valued) and sided else np.nan
        rank = pd.NA
        better = pd.NA
        if sided and not np.isnan(own):
            rank = int(rank_values(valued, direction=direction).get(entity))
            if own != median:
                better = bool(own < median) if lower else bool(own > median)
        rows.append({"indicator_id": str(indicator), "value": own, "median": median, "best": best,
                     "rank": rank, "n": int(len(valued)), "better_than_median": better})
    out = pd.DataFrame(rows, columns=STANDING_COLUMNS)
    out["rank"] = out["rank"].astype("Int64")
    out["better_than_median"] = out["better_than_median"].astype("boolean")
    return out
