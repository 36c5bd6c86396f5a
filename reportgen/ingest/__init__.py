"""The ingest stage: read a file, validate it record by record, write it in one transaction.

Nothing from a file is written unless every record in it is valid: records are
validated as they are read and written in batches inside one transaction, which
the first bad record rolls back. A file of a million incidents never sits in
memory whole. Importing the same file again is harmless: an incident whose id
is already stored with the same content is skipped; the same id with other
content is refused (a changed toll is a revision: ``reportgen revise``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import chain, islice
from pathlib import Path

from ..errors import InputError, ReportgenError, shown
from ..profile import Profile
from ..records import Casualty, Incident, Revision
from ..store import BATCH, Store, batches
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


# Readers that yield one incident at a time; the others return a list.
STREAMS = {"csv": canonical.csv_incidents, "json": canonical.json_incidents}


def read_file(path: Path, profile: Profile, fmt: str | None = None) -> list[Incident]:
    """Every incident of the file, validated; the first bad record raises ``InputError``."""
    return list(stream_file(path, profile, fmt))


def stream_file(path: Path, profile: Profile, fmt: str | None = None) -> Iterator[Incident]:
    """The file's incidents as they are read and validated; the first bad record raises ``InputError``."""
    if not path.is_file():
        raise ReportgenError(f"{path}: no such file")
    fmt = fmt or detect_format(path)
    if fmt not in READERS:
        raise ReportgenError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(READERS)}")
    return _unique_ids(path, STREAMS.get(fmt, READERS[fmt])(path, profile))


def _unique_ids(path: Path, incidents: Iterable[Incident]) -> Iterator[Incident]:
    first_line: dict[str, int] = {}
    for incident in incidents:
        if incident.id in first_line:
            raise InputError(
                str(path), incident.line, "id",
                f"duplicate id {incident.id!r} (first on line {first_line[incident.id]})",
            )
        first_line[incident.id] = incident.line
        yield incident


def _as_imported(incident: Incident, revisions: list[Revision]) -> Incident:
    """A stored incident with its revisions undone: what its import file said."""
    first_old: dict[tuple[str, str], tuple[int, int]] = {}
    for rev in revisions:
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
    was, now = _casualty_figures(stored), _casualty_figures(new)
    for key in sorted(was.keys() | now.keys()):
        before, after = was.get(key, _NONE), now.get(key, _NONE)
        if before != after:
            return f"{'/'.join(filter(None, key))}: stored {before[0]} killed/{before[1]} injured, file {after[0]}/{after[1]}"
    return None


_NONE = (0, 0, None, None)


def _casualty_figures(incident: Incident) -> dict[tuple[str, str], tuple]:
    """(killed, injured, low, high) by (category, subgroup); rows of all zeros say nothing."""
    figures = {(c.category, c.subgroup): (c.killed, c.injured, c.killed_low, c.killed_high) for c in incident.casualties}
    return {key: value for key, value in figures.items() if value != _NONE}


def new_incidents(store: Store, path: Path, incidents: Iterable[Incident]) -> list[Incident]:
    """The incidents not stored yet; an id stored with other content is refused."""
    incidents = list(incidents)
    stored = store.incidents(i.id for i in incidents)
    revisions = store.revisions_of_each(stored) if stored else {}
    fresh = []
    for incident in incidents:
        if incident.id not in stored:
            fresh.append(incident)
            continue
        difference = _difference(_as_imported(stored[incident.id], revisions.get(incident.id, [])), incident)
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


def _as_stored(incident: Incident) -> Incident:
    kept = _nonzero(incident.casualties)
    return incident if len(kept) == len(incident.casualties) else replace(incident, casualties=tuple(kept))


def import_file(store: Store, profile: Profile, path: str | Path, fmt: str | None = None) -> ImportResult | EventImport:
    """Write the file's new incidents in one transaction, validating them as they are read."""
    path = Path(path)
    if fmt in DATASETS:
        return import_events(store, profile, path, DATASETS[fmt])
    return _write(store, profile, path, stream_file(path, profile, fmt))


def import_files(
    open_store: Callable[[], Store], profile: Profile, paths: Iterable[str | Path], fmt: str | None = None
) -> Iterator[ImportResult | EventImport]:
    """Import files one after the other, each all or nothing.

    The database is opened (and created, if new) only once the first file's first
    batch of records has passed validation: a bad file of up to that many records
    leaves no empty database behind.
    """
    if fmt in DATASETS:
        yield from import_event_files(open_store, profile, paths, DATASETS[fmt])
        return
    store = None
    for path in map(Path, paths):
        incidents = stream_file(path, profile, fmt)
        first = list(islice(incidents, BATCH))
        store = store or open_store()
        yield _write(store, profile, path, chain(first, incidents))


def _write(store: Store, profile: Profile, path: Path, incidents: Iterable[Incident]) -> ImportResult:
    """The new incidents, batch by batch, in one transaction: a bad record anywhere rolls all of it back
    (and so does a profile the database does not take; see ``binding``)."""
    added = seen = 0
    with store.transaction(profile):
        for batch in batches(incidents, BATCH):
            fresh = new_incidents(store, path, batch)
            if fresh:
                store.add_incidents((_as_stored(i) for i in fresh), checked=True)
            added, seen = added + len(fresh), seen + len(batch)
    return ImportResult(str(path), added=added, unchanged=seen - added)
