"""Word drafts (.docx) of the publications, with the conventions of a 公文 draft.

District offices circulate drafts for comment and 签批 as Word documents. Every publication the
built-in renderer writes as HTML and PDF is also written as ``<output-file>.docx`` from the same
document (pandoc's docx writer), styled by a reference document:

* ``params/reference.docx`` — the district's styles: A4 with the 公文 margins (上 37 mm，下 35 mm，
  左 28 mm，右 26 mm), body text in 仿宋_GB2312 三号, the title in 方正小标宋简体, 一级标题 in 黑体,
  二级标题 in 楷体_GB2312, tables in 小五, links as plain black text, and the page number (— 1 —)
  centred in the footer. Font names are set in
  the styles only, so Word uses the office's fonts where they are installed and substitutes
  its own otherwise (the document never embeds or requires a font). The district may restyle the
  file in Word (change a style, save); :func:`write_reference_docx` regenerates the default.
* headings numbered the 公文 way: 一、 (level 1), （一） (level 2), 1. (level 3), （1） (level 4);
  appendices 附录A; a heading that already starts with such a number keeps it;
* every table's header row repeats on each page (``w:tblHeader``) and every section's footer
  carries a PAGE field (added by :func:`finish_docx` when the reference document has none).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

#: The 公文 margins (GB/T 9704-2012): top, bottom, left, right, in millimetres.
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
#: Style → (East Asian font, Latin font, size in points, bold). Names only: Word falls back when absent.
#: The style of a note under a table or chart (a paragraph opening with one of :data:`NOTE_OPENINGS`)
NOTE_STYLE = "表注"
NOTE_OPENINGS = ("注：", "资料来源：", "数据来源：")
STYLE_FONTS = {
    "Normal": ("仿宋_GB2312", "Times New Roman", 16, False),
    "Body Text": ("仿宋_GB2312", "Times New Roman", 16, False),
    "First Paragraph": ("仿宋_GB2312", "Times New Roman", 16, False),
    "Compact": ("仿宋_GB2312", "Times New Roman", 9, False),  # table cells and list items: 小五
    "Title": ("方正小标宋简体", "Times New Roman", 22, False),
    "Subtitle": ("楷体_GB2312", "Times New Roman", 16, False),
    "Author": ("仿宋_GB2312", "Times New Roman", 16, False),
    "Date": ("仿宋_GB2312", "Times New Roman", 16, False),
    "Heading 1": ("黑体", "Times New Roman", 16, False),
    "Heading 2": ("楷体_GB2312", "Times New Roman", 16, False),
    "Heading 3": ("仿宋_GB2312", "Times New Roman", 16, True),
    "Heading 4": ("仿宋_GB2312", "Times New Roman", 16, False),
    "Table Caption": ("黑体", "Times New Roman", 12, False),
    "Image Caption": ("仿宋_GB2312", "Times New Roman", 12, False),
    NOTE_STYLE: ("仿宋_GB2312", "Times New Roman", 12, False),  # 注：/资料来源： under a table or chart: 小四
}
_CN_DIGITS = "零一二三四五六七八九"
#: A heading text that already carries a 公文 number (一、 （一） 1. （1） 第…章 附录).
_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、]|（\d+）|第.+?[章节]|附录)")


#: A 公文 number and the heading level it marks: 一、 (and 第…章, 附录) 1; （一） 2; 1. 3; （1） 4
_MARKER_LEVELS = ((re.compile(r"^\s*(?:[一二三四五六七八九十]+、|第.+?章|附录)"), 1),
                  (re.compile(r"^\s*（[一二三四五六七八九十]+）"), 2),
                  (re.compile(r"^\s*\d+[.．、](?!\d)"), 3),
                  (re.compile(r"^\s*（\d+）"), 4))


def marker_level(text: str) -> int | None:
    """The level a heading's own 公文 number gives it (一、 → 1, （一） → 2, 1. → 3, （1） → 4), else ``None``."""
    return next((level for pattern, level in _MARKER_LEVELS if pattern.match(text)), None)


