"""What each publication printed: the keyed figures of its text, tables and workbooks.

* Text: each number of a sentence is a :class:`~guozi_analysis.publishing.text.Fact`; its ``source``
  (``table:entity:item``) and the notebook's period give the key (:func:`fact_figure`).
* Tables: a view marks the frame it returns with :func:`keyed` (the entity of each row, and for each
  numeric column the item, basis and unit it shows); the kernel's table formatter (:func:`install`)
  then puts the cells, *as printed*, into the output's metadata beside the HTML.
* Markdown: :func:`markdown_with_figures` does the same for a paragraph.
* Workbooks: the writer puts ``<workbook>.figures.csv`` beside the workbook (:func:`write_sidecar`).

At render, :func:`publication_figures` reads the figures back from the executed notebooks of the
book's chapters and the sidecars of their ``outputs/`` folder, and :func:`write_publication_figures`
writes ``figures.csv`` beside the publication (:mod:`guozi_analysis.base.figures` checks the lists).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from guozi_analysis.base.figures import FIGURES_FILE, SIDECAR_SUFFIX, figure, figures_frame, write_figures
from guozi_analysis.base.periods import parse_period
from guozi_analysis.publishing import display
from guozi_analysis.publishing.text import Fact, _isnan, supported_text

__all__ = ["METADATA_KEY", "PACE_GAP", "LIGHT", "ALIASES", "figure_period", "fact_item", "fact_figure", "keyed", "renamed", "take_rows", "frame_figures", "html_with_figures",
           "markdown_with_figures", "install", "write_sidecar", "notebook_figures", "publication_figures",
           "write_publication_figures"]

#: Bases of the 序时进度 figures of an indicator: its gap to the elapsed share and its light.
PACE_GAP, LIGHT = "与序时进度差", "灯号"
#: Stored items (or an item on a basis) that are another key's quantity: one key for one quantity.
ALIASES = {
    "investment_pace_gap": ("investment_completion_rate", PACE_GAP),
    "narrative_items.investment_target": ("investment_completed", "年度目标"),
    "narrative_items.investment_target_completion": ("investment_completed", "年度目标完成率"),
    ("investment_completed", "本年累计"): ("project_completed_ytd", ""),
    ("revenue", "本年累计"): ("revenue", ""),
    ("total_profit", "本年累计"): ("total_profit", ""),
}


def _alias(item: str, basis: str) -> tuple[str, str]:
    """The key's ``(item, basis)`` after :data:`ALIASES`."""
    return ALIASES.get((item, basis)) or ALIASES.get(item) or (item, basis)

#: Where an output's figures sit in its metadata.
METADATA_KEY = "guozi_figures"
_ATTR = "guozi_figures"


def figure_period(period: str) -> str:
    """The key's period: the as-of date of a period label (2022-11 and 2022-11-H2 → 2022-11-30)."""
    return parse_period(period).as_of.isoformat()


def fact_item(table: str, item: str) -> str:
    """The key's item for a stored value: the indicator id, else ``<table>.<item>``."""
    return item if table == "indicators" else f"{table}.{item}"


def fact_figure(fact: Fact, *, period: str, where: str = "", basis: str = "") -> dict | None:
    """One printed fact as a figure (``None`` when it printed "—")."""
    table, entity, item = fact.parts
    text = fact.text()
    if text == "—":
        return None
    value = fact.shown_value()
    if fact.absolute and not _isnan(fact.value) and fact.value < 0:
        value = -value  # printed without its sign (said in words): the list keeps the signed value
    item, basis = _alias(fact_item(table, item), basis)
    return figure(entity=entity, item=item, period=figure_period(period), text=text,
                  unit=fact.unit, basis=basis, where=where or fact.label, value=value)


