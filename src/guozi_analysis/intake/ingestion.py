"""Intake of enterprise submissions: raw store, validation, processed history, quarantine.

What happens to every file handed to :func:`ingest`:

1. It is stored once, byte for byte, read-only (``chmod 0o444``), as
   ``raw_store/<sha256[:16]>_<original name>``. Nothing received is ever lost.
2. It is read into typed contract tables (:func:`read_submission`). Anything wrong with the
   file itself — empty, not a workbook, password-protected, truncated, missing sheet, merged
   or renamed headers, formulas without values, text in numeric cells — becomes a
   :class:`~guozi_analysis.validate.Finding`, never a traceback.
3. It is validated against the contract and the processed history
   (:func:`guozi_analysis.validate.validate_tables`).
4. Rows without an error are accepted: a resubmission for the same enterprise and period
   replaces the earlier rows (both files stay in the raw store; ``submissions.parquet`` records
   which submission superseded which). Rows with an error go to ``quarantine.parquet`` with
   their reasons. Identical duplicate rows and 合计 rows are dropped with a warning.
5. All changed datasets are written beside their final names first and swapped in at the end,
   so a crash mid-ingest leaves the processed store as it was.

Decisions (documented for the people who send the files):

* Numbers stored as text (``"1,234.5"``, thousands separators included) are read as numbers;
  in a workbook this gives one 警告 per column (such cells are skipped by Excel's own SUM).
  In a CSV every value is text, so nothing is said.
* Cells holding ``-``、``—``、``/`` or nothing are missing values (NaN), never 0.
* Dates may be Excel dates, Excel serial numbers or text (``2022-11-30``、``2022/11/30``、
  ``2022年11月30日``、``20221130``).
* Hidden sheets of the contract are read, with a 警告 so that nobody is surprised.
* Formulas: the cached result is used (警告); a formula without a cached result (a file
  written by a program, never opened in Excel) is an 错误 for that cell.
* A row whose first column or key says 合计/总计/小计 is dropped with a 警告.
* Re-ingesting a file already received (same bytes) changes nothing, not one byte.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import stat
import tempfile
import zipfile
from collections import Counter
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.base import config, contract
from guozi_analysis.base.parallel import map_in_processes
from guozi_analysis.base.store import atomic_write_bytes, write_table
from guozi_analysis.intake import kuaibao
from guozi_analysis.intake.batch import BatchItem, validate_batch
from guozi_analysis.intake.cells import normalise_text, parse_number, parse_period, period_in_text
from guozi_analysis.intake.validate import (
    DROP_RULES,
    ERROR,
    WARNING,
    Finding,
    errors_first,
    findings_frame,
    make_finding,
    validate_tables,
)
from guozi_analysis.intake.xlsx import open_light

__all__ = [
    "IngestReport",
    "FileResult",
    "ingest",
    "ingest_command",
    "read_submission",
    "load_processed",
    "raw_name",
    "QUARANTINE_FILE",
    "SUBMISSIONS_FILE",
]

QUARANTINE_FILE = "quarantine.parquet"
SUBMISSIONS_FILE = "submissions.parquet"
#: Sheets a template carries besides the contract tables; ignored without a word.
IGNORED_SHEETS = frozenset({"填报说明", "说明"})
#: Workbook keyword that marks a workbook written by :mod:`guozi_analysis.template`.
TEMPLATE_KEYWORD = "guozi-template"

_MONEY_FACTORS = {"元": 1e-4, "千元": 0.1, "万元": 1.0, "百万元": 100.0, "亿元": 1e4}
MONEY_FACTORS = _MONEY_FACTORS
_UNIT_TOKEN = re.compile(r"^(?:单位\s*[:：]\s*)?([^\s:：]*)\s*$")
_HEADER_UNIT = re.compile(r"^(.*?)\s*[（(]\s*(?:单位\s*[:：]\s*)?([^()（）]{1,4})\s*[)）]\s*$")
_MISSING_TEXT = frozenset({"", "-", "--", "—", "——", "/", "\\"})
_TOTAL_WORDS = ("合计", "总计", "小计")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_BOOL_TRUE = frozenset({"是", "y", "yes", "true", "1", "√", "t"})
_BOOL_FALSE = frozenset({"否", "n", "no", "false", "0", "×", "f"})


# ---------------------------------------------------------------------------
# report


@dataclass
class FileResult:
    """What happened to one received file."""

    file: str
    stored_as: str | None
    sha256: str | None
    status: str  # 已处理 / 部分隔离 / 已拒收 / 已接收过
    submitted: int = 0
    accepted: int = 0
    quarantined: int = 0
    dropped: int = 0
    errors: int = 0
    warnings: int = 0


_FILE_LABELS_ZH = {
    "file": "文件", "stored_as": "原始库文件名", "sha256": "SHA-256", "status": "处理结果",
    "submitted": "报送行数", "accepted": "入库行数", "quarantined": "隔离行数", "dropped": "剔除行数",
    "errors": "错误数", "warnings": "警告数",
}


@dataclass
class IngestReport:
    """Findings and row counts of one :func:`ingest` call."""

    findings: list[Finding] = field(default_factory=list)
    files: list[FileResult] = field(default_factory=list)
    #: one row per (file, table, enterprise, period): submitted / accepted / quarantined rows
    submissions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_UNIT_COLUMNS))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not self.errors

    def to_frame(self, *, chinese: bool = False) -> pd.DataFrame:
        """Counts per file: submitted / accepted / quarantined / dropped rows, errors, warnings."""
        df = pd.DataFrame([vars(f) for f in self.files], columns=list(_FILE_LABELS_ZH))
        return df.rename(columns=_FILE_LABELS_ZH) if chinese else df

    def findings_frame(self, *, chinese: bool = False) -> pd.DataFrame:
        """Every finding, one row each."""
        return findings_frame(self.findings, chinese=chinese)

    def summary_zh(self, *, limit: int = 30, verbose: bool = False) -> str:
        """A Chinese plain-text summary for the terminal: the totals (files, rows stored, quarantined,
        errors, warnings), the files that were not received in full, then the problems, errors first.

        ``verbose`` lists every file (one line each) instead of only those not received in full.
        """
        tot = {k: sum(getattr(f, k) for f in self.files) for k in ("submitted", "accepted", "quarantined", "dropped")}
        lines = [
            f"共收到 {len(self.files)} 个文件：报送 {tot['submitted']} 行，入库 {tot['accepted']} 行，"
            f"隔离 {tot['quarantined']} 行，剔除 {tot['dropped']} 行；错误 {len(self.errors)} 项，警告 {len(self.warnings)} 项。"
        ]
        listed = self.files if verbose else [f for f in self.files if f.status in ("已拒收", "部分隔离")]
        if listed and not verbose:
            lines.append(f"未全部入库的文件（{len(listed)} 个）：")
        for f in listed:
            lines.append(f"  {f.file}：{f.status}（报送 {f.submitted}，入库 {f.accepted}，隔离 {f.quarantined}）")
        shown = errors_first(self.findings)[:limit]
        if shown:
            lines.append(f"问题（错误在前，{len(shown)} / {len(self.findings)} 项）：")
        for f in shown:
            where = "".join(filter(None, [f.file and f"{f.file}", f.sheet and f"「{f.sheet}」"]))
            lines.append(f"  [{f.severity}] {where} {f.message}（{f.rule}）")
        if len(self.findings) > limit:
            lines.append(f"  …… 另有 {len(self.findings) - limit} 项，详见数据质量报告。")
        return "\n".join(lines)


_UNIT_COLUMNS = ["file", "stored_as", "table", "enterprise_id", "period", "submitted", "accepted", "quarantined"]


# ---------------------------------------------------------------------------
# reading one file


def raw_name(sha256: str, original: str) -> str:
    """Name of a received file in the raw store: ``<sha256[:16]>_<original name>``."""
    return f"{sha256[:16]}_{original}"


@dataclass
class _Sheet:
    table: str
    sheet: str
    frame: pd.DataFrame | None
    submitted: int
    dropped: int
    meta: dict | None = None  # issue 14: the 快报 header (names, codes, period, version) of a 快报-layout sheet
    packed: bytes | None = None  # the frame pickled while the file waits in a big batch (see _Packed)
    periods: tuple | None = None  # the distinct 期间 cells of the packed frame (checked without unpacking it)

    def unpack(self) -> pd.DataFrame:
        """The sheet's frame, unpickled from ``packed`` the first time it is asked for."""
        if self.frame is None and self.packed is not None:
            self.frame = pickle.loads(self.packed)
        return self.frame


class _Packed(Mapping):
    """A file's tables kept pickled while a big batch waits for validation (issue 27).

    A province's first ingest holds every file of the batch at once. As pandas objects a file's dozen
    small frames cost ~350 KB (each text column of each frame is its own Arrow-backed array with its
    wrappers: ~3 KB even for one row), 5–6 times their pickled bytes; 2,886 files held 1.3 GB. Kept as
    bytes, a frame is unpickled when it is asked for (an exact copy), and the last one asked for is kept
    until another table is asked for: the batch checks go table by table, so at most one table of every
    file is unpacked at a time. Frames handed out must not be modified (none of intake's checks does).
    """

    def __init__(self, blobs: dict[str, bytes]):
        self._blobs = blobs
        self._last: tuple[str | None, pd.DataFrame | None] = (None, None)

    @classmethod
    def of(cls, frames: dict[str, pd.DataFrame]) -> _Packed:
        return cls({name: _pack(df) for name, df in frames.items()})

    def blob(self, name: str) -> bytes:
        return self._blobs[name]

    def release(self, name: str) -> None:
        """Free a table's bytes that will not be asked for again (its name stays listed)."""
        self._blobs[name] = None
        if self._last[0] == name:
            self._last = (None, None)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if self._blobs[name] is None:
            raise LookupError(f"{name}: released (see _Packed.release)")
        if self._last[0] != name:
            self._last = (name, None)  # the previous table's frame goes before the next one is made
            self._last = (name, pickle.loads(self._blobs[name]))
        return self._last[1]

    def __contains__(self, name) -> bool:  # without unpacking (Mapping's default asks for the frame)
        return name in self._blobs

    def __iter__(self):
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)


def _pack(df: pd.DataFrame) -> bytes:
    return pickle.dumps(df, protocol=pickle.HIGHEST_PROTOCOL)


def _lookup_maps() -> dict[str, dict[str, str]]:
    maps = {}
    for name, t in contract.INTAKE_TABLES.items():
        m = {}
        for f in t.fields:
            m[f.name] = f.name
            m[f.label_zh] = f.name
            m[_norm_header(f.label_zh)] = f.name
        maps[name] = m
    return maps


def _norm_header(text: str) -> str:
    return re.sub(r"[\s\u3000*＊]", "", text).replace("（", "(").replace("）", ")")


def _table_of_sheet(title: str) -> str | None:
    key = title.strip()
    for name, t in contract.INTAKE_TABLES.items():
        if key in (name, t.label_zh):
            return name
    return None


def _table_of_filename(stem: str) -> str | None:
    hits = [(len(tok), name) for name, t in contract.INTAKE_TABLES.items() for tok in (name, t.label_zh) if tok in stem]
    return max(hits)[1] if hits else None


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _units_row(values) -> bool:
    cells = [v for v in values if not _blank(v)]
    if not cells:
        return True
    for v in cells:
        if not isinstance(v, str):
            return False
        s = v.strip()
        if not (s.startswith("单位") or s in _MONEY_FACTORS or s in ("%", "％", "人", "个", "支", "项", "次")):
            return False
    return True


def _unit_of(text) -> str | None:
    if _blank(text):
        return None
    m = _UNIT_TOKEN.match(str(text).strip())
    token = m.group(1) if m else str(text).strip()
    return token.replace("％", "%") or None


def _parse_number(v):
    """``(float | None, issue)`` where issue is None, 'text' or 'bad' (units ignored; see :func:`cells.parse_number`)."""
    x, issue, _unit = parse_number(v)
    return x, ("bad" if issue == "error_value" else issue)


def _parse_bool(v):
    if v is None:
        return None, None
    if isinstance(v, bool):
        return v, None
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v), None
    s = str(v).strip().lower()
    if s in _MISSING_TEXT:
        return None, None
    if s in _BOOL_TRUE:
        return True, None
    if s in _BOOL_FALSE:
        return False, None
    return None, "bad"


