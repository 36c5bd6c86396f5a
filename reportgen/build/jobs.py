"""Which bulletins a build makes: a month (``2023/06``) or a year (``2023/year``), each a ``Job``.

``plan_jobs`` turns a selection (a month, a year and its months, or
everything) into jobs, refusing a period without incidents in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..errors import ReportgenError
from ..periods import Scope, month_scope, parse_period, require_incidents, year_scope
from ..store import Store


@dataclass(frozen=True)
class Job:
    """One bulletin to build: a month (``2023/06``) or a year (``2023/year``)."""

    kind: str  # "month" or "year"
    scope: Scope

    @property
    def folder(self) -> tuple[str, str]:
        """The folder below the output root, made from integers only."""
        second = f"{self.scope.start.month:02d}" if self.kind == "month" else "year"
        return (f"{self.scope.year:04d}", second)

    @property
    def key(self) -> str:
        return self.scope.key

    @property
    def label(self) -> str:
        return self.scope.label


def plan_jobs(store: Store, period: str | None = None, year: str | None = None,
              as_of: date | None = None) -> list[Job]:
    """The bulletins of one month (``period`` YYYY-MM), one year's bulletin (``period`` YYYY),
    a year and its months (``year``), or, with neither, every month and year with data."""
    if period and year:
        raise ReportgenError("give --period or --year, not both")
    months = data_months(store, as_of)
    if period:
        return [_period_job(store, parse_period(period, as_of))]
    if year:
        scope = parse_period(year, as_of)
        if scope.kind != "year":
            raise ReportgenError(f"--year {year[:20]!r}: expected YYYY")
        require_incidents(store, scope)
        return _year_jobs(scope.year, months, as_of)
    if not months:
        raise ReportgenError(f"{store.path}: no incidents recorded; import some first")
    return [job for y in sorted({y for y, _ in months}) for job in _year_jobs(y, months, as_of)]


def data_months(store: Store, as_of: date | None = None) -> list[tuple[int, int]]:
    """(year, month) of every month with incidents (up to ``as_of``)."""
    months = store.months_with_data()
    return [(m.year, m.month) for m in months if as_of is None or date(m.year, m.month, 1) <= as_of]


def first_data_month(store: Store, jobs: list[Job]) -> tuple[int, int]:
    """The first month with data, which decides whether a bulletin has a period before it to compare with
    (in an empty database, January of the first job's year)."""
    months = data_months(store)
    return months[0] if months else (jobs[0].scope.year, 1)


def _period_job(store: Store, scope: Scope) -> Job:
    if scope.kind == "quarter":
        raise ReportgenError(f"period {scope.key}: bulletins are monthly or yearly; give YYYY-MM or YYYY")
    require_incidents(store, scope)
    return Job(scope.kind, scope)


def _year_jobs(year: int, months: list[tuple[int, int]], as_of: date | None) -> list[Job]:
    own = [m for y, m in months if y == year]
    return [Job("month", month_scope(year, m, as_of)) for m in own] + [Job("year", year_scope(year, as_of))]
