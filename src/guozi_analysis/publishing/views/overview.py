"""What the notebooks display: tables with Chinese headers and units, charts with Chinese labels.

Notebooks stay thin: each cell calls one function here. Every function reads the
results of the shared step (parquet files in ``processed_dir``) and computes no
indicator itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses.ranking import indicator_as_of
from guozi_analysis.base.contract import table as contract_table
from guozi_analysis.base.periods import as_of_date, closed_month, elapsed_share, months_elapsed, parse_period
from guozi_analysis.indicators.catalogue import catalogue_frame, load_catalogue
from guozi_analysis.indicators.formulas import safe_divide
from guozi_analysis.publishing.coverage import total_label
from guozi_analysis.publishing.display import with_notes
from guozi_analysis.publishing.lists import bounded, list_note, list_settings, shown_rows
from guozi_analysis.publishing.published import fact_figure, keyed, markdown_with_figures
from guozi_analysis.publishing.text import Fact, change_word, date_zh, markdown, pace_note
from guozi_analysis.publishing.views.context import Context, group_short_names
from guozi_analysis.publishing.views.figures import finish_figure, new_figure

WAN_PER_YI = 10_000  # 1 亿元 = 10,000 万元
COUNT_UNITS = ("个", "家", "支", "人", "笔")  # units of whole numbers

#: Amounts shown in the overview, by line item (万元 internally, shown in 亿元).
OVERVIEW_AMOUNTS = {
    "total_assets": "资产总额",
    "total_liabilities": "负债总额",
    "total_equity": "所有者权益",
    "revenue": "营业总收入（本年累计）",
    "total_profit": "利润总额（本年累计）",
}


def _indicator_meta() -> pd.DataFrame:

    return catalogue_frame().set_index("id")


def pace_notes(period: str, indicator_ids) -> list[str]:
    """How 序时进度 is counted, for a table showing an indicator that subtracts it (its catalogue inputs
    hold ``elapsed_share``), at each such indicator's as-of date; empty when there is none."""
    specs = {s.id: s for s in load_catalogue().enabled()}
    dates = {indicator_as_of(period, specs[i].frequency) for i in indicator_ids
             if i in specs and "elapsed_share" in specs[i].inputs}
    return [pace_note(*sorted(dates))] if dates else []


