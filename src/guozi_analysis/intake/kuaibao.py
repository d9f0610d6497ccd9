"""The standard 财务快报 layout: one enterprise per sheet, items down, 本月数/本年累计数/上年同期 across.

::

    财务快报
    编制单位：澜海城投置业有限公司      企业编码：G01-01
    2022年11月                          金额单位：元
    项目            行次  计量单位  本月数        本年累计数     上年同期累计数
    资产总计        1               123456789.00  123456789.00   110000000.00
    营业总收入      20              1234567.00    98765432.10    87654321.00
    从业人员期末人数 40   人        350           350            330

The layout is recognised by content (:func:`detect`), whatever the sheet or file is called. Items are
matched by name through ``params/kuaibao_items.yaml`` (and the contract's own Chinese headers), or by
行次 where the district maps it there. Which value column feeds which field:

* balance-sheet items and 从业人员期末人数 (period-end figures): 本月数 (= 期末数); if that cell is empty and
  本年累计数 holds a value, that value (with a warning);
* year-to-date items (损益、现金流, every field the contract describes as 本年累计, and 本年平均从业人数):
  本年累计数;
* the 上年同期 column, by the same rule, feeds table ``financials_ly`` (上年同月末数 / 上年同期累计数).

Amounts are converted from the header's 金额单位 (a row's 计量单位 overrides it) to 万元. Unknown items
are listed as findings, never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from guozi_analysis.base import config, contract
from guozi_analysis.base.params import read_yaml
from guozi_analysis.intake.cells import MONEY_FACTORS, normalise_text, parse_number, period_in_text

__all__ = ["KuaibaoHeader", "detect", "item_map", "parse", "ITEMS_FILE", "BAD"]

ITEMS_FILE = "kuaibao_items.yaml"

_CURRENT = ("本月数", "本月", "本月金额", "期末数", "期末余额", "本期数", "本期金额", "本月实际")
_YTD = ("本年累计数", "本年累计", "本年累计金额", "累计数", "本年实际")
_LAST_YEAR = ("上年同期累计数", "上年同期", "上年同期数", "上年同期累计", "上年同期金额", "上年同期累计金额")
_ITEM = ("项目", "项目名称", "指标", "指标名称")
_LINE = ("行次", "行号", "栏次")
_UNIT = ("计量单位", "单位")
_PREFIX = re.compile(r"^(?:[△▲★☆*#]+|[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+[、.．)）]"
                     r"|其中[:：]?|减[:：]|加[:：]|:|：)+")


def _key(text) -> str:
    s = normalise_text(str(text))
    s = re.sub(r"\s+", "", s)
    s = _PREFIX.sub("", s)
    s = re.sub(r"\([^()]*\)", "", s)
    return s.rstrip(":：")


@dataclass
class KuaibaoHeader:
    """Where the table starts and what the block above it says."""

    header_row: int  # 0-based index of the 项目 row
    item_col: int
    current_col: int | None
    ytd_col: int | None
    ly_col: int | None
    line_col: int | None
    unit_col: int | None
    names: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    periods: list[tuple[str, int]] = field(default_factory=list)  # (YYYY-MM, 1-based row)
    units: list[str] = field(default_factory=list)
    version: str | None = None
    correction: bool = False


def _cell_key(v) -> str:
    return re.sub(r"\s+", "", normalise_text(str(v))) if v is not None else ""


def detect(rows: list[tuple], *, scan: int = 15) -> KuaibaoHeader | None:
    """The 快报 header of a sheet's ``rows`` (values), or ``None`` when the sheet is not in the 快报 layout."""
    for i, row in enumerate(rows[:scan]):
        keys = [_cell_key(v) for v in row]
        item = next((j for j, k in enumerate(keys) if k in _ITEM), None)
        if item is None:
            continue
        cols = {}
        for name, words in (("current", _CURRENT), ("ytd", _YTD), ("ly", _LAST_YEAR), ("line", _LINE),
                            ("unit", _UNIT)):
            cols[name] = next((j for j, k in enumerate(keys) if k in words), None)
        if cols["current"] is None and cols["ytd"] is None:
            continue
        head = KuaibaoHeader(i, item, cols["current"], cols["ytd"], cols["ly"], cols["line"], cols["unit"])
        _read_block(rows[:i], head)
        return head
    return None


