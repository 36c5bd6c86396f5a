"""The build stage: which bulletins the data allows, their Summaries, and safe writes.

Three steps, each usable alone (the preview server and the benchmark call them):

- ``plan_jobs``: the bulletins a selection names (a month, a year and its
  months, or everything), each a ``Job`` with its kind, scope and folder;
- ``gather``: the Summaries one job shows (``render.render_bulletin`` then
  turns them into bytes without touching the database or the disk);
- ``write_outputs``: each file written to a temporary file in its folder and
  renamed into place, never through a symlink that leads outside ``output/``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from .errors import ReportgenError
from .periods import Scope, month_scope, parse_period, year_scope, ytd_scope
from .profile import Profile
from .store import Store


class UnsafeOutput(ReportgenError):
    """An output path that would write outside the output folder."""


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


# -- which bulletins --------------------------------------------------------------


def plan_jobs(store: Store, period: str | None = None, year: str | None = None,
              as_of: date | None = None) -> list[Job]:
    """The bulletins of one month (``period`` YYYY-MM), one year's bulletin (``period`` YYYY),
    a year and its months (``year``), or, with neither, every month and year with data."""
    months = data_months(store, as_of)
    if not months:
        raise ReportgenError(f"{store.path}: no incidents recorded; import some first")
    if period and year:
        raise ReportgenError("give --period or --year, not both")
    if period:
        return [_period_job(parse_period(period, as_of), months)]
    if year:
        scope = parse_period(year, as_of)
        if scope.kind != "year":
            raise ReportgenError(f"--year {year[:20]!r}: expected YYYY")
        return _year_jobs(scope.year, months, as_of)
    return [job for y in sorted({y for y, _ in months}) for job in _year_jobs(y, months, as_of)]


def data_months(store: Store, as_of: date | None = None) -> list[tuple[int, int]]:
    """(year, month) of every month with incidents (up to ``as_of``)."""
    months = store.months_with_data()
    if as_of is not None:
        months = [(y, m) for y, m in months if date(y, m, 1) <= as_of]
    return months


def _span(months: list[tuple[int, int]]) -> str:
    return f"{months[0][0]:04d}-{months[0][1]:02d} to {months[-1][0]:04d}-{months[-1][1]:02d}"


def _period_job(scope: Scope, months: list[tuple[int, int]]) -> Job:
    if scope.kind == "quarter":
        raise ReportgenError(f"period {scope.key}: bulletins are monthly or yearly; give YYYY-MM or YYYY")
    have = {(scope.year, scope.start.month)} if scope.kind == "month" else {(scope.year, m) for m in range(1, 13)}
    if not have & set(months):
        raise ReportgenError(f"period {scope.key}: no incidents recorded in {scope.label} (data: {_span(months)})")
    return Job(scope.kind, scope)


def _year_jobs(year: int, months: list[tuple[int, int]], as_of: date | None) -> list[Job]:
    own = [m for y, m in months if y == year]
    if not own:
        raise ReportgenError(f"year {year}: no incidents recorded (data: {_span(months)})")
    return [Job("month", month_scope(year, m, as_of)) for m in own] + [Job("year", year_scope(year, as_of))]


# -- the data of one bulletin ------------------------------------------------------


def gather(store: Store, profile: Profile, job: Job, first_month: tuple[int, int] | None = None):
    """The Summaries one bulletin shows (a ``render.Bulletin``).

    A month comes with the year from 1 January to the month's end (at the same
    as-of day as the month, so a later revision reaches every later month) and
    the previous month; a year with the year before. The previous period is
    left out when the data starts after it.
    """
    from .aggregate import summarize
    from .render import Bulletin

    scope = job.scope
    first = first_month or (data_months(store) or [(scope.year, 1)])[0]
    summary = summarize(store, profile, scope, detail=True)
    if job.kind == "month":
        running = running_summary(store, profile, replace(ytd_scope(scope.end), as_of=scope.as_of))
        before = _previous_month(scope)
    else:
        running = summary
        before = year_scope(scope.year - 1, scope.as_of)
    previous = summarize(store, profile, before) if before.end >= date(first[0], first[1], 1) else None
    return Bulletin(job.kind, summary, running, previous)


def running_summary(store: Store, profile: Profile, scope: Scope):
    """The Summary since 1 January with its daily series (for the cumulative chart), without the
    incident table and revisions that only the period's own Summary needs."""
    from .aggregate import period_frame, series, summarize

    running = summarize(store, profile, scope)
    running.daily = series(period_frame(store, scope, profile), scope, by_day=True)
    return running


