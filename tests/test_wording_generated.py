"""The tally's wording on data no one wrote by hand.

Many random datasets (seeded, so a failure can be replayed: the test id names the
seed) are imported into real databases; each year's tally and each month's is
compared line by line with a text written here directly from the generated rows,
with the English rules spelled out in this file (number words, plurals, lists),
and checked against the rules that hold whatever the data: no "stood at 0", no
list announced and left empty, places and kinds named only where they occurred.

``REPORTGEN_GENERATED_DATASETS`` sets how many datasets (200 by default).
"""

from __future__ import annotations

import calendar
import csv
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reportgen.aggregate import summarize
from reportgen.ingest import import_file
from reportgen.periods import month_scope, year_scope
from reportgen.profile import Category, Profile, load_profile
from reportgen.store import open_store
from reportgen.wording import tally_text

DATASETS = int(os.environ.get("REPORTGEN_GENERATED_DATASETS", "200"))
YEARS_PER_DATABASE = 100  # datasets share a database, one year each: 1900, 1901, ...
FIRST_YEAR = 1900
PROFILES = {"syrian-desert": 0.8, "sdf-areas": 0.1, "landmines": 0.1}
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
DISTRICTS = ["", "", "", "Al-Masrib", "Al-Mayadin", "Al-Tabni"]


@dataclass
class Row:
    """One generated incident."""

    id: str
    date: str
    region: str
    district: str
    perpetrator: str
    kind: str
    killed: dict[str, int]
    injured: dict[str, int]
    subgroups: dict[tuple[str, str], int] = field(default_factory=dict)


def profile_of(seed: int) -> str:
    return random.Random(f"profile {seed}").choices(list(PROFILES), weights=list(PROFILES.values()))[0]


def dataset(seed: int, profile: Profile) -> list[Row]:
    """A random year of incidents: a few months, some regions left empty, one of several shapes of counts."""
    rng = random.Random(seed)
    year = FIRST_YEAR + seed % YEARS_PER_DATABASE
    shape = rng.choice(["mixed", "mixed", "ones", "no-deaths", "others-only", "whole-subgroups", "large"])
    months = rng.sample(range(1, 13), rng.randint(1, 4))
    regions = rng.sample([r.key for r in profile.regions], rng.randint(1, len(profile.regions)))
    actors = [a.key for a in profile.actors]
    rows = []
    for n in range(rng.choice([1, 1, 2, 3, 5, 8, 13, 25])):
        month = rng.choice(months)
        perpetrator = _perpetrator(rng, shape, actors, profile)
        killed = {c.key: _count(rng, shape) for c in profile.categories}
        rows.append(Row(
            id=f"G{seed}-{n:03d}",
            date=f"{year:04d}-{month:02d}-{rng.randint(1, calendar.monthrange(year, month)[1]):02d}",
            region=rng.choice(regions),
            district=rng.choice(DISTRICTS),
            perpetrator=perpetrator,
            kind=_kind(rng, perpetrator, profile),
            killed=killed,
            injured={c: rng.choice([0, 0, 1, 4]) for c in killed},
            subgroups=_subgroups(rng, shape, profile, killed),
        ))
    return rows


def _perpetrator(rng: random.Random, shape: str, actors: list[str], profile: Profile) -> str:
    operators = [a for a in actors if a in profile.operations_by]
    others = [a for a in actors if a not in profile.operations_by] or actors
    if shape == "others-only" or not operators:
        return rng.choice(others)
    return rng.choice(operators) if rng.random() < 0.7 else rng.choice(others)


def _kind(rng: random.Random, perpetrator: str, profile: Profile) -> str:
    kinds = list(profile.kinds)
    usual = {"russia": "airstrike", "regime": "clash"}.get(perpetrator)
    return usual if usual in kinds and rng.random() < 0.8 else rng.choice(kinds)


