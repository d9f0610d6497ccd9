"""Notebook views of the data-quality page and its workbook.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from guozi_analysis.base.store import read_shared
from guozi_analysis.intake.quality import QUALITY_WORKBOOK
from guozi_analysis.publishing.text import file_link, markdown


def page_text(ctx) -> str:
    """The data-quality page of the book (Markdown text) from the shared step, without its own title."""
    text = str(read_shared(ctx.processed_dir, "quality_page", what="数据质量共享结果")["markdown"].iloc[0])
    lines = text.splitlines()
    return "\n".join(lines[1:] if lines and lines[0].startswith("# ") else lines)


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
