"""Record types that the ingest stage validates and the store writes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Casualty:
    """Killed and injured of one category; ``subgroup`` empty for the category as a whole."""

    category: str
    subgroup: str
    killed: int
    injured: int
    killed_low: int | None = None
    killed_high: int | None = None


@dataclass(frozen=True)
class Incident:
    id: str
    date: str  # ISO date
    region: str  # the profile's region key
    province: str
    district: str
    location: str
    perpetrator: str
    kind: str
    summary: str = ""
    sources: str = ""
    recorded_at: str = ""  # ISO date or datetime; defaults to the incident's date
    casualties: tuple[Casualty, ...] = ()
    extra: dict = field(default_factory=dict, hash=False, compare=False)
    line: int = field(default=0, compare=False)  # where it was read, for messages

    def killed(self, category: str) -> int:
        return sum(c.killed for c in self.casualties if c.category == category and not c.subgroup)


@dataclass(frozen=True)
class Revision:
    incident_id: str
    category: str
    subgroup: str
    killed_old: int
    killed_new: int
    injured_old: int
    injured_new: int
    reason: str
    recorded_at: str
    correction: bool = False
    recorded_by: str = ""
    id: int | None = None
