"""What the readers of published event datasets (ACLED, UCDP GED) share.

Both are CSV files read by column name and validated row by row with the
checks of ``fields``. Their event ids are stable from one release to the next,
so importing an updated file turns changed tolls into revisions (never a
second copy of the event); the other fields keep the values first imported.

Without ``skip_invalid`` the first bad row fails the whole file and nothing is
written. With it, bad rows are set aside with their reason and the rest is
imported; faults of the file itself (encoding, quoting, header) still fail it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..errors import InputError, ReportgenError, shown
from ..profile import DatasetMapping, Profile, Rule
from ..records import Incident, Revision
from ..store import Store
from . import fields
from .fields import Where

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
COORDINATE = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,12})?")
REJECT_COLUMNS = ["rejected_file", "rejected_line", "rejected_field", "rejected_reason"]


@dataclass(frozen=True)
class Rejected:
    file: str
    line: int
    field: str
    reason: str
    row: dict[str, str]


@dataclass
class Outcome:
    """What reading a file found besides its incidents: the rows set aside and warnings."""

    skip_invalid: bool = False
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: dict[int, dict[str, str]] = field(default_factory=dict)  # line -> raw row, kept with skip_invalid

    def reject(self, exc: InputError, row: dict[str, str]) -> None:
        """Set the row aside with its reason or, without ``skip_invalid``, fail the file."""
        if not self.skip_invalid:
            raise exc
        self.rejected.append(Rejected(exc.file, exc.line or 0, exc.field or "", exc.message, row))

    def warn(self, where: Where, field_name: str | None, message: str) -> None:
        self.warnings.append(str(where.error(field_name, message)))


Reader = Callable[[Path, Profile, "Outcome | None"], list[Incident]]


@dataclass(frozen=True)
class Dataset:
    """One published dataset: its reader and the columns that identify and date a row."""

    name: str
    read: Reader
    id_column: str
    time_column: str | None  # the time the source last changed a row (ACLED's timestamp), if it says


@dataclass
class EventImport:
    file: str
    added: int
    unchanged: int
    revised: int  # incidents whose tolls changed since they were imported
    rejected: list[Rejected]
    warnings: list[str]


# -- reading -----------------------------------------------------------------


def mapping_for(profile: Profile, dataset: str, path: Path, known_columns: set[str]) -> DatasetMapping:
    """The profile's mapping for ``dataset``, its rules checked against the dataset's columns."""
    mapping = profile.mappings.get(dataset)
    if mapping is None:
        raise ReportgenError(
            f"{path}: profile {profile.name!r} has no [mapping.{dataset}] section;"
            f" use --profile {dataset} or a profile that maps {dataset.upper()} fields"
        )
    for part in ("victims", "sides", "actors"):
        for n, rule in enumerate(getattr(mapping, part), 1):
            unknown = [f for f in rule.fields if f not in known_columns]
            if unknown:
                raise ReportgenError(
                    f"{profile.path}: mapping.{dataset}.{part}[{n}]: unknown {dataset.upper()} field"
                    f" {unknown[0]!r} (expected one of {', '.join(sorted(known_columns))})"
                )
    return mapping


def csv_table(path: Path, text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the records, each with the line it starts on (quoted line breaks allowed)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise Where(str(path), 1).error(None, f"malformed CSV ({exc})") from None
    if not header or not any(h.strip() for h in header):
        raise Where(str(path), 1).error(None, "expected a header row, found an empty file")
    return [h.strip() for h in header], _records(str(path), reader)


def _records(name: str, reader) -> Iterator[tuple[int, list[str]]]:
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise Where(name, start).error(None, f"malformed CSV ({exc})") from None
        if row is None:
            return
        if row:
            yield start, row


def check_header(path: Path, header: list[str], required: tuple[str, ...], layout: str) -> None:
    where = Where(str(path), 1)
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise where.error(column, "column appears twice in the header")
        seen.add(column)
    for column in required:
        if column not in seen:
            raise where.error(column, f"column of the {layout} layout is missing from the header (renamed or removed?)")


def incidents_from_rows(
    path: Path,
    header: list[str],
    rows: Iterator[tuple[int, list[str]]],
    outcome: Outcome,
    id_column: str,
    build: Callable[[Where, dict[str, str]], Incident],
) -> list[Incident]:
    """Every row built into an incident; a bad row fails the file or is set aside.

    ``build`` gets the row as read: counts are checked as written (``" 5 "`` is
    refused), text through ``cleaned``.
    """
    incidents = []
    first_line: dict[str, int] = {}
    for line, values in rows:
        where = Where(str(path), line)
        row = dict(zip(header, values, strict=False))
        if outcome.skip_invalid:
            outcome.rows[line] = row
        try:
            if len(values) != len(header):
                raise where.error(None, f"expected {len(header)} fields as in the header, got {len(values)}")
            incident = build(where, row)
            if incident.id in first_line:
                raise where.error(id_column, f"duplicate id {incident.id!r} (first on line {first_line[incident.id]})")
        except InputError as exc:
            outcome.reject(exc, row)
            continue
        first_line[incident.id] = line
        incidents.append(incident)
    return incidents


def cleaned(where: Where, row: dict[str, str]) -> dict[str, str]:
    """Every field stripped, control and bidi-override characters refused (line breaks and tabs allowed)."""
    return {k: fields.text(where, k, v, multi_line=True) for k, v in row.items()}


def one_line(where: Where, row: dict[str, str], column: str, required: bool = False) -> str:
    return fields.text(where, column, row.get(column, ""), required=required)


def incident_id(where: Where, row: dict[str, str], column: str, prefix: str = "") -> str:
    value = prefix + one_line(where, row, column, required=True)
    if not ID.fullmatch(value):
        raise where.error(column, f"expected letters, digits, '.', '_', ':' or '-' (at most 64), got {shown(value)}")
    return value


def place(where: Where, profile: Profile, mapping: DatasetMapping, row: dict[str, str]) -> tuple[str, str, str, str]:
    """(region key, province, district, location) from the columns the mapping names."""
    columns = mapping.columns
    name = one_line(where, row, columns["region"]) or mapping.region_default
    if not name:
        raise where.error(columns["region"], "expected a value, got an empty field")
    region = profile.region(name)
    if region is None:
        names = ", ".join(r.name for r in profile.regions)
        raise where.error(columns["region"], f"expected one of the profile's regions ({names}), got {shown(name)}")
    province = one_line(where, row, columns["province"]) or region.province
    return region.key, province, one_line(where, row, columns["district"]), one_line(where, row, columns["location"])


def perpetrator(where: Where, mapping: DatasetMapping, record: dict[str, str], column: str) -> str:
    """The profile actor an actor rule names, else (unless known actors are required) the name as given."""
    found = mapping.first(mapping.actors, record)
    if found:
        return found[1].then
    name = one_line(where, record, column, required=True)
    if mapping.require_known_actors:
        raise where.error(column, f"expected an actor that the profile's actor rules know, got {shown(name)}")
    return name


def kind(where: Where, mapping: DatasetMapping, record: dict[str, str], column: str) -> str:
    value = one_line(where, record, column, required=True)
    if value in mapping.kinds:
        return mapping.kinds[value]
    if mapping.kinds:
        raise where.error(column, f"expected one of the values mapping.{mapping.dataset}.kinds lists, got {shown(value)}")
    return value


def coordinate(where: Where, row: dict[str, str], column: str, limit: int) -> float | None:
    """A latitude or longitude (``limit`` 90 or 180); empty or missing is None."""
    value = row.get(column, "")
    if value == "":
        return None
    if not COORDINATE.fullmatch(value) or abs(float(value)) > limit:
        raise where.error(column, f"expected a number from -{limit} to {limit}, got {shown(value)}")
    return float(value)


def first_rule(mapping: DatasetMapping, rules: tuple[Rule, ...], record: dict[str, str]) -> tuple[int | None, str, str]:
    """(rule number, category, subgroup) of the first rule that applies, or the unattributed category."""
    found = mapping.first(rules, record)
    if found is None:
        return None, mapping.unattributed, ""
    return found[0], found[1].then, found[1].subgroup


# -- importing ---------------------------------------------------------------


def read_events(path: str | Path, profile: Profile, dataset: Dataset, skip_invalid: bool = False) -> tuple[list[Incident], Outcome]:
    """The file's valid incidents, and what was set aside or worth a warning."""
    path = Path(path)
    if not path.is_file():
        raise ReportgenError(f"{path}: no such file")
    outcome = Outcome(skip_invalid)
    return dataset.read(path, profile, outcome), outcome


