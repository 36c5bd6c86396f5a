"""A database's profile: which profile filled it, and which profiles may read and write it.

The first write made with a profile (an import, a revision, the demo) records in the
database the profile's name, where it comes from (a shipped profile's name, or the
absolute path of a user's profile file), its taxonomy as JSON and a fingerprint of
that JSON. From then on a profile is accepted only if it is *compatible* with the
recorded taxonomy: it keeps every category (with its subgroups), region, actor and
kind key the recorded one has, and counts the same perpetrators as operations
(``operations_by``). Its wording (labels, circumstances, titles, colours, orders)
may differ. An empty list of regions, actors or kinds means "any" (an open-region
profile takes its regions from the data): a profile with such an open list accepts
whatever the database holds there, while a profile that lists them cannot read a
database whose recorded profile left them open.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import ReportgenError
from .profile import SHIPPED, Profile, load_profile

OPEN_KEYS = ("regions", "actors", "kinds")  # key lists where "none listed" means "any"
SHOWN_DIFFERENCES = 3  # differences a refusal names before "..."


@dataclass(frozen=True)
class Binding:
    """The profile a database was filled with, as recorded in it."""

    name: str  # the profile's name
    source: str  # a shipped profile's name, or the absolute path of a user's profile file
    fingerprint: str  # SHA-256 of the taxonomy's canonical JSON
    taxonomy: dict

    @property
    def shipped(self) -> bool:
        return not _is_path(self.source)


def taxonomy(profile: Profile) -> dict:
    """The part of a profile that decides what the stored data means: its keys and ``operations_by``."""
    return {
        "categories": {c.key: sorted(s.key for s in c.subgroups) for c in profile.categories},
        "regions": sorted(r.key for r in profile.regions),
        "actors": sorted(a.key for a in profile.actors),
        "kinds": sorted(profile.kinds),
        "operations_by": sorted(profile.operations_by),
    }


def canonical_json(value: dict) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(value: dict) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def source_of(profile: Profile) -> str:
    """How a profile is chosen again: a shipped one by its name, a user's file by its absolute path."""
    path = Path(profile.path).resolve()
    if path.parent == SHIPPED.resolve():
        return path.stem
    return str(path)


def binding_of(profile: Profile) -> Binding:
    recorded = taxonomy(profile)
    return Binding(profile.name, source_of(profile), fingerprint(recorded), recorded)


def differences(recorded: dict, new: dict) -> list[str]:
    """What a profile of taxonomy ``new`` lacks or counts otherwise than the ``recorded`` one, the
    weightiest first (each a short phrase for a message); empty: compatible."""
    categories = new.get("categories", {})
    found = [_lacks("category", "categories", [k for k in recorded.get("categories", {}) if k not in categories])]
    if sorted(recorded.get("operations_by", [])) != sorted(new.get("operations_by", [])):
        found.append(f"operations by {_listed(new.get('operations_by'))}, not {_listed(recorded.get('operations_by'))}")
    for part in OPEN_KEYS:
        had, has = recorded.get(part, []), new.get(part, [])
        if has and not had:
            found.append(f"{part} listed, where the database's are open")
        elif has:
            found.append(_lacks(part[:-1], part, [k for k in had if k not in has]))
    subgroups = [f"{k}/{s}" for k, subs in recorded.get("categories", {}).items() if k in categories
                 for s in subs if s not in categories[k]]
    found.append(_lacks("subgroup", "subgroups", subgroups))
    return [f for f in found if f]


def _lacks(one: str, many: str, keys: list[str], shown: int = 4) -> str:
    """``no category isis``, ``no regions a, b, c, d, ...``; empty if ``keys`` is."""
    if not keys:
        return ""
    listed = ", ".join(keys[:shown]) + (", ..." if len(keys) > shown else "")
    return f"no {one if len(keys) == 1 else many} {listed}"


def _listed(keys: list[str] | None) -> str:
    return ", ".join("anyone" if k == "*" else k for k in keys) if keys else "no one"


def check_compatible(where: str, binding: Binding, profile: Profile) -> None:
    """Refuse, in one line naming both, a profile whose taxonomy is not compatible with the recorded one."""
    new = taxonomy(profile)
    if fingerprint(new) == binding.fingerprint:
        return
    found = differences(binding.taxonomy, new)
    if not found:
        return
    raise ReportgenError(
        f"{where}: this database holds incidents of profile {_named(binding.name, binding.source)};"
        f" profile {_named(profile.name, source_of(profile))} has another taxonomy ({_shown(found)});"
        f" use a compatible profile or another database"
    )


def check_holdings(where: str, held: dict, profile: Profile) -> None:
    """Refuse, in one line, a profile that does not know every key the data of a database that
    records no profile holds (one filled before databases recorded their profile): its regions,
    categories and subgroups, and perpetrators. A part the data leaves empty (or, as kinds, does
    not report) constrains nothing: it is taken as the profile's own."""
    new = taxonomy(profile)
    found = differences({**new, **{k: v for k, v in held.items() if v}, "operations_by": new["operations_by"]}, new)
    if found:
        raise ReportgenError(
            f"{where}: this database records no profile, and its incidents do not fit profile"
            f" {_named(profile.name, source_of(profile))} ({_shown(found)}); choose their profile with --profile"
        )


def _shown(found: list[str]) -> str:
    """The first differences a refusal names, then "..." if there are more."""
    return "; ".join(found[:SHOWN_DIFFERENCES]) + ("; ..." if len(found) > SHOWN_DIFFERENCES else "")


def _named(name: str, source: str) -> str:
    return f"'{name}' ({source})" if _is_path(source) else f"'{name}'"


def _is_path(source: str) -> bool:
    return "/" in source or "\\" in source or source.endswith(".toml")


def recorded_profile(where: str, binding: Binding) -> Profile:
    """The profile a database records, loaded again: a shipped one by its name, a user's file by its
    path. A file that has gone, or one changed since into another taxonomy, is refused: the user
    names a compatible profile with --profile."""
    if not binding.shipped and not Path(binding.source).is_file():
        raise ReportgenError(
            f"{where}: this database holds incidents of profile '{binding.name}' from {binding.source},"
            " which no longer exists; choose a compatible profile with --profile"
        )
    try:
        profile = load_profile(binding.source)
    except ReportgenError as exc:
        raise ReportgenError(f"{where}: the database's profile '{binding.name}' cannot be loaded ({exc})") from None
    check_compatible(where, binding, profile)
    return profile


def choose_profile(where: str, chosen: str | None, binding: Binding | None, held: dict | None = None) -> Profile:
    """The profile a command works with: the one chosen (option, environment, reportgen.toml),
    checked against the database's; else the one the database records; else the default.
    ``held``: the keys the data of a database that records no profile holds, which the
    profile must know."""
    if chosen is None and binding is not None:
        return recorded_profile(where, binding)
    profile = load_profile(chosen) if chosen is not None else load_profile()
    if binding is not None:
        check_compatible(where, binding, profile)
    elif held is not None:
        check_holdings(where, held, profile)
    return profile
