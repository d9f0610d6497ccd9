"""Validation of submitted tables: every problem found at once, named precisely in Chinese.

A :class:`Finding` names the file, the sheet, the Excel row number, the Chinese
column header, the offending value, a stable rule id, a severity (错误 blocks
the row, 警告 lets it pass with a note) and a Chinese message an enterprise's
accountant can act on.

Rule families (each a small public function returning a list of findings):

* :func:`check_schema` — pandera (``lazy=True``) built from the data contract:
  required values, vocabularies, period format, value ranges (negative assets …).
* :func:`check_identities` — 资产 = 负债 + 所有者权益 within ``max(0.5 万元, 0.01 %)``
  (an error of 1 元 passes, 1 % fails); the profit chain as warnings.
* :func:`check_ytd_monotonic` — year-to-date flows that cannot fall (revenue, costs …)
  do not fall within a year against the enterprise's own history.
* :func:`check_period_continuity` — a gap in an enterprise's monthly 快报 (January is
  never reported on its own: February carries January–February).
* :func:`check_enterprises` — enterprise ids known to the roster.
* :func:`check_duplicates` — same key twice: identical copies are dropped with a
  warning, conflicting copies are errors.
* :func:`check_periods` — period after the run's reference date (``today=``), and the
  period's frequency (a half-monthly table needs ``-H1``/``-H2``).
* :func:`check_cross_table` — a project's 开累完成 ≤ 总投资; a guarantor is in the roster.
* :func:`check_unit_jumps` — a value ≈ ×1e4 or ×1e-4 its own previous value (warning:
  probable 元/万元 mix-up).

:func:`validate_tables` runs them all. Tables are the typed frames produced by
:func:`guozi_analysis.ingest.read_submission` (or any frame with the contract's
columns); the optional columns ``source_file``, ``source_sheet`` and
``source_row`` locate each row, otherwise row numbers assume the template layout
(header row 1, units row 2, data from row 3).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import lru_cache

import numpy as np
import pandas as pd

from guozi_analysis.base import contract
from guozi_analysis.base.periods import as_of_date

__all__ = [
    "ERROR",
    "WARNING",
    "RULES",
    "DROP_RULES",
    "Finding",
    "findings_frame",
    "errors_first",
    "table_label_zh",
    "BLANK_ZH",
    "FINDING_LABELS_ZH",
    "IDENTITY_ABS_TOL",
    "IDENTITY_REL_TOL",
    "check_schema",
    "check_identities",
    "check_ytd_monotonic",
    "check_period_continuity",
    "check_enterprises",
    "check_duplicates",
    "check_periods",
    "check_cross_table",
    "check_unit_jumps",
    "check_optional_items",
    "check_ledgers",
    "validate_tables",
]

ERROR = "错误"
WARNING = "警告"

#: Tolerance of the balance-sheet identity: 0.5 万元 absolute or 0.01 % of total assets, whichever is larger.
IDENTITY_ABS_TOL = 0.5
IDENTITY_REL_TOL = 1e-4

#: Every rule id with its severity and Chinese name (the catalogue the quality report prints).
RULES: dict[str, tuple[str, str]] = {
    # file and sheet level (raised by the reader in ingest.py)
    "file_missing": (ERROR, "文件不存在"),
    "file_empty": (ERROR, "空文件"),
    "file_not_excel": (ERROR, "不是 Excel/CSV 文件"),
    "file_encrypted": (ERROR, "工作簿设置了打开密码"),
    "file_legacy_xls": (ERROR, "旧版 .xls 格式"),
    "file_corrupt": (ERROR, "文件损坏"),
    "file_unknown_table": (ERROR, "无法识别 CSV 对应的报表"),
    "file_already_received": (WARNING, "文件已接收过"),
    "file_no_data": (WARNING, "文件没有数据行"),
    "sheet_missing": (ERROR, "缺少工作表"),
    "sheet_hidden": (WARNING, "隐藏工作表"),
    "sheet_unknown": (WARNING, "无法识别的工作表"),
    "sheet_empty": (WARNING, "工作表没有数据行"),
    "header_merged": (ERROR, "表头合并单元格"),
    "cells_merged": (WARNING, "数据区合并单元格"),
    "column_missing": (ERROR, "缺少必填列"),
    "column_renamed": (ERROR, "列名与模板不符"),
    "column_unknown": (WARNING, "无法识别的列"),
    "column_duplicate": (ERROR, "列名重复"),
    "units_row_missing": (WARNING, "缺少单位行"),
    "unit_unknown": (ERROR, "无法识别的单位"),
    "formula_no_value": (ERROR, "公式没有计算结果"),
    "formula_cached": (WARNING, "单元格为公式"),
    "number_as_text": (WARNING, "数字以文本形式存储"),
    "not_a_number": (ERROR, "应为数值"),
    "not_an_integer": (ERROR, "应为整数"),
    "not_a_bool": (ERROR, "应为“是”或“否”"),
    "not_a_date": (ERROR, "应为日期"),
    "total_row_dropped": (WARNING, "合计行已剔除"),
    "roster_unavailable": (WARNING, "未找到企业名录"),
    # issue 14: cells, the 快报 layout, cross-checks and versions (raised by the reader and ingest)
    "cell_error_value": (WARNING, "单元格为 Excel 错误值"),
    "unit_in_cell": (WARNING, "单元格内写有单位"),
    "unit_mismatch": (ERROR, "单位与列不符"),
    "percent_ambiguous": (ERROR, "百分比有两种读法"),
    "period_ambiguous": (ERROR, "数值期间有歧义"),
    "period_numeric": (WARNING, "期间以数值填写"),
    "period_mismatch": (ERROR, "期间与文件名或文件夹不符"),
    "enterprise_mismatch": (ERROR, "企业与编制单位、文件名或名录不符"),
    "enterprise_unresolved": (ERROR, "无法确定企业"),
    "enterprise_matched": (WARNING, "按名称匹配到企业编码"),
    "kuaibao_period_missing": (ERROR, "快报未写期间"),
    "kuaibao_period_conflict": (ERROR, "快报表头期间不一致"),
    "kuaibao_unit_missing": (WARNING, "快报未写金额单位"),
    "kuaibao_unit_conflict": (ERROR, "快报金额单位不一致"),
    "kuaibao_item_unknown": (WARNING, "无法识别的快报项目"),
    "kuaibao_item_unused": (WARNING, "快报项目暂未入库"),
    "kuaibao_item_fallback": (WARNING, "快报项目以近似项目代替"),
    "kuaibao_item_duplicate": (ERROR, "快报项目重复且数值不同"),
    "kuaibao_column_missing": (ERROR, "快报缺少数值列"),
    "kuaibao_balance_from_ytd": (WARNING, "期末项目取自本年累计列"),
    "sheet_recognised": (WARNING, "按表头识别的工作表"),
    "sheet_unknown_data": (ERROR, "无法识别但含数据的工作表"),
    "file_no_formats": (WARNING, "文件格式不含数字格式"),
    "version_superseded": (WARNING, "同一报送被更正版替代"),
    "correction_kept_previous": (WARNING, "更正版未通过校验的行沿用原版本"),
    # row level (this module)
    "wrong_type": (ERROR, "数据类型错误"),
    "required_missing": (ERROR, "必填项为空"),
    "vocabulary": (ERROR, "取值不在规定范围"),
    "period_format": (ERROR, "期间格式错误"),
    "period_frequency": (ERROR, "期间频率不符"),
    "negative_value": (ERROR, "不能为负数"),
    "out_of_range": (ERROR, "数值超出合理范围"),
    "identity_balance": (ERROR, "资产负债表不平衡"),
    "identity_profit": (WARNING, "利润勾稽不符"),
    "ytd_decrease": (ERROR, "本年累计数下降"),
    "period_gap": (WARNING, "报送期间不连续"),
    "january_reported": (WARNING, "1月快报不单独报送"),
    "unknown_enterprise": (ERROR, "企业不在名录中"),
    "duplicate_row": (WARNING, "重复行（完全相同）"),
    "duplicate_key": (ERROR, "主键重复且内容不同"),
    "future_period": (ERROR, "期间晚于参考日期"),
    "project_cumulative_exceeds_total": (ERROR, "开累完成超过总投资"),
    "guarantor_unknown": (ERROR, "担保人不在名录中"),
    "beneficiary_unknown": (WARNING, "被担保人编码不在名录中"),
    "unit_jump": (WARNING, "疑似单位错误（约 1 万倍跳变）"),
    # issue 19: optional 快报 items with a defined treatment when blank
    "blank_counted_as_zero": (WARNING, "调整项未填，按 0 计"),
    "operating_revenue_missing": (WARNING, "营业收入未填"),
    "main_business_missing": (WARNING, "主营业务未填"),  # issue 26: the profiles open with it
    # issue 17: the contract, transaction and inspection ledgers
    "transaction_contract_unknown": (ERROR, "流水的合同编号不在合同台账中"),
    "payment_after_termination": (ERROR, "合同终止后仍有付款"),
    "deadline_before_found": (ERROR, "整改期限早于发现日期"),
    "ledger_row_unknown_contract": (ERROR, "节点或收付款计划的合同编号不在合同台账中"),
    "terminated_date_missing": (WARNING, "终止合同未填终止日期"),
    "closure_evidence_missing": (WARNING, "已销号问题未写佐证"),
}

#: Warning rules whose row is dropped (not quarantined): the row is a copy, not data.
DROP_RULES = frozenset({"duplicate_row"})

#: Chinese column headers of :func:`findings_frame`.
FINDING_LABELS_ZH = {
    "file": "文件",
    "sheet": "工作表",
    "row": "行号",
    "column": "列",
    "value": "值",
    "rule": "规则",
    "rule_name": "规则名称",
    "severity": "级别",
    "message": "说明",
    "table": "报表",
    "enterprise_id": "企业编码",
    "period": "期间",
}

# ---------------------------------------------------------------------------
# rule parameters (data, not code: the defaults a district may override)

#: Balance-sheet and YTD-flow fields that can never be negative (财务快报).
_FIN_NON_NEGATIVE = (
    "total_assets", "current_assets", "cash", "accounts_receivable", "inventory", "contract_assets",
    "total_liabilities", "current_liabilities", "short_term_borrowings", "notes_payable",
    "current_portion_long_term_debt", "long_term_borrowings", "bonds_payable", "other_interest_bearing_debt",
    "paid_in_capital", "revenue", "operating_cost", "taxes_and_surcharges", "selling_expenses",
    "admin_expenses", "rd_expenses", "interest_expense", "capitalized_interest", "employee_compensation",
    "depreciation", "taxes_paid", "rd_investment", "cash_from_sales", "operating_cash_inflow",
    "headcount_end", "headcount_avg",
    "operating_revenue", "lease_liabilities", "perpetual_bonds",  # issue 19
)
#: Money fields of other tables that may be negative (issue 19: a guaranteed party's net assets).
_MAY_BE_NEGATIVE = {"guarantees": {"beneficiary_net_assets"}}

#: ``{table: {field: (low, high)}}`` bounds other than "not negative".
_BOUNDS = {
    "roster": {"shareholding_pct": (0.0, 100.0), "level": (1, 3)},
    "guarantees": {"shareholding_pct": (0.0, 100.0)},
    "debts": {"annual_rate": (0.0, 36.0)},
}

#: ``{table: (entity key, fields, within the year?)}``: cumulative figures that cannot fall.
YTD_RULES = {
    "financials": (("enterprise_id",), (
        "revenue", "operating_cost", "taxes_and_surcharges", "selling_expenses", "admin_expenses",
        "rd_expenses", "interest_expense", "employee_compensation", "depreciation", "taxes_paid",
        "rd_investment", "cash_from_sales", "operating_cash_inflow"), True),
    "projects": (("project_id",), ("completed_ytd",), True),
    "equity_investments": (("investment_id",), ("completed_ytd",), True),
    "idle_assets": (("asset_id",), ("revitalised_value_ytd",), True),
    "livelihood": (("task_id",), ("completed_ytd",), True),
}
#: Cumulative-since-start figures that cannot fall even across years.
_CUMULATIVE_RULES = {"projects": (("project_id",), ("completed_cumulative",), False)}

#: A fall smaller than this (万元) is rounding, not a fall.
YTD_TOLERANCE = 0.5
#: |log10(new/old) ∓ 4| below this is read as a 元/万元 mix-up; previous values below _UNIT_FLOOR (万元) are ignored.
_UNIT_LOG_TOL = 0.5
_UNIT_FLOOR = 1.0

_ENTERPRISE_FIELD = {"guarantees": "guarantor_id"}
_LOCATION_COLUMNS = ("source_file", "source_sheet", "source_row")


# ---------------------------------------------------------------------------
# the finding


@dataclass
class Finding:
    """One problem found in a submission.

    ``row`` is the Excel row number (``None`` for a file-, sheet- or column-level
    finding); ``column`` the Chinese header; ``rule`` a stable id from :data:`RULES`;
    ``severity`` 错误 (blocks the row) or 警告 (passes it with a note).
    """

    file: str | None
    sheet: str | None
    row: int | None
    column: str | None
    value: object
    rule: str
    severity: str
    message: str
    table: str | None = None
    enterprise_id: str | None = None
    period: str | None = None

    @property
    def is_error(self) -> bool:
        """True when the finding blocks its row (severity 错误)."""
        return self.severity == ERROR

    def to_dict(self) -> dict:
        """Plain dict with the value rendered as text (stable for tables and YAML)."""
        d = asdict(self)
        d["value"] = _value_text(self.value)
        return d


def _is_missing(value) -> bool:
    """None or a scalar NA/NaN (array-likes count as present)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _value_text(value) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.10g}"
    return str(value)


