"""Reporting periods: monthly ``"YYYY-MM"``, half-monthly ``"YYYY-MM-H1"`` / ``"YYYY-MM-H2"``, and
quarters ``"YYYY-Q1"``…``"YYYY-Q4"`` (read as the quarter's last month).

The model
---------
* A monthly period closes at month end; ``H1`` closes on the 15th; ``H2`` closes at month end.
  The closing day is the period's *as-of date* (数据截至日).
* Monthly tables (财务快报, 融资明细, 担保 …) are read for the *closed month* of a period: the month
  itself for a monthly period or ``H2``; the previous month for ``H1`` (on the 15th only the previous
  month's 快报 has been filed).
* January is not reported on its own: the February 快报 carries January–February, so the months
  elapsed for annualising are simply the closed month's number (February → 2).
* 序时进度 (:func:`elapsed_share`) is the share of the calendar year elapsed at the as-of date, on
  the district's one convention (``params/district.yaml`` → ``pace.basis``, :func:`pace_basis`):
  ``months`` (default, as 国资委 bulletins count it) — months elapsed / 12, a month counting once it
  has closed and a half month (closed on the 15th) counting ½: 2022-10-31 → 10/12, 2022-11-15
  (``2022-11-H1``) → 10.5/12, 2022-11-30 → 11/12; ``days`` — day of year / days in year, leap years
  included (2024-02-29 → 60/366). :func:`elapsed_fraction` gives the numerator and denominator that
  the publications print under every table that uses it.

Every function accepts a period label or a :class:`Period`; malformed labels raise ``ValueError``
with a Chinese message starting 「期间格式错误」.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from guozi_analysis.base.params import load_yaml

_PATTERN = re.compile(r"^(\d{4})-(\d{2})(?:-H([12]))?$")
#: A quarter, ``"YYYY-Qn"``: read as the quarter's last month (its data are the 快报 of that month).
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")

__all__ = [
    "Period",
    "parse_period",
    "validate_period",
    "as_of_date",
    "elapsed_share",
    "elapsed_fraction",
    "pace_basis",
    "PACE_BASES",
    "same_period_last_year",
    "previous_period",
    "year_start",
    "previous_year_end",
    "closed_month",
    "months_elapsed",
    "is_half_monthly",
    "quarter_of",
    "issue_date",
    "ISSUE_KINDS",
]


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period. ``half`` is ``None`` for a monthly period, else 1 or 2."""

    year: int
    month: int
    half: int | None = None

    @property
    def label(self) -> str:
        """Canonical label, e.g. ``"2022-11"`` or ``"2022-11-H1"``."""
        base = f"{self.year:04d}-{self.month:02d}"
        return base if self.half is None else f"{base}-H{self.half}"

    @property
    def is_half_monthly(self) -> bool:
        return self.half is not None

    @property
    def as_of(self) -> date:
        """Closing date: the 15th for ``H1``, month end otherwise."""
        if self.half == 1:
            return date(self.year, self.month, 15)
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.label


def parse_period(value: str | Period) -> Period:
    """Parse ``"YYYY-MM"`` or ``"YYYY-MM-H1"``/``"YYYY-MM-H2"`` into a :class:`Period`.

    Raises ``ValueError`` 「期间格式错误…」 for anything else (month outside 01–12 included).
    """
    if isinstance(value, Period):
        return value
    text = str(value).strip() if value is not None else ""
    quarter = _QUARTER.match(text)
    if quarter:
        return Period(int(quarter.group(1)), 3 * int(quarter.group(2)))
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(
            f"期间格式错误：{value!r}，应为 YYYY-MM（月度）、YYYY-MM-H1/YYYY-MM-H2（半月）或 YYYY-Q1…Q4（季度）"
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"期间格式错误：{value!r}，月份应在 01–12 之间")
    if year < 1900:
        raise ValueError(f"期间格式错误：{value!r}，年份不合理")
    half = int(match.group(3)) if match.group(3) else None
    return Period(year, month, half)


def quarter_of(value: str | Period) -> int | None:
    """The quarter (1–4) when ``value`` is written as a quarter (``"2022-Q3"``), else ``None``.

    ``parse_period("2022-Q3")`` is the quarter's last month (``2022-09``): everything that takes a
    period takes a quarter; only the publication asks whether the reader wrote one.
    """
    if isinstance(value, Period):
        return None
    match = _QUARTER.match(str(value).strip()) if value is not None else None
    return int(match.group(2)) if match else None


def validate_period(value: str | Period) -> str:
    """Return the canonical label of a valid period, or raise the Chinese ``ValueError``."""
    return parse_period(value).label


def is_half_monthly(value: str | Period) -> bool:
    """``True`` for ``"YYYY-MM-H1"`` / ``"YYYY-MM-H2"``."""
    return parse_period(value).is_half_monthly


def as_of_date(value: str | Period) -> date:
    """The period's closing date (H1 → 15th; H2 and monthly → month end)."""
    return parse_period(value).as_of


#: The publications and which district setting dates them (``params/district.yaml`` → ``report``).
ISSUE_KINDS = ("review", "monthly", "quarterly", "half_month")
DEFAULT_ISSUE_DAY, DEFAULT_HALF_MONTH_ISSUE_DAYS = 15, 3


