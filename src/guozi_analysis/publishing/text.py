"""Wording and number formatting shared by every publication: facts, dates, change words, Markdown.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from guozi_analysis.base.periods import PACE_BASES, elapsed_fraction, pace_basis

WAN_PER_YI = 10_000


#: Units printed as whole numbers (with thousands separators).
COUNT_UNITS = ("个", "家", "支", "人", "处", "笔", "项", "份", "条")


#: Units printed as whole numbers without separators (calendar numbers).
CALENDAR_UNITS = ("年", "月")


# ------------------------------------------------------------------------------------------------
# facts and wording
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fact:
    """One number of the narrative with the place it comes from.

    ``value`` is in the source's unit (money in 万元 even when ``unit`` is 亿元); ``absolute``
    marks a fact printed without its sign (the sign is said in words: 增长/下降).
    """

    value: float
    unit: str  # 亿元 / 万元 / % / 个 / 家 / bp / 倍 / 百分点 / 年 / 月 …
    source: str  # "table:entity:item", e.g. "indicators:DISTRICT:total_assets"
    digits: int = 2
    label: str = ""
    absolute: bool = False

    def text(self) -> str:
        """The number as printed ("—" when missing)."""
        value = self.value
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        if self.absolute:
            value = abs(value)
        if self.unit == "亿元":
            return f"{value / WAN_PER_YI:,.{self.digits}f}"
        if self.unit in COUNT_UNITS:
            return f"{int(round(value)):,d}"
        if self.unit in CALENDAR_UNITS:
            return f"{int(round(value))}"
        return f"{value:,.{self.digits}f}"

    def shown_value(self) -> float:
        """The value exactly as printed (after unit conversion and rounding)."""
        text = self.text()
        return float("nan") if text == "—" else float(text.replace(",", ""))

    def expected_shown(self, source_value: float) -> float:
        """What :meth:`shown_value` must be for a given value read from the source."""
        return Fact(source_value, self.unit, self.source, self.digits, self.label, self.absolute).shown_value()

    @property
    def parts(self) -> tuple[str, str, str]:
        """``(table, entity, item)`` of the source."""
        table, entity, item = self.source.split(":", 2)
        return table, entity, item

    def magnitude(self) -> Fact:
        """The same fact printed without its sign."""
        return Fact(self.value, self.unit, self.source, self.digits, self.label, True)


#: A missing number inside a sentence: "—" printed where a number should stand, right before its unit
#: ("—亿元", "—%", "—个百分点"), or after a change word that could not be decided ("不详—"). Ranges of
#: digits ("1—10月", "15.06—23.94") and a quoted dash (the tables' note “—”) are not missing numbers.
MISSING_NUMBER = re.compile(
    r"(?<![\d“\"])—(?:亿元|万元|元|%|％|个百分点|百分点|个基点|bp|倍|个|家|支|人|处|笔|项|份|条|年|月|天)"
    r"|不详—|不详"
)
#: What replaces the sentences :func:`supported_text` leaves out.
LEFT_OUT = "（部分数据本期未报送或无法计算，相关内容未列示。）"
#: Sentence and clause ends a paragraph is cut at (the end stays with its piece).
_PIECES = re.compile(r"[^。；]*[。；]|[^。；]+$")


def missing_numbers(text: str) -> list[str]:
    """Every missing number printed inside a sentence of ``text`` (see :data:`MISSING_NUMBER`)."""
    return MISSING_NUMBER.findall(text)


def supported_text(text: str, *, missing=missing_numbers, reason: str = LEFT_OUT) -> str:
    """``text`` without its sentences and clauses (cut at 。 and ；) that contain a missing number, and
    ``reason`` after the paragraph when something was left out: a sentence never prints "—" for a number.

    ``missing(piece)`` says whether a piece has a missing number (default: :func:`missing_numbers`;
    the review passes its own test of fact placeholders). A bold lead-in ("**一是…。**") is kept
    when the piece after it goes. Paragraphs (blank-line separated) are cleaned one by one.
    """
    if "\n\n" in text:
        return "\n\n".join(supported_text(p, missing=missing, reason=reason) for p in text.split("\n\n"))
    kept, dropped = [], False
    for piece in _PIECES.findall(text):
        if not missing(piece):
            kept.append(piece)
            continue
        dropped = True
        if piece.startswith("**"):  # the closing marker of a bold lead-in
            kept.append("**")
        if piece.endswith("。") and kept and kept[-1].endswith("；"):
            kept[-1] = kept[-1][:-1] + "。"
    if not dropped:
        return text
    out = "".join(kept)
    if out.endswith("；"):
        out = out[:-1] + "。"
    if out.endswith("，"):
        out = out[:-1] + "。"
    return out + reason


def date_zh(value: date | str) -> str:
    """``date(2022, 11, 30)`` or '2022-11-30' → '2022年11月30日'."""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def _isnan(x) -> bool:
    return x is None or (isinstance(x, (float, np.floating)) and math.isnan(x))


def change_word(change: float, *, up: str = "增长", down: str = "下降", flat: str = "持平") -> str:
    """Wording by the sign of a change."""
    if _isnan(change):
        return "变动不详"
    if abs(change) < 1e-9:
        return flat
    return up if change > 0 else down


def done_word(value: float, target: float, *, higher_better: bool = True, done: str = "完成",
              not_done: str = "未完成") -> str:
    """完成 when ``value`` reaches ``target`` (≥, or ≤ for lower-better targets), else 未完成."""
    if _isnan(value) or _isnan(target):
        return "完成情况不详"
    reached = value >= target if higher_better else value <= target
    return done if reached else not_done


def pace_word(gap: float) -> str:
    """快于 / 慢于 / 持平于 序时进度 by the sign of completion − elapsed share."""
    return change_word(gap, up="快于", down="慢于", flat="持平于")


def drivers_clause(drivers: list[tuple[str, float]], *, unit: str = "亿元", lead: str = "主要来自") -> str:
    """One clause naming what drove a change: 主要来自甲（减少60.12亿元）、乙（减少20.00亿元）.

    ``drivers`` are ``(name, change)`` pairs with the change already in ``unit`` (as
    :func:`guozi_analysis.analyses.attribution.drivers` gives them, converted); the sign is said in
    words. An empty list gives an empty string (no clause without its data).
    """
    parts = [f"{name}（{change_word(v, up='增加', down='减少')}{abs(v):,.2f}{unit}）"
             for name, v in drivers if not _isnan(v)]
    return f"{lead}{'、'.join(parts)}" if parts else ""


#: The two annual investment figures and how they differ, said wherever both can be read: the annual
#: plan (``project_annual_plan``, 年度计划投资) sums the project ledger; the target (年度投资目标) is the
#: assessment target of 年度目标.xlsx. Each keeps its own label everywhere.
PLAN_LABEL = "年度计划投资"
TARGET_LABEL = "年度投资目标"
PLAN_TARGET_NOTE = (f"{PLAN_LABEL}为在建项目台账中各项目本年计划投资之和（不含储备项目）；{TARGET_LABEL}为年度目标表"
                    "下达的考核目标（全区为各集团合计）。两者口径不同，数值不必相等。")
#: Under a table whose investment row is compared with a 年度目标 (projections, 全年预计).
INVESTMENT_TARGET_NOTE = f"表中投资的年度目标即{TARGET_LABEL}。{PLAN_TARGET_NOTE}"
#: Under a projection table with profit: why its range may start below the year to date (revenue and
#: investment cannot fall, so theirs never do).
PROFIT_RANGE_NOTE = ("营业总收入和完成投资为只增不减的累计数，其区间下限不低于本年累计；利润总额在余下月份可能出现亏损"
                     "（年末计提减值、费用集中入账等），其区间按余下月份的盈亏测算，下限可低于本年累计。")


def pace_note(*as_of) -> str:
    """How 序时进度 is counted, for the note under a table that uses it (the district's convention,
    :func:`guozi_analysis.base.periods.elapsed_fraction`): 「序时进度按已过月数计算：10/12=83.33%。」; with
    several as-of dates each is named: 「…：截至2022年11月15日10.5/12=87.50%，截至2022年10月31日10/12=83.33%。」
    """
    basis = pace_basis()
    dates = list(dict.fromkeys(date.fromisoformat(str(d)[:10]) if not isinstance(d, date) else d for d in as_of))
    parts = []
    for d in dates:
        elapsed, whole = elapsed_fraction(d, basis=basis)
        figure = f"{elapsed:g}/{whole}={elapsed / whole * 100:.2f}%"
        parts.append(f"截至{date_zh(d)}{figure}" if len(dates) > 1 else figure)
    half = "（月末计满一个月，截至15日的上半月计半个月）" if basis == "months" and any(
        elapsed_fraction(d, basis=basis)[0] % 1 for d in dates) else ""
    return f"序时进度按{PACE_BASES[basis]}计算{half}：{'，'.join(parts)}。"


def light_rule_note(progress: dict) -> str:
    """The one light rule (``params/ranking.yaml`` → ``progress``) as printed under every light table:
    「灯号规则：完成率达到或快于序时进度为绿灯；慢于序时进度不超过10个百分点为黄灯；慢于超过10个百分点为红灯。」"""
    green, yellow = float(progress["green_min_gap"]), float(progress["yellow_min_gap"])
    lights = progress["lights"]
    if green == 0 and yellow < 0:
        return (f"灯号规则：完成率达到或快于序时进度为{lights['green']}；慢于序时进度不超过{abs(yellow):g}个百分点"
                f"为{lights['yellow']}；慢于超过{abs(yellow):g}个百分点为{lights['red']}。")
    return (f"灯号规则：与序时进度之差（百分点）不低于{green:g}为{lights['green']}，不低于{yellow:g}为"
            f"{lights['yellow']}，低于{yellow:g}为{lights['red']}。")


def markdown(text: str):
    """Display Markdown in a notebook (and in the rendered book): a sentence with a missing number is
    left out, and the paragraph says so (:func:`supported_text`)."""
    from IPython.display import Markdown  # deferred: heavy dependency, loaded on first use

    return Markdown(supported_text(text))


def file_link(path: Path | str) -> str:
    """A Markdown link to a file a notebook wrote into its outputs folder (``outputs/``, beside the executed
    notebook): the rendered HTML carries a copy of the file at the same relative place and links it; the
    PDF and the Word draft print its name."""
    path = Path(path)
    return f"[{path.name}]({path.parent.name}/{path.name})"


def data_version(executed_dir: Path) -> str:
    """Short hash of the published run's input hashes ('—' when no run manifest is there)."""

    try:
        inputs = json.loads((executed_dir / "manifest.json").read_text("utf-8"))["inputs"]
    except (OSError, ValueError, KeyError):
        return "—"
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]


def bulletin_title(kind: str, period: str, *, district: str, quarter: int | None = None) -> str:
    """A short publication's title, e.g. 澜海区属国有企业2022年1—10月经济运行情况通报.

    ``kind`` is ``monthly``, ``quarterly`` or ``half_month``; ``period`` the data period (a quarter's
    last month for ``quarterly``).
    """
    year, month = int(period[:4]), int(period[5:7])
    if kind == "quarterly":
        q = quarter or (month - 1) // 3 + 1
        return f"{district}属国有企业{year}年{'一二三四'[q - 1]}季度经济运行分析"
    if kind == "half_month":
        half = "上半月" if period.endswith("H1") else "下半月"
        return f"{district}属国有企业{year}年{month}月{half}“六张报表”晾晒通报"
    span = f"1—{month}月" if month > 1 else "1月"
    return f"{district}属国有企业{year}年{span}经济运行情况通报"
