"""Revisions: parsing changes, the checks before anything is written, revision files, history."""

from __future__ import annotations

import pytest
from rich.console import Console

from reportgen.errors import InputError, ReportgenError
from reportgen.ingest.fields import Where
from reportgen.records import Casualty, Incident
from reportgen.revise import (
    TollChange,
    apply_revision_file,
    history,
    history_tables,
    parse_changes,
    plan_revisions,
    revise,
)

SHAJIRY = "2023-DZ-SHAJIRY"


@pytest.fixture
def landmine(store):
    """One incident: four National Defence members killed, 18 injured (as first documented)."""
    store.add_incidents([Incident(
        id="DZ-1", date="2023-06-24", region="deir-ezzor", province="Deir Ezzor", district="Al-Masrib",
        location="Al-Shajiry Village", perpetrator="ISIS", kind="landmine",
        casualties=(Casualty("combatants", "", 4, 18), Casualty("combatants", "national-defence", 4, 18)),
    )])
    return store


def state(store, incident_id="DZ-1"):
    return {(c.category, c.subgroup): (c.killed, c.injured) for c in store.incident(incident_id).casualties}


def test_parse_changes_merges_killed_and_injured_of_one_category():
    changes = parse_changes(["combatants=5", "combatants/national-defence=5"], ["combatants=17"])
    assert changes == [
        TollChange("combatants", "", killed=5, injured=17),
        TollChange("combatants", "national-defence", killed=5),
    ]


@pytest.mark.parametrize(
    ("killed", "message"),
    [
        (["combatants=-1"], "--killed combatants: expected a whole number 0-999999, got '-1'"),
        (["combatants=5.0"], "expected a whole number 0-999999, got '5.0'"),
        (["combatants=٣"], "expected a whole number 0-999999, got '٣'"),
        (["combatants=1_000"], "expected a whole number"),
        (["combatants=+5"], "expected a whole number"),
        (["combatants"], "--killed: expected CATEGORY[/SUBGROUP]=N, got 'combatants'"),
        (["combatants=1", "combatants=2"], "--killed: combatants given twice"),
    ],
)
def test_parse_changes_refuses_what_is_not_a_plain_count(killed, message):
    with pytest.raises(InputError) as exc:
        parse_changes(killed, [])
    assert message in str(exc.value)
    assert str(exc.value).startswith("command line: --killed")


def test_a_death_from_wounds_is_one_revision_per_figure(landmine, profile):
    revisions = revise(landmine, profile, "DZ-1", parse_changes(["combatants=5", "combatants/national-defence=5"],
                       ["combatants=17", "combatants/national-defence=17"]), "died of wounds",
                       recorded_at="2023-06-26", recorded_by="desk")
    assert [(r.subgroup, r.killed_old, r.killed_new, r.injured_old, r.injured_new) for r in revisions] == [
        ("", 4, 5, 18, 17), ("national-defence", 4, 5, 18, 17),
    ]
    assert state(landmine) == {("combatants", ""): (5, 17), ("combatants", "national-defence"): (5, 17)}
    stored = landmine.revisions_of("DZ-1")
    assert [(r.reason, r.recorded_at, r.recorded_by, r.correction) for r in stored] == [
        ("died of wounds", "2023-06-26", "desk", False)] * 2


def test_a_subgroup_that_was_the_whole_category_follows_it(landmine, profile):
    """All four dead and all 18 injured were National Defence: so is the fifth."""
    revisions = revise(landmine, profile, "DZ-1", parse_changes(["combatants=5"], ["combatants=17"]),
                       "died of wounds", recorded_at="2023-06-26")
    assert {(r.subgroup, r.killed_new, r.injured_new) for r in revisions} == {("", 5, 17), ("national-defence", 5, 17)}


def test_a_subgroup_that_was_part_of_its_category_stays(store, profile):
    store.add_incidents([Incident(
        id="H-1", date="2023-03-01", region="homs", province="Homs", district="", location="Palmyra",
        perpetrator="ISIS", kind="ambush",
        casualties=(Casualty("combatants", "", 6, 2), Casualty("combatants", "iranian-backed", 2, 2)),
    )])
    revisions = revise(store, profile, "H-1", parse_changes(["combatants=7"], []), "died of wounds",
                       recorded_at="2023-03-05")
    assert [(r.subgroup, r.killed_new) for r in revisions] == [("", 7)]
    assert state(store, "H-1")[("combatants", "iranian-backed")] == (2, 2)


