"""The wording stage: filters, and the golden comparison with the seed document."""

from __future__ import annotations

import pytest
from seed_text import SEED, SEED_TALLY_DIFFERENCES

from reportgen.aggregate import summarize
from reportgen.periods import month_scope, year_scope
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