def _parse_date(v):
    if v is None:
        return None, None
    if isinstance(v, datetime):
        return pd.Timestamp(v).normalize(), None
    if isinstance(v, date):
        return pd.Timestamp(v), None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if 1 <= v < 2958466:  # Excel serial date
            from openpyxl.utils.datetime import from_excel  # deferred: heavy dependency, loaded on first use

            return pd.Timestamp(from_excel(v)).normalize(), None
        return None, "bad"
    s = str(v).strip()
    if s in _MISSING_TEXT:
        return None, None
    m = _DATE_TEXT.match(s)
    if not m and re.fullmatch(r"\d{8}", s):
        m = re.match(r"(\d{4})(\d{2})(\d{2})", s)
    if m:
        try:
            return pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3))), None
        except ValueError:
            return None, "bad"
    return None, "bad"


def _parse_str(v):
    if v is None:
        return None, None
    if isinstance(v, float) and v.is_integer():
        return str(int(v)), None
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d"), None
    s = str(v).strip()
    return (s or None), None


def _parse_period(v, half_monthly: bool):
    """``(label, issue)``: see :func:`guozi_analysis.intake.cells.parse_period` (2022.1 is ambiguous, never January)."""
    return parse_period(v, half_monthly)


_BAD_RULE = {"float": "not_a_number", "int": "not_an_integer", "bool": "not_a_bool", "date": "not_a_date"}
_BAD_TEXT = {
    "float": "应填数值",
    "int": "应填整数",
    "bool": "应填“是”或“否”",
    "date": "应填日期（如 2022-11-30）",
}


class _Reader:
    """Reads the sheets of one file into typed contract frames, collecting findings."""

    def __init__(self, display: str, stored: str, *, is_csv: bool):
        self.display = display
        self.stored = stored
        self.is_csv = is_csv
        self.findings: list[Finding] = []
        self._notes: dict = {}

    def findings_fatal(self) -> bool:
        """True when the file itself could not be read."""
        return any(f.rule.startswith("file_") and f.is_error for f in self.findings)

    def add(self, rule, message, **kw):
        self.findings.append(make_finding(rule, message, file=self.display, **kw))

    # -- one sheet ----------------------------------------------------------------
    def sheet(self, rows: list, name: str, sheet: str, *, merged: list[str] = (),
              cached: list | None = None, formats: list | None = None) -> _Sheet | None:
        t = contract.table(name)
        ctx = {"sheet": sheet, "table": name}
        header = list(rows[0]) if rows else []
        if not any(not _blank(h) for h in header):
            self.add("sheet_empty", f"工作表「{sheet}」为空（没有表头）", **ctx)
            return None
        header_merges = [r for r in merged if _ref_min_row(r) <= 2]
        for ref in header_merges:
            self.add("header_merged", f"工作表「{sheet}」表头区域 {ref} 为合并单元格；请使用模板的单行表头，"
                     "第 1 行为中文表头、第 2 行为单位行，不要合并单元格", **ctx)
        data_merges = [r for r in merged if _ref_min_row(r) > 2]
        if data_merges:
            self.add("cells_merged", f"工作表「{sheet}」数据区有合并单元格（{'、'.join(data_merges[:5])}），"
                     "合并区域除左上角外按空值读取", **ctx)
        lookup = _LOOKUP[name]
        pos: dict[str, int] = {}
        hint_unit: dict[int, str] = {}
        unknown: list[tuple[int, str]] = []
        for j, h in enumerate(header):
            if _blank(h):
                continue
            text = str(h).strip()
            fname = lookup.get(text) or lookup.get(_norm_header(text))
            if fname is None:
                m = _HEADER_UNIT.match(text)
                if m and (lookup.get(m.group(1)) or lookup.get(_norm_header(m.group(1)))):
                    fname = lookup.get(m.group(1)) or lookup.get(_norm_header(m.group(1)))
                    hint_unit[j] = m.group(2).strip()
            if fname is None:
                unknown.append((j, text))
                continue
            if fname in pos:
                self.add("column_duplicate", f"工作表「{sheet}」列「{t.field(fname).label_zh}」出现两次"
                         f"（第 {_col(pos[fname])} 列和第 {_col(j)} 列），无法确定以哪一列为准",
                         column=t.field(fname).label_zh, **ctx)
                continue
            pos[fname] = j
        missing = [f for f in t.fields if f.name not in pos]

        labels_missing = {f.label_zh: f for f in missing}
        renamed: set[str] = set()
        for j, text in unknown:
            close = difflib.get_close_matches(_norm_header(text), list(labels_missing), n=1, cutoff=0.5)
            if close:
                f = labels_missing.pop(close[0])
                renamed.add(f.name)
                sev = ERROR if f.required else WARNING
                self.add("column_renamed", f"工作表「{sheet}」第 {_col(j)} 列表头为“{text}”，模板为“{f.label_zh}”；"
                         "请改回模板表头", column=f.label_zh, value=text, severity=sev, **ctx)
            else:
                self.add("column_unknown", f"工作表「{sheet}」第 {_col(j)} 列“{text}”不在数据契约中，已忽略",
                         column=text, **ctx)
        for f in missing:
            if f.name in renamed:
                continue
            if f.required:
                self.add("column_missing", f"工作表「{sheet}」缺少必填列「{f.label_zh}」", column=f.label_zh, **ctx)
        # units row
        start = 1
        declared: dict[int, str] = {}
        if len(rows) > 1 and _units_row(rows[1]):
            start = 2
            for j, v in enumerate(rows[1]):
                u = _unit_of(v)
                if u:
                    declared[j] = u
        elif not self.is_csv or any(hint_unit.values()):
            if len(rows) > 1 and not hint_unit:
                self.add("units_row_missing", f"工作表「{sheet}」第 2 行不是单位行（应为“单位：万元”等）；"
                         "第 2 行按数据读取，金额按万元计", **ctx)
        money = {f.name for f in t.fields if f.is_money}
        sheet_units = {u for j, u in declared.items() if j not in {pos[m] for m in money if m in pos}}
        sheet_units = {u for u in sheet_units if u in _MONEY_FACTORS or u not in ("%", "人", "个", "支", "项", "次")}
        sheet_unit = next(iter(sheet_units)) if len(sheet_units) == 1 else None
        factors: dict[str, float] = {}
        for fname in money & set(pos):
            j = pos[fname]
            unit = declared.get(j) or hint_unit.get(j) or sheet_unit or "万元"
            if unit not in _MONEY_FACTORS:
                label = t.field(fname).label_zh
                self.add("unit_unknown", f"工作表「{sheet}」列「{label}」的单位“{unit}”无法识别（可填 元、万元、亿元）",
                         column=label, value=unit, **ctx)
                continue
            factors[fname] = _MONEY_FACTORS[unit]
        # data rows
        width = max(pos.values(), default=-1) + 1
        key_pos = sorted({0, *[pos[k] for k in t.key if k in pos],
                          *[pos[f.name] for f in t.fields if f.dtype == "str" and f.name in pos][:2]})
        kept: list[tuple] = []
        kept_cached: list[tuple] = []
        kept_formats: list[tuple] = []
        numbers: list[int] = []
        dropped = 0
        submitted = 0
        for k in range(start, len(rows)):
            row = rows[k]
            if not row or all(_blank(v) for v in row):
                continue
            submitted += 1
            excel_row = k + 1
            total_word = next((str(row[j]).replace(" ", "").replace("\u3000", "")
                               for j in key_pos if j < len(row) and isinstance(row[j], str)
                               and str(row[j]).replace(" ", "").replace("\u3000", "").startswith(_TOTAL_WORDS)), None)
            if total_word:
                dropped += 1
                self.add("total_row_dropped", f"工作表「{sheet}」第 {excel_row} 行为“{total_word}”行，"
                         "合计数由系统计算，该行已剔除", row=excel_row, value=total_word, **ctx)
                continue
            if len(row) < width:
                row = tuple(row) + (None,) * (width - len(row))
            kept.append(row)
            numbers.append(excel_row)
            if cached is not None:
                crow = cached[k] if k < len(cached) else ()
                kept_cached.append(tuple(crow) + (None,) * max(0, width - len(crow)))
            if formats is not None:
                frow = formats[k] if k < len(formats) else ()
                kept_formats.append(tuple(frow) + (None,) * max(0, width - len(frow)))
        frame = self._typed(kept, kept_cached if cached is not None else None, numbers, pos, factors, t, sheet,
                            formats=kept_formats if formats is not None else None)
        return _Sheet(name, sheet, frame, submitted, dropped)

    # -- the 快报 layout (issue 14) -----------------------------------------------------
    def kuaibao_sheet(self, rows: list, formats: list | None, head, title: str, *,
                      cached: list | None = None) -> list[_Sheet]:
        """One enterprise's 快报 (see :mod:`guozi_analysis.intake.kuaibao`): a financials row and, when the
        sheet has a 上年同期 column, a financials_ly row; the enterprise is resolved later against the roster."""
        ctx = {"sheet": title, "table": "financials"}
        first = len(self.findings)
        if cached is not None:
            swapped = 0
            out = []
            for k, r in enumerate(rows):
                crow = cached[k] if k < len(cached) else ()
                new = []
                for j, v in enumerate(r):
                    if isinstance(v, str) and v.startswith("=") and j < len(crow) and crow[j] is not None:
                        new.append(crow[j])
                        swapped += 1
                    else:
                        new.append(v)
                out.append(tuple(new))
            rows = out
            if swapped:
                self.add("formula_cached", f"工作表「{title}」有 {swapped} 个公式单元格，已读取其计算结果；建议粘贴为数值", **ctx)

        def add(rule, message, **kw):
            self.add(rule, f"工作表「{title}」（快报格式）{message}", **{**ctx, **kw})

        periods = list(dict.fromkeys(p for p, _ in head.periods))
        if not periods:
            add("kuaibao_period_missing", "表头区未写期间（如“2022年11月”），无法确定期间，未入库；请在表头写明期间")
        elif len(periods) > 1:
            add("kuaibao_period_conflict", f"表头区写有不同的期间（{'、'.join(periods)}），无法确定期间，未入库",
                value="、".join(periods))
        codes = list(dict.fromkeys(head.codes))
        if len(codes) > 1:
            add("enterprise_mismatch", f"表头区写有不同的企业编码（{'、'.join(codes)}），无法确定企业，未入库",
                value="、".join(codes))
        current, last_year, _rows = kuaibao.parse(rows, formats, head, add)
        period = periods[0] if len(periods) == 1 else None
        eid = codes[0] if len(codes) == 1 else None
        meta = {"names": list(dict.fromkeys(head.names)), "codes": codes, "period": period,
                "version": head.version, "correction": head.correction, "header_row": head.header_row + 1}

        def frame_for(name: str, values: dict) -> pd.DataFrame:
            t = contract.table(name)
            row = tuple([eid, period] + [None if values.get(f.name) is kuaibao.BAD else values.get(f.name)
                                         for f in t.fields[2:]])
            pos = {f.name: i for i, f in enumerate(t.fields)}
            return self._typed([row], None, [head.header_row + 1], pos, {}, t, title)

        sheets = [_Sheet("financials", title, frame_for("financials", current), 1, 0, meta)]
        if head.ly_col is not None and any(v is not None and v is not kuaibao.BAD for v in last_year.values()):
            sheets.append(_Sheet("financials_ly", title, frame_for("financials_ly", last_year), 1, 0, meta))
        meta["errors"] = [f for f in self.findings[first:] if f.is_error]
        return sheets

    # -- typing ---------------------------------------------------------------------
    def _typed(self, rows, cached, numbers, pos, factors, t: contract.Table, sheet: str, *,
               formats=None) -> pd.DataFrame:
        n = len(rows)
        data: dict[str, object] = {}
        ctx = {"sheet": sheet, "table": t.name}
        eid_field = "guarantor_id" if t.name == "guarantees" else "enterprise_id"
        eids = [rows[i][pos[eid_field]] if eid_field in pos else None for i in range(n)]
        pers = [rows[i][pos["period"]] if "period" in pos else None for i in range(n)]
        columns = list(zip(*rows))  # column-major once (every row is padded to the last column)
        period_memo: dict = {}
        for f in t.fields:
            if f.name not in pos:
                data[f.name] = [None] * n
                continue
            j = pos[f.name]
            values = list(columns[j]) if n else []
            # formulas
            for i, v in enumerate(values):
                if isinstance(v, str) and v.startswith("=") and len(v) > 1 and not self.is_csv:
                    cv = cached[i][j] if cached is not None else None
                    if cv is None:
                        self.add("formula_no_value", f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」是公式 {v}，"
                                 "没有计算结果；请在 Excel 中打开并保存，或粘贴为数值", row=numbers[i],
                                 column=f.label_zh, value=v, enterprise_id=_s(eids[i]), period=_s(pers[i]), **ctx)
                        values[i] = _FORMULA_ERROR
                    else:
                        self._note(ctx, f, "formula_cached", numbers[i],
                                   f"「{f.label_zh}」为公式，已读取其计算结果；建议粘贴为数值",
                                   cell={"value": v, "enterprise_id": _s(eids[i]), "period": _s(pers[i])})
                        values[i] = cv
            if f.dtype in ("float", "int"):
                out = np.full(n, np.nan)
                pct_field = f.unit == "%"
                col_fmts = [fr[j] for fr in formats] if formats is not None and pct_field else None
                cfactor = factors.get(f.name, 1.0)
                rest = range(n)
                if col_fmts is None and set(map(type, values)) <= _PLAIN_NUMBER_TYPES:
                    # the common case, a column of plain numbers: taken as a whole; only the cells a rule
                    # speaks about (a 0–1 in a percent column, a fraction in an integer column) go cell by cell
                    arr = np.array(values, dtype="float64")  # None → NaN
                    plain = _plain_cells(arr, percent=pct_field, integer=f.dtype == "int")
                    out[plain] = arr[plain]
                    rest = np.flatnonzero(~plain & ~np.isnan(arr)).tolist()
                elif self.is_csv and col_fmts is None:
                    # a CSV's cells are all text: the plain decimals (what parse_number reads as float() of
                    # the text, with nothing to say about them in a CSV) are taken as a whole; every other
                    # cell, and those a rule speaks about, go cell by cell as before
                    match = _CSV_DECIMAL.match
                    arr = np.array([float(v) if type(v) is str and match(v) else np.nan for v in values],
                                   dtype="float64")
                    plain = _plain_cells(arr, percent=pct_field, integer=f.dtype == "int")
                    out[plain] = arr[plain]
                    rest = [i for i in np.flatnonzero(~plain).tolist() if values[i] is not None]
                for i in rest:
                    v = values[i]
                    if v is _FORMULA_ERROR or v is None:
                        continue
                    fmt = col_fmts[i] if col_fmts is not None else None
                    if (type(v) is float or type(v) is int) and fmt is None:  # the common case, fast
                        x, issue, unit = float(v), None, None
                    else:
                        x, issue, unit = parse_number(v, fmt)
                    where = {"row": numbers[i], "column": f.label_zh, "value": v,
                             "enterprise_id": _s(eids[i]), "period": _s(pers[i])}
                    if issue == "error_value":
                        self._note(ctx, f, "cell_error_value", numbers[i],
                                   f"「{f.label_zh}」有 Excel 错误值（如“{v}”），按空值处理；请检查公式",
                                   cell={k: where[k] for k in ("value", "enterprise_id", "period")})
                        continue
                    if issue == "bad" or (f.dtype == "int" and x is not None and not float(x).is_integer()):
                        rule = "not_a_number" if issue == "bad" else "not_an_integer"
                        if f.dtype == "int" and issue == "bad":
                            rule = "not_an_integer"
                        self.add(rule, f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」为“{v}”，{_BAD_TEXT[f.dtype]}",
                                 **where, **ctx)
                        continue
                    if issue == "text" and not self.is_csv and unit is None:
                        self._note(ctx, f, "number_as_text", numbers[i],
                                   f"「{f.label_zh}」有数字以文本形式存储（如“{v}”），已按数值读取",
                                   cell={k: where[k] for k in ("value", "enterprise_id", "period")})
                    if x is None:
                        continue
                    if pct_field:
                        if unit not in (None, "%"):
                            self.add("unit_mismatch", f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」为“{v}”，"
                                     f"写有金额单位“{unit}”，但该列单位为 %", **where, **ctx)
                            continue
                        if unit is None and 0 < x <= 1:
                            self.add("percent_ambiguous", f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」为 {x:g}，"
                                     f"该列以百分数填写（0—100），{x:g} 有两种读法：{x:g}% 或 {x * 100:g}%；"
                                     f"系统不作猜测，请改填 {x * 100:g}（表示 {x * 100:g}%）或“{x:g}%”", **where, **ctx)
                            continue
                    elif f.is_money:
                        if unit == "%":
                            self.add("unit_mismatch", f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」为“{v}”（百分数），"
                                     "但该列是金额", **where, **ctx)
                            continue
                        if unit is not None:
                            self._note(ctx, f, "unit_in_cell", numbers[i],
                                       f"「{f.label_zh}」有单元格写明了单位（如“{v}”），已按其单位换算为万元",
                                       cell={k: where[k] for k in ("value", "enterprise_id", "period")})
                            x = x * MONEY_FACTORS[unit] / cfactor
                    elif unit is not None and (unit != "%" or f.unit is not None):
                        self.add("unit_mismatch", f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」为“{v}”，"
                                 f"单位“{unit}”与该列单位“{f.unit or '无'}”不符", **where, **ctx)
                        continue
                    out[i] = x
                if f.name in factors and factors[f.name] != 1.0:
                    out = out * factors[f.name]
                # a float column is the array itself (NaN for an empty cell); an int column the nullable ints
                data[f.name] = out if f.dtype == "float" else pd.array(out, dtype=_FLOAT64).astype(_INT64)
                continue
            parser = {"bool": _parse_bool, "date": _parse_date, "str": _parse_str}.get(f.dtype)
            date_memo: dict = {}
            out_list = []
            for i, v in enumerate(values):
                if v is _FORMULA_ERROR:
                    out_list.append(None)
                    continue
                if f.dtype == "period":
                    try:  # a column repeats few periods: each distinct cell value is read once
                        x, issue = period_memo[v]
                    except KeyError:
                        x, issue = period_memo[v] = _parse_period(v, t.frequency == "half_monthly")
                    except TypeError:  # an unhashable cell value
                        x, issue = _parse_period(v, t.frequency == "half_monthly")
                    if issue == "ambiguous":
                        self.add("period_ambiguous", f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」为数值 {v}：Excel 会把"
                                 f"输入的 2022.10 存成 2022.1，无法判断是 1 月还是 10 月，未按任何月份读取；请将期间单元格"
                                 "设为文本并填写如 2022-10", row=numbers[i], column=f.label_zh, value=v,
                                 enterprise_id=_s(eids[i]), **ctx)
                        out_list.append(None)
                        continue
                    if issue == "numeric":
                        self._note(ctx, f, "period_numeric", numbers[i],
                                   f"「{f.label_zh}」以数值填写（如 {v}），已读作 {x}；请改为文本 YYYY-MM",
                                   cell={"value": v, "enterprise_id": _s(eids[i]), "period": x})
                elif f.dtype == "date" and type(v) is str:  # a CSV's date column repeats its dates
                    try:
                        x, issue = date_memo[v]
                    except KeyError:
                        x, issue = date_memo[v] = parser(v)
                else:
                    x, issue = parser(v)
                if issue == "bad":
                    self.add(_BAD_RULE[f.dtype], f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」为“{v}”，"
                             f"{_BAD_TEXT[f.dtype]}", row=numbers[i], column=f.label_zh, value=v,
                             enterprise_id=_s(eids[i]), period=_s(pers[i]), **ctx)
                out_list.append(x)
            data[f.name] = out_list
        frame = _frame_from_lists(data, t, n, source=(self.stored, sheet, numbers))
        self._flush_notes()
        return frame

    def _note(self, ctx, f, rule, row, text, cell=None):
        """Collect a per-column warning (one finding per column, not per cell); ``cell`` holds the first
        cell's value, enterprise and period, given to the finding when it is the only cell."""
        key = (ctx["sheet"], f.name, rule)
        if key not in self._notes:
            self._notes[key] = [ctx, f, row, text, 0, cell or {}]
        self._notes[key][4] += 1

    def _flush_notes(self):
        notes, self._notes = self._notes, {}
        for (sheet, _, rule), (ctx, f, row, text, count, cell) in notes.items():
            more = f"（共 {count} 个单元格，首个在第 {row} 行）" if count > 1 else f"（第 {row} 行）"
            self.add(rule, f"工作表「{sheet}」{text}{more}", row=row if count == 1 else None,
                     column=f.label_zh, **(cell if count == 1 else {}), **ctx)


