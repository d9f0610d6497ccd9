"""功效系数法 (efficacy-coefficient method) for scoring one indicator against five standard values.

The five standard values are ordered from best to worst: 优秀、良好、平均、较低、较差, with standard
coefficients 1.0 / 0.8 / 0.6 / 0.4 / 0.2 (《中央企业综合绩效评价实施细则》第十七条)::

    本档基础分 = 权数 × 本档标准系数
    功效系数   = (实际值 − 本档标准值) / (上档标准值 − 本档标准值)
    调整分     = 功效系数 × 权数 × (上档标准系数 − 本档标准系数)
    得分       = 本档基础分 + 调整分

"本档" is the lower of the two grades that bracket the actual value. At or above 优秀 the score is the
full weight; below 较差 it is 0. For lower-is-better indicators (资产负债率 …) the standards run in
increasing order (优秀 smallest); values and standards are negated and the same formula applies.
Scores are rounded half-up to 2 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

GRADES = ("优秀", "良好", "平均", "较低", "较差")
COEFFICIENTS = (1.0, 0.8, 0.6, 0.4, 0.2)

__all__ = ["GRADES", "COEFFICIENTS", "efficacy_score", "grade_of"]


def _standards(standards: Sequence[float] | Mapping[str, float]) -> list[float]:
    if isinstance(standards, Mapping):
        missing = [g for g in GRADES if g not in standards]
        if missing:
            raise ValueError(f"标准值缺少档次：{'、'.join(missing)}")
        values = [standards[g] for g in GRADES]
    else:
        values = list(standards)
    if len(values) != 5:
        raise ValueError(f"标准值须为五档（优秀、良好、平均、较低、较差），实际 {len(values)} 个")
    values = [float(v) for v in values]
    if any(math.isnan(v) for v in values):
        raise ValueError("标准值不能为空")
    return values


def _oriented(value: float, standards: list[float], direction: str) -> tuple[float, list[float]]:
    if direction == "higher_better":
        v, s = value, standards
    elif direction == "lower_better":
        v, s = -value, [-x for x in standards]
    else:
        raise ValueError(f"功效系数法只支持 higher_better 或 lower_better，收到「{direction}」")
    if any(s[i] < s[i + 1] for i in range(4)):
        order = "从大到小" if direction == "higher_better" else "从小到大"
        raise ValueError(f"标准值须按优秀→较差{order}排列：{standards}")
    return v, s


def _round2(x: float) -> float:
    return float(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def efficacy_score(value: float, standards: Sequence[float] | Mapping[str, float], weight: float, *,
                   direction: str = "higher_better") -> float:
    """Score ``value`` on ``weight`` points against the five ``standards`` (优秀…较差).

    ``standards`` is a sequence in grade order 优秀、良好、平均、较低、较差 or a mapping keyed by those
    grade names. NaN ``value`` → NaN. Example (细则 worked example): weight 20, ROE 8, 良好 9.5,
    平均 1.7 → 20×0.6 + (8−1.7)/(9.5−1.7) × 20×(0.8−0.6) = 15.23.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    value = float(value)
    v, s = _oriented(value, _standards(standards), direction)
    if v >= s[0]:
        return _round2(float(weight))
    if v < s[4]:
        return 0.0
    for lower in range(1, 5):  # s[lower] is 本档, s[lower - 1] is 上档
        if v >= s[lower]:
            upper = lower - 1
            base = weight * COEFFICIENTS[lower]
            span = s[upper] - s[lower]
            coefficient = (v - s[lower]) / span if span else 0.0
            adjust = coefficient * weight * (COEFFICIENTS[upper] - COEFFICIENTS[lower])
            return _round2(base + adjust)
    return 0.0  # unreachable: v >= s[4] here


def grade_of(value: float, standards: Sequence[float] | Mapping[str, float], *,
             direction: str = "higher_better") -> str | None:
    """The grade reached (优秀…较差, or 「较差以下」); ``None`` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    v, s = _oriented(float(value), _standards(standards), direction)
    for grade, threshold in zip(GRADES, s):
        if v >= threshold:
            return grade
    return "较差以下"
