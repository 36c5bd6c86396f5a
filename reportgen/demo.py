"""The demo: the bundled, illustrative 2023 sample data (see ``seeds/README.md``) in the project's database, built.

The demo fills a database without incidents (a new file, or an empty server database) and
notes that it did, with the data version its sample left. Run again over a database whose
data is still exactly that (no import or revision since), it keeps the data and builds again;
any other database with incidents is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ReportgenError
from .ingest import import_file
from .profile import Profile, load_profile
from .revise import apply_revision_file
from .store import Store, open_store

if TYPE_CHECKING:
    from .build.plan import BuildPlan
    from .build.run import Built
    from .render import RenderSettings

_PACKAGE = Path(__file__).parent
SEEDS = next((p for p in (_PACKAGE / "_seeds", _PACKAGE.parent / "seeds") if p.is_dir()), _PACKAGE.parent / "seeds")
SAMPLE_INCIDENTS = SEEDS / "sample-2023.csv"
SAMPLE_REVISIONS = SEEDS / "revisions-2023.csv"
SAMPLE_YEAR = 2023
SAMPLE_PERIOD = "2023-06"
DEMO_NOTE = "demo_sample"  # the database's data version just after the demo loaded the sample


def load_sample(store: Store, profile: Profile) -> tuple[int, int]:
    """Import the sample incidents and their revisions; return (incidents, revisions) added."""
    result = import_file(store, profile, SAMPLE_INCIDENTS)
    revisions = apply_revision_file(store, profile, SAMPLE_REVISIONS) if result.added else 0
    return result.added, revisions


@dataclass(frozen=True)
class DemoRun:
    """What the demo did: where its database is, what it imported (nothing when the database already
    held the sample), the bulletins it built and left as they were, and the year's tally."""

    database: str
    incidents: int
    revisions: int
    built: int
    tally: str
    kept: bool = False
    unchanged: int = 0


def run_demo(location: str, output: str | Path, settings: Callable[[Profile], RenderSettings],
             on_imported: Callable[[str, int, int], None] | None = None,
             on_plan: Callable[[BuildPlan], None] | None = None,
             on_built: Callable[[Built], None] | None = None,
             on_kept: Callable[[str], None] | None = None) -> DemoRun:
    """Import the sample into the database at ``location`` (one without incidents), or keep it there
    when the demo put it there and nothing changed since; build the sample year's bulletins into
    ``output`` (those that changed) and word the year's tally."""
    from .aggregate import summarize
    from .build import build
    from .build.jobs import plan_jobs
    from .periods import year_scope
    from .wording import tally_text

    store, kept = demo_store(location)
    try:
        profile = load_profile("syrian-desert")
        incidents = revisions = 0
        if kept:
            if on_kept:
                on_kept(store.path)
        else:
            incidents, revisions = load_sample(store, profile)
            store.note(DEMO_NOTE, str(store.data_version()))
            if on_imported:
                on_imported(store.path, incidents, revisions)
        chosen = settings(profile)
        result = build(store, profile, plan_jobs(store, year=str(SAMPLE_YEAR)), output, chosen,
                       on_plan=on_plan, on_built=on_built)
        tally = tally_text(summarize(store, profile, year_scope(SAMPLE_YEAR)), profile, chosen.templates)
        return DemoRun(store.path, incidents, revisions, len(result.built), tally, kept, len(result.plan.unchanged))
    finally:
        store.close()


def holds_demo_sample(store: Store) -> bool:
    """Whether the demo filled this database and nothing was written to it since."""
    return store.count_incidents() > 0 and store.noted(DEMO_NOTE) == str(store.data_version())


def demo_store(location: str) -> tuple[Store, bool]:
    """The demo's database at ``location`` and whether it holds the demo's sample already: a new one,
    one without incidents, or one the demo filled and nobody changed since; any other is refused, untouched."""
    store = open_store(location, create=True)
    kept = holds_demo_sample(store)
    if not kept and store.count_incidents():
        store.close()
        raise ReportgenError(f"{store.path}: already holds data other than the demo's sample;"
                             " give the demo another database with --db FILE|URL")
    return store, kept


def next_commands(location: str | None) -> list[str]:
    """The commands to try after the demo; ``location``: the demo's database when it is not the project's."""
    db = f"--db {location} " if location else ""
    return [f"reportgen {db}tally --period {SAMPLE_PERIOD}", f"reportgen {db}build", f"reportgen {db}preview"]