#: What the Chinese findings table prints in a cell finding's 值, 企业编码 or 期间 when the cell or row left it blank.
BLANK_ZH = "（空）"


def errors_first(findings: list[Finding]) -> list[Finding]:
    """The findings with the errors (错误) before the warnings, otherwise in the given order."""
    return sorted(findings, key=lambda f: f.severity != ERROR)


def table_label_zh(name) -> str | None:
    """The Chinese name of a contract table (``financials`` → 财务快报); other names unchanged."""
    if _is_missing(name):
        return None
    table = contract.INTAKE_TABLES.get(str(name))
    return table.label_zh if table is not None else str(name)


def findings_frame(findings: list[Finding], *, chinese: bool = False) -> pd.DataFrame:
    """The findings as a DataFrame (one row each): errors first, otherwise in the given order.

    With ``chinese=True`` the columns carry the Chinese labels of :data:`FINDING_LABELS_ZH`, the
    报表 column the table's Chinese name, and a cell finding (one with a row and a column) whose cell,
    enterprise or period was blank says so (:data:`BLANK_ZH`) instead of leaving 值、企业编码、期间 empty
    (for Excel, CSV and book pages: an analyst sees that the cell was blank, not that the list is incomplete).
    """
    columns = [c for c in FINDING_LABELS_ZH if c != "rule_name"]
    rows = [f.to_dict() for f in errors_first(findings)]
    df = pd.DataFrame(rows, columns=columns)
    df["row"] = df["row"].astype("Int64")
    df.insert(df.columns.get_loc("rule") + 1, "rule_name", [RULES.get(r, ("", r))[1] for r in df["rule"]])
    if chinese:
        df["table"] = [table_label_zh(t) for t in df["table"]]
        cell = (df["row"].notna() & df["column"].notna()).to_numpy(dtype=bool)
        for col in ("value", "enterprise_id", "period"):
            df[col] = df[col].astype("object").mask(cell & df[col].isna().to_numpy(), BLANK_ZH)
        df = df.rename(columns=FINDING_LABELS_ZH)
    return df


