"""The plan of a build: which bulletins changed since the last build, and why.

Each bulletin is compared with its entry in the manifest (``manifest``):

1. ``fingerprints.bulletin_sources``: one reading of the database's rows gives,
   per bulletin, a digest of the rows its Summaries are computed from. Where it
   equals the recorded one, the Summaries are too, and nothing is aggregated;
2. where it differs, the bulletin is gathered and its Summaries' fingerprint
   compared with the recorded one ("data changed", or nothing after all);
3. the templates it reaches, the profile, the settings and reportgen's version
   are compared too, and its files with the digests recorded when written.

``plan_build`` decides and writes nothing; ``plan_lines`` says what and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..profile import Profile
from ..store import Store
from .fingerprints import Sources, bulletin_sources, data_digest, template_inputs
from .gather import gather
from .jobs import Job, first_data_month
from .manifest import BulletinRecord, Manifest, load_manifest
from .reasons import CHANGED, DATA, FORCED, MISSING, NEW, SOURCES, WORDS

if TYPE_CHECKING:
    import jinja2

    from ..render import Bulletin, RenderSettings


@dataclass
class Step:
    """One bulletin of a build and why it is built (``reasons`` empty: it is up to date)."""

    job: Job
    sources: Sources
    reasons: list[str]
    missing: list[str] = field(default_factory=list)  # its files deleted since they were written
    changed: list[str] = field(default_factory=list)  # its files changed since they were written
    bulletin: Bulletin | None = None  # its Bulletin, when planning gathered it
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


def plan_build(store: Store, profile: Profile, jobs: list[Job], output: str | Path, settings: RenderSettings,
               force: bool = False, strays: Callable[[tuple[str, str]], bool] | None = None,
               env: jinja2.Environment | None = None, inputs: dict[str, dict[str, str]] | None = None) -> BuildPlan:
    """Which of ``jobs`` must be built, and why, against the manifest under ``output``.

    Nothing is written. Only bulletins whose rows changed are aggregated (to
    compare their Summaries with the recorded ones); the rendering libraries
    are not imported. ``strays``: which folders to report when they hold a
    bulletin that is not among ``jobs`` (the data no longer has it). ``env``:
    the build's Jinja environment; ``inputs``: the templates', profile's and
    settings' fingerprints per kind, when the caller has them already.
    """
    manifest = load_manifest(output)
    first = first_data_month(store, jobs)
    inputs = inputs or template_inputs(settings, sorted({job.kind for job in jobs}), env)
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
    folders = [(n, tuple(n.split("/", 1))) for n in names]
    return [n for n, folder in folders if folder not in planned and within((folder[0], folder[-1]))]


def plan_lines(plan: BuildPlan) -> list[str]:
    """What a build does and why, one line per bulletin built, then the strays and the count of the rest."""
    from ..wording import noun

    again = "building those bulletins again" if plan.manifest.entries else "building everything again"
    lines = [f"{plan.manifest.problem}: {again}"] if plan.manifest.problem else []
    for step in plan.todo:
        words = [WORDS[r] for r in step.reasons if r in WORDS]
        words += [f"{noun(len(step.missing), 'file', 'files')} missing ({', '.join(step.missing)})"] if step.missing else []
        changed = noun(len(step.changed), "file changed since it was", "files changed since they were")
        words += [f"{changed} written ({', '.join(step.changed)})"] if step.changed else []
        lines.append(f"{step.folder}: {', '.join(words)}")
    lines += [f"{folder}: no such bulletin in the data any more; its files are left in place" for folder in plan.strays]
    lines.append(f"{len(plan.unchanged)} unchanged")
    return lines