_FORMULA_ERROR = object()


def _plain_cells(arr: np.ndarray, *, percent: bool, integer: bool) -> np.ndarray:
    """The cells of a numeric column taken as a whole: a number no rule speaks about (not a 0–1 in a
    percent column, not a fraction in an integer column); the others go cell by cell."""
    plain = ~np.isnan(arr)
    if percent:
        plain &= ~((arr > 0) & (arr <= 1))
    if integer:
        plain &= np.floor(arr) == arr
    return plain


#: Text a CSV numeric cell most often holds: a plain decimal, read as ``float(text)`` (parse_number's reading)
_CSV_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")
#: Cell value types a numeric column can take as a whole (None is an empty cell; bool is not a number here).
_PLAIN_NUMBER_TYPES = frozenset({float, int, type(None)})


def _s(v):
    return None if _blank(v) else str(v).strip()


def _col(j: int) -> str:
    from openpyxl.utils import get_column_letter  # deferred: heavy dependency, loaded on first use

    return get_column_letter(j + 1)


def _ref_min_row(ref: str) -> int:
    m = re.match(r"[A-Z]+(\d+)", ref)
    return int(m.group(1)) if m else 0


#: dtypes resolved once: pandas looks a dtype given by name up in its registry, 7–19 µs a call, and
#: a month workbook's dozen small sheets asked for it some thousand times
_FLOAT64 = pd.Float64Dtype()
_INT64 = pd.Int64Dtype()
_BOOLEAN = pd.BooleanDtype()
_STR = pd.api.types.pandas_dtype("str")
_NS = np.dtype("datetime64[ns]")


def _frame_from_lists(data: dict, t: contract.Table, n: int, *, source: tuple | None = None) -> pd.DataFrame:
    """A sheet's typed columns as one frame (``source``: its ``source_file``, ``source_sheet`` and the rows'
    Excel numbers, added as the last three columns)."""
    if not n:
        frame = _empty_frame(t)
        if source is not None:
            frame["source_file"] = pd.Series([], dtype=_STR)
            frame["source_sheet"] = pd.Series([], dtype=_STR)
            frame["source_row"] = pd.array([], dtype=_INT64)
        return frame
    cols = {}
    for f in t.fields:
        v = data[f.name]
        if f.dtype in ("float", "int"):
            cols[f.name] = v if not isinstance(v, list) else (
                np.full(n, np.nan) if f.dtype == "float" else pd.array(np.full(n, np.nan), dtype=_FLOAT64).astype(_INT64))
        elif f.dtype == "bool":
            cols[f.name] = pd.array(v, dtype=_BOOLEAN)
        elif f.dtype == "date":
            cols[f.name] = pd.to_datetime(pd.Series(v, dtype=object)).astype(_NS).to_numpy()
        elif all(x is None for x in v):
            # a column without any text: the object array of NaN the frame has always been given (its
            # dtype is what the frame infers from it)
            cols[f.name] = np.full(n, np.nan, dtype=object)
        elif all(x is None or type(x) is str for x in v):  # what the cell parsers give: text or nothing
            cols[f.name] = pd.array(v, dtype=_STR)
        else:
            cols[f.name] = pd.Series(v, dtype=object).astype(_STR).array
    if source is not None:
        stored, sheet, numbers = source
        cols["source_file"] = pd.array([stored] * n, dtype=_STR)
        cols["source_sheet"] = pd.array([sheet] * n, dtype=_STR)
        cols["source_row"] = pd.array(numbers, dtype=_INT64)
    return pd.DataFrame(cols, index=range(n))


@functools.lru_cache(maxsize=None)
def _empty_frame_of(name: str) -> pd.DataFrame:
    return pd.DataFrame({f.name: pd.Series([], dtype=_DTYPE.get(f.dtype, "str")) for f in contract.table(name).fields})


def _empty_frame(t: contract.Table) -> pd.DataFrame:
    """A table's frame without rows (a copy: callers add columns)."""
    return _empty_frame_of(t.name).copy()


