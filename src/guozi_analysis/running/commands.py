"""The bodies of the quick CLI commands (ingest, catalogue, indicators, risk, ranking, assess, targets).

Every command reads the inbox through :func:`guozi_analysis.intake.inbox.open_inbox` — the same
validated, quarantining path as ``guozi run`` and ``guozi report`` — and says on stderr which
inbox it read. CSV output is UTF-8 with BOM (Excel opens it correctly) with Chinese headers;
``english=True`` gives English headers for scripts.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd

from guozi_analysis.analyses import ranking as _ranking
from guozi_analysis.analyses.assessment import assess, propose_targets, stored_frames
from guozi_analysis.analyses.contracts import contract_warnings
from guozi_analysis.analyses.risk.engine import evaluate_rules, format_value
from guozi_analysis.analyses.risk.report import supervision_list
from guozi_analysis.indicators.catalogue import catalogue_frame
from guozi_analysis.indicators.formulas import compute_indicators
from guozi_analysis.intake.inbox import Inbox, InboxError, open_inbox, require_period
from guozi_analysis.intake.validate import findings_frame
from guozi_analysis.publishing.workbooks import (
    _ranking_display,
    _sheet_display,
    publication_frame,
    write_assessment_workbook,
    write_indicator_outputs,
    write_proposed_targets,
    write_ranking_csv,
    write_ranking_workbook,
)

#: Chinese headers of the key-supervision list printed by ``guozi risk``.
RISK_HEADERS_ZH = {"entity_id": "企业编码", "entity_name": "企业名称", "level": "层级", "severity": "监管等级",
                   "rule_names": "触发规则", "messages": "说明（数值、阈值、规则与依据）"}
RISK_LEVEL_ZH = {"district": "全区", "group": "集团", "enterprise": "子企业"}
#: Chinese headers of the contract and inspection warnings printed by ``guozi contracts`` (issue 17).
CONTRACT_HEADERS_ZH = {"entity_id": "企业编码", "entity_name": "企业名称", "case_id": "预警对象", "family": "类别",
                       "rule_name": "预警规则", "value": "数值", "threshold": "阈值", "severity": "预警等级",
                       "light": "信号灯", "message": "说明（数值、阈值、规则与依据）"}
#: Chinese headers of the indicator catalogue printed by ``guozi catalogue``.
CATALOGUE_HEADERS_ZH = {"id": "指标编号", "table_name_zh": "报表", "name_zh": "指标名称", "unit": "单位",
                        "direction": "方向", "basis": "口径", "aggregation": "汇总方式", "formula": "公式",
                        "source": "来源"}
DIRECTION_ZH = {"higher_better": "越高越好", "lower_better": "越低越好", "band": "区间内为好"}
BASIS_ZH = {"point_in_time": "时点数", "year_to_date": "本年累计", "annualised": "年化", "change": "变动"}
AGGREGATION_ZH = {"sum": "求和", "ratio_of_sums": "分子分母分别汇总后相除", "recompute": "由汇总数重算",
                  "not_aggregated": "不汇总"}
BOM = "\ufeff"


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text starting with a BOM (so Excel reads the UTF-8 correctly)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return BOM + buffer.getvalue()


def announce(inbox: Inbox) -> Inbox:
    """Say on stderr, in one line, which inbox was read."""
    print(inbox.description, file=sys.stderr)
    return inbox


def read_inbox(data_dir: Path | str | None, *, period: str | None = None) -> Inbox:
    """Open the inbox (``--data`` or the district's configured one), announce it, check the period."""
    inbox = announce(open_inbox(data_dir))
    if period is not None:
        require_period(inbox, period)
    return inbox


def ingest_command(data_dir: Path | str | None = None, *, findings_out: Path | str | None = None,
                   verbose: bool = False) -> int:
    """``guozi ingest``: validate the inbox into its store; print the summary (totals, files not received in
    full, then the problems, errors first; ``verbose`` lists every file); write the full findings.

    The findings (errors first) go to ``findings_out`` (default: ``<store>/问题清单.csv``), UTF-8 with BOM, and beside it
    as ``.xlsx`` (same rows); exit code 0 when no finding is an error, 1 otherwise.
    """
    inbox = read_inbox(data_dir)
    print(inbox.report.summary_zh(verbose=verbose))
    target = Path(findings_out) if findings_out else inbox.store_dir / "问题清单.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    frame = findings_frame(inbox.report.findings, chinese=True)
    target.write_text(csv_text(frame), encoding="utf-8")
    xlsx = target.with_suffix(".xlsx")
    frame.astype("object").where(frame.notna(), None).to_excel(xlsx, index=False, sheet_name="问题清单",
                                                               engine="openpyxl")
    print(f"全部问题（{len(inbox.report.findings)} 项）已写入：{target}")
    print(f"同一清单（Excel）：{xlsx}")
    return 0 if inbox.report.ok else 1


def catalogue_command(*, english: bool = False) -> str:
    """``guozi catalogue``: the enabled indicators as CSV text (Chinese headers unless ``english``)."""
    frame = catalogue_frame()
    if english:
        return csv_text(frame[["id", "table", "name_zh", "name_en", "unit", "direction", "basis", "aggregation",
                               "formula", "source"]])
    out = frame[list(CATALOGUE_HEADERS_ZH)].assign(
        direction=frame["direction"].map(DIRECTION_ZH),
        basis=frame["basis"].map(BASIS_ZH),
        aggregation=frame["aggregation"].map(AGGREGATION_ZH),
    )
    return csv_text(out.rename(columns=CATALOGUE_HEADERS_ZH))


def indicators_command(period: str, out_dir: Path | str, data_dir: Path | str | None = None, *,
                       english: bool = False) -> list[Path]:
    """``guozi indicators``: every indicator of ``period`` to ``indicators.csv`` and ``indicators.xlsx``."""
    inbox = read_inbox(data_dir, period=period)
    return write_indicator_outputs(inbox.tables, period=period, roster=inbox.roster(), out_dir=Path(out_dir),
                                   english=english)


def risk_list(inbox: Inbox, period: str) -> pd.DataFrame:
    """The key-supervision list of ``period`` from the inbox's accepted rows (what the book lists)."""
    indicators = compute_indicators(inbox.tables, period=period, roster=inbox.roster())
    return supervision_list(evaluate_rules(inbox.tables, indicators, period=period, include_passed=True))


def risk_command(period: str, data_dir: Path | str | None = None, *, english: bool = False) -> str:
    """``guozi risk``: the key-supervision list of ``period`` as CSV text; the caller prints it."""
    inbox = read_inbox(data_dir, period=period)
    listed = risk_list(inbox, period)
    if english:
        return csv_text(listed[["entity_id", "entity_name", "level", "severity", "rule_ids", "messages"]])
    out = listed[list(RISK_HEADERS_ZH)].assign(level=listed["level"].map(RISK_LEVEL_ZH).fillna(listed["level"]))
    return csv_text(out.rename(columns=RISK_HEADERS_ZH))


def contracts_command(period: str, data_dir: Path | str | None = None, *, english: bool = False) -> str:
    """``guozi contracts``: the contract and inspection warnings of ``period`` as CSV text (one row per case
    and rule: the contract, transaction, milestone, finding or enterprise, with value, threshold, rule and
    basis); the caller prints it."""
    inbox = read_inbox(data_dir, period=period)
    warnings = contract_warnings(inbox.tables, period=period)
    if english:
        return csv_text(warnings[["entity_id", "entity_name", "case_id", "rule_id", "family", "value", "threshold",
                                  "unit", "severity", "light", "on_list", "message"]])
    out = warnings[list(CONTRACT_HEADERS_ZH)].assign(
        value=[format_value(v, u) for v, u in zip(warnings["value"], warnings["unit"])],
        threshold=[format_value(v, u) for v, u in zip(warnings["threshold"], warnings["unit"])])
    return csv_text(out.rename(columns=CONTRACT_HEADERS_ZH))


def ranking_command(period: str, out_dir: Path | str, data_dir: Path | str | None = None) -> list[Path]:
    """``guozi ranking``: the half month's 晾晒 ranking as a printable workbook and a CSV.

    ``period`` is ``YYYY-MM-H1``/``YYYY-MM-H2`` (a monthly ``YYYY-MM`` is published as its ``H2``).
    Returns ``[<out_dir>/晾晒排名_<period>.xlsx, <out_dir>/晾晒排名_<period>.csv]``.
    """
    half = _ranking.ranking_period(period)
    inbox = read_inbox(data_dir, period=half)
    frames = _ranking.build_ranking(inbox.tables, period=half)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    roster = inbox.roster()
    xlsx = write_ranking_workbook(out / f"晾晒排名_{half}.xlsx", frames["ranking"], frames["ranking_composite"],
                                  roster=roster)
    csv = write_ranking_csv(out / f"晾晒排名_{half}.csv",
                            publication_frame(frames["ranking"], frames["ranking_composite"], roster=roster))
    return [xlsx, csv]


def assessment_command(year: int, out_dir: Path | str, data_dir: Path | str | None = None) -> list[Path]:
    """``guozi assess``: assess ``year``; write the workbook and CSVs (UTF-8 with BOM) to ``out_dir``."""
    inbox = read_inbox(data_dir)
    _require_year(inbox, int(year))
    a = assess(inbox.tables, year=int(year))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [write_assessment_workbook(out / f"assessment_{a.year}.xlsx", **stored_frames(a))]
    ranking_csv = out / f"assessment_{a.year}_ranking.csv"
    ranking_csv.write_text(csv_text(_ranking_display(a.ranking)), encoding="utf-8")
    sheet_csv = out / f"assessment_{a.year}_sheet.csv"
    sheet_csv.write_text(csv_text(_sheet_display(a.sheet)), encoding="utf-8")
    return paths + [ranking_csv, sheet_csv]


def targets_command(year: int, data_dir: Path | str | None = None, *, as_of: str | None = None,
                    min_growth_pct: float = 0.0, params_dir: Path | None = None) -> Path:
    """``guozi targets``: propose the next year's targets into ``params/targets/<year+1>_proposed.yaml``."""
    inbox = read_inbox(data_dir)
    _require_year(inbox, int(year))
    proposals = propose_targets(inbox.tables, year=int(year), as_of=as_of, min_growth_pct=min_growth_pct)
    return write_proposed_targets(proposals, params_dir=params_dir)


def _require_year(inbox: Inbox, year: int) -> None:
    fin = inbox.tables.get("financials")
    months = sorted(fin["period"].dropna().astype(str).unique()) if fin is not None and len(fin) else []
    if not any(m.startswith(f"{year}-") for m in months):
        have = f"已有 {months[0]} 至 {months[-1]}" if months else "没有任何财务快报"
        raise InboxError(f"收件目录 {inbox.path} 中没有 {year} 年的财务快报数据（{have}）。")
