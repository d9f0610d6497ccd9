"""Notebook views of the annual assessment: introduction, weights, scores and grades, workings, chart.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses.assessment import PRE_ASSESSMENT, _isnan, _num, _parse_bands
from guozi_analysis.base.periods import parse_period
from guozi_analysis.base.store import read_shared
from guozi_analysis.publishing.display import with_notes
from guozi_analysis.publishing.lists import list_note, shown_rows
from guozi_analysis.publishing.published import frame_figures, write_sidecar
from guozi_analysis.publishing.text import file_link, markdown
from guozi_analysis.publishing.views.figures import finish_figure, new_figure
from guozi_analysis.publishing.workbooks import (
    STANDARDS_NOTE,
    _ranking_display,
    _sheet_display,
    ranking_keyed,
    write_assessment_workbook,
)


# --------------------------------------------------------------------------------------------
# notebook display (read the shared parquet files only)
# --------------------------------------------------------------------------------------------
def _read(ctx, key: str) -> pd.DataFrame:
    return read_shared(ctx.processed_dir, key, what="考核共享结果")


def _year(ctx, previous: bool) -> int:

    return parse_period(ctx.period).year - (1 if previous else 0)


def _year_rows(ctx, key: str, previous: bool) -> pd.DataFrame:
    frame = _read(ctx, key)
    if not len(frame):
        return frame
    return frame.loc[pd.to_numeric(frame["year"], errors="coerce") == _year(ctx, previous)].reset_index(drop=True)


def assessment_intro(ctx, *, previous: bool = False):
    """A paragraph on the year's assessment: basis (actual or 预计), who, grades, top and trial."""
    from IPython.display import Markdown  # deferred: heavy dependency, loaded on first use

    year = _year(ctx, previous)
    r = _year_rows(ctx, "assessment_ranking", previous)
    if not len(r):
        return Markdown(f"{year}年度没有考核方案，本节从略。")
    formal = r.loc[r["status"] == "正式考核"].sort_values("rank")
    trial = r.loc[r["status"] == "试考核"]
    text = f"**{r['title'].iloc[0]}**：{r['basis_text'].iloc[0]}。参加正式考核 {len(formal)} 家"
    if len(trial):
        text += "，" + "、".join(trial["enterprise_name"]) + "为试考核（单独列示，不参与排名）"
    text += "。"
    if len(formal) and formal["total_score"].notna().any():
        top = formal.iloc[0]
        grades = formal["grade"].value_counts()
        text += (f"{top['enterprise_name']}以 {_num(top['total_score'])} 分居首；等级分布："
                 + "，".join(f"{g}级 {int(grades[g])} 家" for g in sorted(grades.index)) + "。")
    if r["projected"].any():
        text += (f"本结果为**{PRE_ASSESSMENT}**：标注“预计”的数值为按已报月份预计的全年数，"
                 "得分与等级待12月快报后正式考核确认。")
    return Markdown(text)


def standards_note(ctx=None):
    """The note under the workings: where the standard values come from and that the demo's are illustrative."""
    return markdown(STANDARDS_NOTE)


def ranking_table(ctx, *, previous: bool = False) -> pd.DataFrame:
    """The year's ranking with grades, Chinese headers (试考核 listed last, unranked)."""
    r = _year_rows(ctx, "assessment_ranking", previous)
    if not len(r):
        return pd.DataFrame()
    shown = _shown(r)
    out = ranking_keyed(_ranking_display(shown).set_index("排名"), shown, period=ctx.period)
    return with_notes(out, list_note(len(r), len(shown)))


def _shown(ranking: pd.DataFrame) -> pd.DataFrame:
    """The ranked rows the book prints (all, or the first and last of a long ranking)."""
    return ranking.iloc[np.flatnonzero(shown_rows(len(ranking)))].reset_index(drop=True)


def workings_table(ctx, *, previous: bool = False) -> pd.DataFrame:
    """Every indicator and bonus/penalty item with value, target or standards, points and workings.

    For a notebook run on one enterprise (``entity_id`` not ``DISTRICT``) only its rows are shown.
    """
    s = _year_rows(ctx, "assessment_sheet", previous)
    if not len(s):
        return pd.DataFrame()
    if ctx.entity_id != "DISTRICT":
        s = s.loc[s["enterprise_id"] == ctx.entity_id]
    return _sheet_display(s).set_index(["企业", "考核项目"])


def weights_table(ctx, *, previous: bool = False) -> pd.DataFrame:
    """The scheme: indicators, method, scoring rule and weight per profile (function class)."""
    s = _year_rows(ctx, "assessment_scheme", previous)
    if not len(s):
        return pd.DataFrame()
    s = s.dropna(axis=1, how="all")
    weights = [c for c in s.columns if c.startswith("weight_")]
    out = s[["indicator_name", "method", "direction", *weights, "rule"]]
    out = out.rename(columns={"indicator_name": "考核指标", "method": "计分方法", "direction": "方向",
                              "rule": "计分规则", **{c: f"{c[7:]}权重" for c in weights}})
    return out.set_index("考核指标")


