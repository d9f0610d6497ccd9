"""The public edition's summary (公开摘要): the year's results and next year's plan in public language.

What is public is the district's policy (``params/district.yaml`` → ``report.public``,
:func:`~guozi_analysis.publishing.book.public_policy`):
which sections the summary has, which enterprises may be named (roster level up to ``name_level`` and not
on the supervision list) and which categories never appear (``forbidden``: each a description and a
pattern, checked on the rendered text by :func:`guozi_analysis.publishing.book.public_leaks`).

Every number is a fact (:class:`~guozi_analysis.publishing.narrative.Section`) and the summary ends with
its own 数字来源: one row per printed number, naming the indicator and its official definition or 本区定义
— never a table of the internal edition.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from guozi_analysis.base.params import load_yaml
from guozi_analysis.base.periods import as_of_date, parse_period
from guozi_analysis.indicators.catalogue import catalogue_frame
from guozi_analysis.indicators.panel import item_name
from guozi_analysis.publishing import narrative
from guozi_analysis.publishing.book import public_policy
from guozi_analysis.publishing.coverage import complete
from guozi_analysis.publishing.narrative import DISTRICT_ID, Section, _Lookup, _missing, _whole, _Writer
from guozi_analysis.publishing.published import markdown_with_figures
from guozi_analysis.publishing.text import Fact, change_word, date_zh, markdown

#: The plan draft the district edits (指导思想 and the parts' measures), read when present.
PLAN_DRAFT = "plan_{year}.yaml"


# ------------------------------------------------------------------------------------------------
# the summary's sections (each: key → function of the context)
# ------------------------------------------------------------------------------------------------
def _growth(L: _Lookup, n, indicator: str) -> str:
    """「，同比增长3.20%」 (nothing when the growth cannot be computed: the sentence keeps its level)."""
    g = L.ind(indicator, "%")
    return "" if _missing(g) else f"，同比{change_word(g.value)}{n(g.magnitude())}%"


def section_overview(ctx) -> Section:
    """总体情况: revenue, profit, assets, leverage, investment, taxes and jobs of the district."""
    L, w = _Lookup(ctx), _Writer()
    n = w.n
    as_of = date_zh(as_of_date(ctx.period))
    text = (f"截至{as_of}，{_whole(ctx)}实现营业总收入{n(L.ind('revenue', '亿元'))}亿元{_growth(L, n, 'revenue_growth')}；"
            f"利润总额{n(L.ind('total_profit', '亿元'))}亿元{_growth(L, n, 'total_profit_growth')}。"
            f"期末资产总额{n(L.ind('total_assets', '亿元'))}亿元，资产负债率{n(L.ind('debt_to_asset_ratio', '%'))}%。"
            f"本年完成固定资产投资{n(L.ind('project_completed_ytd', '亿元'))}亿元、股权投资"
            f"{n(L.ind('equity_investment_completed', '亿元'))}亿元。"
            f"已交税费{n(L.ind('taxes_paid', '亿元'))}亿元，期末从业人员{n(L.ind('headcount_end', '人'))}人。")
    return w.section("总体情况", [text], ctx.period)


def section_supervision(ctx) -> Section:
    """防风险、强监管: financing and supervision in public terms — no guarantee amounts, no overdue
    rectifications, no enterprise named."""
    L, w = _Lookup(ctx), _Writer()
    n = w.n
    paras = []
    text = "**一是强化资金保障。**"
    if L.has("aa_plus_count"):
        text += f"全区AA+及以上主体信用等级企业{n(L.item('aa_plus_count', '家'))}家。"
    cost = L.ind("composite_financing_cost", "%")
    bp = L.ind("financing_cost_change_bp", "bp")
    text += f"存量融资综合成本{n(cost)}%"
    text += (f"，较上年同期{change_word(bp.value, up='上升')}{n(bp.magnitude())}个基点。" if complete(ctx) else "。")
    paras.append(text)
    text = "**二是完善监督考核。**"
    if L.has("groups_with_targets_count"):
        text += f"完成{n(L.item('groups_with_targets_count', '家'))}家集团本年度经营业绩考核目标制订，"
    text += "以财务管控为主线，按月监测企业经营和债务情况，对担保、融资和重大投资实行全过程监管。"
    paras.append(text)
    summary = f"contract_summary:{DISTRICT_ID}:"
    contracts = Fact(narrative.source_value(ctx, summary + "contracts"), "份", summary + "contracts", label="跟踪合同数")
    if not _missing(contracts):
        paras.append(f"**三是建设“国资慧聚”监管平台。**推进交易数据贯通和合同全轨迹管理，已跟踪国企合同{n(contracts)}份。")
    return w.section("防风险、强监管，国资监管取得新成效", paras, ctx.period)


def _draft(year: int) -> dict:
    """The district's plan draft for ``year`` (``params/plan_<year>.yaml``), empty when there is none."""
    try:
        return load_yaml(PLAN_DRAFT.format(year=year)) or {}
    except FileNotFoundError:
        return {}


