"""The whole pipeline on the demo district: data → library → papermill notebooks → rendered book.

This is what `make report` does, run into temporary folders so the repository's
own publication is untouched. Marked slow (it executes every notebook once).
"""

import re
import shutil

import pytest
from pypdf import PdfReader

from guozi_analysis import book, config, pipeline
from guozi_analysis.fonts import missing_glyphs
from guozi_analysis.render import render

pytestmark = pytest.mark.slow
PERIOD = "2022-11"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    reports = root / "reports"
    reports.mkdir()
    summary = pipeline.run_period(PERIOD, jobs=2, runs_dir=root / "runs", publish_to=reports / "executed",
                                  log=lambda m: None)
    assert summary.ok, summary.table()
    book.write_book_sources(period=PERIOD, reports_dir=reports, executed_dir=reports / "executed")
    result = render(reports, engine="builtin")
    return {"reports": reports, "summary": summary, "outputs": result.outputs, "engine": result.engine}


def test_every_group_has_a_profile(published):
    labels = [r.label for r in published["summary"].results]
    assert [lbl for lbl in labels if lbl.startswith("profile_")] == [f"profile_G0{k}" for k in range(1, 7)]
    assert "01_district_overview.ipynb" in labels


def test_run_manifest_records_inputs_parameters_and_version(published):
    import json

    manifest = json.loads((published["reports"] / "executed" / "manifest.json").read_text("utf-8"))
    assert manifest["package_version"]
    assert manifest["parameters"]["period"] == PERIOD
    assert any(k.startswith("data/") for k in manifest["inputs"])
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in manifest["inputs"].values())


def test_pdf_has_chinese_headings_embedded_cjk_font_and_charts(published):
    pdf = published["outputs"]["pdf"]
    assert pdf.name == "review.pdf"
    reader = PdfReader(pdf)
    text = "".join(page.extract_text() or "" for page in reader.pages)
    for heading in ("全区国企经济运行概况", "企业画像", "指标词典"):
        assert heading in text, heading
    fonts, images = set(), 0
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            for desc_font in font.get("/DescendantFonts", [font]):
                desc = desc_font.get_object().get("/FontDescriptor")
                if desc is not None:
                    desc = desc.get_object()
                    embedded = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                    fonts.add((str(font.get("/BaseFont")), embedded))
        xobjects = resources.get("/XObject") or {}
        images += sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
    assert any("CJK" in name or "Noto" in name for name, embedded in fonts if embedded), fonts
    assert images >= 1


def test_html_is_self_contained_and_covered_by_the_font(published):
    html_dir = published["outputs"]["html"].parent
    pages = sorted(html_dir.glob("*.html"))
    assert (html_dir / "index.html").exists() and len(pages) >= 4
    for page in pages:
        text = page.read_text("utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", text), page.name
        assert not re.search(r"url\(\s*['\"]?https?://", text), page.name
        assert "@font-face" in text
        visible = re.sub(r"<[^>]+>", "", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", text, flags=re.S))
        cjk = {ch for ch in visible if "\u4e00" <= ch <= "\u9fff"}
        assert not missing_glyphs("".join(cjk))


def test_committed_quarto_config_matches_generated(published):
    generated = (published["reports"] / "_quarto.yml").read_text("utf-8")
    committed = (config.REPORTS_DIR / "_quarto.yml").read_text("utf-8")
    assert generated == committed, "reports/_quarto.yml 与生成结果不一致：请运行 make report 后提交"


def test_engine_is_reported(published):
    expected = "quarto" if shutil.which("quarto") else "builtin"
    assert published["engine"] in ("builtin", expected)
