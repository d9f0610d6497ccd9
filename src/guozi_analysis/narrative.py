"""The review's sentences, written from data.

Each number in a sentence is a :class:`Fact` that remembers which table and
indicator it came from, so that a test can check every printed number against
its source and the HTML can link to it. Wording follows the data (增长/下降,
完成/未完成).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

WAN_PER_YI = 10_000


@dataclass(frozen=True)
class Fact:
    """One number of the narrative with the place it comes from."""

    value: float
    unit: str  # 亿元 / 万元 / % / 个 / bp / 倍
    source: str  # e.g. "indicators:DISTRICT:total_assets"
    digits: int = 2

    def text(self) -> str:
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return "—"
        if self.unit == "亿元":
            return f"{self.value / WAN_PER_YI:,.{self.digits}f}"
        if self.unit in ("个", "家", "支", "人"):
            return f"{int(round(self.value)):,d}"
        return f"{self.value:,.{self.digits}f}"

    def shown_value(self) -> float:
        """The value exactly as printed (after unit conversion and rounding)."""
        return float(self.text().replace(",", ""))


def date_zh(value: date | str) -> str:
    """``date(2022, 11, 30)`` or '2022-11-30' → '2022年11月30日'."""
    d = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{d.year}年{d.month}月{d.day}日"


def change_word(change: float, *, up: str = "增长", down: str = "下降", flat: str = "持平") -> str:
    """Wording by the sign of a change."""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return "变动不详"
    if abs(change) < 1e-9:
        return flat
    return up if change > 0 else down


def render(template: str, facts: dict[str, Fact]) -> tuple[str, list[Fact]]:
    """Fill ``{name}`` slots with the facts' printed numbers; return the text and facts in order."""
    used: list[Fact] = []
    out = template
    for name, fact in facts.items():
        slot = "{" + name + "}"
        if slot in out:
            out = out.replace(slot, fact.text())
            used.append(fact)
    return out, used


def indicator_fact(indicators: pd.DataFrame, entity_id: str, indicator_id: str, unit: str) -> Fact:
    """A fact from the tidy indicator table (value NaN when absent)."""
    row = indicators.loc[(indicators["entity_id"] == entity_id) & (indicators["indicator_id"] == indicator_id)]
    value = float(row["value"].iloc[0]) if len(row) else float("nan")
    return Fact(value, unit, f"indicators:{entity_id}:{indicator_id}")


def index_page(*, period: str, settings: dict, executed_dir: Path) -> str:
    """The book's first page: what this is, the as-of date, the data version."""
    from .periods import as_of_date

    manifest = {}
    try:
        manifest = json.loads((executed_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        pass
    inputs = manifest.get("inputs", {})
    import hashlib

    data_version = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12] if inputs else "—"
    district = settings["district"]
    lines = [
        "# 前言 {.unnumbered}",
        "",
        f"本书由 {district['supervisor']} 使用 guozi-analysis 根据企业报送数据自动生成，"
        f"数据截至{date_zh(as_of_date(period))}。",
        "",
        "| 项目 | 内容 |",
        "|---|---|",
        f"| 地区 | {district['name']} |",
        f"| 出版期间 | {period} |",
        f"| 数据截至 | {date_zh(as_of_date(period))} |",
        f"| 数据版本（输入文件哈希） | {data_version} |",
        f"| 软件版本 | guozi-analysis {manifest.get('package_version', '—')} |",
        "",
        "各章为按期执行的分析笔记本；附录为各集团画像与指标词典。金额单位除注明外为亿元。",
        "",
    ]
    return "\n".join(lines)
