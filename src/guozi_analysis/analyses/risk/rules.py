"""Risk rules as data: loading and validating ``params/risk_rules.yaml``.

A rule says *what* is tested (a catalogue indicator or a named check implemented once in
:mod:`guozi_analysis.risk.checks`), *how* (operator and threshold, possibly by enterprise class or
level), *how serious* a crossing is (关注/预警/重点监管), whether it puts the entity on the
key-supervision list, and the Chinese message template and source shown with every flag.
Nothing is evaluated as code: templates use ``string.Template`` placeholders only.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path

from guozi_analysis.base import config
from guozi_analysis.base.params import read_yaml

__all__ = [
    "FAMILIES",
    "SEVERITIES",
    "LIGHTS",
    "OPERATORS",
    "CHECK_NAMES",
    "Threshold",
    "Rule",
    "RuleSet",
    "parse_rules",
    "load_rules",
    "as_ruleset",
    "default_rules_path",
]

#: Rule families in display order (the columns of the traffic-light matrix).
FAMILIES = ("资产负债", "偿债能力", "流动性", "融资成本", "担保", "经营", "保值增值")
#: Severities from mildest to most serious.
SEVERITIES = ("关注", "预警", "重点监管")
#: Traffic-light colour of each severity: a fired rule is never green (绿 = nothing fired), so a
#: triggered 关注 shows amber like a 预警; only a 重点监管 rule shows red.
LIGHTS = {"关注": "黄", "预警": "黄", "重点监管": "红"}
#: Comparison operators (value OP threshold means the line is crossed).
OPERATORS = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}
OPERATOR_ZH = {"gt": "高于", "ge": "不低于", "lt": "低于", "le": "不高于"}
#: Named checks the engine implements (see :mod:`guozi_analysis.risk.checks`).
CHECK_NAMES = frozenset({
    "maturity_wall",
    "maturity_coverage",
    "financing_cost_above_median",
    "guarantee_non_related",
    "guarantee_above_share",
    "guarantee_to_distressed",
    "guarantee_financial_subsidiary",
    "consecutive_losses",
})
LEVELS = ("district", "group", "enterprise")
UNITS = ("%", "倍", "万元", "年", "天", "项")  # 天/项: the contract and inspection rules (issue 17)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
_ALLOWED_PLACEHOLDERS = {"value", "threshold", "detail"}


def default_rules_path() -> Path:
    """``params/risk_rules.yaml`` of the project."""
    return config.PARAMS_DIR / "risk_rules.yaml"


def _fail(message: str, path: Path | None = None) -> None:
    where = f"（{path}）" if path else ""
    raise ValueError(f"风险规则文件有误{where}：{message}")


@dataclass(frozen=True)
class Threshold:
    """A threshold: one number, or one number per enterprise class / level (plus an offset).

    ``by`` is ``None`` (use ``value``), ``"industry_class"`` (工业/非工业/科研设计 from the roster) or
    ``"level"`` (district/group/enterprise). ``plus`` is added to the looked-up value (the 2018
    rule's 基准线 + 5 / + 10 points).
    """

    value: float | None = None
    by: str | None = None
    values: tuple[tuple[str, float], ...] = ()
    plus: float = 0.0
    default: float | None = None

    def for_entity(self, *, industry_class: str | None = None, level: str | None = None) -> float:
        """The threshold that applies to one entity (NaN when none applies: the rule is skipped)."""
        if self.by is None:
            base = self.value
        else:
            key = industry_class if self.by == "industry_class" else level
            base = dict(self.values).get(key if isinstance(key, str) else "", self.default)
        return math.nan if base is None else float(base) + self.plus


@dataclass(frozen=True)
class Rule:
    """One early-warning rule (see the header of ``params/risk_rules.yaml`` for each field)."""

    id: str
    name_zh: str
    family: str
    op: str
    threshold: Threshold
    severity: str
    on_list: bool
    message: str
    source: str
    unit: str = ""
    indicator: str | None = None
    check: str | None = None
    params: dict = field(default_factory=dict, compare=False, hash=False)
    levels: tuple[str, ...] = LEVELS
    supersedes: tuple[str, ...] = ()
    verified: bool = True
    #: 监管要点: what the supervisor asks of an entity that triggers the rule (printed in its profile).
    advice: str = ""

    def crossed(self, value: float, threshold: float) -> bool:
        """``value OP threshold``; NaN on either side is never a crossing."""
        if value is None or threshold is None or math.isnan(value) or math.isnan(threshold):
            return False
        return bool(OPERATORS[self.op](value, threshold))


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file, in file order, and the distress-model parameters."""

    rules: tuple[Rule, ...]
    models: dict = field(default_factory=dict, compare=False, hash=False)
    path: Path | None = field(default=None, compare=False)

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"没有编号为「{rule_id}」的风险规则")

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rules]


