"""``reportgen import`` in its three modes, callable without the command line.

- reportgen's CSV and JSON files (``import_paths`` without a dataset format);
- ACLED and UCDP GED exports (``import_paths`` with ``fmt="acled"`` or ``"ucdp"``),
  optionally keeping the valid rows and writing the rejected ones to a file;
- incident posts in the source format (``plan_posts``, then ``apply_plans``).

Each file is all or nothing; the results are yielded one file at a time, as
each is done, so that a caller can report progress.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ReportgenError
from ..profile import Profile
from ..store import Store
from . import DATASETS, ImportResult, import_files
from .events import EventImport, Rejected, import_event_files, rejects_csv

if TYPE_CHECKING:
    from ..parse.from_text import Plan


def check_options(paths: Iterable[Path], fmt: str | None = None, rejects: Path | None = None, from_text: bool = False,
                  day: str | None = None, yes: bool = False) -> None:
    """Refuse options that do not go together, before anything is read or written."""
    if from_text:
        if fmt or rejects:
            raise ReportgenError("--from-text reads posts: --format and --skip-invalid do not apply")
        return
    if yes or day:
        raise ReportgenError("--yes and --date apply only with --from-text")
    check_rejects(paths, fmt, rejects)


def check_rejects(paths: Iterable[Path], fmt: str | None, rejects: Path | None) -> None:
    """A rejects file only for a dataset format, and never one of the input files."""
    if rejects is None:
        return
    if fmt not in DATASETS:
        raise ReportgenError("--skip-invalid works with --format acled or ucdp")
    if any(Path(rejects).resolve() == Path(p).resolve() for p in paths):
        raise ReportgenError(f"--skip-invalid {rejects}: that is an input file; name another file for the rejected rows")


def import_paths(open_store: Callable[[], Store], profile: Profile, paths: Iterable[str | Path], fmt: str | None = None,
                 rejects: Path | None = None) -> Iterator[ImportResult | EventImport]:
    """Import each file, all or nothing, and yield its result once it is written.

    ``fmt``: ``csv`` or ``json`` (default: from each file's name), or a dataset (``acled``, ``ucdp``),
    whose re-imports revise changed tolls. ``rejects`` (datasets only): import the valid rows and write
    every rejected one so far, with where and why, to that file (atomically) after each input file.
    The database is opened (``open_store``) only once the first file's first records pass.
    """
    files = [Path(p) for p in paths]
    check_rejects(files, fmt, rejects)
    if fmt not in DATASETS:
        yield from import_files(open_store, profile, files, fmt)
        return
    rejected: list[Rejected] = []
    for result in import_event_files(open_store, profile, files, DATASETS[fmt], rejects is not None):
        rejected += result.rejected
        if rejects is not None:
            write_rejects(rejects, rejected)
        yield result


def write_rejects(path: Path, rejected: list[Rejected]) -> None:
    """The rejected rows as CSV (see ``events.rejects_csv``), written through a temporary file."""
    from ..export import write_atomic

    write_atomic(path, rejects_csv(rejected).encode("utf-8"))


def plan_posts(store: Store, profile: Profile, paths: Iterable[str | Path], day: str | None = None) -> list[Plan]:
    """What each post would do (a new incident, revisions, or nothing), all read before any is applied:
    a post that cannot be read stops them all. ``day``: the posts' date, ``YYYY-MM-DD``."""
    from ..parse import parse_file
    from ..parse.from_text import plan_from_text
    from ..periods import parse_date

    when: date | None = parse_date(day, "--date") if day else None
    return [plan_from_text(store, profile, parse_file(path, profile), when) for path in paths]


def apply_plans(store: Store, plans: Iterable[Plan], profile: Profile) -> Iterator[tuple[Plan, int]]:
    """Write each plan (one transaction each) and yield it with the number of records written."""
    from ..parse.from_text import apply_plan

    for plan in plans:
        yield plan, apply_plan(store, plan, profile)
