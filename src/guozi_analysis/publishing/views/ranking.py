"""Notebook views of the half-month 晾晒: composite scores, per-table ranks, pace lights, workbook.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses.ranking import (
    ALL_CLASSES,
    LEVELS,
    OVERALL,
    complete_columns,
    load_settings,
    period_zh,
    ranking_period,
)
from guozi_analysis.publishing.display import NOTES, with_notes
from guozi_analysis.publishing.lists import ELSEWHERE, bounded, list_settings, shown_rows
from guozi_analysis.publishing.published import LIGHT, PACE_GAP, keyed
from guozi_analysis.publishing.text import date_zh, file_link, light_rule_note, markdown, pace_note
from guozi_analysis.publishing.views.context import short_names
from guozi_analysis.publishing.views.figures import finish_figure, new_figure
from guozi_analysis.publishing.workbooks import publication_frame, write_ranking_csv, write_ranking_workbook


def read_frames(processed_dir: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(ranking, ranking_composite)`` as written by the shared step."""
    pdir = Path(processed_dir)
    paths = [pdir / "ranking.parquet", pdir / "ranking_composite.parquet"]
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"共享结果中没有排名数据：{p}（请确认共享步骤已写出晾晒排名）")
    comp = pd.read_parquet(paths[1])
    if "peer_class" not in comp.columns:
        comp = comp.assign(peer_class=ALL_CLASSES)
    return complete_columns(pd.read_parquet(paths[0])), comp


# --------------------------------------------------------------------------------------------
# notebook displays (read the shared parquet files; compute nothing but layout)
# --------------------------------------------------------------------------------------------
_LEVEL_ZH = {"group": "集团", "enterprise": "子企业"}


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"排名范围只能是 group（集团）或 enterprise（子企业），收到：{level}")


def publication_note(ctx):
    """The publication's heading facts: half month, 数据截至 by frequency, 序时进度 (Markdown)."""

    ranking, _ = read_frames(ctx.processed_dir)
    half = str(ranking["period"].iloc[0]) if len(ranking) else ranking_period(ctx.period)
    dates = ranking.drop_duplicates("frequency").set_index("frequency")["as_of"].astype(str)
    parts = []
    if "half_monthly" in dates:
        parts.append(f"半月报送指标（固定资产投资项目）数据截至{date_zh(dates['half_monthly'])}")
    if "monthly" in dates:
        parts.append(f"月度快报及其他月报指标数据截至{date_zh(dates['monthly'])}")
    if "annual" in dates:
        parts.append(f"年度指标数据截至{date_zh(dates['annual'])}")
    paces = dict.fromkeys(dates[f] for f in ("half_monthly", "monthly") if f in dates)
    classes = [c for c in ranking["peer_class"].astype(str).unique() if c != ALL_CLASSES]
    size = ranking.loc[ranking["is_size"].astype(bool)].drop_duplicates("indicator_id")
    text = (f"**{period_zh(half)}晾晒**。{'；'.join(parts)}。{pace_note(*paces)}"
            f"名次相同者标注“并列”；未报送或无法计算的企业列于本组末位并注明原因；"
            f"变动与上一半月相比（↑ 名次上升，↓ 名次下降，— 持平）。")
    if len(size):
        text += (f"{len(size)}项规模指标（{'、'.join(size['indicator_name'].astype(str).head(4))}等绝对额和个数）"
                 "随企业体量而定，只列示数值、不排名，也不计入综合得分；其余指标按效率和进度排名。")
    if classes:
        text += f"子企业按功能定位分{'、'.join(classes)}在本类内分别排名，不跨类比较；六大集团一并排名。"
    text += "各指标均列示全区合计数作参考。"
    return markdown(text)


