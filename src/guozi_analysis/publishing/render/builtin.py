"""Built-in book renderer: the Quarto book in ``_quarto.yml`` rendered with pandoc and Typst.

Quarto cannot be installed on the district's machines, so this module does the part of its
work the project needs, with the same inputs and the same look:

1. every chapter is converted on its own to pandoc's JSON AST (``-f ipynb --ipynb-output=all``
   for notebooks, ``-f markdown`` for ``.md``/``.qmd`` after the YAML front matter is removed);
2. the AST is cleaned in Python like Quarto with ``echo: false``: code is dropped, stderr is
   dropped, each pandas HTML table output becomes a real table (one batched ``-f html`` call per
   chapter) and its plain-text twin is dropped, images are kept (identical ones in a cell once);
3. HTML, as a Quarto book shows it and fully offline: one page per chapter (images as data URIs)
   with the book's contents on the left (a 目录 button on phones), 本页目录 on the right, a §
   anchor on every heading, 图/表 mentions linked to their figure or table, a 下载 PDF link and
   print CSS; the style with the CJK font subset (``book.css``), the contents (``book.js``) and
   the search index (``search.js``) are written once beside the pages, no external host anywhere;
   cells showing a light or a risk level (红灯, 关注, …) are coloured, in the PDF too;
4. PDF: one Typst document from ``templates/book.typ`` compiled with Noto Sans CJK SC; every
   Typst warning is an error (a missing font only warns and prints tofu).

Outputs are built in a temporary folder and swapped into place at the end, so a failed
render leaves the last good book untouched.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import html
import json
import logging
import mimetypes
import os
import pickle
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import unquote

import yaml

from guozi_analysis.base import config as paths
from guozi_analysis.base.fonts import cjk_font_dir, missing_glyphs, subset_font_woff
from guozi_analysis.publishing.display import EMPTY_TABLE
from guozi_analysis.publishing.render import office
from guozi_analysis.publishing.render.quarto import BookConfig, Chapter, read_book_config
from guozi_analysis.publishing.text import missing_numbers

__all__ = ["RenderError", "render_book", "render_chapter", "search_script", "stylesheet", "SUPPORTED_FORMATS"]

log = logging.getLogger(__name__)

SUPPORTED_FORMATS = ("html", "pdf", "docx")

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_PAGEBREAK = re.compile(r"^[ \t]*\{\{<\s*pagebreak\s*>\}\}[ \t]*$", re.M)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LABEL = re.compile(r"[\w:.-]+")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_EXTERNAL_REF = re.compile(
    r"""((?:src|href|poster|data|action)\s*=\s*["']?)\s*(?:https?:)?//[^"'\s>]*"""
    r"""|(url\(\s*["']?)\s*(?:https?:)?//[^)"']*"""
    r"""|(@import\s+["'])\s*(?:https?:)?//[^"']*""",
    re.I,
)


class RenderError(RuntimeError):
    """The built-in renderer could not produce the book."""


# --------------------------------------------------------------------------------------
# small pandoc helpers


def _pandoc(args: list[str], *, stdin: str | None = None, cwd: Path | None = None) -> str:
    import pypandoc  # deferred: heavy dependency, loaded on first use

    command = [pypandoc.get_pandoc_path(), *args]
    done = subprocess.run(
        command, input=stdin, capture_output=True, text=True, encoding="utf-8", cwd=cwd, check=False
    )
    if done.returncode != 0:
        raise RenderError(f"pandoc 转换失败（{' '.join(args)}）：{done.stderr.strip()[-2000:]}")
    return done.stdout


@functools.lru_cache(maxsize=1)
def _api_version() -> tuple[int, ...]:
    """The pandoc-api-version of the bundled pandoc, for the JSON documents we hand back."""
    return tuple(json.loads(_pandoc(["-f", "markdown", "-t", "json"], stdin=""))["pandoc-api-version"])


def _document(blocks: list) -> str:
    return json.dumps({"pandoc-api-version": list(_api_version()), "meta": {}, "blocks": blocks}, ensure_ascii=False)


def _attr(ident: str = "", classes: Iterable[str] = (), kv: Iterable[tuple[str, str]] = ()) -> list:
    return [ident, list(classes), [list(pair) for pair in kv]]


def _str_inlines(text: str) -> list[dict]:
    """Plain text as pandoc inlines (words and spaces)."""
    inlines: list[dict] = []
    for k, word in enumerate(text.split(" ")):
        if k:
            inlines.append({"t": "Space"})
        if word:
            inlines.append({"t": "Str", "c": word})
    return inlines


#: AST elements with nothing inside to walk into
_LEAVES = frozenset({"Str", "Space", "SoftBreak", "LineBreak"})


def _walk(node: Any) -> Iterator[dict]:
    """Every AST element (dict with ``t``) under ``node``, depth first.

    An explicit stack, not nested generators (a profile's AST has ~20,000 nodes; ``yield from`` passes
    each one up through every level above it). An element's children are read after the caller has
    seen it, so a caller may replace what an element holds (``node["c"] = …``) and the walk goes on
    into the new content.
    """
    stack = [node]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)  # the AST is JSON: plain dicts, lists, strings and numbers
        if kind is dict:
            if "t" in item:
                yield item
                if item["t"] in _LEAVES:  # read after the caller saw it: a leaf it rewrote is walked into
                    continue
            push([v for v in reversed(item.values()) if type(v) is list or type(v) is dict])
        elif kind is list:
            push(item[::-1])  # strings and numbers among them are dropped when popped


def _copy_ast(blocks: list) -> list:
    """A deep copy of AST blocks (plain lists, dicts and strings): a pickle round trip, several times
    faster than :func:`copy.deepcopy` on a profile's ~20,000 nodes."""
    return pickle.loads(pickle.dumps(blocks, protocol=pickle.HIGHEST_PROTOCOL))


def _plain_text(node: Any) -> str:
    """Readable text of an AST fragment (raw blocks and inlines skipped)."""
    parts: list[str] = []

    def visit(item: Any) -> None:
        if isinstance(item, list):
            for sub in item:
                visit(sub)
            return
        if not isinstance(item, dict) or "t" not in item:
            return
        kind, content = item["t"], item.get("c")
        if kind == "Str":
            parts.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Code", "Math"):
            parts.append(content[1])
        elif kind == "CodeBlock":
            parts.append(" " + content[1] + " ")
        elif kind in ("RawBlock", "RawInline"):
            return
        elif kind == "Image":
            visit(content[1])
        elif kind in ("Para", "Plain", "Header", "Div", "BlockQuote", "Table", "Figure"):
            parts.append(" ")
            visit(content)
            parts.append(" ")
        else:
            visit(content)

    visit(node)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _header_attr(block: dict) -> list:
    return block["c"][1]


# --------------------------------------------------------------------------------------
# reading chapters


@dataclass
class _Page:
    """One chapter, read and cleaned, ready for both writers."""

    chapter: Chapter
    index: int
    slug: str
    blocks: list
    title: str = ""
    anchor: str = ""
    number: str | None = None
    ids: set[str] = field(default_factory=set)
    #: Caption numbers of this page's figures and tables ("图3-1", "表2-1") → their element ids.
    labels: dict[str, str] = field(default_factory=dict)
    #: Files the page links to (a workbook beside the chapter): link target → the file, published with the HTML.
    attachments: dict[str, Path] = field(default_factory=dict)


def _split_front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        front = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        front = {}
    return (front if isinstance(front, dict) else {}), text[match.end() :]


#: Markdown cells read as Quarto reads them: heading attributes ({.unnumbered}), fenced divs, spans,
#: and no stray spaces where a Chinese sentence wraps across lines.
IPYNB_READER = "ipynb+header_attributes+fenced_divs+bracketed_spans+east_asian_line_breaks"
#: Markdown chapters and Markdown outputs likewise: a Chinese sentence wrapped across source lines
#: reads without a space where the line broke
MARKDOWN_READER = "markdown+east_asian_line_breaks"


def _read_chapter_ast(chapter: Chapter, media_dir: Path) -> tuple[list, dict]:
    """pandoc JSON AST blocks of one chapter plus its front matter."""
    if not chapter.path.is_file():
        raise RenderError(f"章节文件不存在：{chapter.path}")
    media_dir.mkdir(parents=True, exist_ok=True)
    if chapter.is_notebook:
        out = _pandoc(
            ["-f", IPYNB_READER, "--ipynb-output=all", "-t", "json", f"--extract-media={media_dir}", str(chapter.path)],
            cwd=chapter.path.parent,
        )
        return json.loads(out)["blocks"], {}
    front, body = _split_front_matter(chapter.path.read_text(encoding="utf-8"))
    body = _PAGEBREAK.sub('\n::: {.gz-pagebreak}\n:::\n', body)
    out = _pandoc(["-f", MARKDOWN_READER, "-t", "json"], stdin=body, cwd=chapter.path.parent)
    return json.loads(out)["blocks"], front


