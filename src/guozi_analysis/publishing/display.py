"""How every table reaches a reader: one formatter for all the tables the notebooks display.

Whatever a view returns, a reader sees the same conventions:

* no pandas index: a meaningful (named) index becomes the first columns, repeated labels blank;
  a plain 0, 1, 2 … index is dropped;
* a missing value (NaN, None, NaT, or the strings pandas writes for them) prints as "—", and the
  table gets a note saying what "—" means;
* notes a view attached with :func:`with_notes` (how 序时进度 is counted, the light rule …) print
  under the table, in the HTML and, through it, in the PDF;
* booleans print as 是/否; whole numbers without decimals; other numbers with the district's
  decimals and thousands separators; dates as YYYY-MM-DD.

:func:`install` registers :func:`reader_html` as the notebook kernel's HTML formatter for data frames
(called from :func:`guozi_analysis.publishing.views.open_context`), so the executed notebooks, the
book and JupyterLab all show the formatted table.
"""

from __future__ import annotations

import html
import math
import re
from datetime import date, datetime

import numpy as np
import pandas as pd

__all__ = ["MISSING", "MISSING_NOTE", "EMPTY_TABLE", "NOTES", "with_notes", "reader_value", "reader_frame",
           "reader_html", "install", "set_table_note", "empty_text"]

#: What a missing value prints as.
MISSING = "—"
#: The note under a table that shows at least one missing value.
MISSING_NOTE = "注：“—”表示该项无报送数据、不适用或分母为零无法计算。"
#: What an empty table prints instead of a table (the view's reason, ``frame.attrs["empty_reason"]``, follows).
#: Neutral on purpose: an empty list may mean "nobody" or "nothing reported"; the reason and the
#: publication's note (who did not report) say which.
EMPTY_TABLE = "本表本期无记录"
#: The note every table of the current publication carries (e.g. who did not report); set by
#: :func:`set_table_note` when a notebook opens its context.
_TABLE_NOTE = {"text": ""}
#: Where a view keeps the notes printed under its table (``DataFrame.attrs``).
NOTES = "notes"
#: Strings that are machine spellings of "missing" or of a boolean.
_MISSING_TEXT = {"nan", "NaN", "None", "NaT", "<NA>", "null", "NULL", "inf", "-inf"}
_BOOL_TEXT = {"True": "是", "False": "否"}
#: Decimals for numbers that are not whole (the district's convention for amounts and rates).
DECIMALS = 2


def _number_text(value: float, *, whole: bool, decimals: int) -> str:
    if not math.isfinite(value):
        return MISSING
    return f"{int(value):,d}" if whole else f"{value:,.{decimals}f}"


def reader_value(value, *, decimals: int = DECIMALS) -> str:
    """One cell as printed: "—" for missing, 是/否, whole numbers as integers, else ``decimals`` places."""
    if value is None or value is pd.NaT:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,d}"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return _number_text(value, whole=value.is_integer(), decimals=decimals)
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.strftime("%Y-%m-%d")
    text = str(value)
    if text.strip() in _MISSING_TEXT:
        return MISSING
    return _BOOL_TEXT.get(text, text)


#: Headers of measured quantities (money, rates, scores, multiples): their float columns always print
#: with the district's decimals, so 75.00 % sits under 83.33 % and a score of 75 reads 75.00 beside 75.16.
_MEASURED = re.compile(r"%|％|百分点|亿元|万元|元|得分|总分|分数|（分）|倍|率|序时进度")


def _column_text(column: pd.Series, *, decimals: int) -> list[str]:
    """A column's cells as printed; a float column is whole numbers only if all its values are and its
    header does not name a measured quantity (:data:`_MEASURED`: money, rate, score, multiple)."""
    if column.dtype.kind != "f":
        return [reader_value(v, decimals=decimals) for v in column]
    numbers = column.astype(float)
    finite = numbers[np.isfinite(numbers)]
    whole = (bool(len(finite)) and bool((finite == finite.round()).all())
             and not _MEASURED.search(_column_label(column.name)))
    return [_number_text(v, whole=whole, decimals=decimals) for v in numbers]


