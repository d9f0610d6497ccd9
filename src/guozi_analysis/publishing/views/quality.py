"""Notebook views of the data-quality page and its workbook.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from guozi_analysis.base.store import read_shared
from guozi_analysis.intake.quality import QUALITY_LABELS_ZH, QUALITY_WORKBOOK
from guozi_analysis.publishing.lists import list_note, shown_rows
from guozi_analysis.publishing.text import file_link, markdown

#: Columns of the per-enterprise table whose non-zero value marks a row a reader acts on.
_PROBLEM_COLUMNS = ("errors", "warnings", "quarantined")


def page_text(ctx) -> str:
    """The data-quality page of the book (Markdown text) from the shared step, without its own title.

    A table longer than a publication prints whole (``lists.rows``) keeps its rows with errors, warnings
    or quarantined rows, and the first ones; the workbook has every row."""
    text = str(read_shared(ctx.processed_dir, "quality_page", what="数据质量共享结果")["markdown"].iloc[0])
    lines = text.splitlines()
    lines = lines[1:] if lines and lines[0].startswith("# ") else lines
    return "\n".join(_bounded_tables(lines))


def _bounded_tables(lines: list[str]) -> list[str]:
    """Each Markdown table of ``lines`` cut to :func:`~guozi_analysis.publishing.lists.shown_rows`."""
    out, k = [], 0
    while k < len(lines):
        if not (lines[k].startswith("|") and k + 1 < len(lines) and lines[k + 1].startswith("| ---")):
            out.append(lines[k])
            k += 1
            continue
        stop = k + 2
        while stop < len(lines) and lines[stop].startswith("|"):
            stop += 1
        header, body = lines[k], lines[k + 2:stop]
        cells = [c.strip() for c in header.strip("|").split("|")]
        flagged = [c for c in (QUALITY_LABELS_ZH.get(n) for n in _PROBLEM_COLUMNS) if c in cells]
        problems = np.array([any(_number(row, cells.index(c)) > 0 for c in flagged) for row in body], dtype=bool)
        mask = shown_rows(len(body), ends="head")
        if not mask.all():  # a long table: the rows with errors, warnings or quarantined rows first
            body = [body[i] for i in np.argsort(~problems, kind="stable")]
        out += [header, lines[k + 1], *(row for row, m in zip(body, mask) if m)]
        note = list_note(len(body), int(mask.sum()), ends="head", unit="行",
                         order="有错误、警告或隔离行的" if flagged else "", elsewhere="数据质量工作簿")
        if note:
            out += ["", note]
        k = stop
    return out


def _number(row: str, column: int) -> float:
    try:
        return float(row.strip().strip("|").split("|")[column].strip().replace(",", ""))
    except (IndexError, ValueError):
        return 0.0


def page(ctx):
    """The data-quality page, displayed as Markdown in the notebook and the book."""
    return markdown(page_text(ctx))


def export_workbook(ctx, *, output_dir: str | Path = ""):
    """Copy the period's data-quality workbook into the run's outputs (published with the book)."""


    if not output_dir:
        return markdown("（未指定输出目录，本次不另存数据质量工作簿。）")
    source = ctx.processed_dir / "store" / QUALITY_WORKBOOK.format(period=ctx.period)
    if not source.exists():
        return markdown("（本次运行未经接收校验，没有数据质量工作簿。）")
    target = Path(output_dir) / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return markdown(f"数据质量工作簿{file_link(target)}（概况、问题清单、文件统计、未报送）随本期出版物一并提供。")
