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
from guozi_analysis.base.periods import as_of_date, quarter_of, validate_period
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
#: Written at each publication (not versioned): the hash of the run's inputs, shown on the cover.
DATA_VERSION_FILE = "_data-version.yml"


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
        "metadata-files": [DATA_VERSION_FILE],
        "profile": {"default": "internal", "group": [list(EDITIONS)]},
        "lang": "zh",
        "execute": {"enabled": False, "echo": False},
        "book": {
            "title": report["title"],
            "subtitle": report.get("subtitle", ""),
            "author": district["supervisor"],
            "district": district["name"],
            "date": as_of_date(period).isoformat(),
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
    selections = {"internal": (chapters, appendices), "public": (public_chapters, public_appendices)}
    for edition, (chaps, apps) in selections.items():
        cfg = edition_config(edition, chapters=chaps, appendices=apps, settings=settings,
                             output_dir=folders.get(edition))
        (reports_dir / f"_quarto-{edition}.yml").write_text(_dump(cfg), "utf-8")
    version = {"book": {"data-version": data_version(executed_dir)}}
    (reports_dir / DATA_VERSION_FILE).write_text(yaml.safe_dump(version, allow_unicode=True), "utf-8")
    (reports_dir / "index.md").write_text(index_page(period=period, settings=settings,
                                                     executed_dir=executed_dir), "utf-8")
    (reports_dir / PUBLIC_INDEX).write_text(index_page(period=period, settings=settings, executed_dir=executed_dir,
                                                       profiles_link=False), "utf-8")
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


def index_page(*, period: str, settings: dict, executed_dir: Path, profiles_link: bool = True) -> str:
    """The book's first page: what this is, the as-of date (with who did not report, when somebody did
    not), the data version, and (internal edition) the link to the profiles volume."""

    manifest = {}
    try:
        manifest = json.loads((executed_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        pass

    version = data_version(executed_dir)
    district = settings["district"]
    processed = Path(manifest.get("run_dir") or executed_dir) / "processed"
    missing = coverage_sentence(Context(period=period, entity_id="DISTRICT", processed_dir=processed)) \
        if (processed / "table_roster.parquet").exists() else ""  # who did not report: the first paragraph says so
    lines = [
        "# 前言 {.unnumbered}",
        "",
        f"本书由 {district['supervisor']} 使用 guozi-analysis 根据企业报送数据自动生成，"
        f"数据截至{date_zh(as_of_date(period))}。{missing}",
        "",
        "| 项目 | 内容 |",
        "|---|---|",
        f"| 地区 | {district['name']} |",
        f"| 出版期间 | {period} |",
        f"| 数据截至 | {date_zh(as_of_date(period))} |",
        f"| 数据版本 | {version} |",
        f"| 软件版本 | guozi-analysis {manifest.get('package_version', '—')} |",
        "",
        "正文为年度工作总结与下一年度工作思路，附录见目录。金额单位除注明外为亿元。",
        "",
    ]
    if profiles_link and not any((executed_dir / "profiles").glob("profile_*.ipynb")):
        lines += ["本期未执行企业画像，未出版企业画像另册。", ""]
    elif profiles_link:
        lines += ["每家企业的画像另册出版（每家企业一页网页、一份 PDF，可按名称、简称、编码或分类查找）："
                  f'<a href="{PROFILES_FOLDER}/index.html">企业画像（另册）</a>'
                  "`《企业画像（另册）》，在出版目录的 profiles 文件夹中`{=typst}。", ""]
    return "\n".join(lines)


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
            "date": as_of_date(period).isoformat(),
            "output-file": f"{kind.replace('_', '-')}-{label}",
            "chapters": [BULLETIN_CHAPTERS[kind]],
            "search": False,
        },
        "format": {
            "html": {"toc": True, "number-sections": False, "lang": "zh", "mainfont": "Noto Sans CJK SC"},
            "typst": {"papersize": "a4", "mainfont": "Noto Sans CJK SC", "toc": False, "number-sections": False},
            "docx": {"reference-doc": reference_doc(executed_dir, params_dir=params_dir), "number-sections": False},
        },
    }
    path = executed_dir / "_quarto.yml"
    path.write_text(_dump(cfg), "utf-8")
    return path


def public_leaks(texts: Iterable[str], *, roster: pd.DataFrame, flagged: Iterable[str] = (),
                 internal_titles: Iterable[str] = ()) -> list[str]:
    """What a public edition must not say, found in ``texts`` (the rendered pages' text).

    * every enterprise below the groups (level 2 and below): its full name, short name or code;
    * every enterprise in ``flagged`` (codes under a guarantee or risk finding), at any level;
    * references to chapters the public edition does not contain (``internal_titles``: "见…", "…一章",
      "…附录"), and any mention of the enterprise profiles.

    Returns one Chinese line per leak (empty when the edition is clean).
    """
    tree = EnterpriseTree.from_roster(roster)
    flagged = set(map(str, flagged))
    leaks: list[str] = []
    text = "\n".join(texts)
    for row in roster.itertuples():
        code = str(row.enterprise_id).strip()
        if tree.depth(code) < 2 and code not in flagged:
            continue
        why = "子企业" if tree.depth(code) >= 2 else "有风险或担保问题的企业"
        for label, value in (("名称", row.name), ("简称", getattr(row, "short_name", None)), ("编码", code)):
            value = "" if value is None or pd.isna(value) else str(value).strip()
            if not value:
                continue
            pattern = re.escape(value) if label != "编码" else r"(?<![\w-])" + re.escape(value) + r"(?![\w-])"
            if re.search(pattern, text):
                leaks.append(f"公开版出现了{why}的{label}：{value}")
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
