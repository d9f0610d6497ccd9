"""The rule engine: evaluate every rule for every entity, explain each flag, build the list.

:func:`evaluate_rules` is the one place rules are applied. Its output is a long table with one
row per entity × rule that fired (or, with ``include_passed=True``, per entity × rule evaluated),
each with its value, threshold, severity, whether it puts the entity on the key-supervision list
and a Chinese message naming the value, the threshold, the rule and its source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from string import Template

import numpy as np
import pandas as pd

from guozi_analysis.analyses.risk.checks import CHECKS
from guozi_analysis.analyses.risk.data import Scope, make_scope
from guozi_analysis.analyses.risk.rules import FAMILIES, LIGHTS, OPERATORS, SEVERITIES, Rule, RuleSet, as_ruleset
from guozi_analysis.base.periods import parse_period
from guozi_analysis.indicators.formulas import compute_indicators

__all__ = [
    "FLAG_COLUMNS",
    "LIST_COLUMNS",
    "format_value",
    "evaluate_rules",
    "evaluate_cases",
    "key_supervision_list",
    "list_changes",
    "traffic_lights",
]

#: Columns of :func:`evaluate_rules` (the first thirteen are the contract; the rest are added).
FLAG_COLUMNS = ["entity_id", "entity_name", "level", "period", "rule_id", "rule_name", "family", "value",
                "threshold", "severity", "on_list", "message", "source",
                "unit", "light", "triggered", "status", "superseded_by", "detail", "note", "verified", "is_model"]
LIST_COLUMNS = ["entity_id", "entity_name", "level", "period", "severity", "rule_ids", "rule_names", "families",
                "messages", "n_rules"]
_SEVERITY_RANK = {s: k for k, s in enumerate(SEVERITIES)}


def format_value(value: float, unit: str) -> str:
    """A value as it appears in messages: ``82.90%``, ``-1.29 倍``, ``8,000.00 万元``, ``3 年``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "%":
        return f"{value:.2f}%"
    if unit == "万元":
        return f"{value:,.2f} 万元"
    if unit in ("年", "天", "项"):
        return f"{value:.0f} {unit}"
    if unit:
        return f"{value:.2f} {unit}"
    return f"{value:.2f}"


def _message(rule: Rule, entity_name: str, value: float, threshold: float, detail: str) -> str:
    body = Template(rule.message).safe_substitute(
        value=format_value(value, rule.unit), threshold=format_value(threshold, rule.unit), detail=detail or "—")
    pending = "（依据待核实）" if not rule.verified else ""
    return f"{entity_name}：{body}。规则：{rule.name_zh}；依据：{rule.source}{pending}"


