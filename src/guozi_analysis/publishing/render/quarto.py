"""Reading a Quarto book project (``_quarto.yml``) and rendering it with Quarto when present.

:func:`read_book_config` understands the subset of Quarto's book configuration this project
uses: ``project: output-dir``, ``book:`` title/subtitle/author/date/output-file/chapters
(with ``part:`` entries)/appendices, ``lang`` and ``format``. Quarto profiles are honoured:
``_quarto-<profile>.yml`` is merged over ``_quarto.yml``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "BookConfig",
    "Chapter",
    "BookConfigError",
    "QuartoError",
    "read_book_config",
    "quarto_available",
    "render_with_quarto",
]

log = logging.getLogger(__name__)

CHAPTER_SUFFIXES = (".md", ".qmd", ".ipynb")


class BookConfigError(ValueError):
    """``_quarto.yml`` is missing or does not describe a book."""


class QuartoError(RuntimeError):
    """Quarto is missing or its render failed."""


@dataclass(frozen=True)
class Chapter:
    """One chapter file of the book, in reading order.

    ``part`` is the title of the part it belongs to (``None`` outside parts); ``appendix``
    marks chapters listed under ``book: appendices``.
    """

    path: Path
    part: str | None = None
    appendix: bool = False

    @property
    def is_notebook(self) -> bool:
        return self.path.suffix.lower() == ".ipynb"


@dataclass(frozen=True)
class BookConfig:
    """What the renderers need to know about a Quarto book project."""

    project_dir: Path
    title: str
    subtitle: str | None = None
    author: str | None = None
    date: str | None = None
    district: str | None = None
    edition: str | None = None
    chapters: tuple[Chapter, ...] = ()
    output_dir: Path = Path("_book")
    output_file: str = "review"
    formats: tuple[str, ...] = ()
    lang: str = "zh"
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def main_chapters(self) -> tuple[Chapter, ...]:
        return tuple(ch for ch in self.chapters if not ch.appendix)

    @property
    def appendices(self) -> tuple[Chapter, ...]:
        return tuple(ch for ch in self.chapters if ch.appendix)


def _deep_merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value  # Quarto appends arrays of a profile to the base's
        else:
            merged[key] = value
    return merged


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise BookConfigError(f"{path} 不是合法的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise BookConfigError(f"{path} 的顶层应为键值映射。")
    return data


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        parts = [_text(v) for v in value]
        return "、".join(p for p in parts if p) or None
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("text"))
    text = str(value).strip()
    return text or None


def _entry_file(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        for key in ("href", "file"):
            if isinstance(entry.get(key), str):
                return entry[key]
    return None


def _chapter(project_dir: Path, name: str, *, part: str | None, appendix: bool) -> Chapter:
    path = (project_dir / name).resolve()
    if path.suffix.lower() not in CHAPTER_SUFFIXES:
        raise BookConfigError(f"章节 {name} 的类型不受支持（只支持 .md、.qmd、.ipynb）。")
    return Chapter(path=path, part=part, appendix=appendix)


def _part_title(project_dir: Path, value: Any) -> str:
    """A ``part:`` is either a title or a file whose first heading/title names the part."""
    text = str(value).strip()
    candidate = project_dir / text
    if text.lower().endswith((".md", ".qmd")) and candidate.is_file():
        body = candidate.read_text(encoding="utf-8")
        if body.startswith("---"):
            end = body.find("\n---", 3)
            if end > 0:
                front = yaml.safe_load(body[3:end]) or {}
                if isinstance(front, dict) and front.get("title"):
                    return str(front["title"])
                body = body[end + 4 :]
        for line in body.splitlines():
            if line.startswith("# "):
                return line[2:].split("{")[0].strip()
        return candidate.stem
    return text


def _collect(project_dir: Path, entries: Any, *, appendix: bool) -> list[Chapter]:
    chapters: list[Chapter] = []
    for entry in entries or []:
        if isinstance(entry, dict) and "part" in entry:
            title = _part_title(project_dir, entry["part"])
            for sub in entry.get("chapters") or []:
                name = _entry_file(sub)
                if name:
                    chapters.append(_chapter(project_dir, name, part=title, appendix=appendix))
            continue
        name = _entry_file(entry)
        if name is None:
            raise BookConfigError(f"无法识别的章节条目：{entry!r}")
        chapters.append(_chapter(project_dir, name, part=None, appendix=appendix))
    return chapters


def default_profile(raw: dict) -> str | None:
    """The profile Quarto applies when none is asked for (``profile: default:`` in ``_quarto.yml``)."""
    default = (raw.get("profile") or {}).get("default") if isinstance(raw.get("profile"), dict) else None
    if isinstance(default, list):
        default = default[0] if default else None
    return str(default) if default else None


def read_book_config(project_dir: str | Path, *, profile: str | None = None) -> BookConfig:
    """Read ``<project_dir>/_quarto.yml`` (merged with ``_quarto-<profile>.yml`` when given).

    Relative chapter paths are resolved against ``project_dir``; ``output_dir`` is absolute
    (``project: output-dir``, default ``_book``). ``formats`` lists the keys of ``format:``.
    The cover's ``district`` and ``edition`` come from top-level or ``book:`` keys of the same
    names; ``profile`` doubles as the edition when the config names none.
    """
    project_dir = Path(project_dir).resolve()
    config_path = project_dir / "_quarto.yml"
    if not config_path.is_file():
        raise BookConfigError(f"未找到 Quarto 项目配置文件：{config_path}")
    raw = _load_yaml(config_path)
    for extra in raw.get("metadata-files") or []:  # merged like Quarto does; absent files are skipped
        extra_path = project_dir / str(extra)
        if extra_path.is_file():
            raw = _deep_merge(raw, _load_yaml(extra_path))
    if not profile:
        profile = default_profile(raw)
    if profile:
        profile_path = project_dir / f"_quarto-{profile}.yml"
        if profile_path.is_file():
            raw = _deep_merge(raw, _load_yaml(profile_path))
    project = raw.get("project") or {}
    book = raw.get("book") or {}
    if not isinstance(book, dict) or not book.get("chapters"):
        raise BookConfigError(f"{config_path} 中缺少 book: chapters 章节列表。")
    chapters = _collect(project_dir, book.get("chapters"), appendix=False)
    chapters += _collect(project_dir, book.get("appendices"), appendix=True)
    formats = raw.get("format") or {}
    if isinstance(formats, str):
        formats = {formats: {}}
    date = book.get("date", raw.get("date"))
    return BookConfig(
        project_dir=project_dir,
        title=_text(book.get("title", raw.get("title"))) or "未命名报告",
        subtitle=_text(book.get("subtitle", raw.get("subtitle"))),
        author=_text(book.get("author", raw.get("author"))),
        date=_text(date.isoformat() if hasattr(date, "isoformat") else date),
        district=_text(book.get("district", raw.get("district"))),
        edition=_text(book.get("edition", raw.get("edition"))) or profile,
        chapters=tuple(chapters),
        output_dir=(project_dir / str(project.get("output-dir") or "_book")).resolve(),
        output_file=str(book.get("output-file") or "review"),
        formats=tuple(formats) if isinstance(formats, dict) else tuple(formats),
        lang=str(raw.get("lang") or "zh"),
        raw=raw,
    )


def quarto_available() -> bool:
    """Whether a ``quarto`` executable is on ``PATH``."""
    return shutil.which("quarto") is not None


def _quarto_target(fmt: str, formats: tuple[str, ...]) -> str:
    if fmt == "pdf" and "typst" in formats and "pdf" not in formats:
        return "typst"
    return fmt


def render_with_quarto(
    project_dir: str | Path,
    *,
    formats: tuple[str, ...] | list[str] | None = None,
    profile: str | None = None,
) -> dict[str, Path]:
    """Run ``quarto render`` on the project, once per requested format.

    ``formats`` uses the project's names (``"html"``, ``"pdf"``); ``"pdf"`` maps to the
    project's ``typst`` format when that is how the PDF is configured. Returns the main output
    file of each format (``index.html``, ``<output-file>.pdf``).
    """
    quarto = shutil.which("quarto")
    if quarto is None:
        raise QuartoError("未找到 quarto 命令，请安装 Quarto 或改用内置渲染器（engine='builtin'）。")
    config = read_book_config(project_dir, profile=profile)
    wanted = tuple(formats) if formats else tuple("pdf" if f == "typst" else f for f in config.formats)
    outputs: dict[str, Path] = {}
    for fmt in wanted:
        command = [quarto, "render", str(config.project_dir), "--to", _quarto_target(fmt, config.formats)]
        if profile:
            command += ["--profile", profile]
        log.info("运行 Quarto：%s", " ".join(command))
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise QuartoError(f"Quarto 渲染 {fmt} 失败（退出码 {done.returncode}）：\n{done.stderr[-4000:]}")
        if fmt == "html":
            outputs[fmt] = config.output_dir / "index.html"
        else:
            outputs[fmt] = config.output_dir / f"{config.output_file}.{fmt}"
    return outputs
