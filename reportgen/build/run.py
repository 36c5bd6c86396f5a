"""Running a plan: each bulletin it builds gathered, rendered (here, or with an ``executors``
executor) and written, the version it replaces kept (``versions``), every file renamed into
place, and only then its manifest entry saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..files import check_no_symlinks, output_folder, output_lock, remove_leftovers, write_atomic
from ..profile import Profile
from ..store import Store
from .fingerprints import data_digest
from .gather import gather
from .jobs import Job
from .manifest import MANIFEST_NAME, BulletinRecord, check_manifest_path, save_manifest, written_files
from .outputs import changed_files, check_output
from .plan import BuildPlan, Step
from .versions import VERSIONS, Published, figures, keep, published, revised_notes, revision_digest
from .versions import remove_leftovers as remove_kept_leftovers

if TYPE_CHECKING:
    import jinja2

    from ..render import Bulletin, RenderSettings

Files = dict[str, bytes]


class Executor(Protocol):
    """Where bulletins are rendered at once (``executors.ProcessPool``, ``executors.DaskCluster``)."""

    def render(self, jobs: list[Job], settings: RenderSettings, first_month: tuple[int, int] | None,
               bulletins: dict[Job, Bulletin] | None = None) -> Iterator[tuple[Job, Files]]: ...


@dataclass(frozen=True)
class Built:
    """A bulletin built, and the files written (those whose content changed)."""

    job: Job
    paths: list[Path]


@dataclass
class Prepared:
    """A bulletin ready to render: gathered, with its "Revised" notes, and the version it replaces."""

    step: Step
    bulletin: Bulletin
    data: str  # the fingerprint of its Summaries
    folder: Path
    replaces: Published | None


def run_build(store: Store, profile: Profile, plan: BuildPlan, output: str | Path, settings: RenderSettings,
              on_built: Callable[[Built], None] | None = None, executor: Executor | None = None,
              env: jinja2.Environment | None = None) -> list[Built]:
    """Gather, render and write each bulletin the plan builds; return those built.

    Without ``executor`` each is rendered here in turn, with the build's ``env``;
    with one they are rendered elsewhere at once. Either way each is written
    here as it comes back, and ``on_built`` told.
    """
    built: list[Built] = []
    with output_lock(output):
        check_outputs(plan, output)
        remove_leftovers(Path(output), [MANIFEST_NAME])
        record_unchanged(plan, output)
        tasks = (prepare(store, profile, plan, step, output, settings) for step in plan.todo)
        rendered = (render_elsewhere(tasks, settings, plan, executor) if executor
                    else render_here(tasks, settings, env or settings.environment()))
        for task, files in rendered:
            built.append(write_bulletin(plan, task, files, output, settings))
            if on_built:
                on_built(built[-1])
    return built


def check_outputs(plan: BuildPlan, output: str | Path) -> None:
    """Refuse, before anything is rendered, any symlink under ``output`` (the manifest, a bulletin's folder or file)."""
    from ..render import OUTPUT_NAMES

    check_manifest_path(output)
    check_no_symlinks(output)
    for step in plan.todo:
        check_output(output, step.job, [*OUTPUT_NAMES, VERSIONS])


def record_unchanged(plan: BuildPlan, output: str | Path) -> None:
    """Up-to-date bulletins whose rows changed but whose Summaries did not: record the new rows' digest."""
    refreshed = False
    for step in plan.unchanged:
        entry = plan.manifest.entry(step.job.folder)
        if entry is not None and entry.sources != step.sources.digest:
            entry.sources = step.sources.digest
            refreshed = True
    if refreshed:
        save_manifest(output, plan.manifest)


def prepare(store: Store, profile: Profile, plan: BuildPlan, step: Step, output: str | Path,
            settings: RenderSettings) -> Prepared:
    """One bulletin gathered (unless planning did), with its "Revised" notes; what a stopped build left removed."""
    from ..render import OUTPUT_NAMES

    folder = Path(output, *step.job.folder)
    remove_leftovers(folder, OUTPUT_NAMES)
    remove_kept_leftovers(folder / VERSIONS)
    bulletin = step.bulletin or gather(store, profile, step.job, plan.first_month)
    entry = plan.manifest.entry(step.job.folder)
    replaces = published(folder, OUTPUT_NAMES, entry.files if entry else None, entry.generated if entry else "")
    notes = revised_notes(entry, replaces, bulletin, step.sources, settings.generated.isoformat())
    return Prepared(step, replace(bulletin, revised=notes), step.data or data_digest(bulletin), folder, replaces)


# -- rendering ------------------------------------------------------------------------------


def render_files(bulletin: Bulletin, settings: RenderSettings, env: jinja2.Environment | None = None) -> Files:
    """One bulletin's files, name -> bytes: a pure function of a ``render.Bulletin`` and ``render.RenderSettings``."""
    from ..render import render_bulletin

    return render_bulletin(bulletin, settings, env).files()


def render_here(tasks: Iterable[Prepared], settings: RenderSettings,
                env: jinja2.Environment) -> Iterator[tuple[Prepared, Files]]:
    """Each task with its files, rendered in this process one after another with the build's ``env``."""
    for task in tasks:
        yield task, render_files(task.bulletin, settings, env)


def render_elsewhere(tasks: Iterable[Prepared], settings: RenderSettings, plan: BuildPlan,
                     executor: Executor) -> Iterator[tuple[Prepared, Files]]:
    """Each task with its files, rendered by ``executor`` (all handed out at once), in the order they are done."""
    ready = {task.step.job: task for task in tasks}
    bulletins = {job: task.bulletin for job, task in ready.items()}
    for job, files in executor.render(list(ready), settings, plan.first_month, bulletins):
        yield ready[job], files


# -- writing --------------------------------------------------------------------------------


def write_bulletin(plan: BuildPlan, task: Prepared, files: Files, output: str | Path,
                   settings: RenderSettings) -> Built:
    """Keep the version being replaced, write the files that differ, then record the bulletin."""
    job, folder = task.step.job, task.folder
    differ = changed_files(folder, files)
    if differ and task.replaces is not None:
        keep(task.replaces, folder, files, output_folder(output, [*job.folder, VERSIONS]))
    paths = [write_atomic(folder, name, data, output) for name, data in differ.items()]
    plan.manifest.record(job.folder, manifest_entry(plan, task, files, bool(differ), settings))
    save_manifest(output, plan.manifest)
    return Built(job, paths)


def manifest_entry(plan: BuildPlan, task: Prepared, files: Files, written: bool, settings: RenderSettings) -> BulletinRecord:
    """What the manifest records of a bulletin just built (its files as they are now on disk)."""
    job = task.step.job
    hashes, stats = written_files(task.folder, files)
    earlier = plan.manifest.entry(job.folder)
    return BulletinRecord(
        sources=task.step.sources.digest, data=task.data, inputs=plan.inputs[job.kind],
        files=hashes, stats=stats, generated=earlier.generated if earlier and not written else settings.generated.isoformat(),
        running=figures(task.bulletin.running) if job.kind == "month" else [],
        revisions=[revision_digest(r) for r in task.step.sources.revisions],
        notes=[note.to_dict() for note in task.bulletin.revised],
    )
