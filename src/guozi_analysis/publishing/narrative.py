"""The year-end review's sentences, written from data.

Each number in a sentence is a :class:`Fact` that remembers the shared table, the entity and the
item it came from (``source = "table:entity:item"``), so that a test can check every printed number
against its source and the book can print, under each section, the table of numbers it used.
Wording follows the data (增长/下降, 完成/未完成, 快于/慢于序时进度).

How it fits together
--------------------
* The shared step calls :func:`shared_frames`, which writes ``line_items`` (the panel),
  ``narrative_items`` (the counts, sums and derived figures of the review that are not indicators:
  equity investment by sector, listing stages, AA+ ranks, financing-cost history, key-supervision
  counts …, each with the rule it was computed by), ``narrative_targets`` (next year's quantified
  targets) and ``narrative_outlook`` (next year's projections, when the forecast module can give
  them).
* The section functions (:func:`section_investment`, :func:`section_reform`, :func:`section_risk`,
  :func:`section_plan`) only *look numbers up* in those parquet files and the indicator table, and
  return a :class:`Section` (``.markdown`` and ``.facts``).
* :func:`show` and :func:`sources_table` are what the notebooks call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from guozi_analysis.analyses import attribution
from guozi_analysis.analyses.assessment import PROPOSAL_RULE_ZH
from guozi_analysis.analyses.contracts import SUMMARY_ITEMS
from guozi_analysis.analyses.financing import financing_cost_history, lowest_since
from guozi_analysis.analyses.forecast import project_next_year, stored_projection
from guozi_analysis.analyses.risk.checks import coverage_figures
from guozi_analysis.analyses.risk.data import debt_rows, make_scope
from guozi_analysis.analyses.risk.maturity import wall_months
from guozi_analysis.analyses.risk.rules import load_rules
from guozi_analysis.base import config, contract
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.frames import rows_by
from guozi_analysis.base.params import load_yaml
from guozi_analysis.base.periods import as_of_date, closed_month, elapsed_share, parse_period
from guozi_analysis.base.store import read_shared
from guozi_analysis.indicators.catalogue import catalogue_frame
from guozi_analysis.indicators.formulas import debt_to_asset_ratio, safe_divide
from guozi_analysis.indicators.panel import item_name, line_items
from guozi_analysis.publishing.coverage import complete, coverage_sentence
from guozi_analysis.publishing.published import fact_figure, markdown_with_figures
from guozi_analysis.publishing.text import (
    PLAN_LABEL,
    PLAN_TARGET_NOTE,
    TARGET_LABEL,
    Fact,
    _isnan,
    change_word,
    date_zh,
    done_word,
    markdown,
    missing_numbers,
    pace_word,
    supported_text,
)
from guozi_analysis.publishing.views.context import short_names

DISTRICT_ID = "DISTRICT"


#: Chinese names of the shared tables a fact may come from.
SOURCE_TABLES_ZH = {
    "indicators": "指标表",
    "line_items": "指标面板（报表项目与明细汇总）",
    "narrative_items": "总结口径汇总表",
    "narrative_targets": "目标跟踪表（目标、上年基准与进展）",
    "narrative_outlook": "全年预测表",
    "assessment_ranking": "经营业绩考核结果",
    "contract_summary": "合同与督查台账汇总表",
    "narrative_problems": "存在问题分析表（进度差距、变动归因、债务到期）",
}

#: Equity-investment sectors that count as strategic emerging industries in the text.
TOP_SECTORS = 3


@dataclass(frozen=True)
class Section:
    """One section of the review: its heading, its Markdown text and the facts printed in it."""

    title: str
    markdown: str
    facts: tuple[Fact, ...] = field(default_factory=tuple)
    period: str = ""  # the data period: with it, the printed facts carry their full key (published figures)

    def figures(self) -> list[dict]:
        """The section's printed numbers as published figures (none without a period)."""
        if not self.period:
            return []
        return [fact_figure(f, period=self.period, where=self.title) for f in self.facts]

    def sources(self) -> pd.DataFrame:
        """The numbers used, in order, with their source (Chinese headers)."""
        return sources_table(self)


def render(template: str, facts: dict[str, Fact]) -> tuple[str, list[Fact]]:
    """Fill ``{name}`` slots with the facts' printed numbers; return the text and facts in order."""
    slots = re.findall(r"\{(\w+)\}", template)
    used = [facts[name] for name in slots if name in facts]
    out = template
    for name, fact in facts.items():
        out = out.replace("{" + name + "}", fact.text())
    return out, used


def indicator_fact(indicators: pd.DataFrame, entity_id: str, indicator_id: str, unit: str) -> Fact:
    """A fact from the tidy indicator table (value NaN when absent)."""
    row = indicators.loc[(indicators["entity_id"] == entity_id) & (indicators["indicator_id"] == indicator_id)]
    value = float(row["value"].iloc[0]) if len(row) else float("nan")
    return Fact(value, unit, f"indicators:{entity_id}:{indicator_id}")


#: Where a fact's number goes while a text is written (its index among the writer's facts).
_SLOT = re.compile("\x00(\\d+)\x00")


class _Writer:
    """Collects the facts of a text in the order their numbers are printed.

    :meth:`n` writes a placeholder; :meth:`done` and :meth:`section` fill the placeholders in, after
    leaving out every sentence (or clause) with a missing fact (:func:`~guozi_analysis.publishing.text.supported_text`):
    no sentence prints "—" for a number, and the facts kept are exactly the numbers printed.
    """

    def __init__(self) -> None:
        self.facts: list[Fact] = []

    def n(self, fact: Fact) -> str:
        self.facts.append(fact)
        return f"\x00{len(self.facts) - 1}\x00"

    def _missing(self, piece: str) -> bool:
        return bool(missing_numbers(piece)) or any(_missing(self.facts[int(k)]) for k in _SLOT.findall(piece))

    def done(self, text: str) -> tuple[str, list[Fact]]:
        """The text with its numbers printed (unsupported sentences left out) and the facts it prints, in order."""
        text = supported_text(text, missing=self._missing)
        used = [self.facts[int(k)] for k in _SLOT.findall(text)]
        return _SLOT.sub(lambda m: self.facts[int(m.group(1))].text(), text), used

    def section(self, title: str, paragraphs: list[str], period: str = "") -> Section:
        """A :class:`Section` of the paragraphs (see :meth:`done`) for the data ``period``."""
        text, used = self.done(_join(title, paragraphs))
        return Section(title, text, tuple(used), period)


# ------------------------------------------------------------------------------------------------
# the shared step: frames the review reads
# ------------------------------------------------------------------------------------------------
def _month_rows(tables: Mapping[str, pd.DataFrame], name: str, month: str) -> pd.DataFrame:
    frame = tables.get(name)
    if frame is None or not len(frame) or "period" not in frame.columns:
        return pd.DataFrame(columns=[] if frame is None else frame.columns)
    labels = frame["period"].astype("string").str.strip()
    return frame.loc[labels.isin([month, f"{month}-H2"]).fillna(False).to_numpy()]


def _flag(series: pd.Series) -> pd.Series:
    if series.dtype == bool:
        return series
    text = series.astype("string").str.strip().str.lower()
    return text.isin(["true", "1", "1.0", "是"]).fillna(False).astype(bool)


def _item(rows: list[dict], item: str, value, unit: str, label: str, basis: str, note: str = "") -> None:
    rows.append({"entity_id": DISTRICT_ID, "item": item,
                 "value": float("nan") if _isnan(value) else float(value),
                 "unit": unit, "label_zh": label, "basis": basis, "note": note})


def _panel_value(panel: pd.DataFrame, column: str) -> float:
    row = panel.loc[panel["entity_id"] == DISTRICT_ID]
    if not len(row) or column not in row.columns:
        return float("nan")
    return float(row[column].iloc[0])


def _indicator_value(indicators: pd.DataFrame, entity_id: str, indicator_id: str) -> float:
    row = indicators.loc[(indicators["entity_id"] == entity_id) & (indicators["indicator_id"] == indicator_id)]
    return float(row["value"].iloc[0]) if len(row) else float("nan")


def _equity_items(rows: list[dict], tables, month: str) -> None:
    eq = _month_rows(tables, "equity_investments", month)
    if not len(eq):
        return
    done = pd.to_numeric(eq["completed_ytd"], errors="coerce")
    by_sector = done.groupby(eq["sector"].astype("string").to_numpy()).sum(min_count=1)
    by_sector = by_sector.sort_values(ascending=False, kind="mergesort")
    for rank, (sector, value) in enumerate(by_sector.items(), start=1):
        _item(rows, f"equity_sector_completed[{sector}]", value, "万元", f"股权投资本年完成额（{sector}）",
              "股权投资台账本月快照：按投向领域汇总本年累计完成额", note=str(rank))


def _fund_items(rows: list[dict], tables, month: str, year: int) -> None:
    funds = _month_rows(tables, "funds", month)
    if not len(funds):
        return
    names = "、".join(funds["fund_name"].astype(str))
    _item(rows, "fund_count", len(funds), "支", "国有基金数", "国有基金台账本月快照的基金数", names)
    est = pd.to_datetime(funds["established_date"], errors="coerce")
    new = funds.loc[(funds["fund_type"].astype(str) == "科创基金").to_numpy() & (est.dt.year == year).to_numpy()]
    _item(rows, "fund_new_kechuang_count", len(new), "支", "本年新组建科创基金数",
          "基金类型为科创基金且成立日期在本年", "、".join(new["fund_name"].astype(str)))


LISTING_STAGES = {
    "listing_ipo_count": (("已上市",), "已上市企业数"),
    "listing_filed_count": (("报辅", "报会"), "完成报辅、报会企业数"),
    "listing_reformed_count": (("完成股改",), "完成股改企业数"),
    "listing_started_count": (("启动上市",), "启动上市流程企业数"),
}


def _listing_items(rows: list[dict], tables, month: str) -> None:
    lst = _month_rows(tables, "listings", month)
    if not len(lst):
        return
    stage = lst["stage"].astype(str)
    for item, (stages, label) in LISTING_STAGES.items():
        hit = lst.loc[stage.isin(stages).to_numpy()]
        _item(rows, item, len(hit), "家", label, f"上市培育台账本月快照中阶段为{'、'.join(stages)}的企业数",
              "、".join(hit["company_name"].astype(str)))
    ipo = lst.loc[stage.eq("已上市").to_numpy() & _flag(lst["is_out_of_province"]).to_numpy()]
    _item(rows, "listing_ipo_out_of_province_count", len(ipo), "家", "其中省外企业上市数",
          "已上市且为省外企业", "、".join(ipo["company_name"].astype(str)))


def _rating_items(rows: list[dict], tables, roster: pd.DataFrame, as_of: date) -> None:
    ratings = tables.get("ratings")
    if ratings is None or not len(ratings):
        return
    r = ratings.assign(_d=pd.to_datetime(ratings["rating_date"], errors="coerce"))
    r = r.loc[(r["_d"] <= pd.Timestamp(as_of)).fillna(False).to_numpy()]
    high = r.loc[r["rating"].astype(str).isin(["AAA", "AA+"]).to_numpy()]
    latest = r.sort_values("_d", kind="mergesort").drop_duplicates("enterprise_id", keep="last")
    holders = latest.loc[latest["rating"].astype(str).isin(["AAA", "AA+"]).to_numpy(), "enterprise_id"].astype(str)
    first = high.groupby(high["enterprise_id"].astype(str))["_d"].min()
    first = first.reindex(sorted(holders)).sort_values(kind="mergesort")
    names = dict(zip(roster["enterprise_id"].astype(str), roster["name"].astype(str)))
    new = [e for e, d in first.items() if d.year == as_of.year]
    _item(rows, "aa_plus_count", len(holders), "家", "AA+及以上主体信用等级企业数",
          "截至期末最近一次评级为AA+或AAA的企业数", "、".join(names.get(e, e) for e in first.index))
    _item(rows, "aa_plus_new_count", len(new), "家", "本年新获AA+主体信用等级企业数",
          "首次获评AA+或AAA的日期在本年", "、".join(names.get(e, e) for e in new))
    if new:
        order = list(first.index).index(new[0]) + 1
        _item(rows, "aa_plus_new_rank", order, "家", "本年新获评企业为全区第几家AA+主体",
              "按首次获评AA+或AAA的日期排序", names.get(new[0], new[0]))