def test_a_new_category_starts_from_zero(landmine, profile):
    revisions = revise(landmine, profile, "DZ-1", parse_changes(["civilians=1"], []), "a shepherd found dead",
                       recorded_at="2023-06-30")
    assert (revisions[0].killed_old, revisions[0].killed_new) == (0, 1)
    assert state(landmine)[("civilians", "")] == (1, 0)


def test_a_correction_may_lower_the_figures(landmine, profile):
    revise(landmine, profile, "DZ-1", parse_changes(["combatants=3", "combatants/national-defence=3"], []),
           "counted twice", recorded_at="2023-06-25", correction=True)
    assert state(landmine)[("combatants", "")] == (3, 18)
    assert landmine.revisions_of("DZ-1")[0].correction is True


@pytest.mark.parametrize(
    ("incident", "killed", "injured", "options", "message"),
    [
        ("DZ-404", ["combatants=5"], [], {}, "incident 'DZ-404': no such incident"),
        ("DZ-1", ["fighters=5"], [], {}, "--killed: unknown category 'fighters'; expected one of combatants, civilians, isis"),
        ("DZ-1", [], ["civilians/elderly=1"], {}, "--injured: unknown subgroup civilians/elderly; expected one of women, children"),
        ("DZ-1", ["combatants/national-defence=6"], [], {},
         "--killed: combatants/national-defence (6 killed, 18 injured) would be more than all combatants (4 killed, 18 injured)"),
        ("DZ-1", ["combatants=3", "combatants/national-defence=3"], [], {},
         "--killed: combatants would fall from 4 to 3 killed: a decrease is a correction; pass --correction"),
        ("DZ-1", [], ["combatants=10", "combatants/national-defence=10"], {},
         "--injured: combatants would fall from 18 to 10 injured, more than the 0 who died of wounds: pass --correction"),
        ("DZ-1", ["combatants=4"], ["combatants=18"], {}, "nothing changes"),
        ("DZ-1", [], [], {}, "expected at least one --killed or --injured change"),
        ("DZ-1", ["combatants=5"], [], {"recorded_at": "2023-06-23"},
         "--recorded: expected a date on or after the incident's date and recording (2023-06-24), got 2023-06-23"),
        ("DZ-1", ["combatants=5"], [], {"recorded_at": "2023-06-31"}, "--recorded: expected a real calendar date"),
        ("DZ-1", ["combatants=5"], [], {"recorded_at": "2999-01-01"}, "--recorded: expected a date between 1900 and"),
        ("DZ-1", ["combatants=5"], [], {"reason": "  "}, "--reason: expected a value, got an empty field"),
        ("DZ-1", ["combatants=5"], [], {"reason": "died\nof wounds"}, "--reason: line break"),
    ],
)
def test_refusals_write_nothing(landmine, profile, incident, killed, injured, options, message):
    version = landmine.data_version()
    options = {"reason": "died of wounds", "recorded_at": "2023-06-26", **options}
    with pytest.raises(ReportgenError) as exc:
        revise(landmine, profile, incident, parse_changes(killed, injured), options.pop("reason"), **options)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)
    assert landmine.data_version() == version
    assert landmine.revisions_of("DZ-1") == []
    assert state(landmine) == {("combatants", ""): (4, 18), ("combatants", "national-defence"): (4, 18)}


def test_a_revision_may_not_be_dated_before_the_latest_one(landmine, profile):
    revise(landmine, profile, "DZ-1", parse_changes(["combatants=5"], ["combatants=17"]), "died of wounds",
           recorded_at="2023-06-26T10:00")
    with pytest.raises(InputError, match=r"latest revision \(2023-06-26T10:00:00\), got 2023-06-26T09:00:00"):
        plan_revisions(landmine, profile, "DZ-1", parse_changes(["combatants=6"], []), "died of wounds",
                       recorded_at="2023-06-26T09:00")


def test_a_revision_may_not_be_dated_before_the_incident_was_recorded(store, profile):
    store.add_incidents([Incident(
        id="LATE", date="2023-06-01", region="hama", province="Hama", district="", location="Ithriya",
        perpetrator="ISIS", kind="ambush", recorded_at="2023-06-10", casualties=(Casualty("civilians", "", 1, 1),),
    )])
    with pytest.raises(InputError, match="on or after the incident's date and recording"):
        plan_revisions(store, profile, "LATE", parse_changes(["civilians=2"], []), "died of wounds", recorded_at="2023-06-05")