def _count(rng: random.Random, shape: str) -> int:
    if shape == "no-deaths":
        return 0
    if shape == "ones":
        return rng.choice([0, 1])
    if shape == "large":
        return rng.choice([0, 11, 99, 250, 1000, 3000])
    return rng.choice([0, 0, 0, 1, 1, 2, 3, 5, 9, 10, 11, 12, 40])


def _subgroups(rng: random.Random, shape: str, profile: Profile, killed: dict[str, int]) -> dict[tuple[str, str], int]:
    """Subgroup counts within their category (together never above it); with ``whole-subgroups``
    one subgroup is often the whole category."""
    found = {}
    for category in profile.categories:
        left = killed[category.key]
        subgroups = list(category.subgroups)
        rng.shuffle(subgroups)
        for sub in subgroups:
            if not left or rng.random() < 0.5:
                continue
            n = left if shape == "whole-subgroups" or rng.random() < 0.3 else rng.randint(1, left)
            found[(category.key, sub.key)] = n
            left -= n
    return found


def write_csv(path: Path, rows: list[Row], profile: Profile) -> None:
    columns = ["id", "date", "region", "province", "district", "location", "perpetrator", "kind", "subgroups", "summary", "sources"]
    for c in profile.categories:
        columns += [f"{c.key}_killed", f"{c.key}_injured"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            record = {
                "id": r.id, "date": r.date, "region": r.region, "province": profile.region(r.region).province,
                "district": r.district, "location": "", "perpetrator": r.perpetrator, "kind": r.kind,
                "subgroups": ";".join(f"{c}/{s}={n}" for (c, s), n in r.subgroups.items()),
                "summary": "Generated.", "sources": "generated",
            }
            for c in profile.categories:
                record[f"{c.key}_killed"] = r.killed[c.key]
                record[f"{c.key}_injured"] = r.injured[c.key]
            writer.writerow(record)


# ---- the expected text, written from the rows -------------------------------------------------

def word(n: int, cap: bool = False) -> str:
    text = WORDS[n] if 1 <= n <= 10 else str(n)
    return text[:1].upper() + text[1:] if cap else text


def counted(n: int, singular: str, plural: str, cap: bool = False) -> str:
    return f"{word(n, cap)} {singular if n == 1 else plural}"


def joined(items: list[str], last: str = " and ") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def subgroup_phrase(sub, n: int, group: bool) -> str:
    if n == 1:
        return sub.one
    return counted(n, sub.group_singular, sub.group_plural) if group else counted(n, sub.singular, sub.plural)


def label_and_parts(category: Category, killed: int, subs: dict[str, int], group: bool) -> tuple[str, list[str]]:
    """How a count is named and its "including" parts: a cited subgroup that is all of it names it."""
    cited = [s for s in category.subgroups if (s.cite_in_group if group else s.cite_in_regions)]
    whole = next((s for s in cited if subs.get(s.key, 0) == killed), None)
    if whole is not None:
        label = subgroup_phrase(whole, killed, group)
    elif group:
        label = counted(killed, category.group_singular, category.group_plural)
    else:
        label = counted(killed, category.singular, category.plural)
    return label, [subgroup_phrase(s, subs[s.key], group) for s in cited if subs.get(s.key) and s is not whole]


def item(category: Category, rows: list[Row], cap: bool) -> tuple[str, bool]:
    """"134 combatants, including ..." of a region, and whether it has an including clause."""
    killed = sum(r.killed[category.key] for r in rows)
    subs = {s.key: sum(r.subgroups.get((category.key, s.key), 0) for r in rows) for s in category.subgroups}
    label, parts = label_and_parts(category, killed, subs, group=False)
    label = capital(label) if cap else label
    return (f"{label}, including {joined(parts)}" if parts else label), bool(parts)


def ordered(keys: set[str], first: tuple[str, ...], then: list[str]) -> list[str]:
    order = list(first) + [k for k in then if k not in first]
    return sorted(keys, key=order.index)


def group_line(profile: Profile, category: Category, rows: list[Row], operations: list[Row]) -> str:
    key = category.key
    killed = sum(r.killed[key] for r in rows)
    subs = {s.key: sum(r.subgroups.get((key, s.key), 0) for r in rows) for s in category.subgroups}
    label, parts = label_and_parts(category, killed, subs, group=True)
    text = capital(label) + (f", including {joined(parts)}," if parts else "") + (" was killed" if killed == 1 else " were killed")
    in_operations = sum(r.killed[key] for r in operations)
    says_operations = category.count_operations and bool(operations) and in_operations > 0
    if says_operations:
        if in_operations < killed:
            text += f", {word(in_operations)} of them"
        text += " in " + counted(len(operations), "operation", "operations")
    if category.circumstances and (says_operations or not category.count_operations):
        text += " " + category.circumstances
    dead = [r for r in rows if r.killed[key]]
    counted_rows = dead + (operations if says_operations else [])
    kinds = list(dict.fromkeys(profile.kind_phrases[k] for k in profile.kind_phrases if says_operations
                               and any(r.kind == k for r in operations)))
    causes = causes_of(category, dead)
    places = places_of(profile, category, counted_rows)
    if kinds:
        text += ", including " + joined(kinds, ", and " if len(kinds) > 2 else " and ")
        text += "," if causes or places or category.where else ""
    if causes:
        text += f" {category.cause_lead} {joined(causes)}"
    if places:
        text += " in " + joined(places)
    elif category.where:
        text += " " + category.where
    return text + "."


def causes_of(category: Category, dead: list[Row]) -> list[str]:
    found = set()
    for r in dead:
        cause = next((c for c in category.causes if (not c.perpetrators or r.perpetrator in c.perpetrators)
                      and (not c.kinds or r.kind in c.kinds)), None)
        if cause is None:
            return []
        found.add(cause.key)
    return [c.phrase for c in category.causes if c.key in found]


def places_of(profile: Profile, category: Category, rows: list[Row]) -> list[str]:
    if not category.places:
        return []
    areas = {a.key for a in profile.areas for r in rows if r.district in a.districts}
    regions = ordered({r.region for r in rows}, category.places, [r.key for r in profile.regions])
    names = [profile.area(a).name for a in ordered(areas, category.places, [a.key for a in profile.areas])]
    if regions:
        pattern = profile.place_phrases["one" if len(regions) == 1 else "other"]
        names.append(pattern.replace("{places}", joined([profile.region(k).place_name for k in regions])))
    return names


def region_lines(profile: Profile, operations: list[Row], kind: str, when: str) -> list[str]:
    if not operations:
        return [f"No {profile.operations_label} {'have been documented since early' if kind == 'year' else 'were documented in'} {when}."]
    lines = [f"Here is a regional distribution of {profile.operations_label} in {when}:"]
    for region in profile.regions:
        ops = [r for r in operations if r.region == region.key]
        if not ops:
            continue
        cats = [profile.category(c) for c in region.categories if sum(r.killed[c] for r in ops)]
        total = sum(r.killed[c.key] for r in ops for c in cats)
        head = counted(len(ops), profile.operation_singular, profile.operation_plural, cap=True)
        if profile.is_compact(region, total):
            lines.append(f"-{region.name}: {head} left {compact_items(cats, ops)}.")
        else:
            lines.append(f"-{region.name}: {head} left {counted(total, 'fatality', 'fatalities')}:")
            lines += [f"• {item(c, ops, cap=True)[0]}." for c in cats]
    return lines


def compact_items(cats: list[Category], ops: list[Row]) -> str:
    if not cats:
        return "no fatalities"
    text, previous = "", False
    for n, c in enumerate(cats):
        phrase, has_parts = item(c, ops, cap=False)
        last = n == len(cats) - 1
        if n:
            text += ("," + (" and" if last else "")) if previous else (" and" if last else ",")
        text += " " + phrase
        previous = has_parts
    return text.lstrip() + ("," if previous else "") + " dead"


def expected_tally(profile: Profile, rows: list[Row], kind: str, year: int, month: int | None = None) -> str:
    ops = [r for r in rows if r.perpetrator in profile.operations_by or "*" in profile.operations_by]
    when = str(year) if kind == "year" else f"{calendar.month_name[month]} {year}"
    lines = [f"According to {profile.organisation} statistics, "]
    groups = [profile.category(k) for k in profile.group_order if sum(r.killed[k] for r in rows)]
    total = sum(sum(r.killed.values()) for r in rows)
    if not groups:
        verb = "have been documented since early" if kind == "year" else "were documented in"
        lines[0] += f"no fatalities in {profile.subject} {verb} {when}."
    else:
        since = f"since early {year} has increased to" if kind == "year" else f"in {calendar.month_name[month]} {year} stood at"
        lines[0] += f"the number of fatalities in {profile.subject} {since} {word(total)}; and they are as follows:"
        lines += [f"• {group_line(profile, c, rows, ops)}" for c in groups]
    return "\n".join(lines + region_lines(profile, ops, kind, when)) + "\n"


# ---- the databases and the checks --------------------------------------------------------------

def _database_index(seed: int) -> int:
    return seed // YEARS_PER_DATABASE


@pytest.fixture(scope="module")
def generated(tmp_path_factory, databases) -> dict[tuple[int, str], object]:
    """One database per block of datasets and profile, each dataset a year of its own."""
    folder = tmp_path_factory.mktemp("generated")
    blocks: dict[tuple[int, str], list[int]] = {}
    for seed in range(DATASETS):
        blocks.setdefault((_database_index(seed), profile_of(seed)), []).append(seed)
    locations = {}
    for (index, name), seeds in blocks.items():
        profile = load_profile(name)
        source = folder / f"{name}-{index}.csv"
        write_csv(source, [r for s in seeds for r in dataset(s, profile)], profile)

        def fill(location, source=source, profile=profile):
            store = open_store(location)
            try:
                import_file(store, profile, source)
            finally:
                store.close()

        locations[(index, name)] = databases.built(folder / f"{name}-{index}.db", fill)
    return locations


@pytest.mark.parametrize("seed", range(DATASETS))
def test_every_figure_place_and_kind_comes_from_the_rows(seed, generated):
    name = profile_of(seed)
    profile = load_profile(name)
    rows = dataset(seed, profile)
    year = FIRST_YEAR + seed % YEARS_PER_DATABASE
    store = open_store(generated[(_database_index(seed), name)], create=False)
    try:
        scopes = [("year", year, None)] + [("month", year, m) for m in sorted({int(r.date[5:7]) for r in rows})]
        for kind, y, month in scopes:
            scope = year_scope(y) if kind == "year" else month_scope(y, month)
            in_scope = [r for r in rows if r.date.startswith(scope.key)]
            text = tally_text(summarize(store, profile, scope), profile)
            assert text == expected_tally(profile, in_scope, kind, y, month), f"seed {seed}, {scope.key}"
            check_rules(text, profile, in_scope)
    finally:
        store.close()


def check_rules(text: str, profile: Profile, rows: list[Row]) -> None:
    """What holds of any tally, whatever its data."""
    assert "stood at 0" not in text and "increased to 0" not in text
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.endswith(":"):  # an announced list is followed by its first entry
            assert n + 1 < len(lines) and lines[n + 1].startswith(("•", "-")), line
    assert not re.search(r"\b1 [a-z-]+s\b", text), "a count of one with a plural noun"
    assert not re.search(r"\b(one|One) (combatants|civilians|members|operations|fatalities)\b", text)
    named = {r.name for r in profile.regions if f"-{r.name}:" in text}
    with_operations = {profile.region(r.region).name for r in rows if r.perpetrator in profile.operations_by}
    assert named == with_operations
