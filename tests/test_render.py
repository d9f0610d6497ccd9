"""Tests of the book renderers (guozi_analysis.render): built-in pandoc + Typst, and Quarto."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from pypdf import PdfReader  # noqa: E402

import guozi_analysis.publishing.render as render_pkg  # noqa: E402
from guozi_analysis.base.fonts import use_cjk_font
from guozi_analysis.publishing.render import RenderError, read_book_config, render, render_book
from guozi_analysis.publishing.render.builtin import RAG_FILLS, _add_image_alts, _rag_colour

RAG_RED, RAG_GREEN = RAG_FILLS["red"], RAG_FILLS["green"]

QUARTO_YML = """\
project:
  type: book
  output-dir: _build
book:
  title: 滨江区国资系统年度工作报告
  subtitle: 2025年度回顾与2026年展望
  author: 滨江区国资委
  district: 滨江区
  date: "2025-12-31"
  output-file: review
  chapters:
    - index.md
    - part: 经营分析
      chapters:
        - executed/01_overview.ipynb
  appendices:
    - appendix.md
lang: zh
execute:
  enabled: false
format:
  html:
    toc: true
  typst:
    papersize: a4
"""

INDEX_MD = """\
---
title: 前言
---

# 前言 {.unnumbered}

本报告汇总全区六大集团的经营情况，详见[总体概况](executed/01_overview.ipynb)；各集团资产负债率见表1-1和图1-1。

## 主要成绩

