"""Periods: strict parsing of ``2023-06``, ``2023-Q2``, ``2023`` and as-of dates.

Periods end up in SQL parameters and output paths, so they are parsed by
anchored patterns into integers before anything else sees them.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from .errors import ReportgenError

if TYPE_CHECKING:
    from .store import Store

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([1-4])")
_YEAR = re.compile(r"([0-9]{4})")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")

MIN_YEAR, MAX_YEAR = 1900, 2200


@dataclass(frozen=True)
class Scope:
    """The period a Summary covers, and the day its figures were taken (as of)."""

    kind: str  # "month", "quarter", "year" or "ytd" (the year up to as_of)
    key: str  # "2023-06", "2023-Q2", "2023"
    year: int
    start: date
    end: date
    as_of: date | None = None

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{calendar.month_name[self.start.month]} {self.year}"
        if self.kind == "quarter":
            return f"{self.key[-2:]} {self.year}"
        return str(self.year)

    @property
    def month(self) -> int | None:
        return self.start.month if self.kind == "month" else None

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(
            start=self.start.isoformat(),
            end=self.end.isoformat(),
            as_of=self.as_of.isoformat() if self.as_of else None,
            label=self.label,
        )
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Scope:
        return cls(
            kind=d["kind"],
            key=d["key"],
            year=int(d["year"]),
            start=date.fromisoformat(d["start"]),
            end=date.fromisoformat(d["end"]),
            as_of=date.fromisoformat(d["as_of"]) if d.get("as_of") else None,
        )


def _year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ReportgenError(f"year {year} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    return year


def month_scope(year: int, month: int, as_of: date | None = None) -> Scope:
    last = calendar.monthrange(year, month)[1]
    return Scope("month", f"{year:04d}-{month:02d}", year, date(year, month, 1), date(year, month, last), as_of)


def year_scope(year: int, as_of: date | None = None) -> Scope:
    return Scope("year", f"{year:04d}", year, date(year, 1, 1), date(year, 12, 31), as_of)


def ytd_scope(as_of: date) -> Scope:
    """The year of ``as_of`` from 1 January to ``as_of``, with revisions recorded by then."""
    return Scope("ytd", f"{as_of.year:04d}", as_of.year, date(as_of.year, 1, 1), as_of, as_of)


def parse_period(text: str, as_of: date | None = None) -> Scope:
    """``2023-06`` (month), ``2023-Q2`` (quarter) or ``2023`` (year)."""
    text = text.strip()
    if m := _MONTH.fullmatch(text):
        year, month = _year(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ReportgenError(f"period {text!r}: month must be 01-12")
        return month_scope(year, month, as_of)
    if m := _QUARTER.fullmatch(text):
        year, quarter = _year(m[1]), int(m[2])
        first = 3 * quarter - 2
        end = date(year, first + 2, calendar.monthrange(year, first + 2)[1])
        return Scope("quarter", f"{year:04d}-Q{quarter}", year, date(year, first, 1), end, as_of)
    if _YEAR.fullmatch(text):
        return year_scope(_year(text), as_of)
    raise ReportgenError(
        f"period {text[:40]!r}: expected YYYY-MM (month), YYYY-Qn (quarter) or YYYY (year)"
    )


def parse_date(text: str, what: str = "date") -> date:
    """A strict ISO calendar date (``2023-06-26``)."""
    m = _DATE.fullmatch(text.strip())
    if not m:
        raise ReportgenError(f"{what} {text[:40]!r}: expected YYYY-MM-DD")
    try:
        return date(_year(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ReportgenError(f"{what} {text!r}: no such day") from None


def day_after(day: date) -> date:
    return day + timedelta(days=1)


def require_incidents(store: Store, scope: Scope) -> None:
    """Refuse a scope without a single incident (dated in it and recorded by its as-of day): a tally,
    a bulletin, a summary export or a notice of it would be all zeros. Incidents without
    fatalities still count."""
    if any(row.incidents for row in store.incident_counts(scope.start, scope.end, scope.as_of)):
        return
    months = store.months_with_data()
    held = f"data: {month_span(months)}" if months else "it holds no incidents; import some first"
    by = f" by {scope.as_of.isoformat()}" if scope.as_of else ""
    what = f"year {scope.key}" if scope.kind in ("year", "ytd") else f"period {scope.key}"
    raise ReportgenError(f"{what}: in {store.path}, no incidents recorded{by} in {scope.label} ({held})")


def month_span(months: Sequence[tuple[int, int]]) -> str:
    """``2023-01 to 2023-06``: the first and last of (year, month) pairs in order."""
    return f"{months[0][0]:04d}-{months[0][1]:02d} to {months[-1][0]:04d}-{months[-1][1]:02d}"


def scope_of_options(year: str | None, period: str | None, as_of: str | None) -> Scope:
    """The scope that ``--year`` or ``--period`` (one of them) and ``--as-of`` name; a year with
    ``--as-of`` in it is the year to that day."""
    if bool(year) == bool(period):
        raise ReportgenError("give one of --year YYYY or --period YYYY-MM|YYYY-Qn|YYYY")
    day = parse_date(as_of, "--as-of") if as_of else None
    scope = parse_period(year or period or "", day)
    if year and scope.kind != "year":
        raise ReportgenError(f"--year {year!r}: expected YYYY")
    if scope.kind == "year" and day and day.year == scope.year:
        return ytd_scope(day)
    return scope