def make_finding(rule: str, message: str, *, file=None, sheet=None, row=None, column=None, value=None,
                 table=None, enterprise_id=None, period=None, severity: str | None = None) -> Finding:
    """A finding whose severity defaults to the rule's severity in :data:`RULES`."""
    sev = severity or RULES.get(rule, (ERROR, ""))[0]
    return Finding(file, sheet, None if row is None else int(row), column, value, rule, sev, message,
                   table, _clean(enterprise_id), _clean(period))


def _clean(value):
    return None if _is_missing(value) else str(value)


# ---------------------------------------------------------------------------
# row location helpers


class _Locator:
    """Finds file, sheet, Excel row, enterprise and period of a frame's rows."""

    def __init__(self, df: pd.DataFrame, name: str):
        self.df = df
        self.name = name
        self.labels = contract.labels_zh(name)
        self.sheet_default = contract.table(name).label_zh
        self.eid_field = _ENTERPRISE_FIELD.get(name, "enterprise_id")
        # template layout: header row 1, units row 2, data from row 3
        self._pos = {idx: i for i, idx in enumerate(df.index)}

    def _get(self, idx, column, default=None):
        if column in self.df.columns:
            v = self.df.at[idx, column]
            return _clean(v) if column != "source_row" else v
        return default

    def finding(self, idx, rule, message, *, field=None, value=None, severity=None) -> Finding:
        row = self._get(idx, "source_row")
        if row is None or pd.isna(row):
            row = self._pos.get(idx, 0) + 3
        return make_finding(
            rule, message,
            file=self._get(idx, "source_file"),
            sheet=self._get(idx, "source_sheet") or self.sheet_default,
            row=int(row),
            column=self.labels.get(field, field) if field else None,
            value=value,
            table=self.name,
            enterprise_id=self._get(idx, self.eid_field),
            period=self._get(idx, "period"),
            severity=severity,
        )

    def column_finding(self, rule, message, *, field=None, severity=None) -> Finding:
        file = None
        sheet = self.sheet_default
        if len(self.df) and "source_file" in self.df.columns:
            file = _clean(self.df["source_file"].iloc[0])
        if len(self.df) and "source_sheet" in self.df.columns:
            sheet = _clean(self.df["source_sheet"].iloc[0]) or sheet
        return make_finding(rule, message, file=file, sheet=sheet,
                            column=self.labels.get(field, field) if field else None,
                            table=self.name, severity=severity)

    def where(self, idx) -> str:
        row = self._get(idx, "source_row")
        if row is None or pd.isna(row):
            row = self._pos.get(idx, 0) + 3
        return f"第 {int(row)} 行"


def _fmt(value) -> str:
    text = _value_text(value)
    return "空" if text is None else f"“{text}”"


def _num(value: float) -> str:
    return f"{value:,.2f}"


# ---------------------------------------------------------------------------
# pandera: types, required values, vocabularies, period format, ranges


@lru_cache(maxsize=None)
def contract_schema(name: str):
    """A pandera ``DataFrameSchema`` for table ``name``: dtypes, required, vocabularies, ranges.

    Unlike :func:`guozi_analysis.contract.pandera_schema` it does not coerce (the reader has
    already typed every cell) and adds range checks; keys are checked by :func:`check_duplicates`.
    """
    import pandera.pandas as pa  # deferred: heavy dependency, loaded on first use

    t = contract.table(name)
    bounds = _BOUNDS.get(name, {})
    non_negative = set(_FIN_NON_NEGATIVE) if name == "financials" else {
        f.name for f in t.fields if f.is_money or f.dtype == "int" or (name == "livelihood" and f.dtype == "float")
    } - _MAY_BE_NEGATIVE.get(name, set())
    ranges = {f: [pa.Check.in_range(*bounds[f])] for f in bounds}
    ranges |= {f: [pa.Check.ge(0)] for f in non_negative if f not in bounds}
    return contract.pandera_schema(name, coerce=False, unique_keys=False, extra_checks=ranges)


