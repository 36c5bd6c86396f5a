"""Exports: incidents (current tolls and revision history) and Summaries as CSV, JSON or Parquet.

Every export is first a ``Table``: named, typed columns and rows of plain
values. CSV writes text cells that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) with a
leading apostrophe; number columns stay numbers. JSON and Parquet keep every
value as it is, typed. A Summary's JSON is the Summary itself (``to_dict``);
its CSV and Parquet are one row per figure (total, group, region, category,
subgroup).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .files import write_file
from .periods import Scope
from .profile import Profile
from .records import Incident, Revision
from .store import Store
from .summary import CategoryCount, Summary

FORMATS = ("csv", "json", "parquet")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ALL_DATES = (date(1900, 1, 1), date(2200, 12, 31))
REVISION_FIELDS = ("recorded_at", "category", "subgroup", "killed_old", "killed_new", "injured_old",
                   "injured_new", "reason", "correction", "recorded_by")


@dataclass(frozen=True)
class Table:
    """Rows of plain values under typed columns: text, int, float, bool, json (any value) or revisions."""

    columns: tuple[tuple[str, str], ...]
    rows: list[dict]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]


# -- incidents ---------------------------------------------------------------


INCIDENT_COLUMNS = (
    ("id", "text"), ("date", "text"), ("region", "text"), ("region_name", "text"), ("province", "text"),
    ("district", "text"), ("location", "text"), ("perpetrator", "text"), ("kind", "text"), ("summary", "text"),
    ("sources", "text"), ("recorded_at", "text"), ("killed", "int"), ("injured", "int"),
    ("killed_low", "int"), ("killed_high", "int"),
)


def incidents_table(store: Store, profile: Profile, scope: Scope | None = None) -> Table:
    """Every incident dated in ``scope`` (all of them without one), with its current tolls and revisions."""
    start, end = (scope.start, scope.end) if scope else ALL_DATES
    ids = list(dict.fromkeys(row.incident for row in store.casualty_rows(start, end)))
    stored = store.incidents(ids)
    incidents = [stored[i] for i in ids]
    categories = _categories(profile, incidents)
    ranged = set()
    if "ranges" in profile.measures:
        ranged = {c.category for i in incidents for c in i.casualties if c.killed_low is not None or c.killed_high is not None}
    columns = [*INCIDENT_COLUMNS]
    for key in categories:
        columns += [(f"{key}_killed", "int"), (f"{key}_injured", "int")]
        if key in ranged:
            columns += [(f"{key}_killed_low", "int"), (f"{key}_killed_high", "int")]
    columns += [("subgroups", "text"), ("revisions", "revisions")]
    columns += [("range_revisions", "range_revisions")] if ranged else []
    columns += [("extra", "json")]
    rows = [_incident_row(profile, i, store.revisions_of(i.id), categories, ranged) for i in incidents]
    if ranged:  # the changes of low and high bounds that re-imports recorded
        for row in rows:
            row["range_revisions"] = store.range_revisions_of(row["id"])
    return measured(Table(tuple(columns), rows), profile)


def measured(table: Table, profile: Profile | None) -> Table:
    """The table without the columns of what the profile's source does not record: no injured
    (``injured``, ``CATEGORY_injured``) and no ranges (``killed_low``, ``killed_high`` and the
    categories' bounds) rather than columns of zeros or blanks. Without a profile, every column."""
    if profile is None:
        return table
    left_out = set()
    if "injured" not in profile.measures:
        left_out |= {name for name in table.names if name == "injured" or name.endswith("_injured")}
    if "ranges" not in profile.measures:
        left_out |= {name for name in table.names if name.endswith(("killed_low", "killed_high"))}
    if not left_out:
        return table
    columns = tuple(c for c in table.columns if c[0] not in left_out)
    return Table(columns, [{k: v for k, v in row.items() if k not in left_out} for row in table.rows])


def _categories(profile: Profile, incidents: list[Incident]) -> list[str]:
    """The profile's categories, then any other category found in the data."""
    found = {c.category for i in incidents for c in i.casualties}
    return [*profile.category_keys, *sorted(found - set(profile.category_keys))]


def _incident_row(profile: Profile, incident: Incident, revisions: list[Revision], categories: list[str], ranged: set[str]) -> dict:
    whole = {c.category: c for c in incident.casualties if not c.subgroup}
    region = profile.region(incident.region)
    row = {name: getattr(incident, name) for name, _ in INCIDENT_COLUMNS if hasattr(incident, name)}
    row.update(
        region_name=region.name if region else incident.region,
        killed=sum(c.killed for c in whole.values()),
        injured=sum(c.injured for c in whole.values()),
        killed_low=_bound(whole.values(), "killed_low"),
        killed_high=_bound(whole.values(), "killed_high"),
    )
    for key in categories:
        c = whole.get(key)
        row[f"{key}_killed"], row[f"{key}_injured"] = (c.killed, c.injured) if c else (0, 0)
        if key in ranged:
            row[f"{key}_killed_low"] = c.killed_low if c else None
            row[f"{key}_killed_high"] = c.killed_high if c else None
    injured = "injured" in profile.measures
    row["subgroups"] = ";".join(
        f"{c.category}/{c.subgroup}={c.killed}" + (f"/{c.injured}" if injured else "")
        for c in incident.casualties if c.subgroup
    )
    row["revisions"] = [{k: getattr(r, k) for k in REVISION_FIELDS} for r in revisions]
    row["extra"] = incident.extra
    return row


def _bound(casualties, name: str) -> int | None:
    """The incident's low or high total, rows without a range counted at their figure; None without any range."""
    casualties = list(casualties)
    if all(getattr(c, name) is None for c in casualties):
        return None
    return sum(c.killed if getattr(c, name) is None else getattr(c, name) for c in casualties)


# -- summaries ---------------------------------------------------------------


SUMMARY_COLUMNS = (
    ("period", "text"), ("as_of", "text"), ("level", "text"), ("region", "text"), ("region_name", "text"),
    ("category", "text"), ("subgroup", "text"), ("killed", "int"), ("injured", "int"), ("killed_low", "int"),
    ("killed_high", "int"), ("operations", "int"), ("incidents", "int"),
)


def summary_table(summary: Summary, profile: Profile | None = None) -> Table:
    """One row per figure of the Summary: the total, each group and its subgroups, each region and its
    categories; with ``profile``, only the columns of what its source records."""
    base = {"period": summary.scope.key, "as_of": summary.scope.as_of.isoformat() if summary.scope.as_of else None}
    rows = [{**base, "level": "total", "killed": summary.total_killed, "injured": summary.total_injured,
             "operations": summary.operations, "incidents": summary.incidents}]
    for g in summary.groups:
        rows.append({**base, "level": "group", **_count(g), "operations": g.operations})
        rows += [{**base, "level": "group-subgroup", "category": g.category, "subgroup": s, "killed": n}
                 for s, n in g.subgroups.items()]
    for r in summary.regions:
        place = {"region": r.region, "region_name": r.name}
        rows.append({**base, "level": "region", **place, "killed": r.killed, "injured": r.injured, "operations": r.operations})
        for c in r.categories:
            rows.append({**base, "level": "region-category", **place, **_count(c)})
            rows += [{**base, "level": "region-subgroup", **place, "category": c.category, "subgroup": s, "killed": n}
                     for s, n in c.subgroups.items()]
    names = [name for name, _ in SUMMARY_COLUMNS]
    return measured(Table(SUMMARY_COLUMNS, [{name: row.get(name) for name in names} for row in rows]), profile)


def _count(c: CategoryCount) -> dict[str, Any]:
    bounds = c.killed_range
    return {"category": c.category, "killed": c.killed, "injured": c.injured,
            "killed_low": bounds.low if bounds else None, "killed_high": bounds.high if bounds else None}


# -- formats -----------------------------------------------------------------


def neutralised(text: str) -> str:
    """A text cell that a spreadsheet will show, never run: ``=SUM(A1)`` becomes ``'=SUM(A1)``."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_cell(value: object, kind: str) -> object:
    if value is None:
        return ""
    if kind in ("json", "revisions", "range_revisions"):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        return neutralised(value)
    return value


def to_csv(table: Table) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.names)
    for row in table.rows:
        writer.writerow([_csv_cell(row.get(name), kind) for name, kind in table.columns])
    return out.getvalue().encode("utf-8")


def to_json(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")


def _arrow_type(kind: str):
    import pyarrow as pa

    revision = pa.struct([
        ("recorded_at", pa.string()), ("category", pa.string()), ("subgroup", pa.string()),
        ("killed_old", pa.int64()), ("killed_new", pa.int64()), ("injured_old", pa.int64()),
        ("injured_new", pa.int64()), ("reason", pa.string()), ("correction", pa.bool_()), ("recorded_by", pa.string()),
    ])
    range_revision = pa.struct([
        ("category", pa.string()), ("subgroup", pa.string()), ("low_old", pa.int64()), ("high_old", pa.int64()),
        ("low_new", pa.int64()), ("high_new", pa.int64()), ("reason", pa.string()), ("recorded_at", pa.string()),
    ])
    return {"text": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
            "json": pa.string(), "revisions": pa.list_(revision), "range_revisions": pa.list_(range_revision)}[kind]


def to_parquet(table: Table) -> bytes:
    """The table as Parquet; ``json`` columns (free-form mappings) are stored as JSON text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, _arrow_type(kind)) for name, kind in table.columns])
    json_columns = [name for name, kind in table.columns if kind == "json"]
    rows = [{**row, **{c: json.dumps(row.get(c), ensure_ascii=False, sort_keys=True) for c in json_columns}}
            for row in table.rows]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink)
    return sink.getvalue().to_pybytes()


def export_incidents(store: Store, profile: Profile, fmt: str, scope: Scope | None = None) -> bytes:
    table = incidents_table(store, profile, scope)
    if fmt == "json":
        return to_json(table.rows)
    return to_parquet(table) if fmt == "parquet" else to_csv(table)


def export_summary(summary: Summary, fmt: str, profile: Profile | None = None) -> bytes:
    """The Summary as JSON (itself), or as CSV or Parquet rows with ``profile``'s measures only."""
    if fmt == "json":
        return to_json(summary.to_dict())
    table = summary_table(summary, profile)
    return to_parquet(table) if fmt == "parquet" else to_csv(table)


def write_atomic(path: Path, data: bytes) -> None:
    """Write an export (or rejected rows) to ``path`` through the one writer, ``files.write_file``."""
    write_file(path, data)
