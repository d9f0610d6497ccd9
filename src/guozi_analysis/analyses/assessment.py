"""Annual performance assessment of the groups (经营业绩考核) and next year's targets.

Everything that decides a score is data:

* ``params/assessment/<year>.yaml`` — the year's scheme: who is assessed (and who on trial, 试考核),
  the indicators (catalogue ids) with weights per weight profile (by default the enterprise's
  function class 竞争类/功能类/公益类), the scoring method of each indicator, bonus and penalty
  items, grade bands and the year's targets. :func:`load_scheme` reads and checks it.
* ``params/assessment/standards.csv`` — standard values (优秀/良好/平均/较低/较差) per industry,
  size class (大型/中型/小型, or 全部 for the industry as a whole) and indicator for the
  efficacy-coefficient method (功效系数法, :func:`guozi_analysis.scoring.efficacy_score`). Lookup:
  the enterprise's industry and size class, then the industry's 全部 row, then 全行业 (same size,
  then 全部). The size class comes from ``params/assessment/size_classes.yaml`` (headcount and
  revenue thresholds per industry), or from the scheme's ``size_class`` for an enterprise.

An assessment made before December data is in (year-end projected) is a **预评估**: its title, the
``assessment_kind`` column of the stored ranking, every table, chart title and workbook sheet say so.

Two scoring methods
-------------------
``target`` (目标完成法)
    Full marks (the weight) at 100 % of target. Below target, ``shortfall_points`` are deducted for
    every ``shortfall_step`` % of shortfall (pro rata unless ``whole_steps``), floored at 0. Above
    target, ``excess_points`` are added per ``excess_step`` %, capped at ``cap_pct`` % of the weight.
    The gap is relative to ``|target|`` (``gap_basis: relative``) or in the indicator's own unit
    (``absolute``, e.g. percentage points); for lower-is-better indicators a value below target is
    an over-achievement. ``kind: proportional`` scores weight × completion instead (same cap/floor).
``efficacy`` (功效系数法)
    Against the five standard values of the enterprise's industry (fallback 全行业), or standards
    written inline in the scheme.

Year-end values
---------------
Indicators are computed with the project's indicator engine from the line-item panel of December.
When December is not yet in, the year is **projected**: each year-to-date flow an indicator needs
(营业总收入, 利润总额, 净利润 … and the tree's 本年完成投资) is replaced by its projected year-end
value from :func:`guozi_analysis.forecast.project_year_end` (median of the simulated totals; if that
fails, the historical-share rule ``YTD ÷ average share of the annual total reached by the same
month in past years``); balance-sheet items stay at the latest month end; ``months_elapsed`` becomes
12. Such values are flagged ``projected`` and shown as 预计. The objective factors of the
state-capital preservation ratio (客观增加/减少因素) are explicit inputs: the reported year-to-date
figures, or the confirmed amounts written under ``input_overrides`` in the scheme; they are never
projected.

Nothing runs at import time; no function mutates its inputs.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses.forecast import METHODS, project_year_end, stored_projection
from guozi_analysis.analyses.risk.engine import evaluate_rules
from guozi_analysis.analyses.risk.report import supervision_list
from guozi_analysis.base import config
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.params import read_yaml
from guozi_analysis.base.periods import closed_month, parse_period
from guozi_analysis.indicators.catalogue import Catalogue, load_catalogue
from guozi_analysis.indicators.formulas import REGISTRY, compute_from_panel, inputs_of
from guozi_analysis.indicators.panel import BALANCE_ITEMS, FINANCIAL_ITEMS, FLOW_ITEMS, item_name, line_items
from guozi_analysis.indicators.scoring import COEFFICIENTS, GRADES, efficacy_score, grade_of

__all__ = [
    "PROPOSAL_RULE_ZH",
    "Assessment",
    "DEFAULT_GRADE_BANDS",
    "DEFAULT_TARGET_RULE",
    "METHOD_LABELS",
    "scheme_path",
    "load_scheme",
    "validate_scheme",
    "load_standards",
    "lookup_standards",
    "target_points",
    "efficacy_points",
    "grade_for",
    "assessment_kind",
    "load_size_rules",
    "size_class_for",
    "PRE_ASSESSMENT",
    "data_month_for",
    "assessment_values",
    "risk_values",
    "score_sheet",
    "rank",
    "assess",
    "propose_targets",
    "shared_frames",
    # notebook display
]

METHOD_LABELS = {"target": "目标完成法", "efficacy": "功效系数法", "adjustment": "加减分"}

#: Default grades of the 经营业绩考核 (A ≥ 90, B ≥ 80, C ≥ 70, D below): the district's own choice,
#: overridable per year in ``params/assessment/<year>.yaml`` (see the comment there).
DEFAULT_GRADE_BANDS: tuple[dict, ...] = (
    {"grade": "A", "min": 90.0},
    {"grade": "B", "min": 80.0},
    {"grade": "C", "min": 70.0},
    {"grade": "D", "min": None},
)

#: What an assessment is called: on projected year-end values (before December data) or on actuals.
PRE_ASSESSMENT = "预评估"
#: ``rule: {list: key_supervision}`` of an adjustment: count the members on the risk engine's
#: key-supervision list (重点监管对象) instead of testing indicator thresholds.
KEY_SUPERVISION_LIST = "key_supervision"
FINAL_ASSESSMENT = "年度考核"
SIZE_ALL = "全部"
SIZE_CLASSES = ("大型", "中型", "小型")

DEFAULT_TARGET_RULE: dict = {
    "kind": "step",  # step | proportional
    "shortfall_step": 2.0,  # every 2 % below target …
    "shortfall_points": 1.0,  # … costs 1 point
    "excess_step": 2.0,
    "excess_points": 1.0,
    "cap_pct": 110.0,  # at most 110 % of the weight
    "gap_basis": "relative",  # relative (% of |target|) | absolute (indicator unit)
    "whole_steps": False,
}

#: Year-end projection options (passed to forecast.project_year_end). ETS/SARIMA are left out by
#: default: with the rolling backtest they take minutes for a district; add them in the scheme if wanted.
DEFAULT_PROJECTION = {"n_sims": 500, "backtest_sims": 200, "seed": 0, "history_years": 5,
                      "methods": ["hist_share", "seasonal_naive", "linear_ytd"]}

#: Year-to-date detail aggregates that can be projected (panel column → how the series is built).
_PROJECTABLE_DETAIL = {"proj_completed_ytd"}
_ACTIVE_PROJECT_STATUS = ("新开工", "续建", "竣工")
_INDUSTRY_FALLBACK = "全行业"


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _isnan(x) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _round2(x: float) -> float:
    if _isnan(x):
        return float("nan")
    return float(Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _num(x: float, digits: int = 2) -> str:
    if _isnan(x):
        return "—"
    return f"{float(x):,.{digits}f}"


def _short(x: float) -> str:
    """A rule parameter without trailing zeros (2.0 → 2, 0.5 → 0.5)."""
    return f"{float(x):g}"


def _with_unit(x: float, unit: str) -> str:
    if _isnan(x):
        return "—"
    if unit == "%":
        return f"{_num(x)}%"
    return f"{_num(x)}{unit}"


def _catalogue():

    return load_catalogue()


def _sub_catalogue(ids: Sequence[str]):

    cat = _catalogue()
    specs = tuple(cat.get(i) for i in dict.fromkeys(ids))
    return Catalogue(tables=cat.tables, indicators=specs)


def _month_zh(month: str) -> str:
    return f"{int(month[:4])}年{int(month[5:7])}月"


# --------------------------------------------------------------------------------------------
# the scheme
# --------------------------------------------------------------------------------------------
def scheme_path(year: int, *, params_dir: Path | None = None) -> Path:
    """``params/assessment/<year>.yaml``."""
    return (params_dir or config.PARAMS_DIR) / "assessment" / f"{int(year)}.yaml"


def load_scheme(year: int, *, params_dir: Path | None = None) -> dict:
    """Read and check the assessment scheme of ``year`` (see :func:`validate_scheme`)."""

    path = scheme_path(year, params_dir=params_dir)
    scheme = validate_scheme(read_yaml(path, what=f"{year}年度考核方案"))
    if scheme["year"] != int(year):
        raise ValueError(f"考核方案 {path} 中的 year 为 {scheme['year']}，与文件名年度 {year} 不符")
    return scheme


def _profiles(indicators: list[dict]) -> set[str]:
    return {p for ind in indicators for p in ind["weights"]}


def validate_scheme(scheme: Mapping) -> dict:
    """Check a scheme mapping and return a normalised deep copy with defaults filled in.

    Raises ``ValueError`` (Chinese message) for unknown catalogue ids or methods, weights of a
    profile not adding up to 100, duplicate enterprises, events naming unknown adjustments or
    grade bands out of order.
    """
    if not isinstance(scheme, Mapping):
        raise ValueError("考核方案的顶层应为键值映射")
    s = copy.deepcopy(dict(scheme))
    if "year" not in s:
        raise ValueError("考核方案缺少 year（考核年度）")
    s["year"] = int(s["year"])
    s.setdefault("title", f"{s['year']}年度经营业绩考核")
    s.setdefault("note", "")

    bands = s.get("grade_bands") or [dict(b) for b in DEFAULT_GRADE_BANDS]
    mins = [b.get("min") for b in bands]
    if any(m is None for m in mins[:-1]):
        raise ValueError("等级划分中只有最后一档可以不设下限（min: null）")
    numeric = [float(m) for m in mins if m is not None]
    if numeric != sorted(numeric, reverse=True):
        raise ValueError("等级划分须按下限从高到低排列")
    s["grade_bands"] = [{"grade": str(b["grade"]), "min": None if b.get("min") is None else float(b["min"])}
                        for b in bands]

    s["target_rule"] = {**DEFAULT_TARGET_RULE, **(s.get("target_rule") or {})}
    s["projection"] = {**DEFAULT_PROJECTION, **(s.get("projection") or {})}

    enterprises = s.get("enterprises") or []
    if not enterprises:
        raise ValueError("考核方案没有列出参加考核的企业（enterprises）")
    ids = [str(e["enterprise_id"]) for e in enterprises]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"参加考核的企业重复：{'、'.join(dup)}")
    s["enterprises"] = [{**e, "enterprise_id": str(e["enterprise_id"]), "trial": bool(e.get("trial", False))}
                        for e in enterprises]

    cat = _catalogue()
    known = set(cat.ids)
    indicators = []
    for ind in s.get("indicators") or []:
        iid = str(ind.get("id", ""))
        if iid not in known:
            raise ValueError(f"考核指标「{iid}」不在指标目录（params/indicators.yaml）中")
        method = ind.get("method")
        if method not in ("target", "efficacy"):
            raise ValueError(f"考核指标「{iid}」的计分方法应为 target 或 efficacy，收到「{method}」")
        weights = {str(k): float(v or 0.0) for k, v in (ind.get("weights") or {}).items()}
        if any(w < 0 for w in weights.values()):
            raise ValueError(f"考核指标「{iid}」的权重不能为负")
        entry = {**ind, "id": iid, "weights": weights,
                 "direction": ind.get("direction") or cat.get(iid).direction}
        if entry["direction"] not in ("higher_better", "lower_better"):
            raise ValueError(f"考核指标「{iid}」须为越高越好或越低越好（direction），目录中为「{entry['direction']}」")
        if method == "target":
            entry["target_item"] = str(ind.get("target_item") or iid)
            entry["target_rule"] = {**s["target_rule"], **(ind.get("target_rule") or {})}
            if entry["target_rule"]["kind"] not in ("step", "proportional"):
                raise ValueError(f"考核指标「{iid}」的目标计分规则 kind 应为 step 或 proportional")
        if ind.get("standards") is not None:
            entry["standards"] = {g: float(ind["standards"][g]) for g in GRADES}
        indicators.append(entry)
    if not indicators:
        raise ValueError("考核方案没有考核指标（indicators）")
    iids = [i["id"] for i in indicators]
    if len(set(iids)) != len(iids):
        raise ValueError("考核指标重复")
    for profile in sorted(_profiles(indicators)):
        total = sum(i["weights"].get(profile, 0.0) for i in indicators)
        if abs(total - 100.0) > 1e-6:
            raise ValueError(f"权重档「{profile}」的指标权重合计为 {total:g}，应为 100")
    s["indicators"] = indicators

    adjustments = []
    for adj in s.get("adjustments") or []:
        entry = {**adj, "id": str(adj["id"]), "name": str(adj.get("name", adj["id"])),
                 "points": float(adj.get("points", 0.0))}
        if entry.get("max_points") is not None:
            entry["max_points"] = float(entry["max_points"])
        rule = entry.get("rule")
        if rule:
            if rule.get("list") not in (None, KEY_SUPERVISION_LIST):
                raise ValueError(f"加减分项「{entry['id']}」的 rule.list 只能是 {KEY_SUPERVISION_LIST}"
                                 f"（债务风险重点监管名单），收到「{rule.get('list')}」")
            if rule.get("list") and rule.get("any"):
                raise ValueError(f"加减分项「{entry['id']}」的 rule 不能同时给出 list 和 any")
            for cond in rule.get("any", []):
                if cond.get("indicator") not in known:
                    raise ValueError(f"加减分项「{entry['id']}」引用了指标目录中没有的指标「{cond.get('indicator')}」")
            rule.setdefault("scope", "tree")
        adjustments.append(entry)
    s["adjustments"] = adjustments
    adj_ids = {a["id"] for a in adjustments}
    events = []
    for ev in s.get("events") or []:
        if str(ev.get("adjustment")) not in adj_ids:
            raise ValueError(f"加减分登记引用了未定义的加减分项「{ev.get('adjustment')}」")
        events.append({**ev, "enterprise_id": str(ev["enterprise_id"]), "adjustment": str(ev["adjustment"])})
    s["events"] = events
    s["bonus_cap"] = None if s.get("bonus_cap") is None else float(s["bonus_cap"])
    s["penalty_cap"] = None if s.get("penalty_cap") is None else float(s["penalty_cap"])
    s["input_overrides"] = {str(k): dict(v) for k, v in (s.get("input_overrides") or {}).items()}
    s["targets"] = {str(k): {str(i): (None if v is None else float(v)) for i, v in (t or {}).items()}
                    for k, t in (s.get("targets") or {}).items()}
    return s


# --------------------------------------------------------------------------------------------
# standard values
# --------------------------------------------------------------------------------------------
def load_standards(path: Path | str | None = None) -> pd.DataFrame:
    """The editable standard-value table (``industry, size_class, indicator_id, 优秀…较差, source``).

    A table without ``size_class`` is read as one row per industry (``size_class`` = 全部).
    """
    p = Path(path) if path is not None else config.PARAMS_DIR / "assessment" / "standards.csv"
    try:
        frame = pd.read_csv(p, encoding="utf-8-sig", dtype={"industry": "string", "size_class": "string",
                                                             "indicator_id": "string", "source": "string"})
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"找不到标准值表：{p}") from exc
    missing = [c for c in ("industry", "indicator_id", *GRADES) if c not in frame.columns]
    if missing:
        raise ValueError(f"标准值表 {p} 缺少列：{'、'.join(missing)}")
    if "source" not in frame.columns:
        frame["source"] = pd.NA
    if "size_class" not in frame.columns:
        frame["size_class"] = SIZE_ALL
    frame["size_class"] = frame["size_class"].fillna(SIZE_ALL)
    bad = sorted(set(frame["size_class"].astype(str)) - {SIZE_ALL, *SIZE_CLASSES})
    if bad:
        raise ValueError(f"标准值表 {p} 的规模（size_class）只能是 大型/中型/小型/全部，收到：{'、'.join(bad)}")
    for g in GRADES:
        frame[g] = pd.to_numeric(frame[g], errors="coerce").astype(float)
    frame["source"] = frame["source"].fillna("来源未注明")
    return frame


def lookup_standards(standards: pd.DataFrame, *, indicator_id: str, industry: str,
                     size_class: str | None = None) -> tuple[dict | None, str]:
    """Standard values of ``indicator_id`` for ``industry`` and ``size_class`` and a label of their origin.

    Order: (industry, size class) → (industry, 全部) → (全行业, size class) → (全行业, 全部). A table
    without ``size_class`` is matched on industry alone.
    """
    size = size_class or SIZE_ALL
    sizes = standards["size_class"].astype(str) if "size_class" in standards.columns else \
        pd.Series(SIZE_ALL, index=standards.index)
    for ind in (industry, _INDUSTRY_FALLBACK):
        for sz in dict.fromkeys((size, SIZE_ALL)):
            rows = standards.loc[(standards["industry"] == ind) & (sizes == sz)
                                 & (standards["indicator_id"] == indicator_id)]
            if len(rows):
                row = rows.iloc[0]
                where = ind if sz == SIZE_ALL else f"{ind}·{sz}"
                label = f"{where}（{row['source']}）"
                wanted = industry if size == SIZE_ALL else f"{industry}·{size}"
                if where != wanted:
                    label = f"{wanted}无标准值，取{label}"
                return {g: float(row[g]) for g in GRADES}, label
    return None, f"标准值表中没有「{indicator_id}」（{industry}或全行业）"


def load_size_rules(path: Path | str | None = None) -> dict:
    """``params/assessment/size_classes.yaml``: headcount / revenue thresholds of 大型 and 中型 per industry."""
    p = Path(path) if path is not None else config.PARAMS_DIR / "assessment" / "size_classes.yaml"
    data = read_yaml(p, what="企业规模划分标准")
    rules = data.get("industries") or {}
    if _INDUSTRY_FALLBACK not in rules:
        raise ValueError(f"企业规模划分标准 {p} 须有「{_INDUSTRY_FALLBACK}」一档（未单列的行业用它）")
    return {str(k): {sz: {str(m): float(x) for m, x in (v.get(sz) or {}).items()} for sz in ("大型", "中型")}
            for k, v in rules.items()}


def size_class_for(industry: str, *, headcount: float, revenue: float, rules: Mapping | None = None) -> str:
    """大型 / 中型 / 小型 by the thresholds of ``industry`` (else 全行业); 全部 when a figure is missing.

    A class is reached only when *every* threshold it names is met (``headcount`` in 人, annual
    ``revenue`` in 万元); otherwise the enterprise falls to the next class.
    """
    rules = load_size_rules() if rules is None else rules
    rule = rules.get(industry) or rules[_INDUSTRY_FALLBACK]
    figures = {"headcount": headcount, "revenue": revenue}
    for size in ("大型", "中型"):
        need = rule.get(size) or {}
        if any(_isnan(figures.get(k)) for k in need):
            return SIZE_ALL
        if all(float(figures[k]) >= v for k, v in need.items()):
            return size
    return "小型"


def _standards_text(values: Mapping[str, float] | None) -> str:
    if not values:
        return ""
    return "｜".join(f"{g} {_num(values[g])}" for g in GRADES)


# --------------------------------------------------------------------------------------------
# scoring one item
# --------------------------------------------------------------------------------------------
def target_points(value: float, target: float, weight: float, *, direction: str = "higher_better",
                  rule: Mapping | None = None, unit: str = "", projected: bool = False) -> tuple[float, str]:
    """Points of a target-completion indicator and the Chinese workings.

    Example (default rule, weight 30): target 100, actual 95 → 5 % below target, 1 point per 2 % →
    −2.5 → 27.5. Actual 130 → +15 points, capped at 110 % of 30 = 33. NaN value or target → NaN.
    """
    r = {**DEFAULT_TARGET_RULE, **(rule or {})}
    tag = "（预计）" if projected else ""
    if _isnan(value):
        return float("nan"), "缺少实际数，本项暂不计分"
    if _isnan(target):
        return float("nan"), "未设定目标，本项暂不计分"
    value, target, weight = float(value), float(target), float(weight)
    lower = direction == "lower_better"
    cap = weight * float(r["cap_pct"]) / 100.0
    head = f"目标 {_with_unit(target, unit)}，实际{tag} {_with_unit(value, unit)}"
    if r["gap_basis"] == "relative":
        if target == 0:
            return float("nan"), head + "；目标为零，无法按完成率计分"
        gap = ((target - value) if lower else (value - target)) / abs(target) * 100.0
        step_unit = "%"
        if target > 0:
            head += f"，完成率 {_num(value / target * 100.0)}%"
    elif r["gap_basis"] == "absolute":
        gap = (target - value) if lower else (value - target)
        step_unit = "个百分点" if unit == "%" else unit
    else:
        raise ValueError(f"gap_basis 应为 relative 或 absolute，收到「{r['gap_basis']}」")
    better = "低于" if lower else "高于"
    worse = "高于" if lower else "低于"
    gap_text = f"{_num(abs(gap))}{'%' if step_unit == '%' else step_unit}"

    if r["kind"] == "proportional":
        ratio = 1.0 + gap / 100.0 if step_unit == "%" else float("nan")
        if _isnan(ratio):
            return float("nan"), head + "；按比例计分须按相对差距（gap_basis: relative）"
        raw = weight * ratio
        points = min(max(raw, 0.0), cap)
        text = (f"{head}；按完成比例计分：{_short(weight)} × {_num(ratio * 100.0)}% = {_num(raw)}"
                f"（最低 0 分，最高为权重的 {_short(r['cap_pct'])}% 即 {_num(cap)} 分），得分 {_num(_round2(points))}")
        return _round2(points), text

    if gap >= 0:
        steps = gap / float(r["excess_step"])
        if r["whole_steps"]:
            steps = math.floor(steps + 1e-9)
        add = steps * float(r["excess_points"])
        points = min(weight + add, cap)
        if gap == 0:
            text = f"{head}；恰好完成目标，得满分 {_num(weight)}"
        else:
            text = (f"{head}，{better}目标 {gap_text}；每{better} {_short(r['excess_step'])}{step_unit} 加 "
                    f"{_short(r['excess_points'])} 分，加 {_num(add)} 分")
            if weight + add > cap:
                text += f"，封顶为权重的 {_short(r['cap_pct'])}% 即 {_num(cap)} 分"
            text += f"，得分 {_num(_round2(points))}"
        return _round2(points), text
    steps = -gap / float(r["shortfall_step"])
    if r["whole_steps"]:
        steps = math.floor(steps + 1e-9)
    deduct = steps * float(r["shortfall_points"])
    points = max(weight - deduct, 0.0)
    text = (f"{head}，{worse}目标 {gap_text}；每{worse} {_short(r['shortfall_step'])}{step_unit} 扣 "
            f"{_short(r['shortfall_points'])} 分，扣 {_num(deduct)} 分，得分 {_num(weight)} − {_num(deduct)}")
    text += f" = {_num(_round2(points))}" if weight - deduct >= 0 else f"，最低 0 分，得分 {_num(0.0)}"
    return _round2(points), text


def efficacy_points(value: float, standards: Mapping[str, float] | Sequence[float] | None, weight: float, *,
                    direction: str = "higher_better", unit: str = "", projected: bool = False
                    ) -> tuple[float, str]:
    """Points by the efficacy-coefficient method (:func:`guozi_analysis.scoring.efficacy_score`)
    and the Chinese workings (本档基础分 + 功效系数 × 权数 × 档差)."""
    tag = "（预计）" if projected else ""
    if _isnan(value):
        return float("nan"), "缺少实际数，本项暂不计分"
    if standards is None:
        return float("nan"), "没有标准值，本项暂不计分"
    s = [float(standards[g]) for g in GRADES] if isinstance(standards, Mapping) else [float(v) for v in standards]
    value, weight = float(value), float(weight)
    points = efficacy_score(value, s, weight, direction=direction)
    reached = grade_of(value, s, direction=direction)
    head = f"实际{tag} {_with_unit(value, unit)}"
    if reached == "优秀":
        return points, f"{head}，达到优秀值 {_with_unit(s[0], unit)}，得满分 {_num(weight)}"
    if reached == "较差以下":
        return points, f"{head}，劣于较差值 {_with_unit(s[4], unit)}，得 0 分"
    k = GRADES.index(reached)
    u = k - 1
    base = weight * COEFFICIENTS[k]
    coef = (value - s[k]) / (s[u] - s[k]) if s[u] != s[k] else 0.0
    adjust = coef * weight * (COEFFICIENTS[u] - COEFFICIENTS[k])
    text = (f"{head}，介于{GRADES[k]}值 {_num(s[k])} 与{GRADES[u]}值 {_num(s[u])} 之间："
            f"基础分 {_short(weight)} × {COEFFICIENTS[k]:g} = {_num(base)}；"
            f"功效系数 ({_num(value)} − {_num(s[k])}) ÷ ({_num(s[u])} − {_num(s[k])}) = {coef:.4f}；"
            f"调整分 {coef:.4f} × {_short(weight)} × ({COEFFICIENTS[u]:g} − {COEFFICIENTS[k]:g}) = {_num(adjust)}；"
            f"得分 {_num(points)}")
    return points, text


def assessment_kind(projected: bool) -> str:
    """「预评估」 for an assessment on projected year-end values, 「年度考核」 on actuals."""
    return PRE_ASSESSMENT if projected else FINAL_ASSESSMENT


def grade_for(score: float, bands: Sequence[Mapping] | None = None) -> str | None:
    """The grade of a total score (default A ≥90, B ≥80, C ≥70, D below); ``None`` for NaN.

    The score is rounded half-up to 2 decimals first, so 84.995 is an A.
    """
    if _isnan(score):
        return None
    value = _round2(score)
    bands = list(bands or DEFAULT_GRADE_BANDS)
    for band in bands:
        if band.get("min") is None or value >= float(band["min"]):
            return str(band["grade"])
    return str(bands[-1]["grade"])


# --------------------------------------------------------------------------------------------
# year-end values (actual or projected)
# --------------------------------------------------------------------------------------------
def _period_text(frame: pd.DataFrame) -> pd.Series:
    col = frame["period"]
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.dt.strftime("%Y-%m")
    return col.astype("string").str.strip()


def data_month_for(tables: Mapping[str, pd.DataFrame], *, year: int, as_of: str | None = None) -> str:
    """The month whose data the assessment of ``year`` uses: ``as_of``'s closed month when given,
    else December if reported, else the latest reported month of ``year``."""

    if as_of is not None:
        month = closed_month(as_of)
        if int(month[:4]) != int(year):
            raise ValueError(f"数据期间 {as_of} 不在考核年度 {year} 内")
        return month
    fin = tables.get("financials")
    if fin is None or not len(fin):
        raise ValueError("没有财务快报数据，无法考核")
    months = sorted(m for m in _period_text(fin).dropna().unique() if str(m).startswith(f"{int(year)}-"))
    if not months:
        raise ValueError(f"{year}年没有财务快报数据，无法考核")
    return str(months[-1])[:7]


def _roster_frame(tables: Mapping[str, pd.DataFrame], roster: pd.DataFrame | None) -> pd.DataFrame:
    roster = tables.get("roster") if roster is None else roster
    if roster is None:
        raise ValueError("缺少企业名录（roster）")
    return roster


def _tree(roster: pd.DataFrame, entity_id: str) -> list[str]:
    """``entity_id`` and every descendant by the roster's parent codes, nearest first (level by level)."""
    tree = EnterpriseTree.from_roster(roster)
    if entity_id not in tree:
        return [entity_id]
    return sorted(tree.subtree(entity_id), key=tree.depth)


