"""The half-monthly 晾晒 publication: every enterprise ranked on the six report tables (比学赶超).

Periods and as-of dates
-----------------------
The publication runs per half month (``"2022-11-H1"`` closes on the 15th, ``"2022-11-H2"`` at
month end). A monthly label (``"2022-11"``) is treated as the month-end half month (``H2``): both
close on the same day and read the same data.

:func:`guozi_analysis.indicators.compute_indicators` already handles a half-month period (checked in
:mod:`guozi_analysis.panel`): half-monthly tables (固定资产投资项目) are read at the half month itself,
every monthly table and the 财务快报 at the latest *closed* month (for ``2022-11-H1`` that is October).
This module therefore calls it once per half month and only attaches each figure's as-of date
(数据截至, :func:`indicator_as_of`): the half month's closing day for ``half_monthly`` indicators, the
closed month's end for ``monthly`` ones.

Ranking rules (:func:`rank_indicators`)
---------------------------------------
* Two kinds of indicator (``params/ranking.yaml``, ``size_indicators``): **size** indicators
  (absolute amounts and counts — headcount, total assets, planned investment, idle assets …) are
  *shown, not ranked*: no rank, no 名次, no points, left out of the composite scores (status
  规模指标). Every other indicator (efficiency, structure, progress) is ranked.
* Peer sets: the six groups (``level="group"``) and all subsidiaries of every tier
  (``level="enterprise"``). Within a peer set, ranked indicators are compared within comparable
  classes (``peer_classes``): by default the subsidiaries by the roster's 功能分类 (竞争类 /
  功能类 / 公益类), the six groups together (each group is a mixed portfolio). The class of every
  row is ``peer_class``; ``n_entities`` is the size of that class. Without a roster (or for a level
  not split) everybody is one class (``全部``).
* ``higher_better`` ranks descending, ``lower_better`` ascending, ``band`` by the distance from the
  band (0 inside it, so everyone inside ties for first).
* Equal values share the best rank (``"min"``: 1, 2, 2, 4) and are marked 并列.
* An entity without a value is never skipped: it is ranked last *within its class* (number of
  valued entities of the class + 1), labelled 未报送 when its data were not submitted and 不适用
  when they were submitted but the indicator cannot be computed (zero denominator, no annual
  target …); the reason is kept.
* The district total (全区) of every indicator is carried on each row as ``district_value``, for
  reference only (never ranked).
* Movement against the previous half month: ``rank_change = previous_rank − rank`` (positive is an
  improvement) shown as ↑ / ↓ / —, or 无上期 when there is no previous ranking (empty for size
  indicators).

Composite score (:func:`composite_scores`)
------------------------------------------
Rank-based points per ranked (non-size) indicator: ``max_points × (n − rank) / (n − 1)`` where ``n``
is the number of entities of the class in the ranking — valued or 未报送, not 不适用 (first place 100,
last place 0; ``n = 1`` gives 100). 未报送 scores ``missing_points`` (0) and keeps its weight; 不适用
(no denominator, e.g. no idle asset to revitalise) is out of that indicator's ranking and left out of
that entity's weights (or scores 0, per ``params/ranking.yaml``), so it is neither 100 nor 0. A table's score is the catalogue-weight (``weight``) average of its
indicators' points; the overall score (``table = "overall"``) is the table-weight average of the six
table scores. Scores are ranked like an indicator (higher is better, ties 并列) within the same
class (``peer_class``) as the indicators.

序时进度 and lights
-------------------
序时进度 = :func:`guozi_analysis.base.periods.elapsed_share` at the indicator's as-of date × 100 (the
district's one convention, ``params/district.yaml`` → ``pace``: months elapsed / 12 by default). For the
completion-rate indicators listed in ``params/ranking.yaml`` the gap is ``value − 序时进度``; for the
indicators that already are a gap to 序时进度 (``investment_pace_gap`` …) it is the value itself.
Lights (:func:`progress_light`, the one light rule of every publication — the bulletins' pace table,
the half-month lights, the review's progress table and the workbook all read it): gap ≥
``green_min_gap`` → 绿灯, gap ≥ ``yellow_min_gap`` → 黄灯, else 红灯 (no light when the value is missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.base import periods as _periods
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.params import load_yaml
from guozi_analysis.indicators.catalogue import Catalogue, load_catalogue
from guozi_analysis.indicators.formulas import compute_indicators, safe_divide

__all__ = [
    "LEVELS",
    "OVERALL",
    "load_settings",
    "ranking_period",
    "period_zh",
    "indicator_as_of",
    "pace_percent",
    "progress_light",
    "rank_values",
    "rank_indicators",
    "size_indicators",
    "peer_class_of",
    "complete_columns",
    "composite_scores",
    "build_ranking",
    "shared_frames",
]

LEVELS = ("group", "enterprise")
OVERALL = "overall"
OVERALL_NAME_ZH = "六表总分"
SETTINGS_FILE = "ranking.yaml"
ALL_CLASSES = "全部"
SIZE_STATUS = "规模指标"
SIZE_LABEL = "不排名"

RANKING_COLUMNS = [
    "level", "table", "table_name", "table_order", "indicator_order", "indicator_id", "indicator_name", "unit",
    "direction", "frequency", "weight", "period", "as_of", "entity_id", "entity_name", "group_id", "peer_class",
    "is_size", "value", "district_value", "rank", "n_entities", "n_ranked", "is_tie", "status", "rank_label", "reason", "previous_rank",
    "rank_change", "movement", "points", "pace", "pace_gap", "light",
]
COMPOSITE_COLUMNS = [
    "level", "table", "table_name", "table_order", "period", "entity_id", "entity_name", "group_id", "peer_class",
    "score",
    "rank", "n_entities", "is_tie", "rank_label", "n_indicators", "n_missing", "previous_rank", "rank_change",
    "movement",
]


# --------------------------------------------------------------------------------------------
# settings and periods
# --------------------------------------------------------------------------------------------
def load_settings(*, params_dir: Path | None = None) -> dict:
    """``params/ranking.yaml`` as a mapping, checked for the keys this module reads."""

    data = load_yaml(SETTINGS_FILE, params_dir=params_dir)
    for key in ("labels", "composite", "progress"):
        if not isinstance(data.get(key), dict):
            raise ValueError(f"参数文件 {SETTINGS_FILE} 缺少「{key}」段")
    progress = data["progress"]
    if float(progress["yellow_min_gap"]) > float(progress["green_min_gap"]):
        raise ValueError(f"参数文件 {SETTINGS_FILE}：yellow_min_gap 不应大于 green_min_gap")
    if data["composite"].get("not_applicable", "exclude") not in ("exclude", "zero"):
        raise ValueError(f"参数文件 {SETTINGS_FILE}：composite.not_applicable 只能是 exclude 或 zero")
    classes = data.get("peer_classes") or {}
    if classes.get("column") not in (None, "function_class", "industry_class"):
        raise ValueError(f"参数文件 {SETTINGS_FILE}：peer_classes.column 只能是 function_class（功能分类）"
                         f"或 industry_class（行业分类），收到：{classes.get('column')}")
    bad = [lv for lv in classes.get("levels") or [] if lv not in LEVELS]
    if bad:
        raise ValueError(f"参数文件 {SETTINGS_FILE}：peer_classes.levels 只能是 group 或 enterprise，收到：{'、'.join(bad)}")
    if not isinstance(data.get("size_indicators") or [], list):
        raise ValueError(f"参数文件 {SETTINGS_FILE}：size_indicators 应为指标编号列表")
    return data


def size_indicators(settings: Mapping | None = None) -> frozenset[str]:
    """Catalogue ids that are *size* (shown, not ranked): ``size_indicators`` of ``params/ranking.yaml``."""
    return frozenset(str(i) for i in (_settings(settings).get("size_indicators") or []))


def peer_class_of(entity_ids: pd.Series, *, level: str, roster: pd.DataFrame | None,
                  settings: Mapping | None = None) -> pd.Series:
    """The comparable class (``peer_class``) of each entity of ``level``.

    ``params/ranking.yaml`` → ``peer_classes``: ``column`` is the roster column (``function_class``
    功能分类 or ``industry_class`` 行业分类), ``levels`` the peer sets that are split. Entities of a
    level that is not split, or without a roster, are all :data:`ALL_CLASSES`; an entity the roster
    does not classify gets ``unclassified`` (default 未分类).
    """
    cfg = _settings(settings).get("peer_classes") or {}
    ids = entity_ids.astype(str)
    column = cfg.get("column")
    if roster is None or not column or level not in (cfg.get("levels") or []) or column not in roster.columns:
        return pd.Series(ALL_CLASSES, index=ids.index, dtype=object)
    lookup = roster.assign(_id=roster["enterprise_id"].astype(str).str.strip()).drop_duplicates("_id")
    lookup = lookup.set_index("_id")[column].astype("string").str.strip()
    out = ids.map(lookup).astype(object)
    missing = out.isna() | (out.astype(str) == "")
    return out.where(~missing, str(cfg.get("unclassified", "未分类")))


def _class_order(settings: Mapping) -> dict[str, int]:
    order = list((settings.get("peer_classes") or {}).get("order") or [])
    return {c: k for k, c in enumerate(order)}


def _settings(settings: Mapping | None) -> Mapping:
    return load_settings() if settings is None else settings


def ranking_period(period: str) -> str:
    """The half month a publication covers: ``"2022-11"`` → ``"2022-11-H2"``; half months unchanged."""
    p = _periods.parse_period(period)
    return p.label if p.is_half_monthly else _periods.Period(p.year, p.month, 2).label


def period_zh(period: str) -> str:
    """``"2022-11-H1"`` → 「2022年11月上半月」, ``"2022-11-H2"`` → 「2022年11月下半月」, ``"2022-11"`` → 「2022年11月」."""
    p = _periods.parse_period(period)
    half = {None: "", 1: "上半月", 2: "下半月"}[p.half]
    return f"{p.year}年{p.month}月{half}"


def indicator_as_of(period: str, frequency: str) -> date:
    """数据截至日 of an indicator with catalogue ``frequency`` published for ``period``.

    ``half_monthly`` → the period's closing day; ``monthly`` → the end of the closed month
    (``2022-11-H1`` → 2022-10-31); ``annual`` → 31 December of the year before the closed month.
    """
    if frequency == "half_monthly":
        return _periods.as_of_date(period)
    month = _periods.closed_month(period)
    if frequency == "annual":
        return date(_periods.parse_period(month).year - 1, 12, 31)
    return _periods.as_of_date(month)


def pace_percent(as_of) -> float:
    """序时进度 in percent at ``as_of`` (date, ISO string or period label), the district's convention:
    2022-11-30 → 91.67 (11/12 by months) or 91.51 (334/365 by days)."""
    return _periods.elapsed_share(as_of) * 100.0


def progress_light(gap, *, settings: Mapping | None = None) -> pd.Series:
    """Red/yellow/green light for gaps to 序时进度 (百分点); empty string where the gap is missing."""
    cfg = _settings(settings)["progress"]
    gaps = pd.Series(gap, dtype=float) if not isinstance(gap, pd.Series) else gap.astype(float)
    labels = cfg["lights"]
    out = np.select(
        [gaps.to_numpy() >= float(cfg["green_min_gap"]), gaps.to_numpy() >= float(cfg["yellow_min_gap"]),
         ~np.isnan(gaps.to_numpy())],
        [labels["green"], labels["yellow"], labels["red"]],
        default="",
    )
    return pd.Series(out, index=gaps.index, dtype="string")


# --------------------------------------------------------------------------------------------
# ranking
# --------------------------------------------------------------------------------------------
def rank_values(values: pd.Series, *, direction: str, band: tuple[float, float] | None = None) -> pd.Series:
    """Competition ranks (``"min"``: 1, 2, 2, 4) of ``values`` respecting ``direction``; NaN ranked last.

    ``band`` ranks by the distance from ``[low, high]`` (0 inside). Missing values all get
    ``number of valued entries + 1``. Returns an ``Int64`` Series on ``values``' index.
    """
    x = values.astype(float)
    if direction == "higher_better":
        key = -x
    elif direction == "lower_better":
        key = x
    elif direction == "band":
        if band is None:
            raise ValueError("区间型指标须给出合理区间 band")
        low, high = band
        key = (low - x).clip(lower=0) + (x - high).clip(lower=0)
        key = key.where(x.notna())
    else:
        raise ValueError(f"未知的指标方向：{direction}")
    ranks = key.rank(method="min", ascending=True)
    ranks = ranks.fillna(float(key.notna().sum() + 1))
    return ranks.round().astype("Int64")


def _group_ids(entity_ids: pd.Series, level: str, tree: EnterpriseTree | None) -> np.ndarray:
    """The group (集团) of each entity, from the roster's parent codes.

    Without a roster a group is its own group and a subsidiary's group is unknown (""): an
    enterprise code is never parsed.
    """
    ids = entity_ids.astype(str)
    if tree is not None:
        return ids.map(tree.group_map()).fillna("").to_numpy(dtype=object)
    return np.where(level == "group", ids.to_numpy(dtype=object), "").astype(object)


def _tree(roster: pd.DataFrame | None) -> EnterpriseTree | None:
    return None if roster is None else EnterpriseTree.from_roster(roster)


def _entities(indicators: pd.DataFrame, level: str) -> pd.DataFrame:
    sub = indicators.loc[indicators["level"].astype(str) == level, ["entity_id", "entity_name"]]
    sub = sub.drop_duplicates("entity_id").astype({"entity_id": str, "entity_name": str})
    return sub.sort_values("entity_id").reset_index(drop=True)


def _period_of(indicators: pd.DataFrame) -> str:
    labels = indicators["period"].dropna().astype(str).unique() if "period" in indicators else []
    if len(labels) != 1:
        raise ValueError(f"指标表应恰好属于一个期间，实际为：{'、'.join(map(str, labels)) or '无'}")
    return str(labels[0])


def _spec_frame(catalogue: Catalogue, period: str) -> pd.DataFrame:
    """One row per enabled indicator: metadata, as-of date and 序时进度 at that date."""
    tables = {t.id: t for t in catalogue.tables}
    rows = []
    for order, spec in enumerate(catalogue.enabled()):
        as_of = indicator_as_of(period, spec.frequency)
        low, high = spec.band if spec.band is not None else (np.nan, np.nan)
        rows.append({
            "table": spec.table, "table_name": tables[spec.table].name_zh, "table_order": tables[spec.table].order,
            "indicator_order": order, "indicator_id": spec.id, "indicator_name": spec.name_zh, "unit": spec.unit,
            "direction": spec.direction, "frequency": spec.frequency, "weight": float(spec.weight),
            "as_of": as_of.isoformat(), "_pace": pace_percent(as_of), "_low": low, "_high": high,
        })
    return pd.DataFrame(rows)


def _sort_key(values: np.ndarray, direction: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Smaller is better: −value, value, or the distance from the band."""
    with np.errstate(invalid="ignore"):
        distance = np.fmax(low - values, 0.0) + np.fmax(values - high, 0.0)
    distance = np.where(np.isnan(values), np.nan, distance)
    return np.select([direction == "higher_better", direction == "lower_better", direction == "band"],
                     [-values, values, distance], default=np.nan)


