"""Incremental builds: which bulletins changed since the last build, and building only those.

A build compares each bulletin with its entry in the manifest (``manifest``):

1. ``bulletin_sources``: one reading of the database's rows gives, per bulletin,
   a digest of the rows its Summaries are computed from. Where it equals the
   recorded one, the Summaries are too, and nothing is aggregated;
2. where it differs, the bulletin is gathered and its Summaries' fingerprint
   compared with the recorded one ("data changed", or nothing after all);
3. the templates it reaches, the profile, the settings and reportgen's version
   are compared too, and its files with the digests recorded when written.

``plan_build`` decides and writes nothing (``build_plan_lines`` says what and why);
``run_build`` gathers, renders (here, or with an ``executors`` executor) and
writes each bulletin to build: the version it replaces kept (``versions``),
every file renamed into place, and only then its manifest entry saved.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, is_dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from .build import (
    Job,
    check_output,
    check_root_file,
    data_months,
    gather,
    output_folder,
    output_lock,
    previous_scope,
    remove_leftovers,
    save_manifest,
    write_atomic,
)
from .manifest import (
    CHANGED,
    DATA,
    FORCED,
    MANIFEST_NAME,
    MISSING,
    NEW,
    PROFILE,
    SETTINGS,
    SOURCES,
    TEMPLATES,
    VERSION,
    BulletinRecord,
    Manifest,
    digest,
    inputs_fingerprint,
    load_manifest,
    templates_digest,
    written_files,
)
from .periods import MAX_YEAR, MIN_YEAR
from .profile import Profile
from .store import Store
from .summary import RevisionRow, Summary
from .versions import VERSIONS, Note, Published, changes, figures, keep, notes_of, published, revision_digest
from .versions import remove_leftovers as remove_kept_leftovers

TALLY_TEMPLATE = "text/tally.txt.j2"  # what ``wording.tally_text`` renders for both tallies of a bulletin


# -- what each bulletin reads, as fingerprints ---------------------------------------------


@dataclass(frozen=True)
class Sources:
    """What a bulletin's Summaries are computed from.

    ``digest``: of the casualty rows of every month its Summaries count and of
    the revisions recorded in its period (what ``gather`` reads, at its as-of
    day): equal digests mean equal Summaries, so a build aggregates only the
    bulletins whose digest changed. ``revisions``: those (recorded by its as-of
    day) of the incidents its figures count, to say why figures changed.
    """

    digest: str
    revisions: tuple[RevisionRow, ...]


def bulletin_sources(store: Store, jobs: list[Job], first_month: tuple[int, int]) -> dict[Job, Sources]:
    """Each job's ``Sources``, from one reading of the rows of the years concerned (per as-of day)."""
    found = {}
    for as_of in {job.scope.as_of for job in jobs}:
        group = [job for job in jobs if job.scope.as_of == as_of]
        years = [job.scope.year for job in group]
        rows = store.casualty_rows(date(min(years) - 1, 1, 1), date(max(years), 12, 31), as_of)
        recorded_rows = store.revisions_recorded(date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31), as_of)
        revisions = [RevisionRow.of(r) for r in recorded_rows]
        counted = _month_digests(rows, lambda row: row.date)
        recorded = _month_digests(recorded_rows, lambda r: r.recorded_at)
        for job in group:
            found[job] = _sources(job, first_month, counted, recorded, revisions)
    return found


def _month_digests(items: Iterable, day: Callable) -> dict[str, str]:
    hashes: dict[str, Any] = {}
    for item in items:
        month = str(day(item))[:7]
        h = hashes.get(month) or hashes.setdefault(month, hashlib.sha256())
        h.update(json.dumps(list(item), default=str).encode("utf-8"))
    return {month: h.hexdigest() for month, h in hashes.items()}


def _sources(job: Job, first_month: tuple[int, int], counted: dict[str, str], recorded: dict[str, str],
             revisions: list[RevisionRow]) -> Sources:
    scope = job.scope
    before = previous_scope(job, first_month)
    months = _months(date(scope.year, 1, 1), scope.end) + (_months(before.start, before.end) if before else [])
    key = [job.kind, scope.to_dict(), before.to_dict() if before else None,
           [counted.get(m, "") for m in months], [recorded.get(m, "") for m in _months(scope.start, scope.end)]]
    first, last = f"{scope.year:04d}-01-01", scope.end.isoformat()
    return Sources(digest(key), tuple(r for r in revisions if first <= r.date[:10] <= last))


