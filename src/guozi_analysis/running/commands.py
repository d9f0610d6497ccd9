"""The bodies of the quick CLI commands (indicators, risk, ranking, assessment, targets): read the
accepted data, call the analyses, write or print the result.
"""

from __future__ import annotations

from pathlib import Path

from guozi_analysis.analyses import ranking as _ranking
from guozi_analysis.analyses.assessment import assess, propose_targets
from guozi_analysis.analyses.risk.engine import evaluate_rules, key_supervision_list
from guozi_analysis.publishing.workbooks import (
    _ranking_display,
    _sheet_display,
    publication_frame,
    write_assessment_workbook,
    write_proposed_targets,
    write_ranking_csv,
    write_ranking_workbook,
)
from guozi_analysis.running.shared import load_tables


def assessment_command(year: int, out_dir: Path | str, raw_dir: Path | str | None = None) -> list[Path]:
    """``guozi assess``: assess ``year`` and write the workbook and CSVs (UTF-8 with BOM) to ``out_dir``."""

    tables = load_tables(raw_dir=Path(raw_dir) if raw_dir else None)
    a = assess(tables, year=int(year))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [write_assessment_workbook(out / f"assessment_{a.year}.xlsx", a)]
    ranking_csv = out / f"assessment_{a.year}_ranking.csv"
    _ranking_display(a.ranking).to_csv(ranking_csv, index=False, encoding="utf-8-sig")
    sheet_csv = out / f"assessment_{a.year}_sheet.csv"
    _sheet_display(a.sheet).to_csv(sheet_csv, index=False, encoding="utf-8-sig")
    return paths + [ranking_csv, sheet_csv]


def targets_command(year: int, raw_dir: Path | str | None = None, *, as_of: str | None = None,
                    min_growth_pct: float = 0.0, params_dir: Path | None = None) -> Path:
    """``guozi targets``: propose ``year``'s targets and write ``params/targets/<year>_proposed.yaml``."""

    tables = load_tables(raw_dir=Path(raw_dir) if raw_dir else None)
    proposals = propose_targets(tables, year=int(year), as_of=as_of, min_growth_pct=min_growth_pct)
    return write_proposed_targets(proposals, params_dir=params_dir)


def risk_command(period: str, raw_dir: Path | str | None = None) -> str:
    """The key-supervision list of ``period`` as CSV text (entity_id, name, severity, rule_ids, messages).

    Reads the raw submissions in ``raw_dir`` (default: the demo district). The caller prints it.
    """

    tables = load_tables(raw_dir=Path(raw_dir) if raw_dir else None)
    listed = key_supervision_list(evaluate_rules(tables, None, period=period))
    out = listed.rename(columns={"entity_name": "name"})[["entity_id", "name", "severity", "rule_ids", "messages"]]
    return out.to_csv(index=False, lineterminator="\n")


def ranking_command(period: str, out_dir: Path | str, raw_dir: Path | str | None = None) -> list[Path]:
    """CLI entry: rank the district for the half month ``period`` and write the workbook and CSV.

    ``period`` is ``"YYYY-MM-H1"``/``"YYYY-MM-H2"`` (a monthly ``"YYYY-MM"`` is published as its
    ``H2``); ``raw_dir`` defaults to the demo district. Returns
    ``[<out_dir>/晾晒排名_<period>.xlsx, <out_dir>/晾晒排名_<period>.csv]``.
    """

    half = _ranking.ranking_period(period)
    tables = load_tables(raw_dir=Path(raw_dir) if raw_dir else None)
    frames = _ranking.build_ranking(tables, period=half)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    roster = tables.get("roster")
    xlsx = write_ranking_workbook(out / f"晾晒排名_{half}.xlsx", frames["ranking"], frames["ranking_composite"],
                                  roster=roster)
    csv = write_ranking_csv(out / f"晾晒排名_{half}.csv",
                            publication_frame(frames["ranking"], frames["ranking_composite"], roster=roster))
    return [xlsx, csv]