class _LazyLookup(dict):
    def __missing__(self, key):
        self.update(_lookup_maps())
        return dict.__getitem__(self, key)


_LOOKUP = _LazyLookup()


def _sniff(data: bytes, suffix: str) -> str:
    if not data:
        return "empty"
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if suffix == ".csv":
        return "csv"
    return "other"


@dataclass
class _FileRead:
    """One file read but not yet validated: its sheets, the reader (findings) and what the content says."""

    sheets: list[_Sheet]
    reader: _Reader
    kind: str

    @property
    def tables(self) -> set[str]:
        return {sh.table for sh in self.sheets}


#: A batch with fewer new files than this is read in this process (starting workers costs about a second).
PARALLEL_MIN_FILES = 48


def _read_files(items: list[tuple[Path, str, bytes]], *, jobs: int | None) -> list[_FileRead]:
    """:func:`_read_file` of every ``(path, stored, data)``, in order; by worker processes for a big batch."""
    return map_in_processes(_read_file_args, items, jobs=jobs, min_items=PARALLEL_MIN_FILES, stage="intake")


def _read_file_args(item: tuple[Path, str, bytes]) -> _FileRead:
    """:func:`_read_file` for a batch: the sheets' frames come back pickled (:class:`_Packed`), and are
    unpacked one file at a time when the file is prepared (:func:`_prepare`)."""
    read = _read_file(*item)
    for sh in read.sheets:
        sh.periods = tuple(dict.fromkeys(sh.frame["period"].tolist())) if "period" in sh.frame.columns else ()
        sh.packed, sh.frame = _pack(sh.frame), None
    return read


def _read_file(path: Path, stored: str, data: bytes) -> _FileRead:
    display = path.name
    reader = _Reader(display, stored, is_csv=False)
    kind = _sniff(data, path.suffix.lower())
    sheets: list[_Sheet] = []
    if kind == "empty":
        reader.add("file_empty", f"文件 {display} 是空文件（0 字节），请重新导出后报送")
    elif kind == "ole":
        if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data \
                or "EncryptedPackage".encode("utf-16-le") in data:
            reader.add("file_encrypted", f"工作簿 {display} 设置了打开密码，无法读取；请取消密码后重新报送")
        else:
            sheets = _read_calamine(data, reader, "旧版 Excel（.xls）")
    elif kind == "zip":
        sheets = _read_xlsx(data, reader)
    elif kind == "csv":
        reader.is_csv = True
        sheets = _read_csv(data, path, reader)
    elif _looks_text(data):
        reader.is_csv = True
        sheets = _read_csv(data, path, reader, renamed=True)
    else:
        reader.add("file_not_excel", f"文件 {display} 的扩展名为 {path.suffix or '（无）'}，但内容不是 Excel 工作簿"
                   "（看起来是其他格式文件）；请用模板填报并保存为 .xlsx")
    return _FileRead(sheets, reader, kind)


def _assemble(read: _FileRead) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[int, int]]]:
    tables: dict[str, pd.DataFrame] = {}
    counts: dict[str, tuple[int, int]] = {}
    for sh in read.sheets:
        if sh.table in tables:  # two sheets for one table: read both
            tables[sh.table] = pd.concat([tables[sh.table], sh.frame], ignore_index=True)
            s, d = counts[sh.table]
            counts[sh.table] = (s + sh.submitted, d + sh.dropped)
        else:
            tables[sh.table] = sh.frame
            counts[sh.table] = (sh.submitted, sh.dropped)
    reader = read.reader
    if read.kind in ("zip", "csv", "ole", "other") and not reader.findings_fatal() \
            and sum(s for s, _ in counts.values()) == 0 \
            and not any(f.rule in ("sheet_missing", "file_not_excel", "file_unknown_table") for f in reader.findings):
        reader.add("file_no_data", f"文件 {reader.display} 没有任何数据行")
    return tables, counts


def read_submission(path: Path | str, *, stored_name: str | None = None, data: bytes | None = None,
                    roster: pd.DataFrame | None = None
                    ) -> tuple[dict[str, pd.DataFrame], list[Finding], dict[str, tuple[int, int]]]:
    """Read one submitted file (xlsx, xls, ods or csv) into typed contract tables.

    Returns ``(tables, findings, counts)``: ``tables`` maps table name to a typed frame with
    ``source_file`` (``stored_name``), ``source_sheet`` and ``source_row`` (Excel row number);
    ``counts`` maps table name to ``(submitted rows, dropped rows)``. ``roster`` (企业名录 rows) lets a
    快报-layout sheet that names its enterprise only by 编制单位 be resolved to its code. Never raises
    for bad input.
    """
    path = Path(path)
    display = path.name
    stored = stored_name or display
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return {}, [make_finding("file_missing", f"无法读取文件 {display}：{exc.strerror or exc}", file=display)], {}
    read = _read_file(path, stored, data)
    _resolve_enterprises(read, path, roster)
    tables, counts = _assemble(read)
    return tables, read.reader.findings, counts


# --- issue 14: cross-checks of enterprise and period ------------------------------------------------


def _norm_name(text) -> str:
    """A name for matching: NFKC (full-/half-width brackets alike), no spaces, no brackets' width."""
    return re.sub(r"\s+", "", normalise_text(str(text))) if not _blank(text) else ""


def _resolve_enterprises(read: _FileRead, path: Path, roster: pd.DataFrame | None) -> None:
    """Give each 快报-layout sheet its enterprise code, checked against 编制单位, 企业编码, file name and roster."""
    kb = {}
    for sh in read.sheets:
        if sh.meta is not None:
            kb.setdefault(sh.sheet, []).append(sh)
    if not kb:
        return
    reader = read.reader
    have_roster = roster is not None and len(roster) and "enterprise_id" in roster.columns
    ids: set[str] = set()
    by_name: dict[str, str] = {}
    parents: dict[str, str | None] = {}
    names: dict[str, str] = {}
    if have_roster:
        for r in roster.itertuples(index=False):
            eid = _s(getattr(r, "enterprise_id", None))
            if eid is None:
                continue
            ids.add(eid)
            parents[eid] = _s(getattr(r, "parent_id", None))
            for col in ("name", "short_name"):
                nm = _norm_name(getattr(r, col, None))
                if nm:
                    by_name.setdefault(nm, eid)
            names[eid] = _s(getattr(r, "name", None)) or eid
    stem = _norm_name(path.stem)
    in_name = {e for e in ids if re.search(rf"(?<![A-Za-z0-9-]){re.escape(e)}(?![A-Za-z0-9-])", path.stem)}
    in_name |= {e for nm, e in by_name.items() if len(nm) >= 4 and nm in stem}
    for title, shs in kb.items():
        meta = shs[0].meta
        ctx = {"sheet": title, "table": "financials"}
        codes = meta["codes"]
        code = codes[0] if len(codes) == 1 else None
        by_cells: list[tuple[str, str | None]] = [(n, by_name.get(_norm_name(n))) for n in meta["names"]]
        eid = code
        problem = None
        if len(codes) > 1:
            problem = "codes"
        for text, matched in by_cells:
            if not have_roster:
                continue
            if matched is None:
                reader.add("enterprise_mismatch" if code else "enterprise_unresolved",
                           f"工作表「{title}」编制单位“{text}”不在企业名录中（已忽略全角/半角括号与空格）"
                           + (f"，与企业编码 {code} 无法相互印证" if code else "，无法确定企业编码")
                           + "，未入库；请按名录填写编制单位", value=text, **ctx)
                problem = "name"
            elif code is not None and matched != code:
                reader.add("enterprise_mismatch", f"工作表「{title}」编制单位“{text}”在企业名录中为 {matched}，"
                           f"但表头企业编码为 {code}，无法确定是哪家企业，未入库", value=text, **ctx)
                problem = "conflict"
            elif code is None:
                eid = matched
                reader.add("enterprise_matched", f"工作表「{title}」未写企业编码，编制单位“{text}”按企业名录匹配为 "
                           f"{matched}（{names.get(matched, matched)}）", value=text, enterprise_id=matched, **ctx)
        if eid is None and problem is None:
            reader.add("enterprise_unresolved", f"工作表「{title}」表头区没有编制单位或企业编码"
                       + ("" if have_roster else "，且未找到企业名录") + "，无法确定企业，未入库", **ctx)
        if eid is not None and len(kb) == 1 and in_name and problem is None:
            anc, cur = set(), parents.get(eid)
            while cur and cur not in anc:
                anc.add(cur)
                cur = parents.get(cur)
            if eid not in in_name and not (in_name & anc):
                shown = "、".join(f"{e}（{names.get(e, e)}）" for e in sorted(in_name))
                reader.add("enterprise_mismatch", f"文件名“{path.name}”指向 {shown}，但工作表「{title}」的企业为 {eid}"
                           f"（{names.get(eid, eid)}），文件与内容不符，未入库", value=path.name, **ctx)
                problem = "file"
        if problem is not None:
            eid = eid if problem == "file" else None
        for sh in shs:
            sh.frame["enterprise_id"] = pd.Series([eid] * len(sh.frame), dtype="object").astype("str") \
                if eid is not None else sh.frame["enterprise_id"]
        meta["enterprise_id"] = eid
        meta["errors"] = meta.get("errors", []) + [f for f in reader.findings if f.is_error and f.sheet == title]


_MONTH_DIR = re.compile(r"^(\d{4})[-_.年]?(0[1-9]|1[0-2])月?$")


def _expected_period(path: Path) -> tuple[str | None, str | None]:
    """The month of the file's folder (``YYYY-MM``) and the month in its file name, where there are."""
    m = _MONTH_DIR.match(path.parent.name.strip())
    folder = f"{m.group(1)}-{m.group(2)}" if m else None
    # a full date in the name (报送日期 such as 2022-12-05 or 20221205) is not the period
    stem = re.sub(r"(?<!\d)20\d{2}\s*[-_./年]?\s*\d{1,2}\s*[-_./月]?\s*\d{1,2}\s*日|(?<!\d)20\d{2}[-_./]\d{1,2}[-_./]\d{1,2}"
                  r"(?!\d)|(?<!\d)20\d{6}(?!\d)", " ", path.stem)
    name = period_in_text(stem)
    return folder, name


def _period_differs(value, expected: str) -> bool:
    """A 期间 cell that is given and names another month than ``expected``."""
    return not _blank(value) and str(value) not in ("None", "nan") and str(value)[:7] != expected


def _check_periods(read: _FileRead, path: Path) -> None:
    """Period in the cells vs file name vs folder: any disagreement is an error for every table of the file."""
    folder, in_name = _expected_period(path)
    reader = read.reader
    if folder and in_name and folder != in_name:
        for name in sorted(read.tables) or [None]:
            reader.add("period_mismatch", f"文件 {path.name} 的文件名期间为 {in_name}，但位于文件夹 {path.parent.name}"
                       f"（{folder}），无法确定期间，该文件不入库；请放入正确的期间文件夹", table=name,
                       value=in_name)
        return
    expected = folder or in_name
    if expected is None:
        return
    source = f"文件夹 {path.parent.name}" if folder else f"文件名 {path.name}"
    others: list[str] = []
    for sh in read.sheets:
        t = contract.table(sh.table)
        if "period" not in t.field_names or t.frequency not in ("monthly", "half_monthly") or \
                (sh.frame is not None and not len(sh.frame)):
            continue
        values = sh.periods if sh.frame is None and sh.periods is not None \
            else dict.fromkeys(sh.unpack()["period"].tolist())
        if not any(_period_differs(p, expected) for p in values):
            continue  # the usual case: every cell gives the expected month (a few distinct values to test)
        sh.unpack()
        cells = [(row, str(p), eid) for p, row, eid in zip(sh.frame["period"], sh.frame["source_row"],
                                                             sh.frame.get("enterprise_id", [None] * len(sh.frame)))
                 if _period_differs(p, expected)]
        if not cells:
            continue
        other = sorted({p[:7] for _, p, _ in cells})
        others += [m for m in other if m not in others]
        reader.add("period_mismatch", f"文件 {path.name} 工作表「{sh.sheet}」单元格中的期间为 {'、'.join(other)}，"
                   f"与{source}（{expected}）不符；为免覆盖其他月份，该文件的全部数据不入库，请核对期间后重新报送",
                   sheet=sh.sheet, table=sh.table, value="、".join(other))
        label = t.field("period").label_zh
        for row, p, eid in cells:  # each cell that disagrees, so the analyst need not hunt for it (issue 27)
            reader.add("period_mismatch", f"工作表「{sh.sheet}」第 {row} 行「{label}」为 {p}，与{source}（{expected}）不符",
                       sheet=sh.sheet, table=sh.table, row=None if _blank(row) else int(row), column=label,
                       value=p, enterprise_id=_s(eid), period=p)
    if others:
        for name in sorted(read.tables):
            reader.add("period_mismatch", f"文件 {path.name} 因期间与{source}不符，「{contract.table(name).label_zh}」"
                       "不入库", table=name, value="、".join(sorted(others)))


