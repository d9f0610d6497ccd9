"""季度经济运行分析: the quarter's own tables, charts and text.

The quarterly reads the shared step's stored results like the 月度通报 (:mod:`.bulletins`, whose shared
helpers it imports) but says what a quarter says: the single quarter and its 同比 (三季度 = 1—9月 − 1—6月,
:mod:`guozi_analysis.analyses.quarterly`), the quarters of the year against last year's, the structure by
group and by class, the drivers of a change (:mod:`guozi_analysis.analyses.attribution`), the maturity
walls the risk engine flags, the year-end projections against the district's targets, and the next
quarter's measures (``params/bulletins.yaml`` → ``quarterly``). Nothing here computes a figure.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from guozi_analysis.analyses import quarterly as Q
from guozi_analysis.analyses.attribution import RESIDUAL, drivers, entity_contributions, is_notable
from guozi_analysis.analyses.forecast import target_status
from guozi_analysis.base.contract import labels_zh
from guozi_analysis.base.figures import figure
from guozi_analysis.base.periods import as_of_date, elapsed_share, parse_period
from guozi_analysis.publishing.coverage import complete, total_label
from guozi_analysis.publishing.display import with_notes
from guozi_analysis.publishing.lists import (
    bounded,
    bulletin_top,
    in_sentence,
    list_note,
    list_settings,
    ranked,
    shown_rows,
    take_rows,
)
from guozi_analysis.publishing.published import figure_period, keyed, markdown_with_figures
from guozi_analysis.publishing.text import (
    INVESTMENT_TARGET_NOTE,
    PROFIT_RANGE_NOTE,
    WAN_PER_YI,
    _isnan,
    change_word,
    drivers_clause,
    markdown,
)
from guozi_analysis.publishing.views import bulletins as B
from guozi_analysis.publishing.views import risk as risk_views
from guozi_analysis.publishing.views.context import Context, group_short_names
from guozi_analysis.publishing.views.figures import finish_figure, new_figure

__all__ = ["settings", "span", "quarter_paragraph", "quarter_table", "trend_table", "stock_table", "change_table",
           "trend_chart", "debt_chart", "pace_chart", "group_table", "structure_table", "drivers_table",
           "outlook_table", "outlook_paragraph", "points", "group_trend_table", "group_chart", "bridge_table",
           "maturity_table", "maturity_chart", "export_workbook"]

DISTRICT = B.DISTRICT
QUARTER_ZH = {1: "一季度", 2: "二季度", 3: "三季度", 4: "四季度"}


def settings() -> dict:
    """The quarterly's settings (``params/bulletins.yaml`` → ``quarterly``)."""
    return dict(B.settings().get("quarterly", {}))


def span(ctx: Context) -> tuple[int, int]:
    """(year, quarter) of the context's period (2022-Q3 and 2022-09 → (2022, 3))."""
    p = parse_period(ctx.period)
    return p.year, (p.month - 1) // 3 + 1


def _yi(value: float) -> str:
    return "—" if _isnan(value) else f"{value / WAN_PER_YI:,.2f}"


def _abs2(value: float) -> str:
    return "—" if _isnan(value) else f"{abs(value):,.2f}"


def _flows(indicators) -> dict[str, bool]:
    meta = B._meta()
    return {i: bool(meta.loc[i, "basis"] == "year_to_date") for i in indicators}


@lru_cache(maxsize=4)
def _quarters(ctx: Context) -> pd.DataFrame:
    """Single quarters (flows) and quarter-end values (stocks) of the district and the groups, this year and
    last, quarters 1—4, indexed (entity, indicator, year, quarter)."""
    year, _ = span(ctx)
    inds = dict.fromkeys([*settings().get("trend", {}), *B.settings()["headline"], *B.settings()["by_group"]])
    frame = Q.quarter_values(ctx.history, entities=[DISTRICT, *ctx.tree.groups], indicators=_flows(inds),
                             years=[year - 1, year], quarters=[1, 2, 3, 4])
    return frame.set_index(["entity_id", "indicator_id", "year", "quarter"])["value"]


def _q(ctx: Context, entity: str, indicator: str, year: int, quarter: int) -> float:
    """One stored-quarter value; a partial district total is not compared with anything (NaN)."""
    return float(_quarters(ctx).get((entity, indicator, year, quarter), np.nan))


def _comparable(ctx: Context, entity: str) -> bool:
    return entity != DISTRICT or complete(ctx)


def _unit(indicator: str) -> str:
    return str(B._meta().loc[indicator, "unit"])


def _name(indicator: str) -> str:
    return str(B._meta().loc[indicator, "name_zh"])


def _change_text(value: float, points: bool) -> str:
    return "—" if _isnan(value) else f"{value:+,.2f}{'个百分点' if points else '%'}"


def _fig(ctx: Context, *, item: str, text: str, unit: str, basis: str = "", entity: str = DISTRICT,
         period: str | None = None, signed: float = float("nan"), where: str = "季度分析正文") -> dict | None:
    value = None
    if not _isnan(signed) and text != "—":
        value = abs(float(text.replace(",", ""))) * (1 if signed >= 0 else -1)
    return figure(entity=entity, item=item, period=figure_period(period or ctx.period), text=text, unit=unit,
                  basis=basis, where=where, value=value)


def _quarter_period(year: int, quarter: int) -> str:
    return Q.quarter_end(year, quarter)


# ------------------------------------------------------------------------------------------------
# the quarter in words and in tables
# ------------------------------------------------------------------------------------------------
def quarter_paragraph(ctx: Context):
    """The single quarter in two sentences: its flows with 同比 and the pace against the previous quarter,
    and the quarter-end balance sheet against the previous quarter end and a year earlier."""
    year, q = span(ctx)
    qname, prev = QUARTER_ZH[q], QUARTER_ZH.get(q - 1, "")
    full = _comparable(ctx, DISTRICT)
    parts, printed = [], []
    for ind in ("revenue", "total_profit", "net_profit"):
        now, ly = _q(ctx, DISTRICT, ind, year, q), _q(ctx, DISTRICT, ind, year - 1, q)
        if _isnan(now):
            continue
        text = f"{_name(ind)}{_yi(now)}亿元"
        printed.append(_fig(ctx, item=ind, text=_yi(now), unit="亿元", basis="本季"))
        g = Q.change(now, ly) if full else np.nan
        if not _isnan(g):
            text += f"，同比{change_word(g)}{_abs2(g)}%"
            printed.append(_fig(ctx, item=ind, text=_abs2(g), unit="%", basis="本季同比", signed=g))
            if q > 1:
                g_prev = Q.change(_q(ctx, DISTRICT, ind, year, q - 1), _q(ctx, DISTRICT, ind, year - 1, q - 1))
                if not _isnan(g_prev):
                    text += (f"（{prev}同比{change_word(g_prev)}{_abs2(g_prev)}%）")
                    printed.append(_fig(ctx, item=ind, text=_abs2(g_prev), unit="%", basis="本季同比", signed=g_prev,
                                        period=_quarter_period(year, q - 1)))
        parts.append(text)
    who = "全区国有企业" if full else "已报送数据的国有企业"
    paragraph = f"从单季看，{qname}{who}实现" + "；".join(parts) + "。" if parts else ""
    stocks = []
    for ind, unit in (("debt_to_asset_ratio", "%"), ("interest_bearing_debt", "亿元")):
        now = _q(ctx, DISTRICT, ind, year, q)
        if _isnan(now):
            continue
        points = unit == "%"
        shown = _abs2(now) if points else _yi(now)
        printed.append(_fig(ctx, item=ind, text=shown, unit=unit))
        text = f"{_name(ind)}{shown}{unit}"
        before = _q(ctx, DISTRICT, ind, year, q - 1) if q > 1 else _q(ctx, DISTRICT, ind, year - 1, 4)
        if full and not _isnan(before):
            diff = Q.change(now, before, points=True)
            word = change_word(diff, up="上升" if points else "增加", down="下降" if points else "减少")
            amount = _abs2(diff) if points else _yi(abs(diff))
            text += f"，比上季末{word}{amount}{'个百分点' if points else '亿元'}"
            printed.append(_fig(ctx, item=ind, text=amount, unit="百分点" if points else "亿元", basis="比上季末",
                                signed=diff))
        stocks.append(text)
    if stocks:
        paragraph += f"{qname}末，" + "；".join(stocks) + "。"
    return markdown_with_figures(paragraph or "本季没有可汇总的单季数据。", printed)


