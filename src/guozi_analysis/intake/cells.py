"""What one spreadsheet cell means: numbers, units, percentages and periods, never guessed.

Shared by the column-layout reader and the 快报-layout reader of :mod:`guozi_analysis.intake.ingestion`.
Every function returns the value and an *issue* code; the reader turns issues into findings.

* :func:`parse_number` reads numbers stored as numbers or text: thousands separators, full-width digits and
  punctuation (``１２３．４``), scientific notation, accounting negatives ``(1,234.00)``, a unit typed into the
  cell (``1,234.5万元``, ``12.3亿``, ``6.17%``) and the cell's number format (a %-formatted 0.0617 is 6.17 %).
  Placeholders (``—``, ``/``, ``无``, ``N/A`` …) are missing; Excel error values (``#DIV/0!``) are missing
  with an issue of their own.
* :func:`parse_period` reads ``2022-11``, ``2022年11月``, ``2022/11``, dates and unambiguous numbers
  (``202211``, ``2022.11``). A number such as 2022.1 — what Excel keeps of a typed 2022.10 — could be
  January or October: it is reported as ambiguous, never turned into a month.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import numpy as np

__all__ = [
    "MONEY_FACTORS",
    "MISSING_TEXT",
    "ERROR_VALUES",
    "normalise_text",
    "parse_number",
    "parse_period",
    "period_in_text",
    "is_percent_format",
]

#: Factor from a money unit to 万元.
MONEY_FACTORS = {"元": 1e-4, "千元": 0.1, "万元": 1.0, "百万元": 100.0, "亿元": 1e4}
_CELL_UNITS = {"元": "元", "千元": "千元", "万元": "万元", "万": "万元", "百万元": "百万元", "百万": "百万元",
               "亿元": "亿元", "亿": "亿元", "%": "%"}
#: Text meaning "no value" (compared after :func:`normalise_text`, case-insensitive).
MISSING_TEXT = frozenset({"", "-", "--", "—", "——", "/", "\\", "无", "n/a", "na", "不适用", "空", "...", "…"})
#: Excel error values: missing, with a finding.
ERROR_VALUES = frozenset({"#div/0!", "#n/a", "#value!", "#ref!", "#name?", "#num!", "#null!", "#getting_data"})

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_WITH_UNIT = re.compile(r"^(.*?\d\.?)\s*(百万元|百万|千元|万元|亿元|元|万|亿|%)$")


def normalise_text(s: str) -> str:
    """NFKC (full-width digits, letters and punctuation to half-width), trimmed, without inner ideographic spaces."""
    return unicodedata.normalize("NFKC", s).replace("\u3000", " ").strip()


def is_percent_format(fmt) -> bool:
    """True when an Excel number format displays the value as a percentage (``0.00%``)."""
    if not fmt or not isinstance(fmt, str):
        return False
    return "%" in re.sub(r'"[^"]*"|\\.', "", fmt)


def _plain_number(s: str):
    if _NUMBER.match(s):
        return float(s)
    if _THOUSANDS.match(s):
        return float(s.replace(",", ""))
    return None


def parse_number(v, fmt=None):
    """``(value, issue, unit)`` of one cell.

    ``issue``: ``None`` (a number), ``"text"`` (a number stored as text), ``"bad"`` (not a number),
    ``"error_value"`` (an Excel error such as #DIV/0!; value ``None``). ``unit``: ``"%"`` when the cell
    says it is a percentage (text ``6.17%`` → 6.17, or a %-formatted 0.0617 → 6.17), a money unit
    (``"万元"``, ``"亿元"``, …) typed into the cell (the value is in that unit), else ``None``.
    """
    if v is None:
        return None, None, None
    t = type(v)
    if t is float or t is int:
        if fmt is not None and is_percent_format(fmt):
            return float(v) * 100.0, None, "%"
        return float(v), None, None
    if isinstance(v, (bool, np.bool_)):
        return None, "bad", None
    if isinstance(v, (int, float, np.number)):
        if fmt is not None and is_percent_format(fmt):
            return float(v) * 100.0, None, "%"
        return float(v), None, None
    if not isinstance(v, str):
        return None, "bad", None
    s = normalise_text(v)
    low = s.lower()
    if low in MISSING_TEXT:
        return None, None, None
    if low in ERROR_VALUES:
        return None, "error_value", None
    s = s.replace(" ", "").replace("，", ",")
    negative = False
    if s.startswith("(") and s.endswith(")") and len(s) > 2:
        negative, s = True, s[1:-1]
    unit = None
    m = _WITH_UNIT.match(s)
    if m:
        s, unit = m.group(1), _CELL_UNITS[m.group(2)]
    x = _plain_number(s)
    if x is None:
        return None, "bad", None
    return (-x if negative else x), "text", unit


_PERIOD_TEXT = re.compile(r"^(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?\s*(?:-?\s*(H[12]))?$")
_PERIOD_RANGE = re.compile(r"(?<!\d)(\d{4})\s*年\s*(?:\d{1,2}\s*(?:月)?\s*[-—–~～至到]\s*)?(\d{1,2})\s*月")


def parse_period(v, half_monthly: bool = False):
    """``(label, issue)``: ``"YYYY-MM"`` (or ``"YYYY-MM-Hn"``), issue ``None``/``"numeric"``/``"ambiguous"``.

    A text the reader cannot read is returned as it is (issue ``None``) for the period-format rule.
    ``"numeric"``: read from an unambiguous number (202211, 2022.11), worth a warning. ``"ambiguous"``:
    2022.1 (Excel's 2022.10) — January or October; the label is ``None``.
    """
    if v is None:
        return None, None
    if isinstance(v, (datetime, date)) and not half_monthly:
        return f"{v.year:04d}-{v.month:02d}", None
    if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)):
        return _numeric_period(float(v))
    s = normalise_text(str(v)).upper()
    if not s:
        return None, None
    if re.fullmatch(r"\d{4}\.1", s):
        return None, "ambiguous"
    m = _PERIOD_TEXT.fullmatch(s)
    if m and 1 <= int(m.group(2)) <= 12:
        base = f"{m.group(1)}-{int(m.group(2)):02d}"
        return (f"{base}-{m.group(3)}" if m.group(3) else base), None
    if re.fullmatch(r"\d{6}", s) and 1 <= int(s[4:]) <= 12:
        return f"{s[:4]}-{s[4:]}", None
    return normalise_text(str(v)), None  # left to the period_format rule


def _numeric_period(x: float):
    if not np.isfinite(x):
        return str(x), None
    if x.is_integer():
        n = int(x)
        if 190001 <= n <= 210012 and 1 <= n % 100 <= 12:
            return f"{n // 100:04d}-{n % 100:02d}", "numeric"
        return str(n), None
    text = repr(x)
    if "." not in text or "e" in text.lower():
        return text, None
    year, frac = text.split(".")
    if len(year) != 4:
        return text, None
    if frac == "1":
        return None, "ambiguous"
    if len(frac) <= 2 and 1 <= int(frac) <= 12 and not (len(frac) == 1 and frac == "0"):
        return f"{year}-{int(frac):02d}", "numeric"
    return text, None


def period_in_text(text: str) -> str | None:
    """The month named in a free text such as ``2022年11月``, ``2022年1-11月``, ``2022-11`` or ``202211``."""
    s = normalise_text(text)
    m = _PERIOD_RANGE.search(s)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    m = re.search(r"(?<!\d)(20\d{2})\s*[-_./]\s*(1[0-2]|0?[1-9])(?!\d)", s)
    if m:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    m = re.search(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])(?!\d)", s)
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    return None
