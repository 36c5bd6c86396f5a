"""The demo: the bundled, illustrative 2023 sample data (see ``seeds/README.md``) in a fresh database, built."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ReportgenError
from .ingest import import_file
from .profile import Profile, load_profile
from .revise import apply_revision_file
from .store import Store, is_server_url, open_store

if TYPE_CHECKING:
    from .build.plan import BuildPlan
    from .build.run import Built
    from .render import RenderSettings

_PACKAGE = Path(__file__).parent
SEEDS = next((p for p in (_PACKAGE / "_seeds", _PACKAGE.parent / "seeds") if p.is_dir()), _PACKAGE.parent / "seeds")
SAMPLE_INCIDENTS = SEEDS / "sample-2023.csv"
SAMPLE_REVISIONS = SEEDS / "revisions-2023.csv"
SAMPLE_YEAR = 2023


def load_sample(store: Store, profile: Profile) -> tuple[int, int]:
    """Import the sample incidents and their revisions; return (incidents, revisions) added."""
    result = import_file(store, profile, SAMPLE_INCIDENTS)
    revisions = apply_revision_file(store, profile, SAMPLE_REVISIONS) if result.added else 0
    return result.added, revisions


@dataclass(frozen=True)
class DemoRun:
    """What the demo did: where its database is, what it imported and built, and the year's tally."""

    database: str
    incidents: int
    revisions: int
    built: int
    tally: str


def run_demo(location: str | None, output: str | Path, settings: Callable[[Profile], RenderSettings],
             on_imported: Callable[[str, int, int], None] | None = None,
             on_plan: Callable[[BuildPlan], None] | None = None,
             on_built: Callable[[Built], None] | None = None) -> DemoRun:
    """Import the sample into a fresh database (``location``, else one in a new temporary folder),
    build the sample year's bulletins into ``output`` and word the year's tally."""
    from .aggregate import summarize
    from .build import build
    from .build.jobs import plan_jobs
    from .periods import year_scope
    from .wording import tally_text

    store = _fresh_store(location or str(Path(tempfile.mkdtemp(prefix="reportgen-demo-")) / "reportgen.db"))
    try:
        profile = load_profile("syrian-desert")
        incidents, revisions = load_sample(store, profile)
        if on_imported:
            on_imported(store.path, incidents, revisions)
        chosen = settings(profile)
        built = build(store, profile, plan_jobs(store, year=str(SAMPLE_YEAR)), output, chosen,
                      on_plan=on_plan, on_built=on_built).built
        tally = tally_text(summarize(store, profile, year_scope(SAMPLE_YEAR)), profile, chosen.templates)
        return DemoRun(store.path, incidents, revisions, len(built), tally)
    finally:
        store.close()


def _fresh_store(location: str) -> Store:
    """A new database at ``location``; one that exists (a file) or holds data (a server's) is refused."""
    if not is_server_url(location) and Path(location).exists():
        raise ReportgenError(f"{location}: already exists; the demo makes a fresh database")
    store = open_store(location)
    if store.count_incidents():  # a server's database is made by its administrator: fresh means without data
        store.close()
        raise ReportgenError(f"{store.path}: already holds data; the demo makes a fresh database")
    return store