def _rank_level(indicators: pd.DataFrame, *, catalogue: Catalogue, level: str, settings: Mapping,
                tree: EnterpriseTree | None = None, roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank every enabled indicator for one peer set, class by class (no movement columns yet)."""
    if level not in LEVELS:
        raise ValueError(f"排名范围只能是 group（集团）或 enterprise（子企业），收到：{level}")
    labels, cfg = settings["labels"], settings["composite"]
    size_status = str(labels.get("size", SIZE_STATUS))
    size_label = str(labels.get("not_ranked", SIZE_LABEL))
    period = _period_of(indicators)
    entities = _entities(indicators, level)
    entities["peer_class"] = peer_class_of(entities["entity_id"], level=level, roster=roster,
                                           settings=settings).to_numpy()
    specs = _spec_frame(catalogue, period)
    sub = indicators.loc[(indicators["level"].astype(str) == level).to_numpy()]
    given = pd.DataFrame({
        "indicator_id": sub["indicator_id"].astype(str).to_numpy(),
        "entity_id": sub["entity_id"].astype(str).to_numpy(),
        "value": sub["value"].to_numpy(dtype=float, na_value=np.nan),
        "reason": (sub["reason"].astype("string").fillna("").to_numpy(dtype=object) if "reason" in sub
                   else np.full(len(sub), "", dtype=object)),
    }).drop_duplicates(["indicator_id", "entity_id"])
    district = indicators.loc[(indicators["level"].astype(str) == "district").to_numpy()]
    district = pd.Series(district["value"].to_numpy(dtype=float, na_value=np.nan),
                         index=district["indicator_id"].astype(str).to_numpy())
    district = district[~district.index.duplicated()]
    grid = specs.merge(entities, how="cross")
    grid = grid.merge(given, on=["indicator_id", "entity_id"], how="left")
    n_class = grid.groupby(["indicator_id", "peer_class"], sort=False)["entity_id"].transform("count").to_numpy()

    values = grid["value"].to_numpy(dtype=float)
    valid = ~np.isnan(values)
    is_size = grid["indicator_id"].isin(size_indicators(settings)).to_numpy()
    ranked = ~is_size
    reasons = grid["reason"].fillna("").to_numpy(dtype=object)
    reasons = np.where(~valid & (reasons == ""), "未报送（无数据）", reasons)
    key = _sort_key(values, grid["direction"].to_numpy(dtype=object), grid["_low"].to_numpy(float),
                    grid["_high"].to_numpy(float))
    grid["_key"] = np.where(ranked, key, np.nan)
    by_class = grid.groupby(["indicator_id", "peer_class"], sort=False)["_key"]
    rank = by_class.rank(method="min").to_numpy()
    n_ranked = by_class.transform("count").to_numpy(dtype=int)
    rank = np.where(valid, rank, n_ranked + 1)
    grid["_rank"] = rank
    ties = ranked & valid & (grid.groupby(["indicator_id", "peer_class", "_rank"], sort=False)["_key"]
                             .transform("count").to_numpy() > 1)

    missing = ~valid & np.array([str(r).startswith("未报送") for r in reasons], dtype=bool)
    status = np.where(valid, np.where(is_size, size_status, np.where(ties, labels["tie"], "正常")),
                      np.where(missing, labels["missing"], labels["not_applicable"]))
    rank_int = np.nan_to_num(rank, nan=0).astype(int)
    rank_text = rank_int.astype(str)
    rank_label = np.where(valid, np.where(ties, np.char.add(rank_text, f"（{labels['tie']}）"), rank_text), status)
    rank_label = np.where(is_size, np.where(valid, size_label, status), rank_label)
    n_ranked = np.where(is_size, 0, n_ranked)

    top = float(cfg.get("max_points", 100))
    # 不适用 (no denominator: nothing to revitalise, no task …) is out of the ranking: the points run over
    # the entities that are ranked — valued ones and 未报送 (ranked last) — so the last valued entity of
    # five scores 0 whether or not a sixth one is 不适用
    out_of_ranking = pd.Series(~valid & ~missing, index=grid.index)
    n_scored = n_class - out_of_ranking.groupby([grid["indicator_id"], grid["peer_class"]], sort=False) \
        .transform("sum").to_numpy(dtype=int)
    with np.errstate(invalid="ignore", divide="ignore"):
        points = np.where(n_scored > 1, top * (n_scored - rank_int) / np.maximum(n_scored - 1, 1), top)
    na_points = np.nan if cfg.get("not_applicable", "exclude") == "exclude" else 0.0
    points = np.where(valid, points, np.where(missing, float(cfg.get("missing_points", 0)), na_points))
    points = np.where(is_size, np.nan, points)

    progress = settings["progress"]
    ids = grid["indicator_id"].to_numpy(dtype=object)
    is_completion = np.isin(ids, list(progress.get("completion_indicators") or []))
    is_gap = np.isin(ids, list(progress.get("gap_indicators") or []))
    pace = np.where(is_completion | is_gap, grid["_pace"].to_numpy(float), np.nan)
    gap = np.where(is_completion, values - pace, np.where(is_gap, values, np.nan))

    out = grid.assign(
        level=level,
        period=period,
        group_id=_group_ids(grid["entity_id"], level, tree),
        is_size=is_size,
        district_value=grid["indicator_id"].map(district).astype(float).to_numpy(),
        rank=pd.array(np.where(is_size, None, rank_int), dtype="Int64"),
        n_entities=n_class,
        n_ranked=n_ranked,
        is_tie=ties,
        status=pd.array(status, dtype="string"),
        rank_label=pd.array(rank_label, dtype="string"),
        reason=pd.array(np.where(valid, "", reasons).astype(str), dtype="string"),
        points=points.astype(float),
        pace=pace,
        pace_gap=gap,
        light=progress_light(pd.Series(gap, index=grid.index), settings=settings),
    )
    return out


def _movement(rank_change: pd.Series, has_previous: pd.Series, labels: Mapping) -> pd.Series:
    change = rank_change.astype(float).to_numpy()
    out = np.where(change > 0, labels["up"], np.where(change < 0, labels["down"], labels["same"]))
    out = np.where(has_previous.to_numpy(), out, labels["no_previous"])
    return pd.Series(out, index=rank_change.index, dtype="string")


def _attach_previous(frame: pd.DataFrame, previous: pd.DataFrame | None, keys: list[str],
                     labels: Mapping) -> pd.DataFrame:
    out = frame.copy()
    if previous is None:
        prev = pd.Series(pd.NA, index=out.index, dtype="Int64")
    else:
        lookup = previous.set_index(keys)["rank"]
        idx = pd.MultiIndex.from_frame(out[keys])
        prev = pd.Series(lookup.reindex(idx).to_numpy(), index=out.index).astype("Int64")
    out["previous_rank"] = prev
    out["rank_change"] = (prev - out["rank"].astype("Int64")).astype("Int64")
    out["movement"] = _movement(out["rank_change"].astype("Float64").fillna(0.0), prev.notna(), labels)
    if "is_size" in out.columns:
        out["movement"] = out["movement"].where(~out["is_size"].astype(bool), "")
    return out


def rank_indicators(indicators: pd.DataFrame, *, catalogue: Catalogue | None = None, level: str = "group",
                    previous: pd.DataFrame | None = None, settings: Mapping | None = None,
                    roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank one peer set on every enabled catalogue indicator.

    Parameters
    ----------
    indicators:
        Tidy output of :func:`guozi_analysis.indicators.compute_indicators` for one period
        (columns ``entity_id, entity_name, level, period, indicator_id, value, reason``).
    catalogue:
        Directions, bands, weights, frequencies and table order (default: ``params/indicators.yaml``).
    level:
        ``"group"`` (the six groups) or ``"enterprise"`` (every subsidiary, all tiers).
    previous:
        The previous half month's indicators (same shape); gives ``previous_rank``, ``rank_change``
        and ``movement``. ``None`` → 无上期.
    settings:
        ``params/ranking.yaml`` mapping (default: loaded from ``params/``).
    roster:
        The 企业名录; ``group_id`` (所属集团) comes from its parent codes. Without it a group is its
        own group and a subsidiary's ``group_id`` is empty.

    Returns a tidy frame, one row per indicator × entity (every entity of the peer set, valued or
    not), with the columns of :data:`RANKING_COLUMNS`, ordered by table, indicator and rank.
    """
    catalogue = catalogue or load_catalogue()
    settings = _settings(settings)
    tree = _tree(roster)
    out = _rank_level(indicators, catalogue=catalogue, level=level, settings=settings, tree=tree, roster=roster)
    prev = None
    if previous is not None:
        prev = _rank_level(previous, catalogue=catalogue, level=level, settings=settings, tree=tree, roster=roster)
    return _finish(out, prev, settings)


def _finish(ranking: pd.DataFrame, previous: pd.DataFrame | None, settings: Mapping) -> pd.DataFrame:
    """Movement, then rows by table, indicator, class, rank (size indicators: largest value first)."""
    out = _attach_previous(ranking, previous, ["indicator_id", "entity_id"], settings["labels"])
    order = _class_order(settings)
    out["_class"] = out["peer_class"].map(lambda c: order.get(c, len(order)))
    out["_pos"] = out["rank"].astype("Float64").fillna(np.inf).astype(float)
    size_pos = out["value"].where(out["is_size"]).astype(float)
    out["_pos"] = np.where(out["is_size"], -size_pos.fillna(-np.inf), out["_pos"])
    out = out.sort_values(["table_order", "indicator_order", "_class", "peer_class", "_pos", "entity_id"],
                          kind="stable")
    return out[RANKING_COLUMNS].reset_index(drop=True)


def _rank_scores(scores: pd.DataFrame, labels: Mapping) -> pd.DataFrame:
    out = scores.copy()
    out["rank"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["is_tie"] = False
    for _, idx in out.groupby(["level", "peer_class", "table"], sort=False).groups.items():
        # ranked on the score as printed (2 decimals): two entities shown with the same score share the rank
        rank = rank_values(out.loc[idx, "score"].round(2), direction="higher_better")
        out.loc[idx, "rank"] = rank
        valid = out.loc[idx, "score"].notna()
        counts = rank.map(rank[valid].value_counts()).fillna(0)
        out.loc[idx, "is_tie"] = (valid & (counts > 1)).to_numpy()
        out.loc[idx, "n_entities"] = len(idx)
    label = out["rank"].astype(str).where(~out["is_tie"], out["rank"].astype(str) + f"（{labels['tie']}）")
    out["rank_label"] = label.where(out["score"].notna(), labels["not_applicable"]).astype("string")
    out["n_entities"] = out["n_entities"].astype(int)
    return out


def complete_columns(ranking: pd.DataFrame) -> pd.DataFrame:
    """A ranking frame with the class and size columns (older frames: one class, nothing size)."""
    out = ranking.reset_index(drop=True)
    if "peer_class" not in out.columns:
        out = out.assign(peer_class=ALL_CLASSES)
    if "is_size" not in out.columns:
        out = out.assign(is_size=False)
    if "district_value" not in out.columns:
        out = out.assign(district_value=np.nan)
    return out


def _composite(ranking: pd.DataFrame, settings: Mapping) -> pd.DataFrame:
    labels = settings["labels"]
    ranking = complete_columns(ranking)
    valid = ranking["points"].notna()
    work = pd.DataFrame({
        "level": ranking["level"].astype(str),
        "table": ranking["table"].astype(str),
        "table_name": ranking["table_name"].astype(str),
        "table_order": ranking["table_order"].astype(int),
        "period": ranking["period"].astype(str),
        "entity_id": ranking["entity_id"].astype(str),
        "entity_name": ranking["entity_name"].astype(str),
        "group_id": ranking["group_id"].astype(str),
        "peer_class": ranking["peer_class"].astype(str),
        "wp": (ranking["weight"].astype(float) * ranking["points"]).where(valid, 0.0),
        "w": ranking["weight"].astype(float).where(valid, 0.0),
        "counted": valid.astype(int),
        "missing": ((ranking["status"].astype(str) == labels["missing"])
                    & ~ranking["is_size"].astype(bool)).astype(int),
    })
    keys = ["level", "table", "table_name", "table_order", "period", "entity_id", "entity_name", "group_id",
            "peer_class"]
    agg = work.groupby(keys, sort=False, as_index=False)[["wp", "w", "counted", "missing"]].sum()
    agg["score"] = safe_divide(agg["wp"], agg["w"])
    agg = agg.rename(columns={"counted": "n_indicators", "missing": "n_missing"})

    weights = {str(k): float(v) for k, v in (settings["composite"].get("table_weights") or {}).items()}
    tw = agg["table"].map(weights).fillna(1.0).astype(float)
    has = agg["score"].notna()
    agg["_tw_s"] = (tw * agg["score"]).where(has, 0.0)
    agg["_tw"] = tw.where(has, 0.0)
    okeys = ["level", "period", "entity_id", "entity_name", "group_id", "peer_class"]
    overall = agg.groupby(okeys, sort=False, as_index=False)[["_tw_s", "_tw", "n_indicators", "n_missing"]].sum()
    overall["score"] = safe_divide(overall["_tw_s"], overall["_tw"])
    overall["table"] = OVERALL
    overall["table_name"] = OVERALL_NAME_ZH
    overall["table_order"] = int(agg["table_order"].max()) + 1 if len(agg) else 99
    cols = keys + ["score", "n_indicators", "n_missing"]
    both = pd.concat([agg[cols], overall[cols]], ignore_index=True)
    both["n_entities"] = 0
    return _rank_scores(both, labels)


def composite_scores(ranking: pd.DataFrame, *, previous: pd.DataFrame | None = None,
                     settings: Mapping | None = None) -> pd.DataFrame:
    """Per-table composite scores (0–100) and the overall 六表总分, ranked within each peer set.

    ``ranking`` is the output of :func:`rank_indicators` (one or both levels concatenated);
    ``previous`` the same for the previous half month (gives movement). A table's score is the
    weight-average of its indicators' rank points (see module docstring); ``score`` is NaN when
    no indicator of the table counts for the entity.
    """
    settings = _settings(settings)
    out = _composite(ranking, settings)
    prev = _composite(previous, settings) if previous is not None else None
    out = _attach_previous(out, prev, ["level", "table", "entity_id"], settings["labels"])
    order = _class_order(settings)
    out["_class"] = out["peer_class"].map(lambda c: order.get(c, len(order)))
    out["level"] = pd.Categorical(out["level"], categories=list(LEVELS))
    out = out.sort_values(["level", "table_order", "_class", "peer_class", "rank", "entity_id"], kind="stable")
    out["level"] = out["level"].astype(str)
    return out[COMPOSITE_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# the shared step
# --------------------------------------------------------------------------------------------
def build_ranking(tables: Mapping[str, pd.DataFrame], *, period: str, indicators: pd.DataFrame | None = None,
                  roster: pd.DataFrame | None = None, catalogue: Catalogue | None = None,
                  settings: Mapping | None = None) -> dict[str, pd.DataFrame]:
    """Rankings and composite scores of one half month, with movement against the previous one.

    ``indicators`` (already computed for ``period``) is reused when given; the previous half
    month's indicators are computed from ``tables``. ``group_id`` (所属集团) follows the roster's
    parent codes. Returns ``{"ranking": …, "ranking_composite": …}`` covering both peer sets
    (groups and subsidiaries).
    """

    catalogue = catalogue or load_catalogue()
    settings = _settings(settings)
    half = ranking_period(period)
    roster = tables.get("roster") if roster is None else roster
    current = indicators if indicators is not None else compute_indicators(
        tables, period=half, roster=roster, catalogue=catalogue)
    before = compute_indicators(tables, period=_periods.previous_period(half), roster=roster, catalogue=catalogue)
    tree = _tree(roster)
    ranks, prev_ranks = [], []
    for level in LEVELS:
        prev = _rank_level(before, catalogue=catalogue, level=level, settings=settings, tree=tree, roster=roster)
        now = _rank_level(current, catalogue=catalogue, level=level, settings=settings, tree=tree, roster=roster)
        ranks.append(_finish(now, prev, settings))
        prev_ranks.append(_finish(prev, None, settings))
    ranking = pd.concat(ranks, ignore_index=True)
    previous = pd.concat(prev_ranks, ignore_index=True)
    ranking["period"] = half
    composite = composite_scores(ranking, previous=previous, settings=settings)
    return {"ranking": ranking, "ranking_composite": composite}


def shared_frames(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame, *,
                  period: str) -> dict[str, pd.DataFrame]:
    """Frames the 晾晒 notebook reads: ``ranking.parquet`` and ``ranking_composite.parquet``.

    ``indicators`` is the shared step's indicator frame for ``period`` (a monthly period is
    published as its month-end half month).
    """
    return build_ranking(tables, period=period, indicators=indicators)