def _number(value, what: str, path: Path | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(f"{what} 应为数值，收到 {value!r}", path)
    return float(value)


def _threshold(raw, rule_id: str, path: Path | None) -> Threshold:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Threshold(value=float(raw))
    if not isinstance(raw, dict):
        _fail(f"规则 {rule_id} 的 threshold 应为数值或 {{by, values}} 映射", path)
    by = raw.get("by")
    if by not in ("industry_class", "level"):
        _fail(f"规则 {rule_id} 的 threshold.by 只能是 industry_class 或 level，收到 {by!r}", path)
    values = raw.get("values")
    if not isinstance(values, dict) or not values:
        _fail(f"规则 {rule_id} 的 threshold.values 应为非空映射", path)
    pairs = tuple((str(k), _number(v, f"规则 {rule_id} 的阈值 {k}", path)) for k, v in values.items())
    plus = _number(raw.get("plus", 0), f"规则 {rule_id} 的 threshold.plus", path)
    default = raw.get("default")
    default = None if default is None else _number(default, f"规则 {rule_id} 的 threshold.default", path)
    return Threshold(by=by, values=pairs, plus=plus, default=default)


def _rule(raw, path: Path | None, *, checks: frozenset = CHECK_NAMES, families: tuple = FAMILIES) -> Rule:
    if not isinstance(raw, dict):
        _fail("rules 中的每一项都应为映射", path)
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        _fail(f"规则编号 {rid!r} 不合法（小写字母开头，只含小写字母、数字和下划线）", path)
    for key in ("name_zh", "family", "test", "op", "threshold", "severity", "on_list", "message", "source"):
        if key not in raw:
            _fail(f"规则 {rid} 缺少字段 {key}", path)
    if raw["family"] not in families:
        _fail(f"规则 {rid} 的 family「{raw['family']}」不在 {'、'.join(families)} 之中", path)
    if raw["op"] not in OPERATORS:
        _fail(f"规则 {rid} 的 op「{raw['op']}」应为 gt/ge/lt/le", path)
    if raw["severity"] not in SEVERITIES:
        _fail(f"规则 {rid} 的 severity「{raw['severity']}」应为 关注/预警/重点监管", path)
    if not isinstance(raw["on_list"], bool):
        _fail(f"规则 {rid} 的 on_list 应为 true 或 false", path)
    test = raw["test"]
    if not isinstance(test, dict) or len(test) != 1 or next(iter(test)) not in ("indicator", "check"):
        _fail(f"规则 {rid} 的 test 应为 {{indicator: 指标编号}} 或 {{check: 检验名称}}", path)
    indicator, check = test.get("indicator"), test.get("check")
    if check is not None and check not in checks:
        _fail(f"规则 {rid} 的具名检验「{check}」不存在，可用：{'、'.join(sorted(checks))}", path)
    if indicator is not None and (not isinstance(indicator, str) or not _ID.match(indicator)):
        _fail(f"规则 {rid} 的指标编号 {indicator!r} 不合法", path)
    message = raw["message"]
    placeholders = set(_PLACEHOLDER.findall(str(message)))
    if not {"value", "threshold"} <= placeholders:
        _fail(f"规则 {rid} 的提示模板必须包含 ${{value}} 和 ${{threshold}}", path)
    if placeholders - _ALLOWED_PLACEHOLDERS:
        _fail(f"规则 {rid} 的提示模板含未知占位符：{'、'.join(sorted(placeholders - _ALLOWED_PLACEHOLDERS))}", path)
    levels = tuple(raw.get("levels", LEVELS))
    if not levels or set(levels) - set(LEVELS):
        _fail(f"规则 {rid} 的 levels 只能取 district/group/enterprise", path)
    unit = str(raw.get("unit", ""))
    if unit and unit not in UNITS:
        _fail(f"规则 {rid} 的 unit「{unit}」应为 {'、'.join(UNITS)} 之一", path)
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        _fail(f"规则 {rid} 的 params 应为映射", path)
    return Rule(
        id=rid,
        name_zh=str(raw["name_zh"]),
        family=str(raw["family"]),
        op=str(raw["op"]),
        threshold=_threshold(raw["threshold"], rid, path),
        severity=str(raw["severity"]),
        on_list=bool(raw["on_list"]),
        message=str(message),
        source=str(raw["source"]),
        unit=unit,
        indicator=indicator,
        check=check,
        params=dict(params),
        levels=levels,
        supersedes=tuple(raw.get("supersedes", ()) or ()),
        verified=bool(raw.get("verified", True)),
        advice=str(raw.get("advice") or ""),
    )


def parse_rules(data, *, path: Path | None = None, checks: frozenset | None = None,
                families: tuple | None = None) -> RuleSet:
    """Validate a parsed rules mapping and return a :class:`RuleSet` (Chinese ``ValueError`` otherwise).

    ``checks`` and ``families`` replace the debt-risk check names and families for a sibling rule
    file (the contract and inspection rules of issue 17 use their own).
    """
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list) or not data["rules"]:
        _fail("顶层应为映射，且含非空的 rules 列表", path)
    rules = tuple(_rule(raw, path, checks=checks or CHECK_NAMES, families=families or FAMILIES)
                  for raw in data["rules"])
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        _fail(f"规则编号重复：{'、'.join(dupes)}", path)
    for rule in rules:
        unknown = set(rule.supersedes) - set(ids)
        if unknown:
            _fail(f"规则 {rule.id} 的 supersedes 指向不存在的规则：{'、'.join(sorted(unknown))}", path)
    models = data.get("models") or {}
    if not isinstance(models, dict):
        _fail("models 应为映射", path)
    return RuleSet(rules=rules, models=dict(models), path=path)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """Read and validate a rules file (default ``params/risk_rules.yaml``)."""

    path = Path(path) if path is not None else default_rules_path()
    return parse_rules(read_yaml(path, what="风险规则文件"), path=path)


def as_ruleset(rules: RuleSet | Path | str | dict | None) -> RuleSet:
    """Accept a :class:`RuleSet`, a path to a rules file, a parsed mapping, or ``None`` (the default file)."""
    if isinstance(rules, RuleSet):
        return rules
    if isinstance(rules, dict):
        return parse_rules(rules)
    return load_rules(rules)
