"""The whole pipeline on the demo district: data → library → papermill notebooks → rendered book.

This is what `make report` does, run into temporary folders so the repository's
own publication is untouched. Marked slow (it executes every notebook once).
"""

import hashlib
import html
import json
import re
import shutil
import subprocess
from urllib.parse import unquote, urlsplit

import pytest
from pypdf import PdfReader

from guozi_analysis.base import config
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.fonts import missing_glyphs
from guozi_analysis.base.params import district_settings, load_yaml
from guozi_analysis.publishing import book, profiles
from guozi_analysis.running import runner as pipeline

pytestmark = pytest.mark.slow
PERIOD = "2022-11"


def _place(reports, kind: str, label: str) -> pipeline.PublicationPlace:
    """:func:`pipeline.publication_place` of the project, under a temporary ``reports/``."""
    folder = pipeline.PUBLICATIONS[kind]["folder"]
    return pipeline.PublicationPlace(kind, label, reports / folder / label, reports / "_build" / folder / label)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    reports = root / "reports"
    reports.mkdir()
    place = _place(reports, "review", PERIOD)
    log: list[str] = []
    summary = pipeline.run_period(PERIOD, jobs=2, runs_dir=root / "runs", publish_to=place.executed,
                                  log=log.append)
    assert summary.ok, summary.table()
    render_log: list[str] = []
    written = pipeline.render_review(place, engine="builtin", reports_dir=reports, log=render_log.append)
    return {"reports": reports, "place": place, "executed": place.executed, "summary": summary,
            "outputs": written["internal"], "engine": "builtin", "public": written["public"],
            "volume": written["profiles"]["html"], "log": log, "render_log": render_log}


def test_the_log_has_one_timed_line_per_stage_and_each_notebook_once(published):
    """issue 28 (a scheduler's log): intake, shared step, each district notebook, each batch of profiles —
    one line each with the clock time and the time taken; no notebook listed twice."""
    log = published["log"]
    assert all(re.match(r"\d\d:\d\d:\d\d ", line) for line in log), log
    assert not [line for line in log if re.search(r"\d\d:\d\d:\d\d.*\d\d:\d\d:\d\d", line)], log  # one clock time a line
    timed = [line for line in log if "（用时 " in line]
    assert [line[9:13] for line in timed[:2]] == ["接收校验", "共享步骤"]
    labels = [r.label for r in published["summary"].results]
    district = [lbl for lbl in labels if not lbl.startswith("profile_")]
    for label in district:
        assert sum(f"笔记本 {label}：" in line for line in timed) == 1, label
    batches = [line for line in timed if "企业画像第 " in line]
    assert batches and sum(int(re.search(r"（(\d+) 本）", line).group(1)) for line in batches) == 46
    for label in labels:
        assert sum(label in line for line in log) <= 1, label
    assert len(timed) == 2 + len(district) + len(batches)


def test_every_enterprise_has_a_profile(published, demo_inbox):
    labels = [r.label for r in published["summary"].results]
    tree = EnterpriseTree.from_roster(demo_inbox.tables["roster"])
    assert len(tree.order) == 46
    assert [lbl for lbl in labels if lbl.startswith("profile_")] == [f"profile_{e}" for e in tree.order]
    assert "10_district_overview.ipynb" in labels and "01_review_2022.ipynb" in labels
    timing = json.loads((published["executed"] / "manifest.json").read_text("utf-8"))["profile_timing"]
    assert timing["profiles"] == 46 and timing["empty_notebook"] > 0
    for e in ("G01", "G01-01-02"):  # the executed notebook keeps papermill's injected parameters (audit trail)
        nb = json.loads((published["executed"] / "profiles" / f"profile_{e}.ipynb").read_text("utf-8"))
        injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
        assert len(injected) == 1 and f'entity_id = "{e}"' in "".join(injected[0]["source"])
        assert nb["metadata"]["papermill"]["parameters"]["entity_id"] == e


def _html_tables(nb_path) -> dict[str, list[list[str]]]:
    """The profile's tables by caption (``#| tbl-cap``): body rows as lists of cell texts (th and td)."""
    nb = json.loads(nb_path.read_text("utf-8"))
    tables = {}
    for cell in nb["cells"]:
        source = "".join(cell.get("source", ""))
        caption = re.match(r"#\| tbl-cap: (.*)", source)
        html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", []))
        if not caption or "<tbody>" not in html:
            continue
        body = html.split("<tbody>", 1)[1]
        tables[caption.group(1)] = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
                                    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
    return tables


def test_each_profile_shows_the_stored_indicators(published):
    """Every profile's 本企业 column equals the stored indicators (万元 shown in 亿元, 2 decimals, counts whole,
    missing "—")."""
    import pandas as pd

    from guozi_analysis.indicators.catalogue import catalogue_frame

    stored = pd.read_parquet(published["summary"].run_dir / "processed" / "indicators.parquet")
    meta = catalogue_frame().set_index("name_zh")
    checked = 0
    for nb_path in sorted((published["executed"] / "profiles").glob("profile_*.ipynb")):
        entity = nb_path.stem.removeprefix("profile_")
        own = stored.loc[stored["entity_id"] == entity].set_index("indicator_id")["value"]
        tables = _html_tables(nb_path)
        rows = tables["六张报表指标（本企业与全区）"] + tables["扩投资指标"]
        assert len(rows) == len(meta)
        table = None
        for row in rows:
            if len(row) == 6:  # the 报表 cell: printed on the first row of each report table, blank below it
                table = row.pop(0) or table
            name, shown = row[0], row[2]
            assert table and "nan" not in " ".join(row).lower(), (entity, row)
            value = own.get(meta.loc[name, "id"])
            unit = meta.loc[name, "unit"]
            digits = 0 if unit in ("个", "家", "支", "人", "笔") else 2
            expected = "—" if value is None or pd.isna(value) else \
                f"{(value * (1 / 10_000) if unit == '万元' else value):,.{digits}f}"
            assert shown == expected, (entity, name, shown, expected)
            checked += 1
    assert checked == 46 * 69  # 69 catalogue indicators (营业成本、三项费用 added, issue 26)


def test_a_profile_opens_with_main_business_and_assessment_and_ends_with_supervisory_points(published, demo_inbox):
    """Issue 26, on the rendered profiles of 文旅集团 and 海湾酒店: 主营业务 from the roster, the assessment against
    the peers, the advice of every rule the enterprise triggered, and tables numbered 1..n without gaps."""
    import pandas as pd

    from guozi_analysis.analyses.risk.rules import load_rules

    folder = published["volume"].parent
    roster = demo_inbox.tables["roster"].set_index("enterprise_id")
    flags = pd.read_parquet(published["summary"].run_dir / "processed" / "risk_evaluation.parquet")
    advice = {rule.id: rule.advice for rule in load_rules().rules}
    for code in ("G04", "G04-03"):
        pdf = re.sub(r"\s+", "", _pdf_text(folder / "pdf" / f"{code}.pdf"))
        page = _html_text(folder / f"{code}.html")
        assert f"主营业务：{roster.loc[code, 'main_business']}" in pdf, code
        assert re.search(r"总体评价：在\S+（\d+家）中，本期半月晾晒六表总分[\d.]+分，排第\d+名", pdf), code
        assert "优于同类中位数" in pdf or "不及同类中位数" in pdf, code
        hit = flags.loc[(flags["entity_id"] == code) & flags["triggered"].astype(bool), "rule_id"]
        points = [advice[r] for r in hit if advice.get(r)]
        assert points, code  # the demo's 文旅 (maturity wall) and 海湾酒店 (negative interest cover) trigger rules
        tail = pdf.split("监管要点")[-1]
        assert all(re.sub(r"\s+", "", p) in tail for p in points), code  # the profile ends with them
        numbers = [int(n) for n in re.findall(r"表(\d+)　", page)]
        assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 5, (code, numbers)