def _previous_month(scope: Scope) -> Scope:
    year, month = (scope.year, scope.start.month - 1) if scope.start.month > 1 else (scope.year - 1, 12)
    return month_scope(year, month, scope.as_of)


# -- writing ---------------------------------------------------------------------


def output_folder(root: str | Path, parts: Iterable[str]) -> Path:
    """``root/parts...``, created; refused if any part is a symlink that leads outside ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    real_root = os.path.realpath(root)
    path = root
    for part in parts:
        if part in ("", ".", "..") or "/" in part or os.sep in part:
            raise UnsafeOutput(f"output folder part {part!r}: not a plain name")
        path = path / part
        _check_inside(path, real_root, root)
        path.mkdir(exist_ok=True)
    return path


def _check_inside(path: Path, real_root: str, root: Path) -> None:
    if not os.path.islink(path):
        return
    real = os.path.realpath(path)
    if os.path.commonpath([real, real_root]) != real_root:
        raise UnsafeOutput(f"{path}: a symlink that leads outside {root} ({real}); refusing to write through it")


def write_atomic(folder: Path, name: str, data: bytes, root: str | Path) -> Path:
    """Write ``folder/name`` through a temporary file in the same folder and ``os.replace``.

    A reader sees the old file or the new one, never half of one; a symlink
    at the target is replaced, not followed (and refused if it leads outside ``root``).
    """
    target = folder / name
    _check_inside(target, os.path.realpath(root), Path(root))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_outputs(root: str | Path, job: Job, files: dict[str, bytes]) -> list[Path]:
    """Write one bulletin's files into its folder under ``root``; return their paths."""
    folder = output_folder(root, job.folder)
    return [write_atomic(folder, name, data, root) for name, data in files.items()]


def check_output(root: str | Path, job: Job, names: Iterable[str]) -> None:
    """Refuse, before any rendering, a bulletin whose folder or files lead outside ``root``."""
    folder = output_folder(root, job.folder)
    for name in names:
        _check_inside(folder / name, os.path.realpath(root), Path(root))


# -- the whole build -----------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    job: Job
    paths: list[Path]


def build_bulletins(store: Store, profile: Profile, jobs: list[Job], output: str | Path, settings,
                    on_built: Callable[[Built], None] | None = None, executor=None) -> list[Built]:
    """Gather, render and write each job (``settings``: a ``render.RenderSettings``).

    Without ``executor`` each is rendered here in turn; with one (``executors.ProcessPool`` or
    ``DaskCluster``) they are rendered elsewhere at once, and each is written here as it comes back.
    """
    from .render import OUTPUT_NAMES

    first = (data_months(store) or [None])[0]
    for job in jobs:
        check_output(output, job, OUTPUT_NAMES)
    rendered = executor.render(jobs, settings, first) if executor else _rendered_here(store, profile, jobs, settings, first)
    built = []
    for job, files in rendered:
        result = Built(job, write_outputs(output, job, files))
        built.append(result)
        if on_built:
            on_built(result)
    return built


def _rendered_here(store: Store, profile: Profile, jobs: list[Job], settings, first) -> Iterator[tuple[Job, dict[str, bytes]]]:
    from .render import render_bulletin

    env = settings.environment()  # one per build: templates read afresh by the next build
    for job in jobs:
        yield job, render_bulletin(gather(store, profile, job, first), settings, env).files()