def proposed_targets_table(ctx) -> pd.DataFrame:
    """Next year's proposed targets per group (万元), with this year's base and the trend."""
    p = _read(ctx, "assessment_targets_proposed")
    if not len(p):
        return pd.DataFrame()
    out = pd.DataFrame({
        "企业": p["enterprise_name"], "目标项": p["item_name"],
        "本年数（万元）": [_num(v) + ("（预计）" if b else "") for v, b in zip(p["base_value"], p["base_projected"])],
        "近年年均增速（%）": [_num(v) for v in p["trend_growth_pct"]],
        "趋势值（万元）": [_num(v) for v in p["trend_value"]],
        "建议目标（万元）": [_num(v) for v in p["proposed_target"]],
    })
    names = out["企业"].drop_duplicates()  # many groups: the first ones (every one in the assessment workbook)
    shown = names.iloc[np.flatnonzero(shown_rows(len(names), ends="head"))]
    out = out.loc[out["企业"].isin(shown)]
    return with_notes(out.set_index(["企业", "目标项"]), list_note(len(names), len(shown), ends="head"))


def score_chart(ctx, *, previous: bool = False):
    """Horizontal bars of the total scores with the grade lines (试考核 hatched), greyscale."""
    r = _shown(_year_rows(ctx, "assessment_ranking", previous))
    fig, ax = new_figure(figsize=(8, 0.5 * max(len(r), 3) + 1.2))
    if not len(r):
        ax.text(0.5, 0.5, "本年度无考核结果", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return finish_figure(fig)
    r = r.iloc[::-1].reset_index(drop=True)
    scores = r["total_score"].to_numpy(dtype=float)
    trial = r["status"].eq("试考核").to_numpy()
    labels = [f"{n}（试考核）" if t else str(n) for n, t in zip(r["enterprise_name"], trial)]
    y = np.arange(len(r))
    bars = ax.barh(y, np.nan_to_num(scores), color=["0.85" if t else "0.45" for t in trial], edgecolor="0.2")
    for bar, t in zip(bars, trial):
        if t:
            bar.set_hatch("//")
    for yi, s, g in zip(y, scores, r["grade"]):
        ax.text((0 if _isnan(s) else s) + 0.8, yi, "待定" if _isnan(s) else f"{s:.2f}（{g}）", va="center", fontsize=8)
    for grade, low in _parse_bands(str(r["grade_bands"].iloc[0]) if "grade_bands" in r else ""):
        ax.axvline(low, color="0.3", ls=":", lw=0.8)
        ax.text(low, len(r) - 0.4, f"{grade}≥{low:g}", fontsize=7, ha="center", color="0.2")
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xlim(0, max(110.0, np.nanmax(np.append(scores, 0)) + 8))
    ax.set_xlabel("考核总分（分）")
    pre = bool(r["projected"].any())
    kind = f"{PRE_ASSESSMENT}" if pre else ""
    suffix = "（含预计数）" if pre else ""
    ax.set_title(f"{_year(ctx, previous)}年度经营业绩考核{kind}总分与等级{suffix}", pad=14)
    ax.grid(axis="x", alpha=0.3)
    return finish_figure(fig)


def export_workbook(ctx, *, output_dir: str | Path = ""):
    """Write this year's assessment workbook (score sheet with workings, ranking, scheme) into the outputs,
    from the stored assessment the tables above read (the workbook's scores are the book's)."""

    if not output_dir:
        return markdown("（未指定输出目录，本次不另存考核工作簿。）")
    ranking = _year_rows(ctx, "assessment_ranking", False)
    if not len(ranking):
        return markdown(f"{_year(ctx, False)}年度没有考核结果，本次不另存考核工作簿。")
    projected = bool(ranking["projected"].astype(bool).any())
    name = f"经营业绩考核{PRE_ASSESSMENT if projected else ''}_{_year(ctx, False)}.xlsx"
    path = write_assessment_workbook(Path(output_dir) / name, ranking=ranking,
                                     sheet=_year_rows(ctx, "assessment_sheet", False),
                                     scheme=_year_rows(ctx, "assessment_scheme", False))
    write_sidecar(path, frame_figures(ranking_keyed(_ranking_display(ranking), ranking, period=ctx.period),
                                      where="排名与等级"))
    return markdown(f"考核工作簿{file_link(path)}（说明、排名与等级、计分明细、加减分事项、考核方案）随本期出版物一并提供。")