def _html_to_blocks(fragments: list[str], *, cwd: Path) -> list[list | None]:
    """Parse several HTML fragments in one pandoc call; ``None`` where one could not be found.

    The reader tables our views print (:func:`guozi_analysis.publishing.display.reader_html`) are read
    without pandoc (:func:`_reader_table_blocks`, the same AST); pandoc reads the others.
    """
    out: list[list | None] = [_reader_table_blocks(frag) for frag in fragments]
    rest = [k for k, blocks in enumerate(out) if blocks is None]
    if not rest:
        return out
    wrapped = "".join(f'<div id="gzraw{k}">\n{fragments[k]}\n</div>\n' for k in rest)
    blocks = json.loads(_pandoc(["-f", "html", "-t", "json"], stdin=wrapped, cwd=cwd))["blocks"]
    found: dict[str, list] = {}
    for block in blocks:
        if block["t"] == "Div" and block["c"][0][0].startswith("gzraw"):
            found[block["c"][0][0]] = block["c"][1]
    for k in rest:
        out[k] = found.get(f"gzraw{k}")
    return out


_READER_TABLE = re.compile(r'<table class="dataframe reader-table"><thead><tr>((?:<th>[^<>]*</th>)+)</tr></thead>'
                           r"<tbody>((?:<tr>(?:<td>[^<>]*</td>)+</tr>)+)</tbody></table>")
_READER_NOTE = re.compile(r'\n?<p class="table-note">([^<>]*)</p>')
_CELL = re.compile(r"<t[hd]>([^<>]*)</t[hd]>")
_ROW = re.compile(r"<tr>(.*?)</tr>")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&#39;": "'"}
_ENTITY = re.compile(r"&[^;\s]*;?")


def _reader_inlines(text: str) -> list[dict] | None:
    """pandoc's inlines for the text of a reader-table cell or note (words and single spaces); ``None``
    for text this shortcut does not cover (other whitespace, other entities)."""
    if any(ch.isspace() and ch != " " for ch in text):
        return None
    if "&" in text:
        if any(m.group(0) not in _ENTITIES for m in _ENTITY.finditer(text)):
            return None
        text = _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text)
    return _str_inlines(" ".join(text.split()))  # runs of spaces are one, none at either end (as pandoc reads HTML)


def _reader_table_blocks(fragment: str) -> list | None:
    """The AST pandoc's HTML reader gives a reader table (a header row, body rows of text cells, then
    notes as paragraphs), or ``None`` when the fragment is anything else (then pandoc reads it)."""
    pos = 0
    blocks: list = []
    table = _READER_TABLE.match(fragment)
    if table:
        head = [_reader_inlines(t) for t in _CELL.findall(table.group(1))]
        rows = [[_reader_inlines(t) for t in _CELL.findall(row)] for row in _ROW.findall(table.group(2))]
        if any(c is None for c in head) or any(c is None for row in rows for c in row) or \
                any(len(row) != len(head) for row in rows):
            return None

        def attr() -> list:  # a new list each time: later passes set ids and classes node by node
            return ["", [], []]

        def cells(texts: list[list[dict]]) -> list:  # an empty cell has no block
            return [attr(), [[attr(), {"t": "AlignDefault"}, 1, 1, [{"t": "Plain", "c": t}] if t else []]
                             for t in texts]]
        blocks.append({"t": "Table", "c": [
            ["", ["dataframe", "reader-table"], []], [None, []],
            [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}] for _ in head],
            [attr(), [cells(head)]], [[attr(), 0, [], [cells(r) for r in rows]]], [attr(), []]]})
        pos = table.end()
    while pos < len(fragment):
        note = _READER_NOTE.match(fragment, pos)
        if not note:
            return None
        inlines = _reader_inlines(note.group(1))
        if not inlines:
            return None
        blocks.append({"t": "Para", "c": inlines})
        pos = note.end()
    return blocks or None


def _clean_output(div: dict, raw_html: list[dict]) -> dict | None:
    """One notebook output: stderr dropped, plain-text twins of rich outputs dropped."""
    classes = div["c"][0][1]
    children = div["c"][1]
    if "stream" in classes and "stderr" in classes:
        return None
    for child in children:
        if child["t"] == "CodeBlock":
            child["c"][1] = _ANSI.sub("", child["c"][1])
    if "stream" in classes or "error" in classes:
        return div
    rich = [c for c in children
            if c["t"] != "CodeBlock" and not (c["t"] == "RawBlock" and c["c"][0] not in ("html", "markdown"))]
    kept = rich if rich else [c for c in children if c["t"] == "CodeBlock"]
    for child in kept:
        if child["t"] == "RawBlock":
            raw_html.append(child)
    div["c"][1] = kept
    return div if kept else None


def _clean_notebook(blocks: list, raw_html: list[dict]) -> list:
    """Drop code, clear random cell ids, clean outputs (see :func:`_clean_output`)."""
    cleaned = []
    for block in blocks:
        if block["t"] != "Div":
            cleaned.append(block)
            continue
        classes = block["c"][0][1]
        if "cell" in classes:
            block["c"][0][0] = ""
            if "code" in classes:
                for code in (b for b in block["c"][1] if b["t"] == "CodeBlock"):
                    options = _cell_options(code["c"][1])
                    block["c"][0][2] += [[f"gz-{k}", options[k]] for k in CAPTION_OPTIONS if k in options]
                block["c"][1] = [b for b in block["c"][1] if b["t"] != "CodeBlock"]
            block["c"][1] = _clean_notebook(block["c"][1], raw_html)
            if block["c"][1]:
                cleaned.append(block)
        elif "output" in classes:
            kept = _clean_output(block, raw_html)
            if kept is not None:
                cleaned.append(kept)
        else:
            block["c"][1] = _clean_notebook(block["c"][1], raw_html)
            cleaned.append(block)
    return cleaned


#: Quarto cell options (``#| tbl-cap: …`` / ``#| fig-cap: …``) that caption a cell's table or figure.
CAPTION_OPTIONS = ("tbl-cap", "fig-cap")
_CAPTION_WORD = {"tbl-cap": "表", "fig-cap": "图"}


def _cell_options(source: str) -> dict[str, str]:
    """The ``#| key: value`` lines at the top of a code cell (Quarto's cell options)."""
    options = {}
    for line in source.splitlines():
        if not line.startswith("#|"):
            break
        key, _, value = line[2:].partition(":")
        options[key.strip()] = value.strip().strip("'\"")
    return options


def _number_captions(pages: list[_Page]) -> None:
    """Caption each captioned cell's first table / image as 表3-1 / 图3-1 (chapter-wise, as Quarto books do).

    The number is part of the caption text, so HTML and PDF print the same one (Typst's own figure
    numbering is switched off in the template).
    """
    for page in pages:
        if page.number:
            prefix = page.number.removeprefix("第").removesuffix("章").removeprefix("附录")
        else:
            prefix = None
        counts = {"tbl-cap": 0, "fig-cap": 0}
        for cell in _walk(page.blocks):
            if cell["t"] != "Div":
                continue
            kv = dict((k, v) for k, v in cell["c"][0][2])
            for option in CAPTION_OPTIONS:
                caption = kv.get(f"gz-{option}")
                if not caption:
                    continue
                # a captioned cell that printed a sentence instead of a table (nothing to report) takes
                # no number: the tables that are printed are numbered 1..n without gaps
                number = f"{prefix}-{counts[option] + 1}" if prefix else str(counts[option] + 1)
                label = f"{_CAPTION_WORD[option]}{number}"
                kind = "fig" if option == "fig-cap" else "tbl"
                ident = f"{kind}-{number}" if prefix else f"{kind}-c{page.index}-{number}"
                if _apply_caption(cell["c"][1], option, f"{label}　{caption}", ident=ident, alt=caption):
                    counts[option] += 1
                    page.ids.add(ident)
                    if prefix:
                        page.labels[label] = ident
            cell["c"][0][2] = [pair for pair in cell["c"][0][2] if not pair[0].startswith("gz-")]


def _apply_caption(blocks: list, option: str, text: str, *, ident: str = "", alt: str = "") -> bool:
    """Put ``text`` as the caption of the first table (tbl-cap) or image paragraph (fig-cap) in ``blocks``.

    The table or figure gets the id ``ident`` (the target of 图/表 cross-references) and a figure's
    image gets ``alt`` as its alternative text (HTML ``alt``, Typst ``image(alt: …)``).
    """
    for k, block in enumerate(blocks):
        if option == "tbl-cap" and block["t"] == "Table":
            block["c"][1] = [None, [{"t": "Plain", "c": _str_inlines(text)}]]
            block["c"][0][0] = ident
            return True
        if (option == "fig-cap" and block["t"] in ("Para", "Plain") and len(block["c"]) == 1
                and block["c"][0]["t"] == "Image"):
            image = block["c"][0]
            image["c"][1] = _str_inlines(alt or text)
            blocks[k] = {"t": "Figure", "c": [_attr(ident), [None, [{"t": "Plain", "c": _str_inlines(text)}]],
                                              [{"t": "Plain", "c": block["c"]}]]}
            return True
        if block["t"] == "Div" and _apply_caption(block["c"][1], option, text, ident=ident, alt=alt):
            return True
    return False