def _column_label(label) -> str:
    if isinstance(label, tuple):
        parts = [str(p) for p in label if str(p) and not str(p).startswith("Unnamed")]
        return " ".join(dict.fromkeys(parts))
    return "" if label is None else str(label)


def reader_frame(frame: pd.DataFrame, *, decimals: int = DECIMALS) -> pd.DataFrame:
    """``frame`` as a reader sees it: every cell a string, the index turned into columns or dropped.

    A named index (or a MultiIndex) becomes leading columns, with a label repeated from the row above
    left blank (as a printed table groups rows); an unnamed index is dropped when it is 0, 1, 2 …,
    otherwise kept as an unlabelled first column. Column labels of several levels are joined.
    The input is not changed.
    """
    out = frame.copy()
    index = out.index
    plain = isinstance(index, pd.RangeIndex) or (
        index.nlevels == 1 and index.name is None and pd.api.types.is_integer_dtype(index)
        and list(index) == list(range(len(index))))
    lead = 0 if plain else index.nlevels
    if plain:
        out = out.reset_index(drop=True)
    else:
        out.index = out.index.set_names(["" if n is None else n for n in index.names])
        out = out.reset_index()
    out.columns = [_column_label(c) for c in out.columns]
    shown = pd.DataFrame({k: _column_text(out.iloc[:, k], decimals=decimals) for k in range(out.shape[1])})
    shown.columns = out.columns
    if lead > 1:  # group the leading index columns: blank a label equal to the row above
        for k in range(lead - 1):
            col = shown.iloc[:, k]
            repeat = col.eq(col.shift()) & (k == 0 or shown.iloc[:, :k].eq(shown.iloc[:, :k].shift()).all(axis=1))
            shown.iloc[repeat.to_numpy(), k] = ""
    return shown


def set_table_note(text: str) -> None:
    """Make ``text`` the note under every table :func:`reader_html` prints from now on ("" for none)."""
    _TABLE_NOTE["text"] = text or ""


def empty_text(frame: pd.DataFrame) -> str:
    """The sentence an empty table prints: "本表本期无记录：<reason>。" (the reason from ``frame.attrs``)."""
    reason = str(frame.attrs.get("empty_reason") or "").strip().rstrip("。")
    return f"{EMPTY_TABLE}：{reason}。" if reason else f"{EMPTY_TABLE}。"


def with_notes(frame: pd.DataFrame, *notes: str) -> pd.DataFrame:
    """``frame`` with ``notes`` to print under it (kept in ``frame.attrs``; empty notes skipped)."""
    frame.attrs[NOTES] = [*frame.attrs.get(NOTES, []), *(n for n in notes if n)]
    return frame


def reader_html(frame: pd.DataFrame, *, decimals: int = DECIMALS) -> str:
    """The HTML table a reader sees (see :func:`reader_frame`), with the "—" note when needed and the
    publication's note (:func:`set_table_note`). A table without rows or columns prints as a sentence
    (:func:`empty_text`), never as an empty table."""
    note = _TABLE_NOTE["text"]
    extra = f'\n<p class="table-note">{html.escape(note)}</p>' if note else ""
    shown = reader_frame(frame, decimals=decimals)
    if shown.shape[0] == 0 or shown.shape[1] == 0:
        return f'<p class="table-note">{html.escape(empty_text(frame))}</p>' + extra
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for row in shown.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    table = (f'<table class="dataframe reader-table"><thead><tr>{head}</tr></thead>'
             f"<tbody>{''.join(rows)}</tbody></table>")
    notes = list(frame.attrs.get(NOTES, []))
    if (shown == MISSING).to_numpy().any():
        notes.append(MISSING_NOTE)
    for text in notes:
        table += f'\n<p class="table-note">{html.escape(text)}</p>'
    return table + extra


def ipython_shell(shell=None):
    """``shell``, else the running IPython shell, else ``None`` (outside IPython)."""
    if shell is not None:
        return shell
    try:
        from IPython import get_ipython  # deferred: heavy dependency, loaded on first use
    except ImportError:  # pragma: no cover - IPython comes with the notebook stack
        return None
    return get_ipython()


def install(shell=None) -> None:
    """Make :func:`reader_html` the kernel's HTML formatter for data frames (no-op outside IPython)."""
    shell = ipython_shell(shell)
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pd.DataFrame, reader_html)
