"""What the preview shows: the bulletins the data allows, their headline figures, and drafts.

Everything is read afresh for each request: the database (a new connection),
the profile (from its file) and the templates (a fresh Jinja environment per
render, so no template cache serves an old file). Some results are kept between
renders, each keyed by everything it is made from, because a template edit
changes none of them: the Summaries of a bulletin and of the index (by the
database's data version and the profile) and the SVG charts (by those
Summaries, the profile and the chart words).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from ..build.gather import gather
from ..build.jobs import Job, data_months, plan_jobs
from ..charts import bulletin_charts, category_label
from ..profile import Profile, load_profile, resolve_profile_path
from ..render import Bulletin, RenderSettings, chart_text, render_html, render_pdf, render_text, tallies
from ..store import Store, open_store, shown_location
from ..summary import Summary
from ..wording import template_dirs
from .status import BuiltStatus, StatusBoard, built_status

T = TypeVar("T")


class NotFound(Exception):
    """No bulletin at that address."""


@dataclass(frozen=True)
class PreviewSettings:
    """Where the preview reads from: the same settings as ``reportgen build``."""

    db: str
    profile: str
    templates: str | None = None
    output: str = "output"
    organisation: str | None = None

    def profile_path(self) -> Path:
        return resolve_profile_path(self.profile)


@dataclass(frozen=True)
class IndexEntry:
    """One bulletin in the index, with its period's headline figures."""

    job: Job
    summary: Summary
    status: BuiltStatus | None  # None: not checked yet

    @property
    def href(self) -> str:
        return page_href(self.job)

    def killed(self, category: str) -> int:
        group = self.summary.group(category)
        return group.killed if group else 0


@dataclass(frozen=True)
class YearGroup:
    year: int
    months: list[IndexEntry]
    whole: IndexEntry  # the year's own bulletin


@dataclass(frozen=True)
class Index:
    """The context of the index page."""

    profile: Profile
    organisation: str
    categories: list[tuple[str, str]]  # (key, column label)
    years: list[YearGroup]  # newest first
    data_version: int
    db: str
    output: str


def page_href(job: Job) -> str:
    """``/2023/06/``: the draft page of a bulletin, mirroring its folder in output/."""
    return "/" + "/".join(job.folder) + "/"


class Memo:
    """A small least-recently-used store of results by key, safe across request threads."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def data_key(store: Store, profile: Profile, job: Job) -> tuple:
    """What a job's Summaries are made from: its period, the data version and the profile."""
    return job.key, job.scope, store.data_version(), _digest(repr(profile))


class ChartCache:
    """SVG charts by a digest of their inputs (the summaries, the profile and the chart words)."""

    def __init__(self, size: int = 48):
        self._memo = Memo(size)

    def get(self, bulletin: Bulletin, settings: RenderSettings, env: jinja2.Environment) -> dict[str, str]:
        words = chart_text(env)
        key = _digest(json.dumps([bulletin.summary.to_dict(), bulletin.running.to_dict()], sort_keys=True, default=str),
                      repr(words), repr(settings.profile))
        return self._memo.get(key, lambda: bulletin_charts(bulletin.summary, bulletin.running, settings.profile, words))


