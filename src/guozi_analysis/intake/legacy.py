"""Reading the raw submissions of a district into tidy contract tables.

A submission file has the table's Chinese headers on row 1, a units line on
row 2 (``单位：万元``, ``单位：元``, ``单位：亿元``, ``单位：%`` … or empty) and
data from row 3. Headers are mapped to contract field names, money is
converted to 万元, types are parsed, and every row keeps ``source_file`` and
``source_row`` (the Excel row number) so that a problem can be traced back.

Layout read by :func:`load_raw`::

    raw/roster.xlsx                 企业名录
    raw/targets.xlsx                年度目标 (optional)
    raw/history/<table>.csv         history, one CSV per table (UTF-8, BOM allowed)
    raw/YYYY-MM/*.xlsx              monthly workbooks, one sheet per table

Bad input raises :class:`IntakeError` with a Chinese message naming the file,
sheet, row, column, value and the rule broken.
"""

from __future__ import annotations

import csv
import math
import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pandas as pd

from guozi_analysis.base.config import DEMO_DIR
from guozi_analysis.base.contract import TABLES, Field, header_to_field, table

__all__ = [
    "IntakeError",
    "UNIT_FACTORS",
    "parse_unit",
    "read_table_file",
    "read_workbook",
    "load_raw",
    "load_demo",
    "empty_table",
]

#: Factor converting an amount in the given unit to 万元.
UNIT_FACTORS = {"元": 0.0001, "万元": 1.0, "亿元": 10000.0}

_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_HALF_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-H[12]$")
_TRUE = {"是", "true", "1", "y", "yes", "√"}
_FALSE = {"否", "false", "0", "n", "no", "×"}
_EXCEL_EPOCH = datetime(1899, 12, 30)


class IntakeError(ValueError):
    """A raw file breaks the data contract; the message (Chinese) says where and why."""

    def __init__(self, message: str, *, file=None, sheet=None, row=None, column=None, value=None, rule=None):
        super().__init__(message)
        self.file, self.sheet, self.row, self.column, self.value, self.rule = file, sheet, row, column, value, rule


def _error(file, sheet, row, column, value, rule) -> IntakeError:
    where = [f"文件 {file}"]
    if sheet:
        where.append(f"工作表「{sheet}」")
    if row is not None:
        where.append(f"第 {row} 行")
    if column:
        where.append(f"列「{column}」")
    shown = "" if value is None else f"：值「{value}」"
    return IntakeError(f"{'，'.join(where)}{shown}——{rule}", file=file, sheet=sheet, row=row, column=column,
                       value=value, rule=rule)


def parse_unit(text) -> str | None:
    """The unit named in a units-line cell: ``"单位：万元"`` → ``"万元"``; empty → None."""
    if text is None:
        return None
    s = str(text).strip().replace(" ", "")
    if not s:
        return None
    s = re.sub(r"^单位[：:]", "", s)
    s = s.strip("()（）")
    return s or None


def empty_table(name: str) -> pd.DataFrame:
    """An empty DataFrame with the contract columns (typed) of table ``name`` plus the source columns."""
    return _typed_frame(name, {f.name: [] for f in table(name).fields}, [], [])


# --------------------------------------------------------------------------
# cell parsing


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _parse(v, f: Field, factor: float, loc: tuple):
    """Parse one cell into the contract type; ``loc`` = (file, sheet, row)."""
    if _is_blank(v):
        return None
    file, sheet, row = loc
    if f.dtype in ("str", "period"):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = str(v).strip()
        if f.vocabulary and s not in f.vocabulary:
            raise _error(file, sheet, row, f.label_zh, s, f"不在允许的取值范围内（{'、'.join(f.vocabulary)}）")
        return s
    if f.dtype in ("float", "int"):
        if isinstance(v, bool):
            raise _error(file, sheet, row, f.label_zh, v, "应为数值")
        if isinstance(v, (int, float)):
            x = float(v)
        else:
            s = str(v).strip().replace(",", "").replace("，", "")
            try:
                x = float(s)
            except ValueError:
                raise _error(file, sheet, row, f.label_zh, v, "应为数值") from None
        if not math.isfinite(x):
            raise _error(file, sheet, row, f.label_zh, v, "应为有限数值")
        if f.dtype == "int":
            if not x.is_integer():
                raise _error(file, sheet, row, f.label_zh, v, "应为整数")
            return int(x)
        return x * factor
    if f.dtype == "bool":
        s = str(v).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise _error(file, sheet, row, f.label_zh, v, "应填“是”或“否”")
    if f.dtype == "date":
        if isinstance(v, datetime):
            return pd.Timestamp(v)
        if isinstance(v, date):
            return pd.Timestamp(v)
        if isinstance(v, (int, float)) and 1 < v < 100000:
            return pd.Timestamp(_EXCEL_EPOCH + timedelta(days=float(v)))
        s = str(v).strip().replace("/", "-").replace(".", "-")
        try:
            return pd.Timestamp(datetime.strptime(s[:10], "%Y-%m-%d"))
        except ValueError:
            raise _error(file, sheet, row, f.label_zh, v, "应为日期（YYYY-MM-DD）") from None
    raise AssertionError(f.dtype)  # pragma: no cover


