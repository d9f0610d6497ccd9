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
}
_CN_DIGITS = "零一二三四五六七八九"
#: A heading text that already carries a 公文 number (一、 （一） 1. （1） 第…章 附录).
_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、]|（\d+）|第.+?[章节]|附录)")


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


def finish_docx(path: Path) -> Path:
    """What pandoc's docx may lack: A4 with the 公文 margins and a page number in every section's
    footer (when the reference document has none), and each table's first row repeated on every page."""
    from docx import Document  # deferred: heavy dependency, loaded on first use
    from docx.oxml import OxmlElement  # deferred: heavy dependency, loaded on first use
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use

    document = Document(str(path))
    for section in document.sections:
        _page_setup(section)
    for table in document.tables:
        if not table.rows:
            continue
        props = table.rows[0]._tr.get_or_add_trPr()
        if props.find(qn("w:tblHeader")) is None:
            props.append(OxmlElement("w:tblHeader"))
    document.save(str(path))
    return path


def repeats_header(table) -> bool:
    """Whether a table's first row is marked to repeat on every page (``w:tblHeader``, not switched off)."""
    from docx.oxml.ns import qn  # deferred: heavy dependency, loaded on first use

    props = table.rows[0]._tr.trPr if table.rows else None
    mark = props.find(qn("w:tblHeader")) if props is not None else None
    return mark is not None and mark.get(qn("w:val"), "true") not in ("0", "false", "off")
