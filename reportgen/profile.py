"""Profiles: the taxonomy of one tally (regions, categories, subgroups, actors).

A profile is a TOML file. The shipped ones live in ``reportgen/profiles/`` and
are chosen by name; a user's own profile is chosen by path.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ReportgenError

SHIPPED = Path(__file__).parent / "profiles"
DEFAULT_PROFILE = "syrian-desert"


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
class Category:
    key: str
    singular: str
    plural: str
    group_singular: str
    group_plural: str
    circumstances: str
    count_operations: bool
    all_in_operations: bool
    color: str
    subgroups: tuple[Subgroup, ...]

    def subgroup(self, key: str) -> Subgroup | None:
        return next((s for s in self.subgroups if s.key == key), None)


@dataclass(frozen=True)
class Region:
    key: str
    name: str
    province: str
    categories: tuple[str, ...]  # the publisher's order of categories in this region
    compact: bool | None  # None: decided by the profile's fatality threshold


@dataclass(frozen=True)
class Actor:
    key: str
    name: str


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

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    def region(self, key_or_name: str) -> Region | None:
        wanted = key_or_name.casefold()
        return next(
            (r for r in self.regions if wanted in (r.key.casefold(), r.name.casefold())), None
        )

    def actor(self, key_or_name: str) -> Actor | None:
        wanted = key_or_name.casefold()
        return next(
            (a for a in self.actors if wanted in (a.key.casefold(), a.name.casefold())), None
        )

    def is_compact(self, region: Region, fatalities: int) -> bool:
        if region.compact is not None:
            return region.compact
        return fatalities <= self.compact_max_fatalities

    @property
    def category_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories)


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
    )


def _region(d: dict, default_order: tuple[str, ...]) -> Region:
    return Region(
        key=d["key"],
        name=d["name"],
        province=d.get("province", d["name"]),
        categories=tuple(d.get("categories", default_order)),
        compact=d.get("compact"),
    )


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
        actors=tuple(Actor(a["key"], a.get("name", a["key"])) for a in data.get("actors", [])),
        kinds=dict(data.get("kinds", {})),
    )
