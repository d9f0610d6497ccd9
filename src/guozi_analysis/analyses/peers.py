"""Where one enterprise stands among its peers (same level, same class): the profiles' assessment.

The peer set is the one of the 晾晒 (``params/ranking.yaml`` → ``peer_classes``: the six groups together,
subsidiaries by 功能分类). On each indicator the enterprise's value is compared with the peers that have
one: its competition rank by the indicator's direction (1 = best; equal values share the best rank, as in the 晾晒's
:func:`~guozi_analysis.analyses.ranking.rank_values`), the
peers' median and best, and whether it is on the good side of the median. A missing value has no rank
and no side (never counted as last or as 0).

Every profile reads its standing; the shared step computes the standings of every enterprise once
(:func:`peer_standings`, stored as ``peer_standing.parquet`` by :func:`shared_frames`), so a profile reads
its own rows instead of its whole peer set (issue 27: a profile's cost near an empty notebook's).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from guozi_analysis.analyses.ranking import peer_class_of
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.indicators.catalogue import catalogue_frame

__all__ = ["STANDING_COLUMNS", "SET_COLUMNS", "peer_standing", "peer_table", "peer_standings", "shared_frames"]

STANDING_COLUMNS = ["indicator_id", "value", "median", "best", "rank", "n", "better_than_median"]
#: What :func:`peer_standings` adds to each row: the entity, its peer set (level, class) and the set's size
#: (members with indicator rows, whether or not they have a value of the indicator).
SET_COLUMNS = ["entity_id", "level", "peer_class", "set_size"]


def peer_table(values: pd.DataFrame, *, directions: Mapping[str, str]) -> pd.DataFrame:
    """The standing of every entity of ``values`` on each indicator (see :func:`peer_standing`).

    One row per (entity, indicator), entities in the order of ``values``' index, indicators in its column
    order: ``entity_id`` then :data:`STANDING_COLUMNS`. Computed once per indicator for the whole set
    (sorted values and a binary search give every entity's count of strictly better peers).
    """
    grid = values.to_numpy(dtype=float, na_value=np.nan) if len(values.columns) else np.empty((len(values), 0))
    entities = values.index.astype(str).to_numpy(dtype=object)
    parts = []
    for k, indicator in enumerate(values.columns):
        column = grid[:, k]
        missing = np.isnan(column)
        valued = np.sort(column[~missing])
        direction = str(directions.get(indicator, ""))
        median = float(np.median(valued)) if len(valued) else np.nan
        sided = direction in ("higher_better", "lower_better")
        lower = direction == "lower_better"
        best = (float(valued[0]) if lower else float(valued[-1])) if len(valued) and sided else np.nan
        rank = pd.array([pd.NA] * len(column), dtype="Int64")
        better = pd.array([pd.NA] * len(column), dtype="boolean")
        if sided:
            # competition rank of rank_values ("min"): 1 + how many peers are strictly better
            ahead = np.searchsorted(valued, column, side="left") if lower else \
                len(valued) - np.searchsorted(valued, column, side="right")
            rank = pd.array(np.where(missing, 0, 1 + ahead), dtype="Int64")
            rank[missing] = pd.NA
            side = pd.array(column < median if lower else column > median, dtype="boolean")
            side[missing | (column == median)] = pd.NA
            better = side
        parts.append(pd.DataFrame({"entity_id": entities, "indicator_id": str(indicator), "value": column,
                                   "median": median, "best": best, "rank": rank, "n": int(len(valued)),
                                   "better_than_median": better}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ["entity_id", *STANDING_COLUMNS]})
    out = pd.concat(parts, ignore_index=True)
    out["rank"] = out["rank"].astype("Int64")
    out["better_than_median"] = out["better_than_median"].astype("boolean")
    return out


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
    ids = values.index.astype(str)
    where = np.flatnonzero(ids == str(entity))
    if len(where):  # the entity's (first) row among its peers
        own = values.iloc[[int(where[0])]]
        rest = values.drop(values.index[int(where[0])])
    else:  # not among them: no value, no rank; the peers' statistics all the same
        own = pd.DataFrame(np.nan, index=[str(entity)], columns=values.columns)
        rest = values
    table = peer_table(pd.concat([own, rest]) if len(rest) else own, directions=directions)
    out = table.loc[table["entity_id"] == str(entity)]
    out = out.groupby("indicator_id", sort=False).head(1)  # the first row: the entity's own
    return out[STANDING_COLUMNS].reset_index(drop=True)


def peer_standings(indicators: pd.DataFrame, roster: pd.DataFrame, *,
                   directions: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Every enterprise's standing in its peer set, on every indicator of ``indicators`` (one period).

    The peer sets are the 晾晒's (:func:`~guozi_analysis.analyses.ranking.peer_class_of`): the groups
    (level ``group``) and the subsidiaries (level ``enterprise``), each split by class where
    ``params/ranking.yaml`` says so. ``directions`` defaults to the catalogue's. Columns:
    :data:`SET_COLUMNS` then :data:`STANDING_COLUMNS` without the entity (``set_size``: the members of
    the set with indicator rows). An enterprise without indicator rows gets rows without a value.
    """
    if directions is None:
        directions = catalogue_frame().set_index("id")["direction"].to_dict()
    tree = EnterpriseTree.from_roster(roster)
    rows = indicators.assign(entity_id=indicators["entity_id"].astype(str))
    parts = []
    for level, members in (("group", list(tree.groups)),
                           ("enterprise", [e for e in tree.order if not tree.is_group(e)])):
        if not members:
            continue
        members = pd.Series(members, dtype=object)
        classes = peer_class_of(members, level=level, roster=roster)
        for klass, chunk in members.groupby(classes.to_numpy(), sort=True):
            own = rows.loc[rows["entity_id"].isin(set(chunk))]
            wide = own.pivot_table(index="entity_id", columns="indicator_id", values="value", aggfunc="first",
                                   dropna=False)
            size = len(wide)
            table = peer_table(wide.reindex(index=list(chunk)), directions=directions)
            parts.append(table.assign(level=level, peer_class=str(klass), set_size=size))
    if not parts:
        return pd.DataFrame(columns=[*SET_COLUMNS, *STANDING_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    return out[[*SET_COLUMNS, *STANDING_COLUMNS]]


def shared_frames(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame, *,
                  period: str) -> dict[str, pd.DataFrame]:
    """What the profiles read of their peers, computed once in the shared step: ``peer_standing.parquet``
    (:func:`peer_standings` of this period's indicators)."""
    return {"peer_standing": peer_standings(indicators, tables["roster"])}
