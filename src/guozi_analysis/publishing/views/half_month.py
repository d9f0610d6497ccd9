"""The 半月晾晒通报 (六张报表晾晒): the league tables, the lights grid, 表扬 and 提醒, movers and missing reports.

Everything is read from the shared step's stored rankings (``ranking`` and ``ranking_composite``,
:mod:`guozi_analysis.analyses.ranking`): scores, ranks (ties stored as ties), lights and movement are
computed there once; these views only choose rows and word them. The wording of 表扬 and 提醒 is the
district's (``params/bulletins.yaml`` → ``half_month``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from guozi_analysis.analyses.ranking import ALL_CLASSES, OVERALL
from guozi_analysis.analyses.ranking import load_settings as ranking_settings
from guozi_analysis.base.periods import as_of_date, parse_period
from guozi_analysis.publishing.display import with_notes
from guozi_analysis.publishing.lists import bounded, bulletin_top, list_settings, shown_rows
from guozi_analysis.publishing.published import LIGHT, keyed, renamed
from guozi_analysis.publishing.text import date_zh, light_rule_note, markdown, pace_note
from guozi_analysis.publishing.views import ranking as ranking_views
from guozi_analysis.publishing.views.bulletins import _read, settings
from guozi_analysis.publishing.views.context import Context, short_names

__all__ = [
    "half_month_headline", "league_table", "praise_and_remind", "leaders_table", "movers_table", "lights_table",
    "missing_reports_table",
]

_LEVEL_ZH = {"group": "集团", "enterprise": "子企业"}
#: Where the entities a long table of the 通报 leaves out are: the 晾晒 workbook published with it.
WORKBOOK = "本期晾晒排名 Excel 工作簿（每家企业每项指标的数值、名次和得分）"


def _ranking(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _read(ctx, "ranking"), _read(ctx, "ranking_composite")


def _named_together(rows: pd.DataFrame, short: dict) -> str:
    """The entities of ``rows`` (one shared rank) by short name, joined with 「、」 and marked 并列 when
    more than one: a tie is named together, never as one sole leader."""
    names = [short.get(str(e), n) for e, n in zip(rows["entity_id"], rows["entity_name"])]
    tie = ranking_settings()["labels"]["tie"]
    return "、".join(names) + (f"（{tie}）" if len(names) > 1 else "")


def _first_and_last(part: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows sharing the best rank and those sharing the worst (ranks are stored with ties as ties)."""
    ranks = part["rank"].astype(float)
    return part.loc[ranks == ranks.min()], part.loc[ranks == ranks.max()]


def half_month_headline(ctx: Context):
    """晾晒通报的开头：截至日期、参评企业数、综合得分第一与末位、红黄灯个数。"""
    ranking, composite = _ranking(ctx)
    p = parse_period(ctx.period)
    short = short_names(ctx)
    overall = composite.loc[(composite["level"] == "group") & (composite["table"] == OVERALL)] \
        if len(composite) else composite
    overall = overall.dropna(subset=["score"]) if len(overall) else overall
    lights = ranking["light"].value_counts() if len(ranking) else pd.Series(dtype=int)
    n_groups = ranking.loc[ranking["level"] == "group", "entity_id"].nunique() if len(ranking) else 0
    n_ent = ranking.loc[ranking["level"] == "enterprise", "entity_id"].nunique() if len(ranking) else 0
    text = (f"本期晾晒数据截至{date_zh(as_of_date(p))}，参加排名的集团{n_groups}家、子企业{n_ent}家，"
            f"按“六张报表”逐项排名。序时进度类指标亮红灯{int(lights.get('红灯', 0))}项、黄灯"
            f"{int(lights.get('黄灯', 0))}项、绿灯{int(lights.get('绿灯', 0))}项。")
    if len(overall):
        first, last = _first_and_last(overall)
        text += f"六张报表综合得分最高的是{_named_together(first, short)}，最低的是{_named_together(last, short)}。"
    return markdown(text)


