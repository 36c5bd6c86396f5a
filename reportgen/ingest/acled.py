"""ACLED exports as published: one event per row, read by column name.

Two layouts are accepted: the current one (since 2023, with ``disorder_type``,
``civilian_targeting`` and ``tags``) and the older one (with ``data_id``,
``event_id_no_cnty`` and ``iso3``). ``inter1``, ``inter2`` and ``interaction``
are numeric codes in older exports and text labels in current ones; both are
read, and rules match the labels ("State forces", "Civilians").

ACLED gives one fatality number per event. The profile's ``[mapping.acled]``
rules decide the victim category from the actors, their types, civilian
targeting and the event type; when no rule decides, the fatalities go to the
mapping's explicit unattributed category. ``event_id_cnty`` is the incident id
and ``timestamp`` (when ACLED last changed the row) the recorded time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..errors import shown
from ..profile import DatasetMapping, Profile
from ..records import Casualty, Incident
from . import events, fields
from .events import Outcome
from .fields import Where

COMMON = (
    "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "notes", "fatalities", "timestamp",
)
CURRENT = (*COMMON, "disorder_type", "civilian_targeting")
# Columns that tell an ACLED export from reportgen's own CSV (both layouts have them).
MARKERS = ("event_id_cnty", "event_type", "fatalities", "admin1")
OLDER_MARKERS = ("data_id", "event_id_no_cnty", "iso3")
OPTIONAL = ("year", "iso", "region", "source_scale", "tags", *OLDER_MARKERS)
KNOWN = set(CURRENT) | set(OPTIONAL)
# Kept with the incident (the ``extra`` column), besides what the incident's own fields hold.
KEPT = (
    "event_type", "sub_event_type", "disorder_type", "actor1", "assoc_actor_1", "inter1", "actor2",
    "assoc_actor_2", "inter2", "interaction", "civilian_targeting", "admin3", "country", "iso",
    "source_scale", "tags", *OLDER_MARKERS,
)

# ACLED's actor types: the code is the position; current exports write the label.
INTER_LABELS = (
    "", "State forces", "Rebel group", "Political militia", "Identity militia",
    "Rioters", "Protesters", "Civilians", "External/Other forces",
)
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
WRITTEN_DATE = re.compile(r"([0-9]{1,2})[ -]([A-Za-z]+)[ -]([0-9]{4})")
EPOCH = re.compile(r"[0-9]{1,12}")

def read_acled(path: Path, profile: Profile, outcome: Outcome | None = None) -> list[Incident]:
    """Every event of an ACLED export as an incident of ``profile``."""
    outcome = outcome or Outcome()
    mapping = events.mapping_for(profile, "acled", path, KNOWN)
    header, rows = events.csv_table(path, fields.decode(path))
    older = "disorder_type" not in header and any(m in header for m in OLDER_MARKERS)
    if older:
        events.check_header(path, header, COMMON, "older (pre-2023) ACLED")
    else:
        events.check_header(path, header, CURRENT, "current ACLED")
    return events.incidents_from_rows(
        path, header, rows, outcome, "event_id_cnty", lambda where, row: _incident(where, row, profile, mapping)
    )


def _incident(where: Where, raw: dict[str, str], profile: Profile, mapping: DatasetMapping) -> Incident:
    row = events.cleaned(where, raw)
    record = {**row, **_actor_types(where, row)}
    record.setdefault("civilian_targeting", "")
    day = event_date(where, row["event_date"])
    fatalities = fields.count(where, "fatalities", raw["fatalities"], blank_is_zero=False)
    rule, category, subgroup = events.first_rule(mapping, mapping.victims, record)
    region, province, district, location = events.place(where, profile, mapping, row)
    casualties = [Casualty(category, "", fatalities, 0)]
    if subgroup and fatalities:
        casualties.append(Casualty(category, subgroup, fatalities, 0))
    extra: dict[str, Any] = {k: record[k] for k in KEPT if k in record}
    extra.update(
        dataset="acled",
        time_precision=_precision(where, raw, "time_precision"),
        geo_precision=_precision(where, raw, "geo_precision"),
        latitude=events.coordinate(where, row, "latitude", 90),
        longitude=events.coordinate(where, row, "longitude", 180),
        fatalities=fatalities,
        timestamp=row["timestamp"],
        victim_rule=rule,
    )
    return Incident(
        id=events.incident_id(where, row, "event_id_cnty", mapping.id_prefix),
        date=day,
        region=region,
        province=province,
        district=district,
        location=location,
        perpetrator=events.perpetrator(where, mapping, record, "actor1"),
        kind=events.kind(where, mapping, record, "sub_event_type"),
        summary=row["notes"],
        sources=row["source"],
        recorded_at=_timestamp(where, row["timestamp"], day),
        casualties=tuple(casualties),
        extra=extra,
        line=where.line or 0,
    )


def _actor_types(where: Where, row: dict[str, str]) -> dict[str, str]:
    return {
        "inter1": inter(where, "inter1", row["inter1"]),
        "inter2": inter(where, "inter2", row["inter2"]),
        "interaction": interaction(where, row["interaction"]),
    }


def inter(where: Where, field: str, value: str) -> str:
    """An actor type as its label: ``"7"`` and ``"Civilians"`` are both "Civilians"; ``"0"`` is none."""
    value = " ".join(value.split())
    if re.fullmatch(r"[0-8]", value):
        return INTER_LABELS[int(value)]
    for label in INTER_LABELS:
        if value.casefold() == label.casefold():
            return label
    raise where.error(field, f"expected an ACLED actor type (code 0-8 or a label such as 'State forces'), got {shown(value)}")


def interaction(where: Where, value: str) -> str:
    """``"17"`` becomes "State forces-Civilians" and ``"10"`` "State forces"; text is kept as written."""
    value = " ".join(value.split())
    if re.fullmatch(r"[0-8]{1,2}", value):
        return "-".join(INTER_LABELS[int(c)] for c in value if c != "0")
    if "\n" in value or len(value) > 100:
        raise where.error("interaction", f"expected an interaction code or label, got {shown(value)}")
    return value


def event_date(where: Where, value: str) -> str:
    """``2022-05-23``, or ``23 May 2022`` as older exports write it."""
    m = WRITTEN_DATE.fullmatch(value.strip())
    if m and m[2].casefold() in MONTHS:
        value = f"{m[3]}-{MONTHS.index(m[2].casefold()) + 1:02d}-{int(m[1]):02d}"
    elif m and len(m[2]) == 3 and any(name.startswith(m[2].casefold()) for name in MONTHS):
        month = next(n for n, name in enumerate(MONTHS, 1) if name.startswith(m[2].casefold()))
        value = f"{m[3]}-{month:02d}-{int(m[1]):02d}"
    return fields.iso_date(where, "event_date", value, latest=date.today())


def _timestamp(where: Where, value: str, day: str) -> str:
    """When ACLED last changed the row: Unix seconds (or an ISO time), not before the event's day."""
    if EPOCH.fullmatch(value):
        try:
            recorded = datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%dT%H:%M:%S")
        except (OverflowError, OSError, ValueError):
            raise where.error("timestamp", f"expected Unix seconds, got {shown(value)}") from None
    else:
        recorded = fields.iso_date(where, "timestamp", value, allow_time=True)
    if recorded[:10] < day:
        raise where.error("timestamp", f"expected a time on or after the event's date {day}, got {recorded}")
    return recorded


def _precision(where: Where, row: dict[str, str], column: str) -> int:
    value = row[column]
    if value not in ("1", "2", "3"):
        raise where.error(column, f"expected 1, 2 or 3, got {shown(value)}")
    return int(value)


DATASET = events.Dataset("acled", read_acled, "event_id_cnty", "timestamp")