国有资本保值增值，参见[国资委网站](https://www.example.gov.cn/report)。
"""

APPENDIX_MD = """\
# 指标口径

资产负债率 = 负债总额 ÷ 资产总额 × 100%。表1-1中的信号灯按与序时进度之差给出，表9-9不存在。
"""

TABLE = pd.DataFrame(
    {"企业名称": ["滨江城投集团", "东湖产投集团"], "资产负债率": [65.3, 72.8], "利润总额": [1234.5, -87.2],
     "信号灯": ["红灯", "绿灯"]}
)
CODE_SOURCE = "display(负债率表格代码)"
TABLE_CAPTION = "各集团资产负债率"
CHART_CAPTION = "各集团资产负债率对比"
STDERR_TEXT = "不应出现的告警输出"
WORKBOOK = "明细_2025-12.xlsx"


def _chart_png() -> str:
    with matplotlib.rc_context():
        use_cjk_font()
        fig, ax = plt.subplots(figsize=(4, 2.5), dpi=80)
        ax.bar(["滨江城投", "东湖产投"], [65.3, 72.8])
        ax.set_title("各集团资产负债率")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


NOTE = "注：“—”表示该项无报送数据。"


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 总体概况\n\n全区企业总体运行平稳，如图1-1所示。明细另附工作簿"
                                      f"[{WORKBOOK}](outputs/{WORKBOOK})。\n\n## 资产负债情况"),
        nbformat.v4.new_code_cell(
            f"#| tbl-cap: {TABLE_CAPTION}\n{CODE_SOURCE}",
            outputs=[
                nbformat.v4.new_output(
                    "execute_result",
                    data={"text/html": TABLE.to_html(), "text/plain": TABLE.to_string()},
                    execution_count=1,
                ),
                nbformat.v4.new_output("stream", name="stderr", text=STDERR_TEXT + "\n"),
            ],
            execution_count=1,
        ),
        nbformat.v4.new_markdown_cell(NOTE),
        nbformat.v4.new_markdown_cell("## 利润情况\n\n### 分集团"),
        nbformat.v4.new_code_cell(
            f"#| fig-cap: {CHART_CAPTION}\nplot_chart()",
            outputs=[
                # the figure returned by the cell and shown again by the inline backend: printed once
                nbformat.v4.new_output("execute_result", data={"image/png": _chart_png(), "text/plain": "<Figure>"},
                                       execution_count=2),
                nbformat.v4.new_output("display_data", data={"image/png": _chart_png(), "text/plain": "<Figure>"}),
                nbformat.v4.new_output("stream", name="stdout", text="共计2家集团\n"),
            ],
            execution_count=2,
        ),
    ]
    return nb


def _write_book(root: Path, *, appendix: str = APPENDIX_MD) -> Path:
    (root / "executed").mkdir(parents=True)
    (root / "_quarto.yml").write_text(QUARTO_YML, encoding="utf-8")
    (root / "index.md").write_text(INDEX_MD, encoding="utf-8")
    (root / "appendix.md").write_text(appendix, encoding="utf-8")
    nbformat.write(_notebook(), root / "executed" / "01_overview.ipynb")
    (root / "executed" / "outputs").mkdir()
    (root / "executed" / "outputs" / WORKBOOK).write_bytes(b"PK-not-really-a-workbook")
    return root


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    root = _write_book(tmp_path_factory.mktemp("book"))
    return root, render_book(root)


@pytest.fixture(scope="module")
def pdf_text(book) -> str:
    # Typst puts thin gaps between CJK and Latin text and prints "-87.2" with a minus sign:
    # compare without whitespace and with ASCII hyphens.
    reader = PdfReader(book[1]["pdf"])
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", "", text).replace("\u2212", "-")


@pytest.fixture(scope="module")
def html_pages(book) -> dict[str, str]:
    folder = book[1]["html"].parent
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}


# ---------------------------------------------------------------- configuration


def test_read_book_config(tmp_path):
    root = _write_book(tmp_path)
    config = read_book_config(root)
    assert config.title == "滨江区国资系统年度工作报告"
    assert config.subtitle == "2025年度回顾与2026年展望"
    assert config.district == "滨江区"
    assert config.date == "2025-12-31"
    assert config.output_dir == (root / "_build").resolve()
    assert config.output_file == "review"
    assert config.formats == ("html", "typst")
    assert config.lang == "zh"
    assert [c.path.name for c in config.chapters] == ["index.md", "01_overview.ipynb", "appendix.md"]
    assert [c.part for c in config.chapters] == [None, "经营分析", None]
    assert [c.appendix for c in config.chapters] == [False, False, True]
    assert [c.path.name for c in config.appendices] == ["appendix.md"]


def test_read_book_config_defaults_and_profile(tmp_path):
    (tmp_path / "_quarto.yml").write_text(
        "project: {type: book}\nbook:\n  title: 报告\n  chapters: [index.md]\n", encoding="utf-8"
    )
    (tmp_path / "_quarto-2025.yml").write_text("book:\n  subtitle: 2025年度版\n", encoding="utf-8")
    config = read_book_config(tmp_path)
    assert config.output_dir == (tmp_path / "_book").resolve()
    assert config.output_file == "review"
    assert config.subtitle is None and config.edition is None
    profiled = read_book_config(tmp_path, profile="2025")
    assert profiled.subtitle == "2025年度版"
    assert profiled.title == "报告"
    assert profiled.edition == "2025"


def test_read_book_config_requires_chapters(tmp_path):
    (tmp_path / "_quarto.yml").write_text("project: {type: book}\nbook: {title: 报告}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="chapters"):
        read_book_config(tmp_path)
    with pytest.raises(ValueError, match="未找到"):
        read_book_config(tmp_path / "nowhere")


# ---------------------------------------------------------------- PDF


def test_outputs_where_quarto_would_put_them(book):
    root, outputs = book
    # one folder, as Quarto writes a book: the pages, the PDF and the Word draft side by side
    assert outputs["pdf"] == root / "_build" / "review.pdf"
    assert outputs["html"] == root / "_build" / "index.html"
    assert outputs["docx"] == root / "_build" / "review.docx"
    assert outputs["pdf"].read_bytes()[:5] == b"%PDF-"
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # temp folders cleaned up


def test_pdf_contains_chinese_headings_and_cover(pdf_text):
    for text in ("滨江区国资系统年度工作报告", "2025年12月31日", "目录", "前言", "主要成绩", "经营分析",
                 "总体概况", "资产负债情况", "利润情况", "指标口径", "附录"):
        assert text in pdf_text, text
    assert "第1章" in pdf_text and "附录A" in pdf_text  # numbered chapter and appendix
    assert "1.1资产负债情况" in pdf_text
    assert "0.1" not in pdf_text  # sections of the unnumbered 前言 are unnumbered (as in Quarto)


def test_pdf_table_values_and_stdout_but_no_code_or_stderr(pdf_text):
    for value in ("滨江城投集团", "东湖产投集团", "65.3", "72.8", "1234.5", "-87.2", "企业名称", "共计2家集团"):
        assert value in pdf_text, value
    assert CODE_SOURCE not in pdf_text
    assert STDERR_TEXT not in pdf_text
    assert "<Figure>" not in pdf_text
    assert pdf_text.count("滨江城投集团") == 1  # the text/plain twin of the table is gone


def _fonts_of(reader: PdfReader) -> list[tuple[str, bool]]:
    found = []
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found.append((str(font.get("/BaseFont")), embedded))
    return found


def test_pdf_embeds_noto_cjk_font(book):
    fonts = _fonts_of(PdfReader(book[1]["pdf"]))
    cjk = [(name, embedded) for name, embedded in fonts if "Noto" in name and "CJK" in name]
    assert cjk, fonts
    assert all(embedded for _, embedded in cjk)


def test_pdf_has_the_chart_image(book):
    reader = PdfReader(book[1]["pdf"])
    images = 0
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        images += sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
    assert images >= 1


def _content(page) -> bytes:
    """The page's decoded content stream(s)."""
    contents = page.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    return b"\n".join(stream.get_object().get_data() for stream in streams)


def _image_draws(reader: PdfReader) -> dict[int, int]:
    """How many times each image of the PDF is drawn (``Do`` of an image XObject), by object number."""
    draws: dict[int, int] = {}
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        names = {str(name): ref.idnum for name, ref in xobjects.items()
                 if ref.get_object().get("/Subtype") == "/Image"}
        content = _content(page)
        for name in re.findall(rb"(/[^\s/]+)\s+Do\b", content):
            key = name.decode("latin-1")
            if key in names:
                draws[names[key]] = draws.get(names[key], 0) + 1
    return draws


def test_pdf_draws_no_image_twice(book):
    draws = _image_draws(PdfReader(book[1]["pdf"]))
    assert draws and set(draws.values()) == {1}, draws  # the chart cell has two identical outputs


def test_pdf_figure_and_table_captions_and_coloured_lights(book, pdf_text):
    assert "图1-1" + CHART_CAPTION in pdf_text and "表1-1" + TABLE_CAPTION in pdf_text
    content = b"".join(_content(page) for page in PdfReader(book[1]["pdf"]).pages)
    fills = {tuple(round(float(x), 2) for x in m)
             for m in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) (?:rg|scn)\b", content)}
    red = tuple(round(int(RAG_RED[k:k + 2], 16) / 255, 2) for k in (1, 3, 5))
    green = tuple(round(int(RAG_GREEN[k:k + 2], 16) / 255, 2) for k in (1, 3, 5))
    assert red in fills and green in fills, fills


# ---------------------------------------------------------------- HTML


def test_html_pages_exist(html_pages):
    assert set(html_pages) == {"index.html", "01_overview.html", "appendix.html"}


def _asset(book, name: str) -> str:
    return (book[1]["html"].parent / name).read_text(encoding="utf-8")


def _book_toc(book) -> list[dict]:
    text = _asset(book, "book.js")
    return json.loads(re.search(r"window\.GZ_BOOK_TOC = (.*?);\n", text).group(1))


def test_html_book_contents_written_once_and_link_every_chapter(book, html_pages):
    toc = _book_toc(book)
    assert [e.get("href") for e in toc if "href" in e] == ["index.html", "01_overview.html", "appendix.html"]
    assert {"part": "经营分析"} in toc and {"part": "附录"} in toc
    assert {"href": "01_overview.html", "num": "第1章", "title": "总体概况"} in toc
    for name, text in html_pages.items():
        assert f'<body data-page="{name}">' in text  # book.js marks the current chapter from this
        assert '<script src="book.js"></script>' in text and 'id="gz-toc"' in text
        assert "GZ_BOOK_TOC" not in text  # the contents are not copied into every page


def test_html_has_no_external_reference(book, html_pages):
    pattern = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*https?://|@import""", re.I)
    files = dict(html_pages, **{name: _asset(book, name) for name in ("book.css", "book.js", "search.js")})
    for name, text in files.items():
        assert not pattern.search(text), name
    assert "国资委网站" in html_pages["index.html"]  # the external link is kept as text


def test_html_is_offline_and_loads_only_its_own_files(book, html_pages):
    folder = book[1]["html"].parent
    overview = html_pages["01_overview.html"]
    assert '<img src="data:image/png;base64,' in overview
    assert "<table" in overview and "滨江城投集团" in overview
    assert CODE_SOURCE not in overview and STDERR_TEXT not in overview
    for name, text in html_pages.items():
        loaded = re.findall(r'<(?:script|img|link)\b[^>]*?(?:src|href)="([^"]+)"', text)
        files = [ref for ref in loaded if not ref.startswith("data:")]
        assert sorted(files) == ["book.css", "book.js", "search.js"], (name, files)
        assert all((folder / ref).is_file() for ref in files)
    # the link from 前言 to the notebook chapter points at that chapter's page and heading
    assert 'href="01_overview.html#c2-' in html_pages["index.html"]


def _embedded_font(text: str) -> TTFont:
    match = re.search(r"@font-face\s*\{[^}]*url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", text)
    assert match, "no @font-face with an embedded WOFF"
    return TTFont(io.BytesIO(base64.b64decode(match.group(1))))


def test_html_font_subset_covers_every_cjk_character(book, html_pages):
    css = _asset(book, "book.css")
    cmap = _embedded_font(css).getBestCmap()
    files = dict(html_pages, **{name: _asset(book, name) for name in ("book.js", "search.js")})
    for name, text in files.items():
        cjk = {ch for ch in text if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" or "\u3000" <= ch <= "\u303f"}
        assert cjk, name
        missing = {ch for ch in cjk if ord(ch) not in cmap}
        assert not missing, (name, missing)
    for text in html_pages.values():
        assert "base64" not in text.split("<body", 1)[0]  # the font is in book.css only, once


def test_html_search_index_is_written_once(book, html_pages):
    text = _asset(book, "search.js")
    index = json.loads(re.search(r"window\.GZ_SEARCH_INDEX = (.*?);\n", text).group(1))
    headings = {entry["h"] for entry in index}
    assert {"前言", "主要成绩", "总体概况", "资产负债情况", "指标口径"} <= headings
    assert any(entry["p"] == "01_overview.html" and "滨江城投集团" in entry["x"] for entry in index)
    for page in html_pages.values():
        assert 'id="gz-search"' in page and '<script src="search.js" defer></script>' in page
        assert "GZ_SEARCH_INDEX" not in page and "gz-search-index" not in page


def _ids(text: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', text))


def test_html_page_contents_on_the_right(html_pages):
    overview = html_pages["01_overview.html"]
    toc = re.search(r'<nav id="gz-page-toc".*?</nav>', overview, re.S).group(0)
    assert "本页目录" in toc
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc)
    assert [text for _, text in links] == ["1.1 资产负债情况", "1.2 利润情况", "1.2.1 分集团"]
    assert all(ident in _ids(overview) for ident, _ in links)
    assert "<ul>\n<li>" in toc and toc.count("<ul>") == 2  # 1.2.1 nested under 1.2
    assert 'id="gz-page-toc"' not in html_pages["appendix.html"]  # a page without sections has none


def test_html_headings_have_anchors(html_pages):
    for name, text in html_pages.items():
        article = text.split("<article>", 1)[1]
        headings = re.findall(r"<h([1-4])\b[^>]*>(.*?)</h\1>", article, re.S)
        assert headings, name
        for _, inner in headings:  # the id is on the heading or on the section it opens (pandoc)
            anchor = re.search(r'<a class="anchor" href="#([^"]+)" aria-label="本节链接">§</a>', inner)
            assert anchor and anchor.group(1) in _ids(text), (name, inner)


def test_html_figure_and_table_mentions_link_to_them(html_pages):
    overview, preface, appendix = html_pages["01_overview.html"], html_pages["index.html"], html_pages["appendix.html"]
    assert '<figure id="fig-1-1">' in overview and '<table id="tbl-1-1"' in overview
    assert "图1-1　" + CHART_CAPTION in overview and "表1-1　" + TABLE_CAPTION in overview
    assert '<a href="#fig-1-1" class="gz-xref">图1-1</a>' in overview  # same page
    assert '<a href="01_overview.html#tbl-1-1" class="gz-xref">表1-1</a>' in preface  # other pages
    assert '<a href="01_overview.html#fig-1-1" class="gz-xref">图1-1</a>' in preface
    assert '<a href="01_overview.html#tbl-1-1" class="gz-xref">表1-1</a>' in appendix
    assert "表9-9不存在" in appendix  # no such table: stays text
    assert re.search(r"<figcaption[^>]*>图1-1　", overview) and re.search(r"<caption>表1-1　", overview)  # captions stay text
    pages = {name: _ids(text) for name, text in html_pages.items()}
    for name, text in html_pages.items():
        for href in re.findall(r'<a href="([^"]*#[^"]+)"', text):
            target, _, ident = href.partition("#")
            assert ident in pages[target or name], (name, href)


def test_html_links_the_pdf(book, html_pages):
    folder = book[1]["html"].parent
    for name, text in html_pages.items():
        hrefs = re.findall(r'<a class="pdf-link" href="([^"]+)"[^>]*>([^<]+)</a>', text)
        assert ("review.pdf", "下载 PDF") in hrefs and ("review.docx", "下载 Word 稿") in hrefs, name
        assert {(folder / href).resolve() for href, _ in hrefs} == {book[1]["pdf"], book[1]["docx"]}


def test_html_figure_alt_text_and_no_image_twice(html_pages):
    for name, text in html_pages.items():
        images = re.findall(r'<img src="(data:[^"]+)"', text)
        assert len(images) == len(set(images)), name
    overview = html_pages["01_overview.html"]
    assert len(re.findall(r"<img ", overview)) == 1  # the cell's result and the inline backend's copy: one image
    assert re.search(rf'<img src="data:image/png;base64,[^"]+" alt="{CHART_CAPTION}"', overview)


def test_html_lights_are_coloured(html_pages):
    overview = html_pages["01_overview.html"]
    assert re.search(r'<td class="rag-red"[^>]*>红灯</td>', overview)
    assert re.search(r'<td class="rag-green"[^>]*>绿灯</td>', overview)


def test_html_phone_layout_and_print_css(book, html_pages):
    css = _asset(book, "book.css")
    assert '<button id="gz-nav-toggle" type="button" aria-controls="sidebar" aria-expanded="false">目录</button>' \
        in html_pages["index.html"]
    phone = css.split("@media (max-width: 900px)", 1)[1].split("\n}\n", 1)[0]
    assert "#sidebar { display: none;" in phone and "body.nav-open #sidebar { display: block; }" in phone
    printed = css.split("@media print", 1)[1]
    assert "#sidebar" in printed and "display: none" in printed and "color: #000" in printed
    assert "break-inside: avoid" in printed


def test_typst_images_get_their_caption_as_alt_text():
    body = '#figure(image("media/ch02/ab12.png"),\n  caption: [图1-1]\n)\n#box(image("media/ch02/cd34.png"))'
    out = _add_image_alts(body, {"media/ch02/ab12.png": '各集团"资产负债率"'})
    assert 'image("media/ch02/ab12.png", alt: "各集团\\"资产负债率\\"")' in out
    assert '#box(image("media/ch02/cd34.png"))' in out  # no caption, no alt


@pytest.mark.parametrize("word", ["红灯", "黄灯", "绿灯", "红", "黄", "绿", "关注", "预警", "重点监管", "预警（黄）",
                                  "关注（黄）", "重点监管（红）"])
def test_light_and_risk_level_cells_have_a_colour(word):
    expected = {"红": "red", "黄": "amber", "绿": "green", "关": "amber", "预": "amber", "重": "red"}[word[0]]
    assert _rag_colour(word) == expected
    assert _rag_colour("红色区域") is None and _rag_colour("—") is None


# ---------------------------------------------------------------- robustness and engine choice


def _mini_book(root: Path, body: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "_quarto.yml").write_text(
        "project: {type: book, output-dir: _build}\nbook:\n  title: 小报告\n  date: '2025-06-30'\n"
        "  chapters: [index.md]\n",
        encoding="utf-8",
    )
    (root / "index.md").write_text(body, encoding="utf-8")
    return root


def test_failed_render_keeps_last_good_output(tmp_path):
    root = _mini_book(tmp_path / "mini", "# 概况\n\n正常内容。\n")
    outputs = render_book(root, formats=("pdf",))
    good = outputs["pdf"].read_bytes()
    (root / "index.md").write_text("# 概况\n\n```{=typst}\n#text(font: \"不存在的字体\")[豆腐]\n```\n", encoding="utf-8")
    with pytest.raises(RenderError, match="警告"):
        render_book(root, formats=("pdf",))
    assert outputs["pdf"].read_bytes() == good
    (root / "index.md").write_text("# 概况\n\n```{=typst}\n#no-such-function()\n```\n", encoding="utf-8")
    with pytest.raises(RenderError, match="Typst"):
        render_book(root, formats=("pdf",))
    assert outputs["pdf"].read_bytes() == good
    assert sorted(p.name for p in (root / "_build").iterdir()) == ["review.pdf"]


def test_pdf_is_deterministic(tmp_path):
    root = _mini_book(tmp_path / "mini", "# 概况\n\n| 集团 | 营业收入 |\n|---|---|\n| 滨江城投集团 | 100 |\n")
    first = render_book(root, formats=("pdf",), output_dir=tmp_path / "a")["pdf"].read_bytes()
    second = render_book(root, formats=("pdf",), output_dir=tmp_path / "b")["pdf"].read_bytes()
    assert first == second


def test_render_auto_falls_back_to_builtin(tmp_path, monkeypatch, caplog):
    root = _mini_book(tmp_path / "mini", "# 概况\n\n内容。\n")
    monkeypatch.setattr(render_pkg, "quarto_available", lambda: False)
    with caplog.at_level(logging.INFO, logger="guozi_analysis.publishing.render"):
        result = render(root, formats=("html",))
    assert result.engine == "builtin"
    assert result.outputs["html"] == root / "_build" / "index.html"
    assert result.outputs["html"].is_file()
    assert "内置渲染器" in caplog.text
    with pytest.raises(ValueError, match="渲染引擎"):
        render(root, engine="latex")
    with pytest.raises(ValueError, match="格式"):
        render_book(root, formats=("epub",))


@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto 未安装（CI 与本机均无法安装），跳过 Quarto 渲染测试")
def test_render_with_quarto(tmp_path):
    root = _write_book(tmp_path / "book")
    result = render(root, engine="quarto", formats=("html",))
    assert result.engine == "quarto"
    assert result.outputs["html"].is_file()


def test_table_columns_align_numbers_right_and_sentences_left():
    from guozi_analysis.publishing.render.builtin import _align_numeric_columns, _pandoc

    frame = pd.DataFrame({"企业": ["一集团", "二集团"], "回测误差（%）": [1.67, 32.94],
                          "说明": ["回测仅2年，区间已按小样本放宽，可信度有限", ""]})
    ast = json.loads(_pandoc(["-f", "html", "-t", "json"], stdin=frame.to_html(index=False)))
    table = next(b for b in ast["blocks"] if b["t"] == "Table")
    _align_numeric_columns(table)
    assert [spec[0]["t"] for spec in table["c"][2]] == ["AlignDefault", "AlignRight", "AlignLeft"]


def test_a_chapter_pdf_carries_the_given_date_and_renders_the_same_bytes(tmp_path, monkeypatch):
    import datetime as dt

    from guozi_analysis.publishing.render.builtin import render_chapter

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    chapter = tmp_path / "chapter.md"
    chapter.write_text("# 企业画像\n\n营业总收入 84.01 亿元。\n", encoding="utf-8")
    pdfs = []
    for k in range(2):  # the period's as-of date
        render_chapter(chapter, work=tmp_path / f"w{k}", pdf=tmp_path / f"p{k}.pdf", meta={"volume": "画像"},
                       date=dt.date(2022, 11, 30))
        pdfs.append((tmp_path / f"p{k}.pdf").read_bytes())
    assert pdfs[0] == pdfs[1]
    assert str(PdfReader(tmp_path / "p0.pdf").metadata.get("/CreationDate")).startswith("D:20221130")


def test_short_columns_keep_their_width_and_running_text_shares_the_rest():
    from guozi_analysis.publishing.render.builtin import _TEXT_WIDTH, _fit_widths

    # a target table: name, "20.00亿元", two columns of sentences, a status
    widths = _fit_widths([16, 9, 60, 60, 14])
    assert widths[0] == 19 and widths[1] == 12 and widths[4] == 17  # natural width + insets
    assert widths[2] == widths[3] == pytest.approx((_TEXT_WIDTH - 48) / 2)  # the rest, in proportion
    # short columns that leave the sentences no room: every column in proportion instead
    assert _fit_widths([20] * 6 + [60]) == [20.0] * 6 + [60.0]


def test_a_chinese_sentence_wrapped_in_a_markdown_chapter_reads_without_a_space(tmp_path):
    from guozi_analysis.publishing.render.builtin import Chapter, _plain_text, _read_chapter_ast

    chapter = tmp_path / "methods.md"
    chapter.write_text("# 方法\n\n它的回测\n结果不能代表方法的表现，\n仍计入回测误差。\n", encoding="utf-8")
    blocks, _ = _read_chapter_ast(Chapter(chapter), tmp_path / "media")
    para = next(b for b in blocks if b["t"] == "Para")
    assert _plain_text(para["c"]) == "它的回测结果不能代表方法的表现，仍计入回测误差。"


def _one_output_notebook(path: Path, html_output: str, *, text: str = "全年预计如下表。") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# 企业画像\n\n{text}"),
        nbformat.v4.new_code_cell("#| tbl-cap: 全年预计\nview()", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": html_output, "text/plain": "…"}, execution_count=1)],
            execution_count=1),
    ]
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("frame", [pd.DataFrame(), pd.DataFrame(columns=["企业", "项目"])],
                         ids=["no-columns", "no-rows"])
def test_an_empty_table_renders_as_a_sentence_not_broken_pdf_source(tmp_path, frame):
    """Issue 25: the December review failed at the profiles ("unexpected comma": an empty 全年预计 table
    became ``columns: 0 … table.header(,)``). Straight from pandas' HTML (no formatter), the renderer
    prints 本表本期无记录。 in its place, and the PDF compiles."""
    from guozi_analysis.publishing.render.builtin import render_chapter

    chapter = _one_output_notebook(tmp_path / "profile_G01.ipynb", frame.to_html())
    _, body = render_chapter(chapter, work=tmp_path / "w", pdf=tmp_path / "p.pdf", meta={"volume": "画像"})
    assert "<table" not in body and "本表本期无记录" in body
    text = re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(tmp_path / "p.pdf").pages))
    assert "本表本期无记录" in text


