"""What a reading found: each field with whether it was found and where, and what was not used."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..summary import Summary


@dataclass
class Found:
    """One field of a reading. ``found`` is False for a field the text did not state."""

    field: str  # "total", "groups.combatants.killed", "regions.homs.civilians.women", "incident.place"
    value: Any = None
    found: bool = True
    line: int | None = None
    note: str = ""


@dataclass
class Unused:
    line: int
    text: str


@dataclass
class TallyReading:
    """A cumulative tally read back into a Summary, with what was stated and what was derived."""

    summary: Summary
    year: int | None
    month: int | None  # set for a month's tally; None for a tally since the start of the year
    total: int | None  # the headline figure as stated, None if the text states none
    total_covers: list[str]  # the categories the headline figure counts
    outside_total: list[str]  # categories added in a separate sentence ("In addition, ...")
    headline_operations: int | None
    stated_region_killed: dict[str, int]  # regions whose fatalities the text states (not compact)
    labels: dict[str, str]  # categories, subgroups and regions as the text names them
    fields: list[Found] = field(default_factory=list)

    @property
    def total_kind(self) -> str:
        if self.total is None:
            return "no headline total"
        if self.outside_total:
            return "headline total without " + ", ".join(self.outside_total)
        return "headline total of all groups"

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k not in ("summary", "fields")}
        d["total_kind"] = self.total_kind
        d["summary"] = self.summary.to_dict()
        d["fields"] = [asdict(f) for f in self.fields]
        return d


@dataclass
class Victims:
    category: str
    subgroup: str
    label: str
    killed: int | None


@dataclass
class IncidentReading:
    """A single-incident post: where, who, what, how many, and whether it updates a toll."""

    fields: list[Found]
    victims: list[Victims]

    def value(self, name: str) -> Any:
        return next((f.value for f in self.fields if f.field == name and f.found), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": [asdict(f) for f in self.fields],
            "victims": [asdict(v) for v in self.victims],
        }


@dataclass
class Reading:
    """Everything read from one post."""

    source: str
    profile: str
    tallies: list[TallyReading]  # usually one; a bulletin holds the month's and the year's
    incident: IncidentReading | None
    unused: list[Unused]

    @property
    def tally(self) -> TallyReading | None:
        """The first tally of the post (its fields are the post's ``fields``)."""
        return self.tallies[0] if self.tallies else None

    @property
    def fields(self) -> list[Found]:
        return [*(self.tally.fields if self.tally else []), *(self.incident.fields if self.incident else [])]

    def flat(self) -> dict[str, Any]:
        """Found fields as ``{name: value}`` (what a test compares with expectations)."""
        return {f.field: f.value for f in self.fields if f.found}

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "profile": self.profile,
            "tally": self.tally.to_dict() if self.tally else None,
            "other_tallies": [t.to_dict() for t in self.tallies[1:]],
            "incident": self.incident.to_dict() if self.incident else None,
            "unused": [asdict(u) for u in self.unused],
        }