#: A figure or table mentioned in the text: 图3-1, 表2-1, 图A-2 (the caption numbers of this renderer).
_MENTION = re.compile(r"[图表]\s?(?:\d+|[A-Z])-\d+")
#: Elements whose text is never turned into cross-reference links.
_NO_MENTION_LINKS = {"Header", "Link", "Image", "Code", "CodeBlock", "RawInline", "RawBlock", "Math", "Note"}


def _link_mentions(pages: list[_Page]) -> int:
    """图/表 mentions in the text ("如图3-1所示") become links to that figure or table; returns how many.

    Captions, headings and existing links are left alone; a mention of a number no caption has stays text.
    """
    labels = {label: ident for page in pages for label, ident in page.labels.items()}
    linked = 0

    def split(text: str) -> list[dict] | None:
        nonlocal linked
        pieces: list[dict] = []
        last = 0
        for match in _MENTION.finditer(text):
            ident = labels.get(re.sub(r"\s", "", match.group(0)))
            if ident is None:
                continue
            if match.start() > last:
                pieces.append({"t": "Str", "c": text[last:match.start()]})
            pieces.append({"t": "Link", "c": [_attr("", ["gz-xref"]), [{"t": "Str", "c": match.group(0)}],
                                              [f"#{ident}", ""]]})
            last = match.end()
            linked += 1
        if not pieces:
            return None
        if last < len(text):
            pieces.append({"t": "Str", "c": text[last:]})
        return pieces

    def visit(node: Any) -> None:
        if isinstance(node, list):
            k = 0
            while k < len(node):
                item = node[k]
                if isinstance(item, dict) and item.get("t") == "Str":
                    pieces = split(item["c"])
                    if pieces:
                        node[k:k + 1] = pieces
                        k += len(pieces)
                        continue
                else:
                    visit(item)
                k += 1
        elif isinstance(node, dict) and "t" in node:
            kind = node["t"]
            if kind in _NO_MENTION_LINKS:
                return
            if kind == "Figure":
                visit(node["c"][2])  # not the caption
            elif kind == "Table":
                visit(node["c"][2:])  # not the caption
            else:
                visit(node.get("c"))

    if labels:
        for page in pages:
            visit(page.blocks)
    return linked


#: Cell texts of traffic lights and risk levels, and the colour their cell is filled with.
RAG_CELLS = {
    "红": "red", "红灯": "red", "重点监管": "red",
    "黄": "amber", "黄灯": "amber", "预警": "amber", "关注": "amber",
    "绿": "green", "绿灯": "green",
}
#: Fill colours of the coloured cells (HTML and PDF alike), light enough for black text.
RAG_FILLS = {"red": "#f6c9c4", "amber": "#fbe3a6", "green": "#cfe8cc"}
_RAG_WITH_LIGHT = re.compile(r"(?:关注|预警|重点监管)（([红黄绿])）")


def _rag_colour(text: str) -> str | None:
    """'red' / 'amber' / 'green' for a cell showing a light or a risk level (e.g. 红灯, 关注, 预警（黄）)."""
    text = text.strip()
    if text in RAG_CELLS:
        return RAG_CELLS[text]
    match = _RAG_WITH_LIGHT.fullmatch(text)
    return RAG_CELLS[match.group(1)] if match else None


#: Body cells with more characters than this get the class ``gz-long`` (a wider column in HTML).
LONG_CELL = 40


def _colour_light_cells(blocks: list) -> int:
    """Give every table body cell that shows a light or a risk level the class ``rag-red|amber|green``.

    Cells of long text get the class ``gz-long`` too, so that HTML gives their column room instead of
    squeezing it to a few characters a line.
    """
    coloured = 0
    for table in _walk(blocks):
        if table["t"] != "Table":
            continue
        rows = [row for body in table["c"][4] for row in body[2] + body[3]]
        for row in rows:
            for cell in row[1]:
                text = _plain_text(cell[4])
                colour = _rag_colour(text)
                if colour:
                    cell[0][1] = [c for c in cell[0][1] if not c.startswith("rag-")] + [f"rag-{colour}"]
                    coloured += 1
                elif len(text) > LONG_CELL and "gz-long" not in cell[0][1]:
                    cell[0][1].append("gz-long")
    return coloured


def _drop_repeated_images(blocks: list) -> int:
    """Within one notebook cell, keep the first of identical images (same bytes); returns how many were dropped.

    A view that returns a figure the inline backend also shows produced the same chart twice.
    """
    dropped = 0
    for cell in _walk(blocks):
        if cell["t"] != "Div" or "cell" not in cell["c"][0][1]:
            continue
        seen: set[str] = set()

        def keep(block: dict) -> bool:
            nonlocal dropped
            if block["t"] in ("Para", "Plain") and block["c"] and all(i["t"] == "Image" for i in block["c"]):
                digests = [_image_digest(i["c"][2][0]) for i in block["c"]]
                if all(d is not None and d in seen for d in digests):
                    dropped += 1
                    return False
                seen.update(d for d in digests if d is not None)
            return True

        def prune(children: list) -> list:
            out = []
            for child in children:
                if child["t"] == "Div":
                    child["c"][1] = prune(child["c"][1])
                    if not child["c"][1] and "output" in " ".join(child["c"][0][1]):
                        continue
                    out.append(child)
                elif keep(child):
                    out.append(child)
            return out

        cell["c"][1] = prune(cell["c"][1])
    return dropped


def _image_digest(target: str) -> str | None:
    path = Path(target)
    if target.startswith("data:"):
        return hashlib.sha1(target.encode("ascii", "replace")).hexdigest()
    return hashlib.sha1(path.read_bytes()).hexdigest() if path.is_file() else None


def _ensure_heading_ids(page: _Page) -> None:
    """Every heading has an id, unique in the book (anchors, the page contents and links need one)."""
    seen: set[str] = set()
    for n, header in enumerate(_top_headers(page.blocks), start=1):
        attr = _header_attr(header)
        if not attr[0] or attr[0] in seen:
            base = attr[0] or f"c{page.index}-sec-{n}"
            ident, k = base, 2
            while ident in seen or ident in page.ids:
                ident, k = f"{base}-{k}", k + 1
            attr[0] = ident
            page.ids.add(ident)
        seen.add(attr[0])


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+−]?[\d,]*\.?\d+(?:[eE][-+]?\d+)?%?", text.strip())) if text.strip() else False


#: A text column with a cell longer than this (characters) holds sentences: it is left-aligned
#: (not :data:`_LONG_TEXT`, the width in half-em units from which a column is widened)
_SENTENCE_CHARS = 16


def _align_numeric_columns(table: dict) -> None:
    """Right-align table columns whose body cells are all numbers (pandas tables); left-align text
    columns that hold sentences (a cell longer than :data:`_SENTENCE_CHARS`), which read badly centred."""
    colspecs, bodies = table["c"][2], table["c"][4]
    rows = [row for body in bodies for row in body[3]]
    if not rows or any(len(row[1]) != len(colspecs) for row in rows):
        return
    for col in range(len(colspecs)):
        texts = [_plain_text(row[1][col][4]) for row in rows]
        values = [t for t in texts if t and t not in ("NaN", "nan", "<NA>", "—", "-")]
        if values and all(_is_number(t) for t in values):
            colspecs[col][0] = {"t": "AlignRight"}
        elif any(len(t) > _SENTENCE_CHARS for t in values):
            colspecs[col][0] = {"t": "AlignLeft"}


def _markdown_to_blocks(fragments: list[str], *, cwd: Path) -> list[list | None]:
    """Parse several Markdown outputs (``IPython.display.Markdown``) in one pandoc call."""
    if not fragments:
        return []
    wrapped = "".join(f"::::::::: {{#gzmd{k}}}\n{frag}\n:::::::::\n\n" for k, frag in enumerate(fragments))
    blocks = json.loads(_pandoc(["-f", MARKDOWN_READER, "-t", "json"], stdin=wrapped, cwd=cwd))["blocks"]
    found = {b["c"][0][0]: b["c"][1] for b in blocks if b["t"] == "Div" and b["c"][0][0].startswith("gzmd")}
    return [found.get(f"gzmd{k}") for k in range(len(fragments))]