# --- issue 14: versions within one batch ------------------------------------------------------------
_CORRECTION_WORDS = ("更正", "修订", "修正", "更新", "补正", "替换")
_COPY_MARK = re.compile(r"(?:[(（]\s*(\d{1,2})\s*[)）]|[-_ ]?副本|[-_ ]?[vV](\d{1,2})|第\s*(\d{1,2})\s*版)\s*$")


def _version_of(path: Path, read: _FileRead) -> tuple[int, int, str]:
    """``(marked as correction, version number, why)`` from the file name and the 快报 header."""
    stem = path.stem.strip()
    marked = any(w in stem for w in _CORRECTION_WORDS)
    number = 0
    why = []
    if marked:
        why.append("文件名标明更正")
    m = _COPY_MARK.search(stem)
    if m:
        marked = True
        number = int(next((g for g in m.groups() if g), "1"))
        why.append(f"文件名标明为后一份副本（{m.group(0).strip()}）")
    for sh in read.sheets:
        meta = sh.meta or {}
        if meta.get("correction"):
            marked = True
            why.append("表头标明更正")
        v = meta.get("version")
        if v:
            d = re.search(r"\d+", normalise_text(str(v)))
            if d:
                number = max(number, int(d.group(0)))
                marked = marked or int(d.group(0)) > 1
                why.append(f"版本 {v}")
    return int(marked), number, "、".join(dict.fromkeys(why))


def _looks_text(data: bytes) -> bool:
    head = data[:2048]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError:
        try:
            head.decode("gb18030")
            return True
        except UnicodeDecodeError:
            return False


def _decode_text(data: bytes) -> str | None:
    """CSV text in UTF-8 (with or without BOM), GBK or GB18030; ``None`` when none of them fits."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _read_csv(data: bytes, path: Path, reader: _Reader, *, renamed: bool = False) -> list[_Sheet]:
    if b"\x00" in data[:4096]:
        reader.add("file_not_excel", f"文件 {path.name} 不是文本 CSV 文件")
        return []
    text = _decode_text(data)
    if text is None:
        reader.add("file_corrupt", f"文件 {path.name} 的编码无法识别（应为 UTF-8 或 GBK）")
        return []
    try:
        rows = [tuple(None if c == "" else c for c in r) for r in csv.reader(_lines(text))]
    except csv.Error as exc:
        reader.add("file_corrupt", f"文件 {path.name} 不是有效的 CSV：{exc}")
        return []
    del text  # a province's history CSV is hundreds of MB: its text goes before its rows are typed
    name = None if renamed else _table_of_filename(path.stem)
    if name in (None, "financials") and kuaibao.detect(rows) is not None:
        return reader.kuaibao_sheet(rows, None, kuaibao.detect(rows), path.stem)
    if name is None:
        name = _table_by_header(rows, path.stem)
        if name is None:
            if renamed:
                what = "CSV/文本"
                reader.add("file_not_excel", f"文件 {path.name} 的扩展名为 {path.suffix or '（无）'}，但内容不是 Excel 工作簿"
                           f"（看起来是{what}文件），表头也无法对应任何报表；请用模板填报并保存为 .xlsx")
            else:
                reader.add("file_unknown_table", f"无法从文件名 {path.name} 或表头判断是哪张报表；CSV 文件名须包含表名，"
                           "如“财务快报_G01_2022-11.csv”或“financials.csv”，或第 1 行为模板表头")
            return []
        reader.add("sheet_recognised", f"文件 {path.name} 按表头识别为「{contract.table(name).label_zh}」"
                   + ("（扩展名不是 .csv，内容为 CSV 文本）" if renamed else "") + "，已读取；请核对",
                   table=name)
    sheet = contract.table(name).label_zh
    sh = reader.sheet(rows, name, sheet)
    return [sh] if sh else []


def _lines(text: str):
    """The lines of ``text``, each with its ``\\n``, as ``io.StringIO(text)`` gives them, without the copy of the
    whole text (four bytes a character) that StringIO holds: a 267 MB history CSV (10,000 enterprises) held
    ~1 GB in it while its rows were parsed."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def _table_by_header(rows: list[tuple], title: str = "") -> str | None:
    """The contract table whose Chinese headers the first rows carry (≥ 60 % of its required columns), else None."""
    best: tuple[float, str] | None = None
    for k in range(min(3, len(rows))):
        keys = {_norm_header(str(v)) for v in rows[k] if not _blank(v)}
        keys |= {_norm_header(m.group(1)) for v in rows[k] if not _blank(v)
                 for m in [_HEADER_UNIT.match(str(v).strip())] if m}
        if len(keys) < 2:
            continue
        for name, t in contract.INTAKE_TABLES.items():
            required = [f for f in t.fields if f.required]
            hit = sum(_norm_header(f.label_zh) in keys for f in required)
            if hit >= max(2, 0.6 * len(required)):
                score = hit / len(required)
                if name == "financials_ly" and "上年" not in title:
                    continue
                if name == "financials" and "上年" in title:
                    continue
                if best is None or score > best[0]:
                    best = (score, name)
    return best[1] if best else None


def _holds_data(rows: list[tuple]) -> bool:
    """True when a sheet has a number anywhere (a sheet of notes has none)."""
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) for r in rows for v in r)


def _has_percent(name: str) -> bool:
    return any(f.unit == "%" for f in contract.table(name).fields)


def _calamine_hidden(meta) -> bool:
    """Whether python-calamine's sheet metadata marks the sheet hidden or very hidden.

    The enum prints as ``SheetVisibleEnum.Visible`` / ``.Hidden`` / ``.VeryHidden``; a substring test
    for "visible" was true for all three, so hidden sheets of .xls/.ods files went unreported.
    """
    return str(getattr(meta, "visible", "Visible")).rsplit(".", 1)[-1].lower() != "visible"


def _read_one_sheet(reader: _Reader, title: str, rows: list[tuple], *, hidden: bool, get_formats,
                    merged: list[str] = (), cached: list | None = None) -> tuple[str | None, list[_Sheet]]:
    """One sheet: by its name, else by the 快报 layout, else by its header row; a sheet of data never skipped."""
    name = _table_of_sheet(title)
    if name in (None, "financials"):
        head = kuaibao.detect(rows)
        if head is not None:
            if hidden:
                reader.add("sheet_hidden", f"工作表「{title}」处于隐藏状态，已照常读取；请确认其内容应当报送",
                           sheet=title, table="financials")
            return "financials", reader.kuaibao_sheet(rows, get_formats(), head, title, cached=cached)
    if name is None:
        if title.strip() in IGNORED_SHEETS:
            return None, []
        name = _table_by_header(rows, title)
        if name is None:
            if _holds_data(rows):
                reader.add("sheet_unknown_data", f"工作表「{title}」{'（隐藏）' if hidden else ''}含有数据，但工作表名和表头"
                           "都无法对应任何报表，未读取；请将工作表改名为报表名（"
                           f"{'、'.join(t.label_zh for t in contract.TABLES.values())}）或使用模板表头",
                           sheet=title)
            elif not hidden and any(not _blank(v) for r in rows for v in r):
                reader.add("sheet_unknown", f"工作表「{title}」不是报表工作表，已忽略"
                           f"（报表工作表名为：{'、'.join(t.label_zh for t in contract.TABLES.values())}）",
                           sheet=title)
            return None, []
        reader.add("sheet_recognised", f"工作表「{title}」{'（隐藏）' if hidden else ''}的名称不是报表名，按表头识别为"
                   f"「{contract.table(name).label_zh}」并已读取；请核对，并建议改回报表名", sheet=title, table=name)
    elif hidden:
        reader.add("sheet_hidden", f"工作表「{title}」处于隐藏状态，已照常读取；请确认其内容应当报送",
                   sheet=title, table=name)
    formats = get_formats() if _has_percent(name) else None
    sh = reader.sheet(rows, name, title, merged=merged, cached=cached, formats=formats)
    return name, ([sh] if sh else [])


def _merged_refs(zf: zipfile.ZipFile, member: str | None) -> list[str]:
    if not member:
        return []
    try:
        xml = zf.read(member.lstrip("/"))
    except KeyError:
        return []
    return _merged_in(xml)


def _merged_in(xml: bytes) -> list[str]:
    """The merged ranges a sheet's XML declares (``<mergeCell ref="A1:B2"/>``)."""
    if b"mergeCell" not in xml:
        return []
    return [m.decode() for m in re.findall(rb'<mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"', xml)]


def _sheet_rows(ws) -> list[tuple]:
    try:
        ws.reset_dimensions()
    except AttributeError:
        pass
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _sheet_formats(ws) -> list[tuple]:
    """The number format of every cell (a second pass over the sheet; only where formats matter)."""
    try:
        ws.reset_dimensions()
    except AttributeError:
        pass
    return [tuple(getattr(c, "number_format", None) for c in r) for r in ws.iter_rows()]


def _read_calamine(data: bytes, reader: _Reader, what: str) -> list[_Sheet]:
    """Legacy .xls and .ods workbooks (python-calamine: values without number formats)."""
    import python_calamine  # deferred: heavy dependency, loaded on first use

    display = reader.display
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = list(wb.sheets_metadata)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a finding
        reader.add("file_legacy_xls", f"文件 {display} 为 {what} 格式，但无法读取（{type(exc).__name__}）；"
                   "请在 Excel 中另存为 .xlsx 后报送")
        return []
    reader.add("file_no_formats", f"文件 {display} 为 {what} 格式，已读取；该格式的数字格式（如百分比格式）无法识别，"
               "百分比请填百分数（如 6.17），建议另存为 .xlsx")
    sheets: list[_Sheet] = []
    found = False
    for meta in metas:
        title = meta.name
        hidden = _calamine_hidden(meta)
        try:
            rows = [tuple(None if (isinstance(v, str) and v == "") else v for v in r)
                    for r in wb.get_sheet_by_name(title).to_python()]
        except Exception as exc:  # noqa: BLE001
            reader.add("file_corrupt", f"工作表「{title}」无法读取（{type(exc).__name__}: {exc}）", sheet=title)
            continue
        name, got = _read_one_sheet(reader, title, rows, hidden=hidden, get_formats=lambda: None)
        found = found or name is not None
        sheets += got
    if not found:
        reader.add("sheet_missing", f"工作簿 {display} 中没有任何报表工作表；工作表须命名为："
                   f"{'、'.join(t.label_zh for t in contract.TABLES.values())}")
    return sheets


def _read_xlsx(data: bytes, reader: _Reader) -> list[_Sheet]:
    display = reader.display
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        bad = zf.testzip()
        if bad is not None:
            raise zipfile.BadZipFile(bad)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        reader.add("file_corrupt", f"工作簿 {display} 已损坏（压缩包不完整：{type(exc).__name__}），"
                   "可能是上传或拷贝中断；请重新导出后报送")
        return []
    if "xl/workbook.xml" not in zf.namelist():
        if "content.xml" in zf.namelist() and b"opendocument.spreadsheet" in zf.read("mimetype")[:100] \
                if "mimetype" in zf.namelist() else False:
            return _read_calamine(data, reader, "OpenDocument（.ods）")
        reader.add("file_not_excel", f"文件 {display} 是压缩包，但不是 Excel 工作簿（缺少 xl/workbook.xml）")
        return []
    light = open_light(data, zf)
    if light is not None:  # values by python-calamine, percent formats from the styles (issue 27)
        sheets_in = [(sh.title, sh.hidden, lambda sh=sh: _light_sheet(light, sh)) for sh in light.sheets]
        return _read_sheets(reader, sheets_in, _expected_tables(light.keywords, light.description))
    import openpyxl  # deferred: heavy dependency, loaded only for workbooks the light read leaves to it

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a finding, never a traceback
        reader.add("file_corrupt", f"工作簿 {display} 无法打开（{type(exc).__name__}），请在 Excel 中另存为 .xlsx 后报送")
        return []
    opened = []

    def load(ws):
        rows = _sheet_rows(ws)
        cached = None
        if any(isinstance(v, str) and v.startswith("=") for r in rows[1:] for v in r):
            if not opened:
                opened.append(openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True))
            cached = _sheet_rows(opened[0][ws.title])
        return rows, cached, lambda: _sheet_formats(ws), _merged_refs(zf, getattr(ws, "_worksheet_path", None))

    try:
        sheets_in = [(ws.title, getattr(ws, "sheet_state", "visible") != "visible", lambda ws=ws: load(ws))
                     for ws in wb.worksheets]
        return _read_sheets(reader, sheets_in, _template_tables(wb))
    finally:
        wb.close()
        for other in opened:
            other.close()


