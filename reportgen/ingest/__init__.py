"""The ingest stage: read a file, validate all of it, then write it in one transaction.

Nothing from a file is written unless every record in it is valid. Importing
the same file again is harmless: an incident whose id is already stored with
the same content is skipped; the same id with other content is refused (a
changed toll is a revision: ``reportgen revise``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputError, ReportgenError
from ..profile import Profile
from ..records import Casualty, Incident
from ..store import Store
from . import canonical

READERS = {"csv": canonical.read_csv, "json": canonical.read_json}


@dataclass
class ImportResult:
    file: str
    added: int
    unchanged: int


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in READERS:
        return suffix
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


def _same(stored: Incident, new: Incident) -> bool:
    def key(i: Incident) -> tuple:
        kept = {c for c in i.casualties if c.killed or c.injured or not c.subgroup}
        return (replace(i, casualties=(), line=0), frozenset(kept))

    return key(stored) == key(new)


def new_incidents(store: Store, path: Path, incidents: list[Incident]) -> list[Incident]:
    """The incidents not stored yet; an id stored with other content is refused."""
    existing = store.existing_ids(i.id for i in incidents)
    fresh = []
    for incident in incidents:
        if incident.id not in existing:
            fresh.append(incident)
            continue
        stored = _as_imported(store, store.incident(incident.id))
        if not _same(stored, replace(incident, casualties=tuple(_nonzero(incident.casualties)))):
            raise InputError(
                str(path), incident.line, "id",
                f"incident {incident.id!r} is already stored with other values;"
                " record a changed toll with `reportgen revise`",
            )
    return fresh


def _nonzero(casualties: tuple[Casualty, ...]) -> list[Casualty]:
    return [c for c in casualties if c.killed or c.injured or not c.subgroup]


def import_file(store: Store, profile: Profile, path: str | Path, fmt: str | None = None) -> ImportResult:
    """Validate the whole file, then write its new incidents in one transaction."""
    path = Path(path)
    incidents = read_file(path, profile, fmt)
    fresh = new_incidents(store, path, incidents)
    store.add_incidents(replace(i, casualties=tuple(_nonzero(i.casualties))) for i in fresh)
    return ImportResult(str(path), added=len(fresh), unchanged=len(incidents) - len(fresh))