class HeadingLevels:
    """Word heading levels without jumps, fed the headings in document order: a heading one level below the
    heading it follows in the source keeps that relation (``#`` then ``###`` gives Heading 1, Heading 2),
    and a heading that carries its own 公文 number takes that number's level (（一） is Heading 2 wherever
    the source put it)."""

    def __init__(self) -> None:
        self._open: list[tuple[int, int]] = []  # (source level, Word level) of the headings still open

    def level(self, source_level: int, text: str) -> int:
        while self._open and self._open[-1][0] >= source_level:
            self._open.pop()
        level = marker_level(text) or (self._open[-1][1] + 1 if self._open else 1)
        self._open.append((source_level, level))
        return level


#: A hyphen-minus that starts a number (after a space, a bracket or nothing; not in 2022-11 or 变化-11)
_LEADING_HYPHEN = re.compile(r"(?<![\w.])-(?=\d)")
MINUS = "\u2212"


def minus_signs(text: str) -> str:
    """``-8.24`` → ``−8.24``: a negative number printed with the minus sign, as the PDF prints it (Typst
    shows a hyphen that starts a number as U+2212 and leaves ``2022-11`` and ``变化-11`` alone; so does this)."""
    return _LEADING_HYPHEN.sub(MINUS, text)


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (heading numbers stay below 100)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (_CN_DIGITS[tens] if tens > 1 else "") + "十" + (_CN_DIGITS[ones] if ones else "")


def heading_number(level: int, counters: list[int], *, appendix: bool = False) -> str:
    """The 公文 prefix of a heading: 一、 （一） 1. （1）; in the appendices 附录A　, then A.1 …"""
    n = counters[level - 1]
    if appendix:
        letter = chr(ord("A") + counters[0] - 1)
        return f"附录{letter}　" if level == 1 else ".".join([letter, *map(str, counters[1:level])]) + "　"
    return {1: f"{chinese_number(n)}、", 2: f"（{chinese_number(n)}）", 3: f"{n}. ", 4: f"（{n}）"}.get(level, "")


def already_numbered(text: str) -> bool:
    """Whether a heading's text starts with a number of its own (一、 …)."""
    return bool(_NUMBERED.match(text))


def _set_fonts(style, east_asian: str, latin: str, size: float, bold: bool) -> None:
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use
    from docx.shared import Pt  # deferred: heavy dependency, loaded on first use

    style.font.name = latin
    style.font.size = Pt(size)
    style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _add_page_field(paragraph) -> None:
    """``— PAGE —`` in a paragraph (a Word field: every page shows its own number)."""
    from docx.oxml import OxmlElement  # deferred: heavy dependency, loaded on first use
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use

    paragraph.add_run("— ")
    run = paragraph.add_run()
    begin, instr, sep, text, end = (OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar"),
                                    OxmlElement("w:t"), OxmlElement("w:fldChar"))
    begin.set(qn("w:fldCharType"), "begin")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    sep.set(qn("w:fldCharType"), "separate")
    text.text = "1"
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, sep, text, end):
        run._r.append(element)
    paragraph.add_run(" —")


def has_page_field(footer) -> bool:
    """Whether a footer (python-docx) shows the page number (a PAGE field)."""
    xml = footer._element.xml
    return bool(re.search(r"instrText[^>]*>\s*PAGE\b", xml) or re.search(r'w:instr="\s*PAGE\b', xml))


def _page_setup(section) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH  # deferred: heavy dependency, loaded on first use
    from docx.shared import Mm  # deferred: heavy dependency, loaded on first use

    section.page_width, section.page_height = Mm(210), Mm(297)
    for side, mm in MARGINS_MM.items():
        setattr(section, f"{side}_margin", Mm(mm))
    footer = section.footer
    footer.is_linked_to_previous = False
    if not has_page_field(footer):
        paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _add_page_field(paragraph)


def write_reference_docx(target: Path, *, pandoc: str) -> Path:
    """The default ``reference.docx``: pandoc's own, restyled for a 公文 draft (see the module doc)."""
    from docx import Document  # deferred: heavy dependency, loaded on first use
    from docx.shared import RGBColor  # deferred: heavy dependency, loaded on first use

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([pandoc, "-o", str(target), "--print-default-data-file", "reference.docx"], check=True)
    document = Document(str(target))
    for name, (east_asian, latin, size, bold) in STYLE_FONTS.items():
        try:
            style = document.styles[name]
        except KeyError:
            continue
        _set_fonts(style, east_asian, latin, size, bold)
        if name.startswith("Heading") or name == "Title":
            style.font.color.rgb = None  # black, as a 公文 prints
    link = document.styles["Hyperlink"]  # figures link to their sources: printed as plain black text
    link.font.color.rgb = RGBColor(0, 0, 0)
    link.font.underline = False
    for section in document.sections:
        _page_setup(section)
    document.core_properties.title = "公文样式参考文档（guozi-analysis）"
    document.save(str(target))
    return target