def _credit_items(rows: list[dict], tables, month: str) -> None:
    lines = _month_rows(tables, "credit_lines", month)
    if not len(lines):
        return
    fair = lines.loc[_flag(lines["signed_at_fair"]).to_numpy()]
    _item(rows, "fair_credit_count", len(fair), "笔", "投融资对接会签约授信笔数",
          "授信台账本月快照中在投融资对接会签约的授信笔数")
    _item(rows, "fair_credit_enterprises", fair["enterprise_id"].nunique(), "家", "投融资对接会签约企业数",
          "在投融资对接会签约授信的企业数")


def _financing_items(rows: list[dict], tables, month: str) -> None:
    hist = financing_cost_history(tables)
    if not len(hist):
        return
    since = lowest_since(hist, month)
    start = str(hist.dropna()["month"].min())
    _item(rows, "financing_cost_history_start_year", int(start[:4]), "年", "融资明细最早月份（年）",
          "融资明细中有利率数据的最早月份", start)
    if since is not None:
        _item(rows, "financing_cost_lowest_since_year", int(since[:4]), "年", "综合融资成本最低纪录起始年",
              "本月综合融资成本低于自该月起的每个月（逐月 Σ余额×利率 / Σ余额）", since)
        _item(rows, "financing_cost_lowest_since_month", int(since[5:7]), "月", "综合融资成本最低纪录起始月",
              "同上", since)


#: Prefixes of the key-supervision items (one per on-list rule that fired), read from the risk engine.
KEY_RULE_COUNT = "key_rule_count__"
KEY_RULE_THRESHOLD = "key_rule_threshold__"


def _supervision_items(rows: list[dict], risk_list: pd.DataFrame | None, risk_flags: pd.DataFrame | None) -> None:
    """The key-supervision figures, taken from the risk engine's list and flags (never recomputed here).

    ``key_supervision_count`` is the number of enterprises on the list; for every on-list rule that
    fired, ``key_rule_count__<rule>`` counts the listed enterprises it put there and
    ``key_rule_threshold__<rule>`` holds its threshold when the rule has one number for everyone.
    Without the engine's results no item is written (the review then leaves the sentence out).
    """
    if risk_list is None or risk_flags is None:
        return
    names = "、".join(risk_list["entity_name"].astype(str))
    _item(rows, "key_supervision_count", len(risk_list), "家", "列入重点监管对象的企业数",
          "风险预警引擎的重点监管对象名单（与债务风险章节、guozi risk 同一名单）中的企业数", names)
    listed = set(risk_list["entity_id"].astype(str))
    fired = risk_flags.loc[risk_flags["on_list"].astype(bool) & risk_flags["entity_id"].astype(str).isin(listed)]
    if "triggered" in fired.columns:
        fired = fired.loc[fired["triggered"].astype(bool)]
    for rule_id, hits in fired.groupby("rule_id", sort=False):
        name = str(hits["rule_name"].iloc[0])
        _item(rows, f"{KEY_RULE_COUNT}{rule_id}", hits["entity_id"].nunique(), "家", f"因「{name}」列入名单的企业数",
              f"重点监管对象名单中触发规则「{name}」的企业数", "、".join(hits["entity_name"].astype(str)))
        thresholds = pd.to_numeric(hits["threshold"], errors="coerce").dropna().unique()
        unit = str(hits["unit"].iloc[0]) if "unit" in hits.columns else ""
        if len(thresholds) == 1 and unit == "%":
            _item(rows, f"{KEY_RULE_THRESHOLD}{rule_id}", float(thresholds[0]), unit, f"「{name}」的阈值",
                  f"风险规则「{name}」的阈值（params/risk_rules.yaml）")


def _reform_items(rows: list[dict], tables, month: str) -> None:
    ref = _month_rows(tables, "reforms", month)
    if not len(ref):
        return
    kind, status = ref["item_type"].astype(str), ref["status"].astype(str)
    for item, k, s, label in (
        ("mixed_reform_in_progress_count", "混合所有制改革", "推进中", "正在推进混改的企业数"),
        ("mixed_reform_reserve_count", "混合所有制改革", "储备", "混改储备企业数"),
        ("board_done_count", "董事会建设", "已完成", "完成董事会建设的企业数"),
        ("tenure_done_count", "经理层任期制", "已完成", "完成经理层任期制改革的企业数"),
    ):
        hit = ref.loc[(kind == k).to_numpy() & (status == s).to_numpy()]
        _item(rows, item, len(hit), "家", label, f"改革事项台账本月快照中类型为{k}、状态为{s}的事项数")


def _assessment_items(rows: list[dict], tables, roster: pd.DataFrame, year: int) -> None:
    groups = EnterpriseTree.from_roster(roster).groups
    _item(rows, "group_count", len(groups), "家", "集团数", "企业名录中的集团数")
    targets = tables.get("targets")
    if targets is not None and len(targets):
        t = targets.loc[(pd.to_numeric(targets["year"], errors="coerce") == year).to_numpy()]
        with_targets = set(t["enterprise_id"].astype(str)) & set(groups)
        _item(rows, "groups_with_targets_count", len(with_targets), "家", "已下达本年考核目标的集团数",
              "年度目标表中有本年目标的集团数")


def _derived_items(rows: list[dict], panel: pd.DataFrame) -> None:

    done, target = _panel_value(panel, "proj_completed_ytd"), _panel_value(panel, "target_investment_completed")
    _item(rows, "investment_target", target, "万元", "年度投资目标（各集团合计）",
          "年度目标表 investment_completed（全区为各集团合计）")
    _item(rows, "investment_target_completion", safe_divide(done, target) * 100, "%",
          "年度投资目标完成率", "本年完成投资 / 年度投资目标 × 100")
    _item(rows, "idle_revitalised_count", _panel_value(panel, "idle_revitalised_count"), "个", "已盘活项目数",
          "存量资产台账中状态为已盘活的项目数")
    _item(rows, "idle_book_value", _panel_value(panel, "idle_book_value"), "万元", "存量资产账面价值",
          "存量资产台账账面价值合计")
    # the headline's 同比 of the two stock figures (the flows have their growth indicators)
    assets, ly_assets = _panel_value(panel, "total_assets"), _panel_value(panel, "ly_total_assets")
    _item(rows, "total_assets_growth", safe_divide(assets - ly_assets, ly_assets) * 100, "%",
          "资产总额同比增长率", "(资产总额 − 上年同期资产总额) / 上年同期资产总额 × 100（全区）")
    ratio_now = debt_to_asset_ratio(_panel_value(panel, "total_liabilities"), assets)
    ratio_ly = debt_to_asset_ratio(_panel_value(panel, "ly_total_liabilities"), ly_assets)
    _item(rows, "debt_ratio_change", ratio_now - ratio_ly, "百分点", "资产负债率同比变动",
          "本期资产负债率 − 上年同期资产负债率（百分点，全区）")
    for col, unit in (("fair_credit_amount", "万元"), ("non_related_guarantee_count", "笔"),
                      ("non_related_guarantee_balance", "万元"), ("above_share_guarantee_count", "笔"),
                      ("above_share_guarantee_balance", "万元"), ("city_key_total_investment", "万元")):

        _item(rows, col, _panel_value(panel, col), unit, item_name(col), f"指标面板 {col}（全区）")


