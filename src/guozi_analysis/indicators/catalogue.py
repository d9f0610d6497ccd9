"""The indicator catalogue (六张报表、64项指标) loaded from ``params/indicators.yaml``.

The YAML is data, not code: a district renames an indicator (``name_zh``), re-weights it
(``weight``) or drops it (``enabled: false``) by editing the file. :func:`load_catalogue` validates
the structure (unique snake_case ids, known tables, units, directions, bases, aggregations and
frequencies from fixed vocabularies) and raises ``ValueError`` with a Chinese message otherwise.
How many indicators are enabled is *not* checked here (a district may drop some); the bundled
file's count of 64 is a test.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from guozi_analysis.base import config

UNITS = frozenset({"万元", "%", "倍", "次", "个", "家", "支", "人", "万元/人", "bp", "百分点"})
DIRECTIONS = frozenset({"higher_better", "lower_better", "band"})
FREQUENCIES = frozenset({"monthly", "half_monthly", "annual"})
BASES = frozenset({"point_in_time", "year_to_date", "annualised", "change"})
AGGREGATIONS = frozenset({"sum", "ratio_of_sums", "recompute", "not_aggregated"})
REQUIRED_FIELDS = ("id", "table", "name_zh", "name_en", "formula", "unit", "direction", "frequency", "basis",
                   "aggregation", "inputs", "source")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")

FRAME_COLUMNS = ["id", "table", "name_zh", "name_en", "unit", "direction", "basis", "aggregation", "source"]

__all__ = ["TableSpec", "IndicatorSpec", "Catalogue", "load_catalogue", "catalogue_frame", "default_path",
           "UNITS", "DIRECTIONS", "FREQUENCIES", "BASES", "AGGREGATIONS"]


@dataclass(frozen=True)
class TableSpec:
    """One of the six report tables."""

    id: str
    name_zh: str
    order: int


@dataclass(frozen=True)
class IndicatorSpec:
    """One catalogue entry."""

    id: str
    table: str
    name_zh: str
    name_en: str
    formula: str
    unit: str
    direction: str
    frequency: str
    basis: str
    aggregation: str
    inputs: tuple[str, ...]
    source: str
    weight: float = 1.0
    band: tuple[float, float] | None = None
    note: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class Catalogue:
    """Tables and indicators in file order."""

    tables: tuple[TableSpec, ...]
    indicators: tuple[IndicatorSpec, ...]
    path: Path | None = field(default=None, compare=False)

    def enabled(self) -> list[IndicatorSpec]:
        """Enabled indicators, ordered by table order then file order."""
        order = {t.id: t.order for t in self.tables}
        ranked = sorted(enumerate(self.indicators), key=lambda p: (order[p[1].table], p[0]))
        return [spec for _, spec in ranked if spec.enabled]

    @property
    def ids(self) -> list[str]:
        """Ids of the enabled indicators."""
        return [s.id for s in self.enabled()]

    def get(self, indicator_id: str) -> IndicatorSpec:
        for spec in self.indicators:
            if spec.id == indicator_id:
                return spec
        raise KeyError(f"指标目录中没有「{indicator_id}」")

    def table(self, table_id: str) -> TableSpec:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(f"指标目录中没有报表「{table_id}」")

    def __len__(self) -> int:
        return len(self.enabled())


def default_path() -> Path:
    """``params/indicators.yaml`` of the project root, else the copy bundled with the source tree."""
    candidate = config.PARAMS_DIR / "indicators.yaml"
    if candidate.exists():
        return candidate
    return Path(__file__).resolve().parents[3] / "params" / "indicators.yaml"


def _fail(message: str) -> None:
    raise ValueError(f"指标目录错误：{message}")


def _table_specs(raw) -> tuple[TableSpec, ...]:
    if not isinstance(raw, list) or not raw:
        _fail("缺少 tables 列表")
    out, seen = [], set()
    for entry in raw:
        if not isinstance(entry, dict) or not {"id", "name_zh", "order"} <= set(entry):
            _fail(f"报表条目须含 id、name_zh、order：{entry!r}")
        tid = str(entry["id"])
        if tid in seen:
            _fail(f"报表编号重复：{tid}")
        seen.add(tid)
        out.append(TableSpec(tid, str(entry["name_zh"]), int(entry["order"])))
    return tuple(out)


def _indicator_spec(entry, tables: set[str]) -> IndicatorSpec:
    if not isinstance(entry, dict):
        _fail(f"指标条目须为映射：{entry!r}")
    missing = [k for k in REQUIRED_FIELDS if k not in entry or entry[k] in (None, "")]
    iid = entry.get("id", "?")
    if missing:
        _fail(f"指标「{iid}」缺少字段：{'、'.join(missing)}")
    iid = str(iid)
    if not _ID.match(iid):
        _fail(f"指标编号须为英文小写加下划线：{iid}")
    checks = [("table", tables, "报表"), ("unit", UNITS, "单位"), ("direction", DIRECTIONS, "方向"),
              ("frequency", FREQUENCIES, "频率"), ("basis", BASES, "口径"), ("aggregation", AGGREGATIONS, "汇总方式")]
    for key, allowed, label in checks:
        if str(entry[key]) not in allowed:
            _fail(f"指标「{iid}」的{label}「{entry[key]}」不在允许范围内：{'、'.join(sorted(allowed))}")
    inputs = entry["inputs"]
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        _fail(f"指标「{iid}」的 inputs 须为字符串列表")
    weight = entry.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        _fail(f"指标「{iid}」的权重须为非负数：{weight!r}")
    band = entry.get("band")
    if entry["direction"] == "band":
        if (not isinstance(band, list) or len(band) != 2
                or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in band)
                or band[0] >= band[1]):
            _fail(f"指标「{iid}」方向为 band，须给出 band: [下限, 上限] 且下限小于上限")
        band = (float(band[0]), float(band[1]))
    elif band is not None:
        _fail(f"指标「{iid}」只有方向为 band 时才能设置 band")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        _fail(f"指标「{iid}」的 enabled 须为 true 或 false")
    return IndicatorSpec(
        id=iid, table=str(entry["table"]), name_zh=str(entry["name_zh"]), name_en=str(entry["name_en"]),
        formula=str(entry["formula"]), unit=str(entry["unit"]), direction=str(entry["direction"]),
        frequency=str(entry["frequency"]), basis=str(entry["basis"]), aggregation=str(entry["aggregation"]),
        inputs=tuple(inputs), source=str(entry["source"]), weight=float(weight), band=band,
        note=str(entry.get("note") or ""), enabled=enabled,
    )


def parse_catalogue(data, *, path: Path | None = None) -> Catalogue:
    """Validate an already-loaded YAML mapping and build a :class:`Catalogue`."""
    if not isinstance(data, dict):
        _fail("文件内容须为映射（含 tables 与 indicators）")
    tables = _table_specs(data.get("tables"))
    raw = data.get("indicators")
    if not isinstance(raw, list) or not raw:
        _fail("缺少 indicators 列表")
    known = {t.id for t in tables}
    specs, seen = [], set()
    for entry in raw:
        spec = _indicator_spec(entry, known)
        if spec.id in seen:
            _fail(f"指标编号重复：{spec.id}")
        seen.add(spec.id)
        specs.append(spec)
    return Catalogue(tables, tuple(specs), path)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> Catalogue:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=loader)  # noqa: S506 - safe loader
    return parse_catalogue(data, path=Path(path))


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Load and validate the catalogue (default: ``params/indicators.yaml``)."""
    p = Path(path) if path is not None else default_path()
    if not p.exists():
        raise FileNotFoundError(f"找不到指标目录文件：{p}")
    return _load_cached(str(p.resolve()), p.stat().st_mtime)


def catalogue_frame(catalogue: Catalogue | None = None, *, include_disabled: bool = False) -> pd.DataFrame:
    """One row per (enabled) indicator: ``id, table, name_zh, name_en, unit, direction, basis,
    aggregation, source`` plus ``table_name_zh, formula, weight, enabled``."""
    catalogue = catalogue or load_catalogue()
    names = {t.id: t.name_zh for t in catalogue.tables}
    specs = list(catalogue.enabled())
    if include_disabled:
        specs += [s for s in catalogue.indicators if not s.enabled]
    rows = [{
        "id": s.id, "table": s.table, "name_zh": s.name_zh, "name_en": s.name_en, "unit": s.unit,
        "direction": s.direction, "basis": s.basis, "aggregation": s.aggregation, "source": s.source,
        "table_name_zh": names[s.table], "formula": s.formula, "weight": s.weight, "enabled": s.enabled,
    } for s in specs]
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS + ["table_name_zh", "formula", "weight", "enabled"])
    return frame