def _pandera_message(check: str, label: str, value, where: str, field: contract.Field) -> tuple[str, str]:
    """``(rule, Chinese message)`` for one pandera failure case."""
    if check == "not_nullable":
        return "required_missing", f"{where}「{label}」为必填项，不能为空"
    if check.startswith("isin"):
        allowed = "、".join(field.vocabulary or ())
        return "vocabulary", f"{where}「{label}」为{_fmt(value)}，不在规定范围内（可填：{allowed}）"
    if check.startswith("str_matches"):
        return "period_format", (f"{where}「{label}」为{_fmt(value)}，不是有效期间"
                                 "（月报填 YYYY-MM，半月报填 YYYY-MM-H1 或 YYYY-MM-H2）")
    if check.startswith("greater_than_or_equal_to"):
        return "negative_value", f"{where}「{label}」为 {_value_text(value)}，不能为负数"
    if check.startswith("in_range"):
        return "out_of_range", f"{where}「{label}」为 {_value_text(value)}，超出合理范围 {check[len('in_range'):]}"
    return "wrong_type", f"{where}「{label}」不符合数据契约（{check}）"


def check_schema(df: pd.DataFrame, name: str) -> list[Finding]:
    """Contract checks with pandera (``lazy=True``): every failure of the table at once."""
    import pandera.pandas as pa  # deferred: heavy dependency, loaded on first use

    loc = _Locator(df, name)
    t = contract.table(name)
    schema = contract_schema(name)
    present = [f.name for f in t.fields if f.name in df.columns]
    findings: list[Finding] = []
    for f in t.fields:
        if f.name not in df.columns:
            sev = ERROR if f.required else WARNING
            findings.append(loc.column_finding(
                "column_missing", f"缺少列「{f.label_zh}」", field=f.name, severity=sev))
    if not present:
        return findings
    frame = df[present]
    sub = pa.DataFrameSchema({k: v for k, v in schema.columns.items() if k in present}, name=schema.name)
    try:
        sub.validate(frame, lazy=True)
        return findings
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    null_counts: dict[str, int] = {}
    for rec in cases.itertuples(index=False):
        if rec.check == "not_nullable" and rec.index is not None:
            null_counts[rec.column] = null_counts.get(rec.column, 0) + 1
    whole_null = {c for c, n in null_counts.items() if n == len(df) and len(df) > 1}
    for c in sorted(whole_null, key=present.index):
        field = t.field(c)
        findings.append(loc.column_finding(
            "required_missing", f"必填列「{field.label_zh}」整列为空（共 {len(df)} 行）", field=c))
    for rec in cases.itertuples(index=False):
        column = rec.column
        if column is None or column not in present:
            continue
        field = t.field(column)
        if rec.index is None or (isinstance(rec.index, float) and math.isnan(rec.index)):
            findings.append(loc.column_finding(
                "wrong_type", f"列「{field.label_zh}」的数据类型不符合数据契约（{rec.check}）", field=column))
            continue
        if rec.check == "not_nullable" and column in whole_null:
            continue
        idx = rec.index
        rule, message = _pandera_message(rec.check, field.label_zh, rec.failure_case, loc.where(idx), field)
        findings.append(loc.finding(idx, rule, message, field=column, value=rec.failure_case))
    return findings


# ---------------------------------------------------------------------------
# accounting identities


def _within(diff: pd.Series, base: pd.Series) -> pd.Series:
    tol = np.maximum(IDENTITY_ABS_TOL, IDENTITY_REL_TOL * base.abs())
    return diff.abs() <= tol


def check_identities(df: pd.DataFrame, name: str = "financials") -> list[Finding]:
    """资产总额 = 负债总额 + 所有者权益合计 (error) and the profit chain (warnings).

    Passes when the difference is at most 0.5 万元 or 0.01 % of the larger side: a slip of
    1 元 passes, a 1 % imbalance fails. Rows with a missing component are left to the
    required-value check.
    """
    if name != "financials" or df.empty:
        return []
    loc = _Locator(df, name)
    findings: list[Finding] = []
    need = {"total_assets", "total_liabilities", "total_equity"}
    if need <= set(df.columns):
        a, liab, eq = (df[c].astype("float64") for c in ("total_assets", "total_liabilities", "total_equity"))
        diff = a - (liab + eq)
        ok = _within(diff, a) | diff.isna()
        for idx in df.index[~ok.to_numpy()]:
            d = float(diff.at[idx])
            findings.append(loc.finding(
                idx, "identity_balance",
                f"{loc.where(idx)}资产总额 {_num(a.at[idx])} 万元 ≠ 负债总额 {_num(liab.at[idx])} 万元 + "
                f"所有者权益合计 {_num(eq.at[idx])} 万元，相差 {_num(d)} 万元"
                f"（允许误差 {IDENTITY_ABS_TOL} 万元或资产总额的 {IDENTITY_REL_TOL * 100:g}%）",
                field="total_assets", value=a.at[idx]))
    chains = (
        ("total_profit", ("operating_profit", "non_operating_income"), ("non_operating_expenses",),
         "利润总额 ≠ 营业利润 + 营业外收入 − 营业外支出"),
        ("net_profit", ("total_profit",), ("income_tax",), "净利润 ≠ 利润总额 − 所得税费用"),
    )
    for target, plus, minus, text in chains:
        cols = {target, *plus, *minus}
        if not cols <= set(df.columns):
            continue
        calc = sum(df[c].astype("float64") for c in plus) - sum(df[c].astype("float64") for c in minus)
        diff = df[target].astype("float64") - calc
        ok = _within(diff, df[target].astype("float64")) | diff.isna()
        for idx in df.index[~ok.to_numpy()]:
            findings.append(loc.finding(
                idx, "identity_profit",
                f"{loc.where(idx)}{text}：填报 {_num(df.at[idx, target])} 万元，按公式为 {_num(calc.at[idx])} 万元，"
                f"相差 {_num(diff.at[idx])} 万元",
                field=target, value=df.at[idx, target]))
    return findings


# ---------------------------------------------------------------------------
# history-based checks


def _entity_key(name: str) -> tuple[str, ...]:
    return tuple(k for k in contract.table(name).key if k != "period")


