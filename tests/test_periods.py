"""Period model tests."""

from datetime import date

import pytest

from guozi_analysis.base.periods import (
    Period,
    as_of_date,
    closed_month,
    elapsed_fraction,
    elapsed_share,
    is_half_monthly,
    issue_date,
    months_elapsed,
    pace_basis,
    parse_period,
    previous_period,
    previous_year_end,
    same_period_last_year,
    validate_period,
    year_start,
)


@pytest.mark.parametrize("bad", ["2022-13", "2022-00", "2022-1", "22-11", "2022-11-H3", "2022/11", "", None,
                                 "2022-11-h1x"])
def test_bad_periods_raise_chinese_error(bad):
    with pytest.raises(ValueError, match="^期间格式错误"):
        parse_period(bad)


def test_parse_and_labels():
    assert parse_period("2022-11") == Period(2022, 11, None)
    assert parse_period("2022-11-H1") == Period(2022, 11, 1)
    assert validate_period(" 2022-02-H2 ") == "2022-02-H2"
    assert is_half_monthly("2022-02-H2") and not is_half_monthly("2022-02")


def test_as_of_dates():
    assert as_of_date("2022-11") == date(2022, 11, 30)
    assert as_of_date("2022-11-H1") == date(2022, 11, 15)
    assert as_of_date("2022-11-H2") == date(2022, 11, 30)
    assert as_of_date("2024-02") == date(2024, 2, 29)
    assert as_of_date("2023-02-H2") == date(2023, 2, 28)


def test_elapsed_share_by_days_including_leap_years():
    # the days convention (params/district.yaml pace.basis: days): day of year / days in year
    assert elapsed_share(date(2022, 11, 30), basis="days") == pytest.approx(334 / 365)
    assert elapsed_share("2022-11", basis="days") == pytest.approx(334 / 365)
    assert elapsed_share("2022-11-H1", basis="days") == pytest.approx(319 / 365)
    assert elapsed_share(date(2024, 2, 29), basis="days") == pytest.approx(60 / 366)
    assert elapsed_share("2024-12-31", basis="days") == 1.0
    assert elapsed_share(date(2023, 1, 1), basis="days") == pytest.approx(1 / 365)


def test_elapsed_share_by_months_is_the_district_default():
    # params/district.yaml pace.basis: months (as 国资委 bulletins count it): months closed / 12
    assert pace_basis() == "months"
    assert elapsed_fraction("2022-10") == (10, 12)                      # 10/12 = 83.33 %
    assert elapsed_share("2022-10") == pytest.approx(10 / 12)           # 0.833333…
    assert elapsed_share("2022-11") == pytest.approx(11 / 12)           # 91.67 %, not 334/365 = 91.51 %
    assert elapsed_share("2022-11-H2") == pytest.approx(11 / 12)        # H2 closes at month end
    # H1 closes on the 15th: half of November has passed → 10.5/12 = 87.50 %
    assert elapsed_fraction("2022-11-H1") == (10.5, 12)
    assert elapsed_share("2022-11-H1") == pytest.approx(0.875)
    assert elapsed_share(date(2022, 11, 14)) == pytest.approx(10 / 12)  # before the 15th: only October closed
    assert elapsed_share("2022-09") == pytest.approx(0.75)              # 2022-Q3: 9/12
    assert elapsed_share(date(2024, 2, 29)) == pytest.approx(2 / 12)    # leap-year February end is a month end
    assert elapsed_share("2022-12") == 1.0


def test_pace_basis_rejects_an_unknown_convention(tmp_path):
    (tmp_path / "district.yaml").write_text("pace:\n  basis: weeks\n", "utf-8")
    with pytest.raises(ValueError, match="pace.basis"):
        pace_basis(params_dir=tmp_path)
    (tmp_path / "district.yaml").write_text("district:\n  name: 某区\n", "utf-8")
    assert pace_basis(params_dir=tmp_path) == "months"  # not set: months


def test_same_period_last_year_and_previous():
    assert same_period_last_year("2022-11-H1") == "2021-11-H1"
    assert same_period_last_year("2024-02") == "2023-02"
    assert previous_period("2022-11") == "2022-10"
    assert previous_period("2022-01") == "2021-12"
    assert previous_period("2022-11-H2") == "2022-11-H1"
    assert previous_period("2022-11-H1") == "2022-10-H2"
    assert previous_period("2022-01-H1") == "2021-12-H2"


def test_year_start_closed_month_and_opening():
    assert year_start("2022-11-H1") == date(2022, 1, 1)
    assert closed_month("2022-11-H2") == "2022-11"
    assert closed_month("2022-11-H1") == "2022-10"
    assert closed_month("2022-01-H1") == "2021-12"
    assert previous_year_end("2022-11") == "2021-12"
    assert previous_year_end("2022-01-H1") == "2020-12"  # reads December 2021's 快报, opened end 2020


def test_months_elapsed_for_annualising():
    assert months_elapsed("2022-02") == 2  # Jan–Feb reported together
    assert months_elapsed("2022-11") == 11
    assert months_elapsed("2022-11-H1") == 10
    assert months_elapsed("2022-12-H2") == 12


def test_issue_date_is_the_district_day_after_the_data_month(tmp_path):
    # demo district: report.issue_day 15, report.half_month_issue_days 3
    assert issue_date("2022-10", kind="monthly") == date(2022, 11, 15)  # 1—10月 通报: the 15th of November
    assert issue_date("2022-Q3", kind="quarterly") == date(2022, 10, 15)  # quarter read as September
    assert issue_date("2022-11", kind="review") == date(2022, 12, 15)
    assert issue_date("2022-12", kind="monthly") == date(2023, 1, 15)  # December → next January
    assert issue_date("2022-11-H2", kind="half_month") == date(2022, 12, 3)  # 30 Nov + 3 days
    assert issue_date("2022-11-H1", kind="half_month") == date(2022, 11, 18)  # 15 Nov + 3 days
    for label in ("2022-10", "2022-Q3", "2022-11", "2022-11-H2", "2022-11-H1"):
        assert issue_date(label) > as_of_date(label)  # never dated before its data exist
    (tmp_path / "district.yaml").write_text("report:\n  issue_day: 31\n  half_month_issue_days: 0\n", "utf-8")
    assert issue_date("2023-01", params_dir=tmp_path) == date(2023, 2, 28)  # the 31st of February: its last day
    assert issue_date("2022-11-H2", kind="half_month", params_dir=tmp_path) == date(2022, 11, 30)
    (tmp_path / "district.yaml").write_text("district:\n  name: 某区\n", "utf-8")
    assert issue_date("2022-10", params_dir=tmp_path) == date(2022, 11, 15)  # not set: the 15th
    with pytest.raises(ValueError, match="出版物类别"):
        issue_date("2022-10", kind="weekly")
