"""Notebook views of the half-month 晾晒: composite scores, per-table ranks, pace lights, workbook.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses.ranking import LEVELS, OVERALL, pace_percent, period_zh, ranking_period
from guozi_analysis.base.fonts import use_cjk_font
from guozi_analysis.publishing.text import date_zh, markdown
from guozi_analysis.publishing.workbooks import publication_frame, write_ranking_csv, write_ranking_workbook


def read_frames(processed_dir: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(ranking, ranking_composite)`` as written by the shared step."""
    pdir = Path(processed_dir)
    paths = [pdir / "ranking.parquet", pdir / "ranking_composite.parquet"]
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"共享结果中没有排名数据：{p}（请确认共享步骤已写出晾晒排名）")
    return pd.read_parquet(paths[0]), pd.read_parquet(paths[1])


# --------------------------------------------------------------------------------------------
# notebook displays (read the shared parquet files; compute nothing but layout)
# --------------------------------------------------------------------------------------------
_LEVEL_ZH = {"group": "集团", "enterprise": "子企业"}


def _short_names(ctx) -> dict[str, str]:
    roster = ctx.roster
    col = "short_name" if "short_name" in roster else "name"
    return dict(zip(roster["enterprise_id"].astype(str), roster[col].astype(str)))


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
    pace = "，".join(f"截至{date_zh(d)}为 {pace_percent(d):.2f}%" for d in paces)
    text = (f"**{period_zh(half)}晾晒**。{'；'.join(parts)}。序时进度{pace}。"
            f"名次相同者标注“并列”；未报送或无法计算的企业列于末位并注明原因；"
            f"变动与上一半月相比（↑ 名次上升，↓ 名次下降，— 持平）。")
    return markdown(text)


def composite_table(ctx, *, level: str = "group") -> pd.DataFrame:
    """Six table scores, the overall score, its rank and movement: one row per entity, best first."""
    _check_level(level)
    _, comp = read_frames(ctx.processed_dir)
    comp = comp.loc[comp["level"] == level]
    names = _short_names(ctx)
    scores = comp.pivot_table(index="entity_id", columns="table_name", values="score", aggfunc="first",
                              dropna=False, sort=False)
    order = comp.drop_duplicates("table_name").sort_values("table_order")["table_name"].tolist()
    scores = scores.reindex(columns=order)
    overall = comp.loc[comp["table"] == OVERALL].set_index("entity_id")
    out = scores.round(2)
    out.columns = [f"{c}（分）" for c in out.columns]
    out["总分排名"] = overall["rank_label"].reindex(out.index)
    out["较上期"] = _movement_text(overall).reindex(out.index)
    out = out.loc[overall.sort_values(["rank", "entity_id"]).index.intersection(out.index, sort=False)]
    out.index = [names.get(i, i) for i in out.index]
    out.index.name = _LEVEL_ZH[level]
    return out


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
    """Ranks of every entity on every indicator of one report table (cells like 「2（并列）↑1」)."""
    _check_level(level)
    ranking, comp = read_frames(ctx.processed_dir)
    sub = ranking.loc[(ranking["level"] == level) & (ranking["table"] == table_id)].copy()
    if sub.empty:
        raise ValueError(f"没有报表「{table_id}」的排名数据")
    sub["cell"] = _rank_cell(sub)
    wide = sub.pivot_table(index="entity_id", columns="indicator_name", values="cell", aggfunc="first",
                           sort=False)
    order = sub.drop_duplicates("indicator_id").sort_values("indicator_order")["indicator_name"].tolist()
    wide = wide.reindex(columns=order)
    wide.columns.name = None
    own = comp.loc[(comp["level"] == level) & (comp["table"] == table_id)].set_index("entity_id")
    wide.insert(0, "本表综合得分（分）", own["score"].reindex(wide.index).round(2))
    wide.insert(1, "本表名次", own["rank_label"].reindex(wide.index))
    wide = wide.loc[own.sort_values(["rank", "entity_id"]).index.intersection(wide.index, sort=False)]
    names = _short_names(ctx)
    wide.index = [names.get(i, i) for i in wide.index]
    wide.index.name = _LEVEL_ZH[level]
    return wide


def table_ranking(ctx, *, table_id: str, level: str = "group") -> pd.DataFrame:
    """One report table in long form: per indicator, entities by rank with value, movement and lights."""
    _check_level(level)
    ranking, _ = read_frames(ctx.processed_dir)
    sub = ranking.loc[(ranking["level"] == level) & (ranking["table"] == table_id)]
    names = _short_names(ctx)
    out = pd.DataFrame({
        "指标": sub["indicator_name"].astype(str) + "（" + sub["unit"].astype(str) + "）",
        "数据截至": sub["as_of"].astype(str),
        "名次": sub["rank_label"].astype(str),
        "企业": sub["entity_id"].astype(str).map(lambda i: names.get(i, i)),
        "数值": sub["value"].round(2),
        "变动": _movement_text(sub),
        "与序时进度差（百分点）": sub["pace_gap"].round(2),
        "信号灯": sub["light"].astype(str),
        "说明": sub["reason"].astype(str),
    })
    return out.set_index(["指标", "名次"])


def progress_table(ctx, *, level: str = "group") -> pd.DataFrame:
    """Completion against 序时进度 with lights, for the indicators configured in ``params/ranking.yaml``."""
    _check_level(level)
    ranking, _ = read_frames(ctx.processed_dir)
    sub = ranking.loc[(ranking["level"] == level) & ranking["pace"].notna()]
    names = _short_names(ctx)
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
    return out.set_index(["指标", "企业"])


def composite_chart(ctx, *, level: str = "group", top: int | None = None):
    """Horizontal bars of the overall score (六表总分), best on top; grey shades print well."""
    import matplotlib.pyplot as plt  # deferred: heavy dependency, loaded on first use


    _check_level(level)
    use_cjk_font()
    _, comp = read_frames(ctx.processed_dir)
    sub = comp.loc[(comp["level"] == level) & (comp["table"] == OVERALL)].sort_values(["rank", "entity_id"])
    if top is not None:
        sub = sub.head(top)
    names = _short_names(ctx)
    labels = [f"{names.get(i, i)}（{r}）" for i, r in zip(sub["entity_id"].astype(str), sub["rank_label"])]
    values = sub["score"].to_numpy(dtype=float, na_value=np.nan)
    height = max(2.4, 0.28 * len(sub) + 1.0)
    fig, ax = plt.subplots(figsize=(8, height), dpi=110)
    shades = [str(0.25 + 0.5 * k / max(1, len(sub) - 1)) for k in range(len(sub))]
    ax.barh(range(len(sub)), np.nan_to_num(values), color=shades, edgecolor="black", linewidth=0.5)
    for k, v in enumerate(values):
        ax.text((0 if np.isnan(v) else v) + 1, k, "—" if np.isnan(v) else f"{v:.1f}", va="center", fontsize=8)
    ax.set_yticks(range(len(sub)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xlabel("六表总分（分，满分 100）")
    half = str(sub["period"].iloc[0]) if len(sub) else ranking_period(ctx.period)
    ax.set_title(f"{period_zh(half)}{_LEVEL_ZH[level]}晾晒六表总分")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    plt.close(fig)  # shown once, by the notebook's display of the returned figure
    return fig


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
    return markdown(f"已生成可打印的 Excel 晾晒表 `{xlsx.name}` 与明细 `{csv.name}`，随本期出版物一并提供（outputs 目录）。")
