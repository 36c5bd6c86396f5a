"""The aggregate stage: the period's sums from the store, shaped by pandas into a Summary.

The database sums the period's casualties by region, perpetrator, category and
subgroup, and counts its incidents by region and perpetrator (an indexed date
filter and a GROUP BY): a year of a million incidents never leaves the database
row by row. Only a bulletin's incident table and daily series read the rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .periods import Scope
from .profile import Category, Profile
from .rows import CasualtyRow, CasualtySum, IncidentCount
from .store import Store
from .summary import CategoryCount, GroupLine, IncidentRow, RegionLine, RevisionRow, Summary


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
    """The Summary of ``scope``: totals, group lines and the regional distribution."""
    summary = summary_from_sums(*period_sums(store, scope, profile), profile, scope)
    summary.data_version = str(store.data_version())
    if detail:
        frame = period_frame(store, scope, profile)
        summary.incident_rows = incident_rows(frame, profile)
        summary.revisions = revision_rows(store, scope)
        summary.series = series(frame, scope)
        summary.daily = series(frame, scope, by_day=True)
    return measured(summary, profile)


def measured(summary: Summary, profile: Profile) -> Summary:
    """``summary`` (changed in place) without what the profile's source does not record: without
    "ranges", no low or high estimate anywhere, whatever bounds the data happens to hold."""
    if "ranges" not in profile.measures:
        _drop_ranges(summary)
    return summary


def _drop_ranges(summary: Summary) -> None:
    for count in [*summary.groups, *(c for r in summary.regions for c in r.categories)]:
        count.killed_low = count.killed_high = None
    for region in summary.regions:
        region.categories = [c for c in region.categories if c.killed]  # a zero was kept for its range only
    for row in summary.incident_rows:
        row.ranges = {}
    for point in [*summary.series, *summary.daily]:
        point["killed_low"] = point["killed_high"] = point["killed"]


def summary_from_sums(sums: pd.DataFrame, counts: pd.DataFrame, profile: Profile, scope: Scope) -> Summary:
    whole = sums[sums["subgroup"] == ""]
    operations = int(counts.loc[counts["operation"], "incidents"].sum())
    groups = [group_line(sums, whole, counts, profile, key, operations) for key in profile.group_order]
    return Summary(
        profile=profile.name,
        scope=scope,
        total_killed=sum(g.killed for g in groups),
        total_injured=sum(g.injured for g in groups),
        operations=operations,
        incidents=int(counts["incidents"].sum()),
        groups=groups,
        regions=region_lines(sums, counts, profile),
    )


def _sums(rows: pd.DataFrame, by: list[str], column: str = "killed") -> dict:
    if rows.empty:
        return {}
    return {k: int(v) for k, v in rows.groupby(by)[column].sum().items()}


def _range_sum(rows: pd.DataFrame, column: str) -> int | None:
    """Sum of a low/high bound (``low`` or ``high``), counting figures without a range at their best figure;
    None where no figure has that bound."""
    if rows.empty or not rows[f"ranged_{column}"].any():
        return None
    return int(rows[column].sum())


def _range_sums(rows: pd.DataFrame, by: list[str]) -> dict:
    """(low, high) sums by ``by`` for the groups where some figure has a range; figures without one count at their best figure."""
    if rows.empty:
        return {}
    sums = rows.groupby(by)[["low", "high", "ranged_low", "ranged_high"]].sum()
    return {k: (int(v["low"]), int(v["high"])) for k, v in sums.iterrows() if v["ranged_low"] or v["ranged_high"]}


def group_line(
    frame: pd.DataFrame, whole: pd.DataFrame, counts: pd.DataFrame, profile: Profile, key: str, operations: int
) -> GroupLine:
    category = profile.category(key)
    rows = whole[whole["category"] == key]
    parts = frame[(frame["category"] == key) & (frame["subgroup"] != "")]
    line = GroupLine(
        category=key,
        killed=int(rows["killed"].sum()),
        injured=int(rows["injured"].sum()),
        subgroups={k: v for k, v in _sums(parts, ["subgroup"]).items() if v},
        killed_low=_range_sum(rows, "low"),
        killed_high=_range_sum(rows, "high"),
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
    if category.places:
        line.places = _ordered(set(dead["region"]) | set(operations["region"]), category.places, [r.key for r in profile.regions])
        line.areas = _ordered((set(dead["area"]) | set(operations["area"])) - {""}, category.places, [a.key for a in profile.areas])
    line.kinds = _ordered(set(operations["kind"]), list(profile.kind_phrases), [])
    line.causes = _causes(dead, category)
    return line


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


def region_lines(frame: pd.DataFrame, counts: pd.DataFrame, profile: Profile) -> list[RegionLine]:
    ops = frame[frame["operation"]]
    whole = ops[ops["subgroup"] == ""]
    killed = _sums(whole, ["region", "category"])
    injured = _sums(whole, ["region", "category"], "injured")
    parts = _sums(ops[ops["subgroup"] != ""], ["region", "category", "subgroup"])
    operations = {k: int(v) for k, v in counts[counts["operation"]].groupby("region")["incidents"].sum().items()}
    ranges = _range_sums(whole, ["region", "category"])
    lines = []
    for region in profile.regions_for(operations):
        if not operations.get(region.key):
            continue
        counts = [
            CategoryCount(
                category=c,
                killed=killed.get((region.key, c), 0),
                injured=injured.get((region.key, c), 0),
                subgroups={
                    s: n for (r, cat, s), n in parts.items() if r == region.key and cat == c and n
                },
                killed_low=ranges.get((region.key, c), (None, None))[0],
                killed_high=ranges.get((region.key, c), (None, None))[1],
            )
            for c in region.categories
        ]
        counts = [c for c in counts if c.killed or (c.killed_high or 0) > c.killed]  # a zero best with a range is kept
        total = sum(c.killed for c in counts)
        lines.append(
            RegionLine(
                region=region.key,
                name=region.name,
                operations=operations[region.key],
                killed=total,
                injured=sum(c.injured for c in counts),
                compact=profile.is_compact(region, total),
                categories=counts,
            )
        )
    return lines


def incident_rows(frame: pd.DataFrame, profile: Profile) -> list[IncidentRow]:
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
                ranges=incident_ranges(part),
            )
        )
    rows.sort(key=lambda r: (r.date, r.id))
    return rows


def incident_ranges(part: pd.DataFrame) -> dict[str, list[int]]:
    """An incident's [low, high] per category, where it has bounds that differ from its figure
    (a bound missing on one side is the figure)."""
    found = {}
    for category, killed, low, high in zip(part["category"], part["killed"], part["killed_low"], part["killed_high"], strict=False):
        if pd.isna(low) and pd.isna(high):
            continue
        bounds = [int(killed) if pd.isna(low) else int(low), int(killed) if pd.isna(high) else int(high)]
        if bounds != [int(killed), int(killed)]:
            found[category] = bounds
    return found


def revision_rows(store: Store, scope: Scope) -> list[RevisionRow]:
    return [RevisionRow.of(r) for r in store.revisions_recorded(scope.start, scope.end, scope.as_of)]


def series(frame: pd.DataFrame, scope: Scope, by_day: bool = False) -> list[dict]:
    """Killed per day (a month's scope, or ``by_day``) or per month (longer scopes) and category,
    with the low and high sums (equal to killed where no figure has a range) for error bars or bands."""
    whole = frame[frame["subgroup"] == ""]
    if whole.empty:
        return []
    length = 10 if by_day or scope.kind == "month" else 7
    buckets = whole.assign(
        period=whole["date"].str[:length],
        low=whole["killed_low"].fillna(whole["killed"]),
        high=whole["killed_high"].fillna(whole["killed"]),
    )
    sums = buckets.groupby(["period", "category"])[["killed", "low", "high"]].sum()
    return [
        {"period": p, "category": c, "killed": int(v["killed"]), "killed_low": int(v["low"]), "killed_high": int(v["high"])}
        for (p, c), v in sums.iterrows()
    ]
