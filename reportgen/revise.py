"""Toll revisions: validated, appended, never overwriting history.

A rise in a toll (a wounded person died) is a toll update. A decrease is a
correction and must be marked as one. Every refusal happens before anything
is written; the revisions of one command land in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ReportgenError, shown
from .ingest import fields
from .ingest.fields import Where
from .profile import Profile
from .records import Casualty, Incident, Revision
from .store import Store

CHANGE = re.compile(r"([a-z0-9-]+)(?:/([a-z0-9-]+))?=(.*)")
FILE_COLUMNS = ("incident_id", "killed", "injured", "reason", "recorded", "correction")
COMMAND_LINE = "command line"

Key = tuple[str, str]  # (category, subgroup); subgroup "" for the whole category
Figures = tuple[int, int]  # (killed, injured)


@dataclass(frozen=True)
class TollChange:
    category: str
    subgroup: str
    killed: int | None = None
    injured: int | None = None
    option: str = "killed"  # the option that named it first, for messages


def parse_changes(killed: list[str], injured: list[str], where: Where | None = None) -> list[TollChange]:
    """``["combatants=5", "combatants/national-defence=5"]`` (and injured) as changes."""
    where = where or Where(COMMAND_LINE, None)
    dash = _dash(where)
    found: dict[Key, dict] = {}
    for option, entries in (("killed", killed), ("injured", injured)):
        for entry in entries:
            m = CHANGE.fullmatch(entry.strip())
            if not m:
                raise where.error(f"{dash}{option}", f"expected CATEGORY[/SUBGROUP]=N, got {shown(entry)}")
            label = _label((m[1], m[2] or ""))
            value = fields.count(where, f"{dash}{option} {label}", m[3].strip(), blank_is_zero=False)
            slot = found.setdefault((m[1], m[2] or ""), {"option": option})
            if option in slot:
                raise where.error(f"{dash}{option}", f"{label} given twice")
            slot[option] = value
    return [TollChange(cat, sub, **values) for (cat, sub), values in found.items()]


def plan_revisions(
    store: Store,
    profile: Profile,
    incident_id: str,
    changes: list[TollChange],
    reason: str,
    recorded_at: str | None = None,
    correction: bool = False,
    recorded_by: str | None = "",
    where: Where | None = None,
    earlier: Sequence[Revision] = (),
    zone: str | None = None,
) -> list[Revision]:
    """The revisions that ``changes`` make, checked; nothing is written.

    ``earlier`` holds revisions planned but not yet written (the rows above in
    a revisions file): they count as the incident's current state.
    A subgroup that made up the whole of its category (all its killed and all
    its injured) follows a change of the category unless a figure is given for it.
    """
    where = where or Where(COMMAND_LINE, None)
    dash = _dash(where)
    incident = store.incident(incident_id)
    if incident is None:
        raise _no_such_incident(where, store, incident_id)
    reason = fields.text(where, f"{dash}reason", reason, required=True)
    recorded_by = fields.text(where, "recorded_by", recorded_by or "")
    recorded_at = _recorded_at(where, dash, recorded_at, incident, [*store.revisions_of(incident_id), *earlier], zone)
    if not changes:
        raise where.error(f"{dash}killed", f"expected at least one {dash}killed or {dash}injured change")
    before = _current(incident, earlier)
    wanted = _wanted(where, dash, profile, changes, before)
    after = {**before, **wanted}
    revisions = []
    for key, new in wanted.items():
        old = before.get(key, (0, 0))
        if new == old:
            continue
        _refuse_silent_decrease(where, dash, key, old, new, correction)
        revisions.append(Revision(incident_id, *key, old[0], new[0], old[1], new[1], reason,
                                  recorded_at, correction, recorded_by))
    if not revisions:
        raise where.error(f"{dash}killed", "the figures given are the ones already recorded; nothing changes")
    _check_subgroups(where, dash, after)
    return revisions


def _no_such_incident(where: Where, store: Store, incident_id: str) -> ReportgenError:
    if where.file == COMMAND_LINE:
        return ReportgenError(f"incident {incident_id!r}: no such incident in {store.path}")
    return where.error("incident_id", f"no such incident {shown(incident_id)} in {store.path}")


# -- one clock ----------------------------------------------------------------

TOLERANCE = timedelta(minutes=5)  # a clock a little ahead is not "in the future"
_ZONED = re.compile(r"(?P<when>[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?)"
                    r"(?:(?P<offset>Z|[+-][0-9]{2}:?[0-9]{2})| +(?P<zone>[A-Za-z][A-Za-z0-9_+/-]*))?")


def zone_info(where: Where, field: str, name: str) -> tzinfo:
    """The time zone ``name`` (``UTC``, ``Asia/Damascus``), refused in one line when unknown."""
    if name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise where.error(field, f"unknown time zone {shown(name)}; expected a name like UTC or Asia/Damascus") from None


def recorded_time(where: Where, field: str, value: str, zone: str | None = None) -> str:
    """A recording time as stored: ``YYYY-MM-DDTHH:MM:SS`` in UTC (a bare date stays a date).

    ``value`` may carry an offset (``2023-06-26T10:00+03:00``, ``...Z``) or a
    zone name after a space (``2023-06-26T10:00 Asia/Damascus``); a time
    without either is read in ``zone`` (default UTC). Never after now (UTC,
    with a few minutes' tolerance).
    """
    m = _ZONED.fullmatch(value.strip()) if isinstance(value, str) else None
    expected = "YYYY-MM-DD[THH:MM[:SS]][+HH:MM|Z| ZONE]"
    if not m:
        raise where.error(field, f"expected a date {expected}, got {shown(value)}")
    local = fields.iso_date(where, field, m["when"], allow_time=True)
    now = datetime.now(UTC)
    if "T" not in local:
        if m["offset"] or m["zone"]:
            raise where.error(field, f"expected a time of day with an offset or zone, got {shown(value)}")
        if date.fromisoformat(local) > (now + TOLERANCE).date():
            raise where.error(field, f"expected a date between 1900 and {now.date()} (today, UTC), got {local}")
        return local
    if m["offset"]:
        offset = "+00:00" if m["offset"] == "Z" else m["offset"]
        when = datetime.fromisoformat(local + (offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"))
    else:
        when = datetime.fromisoformat(local).replace(tzinfo=zone_info(where, field, m["zone"] or zone or "UTC"))
    instant = when.astimezone(UTC)
    if instant > now + TOLERANCE:
        raise where.error(field, f"expected a date between 1900 and now ({now:%Y-%m-%dT%H:%M:%S} UTC), got {shown(value)}")
    return instant.strftime("%Y-%m-%dT%H:%M:%S")


def _dash(where: Where) -> str:
    """Options on the command line are ``--killed``; columns in a file are ``killed``."""
    return "--" if where.file == COMMAND_LINE else ""


def _recorded_at(where: Where, dash: str, value: str | None, incident: Incident, revisions: list[Revision],
                 zone: str | None = None) -> str:
    """When the revision was recorded, in UTC: given, or now; never in the future, never before what it revises.

    As-of reconstruction undoes revisions in the order they were recorded, so a
    revision may not be recorded before one already recorded for the incident.
    """
    field = f"{dash}recorded"
    recorded = recorded_time(where, field, value, zone) if value else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    first = max(incident.date, incident.recorded_at[:10])
    if recorded[:10] < first:
        raise where.error(field, f"expected a date on or after the incident's date and recording ({first}), got {recorded}")
    latest = max((r.recorded_at for r in revisions), default="")
    if recorded < latest:
        raise where.error(field, f"expected a time on or after the incident's latest revision ({latest}), got {recorded}")
    return recorded


def _current(incident: Incident, earlier: Sequence[Revision]) -> dict[Key, Figures]:
    state = {(c.category, c.subgroup): (c.killed, c.injured) for c in incident.casualties}
    for rev in earlier:
        if rev.incident_id == incident.id:
            state[(rev.category, rev.subgroup)] = (rev.killed_new, rev.injured_new)
    return state


def _wanted(where: Where, dash: str, profile: Profile, changes: list[TollChange], before: dict[Key, Figures]) -> dict[Key, Figures]:
    """The figures each change asks for, with whole-category subgroups following their category."""
    wanted: dict[Key, Figures] = {}
    for change in changes:
        _check_known(where, dash, profile, change)
        key = (change.category, change.subgroup)
        old = before.get(key, (0, 0))
        wanted[key] = (
            old[0] if change.killed is None else change.killed,
            old[1] if change.injured is None else change.injured,
        )
    for (cat, sub), figures in before.items():
        whole = before.get((cat, ""))
        if sub and (cat, sub) not in wanted and (cat, "") in wanted and figures == whole and any(figures):
            wanted[(cat, sub)] = wanted[(cat, "")]
    return wanted


def _check_known(where: Where, dash: str, profile: Profile, change: TollChange) -> None:
    field = f"{dash}{change.option}"
    category = profile.category(change.category)
    if category is None:
        raise where.error(field, f"unknown category {change.category!r}; expected one of {', '.join(profile.category_keys)}")
    if change.subgroup and category.subgroup(change.subgroup) is None:
        known = ", ".join(s.key for s in category.subgroups) or "none"
        raise where.error(field, f"unknown subgroup {change.category}/{change.subgroup}; expected one of {known}")


def _refuse_silent_decrease(where: Where, dash: str, key: Key, old: Figures, new: Figures, correction: bool) -> None:
    """Fewer killed, or fewer injured than the rise in killed explains, is a correction."""
    if correction:
        return
    if new[0] < old[0]:
        raise where.error(f"{dash}killed", f"{_label(key)} would fall from {old[0]} to {new[0]} killed:"
                          f" a decrease is a correction; pass {dash}correction")
    if old[1] - new[1] > new[0] - old[0]:
        raise where.error(f"{dash}injured", f"{_label(key)} would fall from {old[1]} to {new[1]} injured,"
                          f" more than the {new[0] - old[0]} who died of wounds: pass {dash}correction")


def _label(key: Key) -> str:
    return f"{key[0]}/{key[1]}" if key[1] else key[0]


def _check_subgroups(where: Where, dash: str, after: dict[Key, Figures]) -> None:
    for (cat, sub), (killed, injured) in after.items():
        if not sub:
            continue
        whole = after.get((cat, ""), (0, 0))
        if killed > whole[0] or injured > whole[1]:
            raise where.error(
                f"{dash}killed" if killed > whole[0] else f"{dash}injured",
                f"{cat}/{sub} ({killed} killed, {injured} injured) would be more than all"
                f" {cat} ({whole[0]} killed, {whole[1]} injured)",
            )


def revise(store: Store, profile: Profile, incident_id: str, changes: list[TollChange], reason: str, recorded_at: str | None = None,
           correction: bool = False, recorded_by: str | None = "", where: Where | None = None,
           zone: str | None = None) -> list[Revision]:
    """Check and append the revisions in one transaction (see ``plan_revisions``); return them."""
    revisions = plan_revisions(store, profile, incident_id, changes, reason, recorded_at, correction, recorded_by, where,
                               zone=zone)
    store.add_revisions(revisions, profile)
    return revisions


def apply_revision_file(store: Store, profile: Profile, path: Path) -> int:
    """Apply a revisions CSV (incident_id, killed, injured, reason, recorded[, correction]), all or nothing.

    ``killed`` and ``injured`` hold ``category[/subgroup]=N`` entries separated by ``;``.
    A later row may revise an incident that an earlier row revised.
    """
    text = fields.decode(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    planned: list[Revision] = []
    try:
        _check_columns(Where(str(path), 1), reader.fieldnames or [])
        for row in reader:
            planned += _plan_row(store, profile, Where(str(path), reader.line_num), row, planned)
    except csv.Error as exc:
        raise Where(str(path), reader.line_num).error(None, f"malformed CSV ({exc})") from None
    store.add_revisions(planned, profile)
    return len(planned)


def _check_columns(where: Where, header: Sequence[str]) -> None:
    for column in header:
        if column not in FILE_COLUMNS:
            raise where.error(column, f"unexpected column; expected {', '.join(FILE_COLUMNS)}")
    for column in ("incident_id", "reason"):
        if column not in header:
            raise where.error(column, "required column is missing from the header")


def _plan_row(store: Store, profile: Profile, where: Where, row: dict, earlier: list[Revision]) -> list[Revision]:
    if None in row or None in row.values():
        raise where.error(None, "expected as many fields as the header has")
    changes = parse_changes(
        [e for e in (row.get("killed") or "").split(";") if e.strip()],
        [e for e in (row.get("injured") or "").split(";") if e.strip()],
        where,
    )
    correction = (row.get("correction") or "").strip().lower()
    if correction not in ("", "0", "1", "no", "yes", "false", "true"):
        raise where.error("correction", f"expected yes or no, got {shown(correction)}")
    incident_id = fields.text(where, "incident_id", row["incident_id"], required=True)
    return plan_revisions(
        store, profile, incident_id, changes, row["reason"], row.get("recorded") or None,
        correction in ("1", "yes", "true"), where=where, earlier=earlier,
    )


# -- history ------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """An incident, its current figures and every revision of them, oldest first: of killed and
    injured, and of the low and high bounds of its counts (``Store.range_revisions_of``)."""

    incident: Incident
    revisions: tuple[Revision, ...]
    range_revisions: tuple[dict, ...] = ()

    def to_dict(self) -> dict:
        incident = asdict(self.incident)
        casualties = incident.pop("casualties")
        for key in ("line", "extra"):
            incident.pop(key)
        ranges = {"range_revisions": list(self.range_revisions)} if self.range_revisions else {}
        return {"incident": incident, "current": casualties, "revisions": [asdict(r) for r in self.revisions], **ranges}


def history(store: Store, incident_id: str) -> History:
    """The incident ``incident_id`` with its revisions; an unknown id is an error."""
    incident = store.incident(incident_id)
    if incident is None:
        raise ReportgenError(f"incident {incident_id!r}: no such incident in {store.path}")
    return History(incident, tuple(store.revisions_of(incident_id)), tuple(store.range_revisions_of(incident_id)))


def history_tables(item: History) -> list:
    """Rich tables of the revisions and the current figures.

    Every cell is a ``rich.text.Text``: data is shown as written, never read as
    rich markup (a reason ``[bold]x[/]`` prints its brackets).
    """
    from rich.table import Table
    from rich.text import Text

    incident = item.incident
    title = Text(f"{incident.id}: {incident.date}, {incident.location or incident.region}, {incident.kind}")
    revisions = Table(title=title, title_justify="left")
    columns = {
        "recorded": [r.recorded_at for r in item.revisions],
        "by": [r.recorded_by for r in item.revisions],
        "category": [_label((r.category, r.subgroup)) for r in item.revisions],
        "killed": [_arrow(r.killed_old, r.killed_new) for r in item.revisions],
        "injured": [_arrow(r.injured_old, r.injured_new) for r in item.revisions],
        "reason": [r.reason for r in item.revisions],
        "correction": ["yes" if r.correction else "" for r in item.revisions],
    }
    columns = {name: cells for name, cells in columns.items() if name not in ("by", "correction") or any(cells)}
    for name in columns:
        numeric = name in ("killed", "injured")
        revisions.add_column(name, justify="right" if numeric else "left", overflow="fold",
                             no_wrap=numeric or name in ("recorded", "category"))  # the reason wraps instead
    for row in zip(*columns.values(), strict=True):
        revisions.add_row(*(Text(cell) for cell in row))
    tables = [revisions, *_range_table(item)]
    current = Table(title=Text("current figures"), title_justify="left")
    for column in ("category", "killed", "injured"):
        current.add_column(column, justify="left" if column == "category" else "right", overflow="fold")
    for c in item.incident.casualties:
        current.add_row(*(Text(str(cell)) for cell in (_casualty_label(c), c.killed, c.injured)))
    return [*tables, current]


def _range_table(item: History) -> list:
    """A table of the changes to the counts' low and high bounds, if there were any."""
    from rich.table import Table
    from rich.text import Text

    if not item.range_revisions:
        return []
    ranges = Table(title=Text("range revisions"), title_justify="left")
    for name in ("recorded", "category", "low", "high", "reason"):
        numeric = name in ("low", "high")
        ranges.add_column(name, justify="right" if numeric else "left", overflow="fold", no_wrap=name != "reason")
    for r in item.range_revisions:
        cells = (r["recorded_at"], _label((r["category"], r["subgroup"])),
                 _arrow(_bound(r["low_old"]), _bound(r["low_new"])), _arrow(_bound(r["high_old"]), _bound(r["high_new"])),
                 r["reason"])
        ranges.add_row(*(Text(cell) for cell in cells))
    return [ranges]


def _bound(value: int | None) -> str:
    return "-" if value is None else str(value)


def _arrow(old: int | str, new: int | str) -> str:
    return str(new) if old == new else f"{old} -> {new}"


def _casualty_label(casualty: Casualty) -> str:
    return _label((casualty.category, casualty.subgroup))