def _with_previous(df: pd.DataFrame, history: pd.DataFrame | None, key: tuple[str, ...],
                   fields: list[str]) -> pd.DataFrame:
    """For every row of ``df``: the latest earlier-period values of ``fields`` for the same key.

    Rows of ``history`` for a (key, period) the submission carries are being superseded and
    are ignored. Returns a frame indexed like ``df`` with ``prev_period`` and ``prev_<field>``.
    """
    cols = [*key, "period", *fields]
    new = df[[c for c in cols if c in df.columns]].copy()
    new["_new"] = True
    new["_idx"] = np.arange(len(df))
    parts = [new]
    if history is not None and len(history) and set(cols) <= set(history.columns):
        hist = history.loc[history[key[0]].isin(df[key[0]].dropna().unique()), cols].copy()
        hist["_new"] = False
        hist["_idx"] = -1
        parts.append(hist)
    combined = pd.concat(parts, ignore_index=True)
    combined = combined[combined["period"].notna() & combined[list(key)].notna().all(axis=1)]
    combined["period"] = combined["period"].astype("str")
    combined = combined.sort_values([*key, "period", "_new"], kind="mergesort")
    # a (key, period) the submission carries supersedes the history row; duplicates keep the last
    combined = combined.drop_duplicates(subset=[*key, "period"], keep="last")
    prev = combined.groupby(list(key), sort=False, dropna=True)[["period", *fields]].shift(1)
    is_new = combined["_new"].to_numpy()
    out = pd.DataFrame({"prev_period": prev["period"].to_numpy()[is_new]},
                       index=df.index[combined["_idx"].to_numpy()[is_new]])
    for f in fields:
        out[f"prev_{f}"] = prev[f].to_numpy()[is_new]
    return out.reindex(df.index)


def check_ytd_monotonic(df: pd.DataFrame, name: str, *, history: pd.DataFrame | None = None,
                        previous=None) -> list[Finding]:
    """Year-to-date (and since-start) cumulative figures that fall against the previous period.

    ``previous(key, fields)``, when given, returns what :func:`_with_previous` would (the batch
    validation of :mod:`guozi_analysis.intake.batch` computes it once for many files).
    """
    findings: list[Finding] = []
    rules = [r for r in (YTD_RULES.get(name), _CUMULATIVE_RULES.get(name)) if r]
    if df.empty or "period" not in df.columns:
        return findings
    loc = _Locator(df, name)
    for key, fields, within_year in rules:
        fields = [f for f in fields if f in df.columns]
        if not fields or not set(key) <= set(df.columns):
            continue
        prev = previous(key, fields) if previous is not None else _with_previous(df, history, key, fields)
        cur_year = df["period"].astype("str").str[:4]
        same_year = prev["prev_period"].astype("str").str[:4] == cur_year
        for f in fields:
            cur = df[f].astype("float64")
            before = prev[f"prev_{f}"].astype("float64")
            fell = (before - cur) > YTD_TOLERANCE
            if within_year:
                fell &= same_year
            fell &= prev["prev_period"].notna()
            label = contract.table(name).field(f).label_zh
            for idx in df.index[fell.fillna(False).to_numpy()]:
                scope = "本年累计数" if within_year else "累计数"
                findings.append(loc.finding(
                    idx, "ytd_decrease",
                    f"{loc.where(idx)}「{label}」{scope} {_num(cur.at[idx])} 万元低于上期"
                    f"（{prev.at[idx, 'prev_period']}）的 {_num(before.at[idx])} 万元；累计数不应下降",
                    field=f, value=cur.at[idx]))
    return findings


def _month_index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def check_period_continuity(df: pd.DataFrame, name: str = "financials", *,
                            history: pd.DataFrame | None = None, previous=None) -> list[Finding]:
    """Gaps in an enterprise's monthly 快报 (January excepted) and January reported on its own.

    ``previous(key, fields)`` as for :func:`check_ytd_monotonic` (then January rows must not occur:
    the batch validation falls back to file-by-file checks when they do).
    """
    if name != "financials" or df.empty or not {"enterprise_id", "period"} <= set(df.columns):
        return []
    loc = _Locator(df, name)
    findings: list[Finding] = []
    valid = df["period"].astype("str").str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").fillna(False)
    jan = valid & df["period"].astype("str").str.endswith("-01")
    for idx in df.index[jan.to_numpy()]:
        findings.append(loc.finding(
            idx, "january_reported",
            f"{loc.where(idx)}期间 {df.at[idx, 'period']}：1月快报不单独报送，2月报送1—2月累计数",
            field="period", value=df.at[idx, "period"]))
    if previous is not None:
        return findings + _gaps_from_previous(df, loc, previous(("enterprise_id",), []), valid & ~jan)
    hist_periods: dict[str, set[str]] = {}
    if history is not None and len(history) and {"enterprise_id", "period"} <= set(history.columns):
        for eid, per in history.groupby("enterprise_id")["period"]:
            hist_periods[str(eid)] = set(per.astype("str"))
    new = df[valid & ~jan]
    for eid, group in new.groupby("enterprise_id", sort=True):
        known = hist_periods.get(str(eid), set()) | set(group["period"].astype("str"))
        months = sorted({_month_index(p) for p in known if len(p) == 7})
        if len(months) < 2:
            continue
        have = set(months)
        for idx in group.index:
            m = _month_index(str(group.at[idx, "period"]))
            earlier = [x for x in months if x < m]
            if not earlier:
                continue
            start = max(earlier)
            gap = [x for x in range(start + 1, m) if x % 12 != 0 and x not in have]
            if gap:
                labels = "、".join(f"{x // 12:04d}-{x % 12 + 1:02d}" for x in gap)
                findings.append(loc.finding(
                    idx, "period_gap",
                    f"{loc.where(idx)}企业 {eid} 报送 {group.at[idx, 'period']}，但缺少 {labels} 的快报（1月除外）",
                    field="period", value=group.at[idx, "period"]))
    return findings


def _gaps_from_previous(df: pd.DataFrame, loc: _Locator, prev: pd.DataFrame, checked: pd.Series) -> list[Finding]:
    """``period_gap`` findings from each row's previous known period (same order as the file-by-file check)."""
    findings: list[Finding] = []
    sub = df[checked.to_numpy()]
    pp = prev["prev_period"].reindex(sub.index)
    has = pp.notna().to_numpy()
    # months strictly between the previous period and this one; a gap unless none, or only a January (issue 27:
    # one pass over the batch, only the rows with a gap go one by one)
    per = sub["period"].astype("str")
    cur_m = per.str[:4].astype("int64") * 12 + per.str[5:7].astype("int64") - 1
    prev_s = pp.astype("str")
    prev_m = pd.to_numeric(prev_s.str[:4], errors="coerce") * 12 + pd.to_numeric(prev_s.str[5:7], errors="coerce") - 1
    between = (cur_m - prev_m - 1).to_numpy()
    only_january = (between == 1) & ((prev_m + 1).to_numpy() % 12 == 0)
    has = has & (np.isnan(between) | ((between > 0) & ~only_january))  # a period not read as YYYY-MM: one by one
    order = sub.assign(_pos=np.arange(len(sub)))[has].sort_values(["enterprise_id", "_pos"], kind="mergesort").index
    for idx in order:
        m = _month_index(str(df.at[idx, "period"]))
        start = _month_index(str(pp.at[idx]))
        gap = [x for x in range(start + 1, m) if x % 12 != 0]
        if gap:
            labels = "、".join(f"{x // 12:04d}-{x % 12 + 1:02d}" for x in gap)
            findings.append(loc.finding(
                idx, "period_gap",
                f"{loc.where(idx)}企业 {df.at[idx, 'enterprise_id']} 报送 {df.at[idx, 'period']}，但缺少 {labels} 的快报（1月除外）",
                field="period", value=df.at[idx, "period"]))
    return findings