def _months(start: date, end: date) -> list[str]:
    return [f"{y:04d}-{m:02d}" for y in range(start.year, end.year + 1) for m in range(1, 13)
            if (start.year, start.month) <= (y, m) <= (end.year, end.month)]


def data_digest(bulletin) -> str:
    """The fingerprint of a bulletin's Summaries, without the database's data version (raised by any write)."""
    parts = [bulletin.kind, bulletin.summary, bulletin.running, bulletin.previous]
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """A Summary's parts for JSON, field by field (``dataclasses.asdict`` would copy them first)."""
    if isinstance(value, Summary):
        return {k: v for k, v in vars(value).items() if k != "data_version"}
    if is_dataclass(value):
        return vars(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a Summary")


def template_inputs(settings, kinds: Iterable[str]) -> dict[str, dict[str, str]]:
    """Per kind of bulletin, the fingerprints of its templates, the profile, the settings and reportgen's version."""
    from .render import CHART_TEXT_TEMPLATE, TEMPLATES, TEXT_TEMPLATE

    env, read = settings.environment(), {}
    found = {}
    for kind in kinds:
        entry_points = (TEMPLATES[kind], TEXT_TEMPLATE, CHART_TEXT_TEMPLATE, f"default:{CHART_TEXT_TEMPLATE}", TALLY_TEMPLATE)
        templates = templates_digest(env, entry_points, settings.template_dirs(), read)
        found[kind] = inputs_fingerprint(templates, settings.profile.path, settings.author)
    return found


# -- deciding what to build --------------------------------------------------------------


@dataclass
class Step:
    """One bulletin of a build and why it is built (``reasons`` empty: it is up to date)."""

    job: Job
    sources: Sources
    reasons: list[str]
    missing: list[str] = field(default_factory=list)  # its files deleted since they were written
    changed: list[str] = field(default_factory=list)  # its files changed since they were written
    bulletin: Any = None  # its Bulletin, when planning gathered it
    data: str = ""  # and the fingerprint of its Summaries

    @property
    def folder(self) -> str:
        return "/".join(self.job.folder)


@dataclass
class BuildPlan:
    steps: list[Step]
    manifest: Manifest
    inputs: dict[str, dict[str, str]]  # per kind (``template_inputs``)
    first_month: tuple[int, int]
    strays: list[str] = field(default_factory=list)  # built folders of bulletins the data no longer has

    @property
    def todo(self) -> list[Step]:
        return [s for s in self.steps if s.reasons]

    @property
    def unchanged(self) -> list[Step]:
        return [s for s in self.steps if not s.reasons]


def plan_build(store: Store, profile: Profile, jobs: list[Job], output: str | Path, settings, force: bool = False,
               strays: Callable[[tuple[str, str]], bool] | None = None) -> BuildPlan:
    """Which of ``jobs`` must be built, and why, against the manifest under ``output``.

    Nothing is written. Only bulletins whose rows changed are aggregated (to
    compare their Summaries with the recorded ones); the rendering libraries
    are not imported. ``strays``: which folders to report when they hold a
    bulletin that is not among ``jobs`` (the data no longer has it).
    """
    manifest = load_manifest(output)
    first = (data_months(store) or [(jobs[0].scope.year, 1)])[0]
    inputs = template_inputs(settings, sorted({job.kind for job in jobs}))
    sources = bulletin_sources(store, jobs, first)
    steps = [plan_step(store, profile, manifest.entry(job.folder), job, sources[job], inputs[job.kind], output, first, force)
             for job in jobs]
    found = stray_folders(output, manifest, {job.folder for job in jobs}, strays) if strays else []
    return BuildPlan(steps, manifest, inputs, first, found)


def plan_step(store: Store, profile: Profile, entry: BulletinRecord | None, job: Job, sources: Sources, inputs: dict[str, str],
              output: str | Path, first_month: tuple[int, int], force: bool = False) -> Step:
    """Whether ``job`` must be built, against its manifest ``entry``, and why."""
    if entry is None:
        return Step(job, sources, [NEW])
    reasons = [SOURCES] if entry.sources != sources.digest else []
    reasons += entry.input_reasons(inputs)
    missing, changed = entry.file_reasons(Path(output, *job.folder))
    reasons += [MISSING] * bool(missing) + [CHANGED] * bool(changed)
    step = Step(job, sources, reasons, missing, changed)
    if SOURCES in reasons:  # the rows changed: do the Summaries?
        step.bulletin = gather(store, profile, job, first_month)
        step.data = data_digest(step.bulletin)
        data = DATA if step.data != entry.data else None
        step.reasons = [r for r in (data if r == SOURCES else r for r in reasons) if r]
    if force and not step.reasons:
        step.reasons = [FORCED]
    return step


def strays_among(jobs: list[Job], everything: bool) -> Callable[[tuple[str, str]], bool]:
    """Which folders a build of ``jobs`` reports as strays: any (``everything``), or those of the jobs' years."""
    years = {job.folder[0] for job in jobs}
    return lambda folder: everything or folder[0] in years


_FOLDER = re.compile(r"[0-9]{4}/(?:0[1-9]|1[0-2]|year)")


def stray_folders(output: str | Path, manifest: Manifest, planned: set[tuple[str, str]],
                  within: Callable[[tuple[str, str]], bool]) -> list[str]:
    """Bulletin folders (recorded, or on disk) that ``planned`` does not include, among those ``within`` covers."""
    root = Path(output)
    on_disk = {f"{y.name}/{p.name}" for y in root.glob("[0-9]" * 4) if y.is_dir() for p in y.iterdir() if p.is_dir()}
    names = sorted(n for n in on_disk | set(manifest.entries) if _FOLDER.fullmatch(n))
    return [n for n in names if tuple(n.split("/")) not in planned and within(tuple(n.split("/")))]


REASON_WORDS = {NEW: "new", DATA: "data changed", TEMPLATES: "templates changed", PROFILE: "profile changed",
                SETTINGS: "settings changed", VERSION: "reportgen version changed", FORCED: "forced"}


def build_plan_lines(plan: BuildPlan) -> list[str]:
    """What a build does and why, one line per bulletin built, then the strays and the count of the rest."""
    from .wording import noun

    lines = [f"{plan.manifest.problem}: building everything again"] if plan.manifest.problem else []
    for step in plan.todo:
        words = [REASON_WORDS[r] for r in step.reasons if r in REASON_WORDS]
        words += [f"{noun(len(step.missing), 'file', 'files')} missing ({', '.join(step.missing)})"] if step.missing else []
        changed = noun(len(step.changed), "file changed since it was", "files changed since they were")
        words += [f"{changed} written ({', '.join(step.changed)})"] if step.changed else []
        lines.append(f"{step.folder}: {', '.join(words)}")
    lines += [f"{folder}: no such bulletin in the data any more; its files are left in place" for folder in plan.strays]
    lines.append(f"{len(plan.unchanged)} unchanged")
    return lines


# -- building -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """A bulletin built, and the files written (those whose content changed)."""

    job: Job
    paths: list[Path]


@dataclass
class Prepared:
    """A bulletin ready to render: gathered, with its "Revised" notes, and the version it replaces."""

    step: Step
    bulletin: Any
    data: str  # the fingerprint of its Summaries
    folder: Path
    replaces: Published | None


def run_build(store: Store, profile: Profile, plan: BuildPlan, output: str | Path, settings,
              on_built: Callable[[Built], None] | None = None, executor=None) -> list[Built]:
    """Gather, render and write each bulletin the plan builds (``settings``: a ``render.RenderSettings``).

    Without ``executor`` each is rendered here in turn; with one (``executors.ProcessPool`` or
    ``DaskCluster``) they are rendered elsewhere at once. Either way each is written here as it
    comes back: the earlier version kept, every file renamed into place, and only then its
    manifest entry recorded and the manifest saved.
    """
    from .render import OUTPUT_NAMES

    built: list[Built] = []
    with output_lock(output):
        check_root_file(output, MANIFEST_NAME)
        for step in plan.todo:
            check_output(output, step.job, [*OUTPUT_NAMES, VERSIONS])
        remove_leftovers(Path(output), [MANIFEST_NAME])
        _record_unchanged(plan, output)
        tasks = (_prepare(store, profile, plan, step, output, settings) for step in plan.todo)
        if executor:
            ready = {task.step.job: task for task in tasks}
            bulletins = {job: task.bulletin for job, task in ready.items()}
            rendered = ((ready[job], files) for job, files in executor.render(list(ready), settings, plan.first_month, bulletins))
        else:
            rendered = _rendered_here(tasks, settings)
        for task, files in rendered:
            built.append(_write(plan, task, files, output, settings))
            if on_built:
                on_built(built[-1])
    return built


def _record_unchanged(plan: BuildPlan, output: str | Path) -> None:
    """Up-to-date bulletins whose rows changed but whose Summaries did not: record the new rows' digest."""
    refreshed = False
    for step in plan.unchanged:
        entry = plan.manifest.entry(step.job.folder)
        if entry is not None and entry.sources != step.sources.digest:
            entry.sources = step.sources.digest
            refreshed = True
    if refreshed:
        save_manifest(output, plan.manifest)


def _prepare(store: Store, profile: Profile, plan: BuildPlan, step: Step, output: str | Path, settings) -> Prepared:
    from .render import OUTPUT_NAMES

    folder = Path(output, *step.job.folder)
    remove_leftovers(folder, OUTPUT_NAMES)
    remove_kept_leftovers(folder / VERSIONS)
    bulletin = step.bulletin or gather(store, profile, step.job, plan.first_month)
    entry = plan.manifest.entry(step.job.folder)
    replaces = published(folder, OUTPUT_NAMES, entry.files if entry else None, entry.generated if entry else "")
    notes = revised_notes(entry, replaces, bulletin, step.sources, settings.generated.isoformat())
    return Prepared(step, replace(bulletin, revised=notes), step.data or data_digest(bulletin), folder, replaces)


def revised_notes(entry: BulletinRecord | None, replaces: Published | None, bulletin, sources: Sources, generated: str) -> tuple[Note, ...]:
    """The bulletin's "Revised" notes, newest first: the earlier ones, and one for this build when
    the figures differ from the version it replaces."""
    earlier = notes_of(entry.notes) if entry else []
    old = replaces.summary() if replaces else None
    found = changes(figures(old), figures(bulletin.summary), "period") if old else []
    if bulletin.kind == "month" and entry and entry.running:
        found += changes(entry.running, figures(bulletin.running), "running")
    if not found:
        return tuple(earlier)
    if entry is not None:
        reflected = set(entry.revisions)
        why = [r for r in sources.revisions if revision_digest(r) not in reflected]
    else:  # no record: the revisions of the period that the replaced summary.json did not list
        why = [r for r in bulletin.summary.revisions if r not in old.revisions] if old else []
    note = Note(generated, replaces.number, replaces.generated, tuple(found), tuple(why))
    return (note, *earlier)


def render_files(bulletin, settings, env=None) -> dict[str, bytes]:
    """One bulletin's files, name -> bytes: a pure function of a ``render.Bulletin`` and ``render.RenderSettings``."""
    from .render import render_bulletin

    return render_bulletin(bulletin, settings, env).files()


def _rendered_here(tasks: Iterable[Prepared], settings) -> Iterator[tuple[Prepared, dict[str, bytes]]]:
    env = settings.environment()  # one per build: templates read afresh by the next build
    for task in tasks:
        yield task, render_files(task.bulletin, settings, env)


def _write(plan: BuildPlan, task: Prepared, files: dict[str, bytes], output: str | Path, settings) -> Built:
    """Keep the version being replaced, write the files that differ, then record the bulletin."""
    job, folder = task.step.job, task.folder
    differ = {name: data for name, data in files.items() if _current(folder / name) != data}
    if differ and task.replaces is not None:
        keep(task.replaces, folder, files, output_folder(output, [*job.folder, VERSIONS]))
    paths = [write_atomic(folder, name, data, output) for name, data in differ.items()]
    hashes, stats = written_files(folder, files)
    earlier = plan.manifest.entry(job.folder)
    plan.manifest.record(job.folder, BulletinRecord(
        sources=task.step.sources.digest, data=task.data, inputs=plan.inputs[job.kind],
        files=hashes, stats=stats, generated=earlier.generated if earlier and not differ else settings.generated.isoformat(),
        running=figures(task.bulletin.running) if job.kind == "month" else [],
        revisions=[revision_digest(r) for r in task.step.sources.revisions],
        notes=[note.to_dict() for note in task.bulletin.revised],
    ))
    save_manifest(output, plan.manifest)
    return Built(job, paths)


def _current(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None
