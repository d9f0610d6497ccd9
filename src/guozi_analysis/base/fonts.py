"""The project's Chinese font: Noto Sans CJK SC (SIL OFL), shipped by the ``mplfonts`` wheel.

Charts, HTML pages and the PDF all use the same font so that nothing prints as tofu on a
machine without system CJK fonts. SimHei (also in ``mplfonts``) is proprietary and is never
used. Nothing happens at import time; notebooks and plot code call :func:`use_cjk_font`.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import tempfile
from pathlib import Path

__all__ = [
    "CJK_FONT_FILE",
    "CJK_FONT_FAMILY",
    "FontMissingError",
    "cjk_font_path",
    "cjk_font_dir",
    "use_cjk_font",
    "subset_font_woff",
    "missing_glyphs",
]

#: File name of the font inside ``mplfonts/fonts``.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
#: Family name the font declares (used by matplotlib, CSS and Typst).
CJK_FONT_FAMILY = "Noto Sans CJK SC"


class FontMissingError(FileNotFoundError):
    """The Noto Sans CJK SC font file cannot be found."""


def cjk_font_path() -> Path:
    """Path of ``NotoSansCJKsc-Regular.otf`` inside the installed ``mplfonts`` package.

    Raises
    ------
    FontMissingError
        When ``mplfonts`` is not installed or no longer ships the file.
    """
    try:
        import mplfonts  # deferred: heavy dependency, loaded on first use
    except ImportError as exc:  # pragma: no cover - mplfonts is a hard dependency
        raise FontMissingError(
            "未找到中文字体：未安装 mplfonts 包，请执行 `pip install mplfonts` 后重试。"
        ) from exc
    path = Path(mplfonts.__file__).resolve().parent / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        raise FontMissingError(
            f"未找到中文字体文件 {CJK_FONT_FILE}（应位于 {path.parent}）。"
            "请重新安装 mplfonts 包；本项目不使用专有字体 SimHei。"
        )
    return path


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "guozi-analysis" / "fonts"


def _link_or_copy(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        tmp.symlink_to(source)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def _ensure_font_dir(folder: Path, source: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    if target.is_symlink() and target.resolve() == source:
        return folder
    if not target.is_symlink() and target.is_file() and target.stat().st_size == source.stat().st_size:
        return folder
    _link_or_copy(source, target)
    return folder


def cjk_font_dir() -> Path:
    """A folder holding only the Noto Sans CJK SC font (a link to the ``mplfonts`` file).

    ``mplfonts/fonts`` also holds the proprietary SimHei, and Typst falls back to any font
    it was given for missing glyphs, so Typst gets this clean folder instead. It lives in the
    user cache (``$XDG_CACHE_HOME/guozi-analysis/fonts``), or the temp folder when the cache
    is not writable.
    """
    source = cjk_font_path()
    for folder in (_cache_root(), Path(tempfile.gettempdir()) / "guozi-analysis-fonts"):
        try:
            return _ensure_font_dir(folder, source)
        except OSError:
            continue
    raise FontMissingError(f"无法创建中文字体目录（缓存目录与临时目录均不可写），字体文件：{source}")


#: The family registered with matplotlib's font manager, by the manager's id (one per process).
_REGISTERED: dict[int, str] = {}


def use_cjk_font() -> str:
    """Register Noto Sans CJK SC with matplotlib and make it the default sans-serif font.

    Idempotent. Sets ``font.family`` to sans-serif with this font first and turns off the
    Unicode minus sign (which the font lacks in some renderers). Returns the family name.
    """
    from matplotlib import font_manager, rcParams  # deferred: heavy dependency, loaded on first use

    manager = font_manager.fontManager
    family = _REGISTERED.get(id(manager))
    if family is None:  # once per font manager: resolving every font's path and reading the font took 0.1 s a chart
        path = cjk_font_path()
        registered = {Path(entry.fname).resolve() for entry in manager.ttflist}
        if path not in registered:
            manager.addfont(str(path))
        family = font_manager.FontProperties(fname=str(path)).get_name()
        _REGISTERED.clear()
        _REGISTERED[id(manager)] = family
    others = [name for name in rcParams["font.sans-serif"] if name != family]
    rcParams["font.family"] = ["sans-serif"]
    rcParams["font.sans-serif"] = [family, *others]
    rcParams["axes.unicode_minus"] = False
    return family


@functools.lru_cache(maxsize=1)
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont  # deferred: heavy dependency, loaded on first use

    with TTFont(str(cjk_font_path()), lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str) -> set[str]:
    """Characters of ``text`` (whitespace and control characters aside) the CJK font cannot draw."""
    covered = _cmap()
    return {ch for ch in set(text) if ord(ch) not in covered and not ch.isspace() and ch.isprintable()}


@functools.lru_cache(maxsize=8)
def subset_font_woff(text: str) -> bytes:
    """Noto Sans CJK SC reduced to the glyphs of ``text`` plus printable ASCII, as WOFF (zlib).

    Meant for a base64 ``@font-face`` in self-contained HTML. The output is deterministic
    (the font's timestamp is not refreshed). Takes about a second for a book's worth of text.
    """
    from fontTools import subset  # deferred: heavy dependency, loaded on first use
    from fontTools.ttLib import TTFont  # deferred: heavy dependency, loaded on first use

    options = subset.Options()
    options.flavor = "woff"
    options.notdef_outline = True
    chars = set(text) | {chr(code) for code in range(0x20, 0x7F)}
    wanted = "".join(sorted(chars))
    with TTFont(str(cjk_font_path()), recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=wanted)
        subsetter.subset(font)
        font.flavor = "woff"
        buffer = io.BytesIO()
        font.save(buffer)
    return buffer.getvalue()
