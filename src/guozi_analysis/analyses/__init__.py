"""Analyses layer: risk rules, rankings, forecasts, the annual assessment and the distress model.
Pure computation on the accepted tables and indicators; no file writing and no notebook display.

The analyst's entry points (see ``docs/api.md``): :func:`evaluate_rules` and
:func:`key_supervision_list` (the 重点监管对象 list), :func:`project_year_end` (a year-end
projection with intervals), :func:`build_ranking` (the half-month 晾晒) and :func:`assess`
(the annual assessment).
"""

from guozi_analysis.analyses.assessment import assess
from guozi_analysis.analyses.forecast import project_year_end
from guozi_analysis.analyses.ranking import build_ranking
from guozi_analysis.analyses.risk import evaluate_rules, key_supervision_list

__all__ = ["assess", "build_ranking", "evaluate_rules", "key_supervision_list", "project_year_end"]
