"""Profiles: the taxonomy of one tally (regions, categories, subgroups, actors).

A profile is a TOML file. The shipped ones live in ``reportgen/profiles/`` and
are chosen by name; a user's own profile is chosen by path.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from .errors import ReportgenError

SHIPPED = Path(__file__).parent / "profiles"
DEFAULT_PROFILE = "syrian-desert"
Named = TypeVar("Named")  # a profile entry found by its names (a region, an actor)


@dataclass(frozen=True)
class Subgroup:
    key: str
    singular: str
    plural: str
    one: str  # how one of them reads in an "including" clause ("a woman")
    group_singular: str
    group_plural: str
    cite_in_group: bool
    cite_in_regions: bool


@dataclass(frozen=True)
class Cause:
    """What killed the people of a cumulative line, as the line names it ("Russian airstrikes on
    ISIS hideouts"): deaths whose incident's perpetrator and kind match (an empty list matches any)."""

    key: str
    phrase: str
    perpetrators: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def covers(self, perpetrator: str, kind: str) -> bool:
        return (not self.perpetrators or perpetrator in self.perpetrators) and (not self.kinds or kind in self.kinds)


@dataclass(frozen=True)
class Area:
    """A named part of the map that is not a region ("west Euphrates region"): an incident lies in
    it when its district or its location is one of those listed."""

    key: str
    name: str
    districts: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    key: str
    singular: str
    plural: str
    group_singular: str
    group_plural: str
    circumstances: str  # after "in N operations" where the line counts them; else a fixed ending of the line
    count_operations: bool
    all_in_operations: bool
    color: str
    subgroups: tuple[Subgroup, ...]
    causes: tuple[Cause, ...] = ()  # the line names those that killed its dead, when they account for all of them
    cause_lead: str = "in"  # the word before the causes ("in", "due to")
    places: tuple[str, ...] = ()  # the line names the regions (and areas) of its dead, first in this order
    where: str = ""  # the line's ending where it names no places ("in the Syrian desert")

    def subgroup(self, key: str) -> Subgroup | None:
        return next((s for s in self.subgroups if s.key == key), None)


@dataclass(frozen=True)
class Region:
    key: str
    name: str
    province: str
    categories: tuple[str, ...]  # the publisher's order of categories in this region
    compact: bool | None  # None: decided by the profile's fatality threshold
    aliases: tuple[str, ...] = ()  # other spellings found in imported data ("Deir ez Zor")
    place: str = ""  # how a list of places names it ("the deserts of Homs, ..."); the region's name if empty

    @property
    def place_name(self) -> str:
        return self.place or self.name


@dataclass(frozen=True)
class Actor:
    key: str
    name: str


@dataclass(frozen=True)
class Rule:
    """One rule of a dataset mapping: it applies to a record whose named fields each
    match one of their patterns (shell-style ``*`` and ``?``, case-insensitive).

    ``then`` is what the rule decides: a category key (victim and side rules) or an
    actor key (actor rules).
    """

    then: str
    subgroup: str
    when: tuple[tuple[str, tuple[str, ...]], ...]

    def applies(self, record: Mapping[str, str]) -> bool:
        return all(
            any(fnmatchcase(record.get(name, "").casefold(), p.casefold()) for p in patterns)
            for name, patterns in self.when
        )

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.when)


@dataclass(frozen=True)
class DatasetMapping:
    """How the records of a published dataset (ACLED, UCDP GED) become incidents."""

    dataset: str
    columns: dict[str, str]  # region, province, district, location -> the dataset's column
    region_default: str  # the region of a record whose region column is empty ("" refuses it)
    unattributed: str  # the category of deaths that no rule attributes
    civilians: str  # the category of UCDP's deaths_civilians
    victims: tuple[Rule, ...]  # ACLED: which category an event's fatalities belong to
    sides: tuple[Rule, ...]  # UCDP: which category a side's deaths belong to
    actors: tuple[Rule, ...]  # which profile actor a record's perpetrator is
    require_known_actors: bool  # refuse a record whose perpetrator no actor rule knows
    kinds: dict[str, str]  # the dataset's event type -> the profile's kind
    id_prefix: str
    revision_reason: str  # the reason recorded when a re-import changes a toll

    def first(self, rules: tuple[Rule, ...], record: Mapping[str, str]) -> tuple[int, Rule] | None:
        """The first rule (1-based number, rule) that applies to ``record``."""
        return next(((n, r) for n, r in enumerate(rules, 1) if r.applies(record)), None)


