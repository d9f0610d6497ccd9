"""The short publications: 月度通报 and 季度经济运行分析 (the 半月晾晒通报 is :mod:`.half_month`).

Each function reads the shared step's stored results (indicators, their monthly history, risk
changes, rankings, projections) and returns a table with Chinese headers or a Markdown paragraph.
Nothing here computes an indicator: "本月" and "本季" of a year-to-date flow are the difference of two
stored year-to-date values, and 同比 compares the stored value with the same month a year earlier.
What each publication shows is set in ``params/bulletins.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses.attribution import DEBT_BRIDGE, PROFIT_BRIDGE
from guozi_analysis.analyses.attribution import change as pct_change  # 同比 on the absolute base: one definition
from guozi_analysis.analyses.coverage import missing_groups
from guozi_analysis.analyses.operations import (
    Attribution,
    headline_attribution,
    indicator_frame,
    loss_makers,
    unmatched_debt_move,
)
from guozi_analysis.analyses.ranking import load_settings as ranking_settings
from guozi_analysis.analyses.ranking import progress_light
from guozi_analysis.analyses.risk.engine import UNCOMPARABLE
from guozi_analysis.base.figures import figure
from guozi_analysis.base.params import load_yaml
from guozi_analysis.base.periods import as_of_date, elapsed_share, parse_period
from guozi_analysis.base.store import read_shared
from guozi_analysis.indicators.catalogue import catalogue_frame
from guozi_analysis.indicators.panel import item_name
from guozi_analysis.publishing.coverage import complete, coverage, coverage_sentence, table_note, total_label
from guozi_analysis.publishing.display import NOTES, with_notes
from guozi_analysis.publishing.lists import bulletin_top, in_sentence, list_settings, ranked, shown_rows
from guozi_analysis.publishing.narrative import _task_progress, _task_rows
from guozi_analysis.publishing.published import (
    LIGHT,
    PACE_GAP,
    figure_period,
    frame_figures,
    keyed,
    markdown_with_figures,
    write_sidecar,
)
from guozi_analysis.publishing.text import (
    PLAN_TARGET_NOTE,
    WAN_PER_YI,
    _isnan,
    bulletin_title,
    change_word,
    drivers_clause,
    file_link,
    light_rule_note,
    markdown,
    pace_note,
    pace_word,
    supported_text,
)
from guozi_analysis.publishing.views.context import Context, group_short_names, short_names
from guozi_analysis.publishing.views.risk import list_changes_table
from guozi_analysis.publishing.workbooks import write_contract_sheet

__all__ = [
    "settings", "title", "main_table", "group_table", "pace_table", "risk_change_table", "lead_paragraph",
    "points", "export_workbook",
    "five_rates_table", "month_on_month_table", "loss_table", "causes_paragraph", "key_tasks_table",
]

DISTRICT = "DISTRICT"
#: Where a bulletin's rows left out of a long table are: the workbook published with it (every group).
WORKBOOK = "本期通报所附 Excel 工作簿"


def settings() -> dict:
    """The publications' settings (``params/bulletins.yaml``)."""
    return load_yaml("bulletins.yaml")


def _meta() -> pd.DataFrame:
    return catalogue_frame().set_index("id")


def _is_flow(meta_row) -> bool:
    return meta_row["basis"] == "year_to_date"


def _shown(value: float, unit: str) -> float:
    return value / WAN_PER_YI if unit == "万元" and not _isnan(value) else value


def _shown_unit(unit: str) -> str:
    return "亿元" if unit == "万元" else unit


def _history(ctx: Context) -> pd.Series:
    """The stored monthly indicators of the district and its groups, keyed by (entity, indicator, month):
    looked up many times per table, so indexed once instead of scanning the whole history per value."""
    hist = ctx.history
    hist = hist.loc[hist["entity_id"].isin([DISTRICT, *ctx.tree.groups])]
    keys = pd.MultiIndex.from_arrays([hist["entity_id"].astype(str), hist["indicator_id"].astype(str),
                                      hist["period"].astype(str).str[:7]])
    return pd.Series(hist["value"].astype(float).to_numpy(), index=keys).groupby(level=[0, 1, 2]).first()


def _value(history: pd.Series, entity: str, indicator: str, period: str) -> float:
    return float(history.get((entity, indicator, period), float("nan")))


def _month(period: str, back: int) -> str:
    return str(pd.Period(period[:7], freq="M") - back)


def _span(ctx: Context, *, quarter: bool = False) -> tuple[str, str]:
    """("1—10月", "10月") or ("1—9月", "三季度") for the context's period."""
    month = parse_period(ctx.period).month
    ytd = f"1—{month}月" if month > 1 else "1月"
    if quarter:
        return ytd, f"{'一二三四'[(month - 1) // 3]}季度"
    return ytd, f"{month}月"


def title(ctx: Context, *, kind: str) -> str:
    """The publication's title line, e.g. 澜海区属国有企业2022年1—10月经济运行情况通报."""
    return bulletin_title(kind, ctx.period, district=load_yaml("district.yaml")["district"]["name"])


#: Name of the 同比 column of the headline table; a percentage change, or 百分点 for a ratio.
CHANGE = "同比"
PERCENT_POINTS = "百分点"