def check_unit_jumps(df: pd.DataFrame, name: str, *, history: pd.DataFrame | None = None,
                     previous=None) -> list[Finding]:
    """Money values ≈ ×1e4 or ×1e-4 their own previous period (probable 元/万元 mix-up; warning).

    When most of a row's amounts jump together the row gets one finding; otherwise each
    jumping cell gets its own.
    """
    money = [f for f in contract.money_fields(name) if f in df.columns]
    key = _entity_key(name)
    if df.empty or not money or not key or "period" not in df.columns or (
            previous is None and (history is None or not len(history))):
        return []
    loc = _Locator(df, name)
    prev = previous(key, money) if previous is not None else _with_previous(df, history, key, money)
    logs = {}
    for f in money:
        cur_raw = df[f].astype("float64")
        before_raw = prev[f"prev_{f}"].astype("float64")
        cur, before = cur_raw.abs(), before_raw.abs()
        # the previous value must be a real amount (≥ 1 万元) of the same sign: near-zero profits swing freely
        ok = (cur > 0) & (before >= _UNIT_FLOOR) & (np.sign(cur_raw) == np.sign(before_raw))
        logs[f] = np.log10(cur.where(ok) / before.where(ok))
    lr = pd.DataFrame(logs, index=df.index)
    median = lr.median(axis=1, skipna=True)
    near_up = (lr - 4).abs() < _UNIT_LOG_TOL
    near_down = (lr + 4).abs() < _UNIT_LOG_TOL
    row_up = ((median - 4).abs() < _UNIT_LOG_TOL).to_numpy()
    row_down = ((median + 4).abs() < _UNIT_LOG_TOL).to_numpy()
    cell = (near_up | near_down).to_numpy()
    findings: list[Finding] = []
    for i in np.nonzero(row_up | row_down | cell.any(axis=1))[0]:
        idx = df.index[i]
        if row_up[i] or row_down[i]:
            up = bool(row_up[i])
            direction = "放大约 1 万倍" if up else "缩小为约 1 万分之一"
            guess = "可能按“元”填报却未在单位行注明" if up else "单位行可能误写为“元”，而数值实为“万元”"
            n = int((near_up if up else near_down).iloc[i].sum())
            first = next((f for f in money if pd.notna(lr.iat[i, money.index(f)])), money[0])
            findings.append(loc.finding(
                idx, "unit_jump",
                f"{loc.where(idx)}与上期（{prev.at[idx, 'prev_period']}）相比，{n} 项金额同时{direction}，"
                f"疑似单位错误：{guess}。请核对单位行",
                field=first, value=df.at[idx, first]))
            continue
        for j in np.nonzero(cell[i])[0]:
            f = money[j]
            label = contract.table(name).field(f).label_zh
            findings.append(loc.finding(
                idx, "unit_jump",
                f"{loc.where(idx)}「{label}」为 {_num(df.at[idx, f])} 万元，上期（{prev.at[idx, 'prev_period']}）"
                f"为 {_num(prev.at[idx, f'prev_{f}'])} 万元，相差约 1 万倍，疑似元/万元单位错误",
                field=f, value=df.at[idx, f]))
    return findings


# ---------------------------------------------------------------------------
# keys, roster, periods


def check_duplicates(df: pd.DataFrame, name: str) -> list[Finding]:
    """Rows sharing the table's key: identical copies → ``duplicate_row`` (warning, copy dropped);
    differing rows → ``duplicate_key`` (error on every row of the key)."""
    key = [k for k in contract.table(name).key if k in df.columns]
    if df.empty or len(key) < len(contract.table(name).key):
        return []
    dup = df.duplicated(subset=key, keep=False)
    if not dup.any():
        return []
    loc = _Locator(df, name)
    fields = [f for f in contract.table(name).field_names if f in df.columns]
    findings: list[Finding] = []
    sub = df[dup]
    labels = contract.labels_zh(name)
    key_text = "、".join(labels[k] for k in key)
    for _, group in sub.groupby(key, sort=False, dropna=False):
        content = group[fields].astype("string").fillna("\x00")
        identical = len(content.drop_duplicates()) == 1
        rows = [loc.where(i).strip("第 行") for i in group.index]
        values = "、".join(_value_text(group.iloc[0][k]) or "空" for k in key)
        if identical:
            for idx in group.index[1:]:
                findings.append(loc.finding(
                    idx, "duplicate_row",
                    f"{loc.where(idx)}与第 {rows[0]} 行完全相同（{key_text}：{values}），重复行已忽略",
                    field=key[0], value=group.at[idx, key[0]]))
        else:
            for idx in group.index:
                findings.append(loc.finding(
                    idx, "duplicate_key",
                    f"{loc.where(idx)}{key_text}（{values}）在第 {'、'.join(rows)} 行重复出现且内容不同，"
                    "请只保留一行",
                    field=key[0], value=group.at[idx, key[0]]))
    return findings


def _roster_ids(roster) -> set[str] | None:
    if roster is None:
        return None
    if isinstance(roster, pd.DataFrame):
        if "enterprise_id" not in roster.columns:
            return None
        return set(roster["enterprise_id"].dropna().astype("str"))
    return {str(x) for x in roster}


def check_enterprises(df: pd.DataFrame, name: str, roster) -> list[Finding]:
    """Enterprise ids (the guarantor for 对外担保) must be in the roster; ``roster`` is a frame or ids."""
    ids = _roster_ids(roster)
    field = _ENTERPRISE_FIELD.get(name, "enterprise_id")
    if ids is None or df.empty or field not in df.columns or name == "roster":
        return []
    loc = _Locator(df, name)
    ids = ids | ({"DISTRICT"} if name == "targets" else set())
    col = df[field].astype("str")
    bad = df[field].notna() & ~col.isin(ids)
    rule = "guarantor_unknown" if name == "guarantees" else "unknown_enterprise"
    label = contract.labels_zh(name)[field]
    return [loc.finding(idx, rule, f"{loc.where(idx)}「{label}」{_fmt(df.at[idx, field])}不在企业名录中，"
                                   "请核对企业编码",
                        field=field, value=df.at[idx, field])
            for idx in df.index[bad.to_numpy()]]