def _prose(value) -> str:
    """A folded YAML paragraph as one Chinese paragraph: no space left where a line broke between CJK characters."""
    text = " ".join(str(value or "").split())
    return re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) (?=[A-Za-z0-9])|(?<=[A-Za-z0-9]) (?=[^\x00-\x7f])",
                  "", text)


def _draft_parts(draft: dict) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """(title, [(measure text, target items)]) of each part of the plan draft, in order. A measure is
    ``lead`` (bold) and ``text``; its ``targets`` are items of ``targets_<year>.yaml``."""
    out = []
    for part in draft.get("parts") or []:
        if isinstance(part, str):
            out.append((part, []))
            continue
        title = str(part.get("title") or part.get("name") or "").strip()
        measures = []
        for m in part.get("measures") or []:
            if not isinstance(m, dict):
                measures.append((str(m).strip(), []))
                continue
            lead, text = str(m.get("lead") or "").strip(), _prose(m.get("text"))
            measures.append(((f"**{lead}。**" if lead else "") + text, [str(t) for t in m.get("targets") or []]))
        out.append((title, measures))
    return out


def _target_line(row: dict, n) -> str:
    """「利润总额2023年目标不少于33.28亿元（2022年预计利润总额31.37亿元）。」 (district targets only)."""
    unit, year = row["unit"], int(row["year"])
    target = narrative._target_fact(row, "target_value", narrative._shown(unit), f"{row['name_zh']}（{year}年目标）",
                                    digits=0 if unit == "bp" else 2)
    if _missing(target):
        return ""
    text = f"{row['name_zh']}{year}年目标{narrative._target_phrase(row, target, n)}"
    base = narrative._target_fact(row, "baseline_value", narrative._shown(unit), f"{row['name_zh']}（{year - 1}年基准）")
    if not _missing(base) and unit != "bp":
        text += f"（{row['baseline_text']}{n(base)}{narrative._shown(unit)}）"
    return text + "。"


def section_plan(ctx) -> Section:
    """二、下一年度工作安排: the plan draft's 指导思想 and parts with their measures (``params/plan_<year>.yaml``)
    when the district has one, else the parts of the targets file; each measure followed by the district
    targets it carries (never a target by enterprise), the part's other targets after its measures."""
    year = parse_period(ctx.period).year + 1
    w = _Writer()
    n = w.n
    draft = _draft(year)
    targets = narrative._frame(ctx, "narrative_targets")
    rows = targets.loc[targets["entity_id"].astype(str) == DISTRICT_ID].to_dict("records") if len(targets) else []
    by_item = {str(r["item"]): r for r in rows}
    parts = _draft_parts(draft) or [(p, []) for p in narrative.plan_catalogue(year).get("parts") or []]
    body = []
    guiding = _prose(draft.get("guiding"))
    if guiding:
        body += [f"**指导思想。**{guiding}", ""]
    for k, (title, measures) in enumerate(parts):
        heading = f"（{narrative._PART_NUMBERS[k]}）{title}" if k < 10 else title
        body += [f"### {heading}", ""]
        claimed = {item for _, items in measures for item in items}
        for text, items in measures:
            lines = [t for t in (_target_line(by_item[i], n) for i in items if i in by_item) if t]
            body.append(f"- {text}" + (f"目标：{''.join(lines)}" if lines else ""))
        rest = [t for t in (_target_line(r, n) for r in rows
                            if _part_matches(r.get("part"), title) and str(r["item"]) not in claimed) if t]
        body += [f"- {t}" for t in rest]
        if not measures and not rest:
            body.append("- 按本区年度重点工作任务台账推进。")
        body.append("")
    title = f"二、{year}年工作安排"
    text, used = w.done("\n".join(body))
    return Section(title, f"### {title}\n\n{text}\n", tuple(used), ctx.period)


