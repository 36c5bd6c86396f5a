"""An incident post turned into a new incident or a revision of a stored one.

A toll update ("has risen to five ... affected by his wounds") is matched to a
stored incident by a date window, the place and the kind of attack; the new
figures become revisions through ``reportgen.revise``, so the same checks
apply as on the command line (no silent decrease, subgroups within their
category). A post that matches no stored incident becomes a new one, if it
says enough (a day, a region, a perpetrator, a kind). Nothing is written until
``apply_plan`` runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..errors import ReportgenError
from ..ingest.canonical import build_incident
from ..ingest.fields import Where
from ..periods import parse_date
from ..profile import Profile
from ..records import Incident, Revision
from ..revise import TollChange, plan_revisions
from ..store import Store
from .result import IncidentReading, Reading

WINDOW_DAYS = 30
_PLACE_NOISE = re.compile(r"\b(?:al|el|village|town|city|area|desert|the)\b|[^a-z0-9 ]")


@dataclass
class Plan:
    """What importing a post would do: add an incident, revise one, or nothing."""

    source: str
    action: str  # "add", "revise" or "nothing"
    incident_id: str = ""
    incident: Incident | None = None
    revisions: list[Revision] = field(default_factory=list)
    changes: list[TollChange] = field(default_factory=list)
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def place_key(text: str) -> str:
    """A place name compared loosely: "Al-Shajiry Village" and "al shajiry" are one place."""
    return " ".join(_PLACE_NOISE.sub(" ", text.casefold().replace("-", " ")).split())


def _window(reading: Reading, day: date | None, window: int) -> tuple[date, date]:
    stated = reading.incident.value("incident.date") if reading.incident else None
    if day is not None:
        return day - timedelta(days=window), day
    if stated:
        start = parse_date(stated)
        return start - timedelta(days=window), start + timedelta(days=window)
    if reading.tally and reading.tally.year:
        return date(reading.tally.year, 1, 1), date(reading.tally.year, 12, 31)
    raise ReportgenError(f"{reading.source}: the post gives no date or year; pass --date YYYY-MM-DD")


def candidates(store: Store, reading: Reading, day: date | None, window: int = WINDOW_DAYS) -> list[str]:
    """Stored incidents in the date window at the post's place (and of its kind, if it names one)."""
    incident = reading.incident
    place = incident.value("incident.place") if incident else None
    if incident is None or not place:
        return []
    kind = incident.value("incident.kind")
    start, end = _window(reading, day, window)
    wanted = place_key(place)
    found = []
    for row in store.casualty_rows(start, end):
        if row.incident in found or (kind and row.kind != kind):
            continue
        stored = place_key(row.location)
        if stored and (stored == wanted or stored in wanted or wanted in stored):
            found.append(row.incident)
    return found


def _incident(reading: Reading) -> IncidentReading:
    """What the post says of its incident (a post read as an incident report has it)."""
    if reading.incident is None:
        raise ReportgenError(f"{reading.source}: the post describes no incident")
    return reading.incident


def _targets(reading: Reading) -> dict[tuple[str, str], int]:
    incident = _incident(reading)
    targets: dict[tuple[str, str], int] = {}
    for v in incident.victims:
        if v.killed is not None:
            targets[(v.category, v.subgroup)] = targets.get((v.category, v.subgroup), 0) + v.killed
    if not targets and incident.value("incident.category") and incident.value("incident.killed") is not None:
        key = (incident.value("incident.category"), incident.value("incident.subgroup") or "")
        targets[key] = incident.value("incident.killed")
    return targets


def revision_changes(stored: Incident, reading: Reading) -> tuple[list[TollChange], list[str]]:
    """The changes that bring ``stored`` to the post's figures; notes on what was left alone."""
    current = {(c.category, c.subgroup): (c.killed, c.injured) for c in stored.casualties}
    targets = _targets(reading)
    died_of_wounds = _incident(reading).value("incident.cause") == "died of wounds"
    notes, changes = [], []
    for category in dict.fromkeys(cat for cat, _ in targets):
        deltas = {}
        for (cat, sub), killed in targets.items():
            if cat == category and sub:
                deltas[sub] = killed - current.get((cat, sub), (0, 0))[0]
        whole_old = current.get((category, ""), (0, 0))
        whole_new = targets.get((category, ""), whole_old[0] + sum(deltas.values()))
        rise = whole_new - whole_old[0]
        if rise < 0:
            notes.append(f"{category}: the post's toll ({whole_new}) is below the stored one ({whole_old[0]}); left alone")
            continue
        if rise == 0:
            notes.append(f"{category}: already {whole_old[0]} killed in the database; nothing to change")
            continue
        injured = max(whole_old[1] - rise, 0) if died_of_wounds and whole_old[1] >= rise else None
        changes.append(TollChange(category, "", killed=whole_new, injured=injured))
        for sub, delta in deltas.items():
            old = current.get((category, sub), (0, 0))
            if delta > 0:
                sub_injured = max(old[1] - delta, 0) if died_of_wounds and old[1] >= delta else None
                changes.append(TollChange(category, sub, killed=old[0] + delta, injured=sub_injured))
    return changes, notes