def keyed(frame: pd.DataFrame, *, period: str, columns: Mapping[str, tuple],
          entities: Sequence[str] | str | None = None, items: Sequence[str] | str | None = None,
          units: Sequence[str] | None = None, where: str = "") -> pd.DataFrame:
    """Mark a view's frame with the key of its printed cells; returns the frame.

    ``columns``: shown column → ``(item, basis, unit[, entity[, period]])``; a column's entity (or unit)
    is one value, a list (one per row) or ``None``; an item or entity of ``None`` is the row's, from ``items`` / ``entities`` (a list, or the name of a column of codes,
    which is then dropped from the frame); a column's own period (a year earlier) overrides
    ``period``; a unit of ``None`` is the row's (``units``). Cells are taken as the reader sees them
    (:func:`~guozi_analysis.publishing.display.reader_frame`).
    """
    out = frame
    if isinstance(entities, str):
        entities, out = list(out[entities].astype(str)), out.drop(columns=[entities])
    if isinstance(items, str):
        items, out = list(out[items].astype(str)), out.drop(columns=[items])
    cols = {}
    for label, spec in columns.items():
        item, basis, unit, entity, when = (list(spec) + [None, None])[:5]
        entity = [str(e) for e in entity] if isinstance(entity, (list, tuple)) else entity
        unit = [str(u) for u in unit] if isinstance(unit, (list, tuple)) else unit
        cols[str(label)] = [item, basis, unit, entity, figure_period(when) if when else None]
    out.attrs[_ATTR] = {"period": figure_period(period), "rows": len(out),
                        "entities": None if entities is None else [str(e) for e in entities],
                        "items": None if items is None else [str(i) for i in items],
                        "units": None if units is None else [str(u) for u in units], "columns": cols, "where": where}
    return out