def _part_matches(part, title: str) -> bool:
    part = str(part or "").strip()
    return bool(part) and (part == title or part in title)


#: The sections a summary may have, in reading order (``report.public.sections`` picks among them).
SECTIONS: dict[str, Callable] = {
    "overview": section_overview,
    "investment": narrative.section_investment,
    "reform": narrative.section_reform,
    "supervision": section_supervision,
    "plan": section_plan,
}


def summary_sections(ctx, *, policy: dict | None = None) -> list[tuple[str, Section]]:
    """(key, section) of the summary, in the district's order (``report.public.sections``)."""
    policy = policy or public_policy()
    unknown = [k for k in policy["sections"] if k not in SECTIONS]
    if unknown:
        raise ValueError(f"参数文件 district.yaml：report.public.sections 中有未知的章节 {unknown}，"
                         f"可选：{'、'.join(SECTIONS)}")
    return [(key, SECTIONS[key](ctx)) for key in policy["sections"]]


_NUMBERED = re.compile(r"^（[一二三四五六七八九十]+）")


def summary(ctx):
    """The summary's text: 一、the year's results (its sections under one heading, numbered in the
    summary's own order), 二、the plan; every number linked to its row of the 数字来源 at the end."""
    year = parse_period(ctx.period).year
    sections = summary_sections(ctx)
    lines, k = [f"## 一、{year}年工作情况", ""], 0
    for key, section in sections:
        md = narrative.linked_markdown(section, f"pub-{key}")
        if key == "plan":  # its own part (二、), its parts one level down
            md = md.replace(f"### {section.title}", f"## {section.title}", 1)
        else:
            title = f"（{narrative._PART_NUMBERS[k]}）{_NUMBERED.sub('', section.title)}"
            md = md.replace(f"### {section.title}", f"### {title}", 1)
            k += 1
        lines += [md, ""]
    return markdown_with_figures("\n".join(lines), [f for _, s in sections for f in s.figures()])


def _source_zh(fact: Fact, definitions) -> tuple[str, str]:
    """(what the number is, its definition and source) in words a reader of the summary can check."""
    table, _, item = fact.parts
    if table == "indicators" and item in definitions.index:
        row = definitions.loc[item]
        return str(row["name_zh"]), f"{row['source']}"
    if table == "line_items":
        return item_name(item), "企业财务快报"
    if table == "narrative_targets":
        return fact.label or item, "本区年度目标"
    if table == "contract_summary":
        return fact.label or item, "本区国资监管平台合同台账"
    return fact.label or item, "企业报送台账汇总（本区统计）"


def sources(ctx):
    """数字来源 of the summary: one row per printed number (linked both ways), naming the indicator and its
    official definition or 本区定义 — nothing else."""
    definitions = catalogue_frame().set_index("id")
    lines = ["## 数字来源", "",
             "正文中的每个数字都链接到下表中的一行；数字为全区合计，由本区国资委汇总各区属国有企业报送的财务快报和台账得出。", "",
             # the dashes give the columns' shares (a pipe table wider than a line): the sources get the room
             "| 序号 | 数值 | 指标 | 口径与来源 |", "|----|----------|------------------|----------------------------------------|"]
    k_all = 0
    for key, section in summary_sections(ctx):
        _, linked = narrative._link_facts(section, f"pub-{key}")
        for k, fact in enumerate(section.facts, start=1):
            k_all += 1
            what, where = _source_zh(fact, definitions)
            anchor = f"[{k_all}]{{#src-pub-{key}-{k}}}"
            number = f"[{fact.text()}](#ref-pub-{key}-{k})" if k in linked else fact.text()
            unit = narrative._UNIT_WORDS.get(fact.unit, fact.unit)
            lines.append(f"| {anchor} | {number}{unit} | {_cell(what)} | {_cell(where)} |")
    return markdown("\n".join(lines) + "\n")


def _cell(text) -> str:
    return str(text).replace("|", "／").replace("\n", " ")