def league_table(ctx: Context, *, level: str = "group") -> pd.DataFrame:
    """晾晒总表: every entity of ``level`` with its score on each of the six report tables, its 六表总分,
    its rank (a shared rank printed 「2（并列）」; 不适用 when no indicator counts) and the movement against
    the previous half month. Subsidiaries are listed class by class (功能分类, ranked within the class).
    A long table (more than ``lists.rows``) keeps the first and last ``lists.bulletin_top`` of each class;
    every entity is in the 晾晒 workbook.

    The rows are the review appendix's composite table
    (:func:`guozi_analysis.publishing.views.ranking.composite_table`) with the rank first, as a league
    table reads."""
    table = ranking_views.composite_table(ctx, level=level, top=bulletin_top(), elsewhere=WORKBOOK)
    rank = next(c for c in table.columns if str(c).startswith("总分排名"))
    split = "比较组" in table.columns
    out = table[[rank, *[c for c in table.columns if c != rank]]]
    out.attrs.update(table.attrs)  # the printed cells' keys follow their columns, whatever their order
    labels = {rank: "名次（类内）" if split else "名次", "比较组": "分类"}
    labels |= {c: str(c).removesuffix("（分）") for c in out.columns if str(c).endswith("（分）")}  # unit in the note
    out = renamed(out, labels)
    notes = ["得分单位：分。各报表得分为报表内参与排名的指标按名次折算（第1名100分、末名0分、中间按名次线性折算）"
             "后按指标权重加权平均；六表总分为六张报表得分的加权平均。名次相同者标注“并列”；"
             "无可计分指标的报表为“—”，不计入总分。"]
    if level == "enterprise":
        notes.append("子企业按功能分类在类内排名，不跨类比较。")
    return with_notes(out, *notes)


def _scope(level: str, klass: str) -> str:
    return _LEVEL_ZH[level] if klass == ALL_CLASSES else f"{klass}{_LEVEL_ZH[level]}"


def praise_and_remind(ctx: Context):
    """表扬 and 提醒: who leads and who trails on the 六表总分, for the groups and for each class of
    subsidiaries, in the district's wording (``params/bulletins.yaml`` → ``half_month``: ``praise``,
    ``remind``). Tied entities are named together; a class of one, or one where everybody ties, has no
    first and last and gets no sentence; an entity without a score is neither."""
    cfg = settings()["half_month"]
    _, composite = _ranking(ctx)
    if not len(composite):
        return markdown("本期没有排名结果，未作表扬和提醒。")
    short = short_names(ctx)
    overall = composite.loc[composite["table"] == OVERALL].dropna(subset=["score"])
    praise, remind = [], []
    for (level, klass), part in overall.groupby(["level", "peer_class"], sort=False):
        if len(part) < 2:
            continue
        first, last = _first_and_last(part)
        if float(first["rank"].iloc[0]) == float(last["rank"].iloc[0]):
            continue
        scope = _scope(str(level), str(klass))
        praise.append(cfg["praise"].format(scope=scope, names=_named_together(first, short),
                                           score=f"{float(first['score'].iloc[0]):.2f}"))
        remind.append(cfg["remind"].format(scope=scope, names=_named_together(last, short),
                                           score=f"{float(last['score'].iloc[0]):.2f}"))
    if not praise:
        return markdown("本期各比较组得分相同或参评企业不足两家，未作表扬和提醒。")
    lines = [f"**{cfg['praise_heading']}**", "", *(f"{k}. {t}" for k, t in enumerate(praise, 1)), "",
             f"**{cfg['remind_heading']}**", "", *(f"{k}. {t}" for k, t in enumerate(remind, 1))]
    return markdown("\n".join(lines))


def leaders_table(ctx: Context, *, level: str = "group") -> pd.DataFrame:
    """每张报表的领先与落后：各报表、各分类中综合得分第一和末位的企业（简称）；得分相同、名次并列的
    一并列出并注明“并列”。不适用（无可计分指标）的企业不参评。"""
    _, composite = _ranking(ctx)
    comp = composite.loc[composite["level"] == level]
    short = short_names(ctx)
    rows, tables, leads, lasts = [], [], [], []
    for (order, table, peer), part in comp.groupby(["table_order", "table_name", "peer_class"], sort=True):
        part = part.dropna(subset=["score"]).sort_values("rank")
        if not len(part):
            continue
        first, last = _first_and_last(part)
        tables.append(f"ranking.{first['table'].iloc[0]}")
        leads.append(str(first["entity_id"].iloc[0]))  # tied leaders share one score: keyed by the first
        lasts.append(str(last["entity_id"].iloc[0]))
        rows.append({"报表": table, "分类": peer, "参评（家）": len(part),
                     "领先": _named_together(first, short), "领先得分": first["score"].iloc[0],
                     "落后": _named_together(last, short), "落后得分": last["score"].iloc[0]})
    return keyed(pd.DataFrame(rows).round(2), period=ctx.period, items=tables, columns={
        "领先得分": (None, "综合得分", "分", leads), "落后得分": (None, "综合得分", "分", lasts)})


def movers_table(ctx: Context, *, level: str = "group") -> pd.DataFrame:
    """比上期进退：各报表中排名上升、下降的企业（与上一个半月比）。"""
    _, composite = _ranking(ctx)
    n = int(settings()["half_month"]["movers"])
    comp = composite.loc[(composite["level"] == level)].dropna(subset=["rank_change"])
    comp = comp.loc[comp["rank_change"] != 0]
    short = short_names(ctx)
    comp = comp.assign(abs_change=comp["rank_change"].abs()).sort_values(["abs_change", "table_order"],
                                                                          ascending=[False, True]).head(n * 2)
    return pd.DataFrame({
        "报表": comp["table_name"], "企业": comp["entity_id"].astype(str).map(short),
        "上期名次": comp["previous_rank"], "本期名次": comp["rank"],
        "变化": np.where(comp["rank_change"] > 0, "上升", "下降"), "名次变化": comp["rank_change"].abs(),
    }).reset_index(drop=True)


