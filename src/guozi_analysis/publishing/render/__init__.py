"""Publishing the year-end review book (HTML, PDF and a Word draft) from ``reports/_quarto.yml``.

:func:`render` uses Quarto when it is installed and otherwise the package's built-in renderer
(pandoc + Typst, see :mod:`guozi_analysis.render.builtin`), which reads the same
``_quarto.yml`` and produces the same book.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from guozi_analysis.publishing.published import write_publication_figures
from guozi_analysis.publishing.render.builtin import SUPPORTED_FORMATS, RenderError, render_book
from guozi_analysis.publishing.render.quarto import (
    BookConfig,
    BookConfigError,
    Chapter,
    QuartoError,
    quarto_available,
    read_book_config,
    render_with_quarto,
)

__all__ = [
    "BookConfig",
    "BookConfigError",
    "Chapter",
    "QuartoError",
    "RenderError",
    "RenderResult",
    "SUPPORTED_FORMATS",
    "quarto_available",
    "read_book_config",
    "render",
    "render_book",
    "render_with_quarto",
]

log = logging.getLogger(__name__)

ENGINES = ("auto", "quarto", "builtin")


@dataclass(frozen=True)
class RenderResult:
    """Which engine rendered the book (``"quarto"`` or ``"builtin"``) and its main output files."""

    engine: str
    outputs: dict[str, Path] = field(default_factory=dict)


def render(
    project_dir: str | Path,
    *,
    engine: str = "auto",
    formats: Iterable[str] = SUPPORTED_FORMATS,
    edition: str | None = None,
    output_dir: str | Path | None = None,
    extra_search: list[dict] | None = None,
) -> RenderResult:
    """Render the book in ``project_dir`` to HTML and/or PDF.

    Parameters
    ----------
    engine
        ``"auto"`` (Quarto when ``quarto`` is on PATH, else built-in), ``"quarto"`` or
        ``"builtin"``.
    formats
        Any of ``"html"``, ``"pdf"``.
    edition
        Quarto profile of the edition to publish: ``_quarto-<edition>.yml`` is merged over
        ``_quarto.yml`` (``quarto render --profile <edition>``); shown on the cover when the
        configuration names no edition of its own.
    output_dir
        Built-in engine only: output folder instead of ``project: output-dir``.
    extra_search
        Built-in engine only: more entries for the book's search (the profiles volume's enterprises).

    Beside the publication (in its output folder) ``figures.csv`` lists every keyed figure its chapters
    and, for the full edition, its workbooks printed (:mod:`guozi_analysis.publishing.published`).
    """
    if engine not in ENGINES:
        raise ValueError(f"未知的渲染引擎：{engine!r}；可选：{', '.join(ENGINES)}")
    formats = tuple(formats)
    use_quarto = engine == "quarto" or (engine == "auto" and quarto_available())
    if use_quarto:
        log.info("使用 Quarto 渲染报告（%s）。", "、".join(formats))
        if output_dir is not None:
            log.warning("Quarto 引擎使用 _quarto.yml 中的 output-dir，忽略 output_dir=%s。", output_dir)
        outputs = render_with_quarto(project_dir, formats=formats, profile=edition)
        _write_figures(project_dir, edition=edition, output_dir=None)
        return RenderResult(engine="quarto", outputs=outputs)
    reason = "按要求" if engine == "builtin" else "未检测到 Quarto，"
    log.info("%s使用内置渲染器（pandoc + Typst）渲染报告（%s）。", reason, "、".join(formats))
    outputs = render_book(project_dir, formats=formats, output_dir=output_dir, profile=edition,
                          extra_search=extra_search)
    for fmt, path in outputs.items():
        log.info("已生成 %s：%s", fmt.upper(), path)
    _write_figures(project_dir, edition=edition, output_dir=output_dir)
    return RenderResult(engine="builtin", outputs=outputs)


def _write_figures(project_dir, *, edition: str | None, output_dir) -> Path:
    """``figures.csv`` beside the rendered publication (its output folder)."""
    config = read_book_config(project_dir, profile=edition)
    out = Path(output_dir).resolve() if output_dir else config.output_dir
    path = write_publication_figures([c.path for c in config.chapters], out, workbooks=edition != "public")
    log.info("已写出出版物数字清单：%s", path)
    return path
