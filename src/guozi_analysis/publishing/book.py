"""The Quarto book's sources in ``reports/``: ``_quarto.yml`` and the generated pages.

``_quarto.yml`` is generated from ``params/district.yaml`` and the executed
notebooks so that a district never edits it by hand; for the demo district the
generated file is committed (and a test checks that regenerating it changes
nothing). The same file drives ``quarto render`` and the built-in renderer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Iterable

import pandas as pd
import yaml

from guozi_analysis.base import config
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.fonts import cjk_font_path
from guozi_analysis.base.params import district_settings, read_yaml
from guozi_analysis.base.periods import as_of_date, issue_date, parse_period, quarter_of, validate_period
from guozi_analysis.indicators.catalogue import catalogue_frame
from guozi_analysis.publishing.coverage import coverage_sentence
from guozi_analysis.publishing.text import bulletin_title, data_version, date_zh
from guozi_analysis.publishing.views.context import Context

HEADER = (
    "# 由 guozi 生成（guozi_analysis.book.write_book_sources），请勿手工修改；两个版本（内部版、公开版）\n"
    "# 各有一个 profile 文件 _quarto-<版本>.yml，`quarto render reports --profile public` 出版公开版。\n"
    "# 书名、期间等在 params/district.yaml 中设置。有 Quarto 时 `quarto render reports` 即可出版，\n"
    "# 没有 Quarto 时 `guozi render` 用内置渲染器（pandoc + Typst）读取本文件出版同样的书。\n"
)


EDITIONS = {"internal": "内部版", "public": "公开版"}
#: The profiles volume's folder inside the internal edition's HTML folder (copied with it).
PROFILES_FOLDER = "profiles"
#: The public edition's first page: the internal one without the link to the profiles volume.
PUBLIC_INDEX = "index-public.md"
#: The back matter (版本信息) of the internal edition and of each bulletin: software and data version.
COLOPHON = "colophon.md"


def reference_doc(folder: Path, *, params_dir: Path | None = None) -> str:
    """The Word drafts' styles (``params/reference.docx``: 公文 fonts, margins, page numbers; the district may
    restyle it) as a path relative to ``folder``, where the book's ``_quarto.yml`` is."""
    return os.path.relpath((params_dir or config.PARAMS_DIR) / "reference.docx", folder)


def book_config(*, period: str, settings: dict, output_dir: str = "_build", reference_doc: str = "") -> dict:
    """The common ``_quarto.yml``: everything but the chapter lists, which each edition's profile holds.

    ``output_dir`` (relative to ``reports/``) is the internal edition's folder; ``reference_doc`` (relative
    too) the Word drafts' styles (:func:`reference_doc`)."""
    report = settings["report"]
    district = settings["district"]
    return {
        "project": {"type": "book", "output-dir": output_dir},
        "profile": {"default": "internal", "group": [list(EDITIONS)]},
        "lang": "zh",
        "execute": {"enabled": False, "echo": False},
        "book": {
            "title": report["title"],
            "subtitle": report.get("subtitle", ""),
            "author": district["supervisor"],
            "district": district["name"],
            "date": issue_date(period, kind="review").isoformat(),  # dated as issued (report.issue_day)
            "data-as-of": as_of_date(period).isoformat(),
            "output-file": report.get("output_file", "review"),
            "search": True,
        },
        "format": {
            "html": {
                "embed-resources": False,
                "toc": True,
                "number-sections": True,
                "lang": "zh",
                "mainfont": "Noto Sans CJK SC",
            },
            "typst": {
                "papersize": "a4",
                "mainfont": "Noto Sans CJK SC",
                "font-paths": ["_fonts"],
                "toc": True,
                "number-sections": True,
                "section-numbering": "1.1",
            },
            "docx": {"reference-doc": reference_doc, "number-sections": False},
        },
    }