def _positions_by_entity(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each enterprise's row positions in ``frame`` (ascending), found in one pass: a loop over the groups
    looks its rows up instead of scanning the whole table once per group (issue 27)."""
    ids = frame["enterprise_id"].astype(str).to_numpy()
    return pd.Series(np.arange(len(ids))).groupby(ids, sort=False).indices


def _financial_series(tables: Mapping[str, pd.DataFrame], entity_id: str, item: str, *,
                      positions: Mapping[str, np.ndarray] | None = None) -> pd.Series:
    """One enterprise's 快报 ``item`` by month (``positions``: :func:`_positions_by_entity` of the 快报)."""
    fin = tables["financials"]
    if positions is None:
        rows = fin.loc[fin["enterprise_id"].astype(str) == entity_id]
    else:
        rows = fin.iloc[positions.get(entity_id, np.empty(0, dtype=np.intp))]
    values = pd.to_numeric(rows[item], errors="coerce").astype(float).to_numpy()
    return pd.Series(values, index=_period_text(rows).str[:7].to_numpy()).sort_index()


def _active_projects(proj: pd.DataFrame) -> tuple[pd.Series, np.ndarray, dict[str, np.ndarray]]:
    """The 本年完成投资 of the active projects' H2 snapshots, their months, and each enterprise's positions
    among them (:func:`_positions_by_entity`): what :func:`_project_series` reads, found once for a loop."""
    labels = _period_text(proj)
    keep = (labels.str.endswith("-H2").fillna(False).to_numpy()
            & proj["status"].astype("string").isin(_ACTIVE_PROJECT_STATUS).fillna(False).to_numpy())
    rows = proj.loc[keep]
    done = pd.to_numeric(rows["completed_ytd"], errors="coerce").astype(float)
    return done, labels[keep].str[:7].to_numpy(), _positions_by_entity(rows)


def _project_series(tables: Mapping[str, pd.DataFrame], roster: pd.DataFrame, entity_id: str, *,
                    active: tuple[pd.Series, np.ndarray, dict[str, np.ndarray]] | None = None) -> pd.Series:
    """本年完成投资 of the entity's whole tree by month (H2 snapshots, active projects; ``active``:
    :func:`_active_projects` of the projects table, when a loop has it)."""
    proj = tables.get("projects")
    if proj is None or not len(proj):
        return pd.Series(dtype=float)
    done, months, positions = active if active is not None else _active_projects(proj)
    members = [positions[e] for e in _tree(roster, entity_id) if e in positions]
    at = np.sort(np.concatenate(members)) if members else np.empty(0, dtype=np.intp)  # the table's order
    return done.iloc[at].groupby(months[at]).sum(min_count=1).sort_index()


def _hist_share(series: pd.Series, *, year: int, month: int) -> tuple[float, str]:
    """Documented fallback: YTD ÷ mean over past years of (YTD at this month ÷ annual total)."""
    ytd = series.get(f"{year:04d}-{month:02d}", np.nan)
    shares = []
    for y in range(year - 5, year):
        at, total = series.get(f"{y:04d}-{month:02d}", np.nan), series.get(f"{y:04d}-12", np.nan)
        if not _isnan(at) and not _isnan(total) and total > 0 and at > 0:
            shares.append(at / total)
    if _isnan(ytd):
        return float("nan"), "缺少本年累计数"
    if shares:
        return float(ytd / np.mean(shares)), f"历年同期占比法（{len(shares)}年平均占比 {np.mean(shares) * 100:.1f}%）"
    return float(ytd * 12.0 / month), "序时线性外推（往年数据不足）"


def _project_value(series: pd.Series, *, month: str, options: Mapping,
                   stored: Mapping | None = None) -> tuple[float, str]:
    """Projected year-end value of a YTD series and the method used (Chinese).

    ``stored`` is the period's stored projection of this series (``forecast.stored_projection`` on
    the shared step's ``forecast_projections``): when given, its median is used as it is, so the
    assessment shows the number the forecast chapter and the review show. Otherwise it is projected
    here with the same function."""
    year, mon = int(month[:4]), int(month[5:7])
    if stored is not None and str(stored.get("as_of", month))[:7] == month[:7]:
        return float(stored["median"]), f"{stored.get('method_label', '')}，模拟中位数（与预测章节同一结果）"
    series = series.dropna()
    try:

        res = project_year_end(
            series, as_of=month, n_sims=int(options["n_sims"]), seed=int(options["seed"]),
            methods=tuple(options.get("methods") or METHODS), history_years=int(options["history_years"]),
            backtest_sims=int(options["backtest_sims"]),
        )
        return float(res["median"]), f"{res['method_label']}，模拟中位数"
    except (ImportError, ValueError, KeyError) as exc:
        value, label = _hist_share(series, year=year, month=mon)
        return value, f"{label}（预测模块不可用：{exc}）" if not isinstance(exc, ImportError) else label


#: The stored forecast item of a panel column whose name differs (completed investment of the group's tree).
_FORECAST_ITEM = {"proj_completed_ytd": "investment_completed"}


def _stored_for(projections: pd.DataFrame | None, entity_id: str, col: str, *, month: str, ytd: float) -> dict | None:
    """The stored projection the assessment reads for ``col`` (one projection, many readers), or ``None``.

    A projection stored on another year-to-date basis (its ``ytd_actual`` differs from the panel's by
    more than 1 万元, e.g. projects of another status counted) is not used: the assessment then projects
    the series itself."""
    stored = stored_projection(projections, entity_id, _FORECAST_ITEM.get(col, col), as_of=month)
    if stored is None or col not in _FORECAST_ITEM:
        return stored
    actual = stored.get("ytd_actual")
    return stored if not _isnan(actual) and abs(float(actual) - float(ytd)) <= 1.0 else None


def _needed_inputs(indicator_ids: Sequence[str]) -> list[str]:

    cols: list[str] = []
    for iid in indicator_ids:
        cols += [c for c in inputs_of(REGISTRY[iid]) if c not in cols]
    return cols


def _formula_inputs(spec, row: pd.Series, inputs: list[str]) -> str:

    parts = [f"{item_name(c)} {_num(row[c])}" for c in inputs
             if c in row.index and c not in ("months_elapsed", "elapsed_share")]
    return f"公式：{spec.formula}；" + "，".join(parts)


def assessment_values(tables: Mapping[str, pd.DataFrame], *, year: int, scheme: Mapping,
                      as_of: str | None = None, roster: pd.DataFrame | None = None,
                      projections: pd.DataFrame | None = None) -> pd.DataFrame:
    """Year-end value of every scheme indicator for every assessed enterprise.

    Columns: ``entity_id, indicator_id, value, projected, basis, inputs, reason, data_month``.
    ``basis`` says whether the value is the full-year actual or projected (预计) and how;
    ``inputs`` gives the formula and its input values; ``reason`` explains a NaN value.
    ``projections`` (the shared step's ``forecast_projections``) supplies the projected year-end
    values of the series it holds, so they match the forecast chapter.
    """

    roster = _roster_frame(tables, roster)
    scheme = validate_scheme(scheme)
    month = data_month_for(tables, year=year, as_of=as_of)
    ids = [e["enterprise_id"] for e in scheme["enterprises"]]
    ind_ids = [i["id"] for i in scheme["indicators"]]
    panel = line_items(tables, period=month, roster=roster)
    panel = panel.loc[panel["entity_id"].astype(str).isin(ids)].reset_index(drop=True)
    missing = sorted(set(ids) - set(panel["entity_id"].astype(str)))
    if missing:
        raise ValueError(f"参加考核的企业不在企业名录中：{'、'.join(missing)}")

    overridden: dict[tuple[str, str], float] = {}
    for eid, items in scheme["input_overrides"].items():
        for col, val in items.items():
            if col not in panel.columns:
                raise ValueError(f"input_overrides 中的「{col}」不是指标面板的列")
            panel.loc[panel["entity_id"] == eid, col] = float(val)
            overridden[(eid, col)] = float(val)

    needed = _needed_inputs(ind_ids)
    projected_cols: dict[str, dict[str, str]] = {}
    is_projected = int(month[5:7]) < 12
    if is_projected:
        flows = [c for c in needed if c in FLOW_ITEMS and not c.startswith("state_capital_objective")]
        flows += [c for c in needed if c in _PROJECTABLE_DETAIL]
        positions = _positions_by_entity(tables["financials"]) if flows and "financials" in tables else None
        active = None  # the active projects, found when a group's investment is first projected
        for pos, eid in enumerate(panel["entity_id"].astype(str)):
            notes = {}
            for col in flows:
                if (eid, col) in overridden:
                    continue
                if col in _PROJECTABLE_DETAIL:
                    proj = tables.get("projects")
                    if active is None and proj is not None and len(proj):
                        active = _active_projects(proj)
                    series = _project_series(tables, roster, eid, active=active)
                else:
                    series = _financial_series(tables, eid, col, positions=positions)
                ytd = panel.at[pos, col]
                if _isnan(ytd):
                    continue
                stored = _stored_for(projections, eid, col, month=month, ytd=ytd)
                value, how = _project_value(series, month=month, options=scheme["projection"], stored=stored)
                panel.at[pos, col] = value
                notes[col] = (f"{item_name(col)}：{_month_zh(month)}末累计 {_num(ytd)}，"
                              f"预计全年 {_num(value)}（{how}）")
            projected_cols[eid] = notes
        panel["months_elapsed"] = 12.0
        panel["elapsed_share"] = 1.0

    tidy = compute_from_panel(panel, catalogue=_sub_catalogue(ind_ids))

    cat = _catalogue()
    rows = []
    by_id = panel.set_index(panel["entity_id"].astype(str))
    for rec in tidy.itertuples(index=False):
        eid, iid = str(rec.entity_id), str(rec.indicator_id)
        spec = cat.get(iid)
        inputs = inputs_of(REGISTRY[iid])
        notes = [projected_cols.get(eid, {}).get(c) for c in inputs]
        notes = [n for n in notes if n]
        projected = bool(notes)
        if projected:
            basis = "预计：" + "；".join(notes)
            if any(c in BALANCE_ITEMS for c in inputs):
                basis += f"；时点数按{_month_zh(month)}末数"
        elif is_projected:
            basis = f"按{_month_zh(month)}末数（未作全年预计）"
        else:
            basis = f"全年实际（{_month_zh(month)}快报）"
        over = [f"{item_name(c)}按考核方案确认数 {_num(overridden[(eid, c)])}" for c in inputs
                if (eid, c) in overridden]
        if over:
            basis += "；" + "；".join(over)
        inputs_text = _formula_inputs(spec, by_id.loc[eid], inputs) if spec.aggregation != "sum" else ""
        rows.append({
            "entity_id": eid, "indicator_id": iid, "value": float(rec.value) if not _isnan(rec.value) else np.nan,
            "projected": projected, "basis": basis, "inputs": inputs_text,
            "reason": "" if _isnan(rec.reason) else str(rec.reason), "data_month": month,
        })
    return pd.DataFrame(rows, columns=["entity_id", "indicator_id", "value", "projected", "basis", "inputs",
                                       "reason", "data_month"])


def risk_values(tables: Mapping[str, pd.DataFrame], *, period: str, indicator_ids: Sequence[str],
                roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """Actual values of the indicators named by the rule-based adjustments, for every enterprise."""

    if not indicator_ids:
        return pd.DataFrame(columns=["entity_id", "indicator_id", "value"])
    panel = line_items(tables, period=period, roster=_roster_frame(tables, roster))
    tidy = compute_from_panel(panel, catalogue=_sub_catalogue(list(indicator_ids)))
    out = tidy[["entity_id", "indicator_id", "value"]].copy()
    out["entity_id"] = out["entity_id"].astype(str)
    out["indicator_id"] = out["indicator_id"].astype(str)
    return out


# --------------------------------------------------------------------------------------------
# score sheet and ranking
# --------------------------------------------------------------------------------------------
SHEET_COLUMNS = ["year", "enterprise_id", "enterprise_name", "weight_profile", "item_type", "item_id",
                 "item_name", "method", "unit", "weight", "value", "projected", "basis", "target",
                 "target_source", "standards", "standards_source", "points", "workings"]
RANKING_COLUMNS = ["year", "enterprise_id", "enterprise_name", "function_class", "industry", "weight_profile",
                   "status", "base_score", "bonus", "penalty", "total_score", "grade", "rank", "projected",
                   "note"]


def _enterprise_info(scheme: Mapping, roster: pd.DataFrame) -> list[dict]:
    r = roster.assign(enterprise_id=roster["enterprise_id"].astype(str)).set_index("enterprise_id")
    out = []
    for e in scheme["enterprises"]:
        eid = e["enterprise_id"]
        if eid not in r.index:
            raise ValueError(f"参加考核的企业不在企业名录中：{eid}")
        row = r.loc[eid]
        fc = str(e.get("function_class") or row.get("function_class"))
        name = row.get("short_name")
        out.append({
            "enterprise_id": eid,
            "enterprise_name": str(name if not _isnan(name) else row.get("name")),
            "function_class": fc,
            "industry": str(e.get("industry") or row.get("industry_class") or _INDUSTRY_FALLBACK),
            "size_class": str(e.get("size_class") or (row.get("size_class") if "size_class" in r.columns
                                                       and not _isnan(row.get("size_class")) else SIZE_ALL)),
            "weight_profile": str(e.get("weight_profile") or fc),
            "trial": bool(e.get("trial", False)),
            "note": str(e.get("note") or ""),
        })
    return out


def _target_of(scheme: Mapping, targets: pd.DataFrame | None, eid: str, item: str) -> tuple[float, str]:
    value = scheme["targets"].get(eid, {}).get(item)
    if value is not None:
        return float(value), "考核方案"
    if targets is not None and len(targets):
        t = targets.loc[(pd.to_numeric(targets["year"], errors="coerce") == scheme["year"])
                        & (targets["enterprise_id"].astype(str) == eid) & (targets["item"].astype(str) == item)]
        if len(t):
            return float(pd.to_numeric(t["target_value"], errors="coerce").iloc[-1]), "年度目标表"
    return float("nan"), ""


def _listed_hits(members: Sequence[str], supervision: pd.DataFrame | None, names: Mapping[str, str]) -> list[str]:
    """The members on the key-supervision list (重点监管对象, the risk engine's list), each with its rules."""
    if supervision is None or not len(supervision):
        return []
    listed = supervision.assign(entity_id=supervision["entity_id"].astype(str)).drop_duplicates("entity_id")
    listed = listed.set_index("entity_id")
    return [f"{names.get(m, m)}（{listed.at[m, 'rule_names']}）" for m in members if m in listed.index]


def _rule_hits(rule: Mapping, eid: str, roster: pd.DataFrame, risk: pd.DataFrame | None,
               supervision: pd.DataFrame | None = None) -> list[str]:
    names = dict(zip(roster["enterprise_id"].astype(str), roster["name"].astype(str)))
    members = _tree(roster, eid) if rule.get("scope", "tree") == "tree" else [eid]
    if rule.get("list") == KEY_SUPERVISION_LIST:
        return _listed_hits(members, supervision, names)
    if risk is None or not len(risk):
        return []
    cat = _catalogue()
    wide = risk.pivot_table(index="entity_id", columns="indicator_id", values="value", aggfunc="first")
    hits = []
    for m in members:
        if m not in wide.index:
            continue
        found = []
        for cond in rule.get("any", []):
            iid = cond["indicator"]
            v = wide.at[m, iid] if iid in wide.columns else np.nan
            if _isnan(v):
                continue
            spec = cat.get(iid)
            if cond.get("above") is not None and v > float(cond["above"]):
                found.append(f"{spec.name_zh} {_with_unit(v, spec.unit)}（高于 {_short(cond['above'])}）")
            if cond.get("below") is not None and v < float(cond["below"]):
                found.append(f"{spec.name_zh} {_with_unit(v, spec.unit)}（低于 {_short(cond['below'])}）")
        if found:
            hits.append(f"{names.get(m, m)}：{'、'.join(found)}")
    return hits


def _adjustment_rows(scheme: Mapping, info: Mapping, roster: pd.DataFrame, risk: pd.DataFrame | None,
                     risk_month: str | None, supervision: pd.DataFrame | None = None) -> list[dict]:
    rows = []
    eid = info["enterprise_id"]
    for adj in scheme["adjustments"]:
        rule = adj.get("rule")
        if rule:
            hits = _rule_hits(rule, eid, roster, risk, supervision)
            points = adj["points"] * len(hits)
            limit = adj.get("max_points")
            source = "债务风险重点监管名单" if rule.get("list") == KEY_SUPERVISION_LIST else "数据"
            text = f"按{_month_zh(risk_month)}{source}自动判定" if risk_month else f"按{source}自动判定"
            if hits:
                text += "：" + "；".join(hits) + f"；每家 {_short(adj['points'])} 分"
                if limit is not None and abs(points) > abs(limit):
                    points = limit
                    text += f"，以 {_short(limit)} 分为限"
                text += f"，计 {_num(points)} 分"
            else:
                text += "：未触发，不加减分"
                points = 0.0
            rows.append(_adj_row(scheme, info, adj, points, text))
        for ev in scheme["events"]:
            if ev["enterprise_id"] == eid and ev["adjustment"] == adj["id"]:
                points = float(ev.get("points", adj["points"]))
                text = f"登记事项：{ev.get('note') or adj['name']}；计 {_num(points)} 分"
                rows.append(_adj_row(scheme, info, adj, points, text))
    bonus = sum(r["points"] for r in rows if r["points"] > 0)
    if scheme["bonus_cap"] is not None and bonus > scheme["bonus_cap"]:
        cut = scheme["bonus_cap"] - bonus
        rows.append(_adj_row(scheme, info, {"id": "bonus_cap", "name": "加分封顶"}, cut,
                             f"加分合计 {_num(bonus)} 分，超过上限 {_num(scheme['bonus_cap'])} 分，调减 {_num(-cut)} 分"))
    penalty = sum(r["points"] for r in rows if r["points"] < 0 and r["item_id"] != "bonus_cap")
    if scheme["penalty_cap"] is not None and -penalty > scheme["penalty_cap"]:
        back = -penalty - scheme["penalty_cap"]
        rows.append(_adj_row(scheme, info, {"id": "penalty_cap", "name": "扣分封顶"}, back,
                             f"扣分合计 {_num(-penalty)} 分，超过上限 {_num(scheme['penalty_cap'])} 分，调回 {_num(back)} 分"))
    return rows


def _adj_row(scheme, info, adj, points, text) -> dict:
    return {
        "year": scheme["year"], "enterprise_id": info["enterprise_id"], "enterprise_name": info["enterprise_name"],
        "weight_profile": info["weight_profile"], "item_type": "加分" if points > 0 else ("扣分" if points < 0 else "加减分"),
        "item_id": adj["id"], "item_name": adj["name"], "method": METHOD_LABELS["adjustment"], "unit": "分",
        "weight": np.nan, "value": np.nan, "projected": False, "basis": "", "target": np.nan, "target_source": "",
        "standards": "", "standards_source": "", "points": _round2(points), "workings": text,
    }


def score_sheet(values: pd.DataFrame, *, scheme: Mapping, roster: pd.DataFrame,
                standards: pd.DataFrame | None = None, targets: pd.DataFrame | None = None,
                risk: pd.DataFrame | None = None, risk_month: str | None = None,
                supervision: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every indicator's value, target or standards, points and workings, plus bonus/penalty rows.

    ``values`` follows :func:`assessment_values` (only ``entity_id, indicator_id, value`` are
    required; ``projected``, ``basis`` and ``inputs`` are used when present). Targets come from the
    scheme's ``targets`` block, else from the contract ``targets`` table. ``risk`` (tidy
    ``entity_id, indicator_id, value`` of every enterprise) feeds the rule-based adjustments with
    indicator thresholds; ``supervision`` (the risk engine's key-supervision list, columns
    ``entity_id, rule_names``) feeds the adjustments whose rule reads that list (``list:
    key_supervision``): every listed member of the group's tree, the group itself included.
    """
    scheme = validate_scheme(scheme)
    if standards is None and any(i["method"] == "efficacy" and "standards" not in i for i in scheme["indicators"]):
        standards = load_standards()
    cat = _catalogue()
    vals = values.assign(entity_id=values["entity_id"].astype(str), indicator_id=values["indicator_id"].astype(str))
    vals = vals.drop_duplicates(["entity_id", "indicator_id"]).set_index(["entity_id", "indicator_id"])
    rows = []
    for info in _enterprise_info(scheme, roster):
        eid, profile = info["enterprise_id"], info["weight_profile"]
        if profile not in _profiles(scheme["indicators"]):
            raise ValueError(f"企业 {eid} 的权重档「{profile}」在考核方案中没有权重")
        for ind in scheme["indicators"]:
            weight = ind["weights"].get(profile, 0.0)
            if weight <= 0:
                continue
            spec = cat.get(ind["id"])
            key = (eid, ind["id"])
            rec = vals.loc[key] if key in vals.index else None
            value = float(rec["value"]) if rec is not None and not _isnan(rec["value"]) else float("nan")
            projected = bool(rec.get("projected", False)) if rec is not None else False
            basis = str(rec.get("basis", "")) if rec is not None else ""
            target, t_source, std_text, std_source = float("nan"), "", "", ""
            if ind["method"] == "target":
                target, t_source = _target_of(scheme, targets, eid, ind["target_item"])
                points, text = target_points(value, target, weight, direction=ind["direction"],
                                             rule=ind["target_rule"], unit=spec.unit, projected=projected)
            else:
                if "standards" in ind:
                    std, std_source = ind["standards"], "考核方案"
                else:
                    std, std_source = lookup_standards(standards, indicator_id=ind["id"], industry=info["industry"],
                                                       size_class=info["size_class"])
                std_text = _standards_text(std)
                points, text = efficacy_points(value, std, weight, direction=ind["direction"], unit=spec.unit,
                                               projected=projected)
            if _isnan(value) and rec is not None and str(rec.get("reason", "")):
                text += f"（{rec['reason']}）"
            inputs = str(rec.get("inputs", "")) if rec is not None else ""
            if inputs and not _isnan(value):
                text += f"。{inputs}"
            rows.append({
                "year": scheme["year"], "enterprise_id": eid, "enterprise_name": info["enterprise_name"],
                "weight_profile": profile, "item_type": "指标", "item_id": ind["id"], "item_name": spec.name_zh,
                "method": METHOD_LABELS[ind["method"]], "unit": spec.unit, "weight": float(weight),
                "value": value, "projected": projected, "basis": basis, "target": target, "target_source": t_source,
                "standards": std_text, "standards_source": std_source, "points": points, "workings": text,
            })
        rows += _adjustment_rows(scheme, info, roster, risk, risk_month, supervision)
    sheet = pd.DataFrame(rows, columns=SHEET_COLUMNS)
    for col in ("weight", "value", "target", "points"):
        sheet[col] = sheet[col].astype(float)
    sheet["projected"] = sheet["projected"].astype(bool)
    return sheet


def rank(sheet: pd.DataFrame, *, scheme: Mapping, roster: pd.DataFrame) -> pd.DataFrame:
    """One row per enterprise: base score, bonus, penalty, total, grade and rank (试考核 not ranked).

    A missing indicator makes the total NaN and the grade 待定 (never a silent zero).
    """
    scheme = validate_scheme(scheme)
    rows = []
    for info in _enterprise_info(scheme, roster):
        mine = sheet.loc[sheet["enterprise_id"] == info["enterprise_id"]]
        ind = mine.loc[mine["item_type"] == "指标"]
        adj = mine.loc[mine["item_type"] != "指标"]
        base = float(ind["points"].sum(min_count=1)) if not ind["points"].isna().any() else float("nan")
        is_bonus = (adj["points"] > 0) & adj["item_id"].ne("penalty_cap") | adj["item_id"].eq("bonus_cap")
        bonus = float(adj.loc[is_bonus, "points"].sum())
        penalty = float(adj.loc[~is_bonus, "points"].sum())
        total = _round2(base + bonus + penalty)
        notes = []
        if info["trial"]:
            notes.append("试考核，不参与排名")
        if info["note"] and info["note"] != "试考核":
            notes.append(info["note"])
        lacking = ind.loc[ind["points"].isna(), "item_name"].tolist()
        if lacking:
            notes.append("缺少：" + "、".join(lacking) + "，总分待定")
        rows.append({
            "year": scheme["year"], "enterprise_id": info["enterprise_id"], "enterprise_name": info["enterprise_name"],
            "function_class": info["function_class"], "industry": info["industry"],
            "weight_profile": info["weight_profile"], "status": "试考核" if info["trial"] else "正式考核",
            "base_score": _round2(base), "bonus": _round2(bonus), "penalty": _round2(penalty), "total_score": total,
            "grade": grade_for(total, scheme["grade_bands"]) or "待定",
            "rank": np.nan, "projected": bool(ind["projected"].any()), "note": "；".join(notes),
        })
    out = pd.DataFrame(rows, columns=RANKING_COLUMNS)
    ranked = out["status"].eq("正式考核") & out["total_score"].notna()
    out.loc[ranked, "rank"] = out.loc[ranked, "total_score"].rank(ascending=False, method="min")
    out["rank"] = out["rank"].astype("Int64")
    order = out.assign(_trial=~ranked).sort_values(["_trial", "total_score", "enterprise_id"],
                                                   ascending=[True, False, True], kind="mergesort")
    return order.drop(columns="_trial").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# orchestration
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Assessment:
    """One year's assessment: scheme, year-end values, score sheet and ranking."""

    year: int
    title: str
    data_month: str
    projected: bool
    scheme: dict
    values: pd.DataFrame
    sheet: pd.DataFrame
    ranking: pd.DataFrame

    @property
    def kind(self) -> str:
        """「预评估」 (projected year end) or 「年度考核」 (December actuals)."""
        return assessment_kind(self.projected)

    @property
    def display_title(self) -> str:
        """The title as shown: 「…经营业绩考核（预评估）」 before December data."""
        return f"{self.title}（{PRE_ASSESSMENT}）" if self.projected else self.title

    @property
    def basis_text(self) -> str:
        """「全年实际」 or 「数据截至…，12月为预计」."""
        if self.projected:
            return (f"{PRE_ASSESSMENT}：数据截至{_month_zh(self.data_month)}，全年数为预计（预计值标注“预计”），"
                    "待12月快报后正式考核")
        return f"全年实际数（{_month_zh(self.data_month)}快报）"


def assess(tables: Mapping[str, pd.DataFrame], *, year: int, scheme: Mapping | None = None,
           as_of: str | None = None, standards: pd.DataFrame | None = None,
           roster: pd.DataFrame | None = None, projections: pd.DataFrame | None = None,
           supervision: pd.DataFrame | None = None) -> Assessment:
    """Assess the groups of ``year`` with the scheme (default ``params/assessment/<year>.yaml``).

    ``as_of`` (``"YYYY-MM"`` or a half-month) fixes the data period; by default December is used
    when reported, else the latest month of the year, and the year-end is projected.
    ``projections`` is the shared step's stored ``forecast_projections``: where it holds a series'
    year-end projection, that very number is used (one projection, many readers).
    ``supervision`` is the risk engine's key-supervision list (重点监管对象) of the data month, as the
    shared step stores it (``risk_list``) and the risk chapter prints it; when not given it is
    evaluated for the data month with the same rules (:func:`guozi_analysis.analyses.risk.report.supervision_list`).
    """
    scheme = validate_scheme(scheme if scheme is not None else load_scheme(year))
    if scheme["year"] != int(year):
        raise ValueError(f"考核方案年度 {scheme['year']} 与考核年度 {year} 不符")
    roster = _roster_frame(tables, roster)
    values = assessment_values(tables, year=year, scheme=scheme, as_of=as_of, roster=roster,
                               projections=projections)
    month = data_month_for(tables, year=year, as_of=as_of)
    roster = _with_size_classes(tables, roster, scheme=scheme, month=month)
    rules = [a["rule"] for a in scheme["adjustments"] if a.get("rule")]
    rule_ids = sorted({c["indicator"] for r in rules for c in r.get("any", [])})
    risk = risk_values(tables, period=month, indicator_ids=rule_ids, roster=roster)
    if supervision is None and any(r.get("list") == KEY_SUPERVISION_LIST for r in rules):
        supervision = supervision_list(evaluate_rules(tables, None, period=month))
    sheet = score_sheet(values, scheme=scheme, roster=roster, standards=standards, targets=tables.get("targets"),
                        risk=risk, risk_month=month, supervision=supervision)
    ranking = rank(sheet, scheme=scheme, roster=roster)
    return Assessment(year=int(year), title=scheme["title"], data_month=month, projected=int(month[5:7]) < 12,
                      scheme=scheme, values=values, sheet=sheet, ranking=ranking)


def _with_size_classes(tables: Mapping[str, pd.DataFrame], roster: pd.DataFrame, *, scheme: Mapping,
                       month: str) -> pd.DataFrame:
    """The roster with a ``size_class`` for each assessed enterprise (its own 快报 of ``month``:
    期末从业人数 and the annualised 营业总收入), unless the roster or the scheme already gives one."""
    out = roster.copy()
    if "size_class" not in out.columns:
        out["size_class"] = pd.NA
    fin = tables.get("financials")
    if fin is None or not len(fin):
        return out
    rules = load_size_rules()
    months = int(month[5:7])
    ids = out["enterprise_id"].astype(str)
    positions = _positions_by_entity(fin)
    for e in scheme["enterprises"]:
        eid = e["enterprise_id"]
        at = (ids == eid).to_numpy()
        if e.get("size_class") or not at.any() or not _isnan(out.loc[at, "size_class"].iloc[0]):
            continue
        headcount = _financial_series(tables, eid, "headcount_end", positions=positions).get(month, np.nan)
        revenue = _financial_series(tables, eid, "revenue", positions=positions).get(month, np.nan) * 12.0 / months
        industry = str(out.loc[at, "industry_class"].iloc[0]) if "industry_class" in out.columns else ""
        out.loc[at, "size_class"] = size_class_for(industry, headcount=headcount, revenue=revenue, rules=rules)
    return out


# --------------------------------------------------------------------------------------------
# next year's targets
# --------------------------------------------------------------------------------------------
def _ceil10(x: float) -> float:
    return float(math.ceil(x / 10.0 - 1e-9) * 10.0)


#: The proposal rule of :func:`propose_targets` in words (the review quotes it beside the adopted targets).
PROPOSAL_RULE_ZH = "不低于本年实际（或预计）数，且不低于按近三年年均增速外推的趋势值，向上取整到10万元"


def propose_targets(tables: Mapping[str, pd.DataFrame], *, year: int, as_of: str | None = None,
                    items: Sequence[str] = ("revenue", "total_profit"), min_growth_pct: float = 0.0,
                    trend_years: int = 3, projection: Mapping | None = None,
                    roster: pd.DataFrame | None = None, projections: pd.DataFrame | None = None) -> pd.DataFrame:
    """Proposed ``year`` targets per group for year-to-date financial items.

    Rule: ``max(this year's value × (1 + min_growth_pct/100), trend)`` rounded up to 10 万元, where
    this year's value is the December actual or, before December, the projected year end
    (:func:`guozi_analysis.forecast.project_year_end`), and the trend is this year's value grown at
    the compound annual growth rate of the last ``trend_years`` years (only when every annual total
    is positive). So a target is never below this year's result and at least the trend.
    ``projections`` (the shared step's stored ``forecast_projections``) supply the projected year end
    where they hold the series, so the proposal starts from the number the forecast chapter shows.
    """

    bad = [i for i in items if i not in FLOW_ITEMS]
    if bad:
        raise ValueError(f"目标建议只支持财务快报的本年累计项目，不支持：{'、'.join(bad)}")
    roster = _roster_frame(tables, roster)
    base_year = int(year) - 1
    month = data_month_for(tables, year=base_year, as_of=as_of)
    options = {**DEFAULT_PROJECTION, **(projection or {})}
    groups = roster.loc[roster["enterprise_id"].astype(str).str.strip().isin(
        EnterpriseTree.from_roster(roster).groups).to_numpy()]
    rows = []
    positions = _positions_by_entity(tables["financials"])
    for g in groups.itertuples(index=False):
        eid = str(g.enterprise_id)
        for item in items:
            series = _financial_series(tables, eid, item, positions=positions)
            ytd = series.get(month, np.nan)
            projected = int(month[5:7]) < 12
            if _isnan(ytd):
                base, how = float("nan"), "缺少本年数据"
            elif projected:
                base, how = _project_value(series, month=month, options=options,
                                           stored=stored_projection(projections, eid, item, as_of=month))
                how = f"{_month_zh(month)}末累计 {_num(ytd)}，预计全年（{how}）"
            else:
                base, how = float(ytd), "全年实际"
            totals = [series.get(f"{y}-12", np.nan) for y in range(base_year - trend_years, base_year)] + [base]
            growth = float("nan")
            if all(not _isnan(t) and t > 0 for t in totals):
                growth = ((totals[-1] / totals[0]) ** (1.0 / trend_years) - 1.0) * 100.0
            trend = base * (1.0 + growth / 100.0) if not _isnan(growth) else float("nan")
            floor = base + abs(base) * float(min_growth_pct) / 100.0 if not _isnan(base) else float("nan")
            candidates = [v for v in (floor, trend) if not _isnan(v)]
            proposed = _ceil10(max(candidates)) if candidates else float("nan")
            tag = "预计" if projected else "实际"
            rule = (f"{base_year}年{tag} {_num(base)}万元（{how}）；"
                    + (f"近{trend_years}年年均增速 {_num(growth)}%，趋势值 {_num(trend)}万元；" if not _isnan(trend)
                       else "往年数据不足或为负，不作趋势外推；")
                    + (f"不低于本年{tag}数" + (f"且增长不少于 {_short(min_growth_pct)}%" if min_growth_pct else "")
                       + "，取较高者向上取整到 10 万元"))
            rows.append({
                "year": int(year), "enterprise_id": eid, "enterprise_name": str(g.short_name), "item": item,
                "item_name": FINANCIAL_ITEMS[item], "unit": "万元", "base_year": base_year, "base_value": base,
                "base_projected": projected, "trend_growth_pct": growth, "trend_value": trend, "floor_value": floor,
                "proposed_target": proposed, "rule": rule,
            })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# shared step, commands
# --------------------------------------------------------------------------------------------
def _bands_text(bands: Sequence[Mapping]) -> str:
    """``"A:90;B:80;C:70;D:"`` (the last band has no lower bound)."""
    return ";".join(f"{b['grade']}:{'' if b['min'] is None else _short(b['min'])}" for b in bands)


def _parse_bands(text: str) -> list[tuple[str, float]]:
    out = []
    for part in filter(None, text.split(";")):
        grade, _, low = part.partition(":")
        if low:
            out.append((grade, float(low)))
    return out or [(b["grade"], b["min"]) for b in DEFAULT_GRADE_BANDS if b["min"] is not None]


def stored_frames(a: Assessment) -> dict[str, pd.DataFrame]:
    """One year's assessment as the frames the shared step stores and every publication reads:
    ``ranking`` (with ``data_month, basis_text, title, assessment_kind, grade_bands``), ``sheet`` and
    ``scheme``. The book's tables and the assessment workbook are both written from these frames,
    so the workbook prints exactly the book's scores."""
    ranking = a.ranking.assign(data_month=a.data_month, basis_text=a.basis_text, title=a.display_title,
                               assessment_kind=a.kind, grade_bands=_bands_text(a.scheme["grade_bands"]))
    return {"ranking": ranking, "sheet": a.sheet, "scheme": _scheme_frame(a.scheme)}


def shared_frames(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame | None = None, *,
                  period: str, projections: pd.DataFrame | None = None,
                  supervision: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Frames the assessment chapter reads: this year's assessment (projected before December), the
    previous year's (actuals) and next year's proposed targets.

    Keys: ``assessment_ranking``, ``assessment_sheet``, ``assessment_scheme`` (one ``year`` column
    each; a year without a scheme file is skipped) and ``assessment_targets_proposed``.
    ``indicators`` is not used: assessment values are year-end values, not the period's.
    ``projections`` (the stored ``forecast_projections``) feed this year's pre-assessment;
    ``supervision`` (the stored ``risk_list`` of ``period``, the list the risk chapter prints) feeds
    this year's key-supervision deduction.
    """

    year = parse_period(period).year
    month = closed_month(period)
    rankings, sheets, schemes = [], [], []
    for y in (year - 1, year):
        if not scheme_path(y).exists():
            continue
        if y == year and int(month[:4]) != year:  # an H1 of January closes in December of last year
            continue
        a = assess(tables, year=y, as_of=month if y == year else None,
                   projections=projections if y == year else None,
                   supervision=supervision if y == year else None)
        frames = stored_frames(a)
        rankings.append(frames["ranking"])
        sheets.append(frames["sheet"])
        schemes.append(frames["scheme"])
    out = {
        "assessment_ranking": pd.concat(rankings, ignore_index=True) if rankings else
        pd.DataFrame(columns=RANKING_COLUMNS + ["data_month", "basis_text", "title", "assessment_kind",
                                                "grade_bands"]),
        "assessment_sheet": pd.concat(sheets, ignore_index=True) if sheets else pd.DataFrame(columns=SHEET_COLUMNS),
        "assessment_scheme": pd.concat(schemes, ignore_index=True) if schemes else pd.DataFrame(),
    }
    try:
        out["assessment_targets_proposed"] = propose_targets(tables, year=year + 1, as_of=month,
                                                             projections=projections)
    except ValueError:
        out["assessment_targets_proposed"] = pd.DataFrame()
    if len(out["assessment_ranking"]):
        out["assessment_ranking"]["rank"] = out["assessment_ranking"]["rank"].astype("Int64")
    return out


def _scheme_frame(scheme: Mapping) -> pd.DataFrame:
    cat = _catalogue()
    profiles = sorted(_profiles(scheme["indicators"]), key=lambda p: ("竞争类", "功能类", "公益类").index(p)
                      if p in ("竞争类", "功能类", "公益类") else 9)
    rows = []
    for ind in scheme["indicators"]:
        spec = cat.get(ind["id"])
        if ind["method"] == "target":
            r = ind["target_rule"]
            if r["kind"] == "proportional":
                rule = f"按完成比例计分，最高为权重的 {_short(r['cap_pct'])}%"
            else:
                unit = "%" if r["gap_basis"] == "relative" else ("个百分点" if spec.unit == "%" else spec.unit)
                rule = (f"完成目标得满分；每低 {_short(r['shortfall_step'])}{unit} 扣 {_short(r['shortfall_points'])} 分"
                        f"（最低 0 分）；每超 {_short(r['excess_step'])}{unit} 加 {_short(r['excess_points'])} 分"
                        f"（最高为权重的 {_short(r['cap_pct'])}%）")
        else:
            rule = "功效系数法，按行业标准值（优秀/良好/平均/较低/较差）"
        row = {"year": scheme["year"], "indicator_id": ind["id"], "indicator_name": spec.name_zh,
               "method": METHOD_LABELS[ind["method"]], "direction": "越低越好" if ind["direction"] == "lower_better"
               else "越高越好", "rule": rule}
        for p in profiles:
            row[f"weight_{p}"] = float(ind["weights"].get(p, 0.0))
        rows.append(row)
    return pd.DataFrame(rows)
