"""The wording stage: filters, and the golden comparison with the seed document."""

from __future__ import annotations

import pytest
from seed_text import SEED, SEED_TALLY_DIFFERENCES

from reportgen.aggregate import summarize
from reportgen.periods import month_scope, year_scope
from reportgen.records import Casualty, Incident
from reportgen.store import open_store
from reportgen.summary import CategoryCount
from reportgen.wording import Wording, count_word, counted, environment, join_list, noun, tally_text


@pytest.fixture(scope="module")
def sample(sample_db):
    store = open_store(sample_db, create=False)
    yield store
    store.close()


def seed_tally_lines() -> list[str]:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("According to"))
    return [line for line in lines[start:] if line.strip()]


def test_generated_tally_differs_from_the_seed_only_where_documented(sample, profile):
    generated = tally_text(summarize(sample, profile, year_scope(2023)), profile).splitlines()
    seed = seed_tally_lines()
    assert len(generated) == len(seed)
    differences = {(s, g) for s, g in zip(seed, generated, strict=True) if s != g}
    assert differences == set(SEED_TALLY_DIFFERENCES)


def test_tally_regional_lines_add_up_to_the_group_lines(sample, profile):
    summary = summarize(sample, profile, year_scope(2023))
    for key in ("combatants", "civilians"):
        regional = sum(c.killed for r in summary.regions for c in r.categories if c.category == key)
        assert regional == summary.group(key).killed
    assert sum(r.operations for r in summary.regions) == summary.operations == 148
    assert summary.total_killed == sum(g.killed for g in summary.groups) == 562


@pytest.mark.parametrize(
    ("n", "cap", "expected"),
    [(1, False, "one"), (5, True, "Five"), (10, False, "ten"), (11, False, "11"), (134, True, "134")],
)
def test_counts_up_to_ten_are_words(n, cap, expected):
    assert count_word(n, cap) == expected


def test_plural_choice_follows_cldr_rules():
    assert noun(1, "civilian", "civilians") == "civilian"
    assert noun(0, "civilian", "civilians") == "civilians"
    assert counted(1, "operation", "operations", cap=True) == "One operation"


def test_join_list_uses_the_templates_words():
    assert join_list(["a", "b", "c"]) == "a, b and c"
    assert join_list(["a"]) == "a"
    assert join_list(["a", "b"], last=" or ") == "a or b"


def test_including_reads_one_as_an_article_and_leaves_zeros_out(profile):
    wording = Wording(profile)
    count = CategoryCount("civilians", 7, 0, {"women": 1, "children": 0})
    assert wording.including_parts(count) == ["a woman"]
    count = CategoryCount("combatants", 40, 0, {"iranian-backed": 12, "25th-division": 3, "national-defence": 4})
    assert wording.including_parts(count) == ["12 Iranian-backed militiamen", "three members of the 25th Division"]
    assert wording.including_parts(count, "group") == ["12 Iranian-backed Syrian and non-Syrian militiamen"]


def test_month_tally_names_the_month(sample, profile):
    text = tally_text(summarize(sample, profile, month_scope(2023, 6)), profile)
    assert "in June 2023 stood at" in text
    assert "Here is a regional distribution of ISIS attacks in June 2023:" in text


def test_user_template_overrides_the_shipped_one(sample, profile, tmp_path):
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "tally.txt.j2").write_text(
        '{% include "default:text/tally.txt.j2" %}Compiled by the desk.\n', encoding="utf-8"
    )
    text = tally_text(summarize(sample, profile, year_scope(2023)), profile, tmp_path)
    assert text.startswith("According to SOHR statistics")
    assert text.endswith("three combatants dead.\nCompiled by the desk.\n")


def test_compact_form_closes_a_last_including_clause_with_a_comma(profile):
    from reportgen.summary import RegionLine

    wording = environment(profile)
    region = RegionLine("aleppo", "Aleppo desert", 1, 2, 0, True,
                        [CategoryCount("combatants", 2, 0, {"25th-division": 1})])
    macros = wording.get_template("text/macros.txt.j2").module
    assert str(macros.compact_region(region)) == (
        "One operation left two combatants, including a member of the 25th Division, dead."
    )


