"""One projection, many readers: on the demo, the forecast chapter, the assessment's pre-assessment and
the review's 2023 plan print the same 2022 year-end projections (the shared step computes them once)."""

from __future__ import annotations

import pytest

from guozi_analysis.running.shared import shared_results

PERIOD = "2022-11"
pytestmark = pytest.mark.slow  # the whole shared step on the demo (about a minute)


@pytest.fixture(scope="module")
def results(demo_inbox):
    return shared_results(PERIOD, inbox=demo_inbox)


def _stored(results, entity: str, item: str) -> float:
    p = results["forecast_projections"]
    row = p.loc[(p["enterprise_id"] == entity) & (p["item"] == item) & (p["as_of"].astype(str) == PERIOD)]
    assert len(row) == 1, (entity, item)
    return float(row["median"].iloc[0])


@pytest.mark.parametrize("item", ["revenue", "total_profit"])
def test_the_pre_assessment_scores_the_stored_projection(results, item):
    sheet = results["assessment_sheet"]
    rows = sheet.loc[(sheet["year"] == 2022) & (sheet["item_id"] == item) & sheet["projected"].astype(bool)]
    assert len(rows) >= 5  # the assessed groups
    for row in rows.itertuples():
        assert row.value == pytest.approx(_stored(results, row.enterprise_id, item), rel=1e-12), row.enterprise_id


# investment too: full year against full year (its baseline was 11 months' actual, 69.45 亿元)
@pytest.mark.parametrize("item", ["revenue", "total_profit", "investment_completed"])
def test_the_plan_compares_2023_targets_with_the_stored_2022_projection(results, item):
    targets = results["narrative_targets"].set_index("item")
    assert targets.loc[item, "baseline_kind"] == "expected"
    assert targets.loc[item, "baseline_value"] == pytest.approx(_stored(results, "DISTRICT", item), rel=1e-12)
    assert str(targets.loc[item, "baseline_text"]).startswith("2022年预计")


@pytest.mark.parametrize("item", ["revenue", "total_profit"])
def test_next_years_proposed_targets_start_from_the_stored_projection(results, item):
    proposed = results["assessment_targets_proposed"]
    rows = proposed.loc[(proposed["item"] == item) & proposed["base_projected"].astype(bool)]
    assert len(rows) == 6  # the six groups
    for row in rows.itertuples():
        assert row.base_value == pytest.approx(_stored(results, row.enterprise_id, item), rel=1e-12), row.enterprise_id


def test_the_forecast_chapter_reads_the_same_rows(results, tmp_path):
    from guozi_analysis.base.store import write_table
    from guozi_analysis.publishing import views
    from guozi_analysis.publishing.views import forecast as forecast_views

    for name, frame in results.items():
        write_table(frame, tmp_path / f"{name}.parquet")
    table = forecast_views.projection_table(views.open_context(period=PERIOD, processed_dir=tmp_path))
    for entity, name in (("DISTRICT", "全区合计"), ("G01", "澜海城投集团")):
        shown = float(table.loc[(name, "营业总收入"), "预计全年（亿元）"])
        assert shown == pytest.approx(_stored(results, entity, "revenue") / 1e4, abs=0.005), entity
    # the chapter prints the figures and the basis as two tables read from the same rows
    ctx = views.open_context(period=PERIOD, processed_dir=tmp_path)
    figures, basis = forecast_views.projection_figures(ctx), forecast_views.projection_basis(ctx)
    assert figures.index.equals(table.index) and basis.index.equals(table.index)
    assert figures["预计全年（亿元）"].equals(table["预计全年（亿元）"])
    row = table.loc[("澜海城投集团", "营业总收入")]
    assert figures.loc[("澜海城投集团", "营业总收入"), "80%区间（亿元）"] == \
        f"{row['80%区间下限（亿元）']:.2f}—{row['80%区间上限（亿元）']:.2f}"
    assert list(basis.columns) == ["预测方法", "回测年数", "说明"]
    assert figures["回测误差（%）"].equals(table["回测误差（%）"])  # the backtest error next to each projection
    assert "说明" not in figures and "80%区间下限（亿元）" not in figures


# the four demo runs: the review (2022-11), the monthly (2022-10), the quarterly (2022-Q3, closing September)
# and the half-month (2022-11-H2, closing November like the review: the same stored projections)
@pytest.mark.parametrize("period", ["2022-11", "2022-10", "2022-Q3"])
def test_no_stored_bound_of_a_flow_that_cannot_fall_lies_below_its_year_to_date(demo_tables, period):
    from guozi_analysis.analyses import forecast as fc
    from guozi_analysis.base.periods import closed_month
    from guozi_analysis.publishing.views import forecast as forecast_views

    assert closed_month("2022-11-H2") == closed_month("2022-11") == "2022-11"
    frames = fc.shared_frames(demo_tables, period=period)
    proj = frames["forecast_projections"]
    flows = proj.loc[proj["item"].isin(["revenue", "investment_completed"]) & proj["median"].notna()]
    assert len(flows) == 14  # six groups and the district, two items
    for col in ("lo95", "lo80", "median"):
        below = flows.loc[flows[col] < flows["ytd_actual"], ["enterprise_id", "item", col, "ytd_actual"]]
        assert below.empty, below.to_string()
    # before: 澜海文旅集团 revenue at the end of September, 80 % lower bound 11.63 亿元 against 13.09 earned
    wenlv = flows.set_index(["enterprise_id", "item"]).loc[("G04", "revenue")]
    assert wenlv["lo80"] >= wenlv["ytd_actual"]
    # and the printed table: no 80 % range starts below the row's own year to date (both at two decimals)
    names = dict(zip(demo_tables["roster"]["enterprise_id"].astype(str), demo_tables["roster"]["short_name"]))
    table = forecast_views.projection_view(proj, frames["forecast_targets"], names=names)
    rows = table.loc[table.index.get_level_values("项目").isin(["营业总收入", "固定资产投资完成额"])]
    assert (rows["80%区间下限（亿元）"] >= rows["本年累计（亿元）"]).all()


def test_the_2023_targets_are_the_adopted_ones_and_meet_the_proposal_rule_or_say_why(results):
    targets = results["narrative_targets"].set_index("item")
    proposed = results["assessment_targets_proposed"]
    # adopted: 年度目标.xlsx 2023 rows of the six groups added up (params/targets_2023.yaml additive)
    assert targets.loc["revenue", "target_value"] == 3_323_640.0         # 332.36 亿元
    assert targets.loc["total_profit", "target_value"] == 332_780.0      # 33.28 亿元
    assert targets.loc["investment_completed", "target_value"] == 774_370.0  # 77.44 亿元
    for item in ("revenue", "total_profit"):
        row = targets.loc[item]
        assert row["proposed_value"] == pytest.approx(proposed.loc[proposed["item"] == item, "proposed_target"].sum())
        assert row["proposal_gap"] == pytest.approx(row["target_value"] - row["proposed_value"])
        # below the appendix's rule → the body says why (here: both are; 342.88 and 36.76 亿元 proposed)
        assert row["target_value"] >= row["proposed_value"] or row["proposal_reason"].startswith("采用的目标取自")
    assert targets.loc["revenue", "proposed_value"] / 1e4 == pytest.approx(342.88, abs=0.005)
    assert targets.loc["total_profit", "proposed_value"] / 1e4 == pytest.approx(36.76, abs=0.005)
    # investment: 77.44 against the 2022 full-year projection, not against 11 months' 69.45
    assert targets.loc["investment_completed", "baseline_value"] == pytest.approx(
        _stored(results, "DISTRICT", "investment_completed"), rel=1e-12)
