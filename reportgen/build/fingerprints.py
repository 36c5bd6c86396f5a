"""Fingerprints: what a bulletin is made from, as digests a build compares with the manifest's.

- ``bulletin_sources``: one reading of the database's rows gives, per bulletin,
  a digest of the rows its Summaries are computed from (``Sources``);
- ``data_digest``: of the Summaries themselves, once gathered;
- ``template_inputs``: per kind of bulletin, of the templates it reaches (from
  the entry points ``render.bulletin_templates`` names), the profile, the
  settings and reportgen's version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, is_dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import meta

from .. import __version__
from ..periods import MAX_YEAR, MIN_YEAR
from ..store import Store
from ..summary import RevisionRow, Summary
from .gather import previous_scope
from .jobs import Job
from .reasons import PROFILE, SETTINGS, TEMPLATES, VERSION

if TYPE_CHECKING:
    from ..render import Bulletin, RenderSettings

# Files a template may name by URL (pictures, fonts): part of the templates' fingerprint.
ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".woff", ".woff2", ".ttf", ".otf"}


def digest(value: Any) -> str:
    """SHA-256 of a JSON-serialisable value (keys sorted)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- what each bulletin reads ---------------------------------------------------------------


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
        revisions = store.revisions_recorded(date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31), as_of)
        counted = _month_digests(rows, lambda row: row.date)
        recorded = _month_digests(revisions, lambda r: r.recorded_at)
        for job in group:
            found[job] = _sources(job, first_month, counted, recorded, revisions)
    return found


def _month_digests(items: Iterable, day: Callable) -> dict[str, str]:
    hashes: dict[str, Any] = {}
    for item in items:
        month = str(day(item))[:7]
        h = hashes.get(month) or hashes.setdefault(month, hashlib.sha256())
        h.update(json.dumps(list(item) if isinstance(item, tuple) else list(astuple(item)), default=str).encode("utf-8"))
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


def data_digest(bulletin: Bulletin) -> str:
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


# -- the templates, the profile, the settings ------------------------------------------------


def template_inputs(settings: RenderSettings, kinds: Iterable[str],
                    env: jinja2.Environment | None = None) -> dict[str, dict[str, str]]:
    """Per kind of bulletin, the fingerprints of its templates, the profile, the settings and reportgen's version
    (``env``: the build's Jinja environment, whose loader finds the templates)."""
    from ..render import bulletin_templates

    env = env or settings.environment()
    read: dict[str, tuple[str, list[str | None]]] = {}
    found = {}
    for kind in kinds:
        templates = templates_digest(env, bulletin_templates(kind), settings.template_dirs(), read)
        found[kind] = inputs_fingerprint(templates, settings.profile.path, settings.author)
    return found


def template_names(env: jinja2.Environment, entry_points: Iterable[str], memo: dict | None = None) -> dict[str, str] | None:
    """Every template reachable from ``entry_points`` through the loader, name -> source digest;
    None when one names another by an expression (the reach cannot be known without rendering).
    ``memo`` keeps each template read (name -> digest and references) for the next call."""
    memo = {} if memo is None else memo
    found: dict[str, str] = {}
    todo = list(entry_points)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        if name not in memo:
            memo[name] = _read(env, name)
        found[name], references = memo[name]
        if None in references:
            return None
        todo += references
    return found


def _read(env: jinja2.Environment, name: str) -> tuple[str, list[str | None]]:
    try:
        assert env.loader is not None  # every environment of ours has one
        source, _, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        return "", []  # named but absent (``ignore missing``, or an error the render will report)
    return hashlib.sha256(source.encode("utf-8")).hexdigest(), _references(env, source)


def _references(env: jinja2.Environment, source: str) -> list[str | None]:
    try:
        return list(meta.find_referenced_templates(env.parse(source)))
    except jinja2.TemplateSyntaxError:
        return []  # the render reports it; the source's digest already marks the change


def tree_digest(dirs: Iterable[Path], suffixes: set[str] | None = None) -> str:
    """A digest of every file's name and content under ``dirs`` (only ``suffixes``, if given)."""
    h = hashlib.sha256()
    for root in dirs:
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if suffixes is not None and path.suffix.lower() not in suffixes:
                continue
            h.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
            h.update(file_digest(path).encode("ascii"))
    return h.hexdigest()


def templates_digest(env: jinja2.Environment, entry_points: Iterable[str], dirs: list[Path], memo: dict | None = None) -> str:
    """The fingerprint of the templates one kind of bulletin uses: the content of each template it
    reaches, and of the pictures and fonts in the template directories."""
    names = template_names(env, entry_points, memo)
    reached = names if names is not None else {"*": tree_digest(dirs)}
    return digest({"templates": reached, "assets": tree_digest(dirs, ASSET_SUFFIXES)})


def profile_digest(path: str) -> str:
    try:
        return file_digest(path)
    except OSError:
        return ""


def inputs_fingerprint(templates: str, profile_path: str, organisation: str) -> dict[str, str]:
    return {TEMPLATES: templates, PROFILE: profile_digest(profile_path),
            SETTINGS: digest({"organisation": organisation}), VERSION: __version__}