def _replace_raw_html(raw_html: list[dict], *, cwd: Path) -> int:
    """Turn notebook HTML and Markdown outputs into AST in place; returns how many could not be parsed."""
    html = [b for b in raw_html if b["c"][0] == "html"]
    markdown = [b for b in raw_html if b["c"][0] == "markdown"]
    pairs = list(zip(html, _html_to_blocks([b["c"][1] for b in html], cwd=cwd)))
    pairs += list(zip(markdown, _markdown_to_blocks([b["c"][1] for b in markdown], cwd=cwd)))
    failed = 0
    for block, blocks in pairs:
        if blocks is None:
            failed += 1
            continue
        for node in _walk(blocks):
            if node["t"] == "Table":
                _align_numeric_columns(node)
        block.clear()
        block.update({"t": "Div", "c": [_attr("", ["cell-output-display"]), blocks]})
    return failed


def _resolve_images(blocks: list, *, base: Path, media_dir: Path) -> None:
    """Make every local image path absolute and inside the work folder; drop remote ones."""
    for node in _walk(blocks):
        if node["t"] != "Image":
            continue
        target = node["c"][2][0]
        if _EXTERNAL.match(target) or target.startswith("data:"):
            if _EXTERNAL.match(target):
                log.warning("图片 %s 是外部链接，离线渲染无法获取，已改为文字说明。", target)
                node["t"], node["c"] = "Span", [_attr(), _str_inlines(f"[图片：{target}]")]
            continue
        path = Path(target)
        path = path if path.is_absolute() else (base / path)
        path = path.resolve()
        if not path.is_file():
            raise RenderError(f"找不到图片文件：{target}（相对于 {base}）")
        if media_dir not in path.parents:
            copied = media_dir / path.name
            if not copied.exists():
                shutil.copyfile(path, copied)
            path = copied
        node["c"][2][0] = str(path)


