"""The 通报 workbook keeps numbers as numbers (issue 28): percentages are fractions with a percent format,
同比 signed, 百分点 a signed number, amounts with two decimals, a missing value “—”."""

from __future__ import annotations

import pandas as pd

from guozi_analysis.publishing.views import bulletins as B


def test_headline_change_is_a_number_with_a_percent_format():
    headline = pd.DataFrame({"指标": ["营业总收入", "资产负债率", "资产总额"], "单位": ["亿元", "%", "亿元"],
                             "10月": [28.06, float("nan"), float("nan")],
                             "1—10月累计或期末": [252.88, 58.91, 1903.24], "上年同期": [238.76, 59.33, 1807.55],
                             "同比": [5.92, -0.42, float("nan")]})
    headers, rows = B._workbook_rows(headline, row_units=headline["单位"].tolist(), change_units=["%", "百分点", "%"])
    assert headers == ["指标", "单位", "10月", "1—10月累计或期末", "上年同期", "同比"]
    # 营业总收入：(252.88 − 238.76) / 238.76 = +5.92% is stored as the fraction 0.0592, shown “+5.92%”
    assert rows[0] == [("营业总收入", None), ("亿元", None), (28.06, "#,##0.00"), (252.88, "#,##0.00"),
                       (238.76, "#,##0.00"), (0.0592, "+0.00%;-0.00%;0.00%")]
    # 资产负债率：a ratio — its levels are fractions with a percent format (58.91% → 0.5891), its 同比
    # 58.91 − 59.33 = −0.42 个百分点 a signed number whose format names the unit; no 本月 value → “—”
    assert rows[1] == [("资产负债率", None), ("%", None), ("—", None), (0.5891, "0.00%"), (0.5933, "0.00%"),
                       (-0.42, '+0.00"个百分点";-0.00"个百分点";0.00"个百分点"')]
    assert rows[2][-1] == ("—", None)  # a missing 同比 stays visibly missing, never 0


def test_other_tables_take_the_unit_from_the_header():
    groups = pd.DataFrame({"企业": ["甲集团"], "营业总收入（亿元）": [64.36], "营业总收入同比（%）": [5.14],
                           "资产负债率（%）": [60.7], "资产负债率同比（百分点）": [-2.27], "企业数（家）": [8]})
    headers, rows = B._workbook_rows(groups)
    # “（%）” is dropped from the header: the percent format says it
    assert headers == ["企业", "营业总收入（亿元）", "营业总收入同比", "资产负债率", "资产负债率同比（百分点）", "企业数（家）"]
    assert rows[0] == [("甲集团", None), (64.36, "#,##0.00"), (0.0514, "+0.00%;-0.00%;0.00%"), (0.607, "0.00%"),
                       (-2.27, "+0.00;-0.00;0.00"), (8, "#,##0")]
    assert all(isinstance(v, (int, float)) for v, _ in rows[0][1:])