def composite_table(ctx, *, level: str = "group", top: int | None = None, elsewhere: str = ELSEWHERE) -> pd.DataFrame:
    """Six table scores, the overall score, its rank and movement: one row per entity, best first; a long
    one keeps the first and last ``top`` of each class (``lists.top`` unless told) and says the rest are
    ``elsewhere``."""
    _check_level(level)
    _, comp = read_frames(ctx.processed_dir)
    comp = comp.loc[comp["level"] == level]
    names = short_names(ctx)
    scores = comp.pivot_table(index="entity_id", columns="table_name", values="score", aggfunc="first",
                              dropna=False, sort=False)
    order = comp.drop_duplicates("table_name").sort_values("table_order")["table_name"].tolist()
    scores = scores.reindex(columns=order)
    overall = comp.loc[comp["table"] == OVERALL].set_index("entity_id")
    out = scores.round(2)
    out.columns = [f"{c}（分）" for c in out.columns]
    split = bool((overall["peer_class"].astype(str) != ALL_CLASSES).any())
    if split:
        out.insert(0, "比较组", overall["peer_class"].reindex(out.index))
    out["总分排名" + ("（组内）" if split else "")] = overall["rank_label"].reindex(out.index)
    out["较上期"] = _movement_text(overall).reindex(out.index)
    out = out.loc[_class_sorted(overall).index.intersection(out.index, sort=False)]
    out = bounded(out, blocks=overall["peer_class"].reindex(out.index).astype(str), per="比较组", top=top,
                  elsewhere=elsewhere)
    entities = [str(i) for i in out.index]
    out.index = [names.get(i, i) for i in out.index]
    out.index.name = _LEVEL_ZH[level]
    ids = dict(zip(comp["table_name"].astype(str), comp["table"].astype(str)))
    return keyed(out, period=ctx.period, entities=entities,
                 columns={f"{c}（分）": (f"ranking.{ids[str(c)]}", "综合得分", "分") for c in order})


