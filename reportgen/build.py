"""The build stage: which bulletins the data allows, their Summaries, and safe writes.

Three steps, each usable alone (the preview server and the benchmark call them):

- ``plan_jobs``: the bulletins a selection names (a month, a year and its
  months, or everything), each a ``Job`` with its kind, scope and folder;
- ``gather``: the Summaries one job shows (``render.render_bulletin`` then
  turns them into bytes without touching the database or the disk);
- ``write_atomic``: each file written to a temporary file in its folder and
  renamed into place, never through a symlink that leads outside ``output/``;
  the manifest saved the same way and made durable (``save_manifest``), one
  build at a time per output folder (``output_lock``).

``build_bulletins`` runs a whole build; ``incremental`` decides which bulletins
it builds again and why.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from .errors import ReportgenError
from .manifest import MANIFEST_NAME, Manifest
from .periods import Scope, month_scope, parse_period, require_incidents, year_scope, ytd_scope
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


def _period_job(store: Store, scope: Scope) -> Job:
    if scope.kind == "quarter":
        raise ReportgenError(f"period {scope.key}: bulletins are monthly or yearly; give YYYY-MM or YYYY")
    require_incidents(store, scope)
    return Job(scope.kind, scope)


def _year_jobs(year: int, months: list[tuple[int, int]], as_of: date | None) -> list[Job]:
    own = [m for y, m in months if y == year]
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


def running_summary(store: Store, profile: Profile, scope: Scope):
    """The Summary since 1 January with its daily series (for the cumulative chart), without the
    incident table and revisions that only the period's own Summary needs."""
    from dataclasses import replace

    from .aggregate import period_frame, ranges_recorded, series, summarize

    running = summarize(store, profile, scope)
    return replace(running, daily=series(period_frame(store, scope, profile), scope, by_day=True, ranged=ranges_recorded(profile)))


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


def check_root_file(root: str | Path, name: str) -> None:
    """Refuse a file directly under ``root`` (the manifest) that is a symlink leading outside ``root``."""
    _check_inside(Path(root, name), os.path.realpath(root), Path(root))


def save_manifest(root: str | Path, manifest: Manifest) -> None:
    """Write the manifest through a temporary file, then make the rename itself durable."""
    write_atomic(Path(root), MANIFEST_NAME, manifest.to_json().encode("utf-8"), root)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def output_lock(root: str | Path) -> Iterator[None]:
    """Hold the output folder for one build at a time (an advisory lock on the folder itself)."""
    Path(root).mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ReportgenError(f"{root}: another build is writing there; run this one when it has finished") from None
    try:
        yield
    finally:
        os.close(fd)


def remove_leftovers(folder: Path, names: Iterable[str]) -> None:
    """Temporary files of ``names`` that a stopped build left in ``folder`` (``.NAME.XXXXXXXX.tmp``)."""
    pattern = re.compile("|".join(rf"\.{re.escape(n)}\.[A-Za-z0-9_]+\.tmp" for n in names))
    try:
        found = os.listdir(folder)
    except OSError:
        return
    for name in found:
        path = folder / name
        if pattern.fullmatch(name) and not path.is_dir():
            path.unlink(missing_ok=True)


# -- the whole build (``incremental``: what changed since the last build, then building it) -----


def build_bulletins(store: Store, profile: Profile, jobs: list[Job], output: str | Path, settings,
                    on_built: Callable | None = None, executor=None, force: bool = False) -> list:
    """Build those of ``jobs`` that changed since the manifest's record (all with ``force``);
    return the ``incremental.Built`` of each bulletin built."""
    from .incremental import plan_build, run_build

    plan = plan_build(store, profile, jobs, output, settings, force)
    return run_build(store, profile, plan, output, settings, on_built, executor)

