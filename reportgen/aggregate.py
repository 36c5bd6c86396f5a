"""The aggregate stage: the period's rows from the store, grouped by pandas into a Summary."""

from __future__ import annotations

import pandas as pd

from .periods import Scope
from .profile import Profile
from .store import Store
from .summary import CategoryCount, GroupLine, IncidentRow, RegionLine, RevisionRow, Summary

ROW_COLUMNS = [
    "incident", "date", "region", "perpetrator", "kind", "province", "location",
    "category", "subgroup", "killed", "injured", "killed_low", "killed_high",
]


def period_frame(store: Store, scope: Scope, profile: Profile) -> pd.DataFrame:
    """The scope's casualty rows (one per incident, category and subgroup) as a DataFrame."""
    frame = pd.DataFrame(store.casualty_rows(scope.start, scope.end, scope.as_of), columns=ROW_COLUMNS)
    frame["operation"] = frame["perpetrator"].isin(profile.operations_by) | profile.all_operations
    return frame


def summarize(store: Store, profile: Profile, scope: Scope, detail: bool = False) -> Summary:
    """The Summary of ``scope``: totals, group lines and the regional distribution."""
    frame = period_frame(store, scope, profile)
    summary = summary_from_frame(frame, profile, scope)
    summary.data_version = str(store.data_version())
    if detail:
        summary.incident_rows = incident_rows(frame, profile)
        summary.revisions = revision_rows(store, scope)
        summary.series = series(frame, scope)
        summary.daily = series(frame, scope, by_day=True)
    return summary


def summary_from_frame(frame: pd.DataFrame, profile: Profile, scope: Scope) -> Summary:
    whole = frame[frame["subgroup"] == ""]
    ops = frame.loc[frame["operation"], "incident"]
    groups = [group_line(frame, whole, profile, key, ops.nunique()) for key in profile.group_order]
    return Summary(
        profile=profile.name,
        scope=scope,
        total_killed=sum(g.killed for g in groups),
        total_injured=sum(g.injured for g in groups),
        operations=int(ops.nunique()),
        incidents=int(frame["incident"].nunique()),
        groups=groups,
        regions=region_lines(frame, profile),
    )


def _sums(rows: pd.DataFrame, by: list[str], column: str = "killed") -> dict:
    if rows.empty:
        return {}
    return {k: int(v) for k, v in rows.groupby(by)[column].sum().items()}


def _range_sum(rows: pd.DataFrame, column: str) -> int | None:
    """Sum of a low/high bound, counting rows without a range at their best figure."""
    if rows.empty or rows[column].isna().all():
        return None
    return int(rows[column].fillna(rows["killed"]).sum())


def _range_sums(rows: pd.DataFrame, by: list[str]) -> dict:
    """(low, high) sums by ``by`` for the groups where some row has a range; rows without one count at their best figure."""
    ranged = rows[rows["killed_low"].notna() | rows["killed_high"].notna()]
    if ranged.empty:
        return {}
    keys = set(ranged.groupby(by).groups)
    filled = rows.assign(low=rows["killed_low"].fillna(rows["killed"]), high=rows["killed_high"].fillna(rows["killed"]))
    sums = filled.groupby(by)[["low", "high"]].sum()
    return {k: (int(v["low"]), int(v["high"])) for k, v in sums.iterrows() if k in keys}


def group_line(frame: pd.DataFrame, whole: pd.DataFrame, profile: Profile, key: str, operations: int) -> GroupLine:
    category = profile.category(key)
    rows = whole[whole["category"] == key]
    parts = frame[(frame["category"] == key) & (frame["subgroup"] != "")]
    return GroupLine(
        category=key,
        killed=int(rows["killed"].sum()),
        injured=int(rows["injured"].sum()),
        subgroups={k: v for k, v in _sums(parts, ["subgroup"]).items() if v},
        killed_low=_range_sum(rows, "killed_low"),
        killed_high=_range_sum(rows, "killed_high"),
        operations=operations if category.count_operations else None,
        in_operations=int(rows.loc[rows["operation"], "killed"].sum()),
    )


def region_lines(frame: pd.DataFrame, profile: Profile) -> list[RegionLine]:
    ops = frame[frame["operation"]]
    whole = ops[ops["subgroup"] == ""]
    killed = _sums(whole, ["region", "category"])
    injured = _sums(whole, ["region", "category"], "injured")
    parts = _sums(ops[ops["subgroup"] != ""], ["region", "category", "subgroup"])
    operations = {k: int(v) for k, v in ops.groupby("region")["incident"].nunique().items()}
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
        counts = [c for c in counts if c.killed]
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
            )
        )
    rows.sort(key=lambda r: (r.date, r.id))
    return rows


def revision_rows(store: Store, scope: Scope) -> list[RevisionRow]:
    return [
        RevisionRow(*r[:10], bool(r[10]), r[11])
        for r in store.revisions_recorded(scope.start, scope.end, scope.as_of)
    ]


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
