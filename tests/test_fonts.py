"""Tests of guozi_analysis.fonts (Noto Sans CJK SC for charts, HTML and PDF)."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402

from guozi_analysis.base import fonts

SENTENCE = "滨江城投集团资产负债率为65.3%，较上年下降1.2个百分点；利润总额同比增长（万元）。"


def test_font_path_is_noto_sans_cjk_not_simhei():
    path = fonts.cjk_font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert path.is_file()
    assert "simhei" not in str(path).lower()


def test_font_dir_holds_only_the_noto_font():
    folder = fonts.cjk_font_dir()
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert names == ["NotoSansCJKsc-Regular.otf"]
    assert (folder / names[0]).resolve() == fonts.cjk_font_path()
    assert fonts.cjk_font_dir() == folder  # second call reuses it


def test_missing_font_raises_chinese_error(monkeypatch):
    import mplfonts

    monkeypatch.setattr(mplfonts, "__file__", "/nonexistent/mplfonts/__init__.py")
    with pytest.raises(fonts.FontMissingError, match="未找到中文字体"):
        fonts.cjk_font_path()


def test_missing_glyphs_of_chinese_sentence_is_empty():
    assert fonts.missing_glyphs(SENTENCE) == set()
    assert fonts.missing_glyphs("国资\n委 ") == set()


def test_missing_glyphs_reports_uncovered_characters():
    # Thai letters are outside Noto Sans CJK SC.
    assert fonts.missing_glyphs("资产ก") == {"ก"}


def test_use_cjk_font_sets_rcparams_and_is_idempotent():
    with matplotlib.rc_context():
        family = fonts.use_cjk_font()
        count = len(matplotlib.font_manager.fontManager.ttflist)
        assert fonts.use_cjk_font() == family == fonts.CJK_FONT_FAMILY
        assert len(matplotlib.font_manager.fontManager.ttflist) == count
        assert matplotlib.rcParams["font.family"] == ["sans-serif"]
        assert matplotlib.rcParams["font.sans-serif"][0] == family
        assert matplotlib.rcParams["font.sans-serif"].count(family) == 1
        assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_chinese_chart_has_no_missing_glyph_warning():
    with matplotlib.rc_context():
        fonts.use_cjk_font()
        fig, ax = plt.subplots(figsize=(4, 3))
        try:
            ax.plot([1, 2, 3], [-1.5, 0.5, 2.0])
            ax.set_title("各集团资产负债率（%）")
            ax.set_xlabel("月份")
            ax.set_ylabel("利润总额（万元）")
            buffer = io.BytesIO()
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                fig.savefig(buffer, format="png")
        finally:
            plt.close(fig)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_subset_woff_covers_text_and_ascii_only():
    data = fonts.subset_font_woff(SENTENCE)
    assert data[:4] == b"wOFF"
    font = TTFont(io.BytesIO(data))
    cmap = font.getBestCmap()
    assert all(ord(ch) in cmap for ch in SENTENCE)
    assert all(code in cmap for code in range(0x21, 0x7F))
    assert ord("预") not in cmap  # not in the text: not in the subset
    assert font["name"].getDebugName(1).startswith(fonts.CJK_FONT_FAMILY)


def test_subset_woff_is_deterministic_and_small():
    fonts.subset_font_woff.cache_clear()
    first = fonts.subset_font_woff("国资委")
    fonts.subset_font_woff.cache_clear()
    assert fonts.subset_font_woff("国资委") == first
    assert len(first) < 60_000
