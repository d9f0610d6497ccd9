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
import hashlib
import io
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.base import config, contract
from guozi_analysis.base.store import atomic_write_bytes, write_table
from guozi_analysis.intake.validate import (
    DROP_RULES,
    ERROR,
    WARNING,
    Finding,
    findings_frame,
    make_finding,
    validate_tables,
)

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

    def summary_zh(self, *, limit: int = 30) -> str:
        """A Chinese plain-text summary for the terminal."""
        tot = {k: sum(getattr(f, k) for f in self.files) for k in ("submitted", "accepted", "quarantined", "dropped")}
        lines = [
            f"共收到 {len(self.files)} 个文件：报送 {tot['submitted']} 行，入库 {tot['accepted']} 行，"
            f"隔离 {tot['quarantined']} 行，剔除 {tot['dropped']} 行；错误 {len(self.errors)} 项，警告 {len(self.warnings)} 项。"
        ]
        for f in self.files:
            lines.append(f"  {f.file}：{f.status}（报送 {f.submitted}，入库 {f.accepted}，隔离 {f.quarantined}）")
        shown = sorted(self.findings, key=lambda x: x.severity != ERROR)[:limit]
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
    frame: pd.DataFrame
    submitted: int
    dropped: int


def _lookup_maps() -> dict[str, dict[str, str]]:
    maps = {}
    for name, t in contract.TABLES.items():
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
    for name, t in contract.TABLES.items():
        if key in (name, t.label_zh):
            return name
    return None