def _rename_ids(blocks: list, prefix: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for node in _walk(blocks):
        if node["t"] in ("Header", "Div", "Span", "CodeBlock", "Table", "Figure", "Image", "Link"):
            attr = node["c"][1] if node["t"] == "Header" else node["c"][0]
            if attr[0]:
                mapping.setdefault(attr[0], f"{prefix}-{attr[0]}")
                attr[0] = mapping[attr[0]]
    return mapping


def _ensure_title(blocks: list, front: dict, chapter: Chapter) -> None:
    if any(b["t"] == "Header" and b["c"][0] == 1 for b in _top_headers(blocks)):
        return
    title = str(front.get("title") or chapter.path.stem)
    classes = ["unnumbered"] if "unnumbered" in str(front.get("number-sections", "")) else []
    blocks.insert(0, {"t": "Header", "c": [1, _attr("", classes), _str_inlines(title)]})


def _top_headers(blocks: list) -> Iterator[dict]:
    """Headers in document order, looking inside Divs (notebook cells) but not tables/quotes."""
    for block in blocks:
        if block["t"] == "Header":
            yield block
        elif block["t"] == "Div":
            yield from _top_headers(block["c"][1])


def _slugs(chapters: tuple[Chapter, ...]) -> list[str]:
    slugs: list[str] = []
    for k, chapter in enumerate(chapters):
        stem = "index" if k == 0 else re.sub(r"[^\w.-]+", "-", chapter.path.stem).strip("-") or f"chapter-{k}"
        slug, n = f"{stem}.html", 2
        while slug in slugs:
            slug, n = f"{stem}-{n}.html", n + 1
        slugs.append(slug)
    return slugs


def _empty_tables_to_text(blocks: list) -> int:
    """Replace every table without columns or without body rows by the sentence "本表本期无记录。": an empty
    table would otherwise become broken PDF source (``columns: 0``, ``table.header(,)``). Returns how many."""
    replaced = 0

    def rows_of(table: dict) -> int:
        bodies = table["c"][4]
        return sum(len(body[2]) + len(body[3]) for body in bodies)

    def visit(children: list) -> None:
        nonlocal replaced
        for k, block in enumerate(children):
            if not isinstance(block, dict) or "t" not in block:
                continue
            if block["t"] == "Table":
                if not block["c"][2] or not rows_of(block):
                    children[k] = {"t": "Para", "c": _str_inlines(f"{EMPTY_TABLE}。")}
                    replaced += 1
                continue
            if block["t"] in ("Div", "BlockQuote"):
                visit(block["c"][1] if block["t"] == "Div" else block["c"])
            elif block["t"] == "Figure":
                visit(block["c"][2])

    visit(blocks)
    return replaced


def unsupported_sentences(blocks: list) -> list[str]:
    """Every paragraph outside tables that prints a missing number in a sentence ("—亿元", "不详—", see
    :data:`~guozi_analysis.publishing.text.MISSING_NUMBER`)."""
    found = []
    for block in _walk(blocks):
        if block["t"] == "Table":
            continue
        if block["t"] in ("Para", "Plain"):
            text = _plain_text(block)
            if missing_numbers(text) and text not in found:
                found.append(text)
    tables = [_plain_text(b) for b in _walk(blocks) if b["t"] == "Table"]
    return [t for t in found if not any(t in table for table in tables)]


def _load_pages(config: BookConfig, work: Path) -> list[_Page]:
    pages = []
    for k, (chapter, slug) in enumerate(zip(config.chapters, _slugs(config.chapters)), start=1):
        media_dir = (work / "media" / f"ch{k:02d}").resolve()
        blocks, front = _read_chapter_ast(chapter, media_dir)
        if chapter.is_notebook:
            raw_html: list[dict] = []
            blocks = _clean_notebook(blocks, raw_html)
            failed = _replace_raw_html(raw_html, cwd=work)
            if failed:
                log.warning("章节 %s 有 %d 个 HTML 输出无法解析，PDF 中将缺失。", chapter.path.name, failed)
        _empty_tables_to_text(blocks)
        unsupported = unsupported_sentences(blocks)
        if unsupported:  # a sentence never prints "—" for a number: the view must leave it out
            raise RenderError(f"章节 {chapter.path.name} 有句子含缺失数字（“—”紧接单位或“不详”）："
                              + "；".join(t[:80] for t in unsupported[:3]))
        _resolve_images(blocks, base=chapter.path.parent, media_dir=media_dir)
        dropped = _drop_repeated_images(blocks)
        if dropped:
            log.warning("章节 %s 有 %d 处同一单元格重复输出的相同图片，已只保留一张。", chapter.path.name, dropped)
        _colour_light_cells(blocks)
        _ensure_title(blocks, front, chapter)
        page = _Page(chapter=chapter, index=k, slug=slug, blocks=blocks)
        page.ids = set(_rename_ids(blocks, f"c{k}").values())
        first = next(h for h in _top_headers(blocks) if h["c"][0] == 1)
        if not _header_attr(first)[0]:
            _header_attr(first)[0] = f"c{k}"
            page.ids.add(f"c{k}")
        page.anchor = _header_attr(first)[0]
        page.title = _plain_text(first["c"][2])
        _ensure_heading_ids(page)
        pages.append(page)
    _number_headings(pages)
    _number_captions(pages)
    _resolve_links(pages, config)
    _link_mentions(pages)
    return pages


def _number_headings(pages: list[_Page]) -> None:
    """Heading numbers as Typst will print them (第1章 / 1.2 / 附录A / A.1).

    Unnumbered headings (``{.unnumbered}`` or ``{-}``) do not step the counter, and make the
    sections under them unnumbered too; the counter restarts at the appendices. Numbers are stored as a ``data-number`` attribute.
    """
    counters: list[int] = []
    in_appendix = False
    numbered_chapter = True
    for page in pages:
        if page.chapter.appendix and not in_appendix:
            counters, in_appendix = [], True
        for header in _top_headers(page.blocks):
            level, attr = header["c"][0], header["c"][1]
            unnumbered = "unnumbered" in attr[1] or "unlisted" in attr[1]
            if level == 1:
                numbered_chapter = not unnumbered
            elif not numbered_chapter and not unnumbered:
                attr[1].append("unnumbered")  # as in Quarto: sections of an unnumbered chapter
                unnumbered = True
            if unnumbered:
                continue
            counters = (counters + [0] * level)[:level]
            counters[-1] += 1
            if in_appendix:
                letter = chr(ord("A") + counters[0] - 1)
                label = f"附录{letter}" if level == 1 else ".".join([letter, *map(str, counters[1:])])
            else:
                label = f"第{counters[0]}章" if level == 1 else ".".join(map(str, counters))
            attr[2] = [kv for kv in attr[2] if kv[0] != "data-number"] + [["data-number", label]]
            if attr[0] == page.anchor:
                page.number = label


def _resolve_links(pages: list[_Page], config: BookConfig) -> None:
    """Links between chapters become ``#<global id>``; links to unknown ids become text."""
    by_path = {page.chapter.path: page for page in pages}
    known = {ident for page in pages for ident in page.ids}
    for page in pages:
        for node in _walk(page.blocks):
            if node["t"] != "Link":
                continue
            target = node["c"][2][0]
            if _EXTERNAL.match(target) or target.startswith("mailto:"):
                continue
            file_part, _, fragment = target.partition("#")
            if file_part:
                other = by_path.get((page.chapter.path.parent / file_part).resolve())
                if other is None:
                    other = by_path.get((config.project_dir / file_part).resolve())
                attachment = _attachment(page.chapter.path.parent, file_part)
                if other is None and attachment is not None:  # a workbook beside the chapter: published with it
                    page.attachments[attachment[0]] = attachment[1]
                    node["c"][2][0] = attachment[0]
                    continue
                if other is None:
                    node["t"], node["c"] = "Span", [_attr(), node["c"][1]]
                    continue
                ident = f"c{other.index}-{fragment}" if fragment else other.anchor
            else:
                ident = f"c{page.index}-{fragment}"
                if ident not in known:  # an anchor of another chapter (e.g. a row of the sources appendix)
                    ident = next((f"c{p.index}-{fragment}" for p in pages if f"c{p.index}-{fragment}" in known), ident)
            if ident not in known:
                node["t"], node["c"] = "Span", [_attr(), node["c"][1]]
                continue
            node["c"][2][0] = f"#{ident}"


def _attachment(folder: Path, target: str) -> tuple[str, Path] | None:
    """``(relative link, file)`` when ``target`` names a file inside ``folder`` (a workbook the chapter
    cites), else ``None``; the HTML folder gets a copy at the same relative place."""
    path = (folder / unquote(target)).resolve()
    try:
        rel = path.relative_to(folder.resolve()).as_posix()
    except ValueError:
        return None
    return (rel, path) if path.is_file() and path.suffix.lower() not in (".ipynb", ".md", ".qmd") else None


# --------------------------------------------------------------------------------------
# HTML


def _template(name: str) -> str:
    return resources.files("guozi_analysis.publishing.render").joinpath("templates", name).read_text(encoding="utf-8")


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _html_blocks(page: _Page, owner: dict[str, str]) -> list:
    """A copy of the page's AST adapted for HTML: data URIs, page links, no external links, heading anchors,
    heading levels without a jump (:func:`_html_level`)."""
    blocks = _copy_ast(page.blocks)
    opened: list[tuple[int, int]] = [(0, 0)]
    for node in _walk(blocks):
        kind = node["t"]
        if kind == "Image":
            target = node["c"][2][0]
            if not target.startswith("data:"):
                node["c"][2][0] = _data_uri(Path(target))
        elif kind == "Link":
            target = node["c"][2][0]
            if _EXTERNAL.match(target):
                shown = [] if _plain_text(node["c"][1]) == target else [{"t": "Str", "c": f"（{target}）"}]
                node["t"], node["c"] = "Span", [_attr(), node["c"][1] + shown]
            elif target.startswith("#"):
                slug = owner.get(target[1:], page.slug)
                node["c"][2][0] = target if slug == page.slug else f"{slug}{target}"
        elif kind == "Header":
            node["c"][0] = _html_level(opened, node["c"][0])
            number = dict(map(tuple, node["c"][1][2])).get("data-number")
            if number:
                node["c"][2] = [
                    {"t": "Span", "c": [_attr("", ["header-section-number"]), [{"t": "Str", "c": number}]]},
                    {"t": "Space"},
                    *node["c"][2],
                ]
            ident = node["c"][1][0]
            if ident:  # a § that appears on hover and links to the heading (as Quarto's anchors)
                node["c"][2].append({"t": "RawInline", "c": [
                    "html", f'<a class="anchor" href="#{html.escape(ident, quote=True)}" aria-label="本节链接">§</a>']})
        elif kind == "Div" and "gz-pagebreak" in node["c"][0][1]:
            node["c"][1] = []
    return blocks


def _html_level(opened: list[tuple[int, int]], level: int) -> int:
    """The HTML level of a heading of source ``level``, fed the headings in document order with ``opened``
    (``[(0, 0)]`` at the start of a page): one below the nearest open heading of a lower source level, at
    most its own, so that a page's outline has no jump (the review body's ``#`` 一、 then ``###`` （一） is
    h1 then h2, ``####`` under it h3), as screen readers and the Word draft (office.HeadingLevels) read it."""
    while opened[-1][0] >= level:
        opened.pop()
    shown = min(level, opened[-1][1] + 1)
    opened.append((level, shown))
    return shown


_SVG_IMG = re.compile(r'<img\b[^>]*?\bsrc="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"[^>]*>')


def _inline_svg(body: str) -> str:
    """SVG charts put into the page itself instead of an ``<img>``: an image cannot use the page's web
    font, so its Chinese labels would show as boxes on a machine without a Chinese system font."""

    def repl(match: re.Match) -> str:
        alt = re.search(r'\balt="([^"]*)"', match.group(0))
        svg = base64.b64decode(match.group(1)).decode("utf-8", errors="replace")
        svg = re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", svg)
        svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
        label = f' role="img" aria-label="{alt.group(1)}"' if alt and alt.group(1) else ' role="img"'
        return re.sub(r"<svg\b", f'<svg class="gz-svg"{label}', svg, count=1)

    return _SVG_IMG.sub(repl, body)


def _strip_external_refs(text: str, where: str) -> str:
    def repl(match: re.Match) -> str:
        log.warning("页面 %s 含外部引用 %s，已移除（政务内网无法访问外部网站）。", where, match.group(0)[:80])
        prefix = next(g for g in match.groups() if g is not None)
        return prefix + "#"

    return _EXTERNAL_REF.sub(repl, text)


def _search_entries(page: _Page) -> list[dict]:
    entries: list[dict] = []
    current = {"p": page.slug, "t": page.title, "h": page.title, "a": page.anchor, "x": []}

    def flush() -> None:
        text = _plain_text(current["x"])
        if text or current["h"]:
            entries.append({**current, "x": text[:4000]})

    def visit(blocks: list) -> None:
        nonlocal current
        for block in blocks:
            if block["t"] == "Header" and block["c"][0] <= 3:
                flush()
                current = {"p": page.slug, "t": page.title, "h": _plain_text(block["c"][2]),
                           "a": block["c"][1][0], "x": []}
            elif block["t"] == "Div":
                visit(block["c"][1])
            else:
                current["x"].append(block)

    visit(page.blocks)
    flush()
    return entries


def _toc_entries(pages: list[_Page]) -> list[dict]:
    """The book's contents for ``book.js``: parts (``{"part": …}``) and chapters (``{"href", "num", "title"}``)."""
    entries: list[dict] = []
    part: str | None = None
    appendix = False
    for page in pages:
        if page.chapter.appendix and not appendix:
            appendix, part = True, None
            entries.append({"part": "附录"})
        if page.chapter.part and page.chapter.part != part:
            part = page.chapter.part
            entries.append({"part": part})
        entries.append({"href": page.slug, "num": page.number or "", "title": page.title})
    return entries


def _page_toc_html(page: _Page) -> str:
    """本页目录: the page's level-2 and level-3 headings, nested, as links to their anchors."""
    items: list[tuple[int, str, str]] = []
    for header in _top_headers(page.blocks):
        level, attr = header["c"][0], header["c"][1]
        if level not in (2, 3) or not attr[0] or "unlisted" in attr[1]:
            continue
        number = dict(map(tuple, attr[2])).get("data-number")
        text = _plain_text(header["c"][2])
        items.append((level, attr[0], f"{number} {text}" if number else text))
    if not items:
        return ""
    if all(level == 3 for level, _, _ in items):  # a page whose sections start at level 3: a flat list
        items = [(2, ident, text) for _, ident, text in items]
    lines = ['<nav id="gz-page-toc" class="page-toc" aria-label="本页目录"><details open>',
             "<summary>本页目录</summary>", "<ul>"]
    open_sub = False
    for level, ident, text in items:
        link = f'<a href="#{html.escape(ident, quote=True)}">{html.escape(text)}</a>'
        if level == 3 and not open_sub:
            if lines[-1].endswith("</li>"):
                lines[-1] = lines[-1][: -len("</li>")]
                lines.append("<ul>")
            else:
                lines.append('<li class="no-parent"><ul>')
            open_sub = True
        elif level == 2 and open_sub:
            lines.append("</ul></li>")
            open_sub = False
        lines.append(f"<li>{link}</li>")
    if open_sub:
        lines.append("</ul></li>")
    lines += ["</ul>", "</details></nav>"]
    return "\n".join(lines)


def _page_nav(pages: list[_Page], k: int) -> str:
    def label(page: _Page) -> str:
        return html.escape(f"{page.number} {page.title}" if page.number else page.title)

    prev = f'<a class="prev" href="{pages[k - 1].slug}">← {label(pages[k - 1])}</a>' if k > 0 else "<span></span>"
    nxt = f'<a class="next" href="{pages[k + 1].slug}">{label(pages[k + 1])} →</a>' if k + 1 < len(pages) else ""
    return prev + nxt


def _as_of(config: BookConfig) -> str | None:
    """'数据截至2022年11月30日' beside the issue date on the cover and title, from ``book: data-as-of``."""
    as_of = (config.raw.get("book") or {}).get("data-as-of")
    as_of = as_of.isoformat() if hasattr(as_of, "isoformat") else as_of
    return f"数据截至{_display_date(str(as_of))}" if as_of else None


def _title_block(config: BookConfig) -> str:
    parts = [f'<header class="title-block"><h1 class="title">{html.escape(config.title)}</h1>']
    if config.subtitle:
        parts.append(f'<p class="subtitle">{html.escape(config.subtitle)}</p>')
    meta = [m for m in (config.district, config.edition, config.author, _display_date(config.date),
                        _as_of(config)) if m]
    if meta:
        parts.append(f'<p class="meta">{html.escape("　".join(meta))}</p>')
    parts.append("</header>")
    return "".join(parts)


_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _pdf_links(pdf_href: str | None, docx_href: str | None = None) -> tuple[str, str]:
    """The 下载 PDF / Word 稿 links of the sidebar and of the phone's top bar (none for a missing file)."""
    side, top = [], []
    if pdf_href:
        href = html.escape(pdf_href, quote=True)
        side.append(f'<a class="pdf-link" href="{href}" type="application/pdf">下载 PDF</a>')
        top.append(f'<a class="pdf-link" href="{href}" type="application/pdf" aria-label="下载 PDF 版">PDF</a>')
    if docx_href:
        href = html.escape(docx_href, quote=True)
        side.append(f'<a class="pdf-link" href="{href}" type="{_DOCX_TYPE}">下载 Word 稿</a>')
        top.append(f'<a class="pdf-link" href="{href}" type="{_DOCX_TYPE}" aria-label="下载 Word 稿">Word</a>')
    return "".join(side), "".join(top)


def _js_value(value: Any) -> str:
    """JSON for inclusion in a script (no ``</script>`` can close it early)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


#: Files written once beside the pages and loaded by each page with a relative link.
HTML_ASSETS = ("book.css", "book.js", "search.js")


def _write_html(config: BookConfig, pages: list[_Page], folder: Path, *, pdf_href: str | None = None,
                docx_href: str | None = None, extra_search: list[dict] | None = None) -> Path:
    """One page per chapter, plus ``book.css`` (style and the CJK font subset), ``book.js`` (the book's
    contents and the page behaviours) and ``search.js`` (the search index and search), each written once.
    The files the chapters link to (workbooks) are copied beside the pages at the same relative place.
    ``extra_search`` adds entries to the search index (the profiles volume beside the book).
    """
    folder.mkdir(parents=True, exist_ok=True)
    owner = {ident: page.slug for page in pages for ident in page.ids}
    index = [entry for page in pages for entry in _search_entries(page)] + list(extra_search or [])
    template = _template("page.html")
    footer = html.escape("　".join(x for x in (config.title, config.district, _display_date(config.date)) if x))
    pdf_side, pdf_top = _pdf_links(pdf_href, docx_href)
    for page in pages:
        for rel, source in page.attachments.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / rel)
    files: dict[str, str] = {}
    for k, page in enumerate(pages):
        body = _inline_svg(_pandoc(["-f", "json", "-t", "html5", "--wrap=none", "--mathml"],
                                   stdin=_document(_html_blocks(page, owner))))
        title = f"{page.title} – {config.title}" if k else config.title
        values = {
            "page_title": html.escape(title),
            "slug": html.escape(page.slug, quote=True),
            "book_title": html.escape(config.title),
            "pdf_link": pdf_side,
            "pdf_link_top": pdf_top,
            "title_block": _title_block(config) if k == 0 else "",
            "page_toc": _page_toc_html(page),
            "body": body,
            "page_nav": _page_nav(pages, k),
            "footer": footer,
        }
        files[page.slug] = _strip_external_refs(_fill(template, values), page.slug)
    files["book.js"] = _strip_external_refs(
        f"window.GZ_BOOK_TOC = {_js_value(_toc_entries(pages))};\n{_template('book.js')}", "book.js")
    files["search.js"] = _strip_external_refs(
        f"window.GZ_SEARCH_INDEX = {_js_value(index)};\n{_template('search.js')}", "search.js")
    css = _strip_external_refs(_template("style.css"), "book.css")
    text = "".join(files.values()) + css
    missing = missing_glyphs(re.sub(r"<[^>]+>", " ", text))
    if missing:
        log.warning("中文字体缺少以下字符的字形，将显示为替代字体：%s", "".join(sorted(missing)))
    woff = base64.b64encode(subset_font_woff("".join(sorted(set(text))))).decode("ascii")
    files["book.css"] = (
        f'@font-face {{ font-family: "GuoziCJK"; src: url(data:font/woff;base64,{woff}) format("woff"); '
        "font-weight: 100 900; font-style: normal; }\n" + css)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder / "index.html"


# --------------------------------------------------------------------------------------
# PDF (Typst)


def _typst_str(value: str | None) -> str:
    if value is None:
        return "none"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return f'"{escaped}"'


def _display_date(value: str | None) -> str | None:
    """Quarto's ``today`` and ISO dates shown the Chinese way (2025年12月31日)."""
    if value is None:
        return None
    if value.lower() in ("today", "now", "last-modified"):
        day = dt.date.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"])) if "SOURCE_DATE_EPOCH" in os.environ else dt.date.today()
        return f"{day.year}年{day.month}月{day.day}日"
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day.year}年{day.month}月{day.day}日"


