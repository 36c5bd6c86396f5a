"""Checks of a read tally: do its figures add up, and do they match the database?

Internal consistency (what the publisher's own arithmetic promises):

- the headline total equals the sum of the group lines it covers;
- a region's stated fatalities equal the sum of its category lines;
- the operations in the cumulative block equal the sum of the regional operations;
- each category summed over the regions equals its group line, except for a
  category whose profile entry says ``all_in_operations = false`` (some of its
  deaths fall outside the regional distribution): its group line is only a
  lower bound;
- a subgroup summed over the regions is at most its group line's figure, and a
  subgroup is at most its category on the same line.

Against the database: the same published lines computed by the aggregate stage
for the tally's year (as of a day), compared line by line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ReportgenError
from .periods import Scope, month_scope, year_scope, ytd_scope
from .profile import Profile
from .summary import CategoryCount, Summary

if TYPE_CHECKING:
    from .parse.result import Reading, TallyReading

if TYPE_CHECKING:
    from .store import Store

EQUAL, AT_LEAST, AT_MOST = "=", ">=", "<="


@dataclass
class Finding:
    """One comparison: ``stated`` (the text) against ``computed`` (sums, or the database)."""

    check: str  # total | region | operations | category | subgroup | line | database
    field: str  # the figure checked, as the parse stage names it ("groups.combatants.killed")
    subject: str  # the line, in the text's terms
    stated: int | None
    computed: int | None
    relation: str  # stated = computed, stated >= computed, stated <= computed
    line: int | None = None

    @property
    def ok(self) -> bool:
        if self.stated is None or self.computed is None:
            return False
        if self.relation == AT_LEAST:
            return self.stated >= self.computed
        if self.relation == AT_MOST:
            return self.stated <= self.computed
        return self.stated == self.computed

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def inconsistencies(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if not f.ok]


class Checker:
    """The internal checks of one tally reading."""

    def __init__(self, tally: TallyReading, profile: Profile):
        self.tally, self.profile = tally, profile
        self.summary: Summary = tally.summary
        self.lines = {f.field: f.line for f in tally.fields if f.found}

    def findings(self) -> list[Finding]:
        return [*self.total(), *self.regions(), *self.operations(), *self.categories(),
                *self.subgroups(), *self.lines_within()]

    def label(self, key: str, group: bool = True) -> str:
        category = self.profile.category(key)
        if category is None:
            return self.tally.labels.get(key, key)
        return category.group_plural if group else category.plural

    def region_name(self, key: str) -> str:
        region = self.summary.region(key)
        return region.name if region else key

    def total(self) -> list[Finding]:
        if self.tally.total is None:
            return []
        covered = [g for g in self.summary.groups if g.category in self.tally.total_covers]
        subject = "headline total" + (f" (without {', '.join(self.label(k) for k in self.tally.outside_total)})"
                                      if self.tally.outside_total else "")
        return [Finding("total", "total", subject, self.tally.total, sum(g.killed for g in covered), EQUAL, self.lines.get("total"))]

    def regions(self) -> list[Finding]:
        found = []
        for region in self.summary.regions:
            stated = self.tally.stated_region_killed.get(region.region)
            if stated is not None:
                found.append(Finding("region", f"regions.{region.region}.killed", f"{region.name}: fatalities", stated,
                                     sum(c.killed for c in region.categories), EQUAL,
                                     self.lines.get(f"regions.{region.region}.killed")))
        return found

    def operations(self) -> list[Finding]:
        regional = [r.operations for r in self.summary.regions if f"regions.{r.region}.operations" in self.lines]
        if not regional:
            return []
        found = []
        if self.tally.headline_operations is not None:
            found.append(Finding("operations", "operations", "operations in the headline", self.tally.headline_operations,
                                 sum(regional), EQUAL, self.lines.get("operations")))
        for g in self.summary.groups:
            if g.operations is not None and f"groups.{g.category}.operations" in self.lines:
                found.append(Finding("operations", f"groups.{g.category}.operations",
                                     f"operations in which {self.label(g.category)} were killed",
                                     g.operations, sum(regional), EQUAL, self.lines.get(f"groups.{g.category}.operations")))
        return found

    def _regional(self, category: str, attribute: str = "killed") -> int:
        return sum(getattr(c, attribute) for r in self.summary.regions for c in r.categories if c.category == category)

    def categories(self) -> list[Finding]:
        if not self.summary.regions:
            return []
        found = []
        for g in self.summary.groups:
            if f"groups.{g.category}.killed" not in self.lines:
                continue
            category = self.profile.category(g.category)
            relation = AT_LEAST if category is not None and not category.all_in_operations else EQUAL
            found.append(Finding("category", f"groups.{g.category}.killed",
                                 f"{self.label(g.category)}: overall against the regions", g.killed,
                                 self._regional(g.category), relation, self.lines.get(f"groups.{g.category}.killed")))
            if f"groups.{g.category}.injured" in self.lines and any(r.injured for r in self.summary.regions):
                found.append(Finding("category", f"groups.{g.category}.injured",
                                     f"{self.label(g.category)} injured: overall against the regions",
                                     g.injured, self._regional(g.category, "injured"), relation,
                                     self.lines.get(f"groups.{g.category}.injured")))
        return found

    def subgroups(self) -> list[Finding]:
        found = []
        for g in self.summary.groups:
            for sub, n in g.subgroups.items():
                regional = sum(c.subgroups.get(sub, 0) for r in self.summary.regions for c in r.categories
                               if c.category == g.category)
                if regional:
                    found.append(Finding("subgroup", f"groups.{g.category}.{sub}",
                                         f"{self._subgroup_label(g.category, sub)}: overall against the regions",
                                         n, regional, AT_LEAST, self.lines.get(f"groups.{g.category}.{sub}")))
        return found

    def _subgroup_label(self, category: str, key: str) -> str:
        cat = self.profile.category(category)
        sub = cat.subgroup(key) if cat else None
        return sub.plural if sub else self.tally.labels.get(key, key)

    def lines_within(self) -> list[Finding]:
        """A subgroup is never more than its category on the same line."""
        found = []
        counts: list[tuple[str, CategoryCount]] = [(f"groups.{g.category}", g) for g in self.summary.groups]
        counts += [(f"regions.{r.region}.{c.category}", c) for r in self.summary.regions for c in r.categories]
        for base, count in counts:
            for sub, n in count.subgroups.items():
                if n > count.killed:
                    found.append(Finding("line", f"{base}.{sub}",
                                         f"{self._subgroup_label(count.category, sub)} within {self.label(count.category, False)}",
                                         n, count.killed, AT_MOST, self.lines.get(f"{base}.{sub}")))
        return found


def check_tally(tally: TallyReading, profile: Profile) -> list[Finding]:
    """Every internal check of a tally reading (``Finding.ok`` says which hold)."""
    return Checker(tally, profile).findings()


def published_lines(summary: Summary, profile: Profile) -> dict[str, int]:
    """The figures a tally in the source format publishes, keyed as the parse stage names them."""
    lines = {"total": summary.total_killed, "operations": summary.operations}
    for g in summary.groups:
        if not g.killed:
            continue
        lines[f"groups.{g.category}.killed"] = g.killed
        if g.operations is not None:
            lines[f"groups.{g.category}.operations"] = g.operations
        for sub, n in g.subgroups.items():
            if n and _cited(profile, g.category, sub, "group"):
                lines[f"groups.{g.category}.{sub}"] = n
    for r in summary.regions:
        base = f"regions.{r.region}"
        lines[f"{base}.operations"] = r.operations
        lines[f"{base}.killed"] = r.killed
        for c in (c for c in r.categories if c.killed):  # a zero (with a range only) is not written
            lines[f"{base}.{c.category}"] = c.killed
            for sub, n in c.subgroups.items():
                if n and _cited(profile, c.category, sub, "regions"):
                    lines[f"{base}.{c.category}.{sub}"] = n
    return lines


def _cited(profile: Profile, category: str, subgroup: str, where: str) -> bool:
    cat = profile.category(category)
    sub = cat.subgroup(subgroup) if cat else None
    if sub is None:
        return True
    return sub.cite_in_group if where == "group" else sub.cite_in_regions


def describe(key: str, tally: TallyReading, profile: Profile) -> str:
    """A published line's name in words: "Deir Ezzor desert: combatants", "civilians: women"."""
    parts = key.split(".")
    if parts[0] not in ("groups", "regions") or len(parts) < 3:
        return key
    names = []
    if parts[0] == "regions":
        region = profile.region(parts[1])
        names.append(region.name if region and region.key == parts[1] else tally.labels.get(parts[1], parts[1]))
        parts = parts[1:]
    category = profile.category(parts[1])
    names.append(category.plural if category else tally.labels.get(parts[1], parts[1]))
    if len(parts) > 2:
        sub = category.subgroup(parts[2]) if category else None
        names.append(sub.plural if sub else tally.labels.get(parts[2], parts[2]))
    return ": ".join(names)