def _table_of_filename(stem: str) -> str | None:
    hits = [(len(tok), name) for name, t in contract.TABLES.items() for tok in (name, t.label_zh) if tok in stem]
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
    """``(float | None, issue)`` where issue is None, 'text' or 'bad'."""
    if v is None:
        return None, None
    t = type(v)
    if t is float or t is int:
        return float(v), None
    if isinstance(v, bool):
        return None, "bad"
    if isinstance(v, (int, float, np.number)):
        return float(v), None
    if isinstance(v, str):
        s = v.strip().replace("\u3000", "")
        if s in _MISSING_TEXT:
            return None, None
        pct = s.endswith(("%", "％"))
        if pct:
            s = s[:-1].strip()
        if _NUMBER.match(s):
            return float(s), "text"
        if _THOUSANDS.match(s.replace("，", ",")):
            return float(s.replace("，", ",").replace(",", "")), "text"
        return None, "bad"
    return None, "bad"


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
    if v is None:
        return None, None
    if isinstance(v, (datetime, date)) and not half_monthly:
        return f"{v.year:04d}-{v.month:02d}", None
    s = str(v).strip().upper()
    if not s:
        return None, None
    m = re.fullmatch(r"(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?\s*(?:-?\s*(H[12]))?", s)
    if m:
        base = f"{m.group(1)}-{int(m.group(2)):02d}"
        return (f"{base}-{m.group(3)}" if m.group(3) else base), None
    return str(v).strip(), None  # left to the period_format rule


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
              cached: list | None = None) -> _Sheet | None:
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
        frame = self._typed(kept, kept_cached if cached is not None else None, numbers, pos, factors, t, sheet)
        return _Sheet(name, sheet, frame, submitted, dropped)

    # -- typing ---------------------------------------------------------------------
    def _typed(self, rows, cached, numbers, pos, factors, t: contract.Table, sheet: str) -> pd.DataFrame:
        n = len(rows)
        data: dict[str, object] = {}
        ctx = {"sheet": sheet, "table": t.name}
        eid_field = "guarantor_id" if t.name == "guarantees" else "enterprise_id"
        eids = [rows[i][pos[eid_field]] if eid_field in pos else None for i in range(n)]
        pers = [rows[i][pos["period"]] if "period" in pos else None for i in range(n)]
        for f in t.fields:
            if f.name not in pos:
                data[f.name] = [None] * n
                continue
            j = pos[f.name]
            values = [r[j] for r in rows]
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
                                   f"「{f.label_zh}」为公式，已读取其计算结果；建议粘贴为数值")
                        values[i] = cv
            if f.dtype in ("float", "int"):
                out = np.full(n, np.nan)
                for i, v in enumerate(values):
                    if v is _FORMULA_ERROR:
                        continue
                    x, issue = _parse_number(v)
                    if issue == "bad" or (f.dtype == "int" and x is not None and not float(x).is_integer()):
                        rule = "not_a_number" if issue == "bad" else "not_an_integer"
                        if f.dtype == "int" and issue == "bad":
                            rule = "not_an_integer"
                        self.add(rule, f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」为“{v}”，{_BAD_TEXT[f.dtype]}",
                                 row=numbers[i], column=f.label_zh, value=v,
                                 enterprise_id=_s(eids[i]), period=_s(pers[i]), **ctx)
                        continue
                    if issue == "text" and not self.is_csv:
                        self._note(ctx, f, "number_as_text", numbers[i],
                                   f"「{f.label_zh}」有数字以文本形式存储（如“{v}”），已按数值读取")
                    if x is not None:
                        out[i] = x
                if f.name in factors and factors[f.name] != 1.0:
                    out = out * factors[f.name]
                data[f.name] = pd.array(out, dtype="Float64").astype("float64") if f.dtype == "float" else \
                    pd.array(np.where(np.isnan(out), np.nan, out), dtype="Float64").astype("Int64")
                continue
            parser = {"bool": _parse_bool, "date": _parse_date, "str": _parse_str}.get(f.dtype)
            out_list = []
            for i, v in enumerate(values):
                if v is _FORMULA_ERROR:
                    out_list.append(None)
                    continue
                if f.dtype == "period":
                    x, issue = _parse_period(v, t.frequency == "half_monthly")
                else:
                    x, issue = parser(v)
                if issue == "bad":
                    self.add(_BAD_RULE[f.dtype], f"工作表「{sheet}」第 {numbers[i]} 行「{f.label_zh}」为“{v}”，"
                             f"{_BAD_TEXT[f.dtype]}", row=numbers[i], column=f.label_zh, value=v,
                             enterprise_id=_s(eids[i]), period=_s(pers[i]), **ctx)
                out_list.append(x)
            data[f.name] = out_list
        frame = _frame_from_lists(data, t, n)
        frame["source_file"] = pd.Series([self.stored] * n, dtype="str")
        frame["source_sheet"] = pd.Series([sheet] * n, dtype="str")
        frame["source_row"] = pd.array(numbers, dtype="Int64")
        self._flush_notes()
        return frame

    def _note(self, ctx, f, rule, row, text):
        """Collect a per-column warning (one finding per column, not per cell)."""
        key = (ctx["sheet"], f.name, rule)
        if key not in self._notes:
            self._notes[key] = [ctx, f, row, text, 0]
        self._notes[key][4] += 1

    def _flush_notes(self):
        notes, self._notes = self._notes, {}
        for (sheet, _, rule), (ctx, f, row, text, count) in notes.items():
            more = f"（共 {count} 个单元格，首个在第 {row} 行）" if count > 1 else f"（第 {row} 行）"
            self.add(rule, f"工作表「{sheet}」{text}{more}", row=row if count == 1 else None,
                     column=f.label_zh, **ctx)


_FORMULA_ERROR = object()


def _s(v):
    return None if _blank(v) else str(v).strip()


def _col(j: int) -> str:
    from openpyxl.utils import get_column_letter  # deferred: heavy dependency, loaded on first use

    return get_column_letter(j + 1)


def _ref_min_row(ref: str) -> int:
    m = re.match(r"[A-Z]+(\d+)", ref)
    return int(m.group(1)) if m else 0


