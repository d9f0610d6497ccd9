"""Data-quality report of a period: findings by enterprise, rows received, missing submissions.

Takes an :class:`~guozi_analysis.ingest.IngestReport` (or a plain list of findings) and
returns tables, an Excel workbook for the enterprises' contacts, and a Markdown page for
the book. Missing submissions are the roster's enterprises without a 财务快报 row for the
period's closed month (January excepted: it is reported with February).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from guozi_analysis.base.frames import rows_by
from guozi_analysis.base.periods import closed_month
from guozi_analysis.intake.validate import ERROR, FINDING_LABELS_ZH, RULES, Finding, errors_first, findings_frame

__all__ = [ "quality_report", "missing_submissions",
           "quality_markdown"]

#: Chinese headers of :func:`quality_report`.
QUALITY_LABELS_ZH = {
    "enterprise_id": "企业编码",
    "name": "企业名称",
    "errors": "错误数",
    "warnings": "警告数",
    "submitted": "报送行数",
    "accepted": "入库行数",
    "quarantined": "隔离行数",
    "financials_submitted": "已报财务快报",
    "top_rules": "主要问题",
}
_NO_ENTERPRISE = "（未识别企业）"


def _split(report_or_findings) -> tuple[list[Finding], pd.DataFrame | None, pd.DataFrame | None]:
    if isinstance(report_or_findings, list):
        return report_or_findings, None, None
    return report_or_findings.findings, report_or_findings.submissions, report_or_findings.to_frame()


def _in_period(values: pd.Series, period: str) -> pd.Series:
    """Rows of ``period``: the period itself, its month (monthly tables) or no period at all."""
    month = period[:7]
    text = values.astype("object")
    return text.isna() | text.isin([period, month, f"{month}-H1", f"{month}-H2"])


def missing_submissions(period: str, *, roster: pd.DataFrame | None,
                        financials: pd.DataFrame | None) -> pd.DataFrame:
    """Roster enterprises without a 财务快报 row for ``period``'s closed month (none for January)."""

    cols = ["enterprise_id", "name", "period", "table"]
    if roster is None or not len(roster):
        return pd.DataFrame(columns=cols)
    month = closed_month(period)
    if month.endswith("-01"):
        return pd.DataFrame(columns=cols)
    have = set()
    if financials is not None and len(financials):
        have = set(financials.loc[financials["period"].astype("str") == month, "enterprise_id"].astype("str"))
    ros = roster.copy()
    ros["enterprise_id"] = ros["enterprise_id"].astype("str")
    miss = ros[~ros["enterprise_id"].isin(have)]
    out = pd.DataFrame({
        "enterprise_id": miss["enterprise_id"].to_numpy(),
        "name": miss["name"].to_numpy() if "name" in miss.columns else None,
        "period": month,
        "table": "财务快报",
    })
    return out.sort_values("enterprise_id").reset_index(drop=True)


