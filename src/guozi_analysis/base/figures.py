"""Published figures: every number a publication prints, under a key that says what it is, and the
check that one key has one value across all publications.

A *figure* is one printed value with its key — ``entity`` (enterprise code, ``DISTRICT``), ``item``
(an indicator id, or ``<stored table>.<item>`` for other stored results), ``period`` (the data's
as-of date, ``YYYY-MM-DD``: a half month's H2 and its month close on the same day), ``basis``
(what distinguishes two quantities of one item: a plan vs a target, an 80 % vs a 95 % bound, a
scope) and ``unit`` — together with the text as printed, the number that text reads as, its
decimals and where it was printed. Every publication writes its list beside itself
(``figures.csv``, :data:`FIGURE_COLUMNS`); :func:`conflicts` compares the lists.

Comparison is at the printed precision, after the unit is normalised to one base unit
(亿元 and 元 to 万元): two prints of one key agree when they could be roundings of one value —
equal when printed to the same precision, else within half a step of each print. Texts (a light,
a grade) must be equal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from guozi_analysis.base.store import atomic_write_bytes

__all__ = ["FIGURE_COLUMNS", "KEY_COLUMNS", "FIGURES_FILE", "SIDECAR_SUFFIX", "BASE_UNITS", "parse_printed",
           "figure", "figures_frame", "write_figures", "read_figures", "conflicts", "conflicts_text"]

#: The key: what a figure is.
KEY_COLUMNS = ["entity", "item", "period", "basis", "unit"]
#: One row of a published-figure list.
FIGURE_COLUMNS = [*KEY_COLUMNS, "text", "value", "digits", "where"]
#: The list a publication writes beside itself.
FIGURES_FILE = "figures.csv"
#: The list a workbook writes beside itself (``<workbook>.figures.csv``).
SIDECAR_SUFFIX = ".figures.csv"
#: Printed unit → (base unit, factor to the base unit).
BASE_UNITS = {"亿元": ("万元", 10_000.0), "元": ("万元", 1e-4), "万元": ("万元", 1.0)}

_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")


def parse_printed(text) -> tuple[float, int] | None:
    """``"1,234.56"`` → ``(1234.56, 2)``; ``"+3.0"`` → ``(3.0, 1)``; a trailing % or 个百分点 is dropped.

    ``None`` for anything that is not one printed number ("—", a name, a date, "1—10月").
    """
    if text is None:
        return None
    s = str(text).strip()
    for tail in ("个百分点", "%"):
        s = s.removesuffix(tail)
    match = _NUMBER.match(s)
    if not match:
        return None
    return float(s.replace(",", "")), len(match.group(1) or "")


def figure(*, entity: str, item: str, period: str, text: str, unit: str = "", basis: str = "", where: str = "",
           value: float | None = None, digits: int | None = None) -> dict | None:
    """One figure as printed (``None`` when ``text`` prints nothing: "—" or empty).

    ``value`` and ``digits`` default to what ``text`` reads as; a text that is not a number (a light,
    a grade) is kept as text with ``value`` NaN. Pass ``value`` for a number printed without its sign
    (the sign said in words), so the list holds the signed value.
    """
    text = "" if text is None else str(text).strip()
    if text in ("", "—", "-", "nan", "NaN", "None"):
        return None
    parsed = parse_printed(text)
    if parsed is not None:
        read, places = parsed
        value = read if value is None else float(value)
        digits = places if digits is None else int(digits)
    else:
        value, digits = float("nan"), -1
    return {"entity": str(entity), "item": str(item), "period": str(period), "basis": str(basis or ""),
            "unit": str(unit or ""), "text": text, "value": value, "digits": digits, "where": str(where)}


def figures_frame(records: Iterable[dict | None]) -> pd.DataFrame:
    """Records (``None`` skipped) as a frame with :data:`FIGURE_COLUMNS`."""
    rows = [r for r in records if r is not None]
    frame = pd.DataFrame(rows, columns=FIGURE_COLUMNS)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    frame["digits"] = pd.to_numeric(frame["digits"], errors="coerce").fillna(-1).astype(int)
    for col in (c for c in FIGURE_COLUMNS if c not in ("value", "digits")):
        frame[col] = frame[col].fillna("").astype(str)
    return frame


def write_figures(records: Iterable[dict | None] | pd.DataFrame, path: Path | str) -> Path:
    """Write a figure list as UTF-8 CSV with a BOM (opens in Excel); returns the path."""
    frame = records if isinstance(records, pd.DataFrame) else figures_frame(records)
    path = Path(path)
    atomic_write_bytes(path, frame[FIGURE_COLUMNS].to_csv(index=False).encode("utf-8-sig"))
    return path


def read_figures(paths: Iterable[Path | str]) -> pd.DataFrame:
    """The figure lists of ``paths``: a folder gives every ``figures.csv`` below it, a file itself.

    A column ``source`` names the file each figure was read from.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(p.rglob(FIGURES_FILE)))
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"找不到数字清单：{p}")
    parts = []
    for f in dict.fromkeys(files):
        frame = figures_frame(pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8-sig")
                              .to_dict("records"))
        parts.append(frame.assign(source=str(f)))
    if not parts:
        return figures_frame([]).assign(source=pd.Series(dtype=str))
    return pd.concat(parts, ignore_index=True)


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Values, units and steps in the base unit (亿元/元 → 万元)."""
    units = frame["unit"].map(lambda u: BASE_UNITS.get(u, (u, 1.0)))
    factor = units.map(lambda t: t[1]).astype(float)
    step = pd.Series([10.0 ** -d if d >= 0 else float("nan") for d in frame["digits"]], index=frame.index)
    return frame.assign(base_unit=units.map(lambda t: t[0]), base_value=frame["value"] * factor,
                        base_step=step * factor)


def _agree(a: float, qa: float, b: float, qb: float) -> bool:
    """Could ``a`` (printed to step ``qa``) and ``b`` (step ``qb``) be roundings of one value?"""
    tol = 1e-9 * max(1.0, abs(a), abs(b))
    if math.isclose(qa, qb, rel_tol=1e-9):
        return abs(a - b) <= tol + qa * 1e-6
    return abs(a - b) <= (qa + qb) / 2 + tol


def conflicts(figures: pd.DataFrame) -> pd.DataFrame:
    """Keys printed with two values: one row per disagreeing print of such a key.

    Columns: the key (``unit`` in the base unit), ``text`` and ``unit_printed`` as printed, ``value``
    in the base unit, ``where`` and ``source`` (when present). Empty when every key has one value.
    """
    if not len(figures):
        return pd.DataFrame(columns=[*KEY_COLUMNS, "text", "unit_printed", "value", "where", "source"])
    f = _normalised(figures.reset_index(drop=True))
    key = ["entity", "item", "period", "basis", "base_unit"]
    bad: list[int] = []
    for _, part in f.groupby(key, sort=True):
        if len(part) < 2:
            continue
        numbers = part.loc[part["base_value"].notna()]
        texts = part.loc[part["base_value"].isna(), "text"]
        clash = texts.nunique() > 1
        values = list(zip(numbers["base_value"], numbers["base_step"]))
        if not clash:
            clash = any(not _agree(a, qa, b, qb) for i, (a, qa) in enumerate(values) for b, qb in values[i + 1:])
        if clash:
            bad.extend(part.index)
    out = f.loc[bad]
    out = out.assign(unit_printed=out["unit"], unit=out["base_unit"], value=out["base_value"])
    cols = [*KEY_COLUMNS, "text", "unit_printed", "value", "where"] + (["source"] if "source" in out else [])
    return out[cols].reset_index(drop=True)


def conflicts_text(found: pd.DataFrame) -> str:
    """The conflicts in Chinese, one block per key: what it is, then each print and where."""
    if not len(found):
        return "各出版物数字一致：同一口径的每个数字只有一个值。"
    lines = []
    keys = found.groupby(KEY_COLUMNS, sort=True)
    lines.append(f"发现 {keys.ngroups} 个数字在不同位置印出不同的值：")
    for (entity, item, period, basis, unit), part in keys:
        what = f"{entity}·{item}·{period}" + (f"·{basis}" if basis else "") + (f"（{unit}）" if unit else "")
        lines.append(f"- {what}")
        for r in part.itertuples():
            shown = f"{r.text}{r.unit_printed if r.unit_printed not in ('', unit) else ''}"
            place = r.where + (f"（{Path(r.source).parent.name}/{Path(r.source).name}）"
                               if "source" in part.columns and r.source else "")
            lines.append(f"    {shown}　{place}")
    return "\n".join(lines)