def _frame_from_lists(data: dict, t: contract.Table, n: int) -> pd.DataFrame:
    cols = {}
    for f in t.fields:
        v = data[f.name]
        if f.dtype in ("float", "int"):
            cols[f.name] = v if not isinstance(v, list) else pd.array([np.nan] * n, dtype="Float64").astype(
                "float64" if f.dtype == "float" else "Int64")
        elif f.dtype == "bool":
            cols[f.name] = pd.array(v, dtype="boolean")
        elif f.dtype == "date":
            cols[f.name] = pd.to_datetime(pd.Series(v, dtype="object")).astype("datetime64[ns]")
        else:
            cols[f.name] = pd.Series(v, dtype="object").astype("str")
    return pd.DataFrame({k: (c.to_numpy() if isinstance(c, pd.Series) else c) for k, c in cols.items()}, index=range(n)) \
        if n else _empty_frame(t)


def _empty_frame(t: contract.Table) -> pd.DataFrame:
    dtypes = {"float": "float64", "int": "Int64", "bool": "boolean", "date": "datetime64[ns]"}
    return pd.DataFrame({f.name: pd.Series([], dtype=dtypes.get(f.dtype, "str")) for f in t.fields})


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


def read_submission(path: Path | str, *, stored_name: str | None = None,
                    data: bytes | None = None) -> tuple[dict[str, pd.DataFrame], list[Finding], dict[str, tuple[int, int]]]:
    """Read one submitted file (xlsx or csv) into typed contract tables.

    Returns ``(tables, findings, counts)``: ``tables`` maps table name to a typed frame with
    ``source_file`` (``stored_name``), ``source_sheet`` and ``source_row`` (Excel row number);
    ``counts`` maps table name to ``(submitted rows, dropped rows)``. Never raises for bad input.
    """
    path = Path(path)
    display = path.name
    stored = stored_name or display
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return {}, [make_finding("file_missing", f"无法读取文件 {display}：{exc.strerror or exc}", file=display)], {}
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
            reader.add("file_legacy_xls", f"文件 {display} 为旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后报送")
    elif kind == "zip":
        sheets = _read_xlsx(data, reader)
    elif kind == "csv":
        reader.is_csv = True
        sheets = _read_csv(data, path, reader)
    else:
        what = "CSV/文本" if _looks_text(data) else "其他格式"
        reader.add("file_not_excel", f"文件 {display} 的扩展名为 {path.suffix or '（无）'}，但内容不是 Excel 工作簿"
                   f"（看起来是{what}文件）；请用模板填报并保存为 .xlsx")
    tables: dict[str, pd.DataFrame] = {}
    counts: dict[str, tuple[int, int]] = {}
    for sh in sheets:
        if sh.table in tables:  # two sheets for one table: read both
            tables[sh.table] = pd.concat([tables[sh.table], sh.frame], ignore_index=True)
            s, d = counts[sh.table]
            counts[sh.table] = (s + sh.submitted, d + sh.dropped)
        else:
            tables[sh.table] = sh.frame
            counts[sh.table] = (sh.submitted, sh.dropped)
    if kind in ("zip", "csv") and not reader.findings_fatal() and sum(s for s, _ in counts.values()) == 0 \
            and not any(f.rule == "sheet_missing" for f in reader.findings):
        reader.add("file_no_data", f"文件 {display} 没有任何数据行")
    return tables, reader.findings, counts


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


