"""The shared step of a period run: load the data once, compute what every notebook reads.

Notebooks never recompute indicators: they read the parquet files this module's
results are written to (see :func:`guozi_analysis.running.runner.compute_shared`). The data come
from the inbox through intake (:func:`guozi_analysis.intake.inbox.open_inbox`), the project's only
reader of raw files, so every chapter and every command sees the same accepted rows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from guozi_analysis.analyses import assessment, contracts, forecast, peers, ranking, risk
from guozi_analysis.analyses.coverage import coverage_frame
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.periods import parse_period
from guozi_analysis.indicators.formulas import compute_from_panel, compute_indicators
from guozi_analysis.indicators.panel import line_items
from guozi_analysis.intake.inbox import Inbox, require_period
from guozi_analysis.intake.quality import QUALITY_WORKBOOK, quality_markdown, quality_report
from guozi_analysis.intake.validate import findings_frame
from guozi_analysis.publishing import narrative
from guozi_analysis.publishing.workbooks import write_quality_workbook


def history_periods(period: str, *, months: int = 24) -> list[str]:
    """The ``months`` monthly periods ending with ``period``'s month, oldest first."""
    parse_period(period)
    end = pd.Period(period[:7], freq="M")
    return [str(end - k) for k in range(months - 1, -1, -1)]


def indicator_history(tables: dict[str, pd.DataFrame], *, period: str, months: int = 24) -> pd.DataFrame:
    """Indicators for every month of the trailing window (January rows stay NaN: not reported), month after
    month, each as :func:`compute_indicators` gives it: the months' line-item panels stacked and computed in
    one pass per indicator (:func:`compute_from_panel` by blocks)."""
    panels = [line_items(tables, period=p, roster=tables["roster"]) for p in history_periods(period, months=months)]
    if not panels:
        return pd.DataFrame()
    sizes = [len(p) for p in panels]
    return compute_from_panel(pd.concat(panels, ignore_index=True), blocks=sizes)


def quality_frames(report, tables: dict[str, pd.DataFrame], *, period: str) -> dict[str, pd.DataFrame]:
    """The data-quality page's inputs: findings, the per-enterprise summary and the rendered page."""

    roster = tables.get("roster")
    summary = quality_report(report, period=period, roster=roster)  # once: the page and the workbook show it
    return {
        "quality_findings": findings_frame(report.findings, chinese=True).astype(str),
        "quality_summary": summary,
        "quality_page": pd.DataFrame({"markdown": [quality_markdown(report, period=period, roster=roster,
                                                                    summary=summary)]}),
    }


def shared_results(period: str, *, inbox: Inbox, workbook_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """Tables every notebook reads, keyed by the parquet file name they are stored under.

    ``inbox`` is an ingested inbox (:func:`guozi_analysis.intake.inbox.open_inbox`): the analyses
    read its accepted rows; its intake report feeds the data-quality page. With ``workbook_dir``
    the data-quality workbook is written there too.
    """
    require_period(inbox, period)
    tables = inbox.tables
    quality = quality_frames(inbox.report, tables, period=period)
    if workbook_dir is not None:
        write_quality_workbook(Path(workbook_dir) / QUALITY_WORKBOOK.format(period=period), inbox.report,
                               period=period, roster=tables.get("roster"), financials=tables.get("financials"),
                               summary=quality["quality_summary"])
    results = {f"table_{name}": frame for name, frame in tables.items()} | quality
    # who reported, known before anything is published: every publication says who is missing
    results["coverage"] = coverage_frame(tables, period=period)
    results["indicators"] = compute_indicators(tables, period=period, roster=tables["roster"])
    results["indicator_history"] = indicator_history(tables, period=period)
    for provider in (risk, ranking, forecast, contracts, peers):  # peers: every profile's standing, once
        results.update(provider.shared_frames(tables, results["indicators"], period=period))
    # one projection, many readers: the assessment and the review quote the stored forecast; one
    # key-supervision list: the assessment's deduction reads the list the risk chapter prints
    results.update(assessment.shared_frames(tables, results["indicators"], period=period,
                                            projections=results["forecast_projections"],
                                            supervision=results["risk_list"]))
    results.update(narrative.shared_frames(tables, results["indicators"], period=period, results=results))
    return results


def default_profile_entities(processed_dir: Path) -> list[str]:
    """Every enterprise of the roster's tree, every level, groups first then their subsidiaries (tree
    order): one profile each in the profiles volume."""
    roster = pd.read_parquet(processed_dir / "table_roster.parquet")
    return list(EnterpriseTree.from_roster(roster).order)