def renamed(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with columns renamed (``{old: new}``); the keys of its printed cells (:func:`keyed`) follow
    their columns to the new labels."""
    out = frame.rename(columns=columns)
    spec = frame.attrs.get(_ATTR)
    if spec:
        out.attrs[_ATTR] = {**spec, "columns": {columns.get(k, k): v for k, v in spec["columns"].items()}}
    return out


def take_rows(frame: pd.DataFrame, positions) -> pd.DataFrame:
    """Rows ``positions`` of ``frame`` (in that order) with its notes, and the key of its printed cells
    (:func:`keyed`: the entity, item and unit of each row, a column's entity or unit given row by row) cut
    to the same rows, as :func:`renamed` carries it through a renaming. Rows numbered 0…n−1 are numbered afresh (a
    table prints a label index, never row numbers)."""
    positions = [int(p) for p in positions]
    out = frame.iloc[positions]
    if isinstance(frame.index, pd.RangeIndex):  # a row number is no label: printed tables show none
        out = out.reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    key = frame.attrs.get(_ATTR)
    if key:
        n = int(key["rows"])

        def cut(values):
            return [values[p] for p in positions] if isinstance(values, list) and len(values) == n else values

        out.attrs[_ATTR] = {**key, "rows": len(positions),
                            **{f: cut(key[f]) for f in ("entities", "items", "units")},
                            "columns": {c: [cut(v) for v in spec] for c, spec in key["columns"].items()}}
    return out


def _json_safe(record: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}


def frame_figures(frame: pd.DataFrame, *, where: str = "") -> list[dict]:
    """The figures a keyed frame prints (none for a frame :func:`keyed` did not mark)."""
    spec = frame.attrs.get(_ATTR)
    if not spec or spec.get("rows") != len(frame):  # rows taken out of a keyed frame: keys no longer aligned
        return []
    shown = display.reader_frame(frame)
    entities, items, units = spec["entities"] or [], spec["items"] or [], spec.get("units") or []
    out = []
    for label, (item, basis, unit, entity, when) in spec["columns"].items():
        if label not in shown.columns:
            continue
        for k, text in enumerate(shown[label]):
            row_item = item if item is not None else (items[k] if k < len(items) else None)
            if isinstance(entity, list):  # the column's own entity per row (e.g. the leader of each row)
                row_entity = entity[k] if k < len(entity) else None
            else:
                row_entity = entity if entity is not None else (entities[k] if k < len(entities) else None)
            if isinstance(unit, list):  # the column's own unit per row (a 同比 in % or 百分点)
                row_unit = unit[k] if k < len(unit) else ""
            else:
                row_unit = unit if unit is not None else (units[k] if k < len(units) else "")
            if not row_item or not row_entity:
                continue
            row_item, row_basis = _alias(row_item, basis or "")
            out.append(figure(entity=row_entity, item=row_item, period=when or spec["period"], text=text,
                              unit=row_unit, basis=row_basis or "", where=where or spec.get("where", "")))
    return [_json_safe(r) for r in out if r is not None]


def html_with_figures(frame: pd.DataFrame):
    """The kernel's HTML for a table: the reader's table, and its figures in the metadata when keyed."""
    html = display.reader_html(frame)
    records = frame_figures(frame)
    return (html, {METADATA_KEY: records}) if records else html


def markdown_with_figures(text: str, records: Iterable[dict | None]):
    """Markdown for a notebook that carries the figures it prints in its metadata; like
    :func:`~guozi_analysis.publishing.text.markdown`, a sentence with a missing number is left out
    (:func:`~guozi_analysis.publishing.text.supported_text`) and so are the figures only it printed."""
    from IPython.display import Markdown  # deferred: heavy dependency, loaded on first use

    text = supported_text(text)
    rows = [_json_safe(r) for r in records if r is not None and str(r.get("text", "")) in text]
    return Markdown(text, metadata={METADATA_KEY: rows}) if rows else Markdown(text)


def install(shell=None) -> None:
    """The kernel's table formatter (:func:`display.install`), carrying the figures of keyed frames."""
    shell = display.ipython_shell(shell)
    if shell is None:
        return
    display.install(shell)
    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, html_with_figures)


def write_sidecar(workbook: Path | str, records: Iterable[dict | None]) -> Path:
    """``<workbook>.figures.csv``: the figures a workbook prints, beside it."""
    workbook = Path(workbook)
    where = workbook.name
    rows = [{**r, "where": r.get("where") or where} for r in records if r is not None]
    rows = [{**r, "where": f"{where}·{r['where']}" if not r["where"].startswith(where) else r["where"]} for r in rows]
    return write_figures(rows, workbook.with_name(workbook.name + SIDECAR_SUFFIX))


_CAPTION = re.compile(r"#\|\s*(?:tbl|fig)-cap:\s*(.*)")


def notebook_figures(path: Path | str) -> list[dict]:
    """The figures an executed notebook printed, read from its outputs' metadata (``where`` gets the
    notebook and the table's caption)."""
    path = Path(path)
    nb = json.loads(path.read_text("utf-8"))
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", ""))
        caption = _CAPTION.search(source)
        place = path.stem + (f"·{caption.group(1).strip()}" if caption else "")
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}) or {}
            found = list(meta.get(METADATA_KEY, []))
            for value in meta.values():
                if isinstance(value, dict):
                    found.extend(value.get(METADATA_KEY, []))
            for r in found:
                out.append({**r, "where": f"{place}·{r['where']}" if r.get("where") else place})
    return out


def publication_figures(chapters: Iterable[Path | str], *, workbooks: bool = True) -> pd.DataFrame:
    """The figures of a publication: its executed notebook chapters and (``workbooks``) the sidecars in
    the ``outputs/`` folder beside them."""
    records: list[dict] = []
    folders: list[Path] = []
    for chapter in map(Path, chapters):
        if chapter.suffix.lower() == ".ipynb" and chapter.is_file():
            records.extend(notebook_figures(chapter))
            folders.append(chapter.parent / "outputs")
    if workbooks:
        for folder in dict.fromkeys(folders):
            for sidecar in sorted(folder.glob(f"*{SIDECAR_SUFFIX}")):
                side = pd.read_csv(sidecar, dtype=str, keep_default_na=False, encoding="utf-8-sig")
                records.extend(side.to_dict("records"))
    return figures_frame(records)


def write_publication_figures(chapters: Iterable[Path | str], out_dir: Path | str, *, workbooks: bool = True) -> Path:
    """Write ``figures.csv`` (every figure the publication printed) into ``out_dir``; returns its path."""
    return write_figures(publication_figures(chapters, workbooks=workbooks), Path(out_dir) / FIGURES_FILE)