def _after(row, j, text_rest: str):
    if text_rest:
        return text_rest
    for v in row[j + 1:]:
        if v is not None and str(v).strip():
            return str(v).strip()
    return ""


def _read_block(block: list[tuple], head: KuaibaoHeader) -> None:
    for r, row in enumerate(block, start=1):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (datetime, date)):
                head.periods.append((f"{v.year:04d}-{v.month:02d}", r))
                continue
            s = normalise_text(str(v))
            if not s:
                continue
            for part in re.split(r"\s{2,}", s):
                m = re.match(r"^(?:编制单位|填报单位|单位名称|企业名称)\s*[:：]\s*(.*)$", part)
                if m:
                    name = re.split(r"\s+(?=\d{4}\s*年|金额单位|单位[:：]|企业编码)", _after(row, j, m.group(1)))[0]
                    if name:
                        head.names.append(name.strip())
                    continue
                m = re.match(r"^(?:企业编码|单位编码|企业代码)\s*[:：]\s*(.*)$", part)
                if m:
                    code = _after(row, j, m.group(1)).split()[0] if _after(row, j, m.group(1)) else ""
                    if code:
                        head.codes.append(code)
                    continue
                m = re.search(r"(?:金额)?单位\s*[:：]\s*(百万元|千元|万元|亿元|元)", part)
                if m:
                    head.units.append(m.group(1))
                m = re.search(r"版本\s*[:：]?\s*(\S+)", part)
                if m:
                    head.version = m.group(1)
                if re.search(r"更正|修订|修正", part):
                    head.correction = True
                p = period_in_text(part) if re.search(r"\d{4}\s*年|\d{4}-\d{1,2}|期间|月", part) else None
                if p:
                    head.periods.append((p, r))


@lru_cache(maxsize=4)
def _load_items(params_dir: str) -> tuple[dict, dict, frozenset, dict]:
    data = read_yaml(Path(params_dir) / ITEMS_FILE, what="快报项目同义词表")
    fin = contract.table("financials")
    names: dict[str, str] = {}
    for f in fin.fields[2:]:
        names[_key(f.label_zh)] = f.name
    for fname, words in (data.get("items") or {}).items():
        for w in words or ():
            names.setdefault(_key(w), fname)
    fallbacks = {f: [_key(w) for w in ws or ()] for f, ws in (data.get("fallbacks") or {}).items()}
    ytd = frozenset(data.get("year_to_date") or ())
    lines = {str(k).strip(): v for k, v in (data.get("line_numbers") or {}).items()}
    return names, fallbacks, ytd, lines


def item_map(params_dir=None) -> tuple[dict, dict, frozenset, dict]:
    """``(item key → field, fallbacks, year-to-date extras, 行次 → field)`` from ``params/kuaibao_items.yaml``."""
    return _load_items(str(params_dir or config.PARAMS_DIR))


def is_year_to_date(f: contract.Field, extra: frozenset) -> bool:
    """True for a field read from 本年累计数 (損益、现金流 …), False for a period-end balance."""
    return "本年累计" in (f.description_zh or "") or f.name in extra


