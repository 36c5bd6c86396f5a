"""A cumulative tally and its regional distribution, read into a Summary.

The reader walks the post's sentences once, in order. A headline opens the
tally (a total "since early YEAR", operations documented, or the deaths of a
group); counted lines after it are the group lines; a distribution sentence
("Here is a regional distribution ...") or a region heading ("-Homs desert: 53
operations left 236 fatalities:") starts the regions, whose counted lines
follow. Each kind of sentence is recognised by the vocabulary's phrases at
known places, never by a pattern that can backtrack over the whole line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..periods import month_scope, year_scope
from ..profile import Profile
from ..summary import GroupLine, RegionLine, Summary
from .items import CountSoFar, Item, ItemReader, Tokens, category_counts
from .labels import Labels, clean_label
from .result import Found, TallyReading
from .text import Unit
from .vocabulary import Vocabulary

_YEAR_AFTER = re.compile(r"\s*+(?:of\s++)?(20\d\d)(?!\d)")
_ANY_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
MAX_NAME_WORDS = 14
MAX_NAME_CHARS = 160


@dataclass
class _Group:
    count: CountSoFar
    line: int
    operations: int | None = None
    outside: bool = False
    killed_found: bool = True


@dataclass
class _Region:
    key: str
    name: str
    line: int
    operations: int | None = None
    killed: int | None = None
    injured: int | None = None
    compact: bool = False
    items: list[Item] = field(default_factory=list)
    injured_counts: dict[str, int] = field(default_factory=dict)
    subgroup_notes: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass
class _State:
    mode: str = "start"  # start -> groups -> regions <-> region-lines
    year: int | None = None
    month: int | None = None  # a month's tally ("in June 2023 stood at 60")
    year_line: int | None = None
    total: int | None = None
    total_line: int | None = None
    operations: int | None = None
    operations_line: int | None = None
    groups: dict[str, _Group] = field(default_factory=dict)
    regions: list[_Region] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def started(self) -> bool:
        return self.mode != "start"

    @property
    def has_figures(self) -> bool:
        return self.total is not None or bool(self.groups) or bool(self.regions)


class TallyReader:
    def __init__(self, profile: Profile, labels: Labels, vocab: Vocabulary):
        self.profile, self.labels, self.vocab = profile, labels, vocab
        self.items = ItemReader(labels, vocab)
        self.articles = frozenset(w.casefold() for w in vocab.words("one"))
        months = vocab.words("months")
        self.month_numbers = {m.casefold(): i for i, m in enumerate(months, start=1)}
        self.months = re.compile(rf"(?<![\w])({'|'.join(map(re.escape, months))})\s++(20\d\d)(?!\d)", re.IGNORECASE)

    def read(self, units: list[Unit]) -> tuple[list[TallyReading], set[int]]:
        """The tallies in ``units``, in order, and the indexes of the units they used.

        A post usually holds one; a bulletin holds the month's and the year's. A
        new headline after a tally has figures starts the next one.
        """
        states = [_State()]
        used = set()
        for index, unit in enumerate(units):
            if unit.too_long:
                continue
            if states[-1].has_figures and self._opens_tally(unit):
                states.append(_State())
            if self._unit(states[-1], unit):
                used.add(index)
        return [self._reading(st) for st in states if st.started], used

    def _opens_tally(self, unit: Unit) -> bool:
        """A headline: a year, and a total, operations or deaths counted since then."""
        if self._year(unit.text)[0] is None:
            return False
        return any(self.vocab.pattern(name).search(unit.text)
                   for name in ("increased", "headline_left", "death_of", "documented"))

    def _unit(self, st: _State, unit: Unit) -> bool:
        if self._headline(st, unit) or self._distribution(st, unit):
            return True
        if self._region_header(st, unit):
            return True
        if st.mode == "region-lines" and self._region_line(st, unit):
            return True
        if st.mode in ("regions", "region-lines") and st.regions and self._region_note(st, unit):
            return True
        if st.mode == "region-lines":
            st.mode = "regions"
        return st.mode == "groups" and self._group_line(st, unit)

    # -- headline -------------------------------------------------------------

    def _year(self, text: str) -> tuple[int | None, int | None]:
        """The year (and month) a headline counts from: "since early 2023", "In 2023,", "in June 2023"."""
        for m in self.vocab.pattern("since").finditer(text):
            if y := _YEAR_AFTER.match(text, m.end()):
                return int(y[1]), None
        found = self.vocab.pattern("in_year").match(text)
        if found and (y := _YEAR_AFTER.match(text, found.end())):
            return int(y[1]), None
        for m in self.months.finditer(text):
            return int(m[2]), self.month_numbers[m[1].casefold()]
        return None, None

    def _headline(self, st: _State, unit: Unit) -> bool:
        text = unit.text
        year, month = self._year(text)
        found = False
        if year is not None:
            found |= self._total_increased(st, unit) or self._headline_left(st, unit)
            found |= self._operations_documented(st, unit)
            found |= self._deaths_of(st, unit)
        found |= self._these_left(st, unit)
        if not found:
            return False
        if year is not None and st.year is None:
            st.year, st.month, st.year_line = year, month, unit.line
        if st.mode == "start":
            st.mode = "groups"
        return True

    def _count_after(self, text: str, end: int) -> tuple[int, Tokens] | None:
        toks = Tokens.of(text[end:])
        found = self.items.count_at(toks) or self._bare_count(toks)
        if found is None:
            return None
        toks.i += found[1]
        return found[0], toks

    def _bare_count(self, toks: Tokens) -> tuple[int, int, bool] | None:
        """A count standing alone ("has increased to 562;"), which ``count_at`` does not take."""
        q = self.vocab.qualifier_at(toks.words, 0)
        word = toks.peek(q)
        value = self.vocab.count(word) if word and word.casefold() not in self.articles else None
        return (value, q + 1, q > 0) if value is not None else None

    def _total_increased(self, st: _State, unit: Unit) -> bool:
        m = self.vocab.pattern("increased").search(unit.text)
        found = m and self._count_after(unit.text, m.end())
        if not found or st.total is not None:
            return False
        st.total, st.total_line = found[0], unit.line
        return True

    def _headline_left(self, st: _State, unit: Unit) -> bool:
        """"ISIS cells have carried out 37 operations ... since early 2025, leaving 19 fatalities"."""
        m = self.vocab.pattern("headline_left").search(unit.text)
        found = m and self._count_after(unit.text, m.end())
        if not found or st.total is not None or not self.vocab.at("fatalities", found[1].words, found[1].i):
            return False
        st.total, st.total_line = found[0], unit.line
        return True

    def _operations_documented(self, st: _State, unit: Unit) -> bool:
        for m in self.vocab.pattern("documented").finditer(unit.text):
            found = self._count_after(unit.text, m.end())
            if found and self._operations_noun_at(found[1]) and st.operations is None:
                st.operations, st.operations_line = found[0], unit.line
                return True
        return False

    def _operations_noun_at(self, toks: Tokens) -> bool:
        return any(self.vocab.at("operations", toks.words, toks.i + k) for k in range(3))

    def _deaths_of(self, st: _State, unit: Unit) -> bool:
        """"SOHR has documented the death of 109 civilians, including ..., since early 2024": the total and its group."""
        m = self.vocab.pattern("death_of").search(unit.text)
        if not m:
            return False
        toks = Tokens.of(unit.text[m.end():])
        items = self.items.items(toks)
        if not items:
            return False
        if st.total is None:
            st.total, st.total_line = sum(i.count for i in items), unit.line
        self._add_groups(st, unit, items, toks)
        return True

    def _these_left(self, st: _State, unit: Unit) -> bool:
        m = self.vocab.pattern("these_left").search(unit.text)
        found = m and self._count_after(unit.text, m.end())
        if not found or st.total is not None:
            return False
        st.total, st.total_line = found[0], unit.line
        toks = found[1]
        while not toks.done and toks.peek() != ":":
            toks.i += 1
        toks.i += 1
        items = self.items.items(toks)
        if items:
            self._add_groups(st, unit, items, toks)
        return True

    # -- group lines ----------------------------------------------------------

    def _group_line(self, st: _State, unit: Unit) -> bool:
        toks = Tokens.of(unit.text)
        outside = False
        if n := self.vocab.at("in_addition", toks.words, 0):
            toks.i = n + (1 if toks.peek(n) == "," else 0)
            outside = st.total is not None
        items = self._lost(toks) or self.items.items(toks)
        if not items:
            return False
        rest = toks.rest()
        if self.vocab.pattern("injuries").search(rest) and not self.vocab.pattern("killed_verbs").search(rest):
            self._add_injured(st, unit, items)
            return True
        self._add_groups(st, unit, items, toks, outside)
        return True

    def _lost(self, toks: Tokens) -> list[Item]:
        """"ISIS lost four members ...": the group named around the verb."""
        for k in range(1, 6):
            n = self.vocab.at("lost", toks.words, toks.i + k)
            if not n:
                continue
            probe = Tokens(toks.words, toks.i + k + n)
            found = self.items.count_at(probe)
            if found is None:
                return []
            probe.i += found[1]
            noun = probe.peek()
            label = " ".join([*toks.words[toks.i : toks.i + k], noun])
            toks.i = probe.i + 1
            return [Item(found[0], self.labels.group(label), approximate=found[2])]
        return []

    def _add_groups(self, st: _State, unit: Unit, items: list[Item], toks: Tokens, outside: bool = False) -> None:
        operations = self._operations_in(toks)
        for count in category_counts(items):
            self._remember_labels(st, items)
            group = st.groups.get(count.category)
            if group is None:
                st.groups[count.category] = _Group(count, unit.line, outside=outside)
                group = st.groups[count.category]
            elif not group.killed_found:
                group.count.killed, group.killed_found, group.line = count.killed, True, unit.line
                group.count.subgroups.update(count.subgroups)
            else:
                group.count.killed += count.killed
                for k, v in count.subgroups.items():
                    group.count.subgroups[k] = group.count.subgroups.get(k, 0) + v
            if operations is not None and group.operations is None:
                group.operations = operations

    def _add_injured(self, st: _State, unit: Unit, items: list[Item]) -> None:
        for count in category_counts(items):
            group = st.groups.get(count.category)
            if group is None:
                group = st.groups[count.category] = _Group(CountSoFar(count.category), unit.line, killed_found=False)
            group.count.injured += count.killed

    def _operations_in(self, toks: Tokens) -> int | None:
        """"... were killed in 148 operations by ISIS members": the count before an operations noun."""
        probe = Tokens(toks.words, toks.i)
        while not probe.done:
            found = self.items.count_at(probe) or self._bare_count_here(probe)
            if found and self._operations_noun_at(Tokens(probe.words, probe.i + found[1])):
                return found[0]
            probe.i += 1
        return None

    def _bare_count_here(self, toks: Tokens) -> tuple[int, int, bool] | None:
        return self._bare_count(Tokens(toks.words[toks.i : toks.i + 4]))

    # -- regions --------------------------------------------------------------

    def _distribution(self, st: _State, unit: Unit) -> bool:
        if not self.vocab.pattern("distribution").search(unit.text):
            return False
        if st.year is None and (m := _ANY_YEAR.search(unit.text)):
            st.year, st.year_line = int(m[1]), unit.line
        st.mode = "regions"
        return True

    def _region_header(self, st: _State, unit: Unit) -> bool:
        colon = unit.text.find(":", 0, MAX_NAME_CHARS)
        name = clean_label(unit.text[:colon]) if colon > 0 else ""
        if not name or len(name.split()) > MAX_NAME_WORDS or any(c.isdigit() for c in name):
            return False
        match = self.labels.region(name)
        in_regions = st.mode in ("regions", "region-lines")
        if not match.known and not in_regions:
            return False
        region = _Region(match.key, name, unit.line)
        toks = Tokens.of(unit.text[colon + 1:])
        if not (self._operations_left(region, toks) or in_regions and self._region_counts(region, toks)):
            return False
        if not match.known:
            st.labels[match.key] = name
        st.regions.append(region)
        st.mode = "region-lines" if region.killed is not None and not region.items else "regions"
        if st.mode == "start":
            st.mode = "regions"
        return True

    def _operations_left(self, region: _Region, toks: Tokens) -> bool:
        """"53 operations (which) left 236 fatalities:" or the compact "... left five combatants ... dead"."""
        found = self.items.count_at(toks)
        if found is None:
            return False
        probe = Tokens(toks.words, toks.i + found[1])
        n = self.vocab.at("operations", probe.words, probe.i)
        m = n and self.vocab.at("left", probe.words, probe.i + n)
        if not m:
            return False
        region.operations = found[0]
        probe.i += n + m
        killed = self.items.count_at(probe) or self._bare_count_here(probe)
        if killed and self.vocab.at("fatalities", probe.words, probe.i + killed[1]):
            region.killed = killed[0]
            probe.i += killed[1]
            while not probe.done and probe.peek() != ":":
                probe.i += 1
            probe.i += 1
        region.items = self.items.items(probe)
        region.compact = region.killed is None
        return region.killed is not None or bool(region.items)

    def _region_counts(self, region: _Region, toks: Tokens) -> bool:
        """A region line without operations: "97 fatalities, including ..., and 90 injured civilians, ..."."""
        found = self.items.count_at(toks) or self._bare_count(Tokens(toks.words[toks.i : toks.i + 4]))
        if (value := self._injured_count(toks)) is not None:
            region.injured, region.compact = value, True
            return True
        if found and self.vocab.at("fatalities", toks.words, toks.i + found[1]):
            region.killed = found[0]
            toks.i += found[1] + self.vocab.at("fatalities", toks.words, toks.i + found[1])
            region.compact = True
            category = self._sole_category()
            parts = self._region_parts(toks, category)
            region.items = [Item(found[0], self.labels.group(self._category_label(category)), parts=parts)]
            self._injured_tail(region, toks)
            return True
        return self._verb_segments(region, toks)

    def _region_parts(self, toks: Tokens, category: str) -> list[Item]:
        """", including 21 women and 25 children" or the apposition ", a child and a man"."""
        holder = Item(0, self.labels.group(self._category_label(category)))
        if toks.peek() == ";" and self.vocab.at("including", toks.words, toks.i + 1):
            toks.i += 1
        self.items._parts(toks, holder)
        if not holder.parts and toks.peek() in (",", ";") and not self._injured_next(toks, 1):
            toks.i += 1
            while (part := self.items.item(toks, category)) is not None:
                holder.parts.append(part)
                sep = self.items._separator(toks)
                if not sep or self._injured_next(toks, sep):
                    break
                toks.i += sep
        return holder.parts

    def _injured_count(self, toks: Tokens) -> int | None:
        """"Two injured civilians, two children.": a region with injured only."""
        value = self.vocab.count(toks.peek()) if toks.peek() else None
        if value is not None and self.vocab.at("injured_people", toks.words, toks.i + 1):
            return value
        return None

    def _injured_next(self, toks: Tokens, sep: int) -> bool:
        return self._injured_count(Tokens(toks.words, toks.i + sep)) is not None

    def _injured_tail(self, region: _Region, toks: Tokens) -> None:
        """", and 90 injured civilians, ..." after a region's fatalities."""
        while not toks.done:
            value = self._injured_count(toks)
            if value is not None:
                region.injured = value
                return
            toks.i += 1

    def _verb_segments(self, region: _Region, toks: Tokens) -> bool:
        """"A man was killed and four others, including three children, were injured."."""
        found_any = False
        while not toks.done:
            items = self.items.items(toks)
            if not items:
                toks.i += self._another(region, toks) or 1
                continue
            rest = Tokens(toks.words, toks.i)
            verb = self._verb(rest)
            total = sum(i.count for i in items)
            if verb == "killed":
                region.items += items
                region.killed = (region.killed or 0) + total
            elif verb == "injured":
                region.injured = (region.injured or 0) + total
            found_any |= verb is not None
        region.compact = True
        return found_any

    def _another(self, region: _Region, toks: Tokens) -> int:
        """"... and another was injured": one more person, counted by the verb; the tokens read."""
        n = self.vocab.at("another", toks.words, toks.i)
        verb = self._verb(Tokens(toks.words, toks.i + n)) if n else None
        if verb == "injured":
            region.injured = (region.injured or 0) + 1
        elif verb == "killed":
            region.killed = (region.killed or 0) + 1
        return n if verb else 0

    def _verb(self, toks: Tokens) -> str | None:
        for k in range(3):
            if self.vocab.at("killed_verbs", toks.words, toks.i + k):
                return "killed"
            if self.vocab.at("injuries", toks.words, toks.i + k):
                return "injured"
        return None

    def _region_line(self, st: _State, unit: Unit) -> bool:
        toks = Tokens.of(unit.text)
        items = self.items.items(toks)
        if not items or any(w not in ".,;:!" and not self.vocab.at("dead", [w], 0) for w in toks.words[toks.i:]):
            return False
        st.regions[-1].items += items
        return True

    def _region_note(self, st: _State, unit: Unit) -> bool:
        """"Among this toll, 49 truffle pickers ... were killed": a part of the last region's toll."""
        toks = Tokens.of(unit.text)
        n = self.vocab.at("among_toll", toks.words, 0)
        if not n:
            return False
        toks.i = n + (1 if toks.peek(n) == "," else 0)
        region = st.regions[-1]
        items = self.items.items(toks)
        if not items:
            return False
        category = region.items[0].category if region.items else self._sole_category()
        for item in items:
            sub = item.match.subgroup or self.labels.subgroup(category, item.match.label).subgroup
            if self._verb(toks) != "injured":
                region.subgroup_notes[(category, sub)] = region.subgroup_notes.get((category, sub), 0) + item.count
        return True

    # -- the result -----------------------------------------------------------

    def _sole_category(self) -> str:
        keys = self.profile.group_order
        return keys[0] if keys else "victims"

    def _category_label(self, key: str) -> str:
        category = self.profile.category(key)
        return category.plural if category else key

    def _remember_labels(self, st: _State, items: list[Item]) -> None:
        for item in items:
            if not item.match.known:
                st.labels.setdefault(item.match.category, item.match.label)
            for part in [item, *item.parts]:
                if part.match.subgroup and not part.match.known or part is not item and not part.match.known:
                    st.labels.setdefault(part.match.subgroup, part.match.label)

    def _reading(self, st: _State) -> TallyReading:
        return Assembler(self.profile, st).reading()