def test_the_reader_formatter_prints_an_empty_table_as_a_sentence_with_its_reason():
    from guozi_analysis.publishing.display import reader_html

    frame = pd.DataFrame(columns=["企业", "项目"])
    frame.attrs["empty_reason"] = "没有全年预测结果"
    assert reader_html(frame) == '<p class="table-note">本表本期无记录：没有全年预测结果。</p>'
    assert "<table" not in reader_html(pd.DataFrame())


def test_a_sentence_with_a_missing_number_fails_the_render(tmp_path):
    """A sentence printing "—" for a number (the 2022-12 月度通报: "营业总收入—亿元，同比变动不详—%")
    stops the render with the chapter named; ranges (1—10月) and the tables' own “—” note do not."""
    from guozi_analysis.publishing.render.builtin import render_chapter

    ok = tmp_path / "ok.md"
    ok.write_text("# 通报\n\n1—10月营业总收入15.06—23.94亿元。\n\n注：“—”表示该项无报送数据。\n", encoding="utf-8")
    render_chapter(ok, work=tmp_path / "w1")
    bad = tmp_path / "bad.md"
    bad.write_text("# 通报\n\n1—12月实现营业总收入—亿元，同比变动不详—%。\n", encoding="utf-8")
    with pytest.raises(RenderError, match="bad.md.*营业总收入"):
        render_chapter(bad, work=tmp_path / "w2")