def lights_table(ctx: Context, *, level: str = "group") -> pd.DataFrame:
    """序时进度灯号：按序时进度考核的指标，各集团完成率与序时进度之差及红黄绿灯（灯号为排名结果中按同一规则
    亮的灯；表注说明序时进度口径与灯号规则）。

    集团为表列；集团多于 ``lists.columns`` 家时改为一行一家集团，列出红灯、黄灯最多的 ``lists.bulletin_top`` 家，
    表注逐家点名亮红灯的集团，全部集团见晾晒工作簿。"""
    ranking, _ = _ranking(ctx)
    progress = ranking_settings()["progress"]
    part = ranking.loc[(ranking["level"] == level) & ranking["light"].isin(list(progress["lights"].values()))]
    short = short_names(ctx)
    wide = part.pivot_table(index="indicator_name", columns="entity_id", values="light", aggfunc="first")
    wide = wide.reindex(columns=[g for g in ctx.tree.groups if g in wide.columns])
    notes = (pace_note(*sorted(part["as_of"].astype(str).unique())), light_rule_note(progress))
    if not shown_rows(wide.shape[1], rows=list_settings()["columns"]).all():
        return with_notes(_lights_by_group(ctx, wide, part, progress), *notes)
    entities = list(wide.columns)
    wide.columns = [short.get(c, c) for c in wide.columns]
    wide.index.name = "指标"
    ids = dict(zip(part["indicator_name"].astype(str), part["indicator_id"].astype(str)))
    out = keyed(wide.fillna("—"), period=ctx.period, items=[ids.get(str(n), "") for n in wide.index],
                columns={label: (None, LIGHT, "", entity) for label, entity in zip(wide.columns, entities)})
    return with_notes(out, *notes)


def _lights_by_group(ctx: Context, wide: pd.DataFrame, part: pd.DataFrame, progress: dict) -> pd.DataFrame:
    """The lights grid of many groups, one row per group (indicators as columns): the ``lists.bulletin_top``
    with most red (then amber) lights, and under it every group with a red light named."""
    short = short_names(ctx)
    red, amber = progress["lights"]["red"], progress["lights"]["yellow"]
    rows = wide.T
    order = pd.DataFrame({"red": -(rows == red).sum(axis=1), "amber": -(rows == amber).sum(axis=1)},
                         index=rows.index).sort_values(["red", "amber"], kind="stable").index
    rows = rows.loc[order]
    ids = dict(zip(part["indicator_name"].astype(str), part["indicator_id"].astype(str)))
    entities = [str(e) for e in rows.index]
    out = rows.fillna("—").reset_index(drop=True)
    out.columns = [str(c) for c in out.columns]
    out.insert(0, "集团", [short.get(e, e) for e in entities])
    out = keyed(out, period=ctx.period, entities=entities,
                columns={c: (ids.get(c, ""), LIGHT, "") for c in out.columns[1:]})
    flagged = (out.iloc[:, 1:] == red).any(axis=1).to_numpy()
    cut = bounded(out, ends="head", top=bulletin_top(), order="红灯、黄灯最多的", elsewhere=WORKBOOK)
    named = [n for n, f in zip(out["集团"], flagged) if f]  # every red light named, however many
    return with_notes(cut, f"亮红灯的集团共{len(named)}家：{'、'.join(named)}。" if named else "本期没有亮红灯的集团。")


def missing_reports_table(ctx: Context) -> pd.DataFrame:
    """未报送或被退回的企业：本期没有财务快报、或有报送行因错误被隔离的企业（简称）。"""
    quality = _read(ctx, "quality_summary")
    if not len(quality):
        return pd.DataFrame({"情况": ["本期无数据质量记录"]})
    short = short_names(ctx)
    rows = []
    for r in quality.itertuples():
        if str(r.enterprise_id) not in short:  # rows no roster enterprise claims: the quality appendix lists them
            continue
        name = short[str(r.enterprise_id)]
        if not bool(r.financials_submitted):
            rows.append({"企业": name, "情况": "本期财务快报未报送"})
        if int(r.quarantined) > 0:
            rows.append({"企业": name, "情况": f"{int(r.quarantined)}行报送数据有错误，已隔离待更正"})
    if not rows:
        return pd.DataFrame({"企业": ["无"], "情况": ["全部企业均已按时报送"]})
    return pd.DataFrame(rows)
