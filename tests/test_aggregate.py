"""The aggregate stage on the sample data and on small hand-made stores."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from reportgen.aggregate import summarize
from reportgen.periods import month_scope, parse_period, year_scope, ytd_scope
from reportgen.records import Casualty, Incident
from reportgen.store import open_store
from reportgen.summary import Summary


@pytest.fixture(scope="module")
def sample(sample_db):
    store = open_store(sample_db, create=False)
    yield store
    store.close()


def test_year_summary_reproduces_the_seed_figures(sample, profile):
    s = summarize(sample, profile, year_scope(2023))
    assert (s.total_killed, s.operations) == (562, 148)
    assert {g.category: g.killed for g in s.groups} == {"isis": 44, "combatants": 353, "civilians": 165}
    assert s.group("combatants").subgroups["iranian-backed"] == 43
    assert s.group("civilians").subgroups == {"women": 1}
    regions = {r.region: (r.operations, r.killed) for r in s.regions}
    assert regions == {
        "homs": (53, 236), "raqqa": (13, 39), "deir-ezzor": (59, 172),
        "hama": (18, 97), "aleppo": (4, 8), "suwaidaa": (1, 3),
    }
    assert [c.category for c in s.region("hama").categories] == ["civilians", "combatants", "isis"]
    assert [r.compact for r in s.regions] == [False, False, False, False, True, True]


def test_isis_members_killed_outside_operations_count_in_the_total_only(sample, profile):
    s = summarize(sample, profile, year_scope(2023))
    regional = sum(c.killed for r in s.regions for c in r.categories if c.category == "isis")
    assert (regional, s.group("isis").in_operations, s.group("isis").killed) == (37, 37, 44)


def test_periods_partition_the_year(sample, profile):
    months = [summarize(sample, profile, month_scope(2023, m)) for m in range(1, 13)]
    quarters = [summarize(sample, profile, parse_period(f"2023-Q{q}")) for q in range(1, 5)]
    assert sum(m.total_killed for m in months) == sum(q.total_killed for q in quarters) == 562
    assert sum(m.operations for m in months) == 148


def test_as_of_undoes_later_revisions(sample, profile):
    before = summarize(sample, profile, ytd_scope(date(2023, 6, 25)))
    after = summarize(sample, profile, ytd_scope(date(2023, 6, 26)))
    assert (before.total_killed, after.total_killed) == (561, 562)
    assert (before.region("deir-ezzor").killed, after.region("deir-ezzor").killed) == (171, 172)


def test_summary_is_plain_json_and_round_trips(sample, profile):
    s = summarize(sample, profile, month_scope(2023, 6), detail=True)
    data = json.loads(json.dumps(s.to_dict()))
    assert Summary.from_dict(data) == s
    assert s.incident_rows and s.revisions and s.series
    assert [r.date for r in s.incident_rows] == sorted(r.date for r in s.incident_rows)


def test_the_summary_is_frozen_and_built_complete(sample, profile):
    s = summarize(sample, profile, month_scope(2023, 6), detail=True)
    with pytest.raises(FrozenInstanceError):
        s.total_killed = 0  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        s.regions[0].killed = 0  # type: ignore[misc]
    assert s.data_version and s.regions_total is not None
    assert s.regions_total.killed == sum(r.killed for r in s.regions)
    assert s.regions_total.operations == sum(r.operations for r in s.regions)


def test_empty_period_gives_zeros(sample, profile):
    s = summarize(sample, profile, year_scope(2019))
    assert (s.total_killed, s.operations, s.regions) == (0, 0, [])


def test_zero_categories_and_subgroups_are_left_out(store, profile):
    store.add_incidents([
        Incident(
            id="x1", date="2023-03-02", region="hama", province="Hama", district="", location="Ithriya",
            perpetrator="ISIS", kind="ambush",
            casualties=(Casualty("combatants", "", 3, 1), Casualty("civilians", "", 0, 0),
                        Casualty("combatants", "iranian-backed", 0, 0)),
        )
    ])
    s = summarize(store, profile, year_scope(2023))
    assert [c.category for c in s.region("hama").categories] == ["combatants"]
    assert s.group("combatants").subgroups == {}