@dataclass(frozen=True)
class Profile:
    name: str
    path: str
    language: str
    organisation: str
    title: str
    subject: str
    operations_label: str
    operations_by: tuple[str, ...]
    methods: str
    compact_max_fatalities: int
    regions: tuple[Region, ...]
    categories: tuple[Category, ...]
    group_order: tuple[str, ...]
    actors: tuple[Actor, ...]
    kinds: dict[str, str] = field(default_factory=dict)
    operation_singular: str = "operation"
    operation_plural: str = "operations"
    mappings: dict[str, DatasetMapping] = field(default_factory=dict)
    notice: dict = field(default_factory=dict)  # phrases of toll-update notices, read by reportgen.notice
    areas: tuple[Area, ...] = ()
    kind_phrases: dict[str, str] = field(default_factory=dict)  # kind -> its name in a list of kinds ("ambushes")
    place_phrases: dict[str, str] = field(default_factory=dict)  # CLDR plural category -> "the deserts of {places}"
    measures: tuple[str, ...] = ("killed", "injured")  # what the source records, in MEASURES order
    operations_label_singular: str = ""  # one of ``operations_label`` ("ISIS attack"); "" counts in operation_singular

    def area(self, key: str) -> Area | None:
        return next((a for a in self.areas if a.key == key), None)

    def place_phrase(self, category: str) -> str:
        """The pattern for a list of places of that plural category ("one", "other", ...)."""
        return self.place_phrases.get(category) or self.place_phrases.get("other") or "{places}"

    def category(self, key: str) -> Category | None:
        return self._categories_by_key.get(key)

    @cached_property
    def _categories_by_key(self) -> dict[str, Category]:
        return {c.key: c for c in reversed(self.categories)}  # the first of a key, as a scan finds it

    @cached_property
    def _regions_by_name(self) -> dict[str, Region]:
        return _by_folded_name(self.regions, lambda r: (r.key, r.name, *r.aliases))

    @cached_property
    def _actors_by_name(self) -> dict[str, Actor]:
        return _by_folded_name(self.actors, lambda a: (a.key, a.name))

    def region(self, key_or_name: str) -> Region | None:
        """The region of that key, name or alias; with open regions, one named so."""
        found = self._regions_by_name.get(key_or_name.casefold())
        if found is None and self.open_regions and key_or_name.strip():
            return self._open_region(key_or_name.strip())
        return found

    @property
    def open_regions(self) -> bool:
        """A profile that lists no regions takes them from the data (ACLED's admin1, UCDP's adm_1)."""
        return not self.regions

    def _open_region(self, name: str) -> Region:
        return Region(key=name, name=name, province=name, categories=self.category_keys, compact=None)

    def regions_for(self, keys: Iterable[str]) -> tuple[Region, ...]:
        """The listed regions; with open regions, the regions ``keys`` name, by name."""
        if not self.open_regions:
            return self.regions
        return tuple(self._open_region(k) for k in sorted(set(keys), key=str.casefold))

    @property
    def all_operations(self) -> bool:
        """``operations_by = ["*"]``: every incident counts as an operation, whoever the perpetrator."""
        return "*" in self.operations_by

    def actor(self, key_or_name: str) -> Actor | None:
        return self._actors_by_name.get(key_or_name.casefold())

    def is_compact(self, region: Region, fatalities: int) -> bool:
        if region.compact is not None:
            return region.compact
        return fatalities <= self.compact_max_fatalities

    @cached_property
    def category_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories)


def _by_folded_name(entries: Iterable[Named], names: Callable[[Named], Iterable[str]]) -> dict[str, Named]:
    """Each entry under each of its names, case-folded; a name two entries share is the first one's, as a scan finds it."""
    found: dict[str, Named] = {}
    for entry in entries:
        for name in names(entry):
            found.setdefault(name.casefold(), entry)
    return found


def shipped_profiles() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.toml"))