def edition_config(edition: str, *, chapters: list[str], appendices: list[str], settings: dict,
                   output_dir: str | None = None) -> dict:
    """One edition's profile (``_quarto-<edition>.yml``): its chapters, and where it is written."""
    book = {"edition": EDITIONS[edition], "chapters": chapters, "appendices": appendices}
    public = settings["report"].get("public") or {}
    if edition == "public":  # a summary of its own has a title of its own (report.public.title / subtitle)
        book.update({k: public[k] for k in ("title", "subtitle") if public.get(k)})
    cfg: dict = {"book": book}
    if edition != "internal":
        cfg["project"] = {"output-dir": output_dir or f"_build/{edition}"}
        book["output-file"] = f"{settings['report'].get('output_file', 'review')}-{edition}"
    return cfg


#: Notebooks numbered below this form the review's body (一、2022年工作完成情况; 二、2023年工作思路).
BODY_BELOW = "10"
#: The data-quality appendix and the sources appendix (numbers 85 and 95) close the appendices.
QUALITY_NOTEBOOK, SOURCES_FROM = "85", "90"


def chapter_files(executed_dir: Path, reports_dir: Path) -> tuple[list[str], list[str]]:
    """The review's body and appendices as paths relative to ``reports_dir``.

    Body: the front page and the notebooks numbered 00–09. Appendices, in order: the statistical
    and analytical chapters (10–84), the indicator dictionary, data quality (85), the methods, and the
    sources of every number in the body (95). The enterprise profiles are not in the review: they are
    the profiles volume (另册, :mod:`guozi_analysis.publishing.profiles`), linked from the index page.
    """
    rel = executed_dir.relative_to(reports_dir).as_posix()
    district = sorted(p.name for p in executed_dir.glob("[0-9][0-9]_*.ipynb"))
    body = [f"{rel}/{name}" for name in district if name[:2] < BODY_BELOW]
    analyses = [f"{rel}/{name}" for name in district if BODY_BELOW <= name[:2] < QUALITY_NOTEBOOK]
    quality = [f"{rel}/{name}" for name in district if QUALITY_NOTEBOOK <= name[:2] < SOURCES_FROM]
    closing = [f"{rel}/{name}" for name in district if name[:2] >= SOURCES_FROM]
    appendices = [*analyses, "dictionary.md", *quality, "methods.md", *closing]
    return ["index.md", *body], appendices


def internal_selection(chapters: list[str], appendices: list[str], *, settings: dict) -> tuple[list[str], list[str]]:
    """Everything but the public edition's own summary (``report.public.summary``), and the colophon last."""
    only = str((settings["report"].get("public") or {}).get("summary") or "")

    def keep(path: str) -> bool:
        return not only or Path(path).stem != only

    return [c for c in chapters if keep(c)], [a for a in appendices if keep(a)] + [COLOPHON]


def public_selection(chapters: list[str], appendices: list[str], *, settings: dict) -> tuple[list[str], list[str]]:
    """Keep only the chapters the district lists as public (``report.public_edition`` in params)."""
    allowed = set(settings["report"].get("public_edition", []))

    def keep(path: str) -> bool:
        return Path(path).stem in allowed or Path(path).name in allowed

    return [c for c in chapters if keep(c)], [a for a in appendices if keep(a)]


def _dump(cfg: dict) -> str:
    return HEADER + yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False, width=120)


