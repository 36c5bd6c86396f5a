"""UCDP Georeferenced Event Dataset (GED) files: one event per row, read by column name.

Deaths come split by side: ``deaths_a`` and ``deaths_b`` go to the categories
the profile's side rules give ``side_a`` and ``side_b``, ``deaths_civilians``
and ``deaths_unknown`` to the mapping's civilian and unattributed categories.
``best`` (their sum) is the count; ``low`` and ``high`` are kept as its range.
UCDP gives the range for the event only, so it goes to the event's one
category when only one has deaths, else to the unattributed category (a low
figure below what that category holds is taken from the others in turn): the
categories' ranges then add up to the event's. Older GED releases have fewer
columns in another order; only the ones used here are required.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import shown
from ..profile import DatasetMapping, Profile
from ..records import Casualty, Incident
from . import events, fields
from .events import Outcome
from .fields import Where

REQUIRED = (
    "id", "type_of_violence", "side_a", "side_b", "adm_1", "date_start", "date_end", "date_prec",
    "where_prec", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "low", "high",
)
OPTIONAL = (
    "relid", "year", "active_year", "code_status", "conflict_dset_id", "conflict_new_id", "conflict_name",
    "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id", "side_a_new_id", "side_b_dset_id",
    "side_b_new_id", "number_of_sources", "source_article", "source_office", "source_date",
    "source_headline", "source_original", "where_coordinates", "where_description", "adm_2", "latitude",
    "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region", "event_clarity",
    "gwnoa", "gwnob",
)
# Columns that tell a GED file from reportgen's own CSV (older releases have them too).
MARKERS = ("best", "low", "high", "side_a", "deaths_civilians")
KNOWN = {*REQUIRED, *OPTIONAL, "side"}  # side rules match "side": the name of side_a or side_b
KEPT = (
    "relid", "year", "type_of_violence", "conflict_name", "dyad_name", "side_a", "side_b",
    "where_description", "date_end", "event_clarity", "country",
    "number_of_sources", "source_article", "source_office", "source_date", "priogrid_gid",
)
DEATHS = ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")
DAY_AND_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?")


def read_ucdp(path: Path, profile: Profile, outcome: Outcome | None = None) -> list[Incident]:
    """Every event of a UCDP GED file as an incident of ``profile``."""
    outcome = outcome or Outcome()
    mapping = events.mapping_for(profile, "ucdp", path, KNOWN)
    header, rows = events.csv_table(path, fields.decode(path))
    events.check_header(path, header, REQUIRED, "UCDP GED")
    return events.incidents_from_rows(
        path, header, rows, outcome, "id", lambda where, row: _incident(where, row, profile, mapping, outcome)
    )


def _incident(where: Where, raw: dict[str, str], profile: Profile, mapping: DatasetMapping, outcome: Outcome) -> Incident:
    row = events.cleaned(where, raw)
    start, end = day(where, row, "date_start"), day(where, row, "date_end")
    if end < start:
        raise where.error("date_end", f"expected a date on or after date_start {start}, got {end}")
    deaths = {c: fields.count(where, c, raw[c], blank_is_zero=False) for c in DEATHS}
    best, low, high = (fields.count(where, c, raw[c], blank_is_zero=False) for c in ("best", "low", "high"))
    if best != sum(deaths.values()):
        raise where.error("best", f"expected the sum of {', '.join(DEATHS)} ({sum(deaths.values())}), got {best}")
    if not low <= best <= high:
        outcome.warn(where, None, f"{range_fault(low, best, high)} (low <= best <= high expected); kept as published")
    region, province, district, location = events.place(where, profile, mapping, row)
    extra: dict[str, Any] = {k: row[k] for k in KEPT if k in row}
    extra.update(
        dataset="ucdp",
        date_prec=_precision(where, raw, "date_prec"),
        where_prec=_precision(where, raw, "where_prec"),
        latitude=events.coordinate(where, row, "latitude", 90),
        longitude=events.coordinate(where, row, "longitude", 180),
        best=best, low=low, high=high, **deaths,
    )
    return Incident(
        id=events.incident_id(where, row, "id", mapping.id_prefix),
        date=start,
        region=region,
        province=province,
        district=district,
        location=location,
        perpetrator=events.perpetrator(where, mapping, row, "side_a"),
        kind=events.kind(where, mapping, row, "type_of_violence"),
        summary=row.get("source_headline", ""),
        sources=row.get("source_original", ""),
        recorded_at=end,
        casualties=tuple(casualties(row, mapping, deaths, low, high)),
        extra=extra,
        line=where.line or 0,
    )


def range_fault(low: int, best: int, high: int) -> str:
    """Which of an event's figures are out of order: "low 12 is above best 10"."""
    figures = (("low", low), ("best", best), ("high", high))
    faults = [f"{a} {x} is above {b} {y}" for n, (a, x) in enumerate(figures) for b, y in figures[n + 1:] if x > y]
    return "; ".join(faults)


def casualties(row: dict[str, str], mapping: DatasetMapping, deaths: dict[str, int], low: int, high: int) -> list[Casualty]:
    """One row per category (and per subgroup a side rule names), the event's range spread over them."""
    best: dict[str, int] = {}
    parts: dict[tuple[str, str], int] = {}
    for column, side in (("deaths_a", "side_a"), ("deaths_b", "side_b")):
        _, category, subgroup = events.first_rule(mapping, mapping.sides, {**row, "side": row[side]})
        best[category] = best.get(category, 0) + deaths[column]
        if subgroup and deaths[column]:
            parts[(category, subgroup)] = parts.get((category, subgroup), 0) + deaths[column]
    for category, column in ((mapping.civilians, "deaths_civilians"), (mapping.unattributed, "deaths_unknown")):
        best[category] = best.get(category, 0) + deaths[column]
    with_deaths = [c for c, n in best.items() if n]
    carrier = with_deaths[0] if len(with_deaths) == 1 else mapping.unattributed
    lows, highs = spread(best, carrier, low), spread(best, carrier, high)
    found = [Casualty(c, "", n, 0, lows[c], highs[c]) for c, n in best.items() if n or lows[c] or highs[c]]
    return found + [Casualty(c, s, n, 0) for (c, s), n in parts.items()]


def spread(best: dict[str, int], carrier: str, total: int) -> dict[str, int]:
    """Per-category figures that add up to ``total``: the carrier takes the difference from
    the best figures; what it cannot give up below zero comes from the others in turn."""
    out = dict(best)
    out[carrier] = out.get(carrier, 0) + total - sum(best.values())
    owed = max(0, -out[carrier])
    out[carrier] = max(0, out[carrier])
    for key in out:
        take = min(out[key], owed)
        out[key] -= take
        owed -= take
    return out


def day(where: Where, row: dict[str, str], column: str) -> str:
    """``2022-01-01`` or ``2022-01-01 00:00:00.000``: the day."""
    m = DAY_AND_TIME.fullmatch(row[column])
    if not m:
        raise where.error(column, f"expected a date YYYY-MM-DD (with or without a time), got {shown(row[column])}")
    return fields.iso_date(where, column, m[1], latest=date.today())


def _precision(where: Where, row: dict[str, str], column: str) -> int:
    value = row[column]
    if not re.fullmatch(r"[1-7]", value):
        raise where.error(column, f"expected a precision code 1-7, got {shown(value)}")
    return int(value)


DATASET = events.Dataset("ucdp", read_ucdp, "id", None)
