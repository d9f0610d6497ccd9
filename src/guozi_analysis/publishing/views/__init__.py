"""What the notebooks display: each function reads the shared step's stored results and returns a
table (Chinese headers and units), a chart or Markdown. Nothing here computes an indicator.

``views`` itself holds the context and the overview/profile views; the chapters' own views are
the submodules (``views.ranking``, ``views.risk``, ``views.assessment``, ``views.forecast``,
``views.quality``).
"""

from guozi_analysis.publishing.views.context import Context, ParameterError, open_context
from guozi_analysis.publishing.views.overview import (
    COUNT_UNITS,
    OVERVIEW_AMOUNTS,
    PEER_INDICATORS,
    WAN_PER_YI,
    city_key_projects,
    completion_chart,
    detail_list,
    entity_indicators,
    group_overview,
    headline,
    peer_table,
    profile_facts,
    profile_title,
    report_table,
    trend_chart,
)

__all__ = ['Context', 'ParameterError', 'open_context', 'WAN_PER_YI', 'COUNT_UNITS', 'OVERVIEW_AMOUNTS', 'PEER_INDICATORS', 'group_overview', 'entity_indicators', 'trend_chart', 'profile_title', 'profile_facts', 'headline', 'report_table', 'city_key_projects', 'completion_chart', 'detail_list', 'peer_table']