def write_book_sources(
    *,
    period: str,
    executed_dir: Path,
    reports_dir: Path | None = None,
    params_dir: Path | None = None,
    output_dirs: dict[str, Path] | None = None,
) -> Path:
    """Write ``_quarto.yml`` and one profile per edition, ``index.md``, ``dictionary.md``; copy the font.

    ``output_dirs`` (edition → folder) is where Quarto writes each edition (the built-in renderer is
    told its folder by the caller); by default ``_build`` and ``_build/public``."""

    reports_dir = reports_dir or config.REPORTS_DIR
    settings = district_settings(params_dir=params_dir)
    chapters, appendices = chapter_files(executed_dir, reports_dir)
    folders = {edition: os.path.relpath(path, reports_dir) for edition, path in (output_dirs or {}).items()}
    cfg = book_config(period=period, settings=settings, output_dir=folders.get("internal", "_build"),
                      reference_doc=reference_doc(reports_dir, params_dir=params_dir))
    (reports_dir / "_quarto.yml").write_text(_dump(cfg), "utf-8")
    public_chapters, public_appendices = public_selection(chapters, appendices, settings=settings)
    public_chapters = [PUBLIC_INDEX if c == "index.md" else c for c in public_chapters]  # no link to the profiles
    selections = {"internal": internal_selection(chapters, appendices, settings=settings),
                  "public": (public_chapters, public_appendices)}
    for edition, (chaps, apps) in selections.items():
        cfg = edition_config(edition, chapters=chaps, appendices=apps, settings=settings,
                             output_dir=folders.get(edition))
        (reports_dir / f"_quarto-{edition}.yml").write_text(_dump(cfg), "utf-8")
    (reports_dir / "index.md").write_text(index_page(period=period, settings=settings,
                                                     executed_dir=executed_dir), "utf-8")
    (reports_dir / PUBLIC_INDEX).write_text(public_index_page(period=period, settings=settings,
                                                              executed_dir=executed_dir), "utf-8")
    (reports_dir / COLOPHON).write_text(colophon_page(executed_dir, period=period, kind="review",
                                                      settings=settings), "utf-8")
    (reports_dir / "dictionary.md").write_text(dictionary_page(catalogue_frame()), "utf-8")
    (reports_dir / "methods.md").write_text(methods_page(params_dir=params_dir), "utf-8")
    fonts = reports_dir / "_fonts"
    fonts.mkdir(exist_ok=True)
    font = cjk_font_path()
    if not (fonts / font.name).exists():
        shutil.copy2(font, fonts / font.name)
    return reports_dir / "_quarto.yml"