def quality_report(report_or_findings, *, period: str, roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per enterprise (plus 未识别企业 for file-level findings) for ``period``.

    Columns (English ids; Chinese headers in :data:`QUALITY_LABELS_ZH`): enterprise_id, name,
    errors, warnings, submitted, accepted, quarantined (row counts are NaN when only findings
    were given), financials_submitted (whether a 财务快报 row of the period was received),
    top_rules (the most frequent problems, Chinese).
    """

    findings, units, _ = _split(report_or_findings)
    fdf = findings_frame(findings)
    fdf = fdf[_in_period(fdf["period"], period)]
    fdf = fdf.assign(enterprise_id=fdf["enterprise_id"].fillna(_NO_ENTERPRISE))
    ids = set(fdf["enterprise_id"])
    if roster is not None and len(roster):
        ids |= set(roster["enterprise_id"].astype("str"))
    if units is not None and len(units):
        u = units[_in_period(units["period"], period)]
        ids |= set(u["enterprise_id"].fillna(_NO_ENTERPRISE).astype("str"))
    else:
        u = None
    names = {}
    if roster is not None and "name" in roster.columns:
        names = dict(zip(roster["enterprise_id"].astype("str"), roster["name"]))
    by_finding = rows_by(fdf, fdf["enterprise_id"].to_numpy())
    if u is not None:
        by_unit = rows_by(u, u["enterprise_id"].fillna(_NO_ENTERPRISE).astype("str").to_numpy())
    rows = []
    for eid in sorted(ids, key=lambda x: (x == _NO_ENTERPRISE, x)):
        sub = by_finding(eid)
        counts = sub["rule"].value_counts()
        top = "；".join(f"{RULES.get(r, ('', r))[1]}×{n}" for r, n in counts.head(3).items())
        rec = {"enterprise_id": eid, "name": names.get(eid), "errors": int((sub["severity"] == ERROR).sum()),
               "warnings": int((sub["severity"] != ERROR).sum())}
        if u is not None:
            mine = by_unit(eid)
            rec.update(submitted=int(mine["submitted"].sum()), accepted=int(mine["accepted"].sum()),
                       quarantined=int(mine["quarantined"].sum()),
                       financials_submitted=bool((mine["table"] == "financials").any()))
        else:
            rec.update(submitted=float("nan"), accepted=float("nan"), quarantined=float("nan"),
                       financials_submitted=None)
        rec["top_rules"] = top
        rows.append(rec)
    return pd.DataFrame(rows, columns=list(QUALITY_LABELS_ZH))


_FILE_ZH = {
    "file": "文件", "stored_as": "原始库文件名", "status": "处理结果", "submitted": "报送行数",
    "accepted": "入库行数", "quarantined": "隔离行数", "dropped": "剔除行数", "errors": "错误数", "warnings": "警告数",
}


def _md_table(df: pd.DataFrame) -> list[str]:
    if not len(df):
        return ["（无）"]
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for rec in df.itertuples(index=False):
        cells = ["—" if (v is None or (not isinstance(v, str) and pd.isna(v))) else
                 ("是" if v else "否") if isinstance(v, (bool, np.bool_)) else str(v).replace("|", "\\|")
                 for v in rec]
        out.append("| " + " | ".join(cells) + " |")
    return out


def quality_markdown(report_or_findings, *, period: str, roster: pd.DataFrame | None = None,
                     financials: pd.DataFrame | None = None, max_findings: int = 50,
                     summary: pd.DataFrame | None = None) -> str:
    """A Chinese Markdown page (数据质量) for the book: totals, by enterprise, missing, main findings.
    ``summary``: :func:`quality_report` of the same report, period and roster when the caller has it."""
    findings, units, files = _split(report_or_findings)
    if summary is None:
        summary = quality_report(report_or_findings, period=period, roster=roster)
    n_err = sum(f.severity == ERROR for f in findings)
    lines = [f"# 数据质量（{period}）", ""]
    if files is not None and len(files):
        lines.append(f"本期共收到 {len(files)} 个报送文件，报送 {int(files['submitted'].sum())} 行，"
                     f"入库 {int(files['accepted'].sum())} 行，隔离 {int(files['quarantined'].sum())} 行；"
                     f"发现错误 {n_err} 项、警告 {len(findings) - n_err} 项。")
    else:
        lines.append(f"发现错误 {n_err} 项、警告 {len(findings) - n_err} 项。")
    lines += ["", "## 分企业情况", ""]
    shown = summary[(summary["errors"] > 0) | (summary["warnings"] > 0) | summary["submitted"].fillna(0).gt(0)]
    lines += _md_table(shown.rename(columns=QUALITY_LABELS_ZH))
    if financials is None and units is not None:
        fin_units = units[units["table"] == "financials"]
        financials = fin_units[["enterprise_id", "period"]] if len(fin_units) else None
    missing = missing_submissions(period, roster=roster, financials=financials)
    lines += ["", "## 未报送财务快报的企业", ""]
    lines += _md_table(missing.drop(columns=["enterprise_id"], errors="ignore").rename(
        columns={"name": "企业名称", "period": "期间", "table": "报表"}))
    lines += ["", "## 主要问题", ""]
    fdf = findings_frame(errors_first(findings)[:max_findings], chinese=True)
    keep = [FINDING_LABELS_ZH[c] for c in ("severity", "file", "sheet", "row", "column", "rule_name", "message")]
    lines += _md_table(fdf[keep])
    if len(findings) > max_findings:
        lines.append(f"\n另有 {len(findings) - max_findings} 项，见数据质量工作簿。")
    return "\n".join(lines) + "\n"


#: The data-quality workbook the shared step writes beside the run's intake store.
QUALITY_WORKBOOK = "数据质量_{period}.xlsx"