def check_periods(df: pd.DataFrame, name: str, *, today: date | None = None) -> list[Finding]:
    """Periods after the reference date (``today``) and periods of the wrong frequency."""

    if df.empty or "period" not in df.columns:
        return []
    today = today or date.today()
    if isinstance(today, datetime):
        today = today.date()
    loc = _Locator(df, name)
    freq = contract.table(name).frequency
    findings: list[Finding] = []
    text = df["period"].astype("str")
    valid = text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])(-H[12])?").fillna(False) & df["period"].notna()
    half = text.str.contains("-H", regex=False).fillna(False)
    if freq == "half_monthly":
        wrong = valid & ~half
        expect = "半月报期间应为 YYYY-MM-H1（截至15日）或 YYYY-MM-H2（截至月末）"
    elif freq == "monthly":
        wrong = valid & half
        expect = "月报期间应为 YYYY-MM"
    else:
        wrong = valid & False
        expect = ""
    for idx in df.index[wrong.to_numpy()]:
        findings.append(loc.finding(idx, "period_frequency", f"{loc.where(idx)}期间 {_fmt(df.at[idx, 'period'])}：{expect}",
                                    field="period", value=df.at[idx, "period"]))
    as_of = {p: as_of_date(p) for p in text[valid].unique()}
    future = {p for p, day in as_of.items() if day > today}
    # the rows of a future period only (a province's batch has a million valid rows and none in the future)
    for idx in (df.index[(valid & text.isin(list(future))).to_numpy()] if future else ()):
        p = text.at[idx]
        findings.append(loc.finding(
            idx, "future_period",
            f"{loc.where(idx)}期间 {p} 截至 {as_of[p].isoformat()}，晚于本次处理的参考日期 {today.isoformat()}，"
            "不能报送未来期间",
            field="period", value=p))
    return findings


def check_cross_table(tables: dict[str, pd.DataFrame], *, roster=None) -> list[Finding]:
    """Consistency within and across tables: 开累完成 ≤ 项目总投资; guarantor and beneficiary in the roster."""
    findings: list[Finding] = []
    proj = tables.get("projects")
    if proj is not None and len(proj) and {"completed_cumulative", "total_investment"} <= set(proj.columns):
        loc = _Locator(proj, "projects")
        cum = proj["completed_cumulative"].astype("float64")
        tot = proj["total_investment"].astype("float64")
        over = (cum - tot) > np.maximum(IDENTITY_ABS_TOL, IDENTITY_REL_TOL * tot.abs())
        for idx in proj.index[over.fillna(False).to_numpy()]:
            findings.append(loc.finding(
                idx, "project_cumulative_exceeds_total",
                f"{loc.where(idx)}项目{_fmt(proj.at[idx, 'project_name']) if 'project_name' in proj.columns else ''}"
                f"开累完成投资 {_num(cum.at[idx])} 万元超过项目总投资 {_num(tot.at[idx])} 万元",
                field="completed_cumulative", value=cum.at[idx]))
    guar = tables.get("guarantees")
    ids = _roster_ids(roster)
    if guar is not None and len(guar) and ids is not None and "beneficiary_id" in guar.columns:
        loc = _Locator(guar, "guarantees")
        ben = guar["beneficiary_id"]
        bad = ben.notna() & ~ben.astype("str").isin(ids)
        for idx in guar.index[bad.to_numpy()]:
            findings.append(loc.finding(
                idx, "beneficiary_unknown",
                f"{loc.where(idx)}被担保人企业编码{_fmt(ben.at[idx])}不在企业名录中；名录外企业请将编码留空",
                field="beneficiary_id", value=ben.at[idx]))
    return findings


# ---------------------------------------------------------------------------
# optional 快报 items (issue 19)

#: Optional adjustment items that count as 0 when blank, and what they feed (for the message).
BLANK_AS_ZERO = {
    "capitalized_interest": "已获利息倍数的分母",
    "lease_liabilities": "带息负债",
    "perpetual_bonds": "带息负债",
    "state_capital_objective_increase": "国有资本保值增值率",
    "state_capital_objective_decrease": "国有资本保值增值率",
}


def check_optional_items(df: pd.DataFrame, name: str = "financials") -> list[Finding]:
    """Warnings for optional 快报 items left blank: adjustment items count as 0; a blank 营业收入 is
    never replaced by 营业总收入, so the indicators on 营业收入 are not computed for that row.

    A column absent from the whole file gives one warning for the column, a blank cell one per row. The
    roster's optional 主营业务 left blank gives one warning per enterprise (its profile leaves it out).
    """
    if name == "roster" and "main_business" in df.columns and not df.empty:
        loc = _Locator(df, name)
        blank = df["main_business"].isna() | (df["main_business"].astype("string").str.strip() == "")
        return [loc.finding(idx, "main_business_missing", f"{loc.where(idx)}「主营业务」未填：企业画像不写主营业务，请补填",
                            field="main_business") for idx in df.index[blank.fillna(True).to_numpy()]]
    if name != "financials" or df.empty:
        return []
    loc = _Locator(df, name)
    findings: list[Finding] = []
    items = {**BLANK_AS_ZERO, "operating_revenue": None}
    for field, feeds in items.items():
        label = loc.labels[field]
        if feeds is None:
            rule = "operating_revenue_missing"
            text = (f"「{label}」未填：营业收入增长率、营业现金比率、研发经费投入强度、周转率等以营业收入为分母的指标"
                    f"不计算，也不以营业总收入代替")
        else:
            rule = "blank_counted_as_zero"
            text = f"「{label}」未填，按 0 计入{feeds}；如有发生额请补报"
        if field not in df.columns:
            findings.append(loc.column_finding(rule, f"缺少「{label}」列：{text}", field=field))
            continue
        for idx in df.index[df[field].isna().to_numpy()]:
            findings.append(loc.finding(idx, rule, f"{loc.where(idx)}{text}", field=field))
    return findings


# ---------------------------------------------------------------------------
# the contract, transaction and inspection ledgers (issue 17)


def _known_contracts(tables: dict[str, pd.DataFrame], history: dict[str, pd.DataFrame] | None) -> pd.DataFrame:
    """Contract rows of the submission, then of the processed store (the submission wins)."""
    cols = ["contract_id", "enterprise_id", "status", "terminated_date"]
    parts = [df for df in (tables.get("contracts"), (history or {}).get("contracts")) if df is not None and len(df)]
    parts = [df.reindex(columns=cols) for df in parts]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out = out.loc[out["contract_id"].notna()]
    out = out.drop_duplicates("contract_id", keep="first")
    return out.set_index(out["contract_id"].astype("str").to_numpy())