def _read_csv(data: bytes, path: Path, reader: _Reader) -> list[_Sheet]:
    name = _table_of_filename(path.stem)
    if name is None:
        reader.add("file_unknown_table", f"无法从文件名 {path.name} 判断是哪张报表；CSV 文件名须包含表名，"
                   "如“财务快报_G01_2022-11.csv”或“financials.csv”")
        return []
    if b"\x00" in data[:4096]:
        reader.add("file_not_excel", f"文件 {path.name} 不是文本 CSV 文件")
        return []
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        reader.add("file_corrupt", f"文件 {path.name} 的编码无法识别（应为 UTF-8 或 GBK）")
        return []
    try:
        rows = [tuple(None if c == "" else c for c in r) for r in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        reader.add("file_corrupt", f"文件 {path.name} 不是有效的 CSV：{exc}")
        return []
    sheet = contract.table(name).label_zh
    sh = reader.sheet(rows, name, sheet)
    return [sh] if sh else []


def _merged_refs(zf: zipfile.ZipFile, ws) -> list[str]:
    member = getattr(ws, "_worksheet_path", None)
    if not member:
        return []
    try:
        xml = zf.read(member.lstrip("/"))
    except KeyError:
        return []
    return [m.decode() for m in re.findall(rb'<mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"', xml)]


def _sheet_rows(ws) -> list[tuple]:
    try:
        ws.reset_dimensions()
    except AttributeError:
        pass
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _read_xlsx(data: bytes, reader: _Reader) -> list[_Sheet]:
    import openpyxl  # deferred: heavy dependency, loaded on first use

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
        reader.add("file_not_excel", f"文件 {display} 是压缩包，但不是 Excel 工作簿（缺少 xl/workbook.xml）")
        return []
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a finding, never a traceback
        reader.add("file_corrupt", f"工作簿 {display} 无法打开（{type(exc).__name__}），请在 Excel 中另存为 .xlsx 后报送")
        return []
    cached_wb = None
    sheets: list[_Sheet] = []
    try:
        expected = _template_tables(wb)
        found: set[str] = set()
        for ws in wb.worksheets:
            title = ws.title
            name = _table_of_sheet(title)
            hidden = getattr(ws, "sheet_state", "visible") != "visible"
            if name is None:
                if title.strip() not in IGNORED_SHEETS and not hidden:
                    reader.add("sheet_unknown", f"工作表「{title}」不是报表工作表，已忽略"
                               f"（报表工作表名为：{'、'.join(t.label_zh for t in contract.TABLES.values())}）",
                               sheet=title)
                continue
            if hidden:
                reader.add("sheet_hidden", f"工作表「{title}」处于隐藏状态，已照常读取；请确认其内容应当报送",
                           sheet=title, table=name)
            found.add(name)
            try:
                rows = _sheet_rows(ws)
                cached = None
                if any(isinstance(v, str) and v.startswith("=") for r in rows[1:] for v in r):
                    if cached_wb is None:
                        cached_wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
                    cached = _sheet_rows(cached_wb[title])
                sh = reader.sheet(rows, name, title, merged=_merged_refs(zf, ws), cached=cached)
            except Exception as exc:  # noqa: BLE001
                reader.add("file_corrupt", f"工作表「{title}」无法读取（{type(exc).__name__}: {exc}）", sheet=title,
                           table=name)
                continue
            if sh is not None:
                sheets.append(sh)
        missing = [n for n in expected if n not in found]
        for n in missing:
            reader.add("sheet_missing", f"工作簿 {display} 缺少模板中的工作表「{contract.table(n).label_zh}」",
                       sheet=contract.table(n).label_zh, table=n)
        if not found and not missing:
            reader.add("sheet_missing", f"工作簿 {display} 中没有任何报表工作表；工作表须命名为："
                       f"{'、'.join(t.label_zh for t in contract.TABLES.values())}")
    finally:
        wb.close()
        if cached_wb is not None:
            cached_wb.close()
    return sheets


def _template_tables(wb) -> list[str]:
    """Tables a template-made workbook promised (from its document properties), else []."""
    props = getattr(wb, "properties", None)
    if props is None or TEMPLATE_KEYWORD not in (props.keywords or ""):
        return []
    m = re.search(r"tables=([\w,]+)", props.description or "")
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
    for name in tables or list(contract.TABLES):
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
            out += sorted((q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".csv")
                           and not q.name.startswith(("~$", "."))), key=_intake_order)
        else:
            out.append(p)
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop a required_missing finding where the cell already has a parse error."""
    parse = {(f.file, f.sheet, f.row, f.column) for f in findings
             if f.rule in ("not_a_number", "not_an_integer", "not_a_bool", "not_a_date", "formula_no_value")}
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


def ingest(
    paths,
    *,
    raw_store: Path = config.RAW_DIR,
    processed_dir: Path = config.PROCESSED_DIR,
    today: date | None = None,
    roster: pd.DataFrame | None = None,
) -> IngestReport:
    """Receive files (or folders of them), validate, and update the processed store.

    ``roster`` overrides the roster used for the enterprise checks (default: the processed
    ``roster`` dataset plus any 企业名录 sheet in the files). ``today`` is the reference date of
    the future-period rule. Never raises for bad input; see the module docstring.
    """
    raw_store = Path(raw_store)
    processed_dir = Path(processed_dir)
    day = _day(today)
    report = IngestReport()
    store = load_processed(processed_dir)
    original = dict(store)
    qpath = processed_dir / QUARANTINE_FILE
    lpath = processed_dir / SUBMISSIONS_FILE
    quarantine = _read_or_empty(qpath, _QUARANTINE_COLUMNS)
    log = _read_or_empty(lpath, _LOG_COLUMNS)
    q_new: list[dict] = []
    log_new: list[dict] = []
    supersede: dict[tuple, str] = {}
    changed: set[str] = set()
    seq = int(log["seq"].max()) + 1 if len(log) else 1
    unit_rows: list[dict] = []
    known_sha = set(log["sha256"].dropna().astype("str"))
    for path in _expand(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            f = make_finding("file_missing", f"文件 {path} 不存在或无法读取（{exc.strerror or exc}）", file=path.name)
            report.findings.append(f)
            report.files.append(FileResult(str(path), None, None, "已拒收", errors=1))
            continue
        sha = hashlib.sha256(data).hexdigest()
        stored = _store_raw(path, data, sha, raw_store)
        if sha in known_sha:
            f = make_finding("file_already_received", f"文件 {path.name} 与已接收的 {stored} 内容相同，未重复处理",
                             file=path.name)
            report.findings.append(f)
            report.files.append(FileResult(str(path), stored, sha, "已接收过", warnings=1))
            continue
        known_sha.add(sha)
        tables, findings, counts = read_submission(path, stored_name=stored, data=data)
        ros = roster
        if ros is None:
            parts = [df for df in (store.get("roster"), tables.get("roster")) if df is not None and len(df)]
            ros = pd.concat([p[["enterprise_id"]] for p in parts], ignore_index=True) if parts else None
            if ros is None and any(n != "roster" for n in tables):
                findings.append(make_finding("roster_unavailable", "未找到企业名录（请先导入企业名录），未核对企业编码",
                                             file=path.name))
        vfind = validate_tables(tables, history=store, roster=ros, today=day)
        for f in vfind:
            f.file = path.name
        findings = _dedupe(findings + vfind)
        result = FileResult(str(path), stored, sha, "已处理",
                            errors=sum(f.is_error for f in findings), warnings=sum(not f.is_error for f in findings))
        fatal = [f for f in findings if f.is_error and f.rule.startswith("file_")]
        if fatal:
            q_new.append({"source_file": stored, "original_name": path.name, "table": None, "source_sheet": None,
                          "source_row": None, "enterprise_id": None, "period": None,
                          "rules": "；".join(f.rule for f in fatal), "reasons": "；".join(f.message for f in fatal),
                          "values_json": None})
        for name, frame in tables.items():
            submitted, dropped = counts.get(name, (len(frame), 0))
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
            rows = frame["source_row"].astype("int64").to_numpy()
            blocked = np.ones(len(frame), bool) if sheet_block else np.isin(rows, list(row_errors))
            dropped_mask = np.isin(rows, list(drop_rows)) & ~blocked
            result.dropped += int(dropped_mask.sum())
            accepted = frame[~blocked & ~dropped_mask]
            rejected = frame[blocked]
            result.accepted += len(accepted)
            result.quarantined += len(rejected)
            for idx in rejected.index:
                r = int(rejected.at[idx, "source_row"])
                errs = sheet_block + row_errors.get(r, [])
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
            ukeys = _unit_keys(frame, ufields)
            acc_keys = ukeys[~blocked & ~dropped_mask]
            groups: dict[tuple, list[int]] = {}
            for i, k in enumerate(ukeys):
                groups.setdefault(k, []).append(i)
            for key in sorted(groups, key=lambda k: tuple("" if x is None else str(x) for x in k)):
                sel = np.zeros(len(ukeys), bool)
                sel[groups[key]] = True
                n_sub = int(sel.sum())
                n_acc = int((sel & ~blocked & ~dropped_mask).sum())
                n_q = int((sel & blocked).sum())
                eid = key[0]
                per = "|".join("" if x is None else x for x in key[1:]) or None
                unit_rows.append({"file": path.name, "stored_as": stored, "table": name, "enterprise_id": eid,
                                  "period": per, "submitted": n_sub, "accepted": n_acc, "quarantined": n_q})
                status = "有效" if n_acc else "已拒收"
                log_new.append({"seq": seq, "source_file": stored, "original_name": path.name, "sha256": sha,
                                "received_on": day.isoformat(), "table": name, "enterprise_id": eid,
                                "period": per, "submitted_rows": n_sub, "accepted_rows": n_acc,
                                "quarantined_rows": n_q, "status": status, "superseded_by": None})
                if n_acc:
                    supersede[(name, eid, per)] = stored
            if len(accepted):
                new = _normalise(accepted, name, sort=False)
                old = store.get(name)
                if old is not None and len(old):
                    old = old[~_in_units(old, ufields, set(acc_keys))]
                    new = pd.concat([old, new], ignore_index=True)
                store[name] = new
                changed.add(name)
        if not tables:
            log_new.append({"seq": seq, "source_file": stored, "original_name": path.name, "sha256": sha,
                            "received_on": day.isoformat(), "table": None, "enterprise_id": None, "period": None,
                            "submitted_rows": 0, "accepted_rows": 0, "quarantined_rows": 0,
                            "status": "已拒收", "superseded_by": None})
        if fatal:
            result.status = "已拒收"
        elif result.quarantined and result.accepted:
            result.status = "部分隔离"
        elif result.quarantined:
            result.status = "已拒收"
        seq += 1
        report.findings += findings
        report.files.append(result)
    report.submissions = pd.DataFrame(unit_rows, columns=_UNIT_COLUMNS)
    if not log_new and not q_new:
        return report
    # submissions log: mark superseded units
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
    outputs = {}
    for n in sorted(changed):
        df = _normalise(store[n], n)
        if original.get(n) is None or not original[n].equals(df):
            outputs[f"{n}.parquet"] = df
    outputs[QUARANTINE_FILE] = q_all
    outputs[SUBMISSIONS_FILE] = log_all
    _swap_in(outputs, processed_dir)
    return report


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
        cols.append([None if _blank(v) or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in s])
    keys = np.empty(len(frame), dtype=object)
    keys[:] = list(zip(*cols)) if cols else [()] * len(frame)
    return keys


def _in_units(frame: pd.DataFrame, ufields: list[str], units: set[tuple]) -> np.ndarray:
    """Rows of ``frame`` belonging to one of the submission ``units`` (vectorised pre-filter on the first field)."""
    first = {u[0] for u in units}
    cand = frame[ufields[0]].astype("str").isin([x for x in first if x is not None]).to_numpy()
    if None in first:
        cand |= frame[ufields[0]].isna().to_numpy()
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


def _swap_in(outputs: dict[str, pd.DataFrame], processed_dir: Path) -> None:
    """Write every output into a staging folder, then move them all into place."""
    processed_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=processed_dir))
    try:
        staged = {name: write_table(df, staging / name) for name, df in sorted(outputs.items())}
        for name, path in staged.items():
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
