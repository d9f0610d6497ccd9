"""The profiles volume (企业画像，另册): one HTML page and one PDF per enterprise, an index page and an index PDF.

Published inside the year-end review's HTML folder (``reports/_build/review/<期间>/html/profiles/``),
so the review's folder copied elsewhere keeps its links to the volume:

```text
profiles/
├── index.html          find an enterprise by name, short name, code or class (offline filter, inline list)
├── enterprises.json    the same list for scripts
├── <编码>.html          one page per enterprise (its executed profile notebook, rendered like a chapter)
├── assets/             one stylesheet, one font subset and the search highlighter (?hl=…) shared by every page
└── pdf/
    ├── 企业画像索引.pdf
    └── <编码>.pdf       one PDF per enterprise
```

The list of enterprises is written once (in the index page and ``enterprises.json``); an enterprise's
page carries only its own profile and links to the index, so the volume grows linearly with the
number of enterprises. Pages and PDFs come from the built-in renderer's pieces
(:func:`guozi_analysis.publishing.render.builtin.render_chapter`). The volume is built in a
temporary folder and swapped into place, so a failed build leaves the last good volume as it was.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from guozi_analysis.base import config
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.fonts import subset_font_woff
from guozi_analysis.base.parallel import map_in_processes
from guozi_analysis.base.params import district_settings
from guozi_analysis.base.periods import as_of_date
from guozi_analysis.publishing.book import colophon_page, colophon_rows
from guozi_analysis.publishing.render.builtin import render_chapter, search_script, stylesheet

INDEX_PDF = "企业画像索引"
#: Fewer profiles than this are rendered in this process (starting a worker costs about two seconds).
PARALLEL_MIN_PROFILES = 16
_LEVEL_ZH = {1: "集团", 2: "二级子企业", 3: "三级子企业"}

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="guozi-analysis 内置渲染器">
<title>{title}</title>
<link rel="stylesheet" href="assets/volume.css">
</head>
<body class="gz-volume">
<main id="content">
<nav class="gz-volume-nav"><a href="index.html">← {volume}</a>{extra}</nav>
<article>
{body}
</article>
<footer class="page-footer">{footer}</footer>
</main>
{script}
</body>
</html>
"""

_VOLUME_CSS = """
@font-face { font-family: "GuoziCJK"; src: url(font.woff) format("woff"); font-weight: 100 900; font-style: normal; }
body.gz-volume main#content { margin: 0 auto; max-width: 980px; padding: 1rem 1.5rem; }
.gz-volume-nav { display: flex; gap: 1.5rem; margin-bottom: 1rem; font-size: 0.95rem; }
.gz-filter input { width: 100%; max-width: 32rem; padding: 0.4rem 0.6rem; font-size: 1rem; }
.gz-filter .count { color: #666; margin-left: 1rem; }
table.gz-list { border-collapse: collapse; width: 100%; margin-top: 0.8rem; font-size: 0.92rem; }
table.gz-list th, table.gz-list td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; }
"""

_FILTER_JS = """(function () {
  "use strict";
  var list = JSON.parse(document.getElementById("gz-enterprises").textContent);
  var input = document.getElementById("gz-filter");
  var body = document.getElementById("gz-rows");
  var count = document.getElementById("gz-count");
  function cell(row, text, href) {
    var td = document.createElement("td");
    if (href) { var a = document.createElement("a"); a.href = href; a.textContent = text; td.appendChild(a); }
    else { td.textContent = text; }
    row.appendChild(td);
  }
  function show() {
    var terms = input.value.trim().toLowerCase().split(/\\s+/).filter(Boolean);
    body.textContent = "";
    var shown = 0;
    list.forEach(function (e) {
      var hay = [e.name, e.short_name, e.code, e.function_class, e.industry_class, e.level, e.group].join(" ").toLowerCase();
      if (!terms.every(function (t) { return hay.indexOf(t) >= 0; })) { return; }
      var row = document.createElement("tr");
      cell(row, e.name, e.page); cell(row, e.short_name); cell(row, e.level); cell(row, e.group);
      cell(row, e.function_class); cell(row, e.industry_class); cell(row, "PDF", e.pdf);
      body.appendChild(row);
      shown += 1;
    });
    count.textContent = "共 " + shown + " 家";
  }
  input.addEventListener("input", show);
  show();
})();"""


#: Each enterprise page marks the terms the review's search passed on (``<编码>.html?hl=…``).
_HIGHLIGHT_SCRIPT = '<script src="assets/search.js" defer></script>'


