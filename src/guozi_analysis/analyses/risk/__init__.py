"""Debt-risk early warning and the key-supervision list (重点监管对象).

Rules are data (``params/risk_rules.yaml``) evaluated by one small engine; stress scenarios are
data (``params/stress_scenarios.yaml``). Main entry points: :func:`evaluate_rules`,
:func:`key_supervision_list`, :func:`list_changes`, :func:`traffic_lights`,
:func:`maturity_profile`, :func:`run_stress` and the shared-step hook :func:`shared_frames`. The
notebook views are in :mod:`guozi_analysis.publishing.views.risk`.
"""

from guozi_analysis.analyses.risk.engine import (
    FLAG_COLUMNS,
    LIST_COLUMNS,
    evaluate_cases,
    evaluate_rules,
    format_value,
    key_supervision_list,
    list_changes,
    traffic_lights,
)
from guozi_analysis.analyses.risk.maturity import maturity_profile
from guozi_analysis.analyses.risk.report import shared_frames
from guozi_analysis.analyses.risk.rules import (
    FAMILIES,
    LIGHTS,
    SEVERITIES,
    Rule,
    RuleSet,
    Threshold,
    load_rules,
    parse_rules,
)
from guozi_analysis.analyses.risk.stress import apply_scenario, cash_shortfall, load_scenarios, run_stress

__all__ = [
    "FAMILIES", "LIGHTS", "SEVERITIES", "FLAG_COLUMNS", "LIST_COLUMNS",
    "Rule", "RuleSet", "Threshold", "load_rules", "parse_rules", "format_value",
    "evaluate_rules", "evaluate_cases", "key_supervision_list", "list_changes", "traffic_lights", "maturity_profile",
    "load_scenarios", "apply_scenario", "cash_shortfall", "run_stress",
    "shared_frames",
]
