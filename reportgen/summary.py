"""The Summary: plain data passed from the aggregate stage to wording, charts and render.

Everything here is JSON-serialisable through ``to_dict``; templates receive it
and never query the database. The parse stage reads published text back into
the same structure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .periods import Scope
from .rows import RecordedRevision


@dataclass
class CategoryCount:
    """Killed and injured of one category, with the killed of each cited subgroup."""

    category: str
    killed: int = 0
    injured: int = 0
    subgroups: dict[str, int] = field(default_factory=dict)
    killed_low: int | None = None
    killed_high: int | None = None


@dataclass
class GroupLine(CategoryCount):
    """One line of the cumulative block: a category over the whole scope."""

    operations: int | None = None  # "killed in N operations", where the profile counts them
    in_operations: int = 0  # of ``killed``, those killed in the operations of the regional distribution
    # What the line may name, each only as the scope's data has it (see reportgen.aggregate.group_line):
    places: list[str] = field(default_factory=list)  # region keys, in the line's order
    areas: list[str] = field(default_factory=list)  # area keys, in the line's order
    kinds: list[str] = field(default_factory=list)  # kinds of the operations it counts, in the profile's order
    causes: list[str] = field(default_factory=list)  # keys of the causes of its dead, when they account for all

    @property
    def says_operations(self) -> bool:
        """Whether the line says "in N operations": it counts them and some of its dead fell in them."""
        return bool(self.operations) and self.in_operations > 0


@dataclass
class RegionLine:
    """One region of the regional distribution of operations."""

    region: str
    name: str
    operations: int
    killed: int
    injured: int
    compact: bool
    categories: list[CategoryCount]  # in the publisher's order for this region, zeros left out unless their range goes higher


@dataclass
class IncidentRow:
    id: str
    date: str
    region: str
    region_name: str
    province: str
    location: str
    perpetrator: str
    kind: str
    killed: dict[str, int]
    injured: dict[str, int]
    operation: bool
    ranges: dict[str, list[int]] = field(default_factory=dict)  # category -> [low, high], where a range differs


@dataclass
class RevisionRow:
    incident_id: str
    date: str  # the incident's date
    location: str
    category: str
    subgroup: str
    killed_old: int
    killed_new: int
    injured_old: int
    injured_new: int
    reason: str
    correction: bool
    recorded_at: str

    @classmethod
    def of(cls, row: RecordedRevision) -> RevisionRow:
        return cls(**row._asdict())


@dataclass
class Summary:
    profile: str
    scope: Scope
    total_killed: int
    total_injured: int
    operations: int
    incidents: int
    groups: list[GroupLine]  # in the profile's tally order, zeros kept
    regions: list[RegionLine]  # in the profile's order, regions without operations left out
    # Detail for bulletins (empty unless asked for):
    incident_rows: list[IncidentRow] = field(default_factory=list)
    revisions: list[RevisionRow] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)  # per day or month x category
    data_version: str = ""
    daily: list[dict[str, Any]] = field(default_factory=list)  # killed per day x category, whatever the scope

    def group(self, category: str) -> GroupLine | None:
        return next((g for g in self.groups if g.category == category), None)

    def region(self, key: str) -> RegionLine | None:
        return next((r for r in self.regions if r.region == key), None)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["scope"] = self.scope.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Summary:
        return cls(
            profile=d["profile"],
            scope=Scope.from_dict(d["scope"]),
            total_killed=d["total_killed"],
            total_injured=d["total_injured"],
            operations=d["operations"],
            incidents=d["incidents"],
            groups=[GroupLine(**g) for g in d["groups"]],
            regions=[
                RegionLine(**{**r, "categories": [CategoryCount(**c) for c in r["categories"]]})
                for r in d["regions"]
            ],
            incident_rows=[IncidentRow(**i) for i in d.get("incident_rows", [])],
            revisions=[RevisionRow(**r) for r in d.get("revisions", [])],
            series=list(d.get("series", [])),
            data_version=d.get("data_version", ""),
            daily=list(d.get("daily", [])),
        )
