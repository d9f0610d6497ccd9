"""The short publications: 月度通报 and 季度经济运行分析 (the 半月晾晒通报 is :mod:`.half_month`).

Each function reads the shared step's stored results (indicators, their monthly history, risk
changes, rankings, projections) and returns a table with Chinese headers or a Markdown paragraph.
Nothing here computes an indicator: "本月" and "本季" of a year-to-date flow are the difference of two
stored year-to-date values, and 同比 compares the stored value with the same month a year earlier.
What each publication shows is set in ``params/bulletins.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from guozi_analysis.analyses.coverage import missing_groups
from guozi_analysis.analyses.ranking import load_settings as ranking_settings
from guozi_analysis.analyses.ranking import progress_light
from guozi_analysis.analyses.risk.engine import UNCOMPARABLE
from guozi_analysis.base.figures import figure
from guozi_analysis.base.params import load_yaml
from guozi_analysis.base.periods import as_of_date, elapsed_share, parse_period
from guozi_analysis.base.store import read_shared
from guozi_analysis.indicators.catalogue import catalogue_frame
from guozi_analysis.publishing.coverage import complete, coverage, coverage_sentence, table_note, total_label
from guozi_analysis.publishing.display import NOTES, with_notes
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
    file_link,
    light_rule_note,
    markdown,
    pace_note,
    pace_word,
    supported_text,
)
from guozi_analysis.publishing.views.context import Context, group_short_names
from guozi_analysis.publishing.workbooks import write_contract_sheet

__all__ = [
    "settings", "title", "main_table", "group_table", "pace_table", "risk_change_table", "lead_paragraph",
    "points", "export_workbook",
]

DISTRICT = "DISTRICT"


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


def _growth(now: float, before: float) -> float:
    """Percentage change on the absolute base (NaN when the base is missing or zero)."""
    if _isnan(now) or _isnan(before) or before == 0:
        return float("nan")
    return (now - before) / abs(before) * 100


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
            change, change_unit = _growth(now, last_year), "%"
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
    table[CHANGE] = ["—" if _isnan(c) else f"{c:+,.2f}{'个百分点' if u == PERCENT_POINTS else '%'}"
                     for c, u in zip(table[CHANGE], change_units)]
    return table


def group_table(ctx: Context) -> pd.DataFrame:
    """分集团主要指标: each group (short name) and the district on the ``by_group`` indicators with 同比."""
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
                row[f"{meta.loc[ind, 'name_zh']}同比（%）"] = _growth(now, before)
                columns[f"{meta.loc[ind, 'name_zh']}同比（%）"] = (ind, "同比", "%")
        rows.append(row)
    return keyed(pd.DataFrame(rows).round(2), period=ctx.period, entities=list(names), columns=columns)


def pace_table(ctx: Context) -> pd.DataFrame:
    """投资完成情况与序时进度: each group's completion rate, the elapsed share, the gap and its light.

    The light is the one rule of every publication (``params/ranking.yaml`` → ``progress``,
    :func:`guozi_analysis.analyses.ranking.progress_light`); the table's notes say how 序时进度 is
    counted and the light rule."""
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
    return with_notes(out, pace_note(as_of), light_rule_note(progress), PLAN_TARGET_NOTE)


def _read(ctx: Context, name: str) -> pd.DataFrame:
    return read_shared(ctx.processed_dir, name, optional=True)  # a district without ledgers or forecasts: empty, said in the text


def risk_change_table(ctx: Context) -> pd.DataFrame:
    """重点监管名单变化: how many enterprises entered, stayed on and left the list since the last period."""
    changes = _read(ctx, "risk_changes")
    order = ["新列入", "继续监管", "移出"]
    counts = changes["change"].value_counts() if len(changes) else pd.Series(dtype=int)
    if counts.get(UNCOMPARABLE, 0) or not complete(ctx):  # said, not counted as 移出 or 新列入
        order.append(UNCOMPARABLE)
    rows = [{"变化": c, "企业数（家）": int(counts.get(c, 0))} for c in order]
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
        return _growth(_value(hist, DISTRICT, ind, ctx.period[:7]), _value(hist, DISTRICT, ind, _month(ctx.period, 12)))

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
        return _growth(_value(hist, entity, ind, period), _value(hist, entity, ind, last_year))

    up = [names[e] for e in names if not _isnan(g(e, "revenue")) and g(e, "revenue") > 0]
    if up:
        features.append(f"营业总收入同比增长的集团有{len(up)}家（{'、'.join(up)}）。")
    profit_up = [names[e] for e in names if not _isnan(g(e, "total_profit")) and g(e, "total_profit") > 0]
    if profit_up:
        features.append(f"利润总额同比增长的集团有{len(profit_up)}家（{'、'.join(profit_up)}）。")
    full = complete(ctx)
    cost = _district(ctx, "financing_cost_change_bp") if full else float("nan")  # a partial district has no 同比
    if not _isnan(cost):
        features.append(f"综合融资成本{_pct(_district(ctx, 'composite_financing_cost'))}%，同比"
                        f"{change_word(cost, up='上升', down='下降')}{abs(cost):.0f}个基点。")
    down = [names[e] for e in names if not _isnan(g(e, "total_profit")) and g(e, "total_profit") < 0]
    if down:
        problems.append(f"{'、'.join(down)}利润总额同比下降。")
        actions.append(f"督促{'、'.join(down)}分析利润下降原因，落实增收节支措施。")
    pace = pace_table(ctx)
    progress = ranking_settings()["progress"]
    groups = pace.loc[pace["企业"] != total_label(ctx)]
    behind_all = []
    for colour, words in (("red", f"慢于序时进度超过{abs(float(progress['yellow_min_gap'])):g}个百分点"),
                          ("yellow", "慢于序时进度")):  # by the one light rule: red, then yellow
        light = progress["lights"][colour]
        behind = groups.loc[(groups["灯号"] == light) & (groups["快于或慢于序时（百分点）"] < 0)]
        if len(behind):
            listed = "、".join(f"{r['企业']}（慢{abs(r['快于或慢于序时（百分点）']):.2f}个百分点）" for _, r in behind.iterrows())
            problems.append(f"投资完成率{words}（{light}）的集团：{listed}。")
            behind_all += list(behind["企业"])
    if behind_all:
        actions.append(f"对{'、'.join(behind_all)}的在建项目逐项排查，倒排工期，确保完成年度投资计划。")
    rising = []
    for e, name in names.items():
        now, before = _value(hist, e, "debt_to_asset_ratio", period), _value(hist, e, "debt_to_asset_ratio", last_year)
        if not (_isnan(now) or _isnan(before)) and now - before > float(cfg["debt_ratio_points"]):
            rising.append(f"{name}（上升{now - before:.2f}个百分点）")
    if rising:
        problems.append(f"资产负债率同比上升较多：{'、'.join(rising)}。")
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
            elif change_units is not None and name == CHANGE:
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


def export_workbook(ctx: Context, *, output_dir: str | Path = "", kind: str = "monthly"):
    """The publication's printable workbook: its tables, one sheet each, and the contract and inspection
    warnings of the period (``合同与督查预警``), written to ``output_dir`` (published with the 通报).

    Numbers stay numbers with number formats (:func:`_workbook_rows`: percentages as fractions with a percent
    format, 同比 signed, 百分点 for a ratio's 同比), so the office can sort, sum and compute with them; a missing
    value is “—”.
    """
    from openpyxl import Workbook  # deferred: heavy dependency, loaded on first use
    from openpyxl.styles import Font  # deferred: heavy dependency, loaded on first use

    if not output_dir:
        return markdown("（未指定输出目录，本次不另存工作簿。）")
    quarter = kind == "quarterly"
    headline, change_units = _headline(ctx, quarter=quarter)
    pace = pace_table(ctx)
    notes = {"投资进度": pace.attrs.get(NOTES, [])}
    sheets = {"主要指标": _workbook_rows(headline, row_units=headline["单位"].tolist(), change_units=change_units),
              "分集团": _workbook_rows(group_table(ctx)), "投资进度": _workbook_rows(pace),
              "风险变化": _workbook_rows(risk_change_table(ctx))}
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
    write_sidecar(target, [r for name, frame in printed.items() for r in frame_figures(frame, where=name)])
    return markdown(f"本期通报的表格与合同、督查预警另附工作簿“{file_link(target)}”。")
