"""Toll-update notices: "Death toll update | ..." with the rise, its cause and the year's tally.

A notice is about the latest revision of an incident recorded by a day (the
rows one ``reportgen revise`` wrote share their recorded time). Its data is
gathered here into a frozen ``Notice``; the sentences are in
``templates/text/notice.txt.j2`` and the phrases that depend on the conflict
in the profile's ``[notice]`` table. The HTML page lays out the text notice's
paragraphs, so each phrase is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .aggregate import summarize
from .errors import ReportgenError
from .files import write_file
from .periods import Scope, require_incidents, year_scope, ytd_scope
from .profile import Profile
from .records import Incident, Revision
from .store import Store
from .summary import Summary
from .wording import environment, tally_text


@dataclass(frozen=True)
class Victims:
    """One victim group of the rise: its phrases and its figures before and after the revision."""

    category: str
    subgroup: str  # the subgroup all the category's dead belong to, or ""
    singular: str  # the notice's name: "member of National Defence"
    plural: str  # "members of National Defence"
    one: str  # one of them, as the body names him: "a member"; empty: "one" and the singular
    possessive: str  # "his" ("affected by his wounds"); empty: the template's default
    listed_singular: str  # the profile's label, for what had been documented: "member of the National Defence"
    listed_plural: str
    listed_one: str  # "a member of the National Defence"; empty: "one" and the singular
    killed_before: int
    killed_after: int
    injured_before: int
    injured_after: int

    @property
    def rise(self) -> int:
        return self.killed_after - self.killed_before

    @property
    def from_wounds(self) -> bool:
        """Those who died were among the injured: the injured fell by the rise in dead."""
        return self.injured_before - self.injured_after >= self.rise


@dataclass(frozen=True)
class Notice:
    incident: Incident
    region_name: str  # "Deir Ezzor desert"
    actor: str  # the perpetrator as the profile names it: "ISIS cells"
    kind: str  # the profile's phrase for the kind: "landmine explosion"
    cause: str  # "the explosion of a landmine planted by" (followed by the actor); may be empty
    headline_place: str  # "a desert in" (followed by the province); may be empty
    area: str  # where the district lies: "western Deir Ezzor desert" (the region's name if unknown)
    control: str  # "within regime-held areas"; may be empty
    victims: tuple[Victims, ...]
    revisions: tuple[Revision, ...]  # the rows of the revision the notice reports
    recorded_at: str
    summary: Summary  # the year's tally as of the day the revision was recorded

    @property
    def rise(self) -> int:
        return sum(v.rise for v in self.victims)

    @property
    def from_wounds(self) -> bool:
        return all(v.from_wounds for v in self.victims)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.reason for r in self.revisions))


# -- the profile's [notice] table ---------------------------------------------


def phrases(profile: Profile) -> dict:
    """The profile's ``[notice]`` table (empty if it has none)."""
    return profile.notice