def _light_sheet(light, sh):
    rows = light.rows(sh)
    return rows, None, lambda: light.formats(sh, rows), _merged_in(sh.xml)


def _read_sheets(reader: _Reader, sheets_in: list, expected: list[str]) -> list[_Sheet]:
    """Every worksheet ``(title, hidden, load)`` (``load()`` gives rows, cached values, a formats getter and
    merged ranges) into contract sheets, with the findings of a sheet that cannot be read or is missing."""
    display = reader.display
    sheets: list[_Sheet] = []
    found: set[str] = set()
    for title, hidden, load in sheets_in:
        try:
            rows, cached, get_formats, merged = load()
            name, got = _read_one_sheet(reader, title, rows, hidden=hidden, get_formats=get_formats,
                                        merged=merged, cached=cached)
        except Exception as exc:  # noqa: BLE001
            reader.add("file_corrupt", f"工作表「{title}」无法读取（{type(exc).__name__}: {exc}）", sheet=title,
                       table=_table_of_sheet(title))
            continue
        if name is not None:
            found.add(name)
        sheets += got
    missing = [n for n in expected if n not in found and n not in contract.LEDGER_TABLES]  # ledgers optional
    for n in missing:
        reader.add("sheet_missing", f"工作簿 {display} 缺少模板中的工作表「{contract.table(n).label_zh}」",
                   sheet=contract.table(n).label_zh, table=n)
    if not found and not missing:
        reader.add("sheet_missing", f"工作簿 {display} 中没有任何报表工作表；工作表须命名为："
                   f"{'、'.join(t.label_zh for t in contract.TABLES.values())}")
    return sheets


def _template_tables(wb) -> list[str]:
    """Tables a template-made workbook promised (from its document properties), else []."""
    props = getattr(wb, "properties", None)
    if props is None:
        return []
    return _expected_tables(props.keywords, props.description)


def _expected_tables(keywords: str | None, description: str | None) -> list[str]:
    if TEMPLATE_KEYWORD not in (keywords or ""):
        return []
    m = re.search(r"tables=([\w,]+)", description or "")
    return [n for n in (m.group(1).split(",") if m else []) if n in contract.TABLES]


# ---------------------------------------------------------------------------
# the processed store


_DTYPE = {"float": "float64", "int": "Int64", "bool": "boolean", "date": "datetime64[ns]"}


def _normalise(df: pd.DataFrame, name: str, *, sort: bool = True) -> pd.DataFrame:
    """Contract columns + ``source_file``/``source_row`` in fixed order and dtypes, sorted by key."""
    t = contract.table(name)
    cols = {}
    for f in t.fields:
        s = df[f.name] if f.name in df.columns else pd.Series([None] * len(df), index=df.index)
        dt = _DTYPE.get(f.dtype, "str")
        if dt == "str":
            s = s.astype("object").where(s.notna(), None).astype("str")
        elif dt == "datetime64[ns]":
            s = pd.to_datetime(s).astype("datetime64[ns]")
        else:
            s = s.astype(dt)
        cols[f.name] = s
    cols["source_file"] = df["source_file"].astype("str")
    cols["source_row"] = df["source_row"].astype("Int64")
    out = pd.DataFrame(cols)
    if not sort:
        return out.reset_index(drop=True)
    out = out.sort_values([*t.key, "source_file", "source_row"], kind="mergesort", na_position="last")
    return out.reset_index(drop=True)


def _unit_fields(name: str) -> list[str]:
    """Fields that identify one submission unit (enterprise × period) of a table."""
    t = contract.table(name)
    eid = "guarantor_id" if name == "guarantees" else "enterprise_id"
    if "period" in t.field_names:
        return [eid, "period"]
    return list(t.key)


_QUARANTINE_COLUMNS = {
    "source_file": "str", "original_name": "str", "table": "str", "source_sheet": "str", "source_row": "Int64",
    "enterprise_id": "str", "period": "str", "rules": "str", "reasons": "str", "values_json": "str",
}
_LOG_COLUMNS = {
    "seq": "Int64", "source_file": "str", "original_name": "str", "sha256": "str", "received_on": "str",
    "received_at": "str", "file_mtime": "str",
    "table": "str", "enterprise_id": "str", "period": "str", "submitted_rows": "Int64", "accepted_rows": "Int64",
    "quarantined_rows": "Int64", "status": "str", "superseded_by": "str",
}