def store_events(
    store: Store, profile: Profile, path: str | Path, dataset: Dataset, incidents: list[Incident], outcome: Outcome
) -> EventImport:
    """Add the new incidents and revise the stored ones whose tolls changed."""
    path = Path(path)
    reason = profile.mappings[dataset.name].revision_reason
    fresh, revisions, unchanged, bounds = plan_updates(store, path, incidents, outcome, dataset, reason)
    with store.transaction(profile):
        if fresh:
            store.add_incidents(fresh)
        if revisions:
            store.add_revisions(revisions)
        for incident_id, (changes, recorded) in bounds.items():
            store.revise_bounds(incident_id, changes, reason, recorded)
    revised = len({r.incident_id for r in revisions} | set(bounds))
    return EventImport(str(path), len(fresh), unchanged, revised, outcome.rejected, outcome.warnings)


def import_events(store: Store, profile: Profile, path: str | Path, dataset: Dataset, skip_invalid: bool = False) -> EventImport:
    """Validate the file, then add its new incidents and revise the tolls that changed."""
    incidents, outcome = read_events(path, profile, dataset, skip_invalid)
    return store_events(store, profile, path, dataset, incidents, outcome)


def import_event_files(
    open_store: Callable[[], Store], profile: Profile, paths: Iterable[str | Path], dataset: Dataset, skip_invalid: bool = False
) -> Iterator[EventImport]:
    """Import files one after the other, each all or nothing (or without its rejected rows).

    The database is opened only once the first file has been read and validated.
    """
    store = None
    for path in paths:
        incidents, outcome = read_events(path, profile, dataset, skip_invalid)
        store = store or open_store()
        yield store_events(store, profile, path, dataset, incidents, outcome)