#: Word's default cell margins, left and right (0.19 cm each), plus a little air, in twips
_CELL_INSETS = 2 * 108 + 40
#: A header cell asks for at most this width (half-em units: four Chinese characters) before it wraps
_HEADER_WANT = 8
#: A cell of running text asks for at most this width (half-em units) before it wraps
_TEXT_WANT = 60
#: Characters a line may break after or before (a Chinese character, a space, a dash): everything else
#: — a figure such as ``-1,234.56`` or ``83.02%``, a code — is one unbreakable run
_BREAKABLE = re.compile(r"[\s\u2e80-\uffff/—–]")


def text_width(text: str) -> int:
    """Width of a line of text in half-em units (a Chinese character is two, anything else one)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def unbreakable_width(text: str) -> int:
    """The widest run of ``text`` that no line break may split (half-em units): a number and its sign,
    decimals and percent sign stay on one line; a Chinese character may stand alone."""
    widest = max((text_width(run) for run in _BREAKABLE.split(text)), default=0)
    return max(widest, max((text_width(ch) for ch in text if _BREAKABLE.match(ch) and not ch.isspace()),
                           default=0))


#: A text column gets at least this width (half-em units: four Chinese characters), or its longest line
_TEXT_LEAST = 8
#: The smallest font a wide table is set in (points; 小六) so that its figures fit on one line each
_SMALLEST_PT = 6.5


def column_needs(header: list[str], body: list[str]) -> tuple[int, int]:
    """What a column needs, in half-em units without insets: ``(least, want)``. ``least`` is its widest
    unbreakable run — a figure never wraps; a header may also break after a hyphen (``2022-``/``12``) —
    and, for a column of Chinese text, at least four characters; ``want`` its longest line (headers up to four characters,
    running text up to thirty)."""
    runs = [unbreakable_width(t) for t in body] + [unbreakable_width(part) for t in header
                                                   for part in re.split(r"(?<=-)", t)]
    want = max([min(text_width(t), _HEADER_WANT) for t in header]
               + [min(text_width(t), _TEXT_WANT) for t in body] + [1])
    text = any(ord(ch) > 0x2E80 for t in body for ch in t)
    least = max(runs + [min(want, _TEXT_LEAST) if text else 1, 1])
    return least, max(least, want)


def table_font(needs: list[tuple[int, int]], total: float, font_pt: float) -> float:
    """The font size (points) at which every column's least fits ``total`` twips (half-em = pt × 10
    twips): ``font_pt`` when it fits, else smaller, down to 小六 (6.5 pt)."""
    units = sum(least for least, _ in needs)
    fits = (total - _CELL_INSETS * len(needs)) / (10 * units)
    return font_pt if fits >= font_pt else max(_SMALLEST_PT, int(fits * 2) / 2)


def column_widths(needs: list[tuple[int, int]], total: float, half_em: float) -> list[float]:
    """Widths (in the unit of ``total``) for columns with the given :func:`column_needs`, as a browser lays
    out a table: every column at least its least (plus the cell insets); the rest of ``total`` filled
    up to one common level, so that a column that wants less than the level (a name, a figure with
    its unit) gets all it wants and the columns of running text share the rest equally; room left
    when every column has what it wants goes in proportion to the wants (the table fills the text
    width). When even the leasts do not fit, each column gets ``total`` in proportion to its least."""
    least = [lo * half_em + _CELL_INSETS for lo, _ in needs]
    want = [w * half_em + _CELL_INSETS for _, w in needs]
    if sum(least) >= total:
        return [total * w / sum(least) for w in least]
    if sum(want) <= total:
        return [total * w / sum(want) for w in want]
    low, high = 0.0, max(want)
    for _ in range(60):  # the level: Σ min(want, max(least, level)) = total
        level = (low + high) / 2
        if sum(min(w, max(lo, level)) for lo, w in zip(least, want)) > total:
            high = level
        else:
            low = level
    return [min(w, max(lo, low)) for lo, w in zip(least, want)]


def _cell_lines(tc) -> list[str]:
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use

    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p"))]


def text_width_twips(document) -> int:
    """The width between the margins of the document's first section, in twips."""
    section = document.sections[0]
    return int((section.page_width - section.left_margin - section.right_margin) / 635)  # EMU → twips