def enterprise_list(roster: pd.DataFrame, entities: list[str]) -> list[dict]:
    """One entry per profiled enterprise (tree order): names, classes, level, group, and its page and PDF."""
    tree = EnterpriseTree.from_roster(roster)
    rows = roster.assign(_id=roster["enterprise_id"].astype(str).str.strip()).set_index("_id")
    wanted = set(entities)
    out = []
    for code in tree.order:
        if code not in wanted:
            continue
        row = rows.loc[code]
        group = tree.group_of(code)
        out.append({
            "code": code,
            "name": str(row["name"]),
            "short_name": str(row["short_name"]) if pd.notna(row["short_name"]) else "",
            "level": _LEVEL_ZH.get(tree.depth(code), f"{tree.depth(code)}级子企业"),
            "group": "" if group == code else str(rows.loc[group, "short_name"]),
            "function_class": str(row["function_class"]) if pd.notna(row["function_class"]) else "",
            "industry_class": str(row["industry_class"]) if pd.notna(row["industry_class"]) else "",
            "page": f"{code}.html",
            "pdf": f"pdf/{code}.pdf",
        })
    return out


def _index_html(entries: list[dict], *, volume: str, subtitle: str, colophon: list[tuple[str, str]] = ()) -> str:
    data = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    body = (f"<h1>{html.escape(volume)}</h1>\n<p>{html.escape(subtitle)}</p>\n"
            '<div class="gz-filter"><input id="gz-filter" type="search" placeholder="按企业名称、简称、编码或分类查找……" '
            'aria-label="查找企业" autocomplete="off"><span class="count" id="gz-count"></span></div>\n'
            '<noscript><p>浏览器未启用脚本，无法筛选；企业清单另见 PDF 索引。</p></noscript>\n'
            '<table class="gz-list"><thead><tr><th>企业名称</th><th>简称</th><th>层级</th><th>所属集团</th>'
            "<th>功能分类</th><th>行业分类</th><th>PDF</th></tr></thead><tbody id=\"gz-rows\"></tbody></table>")
    if colophon:  # back matter: the volume's 版本信息 at its end
        body += ("\n<h2>版本信息</h2>\n<table><tbody>" + "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in colophon) + "</tbody></table>")
    script = (f'<script type="application/json" id="gz-enterprises">{data}</script>\n'
              f"<script>\n{_FILTER_JS}\n</script>")
    extra = f'<a href="pdf/{INDEX_PDF}.pdf">索引（PDF）</a><a href="../index.html">年度报告</a>'
    return _PAGE.format(title=html.escape(volume), volume="企业画像索引", extra=extra, body=body,
                        footer=html.escape(subtitle), script=script)


def _index_markdown(entries: list[dict], *, volume: str, subtitle: str, colophon: str = "") -> str:
    lines = [f"# {volume} {{.unnumbered}}", "", subtitle, "",
             "每家企业一份 PDF，文件名为企业编码（见“文件”列）；网页版另有按名称、简称、编码或分类查找的索引。", "",
             "| 企业名称 | 简称 | 层级 | 所属集团 | 功能分类 | 文件 |", "|---|---|---|---|---|---|"]
    for e in entries:
        cells = [e["name"], e["short_name"], e["level"], e["group"] or "—", e["function_class"], f"{e['code']}.pdf"]
        lines.append("| " + " | ".join(c.replace("|", "／") for c in cells) + " |")
    return "\n".join(lines) + "\n" + (f"\n{colophon}" if colophon else "")


def search_entries(executed_dir: Path | str, *, folder: str = "profiles", roster: pd.DataFrame | None = None) -> list[dict]:
    """The volume's enterprises as entries of the review's search (``search.js``): searching a name,
    short name, code or class offers the enterprise's profile page (``<folder>/<编码>.html``)."""
    executed = Path(executed_dir)
    codes = [p.stem.removeprefix("profile_") for p in sorted((executed / "profiles").glob("profile_*.ipynb"))]
    if not codes:
        return []
    if roster is None:
        roster = _run_roster(json.loads((executed / "manifest.json").read_text("utf-8")))
    return [{"p": f"{folder}/{e['page']}", "t": "企业画像（另册）", "h": f"{e['name']}（{e['short_name']}）"
             if e["short_name"] else e["name"], "a": "",
             "x": "　".join(x for x in (e["level"], e["group"] and f"所属{e['group']}", e["function_class"],
                                       e["industry_class"], e["code"]) if x)}
            for e in enterprise_list(roster, codes)]


def build_volume(
    executed_dir: Path | str,
    *,
    out_dir: Path | str,
    roster: pd.DataFrame | None = None,
    jobs: int = 2,
    params_dir: Path | None = None,
) -> Path:
    """Render every executed profile (``<executed>/profiles/profile_<编码>.ipynb``) into the volume.

    ``roster`` defaults to the one of the run that produced the executed notebooks (its manifest names
    the run folder). Returns the index page. Raises :class:`FileNotFoundError` (in Chinese) when no
    profile has been executed.
    """
    executed = Path(executed_dir)
    out = Path(out_dir)
    notebooks = {p.stem.removeprefix("profile_"): p for p in sorted((executed / "profiles").glob("profile_*.ipynb"))}
    if not notebooks:
        raise FileNotFoundError(f"没有已执行的企业画像（{executed / 'profiles'}）：请先运行 `guozi run --period …`。")
    manifest = json.loads((executed / "manifest.json").read_text("utf-8"))
    if roster is None:
        roster = _run_roster(manifest)
    settings = district_settings(params_dir=params_dir)
    volume = f"{settings['district']['name']}国有企业画像"
    subtitle = f"{settings['district']['supervisor']}　{manifest['period']} 期　共 {len(notebooks)} 家企业"
    entries = enterprise_list(roster, list(notebooks))
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}-build-", dir=out.parent) as tmp:
        stage, work = Path(tmp) / "stage", Path(tmp) / "work"
        (stage / "pdf").mkdir(parents=True)
        (stage / "assets").mkdir()
        # the PDFs' creation date is the period's as-of date: the same run renders the same bytes
        stamp = as_of_date(str(manifest["period"]))
        tasks = [(notebooks[e["code"]], e, work, stage, volume, subtitle, stamp) for e in entries]
        # worker processes, not threads: most of a page's cost is Python walking the document
        # each page answers with the characters it prints (not its text): the volume's memory stays that
        # of one page and a character set however many enterprises it has
        glyphs = set().union(*map_in_processes(_render_profile, tasks, jobs=jobs, min_items=PARALLEL_MIN_PROFILES,
                                               stage="render"))
        period = str(manifest["period"])
        colophon = colophon_rows(executed, period=period, kind="review", settings=settings)
        index = _index_html(entries, volume=volume, subtitle=subtitle, colophon=colophon)
        (stage / "index.html").write_text(index, encoding="utf-8")
        (stage / "enterprises.json").write_text(json.dumps(entries, ensure_ascii=False, indent=1), "utf-8")
        index_md = work / f"{INDEX_PDF}.md"
        index_md.parent.mkdir(parents=True, exist_ok=True)
        index_md.write_text(_index_markdown(entries, volume=volume, subtitle=subtitle, colophon=colophon_page(
            executed, period=period, kind="review", settings=settings, heading="## 版本信息")), "utf-8")
        render_chapter(index_md, work=work / "_index", pdf=stage / "pdf" / f"{INDEX_PDF}.pdf", meta={"volume": volume},
                       date=stamp)
        # tags too: placeholders and inline SVG labels need glyphs
        visible = glyphs | set(index) | set(_FILTER_JS)
        chars = "".join(sorted(visible | set("".join(json.dumps(e, ensure_ascii=False) for e in entries))))
        (stage / "assets" / "font.woff").write_bytes(subset_font_woff(chars))
        (stage / "assets" / "volume.css").write_text(stylesheet() + _VOLUME_CSS, encoding="utf-8")
        (stage / "assets" / "search.js").write_text(search_script(), encoding="utf-8")
        _swap(stage, out)
    return out / "index.html"