def test_a_stale_revision_is_refused_when_written(landmine, profile):
    """Planned from a read that another writer has since overtaken."""
    stale = plan_revisions(landmine, profile, "DZ-1", parse_changes(["combatants=5"], []), "died of wounds",
                           recorded_at="2023-06-26")
    revise(landmine, profile, "DZ-1", parse_changes(["combatants=6"], []), "died of wounds", recorded_at="2023-06-26")
    with pytest.raises(ReportgenError, match="changed meanwhile"):
        landmine.add_revisions(stale)
    assert state(landmine)[("combatants", "")] == (6, 18)


def test_revision_file_rows_build_on_earlier_rows(landmine, profile, tmp_path):
    path = tmp_path / "revisions.csv"
    path.write_text(
        "incident_id,killed,injured,reason,recorded\n"
        "DZ-1,combatants=5,combatants=17,died of wounds,2023-06-26\n"
        "DZ-1,combatants=6,combatants=16,died of wounds,2023-06-28\n",
        encoding="utf-8",
    )
    assert apply_revision_file(landmine, profile, path) == 4
    assert state(landmine) == {("combatants", ""): (6, 16), ("combatants", "national-defence"): (6, 16)}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("incident_id,killed,reason,recorded\nDZ-1,combatants=-5,x,2023-06-26\n", ":2: killed combatants: expected a whole number"),
        ("incident_id,killed,reason,recorded\nDZ-9,combatants=5,x,2023-06-26\n", ":2: incident_id: no such incident 'DZ-9'"),
        ("incident_id,killed,reason,when\nDZ-1,combatants=5,x,2023-06-26\n", ":1: when: unexpected column"),
        ("incident_id,killed\nDZ-1,combatants=5\n", ":1: reason: required column is missing"),
        ("incident_id,killed,reason\nDZ-1,combatants=5,x,extra\n", ":2: expected as many fields as the header has"),
        ("incident_id,killed,reason,recorded\nDZ-1,combatants=5,x,2023-06-26\nDZ-1,combatants=3,y,2023-06-27\n",
         ":3: killed: combatants would fall from 5 to 3 killed: a decrease is a correction; pass correction"),
    ],
)
def test_a_bad_revision_file_writes_nothing(landmine, profile, tmp_path, body, message):
    path = tmp_path / "revisions.csv"
    path.write_text(body, encoding="utf-8")
    version = landmine.data_version()
    with pytest.raises(InputError) as exc:
        apply_revision_file(landmine, profile, path)
    assert str(exc.value).startswith(str(path))
    assert message in str(exc.value)
    assert landmine.data_version() == version
    assert landmine.revisions_of("DZ-1") == []


def test_history_lists_revisions_and_current_figures(sample_store):
    item = history(sample_store, SHAJIRY)
    data = item.to_dict()
    assert data["incident"]["location"] == "Al-Shajiry Village"
    assert [(r["subgroup"], r["killed_old"], r["killed_new"], r["reason"]) for r in data["revisions"]] == [
        ("", 4, 5, "died of wounds"), ("national-defence", 4, 5, "died of wounds"),
    ]
    assert {(c["category"], c["subgroup"]): c["killed"] for c in data["current"]}[("combatants", "")] == 5


def test_history_of_an_unknown_incident_is_an_error(sample_store):
    with pytest.raises(ReportgenError, match="no such incident"):
        history(sample_store, "nope")


def test_history_tables_show_markup_in_data_as_text(landmine, profile):
    reason = "[bold red]FAKE[/] [link=file:///etc/passwd]x[/link] [/]"
    revise(landmine, profile, "DZ-1", parse_changes(["combatants=5"], []), reason, recorded_at="2023-06-26",
           recorded_by="[/]")
    console = Console(record=True, width=300)
    for table in history_tables(history(landmine, "DZ-1")):
        console.print(table)
    shown = console.export_text()
    assert reason in shown
    assert "│ [/] " in shown


def test_revisions_given_by_file_name_their_file(landmine, profile):
    where = Where("revisions.csv", 7)
    with pytest.raises(InputError, match=r"^revisions.csv:7: incident_id: no such incident"):
        plan_revisions(landmine, profile, "DZ-404", [TollChange("combatants", "", 1)], "x", "2023-06-26", where=where)
