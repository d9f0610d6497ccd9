"""功效系数法 scoring tests (hand-computed)."""

import math

import pytest

from guozi_analysis.indicators.scoring import efficacy_score, grade_of

ROE_STANDARDS = [15.0, 9.5, 1.7, -5.0, -10.0]  # 优秀 良好 平均 较低 较差
DEBT_STANDARDS = [48.0, 53.0, 58.0, 68.0, 83.0]  # lower is better: 优秀 is the smallest


def test_worked_example_15_23():
    # 20×0.6 = 12; (8−1.7)/(9.5−1.7) = 0.8077; 0.8077 × (16 − 12) = 3.23 → 15.23
    assert efficacy_score(8.0, ROE_STANDARDS, 20) == 15.23


def test_at_or_above_excellent_is_full_weight_and_below_worst_is_zero():
    assert efficacy_score(15.0, ROE_STANDARDS, 20) == 20.0
    assert efficacy_score(40.0, ROE_STANDARDS, 20) == 20.0
    assert efficacy_score(-10.01, ROE_STANDARDS, 20) == 0.0
    assert efficacy_score(-10.0, ROE_STANDARDS, 20) == 4.0  # exactly 较差: 20 × 0.2


def test_exact_grade_values():
    assert efficacy_score(9.5, ROE_STANDARDS, 20) == 16.0
    assert efficacy_score(1.7, ROE_STANDARDS, 20) == 12.0


def test_lower_is_better():
    # 60 lies between 平均 58 and 较低 68: 12×0.4 + (68−60)/(68−58) × 12×0.2 = 4.8 + 1.92
    assert efficacy_score(60.0, DEBT_STANDARDS, 12, direction="lower_better") == 6.72
    assert efficacy_score(45.0, DEBT_STANDARDS, 12, direction="lower_better") == 12.0
    assert efficacy_score(90.0, DEBT_STANDARDS, 12, direction="lower_better") == 0.0
    assert efficacy_score(83.0, DEBT_STANDARDS, 12, direction="lower_better") == 2.4


def test_mapping_standards_and_nan():
    named = dict(zip(["优秀", "良好", "平均", "较低", "较差"], ROE_STANDARDS))
    assert efficacy_score(8.0, named, 20) == 15.23
    assert math.isnan(efficacy_score(float("nan"), ROE_STANDARDS, 20))


def test_rounding_half_up():
    # 10×0.6 + (x−0)/(10−0) × 10×0.2 with x = 0.125 → 6.025 → 6.03 (half-up)
    assert efficacy_score(0.125, [20, 10, 0, -10, -20], 10) == 6.03


def test_invalid_standards_raise_chinese_errors():
    with pytest.raises(ValueError, match="五档"):
        efficacy_score(1.0, [3, 2, 1], 10)
    with pytest.raises(ValueError, match="排列"):
        efficacy_score(1.0, [1, 2, 3, 4, 5], 10)
    with pytest.raises(ValueError, match="higher_better"):
        efficacy_score(1.0, ROE_STANDARDS, 10, direction="band")


def test_grade_of():
    assert grade_of(8.0, ROE_STANDARDS) == "平均"
    assert grade_of(60.0, DEBT_STANDARDS, direction="lower_better") == "较低"
    assert grade_of(-11.0, ROE_STANDARDS) == "较差以下"
    assert grade_of(float("nan"), ROE_STANDARDS) is None