Bounds = dict[tuple[str, str], tuple[tuple, tuple]]  # (category, subgroup) -> (old, new) (low, high)


def plan_updates(
    store: Store, path: Path, incidents: list[Incident], outcome: Outcome, dataset: Dataset, reason: str
) -> tuple[list[Incident], list[Revision], int, dict[str, tuple[Bounds, str]]]:
    """(new incidents, revisions of stored ones, how many stored ones are unchanged, and the
    stored ones whose ranges changed: their changed bounds and the time they are recorded at)."""
    known = store.existing_ids(i.id for i in incidents)
    fresh, revisions, unchanged, bounds = [], [], 0, {}
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    for incident in incidents:
        if incident.id not in known:
            fresh.append(incident)
            continue
        recorded = incident.recorded_at if dataset.time_column else now
        stored = store.incident(incident.id)
        assert stored is not None, incident.id  # among the known ids, read in this transaction
        changed_bounds = bound_changes(stored, incident)
        try:
            changed = toll_revisions(store, path, incident, recorded, reason, dataset.time_column or dataset.id_column,
                                     stored, bool(changed_bounds))
        except InputError as exc:
            outcome.reject(exc, outcome.rows.get(incident.line, {}))
            continue
        revisions += changed
        if changed_bounds:
            bounds[incident.id] = (changed_bounds, recorded)
        unchanged += not changed and not changed_bounds
    return fresh, revisions, unchanged, bounds


def _tolls(incident: Incident) -> dict[tuple[str, str], tuple[int, int]]:
    return {(c.category, c.subgroup): (c.killed, c.injured) for c in incident.casualties if c.killed or c.injured}


def _bounds(incident: Incident) -> dict[tuple[str, str], tuple[int | None, int | None]]:
    return {(c.category, c.subgroup): (c.killed_low, c.killed_high) for c in incident.casualties
            if c.killed_low is not None or c.killed_high is not None}


def bound_changes(stored: Incident, incident: Incident) -> Bounds:
    """The (old, new) low and high bounds of each count whose range ``incident`` changes (UCDP's low and high)."""
    old, new = _bounds(stored), _bounds(incident)
    return {key: (old.get(key, (None, None)), new.get(key, (None, None)))
            for key in sorted(old.keys() | new.keys()) if old.get(key) != new.get(key)}


def toll_revisions(store: Store, path: Path, incident: Incident, recorded: str, reason: str, time_field: str,
                   stored: Incident | None = None, bounds_changed: bool = False) -> list[Revision]:
    """The revisions that take the stored incident to the figures of ``incident``.

    A fall in a toll is marked as a correction. A row dated no later than the
    stored figures (or ranges, with ``bounds_changed``) belongs to an older release and is refused.
    """
    stored = stored or store.incident(incident.id)
    assert stored is not None, incident.id  # the caller found it stored
    old, new = _tolls(stored), _tolls(incident)
    if old == new and not bounds_changed:
        return []
    latest = max((r.recorded_at for r in store.revisions_of(incident.id)), default=stored.recorded_at)
    latest = max([latest, *(r["recorded_at"] for r in store.range_revisions_of(incident.id))])
    if recorded <= latest:
        raise Where(str(path), incident.line).error(
            time_field,
            f"incident {incident.id!r} is stored with other tolls recorded at {latest}, not before this row's"
            f" {recorded}: is this an older release?",
        )
    revisions = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key, (0, 0)), new.get(key, (0, 0))
        if before != after:
            revisions.append(Revision(incident.id, *key, before[0], after[0], before[1], after[1], reason,
                                      recorded, correction=after[0] < before[0]))
    return revisions


def rejects_csv(rejected: list[Rejected]) -> str:
    """The rejected rows as CSV: where and why, then the row's own columns (so a fixed file re-imports)."""
    columns = list(REJECT_COLUMNS)
    for r in rejected:
        columns += [c for c in r.row if c not in columns]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, columns, lineterminator="\r\n")
    writer.writeheader()
    for r in rejected:
        writer.writerow({**r.row, "rejected_file": r.file, "rejected_line": r.line,
                         "rejected_field": r.field, "rejected_reason": r.reason})
    return out.getvalue()