# ---------------------------------------------------------------- Word draft (issue 28)


@pytest.fixture(scope="module")
def word_draft(book):
    import docx

    return docx.Document(str(book[1]["docx"]))


def test_word_draft_numbers_headings_the_gongwen_way(word_draft):
    headings = [(p.style.name, p.text) for p in word_draft.paragraphs if p.style.name.startswith("Heading")]
    # 前言 and its section are unnumbered (as in the book); 第1章 → 一、, 1.1 → （一）, 1.2 → （二）, 1.2.1 → 1.;
    # the appendix 附录A keeps its letter
    assert headings == [("Heading 1", "前言"), ("Heading 2", "主要成绩"), ("Heading 1", "一、总体概况"),
                        ("Heading 2", "（一）资产负债情况"), ("Heading 2", "（二）利润情况"), ("Heading 3", "1. 分集团"),
                        ("Heading 1", "附录A　指标口径")]
    title = [p.text for p in word_draft.paragraphs if p.style.name == "Title"]
    assert title == ["滨江区国资系统年度工作报告"]


def test_word_draft_tables_repeat_their_header_row_and_pages_are_numbered(word_draft):
    from docx.shared import Mm

    from guozi_analysis.publishing.render.office import has_page_field, repeats_header

    assert len(word_draft.tables) == 1
    table = word_draft.tables[0]
    assert [c.text for c in table.rows[0].cells][-3:] == ["资产负债率", "利润总额", "信号灯"]
    assert "滨江城投集团" in [c.text for c in table.rows[1].cells]
    assert repeats_header(table)
    for section in word_draft.sections:  # A4 with the 公文 margins (37/35/28/26 mm), — PAGE — in the footer
        assert (round(section.page_width / Mm(1)), round(section.page_height / Mm(1))) == (210, 297)
        assert [round(getattr(section, f"{side}_margin") / Mm(1)) for side in ("top", "bottom", "left", "right")] \
            == [37, 35, 28, 26]
        assert has_page_field(section.footer)