def quarter_table(ctx: Context) -> pd.DataFrame:
    """主要指标：本季（单季）与上年同季、单季同比，本年累计（或季末）与上年同期、累计同比。

    Flows: 本季 = 季末累计 − 上季末累计; stocks and ratios have no single quarter (—) and show the quarter-end
    value; a ratio's 同比 is in 百分点."""
    year, q = span(ctx)
    qname = QUARTER_ZH[q]
    ytd_label, _ = B._span(ctx, quarter=True)
    hist = B._history(ctx)
    full = _comparable(ctx, DISTRICT)
    flows = _flows(B.settings()["headline"])
    rows, units, change_units = [], [], []
    for ind, flow in flows.items():
        unit = _unit(ind)
        points = unit == "%"
        now_q = _q(ctx, DISTRICT, ind, year, q) if flow else np.nan
        ly_q = _q(ctx, DISTRICT, ind, year - 1, q) if flow and full else np.nan
        now = B._value(hist, DISTRICT, ind, ctx.period[:7])
        ly = B._value(hist, DISTRICT, ind, B._month(ctx.period, 12)) if full else np.nan
        rows.append({"指标": _name(ind), "单位": B._shown_unit(unit), qname: B._shown(now_q, unit),
                     f"上年{qname}": B._shown(ly_q, unit), "单季同比": _change_text(Q.change(now_q, ly_q), False),
                     f"{ytd_label}累计或期末": B._shown(now, unit), "上年同期": B._shown(ly, unit),
                     "累计同比": _change_text(Q.change(now, ly, points=points), points)})
        units.append(B._shown_unit(unit))
        change_units.append("百分点" if points else "%")
    frame = pd.DataFrame(rows).round(2)
    last_year = B._month(ctx.period, 12)
    return keyed(frame, period=ctx.period, entities=[DISTRICT] * len(frame), items=list(flows), units=units, columns={
        qname: (None, "本季", None), f"上年{qname}": (None, "本季", None, None, last_year),
        "单季同比": (None, "本季同比", "%"), f"{ytd_label}累计或期末": (None, "", None),
        "上年同期": (None, "", None, None, last_year), "累计同比": (None, B.CHANGE, change_units)})


def _quarter_columns(year: int, quarters: range) -> dict[str, tuple[int, int]]:
    return {f"{y}年{QUARTER_ZH[k]}": (y, k) for y in (year, year - 1) for k in quarters}


def trend_table(ctx: Context) -> pd.DataFrame:
    """分季度走势（单季，亿元）：各流量指标本年与上年每个季度的单季数（单季 = 季末累计 − 上季末累计）。"""
    year, q = span(ctx)
    cols = _quarter_columns(year, range(1, q + 1))
    inds = [i for i, flow in settings()["trend"].items() if flow]
    rows = []
    for ind in inds:
        row = {"指标": _name(ind)}
        for label, (y, k) in cols.items():
            row[label] = B._shown(_q(ctx, DISTRICT, ind, y, k) if y == year or _comparable(ctx, DISTRICT) else np.nan,
                                  _unit(ind))
        rows.append(row)
    frame = pd.DataFrame(rows).round(2)
    return keyed(frame, period=ctx.period, entities=[DISTRICT] * len(frame), items=inds, columns={
        label: (None, "本季", "亿元", None, _quarter_period(y, k)) for label, (y, k) in cols.items()})


def stock_table(ctx: Context) -> pd.DataFrame:
    """各季末时点数：资产总额、带息负债（亿元）与资产负债率（%），本年与上年每个季度末。"""
    year, q = span(ctx)
    cols = _quarter_columns(year, range(1, q + 1))
    inds = [i for i, flow in settings()["trend"].items() if not flow]
    rows = []
    for ind in inds:
        row = {"指标": f"{_name(ind)}（{B._shown_unit(_unit(ind))}）"}
        for label, (y, k) in cols.items():
            row[label] = B._shown(_q(ctx, DISTRICT, ind, y, k) if y == year or _comparable(ctx, DISTRICT) else np.nan,
                                  _unit(ind))
        rows.append(row)
    frame = pd.DataFrame(rows).round(2)
    units = [B._shown_unit(_unit(i)) for i in inds]
    return keyed(frame, period=ctx.period, entities=[DISTRICT] * len(frame), items=inds, units=units, columns={
        label: (None, "", None, None, _quarter_period(y, k)) for label, (y, k) in cols.items()})


def change_table(ctx: Context) -> pd.DataFrame:
    """各季度同比：单季流量的同比（%）与季末时点数的同比（%，比率为百分点），看增速逐季怎样变化。"""
    year, q = span(ctx)
    full = _comparable(ctx, DISTRICT)
    rows = []
    for ind, flow in settings()["trend"].items():
        points = _unit(ind) == "%"
        row = {"指标": _name(ind) + ("（单季）" if flow else "（季末）")}
        for k in range(1, q + 1):
            c = Q.change(_q(ctx, DISTRICT, ind, year, k), _q(ctx, DISTRICT, ind, year - 1, k), points=points) \
                if full else np.nan
            row[f"{QUARTER_ZH[k]}同比"] = _change_text(c, points)
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------
# charts
# ------------------------------------------------------------------------------------------------
def _bars(ax, ctx: Context, ind: str, year: int, q: int) -> None:
    x = np.arange(1, q + 1)
    now = [_q(ctx, DISTRICT, ind, year, k) / WAN_PER_YI for k in x]
    ly = [_q(ctx, DISTRICT, ind, year - 1, k) / WAN_PER_YI for k in x]
    ax.bar(x - 0.2, ly, width=0.4, color="0.7", edgecolor="0.2", linewidth=0.5, label=f"{year - 1}年")
    ax.bar(x + 0.2, now, width=0.4, color="0.25", edgecolor="0.1", linewidth=0.5, label=f"{year}年")
    for xs, vals in ((x - 0.2, ly), (x + 0.2, now)):
        for a, v in zip(xs, vals):
            if not _isnan(v):
                ax.annotate(f"{v:,.2f}", (a, v), ha="center", va="bottom", fontsize=7, xytext=(0, 2),
                            textcoords="offset points")
    ax.set_xticks(x)
    ax.set_xticklabels([QUARTER_ZH[k] for k in x])
    ax.set_title(f"{_name(ind)}（单季，亿元）")
    top = np.nanmax([*now, *ly, 0.0])
    ax.set_ylim(0, top * 1.18 if top > 0 else 1)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.grid(axis="y", color="0.9")