def _indicator_values(indicators: pd.DataFrame, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide value and reason frames (entity × indicator) for the scope's period."""
    ind = indicators.loc[indicators["period"].astype(str) == scope.period]
    values = ind.pivot_table(index="entity_id", columns="indicator_id", values="value", aggfunc="first",
                             dropna=False)
    values = values.reindex(scope.entities.index)
    if "reason" in ind.columns:
        reasons = ind.assign(reason=ind["reason"].astype(str)).pivot_table(
            index="entity_id", columns="indicator_id", values="reason", aggfunc="first")
        reasons = reasons.reindex(scope.entities.index)
    else:
        reasons = pd.DataFrame(index=scope.entities.index)
    return values.astype(float), reasons


def _raw_values(rule: Rule, tables, scope: Scope, wide: pd.DataFrame, reasons: pd.DataFrame) -> pd.DataFrame:
    if rule.check is not None:
        return CHECKS[rule.check](tables, scope, wide, rule)
    index = scope.entities.index
    if rule.indicator not in wide.columns:
        return pd.DataFrame({"value": np.nan, "detail": "", "condition": True,
                             "note": f"指标 {rule.indicator} 未计算（目录中不存在或已停用）"}, index=index)
    note = reasons[rule.indicator].reindex(index) if rule.indicator in reasons.columns else ""
    return pd.DataFrame({"value": wide[rule.indicator], "detail": "", "condition": True, "note": note}, index=index)


def _thresholds(rule: Rule, rows: pd.DataFrame, ents: pd.DataFrame) -> np.ndarray:
    """Each row's threshold: the rows' own ``threshold`` column when they carry one, else the rule's for
    the entity's industry class and level (``ents`` aligned with ``rows``)."""
    if "threshold" in rows.columns:
        return rows["threshold"].to_numpy(dtype=float)
    return np.array([rule.threshold.for_entity(industry_class=k if isinstance(k, str) else None, level=lv)
                     for k, lv in zip(ents["industry_class"], ents["level"])], dtype=float)


def _messages(rule: Rule, names, values, thresholds, details, fired) -> list[str]:
    """The Chinese message of every fired row (empty for the others)."""
    return [_message(rule, n, v, t, d) if f else "" for n, v, t, d, f in zip(names, values, thresholds, details, fired)]


def _evaluate_rule(rule: Rule, tables, scope: Scope, wide: pd.DataFrame, reasons: pd.DataFrame) -> pd.DataFrame:
    ents = scope.entities
    raw = _raw_values(rule, tables, scope, wide, reasons).reindex(ents.index)
    thresholds = _thresholds(rule, raw, ents)
    keep = ents["level"].isin(rule.levels).to_numpy() & ~np.isnan(thresholds)
    ents, raw, thresholds = ents.loc[keep], raw.loc[keep], thresholds[keep]
    values = raw["value"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        fired = OPERATORS[rule.op](values, thresholds) & raw["condition"].fillna(False).to_numpy(dtype=bool)
    fired &= ~np.isnan(values)
    details = raw["detail"].fillna("").astype(str).to_numpy()
    notes = raw["note"].where(raw["note"].notna(), "").astype(str).to_numpy()
    names = ents["entity_name"].to_numpy()
    messages = _messages(rule, names, values, thresholds, details, fired)
    missing = np.isnan(values)
    return pd.DataFrame({
        "entity_id": ents.index.to_numpy(),
        "entity_name": names,
        "level": ents["level"].to_numpy(),
        "period": scope.period,
        "rule_id": rule.id,
        "rule_name": rule.name_zh,
        "family": rule.family,
        "value": values,
        "threshold": thresholds,
        "severity": rule.severity,
        "on_list": rule.on_list,
        "message": messages,
        "source": rule.source,
        "unit": rule.unit,
        "light": np.where(fired, LIGHTS[rule.severity], ""),
        "triggered": fired,
        "status": np.where(fired, "触发", np.where(missing, "无数据", "未触发")),
        "superseded_by": "",
        "detail": details,
        "note": np.where(missing, notes, ""),
        "verified": rule.verified,
        "is_model": False,
    }, columns=FLAG_COLUMNS)


def evaluate_cases(rule: Rule, cases: pd.DataFrame, *, entities: pd.DataFrame, period: str) -> pd.DataFrame:
    """Evaluate one rule on case rows (a contract, a transaction, a finding …) instead of on entities.

    ``cases`` has ``entity_id``, ``case_id``, ``value``, ``detail`` and optionally ``threshold`` (else the
    rule's, by the entity's industry class and level); ``entities`` is indexed by entity id with
    entity_name, level and industry_class. The comparison, the message (value, threshold, rule, basis) and
    the traffic light are those of :func:`evaluate_rules`. Returns :data:`FLAG_COLUMNS` plus ``case_id``,
    every case with ``triggered`` and ``status``.
    """
    cols = [*FLAG_COLUMNS, "case_id"]
    if cases is None or not len(cases):
        return pd.DataFrame(columns=cols)
    ents = entities.reindex(cases["entity_id"].astype(str).to_numpy())
    thresholds = _thresholds(rule, cases, ents)
    values = cases["value"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        fired = OPERATORS[rule.op](values, thresholds) & ~np.isnan(values) & ~np.isnan(thresholds)
    details = cases["detail"].fillna("").astype(str).to_numpy() if "detail" in cases.columns else np.full(len(cases), "")
    names = ents["entity_name"].fillna(cases["entity_id"].astype(str).set_axis(ents.index)).astype(str).to_numpy()
    messages = _messages(rule, names, values, thresholds, details, fired)
    out = pd.DataFrame({
        "entity_id": cases["entity_id"].astype(str).to_numpy(), "entity_name": names,
        "level": ents["level"].fillna("enterprise").astype(str).to_numpy(), "period": period,
        "rule_id": rule.id, "rule_name": rule.name_zh, "family": rule.family, "value": values,
        "threshold": thresholds, "severity": rule.severity, "on_list": rule.on_list, "message": messages,
        "source": rule.source, "unit": rule.unit, "light": np.where(fired, LIGHTS[rule.severity], ""),
        "triggered": fired, "status": np.where(fired, "触发", np.where(np.isnan(values), "无数据", "未触发")),
        "superseded_by": "", "detail": details, "note": "", "verified": rule.verified, "is_model": False,
        "case_id": cases["case_id"].astype(str).to_numpy(),
    }, columns=cols)
    return pd.concat([_typed(out), out[["case_id"]]], axis=1)


def _apply_supersedes(frame: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """A milder rule is not listed separately when a rule that supersedes it fired for the same entity."""
    out = frame.copy()
    fired = out.loc[out["triggered"], ["entity_id", "rule_id"]]
    by: dict[tuple, str] = {}  # (entity, milder rule) → the first fired rule that supersedes it
    for eid, rule_id in zip(fired["entity_id"], fired["rule_id"]):
        rule = ruleset.get(rule_id)
        for milder in rule.supersedes:
            by.setdefault((eid, milder), rule.id)
    if not by:
        return out
    over = pd.Series([by.get(k) for k in zip(out["entity_id"], out["rule_id"])], index=out.index, dtype=object)
    mask = over.notna() & out["triggered"].astype(bool)
    out.loc[mask, ["triggered", "status", "light", "message"]] = [False, "已被覆盖", "", ""]
    out.loc[mask, "superseded_by"] = over[mask]
    return out


def evaluate_rules(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame | None = None, *, period: str,
                   rules: RuleSet | Path | str | dict | None = None, include_passed: bool = False) -> pd.DataFrame:
    """Evaluate every rule for the district, the groups and the enterprises in one period.

    Parameters
    ----------
    tables:
        Contract tables (``roster`` is required; the others are read as the rules need them).
    indicators:
        Tidy indicator frame from :func:`guozi_analysis.indicators.compute_indicators` (may hold other
        periods too); computed here when ``None`` or when it has no row for ``period``.
    period:
        ``"YYYY-MM"`` or ``"YYYY-MM-H1/H2"``.
    rules:
        A :class:`~guozi_analysis.risk.rules.RuleSet`, a path to a rules YAML, a parsed mapping, or
        ``None`` for ``params/risk_rules.yaml``.
    include_passed:
        ``False`` (default): only the flags (rules that fired). ``True``: every evaluation, with
        ``triggered`` and ``status`` (触发/未触发/无数据/已被覆盖).

    Returns
    -------
    DataFrame with :data:`FLAG_COLUMNS`: entity_id, entity_name, level, period, rule_id, rule_name,
    family, value, threshold, severity, on_list, message (Chinese: value, threshold, rule and
    source), source, then unit, light (绿/黄/红), triggered, status, superseded_by, detail, note,
    verified, is_model. Sorted by entity (DISTRICT first) and rule file order.
    """
    ruleset = as_ruleset(rules)

    label = parse_period(period).label
    if indicators is None or not (indicators["period"].astype(str) == label).any():

        indicators = compute_indicators(tables, period=label, roster=tables.get("roster"))
    scope = make_scope(tables, period=label, indicators=indicators)
    wide, reasons = _indicator_values(indicators, scope)
    frames = [_evaluate_rule(rule, tables, scope, wide, reasons) for rule in ruleset.rules]
    frames = [f for f in frames if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FLAG_COLUMNS)
    out = _apply_supersedes(out, ruleset)
    order = {eid: k for k, eid in enumerate(scope.entities.index)}
    rule_order = {rid: k for k, rid in enumerate(ruleset.ids)}
    out = out.assign(_e=out["entity_id"].map(order), _r=out["rule_id"].map(rule_order))
    out = out.sort_values(["_e", "_r"], kind="mergesort").drop(columns=["_e", "_r"]).reset_index(drop=True)
    if not include_passed:
        out = out.loc[out["triggered"]].reset_index(drop=True)
    return _typed(out)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in ("value", "threshold"):
        out[col] = out[col].astype(float)
    for col in ("on_list", "triggered", "verified", "is_model"):
        out[col] = out[col].astype(bool)
    for col in set(FLAG_COLUMNS) - {"value", "threshold", "on_list", "triggered", "verified", "is_model"}:
        out[col] = out[col].astype(str)
    return out[FLAG_COLUMNS]


def _fired(flags: pd.DataFrame) -> pd.DataFrame:
    if "triggered" in flags.columns:
        return flags.loc[flags["triggered"].astype(bool)]
    return flags


def key_supervision_list(flags: pd.DataFrame) -> pd.DataFrame:
    """重点监管对象: one row per enterprise with at least one fired rule that puts it on the list.

    Only rules with ``on_list`` count; the district aggregate and model outputs (``is_model``, e.g.
    the Altman Z'' zone) never put anyone on the list. Columns :data:`LIST_COLUMNS`; ``rule_ids`` are
    joined with ``;``, names and messages with ``；``.
    """
    fired = _fired(flags)
    mask = fired["on_list"].astype(bool) & (fired["level"].astype(str) != "district")
    if "is_model" in fired.columns:
        mask &= ~fired["is_model"].astype(bool)
    hits = fired.loc[mask]
    rows = []
    for eid, items in hits.groupby("entity_id", sort=True):
        worst = max(items["severity"], key=lambda s: _SEVERITY_RANK.get(s, -1))
        rows.append({
            "entity_id": eid,
            "entity_name": items["entity_name"].iloc[0],
            "level": items["level"].iloc[0],
            "period": items["period"].iloc[0],
            "severity": worst,
            "rule_ids": ";".join(items["rule_id"]),
            "rule_names": "；".join(items["rule_name"]),
            "families": "；".join(dict.fromkeys(items["family"])),
            "messages": "；".join(items["message"]),
            "n_rules": len(items),
        })
    out = pd.DataFrame(rows, columns=LIST_COLUMNS)
    return out.astype({"n_rules": int})


def _as_list(frame: pd.DataFrame) -> pd.DataFrame:
    return frame if "rule_ids" in frame.columns else key_supervision_list(frame)


#: The change of an enterprise that did not report in one of the two periods: neither 新列入 nor 移出 can
#: be said from absent data.
UNCOMPARABLE = "未报送，无法比较"


def list_changes(current: pd.DataFrame, previous: pd.DataFrame, *, include_unchanged: bool = False,
                 unreported: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """Who entered (新列入) and who left (移出) the key-supervision list since the previous period.

    ``current`` and ``previous`` may each be a list from :func:`key_supervision_list` or the flags
    it is built from. With ``include_unchanged`` the entities on both lists are given as 继续监管.
    An entity in ``unreported`` (no data in one of the two periods) that is on only one list is
    :data:`UNCOMPARABLE`: its leaving or entering would be read from absent data.
    Columns: entity_id, entity_name, change, rule_ids_current, rule_ids_previous, period_current,
    period_previous.
    """
    now, before = _as_list(current).set_index("entity_id"), _as_list(previous).set_index("entity_id")
    period_now = str(now["period"].iloc[0]) if len(now) else ""
    period_before = str(before["period"].iloc[0]) if len(before) else ""
    rows = []
    for eid in sorted(set(now.index) | set(before.index)):
        in_now, in_before = eid in now.index, eid in before.index
        change = "新列入" if in_now and not in_before else ("移出" if in_before and not in_now else "继续监管")
        if change != "继续监管" and str(eid) in unreported:
            change = UNCOMPARABLE
        if change == "继续监管" and not include_unchanged:
            continue
        rows.append({
            "entity_id": eid,
            "entity_name": (now if in_now else before).at[eid, "entity_name"],
            "change": change,
            "rule_ids_current": now.at[eid, "rule_ids"] if in_now else "",
            "rule_ids_previous": before.at[eid, "rule_ids"] if in_before else "",
            "period_current": period_now,
            "period_previous": period_before,
        })
    return pd.DataFrame(rows, columns=["entity_id", "entity_name", "change", "rule_ids_current", "rule_ids_previous",
                                       "period_current", "period_previous"])


def traffic_lights(flags: pd.DataFrame, *, entities: pd.DataFrame | None = None) -> pd.DataFrame:
    """Entity × rule family matrix of 红/黄/绿 (the most serious fired rule of the family).

    关注 and 预警 show 黄, 重点监管 红; no fired rule → 绿. When ``flags`` holds every evaluation
    (``include_passed=True``), a family none of whose rules could be evaluated for the entity shows
    「—」. ``entities`` (entity_id, entity_name, level) adds entities without any row. Columns:
    entity_id, entity_name, level, then the seven families in order.
    """
    ident = flags[["entity_id", "entity_name", "level"]].drop_duplicates("entity_id")
    if entities is not None:
        ident = pd.concat([ident, entities[["entity_id", "entity_name", "level"]]]).drop_duplicates("entity_id")
    matrix = pd.DataFrame("绿", index=pd.Index(ident["entity_id"].astype(str), name="entity_id"),
                          columns=list(FAMILIES))
    if "status" in flags.columns:
        has_data = flags.loc[flags["status"] != "无数据"].groupby("entity_id")["family"].agg(set)
        evaluated = set(zip(flags["entity_id"], flags["family"]))  # once, not one scan per entity and family
        for eid in matrix.index:
            seen = has_data.get(eid, set())
            for fam in FAMILIES:
                if fam not in seen and (eid, fam) in evaluated:
                    matrix.at[eid, fam] = "—"
    fired = _fired(flags)
    if "is_model" in fired.columns:
        fired = fired.loc[~fired["is_model"].astype(bool)]
    colour_rank = {"绿": 0, "黄": 1, "红": 2}
    for _, row in fired.iterrows():
        colour = LIGHTS.get(row["severity"], "绿")
        current = matrix.at[row["entity_id"], row["family"]]
        if current == "—" or colour_rank[colour] > colour_rank[current]:
            matrix.at[row["entity_id"], row["family"]] = colour
    out = ident.set_index(ident["entity_id"].astype(str))[["entity_name", "level"]].join(matrix)
    level_order = {"district": 0, "group": 1, "enterprise": 2}
    out = out.assign(_l=out["level"].map(level_order)).sort_values(["_l"], kind="mergesort").drop(columns="_l")
    out = out.loc[sorted(out.index, key=lambda e: (level_order.get(out.at[e, "level"], 3), e))]
    return out.reset_index()
