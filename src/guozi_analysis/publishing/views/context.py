"""One notebook's context: the period, the entity and the folder of stored shared results it reads.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from guozi_analysis.base import config
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.params import district_settings
from guozi_analysis.base.periods import parse_period
from guozi_analysis.base.store import read_shared
from guozi_analysis.publishing import display, published
from guozi_analysis.publishing.coverage import table_note


class ParameterError(ValueError):
    """A notebook parameter is wrong; raised before any work is done."""



@dataclass(frozen=True)
class Context:
    """One notebook's view of the shared results: period, entity and where the data is."""

    period: str
    entity_id: str
    processed_dir: Path

    def _read(self, name: str) -> pd.DataFrame:
        return read_shared(self.processed_dir, name)

    @cached_property
    def roster(self) -> pd.DataFrame:
        return self._read("table_roster")

    @cached_property
    def tree(self) -> EnterpriseTree:
        """The enterprise tree of the roster (groups, parents, subtrees from the parent codes)."""
        return EnterpriseTree.from_roster(self.roster)

    @cached_property
    def indicators(self) -> pd.DataFrame:
        return self._read("indicators")

    @cached_property
    def history(self) -> pd.DataFrame:
        return self._read("indicator_history")

    def table(self, name: str) -> pd.DataFrame:
        return self._read(f"table_{name}")

    @property
    def entity_name(self) -> str:
        if self.entity_id == "DISTRICT":

            return f"{district_settings()['district']['name']}国企合计"
        row = self.roster.loc[self.roster["enterprise_id"] == self.entity_id]
        return str(row["name"].iloc[0])


def short_names(ctx) -> dict[str, str]:
    """Enterprise code → short name (简称; the full name where the roster has no short names)."""
    roster = ctx.roster
    col = "short_name" if "short_name" in roster else "name"
    return dict(zip(roster["enterprise_id"].astype(str).str.strip(), roster[col].astype(str)))


def group_short_names(ctx) -> dict[str, str]:
    """Group code → short name (简称), groups in roster order."""
    short = short_names(ctx)
    return {g: short[g] for g in ctx.tree.groups}


def open_context(*, period: str, entity_id: str = "DISTRICT", processed_dir: str | Path = "") -> Context:
    """Check the notebook's parameters and return its context; fail fast in Chinese."""
    try:
        parse_period(period)
    except ValueError as exc:
        raise ParameterError(f"参数 period 有误：{exc}") from None
    pdir = Path(processed_dir) if processed_dir else config.shared_dir(period)
    if not pdir.is_absolute():
        raise ParameterError(f"参数 processed_dir 应为绝对路径，收到：{processed_dir}")
    if not (pdir / "indicators.parquet").exists():
        raise ParameterError(f"加工数据目录 {pdir} 中没有本期共享结果，请先运行 `guozi run --period {period}`")
    _configure_display()
    ctx = Context(period=period, entity_id=entity_id, processed_dir=pdir)
    known = set(ctx.roster["enterprise_id"].astype(str)) | {"DISTRICT"}
    if entity_id not in known:
        raise ParameterError(f"参数 entity_id 有误：企业编号「{entity_id}」不在企业名录中")
    display.set_table_note(table_note(ctx))  # who did not report: under every table of the publication
    return ctx


def _configure_display() -> None:
    """In a notebook kernel, show whole tables (the whole catalogue fits); never touches other processes."""

    if "ipykernel" not in sys.modules:
        return
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", None)  # risk messages carry value, threshold, rule and source in full
    published.install()  # every table a reader sees goes through one formatter (no index, NaN, True), keyed
    # tables carrying the figures they print (the publication's figure list)