def trend_chart(ctx: Context):
    """图：营业总收入、利润总额分季度单季数，本年与上年对比（柱状，灰度可读）。"""
    year, q = span(ctx)
    fig, axes = new_figure(figsize=(8, 3.4), ncols=2)
    for ax, ind in zip(axes, ("revenue", "total_profit")):
        _bars(ax, ctx, ind, year, q)
    return finish_figure(fig)


def debt_chart(ctx: Context):
    """图：各季度末带息负债（柱，亿元）与资产负债率（线，%），自上年一季度末起。"""
    year, q = span(ctx)
    points = [(year - 1, k) for k in range(1, 5)] + [(year, k) for k in range(1, q + 1)]
    labels = [f"{str(y)[2:]}年{QUARTER_ZH[k][0]}季末" for y, k in points]
    debt = [_q(ctx, DISTRICT, "interest_bearing_debt", y, k) / WAN_PER_YI for y, k in points]
    ratio = [_q(ctx, DISTRICT, "debt_to_asset_ratio", y, k) for y, k in points]
    fig, ax = new_figure(figsize=(8, 3.4))
    x = np.arange(len(points))
    ax.bar(x, debt, color=["0.7" if y < year else "0.35" for y, _ in points], edgecolor="0.1", linewidth=0.5,
           label="带息负债（亿元，左轴）")
    for a, v in zip(x, debt):
        if not _isnan(v):
            ax.annotate(f"{v:,.2f}", (a, v), ha="center", va="bottom", fontsize=7, xytext=(0, 2),
                        textcoords="offset points")
    top = np.nanmax([*debt, 0.0])
    ax.set_ylim(0, top * 1.35 if top > 0 else 1)
    ax.set_ylabel("带息负债（亿元）")
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=8)
    right = ax.twinx()
    right.plot(x, ratio, color="black", marker="o", ms=4, lw=1.6, label="资产负债率（%，右轴）")
    finite = [r for r in ratio if not _isnan(r)]
    if finite:
        right.set_ylim(min(finite) - 3, max(finite) + 1.5)
    right.set_ylabel("资产负债率（%）")
    handles = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], fontsize=8, frameon=False, loc="upper left", ncol=2)
    ax.set_title("各季度末带息负债与资产负债率")
    return finish_figure(fig)