def check_scope(year: int | None, as_of: date | None, month: int | None = None) -> Scope:
    """The database scope a tally covers: its month, its year, or its year up to ``as_of``."""
    if year is None:
        raise ReportgenError("no year found in the text; pass --year YYYY")
    if month is not None:
        return month_scope(year, month, as_of)
    if as_of is not None and as_of.year == year:
        return ytd_scope(as_of)
    return year_scope(year, as_of)


def compare_with_summary(tally: TallyReading, db: Summary, profile: Profile) -> list[Finding]:
    """The tally's stated lines against the database's, line by line."""
    text = {f.field: f for f in tally.fields if f.found and f.field not in ("year",)}
    theirs = published_lines(db, profile)
    if tally.outside_total:
        theirs["total"] = sum(g.killed for g in db.groups if g.category in tally.total_covers)
    compact = {r.region for r in tally.summary.regions if r.region not in tally.stated_region_killed}
    findings = []
    for key in dict.fromkeys([*text, *theirs]):
        if key not in text and (key.endswith(".killed") and key.split(".")[1] in compact or key == "operations"):
            continue
        if key.endswith(".injured") or (key not in text and key not in theirs):
            continue
        stated = text[key].value if key in text else None
        findings.append(Finding("database", key, describe(key, tally, profile), stated, theirs.get(key, 0), EQUAL,
                                text[key].line if key in text else None))
    return findings


