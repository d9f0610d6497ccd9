"""A light read of an .xlsx workbook: values by python-calamine, the rest from the package's XML (issue 27).

openpyxl builds a cell object for every cell; at province size (72,000 rows × 50 columns) that cost
more than 20× what python-calamine needs to read the same values. This module reads

* the cell values with python-calamine (from A1, so row and column indices are the sheet's own),
  shaped as openpyxl gives them (an empty cell is ``None``, a whole number stored as ``5`` is ``int``,
  a date cell is a ``datetime``) so that every rule downstream sees the same values;
* what calamine does not give, from the workbook's XML parts with :mod:`zipfile` and regular
  expressions: the sheet's part name (for merged cells), the document properties (the template's
  keywords), and the number formats — only the percent ones, and only for a sheet whose table has a
  percentage column or that is in the 快报 layout, since only a percent format changes what a number
  means (0.0617 formatted 0.00% is 6.17 %).

A workbook the light read cannot render faithfully — a formula (openpyxl shows it and its cached value,
which the rules report), an Excel error cell (calamine reads it as empty), XML it cannot parse — gives ``None`` from :func:`open_light`, and the caller reads it with openpyxl as before.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from xml.etree import ElementTree as ET

from guozi_analysis.intake.cells import is_percent_format

__all__ = ["LightSheet", "LightWorkbook", "open_light", "percent_styles", "percent_grid"]

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
#: Built-in number formats that show a percentage (ECMA-376 §18.8.30): 9 = 0%, 10 = 0.00%.
_BUILTIN_PERCENT = {9: "0%", 10: "0.00%"}
#: Byte strings that mark a formula (its closing tag ``</f>`` or ``</x:f>``; a shared formula's master has one)
#: or an Excel error cell (``t="e"``). Plain substring tests, few and short, since the sheet XML is megabytes;
#: a false alarm (text ending in f>, another attribute "e") only sends the workbook to openpyxl.
_NEEDS_OPENPYXL = (b"f>", b'="e"', b"='e'")
_ADDRESS = re.compile(rb"""\br=["']([A-Z]+)(\d+)["']""")


@dataclass
class LightSheet:
    title: str
    hidden: bool
    part: str | None  # e.g. xl/worksheets/sheet1.xml
    xml: bytes


@dataclass
class LightWorkbook:
    book: object  # python_calamine.CalamineWorkbook
    sheets: list[LightSheet]
    keywords: str
    description: str
    percent: dict[int, str]  # cell style index -> its percent number format

    def rows(self, sheet: LightSheet) -> list[tuple]:
        """The sheet's values from A1, as openpyxl's ``iter_rows(values_only=True)`` gives them."""
        return [tuple([_cell(v) for v in r]) for r in self.book.get_sheet_by_name(sheet.title)
                .to_python(skip_empty_area=False)]

    def formats(self, sheet: LightSheet, rows: list[tuple]) -> list[tuple] | None:
        """A grid shaped like ``rows``: each percent-formatted cell's format, else ``None``."""
        return percent_grid(sheet.xml, self.percent, len(rows), max((len(r) for r in rows), default=0))


def _cell(v):
    t = type(v)
    if t is float:
        return int(v) if v.is_integer() and abs(v) < 2 ** 53 else v
    if t is str:
        return None if v == "" else v
    if t is date:
        return datetime(v.year, v.month, v.day)
    return v


def _text(zf: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        return zf.read(name)
    except KeyError:
        return None


def percent_styles(styles_xml: bytes | None) -> dict[int, str]:
    """Cell style index (the ``s=`` of a cell) → number format, for the styles that show a percentage."""
    if not styles_xml:
        return {}
    root = ET.fromstring(styles_xml)
    codes = dict(_BUILTIN_PERCENT)
    for nf in root.iter(f"{{{_NS_MAIN}}}numFmt"):
        try:
            codes[int(nf.get("numFmtId"))] = nf.get("formatCode") or ""
        except (TypeError, ValueError):
            continue
    out: dict[int, str] = {}
    xfs = root.find(f"{{{_NS_MAIN}}}cellXfs")
    if xfs is None:
        return out
    for i, xf in enumerate(xfs.findall(f"{{{_NS_MAIN}}}xf")):
        try:
            code = codes.get(int(xf.get("numFmtId", "0")))
        except ValueError:
            continue
        if code is not None and is_percent_format(code):
            out[i] = code
    return out


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def percent_grid(xml: bytes, percent: dict[int, str], n_rows: int, width: int) -> list[tuple] | None:
    """The percent formats of one sheet's cells as a grid (rows × width); ``None`` when there are none."""
    if not percent:
        return None
    ids = b"|".join(str(i).encode() for i in sorted(percent))
    pattern = re.compile(rb"<(?:\w+:)?c\b([^>]*?\ss=[\"'](" + ids + rb")[\"'][^>]*)>")
    grid: list[list] | None = None
    for m in pattern.finditer(xml):
        a = _ADDRESS.search(m.group(1))
        if a is None:
            continue
        i, j = int(a.group(2)) - 1, _col_index(a.group(1))
        if i >= n_rows or j >= width:
            continue
        if grid is None:
            grid = [[None] * width for _ in range(n_rows)]
        grid[i][j] = percent[int(m.group(2))]
    return None if grid is None else [tuple(r) for r in grid]


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in the package (from xl/workbook.xml and its relationships)."""
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rels_xml = _text(zf, "xl/_rels/workbook.xml.rels")
    targets = {}
    if rels_xml:
        for rel in ET.fromstring(rels_xml).iter(f"{{{_NS_PKG_REL}}}Relationship"):
            target = rel.get("Target") or ""
            target = target.lstrip("/") if target.startswith("/") else "xl/" + target
            targets[rel.get("Id")] = re.sub(r"[^/]+/\.\./", "", target)
    out = {}
    for sh in wb.iter(f"{{{_NS_MAIN}}}sheet"):
        rid = sh.get(f"{{{_NS_REL}}}id")
        if rid in targets:
            out[sh.get("name")] = targets[rid]
    return out


def _properties(zf: zipfile.ZipFile) -> tuple[str, str]:
    xml = _text(zf, "docProps/core.xml")
    if not xml:
        return "", ""
    root = ET.fromstring(xml)
    keywords = description = ""
    for el in root:
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "keywords":
            keywords = "".join(el.itertext())
        elif tag == "description":
            description = "".join(el.itertext())
    return keywords, description


def open_light(data: bytes, zf: zipfile.ZipFile) -> LightWorkbook | None:
    """The workbook for a light read, or ``None`` when it needs openpyxl (formulas, error cells, odd XML)."""
    import python_calamine  # deferred: loaded on first use

    try:
        parts = _sheet_parts(zf)
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in book.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            part = parts.get(meta.name)
            xml = _text(zf, part) if part else None
            if xml is None or any(mark in xml for mark in _NEEDS_OPENPYXL):
                return None
            sheets.append(LightSheet(meta.name, meta.visible != python_calamine.SheetVisibleEnum.Visible, part, xml))
        keywords, description = _properties(zf)
        percent = percent_styles(_text(zf, "xl/styles.xml"))
    except Exception:  # noqa: BLE001 - anything unusual: the caller reads the workbook with openpyxl
        return None
    return LightWorkbook(book, sheets, keywords, description, percent)