def pace_chart(ctx: Context):
    """图：各集团投资完成率与序时进度（横向柱，虚线为序时进度）。读投资进度表（:func:`.bulletins.pace_table`）。"""
    pace = B.pace_table(ctx)
    share = elapsed_share(as_of_date(ctx.period)) * 100
    pace = pace.loc[pace["完成率（%）"].notna()]
    fig, ax = new_figure(figsize=(8, 3.2))
    if not len(pace):
        ax.text(0.5, 0.5, "本期无投资完成数据", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return finish_figure(fig)
    y = np.arange(len(pace))[::-1]
    ax.barh(y, pace["完成率（%）"], color=["0.3" if g < 0 else "0.7" for g in pace["快于或慢于序时（百分点）"]],
            edgecolor="0.1", linewidth=0.5)
    for b, v in zip(y, pace["完成率（%）"]):
        ax.annotate(f"{v:.2f}%", (v, b), va="center", ha="left", fontsize=7, xytext=(3, 0), textcoords="offset points")
    ax.axvline(share, color="black", ls="--", lw=1.2, label=f"序时进度 {share:.2f}%")
    ax.set_yticks(y)
    ax.set_yticklabels(pace["企业"], fontsize=8)
    ax.set_xlim(0, max(100.0, float(np.nanmax(pace["完成率（%）"])) * 1.1) if len(pace) else 100)
    ax.set_xlabel("年度计划投资完成率（%）；深色为慢于序时进度")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.set_title("各集团投资完成率与序时进度")
    return finish_figure(fig)


# ------------------------------------------------------------------------------------------------
# structure
# ------------------------------------------------------------------------------------------------
def _group_values(ctx: Context, indicator: str, year: int, quarter: int) -> pd.Series:
    return pd.Series({g: _q(ctx, g, indicator, year, quarter) for g in ctx.tree.groups}, dtype=float)


def group_table(ctx: Context, *, whole: bool = False) -> pd.DataFrame:
    """分集团单季情况：各集团本季营业总收入、利润总额，同比，占各集团合计的比重，季末资产负债率及比上季末。
    集团多于 ``lists.rows`` 家时按本季营业总收入列出前、后 ``lists.bulletin_top`` 家（``whole=True``：工作簿，全部集团）。"""
    year, q = span(ctx)
    qname = QUARTER_ZH[q]
    names = group_short_names(ctx)
    ident = pd.Series(list(names), index=list(names))
    frames = {}
    for ind in ("revenue", "total_profit"):
        frames[ind] = Q.class_structure(_group_values(ctx, ind, year, q), ident,
                                        before=_group_values(ctx, ind, year - 1, q)).set_index("class")
    rows = []
    for g, name in names.items():
        ratio, before = _q(ctx, g, "debt_to_asset_ratio", year, q), _q(ctx, g, "debt_to_asset_ratio", year, q - 1) \
            if q > 1 else _q(ctx, g, "debt_to_asset_ratio", year - 1, 4)
        rows.append({"企业": name,
                     f"{qname}营业总收入（亿元）": B._shown(frames["revenue"].at[g, "value"], "万元"),
                     "营收同比（%）": frames["revenue"].at[g, "change"], "营收占比（%）": frames["revenue"].at[g, "share"],
                     f"{qname}利润总额（亿元）": B._shown(frames["total_profit"].at[g, "value"], "万元"),
                     "利润同比（%）": frames["total_profit"].at[g, "change"],
                     "利润占比（%）": frames["total_profit"].at[g, "share"],
                     "季末资产负债率（%）": ratio, "比上季末（百分点）": Q.change(ratio, before, points=True)})
    out = keyed(pd.DataFrame(rows).round(2), period=ctx.period, entities=list(names), columns={
        f"{qname}营业总收入（亿元）": ("revenue", "本季", "亿元"), "营收同比（%）": ("revenue", "本季同比", "%"),
        "营收占比（%）": ("revenue", "本季占各集团合计", "%"), f"{qname}利润总额（亿元）": ("total_profit", "本季", "亿元"),
        "利润同比（%）": ("total_profit", "本季同比", "%"), "利润占比（%）": ("total_profit", "本季占各集团合计", "%"),
        "季末资产负债率（%）": ("debt_to_asset_ratio", "", "%"),
        "比上季末（百分点）": ("debt_to_asset_ratio", "比上季末", "百分点")})
    out = with_notes(out, "占比为占各集团合计的比重；利润同比以上年同季利润总额的绝对值为基数。")
    return out if whole else ranked(out, by=f"{qname}营业总收入（亿元）", elsewhere=B.WORKBOOK)


def structure_table(ctx: Context, *, column: str = "function_class") -> pd.DataFrame:
    """按分类的结构：各集团按企业名录的分类列（功能类/竞争类/公益类，或行业类别）归类，本季营业总收入、
    利润总额和季末资产总额的合计、占比与同比（以集团为单位归类，下属企业随集团，不重复计算）。"""
    year, q = span(ctx)
    qname = QUARTER_ZH[q]
    roster = ctx.roster.assign(enterprise_id=ctx.roster["enterprise_id"].astype(str).str.strip())
    classes = roster.set_index("enterprise_id")[column].reindex(list(ctx.tree.groups)).fillna("未分类")
    label = {"function_class": "功能分类", "industry_class": "行业类别"}.get(column, column)
    parts = {}
    for ind in ("revenue", "total_profit", "total_assets"):
        parts[ind] = Q.class_structure(_group_values(ctx, ind, year, q), classes,
                                       before=_group_values(ctx, ind, year - 1, q)).set_index("class")
    order = list(parts["revenue"].index)
    rows = []
    for c in order:
        rows.append({label: c, "集团数（家）": int(parts["revenue"].at[c, "members"]),
                     f"{qname}营业总收入（亿元）": B._shown(parts["revenue"].at[c, "value"], "万元"),
                     "营收占比（%）": parts["revenue"].at[c, "share"], "营收同比（%）": parts["revenue"].at[c, "change"],
                     f"{qname}利润总额（亿元）": B._shown(parts["total_profit"].at[c, "value"], "万元"),
                     "利润占比（%）": parts["total_profit"].at[c, "share"],
                     "利润同比（%）": parts["total_profit"].at[c, "change"],
                     "季末资产总额（亿元）": B._shown(parts["total_assets"].at[c, "value"], "万元"),
                     "资产占比（%）": parts["total_assets"].at[c, "share"]})
    entities = [f"{DISTRICT}·{label}·{c}" for c in order]
    out = keyed(pd.DataFrame(rows).round(2), period=ctx.period, entities=entities, columns={
        f"{qname}营业总收入（亿元）": ("revenue", "本季", "亿元"), "营收占比（%）": ("revenue", "本季占比", "%"),
        "营收同比（%）": ("revenue", "本季同比", "%"), f"{qname}利润总额（亿元）": ("total_profit", "本季", "亿元"),
        "利润占比（%）": ("total_profit", "本季占比", "%"), "利润同比（%）": ("total_profit", "本季同比", "%"),
        "季末资产总额（亿元）": ("total_assets", "", "亿元"), "资产占比（%）": ("total_assets", "占比", "%")})
    return with_notes(out, f"按各集团在企业名录中的{label}归类（下属企业随所属集团，不重复计算）。")


def _contributions(ctx: Context, indicator: str, year: int, q: int) -> pd.DataFrame:
    """Each group's single-quarter change on the same quarter a year earlier (attribution.entity_contributions)."""
    groups = list(ctx.tree.groups)
    frame = pd.DataFrame([{"enterprise_id": g, "period": str(y), indicator: _q(ctx, g, indicator, y, q)}
                          for g in groups for y in (year, year - 1)])
    return entity_contributions(frame, column=indicator, now=str(year), before=str(year - 1), entities=groups)


def drivers_table(ctx: Context, *, whole: bool = False) -> pd.DataFrame:
    """本季同比增减的来源：各集团本季营业总收入、利润总额比上年同季的增减额及占各集团增减额合计的比重。
    集团多于 ``lists.rows`` 家时每个指标列出增加最多和减少最多的 ``lists.bulletin_top`` 家（``whole=True``：全部）。"""
    year, q = span(ctx)
    qname = QUARTER_ZH[q]
    names = group_short_names(ctx)
    rows, entities, items = [], [], []
    for ind in ("revenue", "total_profit"):
        contrib = _contributions(ctx, ind, year, q)
        for g, r in contrib.iterrows():
            rows.append({"指标": _name(ind), "企业": names[g], f"{qname}（亿元）": B._shown(r["now"], "万元"),
                         f"上年{qname}（亿元）": B._shown(r["before"], "万元"),
                         "同比增减额（亿元）": B._shown(r["change"], "万元"), "占增减额合计（%）": r["share"]})
            entities.append(g)
            items.append(ind)
    out = keyed(pd.DataFrame(rows).round(2), period=ctx.period, entities=entities, items=items, columns={
        f"{qname}（亿元）": (None, "本季", "亿元"), f"上年{qname}（亿元）": (None, "本季", "亿元", None, B._month(ctx.period, 12)),
        "同比增减额（亿元）": (None, "本季同比增减额", "亿元"), "占增减额合计（%）": (None, "本季占同比增减额合计", "%")})
    if whole or shown_rows(len(out)).all():
        return out
    # a long table: per indicator the groups that added most and those that took most away
    block = {ind: k for k, ind in enumerate(dict.fromkeys(items))}
    key = pd.DataFrame({"i": [block[i] for i in items], "c": -out["同比增减额（亿元）"].astype(float).to_numpy()})
    out = take_rows(out, key.sort_values(["i", "c"], kind="stable", na_position="last").index)
    return bounded(out, blocks=list(out["指标"]), per="指标", unit="行", top=bulletin_top(),
                   order="按同比增减额从高到低排列的", elsewhere=B.WORKBOOK)


def group_trend_table(ctx: Context, *, indicator: str = "revenue", whole: bool = False) -> pd.DataFrame:
    """各集团分季度数与同比：流量为本年每个季度的单季数（亿元），时点数为各季度末的数（亿元，比率为 %），
    及与上年同季（季末）比的同比（%，比率为百分点）。集团多于 ``lists.rows`` 家时列出全区和按本季数排列的前、后
    ``lists.bulletin_top`` 家（``whole=True``：工作簿，全部集团）。"""
    year, q = span(ctx)
    names = group_short_names(ctx) | {DISTRICT: total_label(ctx)}
    unit = _unit(indicator)
    flow = _flows([indicator])[indicator]
    points = unit == "%"
    shown_unit = B._shown_unit(unit)
    rows, columns = [], {}
    for e, name in names.items():
        row = {"企业": name}
        for k in range(1, q + 1):
            now, ly = _q(ctx, e, indicator, year, k), _q(ctx, e, indicator, year - 1, k)
            if not _comparable(ctx, e):
                ly = np.nan
            label = f"{QUARTER_ZH[k]}{'' if flow else '末'}（{shown_unit}）"
            change_label = f"{QUARTER_ZH[k]}同比（{'百分点' if points else '%'}）"
            row[label], row[change_label] = B._shown(now, unit), Q.change(now, ly, points=points)
            columns[label] = (indicator, "本季" if flow else "", shown_unit, None, _quarter_period(year, k))
            columns[change_label] = (indicator, "本季同比" if flow else B.CHANGE, "百分点" if points else "%", None,
                                     _quarter_period(year, k))
        rows.append(row)
    out = keyed(pd.DataFrame(rows).round(2), period=ctx.period, entities=list(names), columns=columns)
    if whole:
        return out
    latest = f"{QUARTER_ZH[q]}{'' if flow else '末'}（{shown_unit}）"
    return ranked(out, by=latest, label=f"{QUARTER_ZH[q]}{'单季数' if flow else '末数'}",
                  total=[e == DISTRICT for e in names], elsewhere=B.WORKBOOK)


def group_chart(ctx: Context):
    """图：各集团本季营业总收入、利润总额与上年同季对比（柱状）。"""
    year, q = span(ctx)
    names = group_short_names(ctx)
    fig, axes = new_figure(figsize=(8, 3.4), ncols=2)
    x = np.arange(len(names))
    for ax, ind in zip(axes, ("revenue", "total_profit")):
        now = [_q(ctx, g, ind, year, q) / WAN_PER_YI for g in names]
        ly = [_q(ctx, g, ind, year - 1, q) / WAN_PER_YI for g in names]
        ax.bar(x - 0.2, ly, width=0.4, color="0.7", edgecolor="0.2", linewidth=0.5, label=f"{year - 1}年{QUARTER_ZH[q]}")
        ax.bar(x + 0.2, now, width=0.4, color="0.25", edgecolor="0.1", linewidth=0.5, label=f"{year}年{QUARTER_ZH[q]}")
        ax.set_xticks(x)
        ax.set_xticklabels([n.replace("澜海", "").replace("集团", "") for n in names.values()], fontsize=8)
        ax.set_title(f"各集团{_name(ind)}（{QUARTER_ZH[q]}单季，亿元）", fontsize=10)
        top = np.nanmax([*now, *ly, 0.0])
        ax.set_ylim(0, top * 1.2 if top > 0 else 1)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
        ax.grid(axis="y", color="0.9")
    return finish_figure(fig)


def bridge_table(ctx: Context, *, whole: bool = False) -> pd.DataFrame:
    """利润总额同比增减的科目分解（本年累计，亿元）：全区和各集团利润总额比上年同期的增减，按营业总收入、
    营业成本、三项费用等科目分解（收入类增加为正，成本费用类增加为负；“其他”为未列科目，各列相加等于增减额）。
    集团（表列）多于 ``lists.columns`` 家时列出全区和利润增加最多、减少最多的各 ``lists.column_top`` 家（``whole=True``：全部）。"""
    items = B._read(ctx, "line_items")
    names = {DISTRICT: total_label(ctx)} | group_short_names(ctx)
    labels = labels_zh("financials")
    columns, order = {}, []
    for e, name in names.items():
        try:
            bridge = Q.profit_bridge(items, entity_id=e) if len(items) else None
        except KeyError:
            bridge = None
        if bridge is None or (e == DISTRICT and not complete(ctx)):
            continue
        columns[name] = list(bridge["contribution"]) + [bridge.attrs["total"]]
        order = list(bridge.index)
    if not columns:
        out = pd.DataFrame(columns=["科目"])
        out.attrs["empty_reason"] = "本期没有报表科目数据，无法分解利润变动"
        return out
    note = ""
    groups = [k for k in columns if k != total_label(ctx)]
    conf = list_settings()
    if not whole and not shown_rows(len(groups), rows=conf["columns"], top=conf["column_top"]).all():
        # many groups as columns: the district, then those whose profit rose most and fell most
        groups.sort(key=lambda k: -np.nan_to_num(float(columns[k][-1]), nan=-np.inf))
        keep = shown_rows(len(groups), rows=conf["columns"], top=conf["column_top"])
        note = list_note(len(groups), int(keep.sum()), top=conf["column_top"], order="按利润总额增减额从高到低排列的",
                         elsewhere=B.WORKBOOK)
        columns = {k: v for k, v in columns.items() if k == total_label(ctx)} | \
            {k: columns[k] for k, shown in zip(groups, keep) if shown}
    rows = [labels.get(i, i) if i != RESIDUAL else "其他（未列科目）" for i in order] + ["利润总额增减额"]
    frame = pd.DataFrame({"科目": rows, **{k: np.array(v, dtype=float) / WAN_PER_YI for k, v in columns.items()}})
    frame[frame.columns[1:]] = frame[frame.columns[1:]].round(2) + 0.0  # −0.004 prints 0.00, not −0.00
    return with_notes(frame, "各科目对利润总额的影响＝符号×（本年累计－上年同期）：收入、收益类科目增加使利润增加，"
                                      "成本、费用、营业外支出增加使利润减少。", note)


def maturity_table(ctx: Context, *, whole: bool = False) -> pd.DataFrame:
    """债务集中到期与现金覆盖：各集团未来12个月单月到期最多的月份、金额、占未来12个月到期的比重（风险引擎
    “债务集中到期”同一算法），现金短债比，以及是否被风险引擎判定为债务集中到期。集团多于 ``lists.rows`` 家时
    列出全区和按集中度排列的前、后 ``lists.bulletin_top`` 家，表注逐家点名预警的集团（``whole=True``：全部）。"""
    names = group_short_names(ctx) | {DISTRICT: total_label(ctx)}
    tables = {"roster": ctx.roster, "debts": B._read(ctx, "table_debts")}
    walls = Q.maturity_walls(tables, period=ctx.period, entities=list(names))
    flags = B._read(ctx, "risk_flags")
    fired = set(flags.loc[(flags["rule_id"] == "maturity_wall") & flags["triggered"].astype(bool), "entity_id"]) \
        if len(flags) else set()
    ind = ctx.indicators
    cash = ind.loc[ind["indicator_id"] == "cash_to_short_term_debt"].drop_duplicates("entity_id") \
        .set_index("entity_id")["value"]
    rows, entities = [], []
    for e, name in names.items():
        if e not in walls.index:
            continue
        w = walls.loc[e]
        rows.append({"企业": name, "未来12个月到期（亿元）": B._shown(w["total"], "万元"), "到期最多的月份": w["month"],
                     "当月到期（亿元）": B._shown(w["amount"], "万元"), "占未来12个月（%）": w["share"],
                     "统计口径": w["basis"], "现金短债比（倍）": float(cash.get(e, np.nan)),
                     "债务集中到期": "预警" if e in fired else "—"})
        entities.append(e)
    if not rows:
        out = pd.DataFrame(columns=["企业"])
        out.attrs["empty_reason"] = "本期没有融资明细，无法统计到期分布"
        return out
    out = keyed(pd.DataFrame(rows).round(2), period=ctx.period, entities=entities, columns={
        "现金短债比（倍）": ("cash_to_short_term_debt", "", "倍")})
    rule = flags.loc[flags["rule_id"] == "maturity_wall"] if len(flags) else flags
    line = (f"单月到期超过未来12个月到期合计的{float(rule['threshold'].iloc[0]):g}%即为债务集中到期（本区风险预警规则）；"
            if len(rule) else "")
    out = with_notes(out, line + "口径取单月集中度较高者（本企业自身或含全部下属企业）。")
    if whole:
        return out
    warned = [n for n, w in zip(out["企业"], out["债务集中到期"]) if w == "预警" and n != total_label(ctx)]
    cut = ranked(out, by="占未来12个月（%）", label="单月到期占比", total=[e == DISTRICT for e in entities],
                 elsewhere=B.WORKBOOK)
    if len(cut) == len(out):  # printed whole: each warning is in its row
        return out
    return with_notes(cut, f"债务集中到期预警的集团共{len(warned)}家：{'、'.join(warned)}。" if warned else "")


def maturity_chart(ctx: Context):
    """图：全区未来24个月债务到期分布（风险专题的同一张图，:func:`.risk.maturity_chart`）。"""
    return risk_views.maturity_chart(ctx)


# ------------------------------------------------------------------------------------------------
# year-end outlook against the targets (the district's included)
# ------------------------------------------------------------------------------------------------
_OUTLOOK_ITEMS = {"revenue": "营业总收入", "total_profit": "利润总额", "investment_completed": "完成投资"}


def _outlook(ctx: Context) -> pd.DataFrame:
    """The stored projections with each row's target and P(target) from the stored target tracking
    (``forecast_targets``: the district's target is the sum of the groups' there)."""
    proj = B._read(ctx, "forecast_projections")
    if not len(proj):
        return proj
    tracked = B._read(ctx, "forecast_targets")
    proj = proj.loc[proj["item"].isin(list(_OUTLOOK_ITEMS))].copy()
    for column, empty in (("target", np.nan), ("prob_target", np.nan), ("prob_words", "")):
        if column not in proj:
            proj[column] = empty
    if len(tracked) and {"enterprise_id", "item", "target", "prob_reach_target", "prob_words"} <= set(tracked.columns):
        t = tracked.set_index(["enterprise_id", "item"])
        key = list(zip(proj["enterprise_id"].astype(str), proj["item"].astype(str)))
        target = pd.Series([t["target"].get(k, np.nan) for k in key], index=proj.index, dtype=float)
        prob = pd.Series([t["prob_reach_target"].get(k, np.nan) for k in key], index=proj.index, dtype=float)
        proj["target"] = proj["target"].where(proj["target"].notna(), target)
        proj["prob_target"] = proj["prob_target"].where(proj["prob_target"].notna(), prob)
        words = pd.Series([t["prob_words"].get(k, "") for k in key], index=proj.index, dtype=object)
        proj["prob_words"] = proj["prob_words"].where(proj["prob_words"].fillna("").astype(str) != "", words)
    return proj


def outlook_table(ctx: Context, *, whole: bool = False) -> pd.DataFrame:
    """全年预计与年度目标（含全区）：各集团和全区营业总收入、利润总额、完成投资的全年预计（中位数与80%区间）、
    年度目标、完成目标的可能性和判断（:func:`guozi_analysis.analyses.forecast.target_status`）。集团多于
    ``lists.rows`` 家时每个项目列出全区和按全年预计排列的前、后 ``lists.bulletin_top`` 家（目标存在缺口的集团
    在“存在问题”中逐家点名；``whole=True``：工作簿，全部）。"""
    proj = _outlook(ctx)
    if not len(proj):
        out = pd.DataFrame(columns=["企业", "项目"])
        out.attrs["empty_reason"] = "没有全年预测结果（预测需要本年已报送的月度数据）"
        return out
    names = group_short_names(ctx) | {DISTRICT: total_label(ctx)}
    proj = proj.loc[proj["enterprise_id"].isin(list(names))]
    order = {e: k for k, e in enumerate([DISTRICT, *names])}
    proj = proj.assign(_o=proj["enterprise_id"].map(order), _i=proj["item"].map(list(_OUTLOOK_ITEMS).index))
    proj = proj.sort_values(["_i", "_o"])
    out = pd.DataFrame({
        "_entity": proj["enterprise_id"].astype(str), "_item": proj["item"].astype(str),
        "项目": proj["item"].map(_OUTLOOK_ITEMS), "企业": proj["enterprise_id"].map(names),
        "全年预计（亿元）": proj["median"] / WAN_PER_YI, "80%区间下限（亿元）": proj["lo80"] / WAN_PER_YI,
        "80%区间上限（亿元）": proj["hi80"] / WAN_PER_YI, "年度目标（亿元）": proj["target"] / WAN_PER_YI,
        "完成目标的可能性": proj["prob_words"].fillna("").replace("", "—"),
        "判断": [target_status(p) or "—" for p in proj["prob_target"].astype(float)],
    }).round(2)
    out = keyed(out.reset_index(drop=True), period=ctx.period, entities="_entity", items="_item", columns={
        "全年预计（亿元）": (None, "全年预计（中位数）", "亿元"), "80%区间下限（亿元）": (None, "全年预计80%区间下限", "亿元"),
        "80%区间上限（亿元）": (None, "全年预计80%区间上限", "亿元"), "年度目标（亿元）": (None, "年度目标", "亿元"),
        "完成目标的可能性": (None, "完成目标的可能性", "")})
    district = (proj["enterprise_id"] == DISTRICT).any() and proj.loc[proj["enterprise_id"] == DISTRICT, "target"].notna().any()
    out = with_notes(out, "全区的年度目标为各集团年度目标之和。" if district else "",
                     INVESTMENT_TARGET_NOTE if (proj["item"] == "investment_completed").any() else "",
                     PROFIT_RANGE_NOTE if (proj["item"] == "total_profit").any() else "")
    if whole or shown_rows(len(out)).all():
        return out
    # a long table: per item the district first, then the groups by their projection, largest first
    key = pd.DataFrame({"i": proj["_i"].to_numpy(), "d": (proj["enterprise_id"] != DISTRICT).to_numpy(),
                        "m": -proj["median"].astype(float).to_numpy()})
    at = key.sort_values(["i", "d", "m"], kind="stable", na_position="last").index
    out = take_rows(out, at)
    district = ~key["d"].to_numpy()[at]  # a block of its own: the groups' first and last come after it
    out = bounded(out, keep=district, blocks=[f"{i}{'·全区' if d else ''}" for i, d in zip(out["项目"], district)],
                  per="项目", unit="行",
                  top=bulletin_top(), what="全区合计", order="按全年预计从高到低排列的", elsewhere=B.WORKBOOK)
    return with_notes(out, "目标存在缺口的集团逐家列在“存在问题”中。")


def outlook_paragraph(ctx: Context):
    """全区全年预计对目标的一句话：每个项目的全年预计、80%区间、年度目标和完成目标的判断。"""
    proj = _outlook(ctx)
    if not len(proj):
        return markdown("本期没有全年预测结果，未对年度目标作出判断。")
    rows = proj.loc[proj["enterprise_id"] == DISTRICT].set_index("item")
    parts, printed = [], []
    for item, label in _OUTLOOK_ITEMS.items():
        if item not in rows.index or _isnan(rows.at[item, "median"]):
            continue
        r = rows.loc[item]
        text = f"{label}全年预计{_yi(r['median'])}亿元"
        printed.append(_fig(ctx, item=item, text=_yi(r["median"]), unit="亿元", basis="全年预计（中位数）"))
        if not (_isnan(r["lo80"]) or _isnan(r["hi80"])):
            text += f"（80%区间{_yi(r['lo80'])}～{_yi(r['hi80'])}亿元）"
            printed += [_fig(ctx, item=item, text=_yi(r["lo80"]), unit="亿元", basis="全年预计80%区间下限"),
                        _fig(ctx, item=item, text=_yi(r["hi80"]), unit="亿元", basis="全年预计80%区间上限")]
        status = target_status(float(r["prob_target"])) if not _isnan(r["prob_target"]) else ""
        if not _isnan(r["target"]) and status:
            text += f"，年度目标{_yi(r['target'])}亿元，{status}（完成可能性{r['prob_target'] * 100:.0f}%）"
            printed.append(_fig(ctx, item=item, text=_yi(r["target"]), unit="亿元", basis="年度目标"))
        parts.append(text)
    if not parts:
        return markdown("本期没有全区的全年预测结果，未对年度目标作出判断。")
    return markdown_with_figures("从全区看，" + "；".join(parts) + "。", printed)


# ------------------------------------------------------------------------------------------------
# 主要特点、存在问题、下步工作 — from the quarter's data
# ------------------------------------------------------------------------------------------------
def _features(ctx: Context, year: int, q: int) -> list[str]:
    qname, prev = QUARTER_ZH[q], QUARTER_ZH.get(q - 1, "")
    names = group_short_names(ctx)
    step = float(settings().get("change_points", 2))
    out = []
    if _comparable(ctx, DISTRICT):
        for ind in ("revenue", "total_profit"):
            g = Q.change(_q(ctx, DISTRICT, ind, year, q), _q(ctx, DISTRICT, ind, year - 1, q))
            if _isnan(g):
                continue
            text = f"{qname}单季{_name(ind)}同比{change_word(g)}{_abs2(g)}%"
            if q > 1:
                g0 = Q.change(_q(ctx, DISTRICT, ind, year, q - 1), _q(ctx, DISTRICT, ind, year - 1, q - 1))
                if not _isnan(g0):
                    d = g - g0
                    if abs(d) >= step:
                        text += f"，增速较{prev}{'加快' if d > 0 else '回落'}{abs(d):.2f}个百分点"
                    else:
                        text += f"，与{prev}增速（{g0:+.2f}%）大体相当，走势平稳"
            out.append(text + "。")
    growing = []
    for g, name in names.items():
        c = Q.change(_q(ctx, g, "revenue", year, q), _q(ctx, g, "revenue", year - 1, q))
        if not _isnan(c) and c > 0:
            growing.append((name, c))
    if growing:
        top = max(growing, key=lambda t: t[1])
        out.append(f"{len(growing)}家集团{qname}单季营业总收入高于上年同季，其中{top[0]}增幅最大（{top[1]:+.2f}%）。")
    roster = ctx.roster.assign(enterprise_id=ctx.roster["enterprise_id"].astype(str).str.strip())
    classes = roster.set_index("enterprise_id")["function_class"].reindex(list(ctx.tree.groups)).fillna("未分类")
    s = Q.class_structure(_group_values(ctx, "revenue", year, q), classes,
                          before=_group_values(ctx, "revenue", year - 1, q))
    s = s.dropna(subset=["share"])
    if len(s):
        lead = s.sort_values("share", ascending=False).iloc[0]
        text = f"从功能分类看，{lead['class']}集团贡献了{qname}各集团营业总收入的{lead['share']:.2f}%"
        if not _isnan(lead["change"]):
            text += f"，单季同比{change_word(lead['change'])}{_abs2(lead['change'])}%"
        out.append(text + "。")
    ratio, before = _q(ctx, DISTRICT, "debt_to_asset_ratio", year, q), _q(ctx, DISTRICT, "debt_to_asset_ratio", year - 1, q)
    if _comparable(ctx, DISTRICT) and not (_isnan(ratio) or _isnan(before)):
        d = ratio - before
        out.append(f"杠杆水平总体稳定，{qname}末全区资产负债率比上年同季末{change_word(d, up='上升', down='下降')}"
                   f"{abs(d):.2f}个百分点。")
    return out


def _profit_bridge_clause(ctx: Context, entity: str) -> str:
    """主要受…影响: which line items moved the entity's year-to-date profit on last year (:func:`~guozi_analysis.analyses.
    quarterly.profit_bridge` over the stored line items and their 上年同期), as one clause; empty when the items
    cannot explain it."""
    items = B._read(ctx, "line_items")
    if not len(items):
        return ""
    try:
        bridge = Q.profit_bridge(items, entity_id=entity)
    except KeyError:
        return ""
    top = drivers(bridge, value="contribution")
    labels = labels_zh("financials")
    pairs = [(labels.get(i, i), float(top.at[i, "change"]) / WAN_PER_YI) for i in top.index]
    total = float(bridge.attrs["total"])
    if not pairs or _isnan(total):
        return ""
    return drivers_clause(pairs, lead="主要受") + "影响"


def _chance(p: float) -> str:
    """P(target) as printed in a sentence: 33%, 不足1%."""
    return "不足1%" if p < 0.005 else f"{p * 100:.0f}%"


def _problems(ctx: Context, year: int, q: int) -> tuple[list[str], list[str]]:
    """存在问题 and the matching 下步 actions drawn from the data."""
    qname = QUARTER_ZH[q]
    ytd_label, _ = B._span(ctx, quarter=True)
    names = group_short_names(ctx)
    problems, actions = [], []
    # 1. the groups whose profit fell notably — in the quarter or year to date — with the line items behind it
    contrib = _contributions(ctx, "total_profit", year, q)
    hist = B._history(ctx)
    named = []
    for g, r in contrib.sort_values("change").iterrows():
        ytd_now = B._value(hist, g, "total_profit", ctx.period[:7])
        ytd_ly = B._value(hist, g, "total_profit", B._month(ctx.period, 12))
        quarter_down = r["change"] < 0 and is_notable(r["now"], r["before"])
        ytd_down = ytd_now < ytd_ly and is_notable(ytd_now, ytd_ly)
        if not (quarter_down or ytd_down):
            continue
        named.append(g)
        if len(named) > bulletin_top() and len(contrib) > int(list_settings().get("names", 12)):
            continue  # many groups: the worst few are written out, the others counted
        clause = _profit_bridge_clause(ctx, g) if ytd_down else ""
        if quarter_down:
            text = (f"{names[g]}{qname}单季利润总额{_yi(r['now'])}亿元，比上年同季减少{_yi(-r['change'])}亿元"
                    f"（{Q.change(r['now'], r['before']):+.2f}%）")
            if ytd_down:
                text += f"；{ytd_label}累计比上年同期减少{_yi(ytd_ly - ytd_now)}亿元" + (f"，{clause}" if clause else "")
            elif not _isnan(ytd_now - ytd_ly) and ytd_now >= ytd_ly:
                text += (f"，{ytd_label}累计仍比上年同期增加{_yi(ytd_now - ytd_ly)}亿元，"
                         f"{qname}的下滑尚未改变全年走势，需防止延续")
        else:
            text = (f"{names[g]}{ytd_label}累计利润总额{_yi(ytd_now)}亿元，比上年同期减少{_yi(ytd_ly - ytd_now)}亿元"
                    f"（{Q.change(ytd_now, ytd_ly):+.2f}%）" + (f"，{clause}" if clause else ""))
        problems.append(text + "。")
    if len(named) > len(problems):
        problems.append(f"另有{len(named) - len(problems)}家集团利润总额同比下降，逐家数据见{B.WORKBOOK}。")
    if named:
        who = in_sentence([names[g] for g in named])
        actions.append(f"指导{who}针对利润下滑逐项查找收入端和成本费用端原因，{QUARTER_ZH[q % 4 + 1]}拿出止滑回升的具体举措。")
    # 2. the groups whose annual targets look out of reach (stored P(target))
    proj = _outlook(ctx)
    if len(proj):
        gap = proj.loc[proj["enterprise_id"].isin(list(names)) & proj["prob_target"].notna()]
        gap = gap.loc[[target_status(float(p)) == "存在缺口" for p in gap["prob_target"]]]
        for item, label in _OUTLOOK_ITEMS.items():
            part = gap.loc[gap["item"] == item]
            if len(part):
                listed = "、".join(f"{names[e]}（完成可能性{_chance(p)}）" for e, p in
                                  zip(part["enterprise_id"], part["prob_target"].astype(float)))
                problems.append(f"按目前走势，{label}年度目标存在缺口的集团有{len(part)}家：{listed}。")
    # 3. the maturity wall and cash cover the risk engine flags, enterprise named
    flags = B._read(ctx, "risk_flags")
    if len(flags):
        fired = flags.loc[flags["triggered"].astype(bool)]
        walled = [g for g in names if ((fired["rule_id"] == "maturity_wall") & (fired["entity_id"] == g)).any()]
        tables = {"roster": ctx.roster, "debts": B._read(ctx, "table_debts")}
        walls = Q.maturity_walls(tables, period=ctx.period, entities=walled).sort_values("share", ascending=False)
        walls = walls.head(int(settings().get("risk_walls", 2)))
        ind = ctx.indicators
        for g, w in walls.iterrows():
            cash = ind.loc[(ind["entity_id"] == g) & (ind["indicator_id"] == "cash_to_short_term_debt"), "value"]
            text = (f"{names[g]}债务集中到期风险突出：{w['month'][:4]}年{int(w['month'][5:])}月到期{_yi(w['amount'])}亿元，"
                    f"占其未来12个月到期融资的{w['share']:.2f}%")
            if len(cash) and not _isnan(float(cash.iloc[0])):
                text += f"，现金短债比仅{float(cash.iloc[0]):.2f}倍"
            problems.append(text + "。")
        if len(walls):
            actions.append(f"对{'、'.join(names[g] for g in walls.index)}的集中到期债务逐笔建立兑付台账，"
                           "提前一个季度落实续接资金，必要时由区级统筹调度。")
        cover = fired.loc[(fired["rule_id"] == "maturity_coverage_6m") & (fired["entity_id"] == DISTRICT), "value"]
        short = ctx.indicators.loc[(ctx.indicators["entity_id"] == DISTRICT)
                                   & (ctx.indicators["indicator_id"] == "cash_to_short_term_debt"), "value"]
        if len(cover) and _comparable(ctx, DISTRICT):
            text = f"全区流动性偏紧，可用资金对6个月内到期债务的覆盖倍数为{float(cover.iloc[0]):.2f}倍"
            if len(short) and not _isnan(float(short.iloc[0])):
                text += f"，现金短债比{float(short.iloc[0]):.2f}倍"
            problems.append(text + "。")
    return problems, actions


def export_workbook(ctx: Context, *, output_dir: str = ""):
    """The 季度分析's workbook: the bulletins' tables (:func:`.bulletins.export_workbook`) and this publication's
    own tables of the groups, every group of each (the printed ones may be cut short)."""
    extra = {"分集团单季": group_table(ctx, whole=True), "增减来源": drivers_table(ctx, whole=True),
             **{f"分季度{_name(i)}": group_trend_table(ctx, indicator=i, whole=True)
                for i in ("revenue", "total_profit", "interest_bearing_debt", "debt_to_asset_ratio")},
             "利润增减科目分解": bridge_table(ctx, whole=True), "债务集中到期": maturity_table(ctx, whole=True),
             "全年预计与目标": outlook_table(ctx, whole=True)}
    return B.export_workbook(ctx, output_dir=output_dir, kind="quarterly", extra=extra)


def points(ctx: Context):
    """一、主要特点；二、存在问题；三、下步工作（四季度重点）— each written from this quarter's data: the
    single quarter's movements, the drivers of the declines (attribution), the targets out of reach, the maturity
    walls the risk engine flags; the next quarter's measures are the district's wording in
    ``params/bulletins.yaml`` → ``quarterly.measures``."""
    year, q = span(ctx)
    features = _features(ctx, year, q)
    problems, actions = _problems(ctx, year, q)
    nxt = q % 4 + 1
    measures = list(settings().get("measures", {}).get(f"Q{nxt}", []))
    none = f"{QUARTER_ZH[q]}数据未反映出需要单独提示的问题。"
    steps = measures + actions
    lines = ["### 主要特点", "", *(f"{k}. {t}" for k, t in enumerate(features or [none], 1)), "",
             "### 存在问题", "", *(f"{k}. {t}" for k, t in enumerate(problems or [none], 1)), "",
             f"### 下步工作（{QUARTER_ZH[nxt]}重点）", "",
             *(f"{k}. {t}" for k, t in enumerate(steps or [f"{QUARTER_ZH[nxt]}继续按季分析各项指标。"], 1))]
    return markdown("\n".join(lines))
