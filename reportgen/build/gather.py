"""The data of one bulletin: the Summaries it shows, gathered from the database (a ``render.Bulletin``).

``render.render_bulletin`` then turns them into bytes without touching the
database or the disk.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from ..periods import Scope, month_scope, year_scope, ytd_scope
from ..profile import Profile
from ..store import Store
from .jobs import Job, first_data_month

if TYPE_CHECKING:
    from ..render import Bulletin
    from ..summary import Summary


def gather(store: Store, profile: Profile, job: Job, first_month: tuple[int, int] | None = None) -> Bulletin:
    """The Summaries one bulletin shows.

    A month comes with the year from 1 January to the month's end (at the same
    as-of day as the month, so a later revision reaches every later month) and
    the previous month; a year with the year before. The previous period is
    left out when the data starts after it.
    """
    from ..aggregate import summarize
    from ..render import Bulletin

    scope = job.scope
    first = first_month or first_data_month(store, [job])
    summary = summarize(store, profile, scope, detail=True)
    running = running_summary(store, profile, running_scope(job)) if job.kind == "month" else summary
    before = previous_scope(job, first)
    return Bulletin(job.kind, summary, running, summarize(store, profile, before) if before else None)


def running_scope(job: Job) -> Scope:
    """A month's year to date: 1 January to the month's end, at the month's as-of day."""
    return replace(ytd_scope(job.scope.end), as_of=job.scope.as_of)


def previous_scope(job: Job, first_month: tuple[int, int]) -> Scope | None:
    """The period a bulletin compares with (the month or year before); None when the data starts after it."""
    scope = job.scope
    before = _previous_month(scope) if job.kind == "month" else year_scope(scope.year - 1, scope.as_of)
    return before if before.end >= date(first_month[0], first_month[1], 1) else None


def running_summary(store: Store, profile: Profile, scope: Scope) -> Summary:
    """The Summary since 1 January with its daily series (for the cumulative chart), without the
    incident table and revisions that only the period's own Summary needs."""
    from ..aggregate import period_frame, ranges_recorded, series, summarize

    running = summarize(store, profile, scope)
    return replace(running, daily=series(period_frame(store, scope, profile), scope, by_day=True, ranged=ranges_recorded(profile)))


def _previous_month(scope: Scope) -> Scope:
    year, month = (scope.year, scope.start.month - 1) if scope.start.month > 1 else (scope.year - 1, 12)
    return month_scope(year, month, scope.as_of)
