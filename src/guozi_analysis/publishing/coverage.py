"""What a publication says about who reported: the wording of the stored coverage frame.

The shared step stores who was expected to report and who did (``coverage.parquet``, see
:mod:`guozi_analysis.analyses.coverage`). Every publication reads it through here: the first
paragraph names the groups that are missing, every table carries the same note, totals are labelled
as covering the reporters only, and a statement of absence ("没有企业列入…") is qualified or left out.
"""

from __future__ import annotations

import pandas as pd

from guozi_analysis.analyses.coverage import FINANCIALS, is_complete, missing_groups, partial_groups
from guozi_analysis.base.store import read_shared

__all__ = ["coverage", "complete", "coverage_sentence", "table_note", "total_label", "INCOMPLETE_TOTAL"]

#: How a district total is labelled when some enterprises did not report.
INCOMPLETE_TOTAL = "全区合计（仅含已报送企业）"


def coverage(ctx) -> pd.DataFrame:
    """The period's stored coverage frame (empty for results stored before it existed: taken as complete)."""
    return read_shared(ctx.processed_dir, "coverage", optional=True)


def complete(ctx) -> bool:
    """Whether everybody expected reported this period."""
    return is_complete(coverage(ctx))


def _missing_phrase(ctx) -> str:
    """"澜海城投集团等5家集团未报送财务快报；澜海水务集团有2家所属企业未报送" (empty when complete)."""
    cov = coverage(ctx)
    short = dict(zip(cov["group_id"].astype(str), cov["group_name"].astype(str)))  # whole even in a profile's slice
    parts = []
    absent = missing_groups(cov)
    if absent:
        names = "、".join(short.get(g, g) for g in absent)
        parts.append(f"{len(absent)}家集团（{names}）未报送本期财务快报")
    for g, codes in partial_groups(cov).items():
        parts.append(f"{short.get(g, g)}有{len(codes)}家所属企业未报送本期财务快报")
    ledgers = cov.loc[(cov["table"] != FINANCIALS) & (cov["missing"] > 0)] if len(cov) else cov
    ledgers = ledgers.loc[~ledgers["group_id"].isin(absent)] if len(ledgers) else ledgers
    for g, part in (ledgers.groupby("group_id", sort=False) if len(ledgers) else ()):
        parts.append(f"{short.get(str(g), str(g))}未报送本期{'、'.join(part['table_zh'].astype(str))}")
    return "；".join(parts)


def coverage_sentence(ctx) -> str:
    """The first paragraph's sentence on an incomplete period (empty when everybody reported), e.g.
    "本期数据不完整：5家集团（…）未报送本期财务快报，全区合计仅含已报送企业，与上期、上年同期的比较未列示。"."""
    if complete(ctx):
        return ""
    return (f"本期数据不完整：{_missing_phrase(ctx)}。全区合计仅含已报送企业，合计数不完整；需要未报送数据的比较"
            "（同比、环比、名单变化等）未列示。")


def table_note(ctx) -> str:
    """The note under every table of an incomplete period (empty when complete), e.g.
    "注：5家集团（…）未报送本期财务快报，全区合计仅含已报送企业。"."""
    if complete(ctx):
        return ""
    return f"注：{_missing_phrase(ctx)}，全区合计仅含已报送企业。"


def total_label(ctx, complete_label: str = "全区合计") -> str:
    """The district total's row label: marked as covering the reporters only when somebody is missing."""
    return complete_label if complete(ctx) else INCOMPLETE_TOTAL