class Site:
    """The preview's reads and renders; the server calls one method per route."""

    def __init__(self, settings: PreviewSettings):
        self.settings = settings
        self.charts = ChartCache()
        self.bulletins = Memo(24)  # gathered Bulletins, by data_key
        self.figures = Memo(512)  # the index's Summaries, by data_key
        self.statuses = StatusBoard()
        self._pdf_lock = threading.Lock()  # WeasyPrint's font configuration is shared

    @contextmanager
    def store(self) -> Iterator[Store]:
        store = open_store(self.settings.db, create=False)
        try:
            yield store
        finally:
            store.close()

    def profile(self) -> Profile:
        return load_profile(self.settings.profile)

    def render_settings(self, profile: Profile, draft: bool = True) -> RenderSettings:
        return RenderSettings(profile, templates=self.settings.templates, organisation=self.settings.organisation, draft=draft)

    def template_dirs(self) -> list[Path]:
        return template_dirs(self.settings.templates)

    def jobs(self, store: Store) -> list[Job]:
        """Every bulletin the data allows (none for an empty database)."""
        return plan_jobs(store) if data_months(store) else []

    # -- the index ---------------------------------------------------------------

    def index(self) -> Index:
        from ..aggregate import summarize

        profile = self.profile()
        settings = self.render_settings(profile, draft=False)
        with self.store() as store:
            jobs = self.jobs(store)
            inputs = self.statuses.inputs(store, settings)
            entries = [IndexEntry(job, self.figures.get(data_key(store, profile, job), partial(summarize, store, profile, job.scope)),
                                  self.statuses.known(job, inputs, self.settings.output)) for job in jobs]
            version = store.data_version()
        return Index(
            profile=profile,
            organisation=settings.author,
            categories=[(c.key, category_label(profile, c.key)) for c in profile.categories],
            years=_by_year(entries),
            data_version=version,
            db=shown_location(self.settings.db),
            output=self.settings.output,
        )

    def check_statuses(self) -> dict[str, BuiltStatus]:
        """Each bulletin's built copy compared with what a build would write now (cached)."""
        profile = self.profile()
        settings = self.render_settings(profile, draft=False)
        with self.store() as store:

            def check(job: Job) -> BuiltStatus:
                return built_status(store, profile, settings, job, self.settings.output)

            return self.statuses.check(self.jobs(store), self.statuses.inputs(store, settings), self.settings.output, check)

    # -- drafts ------------------------------------------------------------------

    def neighbours(self, year: int, part: str) -> tuple[Job, Job | None, Job | None]:
        """The bulletin at ``/year/part/`` and the ones before and after it in the index's order."""
        with self.store() as store:
            jobs = self.jobs(store)
        for i, job in enumerate(jobs):
            if job.folder == (f"{year:04d}", part):
                return job, jobs[i - 1] if i else None, jobs[i + 1] if i + 1 < len(jobs) else None
        raise NotFound(f"/{year}/{part}/")

    def _draft(self, year: int, part: str) -> tuple[Bulletin, RenderSettings]:
        profile = self.profile()
        with self.store() as store:
            job = next((j for j in self.jobs(store) if j.folder == (f"{year:04d}", part)), None)
            if job is None:
                raise NotFound(f"/{year}/{part}/")
            bulletin = self.bulletins.get(data_key(store, profile, job), lambda: gather(store, profile, job))
            return bulletin, self.render_settings(profile)

    def _html(self, bulletin: Bulletin, settings: RenderSettings) -> str:
        env = settings.environment()
        return render_html(bulletin, settings, self.charts.get(bulletin, settings, env), env, tallies(bulletin, env))

    def draft_html(self, year: int, part: str) -> str:
        """The bulletin as ``reportgen build`` would write it, marked as a draft."""
        return self._html(*self._draft(year, part))

    def draft_pdf(self, year: int, part: str) -> bytes:
        bulletin, settings = self._draft(year, part)
        html = self._html(bulletin, settings)
        with self._pdf_lock:
            return render_pdf(html, settings)

    def draft_text(self, year: int, part: str) -> str:
        bulletin, settings = self._draft(year, part)
        return render_text(bulletin, settings)


def _by_year(entries: list[IndexEntry]) -> list[YearGroup]:
    years: dict[int, list[IndexEntry]] = {}
    for entry in entries:
        years.setdefault(entry.job.scope.year, []).append(entry)
    groups = []
    for year in sorted(years, reverse=True):
        own = years[year]
        whole = next(e for e in own if e.job.kind == "year")
        groups.append(YearGroup(year, [e for e in own if e.job.kind == "month"], whole))
    return groups
