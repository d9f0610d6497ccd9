"""Notebook views of the year-end projections: projection table, 预测区间图 (fan charts), backtest table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from guozi_analysis.analyses.forecast import (
    _QUANTILES,
    METHOD_LABELS,
    PROJECTED_ITEMS,
    investment_ytd,
    stored_projection,
    to_monthly_ytd,
    ytd_matrix,
)
from guozi_analysis.base.periods import as_of_date, closed_month
from guozi_analysis.base.store import read_shared
from guozi_analysis.publishing.display import with_notes
from guozi_analysis.publishing.published import keyed
from guozi_analysis.publishing.text import INVESTMENT_TARGET_NOTE, PROFIT_RANGE_NOTE, pace_note
from guozi_analysis.publishing.views.figures import finish_figure, new_figure
from guozi_analysis.publishing.views.overview import shown_groups


# ---------------------------------------------------------------------------------------------
# Chart
# ---------------------------------------------------------------------------------------------
def fan_layers(history: pd.Series, projection: Mapping, *, past_years: int = 3) -> dict:
    """What a 预测区间图 draws, whatever draws it (:func:`fan_chart` with matplotlib, the profile's SVG).

    ``year`` and ``month`` of the projection; ``past``: ``(year, 12 YTD values)`` of the last ``past_years``
    years before it; ``current``: this year's 12 YTD values (NaN after ``month``); ``bands``: ``None`` or
    ``(months, quantiles)`` — the months ``month``..12 and the 2.5/10/50/90/97.5 % quantiles of the
    simulated paths, starting from this year's value at ``month``; ``target`` (``None`` when none);
    ``note``: the lines printed beside the year-end projection (预计全年 and its 80 % interval, or 全年实际),
    to 0.01 as the projection table prints them; ``note_at``: the height they stand on (the top of the 95 %
    band in December, so that they do not cover the band; the median without bands).
    """
    mat = ytd_matrix(history)
    year, month = int(projection["year"]), int(projection["month"])
    past = [y for y in mat.index if y < year][-past_years:]
    cur = mat.loc[year].to_numpy(dtype=float)
    bands = None
    paths = projection.get("cum_paths")
    if isinstance(paths, pd.DataFrame) and paths.shape[1]:
        q = np.quantile(paths.to_numpy(), _QUANTILES, axis=0)
        start = np.full((len(_QUANTILES), 1), cur[month - 1])
        bands = (np.arange(month, 13), np.hstack([start, q]))
    target = projection.get("target")
    target = float(target) if target is not None and np.isfinite(target) else None
    interval = np.isfinite(projection["lo80"]) and np.isfinite(projection["hi80"])
    # to 0.01 of the chart's unit (亿元), as the projection table prints the same figures
    note = ([f"预计全年 {projection['median']:,.2f}", f"80%区间 {projection['lo80']:,.2f}～{projection['hi80']:,.2f}"]
            if interval else [f"全年实际 {projection['median']:,.2f}"])
    note_at = float(bands[1][-1][-1]) if bands is not None else float(projection["median"])
    return {"year": year, "month": month, "past": [(y, mat.loc[y].to_numpy(dtype=float)) for y in past],
            "current": cur, "bands": bands, "target": target, "median": float(projection["median"]), "note": note,
            "note_at": note_at}


def fan_chart(
    history: pd.Series,
    projection: Mapping,
    *,
    title: str,
    unit: str = "万元",
    past_years: int = 3,
    ax=None,
):
    """预测区间图 (a fan chart) of the cumulative year: past years (grey), this year (black), 80 %/95 % bands.

    ``history`` is the YTD series, ``projection`` the dict from :func:`project_year_end`.
    Greyscale-readable (line styles and grey levels only). Returns the matplotlib Figure; a figure
    it creates itself (no ``ax`` given) is closed in pyplot so that a notebook shows it once.
    """
    layers = fan_layers(history, projection, past_years=past_years)
    year, month = layers["year"], layers["month"]
    own = ax is None
    if own:
        fig, ax = new_figure(figsize=(8, 4.5))
    else:
        fig = ax.figure
    x = np.arange(1, 13)
    styles = [":", "-.", "--"]
    for i, (y, row) in enumerate(layers["past"]):
        ax.plot(x, row, color="0.6", lw=1.2, ls=styles[i % len(styles)], label=f"{y}年实际")
    cur = layers["current"]
    ax.plot(x[:month], cur[:month], color="black", lw=2.2, marker="o", ms=3,
            label=f"{year}年实际")
    if layers["bands"] is not None:
        xs, q = layers["bands"]
        ax.fill_between(xs, q[0], q[4], color="0.85", label="95%区间")
        ax.fill_between(xs, q[1], q[3], color="0.65", label="80%区间")
        ax.plot(xs, q[2], color="black", ls="--", lw=1.6, label="预测中位数")
    if layers["target"] is not None:
        ax.axhline(layers["target"], color="0.3", ls=(0, (1, 1)), lw=1.2, label="年度目标")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{i}月" for i in x])
    ax.set_xlabel("月份")
    ax.set_ylabel(f"本年累计（{unit}）")
    ax.set_title(title)
    ax.annotate(
        "\n".join(layers["note"]),
        xy=(12, layers["note_at"]), xytext=(-4, 4), textcoords="offset points",
        ha="right", va="bottom", fontsize=8,
    )
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    ax.grid(axis="y", color="0.9")
    return finish_figure(fig) if own else fig


def _read(ctx, name: str, *, optional: bool = False) -> pd.DataFrame:
    return read_shared(ctx.processed_dir, name, what="预测共享结果", optional=optional)


def projection_table(ctx) -> pd.DataFrame:
    """Year-end projections against targets: groups and the district, amounts in 亿元, with probabilities.

    Target tracking is optional: an enterprise without a target (and so without a slice of it) still
    gets its projections, marked 无目标."""
    names = dict(zip(ctx.roster["enterprise_id"].astype(str), ctx.roster["short_name"].astype(str)))
    proj = _read(ctx, "forecast_projections")
    shortened = ""
    if ctx.entity_id == "DISTRICT":  # many groups: the largest of them and the district (all in the profiles)
        groups, shortened = shown_groups(ctx)
        if shortened:
            proj = proj.loc[proj["enterprise_id"].astype(str).isin({*groups, "DISTRICT"})]
    out = projection_view(proj, _read(ctx, "forecast_targets", optional=True),
                          names=names, entity_id=ctx.entity_id, period=ctx.period)
    return with_notes(out, shortened)


def projection_view(proj: pd.DataFrame, tracked: pd.DataFrame, *, names: Mapping[str, str],
                    entity_id: str = "DISTRICT", period: str | None = None) -> pd.DataFrame:
    """The projection table from the stored frames (``forecast_projections``, ``forecast_targets``).

    Each figure is read through :func:`stored_projection` (the number the assessment and the review
    read too). Next to each projection: the method, its backtest error (WAPE over the origins of the
    earlier years within two months of this one) and how many years that rests on, P(target) in words, and the notes
    (widened interval, turn, too little history). In December the row says 全年实际 and the interval
    columns stay empty. With ``period`` the figures are keyed (published figures).
    """
    names = {**names, "DISTRICT": "全区合计"}
    cols = ["enterprise_id", "item", "target", "completion_pct", "pace_gap_pct", "prob_reach_target",
            "prob_words", "status"]
    tracked = tracked.reindex(columns=cols)
    rows, entities, items = [], [], []
    for key in proj[["enterprise_id", "item"]].drop_duplicates().itertuples(index=False):
        if entity_id != "DISTRICT" and key.enterprise_id != entity_id:
            continue
        p = stored_projection(proj, key.enterprise_id, key.item)
        if p is None:
            continue
        t = tracked.loc[(tracked["enterprise_id"] == key.enterprise_id) & (tracked["item"] == key.item)]
        t = t.iloc[0].to_dict() if len(t) else {}
        target = t.get("target") if pd.notna(t.get("target", np.nan)) else p.get("target")
        actual = p.get("method") == "actual"
        words = t.get("prob_words") if isinstance(t.get("prob_words"), str) and t.get("prob_words") else \
            p.get("prob_words", "")
        entities.append(str(key.enterprise_id))
        items.append(str(key.item))
        rows.append({
            "企业": names.get(str(key.enterprise_id), str(key.enterprise_id)),
            "项目": PROJECTED_ITEMS.get(key.item, key.item),
            "本年累计（亿元）": p["ytd_actual"] / 1e4,
            "年度目标（亿元）": _num(target) / 1e4,
            "目标完成率（%）": t.get("completion_pct", np.nan),
            "与序时进度差（百分点）": t.get("pace_gap_pct", np.nan),
            "预计全年（亿元）": p["median"] / 1e4,
            "80%区间下限（亿元）": np.nan if actual else p["lo80"] / 1e4,
            "80%区间上限（亿元）": np.nan if actual else p["hi80"] / 1e4,
            "完成目标可能性": words or "",
            "预测方法": p.get("method_label", ""),
            "回测误差（%）": np.nan if actual else _num(p.get("backtest_wape")),
            "回测年数": np.nan if actual else _num(p.get("backtest_years")),
            "判断": "全年实际" if actual else (t.get("status") if isinstance(t.get("status"), str) else "无目标"),
            "说明": p.get("note") if isinstance(p.get("note"), str) else "",
        })
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out = out.set_index(["企业", "项目"]).round(2)
    if period is None:
        return out
    return keyed(out, period=period, entities=entities, items=items, columns={
        "本年累计（亿元）": (None, "本年累计", "亿元"), "年度目标（亿元）": (None, "年度目标", "亿元"),
        "目标完成率（%）": (None, "年度目标完成率", "%"), "与序时进度差（百分点）": (None, "与序时进度差", "百分点"),
        "预计全年（亿元）": (None, "全年预计（中位数）", "亿元"),
        "80%区间下限（亿元）": (None, "全年预计80%区间下限", "亿元"),
        "80%区间上限（亿元）": (None, "全年预计80%区间上限", "亿元"), "完成目标可能性": (None, "完成目标的可能性", "")})


#: The figures of the projection table (the review's first table, the backtest error next to each
#: projection); the basis (method, backtest years, notes) follows in a second table so that neither
#: squeezes fourteen columns into a portrait page
PROJECTION_BASIS = ["预测方法", "回测年数", "说明"]


def projection_figures(ctx) -> pd.DataFrame:
    """The projection table's figures: year to date, target, pace, projection with its 80 % interval
    (one column, 下限—上限, empty in December), P(target) in words, the backtest error and the verdict."""
    table = projection_table(ctx)
    if table.empty:
        return table
    out = table.drop(columns=PROJECTION_BASIS + ["80%区间下限（亿元）", "80%区间上限（亿元）"])
    interval = [
        "" if pd.isna(lo) or pd.isna(hi) else f"{lo:.2f}—{hi:.2f}"
        for lo, hi in zip(table["80%区间下限（亿元）"], table["80%区间上限（亿元）"])
    ]
    out.insert(out.columns.get_loc("预计全年（亿元）") + 1, "80%区间（亿元）", interval)
    items = table.index.get_level_values("项目")
    invest = items.isin([PROJECTED_ITEMS.get("investment_completed")]).any()
    profit = items.isin([PROJECTED_ITEMS.get("total_profit")]).any()
    return with_notes(out, pace_note(as_of_date(closed_month(ctx.period))),
                      INVESTMENT_TARGET_NOTE if invest else "", PROFIT_RANGE_NOTE if profit else "")


def projection_basis(ctx) -> pd.DataFrame:
    """The projection table's basis: the method, how many backtest years its error rests on, and the
    notes (widened interval, turn, growth guard, too little history)."""
    table = projection_table(ctx)
    return table if table.empty else table[PROJECTION_BASIS]


def _num(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def fan_chart_for(ctx, *, item: str, entity_id: str | None = None):
    """预测区间图 of one item for the context entity (or ``entity_id``), from the shared step's paths."""
    history, projection, title = fan_inputs(ctx, item=item, entity_id=entity_id)
    fig = fan_chart(history, projection, title=title, unit="亿元", past_years=2)
    fig.set_size_inches(8, 3.8)
    return finish_figure(fig)


def fan_inputs(ctx, *, item: str, entity_id: str | None = None) -> tuple[pd.Series, dict, str]:
    """``(history, projection, title)`` of the 预测区间图 of one item for the context entity (or
    ``entity_id``), in 亿元, from the shared step's projections and paths (:func:`fan_chart`'s inputs)."""
    entity = entity_id or ctx.entity_id
    proj = _read(ctx, "forecast_projections")
    row = proj.loc[(proj["enterprise_id"] == entity) & (proj["item"] == item)]
    paths = _read(ctx, "forecast_paths")
    sub = paths.loc[(paths["entity_id"] == entity) & (paths["item"] == item)]
    if item == "investment_completed":
        proj_rows = ctx.table("projects")
        history = investment_ytd(proj_rows, ctx.roster).pipe(
            lambda f: f if entity == "DISTRICT" else f.loc[f["enterprise_id"] == entity])
        history = history.groupby("period")["investment_completed"].sum(min_count=1)
    else:
        fin = ctx.table("financials")
        groups = set(ctx.tree.groups)
        keep = fin["enterprise_id"].astype(str).isin(groups) if entity == "DISTRICT" else fin["enterprise_id"] == entity
        rows = fin.loc[keep]
        history = rows.groupby(rows["period"].astype(str))[item].sum(min_count=1)
    as_of = closed_month(ctx.period)
    cum = sub.pivot(index="sim", columns="month", values="value") / 1e4 if len(sub) else None
    r = row.iloc[0] if len(row) else None
    projection = {"year": int(as_of[:4]), "month": int(as_of[5:7]), "cum_paths": cum,
                  "median": float(r["median"]) / 1e4 if r is not None else float("nan"),
                  "lo80": float(r["lo80"]) / 1e4 if r is not None else float("nan"),
                  "hi80": float(r["hi80"]) / 1e4 if r is not None else float("nan"),
                  "target": float(r["target"]) / 1e4 if r is not None and pd.notna(r["target"]) else None}
    name = "全区" if entity == "DISTRICT" else dict(zip(ctx.roster["enterprise_id"], ctx.roster["short_name"]))[entity]
    return to_monthly_ytd(history / 1e4), projection, f"{name}{PROJECTED_ITEMS[item]}：本年累计与全年预测"


def backtest_table(ctx) -> pd.DataFrame:
    """Accuracy of past year-end projections (district): MAPE by method and month the projection was made."""
    bt = _read(ctx, "forecast_backtest")
    bt = bt.loc[bt["available"].astype(str).isin(["True", "true", "1"]) | (bt["available"] == True)]  # noqa: E712
    bt = bt.assign(项目=bt["item"].map(PROJECTED_ITEMS), 方法=bt["method"].map(METHOD_LABELS),
                   month=bt["month"].astype(int))
    bt = bt.loc[bt["month"].between(6, 11)]
    table = bt.pivot_table(index=["项目", "方法"], columns="month", values="ape", aggfunc="mean").sort_index(axis=1)
    table.columns = [f"{m}月末" for m in table.columns]
    table["平均"] = bt.groupby(["项目", "方法"])["ape"].mean()
    table.columns.name = "预测月份"
    return table.round(2)