def test_word_draft_prints_a_table_note_smaller_than_the_body(word_draft):
    # the note under 表1-1 in 表注 (仿宋 小四, 12 pt), the body text in 仿宋 三号 (16 pt)
    from guozi_analysis.publishing.render.office import NOTE_STYLE

    notes = [p for p in word_draft.paragraphs if p.text == NOTE]
    assert [p.style.name for p in notes] == [NOTE_STYLE]
    assert notes[0].style.font.size.pt == 12
    assert word_draft.styles["Body Text"].font.size.pt == 16
    body = [p for p in word_draft.paragraphs if p.text.startswith("全区企业总体运行平稳")]
    assert len(body) == 1 and body[0].style.name != NOTE_STYLE


def test_word_draft_fonts_come_from_the_styles(word_draft):
    from docx.oxml.ns import qn

    def east_asian(style):
        return style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east_asian(word_draft.styles["Normal"]) == "仿宋_GB2312"
    assert east_asian(word_draft.styles["Title"]) == "方正小标宋简体"
    assert east_asian(word_draft.styles["Heading 1"]) == "黑体"
    assert east_asian(word_draft.styles["Heading 2"]) == "楷体_GB2312"
    # no run names a font of its own (pandoc's w:hint only says the text is East Asian): a restyled
    # reference document restyles the whole draft
    named = [r.text for p in word_draft.paragraphs for r in p.runs if r.element.rPr is not None
             and r.element.rPr.find(qn("w:rFonts")) is not None
             and any(r.element.rPr.find(qn("w:rFonts")).get(qn(f"w:{a}")) for a in ("ascii", "eastAsia", "hAnsi"))]
    assert named == []