def resolve_profile_path(name_or_path: str) -> Path:
    """A shipped profile by name, or a user's profile file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or "/" in name_or_path or candidate.is_file():
        if not candidate.is_file():
            raise ReportgenError(f"{name_or_path}: profile file not found")
        return candidate
    shipped = SHIPPED / f"{name_or_path}.toml"
    if not shipped.is_file():
        names = ", ".join(shipped_profiles())
        raise ReportgenError(f"unknown profile {name_or_path!r}: expected one of {names} or a path")
    return shipped


def load_profile(name_or_path: str = DEFAULT_PROFILE) -> Profile:
    path = resolve_profile_path(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ReportgenError(f"{path}: not a valid TOML profile: {exc}") from None
    try:
        return _profile_from_dict(data, path)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportgenError(f"{path}: profile field {exc} is missing or malformed") from None


def _subgroup(d: dict) -> Subgroup:
    return Subgroup(
        key=d["key"],
        singular=d["singular"],
        plural=d["plural"],
        one=d.get("one", f"one {d['singular']}"),
        group_singular=d.get("group_singular", d["singular"]),
        group_plural=d.get("group_plural", d["plural"]),
        cite_in_group=bool(d.get("cite_in_group", True)),
        cite_in_regions=bool(d.get("cite_in_regions", True)),
    )


def _category(d: dict) -> Category:
    return Category(
        key=d["key"],
        singular=d["singular"],
        plural=d["plural"],
        group_singular=d.get("group_singular", d["singular"]),
        group_plural=d.get("group_plural", d["plural"]),
        circumstances=d.get("circumstances", ""),
        count_operations=bool(d.get("count_operations", False)),
        all_in_operations=bool(d.get("all_in_operations", True)),
        color=d.get("color", "#999999"),
        subgroups=tuple(_subgroup(s) for s in d.get("subgroups", [])),
        causes=tuple(_cause(c, f"categories.{d['key']}.causes[{n}]") for n, c in enumerate(d.get("causes", []), 1)),
        cause_lead=d.get("cause_lead", "in"),
        places=tuple(_strings(d.get("places", []), f"categories.{d['key']}.places")),
        where=d.get("where", ""),
    )


def _cause(d: dict, where: str) -> Cause:
    if not isinstance(d, dict) or not isinstance(d.get("phrase"), str):
        raise ValueError(f"{where}.phrase")
    return Cause(
        key=d.get("key", d["phrase"]),
        phrase=d["phrase"],
        perpetrators=tuple(_strings(d.get("perpetrators", []), f"{where}.perpetrators")),
        kinds=tuple(_strings(d.get("kinds", []), f"{where}.kinds")),
    )


def _area(d: dict) -> Area:
    return Area(
        key=d["key"],
        name=d["name"],
        districts=tuple(_strings(d.get("districts", []), f"areas.{d['key']}.districts")),
        locations=tuple(_strings(d.get("locations", []), f"areas.{d['key']}.locations")),
    )


def _region(d: dict, default_order: tuple[str, ...]) -> Region:
    return Region(
        key=d["key"],
        name=d["name"],
        province=d.get("province", d["name"]),
        categories=tuple(d.get("categories", default_order)),
        compact=d.get("compact"),
        aliases=tuple(_strings(d.get("aliases", []), f"regions.{d['key']}.aliases")),
        place=d.get("place", ""),
    )


DATASETS = ("acled", "ucdp")
# What a source can record: the killed (always), the injured, and a low and high estimate of the killed.
MEASURES = ("killed", "injured", "ranges")
DATASET_MEASURES = {"acled": ("killed",), "ucdp": ("killed", "ranges")}  # ACLED: fatalities only; UCDP: best, low, high
RULE_OUTCOMES = {"victims": "category", "sides": "category", "actors": "key"}


def _strings(value: object, where: str) -> list[str]:
    """A string or a list of strings (patterns, aliases)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValueError(f"{where} (expected text or a list of texts)")


def _rule(d: dict, where: str, outcome: str) -> Rule:
    if not isinstance(d, dict) or not isinstance(d.get(outcome), str):
        raise ValueError(f"{where}.{outcome}")
    when = tuple(
        (name, tuple(_strings(value, f"{where}.{name}")))
        for name, value in d.items()
        if name not in (outcome, "subgroup")
    )
    if not when:
        raise ValueError(f"{where} (a rule needs at least one field to match)")
    return Rule(then=d[outcome], subgroup=d.get("subgroup", ""), when=when)


def _mapping(dataset: str, d: dict, categories: dict[str, Category], actors: set[str], kinds: dict) -> DatasetMapping:
    where = f"mapping.{dataset}"
    rules = {
        part: tuple(_rule(r, f"{where}.{part}[{n}]", RULE_OUTCOMES[part]) for n, r in enumerate(d.get(part, []), 1))
        for part in RULE_OUTCOMES
    }
    mapping = DatasetMapping(
        dataset=dataset,
        columns={k: d.get(k, default) for k, default in _COLUMN_DEFAULTS[dataset].items()},
        region_default=d.get("region_default", ""),
        unattributed=d["unattributed"],
        civilians=d.get("civilians", ""),
        victims=rules["victims"],
        sides=rules["sides"],
        actors=rules["actors"],
        require_known_actors=bool(d.get("require_known_actors", False)),
        kinds={str(k): v for k, v in d.get("kinds", {}).items()},
        id_prefix=d.get("id_prefix", ""),
        revision_reason=d.get("revision_reason", f"updated in the {dataset.upper()} data"),
    )
    _check_mapping(where, mapping, categories, actors, kinds)
    return mapping


_COLUMN_DEFAULTS = {
    "acled": {"region": "admin1", "province": "admin1", "district": "admin2", "location": "location"},
    "ucdp": {"region": "adm_1", "province": "adm_1", "district": "adm_2", "location": "where_coordinates"},
}