def narrative_items(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame, *, period: str,
                    panel: pd.DataFrame | None = None, risk_list: pd.DataFrame | None = None,
                    risk_flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """The review's figures that are not indicators, one row each, with the rule they follow.

    Columns: ``entity_id`` (always ``DISTRICT``), ``item``, ``value``, ``unit`` (万元 for money),
    ``label_zh``, ``basis`` (how it is computed) and ``note`` (names behind a count, ranks …).
    Missing source tables give no row (the text then says the data were not reported). The
    key-supervision figures come from the risk engine's ``risk_list`` and ``risk_flags``.
    """

    p = parse_period(period)
    month = closed_month(p)
    year = int(month[:4])
    roster = tables["roster"]
    panel = line_items(tables, period=period, roster=roster) if panel is None else panel
    rows: list[dict] = []
    _equity_items(rows, tables, month)
    _fund_items(rows, tables, month, year)
    _listing_items(rows, tables, month)
    _rating_items(rows, tables, roster, p.as_of)
    _credit_items(rows, tables, month)
    _financing_items(rows, tables, month)
    _supervision_items(rows, risk_list, risk_flags)
    _reform_items(rows, tables, month)
    _assessment_items(rows, tables, roster, year)
    _derived_items(rows, panel)
    return pd.DataFrame(rows, columns=["entity_id", "item", "value", "unit", "label_zh", "basis", "note"])


#: The target-completion indicators 存在的问题 compares with 序时进度, with what they measure.
PACE_INDICATORS = {"revenue_target_completion": "营业收入", "profit_target_completion": "利润总额"}
#: Column of ``narrative_problems`` (the same as ``narrative_items``).
PROBLEM_COLUMNS = ["entity_id", "item", "value", "unit", "label_zh", "basis", "note"]


def _row(rows: list[dict], entity: str, item: str, value, unit: str, label: str, basis: str, note: str = "") -> None:
    rows.append({"entity_id": entity, "item": item, "value": float("nan") if _isnan(value) else float(value),
                 "unit": unit, "label_zh": label, "basis": basis, "note": note})


def _pace_rows(rows: list[dict], indicators: pd.DataFrame, entities: list[str], period: str) -> None:
    share = elapsed_share(as_of_date(period)) * 100
    for ind, label in PACE_INDICATORS.items():
        for e in entities:
            rate = _indicator_value(indicators, e, ind)
            _row(rows, e, f"pace_gap[{ind}]", rate - share, "百分点", f"{label}目标完成率与序时进度之差",
                 f"指标 {ind} − 序时进度（{share:.2f}%）")


def _line_name(column: str) -> str:
    """Chinese name of a 快报 line item: the panel's name, else the 快报 contract's label (其他收益等)."""
    name = item_name(column)
    if name != column:
        return name
    try:
        return contract.table("financials").field(column).label_zh
    except KeyError:
        return column


def _fall_rows(rows: list[dict], tables, groups: list[str], month: str) -> None:
    """Each group whose 利润总额 fell notably (attribution.is_notable) from the same month last year: the
    change and the line items that drove it (attribution.drivers) or softened it (attribution.offsets)."""
    fin = tables.get("financials")
    if fin is None or not len(fin):
        return
    before = f"{int(month[:4]) - 1}{month[4:]}"
    periods = fin["period"].astype(str).str.slice(0, 7)
    keep = (periods.isin([month, before]) & fin["enterprise_id"].isin(groups)).to_numpy()
    fin = fin.loc[keep].assign(period=periods[keep])
    by_group = rows_by(fin, fin["enterprise_id"].astype(str))
    for g in groups:
        own = by_group(g)
        try:
            bridge = attribution.item_bridge(own, entity_id=g, total="total_profit", items=attribution.PROFIT_BRIDGE,
                                             now=month, before=before)
        except KeyError:  # a year without the group's 快报: nothing to explain
            continue
        change = bridge.attrs["total"]
        at = own.loc[own["period"] == before, "total_profit"]
        ly = float(pd.to_numeric(at, errors="coerce").iloc[-1]) if len(at) else float("nan")
        if _isnan(change) or change >= 0 or not attribution.is_notable(ly + change, ly):
            continue
        _row(rows, g, "profit_change", change, "万元", "利润总额同比增减额", f"利润总额 {month} − {before}（本年累计）")
        for kind, picked in (("driver", attribution.drivers(bridge, value="contribution")),
                             ("offset", attribution.offsets(bridge, value="contribution"))):
            for rank, (item, r) in enumerate(picked.iterrows(), start=1):
                _row(rows, g, f"profit_{kind}[{item}]", r["change"], "万元", f"{_line_name(item)}同比增减额",
                     f"{_line_name(item)} {month} − {before}（本年累计）；对利润总额的影响 {r['contribution']:.2f} 万元",
                     note=str(rank))


#: The risk rule on the district's 现金短债比 whose firing puts it into 存在的问题.
CASH_RULE = "cash_to_short_term_debt_below_1"


def _maturity_rows(rows: list[dict], tables, period: str, flags: pd.DataFrame | None,
                   profile: pd.DataFrame | None) -> None:
    """The debt-maturity wall and cash cover of every entity the risk engine flagged (``risk_flags``:
    maturity_wall, maturity_coverage_*), with the figures behind the flags; the district's peak month."""
    if flags is None or not len(flags):
        return
    cash = flags.loc[((flags["entity_id"].astype(str) == DISTRICT_ID)
                      & (flags["rule_id"].astype(str) == CASH_RULE)).to_numpy()]
    if len(cash):  # the district's 现金短债比 is printed from the indicator table; here only that it fired
        _row(rows, DISTRICT_ID, f"flagged[{CASH_RULE}]", 1.0, "", "风险引擎已提示（全区）",
             f"risk_flags：{cash['rule_name'].iloc[0]}")
    fired = flags.loc[flags["rule_id"].astype(str).str.startswith(("maturity_wall", "maturity_coverage"))]
    if not len(fired):
        return
    rules = {r.id: r for r in load_rules().rules}
    scope = make_scope(tables, period=period)
    debts = debt_rows(tables, scope)
    if debts is None:
        return
    for rule_id, hits in fired.groupby(fired["rule_id"].astype(str), sort=True):
        rule = rules.get(rule_id)
        if rule is None:
            continue
        months = int(rule.params.get("months", 12))
        entities = [e for e in hits["entity_id"].astype(str) if e in scope.entities.index]
        if rule_id == "maturity_wall":
            walls = wall_months(debts, scope, months=months)
            for e in entities:
                if e not in walls.index:
                    continue
                w = walls.loc[e]
                year, mon = (int(x) for x in str(w["month"]).split("-"))
                basis = f"未来{months}个月到期融资中单月到期最多的月份（{w['basis']}口径）"
                _row(rows, e, "wall_year", year, "年", "集中到期月份（年）", basis, note=str(w["month"]))
                _row(rows, e, "wall_month", mon, "月", "集中到期月份（月）", basis, note=str(w["month"]))
                _row(rows, e, "wall_amount", w["amount"], "万元", "集中到期月份到期融资", basis)
                _row(rows, e, "wall_window", w["total"], "万元", f"未来{months}个月到期融资", basis, note=str(months))
                _row(rows, e, "wall_share", w["share"], "%", f"单月到期占未来{months}个月到期融资比重", basis)
        else:
            figures = coverage_figures(tables, scope, months=months,
                                       include_committed_lines=bool(rule.params.get("include_committed_lines", True)))
            if figures is None:
                continue
            basis = f"可用资金（货币资金 + 未使用承诺授信）/ {months}个月内到期（含已到期未还）融资余额"
            for e in entities:
                f = figures.loc[e]
                _row(rows, e, f"cover_due[{months}]", f["due"], "万元", f"{months}个月内到期融资", basis, note=str(months))
                _row(rows, e, f"cover_available[{months}]", f["available"], "万元", "可用资金（货币资金与未使用授信）",
                     basis)
                _row(rows, e, f"cover_ratio[{months}]", f["cover"], "倍", f"可用资金对{months}个月内到期融资的覆盖倍数",
                     basis)
    if profile is not None and len(profile):
        dist = profile.loc[(profile["entity_id"].astype(str) == DISTRICT_ID)
                           & (profile["month"].astype(str).str.match(r"^\d{4}-\d{2}$"))]
        if len(dist):
            peak = dist.sort_values(["balance", "month"], ascending=[False, True], kind="mergesort").iloc[0]
            year, mon = (int(x) for x in str(peak["month"]).split("-"))
            window = len(dist)
            basis = f"到期结构表（未来{window}个月）全区单月到期最多的月份"
            _row(rows, DISTRICT_ID, "peak_year", year, "年", "全区到期高峰月份（年）", basis, note=str(peak["month"]))
            _row(rows, DISTRICT_ID, "peak_month", mon, "月", "全区到期高峰月份（月）", basis, note=str(peak["month"]))
            _row(rows, DISTRICT_ID, "peak_amount", peak["balance"], "万元", "全区到期高峰月份到期融资", basis,
                 note=str(window))


def problem_items(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame, *, period: str,
                  results: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """What 存在的问题 says, one figure a row (columns :data:`PROBLEM_COLUMNS`, ``entity_id`` the group or
    ``DISTRICT``): each group's and the district's gap to 序时进度 on the revenue and profit targets
    (``pace_gap[…]``, 百分点); for each group whose 利润总额 fell notably from last year, the change and the
    line items that drove or softened it (``profit_change``, ``profit_driver[…]``, ``profit_offset[…]``,
    from :mod:`~guozi_analysis.analyses.attribution`); and, when the risk engine flagged them, the
    debt-maturity wall (``wall_*``) and cash cover (``cover_*[months]``) with the district's peak month
    (``peak_*``) from the stored ``risk_flags`` and ``risk_maturity_profile``."""
    results = results or {}
    groups = list(EnterpriseTree.from_roster(tables["roster"]).groups)
    rows: list[dict] = []
    _pace_rows(rows, indicators, [DISTRICT_ID, *groups], period)
    _fall_rows(rows, tables, groups, closed_month(parse_period(period)))
    _maturity_rows(rows, tables, period, results.get("risk_flags"), results.get("risk_maturity_profile"))
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


def plan_catalogue(year: int) -> dict:
    """The quantified targets to track in ``year`` (``params/targets_<year>.yaml``, else the 2023 file)."""

    name = f"targets_{year}.yaml"
    if not (config.PARAMS_DIR / name).exists():
        name = "targets_2023.yaml"
    return load_yaml(name)


TARGET_COLUMNS = [
    "entity_id", "year", "item", "name_zh", "target_value", "unit", "comparison", "status", "status_label",
    "outlook", "origin", "baseline_year", "baseline_value", "baseline_text", "baseline_kind", "baseline_source",
    "below_baseline", "flag_text", "target_level", "level_baseline", "level_label", "level_unit", "level_text",
    "pipeline_value", "pipeline_cover", "pipeline_label", "data_year", "progress_value", "status_text",
    "source_zh", "part", "proposed_value", "proposal_gap", "proposal_reason",
]
#: Status of a target while the data are of an earlier year: it is never declared reached from them.
AWAITING = "待{year}年数据"


def _is_number(raw) -> bool:
    return isinstance(raw, (int, float)) and not isinstance(raw, bool)


def _task_rows(tables: Mapping[str, pd.DataFrame], item: str, year: int) -> pd.DataFrame:
    tasks = tables.get("key_tasks")
    if tasks is None or not len(tasks):
        return pd.DataFrame(columns=["task_id", "year", "period", "item", "target_value", "progress_value"])
    return tasks.loc[((tasks["item"].astype(str) == item)
                      & (pd.to_numeric(tasks["year"], errors="coerce") == year)).to_numpy()]


def _task_progress(tables: Mapping[str, pd.DataFrame], item: str, year: int, month: str) -> float:
    """本年累计完成 of ``year``'s tasks for ``item`` in the latest month up to ``month`` (NaN if none)."""
    rows = _task_rows(tables, item, year)
    rows = rows.loc[(rows["period"].astype(str).str.slice(0, 7) <= month).to_numpy()]
    values = pd.to_numeric(rows["progress_value"], errors="coerce")
    rows = rows.assign(_v=values.to_numpy()).dropna(subset=["_v"])
    if not len(rows):
        return float("nan")
    latest = rows.sort_values("period").groupby("task_id").tail(1)
    return float(latest["_v"].sum())


def _lookup(spec: str | None, *, tables, indicators: pd.DataFrame | None, items: pd.DataFrame | None,
            year: int, month: str) -> float:
    """A value named ``indicators:<id>`` (the district's), ``tasks:<item>`` (ledger, ``year``) or ``items:<item>``."""
    kind, _, name = str(spec or "").partition(":")
    if kind == "indicators" and indicators is not None and len(indicators):
        return _indicator_value(indicators, DISTRICT_ID, name)
    if kind == "tasks":
        return _task_progress(tables, name, year, month)
    if kind == "items" and items is not None and len(items):
        row = items.loc[items["item"].astype(str) == name, "value"]
        return float(row.iloc[0]) if len(row) else float("nan")
    return float("nan")


def _source_zh(spec: str | None) -> str:
    kind, _, name = str(spec or "").partition(":")
    return {"indicators": f"指标表 {name}", "tasks": f"重点工作任务台账 {name}",
            "items": f"总结口径汇总表 {name}"}.get(kind, "")


def _proposal_total(proposals: pd.DataFrame | None, item: str, groups: set[str]) -> float:
    """The groups' proposed targets for ``item`` added up (``assessment_targets_proposed``); NaN unless
    every group has one (a partial sum is not the district's proposal)."""
    if proposals is None or not len(proposals) or not groups:
        return float("nan")
    rows = proposals.loc[(proposals["item"].astype(str) == item).to_numpy()]
    values = pd.to_numeric(rows["proposed_target"], errors="coerce")
    by_group = dict(zip(rows["enterprise_id"].astype(str), values))
    if set(by_group) != groups or any(_isnan(v) for v in by_group.values()):
        return float("nan")
    return float(sum(by_group.values()))


def target_frame(tables: Mapping[str, pd.DataFrame], *, year: int, period: str | None = None,
                 indicators: pd.DataFrame | None = None, items: pd.DataFrame | None = None,
                 projections: pd.DataFrame | None = None, proposals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Next year's district targets, each with its previous-year baseline and its status.

    Target value: the targets table's DISTRICT row, else the groups' sum (``additive``), else the task
    ledger's targets of that year, else the YAML default. Baseline (``year − 1``): the spec's
    ``baseline`` read from ``indicators`` (the period's district values) or the ledger; where the
    stored ``projections`` hold the previous year's expected year end (``projection_item``) that is the
    baseline instead (2022年预计). A target below the baseline is flagged (``below_baseline``,
    ``flag_text``); a change target (bp) is turned into a level (``target_level`` = baseline level +
    change). Progress counts only data of the target year itself (``data_year == year``); before that
    the status is 待<year>年数据 — a target is never declared reached from the previous year's data.
    ``pipeline_cover``: the reserve the spec names (``pipeline``, e.g. 待盘活存量资产账面价值) divided by the
    target (倍): how many times the reserve covers the target.
    ``proposals`` (the stored ``assessment_targets_proposed``) give, for the items the assessment
    proposes, the groups' proposed targets added up (``proposed_value``), the adopted target minus it
    (``proposal_gap``) and, when the adopted target is below the rule's, why (``proposal_reason``: the
    spec's ``below_proposal_reason``, else where the adopted target comes from).
    Columns: :data:`TARGET_COLUMNS`.
    """
    catalogue = plan_catalogue(year)
    targets = tables.get("targets")
    table = pd.DataFrame(columns=["enterprise_id", "year", "item", "target_value", "unit"])
    if targets is not None and len(targets):
        table = targets.loc[(pd.to_numeric(targets["year"], errors="coerce") == year).to_numpy()]
    roster = tables.get("roster")
    groups = set() if roster is None else set(EnterpriseTree.from_roster(roster).groups)
    month = closed_month(period) if period else f"{year - 1}-12"
    data_year = int(month[:4])
    base_year = year - 1
    rows = []
    for spec in catalogue.get("targets", []):
        item = spec["item"]
        own = table.loc[(table["item"].astype(str) == item).to_numpy()]
        district = own.loc[(own["enterprise_id"].astype(str) == DISTRICT_ID).to_numpy()]
        by_group = own.loc[own["enterprise_id"].astype(str).isin(groups).to_numpy()]
        ledger = _task_rows(tables, item, year)
        raw = spec.get("target_value")
        value = float(raw) if _is_number(raw) else float("nan")
        origin = "params/targets_%d.yaml 缺省值" % year if not _isnan(value) else "未设定"
        if len(district):
            value, origin = float(district["target_value"].iloc[0]), "年度目标表（全区）"
        elif spec.get("additive") and len(by_group) and len(by_group) == len(groups):
            value, origin = float(pd.to_numeric(by_group["target_value"]).sum()), "年度目标表（各集团合计）"
        elif len(ledger):
            first = ledger.sort_values("period").groupby("task_id").head(1)
            value, origin = float(pd.to_numeric(first["target_value"]).sum()), "重点工作任务台账"
        comparison = spec.get("comparison", "at_least")
        look = {"tables": tables, "indicators": indicators, "items": items, "month": month}

        # baseline: the previous year (actual so far, or expected year end when the forecast gives it)
        b_spec = spec.get("baseline")
        baseline = _lookup(b_spec, year=base_year, **look) if data_year == base_year else float("nan")
        kind = str(spec.get("baseline_kind", "ytd"))
        b_label = str(spec.get("baseline_label", ""))
        b_source = _source_zh(b_spec)
        expected = stored_projection(projections, DISTRICT_ID, str(spec.get("projection_item") or ""),
                                     as_of=month) if spec.get("projection_item") and data_year == base_year else None
        if expected is not None:  # full year against full year: the expected year end (December: the actual)
            full = expected.get("method") == "actual"
            baseline, kind = float(expected["median"]), "actual" if full else "expected"
            b_label, b_source = f"{spec['name_zh']}预计", f"预测模块 {spec['projection_item']}（全年预计）"
        if _isnan(baseline):
            b_text = f"{base_year}年无同类数据（新增目标）" if str(b_spec or "").startswith("tasks:") \
                else f"暂无{base_year}年数据"
        elif kind == "expected":
            b_text = f"{base_year}年预计{b_label.replace(spec['name_zh'] + '预计', spec['name_zh'])}"
        elif kind == "actual":
            b_text = f"{base_year}年全年实际{spec['name_zh']}"
        else:
            b_text = f"截至{date_zh(as_of_date(month))}{b_label}"

        higher = comparison != "at_most"
        below = bool(not _isnan(baseline) and not _isnan(value) and higher and value < baseline)
        flag = ""
        if below:
            flag = {"expected": f"目标低于{base_year}年预计完成数", "actual": f"目标低于{base_year}年全年实际数",
                    "point": f"目标低于{base_year}年现有水平"}.get(kind, f"目标低于{base_year}年已完成数")

        level = spec.get("level") or {}
        level_base = _lookup(level.get("baseline"), year=base_year, **look) if level and data_year == base_year \
            else float("nan")
        target_level = level_base + float(level["change"]) if level and not _isnan(level_base) else float("nan")

        pipe = _lookup(spec.get("pipeline"), year=base_year, **look) if spec.get("pipeline") else float("nan")
        cover = safe_divide(pipe, value) if not _isnan(pipe) and not _isnan(value) and value else float("nan")

        proposed = _proposal_total(proposals, item, groups)
        gap = value - proposed if not (_isnan(value) or _isnan(proposed)) else float("nan")
        reason = ""
        if not _isnan(gap) and higher and gap < 0:
            reason = str(spec.get("below_proposal_reason") or
                         f"采用的目标取自{origin}，尚未按建议规则调整，审定时应对照建议目标调整或说明理由")

        progress = _lookup(spec.get("status"), year=year, **look) if data_year == year else float("nan")
        if data_year < year:
            status_text = AWAITING.format(year=year)
        elif _isnan(progress):
            status_text = f"{year}年暂无报送数据"
        else:
            status_text = done_word(progress, value, higher_better=higher, done="已达到", not_done="进行中")
        rows.append({
            "entity_id": DISTRICT_ID, "year": year, "item": item, "name_zh": spec.get("name_zh", item),
            "target_value": value, "unit": spec.get("unit", ""), "comparison": comparison,
            "status": spec.get("status", ""), "status_label": spec.get("status_label", ""),
            "outlook": bool(spec.get("outlook", False)), "origin": origin,
            "baseline_year": base_year, "baseline_value": baseline, "baseline_text": b_text, "baseline_kind": kind,
            "baseline_source": b_source, "below_baseline": below, "flag_text": flag,
            "target_level": target_level, "level_baseline": level_base, "level_label": str(level.get("label", "")),
            "level_unit": str(level.get("unit", "")),
            "level_text": f"截至{date_zh(as_of_date(month))}{level.get('label', '')}" if level else "",
            "pipeline_value": pipe, "pipeline_cover": cover,
            "pipeline_label": str(spec.get("pipeline_label", "")), "data_year": data_year,
            "progress_value": progress, "status_text": status_text, "source_zh": str(spec.get("source_zh", "")),
            "part": str(spec.get("part", "")), "proposed_value": proposed, "proposal_gap": gap,
            "proposal_reason": reason,
        })
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def _district_ytd(financials: pd.DataFrame, item: str, roster: pd.DataFrame) -> pd.Series:
    groups = list(EnterpriseTree.from_roster(roster).groups)
    fin = financials.loc[financials["enterprise_id"].astype(str).isin(groups).to_numpy()]
    values = pd.to_numeric(fin[item], errors="coerce")
    months = fin["period"].astype("string").str.slice(0, 7).to_numpy()
    return values.groupby(months).sum(min_count=len(groups)).dropna()


def outlook_frame(tables: Mapping[str, pd.DataFrame], *, period: str, items: tuple[str, ...] = ("revenue",
                  "total_profit"), n_sims: int = 1000, paths: pd.DataFrame | None = None,
                  targets: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Next year's district outlook for YTD line items (``forecast.project_next_year``); empty if unavailable.

    ``paths`` is the shared step's stored ``forecast_paths``: when it holds the district's simulated
    paths of an item, next year starts from those year-end values (the projection every other reader
    shows) instead of projecting this year again. ``targets`` (item → next year's target): the
    probability of reaching it and the verdict (``forecast.target_status``) the sentence prints.
    Columns: :data:`OUTLOOK_COLUMNS`.
    """

    columns = OUTLOOK_COLUMNS
    rows = []
    fin = tables.get("financials")
    if fin is None or not len(fin):
        return pd.DataFrame(columns=columns)
    as_of = closed_month(period)
    for item in items:
        series = _district_ytd(fin, item, tables["roster"])
        this_year = None
        if paths is not None and len(paths):
            end = paths.loc[(paths["entity_id"].astype(str) == DISTRICT_ID) & (paths["item"] == item)
                            & (paths["month"].astype(str) == f"{as_of[:4]}-12"), "value"]
            this_year = end.to_numpy(dtype=float) if len(end) else None
        try:
            res = project_next_year(series, as_of=as_of, n_sims=n_sims, this_year=this_year,
                                    target=(targets or {}).get(item))
        except (ValueError, KeyError):
            continue
        rows.append({"entity_id": DISTRICT_ID, "item": item, "year": int(res["year"]), "median": res["median"],
                     "lo80": res["lo80"], "hi80": res["hi80"], "basis": res.get("basis", ""),
                     "prob_target": res["prob_target"], "target_status": res["target_status"]})
    return pd.DataFrame(rows, columns=columns)


#: Columns of ``narrative_outlook``
OUTLOOK_COLUMNS = ["entity_id", "item", "year", "median", "lo80", "hi80", "basis", "prob_target", "target_status"]


def shared_frames(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame, *, period: str,
                  outlook: bool = True, results: Mapping[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """Frames the review chapters read: ``line_items``, ``narrative_items``, ``narrative_targets``,
    ``narrative_outlook`` (empty when ``outlook`` is false or the forecast cannot be made).

    ``results`` are the other analyses' shared frames (``risk_list``, ``risk_flags`` …): the review
    quotes them instead of recomputing them.
    """
    results = results or {}

    panel = line_items(tables, period=period, roster=tables["roster"])
    next_year = parse_period(period).year + 1
    items = narrative_items(tables, indicators, period=period, panel=panel,
                            risk_list=results.get("risk_list"), risk_flags=results.get("risk_flags"))
    targets = target_frame(tables, year=next_year, period=period, indicators=indicators, items=items,
                           projections=results.get("forecast_projections"),
                           proposals=results.get("assessment_targets_proposed"))
    goals = {str(r["item"]): float(r["target_value"]) for r in targets.to_dict("records")
             if r["comparison"] != "at_most" and not _isnan(r["target_value"])}
    return {
        "line_items": panel,
        "narrative_items": items,
        "narrative_problems": problem_items(tables, indicators, period=period, results=results),
        "narrative_targets": targets,
        "narrative_outlook": outlook_frame(tables, period=period, paths=results.get("forecast_paths"), targets=goals)
        if outlook else pd.DataFrame(columns=OUTLOOK_COLUMNS),
    }


# ------------------------------------------------------------------------------------------------
# reading the shared frames (sections look numbers up; they compute nothing)
# ------------------------------------------------------------------------------------------------
def _frame(ctx, key: str) -> pd.DataFrame:
    if key == "indicators":
        return ctx.indicators
    return read_shared(ctx.processed_dir, key, optional=True)


def source_value(ctx, source: str) -> float:
    """The value a fact's ``source`` ("table:entity:item") points to in the shared results (NaN if absent)."""
    table, entity, item = source.split(":", 2)
    frame = _frame(ctx, table)
    if not len(frame):
        return float("nan")
    if table == "line_items":
        row = frame.loc[frame["entity_id"].astype(str) == entity]
        return float(row[item].iloc[0]) if len(row) and item in row.columns else float("nan")
    if table == "assessment_ranking":  # entity = year, item = status: number of enterprises
        year = pd.to_numeric(frame["year"], errors="coerce")
        return float(((year == int(entity)) & (frame["status"].astype(str) == item)).sum())
    key, column = {"indicators": ("indicator_id", "value"), "narrative_items": ("item", "value"),
                   "narrative_targets": ("item", "target_value")}.get(table, ("item", "value"))
    if table == "narrative_outlook":
        item, _, column = item.partition(".")
        column = column or "median"
    if table == "narrative_targets":
        item, _, column = item.partition(".")
        column = column or "target_value"
    row = frame.loc[(frame["entity_id"].astype(str) == entity) & (frame[key].astype(str) == item)]
    return float(row[column].iloc[0]) if len(row) else float("nan")


class _Lookup:
    """Facts of one context, looked up in the shared frames."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.items = _frame(ctx, "narrative_items")

    def fact(self, table: str, item: str, unit: str, *, entity: str = DISTRICT_ID, digits: int = 2,
             label: str = "") -> Fact:
        source = f"{table}:{entity}:{item}"
        return Fact(source_value(self.ctx, source), unit, source, digits, label)

    def ind(self, indicator_id: str, unit: str, **kw) -> Fact:
        return self.fact("indicators", indicator_id, unit, **kw)

    def line(self, column: str, unit: str, **kw) -> Fact:
        return self.fact("line_items", column, unit, **kw)

    def item(self, item: str, unit: str, **kw) -> Fact:
        if "label" not in kw and self.has(item):
            kw["label"] = str(self.items.loc[self.items["item"] == item, "label_zh"].iloc[0])
        return self.fact("narrative_items", item, unit, **kw)

    def has(self, item: str) -> bool:
        return len(self.items) > 0 and bool((self.items["item"] == item).any())

    def note(self, item: str) -> str:
        if not self.has(item):
            return ""
        value = self.items.loc[self.items["item"] == item, "note"].iloc[0]
        return "" if _isnan(value) or value is None else str(value)

    def note_label(self, item: str) -> str:
        """The rule name behind a key-supervision count (its label without the counting words)."""
        label = str(self.items.loc[self.items["item"] == item, "label_zh"].iloc[0])
        return label.removeprefix("因「").removesuffix("」列入名单的企业数")

    def with_prefix(self, prefix: str) -> pd.DataFrame:
        if not len(self.items):
            return self.items
        return self.items.loc[self.items["item"].astype(str).str.startswith(prefix)]


def _as_of_text(ctx) -> str:

    return date_zh(as_of_date(ctx.period))


def _year(ctx) -> int:

    return parse_period(ctx.period).year


def _missing(fact: Fact) -> bool:
    return _isnan(fact.value)


def _whole(ctx) -> str:
    """Who a district total covers: 全区国企, or only the enterprises that reported (an incomplete period)."""
    return "全区国企" if complete(ctx) else "已报送数据的国企"


# ------------------------------------------------------------------------------------------------
# chapter 一、工作完成情况
# ------------------------------------------------------------------------------------------------
def section_investment(ctx) -> Section:
    """（一）抓项目、促投资：fixed-asset projects, equity investment, city key projects, funds, listings."""
    L, w = _Lookup(ctx), _Writer()
    n = w.n
    paras = []
    rate = L.ind("investment_completion_rate", "%")
    gap = L.ind("investment_pace_gap", "百分点")
    text = (f"**一是有效投资稳步放量。**截至{_as_of_text(ctx)}，{_whole(ctx)}在建固定资产投资项目"
            f"{n(L.ind('projects_under_construction', '个'))}个，项目总投资{n(L.ind('project_total_investment', '亿元'))}亿元，"
            f"{PLAN_LABEL}{n(L.ind('project_annual_plan', '亿元'))}亿元；本年已完成投资"
            f"{n(L.ind('project_completed_ytd', '亿元'))}亿元，年度计划完成率{n(rate)}%，"
            f"{pace_word(gap.value)}序时进度{n(gap.magnitude())}个百分点。")
    target = L.item("investment_target", "亿元")
    if not _missing(target) and complete(ctx):  # every group's target against a partial total: left out
        completion = L.item("investment_target_completion", "%")
        text += (f"对照{TARGET_LABEL}（各集团合计）{n(target)}亿元，目标完成率{n(completion)}%，"
                 f"全年目标{done_word(completion.value, 100.0, done='已提前完成', not_done='尚未完成')}"
                 f"（{PLAN_TARGET_NOTE.removesuffix('。')}）。")
    eq_count = L.ind("equity_investment_count", "个")
    text += (f"股权投资项目共{n(eq_count)}个，本年完成投资{n(L.ind('equity_investment_completed', '亿元'))}亿元")
    sectors = L.with_prefix("equity_sector_completed[").head(TOP_SECTORS)
    if len(sectors):
        parts = []
        for item in sectors["item"]:
            name = item[len("equity_sector_completed["):-1]
            parts.append(f"{name}（{n(L.item(item, '亿元'))}亿元）")
        text += "，主要投向" + "、".join(parts) + "等领域"
    text += (f"；固定资产与股权投资合计中战略性新兴产业占{n(L.ind('strategic_emerging_share', '%'))}%。")
    city_rate = L.ind("city_key_completion_rate", "%")
    elapsed = L.line("elapsed_share", "%")  # share of the year, printed nowhere: wording only
    city_gap = city_rate.value - elapsed.value * 100 if not _missing(city_rate) else float("nan")
    text += (f"国资国企承担市级重点工程建设项目{n(L.ind('city_key_project_count', '个'))}个，项目总投资"
             f"{n(L.item('city_key_total_investment', '亿元'))}亿元，年度完成率{n(city_rate)}%，"
             + ("总体按计划有序推进。" if not _isnan(city_gap) and city_gap >= 0 else "进度慢于序时，需加快推进。"))
    paras.append(text)

    text = "**二是基金与上市培育协同发力。**"
    if L.has("fund_count"):
        names = L.note("fund_count")
        text += (f"{names}等{n(L.item('fund_count', '支'))}支国有基金实际在管规模{n(L.ind('fund_aum', '亿元'))}亿元，"
                 f"参股基金{n(L.ind('fund_sub_funds', '支'))}支，对外投资项目{n(L.ind('fund_projects', '个'))}个；")
        new = L.item("fund_new_kechuang_count", "支")
        text += (f"本年新组建科创基金{n(new)}支。" if new.value > 0 else "本年未新组建科创基金。")
    else:
        text += "本期未报送国有基金台账。"
    if L.has("listing_ipo_count"):
        text += (f"国资通过直接、间接投资方式累计推动{n(L.item('listing_ipo_count', '家'))}家企业实现IPO"
                 f"（其中省外企业{n(L.item('listing_ipo_out_of_province_count', '家'))}家），"
                 f"完成报辅、报会{n(L.item('listing_filed_count', '家'))}家，完成股改"
                 f"{n(L.item('listing_reformed_count', '家'))}家，另有{n(L.item('listing_started_count', '家'))}家启动上市流程。")
    else:
        text += "本期未报送上市培育台账。"
    paras.append(text)
    title = "（一）抓项目、促投资，国企发展积蓄新动能"
    return w.section(title, paras, ctx.period)


def section_reform(ctx) -> Section:
    """（二）强改革、注活水：idle-asset revitalisation, mixed-ownership reform, governance reforms."""
    L, w = _Lookup(ctx), _Writer()
    n = w.n
    paras = []
    found = L.ind("idle_assets_found", "个")
    if _missing(found):
        paras.append("**一是盘活存量资产。**本期未报送存量资产台账。")
    else:
        paras.append(
            f"**一是盘活存量资产扩大有效投资。**截至{_as_of_text(ctx)}，共梳理出国企待盘活存量资产项目{n(found)}个，"
            f"账面价值{n(L.item('idle_book_value', '亿元'))}亿元；经筛选，{n(L.ind('idle_assets_in_progress', '个'))}个项目"
            f"正在加快推进，{n(L.item('idle_revitalised_count', '个'))}个项目已完成盘活，本年盘活资产价值"
            f"{n(L.ind('revitalised_value_ytd', '亿元'))}亿元。")
    if L.has("mixed_reform_in_progress_count"):
        done = L.ind("mixed_reform_completed", "家")
        text = (f"**二是稳妥推进混合所有制改革。**对{n(L.item('mixed_reform_in_progress_count', '家'))}家"
                f"初步具备条件的子企业开展混改工作指导，另有{n(L.item('mixed_reform_reserve_count', '家'))}家列入储备，"
                f"混改储备库合计{n(L.ind('mixed_reform_pool', '家'))}家；")
        text += (f"本年已完成混改{n(done)}家。" if done.value > 0 else "本年尚无完成混改的企业。")
        paras.append(text)
        pilots = L.ind("incentive_pilots", "家")
        text = (f"**三是完善公司治理与激励。**已完成董事会建设{n(L.item('board_done_count', '家'))}家、"
                f"经理层任期制和契约化管理{n(L.item('tenure_done_count', '家'))}家；")
        text += (f"{n(pilots)}家企业已启动中长期激励。" if pilots.value > 0 else "中长期激励尚处于方案储备阶段。")
        paras.append(text)
    else:
        paras.append("**二是稳妥推进混合所有制改革。**本期未报送改革事项台账。")
    title = "（二）强改革、注活水，国有资本焕发新活力"
    return w.section(title, paras, ctx.period)


def _assessment_text(ctx, L: _Lookup, n) -> str:
    year = _year(ctx)
    ranking = _frame(ctx, "assessment_ranking")
    text = "**二是优化监督考核。**"
    if len(ranking) and "status" in ranking.columns:
        prev = ranking.loc[pd.to_numeric(ranking["year"], errors="coerce") == year - 1]
        formal = Fact(source_value(ctx, f"assessment_ranking:{year - 1}:正式考核"), "家",
                      f"assessment_ranking:{year - 1}:正式考核")
        if len(prev) and formal.value > 0:
            text += f"完成{n(formal)}家集团上年度经营业绩考核"
            trial = prev.loc[prev["status"].astype(str) == "试考核", "enterprise_name"].astype(str)
            if len(trial):
                text += f"，对{'、'.join(trial)}开展试考核"
            text += "；"
    if L.has("groups_with_targets_count"):
        text += f"完成{n(L.item('groups_with_targets_count', '家'))}家集团本年度考核目标制订。"
    else:
        text += f"全区共{n(L.item('group_count', '家'))}家集团纳入经营业绩考核。"
    return text


def section_risk(ctx) -> Section:
    """（三）防风险、优结构：ratings, financing fair, financing cost, assessment, key supervision, guarantees."""
    L, w = _Lookup(ctx), _Writer()
    n = w.n
    paras = []
    text = "**一是强化资金保障。**"
    if L.has("aa_plus_new_rank"):  # counted, not named: the review is published (names are in the ratings table)
        new, total = L.item("aa_plus_new_count", "家"), L.item("aa_plus_count", "家")
        text += f"本年新增{n(new)}家国资公司获得AA+主体信用等级，全区AA+及以上主体达到{n(total)}家。"
    elif L.has("aa_plus_count"):
        text += f"全区AA+及以上主体信用等级企业共{n(L.item('aa_plus_count', '家'))}家，本年无新增。"
    if L.has("fair_credit_count"):
        count = L.item("fair_credit_count", "笔")
        if count.value > 0:
            text += (f"召开国企投融资对接交流会，{n(L.item('fair_credit_enterprises', '家'))}家国企与金融机构签约授信"
                     f"{n(count)}笔，授信金额{n(L.item('fair_credit_amount', '亿元'))}亿元。")
    cost = L.ind("composite_financing_cost", "%")
    bp = L.ind("financing_cost_change_bp", "bp")
    if not complete(ctx):  # a partial district's cost is compared with nothing (the full year before)
        text += f"截至{_as_of_text(ctx)}，{_whole(ctx)}存量融资综合成本{n(cost)}%。"
    else:
        text += (f"截至{_as_of_text(ctx)}，存量融资综合成本{n(cost)}%，较上年同期{change_word(bp.value, up='上升')}"
                 f"{n(bp.magnitude())}个基点")
    if not complete(ctx):
        pass
    elif L.has("financing_cost_lowest_since_year"):
        since_year = L.item("financing_cost_lowest_since_year", "年")
        since_month = L.item("financing_cost_lowest_since_month", "月")
        if L.note("financing_cost_lowest_since_year") == L.note("financing_cost_history_start_year"):
            text += f"，为有记录的{n(since_year)}年{n(since_month)}月以来最低水平。"
        else:
            text += f"，创{n(since_year)}年{n(since_month)}月以来最低水平。"
    else:
        text += "。"
    paras.append(text)
    paras.append(_assessment_text(ctx, L, n))
    text = "**三是量化日常监管。**以财务管控为主线防控企业债务风险"
    if L.has("key_supervision_count"):
        total = L.item("key_supervision_count", "家")
        if total.value > 0:
            # counts only, as the published review does: names stay in the internal risk chapter
            head = f"，{n(total)}家企业列入重点监管对象："  # facts are numbered in the order printed
            parts = []
            for item in L.with_prefix(KEY_RULE_COUNT)["item"]:
                rule_id = item[len(KEY_RULE_COUNT):]
                label = L.note_label(item)
                limit = f"{KEY_RULE_THRESHOLD}{rule_id}"
                shown = f"（{n(L.item(limit, '%', digits=0))}%）" if L.has(limit) else ""
                parts.append(f"{label}{shown}{n(L.item(item, '家'))}家")
            text += head + "，".join(parts)
        elif complete(ctx):
            text += "，本期没有企业列入重点监管对象"
        else:  # no statement of absence from absent data
            text += "，已报送数据的企业中没有企业列入重点监管对象（未报送企业未作判断）"
    text += f"；{_whole(ctx)}资产负债率{n(L.ind('debt_to_asset_ratio', '%'))}%。"
    nr_count = L.item("non_related_guarantee_count", "笔")
    above_count = L.item("above_share_guarantee_count", "笔")
    if _missing(nr_count):
        text += "本期未报送对外担保台账。"
    elif nr_count.value > 0 or above_count.value > 0:
        text += "严控为非关联企业和超股比担保："
        parts = []
        if nr_count.value > 0:
            parts.append(f"对非关联企业担保{n(nr_count)}笔、金额{n(L.ind('non_related_guarantee', '亿元'))}亿元")
        if above_count.value > 0:
            parts.append(f"超股比担保{n(above_count)}笔、金额{n(L.ind('above_share_guarantee', '亿元'))}亿元")
        text += "，".join(parts) + "。"
    elif complete(ctx):
        text += "全区国企未发生为非关联企业担保和超股比担保。"
    else:
        text += "已报送数据的企业未发生为非关联企业担保和超股比担保（未报送企业未作判断）。"
    paras.append(text)
    paras.append(huiju_text(ctx, n))  # issue 17: 国资慧聚, written from the ledgers
    title = "（三）防风险、优结构，国资监管取得新成效"
    return w.section(title, paras, ctx.period)


def _count_zh(count: int) -> str:
    """A small count in words (六家), so that every figure in the text is a traced fact."""
    return ("一二三四五六七八九十"[count - 1] + "家") if 1 <= count <= 10 else "多家"


def _zh_number(n: int) -> str:
    """A small whole number in words (六, 十二, 二十四): for spans of months, which are settings, not facts."""
    d = "零一二三四五六七八九"
    if n < 10:
        return d[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else d[tens]) + "十" + (d[ones] if ones else "") if n < 100 else str(n)


class _Problems:
    """Facts of the stored ``narrative_problems`` (one context)."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.frame = _frame(ctx, "narrative_problems")

    def rows(self, entity: str | None = None, prefix: str = "") -> pd.DataFrame:
        f = self.frame
        if not len(f):
            return f
        keep = f["item"].astype(str).str.startswith(prefix)
        if entity is not None:
            keep &= f["entity_id"].astype(str) == entity
        return f.loc[keep.to_numpy()]

    def fact(self, entity: str, item: str, unit: str, *, digits: int = 2) -> Fact:
        row = self.rows(entity, item)
        row = row.loc[row["item"].astype(str) == item]
        label = str(row["label_zh"].iloc[0]) if len(row) else item
        return Fact(source_value(self.ctx, f"narrative_problems:{entity}:{item}"), unit,
                    f"narrative_problems:{entity}:{item}", digits, label)

    def has(self, entity: str, item: str) -> bool:
        rows = self.rows(entity, item)
        return bool(len(rows) and (rows["item"].astype(str) == item).any())


def _pace_paragraph(ctx, L: _Lookup, P: _Problems, n, names: dict, indicator: str, label: str) -> str:
    """「**…目标完成进度偏慢。**」: the district's gap to 序时进度 and the groups furthest behind, named."""
    groups = list(ctx.tree.groups)
    gaps = [(g, P.fact(g, f"pace_gap[{indicator}]", "百分点")) for g in groups]
    behind = sorted([(g, f) for g, f in gaps if not _missing(f) and f.value < 0], key=lambda x: x[1].value)
    if not behind:
        return ""
    text = f"**{label}目标完成进度偏慢。**截至{_as_of_text(ctx)}，"
    district = P.fact(DISTRICT_ID, f"pace_gap[{indicator}]", "百分点")
    if not _missing(district) and district.value < 0:
        text += (f"{_whole(ctx)}{label}目标完成率{n(L.ind(indicator, '%'))}%，慢于序时进度"
                 f"{n(district.magnitude())}个百分点；")
    every = len(behind) == len(groups)
    text += f"{_count_zh(len(behind))}集团{'均' if every else ''}慢于序时进度"
    shown = behind[:2]
    parts = [f"{names.get(g, g)}（完成{n(L.ind(indicator, '%', entity=g))}%，慢{n(f.magnitude())}个百分点）"
             for g, f in shown]
    text += ("，差距最大的是" if len(behind) > 1 else "：") + "、".join(parts) + "。"
    return text


def _fall_paragraph(ctx, L: _Lookup, P: _Problems, n, names: dict) -> str:
    """「**部分集团效益下滑。**」: each group whose profit fell notably, with the line items that drove the fall
    (attribution.drivers) and those that softened it (attribution.offsets)."""
    fell = [g for g in ctx.tree.groups if P.has(g, "profit_change")]
    if not fell:
        return ""
    fell.sort(key=lambda g: P.fact(g, "profit_change", "亿元").value)
    district = L.ind("total_profit_growth", "%")
    text = (f"**{'个别' if len(fell) == 1 else '部分'}集团效益下滑。**{_whole(ctx)}利润总额同比"
            f"{change_word(district.value)}{n(district.magnitude())}%，{'但' if district.value > 0 else '其中'}")
    pieces = []
    for g in fell:
        growth = L.ind("total_profit_growth", "%", entity=g)
        change = P.fact(g, "profit_change", "亿元")
        piece = (f"{names.get(g, g)}利润总额同比下降{n(growth.magnitude())}%、减少{n(change.magnitude())}亿元")

        def items(kind: str) -> list[str]:
            rows = P.rows(g, f"profit_{kind}[").sort_values("note", key=lambda c: pd.to_numeric(c, errors="coerce"))
            out = []
            for item in rows["item"].astype(str):
                name = item[len(f"profit_{kind}["):-1]
                f = P.fact(g, item, "亿元")
                out.append(f"{_line_name(name)}{change_word(f.value, up='增加', down='减少')}{n(f.magnitude())}亿元")
            return out

        drivers, offsets = items("driver"), items("offset")
        if drivers:
            piece += "，主要来自" + "、".join(drivers)
        if offsets:
            piece += "；" + "、".join(offsets) + "，部分抵消了下降"
        pieces.append(piece)
    return text + "；".join(pieces) + "。"


def _maturity_paragraph(ctx, L: _Lookup, P: _Problems, n, names: dict) -> str:
    """「**债务集中到期风险需重点防范。**」 when the risk engine flagged a maturity wall or a cash cover below
    its line: the enterprise named with its wall month, amount and share, its cover (the shortest flagged
    window), the district's 现金短债比 (when flagged) and the district's peak month."""
    walls = [e for e in dict.fromkeys(P.rows(prefix="wall_amount")["entity_id"].astype(str))] if len(P.frame) else []
    if not walls:
        return ""
    walls.sort(key=lambda e: -P.fact(e, "wall_amount", "亿元").value)
    text = "**债务集中到期风险需重点防范。**"
    pieces = []
    for e in walls:
        year = int(P.fact(e, "wall_year", "年").value)
        window = int(P.rows(e, "wall_window")["note"].iloc[0] or 12) if P.has(e, "wall_window") else 12
        piece = (f"{names.get(e, e)}{year}年{n(P.fact(e, 'wall_month', '月'))}月到期融资{n(P.fact(e, 'wall_amount', '亿元'))}"
                 f"亿元，占其未来{_zh_number(window)}个月到期融资的{n(P.fact(e, 'wall_share', '%'))}%")
        covers = P.rows(e, "cover_ratio[")
        if len(covers):
            months = min(int(str(i)[len("cover_ratio["):-1]) for i in covers["item"])
            piece += (f"；未来{_zh_number(months)}个月内到期融资{n(P.fact(e, f'cover_due[{months}]', '亿元'))}亿元，"
                      f"可用资金（货币资金与未使用授信）{n(P.fact(e, f'cover_available[{months}]', '亿元'))}亿元，"
                      f"覆盖倍数仅{n(P.fact(e, f'cover_ratio[{months}]', '倍'))}倍")
        pieces.append(piece)
    text += "；".join(pieces) + "。"
    district = []
    if P.has(DISTRICT_ID, f"flagged[{CASH_RULE}]"):
        district.append(f"{_whole(ctx)}现金短债比{n(L.ind('cash_to_short_term_debt', '倍'))}倍")
    if P.has(DISTRICT_ID, "peak_amount"):
        span = int(P.rows(DISTRICT_ID, "peak_amount")["note"].iloc[0] or 24)
        year = int(P.fact(DISTRICT_ID, "peak_year", "年").value)
        district.append(f"未来{_zh_number(span)}个月中到期最集中的是{year}年{n(P.fact(DISTRICT_ID, 'peak_month', '月'))}月，"
                        f"当月全区到期{n(P.fact(DISTRICT_ID, 'peak_amount', '亿元'))}亿元")
    if district:
        text += "，".join(district) + "。"
    return text + "须督促相关企业提前落实偿债资金，合理安排债务期限，防范集中兑付风险。"


def section_problems(ctx) -> Section:
    """存在的问题: the largest shortfalls and their causes, and the risk that matters, drawn from the data.

    Targets behind 序时进度 (the district's gap and the groups furthest behind, named); groups whose
    profit fell notably, with the line items that drove the fall (stored ``narrative_problems``, from
    :mod:`~guozi_analysis.analyses.attribution`); investment behind pace; the debt-maturity wall and cash
    cover the risk engine flagged, with the enterprise named; the key-supervision list. Every number
    printed is a fact of the indicator table, the review's items or ``narrative_problems``.
    """
    L, w, P = _Lookup(ctx), _Writer(), _Problems(ctx)
    n = w.n
    names = short_names(ctx)
    paras = [_pace_paragraph(ctx, L, P, n, names, ind, label) for ind, label in PACE_INDICATORS.items()]
    paras.append(_fall_paragraph(ctx, L, P, n, names))
    gap = L.ind("investment_pace_gap", "百分点")
    if not _missing(gap) and gap.value < 0:
        rate = L.ind("investment_completion_rate", "%")
        paras.append(f"**投资进度滞后。**{_whole(ctx)}本年完成投资占年度计划的{n(rate)}%，慢于序时进度"
                     f"{n(gap.magnitude())}个百分点。")
    paras.append(_maturity_paragraph(ctx, L, P, n, names))
    if L.has("key_supervision_count"):
        total = L.item("key_supervision_count", "家")
        if total.value > 0:
            paras.append(f"**部分企业风险仍需关注。**{n(total)}家企业列入重点监管对象，"
                         f"{_whole(ctx)}资产负债率{n(L.ind('debt_to_asset_ratio', '%'))}%，须逐户跟踪化解。")
    paras = [p for p in paras if p]
    title = "（四）存在的问题"
    if not paras:
        paras = ["本期数据未显示目标完成、投资进度或风险方面需要单列的问题。" if complete(ctx) else
                 "已报送数据的企业未显示目标完成、投资进度或风险方面需要单列的问题；本期数据不完整，未报送企业未作判断。"]
    return w.section(title, paras, ctx.period)


def huiju_text(ctx, n) -> str:
    """The 国资慧聚 paragraph: what the system covers, from ``contract_summary`` (contracts tracked, amount,
    transactions tied to contracts, warnings raised, inspection findings raised and closed). ``n`` prints
    and records a fact (``_Writer.n``)."""

    def f(item: str, unit: str) -> Fact:
        return Fact(source_value(ctx, f"contract_summary:{DISTRICT_ID}:{item}"), unit,
                    f"contract_summary:{DISTRICT_ID}:{item}", label=dict(SUMMARY_ITEMS)[item])

    text = "**四是建设“国资慧聚”监管平台。**"
    contracts = f("contracts", "份")
    if _missing(contracts):
        text += "本期未报送合同台账，合同全轨迹管理尚未覆盖。"
    else:
        text += (f"推进交易数据贯通和合同全轨迹管理，已跟踪{n(f('enterprises', '家'))}家企业的合同{n(contracts)}份、"
                 f"金额{n(f('contract_amount', '亿元'))}亿元")
        trx = f("transactions", "笔")
        if not _missing(trx):
            text += f"，收付款流水{n(trx)}笔、{n(f('transaction_amount', '亿元'))}亿元，其中{n(f('linked_share', '%'))}%与合同对应"
        text += f"；按合同与督查预警规则提示风险{n(f('warnings', '条'))}条。"
    findings = f("findings", "项")
    if _missing(findings):
        text += "本期未报送督查问题台账。"
    else:
        text += (f"建立国资前哨督查机制，督查、审计、巡察等发现问题{n(findings)}项，已整改或销号"
                 f"{n(f('findings_closed', '项'))}项，逾期未整改{n(f('findings_overdue', '项'))}项，实行发现、核查、"
                 "处置闭环管理。")
    return text


def review_sections(ctx) -> list[Section]:
    """The three sections of chapter 一 in order."""
    return [section_investment(ctx), section_reform(ctx), section_risk(ctx)]


# ------------------------------------------------------------------------------------------------
# chapter 二、工作思路: tracked targets
# ------------------------------------------------------------------------------------------------
_COMPARISON_ZH = {"at_least": "不少于", "more_than": "超过", "at_most": "不高于"}


def _shown(unit: str) -> str:
    return "亿元" if unit == "万元" else unit


def _target_phrase(row, fact: Fact, n) -> str:
    unit = row["unit"]
    if unit == "bp":
        word = change_word(fact.value)
        return f"较上年同期{word}{n(fact.magnitude())}个基点以上" if row["comparison"] == "at_most" and fact.value < 0 \
            else f"{_COMPARISON_ZH.get(row['comparison'], '')}{n(fact)}个基点"
    return f"{_COMPARISON_ZH.get(row['comparison'], '')}{n(fact)}{_shown(unit)}"


def _target_fact(row, column: str, unit: str, label: str, *, digits: int = 2) -> Fact:
    item = row["item"] if column == "target_value" else f"{row['item']}.{column}"
    return Fact(row[column], unit, f"narrative_targets:{DISTRICT_ID}:{item}", digits=digits, label=label)


def _baseline_part(row, n) -> str:
    """「2022年基准：…」: the previous year's value the target is compared with, and the flag."""
    unit, year = row["unit"], int(row["baseline_year"])
    base = _target_fact(row, "baseline_value", _shown(unit), f"{row['name_zh']}（{year}年基准）")
    text = f"{year}年基准："
    if _missing(base):
        text += row["baseline_text"]
    elif unit == "bp":
        text += f"{row['baseline_text']}为{change_word(base.value, up='上升')}{n(base.magnitude())}个基点"
    else:
        text += f"{row['baseline_text']}{n(base)}{_shown(unit)}"
    level = _target_fact(row, "target_level", row["level_unit"], f"{row['name_zh']}（{int(row['year'])}年目标水平）")
    if not _missing(level):
        lb = _target_fact(row, "level_baseline", row["level_unit"], f"{row['level_label']}（{year}年基准）")
        text += (f"，{row['level_label']}{n(lb)}{row['level_unit']}，"
                 f"目标即{int(row['year'])}年同期不高于{n(level)}{row['level_unit']}")
    pipe = _target_fact(row, "pipeline_value", _shown(unit), row["pipeline_label"])
    if not _missing(pipe):
        text += f"；{row['pipeline_label']}{n(pipe)}{_shown(unit)}"
        cover = _target_fact(row, "pipeline_cover", "倍", f"{row['pipeline_label']}可覆盖目标倍数", digits=1)
        if unit == "万元" and not _missing(cover):  # an amount in reserve against an amount to reach
            text += f"，储备可覆盖目标{n(cover)}倍"
    if bool(row["below_baseline"]):
        text += f"（{row['flag_text']}）"
    return text


def _proposal_part(row, n) -> str:
    """「；按附录…规则测算的建议目标合计…，采用目标低于建议…：<reason>」 where the assessment proposes
    this item (revenue, profit) and the adopted target differs from the proposal; empty otherwise."""
    unit, year = row["unit"], int(row["year"])
    proposed = _target_fact(row, "proposed_value", _shown(unit), f"{row['name_zh']}（{year}年建议目标合计）")
    if _missing(proposed) or _isnan(row["target_value"]):
        return ""
    gap = _target_fact(row, "proposal_gap", _shown(unit), f"{row['name_zh']}（{year}年目标与建议目标之差）")
    text = (f"；按附录“下一年度目标建议”的规则（{PROPOSAL_RULE_ZH}）测算，各集团建议目标合计"
            f"{n(proposed)}{_shown(unit)}")
    if gap.value == 0:
        return text + "，与采用目标一致"
    text += f"，采用目标{'低于' if gap.value < 0 else '高于'}建议{n(gap.magnitude())}{_shown(unit)}"
    return text + (f"，不满足该规则：{row['proposal_reason']}" if row["proposal_reason"] else "")


def _progress_part(row, n, ctx) -> str:
    year = int(row["year"])
    text = f"{year}年进展："
    progress = _target_fact(row, "progress_value", _shown(row["unit"]), row["status_label"])
    if int(row["data_year"]) < year or _missing(progress):
        text += str(row["status_text"])
    else:
        text += f"截至{_as_of_text(ctx)}，{row['status_label']}{n(progress)}{_shown(row['unit'])}，{row['status_text']}"
    return text + (f"（逐月跟踪，数据来源：{row['source_zh']}）" if row["source_zh"] else "")


def _in_plan_year(row) -> bool:
    """Whether the data are of the plan's own year (only then has a target any progress to report)."""
    return int(row["data_year"]) >= int(row["year"])


def plan_lines(ctx) -> list[tuple[dict, list[Fact], str]]:
    """Each tracked target as ``(row, facts, text)``: target, previous-year baseline, progress, projection.

    Every number is a :class:`Fact` of the stored ``narrative_targets`` / ``narrative_outlook``; every
    year is named (2023年目标, 2022年基准, 2023年进展, 2023年预测). Progress is said only once the data
    are of the plan year (a plan written in 2022 has no 2023 progress).
    """
    targets = _frame(ctx, "narrative_targets")
    outlook = _frame(ctx, "narrative_outlook")
    out = []
    for row in targets.to_dict("records"):
        w = _Writer()
        n = w.n
        unit, year = row["unit"], int(row["year"])
        target = _target_fact(row, "target_value", _shown(unit), f"{row['name_zh']}（{year}年目标）",
                              digits=0 if unit == "bp" else 2)
        text = f"**{row['name_zh']}**：{year}年目标"
        text += "未设定" if _missing(target) else _target_phrase(row, target, n)
        text += "；" + _baseline_part(row, n)
        text += _proposal_part(row, n)
        if _in_plan_year(row):  # a plan written before its year has no progress to report
            text += "；" + _progress_part(row, n, ctx)
        if row["outlook"]:
            text += f"；{year}年预测："
            proj = outlook.loc[outlook["item"].astype(str) == row["item"]] if len(outlook) else outlook
            if len(proj) and not _isnan(proj["median"].iloc[0]):
                src = f"narrative_outlook:{DISTRICT_ID}:{row['item']}"
                med = Fact(float(proj["median"].iloc[0]), _shown(unit), f"{src}.median",
                           label=f"{row['name_zh']}{year}年预测中位数")
                lo = Fact(float(proj["lo80"].iloc[0]), _shown(unit), f"{src}.lo80",
                          label=f"{row['name_zh']}{year}年预测区间下限")
                hi = Fact(float(proj["hi80"].iloc[0]), _shown(unit), f"{src}.hi80",
                          label=f"{row['name_zh']}{year}年预测区间上限")
                text += (f"预计{n(med)}{_shown(unit)}（八成概率区间{n(lo)}～{n(hi)}{_shown(unit)}，"
                         f"{proj['basis'].iloc[0]}）")
                verdict = str(proj["target_status"].iloc[0]) if "target_status" in proj else ""
                if not _missing(target) and verdict and verdict != "nan":  # read from P(target), not the median
                    text += "，" + _VERDICT_PHRASES.get(verdict, verdict)
            else:
                text += "暂无预测"
        text, used = w.done(text + "。")
        out.append((row, used, text))
    return out


_PART_NUMBERS = "一二三四五六七八九十"

#: How the stored verdict on a target (``forecast.target_status``) reads after the projection
_VERDICT_PHRASES = {"预计完成": "预计可完成目标", "完成存在不确定性": "完成目标存在不确定性", "存在缺口": "预计存在缺口"}


def plan_draft(year: int) -> dict:
    """The district's plan draft for ``year`` (``params/plan_<year>.yaml``, else the 2023 draft): its
    指导思想 and parts, each with measures (``lead``, ``text``, ``targets``). Line breaks and spaces of the
    YAML's folded text are dropped (Chinese text has none)."""
    name = f"plan_{year}.yaml"
    if not (config.PARAMS_DIR / name).exists():
        name = "plan_2023.yaml"
    draft = load_yaml(name)

    def clean(text) -> str:
        return re.sub(r"\s+", "", str(text or ""))

    parts = [{"title": clean(p.get("title")),
              "measures": [{"lead": clean(m.get("lead")), "text": clean(m.get("text")),
                            "targets": [str(t) for t in (m.get("targets") or [])]} for m in p.get("measures") or []]}
             for p in draft.get("parts") or []]
    return {"year": int(draft.get("year", year)), "guiding": clean(draft.get("guiding")), "parts": parts}


def section_plan(ctx) -> Section:
    """二、工作思路: the district's plan draft (:func:`plan_draft`) — the 指导思想 paragraph, then each part
    with its measures (一是、二是……) and, under each measure, the quantified targets it carries (from
    :func:`plan_lines`: target, previous-year baseline, projection; progress once the plan year's data
    exist). A target no measure names is listed at the end of its part (``part`` of the targets file)."""
    lines = plan_lines(ctx)
    year = _year(ctx) + 1
    title = f"{year}年工作思路"
    draft = plan_draft(year)
    by_item = {str(row["item"]): (f, text) for row, f, text in lines}
    part_of = {str(row["item"]): str(row.get("part") or "") for row, _, _ in lines}
    parts = list(draft["parts"])
    titles = [p["title"] for p in parts]
    parts += [{"title": t, "measures": []} for t in dict.fromkeys(part_of.values()) if t not in titles]
    body = [f"**指导思想。**{draft['guiding']}", ""] if draft["guiding"] else []
    facts: list[Fact] = []
    placed: set[str] = set()

    def targets(items: list[str]) -> None:
        for item in items:
            if item in by_item and item not in placed:
                f, text = by_item[item]
                body.append(f"- {text}")
                facts.extend(f)
                placed.add(item)
        body.append("")

    for k, part in enumerate(parts):
        heading = f"（{_PART_NUMBERS[k]}）{part['title']}" if part["title"] and k < 10 else (part["title"] or "其他目标")
        body += [f"### {heading}", ""]
        for j, measure in enumerate(part["measures"]):
            lead = f"{_PART_NUMBERS[j]}是{measure['lead']}" if j < 10 else measure["lead"]
            body += [f"**{lead}。**{measure['text']}", ""]
            mine = [t for t in measure["targets"] if t in by_item]
            if mine:
                body += ["量化目标：", ""]
                targets(mine)
        rest = [item for item, p in part_of.items() if p == part["title"] and item not in placed]
        if rest:
            body += ["本部分其他量化目标：" if part["measures"] else "量化目标：", ""]
            targets(rest)
    if lines:
        body.append(f"量化目标的目标值取自年度目标表或重点工作任务台账，并与{year - 1}年基准比较（有全年预计数的，"
                    f"以全年预计或全年实际比较，全年对全年），低于上年的目标单独标出；"
                    f"{year}年起按月跟踪各项目标进展（目标跟踪表）。")
    return Section(title, "\n".join(body) + "\n", tuple(facts), ctx.period)


def plan_table(ctx) -> pd.DataFrame:
    """The tracked targets as printed: each figure with its own unit (the rows' units differ), the
    baseline's definition, the comparison, the progress with its status (once the data are of the plan
    year), the projection and where target and progress come from. Every cell is text and says why when
    there is no figure."""
    rows = []
    for row, _, _ in plan_lines(ctx):
        unit, year, base_year = row["unit"], int(row["year"]), int(row["baseline_year"])
        shown = _shown(unit)

        def value(column: str, fallback: str, digits: int = 2, unit: str = shown) -> str:
            fact = _target_fact(row, column, unit, "", digits=digits)
            return fallback if _missing(fact) else f"{fact.text()}{_UNIT_WORDS.get(unit, unit)}"

        target = value("target_value", "未设定", 0 if unit == "bp" else 2)
        if row["below_baseline"]:
            compare = row["flag_text"]
        elif _isnan(row["baseline_value"]) or _isnan(row["target_value"]):
            compare = "无可比基准"
        elif unit == "bp":
            compare = "按上年同期水平下降"
        else:
            compare = "不低于上年" if row["target_value"] >= row["baseline_value"] else row["flag_text"]
        proposed = value("proposed_value", "")
        if proposed:  # the assessment's proposal rule (附录), beside the adopted target
            compare += (f"；低于附录建议目标{proposed}：{row['proposal_reason']}" if row["proposal_reason"]
                        else f"；不低于附录建议目标{proposed}")
        level = value("target_level", "", unit=row["level_unit"])
        has_level = level != ""
        if has_level:
            compare += f"：目标水平不高于{level}（{base_year}年基准下降{abs(row['target_value']):g}个基点）"
        median = Fact(np.nan, shown, "")
        outlook = _frame(ctx, "narrative_outlook")
        hit = outlook.loc[outlook["item"].astype(str) == row["item"]] if len(outlook) else outlook
        if row["outlook"] and len(hit):
            median = Fact(float(hit["median"].iloc[0]), shown, "")
        status = str(row["status_text"])
        progress = value("progress_value", status)
        rows.append({
            "目标": row["name_zh"],
            f"{year}年目标": target,
            f"{base_year}年基准": (value("level_baseline", str(row["baseline_text"]), unit=row["level_unit"])
                                  if has_level else value("baseline_value", str(row["baseline_text"]))),
            "基准口径": (f"{row['level_text']}" if has_level else str(row["baseline_text"]) if not _isnan(row["baseline_value"])
                       else "无上年数据"),
            "目标与基准比较": compare,
            **({f"{year}年进展": progress if progress == status else f"{progress}（{status}）"}
               if _in_plan_year(row) else {}),  # before the plan year: no progress column at all
            f"{year}年预测": (f"{median.text()}{shown}" if not _missing(median) else
                             ("暂无预测（预测模块未给出）" if row["outlook"] else "不作预测（逐月跟踪实际进展）")),
            "来源": f"目标：{row['origin']}；进展：{row['source_zh'] or '未指定'}",
        })
    return pd.DataFrame(rows).set_index("目标") if rows else pd.DataFrame()


#: How a unit reads after a number in a table cell
_UNIT_WORDS = {"bp": "个基点"}


# ------------------------------------------------------------------------------------------------
# display
# ------------------------------------------------------------------------------------------------
def _join(title: str, paragraphs: list[str]) -> str:
    return f"### {title}\n\n" + "\n\n".join(paragraphs) + "\n"


#: Full dates (the as-of date): their digits are never facts of their own.
_DATE_SPANS = re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}日")


def _link_facts(section: Section, key: str) -> tuple[str, list[int]]:
    """The section's Markdown with each printed number linked to its row in the sources appendix.

    Fact ``k`` (1-based) becomes ``[[text](#src-<key>-<k>)]{#ref-<key>-<k>}``: a link to its row
    and an anchor the row links back to. Numbers inside dates are never taken for facts; a fact
    whose text cannot be found stays plain (and its row has no back link). Returns the Markdown and
    the numbers of the facts that were linked.
    """
    md = section.markdown
    dates = [m.span() for m in _DATE_SPANS.finditer(md)]
    out, pos, linked = [], 0, []
    for k, fact in enumerate(section.facts, start=1):
        text = fact.text()
        pattern = re.compile(r"(?<![\d.,])" + re.escape(text) + r"(?![\d]|[.,]\d)")
        for match in pattern.finditer(md, pos):
            if not any(a <= match.start() < b for a, b in dates):
                out += [md[pos:match.start()], f"[[{text}](#src-{key}-{k})]{{#ref-{key}-{k}}}"]
                pos = match.end()
                linked.append(k)
                break
    out.append(md[pos:])
    return "".join(out), linked


def linked_markdown(section: Section, key: str) -> str:
    """The section's Markdown with each number linked to its own row of the sources appendix (see
    :func:`_link_facts`)."""
    return _link_facts(section, key)[0]


def show(section: Section, *, key: str | None = None):
    """Display a section's Markdown in a notebook (and in the rendered book).

    With ``key``, every number links to its row in the sources appendix (:func:`sources_appendix`).
    """

    return markdown_with_figures(linked_markdown(section, key) if key else section.markdown, section.figures())


def sources_table(section: Section, *, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The numbers a section printed, in order, with where each comes from (the "cite" table).

    ``names`` maps enterprise codes to the names printed in the 对象 column (codes are never printed).
    """

    meta = catalogue_frame().set_index("id")["name_zh"]
    names = names or {}
    rows = []
    for fact in section.facts:
        table, entity, item = fact.parts
        if table == "indicators":
            name = str(meta.get(item, item))
        elif table == "line_items":
            name = item_name(item)
        else:
            name = fact.label or item
        who = "全区" if entity == DISTRICT_ID else names.get(entity, "所属企业" if not entity.isdigit() else f"{entity}年")
        rows.append({"数值": fact.text(), "单位": fact.unit, "来源表": SOURCE_TABLES_ZH.get(table, table),
                     "对象": who, "项目": name})
    return pd.DataFrame(rows, columns=["数值", "单位", "来源表", "对象", "项目"])


#: The sections whose numbers the sources appendix lists, with the key their links use.
def cited_sections(ctx) -> list[tuple[str, Section]]:
    """(key, section) of every section of the review body that prints numbers, in reading order."""
    keys = ("investment", "reform", "risk")
    return [("headline", section_headline(ctx)), *zip(keys, review_sections(ctx)), ("problems", section_problems(ctx)),
            ("plan", section_plan(ctx))]


def _cell(text) -> str:
    return str(text).replace("|", "／").replace("\n", " ")


def sources_appendix(ctx):
    """The one sources appendix: every number of the review body, one row each, with a link back.

    Each row carries the anchor ``src-<section>-<k>`` the number in the text links to, and a link
    back to the number (``ref-<section>-<k>``) when the number was found in the text.
    """
    names = dict(zip(ctx.roster["enterprise_id"].astype(str), ctx.roster["name"].astype(str)))
    lines = ["正文中的每个数字都链接到本附录中的一行；每行的“返回”链接回到正文中的该数字。各项指标的公式和依据"
             "（所依据文件的文号与条目，或注明本区定义）见附录“指标词典”。", ""]
    for key, section in cited_sections(ctx):
        if not section.facts:
            continue
        _, linked = _link_facts(section, key)
        table = sources_table(section, names=names)
        lines += [f"## {section.title} {{.unnumbered}}", "",
                  "| 序号 | 数值 | 单位 | 来源表 | 对象 | 项目 | 返回 |", "|---|---|---|---|---|---|---|"]
        for k, row in enumerate(table.itertuples(index=False), start=1):
            back = f"[返回](#ref-{key}-{k})" if k in linked else ""
            lines.append(f"| [{k}]{{#src-{key}-{k}}} | {_cell(row.数值)} | {_cell(row.单位)} | {_cell(row.来源表)} | "
                         f"{_cell(row.对象)} | {_cell(row.项目)} | {back} |")
        lines.append("")
    return markdown("\n".join(lines))


def _verdict(revenue_growth: float, profit_growth: float) -> str:
    """The overall paragraph's judgement, from the two growth rates (营业收入, 利润总额)."""
    if _isnan(revenue_growth) or _isnan(profit_growth):
        return ""
    up = (revenue_growth >= 0) + (profit_growth >= 0)
    return {2: "总体平稳、稳中有进", 1: "总体平稳，部分指标承压"}.get(up, "面临下行压力")


def section_headline(ctx) -> Section:
    """The review's opening paragraph: the year as a whole — 资产总额 and 资产负债率 with their 同比, 营业总收入
    (with 营业收入同比), 利润总额 and its 同比, 完成投资 against the annual plan — the same stored indicators
    附录A prints (one figure, one value). An incomplete period prints no comparison with last year."""
    L, w = _Lookup(ctx), _Writer()
    n = w.n
    year = _year(ctx)
    growth, pgrowth = L.ind("revenue_growth", "%"), L.ind("total_profit_growth", "%")
    full = complete(ctx)
    verdict = _verdict(growth.value, pgrowth.value) if full else ""
    text = (f"{year}年以来，区国资系统坚持稳中求进，以月通报、季分析、年总结和半月晾晒压实企业责任，推动国有企业扩投资、"
            f"稳增长、盘资产、防风险，全区国有企业经济运行{verdict or '情况如下'}。")
    assets = L.ind("total_assets", "亿元")
    text += f"截至{_as_of_text(ctx)}，{_whole(ctx)}资产总额{n(assets)}亿元"
    if full:
        g = L.item("total_assets_growth", "%")
        text += f"，同比{change_word(g.value)}{n(g.magnitude())}%"
    text += f"；资产负债率{n(L.ind('debt_to_asset_ratio', '%'))}%"
    if full:
        d = L.item("debt_ratio_change", "百分点")
        text += f"，较上年同期{change_word(d.value, up='上升')}{n(d.magnitude())}个百分点"
    text += f"。本年累计实现营业总收入{n(L.ind('revenue', '亿元'))}亿元"
    if full:
        text += f"，其中营业收入同比{change_word(growth.value)}{n(growth.magnitude())}%"
    text += f"；利润总额{n(L.ind('total_profit', '亿元'))}亿元"
    if full:
        text += f"，同比{change_word(pgrowth.value)}{n(pgrowth.magnitude())}%"
    text += (f"；完成固定资产投资{n(L.ind('project_completed_ytd', '亿元'))}亿元，为{PLAN_LABEL}的"
             f"{n(L.ind('investment_completion_rate', '%'))}%。")
    body, used = w.done(text)
    return Section("全年总体情况", body + "\n", tuple(used), ctx.period)


def review_intro(ctx):
    """The chapter's opening paragraph (:func:`section_headline`, numbers linked to the sources appendix),
    then what the figures cover and their as-of date."""
    section = section_headline(ctx)
    missing = coverage_sentence(ctx)  # an incomplete period says so first
    note = f"数据截至{_as_of_text(ctx)}，金额单位为亿元；正文中的每个数字都链接到附录“数字来源”中的一行。"
    text = (f"{missing}\n\n" if missing else "") + linked_markdown(section, "headline") + "\n" + note + "\n"
    return markdown_with_figures(text, section.figures())