def parse(rows: list[tuple], formats: list[tuple] | None, head: KuaibaoHeader, add, *, params_dir=None):
    """Read the item rows below ``head``.

    ``add(rule, message, **where)`` records a finding. Returns ``(current, last_year, item_row)``:
    ``{field: value in the contract's unit}`` for this period and for 上年同期, and the 1-based row of each
    field's item.
    """
    names, fallbacks, ytd_extra, lines = item_map(params_dir)
    fin = contract.table("financials")
    fields = {f.name: f for f in fin.fields[2:]}
    units = list(dict.fromkeys(head.units))
    if len(units) > 1:
        add("kuaibao_unit_conflict", f"表头区的金额单位不一致（{'、'.join(units)}），无法确定金额单位",
            value="、".join(units))
        return {}, {}, {}
    sheet_unit = units[0] if units else None
    if sheet_unit is None:
        add("kuaibao_unit_missing", "表头区未写金额单位（如“金额单位：元”），金额按万元读取；请核对")
    factor = MONEY_FACTORS[sheet_unit or "万元"]
    col_label = {head.current_col: "本月数", head.ytd_col: "本年累计数", head.ly_col: "上年同期累计数"}
    matched: dict[str, list[tuple[int, tuple]]] = {}
    by_key: dict[str, list[tuple[int, tuple]]] = {}
    unknown: list[tuple[int, str]] = []
    unused: list[tuple[int, str, str]] = []
    for k in range(head.header_row + 1, len(rows)):
        row = rows[k]
        item = row[head.item_col] if head.item_col < len(row) else None
        if item is None or not str(item).strip():
            continue
        key = _key(item)
        by_key.setdefault(key, []).append((k, row))
        fname = names.get(key)
        line = row[head.line_col] if head.line_col is not None and head.line_col < len(row) else None
        if fname is None and line is not None and lines:
            ln = str(int(line)) if isinstance(line, float) and line.is_integer() else str(line).strip()
            fname = lines.get(ln)
        has_value = any(c is not None and c < len(row) and row[c] is not None and str(row[c]).strip() != ""
                        for c in (head.current_col, head.ytd_col, head.ly_col))
        if fname is None:
            if has_value:
                unknown.append((k + 1, str(item).strip()))
            continue
        if fname not in fields:
            if has_value:
                unused.append((k + 1, str(item).strip(), fname))
            continue
        matched.setdefault(fname, []).append((k, row))
    used_fallback: set[int] = set()
    for fname, keys in fallbacks.items():
        if fname in matched or fname not in fields:
            continue
        for key in keys:
            if key in by_key:
                matched[fname] = by_key[key]
                k = by_key[key][0][0]
                used_fallback.add(k + 1)
                add("kuaibao_item_fallback", f"未报“{fields[fname].label_zh}”，以第 {k + 1} 行“{rows[k][head.item_col]}”"
                    f"代替（非金融企业两者相同）；如不同请补报“{fields[fname].label_zh}”", row=k + 1,
                    column="项目", value=rows[k][head.item_col])
                break
    for r, text in unknown:
        add("kuaibao_item_unknown", f"第 {r} 行项目“{text}”无法识别（不在 params/{ITEMS_FILE} 同义词表中），"
            "未入库；如需读取请在同义词表中补充", row=r, column="项目", value=text)
    for r, text, fname in unused:
        if r in used_fallback:
            continue
        add("kuaibao_item_unused", f"第 {r} 行项目“{text}”对应字段 {fname}，数据契约中暂无该字段，未入库",
            row=r, column="项目", value=text)
    current: dict[str, float | None] = {}
    last_year: dict[str, float | None] = {}
    item_row: dict[str, int] = {}
    for fname, hits in matched.items():
        f = fields[fname]
        ytd = is_year_to_date(f, ytd_extra)
        per_hit = []
        for k, row in hits:
            vals = {}
            row_unit = None
            if head.unit_col is not None and head.unit_col < len(row) and row[head.unit_col] is not None:
                row_unit = normalise_text(str(row[head.unit_col])).replace("单位:", "") or None
            for which, col in (("cur", head.current_col), ("ytd", head.ytd_col), ("ly", head.ly_col)):
                if col is None or col >= len(row):
                    vals[which] = None
                    continue
                fmt = formats[k][col] if formats is not None and k < len(formats) and col < len(formats[k]) else None
                vals[which] = _value(row[col], fmt, f, row_unit, factor, sheet_unit, add,
                                     row=k + 1, column=f"{col_label.get(col, '')}（{row[head.item_col]}）")
            per_hit.append((k, vals))
        k0, vals = per_hit[0]
        for k, other in per_hit[1:]:
            if any(_differs(vals[w], other[w]) for w in vals):
                add("kuaibao_item_duplicate", f"“{f.label_zh}”出现两次（第 {k0 + 1} 行和第 {k + 1} 行）且数值不同，"
                    "无法确定以哪一行为准", row=k + 1, column="项目", value=rows[k][head.item_col])
                vals = {"cur": BAD, "ytd": BAD, "ly": BAD}
        item_row[fname] = k0 + 1
        if ytd:
            if head.ytd_col is None:
                add("kuaibao_column_missing", f"表头缺少“本年累计数”列，无法读取本年累计项目“{f.label_zh}”",
                    column="本年累计数", row=k0 + 1)
                cur = BAD
            else:
                cur = vals["ytd"]
        else:
            cur = vals["cur"]
            if cur is None and head.current_col is not None and vals["ytd"] not in (None, BAD):
                add("kuaibao_balance_from_ytd", f"第 {k0 + 1} 行期末项目“{f.label_zh}”的本月数为空，取本年累计数列的值",
                    row=k0 + 1, column="本年累计数", value=vals["ytd"])
                cur = vals["ytd"]
            elif head.current_col is None:
                cur = vals["ytd"]
        current[fname] = cur
        if head.ly_col is not None:
            last_year[fname] = vals["ly"]
    return current, last_year, item_row