def check_ledgers(tables: dict[str, pd.DataFrame], *, history: dict[str, pd.DataFrame] | None = None) -> list[Finding]:
    """Rules across the ledgers: a transaction's 合同编号 is in the 合同台账 (this submission or one received
    before); no payment after a contract's 终止日期; milestones and payment plans name known contracts;
    a finding's 整改期限 is not before its 发现日期; 终止 has a date and 已销号 has evidence (warnings).
    Negative amounts are caught by :func:`check_schema` (every money field is non-negative)."""
    findings: list[Finding] = []
    known = _known_contracts(tables, history)
    trx = tables.get("transactions")
    if trx is not None and len(trx) and "contract_id" in trx.columns:
        loc = _Locator(trx, "transactions")
        cid = trx["contract_id"]
        has = cid.notna() & (cid.astype("str").str.strip() != "")
        unknown = has & ~cid.astype("str").isin(known.index)
        for idx in trx.index[unknown.to_numpy()]:
            findings.append(loc.finding(
                idx, "transaction_contract_unknown",
                f"{loc.where(idx)}「合同编号」{_fmt(cid.at[idx])}不在合同台账中（本次报送与此前已接收的台账均无）；"
                "请先报送该合同，无合同的收付款请将合同编号留空",
                field="contract_id", value=cid.at[idx]))
        ended = known.loc[(known["status"].astype("str") == "终止") & known["terminated_date"].notna()]
        if {"direction", "transaction_date"} <= set(trx.columns) and len(ended):
            ends = dict(zip(ended.index, pd.to_datetime(ended["terminated_date"])))
            end = pd.to_datetime(cid.astype("str").map(lambda c: ends.get(c, pd.NaT)))
            day = pd.to_datetime(trx["transaction_date"])
            late = has & (trx["direction"].astype("str") == "付") & (day > end).fillna(False)
            for idx in trx.index[late.to_numpy()]:
                findings.append(loc.finding(
                    idx, "payment_after_termination",
                    f"{loc.where(idx)}合同 {_fmt(cid.at[idx])} 已于 {end.at[idx]:%Y-%m-%d} 终止，"
                    f"但 {day.at[idx]:%Y-%m-%d} 仍付款 {_num(float(trx.at[idx, 'amount']))} 万元；终止后不应再付款，"
                    "请核对合同状态或付款用途",
                    field="transaction_date", value=day.at[idx].date()))
    for name in ("contract_milestones", "contract_payment_plan"):
        df = tables.get(name)
        if df is None or not len(df) or "contract_id" not in df.columns:
            continue
        loc = _Locator(df, name)
        bad = df["contract_id"].notna() & ~df["contract_id"].astype("str").isin(known.index)
        for idx in df.index[bad.to_numpy()]:
            findings.append(loc.finding(
                idx, "ledger_row_unknown_contract",
                f"{loc.where(idx)}「合同编号」{_fmt(df.at[idx, 'contract_id'])}不在合同台账中，请先报送该合同",
                field="contract_id", value=df.at[idx, "contract_id"]))
    con = tables.get("contracts")
    if con is not None and len(con) and {"status", "terminated_date"} <= set(con.columns):
        loc = _Locator(con, "contracts")
        miss = (con["status"].astype("str") == "终止") & con["terminated_date"].isna()
        for idx in con.index[miss.to_numpy()]:
            findings.append(loc.finding(
                idx, "terminated_date_missing",
                f"{loc.where(idx)}合同 {_fmt(con.at[idx, 'contract_id'])} 状态为终止但未填终止日期，无法核对终止后付款",
                field="terminated_date"))
    fnd = tables.get("inspection_findings")
    if fnd is not None and len(fnd) and {"found_date", "deadline"} <= set(fnd.columns):
        loc = _Locator(fnd, "inspection_findings")
        found, deadline = pd.to_datetime(fnd["found_date"]), pd.to_datetime(fnd["deadline"])
        early = (deadline < found).fillna(False)
        for idx in fnd.index[early.to_numpy()]:
            findings.append(loc.finding(
                idx, "deadline_before_found",
                f"{loc.where(idx)}问题 {_fmt(fnd.at[idx, 'finding_id'])} 的整改期限 {deadline.at[idx]:%Y-%m-%d} "
                f"早于发现日期 {found.at[idx]:%Y-%m-%d}，请核对日期",
                field="deadline", value=deadline.at[idx].date()))
        if {"status", "closure_evidence"} <= set(fnd.columns):
            ev = fnd["closure_evidence"]
            nothing = (fnd["status"].astype("str") == "已销号") & (ev.isna() | (ev.astype("str").str.strip() == ""))
            for idx in fnd.index[nothing.to_numpy()]:
                findings.append(loc.finding(
                    idx, "closure_evidence_missing",
                    f"{loc.where(idx)}问题 {_fmt(fnd.at[idx, 'finding_id'])} 已销号但未写销号佐证",
                    field="closure_evidence"))
    return findings


# ---------------------------------------------------------------------------
# everything


def validate_tables(
    tables: dict[str, pd.DataFrame],
    *,
    history: dict[str, pd.DataFrame] | None = None,
    roster: pd.DataFrame | None = None,
    today: date | None = None,
) -> list[Finding]:
    """Run every rule family over ``tables`` (``{table name: typed frame}``).

    ``history`` holds the processed store (``{table name: frame}``) the submission is compared
    with (YTD flows, gaps, unit jumps); ``roster`` the 企业名录 (frame with ``enterprise_id``; when
    ``None`` the submission's own roster sheet is used if any, else the roster checks are skipped);
    ``today`` is the run's reference date for the future-period rule (default: today).
    Returns findings in table order, then rule family order.
    """
    history = history or {}
    if roster is None and tables.get("roster") is not None:
        roster = tables["roster"]
    findings: list[Finding] = []
    for name in contract.INTAKE_TABLES:  # issue 14: supplementary tables (上年同期) too
        df = tables.get(name)
        if df is None:
            continue
        hist = history.get(name)
        findings += check_schema(df, name)
        findings += check_duplicates(df, name)
        findings += check_periods(df, name, today=today)
        findings += check_enterprises(df, name, roster)
        findings += check_identities(df, name)
        findings += check_ytd_monotonic(df, name, history=hist)
        findings += check_period_continuity(df, name, history=hist)
        findings += check_unit_jumps(df, name, history=hist)
        findings += check_optional_items(df, name)
    findings += check_cross_table(tables, roster=roster)
    findings += check_ledgers(tables, history=history)  # issue 17
    return findings
