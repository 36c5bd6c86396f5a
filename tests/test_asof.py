"""As-of reconstruction: the figures as they had been recorded by a given day.

The sample data's Al-Shajiry landmine incident (2023-06-24) was documented with
four dead and revised to five on 2023-06-26: the tallies as of the 25th and the
26th differ by that one death and by nothing else.
"""

from __future__ import annotations

from datetime import date

import pytest

from reportgen.aggregate import summarize
from reportgen.periods import month_scope, ytd_scope
from reportgen.revise import parse_changes, revise

SHAJIRY = "2023-DZ-SHAJIRY"


def flat(value, path=""):
    """A Summary dict as {path: leaf}; list items are named by their region or category."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flat(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            name = (item.get("region") or item.get("category")) if isinstance(item, dict) else i
            yield from flat(item, f"{path}[{name}]")
    else:
        yield path, value


def differences(before, after) -> dict:
    a, b = dict(flat(before.to_dict())), dict(flat(after.to_dict()))
    return {k: (a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}


def tally(cli, db, *args) -> list[str]:
    result = cli("--db", db, "tally", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_tallies_either_side_of_the_revision_differ_by_one_death_in_text(cli, sample_db):
    before = tally(cli, sample_db, "--year", "2023", "--as-of", "2023-06-25")
    after = tally(cli, sample_db, "--year", "2023", "--as-of", "2023-06-26")
    assert len(before) == len(after)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    expected = [("has increased to 561;", "has increased to 562;"),
                ("• 352 members of regime forces", "• 353 members of regime forces"),
                ("-Deir Ezzor desert: 59 operations left 171 fatalities:", "-Deir Ezzor desert: 59 operations left 172 fatalities:"),
                ("• 138 combatants, including 22", "• 139 combatants, including 22")]
    assert len(changed) == len(expected)
    for (old_line, new_line), (old, new) in zip(changed, expected, strict=True):
        assert old in old_line
        assert new_line == old_line.replace(old, new)


def test_summaries_either_side_of_the_revision_differ_by_one_death(sample_store, profile):
    before = summarize(sample_store, profile, ytd_scope(date(2023, 6, 25)))
    after = summarize(sample_store, profile, ytd_scope(date(2023, 6, 26)))
    assert differences(before, after) == {
        "total_killed": (561, 562),
        "total_injured": (587, 586),  # the man who died was one of the injured
        "groups[combatants].killed": (352, 353),
        "groups[combatants].in_operations": (352, 353),
        "groups[combatants].injured": (322, 321),
        "groups[combatants].subgroups.national-defence": (4, 5),
        "regions[deir-ezzor].killed": (171, 172),
        "regions[deir-ezzor].injured": (180, 179),
        "regions[deir-ezzor].categories[combatants].killed": (138, 139),
        "regions[deir-ezzor].categories[combatants].injured": (112, 111),
        "regions[deir-ezzor].categories[combatants].subgroups.national-defence": (4, 5),
        "regions_total.killed": (554, 555),  # the regions' sums
        "regions_total.injured": (584, 583),
        "regions_total.categories[combatants].killed": (352, 353),
        "regions_total.categories[combatants].injured": (322, 321),
        "scope.as_of": ("2023-06-25", "2023-06-26"),
        "scope.end": ("2023-06-25", "2023-06-26"),
    }


def test_as_of_today_is_the_current_state(sample_store, profile):
    now = summarize(sample_store, profile, month_scope(2023, 6))
    later = summarize(sample_store, profile, month_scope(2023, 6, as_of=date(2030, 1, 1)))
    assert set(differences(now, later)) == {"scope.as_of"}


@pytest.fixture
def db(sample_location):
    return sample_location


def test_an_incident_recorded_after_the_as_of_day_is_left_out(cli, db, tmp_path):
    """Dated in June, but only documented on 2 July: a June bulletin published on 1 July did not have it."""
    late = tmp_path / "late.csv"
    late.write_text(
        "id,date,region,perpetrator,kind,combatants_killed,civilians_killed,isis_killed,recorded\n"
        "LATE-1,2023-06-10,hama,ISIS,ambush,0,3,0,2023-07-02\n",
        encoding="utf-8",
    )
    assert cli("--db", db, "import", late).exit_code == 0
    before = tally(cli, db, "--period", "2023-06", "--as-of", "2023-07-01")
    after = tally(cli, db, "--period", "2023-06", "--as-of", "2023-07-02")
    assert tally(cli, db, "--period", "2023-06") == after
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    replaced = [("stood at 60;", "stood at 63;"), ("in 19 operations", "in 20 operations"),
                ("• 17 civilians", "• 20 civilians"),
                ("Two operations left four combatants dead.", "Three operations left three civilians and four combatants dead.")]
    assert len(changed) == len(replaced)
    for (old_line, new_line), (old, new) in zip(changed, replaced, strict=True):
        assert old in old_line
        assert new_line == old_line.replace(old, new)


def test_a_revision_recorded_later_is_undone(db, profile):
    from reportgen.store import open_store

    store = open_store(db, create=False)
    revise(store, profile, SHAJIRY, parse_changes(["combatants=7"], ["combatants=15"]), "died of wounds",
           recorded_at="2023-07-05")

    def combatants(day: date) -> tuple[int, int]:
        group = summarize(store, profile, month_scope(2023, 6, as_of=day)).group("combatants")
        return group.killed, group.subgroups.get("national-defence", 0)

    june = summarize(store, profile, month_scope(2023, 6)).group("combatants").killed
    assert combatants(date(2023, 6, 24)) == (june - 3, 4)  # as first documented
    assert combatants(date(2023, 6, 25)) == (june - 3, 4)
    assert combatants(date(2023, 6, 26)) == (june - 2, 5)  # the first revision
    assert combatants(date(2023, 7, 4)) == (june - 2, 5)
    assert combatants(date(2023, 7, 5)) == (june, 7)  # the second
    assert combatants(date(2023, 6, 23)) == (june - 7, 0)  # not yet recorded
    store.close()