def _check_mapping(where: str, m: DatasetMapping, categories: dict[str, Category], actors: set[str], kinds: dict) -> None:
    wanted = [("unattributed", m.unattributed)] + ([("civilians", m.civilians)] if m.dataset == "ucdp" else [])
    for n, rule in enumerate(m.victims + m.sides, 1):
        wanted.append((f"rule {n}", rule.then))
    for name, key in wanted:
        if key not in categories:
            raise ValueError(f"{where}.{name}: category {key!r} (expected one of {', '.join(categories)})")
    for rule in m.victims + m.sides:
        if rule.subgroup and categories[rule.then].subgroup(rule.subgroup) is None:
            raise ValueError(f"{where}: subgroup {rule.then}/{rule.subgroup}")
    for rule in m.actors:
        if actors and rule.then not in actors:
            raise ValueError(f"{where}.actors: actor {rule.then!r} (expected one of {', '.join(sorted(actors))})")
    for value in m.kinds.values():
        if kinds and value not in kinds:
            raise ValueError(f"{where}.kinds: kind {value!r} (expected one of {', '.join(kinds)})")


def _profile_from_dict(data: dict, path: Path) -> Profile:
    categories = tuple(_category(c) for c in data["categories"])
    keys = tuple(c.key for c in categories)
    regions = tuple(_region(r, keys) for r in data.get("regions", []))
    for region in regions:
        unknown = set(region.categories) - set(keys)
        if unknown:
            raise ValueError(f"regions.{region.key}.categories ({', '.join(sorted(unknown))})")
    group_order = tuple(data.get("tally", {}).get("group_order", keys))
    if set(group_order) != set(keys):
        raise ValueError("tally.group_order (must list every category once)")
    actors = tuple(Actor(a["key"], a.get("name", a["key"])) for a in data.get("actors", []))
    kinds = dict(data.get("kinds", {}))
    areas = tuple(_area(a) for a in data.get("areas", []))
    _check_lines(categories, regions, areas)
    mappings = {}
    for dataset, section in data.get("mapping", {}).items():
        if dataset not in DATASETS:
            raise ValueError(f"mapping.{dataset} (expected one of {', '.join(DATASETS)})")
        by_key = {c.key: c for c in categories}
        mappings[dataset] = _mapping(dataset, section, by_key, {a.key for a in actors}, kinds)
    return Profile(
        name=data.get("name", path.stem),
        path=str(path),
        language=data.get("language", "en"),
        organisation=data.get("organisation", ""),
        title=data.get("title", ""),
        subject=data.get("subject", ""),
        operations_label=data.get("operations_label", "attacks"),
        operations_by=tuple(data.get("operations_by", [])),
        methods=data.get("methods", ""),
        compact_max_fatalities=int(data.get("compact_max_fatalities", 0)),
        regions=regions,
        categories=categories,
        group_order=group_order,
        actors=actors,
        kinds=kinds,
        operation_singular=data.get("operation_singular", "operation"),
        operation_plural=data.get("operation_plural", "operations"),
        mappings=mappings,
        notice=_table(data, "notice"),
        areas=areas,
        kind_phrases=_phrases(data.get("tally", {}), "kinds"),
        place_phrases=_phrases(data.get("tally", {}), "places"),
        measures=_measures(data, mappings),
        operations_label_singular=data.get("operations_label_singular", ""),
    )


def _measures(data: dict, mappings: dict[str, DatasetMapping]) -> tuple[str, ...]:
    """The profile's ``measures``; without the key, what its datasets record (killed and injured
    for a profile that maps none: the CSV, JSON and text formats record both)."""
    if "measures" not in data:
        if not mappings:
            return ("killed", "injured")
        found = {m for dataset in mappings for m in DATASET_MEASURES[dataset]}
        return tuple(m for m in MEASURES if m in found)
    listed = _strings(data["measures"], "measures")
    unknown = next((m for m in listed if m not in MEASURES), None)
    if unknown is not None:
        raise ValueError(f"measures: {unknown!r} (expected some of {', '.join(MEASURES)})")
    if "killed" not in listed:
        raise ValueError('measures (must list "killed": every tally counts the killed)')
    return tuple(m for m in MEASURES if m in listed)


def _phrases(tally: dict, key: str) -> dict[str, str]:
    value = tally.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"tally.{key} (expected a table of texts)")
    return dict(value)


def _check_lines(categories: tuple[Category, ...], regions: tuple[Region, ...], areas: tuple[Area, ...]) -> None:
    """Each place a line's order names is a region or an area of the profile."""
    known = {r.key for r in regions} | {a.key for a in areas}
    for category in categories:
        unknown = [p for p in category.places if p not in known]
        if unknown and regions:
            raise ValueError(f"categories.{category.key}.places ({', '.join(unknown)}: expected regions or areas)")


def _table(data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"{key} (expected a table)")
    return value