def test_a_cited_workbook_is_copied_into_the_html_folder_and_linked(book, html_pages, word_draft, pdf_text):
    folder = book[1]["html"].parent
    assert (folder / "outputs" / WORKBOOK).read_bytes() == b"PK-not-really-a-workbook"
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html_pages["01_overview.html"])
    from urllib.parse import unquote

    assert [(unquote(h), t) for h, t in links if "xlsx" in t] == [(f"outputs/{WORKBOOK}", WORKBOOK)]
    assert WORKBOOK in pdf_text  # the PDF and the Word draft print the name (they travel alone)
    assert any(WORKBOOK in p.text for p in word_draft.paragraphs)
    assert not any("outputs/" in rel.target_ref for rel in word_draft.part.rels.values() if rel.is_external)


def test_the_reference_document_in_params_is_the_generated_default(tmp_path):
    """params/reference.docx is what write_reference_docx makes (styles compared; the district may restyle it)."""
    import docx
    import pypandoc

    from guozi_analysis.base import config
    from guozi_analysis.publishing.render.office import STYLE_FONTS, write_reference_docx

    fresh = docx.Document(str(write_reference_docx(tmp_path / "r.docx", pandoc=pypandoc.get_pandoc_path())))
    committed = docx.Document(str(config.PARAMS_DIR / "reference.docx"))
    for name in STYLE_FONTS:
        if name in [s.name for s in fresh.styles]:
            assert fresh.styles[name].element.xml == committed.styles[name].element.xml, name


def test_extra_search_entries_are_in_the_book_search_index(tmp_path):
    root = _mini_book(tmp_path / "mini", "# 概况\n\n内容。\n")
    entry = {"p": "profiles/G01.html", "t": "企业画像（另册）", "h": "滨江城投集团有限公司（滨江城投）", "a": "", "x": "集团"}
    html_index = render_book(root, formats=("html",), extra_search=[entry])["html"]
    text = (html_index.parent / "search.js").read_text("utf-8")
    index = json.loads(re.search(r"window\.GZ_SEARCH_INDEX = (.*?);\n", text).group(1))
    assert index[-1] == entry and index[0]["p"] == "index.html"
    assert "?hl=" in text and "gz-hit" in text  # results and the opened page mark the matches