def test_profiles_volume_lists_every_enterprise_and_grows_linearly(published, demo_inbox):
    index = published["volume"]
    folder = index.parent
    text = index.read_text("utf-8")
    listed = json.loads(re.search(r'id="gz-enterprises">(.*?)</script>', text, re.S).group(1))
    roster = demo_inbox.tables["roster"]
    assert sorted(e["code"] for e in listed) == sorted(roster["enterprise_id"].astype(str))
    assert {e["name"] for e in listed} == set(roster["name"].astype(str))
    for entry in listed:
        assert (folder / entry["page"]).exists() and (folder / entry["pdf"]).exists(), entry["code"]
        assert entry["short_name"] and entry["function_class"] and entry["level"]
    assert 2 <= len(PdfReader(folder / "pdf" / "G01-01-02.pdf").pages) <= 4
    assert len(PdfReader(folder / "pdf" / "G01.pdf").pages) <= 6
    assert len(PdfReader(folder / "pdf" / f"{profiles.INDEX_PDF}.pdf").pages) >= 1
    names = list(roster["name"].astype(str))
    for page in folder.glob("*.html"):
        if page.name == "index.html":
            continue
        html = page.read_text("utf-8")
        assert "gz-enterprises" not in html and "gz-search-index" not in html, page.name
        assert sum(name in html for name in names) < len(names) // 2, page.name  # its own family only
        assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html), page.name
        visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S))
        assert "NaN" not in visible and "nan" not in visible.split(), page.name
        assert not re.search(r"\bG0\d(-\d\d)*\b", visible), page.name  # no codes, names only
    review = (published["outputs"]["html"].parent / "index.html").read_text("utf-8")
    assert 'href="profiles/index.html"' in review and "企业画像（另册）" in review
    assert folder == published["outputs"]["html"].parent / "profiles"  # inside the review's HTML folder


def test_run_manifest_records_inputs_parameters_and_version(published):
    manifest = json.loads((published["executed"] / "manifest.json").read_text("utf-8"))
    assert manifest["package_version"]
    assert manifest["parameters"]["period"] == PERIOD
    assert any(k.startswith("data/") for k in manifest["inputs"])
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in manifest["inputs"].values())