BAD = object()


def _differs(a, b) -> bool:
    if a is None and b is None:
        return False
    if a is None or b is None or a is BAD or b is BAD:
        return True
    return abs(a - b) > 1e-9 * max(1.0, abs(a))


def _value(v, fmt, f: contract.Field, row_unit, factor, sheet_unit, add, *, row, column):
    """One cell in the field's contract unit, or ``None`` (missing) / ``BAD`` (a finding was added)."""
    if isinstance(v, str) and v.startswith("=") and len(v) > 1:
        add("formula_no_value", f"第 {row} 行 {column} 是公式 {v}，没有计算结果；请在 Excel 中打开并保存，或粘贴为数值",
            row=row, column=column, value=v)
        return BAD
    x, issue, cell_unit = parse_number(v, fmt)
    if issue == "bad":
        add("not_a_number", f"第 {row} 行 {column} 为“{v}”，应填数值", row=row, column=column, value=v)
        return BAD
    if issue == "error_value":
        add("cell_error_value", f"第 {row} 行 {column} 为 Excel 错误值 {v}，按空值处理；请检查公式",
            row=row, column=column, value=v)
        return None
    if x is None:
        return None
    unit = row_unit
    if f.is_money:
        if unit is not None and unit not in MONEY_FACTORS:
            add("unit_unknown", f"第 {row} 行计量单位“{unit}”不是金额单位（可填 元、千元、万元、亿元），"
                f"“{f.label_zh}”无法换算", row=row, column="计量单位", value=unit)
            return BAD
        if cell_unit == "%":
            add("unit_mismatch", f"第 {row} 行 {column} 为“{v}”（百分数），但“{f.label_zh}”是金额", row=row,
                column=column, value=v)
            return BAD
        if cell_unit is not None:
            add("unit_in_cell", f"第 {row} 行 {column} 为“{v}”，单元格内写有单位“{cell_unit}”，已按该单位换算为万元",
                row=row, column=column, value=v)
            return x * MONEY_FACTORS[cell_unit]
        return x * (MONEY_FACTORS[unit] if unit is not None else factor)
    # not money (人, %, …): no money conversion
    if cell_unit is not None and cell_unit != (f.unit or ""):
        add("unit_mismatch", f"第 {row} 行 {column} 为“{v}”，单位“{cell_unit}”与“{f.label_zh}”的单位"
            f"“{f.unit or '无'}”不符", row=row, column=column, value=v)
        return BAD
    if unit is not None and f.unit is not None and unit != f.unit and unit not in ("人", "个", "%"):
        add("unit_mismatch", f"第 {row} 行计量单位“{unit}”与“{f.label_zh}”的单位“{f.unit}”不符", row=row,
            column="计量单位", value=unit)
        return BAD
    if f.dtype == "int" and not float(x).is_integer():
        add("not_an_integer", f"第 {row} 行 {column} 为“{v}”，应填整数", row=row, column=column, value=v)
        return BAD
    return x
