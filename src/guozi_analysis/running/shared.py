"""The shared step of a period run: load the data once, compute what every notebook reads.

Notebooks never recompute indicators: they read the parquet files this module's
results are written to (see :func:`guozi_analysis.pipeline.compute_shared`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from guozi_analysis.analyses import assessment, forecast, ranking, risk
from guozi_analysis.base import config
from guozi_analysis.base.periods import parse_period
from guozi_analysis.indicators.formulas import compute_indicators
from guozi_analysis.intake.ingest import ingest, load_processed
from guozi_analysis.intake.legacy import load_raw
from guozi_analysis.intake.quality import QUALITY_WORKBOOK, quality_markdown, quality_report
from guozi_analysis.intake.validate import findings_frame
from guozi_analysis.publishing import narrative
from guozi_analysis.publishing.workbooks import write_quality_workbook


def load_tables(*, raw_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every contract table read from the raw submissions (default: the demo district)."""

    return load_raw(raw_dir or config.DEMO_DIR / "raw")


def history_periods(period: str, *, months: int = 24) -> list[str]:
    """The ``months`` monthly periods ending with ``period``'s month, oldest first."""
    parse_period(period)
    end = pd.Period(period[:7], freq="M")
    return [str(end - k) for k in range(months - 1, -1, -1)]


def indicator_history(tables: dict[str, pd.DataFrame], *, period: str, months: int = 24) -> pd.DataFrame:
    """Indicators for every month of the trailing window (January rows stay NaN: not reported)."""

    frames = [
        compute_indicators(tables, period=p, roster=tables["roster"])
        for p in history_periods(period, months=months)
    ]
    return pd.concat(frames, ignore_index=True)


def ingest_raw(raw_dir: Path, *, store_dir: Path, period: str):
    """Receive every raw file into a store of this run (validated, quarantined, hashed) and read it back.

    Returns the accepted tables and the intake report. Error findings do not stop the run: the
    rows they block are quarantined and listed on the data-quality page.
    """

    report = ingest([raw_dir], raw_store=store_dir / "raw", processed_dir=store_dir / "processed")
    return load_processed(store_dir / "processed"), report


def quality_frames(report, tables: dict[str, pd.DataFrame], *, period: str) -> dict[str, pd.DataFrame]:
    """The data-quality page's inputs: findings, the per-enterprise summary and the rendered page."""

    roster = tables.get("roster")
    return {
        "quality_findings": findings_frame(report.findings, chinese=True).astype(str),
        "quality_summary": quality_report(report, period=period, roster=roster),
        "quality_page": pd.DataFrame({"markdown": [quality_markdown(report, period=period, roster=roster)]}),
    }


def shared_results(period: str, *, raw_dir: Path | None = None,
                   store_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """Tables every notebook reads, keyed by the parquet file name they are stored under.

    With ``store_dir`` the raw files go through intake (validation, quarantine, content-hashed raw
    store) and the analyses read the accepted rows; without it they are read as they are.
    """

    raw_dir = raw_dir or config.DEMO_DIR / "raw"
    if store_dir is None:
        tables, quality = load_tables(raw_dir=raw_dir), {}
    else:
        tables, report = ingest_raw(raw_dir, store_dir=store_dir, period=period)
        quality = quality_frames(report, tables, period=period)

        write_quality_workbook(store_dir / QUALITY_WORKBOOK.format(period=period), report, period=period,
                               roster=tables.get("roster"), financials=tables.get("financials"))
    results = {f"table_{name}": frame for name, frame in tables.items()} | quality
    results["indicators"] = compute_indicators(tables, period=period, roster=tables["roster"])
    results["indicator_history"] = indicator_history(tables, period=period)
    for provider in (risk, ranking, assessment, forecast, narrative):
        results.update(provider.shared_frames(tables, results["indicators"], period=period))
    return results


def default_profile_entities(processed_dir: Path) -> list[str]:
    """The groups (level 1) of the roster: one profile each in the published book."""
    roster = pd.read_parquet(processed_dir / "table_roster.parquet")
    return sorted(roster.loc[roster["level"] == 1, "enterprise_id"].astype(str))