class Assembler:
    """The reader's state turned into a Summary plus the list of fields found and not found."""

    def __init__(self, profile: Profile, st: _State):
        self.profile, self.st = profile, st
        self.fields: list[Found] = []

    def reading(self) -> TallyReading:
        st = self.st
        groups = self._groups()
        regions = [self._region(r) for r in st.regions]
        covers = [k for k, g in st.groups.items() if not g.outside and g.killed_found]
        outside = [k for k, g in st.groups.items() if g.outside]
        summed = sum(g.killed for g in groups)
        total = st.total if st.total is not None and not outside else summed
        operations = self._operations(groups, regions)
        year = st.year
        summary = Summary(
            profile=self.profile.name,
            scope=self._scope(),
            total_killed=total,
            total_injured=sum(g.injured for g in groups),
            operations=operations,
            incidents=0,
            groups=groups,
            regions=regions,
        )
        self._headline_fields(outside)
        return TallyReading(
            summary=summary, year=year, month=st.month, total=st.total, total_covers=covers, outside_total=outside,
            headline_operations=st.operations,
            stated_region_killed={r.key: r.killed for r in st.regions if r.killed is not None},
            labels=dict(st.labels), fields=self.fields,
        )

    def _scope(self):
        st = self.st
        if st.year and st.month:
            return month_scope(st.year, st.month)
        return year_scope(st.year or 1900)

    def _found(self, name: str, value: object, line: int | None, note: str = "") -> None:
        self.fields.append(Found(name, value, True, line, note))

    def _missing(self, name: str, note: str = "") -> None:
        self.fields.append(Found(name, None, False, None, note))

    def _headline_fields(self, outside: list[str]) -> None:
        st = self.st
        head = [Found("year", st.year, st.year is not None, st.year_line)]
        if st.total is not None:
            note = f"without {', '.join(outside)}" if outside else "all groups"
            head.append(Found("total", st.total, True, st.total_line, note))
        else:
            head.append(Found("total", None, False, None, "no headline total; the Summary's total is the sum of the group lines"))
        if st.operations is not None:
            head.append(Found("operations", st.operations, True, st.operations_line))
        self.fields[:0] = head

    def _groups(self) -> list[GroupLine]:
        st, lines = self.st, []
        keys = [*self.profile.group_order, *(k for k in st.groups if k not in self.profile.group_order)]
        for key in keys:
            category = self.profile.category(key)
            group = st.groups.get(key)
            ops = group.operations if group else None
            count = group.count if group else CountSoFar(key)
            lines.append(GroupLine(key, count.killed, count.injured, dict(count.subgroups), operations=ops))
            self._group_fields(key, group, category is not None and category.count_operations)
        return lines

    def _group_fields(self, key: str, group: _Group | None, counts_operations: bool) -> None:
        base = f"groups.{key}"
        if group is None or not group.killed_found:
            self._missing(f"{base}.killed", "no line for this group")
        else:
            note = "outside the headline total" if group.outside else ""
            self._found(f"{base}.killed", group.count.killed, group.line, note)
        if group is None:
            return
        for sub, n in group.count.subgroups.items():
            self._found(f"{base}.{sub}", n, group.line)
        if group.count.injured:
            self._found(f"{base}.injured", group.count.injured, group.line)
        if counts_operations:
            if group.operations is None:
                self._missing(f"{base}.operations")
            else:
                self._found(f"{base}.operations", group.operations, group.line)

    def _region(self, r: _Region) -> RegionLine:
        counts = category_counts(r.items)
        for (cat, sub), n in r.subgroup_notes.items():
            target = next((c for c in counts if c.category == cat), None)
            if target is not None and sub:
                target.subgroups[sub] = target.subgroups.get(sub, 0) + n
        if len(counts) == 1 and r.injured:
            counts[0].injured = r.injured
        if not counts and r.injured and self.profile.group_order:  # "A young man was injured."
            counts = [CountSoFar(self.profile.group_order[0], injured=r.injured)]
        known = self.profile.region(r.key)
        summed = sum(c.killed for c in counts)
        line = RegionLine(
            region=r.key, name=known.name if known else r.name, operations=r.operations or 0,
            killed=r.killed if r.killed is not None else summed,
            injured=r.injured if r.injured is not None else sum(c.injured for c in counts),
            compact=r.compact, categories=[c.final() for c in counts],
        )
        self._region_fields(r, counts)
        return line

    def _region_fields(self, r: _Region, counts: list[CountSoFar]) -> None:
        base = f"regions.{r.key}"
        if r.operations is not None:
            self._found(f"{base}.operations", r.operations, r.line)
        elif self.profile.operations_by:
            self._missing(f"{base}.operations")
        if r.killed is not None:
            self._found(f"{base}.killed", r.killed, r.line)
        if r.injured is not None:
            self._found(f"{base}.injured", r.injured, r.line)
        for c in counts:
            if c.killed or not c.injured:
                self._found(f"{base}.{c.category}", c.killed, r.line)
            for sub, n in c.subgroups.items():
                self._found(f"{base}.{c.category}.{sub}", n, r.line)

    def _operations(self, groups: list[GroupLine], regions: list[RegionLine]) -> int:
        if self.st.operations is not None:
            return self.st.operations
        stated = [g.operations for g in groups if g.operations is not None]
        return stated[0] if stated else sum(r.operations for r in regions)