_PANDAS_DTYPE = {"str": "str", "period": "str", "float": "float64", "int": "Int64", "bool": "boolean",
                 "date": "datetime64[ns]"}


def _typed_frame(name: str, columns: dict, source_file: list, source_row: list) -> pd.DataFrame:
    data = {}
    for f in table(name).fields:
        values = columns[f.name]
        if f.dtype == "date":
            s = pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]")
        elif f.dtype == "float":
            s = pd.Series([math.nan if v is None else v for v in values], dtype="float64")
        else:
            s = pd.Series(values, dtype=object).astype(_PANDAS_DTYPE[f.dtype])
        data[f.name] = s
    data["source_file"] = pd.Series(source_file, dtype="str")
    data["source_row"] = pd.Series(source_row, dtype="int64")
    return pd.DataFrame(data)


def _frame_from_rows(rows: list, name: str, *, file: str, sheet: str | None) -> pd.DataFrame:
    """Rows of raw cell values (header, units line, data…) → typed contract table."""
    t = table(name)
    if not rows:
        raise _error(file, sheet, 1, None, None, "缺少表头行")
    mapping = header_to_field(name)
    header = [None if _is_blank(h) else str(h).strip() for h in rows[0]]
    while header and header[-1] is None:
        header.pop()
    cols: dict[str, int] = {}
    for j, h in enumerate(header):
        if h is None:
            continue
        if h not in mapping:
            raise _error(file, sheet, 1, h, h, f"表头无法识别：不是「{t.label_zh}」的字段")
        if mapping[h] in cols:
            raise _error(file, sheet, 1, h, h, "表头重复")
        cols[mapping[h]] = j
    missing = [f.label_zh for f in t.fields if f.required and f.name not in cols]
    if missing:
        raise _error(file, sheet, 1, None, None, f"缺少必填列：{'、'.join(missing)}")
    units = list(rows[1]) if len(rows) > 1 else []
    factors: dict[str, float] = {}
    for fname, j in cols.items():
        f = t.field(fname)
        cell = units[j] if j < len(units) else None
        if not _is_blank(cell) and not str(cell).strip().startswith("单位") and parse_unit(cell) not in UNIT_FACTORS:
            raise _error(file, sheet, 2, f.label_zh, cell, "第 2 行应为单位行（如“单位：万元”），数据从第 3 行开始")
        unit = parse_unit(cell)
        if f.is_money:
            if unit is None:
                unit = "万元"
            if unit not in UNIT_FACTORS:
                raise _error(file, sheet, 2, f.label_zh, cell, "金额单位应为 元、万元 或 亿元")
            factors[fname] = UNIT_FACTORS[unit]
        else:
            if unit is not None and f.unit is not None and unit != f.unit:
                raise _error(file, sheet, 2, f.label_zh, cell, f"单位应为 {f.unit}")
            factors[fname] = 1.0
    columns = {f.name: [] for f in t.fields}
    source_row = []
    for i, raw in enumerate(rows[2:], start=3):
        if all(_is_blank(v) for v in raw):
            continue
        loc = (file, sheet, i)
        for f in t.fields:
            j = cols.get(f.name)
            v = raw[j] if j is not None and j < len(raw) else None
            columns[f.name].append(_parse(v, f, factors.get(f.name, 1.0), loc))
        for k in t.key:
            if columns[k][-1] is None:
                raise _error(file, sheet, i, t.field(k).label_zh, None, "主键字段不能为空")
        if "period" in cols:
            p = columns["period"][-1]
            pattern = _HALF_RE if t.frequency == "half_monthly" else _MONTH_RE
            if not pattern.match(p):
                form = "YYYY-MM-H1 或 YYYY-MM-H2" if t.frequency == "half_monthly" else "YYYY-MM"
                raise _error(file, sheet, i, t.field("period").label_zh, p, f"期间格式错误，应为 {form}")
        source_row.append(i)
    return _typed_frame(name, columns, [file] * len(source_row), source_row)


# --------------------------------------------------------------------------
# files


