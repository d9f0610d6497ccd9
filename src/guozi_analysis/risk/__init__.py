"""Debt-risk early warning and the key-supervision list (重点监管对象).

Rules are data (``params/risk_rules.yaml``) evaluated by one small engine; stress scenarios are
data (``params/stress_scenarios.yaml``). Main entry points: :func:`evaluate_rules`,
:func:`key_supervision_list`, :func:`list_changes`, :func:`traffic_lights`,
:func:`maturity_profile`, :func:`run_stress`; the shared-step hook :func:`shared_frames`, the
command :func:`risk_command` and the notebook views in :mod:`guozi_analysis.risk.report`.
"""

from .engine import FLAG_COLUMNS, LIST_COLUMNS, evaluate_rules, format_value, key_supervision_list, list_changes, \
    traffic_lights
from .maturity import maturity_profile
from .report import entity_risk_section, flags_table, list_changes_table, maturity_chart, maturity_table, \
    risk_command, shared_frames, stress_crossings_table, stress_summary_table, supervision_list_table, \
    traffic_light_table
from .rules import FAMILIES, LIGHTS, SEVERITIES, Rule, RuleSet, Threshold, load_rules, parse_rules
from .stress import apply_scenario, cash_shortfall, load_scenarios, run_stress

__all__ = [
    "FAMILIES", "LIGHTS", "SEVERITIES", "FLAG_COLUMNS", "LIST_COLUMNS",
    "Rule", "RuleSet", "Threshold", "load_rules", "parse_rules", "format_value",
    "evaluate_rules", "key_supervision_list", "list_changes", "traffic_lights", "maturity_profile",
    "load_scenarios", "apply_scenario", "cash_shortfall", "run_stress",
    "shared_frames", "risk_command", "entity_risk_section",
    "supervision_list_table", "list_changes_table", "traffic_light_table", "flags_table", "maturity_table",
    "maturity_chart", "stress_summary_table", "stress_crossings_table",
]