def _class_sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows class by class (as ordered in the shared frame), then by rank."""
    order = {c: k for k, c in enumerate(dict.fromkeys(frame["peer_class"].astype(str)))}
    key = frame["peer_class"].astype(str).map(order)
    return frame.assign(_class=key.to_numpy()).sort_values(["_class", "rank"], kind="stable")


def _value_text(values: pd.Series, units: pd.Series) -> pd.Series:
    whole = units.astype(str).isin(["个", "家", "支", "人"])
    text = [("未报送" if pd.isna(v) else (f"{v:,.0f}" if w else f"{v:,.2f}")) for v, w in zip(values, whole)]
    return pd.Series(text, index=values.index)


def _movement_text(frame: pd.DataFrame) -> pd.Series:
    """「↑2」「↓1」「—」「无上期」 from ``movement`` and ``rank_change``."""
    movement = frame["movement"].astype(str)
    size = frame["rank_change"].astype("Float64").abs().astype("Int64").astype("string").fillna("")
    moved = movement.isin(["↑", "↓"])
    return (movement + size.where(moved, "")).astype("string")


def _rank_cell(frame: pd.DataFrame) -> pd.Series:
    moved = frame["movement"].astype(str).isin(["↑", "↓"])
    return frame["rank_label"].astype(str) + _movement_text(frame).where(moved, "")


def rank_matrix(ctx, *, table_id: str, level: str = "group") -> pd.DataFrame:
    """Ranks of every entity on every indicator of one report table (cells like 「2（并列）↑1」): one row per
    indicator (the table's score and rank first), one column per entity."""
    _check_level(level)
    ranking, comp = read_frames(ctx.processed_dir)
    sub = ranking.loc[(ranking["level"] == level) & (ranking["table"] == table_id)].copy()
    if sub.empty:
        raise ValueError(f"没有报表「{table_id}」的排名数据")
    size = sub["is_size"].astype(bool)
    sub["cell"] = _rank_cell(sub).where(~size, _value_text(sub["value"], sub["unit"]))
    sub["column"] = sub["indicator_name"].astype(str).where(
        ~size, sub["indicator_name"].astype(str) + "（" + sub["unit"].astype(str) + "，规模指标不排名）")
    wide = sub.pivot_table(index="entity_id", columns="column", values="cell", aggfunc="first", sort=False)
    specs = sub.drop_duplicates("indicator_id").sort_values(["is_size", "indicator_order"])
    wide = wide.reindex(columns=specs["column"].tolist())
    wide.columns.name = None
    own = comp.loc[(comp["level"] == level) & (comp["table"] == table_id)].set_index("entity_id")
    wide.insert(0, "本表综合得分（分）", own["score"].reindex(wide.index).round(2))
    wide.insert(1, "本表名次", own["rank_label"].reindex(wide.index))
    if (own["peer_class"].astype(str) != ALL_CLASSES).any():
        wide.insert(0, "比较组", own["peer_class"].reindex(wide.index))
    wide = wide.loc[_class_sorted(own).index.intersection(wide.index, sort=False)]
    # entities are columns: many of them keep the first and last of each class (``lists.columns``)
    conf = list_settings()
    wide = bounded(wide, blocks=own["peer_class"].reindex(wide.index).astype(str), per="比较组",
                   rows=conf["columns"], top=conf["column_top"])
    names = short_names(ctx)
    wide.index = [names.get(i, i) for i in wide.index]
    # indicators as rows, enterprises as columns: a report table has up to 15 indicators but a
    # level a handful of groups, so the page keeps room for the size indicators' long amounts
    out = wide.T
    out.attrs = dict(wide.attrs)
    out.index.name = f"指标＼{_LEVEL_ZH[level]}"
    out.columns.name = None
    return out


def table_ranking(ctx, *, table_id: str, level: str = "group") -> pd.DataFrame:
    """One report table in long form: per indicator, entities by rank with value, movement and lights."""
    _check_level(level)
    ranking, _ = read_frames(ctx.processed_dir)
    sub = ranking.loc[(ranking["level"] == level) & (ranking["table"] == table_id)]
    names = short_names(ctx)
    ref = sub.loc[sub["district_value"].notna()].drop_duplicates("indicator_id")
    rows = pd.concat([
        pd.DataFrame({
            "_order": ref["indicator_order"].to_numpy(), "_seq": -1,
            "指标": (ref["indicator_name"].astype(str) + "（" + ref["unit"].astype(str) + "）").to_numpy(),
            "数据截至": ref["as_of"].astype(str).to_numpy(), "比较组": "", "名次": "参考",
            "企业": "全区合计（参考）", "数值": ref["district_value"].round(2).to_numpy(), "变动": "",
            "与序时进度差（百分点）": np.nan, "信号灯": "", "说明": "全区合计，不参与排名",
        }),
        pd.DataFrame({
            "_order": sub["indicator_order"].to_numpy(), "_seq": np.arange(len(sub)),
            "指标": (sub["indicator_name"].astype(str) + "（" + sub["unit"].astype(str) + "）").to_numpy(),
            "数据截至": sub["as_of"].astype(str).to_numpy(),
            "比较组": sub["peer_class"].astype(str).to_numpy(),
            "名次": sub["rank_label"].astype(str).to_numpy(),
            "企业": sub["entity_id"].astype(str).map(lambda i: names.get(i, i)).to_numpy(),
            "数值": sub["value"].round(2).to_numpy(),
            "变动": _movement_text(sub).to_numpy(),
            "与序时进度差（百分点）": sub["pace_gap"].round(2).to_numpy(),
            "信号灯": sub["light"].astype(str).to_numpy(),
            "说明": sub["reason"].astype(str).to_numpy(),
        }),
    ], ignore_index=True).sort_values(["_order", "_seq"], kind="stable").drop(columns=["_order", "_seq"])
    if (sub["peer_class"].astype(str) == ALL_CLASSES).all():
        rows = rows.drop(columns="比较组")
    return with_notes(rows.set_index(["指标", "名次"]), *_progress_notes(sub))


def _progress_notes(sub: pd.DataFrame) -> tuple[str, ...]:
    """How 序时进度 is counted at the as-of dates of the rows that carry a light, and the light rule."""
    paced = sub.loc[sub["pace"].notna()]
    if not len(paced):
        return ()
    return pace_note(*sorted(paced["as_of"].astype(str).unique())), light_rule_note(load_settings()["progress"])


def progress_table(ctx, *, level: str = "group") -> pd.DataFrame:
    """Completion against 序时进度 with lights, for the indicators configured in ``params/ranking.yaml``."""
    _check_level(level)
    ranking, _ = read_frames(ctx.processed_dir)
    sub = ranking.loc[(ranking["level"] == level) & ranking["pace"].notna()]
    notes = ()
    if not shown_rows(len(sub)).all():  # many entities: per indicator the furthest behind first
        sub = sub.sort_values(["indicator_order", "pace_gap"], kind="stable")
        cut = bounded(sub, ends="head", blocks=sub["indicator_id"].astype(str), per="指标", unit="行",
                      order="最慢于序时进度的")
        notes, sub = tuple(cut.attrs.get(NOTES, [])), cut
    names = short_names(ctx)
    out = pd.DataFrame({
        "指标": sub["indicator_name"].astype(str) + "（" + sub["unit"].astype(str) + "）",
        "企业": sub["entity_id"].astype(str).map(lambda i: names.get(i, i)),
        "数值": sub["value"].round(2),
        "数据截至": sub["as_of"].astype(str),
        "序时进度（%）": sub["pace"].round(2),
        "与序时进度差（百分点）": sub["pace_gap"].round(2),
        "信号灯": sub["light"].astype(str).replace("", "—"),
        "说明": sub["reason"].astype(str),
    })
    out = keyed(out.set_index(["指标", "企业"]), period=ctx.period, entities=list(sub["entity_id"].astype(str)),
                items=list(sub["indicator_id"].astype(str)), units=list(sub["unit"].astype(str)), columns={
                    "数值": (None, "", None), "序时进度（%）": ("elapsed_share", "", "%", "DISTRICT"),
                    "与序时进度差（百分点）": (None, PACE_GAP, "百分点"), "信号灯": (None, LIGHT, "")})
    return with_notes(out, *_progress_notes(sub), *notes)


def composite_chart(ctx, *, level: str = "group", top: int | None = None):
    """Horizontal bars of the overall score (六表总分), best on top; grey shades print well."""
    _check_level(level)
    _, comp = read_frames(ctx.processed_dir)
    sub = _class_sorted(comp.loc[(comp["level"] == level) & (comp["table"] == OVERALL)].sort_values("entity_id"))
    if top is not None:
        sub = sub.groupby("peer_class", sort=False).head(top)
    else:  # many entities: the bars of the composite table (first and last of each class)
        sub = sub.iloc[np.flatnonzero(shown_rows(len(sub), blocks=sub["peer_class"].astype(str)))]
    names = short_names(ctx)
    labels = [f"{names.get(i, i)}（{r}）" if c == ALL_CLASSES else f"{names.get(i, i)}（{c}第{r}）"
              for i, r, c in zip(sub["entity_id"].astype(str), sub["rank_label"], sub["peer_class"].astype(str))]
    values = sub["score"].to_numpy(dtype=float, na_value=np.nan)
    height = max(2.4, 0.28 * len(sub) + 1.0)
    fig, ax = new_figure(figsize=(8, height))
    shades = [str(0.25 + 0.5 * k / max(1, len(sub) - 1)) for k in range(len(sub))]
    ax.barh(range(len(sub)), np.nan_to_num(values), color=shades, edgecolor="black", linewidth=0.5)
    for k, v in enumerate(values):
        ax.text((0 if np.isnan(v) else v) + 1, k, "—" if np.isnan(v) else f"{v:.1f}", va="center", fontsize=8)
    ax.set_yticks(range(len(sub)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xlabel("六表总分（分，满分 100）")
    half = str(sub["period"].iloc[0]) if len(sub) else ranking_period(ctx.period)
    split = bool((sub["peer_class"].astype(str) != ALL_CLASSES).any())
    ax.set_title(f"{period_zh(half)}{_LEVEL_ZH[level]}晾晒六表总分" + ("（按功能分类组内排名）" if split else ""))
    ax.grid(axis="x", alpha=0.3)
    return finish_figure(fig)


def export_workbook(ctx, *, output_dir: str | Path = ""):
    """Write the printable workbook (and CSV) of the shared rankings into ``output_dir``.

    Returns a Markdown line naming the files; with an empty ``output_dir`` nothing is written.
    """

    if not output_dir:
        return markdown("（未指定输出目录，本次不另存 Excel 晾晒表。）")
    ranking, comp = read_frames(ctx.processed_dir)
    half = str(ranking["period"].iloc[0]) if len(ranking) else ranking_period(ctx.period)
    out = Path(output_dir)
    xlsx = write_ranking_workbook(out / f"晾晒排名_{half}.xlsx", ranking, comp, roster=ctx.roster)
    csv = write_ranking_csv(out / f"晾晒排名_{half}.csv", publication_frame(ranking, comp, roster=ctx.roster))
    return markdown(f"已生成可打印的 Excel 晾晒表{file_link(xlsx)}与明细{file_link(csv)}，随本期出版物一并提供。")