def plan_from_text(store: Store, profile: Profile, reading: Reading, day: date | None = None,
                   window: int = WINDOW_DAYS, recorded_at: str | None = None) -> Plan:
    """What importing ``reading`` would do; nothing is written."""
    if reading.incident is None:
        raise ReportgenError(f"{reading.source}: no incident found in the post (see `reportgen parse`)")
    if not _targets(reading):
        raise ReportgenError(f"{reading.source}: the post names no victims with a count")
    found = candidates(store, reading, day, window)
    if len(found) > 1:
        raise ReportgenError(f"{reading.source}: the post matches {len(found)} stored incidents"
                             f" ({', '.join(found[:10])}); narrow it with --date")
    if found:
        return _revision_plan(store, profile, reading, found[0], recorded_at)
    return _new_plan(store, profile, reading, day)


def _revision_plan(store: Store, profile: Profile, reading: Reading, ident: str, recorded_at: str | None) -> Plan:
    stored = store.incident(ident)
    assert stored is not None, ident  # a candidate: found stored
    reason = _incident(reading).value("incident.cause") or "toll update"
    changes, notes = revision_changes(stored, reading)
    plan = Plan(reading.source, "nothing", ident, reason=reason, notes=notes, changes=changes)
    if changes:
        plan.revisions = plan_revisions(store, profile, ident, changes, reason, recorded_at)
        plan.action = "revise"
    return plan


def _new_plan(store: Store, profile: Profile, reading: Reading, day: date | None) -> Plan:
    incident = _incident(reading)
    stated = incident.value("incident.date")
    when = day.isoformat() if day else stated
    missing = [name for name, value in (("a date (pass --date)", when), ("a region", incident.value("incident.region")),
                                        ("a perpetrator", incident.value("incident.perpetrator")),
                                        ("a kind of attack", incident.value("incident.kind"))) if not value]
    if missing:
        raise ReportgenError(f"{reading.source}: no stored incident matches, and the post lacks {', '.join(missing)}"
                             " to record a new one")
    place = incident.value("incident.place") or ""
    ident = _new_id(store, when, place or incident.value("incident.region"))
    where = Where(reading.source, None)
    record = {
        "id": ident, "date": when, "region": incident.value("incident.region"),
        "province": incident.value("incident.province") or "", "district": incident.value("incident.district") or "",
        "location": place, "perpetrator": incident.value("incident.perpetrator"), "kind": incident.value("incident.kind"),
        "sources": reading.source, "recorded": when,
    }
    new = build_incident(where, record, _casualties(reading), profile)
    return Plan(reading.source, "add", ident, incident=new, reason="new incident")


def _casualties(reading: Reading) -> dict:
    """The post's victims as ``build_incident`` takes them; injured only where the post is unambiguous."""
    targets = _targets(reading)
    categories = list(dict.fromkeys(cat for cat, _ in targets))
    injured = (_incident(reading).value("incident.injured") or 0) if len(categories) == 1 else 0
    casualties = {}
    for cat in categories:
        subs = {sub: killed for (c, sub), killed in targets.items() if c == cat and sub}
        whole = targets.get((cat, ""), sum(subs.values()))
        sub_injured = injured if len(subs) == 1 else 0
        casualties[cat] = (whole, injured, {sub: (killed, sub_injured) for sub, killed in subs.items()})
    return casualties


def _new_id(store: Store, when: str, place: str) -> str:
    base = f"{when}-{re.sub(r'[^a-z0-9]+', '-', place.casefold()).strip('-')[:40] or 'incident'}"
    ident, n = base, 2
    while store.incident(ident) is not None:
        ident, n = f"{base}-{n}", n + 1
    return ident


def apply_plan(store: Store, plan: Plan, profile: Profile | None = None) -> int:
    """Write what the plan says (in one transaction); return how many records were written.
    ``profile``: the profile the post was read with, checked against the database's or recorded."""
    if plan.action == "revise":
        store.add_revisions(plan.revisions, profile)
        return len(plan.revisions)
    if plan.action == "add":
        assert plan.incident is not None, plan.incident_id  # a plan to add has its incident
        return store.add_incidents([plan.incident], profile=profile)
    return 0