def test_tables_are_numbered_without_gaps_when_a_captioned_cell_prints_a_sentence(tmp_path):
    """Issue 26: a profile's captioned cell that has nothing to show prints a sentence (本期未触发预警规则),
    and its number was used up all the same (表4, 表7, 表8 missing). Only printed tables take a number."""
    from guozi_analysis.publishing.render.builtin import render_chapter

    def table(caption: str, value: int):
        html = pd.DataFrame({"项目": [f"值{value}"]}).to_html(index=False)
        return nbformat.v4.new_code_cell(f"#| tbl-cap: {caption}\nx", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": html, "text/plain": "x"}, execution_count=1)])

    def sentence(caption: str):
        return nbformat.v4.new_code_cell(f"#| tbl-cap: {caption}\nx", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/markdown": "本期没有可列示的内容。", "text/plain": "x"}, execution_count=1)])

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 画像 {.unnumbered}"),
                                         table("甲", 1), sentence("乙"), table("丙", 3), sentence("丁"), table("戊", 5)])
    path = tmp_path / "profile.ipynb"
    nbformat.write(nb, path)
    _, body = render_chapter(path, work=tmp_path / "work")
    captions = re.findall(r"表(\d+)　(\S)", re.sub(r"<[^>]+>", "", body))
    # three printed tables: 甲 表1, 丙 表2, 戊 表3 (before: 表1, 表3, 表5)
    assert captions == [("1", "甲"), ("2", "丙"), ("3", "戊")]


# ---------------------------------------------------------------- Word draft layout (issue 28, after a look at the docx)


def test_a_column_needs_its_widest_figure_and_four_characters_of_text():
    from guozi_analysis.publishing.render.office import column_needs, unbreakable_width

    assert unbreakable_width("−1,234.56") == 9  # one run: sign, digits, comma, point
    assert unbreakable_width("增长12.5%") == 5  # "12.5%"; a Chinese character (2) may stand alone
    # figures: least = the widest figure "45.96" (5); the header "2022-12" may break after its hyphen
    # ("2022-" 5, "12" 2); want = the header's 7 (under four characters' 8)
    assert column_needs(["2022-12"], ["15.49", "1.05", "45.96"]) == (5, 7)
    # Chinese text: least = four characters (8), want = the longest line, "澜海城投集团合计" = 16
    assert column_needs(["企业"], ["澜海城投集团合计", "合计"]) == (8, 16)
    # a figure with its unit: least max(figure 5, four characters 8) = 8, want 5 + 2·2 = 9 (whole when there is room)
    assert column_needs(["2023年目标"], ["20.00亿元"]) == (8, 9)


def test_column_widths_give_figures_their_room_and_text_the_rest():
    from guozi_analysis.publishing.render.office import column_widths, table_font

    # half-em 90 twips (9 pt), insets 256 twips: least 8·90+256 = 976 and 5·90+256 = 706, want 24·90+256 =
    # 2416 and 7·90+256 = 886. In 2000 twips the figures get all they want (886) and the text the rest:
    # level L with L + 886 = 2000 → 1114 (≥ its least 976)
    assert column_widths([(8, 24), (5, 7)], 2000, 90) == pytest.approx([1114, 886])
    # room for every want (2416 + 886 = 3302 ≤ 6604): the table fills the width in proportion, ×2
    assert column_widths([(8, 24), (5, 7)], 6604, 90) == pytest.approx([4832, 1772])
    # 表D-5: a text column and twelve monthly figures do not fit at 9 pt in 8844 twips (A4 less 28 + 26 mm):
    # (8844 − 13·256) / (10 · (8 + 12·5)) = 5516 / 680 = 8.11 pt → 8 pt (half points)
    needs = [(8, 24)] + [(5, 7)] * 12
    assert table_font(needs, 8844, 9) == 8.0
    assert table_font([(8, 24), (5, 7)], 8844, 9) == 9  # fits: the style's size
    # the smallest is 小六 6.5 pt, and when even that does not fit the widths follow the leasts
    assert table_font([(5, 5)] * 40, 8844, 9) == 6.5


def test_html_headings_do_not_jump_a_level():
    from guozi_analysis.publishing.render.builtin import _html_level

    # the review body: # 一、, ### （一）, ### （二）, #### 目标跟踪表; then # 二、, ## , ###, ###, ##
    opened = [(0, 0)]
    shown = [_html_level(opened, level) for level in (1, 3, 3, 4, 1, 2, 3, 3, 2)]
    # 3 under 1 → 2; its sibling 3 → 2; 4 under it → 3; a level already one below its parent keeps it
    assert shown == [1, 2, 2, 3, 1, 2, 3, 3, 2]


def test_a_heading_takes_the_level_of_its_gongwen_number():
    from guozi_analysis.publishing.render.office import HeadingLevels, marker_level

    assert [marker_level(t) for t in ("一、总体", "（一）抓项目", "1. 分集团", "1.2 口径", "（1）明细", "附录A　口径",
                                      "目标跟踪表")] == [1, 2, 3, None, 4, 1, None]
    levels = HeadingLevels()
    # the review's source: "# 一、" then "### （一）" (no level 2), "#### 目标跟踪表" under it
    seen = [levels.level(source, text) for source, text in [
        (1, "前言"), (2, "主要成绩"), (1, "一、2022年工作完成情况"), (3, "（一）抓项目、促投资"), (3, "（二）强改革"),
        (4, "目标跟踪表"), (1, "附录A　概况"), (2, "A.1　主要指标"), (3, "A.1.1　明细")]]
    assert seen == [1, 2, 1, 2, 2, 3, 1, 2, 3]