def _headline(ctx: Context, *, quarter: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """The headline table with 同比 as a number, and each row's 同比 unit (``%`` or 百分点)."""
    meta = _meta()
    hist = _history(ctx)
    full = complete(ctx)  # a partial total is compared with nothing: 本月/本季 and 同比 need the missing data
    step = 3 if quarter else 1
    ytd_label, now_label = _span(ctx, quarter=quarter)
    rows, change_units, ids = [], [], []
    for ind in settings()["headline"]:
        m = meta.loc[ind]
        ids.append(ind)
        unit = str(m["unit"])
        now = _value(hist, DISTRICT, ind, ctx.period[:7])
        last_year = _value(hist, DISTRICT, ind, _month(ctx.period, 12))
        if _is_flow(m):
            month = parse_period(ctx.period).month
            before = _value(hist, DISTRICT, ind, _month(ctx.period, step)) if month > step else 0.0
            if not quarter and month == 2:
                before = 0.0  # the February 快报 is January–February together
            current = now - before if not _isnan(before) else float("nan")
        else:
            current = float("nan")
        if not full:
            current = last_year = float("nan")
        if unit == "%":
            change, change_unit = now - last_year if not (_isnan(now) or _isnan(last_year)) else float("nan"), \
                PERCENT_POINTS
        else:
            change, change_unit = pct_change(now, last_year), "%"
        rows.append({
            "指标": str(m["name_zh"]),
            "单位": _shown_unit(unit),
            now_label: _shown(current, unit),
            f"{ytd_label}累计或期末": _shown(now, unit),
            "上年同期": _shown(last_year, unit),
            CHANGE: change,
        })
        change_units.append(change_unit)
    frame = pd.DataFrame(rows).round(2)
    frame = keyed(frame, period=ctx.period, entities=[DISTRICT] * len(frame), items=ids,
                  units=list(frame["单位"]) if len(frame) else [], columns={
                      now_label: (None, "本季" if quarter else "本月", None), f"{ytd_label}累计或期末": (None, "", None),
                      "上年同期": (None, "", None, None, _month(ctx.period, 12)),
                      CHANGE: (None, CHANGE, change_units)})
    return frame, change_units


def main_table(ctx: Context, *, quarter: bool = False) -> pd.DataFrame:
    """主要指标表: each headline indicator this month (or quarter), year to date, a year earlier, 同比.

    Flows (year-to-date indicators): 本月 = this month's YTD − last month's YTD (February's 快报
    covers January–February, so February shows 1—2月); 本季 likewise between quarter ends. Stocks and
    ratios show the period-end value; a ratio's 同比 is in 百分点. 同比 is printed text here (``+5.92%``,
    ``-1.20个百分点``); the workbook keeps it a number (:func:`export_workbook`).
    """
    table, change_units = _headline(ctx, quarter=quarter)
    table[CHANGE] = [_change_text(c, u) for c, u in zip(table[CHANGE], change_units)]
    return table


def group_table(ctx: Context, *, whole: bool = False) -> pd.DataFrame:
    """分集团主要指标: each group (short name) and the district on the ``by_group`` indicators with 同比.

    Many groups (more than ``lists.rows``): the district, the groups that did not report and the first and
    last ``lists.bulletin_top`` by the first column (营业总收入) are printed; ``whole=True`` (the workbook)
    keeps every group."""
    meta = _meta()
    names = group_short_names(ctx) | {DISTRICT: total_label(ctx)}
    full = complete(ctx)
    hist = _history(ctx)
    rows, columns = [], {}
    for entity, name in names.items():
        row: dict = {"企业": name}
        for ind in settings()["by_group"]:
            unit = str(meta.loc[ind, "unit"])
            now = _value(hist, entity, ind, ctx.period[:7])
            # a partial district total has no 同比: last year's total covers everybody
            before = _value(hist, entity, ind, _month(ctx.period, 12)) if full or entity != DISTRICT else float("nan")
            label = f"{meta.loc[ind, 'name_zh']}（{_shown_unit(unit)}）"
            row[label] = _shown(now, unit)
            columns[label] = (ind, "", _shown_unit(unit))
            if unit == "%":
                row[f"{meta.loc[ind, 'name_zh']}同比（百分点）"] = now - before
                columns[f"{meta.loc[ind, 'name_zh']}同比（百分点）"] = (ind, "同比", "百分点")
            elif meta.loc[ind, "basis"] in ("year_to_date", "point_in_time"):
                row[f"{meta.loc[ind, 'name_zh']}同比（%）"] = pct_change(now, before)
                columns[f"{meta.loc[ind, 'name_zh']}同比（%）"] = (ind, "同比", "%")
        rows.append(row)
    out = keyed(pd.DataFrame(rows).round(2), period=ctx.period, entities=list(names), columns=columns)
    if whole or shown_rows(len(out)).all():
        return out
    absent = set(missing_groups(coverage(ctx)))
    return ranked(out, by=out.columns[1], total=[e == DISTRICT for e in names], keep=[e in absent for e in names],
                  what="未报送的集团", elsewhere=WORKBOOK)


def pace_table(ctx: Context, *, whole: bool = False) -> pd.DataFrame:
    """投资完成情况与序时进度: each group's completion rate, the elapsed share, the gap and its light.

    The light is the one rule of every publication (``params/ranking.yaml`` → ``progress``,
    :func:`guozi_analysis.analyses.ranking.progress_light`); the table's notes say how 序时进度 is
    counted and the light rule. Many groups (more than ``lists.rows``): the district, every red light and
    every group that did not report, and the first and last ``lists.bulletin_top`` by the gap (furthest
    behind first) are printed; ``whole=True`` (the workbook, the 存在问题 that name every red light) keeps all."""
    ind = ctx.indicators
    names = group_short_names(ctx) | {DISTRICT: total_label(ctx)}
    cov = coverage(ctx)
    absent = set(missing_groups(cov)) | set(missing_groups(cov, "projects"))  # no rows: nothing to show, not 0
    as_of = as_of_date(ctx.period)
    share = elapsed_share(as_of) * 100
    progress = ranking_settings()["progress"]
    rows = []
    for entity, name in names.items():
        def get(indicator: str) -> float:
            if entity in absent:
                return float("nan")
            v = ind.loc[(ind["entity_id"] == entity) & (ind["indicator_id"] == indicator), "value"]
            return float(v.iloc[0]) if len(v) else float("nan")

        rate, gap = get("investment_completion_rate"), get("investment_pace_gap")  # the stored gap, not recomputed
        rows.append({"企业": name, "年度计划投资（亿元）": _shown(get("project_annual_plan"), "万元"),
                     "本年完成投资（亿元）": _shown(get("project_completed_ytd"), "万元"),
                     "完成率（%）": rate, "序时进度（%）": share, "快于或慢于序时（百分点）": gap})
    out = pd.DataFrame(rows)
    lights = progress_light(out["快于或慢于序时（百分点）"], settings={"progress": progress})
    out["灯号"] = lights.replace("", "—").astype(object)
    out.loc[[e in absent for e in names], "灯号"] = "未报送"  # a group that did not report gets no light
    out = keyed(out.round(2), period=ctx.period, entities=list(names), columns={
        "年度计划投资（亿元）": ("project_annual_plan", "", "亿元"), "本年完成投资（亿元）": ("project_completed_ytd", "", "亿元"),
        "完成率（%）": ("investment_completion_rate", "", "%"), "序时进度（%）": ("elapsed_share", "", "%", DISTRICT),
        "快于或慢于序时（百分点）": ("investment_completion_rate", PACE_GAP, "百分点"),
        "灯号": ("investment_completion_rate", LIGHT, "")})
    out = with_notes(out, pace_note(as_of), light_rule_note(progress), PLAN_TARGET_NOTE)
    if whole or shown_rows(len(out)).all():
        return out
    flagged = out["灯号"].isin([progress["lights"]["red"], "未报送"]).to_numpy()
    return ranked(out, by="快于或慢于序时（百分点）", total=[e == DISTRICT for e in names], keep=flagged, ascending=True,
                  label="快于序时进度的百分点", what="亮红灯和未报送的集团", elsewhere=WORKBOOK)


def _read(ctx: Context, name: str) -> pd.DataFrame:
    return read_shared(ctx.processed_dir, name, optional=True)  # a district without ledgers or forecasts: empty, said in the text


def risk_change_table(ctx: Context, *, whole: bool = False) -> pd.DataFrame:
    """重点监管名单变化: how many enterprises entered, stayed on and left the list since the last period, and
    which (short names) with why: the rules that put a 新列入 or 继续监管 enterprise on the list this period,
    the rules that had listed a 移出 one (:func:`~guozi_analysis.publishing.views.risk.list_changes_table`).

    Every 新列入, 移出 and 未报送 enterprise is named whatever their number; the 继续监管 ones are named while
    the list is short (``lists.rows``), else counted, every one of them in the workbook (``whole=True``)."""
    changes = _read(ctx, "risk_changes")
    order = ["新列入", "继续监管", "移出"]
    counts = changes["change"].value_counts() if len(changes) else pd.Series(dtype=int)
    if counts.get(UNCOMPARABLE, 0) or not complete(ctx):  # said, not counted as 移出 or 新列入
        order.append(UNCOMPARABLE)
    named = list_changes_table(ctx, whole=True) if len(changes) else pd.DataFrame(
        columns=["企业名称", "变动", "本期触发规则", "上期触发规则"])
    staying = int((named["变动"] == "继续监管").sum())
    counted = not whole and not shown_rows(staying).all()  # a long 继续监管 list: counted, named in the workbook
    roster = ctx.roster
    short = dict(zip(roster["name"].astype(str), roster["short_name" if "short_name" in roster else "name"].astype(str)))
    rows = []
    for c in order:
        part = named.loc[named["变动"] == c]
        if c == "继续监管" and counted:
            rows.append({"变化": c, "企业数（家）": int(counts.get(c, 0)), "企业及原因": f"逐家名单及原因见{WORKBOOK}"})
            continue
        # 移出 says why it had been listed; 未报送 has no rule this period, so it says last period's
        before = c in ("移出", UNCOMPARABLE)
        why = part["上期触发规则"] if before else part["本期触发规则"]
        label = {"移出": "原列入原因：", UNCOMPARABLE: "上期列入原因："}.get(c, "原因：")
        who = "；".join(short.get(n, n) + (f"（{label}{r}）" if r.strip() not in ("", "—", "nan") else "")
                       for n, r in zip(part["企业名称"].astype(str), why.astype(str)))
        rows.append({"变化": c, "企业数（家）": int(counts.get(c, 0)), "企业及原因": who or "—"})
    return pd.DataFrame(rows)


def _district(ctx: Context, indicator: str) -> float:
    ind = ctx.indicators
    v = ind.loc[(ind["entity_id"] == DISTRICT) & (ind["indicator_id"] == indicator), "value"]
    return float(v.iloc[0]) if len(v) else float("nan")


def _amount(value: float) -> str:
    return "—" if _isnan(value) else f"{value / WAN_PER_YI:,.2f}"


def _pct(value: float) -> str:
    return "—" if _isnan(value) else f"{abs(value):,.2f}"


def lead_paragraph(ctx: Context, *, quarter: bool = False):
    """The opening paragraph in the municipal format: 据企业财务快报反映，1—10月区属国企实现营业总收入…同比…

    A period with missing reporters opens with who is missing (:func:`~guozi_analysis.publishing.coverage.coverage_sentence`);
    its totals are said to cover the reporters only and their comparisons (同比, the previous year's ratio) are
    left out. A figure that is missing leaves its clause out; nothing prints "—" in a sentence.
    """
    hist = _history(ctx)
    ytd, _ = _span(ctx, quarter=quarter)
    month = parse_period(ctx.period).month
    district = load_yaml("district.yaml")["district"]["name"]
    full = complete(ctx)
    who = "属国有企业" if full else "属已报送数据的国有企业"

    def growth(ind: str) -> float:
        if not full:
            return float("nan")
        return pct_change(_value(hist, DISTRICT, ind, ctx.period[:7]), _value(hist, DISTRICT, ind, _month(ctx.period, 12)))

    def fig(item: str, text: str, unit: str, signed: float = float("nan"), basis: str = "",
            entity: str = DISTRICT) -> dict | None:
        value = None if _isnan(signed) else (abs(float(text.replace(",", ""))) * (1 if signed >= 0 else -1)
                                             if text != "—" else None)
        return figure(entity=entity, item=item, period=figure_period(ctx.period), text=text, unit=unit,
                      basis=basis, where="开篇", value=value)

    flows, printed_flows = [], []  # the clauses printed and their figures (published-figure register)
    for ind, label in (("revenue", "营业总收入"), ("total_profit", "利润总额"), ("taxes_paid", "已交税费")):
        value, g = _district(ctx, ind), growth(ind)
        if _isnan(value):
            continue
        flows.append(f"{label}{_amount(value)}亿元" + ("" if _isnan(g) else f"，同比{change_word(g)}{_pct(g)}%"))
        printed_flows.append(fig(ind, _amount(value), "亿元"))
        if not _isnan(g):
            printed_flows.append(fig(ind, _pct(g), "%", g, "同比"))
    paragraph = [coverage_sentence(ctx)]
    if flows:
        paragraph.append(f"据企业财务快报反映，{ytd}{district}{who}实现" + "；".join(flows) + "。")
    stocks = []
    assets, debt = _district(ctx, "total_assets"), _district(ctx, "debt_to_asset_ratio")
    if not _isnan(assets):
        stocks.append(f"资产总额{_amount(assets)}亿元")
    if not _isnan(debt):
        debt_ly = _value(hist, DISTRICT, "debt_to_asset_ratio", _month(ctx.period, 12)) if full else float("nan")
        stocks.append(f"资产负债率{_pct(debt)}%" + ("" if _isnan(debt_ly) else
                      f"，比上年同期{change_word(debt - debt_ly, up='上升', down='下降')}{_pct(debt - debt_ly)}个百分点"))
    if stocks:
        paragraph.append(f"截至{month}月末，" + "，".join(stocks) + "。")
    invested = _district(ctx, "project_completed_ytd")
    rate, gap = _district(ctx, "investment_completion_rate"), _district(ctx, "investment_pace_gap")
    share = elapsed_share(as_of_date(ctx.period)) * 100

    printed = printed_flows
    if not _isnan(assets):
        printed.append(fig("total_assets", _amount(assets), "亿元"))
    if not _isnan(debt):
        printed.append(fig("debt_to_asset_ratio", _pct(debt), "%"))
        if not _isnan(debt_ly):
            printed.append(fig("debt_to_asset_ratio", _pct(debt - debt_ly), "百分点", debt - debt_ly, "同比"))
    if not _isnan(invested):
        text = f"{'' if full else '已报送企业'}本年完成投资{_amount(invested)}亿元"
        printed.append(fig("project_completed_ytd", _amount(invested), "亿元"))
        if not _isnan(rate):
            text += f"，占{'' if full else '其'}年度计划的{_pct(rate)}%"
            printed.append(fig("investment_completion_rate", _pct(rate), "%"))
        if not _isnan(gap):
            text += f"，{pace_word(gap)}序时进度{_pct(gap)}个百分点（{pace_note(as_of_date(ctx.period)).rstrip('。')}）"
            printed += [fig("elapsed_share", f"{share:.2f}", "%"),
                        fig("investment_completion_rate", _pct(gap), "百分点", gap, PACE_GAP)]
        paragraph.append(text + "。")
    if len(paragraph) == 1 and not paragraph[0]:
        paragraph.append("本期没有可汇总的财务快报数据。")
    return markdown_with_figures(supported_text("".join(paragraph)), printed)


def points(ctx: Context, *, quarter: bool = False):
    """主要特点、存在问题、下步工作, each point drawn from the stored results (no stock phrases without data)."""
    hist = _history(ctx)
    cfg = settings()["problems"]
    names = group_short_names(ctx)
    period, last_year = ctx.period[:7], _month(ctx.period, 12)
    features, problems, actions = [], [], []

    def g(entity: str, ind: str) -> float:
        return pct_change(_value(hist, entity, ind, period), _value(hist, entity, ind, last_year))

    def fastest(ind: str, sign: int) -> list[str]:  # the groups whose 同比 has this sign, the largest move first
        moved = [(e, g(e, ind)) for e in names]
        moved = [(e, v) for e, v in moved if not _isnan(v) and v * sign > 0]
        return [e for e, _ in sorted(moved, key=lambda t: -abs(t[1]))] if len(names) > _named_most() else \
            [e for e, _ in moved]

    up = [names[e] for e in fastest("revenue", 1)]
    if up:
        features.append(f"营业总收入同比增长的集团有{len(up)}家（{in_sentence(up)}）。")
    profit_up = [names[e] for e in fastest("total_profit", 1)]
    if profit_up:
        features.append(f"利润总额同比增长的集团有{len(profit_up)}家（{in_sentence(profit_up)}）。")
    full = complete(ctx)
    cost = _district(ctx, "financing_cost_change_bp") if full else float("nan")  # a partial district has no 同比
    if not _isnan(cost):
        features.append(f"综合融资成本{_pct(_district(ctx, 'composite_financing_cost'))}%，同比"
                        f"{change_word(cost, up='上升', down='下降')}{abs(cost):.0f}个基点。")
    falling = fastest("total_profit", -1)
    down = [names[e] for e in falling]
    if down and not quarter:  # the monthly says why (issue 26): each group's fall split into its line items
        written = falling if len(names) <= _named_most() else falling[:bulletin_top()]  # many: the largest falls
        problems += [_fall_causes(ctx, e, "total_profit") for e in written]
        if len(falling) > len(written):
            problems.append(f"另有{len(falling) - len(written)}家集团利润总额同比下降，逐家数据见{WORKBOOK}。")
    elif down:
        problems.append(f"{in_sentence(down)}利润总额同比下降。")
    if down:
        actions.append(f"督促{in_sentence(down)}分析利润下降原因，落实增收节支措施。")
    pace = pace_table(ctx, whole=True)  # every red and yellow light is named
    progress = ranking_settings()["progress"]
    groups = pace.loc[pace["企业"] != total_label(ctx)]
    behind_all = []
    for colour, words in (("red", f"慢于序时进度超过{abs(float(progress['yellow_min_gap'])):g}个百分点"),
                          ("yellow", "慢于序时进度")):  # by the one light rule: red, then yellow
        light = progress["lights"][colour]
        behind = groups.loc[(groups["灯号"] == light) & (groups["快于或慢于序时（百分点）"] < 0)]
        if colour != "red" and len(groups) > _named_most():  # many groups: the furthest behind first, cut (red: all)
            behind = behind.sort_values("快于或慢于序时（百分点）", kind="stable")
        if len(behind):
            said = [f"{r['企业']}（慢{abs(r['快于或慢于序时（百分点）']):.2f}个百分点）" for _, r in behind.iterrows()]
            listed = "、".join(said) if colour == "red" else in_sentence(said)
            problems.append(f"投资完成率{words}（{light}）的集团：{listed}。")
            behind_all += list(behind["企业"])
    if behind_all:
        actions.append(f"对{in_sentence(behind_all)}的在建项目逐项排查，倒排工期，确保完成年度投资计划。")
    rising = []
    for e, name in names.items():
        now, before = _value(hist, e, "debt_to_asset_ratio", period), _value(hist, e, "debt_to_asset_ratio", last_year)
        if not (_isnan(now) or _isnan(before)) and now - before > float(cfg["debt_ratio_points"]):
            rising.append(f"{name}（上升{now - before:.2f}个百分点）")
    if rising:
        problems.append(f"资产负债率同比上升较多：{in_sentence(rising)}。")
        actions.append("对资产负债率上升较快的集团开展债务风险专项分析，控制新增有息负债。")
    changes = _read(ctx, "risk_changes")
    n_list = int(changes["change"].isin(["新列入", "继续监管"]).sum()) if len(changes) else 0
    if n_list:
        problems.append(f"列入重点监管的企业{n_list}家（名单变化见风险变化表）。")
        actions.append("对重点监管企业逐户跟踪整改，按月报告风险变化。")
    # nothing found in a partial period is not "nothing to report": the missing data are not read
    none = "本期数据未显示需要特别说明的情况。" if full else \
        "本期数据不完整（见第一部分），未报送企业的情况未作判断；已报送企业的数据未显示需要特别说明的情况。"
    lines = ["### 主要特点", "", *(f"{k}. {t}" for k, t in enumerate(features or [none], 1)), "",
             "### 存在问题", "", *(f"{k}. {t}" for k, t in enumerate(problems or [none], 1)), "",
             "### 下步工作", "", *(f"{k}. {t}" for k, t in enumerate(actions or ["继续按月跟踪各项指标。"], 1))]
    return markdown("\n".join(lines))


# ------------------------------------------------------------------------------------------------
# monthly: costs, losses, 一利五率, 环比, causes, key tasks (issue 26)
# ------------------------------------------------------------------------------------------------
def _named_most() -> int:
    """Groups named one by one in a sentence at most (``lists.names``); more are cut (:func:`in_sentence`)."""
    return int(list_settings().get("names", 12))


def _monthly() -> dict:
    return dict(settings().get("monthly", {}))


def _change_text(change: float, unit: str) -> str:
    """「+1.23%」 or 「-0.45个百分点」 for a table cell; 「—」 when missing."""
    if _isnan(change):
        return "—"
    return f"{change:+,.2f}{'个百分点' if unit == PERCENT_POINTS else '%'}"


def _compare(now: float, before: float, unit: str) -> tuple[float, str]:
    """A ratio's change in 百分点, an amount's in %."""
    if unit == "%":
        return (now - before if not (_isnan(now) or _isnan(before)) else float("nan")), PERCENT_POINTS
    return pct_change(now, before), "%"


def _five_rates(ctx: Context) -> tuple[pd.DataFrame, list[str]]:
    """“一利五率”: 利润总额, 资产负债率, 营业现金比率, 研发经费投入强度, 全员劳动生产率, 净资产收益率 of the
    district (stored indicators; ids in ``params/bulletins.yaml`` → ``monthly.five_rates``), each with the
    same month a year earlier and 同比 (a ratio in 百分点, an amount in %). A partial district (missing
    reporters) has no 同比."""
    meta, hist, full = _meta(), _history(ctx), complete(ctx)
    ytd, _ = _span(ctx)
    rows, ids, units, change_units = [], [], [], []
    for ind in _monthly().get("five_rates", []):
        m = meta.loc[ind]
        unit = str(m["unit"])
        now = _value(hist, DISTRICT, ind, ctx.period[:7])
        before = _value(hist, DISTRICT, ind, _month(ctx.period, 12)) if full else float("nan")
        change, change_unit = _compare(now, before, unit)
        rows.append({"指标": str(m["name_zh"]), "单位": _shown_unit(unit), f"{ytd}累计或期末": _shown(now, unit),
                     "上年同期": _shown(before, unit), CHANGE: change})
        ids.append(ind)
        units.append(_shown_unit(unit))
        change_units.append(change_unit)
    frame = pd.DataFrame(rows).round(2)
    return keyed(frame, period=ctx.period, entities=[DISTRICT] * len(frame), items=ids, units=units, columns={
        f"{ytd}累计或期末": (None, "", None), "上年同期": (None, "", None, None, _month(ctx.period, 12)),
        CHANGE: (None, CHANGE, change_units)}), change_units


def five_rates_table(ctx: Context) -> pd.DataFrame:
    """“一利五率” as printed (:func:`_five_rates`; 同比 as text, a number in the workbook)."""
    table, change_units = _five_rates(ctx)
    table[CHANGE] = [_change_text(c, u) for c, u in zip(table[CHANGE], change_units)]
    return table


#: Name of the 环比 column (against the previous month end).
MONTH_ON_MONTH = "环比"


def _month_on_month(ctx: Context) -> tuple[pd.DataFrame, list[str]]:
    """环比: the district's period-end stocks and ratios (``monthly.month_on_month``: 资产总额, 带息负债,
    资产负债率, 带息负债比率) against the end of the previous month.

    Only stocks are compared with last month: a flow's single month against the previous single month
    mostly shows the calendar (quarter-end and year-end settlements, the January–February 快报 filed
    together, months of unequal working days), not the enterprises' course, so flows are compared with the
    same period a year earlier (同比) only. A ratio's 环比 is in 百分点, an amount's in % with the 增减额."""
    meta, hist = _meta(), _history(ctx)
    before_month = _month(ctx.period, 1)
    rows, ids, units, change_units = [], [], [], []
    for ind in _monthly().get("month_on_month", []):
        m = meta.loc[ind]
        unit = str(m["unit"])
        now = _value(hist, DISTRICT, ind, ctx.period[:7])
        before = _value(hist, DISTRICT, ind, before_month) if complete(ctx) else float("nan")
        change, change_unit = _compare(now, before, unit)
        delta = now - before if unit != "%" and not (_isnan(now) or _isnan(before)) else float("nan")
        rows.append({"指标": str(m["name_zh"]), "单位": _shown_unit(unit), "本月末": _shown(now, unit),
                     "上月末": _shown(before, unit), "增减额": _shown(delta, unit), MONTH_ON_MONTH: change})
        ids.append(ind)
        units.append(_shown_unit(unit))
        change_units.append(change_unit)
    frame = pd.DataFrame(rows).round(2)
    return keyed(frame, period=ctx.period, entities=[DISTRICT] * len(frame), items=ids, units=units, columns={
        "本月末": (None, "", None), "上月末": (None, "", None, None, before_month),
        MONTH_ON_MONTH: (None, MONTH_ON_MONTH, change_units)}), change_units


def month_on_month_table(ctx: Context) -> pd.DataFrame:
    """环比 as printed (:func:`_month_on_month`; 环比 as text, a number in the workbook; a ratio has no 增减额)."""
    table, change_units = _month_on_month(ctx)
    table[MONTH_ON_MONTH] = [_change_text(c, u) for c, u in zip(table[MONTH_ON_MONTH], change_units)]
    table["增减额"] = table["增减额"].astype(object).where(table["增减额"].notna(), "—")
    return table


def _financials(ctx: Context) -> pd.DataFrame:
    return _read(ctx, "table_financials")


def _losses(ctx: Context) -> tuple[pd.DataFrame, list[str]]:
    """亏损企业情况 as numbers (counts, 亏损面 in %, 亏损额 in 亿元) with each row's unit, and its notes."""
    ytd, _ = _span(ctx)
    now, ly = ctx.period[:7], _month(ctx.period, 12)
    table = loss_makers(_financials(ctx), periods=[now, ly], entities=list(short_names(ctx)))
    a, b = table.loc[now], table.loc[ly]
    rows, units = [], []
    for label, col, unit in (("企业户数（户）", "reporting", "户"), ("亏损企业户数（户）", "loss_count", "户"),
                             ("亏损面（%）", "loss_share", "%"), ("亏损额（亿元）", "loss_amount", "万元")):
        x, y = _shown(float(a[col]), unit), _shown(float(b[col]), unit)
        rows.append({"项目": label, ytd: x, "上年同期": y, "增减": x - y if not (_isnan(x) or _isnan(y)) else float("nan")})
        units.append(_shown_unit(unit))
    short = short_names(ctx)
    names = "、".join(f"{short.get(e, e)}（亏损{_amount(-_loss_of(ctx, e))}亿元）" for e in a["loss_entities"])
    scope = ("统计范围：本期报送财务快报的全部区属企业（集团及各级子企业），每户法人企业计一次，按其本户快报的利润总额"
             "（集团为合并数）判断是否亏损；亏损额为各亏损企业亏损额之和；亏损面 = 亏损企业户数 / 企业户数。")
    return with_notes(pd.DataFrame(rows), scope, f"本期亏损企业：{names}。" if names else ""), units


def loss_table(ctx: Context) -> pd.DataFrame:
    """亏损企业情况: 企业户数, 亏损企业户数, 亏损面 and 亏损额 this period and a year earlier, with the change
    (:func:`guozi_analysis.analyses.operations.loss_makers`; every reporting legal entity at every level, each
    counted once). The note says the scope and names the loss-makers; the workbook keeps the numbers."""
    table, units = _losses(ctx)
    out = table.copy()
    out.attrs = dict(table.attrs)
    for column in out.columns[1:]:
        out[column] = [_loss_cell(v, u, signed=column == "增减") for v, u in zip(table[column], units)]
    return out


def _loss_cell(value: float, unit: str, *, signed: bool) -> str:
    if _isnan(value):
        return "—"
    if unit == "户":
        return f"{value:+,.0f}户" if signed else f"{value:,.0f}"
    if unit == "%":
        return _change_text(value, PERCENT_POINTS) if signed else f"{value:,.2f}"
    return f"{value:+,.2f}{unit}" if signed else f"{value:,.2f}"


def _loss_of(ctx: Context, entity: str) -> float:
    fin = _financials(ctx)
    row = fin.loc[(fin["enterprise_id"].astype(str) == entity) & (fin["period"].astype(str).str[:7] == ctx.period[:7])]
    return float(row["total_profit"].iloc[-1]) if len(row) else float("nan")


_BRIDGES = {"profit": PROFIT_BRIDGE, "debt": DEBT_BRIDGE}


def _attributions(ctx: Context) -> list[tuple[dict, Attribution]]:
    """The configured headline moves (``monthly.drivers``) attributed to the groups and line items."""
    hist, fin = ctx.history, _financials(ctx)
    groups = list(ctx.tree.groups)
    out = []
    for spec in _monthly().get("drivers", []):
        ind = str(spec["indicator"])
        before = _month(ctx.period, 12 if spec.get("compare", "yoy") == "yoy" else 1)
        frame = indicator_frame(hist, ind, items=fin)
        bridge = _BRIDGES.get(str(spec.get("bridge") or ""))
        out.append((dict(spec), headline_attribution(frame, indicator=ind, now=ctx.period[:7], before=before,
                                                     entities=groups, bridge=bridge)))
    return out


def causes_paragraph(ctx: Context):
    """成本费用、亏损企业和变动来源: 营业成本 and 三项费用 with their 同比 next to revenue's (and whether
    cost grew faster than revenue), the 亏损企业 (户数, 亏损面, 亏损额, against a year earlier), and one
    sentence for each headline move beyond ``attribution.min_change`` naming the groups and line items that
    drove it (:mod:`guozi_analysis.analyses.operations`, :func:`~guozi_analysis.publishing.text.drivers_clause`).
    A month's 带息负债 move (环比) the 负债总额 does not follow is said to need checking. Nothing is said of a figure that
    is missing, and a partial district (missing reporters) gets no comparison."""
    if not complete(ctx):
        return markdown("")
    hist, meta = _history(ctx), _meta()
    ytd, _ = _span(ctx)
    period, ly = ctx.period[:7], _month(ctx.period, 12)
    names = group_short_names(ctx)
    sentences = []

    def ytd_growth(ind: str) -> tuple[float, float]:
        now = _value(hist, DISTRICT, ind, period)
        return now, pct_change(now, _value(hist, DISTRICT, ind, ly))

    rev, g_rev = ytd_growth("revenue")
    cost, g_cost = ytd_growth("operating_cost")
    exp, g_exp = ytd_growth("period_expenses")
    parts = []
    if not _isnan(cost):
        parts.append(f"营业成本{_amount(cost)}亿元" + ("" if _isnan(g_cost) else f"，同比{change_word(g_cost)}{_pct(g_cost)}%"))
    if not _isnan(exp):
        parts.append(f"三项费用（销售、管理、财务费用，不含研发费用）{_amount(exp)}亿元"
                     + ("" if _isnan(g_exp) else f"，同比{change_word(g_exp)}{_pct(g_exp)}%"))
    if parts:
        text = f"{ytd}，" + "；".join(parts)
        if not (_isnan(g_cost) or _isnan(g_rev)):
            gap = g_cost - g_rev
            text += (f"。营业成本增速{'高于' if gap > 0 else '低于'}营业总收入增速（{change_word(g_rev)}{_pct(g_rev)}%）"
                     f"{_pct(gap)}个百分点" + ("，成本增长快于收入，挤压利润空间" if gap > 0 else ""))
        sentences.append(text + "。")

    losses = loss_makers(_financials(ctx), periods=[period, ly], entities=list(short_names(ctx)))
    a, b = losses.loc[period], losses.loc[ly]
    if not _isnan(a["loss_count"]):
        short = short_names(ctx)
        who = in_sentence([short.get(e, e) for e in a["loss_entities"]])  # many: every one in the 亏损企业 table's note
        text = (f"报送快报的{a['reporting']:.0f}户企业（各级次法人企业，每户计一次）中，亏损企业{a['loss_count']:.0f}户"
                + (f"（{who}）" if who else "") + f"，亏损面{a['loss_share']:.2f}%，亏损额{_amount(a['loss_amount'])}亿元")
        if b["loss_count"] == 0:
            text += "；上年同期无亏损企业"
        elif not _isnan(b["loss_count"]):
            text += f"；上年同期亏损企业{b['loss_count']:.0f}户、亏损额{_amount(b['loss_amount'])}亿元"
        sentences.append(text + "。")

    fin = _financials(ctx)
    for spec, att in _attributions(ctx):
        if not att.notable or not len(att.entities):
            continue
        m = meta.loc[att.indicator]
        if str(m["unit"]) != "万元":  # only amounts add up over the groups; a ratio is never split so
            continue
        yoy = spec.get("compare", "yoy") == "yoy"
        rel = pct_change(att.now, att.before)
        what = f"{m['name_zh']}{'同比' if yoy else '比上月末'}{change_word(att.change, up='增加', down='减少')}" \
               f"{_amount(abs(att.change))}亿元（{change_word(rel)}{_pct(rel)}%）"
        who = drivers_clause([(names.get(e, e), v / WAN_PER_YI) for e, v in att.entities["change"].items()])
        text = f"{what}，{who}"
        if att.lead and len(att.items):
            items = drivers_clause([(item_name(i), v / WAN_PER_YI) for i, v in att.items["change"].items()],
                                   lead="主要是")
            text += f"；其中{names.get(att.lead, att.lead)}{items}"
        if att.indicator == "interest_bearing_debt" and not yoy:  # within a month debt repaid must show in the
            # liabilities (or the cash); over a year other liabilities may grow for their own reasons
            liab, unmatched = unmatched_debt_move(indicator_frame(ctx.history, att.indicator, items=fin), att,
                                                  entities=list(ctx.tree.groups))
            if unmatched:
                moved = "仅" if np.sign(liab) == np.sign(att.change) else "反而"
                text += (f"。同期负债总额{moved}{change_word(liab, up='增加', down='减少')}{_amount(abs(liab))}亿元，"
                         "带息负债的变动未在负债总额中相应体现，需请相关企业核实快报负债科目的填报")
        sentences.append(text + "。")
    return markdown("".join(sentences))


def _fall_causes(ctx: Context, entity: str, indicator: str) -> str:
    """「澜海文旅集团利润总额同比下降27.05%（减少0.46亿元），主要是营业总收入（减少 1.62 亿元）、…。」: one
    group's 同比 change of a year-to-date figure and the line items that drove it (PROFIT_BRIDGE)."""
    frame = indicator_frame(ctx.history, indicator, items=_financials(ctx))
    att = headline_attribution(frame, indicator=indicator, now=ctx.period[:7], before=_month(ctx.period, 12),
                               entities=[entity], bridge=PROFIT_BRIDGE if indicator == "total_profit" else None)
    name = group_short_names(ctx).get(entity, entity)
    rel = pct_change(att.now, att.before)
    text = f"{name}{_meta().loc[indicator, 'name_zh']}同比{change_word(rel)}{_pct(rel)}%"
    if not _isnan(att.change):
        text += f"（{change_word(att.change, up='增加', down='减少')}{_amount(abs(att.change))}亿元）"
    items = drivers_clause([(item_name(i), v / WAN_PER_YI) for i, v in att.items["change"].items()], lead="主要是") \
        if len(att.items) else ""
    return text + (f"，{items}" if items else "") + "。"


def key_tasks_table(ctx: Context) -> pd.DataFrame:
    """重点工作任务台账进度: each of this year's tasks (stored ``table_key_tasks``) with its annual target,
    the progress reported up to this month and the completion rate (latest report of each task, the
    narrative's :func:`~guozi_analysis.publishing.narrative._task_progress`)."""
    tasks = _read(ctx, "table_key_tasks")
    year = parse_period(ctx.period).year
    if not len(tasks):
        out = pd.DataFrame(columns=["任务", "责任科室"])
        out.attrs["empty_reason"] = "本期没有重点工作任务台账"
        return out
    tables = {"key_tasks": tasks}
    rows = []
    for item in dict.fromkeys(tasks["item"].astype(str)):
        ledger = _task_rows(tables, item, year)
        ledger = ledger.loc[(ledger["period"].astype(str).str[:7] <= ctx.period[:7]).to_numpy()]
        if not len(ledger):
            continue
        latest = ledger.sort_values("period").groupby("task_id").tail(1)
        target = float(pd.to_numeric(latest["target_value"], errors="coerce").sum(min_count=1))
        done = _task_progress(tables, item, year, ctx.period[:7])
        unit = str(latest["unit"].iloc[0])
        rate = done / target * 100 if not (_isnan(done) or _isnan(target) or target == 0) else float("nan")
        rows.append({"任务": "、".join(latest["task_name"].astype(str)), "责任科室": "、".join(
            dict.fromkeys(latest["responsible"].astype(str))), "年度目标": f"{target:,.0f}{unit}" if not _isnan(target) else "—",
            "累计完成": f"{done:,.0f}{unit}" if not _isnan(done) else "—", "完成率（%）": rate,
            "进展": "；".join(latest["progress_note"].dropna().astype(str))})
    return pd.DataFrame(rows).round(2)


#: Number formats of the 通报 workbook. Every percentage is a fraction with a percent format (so 5.92% is
#: 0.0592 and Excel formulas use it as such), 同比 and other changes signed; amounts two decimals with the
#: unit in the header; counts whole; 百分点 a signed number (the unit in the header, or in the format where
#: the column mixes units: the headline table's 同比).
_NUMBER_FORMAT = "#,##0.00"
_INTEGER_FORMAT = "#,##0"
_PERCENT_FORMAT = "0.00%"
_CHANGE_FORMATS = {"%": "+0.00%;-0.00%;0.00%", PERCENT_POINTS: '+0.00"个百分点";-0.00"个百分点";0.00"个百分点"'}
_POINTS_FORMAT = "+0.00;-0.00;0.00"
_PERCENT_HEADER = "（%）"


def _number_cell(value, fmt: str, *, percent: bool = False) -> tuple:
    """``(value, number format)`` of one workbook cell: a percent number becomes a fraction; a missing value “—”."""
    if _isnan(value):
        return "—", None
    return (round(value / 100, 8) if percent else value), fmt


def _workbook_rows(frame: pd.DataFrame, *, row_units: list[str] | None = None,
                   change_units: list[str] | None = None) -> tuple[list[str], list[list[tuple]]]:
    """Headers and ``(value, number format)`` cells of one sheet of the 通报 workbook (see the formats above).

    ``row_units`` are the rows' units (the headline table's 单位 column: ``%`` rows hold percent numbers) and
    ``change_units`` its 同比 units per row; other tables carry the unit in the header (``（%）``, ``（百分点）``,
    ``（家）``). A header's ``（%）`` is dropped, the percent format saying it."""
    headers, rows = [], [[] for _ in range(len(frame))]
    for column in frame.columns:
        name = str(column)
        percent = name.endswith(_PERCENT_HEADER)
        headers.append(name[:-len(_PERCENT_HEADER)] if percent else name)
        for i, value in enumerate(frame[column].tolist()):
            if isinstance(value, str) or isinstance(value, bool) or value is None:
                rows[i].append((value, None))
            elif change_units is not None and name in (CHANGE, MONTH_ON_MONTH):
                rows[i].append(_number_cell(value, _CHANGE_FORMATS[change_units[i]], percent=change_units[i] == "%"))
            elif row_units is not None and row_units[i] == "%":
                rows[i].append(_number_cell(value, _PERCENT_FORMAT, percent=True))
            elif percent:
                rows[i].append(_number_cell(value, _CHANGE_FORMATS["%"] if "同比" in name else _PERCENT_FORMAT,
                                            percent=True))
            elif name.endswith("（百分点）"):
                rows[i].append(_number_cell(value, _POINTS_FORMAT))
            else:
                rows[i].append(_number_cell(value, _INTEGER_FORMAT if name.endswith("（家）") else _NUMBER_FORMAT))
    return headers, rows


def export_workbook(ctx: Context, *, output_dir: str | Path = "", kind: str = "monthly",
                    extra: dict[str, pd.DataFrame] | None = None):
    """The publication's printable workbook: its tables, one sheet each, and the contract and inspection
    warnings of the period (``合同与督查预警``), written to ``output_dir`` (published with the 通报).

    Numbers stay numbers with number formats (:func:`_workbook_rows`: percentages as fractions with a percent
    format, 同比 signed, 百分点 for a ratio's 同比), so the office can sort, sum and compute with them; a missing
    value is “—”. Every table has every group and enterprise (the printed ones may be cut short, issue 27);
    ``extra`` adds a publication's own tables (the 季度分析's, :func:`.quarterly.export_workbook`).
    """
    from openpyxl import Workbook  # deferred: heavy dependency, loaded on first use
    from openpyxl.styles import Font  # deferred: heavy dependency, loaded on first use

    if not output_dir:
        return markdown("（未指定输出目录，本次不另存工作簿。）")
    quarter = kind == "quarterly"
    headline, change_units = _headline(ctx, quarter=quarter)
    pace = pace_table(ctx, whole=True)  # the workbook has every group, printed or not
    notes = {"投资进度": pace.attrs.get(NOTES, [])}
    sheets = {"主要指标": _workbook_rows(headline, row_units=headline["单位"].tolist(), change_units=change_units),
              "分集团": _workbook_rows(group_table(ctx, whole=True)), "投资进度": _workbook_rows(pace),
              "风险变化": _workbook_rows(risk_change_table(ctx, whole=True))}
    if kind == "monthly":  # the monthly's own tables (issue 26), numbers as numbers
        rates, rate_units = _five_rates(ctx)
        stocks, stock_units = _month_on_month(ctx)
        sheets["一利五率"] = _workbook_rows(rates, row_units=rates["单位"].tolist(), change_units=rate_units)
        sheets["环比"] = _workbook_rows(stocks, row_units=stocks["单位"].tolist(), change_units=stock_units)
        losses, loss_units = _losses(ctx)
        sheets["亏损企业"] = _workbook_rows(losses, row_units=loss_units)
        notes["亏损企业"] = losses.attrs.get(NOTES, [])
        sheets["重点工作任务"] = _workbook_rows(key_tasks_table(ctx))
    for name, frame in (extra or {}).items():  # a publication's own tables, every group of them
        sheets[name] = _workbook_rows(frame)
        notes[name] = frame.attrs.get(NOTES, [])
    note = table_note(ctx)
    wb = Workbook()
    wb.remove(wb.active)
    for name, (headers, rows) in sheets.items():
        ws = wb.create_sheet(title=name)
        ws["A1"] = f"{title(ctx, kind=kind)}·{name}"
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([])
        ws.append(headers)
        for row in rows:
            ws.append([value for value, _ in row])
            for j, (_, fmt) in enumerate(row, start=1):
                if fmt is not None:
                    ws.cell(row=ws.max_row, column=j).number_format = fmt
        for table_text in notes.get(name, []):  # the table's notes (序时进度, light rule) as printed under it
            ws.append([table_text])
        if note:  # who did not report: under every table, in the workbook as in the PDF
            ws.append([])
            ws.append([note])
    write_contract_sheet(wb, _read(ctx, "contract_warnings"), period=ctx.period)
    name = {"monthly": "月度通报", "quarterly": "季度分析"}.get(kind, "通报")
    target = Path(output_dir) / f"{name}_{ctx.period}.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    printed = {"主要指标": main_table(ctx, quarter=quarter), "分集团": group_table(ctx), "投资进度": pace_table(ctx)}
    if kind == "monthly":
        printed |= {"一利五率": five_rates_table(ctx), "环比": month_on_month_table(ctx)}
    write_sidecar(target, [r for name, frame in printed.items() for r in frame_figures(frame, where=name)])
    return markdown(f"本期通报的表格与合同、督查预警另附工作簿“{file_link(target)}”。")
