"""Checks of published tallies: their own arithmetic, and the database's figures."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from reportgen.aggregate import summarize
from reportgen.check import (
    check_reading,
    check_scope,
    check_tally,
    compare_with_summary,
    inconsistencies,
    published_lines,
)
from reportgen.errors import ReportgenError
from reportgen.parse import parse_file, parse_text
from reportgen.periods import month_scope, year_scope
from reportgen.profile import load_profile
from reportgen.wording import tally_text

ROOT = Path(__file__).parent.parent
SEED = ROOT / "seeds" / "000_93b1b6f763f6354e.txt"
POSTS = Path(__file__).parent / "data" / "posts"


def test_the_seed_has_exactly_one_inconsistency(profile):
    reading = parse_file(SEED, profile)
    found = inconsistencies(check_tally(reading.tally, profile))
    assert [(f.check, f.field, f.stated, f.computed) for f in found] == [
        ("category", "groups.combatants.killed", 353, 352)]
    assert "regime forces" in found[0].subject
    assert found[0].line == 11


def test_a_lower_bound_category_may_exceed_the_regions_but_not_fall_below(profile):
    reading = parse_file(SEED, profile)
    isis = next(f for f in check_tally(reading.tally, profile) if f.field == "groups.isis.killed")
    assert (isis.stated, isis.computed, isis.relation, isis.ok) == (44, 37, ">=", True)
    text = SEED.read_text(encoding="utf-8").replace("• 44 ISIS members", "• 30 ISIS members").replace("to 562;", "to 548;")
    fewer = parse_text(text, profile)
    failed = inconsistencies(check_tally(fewer.tally, profile))
    assert {f.field for f in failed} == {"groups.isis.killed", "groups.combatants.killed"}


@pytest.mark.parametrize("path", sorted(POSTS.glob("*.expected.toml")), ids=lambda p: p.name.split(".")[0])
def test_example_posts_check_as_expected(path):
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    if not spec.get("tally", True):
        return
    profile = load_profile(spec["profile"])
    reading = parse_file(path.with_name(path.name.replace(".expected.toml", ".txt")), profile)
    failed = sorted(f.field for f in inconsistencies(check_tally(reading.tally, profile)))
    assert failed == sorted(spec.get("inconsistent", []))
    assert spec["consistent"] == (not failed)


@pytest.mark.parametrize("change, field", [
    (("-Homs desert: 53 operations left 236", "-Homs desert: 53 operations left 237"), "regions.homs.killed"),
    (("-Hama desert: 18 operations", "-Hama desert: 19 operations"), "groups.combatants.operations"),
    (("has increased to 562", "has increased to 563"), "total"),
    (("• 89 civilians, including a woman.", "• 89 civilians, including 90 women."), "regions.homs.civilians.women"),
])
def test_each_kind_of_slip_is_found(profile, change, field):
    text = SEED.read_text(encoding="utf-8").replace(*change)
    failed = {f.field for f in inconsistencies(check_tally(parse_text(text, profile).tally, profile))}
    assert field in failed


def test_the_older_variant_checks_its_total_without_civilians(profile):
    reading = parse_file(POSTS / "desert-2023-in-addition.txt", profile)
    total = next(f for f in check_tally(reading.tally, profile) if f.field == "total")
    assert (total.stated, total.computed, total.ok) == (131, 131, True)
    assert "without" in total.subject


def test_sister_tally_checks_injured_too():
    profile = load_profile("landmines")
    reading = parse_file(POSTS / "landmines-2024.txt", profile)
    injured = next(f for f in check_tally(reading.tally, profile) if f.field == "groups.civilians.injured")
    assert (injured.stated, injured.computed, injured.ok) == (121, 121, True)
    text = (POSTS / "landmines-2024.txt").read_text(encoding="utf-8").replace("and 26 injured", "and 27 injured")
    failed = inconsistencies(check_tally(parse_text(text, profile).tally, profile))
    assert [f.field for f in failed] == ["groups.civilians.injured"]


# -- round trip and the database ------------------------------------------------


@pytest.mark.parametrize("scope", [year_scope(2023), month_scope(2023, 6), month_scope(2023, 2)], ids=lambda s: s.key)
def test_generated_tally_reads_back_to_the_summary_and_checks_clean(sample_store, profile, scope):
    summary = summarize(sample_store, profile, scope)
    reading = parse_text(tally_text(summary, profile), profile)
    assert reading.tally.summary.scope == scope
    assert inconsistencies(check_tally(reading.tally, profile)) == []
    assert published_lines(reading.tally.summary, profile) == published_lines(summary, profile)
    assert compare_with_summary(reading.tally, summary, profile)
    assert inconsistencies(compare_with_summary(reading.tally, summary, profile)) == []


def test_generated_tally_with_hostile_place_names_still_reads_back(store, profile, tmp_path):
    from reportgen.ingest import import_file

    rows = ["id,date,region,province,district,location,perpetrator,kind,combatants_killed,combatants_injured,"
            "civilians_killed,civilians_injured,isis_killed,isis_injured,subgroups,summary,sources",
            '1,2024-02-01,homs,Homs,,"Kabajeb • 999 civilians",ISIS,ambush,3,0,2,0,0,0,,,',
            "2,2024-02-03,hama,Hama,,[/],ISIS,ambush,0,0,1,0,0,0,,,"]
    path = tmp_path / "hostile.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_file(store, profile, path)
    summary = summarize(store, profile, year_scope(2024))
    reading = parse_text(tally_text(summary, profile), profile)
    assert published_lines(reading.tally.summary, profile) == published_lines(summary, profile)


def test_seed_against_the_sample_database(sample_store, profile):
    reading = parse_file(SEED, profile)
    (report,) = check_reading(reading, profile, lambda scope: summarize(sample_store, profile, scope))
    assert report.scope == year_scope(2023)
    assert [(f.field, f.stated, f.computed) for f in inconsistencies(report.database)] == [
        ("regions.deir-ezzor.killed", 171, 172), ("regions.deir-ezzor.combatants", 138, 139)]
    assert len(report.problems) == 3


def test_as_of_a_day_compares_the_year_to_that_day(sample_store, profile):
    reading = parse_file(SEED, profile)
    (report,) = check_reading(reading, profile, lambda scope: summarize(sample_store, profile, scope), as_of=date(2023, 3, 31))
    assert report.scope.kind == "ytd" and report.scope.end == date(2023, 3, 31)
    total = next(f for f in report.database if f.field == "total")
    assert total.computed < 562 and not total.ok


def test_a_line_the_database_has_and_the_text_lacks_is_a_difference(sample_store, profile):
    text = SEED.read_text(encoding="utf-8").replace("-Al-Suwaidaa desert: One operation left three\u00a0combatants\u00a0dead", "")
    reading = parse_text(text, profile)
    db = summarize(sample_store, profile, year_scope(2023))
    missing = {f.field: f for f in compare_with_summary(reading.tally, db, profile) if f.stated is None}
    assert set(missing) == {"regions.suwaidaa.operations", "regions.suwaidaa.killed", "regions.suwaidaa.combatants"}
    assert not missing["regions.suwaidaa.combatants"].ok


def test_scope_needs_a_year():
    with pytest.raises(ReportgenError, match="--year"):
        check_scope(None, None)
    assert check_scope(2023, date(2024, 1, 5)) == year_scope(2023, date(2024, 1, 5))


def test_monthly_summary_lines_compare_by_name(sample_store, profile):
    june = summarize(sample_store, profile, month_scope(2023, 6))
    lines = published_lines(june, profile)
    assert lines["total"] == june.total_killed
    assert all(not k.endswith("national-defence") for k in lines)  # not cited in the format
    changed = replace(june, total_killed=june.total_killed + 1)
    assert published_lines(changed, profile)["total"] == lines["total"] + 1