def _wide(ind: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    sub = ind.loc[ind["indicator_id"].isin(ids)]
    return sub.pivot_table(index="entity_id", columns="indicator_id", values="value", aggfunc="first",
                           dropna=False).reindex(columns=ids)


#: The size by which the groups a long table prints are chosen (the largest first).
SIZE_INDICATOR = "total_assets"


def shown_groups(ctx: Context, *, columns: bool = False) -> tuple[dict[str, str], str]:
    """The groups (code → short name) a district table prints, and the note saying which when not all:
    every group, or when there are more than ``lists.rows`` (``lists.columns`` for groups as columns)
    the largest by total assets; the workbooks and the profiles volume keep every one."""
    names = group_short_names(ctx)
    conf = list_settings()
    rows, top = (conf["columns"], conf["column_top"]) if columns else (conf["rows"], conf["top"])
    if shown_rows(len(names), rows=rows).all():
        return names, ""
    ind = ctx.indicators
    size = ind.loc[ind["indicator_id"] == SIZE_INDICATOR].set_index("entity_id")["value"]
    order = size.reindex(list(names)).sort_values(ascending=False, kind="stable").index
    keep = order[np.flatnonzero(shown_rows(len(order), ends="head", rows=rows, top=top))]
    note = list_note(len(names), len(keep), ends="head", top=top, order="资产总额最大的")
    return {g: names[g] for g in keep}, note


def group_overview(ctx: Context, *, indicator_ids: list[str]) -> pd.DataFrame:
    """Groups and the district side by side on the given indicators, Chinese headers with units."""
    meta = _indicator_meta()
    names, shortened = shown_groups(ctx)
    order = list(names) + ["DISTRICT"]
    wide = _wide(ctx.indicators, indicator_ids).reindex(order)
    names["DISTRICT"] = total_label(ctx)
    wide.index = [names[i] for i in wide.index]
    wide.index.name = "企业"
    labels = []
    for col in indicator_ids:
        unit, factor = _display_unit(meta.loc[col, "unit"])
        wide[col] = wide[col] * factor
        labels.append(f"{meta.loc[col, 'name_zh']}（{unit}）" if unit else str(meta.loc[col, "name_zh"]))
    wide.columns = labels
    out = keyed(wide.round(2), period=ctx.period, entities=order, columns={
        label: (col, "", _display_unit(meta.loc[col, "unit"])[0]) for label, col in zip(labels, indicator_ids)})
    return with_notes(out, *pace_notes(ctx.period, indicator_ids), shortened)


def entity_indicators(ctx: Context) -> pd.DataFrame:
    """Every indicator of one entity this period, grouped by report table, with the district value beside."""
    meta = _indicator_meta()
    ind = ctx.indicators
    own = ind.loc[ind["entity_id"] == ctx.entity_id].set_index("indicator_id")
    dist = ind.loc[ind["entity_id"] == "DISTRICT"].set_index("indicator_id")["value"]
    shown = meta["unit"].map(lambda u: _display_unit(u)[0])
    factor = meta["unit"].map(lambda u: _display_unit(u)[1]).astype(float)
    out = pd.DataFrame({
        "报表": meta["table_name_zh"],
        "指标": meta["name_zh"],
        "单位": shown,
        "本企业": own["value"].reindex(meta.index) * factor,
        "全区": dist.reindex(meta.index) * factor,
        "说明": own["reason"].reindex(meta.index).fillna(""),
    })
    return with_notes(out.reset_index(drop=True).round(2), *pace_notes(ctx.period, meta.index))


def trend_chart(ctx: Context, *, indicator_ids: list[str], title: str):
    """This year against last year by month (x axis 1–12月), one panel per indicator, Chinese labels.

    Each panel draws the indicator's monthly values of this year (black, up to the closed month) and
    of last year (grey, dashed) on the same 1–12月 axis, so a reader compares the same month of two
    years. Where the entity has an annual target for the indicator (``forecast_targets``: 营业总收入,
    利润总额, 固定资产投资完成额 of the groups and the district), the target is drawn as a
    horizontal line and 序时进度 (target × share of the year elapsed at each month end) as a
    sloping dotted line. Months without data are left out (January is reported with February).
    """
    meta = _indicator_meta()
    hist = ctx.history.loc[ctx.history["entity_id"] == ctx.entity_id]
    year = as_of_date(ctx.period).year
    targets = _annual_targets(ctx)
    fig, axes = new_figure(figsize=(8, 3.6), ncols=len(indicator_ids), squeeze=False)
    months = list(range(1, 13))
    for ax, ind_id in zip(axes[0], indicator_ids):
        series = hist.loc[hist["indicator_id"] == ind_id].set_index("period")["value"]
        unit, factor = _display_unit(meta.loc[ind_id, "unit"])
        labels = series.index.astype(str)
        for shown_year, style in ((year - 1, dict(color="0.55", ls="--", lw=1.3, marker="s", ms=2.5)),
                                  (year, dict(color="black", ls="-", lw=2.0, marker="o", ms=3.5))):
            one = series.loc[labels.str.fullmatch(rf"{shown_year}-\d{{2}}")]
            if one.empty:
                continue
            x = one.index.astype(str).str[5:7].astype(int)
            ax.plot(x, one.to_numpy(dtype=float) * factor, label=f"{shown_year}年", **style)
        target = targets.get(ind_id)
        if target is not None:
            ax.axhline(target * factor, color="0.3", ls=(0, (5, 2)), lw=1.0, label=f"{year}年目标")
            pace = [target * factor * elapsed_share(_month_end(year, m)) for m in months]
            ax.plot(months, pace, color="0.3", ls=":", lw=1.2, label="序时进度")
        ax.set_xticks(months)
        ax.set_xticklabels([f"{m}月" for m in months], fontsize=7)
        ax.set_xlim(0.5, 12.5)
        label = f"{meta.loc[ind_id, 'name_zh']}（{unit}）" if unit else str(meta.loc[ind_id, "name_zh"])
        if len(indicator_ids) > 1:
            ax.set_title(label, fontsize=10)
        else:
            ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ax.get_lines():
            ax.legend(loc="best", fontsize=7, frameon=False)
        else:
            ax.text(0.5, 0.5, "暂无数据", ha="center", va="center", transform=ax.transAxes, color="0.4")
    fig.suptitle(f"{ctx.entity_name}：{title}，{year}年与{year - 1}年逐月对比", fontsize=11)
    return finish_figure(fig)


def _month_end(year: int, month: int):
    """The last day of ``month`` (a date)."""
    return (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()


def _annual_targets(ctx: Context) -> dict[str, float]:
    """This year's annual targets of the context entity by indicator id (万元), from the shared forecast step.

    Empty when the shared step stored no targets (no target table, or a period without projections).
    """
    path = Path(ctx.processed_dir) / "forecast_targets.parquet"
    if not path.exists():
        return {}
    frame = pd.read_parquet(path)
    rows = frame.loc[(frame["enterprise_id"].astype(str) == ctx.entity_id) & frame["target"].notna()]
    return {str(item): float(value) for item, value in zip(rows["item"], rows["target"])}


def _display_unit(meta_unit: str) -> tuple[str, float]:
    """Amounts are kept in 万元 and shown in 亿元; everything else as catalogued."""
    return ("亿元", 1 / WAN_PER_YI) if meta_unit == "万元" else (meta_unit, 1.0)


def profile_title(ctx: Context):
    """The profile chapter's heading, named after the enterprise."""
    return markdown(f"# 企业画像：{ctx.entity_name}")


def profile_facts(ctx: Context) -> pd.DataFrame:
    """Who the enterprise is: id, level, classes, shareholding, parent, subsidiaries."""
    roster = ctx.roster.set_index("enterprise_id")
    row = roster.loc[ctx.entity_id]
    children = ctx.tree.children(ctx.entity_id)
    depth = ctx.tree.depth(ctx.entity_id)
    facts = {
        "企业编号": ctx.entity_id,
        "企业名称": row["name"],
        "层级": {1: "一级（集团）", 2: "二级", 3: "三级"}.get(depth, f"{depth}级"),
        "行业分类": row["industry_class"],
        "功能分类": row["function_class"],
        "直属子企业数（家）": len(children),
    }
    return pd.DataFrame({"项目": list(facts), "内容": [str(v) for v in facts.values()]}).set_index("项目")


def headline(ctx: Context):
    """Opening paragraph of the overview with the period's headline numbers, written from data."""

    ind = ctx.indicators
    ent = ctx.entity_id

    def fact(ind_id: str, unit: str) -> Fact:
        row = ind.loc[(ind["entity_id"] == ent) & (ind["indicator_id"] == ind_id), "value"]
        return Fact(float(row.iloc[0]) if len(row) else float("nan"), unit, f"indicators:{ent}:{ind_id}")

    months = months_elapsed(ctx.period)
    growth = fact("revenue_growth", "%")
    pgrowth = fact("total_profit_growth", "%")
    printed = [fact("total_assets", "亿元"), fact("debt_to_asset_ratio", "%"), fact("revenue", "亿元"),
               growth.magnitude(), fact("total_profit", "亿元"), pgrowth.magnitude(), fact("roe", "%")]
    text = (
        f"截至{date_zh(as_of_date(ctx.period))}，{ctx.entity_name}资产总额{fact('total_assets', '亿元').text()}亿元，"
        f"资产负债率{fact('debt_to_asset_ratio', '%').text()}%。1—{months}月实现营业总收入"
        f"{fact('revenue', '亿元').text()}亿元，其中营业收入同比{change_word(growth.value)}"
        f"{Fact(abs(growth.value), '%', growth.source).text()}%；利润总额{fact('total_profit', '亿元').text()}亿元，"
        f"同比{change_word(pgrowth.value)}{Fact(abs(pgrowth.value), '%', pgrowth.source).text()}%；"
        f"年化净资产收益率{fact('roe', '%').text()}%。"
    )
    return markdown_with_figures(text, [fact_figure(f, period=ctx.period, where="开篇") for f in printed])


def report_table(ctx: Context, *, table: str) -> pd.DataFrame:
    """One report table (e.g. ``investment``): its indicators as rows, groups and the district as columns."""
    meta = _indicator_meta()
    rows = meta.loc[meta["table"] == table]
    names, shortened = shown_groups(ctx, columns=True)
    order = list(names) + ["DISTRICT"]
    wide = _wide(ctx.indicators, list(rows.index)).reindex(order).T
    factor = rows["unit"].map(lambda u: _display_unit(u)[1]).astype(float)
    wide = wide.mul(factor, axis=0)
    wide.columns = list(names.values()) + ["全区"]
    counts = rows["unit"].isin(COUNT_UNITS).to_numpy()
    shown = wide.map(lambda v: "—" if pd.isna(v) else f"{v:.2f}")  # rows mix units: format each one
    shown.loc[counts] = wide.loc[counts].map(lambda v: "—" if pd.isna(v) else f"{v:.0f}")  # counts print whole
    shown.index = [f"{r.name_zh}（{_display_unit(r.unit)[0]}）" for r in rows.itertuples()]
    shown.index.name = f"{rows['table_name_zh'].iloc[0]}·指标"
    out = keyed(shown, period=ctx.period, items=list(rows.index),
                units=[_display_unit(u)[0] for u in rows["unit"]],
                columns={label: (None, "", None, entity) for label, entity in zip(shown.columns, order)})
    return with_notes(out, *pace_notes(ctx.period, rows.index), shortened)


def _detail_rows(ctx: Context, name: str) -> pd.DataFrame:
    """Rows of a detail table at the context's period (half month for investment projects)."""

    frame = ctx.table(name)
    p = parse_period(ctx.period)
    wanted = ctx.period if name == "projects" and p.is_half_monthly else (
        f"{ctx.period[:7]}-H2" if name == "projects" else closed_month(ctx.period))
    rows = frame.loc[frame["period"].astype(str) == wanted]
    if ctx.entity_id != "DISTRICT":
        rows = rows.loc[rows["enterprise_id"].astype(str).str.strip().isin(ctx.tree.subtree(ctx.entity_id))]
    return rows


def _group_short_of(ctx: Context, enterprise_ids: pd.Series) -> pd.Series:
    """The short name of each enterprise's group (所属集团), by the roster's parent codes."""
    group = enterprise_ids.astype(str).str.strip().map(ctx.tree.group_map())
    return group.map(group_short_names(ctx))


def city_key_projects(ctx: Context) -> pd.DataFrame:
    """City-level key projects carried by the district's SOEs, with this year's completion rate."""

    rows = _detail_rows(ctx, "projects")
    rows = rows.loc[rows["is_city_key"].astype(bool)].sort_values("total_investment", ascending=False)
    out = pd.DataFrame({
        "项目名称": rows["project_name"].astype(str),
        "所属集团": _group_short_of(ctx, rows["enterprise_id"]),
        "状态": rows["status"].astype(str),
        "总投资（亿元）": rows["total_investment"] / WAN_PER_YI,
        "年度计划（亿元）": rows["annual_plan"] / WAN_PER_YI,
        "本年完成（亿元）": rows["completed_ytd"] / WAN_PER_YI,
        "年度完成率（%）": safe_divide(rows["completed_ytd"], rows["annual_plan"]) * 100,
    })
    return bounded(out.set_index("项目名称").round(2), ends="head", unit="个", order="总投资最大的")


def completion_chart(ctx: Context):
    """Annual investment completion rate by group against 序时进度 (the pace the year requires)."""
    short = group_short_names(ctx)
    ind = ctx.indicators
    rate = ind.loc[ind["indicator_id"] == "investment_completion_rate"].set_index("entity_id")["value"]
    ids = list(short) + ["DISTRICT"]
    values = rate.reindex(ids).to_numpy(dtype=float)
    labels = [short.get(i, "全区") for i in ids]
    pace = elapsed_share(as_of_date(ctx.period)) * 100
    fig, ax = new_figure(figsize=(8, 3.4))
    bars = ax.bar(labels, values, color=["0.55"] * len(short) + ["0.2"], edgecolor="black", linewidth=0.6)
    ax.axhline(pace, color="black", linestyle="--", linewidth=1)
    ax.text(len(ids) - 0.5, pace, f" {pace_note(as_of_date(ctx.period)).rstrip('。')}", va="bottom", ha="right",
            fontsize=8)
    ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_ylabel("年度投资完成率（%）")
    ax.set_title(f"各集团年度投资完成率（数据截至{date_zh(as_of_date(ctx.period))}）")
    return finish_figure(fig)


def detail_list(ctx: Context, *, table: str) -> pd.DataFrame:
    """A detail register (funds, idle assets, reforms, listings) at the period, Chinese headers, 亿元 amounts."""

    spec = contract_table(table)
    rows = _detail_rows(ctx, table).drop(columns=["source_file", "source_row", "period"], errors="ignore")
    out = pd.DataFrame(index=rows.index)
    out["所属集团"] = _group_short_of(ctx, rows["enterprise_id"])
    for field in spec.fields:
        if field.name not in rows.columns or field.name in ("enterprise_id", "period"):
            continue
        if field.unit == "万元":
            out[f"{field.label_zh}（亿元）"] = rows[field.name].astype(float) / WAN_PER_YI
        else:
            out[f"{field.label_zh}（{field.unit}）" if field.unit else field.label_zh] = rows[field.name]
    out = out.reset_index(drop=True)
    out = out.round({c: 2 for c in out.select_dtypes("number").columns})
    if shown_rows(len(out)).all():
        return out
    # a long register: the largest amounts first (its first amount column), then cut
    amounts = [c for c in out.columns if c.endswith("（亿元）")]
    if amounts:
        out = out.sort_values(amounts[0], ascending=False, kind="stable", na_position="last").reset_index(drop=True)
    return bounded(out, ends="head", unit="项", order="金额最大的" if amounts else "")


#: The headline set (一利五率) shown when an enterprise is set beside its peers.
PEER_INDICATORS = ("total_profit", "debt_to_asset_ratio", "roe", "operating_cash_ratio", "rd_intensity",
                   "labour_productivity")


def peer_table(ctx: Context, *, indicator_ids: tuple[str, ...] = PEER_INDICATORS) -> pd.DataFrame:
    """The enterprise beside its peers: groups of the same function class, or subsidiaries of the same industry.

    Peers are entities of the same level and class; the last column ranks the enterprise among them on
    each indicator, respecting its direction (1 = best).
    """
    meta = _indicator_meta()
    roster = ctx.roster.set_index("enterprise_id")
    row = roster.loc[ctx.entity_id]
    is_group = ctx.tree.is_group(ctx.entity_id)
    key = "function_class" if is_group else "industry_class"
    same_level = roster.index.astype(str).str.strip().isin(ctx.tree.groups) == is_group
    peers = roster.loc[same_level & (roster[key] == row[key])]
    wide = _wide(ctx.indicators, list(indicator_ids)).reindex(peers.index)
    ranks = {}
    for ind_id in indicator_ids:
        ascending = meta.loc[ind_id, "direction"] == "lower_better"
        ranks[ind_id] = wide[ind_id].rank(ascending=ascending, method="min")
    factor = pd.Series({i: _display_unit(meta.loc[i, "unit"])[1] for i in indicator_ids})
    shown = wide.mul(factor, axis=1)
    shown.columns = [f"{meta.loc[i, 'name_zh']}（{_display_unit(meta.loc[i, 'unit'])[0]}）" for i in indicator_ids]
    shown.index = [roster.loc[i, "short_name"] + ("（本企业）" if i == ctx.entity_id else "") for i in shown.index]
    shown.index.name = f"同类企业（{row[key]}，{len(peers)}家）"
    shown = shown.round(2).astype(object)
    own_ranks = [f"{int(ranks[i][ctx.entity_id])}/{int(ranks[i].notna().sum())}"
                 if pd.notna(ranks[i][ctx.entity_id]) else "—" for i in indicator_ids]
    shown.loc["本企业在同类中的名次"] = own_ranks
    return shown