def prepare_book(*, executed_dir: Path, reports_dir: Path | None = None, params_dir: Path | None = None,
                 output_dirs: dict[str, Path] | None = None) -> Path:
    """Write the book's sources for the published run in ``executed_dir`` (its period read from the
    run manifest).

    Raises a Chinese :class:`FileNotFoundError` when nothing has been published yet.
    """
    try:
        manifest = json.loads((executed_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        raise FileNotFoundError(f"还没有可出版的分析结果（{executed_dir} 中没有运行记录）：请先运行 "
                                "`guozi report --period 2022-11` 或 `guozi run --period …`。") from None
    return write_book_sources(period=str(manifest["period"]), reports_dir=reports_dir, executed_dir=executed_dir,
                              params_dir=params_dir, output_dirs=output_dirs)


def methods_page(*, params_dir: Path | None = None) -> str:
    """The methods appendix: how forecasts are made and chosen, and the rules behind risk and assessment."""

    forecast = (config.DOCS_DIR / "forecast-method.md").read_text("utf-8").splitlines()
    body = [("#" + line) if line.startswith("#") else line for line in forecast[1:]]  # one level down
    risk = read_yaml((params_dir or config.PARAMS_DIR) / "risk_rules.yaml", what="风险规则文件")
    lines = ["# 方法说明", "", "## 年末预测", *body, "", "## 风险预警规则", "",
             "规则与阈值由本区在风险规则参数文件中设定，调整名单只需修改该文件。", "",
             "| 规则 | 类别 | 严重程度 | 列入重点监管 | 依据 |", "|---|---|---|---|---|"]
    for rule in risk.get("rules", []):
        lines.append(f"| {rule.get('name_zh', rule.get('id'))} | {rule.get('family', '')} | "
                     f"{rule.get('severity', '')} | {'是' if rule.get('on_list') else '否'} | "
                     f"{str(rule.get('source', '')).replace('|', '／')} |")
    lines += ["", "## 经营业绩考核", "",
              "考核方案（指标、按功能分类的权重、目标完成计分或功效系数法、加减分、等级线）逐年存放在考核方案参数文件中，"
              "行业、规模标准值另表存放（示范区所列为示范数值，非国资委公布的标准值）；12月快报前的考核为预评估。"
              "功效系数法：本档基础分 = 权数 × 本档标准系数；调整分 = 功效系数 × (上档基础分 − 本档基础分)，"
              "功效系数 = (实际值 − 本档标准值) ÷ (上档标准值 − 本档标准值)；达到优秀值得满分，低于较差值得 0 分。", ""]
    return "\n".join(lines)


def dictionary_page(catalogue) -> str:
    """The indicator dictionary appendix: every indicator with formula, unit, direction, source."""
    direction_zh = {"higher_better": "越高越好", "lower_better": "越低越好", "band": "区间内为宜"}
    lines = ["# 指标词典", "",
             f"本书使用的“六张报表”共 {len(catalogue)} 项指标，定义如下（来源见各项）。", ""]
    for table, rows in catalogue.groupby("table_name_zh", sort=False):
        lines += [f"## {table}", "", "| 指标 | 公式 | 单位 | 方向 | 来源 |", "|---|---|---|---|---|"]
        for row in rows.itertuples():
            formula = str(getattr(row, "formula", "")).replace("|", "\\|")
            lines.append(f"| {row.name_zh} | {formula} | {row.unit} | "
                         f"{direction_zh.get(row.direction, row.direction)} | {row.source} |")
        lines.append("")
    return "\n".join(lines)


def _manifest(executed_dir: Path) -> dict:
    try:
        return json.loads((executed_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _coverage(period: str, executed_dir: Path) -> str:
    """Who did not report, when somebody did not (the 前言's first paragraph says so), else ''."""
    processed = Path(_manifest(executed_dir).get("run_dir") or executed_dir) / "processed"
    if not (processed / "table_roster.parquet").exists():
        return ""
    return coverage_sentence(Context(period=period, entity_id="DISTRICT", processed_dir=processed))


def index_page(*, period: str, settings: dict, executed_dir: Path, profiles_link: bool = True) -> str:
    """The internal edition's 前言: what the book covers, the data as of when, what the appendices hold,
    and (``profiles_link``) the link to the profiles volume. Software and data versions are back matter
    (:func:`colophon_page`), never here."""
    district = settings["district"]
    year = parse_period(period).year
    as_of = date_zh(as_of_date(period))
    lines = [
        "# 前言 {.unnumbered}",
        "",
        f"本书是{district['supervisor']}对{district['name']}区属国有企业{year}年工作的年度总结和{year + 1}年工作思路，"
        f"依据各企业报送的财务快报和投资、融资、担保、改革等台账编写，数据截至{as_of}。"
        f"{_coverage(period, executed_dir)}",
        "",
        f"正文两部分：一、{year}年工作完成情况；二、{year + 1}年工作思路。附录依次为全区和各集团的统计与分析、"
        "指标词典（每项指标的公式、单位和依据）、数据质量、方法说明，以及正文每个数字的来源；书末为版本信息。"
        "金额单位除注明外为亿元。",
        "",
    ]
    if profiles_link and not any((executed_dir / "profiles").glob("profile_*.ipynb")):
        lines += ["本期未执行企业画像，未出版企业画像另册。", ""]
    elif profiles_link:
        lines += ["每家企业的画像另册出版（每家企业一页网页、一份 PDF，可按名称、简称、编码或分类查找）："
                  f'<a href="{PROFILES_FOLDER}/index.html">企业画像（另册）</a>'
                  "`《企业画像（另册）》，在出版目录的 profiles 文件夹中`{=typst}。", ""]
    return "\n".join(lines)


def public_index_page(*, period: str, settings: dict, executed_dir: Path) -> str:
    """The public edition's 前言: what the summary covers and the data as of when (no version, no hash)."""
    district = settings["district"]
    year = parse_period(period).year
    return "\n".join([
        "# 前言 {.unnumbered}",
        "",
        f"本摘要向社会公开{district['name']}区属国有企业{year}年主要工作情况和{year + 1}年工作安排，由{district['supervisor']}"
        f"汇总各企业报送的财务快报和台账编写，数据截至{date_zh(as_of_date(period))}。{_coverage(period, executed_dir)}",
        "",
        "数字均为全区合计，金额单位除注明外为亿元；文末“数字来源”逐一列出每个数字的指标口径和依据。",
        "",
    ])


def colophon_rows(executed_dir: Path, *, period: str, kind: str, settings: dict) -> list[tuple[str, str]]:
    """The back matter (版本信息) of an internal publication as (item, text): who issued it and when, the
    data as of when, the data version (a short hash of the run's inputs: the same inputs give the same
    version) and the software that wrote it. ``kind`` dates it (:func:`~guozi_analysis.base.periods.issue_date`)."""
    manifest = _manifest(executed_dir)
    return [("编制单位", settings["district"]["supervisor"]),
            ("出版日期", date_zh(issue_date(period, kind=kind))),
            ("数据截至", date_zh(as_of_date(period))),
            ("数据版本", f"{data_version(executed_dir)}（本期全部输入文件的校验值：输入相同，版本相同）"),
            ("生成软件", f"guozi-analysis {manifest.get('package_version', '—')}")]


def colophon_page(executed_dir: Path, *, period: str, kind: str, settings: dict,
                  heading: str = "# 版本信息 {.unnumbered}", compact: bool = False) -> str:
    """:func:`colophon_rows` as a Markdown page (the last page of the book, of the profiles index) or, ``compact``,
    one paragraph (the end of a bulletin: it never breaks over a page by itself)."""
    rows = colophon_rows(executed_dir, period=period, kind=kind, settings=settings)
    if compact:
        return "\n".join([heading, "", "；".join(f"{k}：{v}" for k, v in rows) + "。", ""])
    return "\n".join([heading, "", "| 项目 | 内容 |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""])


#: The short publications' chapter (the executed notebook's file name) in their folder.
BULLETIN_CHAPTERS = {"monthly": "monthly.ipynb", "quarterly": "quarterly.ipynb", "half_month": "half_month.ipynb"}


def write_bulletin_sources(kind: str, *, label: str, period: str, executed_dir: Path, output_dir: Path,
                           params_dir: Path | None = None) -> Path:
    """``_quarto.yml`` of a short publication (月度通报, 季度分析, 半月晾晒通报) beside its executed notebook.

    One chapter, no cover page and no table of contents in the PDF (``toc: false``); written to
    ``output_dir`` (``reports/_build/<publication>/<label>``), so it never touches the review.
    """
    settings = district_settings(params_dir=params_dir)
    district = settings["district"]
    title = bulletin_title(kind, validate_period(period), district=district["name"], quarter=quarter_of(label))
    cfg = {
        "project": {"type": "book", "output-dir": os.path.relpath(output_dir, executed_dir)},
        "lang": "zh",
        "execute": {"enabled": False, "echo": False},
        "book": {
            "title": title,
            "author": district["supervisor"],
            "district": district["name"],
            "date": issue_date(period, kind=kind).isoformat(),  # dated as issued (report.issue_day …)
            "data-as-of": as_of_date(period).isoformat(),
            "output-file": f"{kind.replace('_', '-')}-{label}",
            "chapters": [BULLETIN_CHAPTERS[kind], COLOPHON],
            "search": False,
        },
        "format": {
            "html": {"toc": True, "number-sections": False, "lang": "zh", "mainfont": "Noto Sans CJK SC"},
            "typst": {"papersize": "a4", "mainfont": "Noto Sans CJK SC", "toc": False, "number-sections": False},
            "docx": {"reference-doc": reference_doc(executed_dir, params_dir=params_dir), "number-sections": False},
        },
    }
    (executed_dir / COLOPHON).write_text(colophon_page(executed_dir, period=period, kind=kind, settings=settings,
                                                       compact=True), "utf-8")
    path = executed_dir / "_quarto.yml"
    path.write_text(_dump(cfg), "utf-8")
    return path


def public_policy(*, params_dir=None) -> dict:
    """The district's public policy (``report.public``) with its defaults filled in."""
    report = district_settings(params_dir=params_dir)["report"]
    policy = dict(report.get("public") or {})
    policy.setdefault("name_level", 1)
    policy.setdefault("sections", ["overview", "investment", "reform", "supervision", "plan"])
    policy["forbidden"] = [dict(f) for f in policy.get("forbidden") or []]
    for rule in policy["forbidden"]:
        if not rule.get("pattern") or not rule.get("what"):
            raise ValueError("参数文件 district.yaml：report.public.forbidden 的每一项都要写明 what（内容）和 "
                             f"pattern（正则表达式），收到：{rule}")
    return policy


def public_leaks(texts: Iterable[str], *, roster: pd.DataFrame, flagged: Iterable[str] = (),
                 internal_titles: Iterable[str] = (), policy: dict | None = None) -> list[str]:
    """What a public edition must not say, found in ``texts`` (the rendered pages' text), under the
    district's public policy (``report.public``, :func:`public_policy`):

    * every enterprise below ``name_level`` (the groups, by default): its full name, short name or code;
    * every enterprise in ``flagged`` (codes on the supervision list), at any level;
    * each ``forbidden`` category (non-compliant guarantees, overdue rectifications, target shortfalls by
      enterprise, software name, data or software version …);
    * references to chapters the public edition does not contain (``internal_titles``: "见…", "…一章",
      "…附录"), and any mention of the enterprise profiles.

    Returns one Chinese line per leak (empty when the edition is clean).
    """
    policy = policy or public_policy()
    level = int(policy.get("name_level", 1))
    tree = EnterpriseTree.from_roster(roster)
    flagged = set(map(str, flagged))
    leaks: list[str] = []
    text = "\n".join(texts)
    for row in roster.itertuples():
        code = str(row.enterprise_id).strip()
        if tree.depth(code) <= level and code not in flagged:
            continue
        why = "子企业" if tree.depth(code) > level else "列入重点监管名单的企业"
        for label, value in (("名称", row.name), ("简称", getattr(row, "short_name", None)), ("编码", code)):
            value = "" if value is None or pd.isna(value) else str(value).strip()
            if not value:
                continue
            pattern = re.escape(value) if label != "编码" else r"(?<![\w-])" + re.escape(value) + r"(?![\w-])"
            if re.search(pattern, text):
                leaks.append(f"公开版出现了{why}的{label}：{value}")
    for rule in policy.get("forbidden") or []:
        found = re.search(rule["pattern"], text)
        if found:
            leaks.append(f"公开版出现了不公开的内容（{rule['what']}）：{found.group(0)}")
    for title in internal_titles:  # a reference to a chapter it lacks ("见债务风险…一章", "…附录"), not a phrase
        if title and re.search(rf"(?:[见参阅]|详见)[「《“]?{re.escape(title)}|{re.escape(title)}[」》”]?(?:一章|章节|附录)", text):
            leaks.append(f"公开版提到了它不包含的章节：{title}")
    if re.search(r"企业画像", text):
        leaks.append("公开版提到了它不包含的企业画像")
    return leaks


#: Machine text a reader must never see in a publication: missing/boolean spellings, snake_case
#: identifiers, parameter paths, placeholder wording and the wrong name of the prediction chart.
_MACHINE = re.compile(
    r"(?<![A-Za-z])(?:NaN|NaT|None|True|False|nan)(?![A-Za-z])"
    r"|(?<![A-Za-z0-9_])[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9](?![A-Za-z0-9_])"
    r"|params/|依据待核实|本项目缺省值|扇形图"
)


def machine_text(text: str) -> list[str]:
    """Every piece of machine text in a publication's text (see ``_MACHINE``), in order."""
    return _MACHINE.findall(text)