def test_a_negative_number_is_printed_with_the_minus_sign_as_in_the_pdf():
    from guozi_analysis.publishing.render.office import minus_signs

    assert minus_signs("-87.2") == "−87.2" and minus_signs("（-3.2%）") == "（−3.2%）"
    assert minus_signs("同比 -1,200.5 万元") == "同比 −1,200.5 万元"
    for kept in ("2022-11", "增速较此前变化-11", "A-1"):  # dates, ranges and codes keep their hyphen (as Typst)
        assert minus_signs(kept) == kept


def test_word_draft_tables_fit_the_page_and_figures_do_not_wrap(word_draft):
    from docx.shared import Mm

    from guozi_analysis.publishing.render.office import unbreakable_width

    table = word_draft.tables[0]
    text_width = word_draft.sections[0].page_width - Mm(28) - Mm(26)  # 156 mm
    widths = [col.width for col in table.columns]
    assert sum(widths) == pytest.approx(text_width, abs=Mm(0.2))
    assert table._tbl.tblPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblLayout") \
        .get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}type") == "fixed"
    size = word_draft.styles["Compact"].font.size.pt  # 9 pt (小五): a half-em is 4.5 pt = 90 twips
    for k, column in enumerate(table.columns):
        widest = max(unbreakable_width(cell.text) for cell in column.cells)
        assert widths[k] >= widest * Mm(25.4 / 72 * size / 2), (k, widest)  # never narrower than its figures
    # the minus sign, as the PDF prints −87.2 (TABLE's 东湖产投集团 利润总额)
    cells = [cell.text for row in table.rows for cell in row.cells]
    assert "−87.2" in cells and "-87.2" not in cells


def test_word_draft_has_a_table_of_contents_and_starts_the_appendices_on_a_new_page(word_draft):
    from docx.enum.section import WD_SECTION

    from guozi_analysis.publishing.render.office import toc_field

    field = toc_field(word_draft)
    assert field is not None  # pandoc's TOC field, marked dirty: Word updates it on opening
    begin = field.find(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}fldChar")
    assert begin.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}dirty") == "true"
    sdt = field.getparent().getparent()  # the field's last result lists 一、 and （一）, as LibreOffice shows it
    shown = ["".join(t.text for t in p.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"))
             for p in sdt.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p")]
    assert shown[0] == "目录"
    assert [s for s in shown[1:] if s] == ["前言", "主要成绩", "一、总体概况", "（一）资产负债情况", "（二）利润情况",
                                           "附录A　指标口径"]
    # two sections: the body, then the appendices on a new page (each numbered in its footer)
    assert len(word_draft.sections) == 2 and word_draft.sections[1].start_type == WD_SECTION.NEW_PAGE
    last_of_body = [p.text for p in word_draft.paragraphs if p._p.pPr is not None and p._p.pPr.sectPr is not None]
    assert last_of_body == [""]  # the break is an empty paragraph of its own
    appendix = next(k for k, p in enumerate(word_draft.paragraphs) if p.text.startswith("附录A"))
    assert word_draft.paragraphs[appendix - 1]._p.pPr.sectPr is not None


def test_reader_tables_are_read_without_pandoc_into_the_ast_pandoc_gives():
    """Issue 27: the reader tables of a notebook's outputs become AST without a pandoc call (55 ms a profile
    page); the AST is pandoc's, and anything else still goes to pandoc."""
    from guozi_analysis.publishing.display import reader_html
    from guozi_analysis.publishing.render import builtin

    frame = pd.DataFrame({"指标": ["利润总额", "资产负债率", "说明 A&B <x>"], "单位": ["亿元", "%", ""],
                          "本企业": [1319.91, None, 0.5], "备注": ["‘引号’ \"双引号\" 'x'", "两  个空格", " 首尾 "]})
    fragments = [
        reader_html(frame),
        reader_html(frame.iloc[:0]),  # no rows: a sentence
        '<table class="dataframe reader-table"><thead><tr><th>项目 A&amp;B</th><th></th></tr></thead><tbody>'
        "<tr><td>企业  名称 x </td><td></td></tr><tr><td> a&lt;b&gt;c &quot;d&quot; &#x27;e&#x27;</td>"
        '<td>1,234.00</td></tr></tbody></table>\n<p class="table-note">注：— 表示 缺失</p>\n<p class="table-note">二</p>',
        '<table class="dataframe reader-table"><thead><tr><th>a</th></tr></thead><tbody><tr><td>x\u3000y</td></tr>'
        "</tbody></table>",  # an ideographic space: pandoc reads it
        '<table class="dataframe reader-table"><thead><tr><th>a</th></tr></thead><tbody><tr><td>&nbsp;x</td></tr>'
        "</tbody></table>",  # another entity: pandoc reads it
        "<div><b>粗体</b></div>",
    ]
    fast = [builtin._reader_table_blocks(f) for f in fragments]
    assert [b is not None for b in fast] == [True, True, True, False, False, False]
    wrapped = "".join(f'<div id="gzraw{k}">\n{f}\n</div>\n' for k, f in enumerate(fragments))
    blocks = json.loads(builtin._pandoc(["-f", "html", "-t", "json"], stdin=wrapped))["blocks"]
    by_pandoc = [next(b["c"][1] for b in blocks if b["c"][0][0] == f"gzraw{k}") for k in range(len(fragments))]
    for k in range(3):
        assert fast[k] == by_pandoc[k]
    assert builtin._html_to_blocks(fragments, cwd=Path(".")) == by_pandoc
    # every node its own attributes: a later pass that sets one cell's class sets no other
    table = fast[0][0]
    head_cells = table["c"][3][1][0][1]
    head_cells[0][0][1].append("x")
    assert head_cells[1][0] == ["", [], []]