def issue_date(value: str | Period, *, kind: str = "monthly", params_dir=None) -> date:
    """The date a publication of period ``value`` is issued (dated as issued: never before its data exist).

    The district's setting (``params/district.yaml`` → ``report``): the review, 月度通报 and 季度分析 are
    issued on the ``issue_day``-th (default 15) of the month after the data month (2022-10 → 2022-11-15,
    2022-Q3 → 2022-10-15, 2022-11 review → 2022-12-15, 2022-12 → 2023-01-15); the 半月晾晒通报
    ``half_month_issue_days`` (default 3) days after its half month closes (2022-11-H1 → 2022-11-18,
    2022-11-H2 → 2022-12-03). A day past the month's end is the month's last day.
    """
    if kind not in ISSUE_KINDS:
        raise ValueError(f"出版物类别错误：{kind!r}，应为 {'、'.join(ISSUE_KINDS)} 之一")
    period = parse_period(value)
    report = load_yaml("district.yaml", params_dir=params_dir).get("report") or {}
    if kind == "half_month" or period.is_half_monthly:
        days = int(report.get("half_month_issue_days", DEFAULT_HALF_MONTH_ISSUE_DAYS))
        if days < 0:
            raise ValueError(f"参数文件 district.yaml：report.half_month_issue_days 不能为负数，收到：{days}")
        return period.as_of + timedelta(days=days)
    day = int(report.get("issue_day", DEFAULT_ISSUE_DAY))
    if not 1 <= day <= 31:
        raise ValueError(f"参数文件 district.yaml：report.issue_day 应为 1—31 的日子，收到：{day}")
    year, month = (period.year + 1, 1) if period.month == 12 else (period.year, period.month + 1)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _to_date(value) -> date:
    if isinstance(value, Period):
        return value.as_of
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    text = str(value).strip()
    if _PATTERN.match(text):
        return parse_period(text).as_of
    try:
        return pd.Timestamp(text).date()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"日期格式错误：{value!r}，应为 YYYY-MM-DD 或期间标签") from exc


#: The 序时进度 conventions (``params/district.yaml`` → ``pace.basis``) and how a reader is told which.
PACE_BASES = {"months": "已过月数", "days": "已过天数"}
DEFAULT_PACE_BASIS = "months"


def pace_basis(*, params_dir=None) -> str:
    """The district's 序时进度 convention: ``months`` (default) or ``days`` (``params/district.yaml`` → ``pace``)."""
    basis = str((load_yaml("district.yaml", params_dir=params_dir).get("pace") or {}).get("basis")
                or DEFAULT_PACE_BASIS).strip()
    if basis not in PACE_BASES:
        raise ValueError(f"参数文件 district.yaml：pace.basis 只能是 months（按已过月数）或 days（按已过天数），"
                         f"收到：{basis}")
    return basis


def elapsed_fraction(as_of, *, basis: str | None = None) -> tuple[float, int]:
    """序时进度 as ``(elapsed, whole year)`` at ``as_of`` on ``basis`` (the district's when ``None``).

    ``months``: months closed by ``as_of`` — a month counts when its last day is reached, the current
    month counts ½ from its 15th (the half month's close): 2022-10-31 → (10, 12), 2022-11-15 →
    (10.5, 12), 2022-11-20 → (10.5, 12), 2022-11-14 → (10, 12). ``days``: (day of year, days in
    year), leap years included: 2022-11-30 → (334, 365), 2024-02-29 → (60, 366).
    """
    day = _to_date(as_of)
    basis = pace_basis() if basis is None else basis
    if basis == "days":
        return float(day.timetuple().tm_yday), 366 if calendar.isleap(day.year) else 365
    if basis != "months":
        raise ValueError(f"序时进度口径只能是 months 或 days，收到：{basis}")
    last = calendar.monthrange(day.year, day.month)[1]
    closed = day.month if day.day == last else (day.month - 0.5 if day.day >= 15 else day.month - 1)
    return float(closed), 12


def elapsed_share(as_of, *, basis: str | None = None) -> float:
    """序时进度 as a share of the year at ``as_of`` (:func:`elapsed_fraction`, the district's convention).

    ``as_of`` may be a date, a timestamp, an ISO date string or a period label (its as-of date).
    Months: 2022-10 → 10/12, 2022-11-H1 → 10.5/12, Dec 31 → 1.0. Days: 2022-11-30 → 334/365;
    2024-02-29 → 60/366.
    """
    elapsed, year = elapsed_fraction(as_of, basis=basis)
    return elapsed / year


def same_period_last_year(value: str | Period) -> str:
    """Same period one year earlier (``"2022-11-H1"`` → ``"2021-11-H1"``)."""
    p = parse_period(value)
    return Period(p.year - 1, p.month, p.half).label


def previous_period(value: str | Period) -> str:
    """The period just before, at the same frequency.

    Monthly: previous month. Half-monthly: H2 → H1 of the same month; H1 → H2 of the previous month.
    """
    p = parse_period(value)
    if p.half == 2:
        return Period(p.year, p.month, 1).label
    year, month = (p.year - 1, 12) if p.month == 1 else (p.year, p.month - 1)
    return Period(year, month, None if p.half is None else 2).label


def year_start(value: str | Period) -> date:
    """1 January of the period's year."""
    return date(parse_period(value).year, 1, 1)


def closed_month(value: str | Period) -> str:
    """The month whose monthly data are available at the period's as-of date.

    Monthly and H2 → the month itself; H1 → the previous month.
    """
    p = parse_period(value)
    if p.half == 1:
        year, month = (p.year - 1, 12) if p.month == 1 else (p.year, p.month - 1)
        return Period(year, month).label
    return Period(p.year, p.month).label


def previous_year_end(value: str | Period) -> str:
    """December of the year before the closed month: where opening balances (年初数) are read."""
    p = parse_period(closed_month(value))
    return Period(p.year - 1, 12).label


def months_elapsed(value: str | Period) -> int:
    """Months covered by the year-to-date figures of the closed month (Feb → 2: Jan–Feb combined)."""
    return parse_period(closed_month(value)).month
