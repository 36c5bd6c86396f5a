"""The Summary: plain data passed from the aggregate stage to wording, charts and render.

Everything here is JSON-serialisable through ``to_dict``; templates receive it
and never query the database. The parse stage reads published text back into
the same structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from .periods import Scope
from .rows import RevisionRow

__all__ = ["CategoryCount", "GroupLine", "IncidentRow", "Range", "RegionLine", "RevisionRow", "Summary"]


@dataclass(frozen=True)
class Range:
    """The low and high estimates of a figure (a dataset's, such as UCDP's); either may equal it.

    The aggregate stage gives each count its range, and each sum of counts the range of the sum
    (a count without a range taken at its figure); a figure without any range has None.
    """

    low: int
    high: int


@dataclass(frozen=True)
class CategoryCount:
    """Killed and injured of one category, with the killed of each cited subgroup."""

    category: str
    killed: int = 0
    injured: int = 0
    subgroups: dict[str, int] = field(default_factory=dict)
    killed_range: Range | None = None  # written to JSON as killed_low and killed_high


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class RegionLine:
    """One region of the regional distribution of operations (or, as ``Summary.regions_total``, all of them)."""

    region: str
    name: str
    operations: int
    killed: int
    injured: int
    compact: bool
    categories: list[CategoryCount]  # in the publisher's order for this region, zeros left out unless their range goes higher
    killed_range: Range | None = None  # the range of ``killed``, written to JSON as killed_low and killed_high


@dataclass(frozen=True)
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
    ranges: dict[str, Range] = field(default_factory=dict)  # by category, where a range differs; [low, high] in JSON


@dataclass(frozen=True)
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
    killed_range: Range | None = None  # the range of ``total_killed``; killed_low and killed_high in JSON
    regions_total: RegionLine | None = None  # the sums of ``regions``: every profile category, zeros kept

    def group(self, category: str) -> GroupLine | None:
        return next((g for g in self.groups if g.category == category), None)

    def region(self, key: str) -> RegionLine | None:
        return next((r for r in self.regions if r.region == key), None)

    def to_dict(self) -> dict[str, Any]:
        """The Summary as JSON-ready data; ``from_dict`` reads it back."""
        return _plain(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Summary:
        total = d.get("regions_total")
        return cls(
            profile=d["profile"],
            scope=Scope.from_dict(d["scope"]),
            total_killed=d["total_killed"],
            total_injured=d["total_injured"],
            operations=d["operations"],
            incidents=d["incidents"],
            groups=[GroupLine(**_counted(g)) for g in d["groups"]],
            regions=[_region_line(r) for r in d["regions"]],
            incident_rows=[_incident_row(i) for i in d.get("incident_rows", [])],
            revisions=[RevisionRow(**r) for r in d.get("revisions", [])],
            series=list(d.get("series", [])),
            data_version=d.get("data_version", ""),
            daily=list(d.get("daily", [])),
            killed_range=_range_of(d, d["total_killed"]),
            regions_total=_region_line(total) if total else None,
        )


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data: a ``killed_range`` as ``killed_low`` and ``killed_high`` (None without
    one), any other range as [low, high], a scope as its ``to_dict``."""
    if isinstance(value, Scope):
        return value.to_dict()
    if isinstance(value, Range):
        return [value.low, value.high]
    if is_dataclass(value):
        out: dict[str, Any] = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if f.name == "killed_range":
                out["killed_low"], out["killed_high"] = (item.low, item.high) if item else (None, None)
            else:
                out[f.name] = _plain(item)
        return out
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _range_of(d: dict[str, Any], best: int) -> Range | None:
    """The range written as ``killed_low`` and ``killed_high`` (a bound missing on one side is ``best``)."""
    low, high = d.get("killed_low"), d.get("killed_high")
    if low is None and high is None:
        return None
    return Range(best if low is None else low, best if high is None else high)


def _counted(d: dict[str, Any]) -> dict[str, Any]:
    """A count's fields from JSON: its bounds as one ``killed_range``."""
    rest = {k: v for k, v in d.items() if k not in ("killed_low", "killed_high")}
    return {**rest, "killed_range": _range_of(d, d.get("killed", 0))}


def _region_line(d: dict[str, Any]) -> RegionLine:
    return RegionLine(**{**_counted(d), "categories": [CategoryCount(**_counted(c)) for c in d["categories"]]})


def _incident_row(d: dict[str, Any]) -> IncidentRow:
    return IncidentRow(**{**d, "ranges": {k: Range(*v) for k, v in d.get("ranges", {}).items()}})