def test_pdf_has_chinese_headings_embedded_cjk_font_and_charts(published):
    pdf = published["outputs"]["pdf"]
    assert pdf.name == "review.pdf"
    reader = PdfReader(pdf)
    text = "".join(page.extract_text() or "" for page in reader.pages)
    flat = re.sub(r"\s+", "", text)
    for heading in ("全区国企经济运行概况", "企业画像（另册）", "指标词典", "一、2022年工作完成情况", "数据质量报告"):
        assert heading in flat, heading
    # numbered tables and figures (chapter-wise, as in a Quarto book; the overview is appendix A), the same in HTML
    assert "表A-1" in flat and "图A-1" in flat
    assert "表A-1" in (pdf.parent / "10_district_overview.html").read_text("utf-8")
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
    assert "@font-face" in (html_dir / "book.css").read_text("utf-8")  # the font subset, written once
    for page in pages:
        text = page.read_text("utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", text), page.name
        assert not re.search(r"url\(\s*['\"]?https?://", text), page.name
        assert '<link rel="stylesheet" href="book.css">' in text
        visible = re.sub(r"<[^>]+>", "", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", text, flags=re.S))
        shown = {ch for ch in visible if ord(ch) > 0x7F and not ch.isspace()}  # every non-ASCII character
        assert not missing_glyphs("".join(shown)), page.name


def _image_draws(reader: PdfReader) -> dict[int, int]:
    """How many times each image of the PDF is drawn, by object number."""
    draws: dict[int, int] = {}
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        names = {str(n): ref.idnum for n, ref in xobjects.items() if ref.get_object().get("/Subtype") == "/Image"}
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else []
        data = b"\n".join(c.get_object().get_data() for c in (contents if isinstance(contents, list) else [contents]))
        for name in re.findall(rb"(/[^\s/]+)\s+Do\b", data):
            if name.decode("latin-1") in names:
                key = names[name.decode("latin-1")]
                draws[key] = draws.get(key, 0) + 1
    return draws


@pytest.mark.parametrize("edition", ["outputs", "public"])
def test_no_image_is_drawn_twice_nor_shown_twice_in_a_page_or_a_cell(published, edition):
    """One figure per cell: a figure returned by a view is not shown again by the inline backend.

    Counts the drawings of each PDF image (the same picture twice on one page is one image object
    drawn twice), the images of each HTML page and the image outputs of each executed cell.
    """
    draws = _image_draws(PdfReader(published[edition]["pdf"]))
    assert not draws or max(draws.values()) == 1, draws
    if edition == "outputs":
        assert len(draws) >= 3  # the review's charts are there (the public edition may have none)
    for page in published[edition]["html"].parent.glob("*.html"):
        images = re.findall(r'<img src="(data:[^"]+)"', page.read_text("utf-8"))
        assert len(images) == len(set(images)), page.name
    for executed in (published["executed"]).rglob("*.ipynb"):
        for cell in json.loads(executed.read_text("utf-8"))["cells"]:
            shown = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            assert len(shown) <= 1, (executed.name, "".join(cell["source"])[:60])


def test_everything_a_run_writes_is_ignored_by_git(published):
    """`guozi report` leaves the checkout clean: each file it writes under reports/ is git-ignored."""
    written = [p.relative_to(published["reports"]) for p in published["reports"].rglob("*") if p.is_file()]
    assert any(p.name == "_quarto.yml" for p in written)
    paths = [f"reports/{p.as_posix()}" for p in written] + ["runs/x/manifest.json", "data/processed/x.parquet"]
    ignored = subprocess.run(["git", "-c", "core.quotepath=off", "check-ignore", "--no-index", *paths], cwd=config.PROJECT_ROOT,
                             capture_output=True, text=True).stdout.split()
    assert sorted(set(paths) - set(ignored)) == []


def _pdf_text(path):
    return "".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _html_text(path):
    """What a reader sees on an HTML page: no scripts, styles or tags."""
    page = path.read_text("utf-8")
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _edition_texts(outputs):
    html_dir = outputs["html"].parent
    return [_pdf_text(outputs["pdf"])] + [_html_text(p) for p in sorted(html_dir.glob("*.html"))]


def _internal_titles(published):
    """The first heading of every chapter the public edition leaves out."""
    public = set(book.public_selection(*book.chapter_files(published["executed"], published["reports"]),
                                      settings=district_settings())[0])
    titles = []
    for path in sorted((published["executed"]).glob("[0-9][0-9]_*.ipynb")):
        if f"{published['executed'].relative_to(published['reports']).as_posix()}/{path.name}" in public or path.stem in district_settings()["report"]["public_edition"]:
            continue
        first = json.loads(path.read_text("utf-8"))["cells"][0]
        title = "".join(first["source"]).lstrip("# ").split("{")[0].strip()
        titles.append(title)
    return titles


def _flagged(published):
    import pandas as pd

    shared = published["summary"].run_dir / "processed"
    return pd.read_parquet(shared / "risk_list.parquet")["entity_id"].astype(str).tolist()


def test_public_edition_names_no_subsidiary_no_flagged_enterprise_and_no_missing_chapter(published, demo_inbox):
    roster = demo_inbox.tables["roster"]
    public_pdf = published["public"]["pdf"]
    assert public_pdf.name == "review-public.pdf"
    texts = _edition_texts(published["public"])
    leaks = book.public_leaks(texts, roster=roster, flagged=_flagged(published),
                              internal_titles=_internal_titles(published))
    assert leaks == []
    internal = _pdf_text(published["outputs"]["pdf"])
    subsidiaries = roster.loc[roster["level"] > 1]
    assert any(name in internal for name in subsidiaries["name"]), "内部版应包含子企业明细"


def test_the_public_check_catches_a_short_name_or_code_put_into_a_public_chapter(published, demo_inbox):
    roster = demo_inbox.tables["roster"]
    clean = _edition_texts(published["public"])
    sub = roster.loc[roster["level"] > 1].iloc[0]
    for leaked in (str(sub["short_name"]), str(sub["enterprise_id"]), str(sub["name"])):
        texts = clean[:1] + [clean[1] + f"\n附表：{leaked} 的营业收入\n"] + clean[2:]
        leaks = book.public_leaks(texts, roster=roster, flagged=_flagged(published),
                                  internal_titles=_internal_titles(published))
        assert any(leaked in line for line in leaks), leaked
    flagged_group = next(e for e in _flagged(published) if "-" not in e)
    name = roster.loc[roster["enterprise_id"] == flagged_group, "short_name"].iloc[0]
    assert book.public_leaks([f"{name}担保超标"], roster=roster, flagged=[flagged_group])
    assert book.public_leaks(["详见债务风险预警与重点监管对象一章"], roster=roster,
                             internal_titles=_internal_titles(published))


@pytest.mark.parametrize("edition", ["outputs", "public"])
def test_no_machine_text_in_the_rendered_review(published, edition):
    found = {}
    for k, text in enumerate(_edition_texts(published[edition])):
        bad = book.machine_text(text)
        if bad:
            found[k] = sorted(set(bad))[:20]
    assert found == {}


def _appendix_page(pdf):
    """The 1-based page number of the 附录 part page, from the PDF's bookmarks (the first appendix follows it)."""
    reader = PdfReader(pdf)
    for entry in reader.outline:
        if not isinstance(entry, list) and entry.title.strip() == "附录":
            return reader.get_destination_page_number(entry) + 1
    return None


def test_review_body_is_at_most_forty_pages(published):
    limit = load_yaml("bulletins.yaml")["pages"]["review_body"]
    page = _appendix_page(published["outputs"]["pdf"])
    assert page is not None and page - 1 <= limit, page


def _image_digests(pdf):
    digests = []
    for page in PdfReader(pdf).pages:
        for image in page.images:
            digests.append(hashlib.sha256(image.data).hexdigest())
    return digests


def test_no_image_appears_twice(published):
    for edition in ("outputs", "public"):
        digests = _image_digests(published[edition]["pdf"])
        assert len(digests) == len(set(digests)), edition
    digests = _image_digests(published["outputs"]["pdf"])
    assert len(digests) >= 3  # the charts are there


def _overflowing_text(pdf_path):
    """Text runs whose estimated extent leaves the page (CJK ≈ 1 em, other characters ≈ 0.55 em)."""
    bad = []
    for number, page in enumerate(PdfReader(pdf_path).pages, 1):
        width = float(page.mediabox.width)

        def visit(text, cm, tm, font, size, number=number, width=width):
            text = text.strip()
            if not text:
                return
            scale = (cm[0] ** 2 + cm[1] ** 2) ** 0.5 * (tm[0] ** 2 + tm[1] ** 2) ** 0.5
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            em = size * scale
            extent = sum(em if ord(ch) > 0x2E80 else 0.55 * em for ch in text)
            if x < -1 or x + extent > width + 2:
                bad.append((number, round(x), round(extent), text[:30]))

        page.extract_text(visitor_text=visit)
    return bad


def test_overflow_check_detects_text_beyond_the_page(tmp_path):
    import typst

    from guozi_analysis.base.fonts import cjk_font_dir

    src = tmp_path / "wide.typ"
    src.write_text('#set text(font: "Noto Sans CJK SC")\n正文\n#place(dx: 520pt)[超出页面右边的文字]\n', "utf-8")
    typst.compile(str(src), output=str(tmp_path / "wide.pdf"), font_paths=[str(cjk_font_dir())])
    assert _overflowing_text(tmp_path / "wide.pdf")


@pytest.mark.parametrize("edition", ["outputs", "public"])
def test_no_table_or_text_overflows_the_page(published, edition):
    assert _overflowing_text(published[edition]["pdf"]) == []


def test_engine_is_reported(published):
    expected = "quarto" if shutil.which("quarto") else "builtin"
    assert published["engine"] in ("builtin", expected)


def test_every_key_supervision_flag_in_the_book_shows_value_threshold_rule_and_source(published):
    import yaml

    truth = yaml.safe_load((config.DEMO_DIR / "ground_truth.yaml").read_text("utf-8"))
    page = (published["outputs"]["html"].parent / "40_debt_risk.html").read_text("utf-8")
    text = re.sub(r"<[^>]+>", "", page.split("<main", 1)[-1])
    messages = re.findall(r"[^。\n]*：[^：\n]*。规则：[^；\n]*；依据：[^\n<]*", text)
    assert len(messages) >= 6, "重点监管名单中每条说明都应完整显示"
    for msg in messages:
        assert re.search(r"-?\d[\d,]*\.\d+", msg), msg  # the value and the threshold
        assert "规则：" in msg and "依据：" in msg
    names = [e["name"] for rule in truth["rules"].values() for e in rule.get("entities", []) if "name" in e]
    assert len(names) >= 3
    for name in names:  # every enterprise the generator put on the list appears with a full reason
        assert any(name in msg for msg in messages), name


def _notebook_table(nb_path, caption: str) -> list[dict[str, str]]:
    """The rows (header → cell text) of the table a notebook cell printed under ``#| tbl-cap: caption``."""
    nb = json.loads(nb_path.read_text("utf-8"))
    for cell in nb["cells"]:
        if f"#| tbl-cap: {caption}\n" not in "".join(cell.get("source", "")) + "\n":
            continue
        page = "".join("".join(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", []))
        if "<tbody>" not in page:
            continue
        cells = lambda row: [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()  # noqa: E731
                             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        header = cells(re.search(r"<thead>(.*?)</thead>", page, re.S).group(1))
        body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        return [dict(zip(header, cells(row))) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
    raise AssertionError(f"没有找到表格：{caption}")


def test_the_assessment_workbook_prints_the_books_scores_and_the_key_supervision_deduction(published):
    """What the workbook file contains equals what the executed chapter printed in 得分与等级 (表H-2), to
    the cent; and every group on the risk chapter's key-supervision list, or with a subsidiary on it,
    carries the deduction (issue 25)."""
    import openpyxl
    import pandas as pd

    executed = published["executed"]
    book = _notebook_table(executed / "80_annual_assessment.ipynb", "本年度考核（12月快报前为预评估）·得分与等级")
    wb = openpyxl.load_workbook(executed / "outputs" / "经营业绩考核预评估_2022.xlsx", read_only=True)
    rows = list(wb["排名与等级（预评估）"].iter_rows(values_only=True))
    workbook = {r[rows[0].index("企业")]: r[rows[0].index("总分")] for r in rows[1:]}
    assert len(book) == len(workbook) == 6
    for row in book:
        assert f"{workbook[row['企业']]:.2f}" == f"{float(row['总分']):.2f}", row["企业"]
    processed = published["summary"].run_dir / "processed"
    listed = pd.read_parquet(processed / "risk_list.parquet")
    groups = EnterpriseTree.from_roster(pd.read_parquet(processed / "table_roster.parquet")).group_map()
    per_group = pd.Series([groups[e] for e in listed["entity_id"]]).value_counts()
    sheet = pd.read_parquet(processed / "assessment_sheet.parquet")
    pen = sheet.loc[(sheet["year"] == 2022) & (sheet["item_id"] == "debt_key_supervision")]
    assert len(pen) == 6
    for r in pen.itertuples():
        assert r.points == -min(int(per_group.get(r.enterprise_id, 0)), 3), (r.enterprise_id, r.workings)
    assert pen.set_index("enterprise_id").loc["G02", "points"] == -1  # 交投: listed itself (超股比担保)


def test_a_failing_profile_leaves_the_others_and_the_last_publication_intact(published, tmp_path, monkeypatch):
    """Real notebooks: one profile fails (an enterprise the roster does not know), the rest complete."""
    executed = published["executed"]
    before = (executed / "manifest.json").read_text("utf-8")
    # the runner refuses an unknown enterprise before any notebook starts ...
    with pytest.raises(pipeline.UnknownEntity, match="企业名录中没有编号 G99.*集团编号有：G01、G02、G03、G04、G05、G06"):
        pipeline.run_period(PERIOD, entities=["G01", "G99"], jobs=2, runs_dir=tmp_path / "early",
                            publish_to=executed, force=True, log=lambda m: None)
    assert not list((tmp_path / "early").glob("*/*/executed"))
    # ... so, to see a profile notebook fail on its own, the runner's check is switched off here
    monkeypatch.setattr(pipeline, "check_entities", lambda entities, roster_ids: None)
    # two batches of two profiles on one kernel each: G99 fails first in its batch, G01 still runs after it
    summary = pipeline.run_period(PERIOD, entities=["G99", "G01", "G01-01", "G02"], jobs=2, runs_dir=tmp_path / "runs",
                                  publish_to=executed, force=True, log=lambda m: None)
    assert not summary.ok and not summary.published
    failed = [r for r in summary.results if r.status != "成功"]
    assert [r.label for r in failed] == ["profile_G99"], summary.table(failed_only=True)
    assert failed[0].failed_cell == 2 and "G99" in failed[0].error  # the open_context cell, in Chinese
    assert "profile_G99" in summary.table()
    assert all(r.status == "成功" for r in summary.results if r.label != "profile_G99")
    assert (executed / "manifest.json").read_text("utf-8") == before
    assert not (executed / "profiles" / "profile_G99.ipynb").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cell_texts(path) -> list[str]:
    """The text outputs of every code cell (what a reader sees), without execution metadata."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            out.append(str(data.get("text/markdown") or data.get("text/html") or data.get("text/plain") or
                           o.get("text", "")))
    return out


@pytest.fixture()
def dask_cluster():
    """A Dask scheduler and one worker on 127.0.0.1, as separate processes; stopped afterwards."""
    import os
    import sys
    import time

    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(config.PROJECT_ROOT / "src"), "OPENBLAS_NUM_THREADS": "1"}
    bin_dir = os.path.dirname(sys.executable)
    scheduler = subprocess.Popen([os.path.join(bin_dir, "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([os.path.join(bin_dir, "dask"), "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "1",
                               "--nthreads", "2", "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        from distributed import Client

        deadline = time.time() + 60
        with Client(f"tcp://127.0.0.1:{port}", timeout=60) as client:
            while not client.scheduler_info()["workers"] and time.time() < deadline:
                time.sleep(0.5)
            assert client.scheduler_info()["workers"], "Dask 工作进程未能启动"
        yield f"tcp://127.0.0.1:{port}"
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_dask_fan_out_gives_the_same_results(published, dask_cluster, tmp_path):
    """The demo period with --scheduler: same indicators, risk list and profile outputs as the local run."""
    import pandas as pd

    # the groups and two subsidiaries: two batches of profiles, each one Dask task on one kernel
    entities = [f"G0{k}" for k in range(1, 7)] + ["G01-01", "G01-01-02"]
    summary = pipeline.run_period(PERIOD, entities=entities, jobs=2, runs_dir=tmp_path / "runs",
                                  publish_to=tmp_path / "executed", scheduler=dask_cluster, log=lambda m: None)
    assert summary.ok, summary.table()
    local = published["summary"].run_dir / "processed"
    remote = summary.run_dir / "processed"
    for name in ("indicators", "risk_list"):
        pd.testing.assert_frame_equal(pd.read_parquet(local / f"{name}.parquet"), pd.read_parquet(remote / f"{name}.parquet"))
    import json

    manifest = json.loads((tmp_path / "executed" / "manifest.json").read_text("utf-8"))
    assert manifest["executor"] == f"Dask {dask_cluster}"
    for entity in entities:
        a = published["executed"] / "profiles" / f"profile_{entity}.ipynb"
        b = tmp_path / "executed" / "profiles" / f"profile_{entity}.ipynb"
        assert _cell_texts(a) == _cell_texts(b), a.name


# ------------------------------------------------------------------------------------------------
# the short publications: 月度通报, 季度分析, 半月晾晒通报 — each into its own folder
# ------------------------------------------------------------------------------------------------
BULLETINS = {"monthly": "2022-10", "quarterly": "2022-Q3", "half_month": "2022-11-H2"}


@pytest.fixture(scope="module")
def bulletins(published):
    root = published["reports"].parent
    review = published["place"].build
    before = _tree_digest(review)
    out = {}
    for kind, label in BULLETINS.items():
        place = _place(published["reports"], kind, label)
        summary = pipeline.run_period(label, jobs=2, runs_dir=root / "runs", publish_to=place.executed,
                                      publication=kind, log=lambda m: None)
        assert summary.ok, summary.table()
        out[kind] = pipeline.render_bulletin(place, period=label, engine="builtin")
    out["review_untouched"] = _tree_digest(review) == before
    return out


def _tree_digest(folder) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_each_publication_has_its_own_folder_and_leaves_the_review_alone(bulletins):
    assert bulletins["review_untouched"]
    folders = {bulletins[kind]["pdf"].parent for kind in BULLETINS}
    assert len(folders) == 3
    assert bulletins["quarterly"]["pdf"].name == "quarterly-2022-Q3.pdf"
    assert pipeline.default_publication("2022-Q3", "quarterly").name == "2022-Q3"
    assert pipeline.default_publication("2022-10", "monthly") != pipeline.default_publication("2022-10", "review")
    import openpyxl

    workbook = bulletins["monthly"]["html"].parent / "outputs" / "月度通报_2022-10.xlsx"  # in the published folder
    sheets = openpyxl.load_workbook(workbook).sheetnames
    # the monthly's own tables joined the workbook (issue 26)
    assert sheets == ["主要指标", "分集团", "投资进度", "风险变化", "一利五率", "环比", "亏损企业", "重点工作任务", "合同与督查预警"]
    # issue 28: 同比 is a number with a percent format (百分点 for a ratio), not the text "+5.92%"
    ws = openpyxl.load_workbook(workbook)["主要指标"]
    change = [row[[c.value for c in ws[3]].index("同比")] for row in ws.iter_rows(min_row=4)]
    # 11 headline rows: 营业成本 and 三项费用 joined the 9 (issue 26)
    assert len(change) == 11 and all(isinstance(c.value, (int, float)) for c in change)
    assert {c.number_format for c in change} == {"+0.00%;-0.00%;0.00%", '+0.00"个百分点";-0.00"个百分点";0.00"个百分点"'}


@pytest.mark.parametrize("kind", list(BULLETINS))
def test_publication_fits_its_page_limit_and_shows_no_machine_text(bulletins, kind):
    pdf = bulletins[kind]["pdf"]
    limit = load_yaml("bulletins.yaml")["pages"][kind]
    assert 1 <= len(PdfReader(pdf).pages) <= limit
    texts = [_pdf_text(pdf)] + [_html_text(p) for p in bulletins[kind]["html"].parent.glob("*.html")]
    assert [book.machine_text(t) for t in texts] == [[] for _ in texts]
    digests = _image_digests(pdf)
    assert len(digests) == len(set(digests))


def test_monthly_bulletin_reads_like_the_municipal_format(bulletins):
    text = re.sub(r"\s+", "", _pdf_text(bulletins["monthly"]["pdf"]))
    assert "澜海区属国有企业2022年1—10月经济运行情况通报" in text
    assert "据企业财务快报反映，1—10月澜海区属国有企业实现营业总收入" in text
    for heading in ("主要指标", "分集团情况", "投资进度", "风险变化", "存在问题", "下步工作"):
        assert heading in text, heading
    quarterly = re.sub(r"\s+", "", _pdf_text(bulletins["quarterly"]["pdf"]))
    assert "2022年三季度经济运行分析" in quarterly and "全年预计" in quarterly and "1—9月" in quarterly
    half = re.sub(r"\s+", "", _pdf_text(bulletins["half_month"]["pdf"]))
    assert "11月下半月" in half and "序时进度灯号" in half and "未报送" in half


def test_monthly_bulletin_gives_causes_not_counts(bulletins):
    """Issue 26: the 月度通报 2022-10 prints 营业成本, 亏损企业户数 and 亏损额, a chart and a drivers sentence."""
    pdf = bulletins["monthly"]["pdf"]
    text = re.sub(r"\s+", "", _pdf_text(pdf))
    # 营业成本 200.66 亿元 (+6.48 %) grew faster than 营业总收入 (+5.92 %): 6.48 − 5.92 = 0.56 → 0.57 unrounded
    assert "营业成本200.66亿元，同比增长6.48%" in text
    assert "三项费用（销售、管理、财务费用，不含研发费用）35.33亿元" in text
    assert "营业成本增速高于营业总收入增速（增长5.92%）0.57个百分点" in text
    # 46 reporting legal entities; 海湾酒店 alone loses −1,547.24 万元: 1/46 = 2.17 %, 0.15 亿元; none a year earlier
    assert "亏损企业1户（海湾酒店），亏损面2.17%，亏损额0.15亿元；上年同期无亏损企业" in text
    assert "亏损企业户数与亏损额" in text
    # drivers: revenue +14.13 亿元; 产发 87.54 − 87.54/1.0729 = 5.95, 水务 34.69 − 34.69/1.1039 = 3.27:
    # (5.95 + 3.27) / 14.13 = 65 % ≥ cover 60 % → two named
    assert "营业总收入同比增加14.13亿元（增长5.92%），主要来自澜海产发集团（增加5.95亿元）、澜海水务集团（增加3.27亿元）" in text
    # profit +2.44: 城投 6.62 − 6.62/1.1979 = 1.09, 交投 3.75 − 3.75/1.3154 = 0.90 (81 % of 2.44)
    assert "利润总额同比增加2.44亿元（增长10.81%），主要来自澜海城投集团（增加1.09亿元）、澜海交投集团（增加0.90亿元）" in text
    assert "澜海文旅集团利润总额同比下降27.05%" in text  # the group's fall with its line items
    for heading in ("“一利五率”", "时点指标环比", "亏损企业", "重点工作任务台账进度", "营业总收入与利润总额：本年与上年逐月累计"):
        assert heading in text, heading
    assert "海湾酒店（原因：已获利息倍数为负）" in text  # the names behind the risk list
    assert "交流选拔优秀干部" in text
    assert len(_image_digests(pdf)) >= 1  # the chart


def _sentences(text: str) -> list[str]:
    """A rendered text cut into sentences at 。 and ；, whitespace, list numbers and the three headings dropped."""
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"(主要特点|存在问题|下步工作(（[一二三四]季度重点）)?)(?=\d+\.)", "", text)
    return [re.sub(r"^\d+\.", "", s) for s in re.split(r"[。；]", text) if s]


def test_quarterly_is_an_analysis_of_its_own(bulletins):
    """Issue 26: the 季度分析 2022-Q3 runs 8–15 pages with at least two charts, gives the single quarter's
    同比, the Q1–Q3 trend, the structure by class, the district's targets, the maturity wall and the 四季度
    measures, and its 特点/问题/下步 share no sentence with the 月度通报 2022-10."""
    pdf = bulletins["quarterly"]["pdf"]
    assert 8 <= len(PdfReader(pdf).pages) <= 15
    assert len(set(_image_digests(pdf))) >= 2
    text = re.sub(r"\s+", "", _pdf_text(pdf))
    # 三季度单季营业总收入 = 1—9月 2,248,205.92 − 1—6月 1,451,900.31 = 796,305.61 万元 = 79.63 亿元; a year earlier
    # 2,129,565.91 − 1,381,317.84 = 748,248.07 → 同比 796,305.61 / 748,248.07 − 1 = +6.42 %
    assert "三季度全区国有企业实现营业总收入79.63亿元，同比增长6.42%" in text
    for words in ("单季同比", "分季度走势", "2021年三季度", "按功能分类", "功能类", "竞争类", "公益类", "按行业类别",
                  "下步工作（四季度重点）", "冲刺全年目标"):
        assert words in text, words
    # the district's target is the sum of the groups' (844,440 + 373,430 + 1,152,470 + 229,520 + 424,560 +
    # 318,990 = 3,343,410 万元 = 334.34 亿元), printed instead of "—" (the projection itself is the forecast's)
    assert "从全区看，营业总收入全年预计" in text and "年度目标334.34亿元" in text
    # the maturity wall the risk engine flags, enterprise named: 文旅 2023-03 174,102.03 万元 = 17.41 亿元,
    # 174,102.03 / 192,330.19 = 90.52 % of its next 12 months
    assert "澜海文旅集团债务集中到期风险突出：2023年3月到期17.41亿元，占其未来12个月到期融资的90.52%" in text
    points = text[text.rindex("主要特点"):]
    points = points[:points.index("本期通报的表格")] if "本期通报的表格" in points else points
    monthly = set(_sentences(_pdf_text(bulletins["monthly"]["pdf"])))
    ours = _sentences(points)
    assert len(ours) >= 10
    assert [s for s in ours if s in monthly] == []


def test_the_half_month_bulletin_prints_every_enterprise_with_its_scores(published, bulletins, demo_inbox):
    """Issue 26: the 晾晒 league tables print every group and subsidiary (short name) with its score on each of the
    six report tables and its 六表总分, in the order of the stored ranking (the whole bulletin within its page limit,
    checked above); ties print 并列."""
    import pandas as pd

    text = re.sub(r"\s+", "", _pdf_text(bulletins["half_month"]["pdf"]))
    runs = published["reports"].parent / "runs" / "2022-11-H2"
    composite = pd.read_parquet(sorted(runs.glob("*/processed/ranking_composite.parquet"))[-1])
    short = demo_inbox.tables["roster"].set_index("enterprise_id")["short_name"].astype(str)
    checked = 0
    for level, caption in (("group", "集团六张报表得分与排名"), ("enterprise", "子企业六张报表得分与排名")):
        start = text.index(caption)
        scores = composite.loc[composite["level"] == level].sort_values("table_order")
        for entity, rows in scores.groupby("entity_id"):
            at = text.index(short[entity], start) + len(short[entity])
            for score in rows["score"]:  # six tables then the total, as printed left to right
                shown = ["—"] if pd.isna(score) else [f"{score:.2f}", f"{score:g}"]
                found = [text.find(s, at, at + 120) for s in shown if text.find(s, at, at + 120) >= 0]
                assert found, (entity, score, text[at:at + 120])
                at = min(found) + 1
            checked += 1
    assert checked == len(short) == 46
    ties = composite.loc[composite["is_tie"].astype(bool) & (composite["table"] == "overall")]
    assert ties.empty or "并列" in text


# ------------------------------------------------------------------------------------------------
# folders a reader can copy, Word drafts, search over the profiles (issue 28), and one place per
# period that a later or a failing run never touches (issue 25)
# ------------------------------------------------------------------------------------------------


def broken_links(folder) -> list[tuple[str, str]]:
    """Every href/src of every HTML page under ``folder`` that does not resolve inside the copy:
    a missing file, or an ``#anchor`` missing from the HTML page it names (``?query`` ignored;
    external, data:, mailto: and javascript: references are not links into the folder)."""
    ids: dict = {}

    def anchors(page):
        if page not in ids:
            ids[page] = set(re.findall(r'\bid="([^"]+)"', page.read_text("utf-8")))
        return ids[page]

    broken = []
    for page in sorted(folder.rglob("*.html")):
        for ref in re.findall(r'\b(?:href|src)="([^"]*)"', page.read_text("utf-8")):
            ref = html.unescape(ref)
            if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", ref, re.I):
                continue
            parts = urlsplit(ref)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            inside = target == folder.resolve() or folder.resolve() in target.parents
            if not inside or not target.is_file() or (
                    parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in anchors(target)):
                broken.append((page.relative_to(folder).as_posix(), ref))
    return broken


def test_the_link_checker_finds_a_missing_file_an_anchor_and_a_way_out(tmp_path):
    (tmp_path / "a.html").write_text('<p id="x"><a href="b.html#y">b</a><a href="a.html#x">x</a>'
                                     '<a href="../pdf/review.pdf">pdf</a><a href="c.pdf">c</a>'
                                     '<a href="https://example.org/">e</a><a href="#z">z</a>'
                                     '<a href="b.html?hl=%E5%9F%8E%E6%8A%95">hl</a></p>', "utf-8")
    (tmp_path / "b.html").write_text('<h1 id="q">b</h1>', "utf-8")
    assert broken_links(tmp_path) == [("a.html", "b.html#y"), ("a.html", "../pdf/review.pdf"),
                                      ("a.html", "c.pdf"), ("a.html", "#z")]


def _search_index(folder) -> list[dict]:
    text = (folder / "search.js").read_text("utf-8")
    return json.loads(re.search(r"window\.GZ_SEARCH_INDEX = (.*?);\n", text).group(1))


def test_the_review_folder_copied_elsewhere_has_no_broken_link(published, tmp_path):
    """The internal edition's folder holds its PDF, Word draft, cited workbooks and the profiles volume."""
    source = published["outputs"]["html"].parent
    # the folder the README says to copy: reports/_build/review/<期间>/html/, the profiles volume inside it
    assert source.relative_to(published["reports"]).as_posix() == f"_build/review/{PERIOD}/html"
    assert (source / "profiles" / "index.html").is_file()
    copy = tmp_path / "拷贝" / "年度工作总结"
    shutil.copytree(source, copy)
    pages = list(copy.rglob("*.html"))
    links = sum(len(re.findall(r'\b(?:href|src)="', p.read_text("utf-8"))) for p in pages)
    assert len(pages) > 46 and links > 1000
    assert broken_links(copy) == []
    # one timed line per edition and for the volume, naming the files where they were published
    assert [line[9:].split("：")[0] for line in published["render_log"]] == ["渲染内部版", "渲染企业画像（另册）", "渲染公开版"]
    assert str(published["outputs"]["docx"]) in published["render_log"][0]
    index = (copy / "index.html").read_text("utf-8")
    for href in ("review.pdf", "review.docx", "profiles/index.html"):
        assert f'href="{href}"' in index, href
    assessment = (copy / "80_annual_assessment.html").read_text("utf-8")
    cited = [html.unescape(h) for h in re.findall(r'href="(outputs/[^"]+\.xlsx)"', assessment)]
    assert cited and all((copy / unquote(h)).is_file() for h in cited)
    # the search's entries (links written by search.js, not in any page) resolve in the copy too
    for entry in _search_index(copy):
        assert (copy / entry["p"]).is_file(), entry["p"]
    public = tmp_path / "公开版"
    shutil.copytree(published["public"]["html"].parent, public)
    assert broken_links(public) == []
    assert not (public / "profiles").exists()


def test_the_book_search_offers_each_enterprise_profile_by_its_short_name(published, demo_inbox):
    folder = published["outputs"]["html"].parent
    index = _search_index(folder)
    roster = demo_inbox.tables["roster"]
    for row in roster.itertuples():
        short = str(row.short_name).lower()
        hits = [e["p"] for e in index if short in (e["t"] + " " + e["h"] + " " + e["x"]).lower()]  # as search.js matches
        assert f"profiles/{row.enterprise_id}.html" in hits, row.short_name
    assert not any(e["p"].startswith("profiles/") for e in _search_index(published["public"]["html"].parent))
    script = (folder / "search.js").read_text("utf-8")
    assert "?hl=" in script and 'mark.className = "gz-hit"' in script


def _docx_texts(document) -> list[str]:
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return texts


def _check_word_draft(path, *, headings: list[str], book: bool = True, appendices: bool = True):
    """A Word draft: its headings, tables and page numbers; the heading level of every 公文 number (一、 is
    Heading 1, （一） Heading 2, 1. Heading 3, with no level skipped); every table in the A4 text width with
    each column at least as wide as its widest figure; negative numbers with the minus sign (as the PDF); a
    book (not a bulletin) opens with a table of contents and starts its appendices on a new page."""
    import docx
    from docx.enum.section import WD_SECTION
    from docx.shared import Mm

    from guozi_analysis.publishing.render.office import (
        has_page_field,
        marker_level,
        repeats_header,
        toc_field,
        unbreakable_width,
    )

    document = docx.Document(str(path))
    shown = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for heading in headings:
        assert heading in shown, (path.name, heading, shown[:20])
    assert document.tables and all(repeats_header(t) for t in document.tables), path.name
    assert all(has_page_field(s.footer) for s in document.sections), path.name
    levels = [(int(p.style.name.split()[-1]), p.text) for p in document.paragraphs
              if re.fullmatch(r"Heading \d", p.style.name)]
    assert [(lv, t) for lv, t in levels if marker_level(t) not in (None, lv)] == [], path.name
    assert all(b <= a + 1 for (a, _), (b, _) in zip(levels, levels[1:])), path.name
    text_width = Mm(210 - 28 - 26)
    for table in document.tables:
        widths = [col.width for col in table.columns]
        assert sum(widths) <= text_width + Mm(0.2), path.name
        sizes = table._tbl.xpath(".//w:rPr/w:sz/@w:val")  # a wide table is set smaller on its runs
        half_em = Mm(25.4 / 72 * (min(int(v) for v in sizes) / 2 if sizes else 9) / 2)  # else 小五, 9 pt
        for k, column in enumerate(table.columns):
            figures = [c.text for c in column.cells if c.text.strip() and not any(ord(ch) > 0x2E80 for ch in c.text)]
            widest = max(map(unbreakable_width, figures), default=0)
            assert widths[k] >= widest * half_em, (path.name, k, widest)  # a figure never wraps
    texts = "\n".join(_docx_texts(document))
    assert re.findall(r"(?<![\w.])-\d", texts) == [], path.name  # −8.24, not -8.24
    assert (toc_field(document) is not None) == book, path.name
    title = next(p.text for p in document.paragraphs if p.style.name == "Title")
    # no heading repeating the title under it (as the PDF); a book's parts may name what its title joins
    # (二、2023年工作思路 under 2022年度工作总结与2023年工作思路), a bulletin's one chapter may not
    assert not [h for h in shown if (h == title if book else h in title)], path.name
    if book:
        assert document.sections[-1].start_type == WD_SECTION.NEW_PAGE
    if book and appendices:  # the public summary (issue 26) has no appendix
        appendix = next(k for k, p in enumerate(document.paragraphs) if p.text.startswith("附录A"))
        assert document.paragraphs[appendix - 1]._p.pPr.sectPr is not None, path.name
    return document


def test_each_review_edition_has_a_word_draft_and_the_public_one_passes_the_public_check(published, demo_inbox):
    internal = _check_word_draft(published["outputs"]["docx"],
                                 headings=["一、2022年工作完成情况", "二、2023年工作思路", "附录A　全区国企经济运行概况"])
    assert published["outputs"]["docx"].parent == published["outputs"]["html"].parent
    # issue 26: the public edition is its own summary (一、2022年工作情况 … 二、2023年工作安排), not the internal body
    public = _check_word_draft(published["public"]["docx"], headings=["年度工作情况公开摘要", "一、2022年工作情况",
                                                                      "二、2023年工作安排"], appendices=False)
    roster = demo_inbox.tables["roster"]
    assert book.public_leaks(["\n".join(_docx_texts(public))], roster=roster, flagged=_flagged(published),
                             internal_titles=_internal_titles(published)) == []
    subsidiaries = roster.loc[roster["level"] > 1, "name"]
    assert any(name in "\n".join(_docx_texts(internal)) for name in subsidiaries), "内部版应包含子企业明细"


@pytest.mark.parametrize("kind", list(BULLETINS))
def test_each_bulletin_folder_has_its_word_draft_and_workbook_and_copies_whole(bulletins, kind, tmp_path):
    folder = bulletins[kind]["html"].parent
    assert bulletins[kind]["pdf"].parent == bulletins[kind]["docx"].parent == folder
    _check_word_draft(bulletins[kind]["docx"], headings=[], book=False)
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    assert broken_links(copy) == []
    pages = "".join(p.read_text("utf-8") for p in copy.glob("*.html"))
    if kind in ("monthly", "quarterly"):
        name = {"monthly": "月度通报_2022-10.xlsx", "quarterly": "季度分析_2022-09.xlsx"}[kind]
        assert (copy / "outputs" / name).is_file() and name in html.unescape(pages)
        assert f'href="outputs/{name}"' in unquote(pages), name


def test_a_later_period_and_a_failing_render_leave_the_published_review_untouched(published, monkeypatch):
    """A December review (its executed notebooks: November's, relabelled, with two profiles) fails at
    the profiles volume: November's book, public edition and profiles are unchanged to the byte and no
    December folder appears; once it renders, December sits beside November, which still reads November."""
    november = published["place"]
    before = _tree_digest(november.build)
    december = _place(published["reports"], "review", "2022-12")
    shutil.copytree(november.executed, december.executed,
                    ignore=lambda d, names: [n for n in names if n.startswith("profile_G0") and n not in
                                             ("profile_G01.ipynb", "profile_G02.ipynb")])
    manifest = json.loads((december.executed / "manifest.json").read_text("utf-8"))
    (december.executed / "manifest.json").write_text(json.dumps({**manifest, "period": "2022-12"}), "utf-8")

    def fail(*args, **kwargs):
        raise RuntimeError("Typst 编译失败（profile_G01.ipynb）：unexpected comma")

    with monkeypatch.context() as m:
        m.setattr(pipeline, "build_volume", fail)
        with pytest.raises(RuntimeError, match="unexpected comma"):
            pipeline.render_review(december, engine="builtin", reports_dir=published["reports"])
    assert _tree_digest(november.build) == before
    assert sorted(p.name for p in november.build.parent.iterdir()) == [PERIOD]
    pipeline.render_review(december, engine="builtin", reports_dir=published["reports"])
    assert sorted(p.name for p in november.build.parent.iterdir()) == [PERIOD, "2022-12"]
    assert _tree_digest(november.build) == before
    assert sorted(p.name for p in (december.html / "profiles").glob("G*.html")) == ["G01.html", "G02.html"]
    assert "数据截至2022年12月31日" in (december.html / "index.html").read_text("utf-8")
    assert "数据截至2022年11月30日" in (november.html / "index.html").read_text("utf-8")


# ------------------------------------------------------------------------------------------------
# one figure, one value: the published-figure lists of the review, its public edition and the bulletins
# ------------------------------------------------------------------------------------------------
def _figure_lists(published, bulletins) -> dict:
    """Each publication's ``figures.csv`` (in its folder, beside its pages, PDF and Word draft)."""
    from guozi_analysis.base.figures import FIGURES_FILE

    lists = {"review": published["outputs"]["html"].parent / FIGURES_FILE,
             "public": published["public"]["html"].parent / FIGURES_FILE}
    lists.update({kind: bulletins[kind]["html"].parent / FIGURES_FILE for kind in BULLETINS})
    return lists


def test_every_publication_lists_its_figures_and_every_key_has_one_value(published, bulletins):
    from guozi_analysis.base.figures import conflicts, conflicts_text, read_figures

    lists = _figure_lists(published, bulletins)
    figures = {kind: read_figures([path]) for kind, path in lists.items()}
    for kind, frame in figures.items():
        assert len(frame) > 30, kind
    review = figures["review"]
    # the text (facts of the sections), the tables and the workbooks are all listed
    assert review["where"].str.startswith("01_review_2022").any()
    assert review["where"].str.contains("表|集团|各|下一年度", regex=True).any()
    assert review["where"].str.contains(r"\.xlsx", regex=True).any()
    assert not figures["public"]["where"].str.contains(r"\.xlsx", regex=True).any()  # the public edition has no workbook
    for kind in ("monthly", "quarterly"):
        assert figures[kind]["where"].str.contains(r"\.xlsx", regex=True).any(), kind
    # the scores of the assessment are printed twice (表H-2 and the workbook's 排名与等级): both listed
    total = review.loc[review["item"] == "assessment.total_score"]
    assert total["where"].str.contains(r"\.xlsx").any() and (~total["where"].str.contains(r"\.xlsx")).any()
    found = conflicts(read_figures(list(lists.values())))
    assert found.empty, conflicts_text(found)


def test_the_figure_check_fails_when_one_printed_value_is_changed(published, bulletins, tmp_path):
    import pandas as pd

    from guozi_analysis.base.figures import conflicts, read_figures, write_figures
    from guozi_analysis.running.cli import main

    lists = _figure_lists(published, bulletins)
    copies = []
    for kind, path in lists.items():
        target = tmp_path / kind / path.name
        target.parent.mkdir()
        shutil.copy(path, target)
        copies.append(target)
    everything = read_figures(copies)
    keys = ["entity", "item", "period", "basis", "unit"]
    numbers = everything.loc[everything["value"].notna() & (everything["digits"] == 2)]
    clashing = conflicts(everything)[keys].drop_duplicates()  # keys already in conflict (others' fixes pending)
    numbers = numbers.merge(clashing.assign(_clash=True), on=keys, how="left")
    numbers = numbers.loc[numbers["_clash"].isna()]
    twice = numbers.loc[numbers.duplicated(keys, keep=False)]
    assert len(twice), "no number is printed twice: the check would have nothing to compare"
    victim = twice.iloc[0]
    source = pd.read_csv(victim["source"], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    row = (source[keys + ["text"]].astype(str) == victim[keys + ["text"]].astype(str).to_numpy()).all(axis=1)
    k = row[row].index[0]
    changed = float(victim["value"]) + 0.01  # one cent (or 0.01 point) more at the printed precision
    source.loc[k, "text"], source.loc[k, "value"] = f"{changed:,.2f}", str(round(changed, 2))
    write_figures(source, victim["source"])
    found = conflicts(read_figures(copies))
    assert len(found[keys].drop_duplicates()) == len(clashing) + 1  # exactly the changed key is new
    assert (found[["entity", "item", "period", "basis"]] == victim[["entity", "item", "period", "basis"]].to_numpy()
            ).all(axis=1).any()
    assert main(["figures", "--check", str(tmp_path)]) == 1


# ------------------------------------------------------------------------------------------------
# issue 26: a public edition of its own, versions as back matter, sources that cite documents, dates as issued
# ------------------------------------------------------------------------------------------------
def _docx_text(path) -> str:
    import docx

    return "\n".join(_docx_texts(docx.Document(str(path))))


def test_the_public_edition_is_a_short_summary_that_says_nothing_the_policy_keeps_internal(published, demo_inbox):
    from guozi_analysis.publishing.text import data_version

    public = published["public"]
    pages = len(PdfReader(public["pdf"]).pages)
    assert 4 <= pages <= 8, pages
    texts = _edition_texts(public) + [_docx_text(public["docx"])]  # PDF, every HTML page, Word draft
    roster = demo_inbox.tables["roster"]
    assert book.public_leaks(texts, roster=roster, flagged=_flagged(published)) == []
    flat = re.sub(r"\s+", "", "\n".join(texts))
    version = data_version(published["executed"])
    for word in ("担保1笔", "金额0.80亿元", "guozi", version, "版本信息"):
        assert word not in flat, word
    for words in ("一、2022年工作情况", "二、2023年工作安排", "数字来源", "数据截至2022年11月30日", "2022年12月15日"):
        assert words in flat, words
    # its 数字来源 points only to what it contains: no internal table, no appendix
    for internal in ("总结口径汇总表", "指标表", "目标跟踪表", "附录"):
        assert internal not in flat, internal


def test_the_internal_edition_keeps_everything_and_ends_with_its_colophon(published, demo_inbox):
    from guozi_analysis.publishing.text import data_version

    reader = PdfReader(published["outputs"]["pdf"])
    text = re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))
    for word in ("对非关联企业担保", "超股比担保", "逾期未整改", "重点监管"):
        assert word in text, word
    version = data_version(published["executed"])
    last = re.sub(r"\s+", "", reader.pages[-1].extract_text() or "")
    assert "版本信息" in last and version in last and "guozi-analysis" in last
    first_pages = re.sub(r"\s+", "", "".join((reader.pages[k].extract_text() or "") for k in range(4)))
    assert version not in first_pages and "自动生成" not in first_pages and "软件版本" not in first_pages
    assert "2022年12月15日" in first_pages and "数据截至2022年11月30日" in first_pages  # dated as issued
    html_dir = published["outputs"]["html"].parent
    assert "版本信息" in _html_text(html_dir / "colophon.html") and version not in _html_text(html_dir / "index.html")
    volume = published["volume"]
    assert "版本信息" in _html_text(volume) and version in _html_text(volume)


def test_bulletins_are_dated_as_issued_and_end_with_their_colophon(bulletins):
    issued = {"monthly": ("2022年11月15日", "数据截至2022年10月31日"),
              "quarterly": ("2022年10月15日", "数据截至2022年9月30日"),
              "half_month": ("2022年12月3日", "数据截至2022年11月30日")}
    for kind, (date, as_of) in issued.items():
        reader = PdfReader(bulletins[kind]["pdf"])
        first = re.sub(r"\s+", "", reader.pages[0].extract_text() or "")
        assert date in first and as_of in first, (kind, first[:200])
        last = re.sub(r"\s+", "", reader.pages[-1].extract_text() or "")
        assert "版本信息" in last and "guozi-analysis" in last, kind
    monthly = re.sub(r"\s+", "", _pdf_text(bulletins["monthly"]["pdf"]))
    assert "2022年10月31日出版" not in monthly and monthly.index("2022年11月15日") < monthly.index("版本信息")


def test_no_research_mark_or_press_report_in_any_rendered_text(published, bulletins):
    folders = [published["outputs"]["html"].parent, published["public"]["html"].parent,
               *(bulletins[kind]["html"].parent for kind in BULLETINS)]
    texts = [_pdf_text(p) for folder in folders for p in folder.glob("*.pdf")]
    texts += [_html_text(p) for folder in folders for p in folder.glob("*.html")]
    for text in texts:
        flat = re.sub(r"\s+", "", text)
        assert not re.search(r"（C2?[）,，]|，C2?）|（I）|经济观察报|二手来源|一利五率”（20", flat), \
            re.search(r".{30}(?:（C2?[）,，]|，C2?）|（I）|经济观察报|二手来源|一利五率”（20).{10}", flat)


# ------------------------------------------------------------------------------------------------
# issue 26: the review's body — the headline, causes, the maturity wall, the plan as a plan
# ------------------------------------------------------------------------------------------------
def _body_text(published, stem: str) -> str:
    """The rendered HTML page of one body chapter, as a reader sees it, without spaces or line breaks
    (numbers are links: the tags around them leave spaces)."""
    return re.sub(r"\s+", "", _html_text(published["outputs"]["html"].parent / f"{stem}.html"))


def test_the_review_opens_with_the_years_figures_equal_to_appendix_a(published):
    from guozi_analysis.base.figures import FIGURES_FILE, read_figures

    text = _body_text(published, "01_review_2022")
    # demo 2022-11: 资产总额 1,910.11 亿元 (+5.36 %), 资产负债率 58.46 % (−0.51 个百分点), 营业总收入 281.54 亿元
    # (营业收入 +5.74 %), 利润总额 28.47 亿元 (+12.34 %), 完成投资 69.45 亿元 (85.07 % of the annual plan)
    assert "全区国有企业经济运行总体平稳" in text
    assert "资产总额1,910.11亿元，同比增长5.36%；资产负债率58.46%，较上年同期下降0.51个百分点" in text
    assert "营业总收入281.54亿元，其中营业收入同比增长5.74%；利润总额28.47亿元，同比增长12.34%" in text
    assert "完成固定资产投资69.45亿元" in text
    # one figure, one value: the headline's figures are the ones the appendices print — 附录A (全区国企经济
    # 运行概况) for the financial ones, 附录B (扩投资) for 本年完成投资
    figures = read_figures([published["outputs"]["html"].parent / FIGURES_FILE])
    for item, chapter in (("total_assets", "10_district_overview"), ("debt_to_asset_ratio", "10_district_overview"),
                          ("revenue", "10_district_overview"), ("total_profit", "10_district_overview"),
                          ("project_completed_ytd", "20_investment_progress")):
        rows = figures.loc[(figures["entity"] == "DISTRICT") & (figures["item"] == item)]
        opening = rows.loc[rows["where"].str.contains("全年总体情况")]
        appendix = rows.loc[rows["where"].str.startswith(chapter)]
        assert len(opening) and len(appendix), item
        assert set(opening["value"]) == set(appendix["value"]), item


def test_the_problems_name_causes_and_the_maturity_wall(published):
    text = _body_text(published, "01_review_2022")
    problems = text[text.index("营业收入目标完成进度偏慢"):]  # the body of 存在的问题 (after the page's contents)
    # the largest shortfalls named with their gaps, and why profit fell (澜海文旅集团: revenue down)
    assert "差距最大的是澜海文旅集团（完成59.78%，慢31.89个百分点）" in problems
    assert "澜海文旅集团利润总额同比下降24.37%、减少0.46亿元，主要来自营业总收入减少1.62亿元" in problems
    # the risk engine's maturity wall and cash cover, enterprise named
    assert "澜海文旅集团2023年3月到期融资17.41亿元，占其未来十二个月到期融资的85.90%" in problems
    assert "可用资金（货币资金与未使用授信）8.97亿元，覆盖倍数仅0.45倍" in problems
    assert "当月全区到期45.96亿元" in problems


def test_the_plan_is_a_plan_with_guiding_thoughts_six_parts_measures_and_targets(published):
    text = _body_text(published, "02_plan_2023")
    text = text[text.index("指导思想。"):]  # the body (the page's own contents list comes before it)
    parts = ["扩投资优结构", "稳增长促发展", "稳金融防风险", "抓改革重绩效", "建机制优体系", "强引领聚合力"]
    at = [text.index(f"（{n}）{p}") for n, p in zip("一二三四五六", parts)]
    assert at == sorted(at)
    for start, end in zip(at, [*at[1:], len(text)]):
        block = text[start:end]
        assert all(f"{n}是" in block for n in "一二三"), block[:40]
    assert text.count("量化目标：") >= 8  # each measure carrying a target lists it after its text
    assert "2023年目标超过20.00亿元" in text and "储备可覆盖目标2.0倍" in text
    assert "待2023年数据" not in text and "相当于目标的" not in text
    pdf = re.sub(r"\s+", "", _pdf_text(published["outputs"]["pdf"]))
    assert "指导思想" in pdf and "强引领聚合力" in pdf and "储备可覆盖目标2.0倍" in pdf