def _read_csv_rows(path: Path) -> list[list]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise _error(path.name, None, None, None, None, "文件应为 UTF-8 编码的 CSV") from None
    return [row for row in csv.reader(text.splitlines())]


def _xlsx_sheets(path: Path) -> dict[str, list]:
    from openpyxl import load_workbook  # deferred: heavy dependency, loaded on first use

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is an intake error
        raise _error(path.name, None, None, None, None, f"无法读取工作簿（{type(exc).__name__}）") from None
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def _label(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    return path.name


def read_table_file(path: Path, table_name: str, *, base: Path | None = None) -> pd.DataFrame:
    """Read one table from a CSV file or from the sheet of an .xlsx named after the table.

    ``base``: folder the ``source_file`` column is made relative to (default: the file name).
    """
    path = Path(path)
    t = table(table_name)
    label = _label(path, base)
    if path.suffix.lower() == ".csv":
        return _frame_from_rows(_read_csv_rows(path), table_name, file=label, sheet=None)
    sheets = _xlsx_sheets(path)
    if t.label_zh in sheets:
        sheet = t.label_zh
    elif len(sheets) == 1:
        sheet = next(iter(sheets))
    else:
        raise _error(label, None, None, None, None, f"找不到工作表「{t.label_zh}」")
    return _frame_from_rows(sheets[sheet], table_name, file=label, sheet=sheet)



def _table_by_label() -> dict[str, str]:
    return {t.label_zh: t.name for t in TABLES.values()}


def read_workbook(path: Path, *, base: Path | None = None) -> dict[str, pd.DataFrame]:
    """Read every sheet of a submission workbook: ``{table name: DataFrame}``.

    Sheets are recognised by their Chinese table name (e.g. 财务快报); a sheet
    with any other name raises :class:`IntakeError`.
    """
    path = Path(path)
    label = _label(path, base)
    by_label = _table_by_label()
    out = {}
    for sheet, rows in _xlsx_sheets(path).items():
        if sheet not in by_label:
            raise _error(label, sheet, None, None, None,
                         f"工作表名称无法识别，应为以下之一：{'、'.join(by_label)}")
        out[by_label[sheet]] = _frame_from_rows(rows, by_label[sheet], file=label, sheet=sheet)
    return out


def load_raw(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read a district's raw folder into one tidy DataFrame per contract table.

    Every contract table is present (empty when nothing was submitted). Rows are
    sorted by the table key; ``source_file`` is relative to ``raw_dir``.
    Duplicate keys across files raise :class:`IntakeError`.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise IntakeError(f"原始数据目录不存在：{raw_dir}")
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for name, fname in (("roster", "roster.xlsx"), ("targets", "targets.xlsx")):
        p = raw_dir / fname
        if p.exists():
            parts[name].append(read_table_file(p, name, base=raw_dir))
    if not parts["roster"]:
        raise IntakeError(f"缺少企业名录文件：{raw_dir / 'roster.xlsx'}")
    hist = raw_dir / "history"
    if hist.is_dir():
        for p in sorted(hist.glob("*.csv")):
            if p.stem not in TABLES:
                raise _error(_label(p, raw_dir), None, None, None, None,
                             f"历史数据文件名应为表名之一：{'、'.join(TABLES)}")
            parts[p.stem].append(read_table_file(p, p.stem, base=raw_dir))
    for month_dir in sorted(d for d in raw_dir.iterdir() if d.is_dir() and _MONTH_RE.match(d.name)):
        for p in sorted(month_dir.glob("*.xlsx")):
            if p.name.startswith("~$"):
                continue
            for name, df in read_workbook(p, base=raw_dir).items():
                parts[name].append(df)
    return {name: _combine(name, frames) for name, frames in parts.items()}


def _combine(name: str, frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_table(name)
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    key = list(table(name).key)
    df = df.sort_values(key + ["source_file", "source_row"], kind="mergesort").reset_index(drop=True)
    dup = df.duplicated(key, keep=False)
    if dup.any():
        first = df[dup].iloc[:2]
        a, b = first.iloc[0], first.iloc[1]
        value = " / ".join(str(a[k]) for k in key)
        raise _error(b.source_file, None, int(b.source_row), "、".join(table(name).field(k).label_zh for k in key),
                     value, f"主键重复：与 {a.source_file} 第 {int(a.source_row)} 行相同")
    return df


@lru_cache(maxsize=1)
def _load_demo_cached() -> dict[str, pd.DataFrame]:

    return load_raw(DEMO_DIR / "raw")


def load_demo() -> dict[str, pd.DataFrame]:
    """The demo district's tables (``data/demo/raw``), read once per process; returns copies."""
    return {k: v.copy() for k, v in _load_demo_cached().items()}
