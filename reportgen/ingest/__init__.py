"""The ingest stage: read a file, validate all of it, then write it in one transaction.

Nothing from a file is written unless every record in it is valid. Importing
the same file again is harmless: an incident whose id is already stored with
the same content is skipped; the same id with other content is refused (a
changed toll is a revision: ``reportgen revise``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputError, ReportgenError, shown
from ..profile import Profile
from ..records import Casualty, Incident
from ..store import Store
from . import acled, canonical, ucdp
from .events import EventImport, import_event_files, import_events

READERS = {"csv": canonical.read_csv, "json": canonical.read_json, "acled": acled.read_acled, "ucdp": ucdp.read_ucdp}
# Published datasets with stable event ids: a re-import revises changed tolls (see ``events``).
DATASETS = {"acled": acled.DATASET, "ucdp": ucdp.DATASET}


@dataclass
class ImportResult:
    file: str
    added: int
    unchanged: int


COMPRESSED = {"gz", "zip", "bz2", "xz", "zst"}


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in READERS:
        return suffix
    if suffix in COMPRESSED:
        raise InputError(str(path), 1, "encoding", "expected plain UTF-8 text, found a compressed file (decompress it first)")
    raise ReportgenError(f"{path}: cannot tell the format from the name; pass --format ({', '.join(READERS)})")


def read_file(path: Path, profile: Profile, fmt: str | None = None) -> list[Incident]:
    """Every incident of the file, validated; the first bad record raises ``InputError``."""
    if not path.is_file():
        raise ReportgenError(f"{path}: no such file")
    fmt = fmt or detect_format(path)
    if fmt not in READERS:
        raise ReportgenError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(READERS)}")
    incidents = READERS[fmt](path, profile)
    _refuse_duplicate_ids(path, incidents)
    return incidents


def _refuse_duplicate_ids(path: Path, incidents: list[Incident]) -> None:
    first_line: dict[str, int] = {}
    for incident in incidents:
        if incident.id in first_line:
            raise InputError(
                str(path), incident.line, "id",
                f"duplicate id {incident.id!r} (first on line {first_line[incident.id]})",
            )
        first_line[incident.id] = incident.line


def _as_imported(store: Store, incident: Incident) -> Incident:
    """A stored incident with its revisions undone: what its import file said."""
    first_old: dict[tuple[str, str], tuple[int, int]] = {}
    for rev in store.revisions_of(incident.id):
        first_old.setdefault((rev.category, rev.subgroup), (rev.killed_old, rev.injured_old))
    casualties = []
    for c in incident.casualties:
        killed, injured = first_old.get((c.category, c.subgroup), (c.killed, c.injured))
        casualties.append(replace(c, killed=killed, injured=injured))
    return replace(incident, casualties=tuple(casualties))


def _difference(stored: Incident, new: Incident) -> str | None:
    """What differs between a stored incident and a record of it, for a message; None if nothing."""
    for name in ("date", "region", "province", "district", "location", "perpetrator", "kind", "summary", "sources",
                 "recorded_at"):
        if getattr(stored, name) != getattr(new, name):
            return f"{name}: stored {shown(getattr(stored, name))}, file {shown(getattr(new, name))}"
    was, now = _figures(stored), _figures(new)
    for key in sorted(was.keys() | now.keys()):
        before, after = was.get(key, _NONE), now.get(key, _NONE)
        if before != after:
            return f"{'/'.join(filter(None, key))}: stored {before[0]} killed/{before[1]} injured, file {after[0]}/{after[1]}"
    return None


_NONE = (0, 0, None, None)


def _figures(incident: Incident) -> dict[tuple[str, str], tuple]:
    """(killed, injured, low, high) by (category, subgroup); rows of all zeros say nothing."""
    figures = {(c.category, c.subgroup): (c.killed, c.injured, c.killed_low, c.killed_high) for c in incident.casualties}
    return {key: value for key, value in figures.items() if value != _NONE}


def new_incidents(store: Store, path: Path, incidents: list[Incident]) -> list[Incident]:
    """The incidents not stored yet; an id stored with other content is refused."""
    existing = store.existing_ids(i.id for i in incidents)
    fresh = []
    for incident in incidents:
        if incident.id not in existing:
            fresh.append(incident)
            continue
        difference = _difference(_as_imported(store, store.incident(incident.id)), incident)
        if difference:
            raise InputError(
                str(path), incident.line, "id",
                f"incident {incident.id!r} is already stored with other values ({difference});"
                " record a changed toll with `reportgen revise`",
            )
    return fresh


def _nonzero(casualties: tuple[Casualty, ...]) -> list[Casualty]:
    """The rows stored: every category's, and the subgroups that count someone."""
    return [c for c in casualties if c.killed or c.injured or not c.subgroup]


def import_file(store: Store, profile: Profile, path: str | Path, fmt: str | None = None) -> ImportResult | EventImport:
    """Validate the whole file, then write its new incidents in one transaction."""
    path = Path(path)
    if fmt in DATASETS:
        return import_events(store, profile, path, DATASETS[fmt])
    return _write(store, path, read_file(path, profile, fmt))


def import_files(
    open_store: Callable[[], Store], profile: Profile, paths: Iterable[str | Path], fmt: str | None = None
) -> Iterator[ImportResult]:
    """Import files one after the other, each all or nothing.

    The database is opened (and created, if new) only once the first file has
    passed validation: a bad file leaves no empty database behind.
    """
    if fmt in DATASETS:
        yield from import_event_files(open_store, profile, paths, DATASETS[fmt])
        return
    store = None
    for path in map(Path, paths):
        incidents = read_file(path, profile, fmt)
        store = store or open_store()
        yield _write(store, path, incidents)


def _write(store: Store, path: Path, incidents: list[Incident]) -> ImportResult:
    fresh = new_incidents(store, path, incidents)
    if fresh:
        store.add_incidents(replace(i, casualties=tuple(_nonzero(i.casualties))) for i in fresh)
    return ImportResult(str(path), added=len(fresh), unchanged=len(incidents) - len(fresh))
