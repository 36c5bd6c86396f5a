"""The rows the store's queries return, named: one NamedTuple per query (a recorded
revision is the frozen ``RevisionRow`` that the Summary lists as it is).

A query selects its columns under the names of its row type's fields, in their
order (``Store`` checks both), so a reader says ``row.killed`` and the aggregate
stage builds its DataFrames from ``_fields``. NamedTuples still compare equal to
plain tuples of the same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class CasualtyRow(NamedTuple):
    """A casualty row of an incident (one per category and subgroup) as it stood on a day
    (``Store.casualty_rows``); an incident without casualties has one row of empty category."""

    incident: str
    date: str
    region: str
    perpetrator: str
    kind: str
    province: str
    location: str
    category: str
    subgroup: str
    killed: int
    injured: int
    killed_low: int | None
    killed_high: int | None


class CasualtySum(NamedTuple):
    """Casualties summed by region, perpetrator, kind, area, category and subgroup (``Store.casualty_sums``).

    ``low`` and ``high``: the sums of the low and high bounds, a figure without one counted at
    its killed figure; ``ranged_low`` and ``ranged_high``: how many figures carry a bound.
    """

    region: str
    perpetrator: str
    kind: str
    area: str
    category: str
    subgroup: str
    killed: int
    injured: int
    low: int
    high: int
    ranged_low: int
    ranged_high: int


class IncidentCount(NamedTuple):
    """How many incidents there are of a region, perpetrator, kind and area (``Store.incident_counts``)."""

    region: str
    perpetrator: str
    kind: str
    area: str
    incidents: int


@dataclass(frozen=True)
class RevisionRow:
    """A revision recorded in a period, with its incident's date and place (``Store.revisions_recorded``);
    the Summary lists them as they are."""

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


class Month(NamedTuple):
    """A month that holds incidents (``Store.months_with_data``)."""

    year: int
    month: int
