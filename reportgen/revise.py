"""Toll revisions: validated, appended, never overwriting history.

A rise in a toll (a wounded person died) is a toll update. A decrease is a
correction and must be marked as one.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import ReportgenError, shown
from .ingest import fields
from .ingest.fields import Where
from .profile import Profile
from .records import Revision
from .store import Store

CHANGE = re.compile(r"([a-z0-9-]+)(?:/([a-z0-9-]+))?=(.*)")


@dataclass(frozen=True)
class Change:
    category: str
    subgroup: str
    killed: int | None = None
    injured: int | None = None


def parse_changes(killed: list[str], injured: list[str], where: Where | None = None) -> list[Change]:
    """``["combatants=5", "combatants/national-defence=5"]`` (and injured) as changes."""
    where = where or Where("command line", None)
    found: dict[tuple[str, str], dict] = {}
    for option, entries in (("killed", killed), ("injured", injured)):
        for entry in entries:
            m = CHANGE.fullmatch(entry.strip())
            if not m:
                raise where.error(f"--{option}", f"expected CATEGORY[/SUBGROUP]=N, got {shown(entry)}")
            value = fields.count(where, f"--{option} {m[1]}", m[3], blank_is_zero=False)
            slot = found.setdefault((m[1], m[2] or ""), {})
            if option in slot:
                raise where.error(f"--{option}", f"{m[1]}{'/' + m[2] if m[2] else ''} given twice")
            slot[option] = value
    return [Change(cat, sub, **values) for (cat, sub), values in found.items()]


def plan_revisions(
    store: Store,
    profile: Profile,
    incident_id: str,
    changes: list[Change],
    reason: str,
    recorded_at: str | None = None,
    correction: bool = False,
    recorded_by: str = "",
) -> list[Revision]:
    """The revisions that ``changes`` make, checked; nothing is written."""
    incident = store.incident(incident_id)
    if incident is None:
        raise ReportgenError(f"incident {incident_id!r}: no such incident in {store.path}")
    where = Where("command line", None)
    reason = fields.text(where, "--reason", reason, required=True)
    recorded_at = recorded_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    recorded_at = fields.iso_date(where, "--recorded", recorded_at, allow_time=True)
    if recorded_at[:10] < incident.date:
        raise where.error("--recorded", f"expected a date on or after the incident's date {incident.date}")
    if not changes:
        raise where.error("--killed", "expected at least one --killed or --injured change")
    current = {(c.category, c.subgroup): (c.killed, c.injured) for c in incident.casualties}
    after = dict(current)
    revisions = []
    for change in changes:
        category = profile.category(change.category)
        if category is None:
            raise where.error("--killed", f"unknown category {change.category!r}; expected one of {', '.join(profile.category_keys)}")
        if change.subgroup and category.subgroup(change.subgroup) is None:
            known = ", ".join(s.key for s in category.subgroups) or "none"
            raise where.error("--killed", f"unknown subgroup {change.category}/{change.subgroup}; expected one of {known}")
        key = (change.category, change.subgroup)
        old = current.get(key, (0, 0))
        new = (old[0] if change.killed is None else change.killed, old[1] if change.injured is None else change.injured)
        if new == old:
            continue
        _refuse_silent_decrease(where, key, old, new, correction)
        after[key] = new
        revisions.append(Revision(incident_id, *key, old[0], new[0], old[1], new[1], reason,
                                  recorded_at, correction, recorded_by))
    if not revisions:
        raise where.error("--killed", "the figures given are the ones already recorded; nothing changes")
    _check_subgroups(where, after)
    return revisions


def _refuse_silent_decrease(where: Where, key: tuple[str, str], old: tuple[int, int], new: tuple[int, int], correction: bool) -> None:
    """Fewer killed, or fewer injured than the rise in killed explains, is a correction."""
    if correction:
        return
    if new[0] < old[0]:
        raise where.error("--killed", f"{_label(key)} would fall from {old[0]} to {new[0]} killed:"
                          " a decrease is a correction; pass --correction")
    if old[1] - new[1] > new[0] - old[0]:
        raise where.error("--injured", f"{_label(key)} would fall from {old[1]} to {new[1]} injured,"
                          f" more than the {new[0] - old[0]} who died of wounds: pass --correction")


def _label(key: tuple[str, str]) -> str:
    return f"{key[0]}/{key[1]}" if key[1] else key[0]


def _check_subgroups(where: Where, after: dict[tuple[str, str], tuple[int, int]]) -> None:
    for (cat, sub), (killed, injured) in after.items():
        if not sub:
            continue
        whole = after.get((cat, ""), (0, 0))
        if killed > whole[0] or injured > whole[1]:
            raise where.error(
                "--killed" if killed > whole[0] else "--injured",
                f"{cat}/{sub} ({killed} killed, {injured} injured) would be more than all"
                f" {cat} ({whole[0]} killed, {whole[1]} injured)",
            )


def revise(store: Store, profile: Profile, incident_id: str, changes: list[Change], reason: str, **options) -> list[Revision]:
    """Check and append the revisions in one transaction; return them."""
    revisions = plan_revisions(store, profile, incident_id, changes, reason, **options)
    store.add_revisions(revisions)
    return revisions


def apply_revision_file(store: Store, profile: Profile, path: Path) -> int:
    """Apply a revisions CSV (incident_id, killed, injured, reason, recorded[, correction]).

    ``killed`` and ``injured`` hold ``category[/subgroup]=N`` entries separated by ``;``.
    """
    text = fields.decode(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    planned = []
    for row in reader:
        where = Where(str(path), reader.line_num)
        changes = parse_changes(
            [e for e in (row.get("killed") or "").split(";") if e.strip()],
            [e for e in (row.get("injured") or "").split(";") if e.strip()],
            where,
        )
        try:
            planned += plan_revisions(
                store, profile, row["incident_id"], changes, row.get("reason", ""),
                row.get("recorded") or None, (row.get("correction") or "").lower() in ("1", "yes", "true"),
            )
        except ReportgenError as exc:
            raise where.error(None, str(exc)) from None
    store.add_revisions(planned)
    return len(planned)