def _phrase(profile: Profile, table: dict, key: str, where: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ReportgenError(f"{profile.path}: notice.{where}{key}: expected text, got {value!r}")
    return value


def _section(profile: Profile, table: dict, key: str) -> dict:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ReportgenError(f"{profile.path}: notice.{key}: expected a table")
    return value


# -- gathering the notice's data ------------------------------------------------


def latest_revision(store: Store, incident_id: str, as_of: date | None = None) -> tuple[Revision, ...]:
    """The rows of the incident's latest revision recorded by ``as_of`` (all rows recorded at that time)."""
    revisions = store.revisions_of(incident_id)
    if as_of is not None:
        revisions = [r for r in revisions if r.recorded_at[:10] <= as_of.isoformat()]
    if not revisions:
        by = f" by {as_of.isoformat()}" if as_of else ""
        raise ReportgenError(f"incident {incident_id!r}: no revision recorded{by}; a notice reports a toll update")
    last = revisions[-1].recorded_at
    return tuple(r for r in revisions if r.recorded_at == last)


def build_notice(store: Store, profile: Profile, incident_id: str, as_of: date | None = None) -> Notice:
    """The notice of the incident's latest revision recorded by ``as_of`` (default: its latest).

    The tally is the incident's year as it stood on the day that revision was
    recorded, so a notice rebuilt later reads as it did when it was published.
    """
    incident = store.incident(incident_id)
    if incident is None:
        raise ReportgenError(f"incident {incident_id!r}: no such incident in {store.path}")
    rows = latest_revision(store, incident_id, as_of)
    table = phrases(profile)
    victims = _victims(profile, table, rows)
    if not victims:
        raise ReportgenError(
            f"incident {incident_id!r}: its revision recorded {rows[0].recorded_at} raises no death toll;"
            " a toll-update notice reports a rise in the dead"
        )
    region = profile.region(incident.region)
    actor = profile.actor(incident.perpetrator)
    scope = tally_scope(incident, rows[0].recorded_at)
    require_incidents(store, scope)
    return Notice(
        incident=incident,
        region_name=region.name if region else incident.region,
        actor=actor.name if actor else incident.perpetrator,
        kind=profile.kinds.get(incident.kind, incident.kind),
        cause=_phrase(profile, _section(profile, table, "causes"), incident.kind, "causes."),
        headline_place=_phrase(profile, table, "headline_place", ""),
        area=_phrase(profile, _section(profile, table, "areas"), incident.district, "areas.")
        or (region.name if region else incident.region),
        control=_phrase(profile, table, "control", ""),
        victims=victims,
        revisions=rows,
        recorded_at=rows[0].recorded_at,
        summary=summarize(store, profile, scope),
    )


def tally_scope(incident: Incident, recorded_at: str) -> Scope:
    """The incident's year up to the day the revision was recorded (the whole year if recorded later)."""
    day = date.fromisoformat(recorded_at[:10])
    year = int(incident.date[:4])
    return ytd_scope(day) if day.year == year else year_scope(year, as_of=day)


def _victims(profile: Profile, table: dict, rows: tuple[Revision, ...]) -> tuple[Victims, ...]:
    """A victim group per category whose dead rose, named by its subgroup when all its dead belong to one."""
    found = []
    for whole in rows:
        if whole.subgroup or whole.killed_new <= whole.killed_old:
            continue
        category = profile.category(whole.category)
        part = next(
            (r for r in rows if r.category == whole.category and r.subgroup
             and (r.killed_old, r.killed_new) == (whole.killed_old, whole.killed_new)),
            None,
        )
        sub = category.subgroup(part.subgroup) if category and part else None
        labels = sub or category
        names = _victim_names(profile, table, f"{whole.category}/{sub.key}" if sub else whole.category)
        found.append(Victims(
            category=whole.category,
            subgroup=sub.key if sub else "",
            singular=names.get("singular") or (labels.singular if labels else whole.category),
            plural=names.get("plural") or (labels.plural if labels else whole.category),
            one=names.get("one") or (sub.one if sub else ""),
            possessive=names.get("possessive", ""),
            listed_singular=labels.singular if labels else whole.category,
            listed_plural=labels.plural if labels else whole.category,
            listed_one=sub.one if sub else "",
            killed_before=whole.killed_old,
            killed_after=whole.killed_new,
            injured_before=whole.injured_old,
            injured_after=whole.injured_new,
        ))
    return tuple(found)


def _victim_names(profile: Profile, table: dict, key: str) -> dict[str, str]:
    names = _section(profile, table, "victims").get(key, {})
    if not isinstance(names, dict):
        raise ReportgenError(f"{profile.path}: notice.victims.{key}: expected a table")
    return {name: _phrase(profile, names, name, f"victims.{key}.") for name in ("singular", "plural", "one", "possessive")}


# -- rendering -------------------------------------------------------------------

NOTICE_TEMPLATE = "text/notice.txt.j2"


@dataclass(frozen=True)
class NoticeTextContext:
    """The one context of ``text/notice.txt.j2`` (besides the environment's ``profile``):
    the notice, and the tally text that ends it (empty for the HTML page, which lays it out itself)."""

    notice: Notice
    tally: str

    def as_context(self) -> dict[str, Any]:
        return {"notice": self.notice, "tally": self.tally}


def notice_text(notice: Notice, profile: Profile, user_dir: str | Path | None = None, with_tally: bool = True) -> str:
    """The notice in the source format: headline, body paragraphs, then the year's tally."""
    tally = tally_text(notice.summary, profile, user_dir) if with_tally else ""
    env = environment(profile, user_dir)
    return env.get_template(NOTICE_TEMPLATE).render(NoticeTextContext(notice, tally).as_context())


def notice_html(notice: Notice, profile: Profile, user_dir: str | Path | None = None) -> str:
    """A self-contained HTML page of the notice; every piece of data is autoescaped."""
    paragraphs = [p.strip() for p in notice_text(notice, profile, user_dir, with_tally=False).split("\n\n") if p.strip()]
    tally = tally_text(notice.summary, profile, user_dir).splitlines()
    env = environment(profile, user_dir)
    return env.get_template("html/notice.html.j2").render(
        notice=notice, headline=paragraphs[0], paragraphs=paragraphs[1:], tally=tally_blocks(tally),
    )


def tally_blocks(lines: list[str]) -> list[tuple[str, str | list[str]]]:
    """Tally lines as ("p", line) and ("ul", [items]) blocks: runs of "• " bullets become lists."""
    blocks: list[tuple[str, str | list[str]]] = []
    items: list[str] | None = None  # the items of the list being read
    for line in lines:
        if line.startswith("• "):
            if items is None:
                items = []
                blocks.append(("ul", items))
            items.append(line[2:])
        elif line.strip():
            items = None
            blocks.append(("p", line))
    return blocks


def write_output(path: Path, text: str) -> None:
    """Write a notice to ``path`` through the one writer, ``files.write_file`` (a symlink there is
    replaced, never written through)."""
    write_file(path, text.encode("utf-8"))