def pdf_timestamp(day: dt.date | None) -> int | None:
    """A PDF's creation date for Typst: ``SOURCE_DATE_EPOCH`` when set, else midnight (UTC) of ``day``,
    else None (Typst then writes the time of rendering and two renders differ in those bytes)."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    if day is None:
        return None
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


def _timestamp(config: BookConfig) -> int | None:
    """The book's PDF timestamp: :func:`pdf_timestamp` of the book's ISO date."""
    try:
        day = dt.date.fromisoformat((config.date or "")[:10])
    except ValueError:
        day = None
    return pdf_timestamp(day)


def _raw_typst(code: str) -> dict:
    return {"t": "RawBlock", "c": ["typst", code]}


def _typst_blocks(pages: list[_Page], work: Path) -> list:
    blocks: list = []
    part: str | None = None
    appendix = False
    for page in pages:
        if page.chapter.appendix and not appendix:
            appendix, part = True, None
            blocks += [
                _raw_typst("#counter(heading).update(0)"),
                _raw_typst("#set heading(numbering: appendix-numbering)"),
                _raw_typst('#book-part("附录")'),
            ]
        if page.chapter.part and page.chapter.part != part:
            part = page.chapter.part
            blocks.append(_raw_typst(f"#book-part({_typst_str(part)})"))
        chapter_blocks = _copy_ast(page.blocks)
        for node in _walk(chapter_blocks):
            if node["t"] == "Image":
                target = node["c"][2][0]
                if target.startswith("data:"):
                    raise RenderError(f"章节 {page.chapter.path.name} 含内嵌 data URI 图片，PDF 无法使用。")
                node["c"][2][0] = Path(target).relative_to(work).as_posix()
            elif node["t"] == "Table":
                _fill_light_cells(node)
                _set_column_widths(node)
            elif node["t"] == "Header":
                node["c"][1][2] = [kv for kv in node["c"][1][2] if kv[0] != "data-number"]
            elif node["t"] == "Div" and "gz-pagebreak" in node["c"][0][1]:
                node["t"], node["c"] = "RawBlock", ["typst", "#pagebreak()"]
            elif node["t"] == "Str":
                node["c"] = office.minus_signs(node["c"])
            elif node["t"] == "Link" and node["c"][2][0] in page.attachments:  # a file beside the HTML only
                node["t"], node["c"] = "Span", [_attr(), node["c"][1]]
        blocks += _unwrap_divs(chapter_blocks)
    return blocks


#: A table narrower than this (in half-em units of its longest cells) keeps Typst's automatic widths.
_AUTO_WIDTH_LIMIT = 100
#: A column whose longest cell is at least this wide (half-em units) is running text that may wrap.
_LONG_TEXT = 40


def _set_column_widths(table: dict) -> None:
    """Column widths in proportion to each column's longest cell (headers count up to four characters,
    since they wrap), for a table too wide for one line. Without them Typst gives every overflowing
    column the same share, and a column of long explanations ends up a few characters wide.
    (The Word draft's widths are set on the finished document: :func:`office.fit_table`.)"""
    colspecs = table["c"][2]
    if not colspecs or any(spec[1].get("t") != "ColWidthDefault" for spec in colspecs):
        return
    n = len(colspecs)
    body, head = [0] * n, [0] * n

    def visit(rows: list, widths: list[int]) -> None:
        for row in rows:
            k = 0
            for cell in row[1]:
                span = cell[3]
                if k < n and span == 1:
                    widths[k] = max(widths[k], office.text_width(_plain_text(cell[4])))
                k += span

    visit(table["c"][3][1], head)
    for part in table["c"][4]:
        visit(part[2] + part[3], body)
    weights = [max(4, min(60, max(b, min(h, 8)))) for b, h in zip(body, head)]
    if sum(weights) <= _AUTO_WIDTH_LIMIT or max(body) < _LONG_TEXT:
        return  # fits, or no column of running text to widen (numbers cannot wrap: keep Typst's widths)
    widths = _fit_widths(weights)
    total = sum(widths)
    for spec, width in zip(colspecs, widths):
        spec[1] = {"t": "ColWidth", "c": width / total}


#: The text width of an A4 page (21 cm − 2 × 2.2 cm) at the tables' 8 pt, in half-em units (4 pt)
_TEXT_WIDTH = 117
#: A column needing at most this (half-em units, insets included) is short: a figure with its unit, a
#: name; it gets its whole width, so that "20.00亿元" is not broken into one character per line
_NARROW = 24
_INSETS = 3  # a cell's left and right inset (4 pt each) and a little air, in half-em units


def _fit_widths(weights: list[int]) -> list[float]:
    """Widths for a table too wide for the page: short columns keep their natural width, the columns of
    running text share what is left in proportion to their longest cells. Falls back to widths in
    proportion to every column's longest cell when the short columns alone would leave the running
    text less than ten half-ems a column."""
    need = [w + _INSETS for w in weights]
    narrow = [k for k, w in enumerate(need) if w <= _NARROW]
    wide = [k for k in range(len(need)) if k not in narrow]
    rest = _TEXT_WIDTH - sum(need[k] for k in narrow)
    if not wide or rest < 10 * len(wide):
        return [float(w) for w in weights]
    share = sum(need[k] for k in wide)
    return [float(need[k]) if k in narrow else rest * need[k] / share for k in range(len(need))]


def _fill_light_cells(table: dict) -> None:
    """Typst fill for the cells :func:`_colour_light_cells` marked (pandoc writes ``typst:fill``)."""
    for body in table["c"][4]:
        for row in body[2] + body[3]:
            for cell in row[1]:
                colour = next((c[4:] for c in cell[0][1] if c.startswith("rag-")), None)
                if colour in RAG_FILLS:
                    cell[0][2] = [kv for kv in cell[0][2] if kv[0] != "typst:fill"]
                    cell[0][2].append(["typst:fill", f'rgb("{RAG_FILLS[colour]}")'])


def _image_alts(blocks: list) -> dict[str, str]:
    """Image path → alternative text (the figure's caption) for the images that have one."""
    alts: dict[str, str] = {}
    for node in _walk(blocks):
        if node["t"] == "Image":
            alt = _plain_text(node["c"][1])
            if alt:
                alts.setdefault(node["c"][2][0], alt)
    return alts


def _add_image_alts(body: str, alts: dict[str, str]) -> str:
    """``image("path"`` → ``image("path", alt: "…"`` in pandoc's Typst (its writer drops alt text)."""
    def repl(match: re.Match) -> str:
        alt = alts.get(match.group(1))  # media paths are plain (media/chNN/<sha1>.png): no escapes
        return match.group(0) if not alt else f'{match.group(0)}, alt: {_typst_str(alt)}'

    return re.sub(r'\bimage\("((?:[^"\\]|\\.)*)"', repl, body)


def _unwrap_divs(blocks: list) -> list:
    """Notebook cells and other plain Divs flattened: Typst forbids page breaks in blocks.

    Divs with a class starting with ``callout`` stay (they are boxed on purpose).
    """
    flat: list = []
    for block in blocks:
        if block["t"] == "Div" and not any(c.startswith("callout") for c in block["c"][0][1]):
            ident = block["c"][0][0]
            if ident and _LABEL.fullmatch(ident):
                flat.append(_raw_typst(f"#[] <{ident}>"))  # keeps links to the Div working
            flat += _unwrap_divs(block["c"][1])
        else:
            flat.append(block)
    return flat


def _compact(config: BookConfig) -> bool:
    """A bulletin (``format: typst: toc: false``): title on page 1, no cover, no table of contents."""
    return (config.raw.get("format", {}).get("typst", {}) or {}).get("toc", True) is False


def _write_pdf(config: BookConfig, pages: list[_Page], work: Path, folder: Path) -> Path:
    import typst  # deferred: heavy dependency, loaded on first use

    blocks = _typst_blocks(pages, work)
    expected = sum(1 for node in _walk(blocks) if node["t"] == "Image")
    body = _pandoc(["-f", "json", "-t", "typst", "--wrap=none"], stdin=_document(blocks))
    body = _add_image_alts(body, _image_alts(blocks))
    written = len(re.findall(r"\bimage\(\"", body))
    if written < expected:
        raise RenderError(f"PDF 中图片缺失：应有 {expected} 张，Typst 源文件中只有 {written} 张。")
    meta = ", ".join(
        f"{key}: {_typst_str(value)}"
        for key, value in {
            "title": config.title,
            "subtitle": config.subtitle,
            "author": config.author,
            "date": _display_date(config.date),
            "district": config.district,
            "edition": config.edition,
            "as_of": _as_of(config),
        }.items()
    )
    meta += f", compact: {'true' if _compact(config) else 'false'}"  # a bulletin: title on page 1, no cover, no contents
    source = f"{_template('book.typ')}\n#let meta = ({meta})\n#show: book.with(meta)\n\n{body}"
    typ_path = work / "book.typ"
    typ_path.write_text(source, encoding="utf-8")
    try:
        pdf, warnings = typst.compile_with_warnings(
            str(typ_path),
            root=str(work),
            font_paths=[str(cjk_font_dir())],
            ignore_system_fonts=True,
            timestamp=_timestamp(config),
        )
    except typst.TypstError as exc:
        raise RenderError(f"Typst 编译失败：{exc}") from exc
    if warnings:
        details = "；".join(str(w) for w in warnings)
        raise RenderError(f"Typst 编译出现警告（按错误处理，可能缺字体或出现豆腐块）：{details}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{config.output_file}.pdf"
    target.write_bytes(pdf)
    return target


# --------------------------------------------------------------------------------------
# Word (.docx)


def _gongwen_number(label: str, level: int, *, appendix: bool) -> str:
    """The book's heading number (第3章, 3.2, 附录A, A.1) as a 公文 draft prints it (三、（二）…)."""
    if level == 1:
        first = re.search(r"\d+", label) if not appendix else None
        counters = [int(first.group()) if first else ord(label[-1]) - ord("A") + 1]
    else:
        parts = label.split(".")
        head = ord(parts[0]) - ord("A") + 1 if appendix else int(parts[0])
        counters = [head, *map(int, parts[1:])]
    return office.heading_number(level, counters, appendix=appendix)


def _docx_blocks(pages: list[_Page], work: Path, *, numbered: bool, compact: bool = False) -> list:
    """The pages for pandoc's docx writer: headings numbered 一、（一）1.（1）, at the Word level their number
    gives (:class:`office.HeadingLevels`: no jump from Heading 1 to Heading 3), the appendices after a
    section break, a bulletin without the chapter heading that repeats its title (the PDF hides it too),
    negative numbers with the minus sign (:func:`office.minus_signs`, as the PDF), images as
    files, links to files beside the HTML as text (a Word draft travels alone)."""
    blocks: list = []
    levels = office.HeadingLevels()
    appendix = False
    for page in pages:
        chapter_blocks = _copy_ast(page.blocks)
        if page.chapter.appendix and not appendix:  # the appendices start on a new page, in their own section
            blocks.append({"t": "RawBlock", "c": ["openxml", office.SECTION_BREAK]})
            appendix = True
        for node in _walk(chapter_blocks):
            if node["t"] == "Image":
                target = node["c"][2][0]
                if not target.startswith("data:"):
                    node["c"][2][0] = Path(target).relative_to(work).as_posix()
            elif node["t"] == "Str":
                node["c"] = office.minus_signs(node["c"])
            elif node["t"] == "Link" and node["c"][2][0] in page.attachments:
                node["t"], node["c"] = "Span", [_attr(), node["c"][1]]
            elif node["t"] == "Header" and compact and node["c"][0] == 1 and page is pages[0]:
                # a bulletin's chapter heading (经济运行情况通报) repeats its title: not printed, as in the PDF;
                # a later chapter's (版本信息 at its end) is
                node["t"], node["c"] = "Div", [_attr(node["c"][1][0]), []]
            elif node["t"] == "Header":
                attr = node["c"][1]
                label = dict(map(tuple, attr[2])).get("data-number")
                attr[2] = [kv for kv in attr[2] if kv[0] != "data-number"]
                if numbered and label and not office.already_numbered(_plain_text(node["c"][2])):
                    prefix = _gongwen_number(label, node["c"][0], appendix=page.chapter.appendix)
                    if prefix:
                        node["c"][2] = [{"t": "Str", "c": prefix}, *node["c"][2]]
                node["c"][0] = levels.level(node["c"][0], _plain_text(node["c"][2]))
            elif node["t"] == "Div" and "gz-pagebreak" in node["c"][0][1]:
                node["t"], node["c"] = "RawBlock", ["openxml", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>']
        blocks += chapter_blocks
    return blocks


def reference_docx(config: BookConfig) -> Path:
    """The Word styles: ``format: docx: reference-doc`` of the book, else ``params/reference.docx``."""
    named = ((config.raw.get("format") or {}).get("docx") or {}).get("reference-doc")
    path = (config.project_dir / named) if named else paths.PARAMS_DIR / "reference.docx"
    if not path.is_file():
        raise RenderError(f"找不到 Word 样式参考文档：{path}（可用 guozi_analysis.publishing.render.office."
                          "write_reference_docx 重新生成）。")
    return path


def _meta_text(value: str | None) -> dict:
    return {"t": "MetaInlines", "c": _str_inlines(value or "")}


#: The Word draft's table of contents lists 一、 and （一） (附录A and A.1)
_DOCX_TOC_DEPTH = 2


def _write_docx(config: BookConfig, pages: list[_Page], work: Path, folder: Path) -> Path:
    """The Word draft: pandoc's docx with the district's reference document, then :func:`office.finish_docx`.
    A book (not a bulletin) opens with a table of contents (a Word field, updated when Word opens it)."""
    import pypandoc  # deferred: heavy dependency, loaded on first use

    numbered = ((config.raw.get("format") or {}).get("html") or {}).get("number-sections", True) is not False
    dated = "　".join(x for x in (_display_date(config.date), _as_of(config)) if x)  # issued, and data as of
    meta = {key: _meta_text(value) for key, value in {
        "title": config.title, "subtitle": config.subtitle, "author": config.author,
        "date": dated}.items() if value}
    contents = [] if _compact(config) else ["--toc", f"--toc-depth={_DOCX_TOC_DEPTH}"]
    if contents:
        meta["toc-title"] = _meta_text("目录")
    document = json.dumps({"pandoc-api-version": list(_api_version()), "meta": meta,
                           "blocks": _docx_blocks(pages, work, numbered=numbered,
                                                                  compact=_compact(config))}, ensure_ascii=False)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{config.output_file}.docx"
    source = work / "book-docx.json"
    source.write_text(document, encoding="utf-8")
    done = subprocess.run([pypandoc.get_pandoc_path(), "-f", "json", "-t", "docx", *contents, "--reference-doc",
                           str(reference_docx(config)), "-o", str(target), str(source)],
                          capture_output=True, text=True, encoding="utf-8", cwd=work, check=False)
    if done.returncode != 0:
        raise RenderError(f"pandoc 生成 Word 稿失败：{done.stderr.strip()[-2000:]}")
    return office.finish_docx(target)


# --------------------------------------------------------------------------------------
# driver


def _swap_into_place(stage: Path, out: Path, names: Iterable[str]) -> None:
    """Replace ``out/<name>`` by ``stage/<name>`` for each name; old output removed last."""
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        target, fresh = out / name, stage / name
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{name}-old-", dir=out))
            os.replace(target, old / name)
        os.replace(fresh, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def render_book(
    project_dir: str | Path,
    *,
    formats: Iterable[str] = SUPPORTED_FORMATS,
    output_dir: str | Path | None = None,
    profile: str | None = None,
    extra_search: list[dict] | None = None,
) -> dict[str, Path]:
    """Render the Quarto book in ``project_dir`` without Quarto.

    Parameters
    ----------
    project_dir
        Folder with ``_quarto.yml``.
    formats
        Any of ``"html"``, ``"pdf"`` and ``"docx"``.
    output_dir
        The publication's folder; defaults to ``project: output-dir`` (``_book``). Everything goes
        into it, as Quarto writes a book: the pages, ``<output-file>.pdf`` and ``<output-file>.docx``
        (linked from every page), and the workbooks the chapters link to, so the folder can be
        copied elsewhere whole.
    profile
        Quarto profile: ``_quarto-<profile>.yml`` is merged over ``_quarto.yml``.
    extra_search
        More entries for the book's search (``{"p": href, "t": where, "h": heading, "a": "", "x": text}``).

    Returns
    -------
    dict
        ``{"html": <out>/index.html, "pdf": <out>/<output-file>.pdf, "docx": <out>/<output-file>.docx}``
        for the formats rendered. Nothing under ``<out>`` changes unless every format rendered.
    """
    formats = tuple(dict.fromkeys(formats))
    unknown = [fmt for fmt in formats if fmt not in SUPPORTED_FORMATS]
    if unknown or not formats:
        raise ValueError(f"不支持的输出格式：{unknown or formats}；可选：{', '.join(SUPPORTED_FORMATS)}")
    config = read_book_config(project_dir, profile=profile)
    out = Path(output_dir).resolve() if output_dir else config.output_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}-render-", dir=out.parent) as tmp:
        work, stage = Path(tmp) / "work", Path(tmp) / "stage"
        work.mkdir()
        stage.mkdir()
        pages = _load_pages(config, work)
        written: dict[str, Path] = {}
        if "pdf" in formats:
            written["pdf"] = _write_pdf(config, pages, work, stage)
        if "docx" in formats:
            written["docx"] = _write_docx(config, pages, work, stage)
        if "html" in formats:
            links = {fmt: f"{config.output_file}.{fmt}" for fmt in ("pdf", "docx")
                     if fmt in formats or (out / f"{config.output_file}.{fmt}").is_file()}
            written["html"] = _write_html(config, pages, stage, pdf_href=links.get("pdf"),
                                          docx_href=links.get("docx"), extra_search=extra_search)
        _swap_into_place(stage, out, sorted(p.name for p in stage.iterdir()))
    return {fmt: out / path.relative_to(stage) for fmt, path in written.items()}


# --------------------------------------------------------------------------------------
# one chapter on its own (the profiles volume: one HTML page and one PDF per enterprise)


_COMPILERS = threading.local()


def render_chapter(
    path: str | Path,
    *,
    work: str | Path,
    pdf: str | Path | None = None,
    meta: dict[str, str | None] | None = None,
    date: dt.date | None = None,
) -> tuple[str, str]:
    """Render one notebook or Markdown file by itself, as the book renders a chapter.

    Returns ``(title, HTML body)``: the chapter's first heading and its ``<article>`` content (images
    inline, no page around it; the caller supplies the page). With ``pdf``, also writes that PDF from
    ``templates/profile.typ`` (the book's type and tables, no cover or contents; ``meta`` gives its
    ``title`` for the running header). ``work`` is a scratch folder (media, the Typst source).
    ``date`` is the PDF's creation date (:func:`pdf_timestamp`: ``SOURCE_DATE_EPOCH`` wins).
    """
    import typst  # deferred: heavy dependency, loaded on first use

    work = Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    chapter = Chapter(Path(path).resolve())
    page_list = _load_pages(BookConfig(project_dir=chapter.path.parent, title="", chapters=(chapter,)), work)
    page = page_list[0]
    body = _inline_svg(_pandoc(["-f", "json", "-t", "html5", "--wrap=none", "--mathml"],
                               stdin=_document(_html_blocks(page, {ident: page.slug for ident in page.ids}))))
    if pdf is not None:
        typ = _pandoc(["-f", "json", "-t", "typst", "--wrap=none"], stdin=_document(_typst_blocks(page_list, work)))
        fields = ", ".join(f"{k}: {_typst_str(v)}" for k, v in {"title": page.title, **(meta or {})}.items())
        source = f"{_template('profile.typ')}\n#let meta = ({fields})\n#show: profile.with(meta)\n\n{typ}"
        typ_path = work / "chapter.typ"
        typ_path.write_text(source, encoding="utf-8")
        if not hasattr(_COMPILERS, "typst"):  # one compiler per thread: the CJK font is loaded once, not per PDF
            _COMPILERS.typst = typst.Compiler(font_paths=[str(cjk_font_dir())], ignore_system_fonts=True)
        try:
            data, warnings = _COMPILERS.typst.compile_with_warnings(input=str(typ_path), root=str(work),
                                                                    timestamp=pdf_timestamp(date))
        except typst.TypstError as exc:
            raise RenderError(f"Typst 编译失败（{chapter.path.name}）：{exc}") from exc
        if warnings:
            raise RenderError(f"Typst 编译出现警告（{chapter.path.name}，按错误处理）：{'；'.join(map(str, warnings))}")
        Path(pdf).parent.mkdir(parents=True, exist_ok=True)
        Path(pdf).write_bytes(data)
    return page.title, body


def stylesheet() -> str:
    """The book pages' CSS (``templates/style.css``), for pages built outside :func:`render_book`."""
    return _template("style.css")


def search_script() -> str:
    """The book's search behaviour (``templates/search.js``) without an index, for pages built outside
    :func:`render_book`: it marks the terms a search result passed on (``?hl=…``)."""
    return _template("search.js")