def _table_font_size(document) -> float:
    """The tables' font size in points: pandoc writes cells in the ``Compact`` style."""
    for name in ("Compact", "Normal"):
        try:
            size = document.styles[name].font.size
        except KeyError:
            continue
        if size is not None:
            return size.pt
    return 10.5


def fit_table(table, *, total: int, font_pt: float) -> list[int]:
    """Fixed column widths for a table (python-docx), from its content (:func:`column_needs`,
    :func:`column_widths`): the grid, every cell's width (a merged cell gets its columns' sum) and the
    table's width, ``total`` twips. A table whose figures would not fit at ``font_pt`` is set smaller
    (:func:`table_font`; the size goes on its runs). Returns the widths in twips."""
    from docx.oxml import OxmlElement  # deferred: heavy dependency, loaded on first use
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use
    from docx.shared import Pt, Twips  # deferred: heavy dependency, loaded on first use

    tbl = table._tbl
    n = len(tbl.tblGrid.gridCol_lst)
    header: list[list[str]] = [[] for _ in range(n)]
    body: list[list[str]] = [[] for _ in range(n)]
    for r, tr in enumerate(tbl.tr_lst):
        k = 0
        for tc in tr.tc_lst:
            if tc.grid_span == 1 and k < n:
                (header if r == 0 else body)[k].extend(_cell_lines(tc))
            k += tc.grid_span
    needs = [column_needs(h, b) for h, b in zip(header, body)]
    size = table_font(needs, total, font_pt)
    if size < font_pt:
        for run in tbl.iter(qn("w:r")):
            run_props = run.get_or_add_rPr()
            run_props.sz_val = Pt(size)
    widths = [round(w) for w in column_widths(needs, total, size * 10)]  # a half-em is size × 10 twips
    for col, width in zip(tbl.tblGrid.gridCol_lst, widths):
        col.w = Twips(width)
    for tr in tbl.tr_lst:
        k = 0
        for tc in tr.tc_lst:
            tc.width = Twips(sum(widths[k:k + tc.grid_span]))
            k += tc.grid_span
    props = tbl.tblPr
    for tag in ("w:tblW", "w:tblLayout"):
        for old in props.findall(qn(tag)):
            props.remove(old)
    width, layout = OxmlElement("w:tblW"), OxmlElement("w:tblLayout")
    width.set(qn("w:w"), str(sum(widths)))
    width.set(qn("w:type"), "dxa")
    layout.set(qn("w:type"), "fixed")
    props.append(width)
    props.append(layout)
    _order_table_props(props)
    return widths


#: The schema's order of a table's properties (Word rejects a document whose elements are out of order)
_TBL_PR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
                 "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook",
                 "tblCaption", "tblDescription")


def _order_table_props(props) -> None:
    rank = {name: k for k, name in enumerate(_TBL_PR_ORDER)}
    children = sorted(props, key=lambda e: rank.get(e.tag.rsplit("}", 1)[-1], len(rank)))
    for child in children:
        props.remove(child)
        props.append(child)


#: A section break (next page) as a paragraph of pandoc's raw OpenXML: the appendices start a new page
SECTION_BREAK = '<w:p><w:pPr><w:sectPr><w:type w:val="nextPage"/></w:sectPr></w:pPr></w:p>'
#: The contents' levels pandoc's TOC field lists (``TOC \\o "1-2"``)
_TOC_LEVELS = re.compile(r'\\o\s+"(\d)-(\d)"')


def toc_field(document):
    """The table of contents field's first paragraph (pandoc's ``--toc``), or ``None``."""
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use

    for instr in document.element.body.iter(qn("w:instrText")):
        if (instr.text or "").strip().startswith("TOC"):
            return instr.getparent().getparent()
    return None