def incident(n: int, day: str, region: str, perpetrator: str = "ISIS", kind: str = "ambush", district: str = "",
             **killed: int) -> Incident:
    """An incident with its killed by category, and by category__subgroup ("civilians__children": 1)."""
    casualties = tuple(Casualty(*key.split("__") if "__" in key else (key, ""), n_killed, 0) for key, n_killed in killed.items())
    return Incident(f"T-{n}", day, region, region.title(), district, "somewhere", perpetrator, kind, casualties=casualties)


def tally_of(store, profile, incidents, period=(2025, 6)) -> str:
    store.add_incidents(incidents)
    return tally_text(summarize(store, profile, month_scope(*period)), profile)


def test_one_airstrike_names_its_one_desert_and_its_cause_only(store, profile):
    text = tally_of(store, profile, [incident(1, "2025-06-03", "homs", "russia", "airstrike", isis=2)])
    assert text == (
        "According to SOHR statistics, the number of fatalities in military operations in the Syrian desert in June 2025"
        " stood at two; and they are as follows:\n"
        "• Two ISIS members were killed in Russian airstrikes on ISIS hideouts in the desert of Homs.\n"
        "No ISIS attacks were documented in June 2025.\n"
    )


def test_the_operations_line_names_the_kinds_and_places_that_occurred(store, profile):
    text = tally_of(store, profile, [
        incident(1, "2025-06-03", "hama", kind="ied", combatants=3),
        incident(2, "2025-06-04", "deir-ezzor", kind="explosion", district="Al-Masrib", civilians=1),
        incident(3, "2025-06-05", "hama", kind="landmine", combatants=1),
    ])
    assert ("• Four members of regime forces and their proxy militias were killed in three operations by ISIS members,"
            " including explosions, in west Euphrates region and the deserts of Deir Ezzor and Hama.\n") in text
    assert "• A civilian was killed" not in text and "• One civilian was killed in attacks by ISIS in the Syrian desert.\n" in text


def test_a_subgroup_that_is_the_whole_count_is_named_as_the_subgroup(store, profile):
    text = tally_of(store, profile, [
        incident(1, "2025-06-03", "aleppo", combatants=3, **{"combatants__iranian-backed": 3}),
        incident(2, "2025-06-04", "homs", civilians=1, **{"civilians__children": 1}),
        incident(3, "2025-06-05", "hama", civilians=12, **{"civilians__women": 12}),
    ])
    assert "-Aleppo desert: One operation left three Iranian-backed militiamen dead.\n" in text
    assert "-Homs desert: One operation left a child dead.\n" in text
    assert "-Hama desert: One operation left 12 fatalities:\n• 12 women.\n" in text
    assert "• 13 civilians, including 12 women and a child, were killed" in text
    assert "• Three Iranian-backed Syrian and non-Syrian militiamen were killed in three operations" in text


def test_a_month_without_fatalities_says_so_in_one_sentence(store, profile):
    text = tally_of(store, profile, [incident(1, "2025-06-03", "homs", combatants=0)])
    assert text == (
        "According to SOHR statistics, no fatalities in military operations in the Syrian desert were documented in June 2025.\n"
        "Here is a regional distribution of ISIS attacks in June 2025:\n"
        "-Homs desert: One operation left no fatalities.\n"
    )


def test_a_year_without_fatalities_or_operations(store, profile):
    store.add_incidents([incident(1, "2025-03-03", "homs", "regime", "clash", isis=0)])
    text = tally_text(summarize(store, profile, year_scope(2025)), profile)
    assert text == (
        "According to SOHR statistics, no fatalities in military operations in the Syrian desert have been documented since early 2025.\n"
        "No ISIS attacks have been documented since early 2025.\n"
    )


def test_deaths_outside_the_operations_are_not_put_in_them(store, profile):
    text = tally_of(store, profile, [
        incident(1, "2025-06-03", "homs", combatants=2),
        incident(2, "2025-06-04", "raqqa", "unknown", "assassination", combatants=1),
    ])
    assert ("• Three members of regime forces and their proxy militias were killed, two of them in one operation by ISIS members,"
            " including ambushes, in the deserts of Al-Raqqah and Homs.\n") in text


def test_causes_that_do_not_account_for_every_death_are_not_named(store, profile):
    text = tally_of(store, profile, [
        incident(1, "2025-06-03", "homs", "russia", "airstrike", isis=1),
        incident(2, "2025-06-04", "hama", "unknown", "shelling", isis=1),
    ])
    assert "• Two ISIS members were killed in the deserts of Homs and Hama.\n" in text