def _render_profile(task: tuple) -> frozenset[str]:
    """One enterprise's page and PDF into the stage; returns the characters of its page (they feed the
    volume's font subset), not the page: a worker sends back a few hundred characters, not a page of HTML."""
    notebook, entry, work, stage, volume, subtitle, stamp = task
    code = entry["code"]
    title, body = render_chapter(notebook, work=work / code, pdf=stage / entry["pdf"], meta={"volume": volume},
                                 date=stamp)
    extra = f'<a href="{entry["pdf"]}">本企业画像（PDF）</a>'
    page = _PAGE.format(title=html.escape(f"{title} – {volume}"), volume=html.escape(volume), extra=extra,
                        body=body, footer=html.escape(subtitle), script=_HIGHLIGHT_SCRIPT)
    (stage / entry["page"]).write_text(page, encoding="utf-8")
    shutil.rmtree(work / code, ignore_errors=True)
    return frozenset(page)


def _run_roster(manifest: dict) -> pd.DataFrame:
    """The roster the run read: its shared results, else the last published shared results of the period."""
    for folder in (Path(manifest.get("run_dir", "")) / "processed", config.shared_dir(str(manifest["period"]))):
        path = folder / "table_roster.parquet"
        if path.exists():
            return pd.read_parquet(path)
    raise FileNotFoundError(f"找不到 {manifest['period']} 期的企业名录（运行目录 {manifest.get('run_dir')} 已删除？）"
                            "：请重新运行 `guozi run --period …`。")


def _swap(stage: Path, out: Path) -> None:
    """Replace ``out`` by ``stage`` (the old volume is removed last)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
    os.replace(stage, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)