def _typed_frame(records: list[dict] | pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    df = records if isinstance(records, pd.DataFrame) else pd.DataFrame(records, columns=list(columns))
    out = {}
    for c, dt in columns.items():
        s = df[c] if c in df.columns else pd.Series([None] * len(df), index=df.index, dtype="object")
        if dt == "str":
            s = s.astype("object").where(s.notna(), None).astype("str")
        else:
            s = s.astype(dt)
        out[c] = s
    return pd.DataFrame(out).reset_index(drop=True)


def load_processed(processed_dir: Path | None = None, *, tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """The processed history: ``{table name: frame}`` for every dataset present (latest submissions only)."""
    d = Path(processed_dir or config.PROCESSED_DIR)
    out = {}
    for name in tables or list(contract.INTAKE_TABLES):
        p = d / f"{name}.parquet"
        if p.exists():
            out[name] = pd.read_parquet(p)
    return out


def _read_or_empty(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    if path.exists():
        return pd.read_parquet(path)
    return _typed_frame([], columns)


def _store_raw(path: Path, data: bytes, sha: str, raw_store: Path) -> str:
    name = raw_name(sha, path.name)
    target = raw_store / name
    if not target.exists():
        atomic_write_bytes(target, data)
        os.chmod(target, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return name


def _intake_order(path: Path) -> tuple:
    """Roster first (the other files are checked against it), then migrated history, then the periods."""
    name = path.name.lower()
    rank = 0 if ("roster" in name or "企业名录" in name) else 1 if "history" in path.parts else 2
    return rank, str(path)


def _expand(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted((q for q in p.rglob("*") if q.is_file()
                           and q.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".csv", ".ods", ".txt")
                           and not q.name.startswith(("~$", "."))), key=_intake_order)
        else:
            out.append(p)
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop a required_missing finding where the cell already has a parse error."""
    parse = {(f.file, f.sheet, f.row, f.column) for f in findings
             if f.rule in ("not_a_number", "not_an_integer", "not_a_bool", "not_a_date", "formula_no_value",
                           "period_ambiguous", "percent_ambiguous", "unit_mismatch")}
    blocked_cols = {(f.sheet, f.column) for f in findings if f.rule in ("column_missing", "column_renamed")}
    out = []
    for f in findings:
        if f.rule == "required_missing" and (f.file, f.sheet, f.row, f.column) in parse:
            continue
        if f.rule in ("required_missing", "column_missing") and f.row is None and (f.sheet, f.column) in blocked_cols \
                and f.table is not None and f.rule == "required_missing":
            continue
        if f.rule == "required_missing" and f.row is not None and (f.sheet, f.column) in blocked_cols:
            continue
        out.append(f)
    # the schema check repeats the reader's column_missing: keep the reader's
    seen = set()
    result = []
    for f in out:
        if f.rule == "column_missing":
            k = (f.sheet, f.column)
            if k in seen:
                continue
            seen.add(k)
        result.append(f)
    return result


def _day(today) -> date:
    if today is None:
        return date.today()
    if isinstance(today, datetime):
        return today.date()
    if isinstance(today, str):
        return date.fromisoformat(today)
    return today


def _roster_frame(*parts) -> pd.DataFrame | None:
    frames = [p for p in parts if p is not None and len(p) and "enterprise_id" in p.columns]
    if not frames:
        return None
    cols = ["enterprise_id", "name", "short_name", "parent_id"]
    out = pd.concat([f[[c for c in cols if c in f.columns]] for f in frames], ignore_index=True)
    return out.drop_duplicates("enterprise_id", keep="last")


@dataclass
class _Received:
    path: Path
    sha: str
    stored: str
    read: _FileRead
    mtime: float
    version: tuple[int, int, str]
    at: int = 0


def _order_key(item: _Received) -> tuple:
    """Roster first (by name or by content), then migrated history, then each period folder; within a folder a
    file marked as a correction (or a higher version) after the original, then the later file (mtime), then name."""
    name = item.path.name.lower()
    if "roster" in name or "企业名录" in name or "roster" in item.read.tables:
        rank = 0
    elif "history" in item.path.parts:
        rank = 1
    else:
        rank = 2
    marked, number, _why = item.version
    return rank, str(item.path.parent), marked, number, item.mtime, item.path.name


def ingest(
    paths,
    *,
    raw_store: Path = config.RAW_DIR,
    processed_dir: Path = config.PROCESSED_DIR,
    today: date | None = None,
    roster: pd.DataFrame | None = None,
    jobs: int | None = None,
) -> IngestReport:
    """Receive files (or folders of them), validate, and update the processed store.

    ``roster`` overrides the roster used for the enterprise checks (default: the processed
    ``roster`` dataset plus any 企业名录 sheet in the files). ``today`` is the reference date of
    the future-period rule. Never raises for bad input; see the module docstring.

    Every file is read first; then they are taken roster first (by file name or content), then
    history, then folder by folder, a correction after its original (see :func:`_order_key`). When a
    later file of the batch replaces rows an earlier one gave, a ``version_superseded`` finding says
    which and why. A correction's rows that fail validation never delete the version accepted before:
    it stays in force (``correction_kept_previous``).

    Reading (parsing the workbooks, typing the cells) is done by ``jobs`` processes when the batch has
    at least :data:`PARALLEL_MIN_FILES` new files (default: one per CPU, at most 4); validation and
    storing stay in this process and in file order, so the result is the same whatever ``jobs`` is.
    """
    raw_store = Path(raw_store)
    processed_dir = Path(processed_dir)
    day = _day(today)
    received_at = datetime.now().isoformat(timespec="seconds")
    report = IngestReport()
    store = load_processed(processed_dir)
    original = dict(store)
    qpath = processed_dir / QUARANTINE_FILE
    lpath = processed_dir / SUBMISSIONS_FILE
    quarantine = _read_or_empty(qpath, _QUARANTINE_COLUMNS)
    log = _read_or_empty(lpath, _LOG_COLUMNS)
    q_new: list[dict] = []
    log_new = _Rows()
    supersede: dict[tuple, str] = {}
    changed: set[str] = set()
    seq = int(log["seq"].max()) + 1 if len(log) else 1
    unit_rows = _Rows()
    known_sha = set(log["sha256"].dropna().astype("str"))
    received: list[_Received] = []
    to_read: list[tuple] = []  # files not seen before, read together below (in parallel when there are many)
    position: dict[int, int] = {}  # id(FileResult) → the file's place in the input (the report keeps that order)
    for at, path in enumerate(_expand(paths)):
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError as exc:
            f = make_finding("file_missing", f"文件 {path} 不存在或无法读取（{exc.strerror or exc}）", file=path.name)
            report.findings.append(f)
            report.files.append(FileResult(str(path), None, None, "已拒收", errors=1))
            position[id(report.files[-1])] = at
            continue
        sha = hashlib.sha256(data).hexdigest()
        stored = _store_raw(path, data, sha, raw_store)
        if sha in known_sha:
            f = make_finding("file_already_received", f"文件 {path.name} 与已接收的 {stored} 内容相同，未重复处理",
                             file=path.name)
            report.findings.append(f)
            report.files.append(FileResult(str(path), stored, sha, "已接收过", warnings=1))
            position[id(report.files[-1])] = at
            continue
        known_sha.add(sha)
        to_read.append((path, sha, stored, data, mtime, at))
    reads = _read_files([(path, stored, data) for path, _sha, stored, data, _m, _a in to_read], jobs=jobs)
    for (path, sha, stored, _data, mtime, at), read in zip(to_read, reads):
        received.append(_Received(path, sha, stored, read, mtime, _version_of(path, read), at))
    del to_read
    received.sort(key=_order_key)
    #: (table, enterprise, period) → the file of this batch whose rows are in force, with its order key
    in_force: dict[tuple, _Received] = {}
    #: the rest of the batch once no file carries a roster: prepared and validated together (issue 18)
    prepared: dict[int, tuple] = {}
    batch: _Validated | None = None
    #: per table, the accepted rows of the batch's files waiting to be stored together: (file, rows kept
    #: or None for all) when the batch holds the table's rows (_Validated.tables), else the rows' pickle
    pending: dict[str, list] = {}
    for n_item, item in enumerate(received):
        path, sha, stored, read = item.path, item.sha, item.stored, item.read
        mtime_text = datetime.fromtimestamp(item.mtime).isoformat(timespec="seconds")  # one text per file, not per unit
        if batch is None and not any("roster" in it.read.tables for it in received[n_item:]):
            batch = _validate_rest(received[n_item:], prepared, store=store, roster=roster, today=day)
        if id(item) in prepared:
            tables, counts = prepared[id(item)]
        else:
            tables, counts = _prepare(item, store, roster)
        fast = batch is not None and id(item) in batch.findings
        findings = list(read.reader.findings)
        ros = roster
        if ros is None and not fast:  # a batch was validated against the store's roster (never empty)
            parts = [df for df in (store.get("roster"), tables.get("roster")) if df is not None and len(df)]
            ros = pd.concat([p[["enterprise_id"]] for p in parts], ignore_index=True) if parts else None
            if ros is None and any(n != "roster" for n in tables):
                findings.append(make_finding("roster_unavailable", "未找到企业名录（请先导入企业名录），未核对企业编码",
                                             file=path.name))
        vfind = batch.findings[id(item)] if fast else validate_tables(tables, history=store, roster=ros, today=day)
        for f in vfind:
            f.file = path.name
        findings = _dedupe(findings + vfind)
        kb_titles = {sh.sheet for sh in read.sheets if sh.meta is not None}
        kb_bad = {f.sheet for f in findings if f.is_error and f.sheet in kb_titles}
        result = FileResult(str(path), stored, sha, "已处理",
                            errors=sum(f.is_error for f in findings), warnings=sum(not f.is_error for f in findings))
        fatal = [f for f in findings if f.is_error and f.rule.startswith("file_")]
        if fatal:
            q_new.append({"source_file": stored, "original_name": path.name, "table": None, "source_sheet": None,
                          "source_row": None, "enterprise_id": None, "period": None,
                          "rules": "；".join(f.rule for f in fatal), "reasons": "；".join(f.message for f in fatal),
                          "values_json": None})
        extra: list[Finding] = []
        known_units = batch.units.get(id(item), {}) if fast else {}
        for name in tables:
            known = known_units.get(name)  # the unit keys the batch made for this file's rows of the table
            # the rows themselves only when a finding may take some of them out (most files of a batch: none)
            frame = tables[name] if known is None or _needs_rows(findings, name, kb_titles) else None
            n_rows = len(known) if frame is None else len(frame)
            submitted, dropped = counts.get(name, (n_rows, 0))
            result.submitted += submitted
            result.dropped += dropped
            sheet_block = [f for f in findings if f.is_error and f.row is None and f.table == name]
            row_errors: dict[int, list[Finding]] = {}
            drop_rows: set[int] = set()
            for f in findings:
                if f.table != name or f.row is None:
                    continue
                if f.is_error:
                    row_errors.setdefault(f.row, []).append(f)
                elif f.rule in DROP_RULES:
                    drop_rows.add(f.row)
            # rows and sheets are looked up only when a finding names some (most files of a batch: none)
            rows = frame["source_row"].astype("int64").to_numpy() if row_errors or drop_rows else None
            kb_rows = np.isin(frame["source_sheet"].astype("str").to_numpy(), list(kb_bad)) if kb_bad \
                else np.zeros(n_rows, bool)
            blocked = np.ones(n_rows, bool) if sheet_block else \
                ((np.isin(rows, list(row_errors)) if row_errors else np.zeros(n_rows, bool)) | kb_rows)
            dropped_mask = (np.isin(rows, list(drop_rows)) if drop_rows else np.zeros(n_rows, bool)) & ~blocked
            result.dropped += int(dropped_mask.sum())
            keep_rows = ~blocked & ~dropped_mask
            whole = bool(keep_rows.all())  # the whole file's rows: no copy
            accepted = frame if whole else frame[keep_rows]  # frame is None only when whole
            n_accepted = int(keep_rows.sum())
            rejected = frame[blocked] if blocked.any() else None  # most files reject nothing: no copy
            result.accepted += n_accepted
            result.quarantined += 0 if rejected is None else len(rejected)
            for idx in (() if rejected is None else rejected.index):
                r = int(rejected.at[idx, "source_row"])
                sh_title = str(rejected.at[idx, "source_sheet"])
                errs = sheet_block + row_errors.get(r, []) + \
                    ([f for f in findings if f.is_error and f.sheet == sh_title] if sh_title in kb_bad else [])
                eid_field = _unit_fields(name)[0]
                q_new.append({
                    "source_file": stored, "original_name": path.name, "table": name, "source_sheet":
                    rejected.at[idx, "source_sheet"], "source_row": r,
                    "enterprise_id": _s(rejected.at[idx, eid_field]) if eid_field in rejected.columns else None,
                    "period": _s(rejected.at[idx, "period"]) if "period" in rejected.columns else None,
                    "rules": "；".join(dict.fromkeys(f.rule for f in errs)),
                    "reasons": "；".join(dict.fromkeys(f.message for f in errs)),
                    "values_json": _row_json(rejected.loc[idx], name),
                })
            # submission units: counts and supersede
            ufields = _unit_fields(name)
            ukeys = known if known is not None else _unit_keys(frame, ufields)
            ok_mask = ~blocked & ~dropped_mask
            acc_keys = ukeys[ok_mask]
            groups: dict[tuple, list[int]] = {}
            for i, k in enumerate(ukeys):
                groups.setdefault(k, []).append(i)
            label = contract.table(name).label_zh
            old = store.get(name)
            for key in sorted(groups, key=lambda k: tuple("" if x is None else str(x) for x in k)):
                rows_of = groups[key]  # the unit's own rows: counting them costs the unit's size, not the file's
                n_sub = len(rows_of)
                n_acc = int(ok_mask[rows_of].sum())
                n_q = int(blocked[rows_of].sum())
                eid = key[0]
                per = "|".join("" if x is None else x for x in key[1:]) or None
                unit_rows.append({"file": path.name, "stored_as": stored, "table": name, "enterprise_id": eid,
                                  "period": per, "submitted": n_sub, "accepted": n_acc, "quarantined": n_q})
                status = "有效" if n_acc else "已拒收"
                log_new.append({"seq": seq, "source_file": stored, "original_name": path.name, "sha256": sha,
                                "received_on": day.isoformat(), "received_at": received_at,
                                "file_mtime": mtime_text,
                                "table": name, "enterprise_id": eid,
                                "period": per, "submitted_rows": n_sub, "accepted_rows": n_acc,
                                "quarantined_rows": n_q, "status": status, "superseded_by": None})
                unit_text = f"「{label}」{eid or ''} {per or ''}".rstrip()
                earlier = in_force.get((name, eid, per))
                if n_acc:
                    supersede[(name, eid, per)] = stored
                    if earlier is not None and earlier.stored != stored:
                        extra.append(make_finding(
                            "version_superseded", f"{unit_text}：同一批次收到多份，采用 {path.name}"
                            f"（{_why_later(item, earlier)}），替代 {earlier.path.name}",
                            file=path.name, table=name, enterprise_id=eid, period=per, value=earlier.path.name))
                    in_force[(name, eid, per)] = item
                if n_q and not fast and eid is not None and old is not None and len(old) and \
                        _in_units(old, ufields, {key}).any():
                    source = earlier.path.name if earlier is not None else "此前已接收的文件"
                    if not n_acc:
                        extra.append(make_finding(
                            "correction_kept_previous", f"{unit_text}：{path.name} 中该期数据未通过校验（见同文件的错误），"
                            f"继续采用{source}中已接收的版本，直至收到通过校验的新版本",
                            file=path.name, table=name, enterprise_id=eid, period=per))
            if n_accepted and fast:  # no stored or batch row in these units: appended once at the end
                # normalised once per table below: from the batch's rows of the table, else kept packed
                # until then (the whole file's bytes as read)
                pending.setdefault(name, []).append(
                    (id(item), None if whole else keep_rows) if name in batch.tables
                    else tables.blob(name) if whole else _pack(accepted))
                changed.add(name)
            elif n_accepted:
                new = _normalise(accepted, name, sort=False)
                if old is not None and len(old):
                    drop_old = _in_units(old, ufields, set(acc_keys))
                    keep = _kept_previous(old, frame, blocked, ukeys, set(acc_keys), name, drop_old)
                    for i in np.nonzero(keep)[0]:
                        row = old.iloc[i]
                        kt = "、".join(f"{contract.table(name).field(k).label_zh} {row[k]}" for k in contract.table(name).key)
                        extra.append(make_finding(
                            "correction_kept_previous", f"「{label}」{kt}：{path.name} 中对应的行未通过校验，"
                            f"继续采用此前已接收的版本（{row['source_file']} 第 {row['source_row']} 行），直至收到通过校验的新版本",
                            file=path.name, table=name, enterprise_id=_s(row[ufields[0]]),
                            period=_s(row["period"]) if "period" in old.columns else None))
                    old = old[~(drop_old & ~keep)]
                    new = pd.concat([old, new], ignore_index=True)
                store[name] = new
                changed.add(name)
        if not tables:
            log_new.append({"seq": seq, "source_file": stored, "original_name": path.name, "sha256": sha,
                            "received_on": day.isoformat(), "received_at": received_at,
                            "file_mtime": mtime_text,
                            "table": None, "enterprise_id": None, "period": None,
                            "submitted_rows": 0, "accepted_rows": 0, "quarantined_rows": 0,
                            "status": "已拒收", "superseded_by": None})
        if fatal:
            result.status = "已拒收"
        elif result.quarantined and result.accepted:
            result.status = "部分隔离"
        elif result.quarantined:
            result.status = "已拒收"
        result.warnings += len(extra)
        seq += 1
        report.findings += findings + extra
        report.files.append(result)
        position[id(result)] = item.at
        # this file's rows are in the store or the quarantine now: free its read frames (a province's
        # batch holds thousands of files; only the small facts about the file are used from here on)
        prepared.pop(id(item), None)
        for sh in read.sheets:
            sh.frame = sh.packed = None
    report.files.sort(key=lambda r: position.get(id(r), 0))
    report.submissions = unit_rows.frame(_UNIT_COLUMNS)
    if not log_new and not q_new:
        return report
    # submissions log: mark superseded units
    log_new = log_new.frame(list(_LOG_COLUMNS))
    log_all = pd.concat([log, _typed_frame(log_new, _LOG_COLUMNS)], ignore_index=True) if len(log) else \
        _typed_frame(log_new, _LOG_COLUMNS)
    log_all = _typed_frame(log_all, _LOG_COLUMNS)
    if supersede:
        sup = pd.DataFrame([(n, e, p, f) for (n, e, p), f in supersede.items()],
                           columns=["table", "enterprise_id", "period", "latest"])
        latest = pd.Series(sup["latest"].to_numpy(), index=_log_key(sup))
        lat = _log_key(log_all).map(latest)
        sel = (lat.notna() & (log_all["status"] == "有效") & (log_all["source_file"] != lat)).to_numpy()
        log_all.loc[sel, "status"] = "已被替代"
        log_all.loc[sel, "superseded_by"] = lat[sel].to_numpy()
    log_all = log_all.sort_values(["seq", "table", "enterprise_id", "period"], kind="mergesort",
                                  na_position="first").reset_index(drop=True)
    q_all = _typed_frame(pd.concat([quarantine, _typed_frame(q_new, _QUARANTINE_COLUMNS)], ignore_index=True),
                         _QUARANTINE_COLUMNS)
    q_all = q_all.drop_duplicates(subset=["source_file", "table", "source_row"], keep="last")
    q_all = q_all.sort_values(["source_file", "table", "source_row"], kind="mergesort",
                              na_position="first").reset_index(drop=True)
    with _staged_outputs(processed_dir) as put:  # table by table: one table's copies at a time (issue 27)
        for n in sorted(changed):
            old = store.pop(n, None)
            parts = pending.pop(n, None)
            if parts:  # one pass per table, not one per file (issue 18)
                new = _normalise(_pending_rows(parts, batch.tables.pop(n, None) if batch is not None else None),
                                 n, sort=False)
                del parts
                old = pd.concat(([old] if old is not None and len(old) else []) + [new], ignore_index=True)
                del new
            df = _normalise(old, n)
            del old
            if original.get(n) is None or not original.pop(n).equals(df):
                put(f"{n}.parquet", df)
            del df
        put(QUARANTINE_FILE, q_all)
        put(SUBMISSIONS_FILE, log_all)
    return report


class _Rows:
    """Rows appended one at a time (``append(dict)``), kept as one list per column: a province's first
    ingest logs ~400,000 submission units, and a dict per unit costs five times its values (issue 27)."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {}
        self.n = 0

    def append(self, row: dict) -> None:
        for c in row.keys() - self.columns.keys():  # a column first seen now: missing in the earlier rows
            self.columns[c] = [None] * self.n
        for c, values in self.columns.items():
            values.append(row.get(c))
        self.n += 1

    def __len__(self) -> int:
        return self.n

    def frame(self, columns: list[str]) -> pd.DataFrame:
        """What ``pd.DataFrame(list_of_dicts, columns=columns)`` gives for the same rows."""
        if not self.n:
            return pd.DataFrame([], columns=columns)
        return pd.DataFrame({c: self.columns.get(c, [None] * self.n) for c in columns}, columns=columns)


def _prepare(item: _Received, store: dict[str, pd.DataFrame], roster: pd.DataFrame | None, *,
             store_roster: pd.DataFrame | None = None) -> tuple:
    """Resolve enterprises and periods of one read file and assemble its tables (with row counts); the
    tables come packed (:class:`_Packed`) and the sheets keep no frame. ``store_roster`` is
    ``_roster_frame(store["roster"])`` when the caller already has it (a file without a roster sheet
    then resolves against it as it is)."""
    read = item.read
    sheets_of = Counter(sh.table for sh in read.sheets)
    for sh in read.sheets:  # unpacked only where this step reads or changes the rows (most sheets: not)
        if sh.table == "roster" or sh.meta is not None or sheets_of[sh.table] > 1:
            sh.unpack()
    own = [sh.frame for sh in read.sheets if sh.table == "roster"]
    if roster is not None:
        ros_full = roster
    elif store_roster is not None and not own:
        ros_full = store_roster
    else:
        ros_full = _roster_frame(store.get("roster"), *own)
    _resolve_enterprises(read, item.path, ros_full)
    _check_periods(read, item.path)
    tables, counts = _assemble(read)
    # a table read from one sheet that nothing changed (not 快报: its enterprise code is set above) keeps
    # the sheet's bytes; the others are packed now
    same = {sh.table: sh.packed for sh in read.sheets
            if sh.packed is not None and sh.meta is None and sheets_of[sh.table] == 1}
    packed = _Packed({name: same.get(name) or _pack(df) for name, df in tables.items()})
    for sh in read.sheets:
        sh.frame, sh.packed = None, None
    return packed, counts


def _pending_rows(parts: list, held: tuple[bytes, dict[int, tuple[int, int]]] | None) -> pd.DataFrame:
    """The accepted rows waiting for one table, in file order: from the batch's rows of the table when
    it holds them (``held``: its pickle and each file's place; ``parts``: each file and its rows kept,
    ``None`` for all), else the files' pickles one after another."""
    if held is None:
        return pd.concat([pickle.loads(b) for b in parts], ignore_index=True)
    blob, places = held
    rows = pickle.loads(blob)
    take = np.zeros(len(rows), bool)
    for key, kept in parts:
        start, stop = places[key]
        take[start:stop] = True if kept is None else kept
    return rows if take.all() else rows[take].reset_index(drop=True)


@dataclass
class _Validated:
    """What the batch validation hands to the file loop of :func:`ingest` (empty: validate file by file).

    ``findings``: each file's findings (by ``id`` of its :class:`_Received`). ``units``: each file's
    submission-unit keys per table, made once per table over the batch. ``tables``: each table's rows of
    the whole batch as one pickle, with each file's ``(start, stop)`` in them: the store takes a file's
    accepted rows from there, so a file's tables are unpacked only when a finding names one of its rows.
    """
    findings: dict[int, list[Finding]] = field(default_factory=dict)
    units: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    tables: dict[str, tuple[bytes, dict[int, tuple[int, int]]]] = field(default_factory=dict)


def _needs_rows(findings: list[Finding], name: str, kb_titles: set[str]) -> bool:
    """Whether the file loop must look at a table's rows of a file: some rows of it may be quarantined
    or dropped (an error on the table, a dropping rule on one of its rows, an error on a 快报 sheet)."""
    return any((f.table == name and (f.is_error or (f.row is not None and f.rule in DROP_RULES)))
               or (f.is_error and f.sheet in kb_titles) for f in findings)


def _validate_rest(rest: list[_Received], prepared: dict[int, tuple], *, store: dict[str, pd.DataFrame],
                   roster: pd.DataFrame | None, today: date) -> _Validated:
    """Prepare the files of ``rest`` (none carries a roster, so the roster no longer changes) and validate
    them as one batch (:func:`guozi_analysis.intake.batch.validate_batch`); empty when they must be
    validated file by file."""
    store_roster = _roster_frame(store.get("roster")) if roster is None else None  # made once, not per file
    for item in rest:
        prepared[id(item)] = _prepare(item, store, roster, store_roster=store_roster)
    ros = roster
    if ros is None:
        ros = store.get("roster")
        if ros is None or not len(ros):
            return _Validated()
        ros = ros[["enterprise_id"]]
    items = [BatchItem(it.stored, prepared[id(it)][0], list(it.read.reader.findings),
                       {sh.sheet for sh in it.read.sheets if sh.meta is not None}) for it in rest]
    out = _Validated()

    def keep(name: str, cat: pd.DataFrame, owner: np.ndarray) -> None:
        ukeys = _unit_keys(cat, _unit_fields(name))
        places = {}
        for i in np.unique(owner):
            start, stop = (int(x) for x in np.searchsorted(owner, [i, i + 1]))
            places[id(rest[i])] = (start, stop)
            out.units.setdefault(id(rest[i]), {})[name] = ukeys[start:stop]
        out.tables[name] = (_pack(cat), places)

    found = validate_batch(items, history=store, roster=ros, today=today, on_table=keep)
    if found is None:
        return _Validated()
    out.findings = {id(it): fs for it, fs in zip(rest, found)}
    # a file's own bytes of a table are kept only where the file loop will read its rows
    for it, batch_item, fs in zip(rest, items, found):
        for name in out.units.get(id(it), {}):
            if not _needs_rows(batch_item.reader_findings + fs, name, batch_item.kb_titles):
                batch_item.tables.release(name)
    return out


def _why_later(item: _Received, earlier: _Received) -> str:
    if item.version[:2] > earlier.version[:2]:
        return item.version[2] or "标明为更正版"
    if item.mtime > earlier.mtime:
        return (f"文件修改时间较晚：{datetime.fromtimestamp(item.mtime):%Y-%m-%d %H:%M:%S}，"
                f"原文件 {datetime.fromtimestamp(earlier.mtime):%Y-%m-%d %H:%M:%S}")
    return "修改时间相同，按文件名顺序在后"


def _kept_previous(old: pd.DataFrame, frame: pd.DataFrame, blocked: np.ndarray, ukeys: np.ndarray,
                   acc_units: set, name: str, drop_old: np.ndarray) -> np.ndarray:
    """Old rows of replaced units that stay in force: a rejected row of the correction names them by key
    (or names no key at all, then every old row not replaced by an accepted row stays)."""
    keep = np.zeros(len(old), bool)
    if not blocked.any() or not drop_old.any():
        return keep
    key_cols = list(contract.table(name).key)
    rej_in_replaced = np.array([blocked[i] and ukeys[i] in acc_units for i in range(len(frame))], bool)
    if not rej_in_replaced.any():
        return keep
    fkeys = _unit_keys(frame, key_cols)
    accepted_keys = {fkeys[i] for i in range(len(frame)) if not blocked[i]}
    rej_keys = {fkeys[i] for i in np.nonzero(rej_in_replaced)[0]}
    keyless_units = {ukeys[i] for i in np.nonzero(rej_in_replaced)[0] if any(x is None for x in fkeys[i])}
    idx = np.nonzero(drop_old)[0]
    okeys = _unit_keys(old.iloc[idx], key_cols)
    ounits = _unit_keys(old.iloc[idx], _unit_fields(name))
    for pos, i in enumerate(idx):
        k = okeys[pos]
        if k in accepted_keys:
            continue
        if k in rej_keys or ounits[pos] in keyless_units:
            keep[i] = True
    return keep


def _log_key(df: pd.DataFrame) -> pd.Series:
    """One text key per (table, enterprise, period) row of the submissions log."""
    parts = [df[c].astype("object").where(df[c].notna(), "\x00").astype("str") for c in ("table", "enterprise_id", "period")]
    return parts[0] + "\x01" + parts[1] + "\x01" + parts[2]


def _unit_keys(frame: pd.DataFrame, ufields: list[str]) -> np.ndarray:
    cols = []
    for c in ufields:
        s = frame[c] if c in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        if pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d")
        # each distinct value made text once (a batch's table has a million rows and a few thousand units)
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        text = [None if _blank(v) or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in uniques]
        cols.append(np.array([*text, None], dtype=object)[codes])  # code -1 (missing) takes the last: None
    keys = np.empty(len(frame), dtype=object)
    keys[:] = list(zip(*cols)) if cols else [()] * len(frame)
    return keys


def _in_units(frame: pd.DataFrame, ufields: list[str], units: set[tuple]) -> np.ndarray:
    """Rows of ``frame`` belonging to one of the submission ``units`` (vectorised pre-filter on the first field)."""
    first = {u[0] for u in units}
    cand = frame[ufields[0]].astype("str").isin([x for x in first if x is not None]).to_numpy()
    if None in first:
        cand = cand | frame[ufields[0]].isna().to_numpy()
    out = np.zeros(len(frame), bool)
    idx = np.nonzero(cand)[0]
    if len(idx):
        keys = _unit_keys(frame.iloc[idx], ufields)
        out[idx] = [k in units for k in keys]
    return out


def _row_json(row: pd.Series, name: str) -> str:
    values = {}
    for f in contract.table(name).field_names:
        v = row.get(f)
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            values[f] = None
        elif isinstance(v, pd.Timestamp):
            values[f] = v.strftime("%Y-%m-%d")
        elif isinstance(v, (np.bool_, bool)):
            values[f] = bool(v)
        elif isinstance(v, (np.integer, int)):
            values[f] = int(v)
        elif isinstance(v, (np.floating, float)):
            values[f] = float(v)
        else:
            values[f] = str(v)
    return json.dumps(values, ensure_ascii=False, sort_keys=False)


@contextmanager
def _staged_outputs(processed_dir: Path):
    """Yield ``put(name, frame)``, which writes ``frame`` into a staging folder at once (the caller may then
    free it); when the block ends without an error, every file put is moved into ``processed_dir``, else
    none is (the store stays as it was)."""
    processed_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=processed_dir))
    staged: dict[str, Path] = {}
    try:
        yield lambda name, df: staged.__setitem__(name, write_table(df, staging / name))
        for name, path in sorted(staged.items()):
            os.replace(path, processed_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ingest_command(paths, *, raw_store: Path | None = None, processed_dir: Path | None = None,
                   today: date | None = None) -> tuple[IngestReport, int]:
    """CLI body of ``guozi ingest PATH...``: ingest, print a Chinese summary, return ``(report, exit code)``.

    Exit code 0 when there is no error finding, 1 otherwise.
    """
    report = ingest(paths, raw_store=Path(raw_store or config.RAW_DIR),
                    processed_dir=Path(processed_dir or config.PROCESSED_DIR), today=today)
    print(report.summary_zh())
    return report, 0 if report.ok else 1