@dataclass
class CheckReport:
    """The checks of one post: its own arithmetic, and (if asked) the database's figures."""

    source: str
    year: int | None
    findings: list[Finding]
    database: list[Finding]
    scope: Scope | None = None
    label: str = ""  # the tally's period as the text gives it ("2023", "June 2023")

    @property
    def problems(self) -> list[Finding]:
        return inconsistencies(self.findings) + inconsistencies(self.database)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "year": self.year,
            "period": self.label,
            "scope": self.scope.to_dict() if self.scope else None,
            "consistent": not inconsistencies(self.findings),
            "matches_database": None if self.scope is None else not inconsistencies(self.database),
            "findings": [f.to_dict() for f in self.findings],
            "database": [f.to_dict() for f in self.database],
        }


def check_reading(reading: Reading, profile: Profile, db_summary: Callable[[Scope], Summary] | None = None, year: int | None = None,
                  as_of: date | None = None) -> list[CheckReport]:
    """Check each tally of a reading; ``db_summary(scope)`` gives the database's Summary for a comparison."""
    if not reading.tallies:
        raise ReportgenError(f"{reading.source}: no tally found to check (see `reportgen parse`)")
    reports = []
    month_end = None
    for tally in reading.tallies:
        report = CheckReport(reading.source, tally.year or year, check_tally(tally, profile), [])
        report.label = tally.summary.scope.label if tally.year else "year not stated"
        if db_summary is not None:
            report.scope = check_scope(tally.year or year, as_of, tally.month)
            if tally.month is None and month_end is not None and month_end.year == report.scope.year and as_of is None:
                # A bulletin: the year's tally after the month's runs to that month's end.
                report.scope = replace(ytd_scope(month_end), as_of=None)
            report.database = compare_with_summary(tally, db_summary(report.scope), profile)
        if tally.month is not None:
            month_end = tally.summary.scope.end
        reports.append(report)
    return reports


def check_files(paths: Iterable[str | Path], profile: Profile, store: Store | None = None, year: int | None = None,
                as_of: date | None = None) -> list[CheckReport]:
    """Read each file and check its tallies; with ``store``, compare them with its figures too
    (to the end of ``as_of``). ``year``: the tallies' year where the text does not state it."""
    from .aggregate import summarize
    from .parse import parse_file

    db_summary = None if store is None else (lambda scope: summarize(store, profile, scope))
    return [r for path in paths for r in check_reading(parse_file(path, profile), profile, db_summary, year, as_of)]