def _fill_toc(document) -> int:
    """The contents shown before Word updates the field: pandoc writes an empty TOC field (marked dirty,
    Word fills it on opening); LibreOffice and a previewer show the field's last result, so the
    headings it lists are written there as entries (linked to the headings, indented by level; page
    numbers are Word's to add: the field stays marked dirty, so Word updates it on opening). Returns the
    number of entries."""
    from docx.oxml import OxmlElement  # deferred: heavy dependency, loaded on first use
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use

    first = toc_field(document)
    if first is None:
        return 0
    instr = next(first.iter(qn("w:instrText"))).text
    levels = _TOC_LEVELS.search(instr)
    low, high = (int(levels.group(1)), int(levels.group(2))) if levels else (1, 3)
    entries = []
    for paragraph in document.paragraphs:
        match = re.fullmatch(r"Heading (\d)", paragraph.style.name)
        if match and low <= int(match.group(1)) <= high and paragraph.text.strip():
            mark = paragraph._p.find(qn("w:bookmarkStart"))
            entries.append((int(match.group(1)), paragraph.text, mark.get(qn("w:name")) if mark is not None else None))
    runs = list(first.iter(qn("w:r")))
    end = next(c for r in runs for c in r if c.tag == qn("w:fldChar") and c.get(qn("w:fldCharType")) == "end")
    end_run = end.getparent()
    if len(end_run) > 1:  # pandoc puts begin, instr, separate and end in one run: end gets its own
        end_run.remove(end)
        end_run = OxmlElement("w:r")
        end_run.append(end)
    previous = first
    for level, text, anchor in entries:
        p = OxmlElement("w:p")
        ppr = OxmlElement("w:pPr")
        ind = OxmlElement("w:ind")
        ind.set(qn("w:left"), str(640 * (level - low)))  # two characters of 三号 per level
        ppr.append(ind)
        p.append(ppr)
        run = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = text
        t.set(qn("xml:space"), "preserve")
        run.append(t)
        if anchor:
            link = OxmlElement("w:hyperlink")
            link.set(qn("w:anchor"), anchor)
            link.append(run)
            p.append(link)
        else:
            p.append(run)
        previous.addnext(p)
        previous = p
    closing = OxmlElement("w:p")
    closing.append(end_run)
    previous.addnext(closing)
    return len(entries)


def finish_docx(path: Path) -> Path:
    """What pandoc's docx may lack: A4 with the 公文 margins and a page number in every section's
    footer (when the reference document has none); each table's columns as wide as their content needs
    (:func:`fit_table`: numbers never wrap, the table fills the text width) and its first row repeated on
    every page; notes (注：…) in the smaller :data:`NOTE_STYLE`; the table of contents' entries (:func:`_fill_toc`)."""
    from docx import Document  # deferred: heavy dependency, loaded on first use
    from docx.oxml import OxmlElement  # deferred: heavy dependency, loaded on first use
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use

    document = Document(str(path))
    for section in document.sections:
        _page_setup(section)
    total, font_pt = text_width_twips(document), _table_font_size(document)
    for table in document.tables:
        if not table.rows:
            continue
        fit_table(table, total=total, font_pt=font_pt)
        props = table.rows[0]._tr.get_or_add_trPr()
        if props.find(qn("w:tblHeader")) is None:
            props.append(OxmlElement("w:tblHeader"))
    notes = _note_style(document)
    for paragraph in document.paragraphs:
        if paragraph.text.lstrip().startswith(NOTE_OPENINGS):
            paragraph.style = notes
    _fill_toc(document)
    document.save(str(path))
    return path


def _note_style(document):
    """The document's :data:`NOTE_STYLE` (based on the body text, in the size :data:`STYLE_FONTS` gives it),
    added when the reference document has none: a note prints smaller than the body, as in a 公文."""
    from docx.enum.style import WD_STYLE_TYPE  # deferred: heavy dependency, loaded on first use

    try:
        return document.styles[NOTE_STYLE]
    except KeyError:
        pass
    style = document.styles.add_style(NOTE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    for base in ("Body Text", "Normal"):
        try:
            style.base_style = document.styles[base]
            break
        except KeyError:
            continue
    _set_fonts(style, *STYLE_FONTS[NOTE_STYLE])
    return style


def repeats_header(table) -> bool:
    """Whether a table's first row is marked to repeat on every page (``w:tblHeader``, not switched off)."""
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use

    props = table.rows[0]._tr.trPr if table.rows else None
    mark = props.find(qn("w:tblHeader")) if props is not None else None
    return mark is not None and mark.get(qn("w:val"), "true") not in ("0", "false", "off")
