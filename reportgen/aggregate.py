"""The aggregate stage: the period's sums from the store, shaped by pandas into a Summary.

The database sums the period's casualties by region, perpetrator, category and
subgroup, and counts its incidents by region and perpetrator (an indexed date
filter and a GROUP BY): a year of a million incidents never leaves the database
row by row. Only a bulletin's incident table and daily series read the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pandas as pd

from .periods import Scope
from .profile import Category, Profile
from .rows import CasualtyRow, CasualtySum, IncidentCount
from .store import Store
from .summary import CategoryCount, GroupLine, IncidentRow, Range, RegionLine, RevisionRow, Summary


def period_frame(store: Store, scope: Scope, profile: Profile) -> pd.DataFrame:
    """The scope's casualty rows (one per incident, category and subgroup) as a DataFrame."""
    frame = pd.DataFrame(store.casualty_rows(scope.start, scope.end, scope.as_of), columns=list(CasualtyRow._fields))
    frame["operation"] = frame["perpetrator"].isin(profile.operations_by) | profile.all_operations
    return frame


def period_sums(store: Store, scope: Scope, profile: Profile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scope's casualty sums (by region, perpetrator, category, subgroup) and incident counts
    (by region and perpetrator), each with whether its perpetrator's incidents count as operations."""
    areas = [(a.key, a.districts, a.locations) for a in profile.areas]
    sums = pd.DataFrame(store.casualty_sums(scope.start, scope.end, scope.as_of, areas), columns=list(CasualtySum._fields))
    counts = pd.DataFrame(store.incident_counts(scope.start, scope.end, scope.as_of, areas), columns=list(IncidentCount._fields))
    for frame in (sums, counts):
        frame["operation"] = frame["perpetrator"].isin(profile.operations_by) | profile.all_operations
    return sums, counts


def summarize(store: Store, profile: Profile, scope: Scope, detail: bool = False) -> Summary:
    """The Summary of ``scope``: totals, group lines and the regional distribution (and, with
    ``detail``, the incident table, the revisions and the series of a bulletin).

    Where the profile's source does not record "ranges", no figure has a low or high estimate,
    whatever bounds the data happens to hold."""
    summary = summary_from_sums(*period_sums(store, scope, profile), profile, scope, str(store.data_version()))
    if not detail:
        return summary
    frame = period_frame(store, scope, profile)
    ranged = ranges_recorded(profile)
    return replace(
        summary,
        incident_rows=incident_rows(frame, profile, ranged),
        revisions=revision_rows(store, scope),
        series=series(frame, scope, ranged=ranged),
        daily=series(frame, scope, by_day=True, ranged=ranged),
    )


def ranges_recorded(profile: Profile) -> bool:
    """Whether the profile's source records low and high estimates (the measure "ranges")."""
    return "ranges" in profile.measures


def sum_range(counts: Iterable[CategoryCount]) -> Range | None:
    """The range of the sum of ``counts``: each count without a range taken at its figure, and
    None when none has one."""
    counts = list(counts)
    if all(c.killed_range is None for c in counts):
        return None
    return Range(sum(c.killed_range.low if c.killed_range else c.killed for c in counts),
                 sum(c.killed_range.high if c.killed_range else c.killed for c in counts))


def summary_from_sums(sums: pd.DataFrame, counts: pd.DataFrame, profile: Profile, scope: Scope, data_version: str = "") -> Summary:
    whole = sums[sums["subgroup"] == ""]
    operations = int(counts.loc[counts["operation"], "incidents"].sum())
    ranged = ranges_recorded(profile)
    groups = [group_line(sums, whole, counts, profile, key, operations, ranged) for key in profile.group_order]
    regions = region_lines(sums, counts, profile, ranged)
    return Summary(
        profile=profile.name,
        scope=scope,
        total_killed=sum(g.killed for g in groups),
        total_injured=sum(g.injured for g in groups),
        operations=operations,
        incidents=int(counts["incidents"].sum()),
        groups=groups,
        regions=regions,
        data_version=data_version,
        killed_range=sum_range(groups),
        regions_total=regions_total(regions, profile) if regions else None,
    )


def _sums(rows: pd.DataFrame, by: list[str], column: str = "killed") -> dict:
    if rows.empty:
        return {}
    return {k: int(v) for k, v in rows.groupby(by)[column].sum().items()}


def _range(rows: pd.DataFrame) -> Range | None:
    """The range of the sum of ``rows`` (sums of the store: ``CasualtySum``), where some figure has a
    bound; figures without one count at their best figure."""
    if rows.empty or not (rows["ranged_low"].any() or rows["ranged_high"].any()):
        return None
    return Range(int(rows["low"].sum()), int(rows["high"].sum()))


def _ranges(rows: pd.DataFrame, by: list[str]) -> dict[Any, Range]:
    """The ``_range`` of each group of ``rows`` by ``by`` that has one."""
    if rows.empty:
        return {}
    sums = rows.groupby(by)[["low", "high", "ranged_low", "ranged_high"]].sum()
    return {k: Range(int(v["low"]), int(v["high"])) for k, v in sums.iterrows() if v["ranged_low"] or v["ranged_high"]}


def group_line(
    frame: pd.DataFrame, whole: pd.DataFrame, counts: pd.DataFrame, profile: Profile, key: str, operations: int,
    ranged: bool = True,
) -> GroupLine:
    """The cumulative block's line of category ``key`` (``ranged``: with its range, if it has one)."""
    category = profile.category(key)
    assert category is not None, f"{key}: a group of the profile's tally order is one of its categories"
    rows = whole[whole["category"] == key]
    parts = frame[(frame["category"] == key) & (frame["subgroup"] != "")]
    line = GroupLine(
        category=key,
        killed=int(rows["killed"].sum()),
        injured=int(rows["injured"].sum()),
        subgroups={k: v for k, v in _sums(parts, ["subgroup"]).items() if v},
        killed_range=_range(rows) if ranged else None,
        operations=operations if category.count_operations else None,
        in_operations=int(rows.loc[rows["operation"], "killed"].sum()),
    )
    return _with_particulars(line, rows, counts, category, profile)


def _with_particulars(line: GroupLine, rows: pd.DataFrame, counts: pd.DataFrame, category: Category, profile: Profile) -> GroupLine:
    """The places, kinds and causes a group line may name: where its dead fell (and, when the line
    says "in N operations", where those operations took place and their kinds), and the causes of
    its deaths when the profile's causes account for every one of them."""
    dead = rows[rows["killed"] > 0]
    operations = counts[counts["operation"]] if line.says_operations else counts.iloc[0:0]
    places: list[str] = []
    areas: list[str] = []
    if category.places:
        places = _ordered(set(dead["region"]) | set(operations["region"]), category.places, [r.key for r in profile.regions])
        areas = _ordered((set(dead["area"]) | set(operations["area"])) - {""}, category.places, [a.key for a in profile.areas])
    return replace(line, places=places, areas=areas, kinds=_ordered(set(operations["kind"]), list(profile.kind_phrases), []),
                   causes=_causes(dead, category))


def _ordered(keys: set[str], first: Iterable[str], then: Iterable[str]) -> list[str]:
    """``keys`` in the order of ``first``, then of ``then``, then by name."""
    order = {k: n for n, k in enumerate([*first, *(k for k in then if k not in first)])}
    return sorted(keys, key=lambda k: (order.get(k, len(order)), k.casefold()))


def _causes(dead: pd.DataFrame, category: Category) -> list[str]:
    """The keys of the causes that killed ``dead``, in the profile's order; none unless every death has one."""
    if dead.empty or not category.causes:
        return []
    found: set[str] = set()
    for perpetrator, kind in set(zip(dead["perpetrator"], dead["kind"], strict=True)):
        cause = next((c for c in category.causes if c.covers(perpetrator, kind)), None)
        if cause is None:
            return []
        found.add(cause.key)
    return [c.key for c in category.causes if c.key in found]


def region_lines(frame: pd.DataFrame, counts: pd.DataFrame, profile: Profile, ranged: bool = True) -> list[RegionLine]:
    """The regional distribution: each region with operations, in the profile's order, with its
    categories in the publisher's order (``ranged``: each with its range, and the region's total)."""
    ops = frame[frame["operation"]]
    whole = ops[ops["subgroup"] == ""]
    killed = _sums(whole, ["region", "category"])
    injured = _sums(whole, ["region", "category"], "injured")
    parts = _sums(ops[ops["subgroup"] != ""], ["region", "category", "subgroup"])
    operations = {str(k): int(v) for k, v in counts[counts["operation"]].groupby("region")["incidents"].sum().items()}
    ranges = _ranges(whole, ["region", "category"]) if ranged else {}
    lines = []
    for region in profile.regions_for(operations):
        if not operations.get(region.key):
            continue
        found = [
            CategoryCount(
                category=c,
                killed=killed.get((region.key, c), 0),
                injured=injured.get((region.key, c), 0),
                subgroups={
                    s: n for (r, cat, s), n in parts.items() if r == region.key and cat == c and n
                },
                killed_range=ranges.get((region.key, c)),
            )
            for c in region.categories
        ]
        kept = [c for c in found if c.killed or (c.killed_range and c.killed_range.high > c.killed)]  # a zero best with a range is kept
        total = sum(c.killed for c in kept)
        lines.append(
            RegionLine(
                region=region.key,
                name=region.name,
                operations=operations[region.key],
                killed=total,
                injured=sum(c.injured for c in kept),
                compact=profile.is_compact(region, total),
                categories=kept,
                killed_range=sum_range(kept),
            )
        )
    return lines


def regions_total(regions: list[RegionLine], profile: Profile) -> RegionLine:
    """The sums of ``regions``: a count of every profile category (zeros kept), each with the range of its sum."""
    counts = []
    for category in profile.categories:
        found = [c for r in regions for c in r.categories if c.category == category.key]
        counts.append(CategoryCount(category.key, sum(c.killed for c in found), sum(c.injured for c in found),
                                    killed_range=sum_range(found)))
    return RegionLine(
        region="", name="", operations=sum(r.operations for r in regions), killed=sum(r.killed for r in regions),
        injured=sum(r.injured for r in regions), compact=False, categories=counts, killed_range=sum_range(counts),
    )


def incident_rows(frame: pd.DataFrame, profile: Profile, ranged: bool = True) -> list[IncidentRow]:
    whole = frame[frame["subgroup"] == ""]
    rows = []
    for incident, part in whole.groupby("incident", sort=False):
        first = part.iloc[0]
        region = profile.region(first["region"])
        rows.append(
            IncidentRow(
                id=str(incident),
                date=first["date"],
                region=first["region"],
                region_name=region.name if region else first["region"],
                province=first["province"],
                location=first["location"],
                perpetrator=first["perpetrator"],
                kind=first["kind"],
                killed={c: int(k) for c, k in zip(part["category"], part["killed"], strict=False) if k},
                injured={c: int(k) for c, k in zip(part["category"], part["injured"], strict=False) if k},
                operation=bool(first["operation"]),
                ranges=incident_ranges(part) if ranged else {},
            )
        )
    rows.sort(key=lambda r: (r.date, r.id))
    return rows


def incident_ranges(part: pd.DataFrame) -> dict[str, Range]:
    """An incident's range per category, where it has bounds that differ from its figure
    (a bound missing on one side is the figure)."""
    found = {}
    for category, killed, low, high in zip(part["category"], part["killed"], part["killed_low"], part["killed_high"], strict=False):
        if pd.isna(low) and pd.isna(high):
            continue
        bounds = Range(int(killed) if pd.isna(low) else int(low), int(killed) if pd.isna(high) else int(high))
        if bounds != Range(int(killed), int(killed)):
            found[category] = bounds
    return found


def revision_rows(store: Store, scope: Scope) -> list[RevisionRow]:
    return store.revisions_recorded(scope.start, scope.end, scope.as_of)


def series(frame: pd.DataFrame, scope: Scope, by_day: bool = False, ranged: bool = True) -> list[dict[str, Any]]:
    """Killed per day (a month's scope, or ``by_day``) or per month (longer scopes) and category,
    with the low and high sums (equal to killed where no figure has a range, or without ``ranged``)
    for error bars or bands."""
    whole = frame[frame["subgroup"] == ""]
    if whole.empty:
        return []
    length = 10 if by_day or scope.kind == "month" else 7
    buckets = whole.assign(
        period=whole["date"].str[:length],
        low=whole["killed_low"].fillna(whole["killed"]) if ranged else whole["killed"],
        high=whole["killed_high"].fillna(whole["killed"]) if ranged else whole["killed"],
    )
    sums = buckets.groupby(["period", "category"])[["killed", "low", "high"]].sum().reset_index()
    return [
        {"period": p, "category": c, "killed": int(k), "killed_low": int(low), "killed_high": int(high)}
        for p, c, k, low, high in zip(sums["period"], sums["category"], sums["killed"], sums["low"], sums["high"], strict=True)
    ]
