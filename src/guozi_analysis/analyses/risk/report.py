"""What the risk chapter shows, the shared-step hook and the command-line entry.

* :func:`shared_frames` computes everything once per period (written as ``risk_*.parquet``).
* The display functions read those parquet files from ``ctx.processed_dir`` and return tables with
  Chinese headers or matplotlib figures; they compute nothing.
* :func:`risk_command` is the body of ``guozi risk --period …``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from guozi_analysis.analyses.coverage import coverage_frame, reported_entities
from guozi_analysis.analyses.risk.distress import altman_z2
from guozi_analysis.analyses.risk.engine import evaluate_rules, key_supervision_list, list_changes, traffic_lights
from guozi_analysis.analyses.risk.maturity import maturity_profile, maturity_scopes
from guozi_analysis.analyses.risk.stress import run_stress
from guozi_analysis.base.periods import previous_period

__all__ = [
    "shared_frames",
]

WAN_PER_YI = 10_000
LEVEL_ZH = {"district": "全区", "group": "集团", "enterprise": "企业"}


def supervision_list(flags: pd.DataFrame) -> pd.DataFrame:
    """The key-supervision list (重点监管对象) from evaluated flags: the one list the book, the review's
    counts and ``guozi risk`` all print."""
    return key_supervision_list(flags.loc[flags["triggered"]] if "triggered" in flags else flags)


def shared_frames(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame, *, period: str,
                  scenarios: Path | str | dict | None = None) -> dict[str, pd.DataFrame]:
    """Every risk frame of one period, keyed by the parquet name the notebooks read.

    ``scenarios`` defaults to ``params/stress_scenarios.yaml`` (see :func:`run_stress`).

    Keys: ``risk_evaluation`` (every entity × rule, with status), ``risk_flags`` (fired rules),
    ``risk_list`` (重点监管对象), ``risk_changes`` (entered/left since the previous period),
    ``risk_traffic_lights``, ``risk_maturity_profile`` (24 months), ``risk_maturity_scopes`` (the 集中到期
    figures on the enterprise's own instruments beside the profile's whole tree), ``risk_stress_summary``,
    ``risk_stress_crossings``, ``risk_stress_shortfall``, ``risk_distress`` (Altman Z'').
    """

    evaluation = evaluate_rules(tables, indicators, period=period, include_passed=True)
    flags = evaluation.loc[evaluation["triggered"]].reset_index(drop=True)
    current = supervision_list(flags)
    before = previous_period(period)
    previous = key_supervision_list(evaluate_rules(tables, None, period=before))
    roster = set(tables["roster"]["enterprise_id"].astype(str).str.strip())
    # the list's changes need both periods' data for the same enterprise: who missed either is not compared
    unreported = {e for p in (period, before)
                  for e in roster - reported_entities(coverage_frame(tables, period=p), tables["roster"])}
    stress = run_stress(tables, period=period, scenarios=scenarios)
    return {
        "risk_evaluation": evaluation,
        "risk_flags": flags,
        "risk_list": current,
        "risk_changes": list_changes(current, previous, include_unchanged=True, unreported=unreported),
        "risk_traffic_lights": traffic_lights(evaluation),
        "risk_maturity_profile": maturity_profile(tables, period=period, months=24),
        # the 集中到期 warning's own-instrument figures beside the profile's whole-tree figures, reconciled
        "risk_maturity_scopes": maturity_scopes(tables, period=period),
        "risk_stress_summary": stress["summary"],
        "risk_stress_crossings": stress["crossings"],
        "risk_stress_shortfall": stress["shortfall"],
        "risk_distress": altman_z2(tables, period=period),
    }


