"""A single-incident post: where, by whom, what, who was killed, and whether it updates a toll.

The first paragraphs of a post report one incident ("Deir Ezzor province: The
number of victims of members of National Defence has risen to five, after the
death of a member affected by his wounds due to the explosion of a landmine
planted by ISIS cells in Al-Shajiry Village in Al-Masrib district ...").
Each field is looked for at the phrases that introduce it; a field not found
is reported as such, never guessed.
"""

from __future__ import annotations

import re

from ..profile import Profile
from .items import Item, ItemReader, Tokens
from .labels import Labels, Match, clean_label, profile_aliases
from .result import Found, IncidentReading, TallyReading, Victims
from .text import Unit
from .vocabulary import Vocabulary

MAX_NAME_TOKENS = 5
MAX_PHRASE_TOKENS = 12
EARLIER_TOLL_TOKENS = 25
SCAN_TOKENS = 60


class IncidentReader:
    def __init__(self, profile: Profile, labels: Labels, vocab: Vocabulary):
        self.profile, self.labels, self.vocab = profile, labels, vocab
        self.items = ItemReader(labels, vocab)
        months = vocab.words("months")
        self.date = re.compile(
            rf"(?<![\w])({'|'.join(re.escape(m) for m in months)})\s++(\d{{1,2}})(?!\d)(?:,?\s*+(20\d\d)(?!\d))?"
        )
        self.months = {m.casefold(): i for i, m in enumerate(months, start=1)}

    def read(self, units: list[Unit], tally: TallyReading | None) -> tuple[IncidentReading | None, set[int]]:
        """The incident in ``units`` (None if none is reported) and the indexes of the units used."""
        body = [(i, u) for i, u in enumerate(units) if not u.too_long]
        victims, killed, killed_line, used = self._victims(body)
        if not victims and killed is None and not self._reports_toll(body):
            return None, set()
        fields: list[Found] = []
        add = fields.append
        province, province_line = self._province(body)
        add(Found("incident.province", province, province is not None, province_line))
        region = self._region(province, body)
        add(Found("incident.region", region, region is not None, province_line if region else None))
        place, district, place_line = self._place(body, province)
        add(Found("incident.place", place, place is not None, place_line))
        add(Found("incident.district", district, district is not None, place_line if district else None))
        perpetrator, p_line = self._perpetrator(body)
        add(Found("incident.perpetrator", perpetrator, perpetrator is not None, p_line))
        kind, k_line = self._kind(body)
        add(Found("incident.kind", kind, kind is not None, k_line))
        before, injured, b_line, i_line, used_more = self._before_and_injured(body)
        used |= used_more
        if not victims and killed is not None and before is not None and before.match.known:
            # "has risen to seven, after two soldiers succumbed": the group is the one the earlier toll named
            victims, killed_line = [Victims(before.category, before.match.subgroup, before.match.label, killed)], b_line
        first = victims[0] if victims else None
        add(Found("incident.category", first.category if first else None, first is not None, killed_line,
                  "as written: not a category of the profile" if first and self.profile.category(first.category) is None else ""))
        add(Found("incident.subgroup", first.subgroup if first and first.subgroup else None,
                  bool(first and first.subgroup), killed_line))
        add(Found("incident.killed", killed, killed is not None, killed_line))
        add(Found("incident.killed_before", before and before.count, before is not None, b_line))
        add(Found("incident.injured", injured, injured is not None, i_line,
                  "stated with the earlier toll" if injured is not None and i_line == b_line else ""))
        update, u_line, note = self._toll_update(body, before is not None)
        add(Found("incident.toll_update", update, True, u_line, note))
        cause, c_line = self._cause(body) if update else (None, None)
        add(Found("incident.cause", cause, cause is not None, c_line))
        day, d_line = self._date(body, tally)
        add(Found("incident.date", day, day is not None, d_line))
        used |= {i for i, u in body if u.line in {f.line for f in fields if f.found}}
        return IncidentReading(fields, victims), used

    # -- victims and counts ---------------------------------------------------

    def _victims(self, body: list[tuple[int, Unit]]) -> tuple[list[Victims], int | None, int | None, set[int]]:
        """The first sentence that counts victims; a headline ("A | B") only repeats the body."""
        for index, unit in body:
            if " | " in unit.text:
                continue
            found = self._toll_sentence(unit) or self._killed_sentence(unit) or self._killing_clause(unit)
            if found:
                victims, killed = found
                return victims, killed, unit.line, {index}
        return [], None, None, set()

    def _toll_sentence(self, unit: Unit) -> tuple[list[Victims], int] | None:
        """"The number of victims of members of National Defence has risen to five[: four NDF members and ...]"."""
        text = unit.text
        m = self.vocab.pattern("number_of").search(text)
        r = m and (self.vocab.pattern("risen").search(text, m.end()) or self._toll_to(text, m.end()))
        if not m or not r:
            return None
        toks = Tokens.of(text[r.end():])
        value = self.vocab.count(toks.peek()) if toks.peek() else None
        if value is None:
            return None
        if toks.peek(1) not in ("", ":", ",", ".", ";") and self.items.count_at(toks):
            items = self.items.items(toks)  # "... to four civilians"
            return [self._victim(i) for i in items], value
        toks.i += 1
        between = Tokens.of(text[m.end() : r.start()])
        while between.peek().casefold() in self.vocab.stop | {"among", "in"}:
            between.i += 1
        label = self.items.label(between)
        victims = []
        if toks.peek() == ":":
            toks.i += 1
            victims = [self._victim(i) for i in self.items.items(toks)]
        elif label and self.labels.group(label).known:
            match = self.labels.group(label)
            victims = [Victims(match.category, match.subgroup, match.label, value)]
        return victims, value

    def _toll_to(self, text: str, start: int) -> re.Match | None:
        """"bringing the number of fatalities in the attack to four": "to" and a count, close after."""
        for m in self.vocab.pattern("toll_to").finditer(text, start, start + 120):
            following = Tokens.of(text[m.end():]).peek()
            if following and self.vocab.count(following) is not None:
                return m
        return None

    def _killed_sentence(self, unit: Unit) -> tuple[list[Victims], int] | None:
        """"Two members of “NDF” were killed in an armed attack ...": items followed by a killing verb."""
        toks = Tokens.of(unit.text)
        limit = min(len(toks.words), SCAN_TOKENS)
        while toks.i < limit:
            start = toks.i
            items = self.items.items(toks)
            if items and self._killed_verb_next(toks):
                victims = [self._victim(i) for i in items]
                return victims, sum(i.count for i in items)
            toks.i = max(toks.i, start + 1)  # never read the same words twice
        return None

    def _killing_clause(self, unit: Unit) -> tuple[list[Victims], int] | None:
        """"Gunmen opened fire on two members of ..., killing them": the active voice.

        The victims are counted after "killing" ("killing three civilians"), or
        are the group named before it ("killing them", "killing four of them").
        A group the profile does not know is read as written ("killing two
        shepherds", "attacked a group of shepherds ..., killing two of them")
        when no known one is found.
        """
        words = Tokens.of(unit.text).words[: 2 * SCAN_TOKENS]
        named: list[tuple[int, float, int | None, Match]] | None = None
        unknown: tuple[list[Victims], int] | None = None
        for j in range(len(words)):
            n = self.vocab.at("killing", words, j)
            if not n:
                continue
            items = self.items.items(Tokens(words[: self._object_end(words, j + n)], j + n))
            if items and all(i.match.known for i in items):
                return [self._victim(i) for i in items], sum(i.count for i in items)
            said = self._referring_count(Tokens(words, j + n))
            if said is None:
                if items and unknown is None:
                    unknown = [self._victim(i) for i in items], sum(i.count for i in items)
                continue
            named = self._groups_named(words) if named is None else named
            # the object named with a count ("a civilian", "two members of ...") before the subject ("ISIS cells")
            best = max(((score, end, count, match) for end, score, count, match in named if end <= j),
                       key=lambda found: (found[2] is not None, *found[:2]), default=None)
            count = best and (said[0] or best[2])
            if best and count:
                return [Victims(best[3].category, best[3].subgroup, best[3].label, count)], count
            if unknown is None and said[0] is not None and said[0] > 1:  # "two of them", "both"; "him" may be someone not named
                unknown = self._unknown_named_before(words, j, said[0])
        return unknown

    def _unknown_named_before(self, words: list[str], end: int, count: int) -> tuple[list[Victims], int] | None:
        """The last counted group before ``end``, as written: "a group of shepherds while ..." is "shepherds"."""
        head = words[:end]
        for s in range(end - 1, -1, -1):
            counted = self.items.count_at(Tokens(head, s))
            if not counted:
                continue
            start = s + counted[1]
            start += self.vocab.at("collective", words, start)
            stop = start
            while stop < end and not self._ends_phrase(words, stop, "object_ends"):
                stop += 1
            label = clean_label(" ".join(words[start:stop]))
            if label:
                match = self.labels.group(label)
                return [Victims(match.category, match.subgroup, match.label, count)], count
            return None
        return None

    def _ends_phrase(self, words: list[str], k: int, more: str) -> bool:
        """Whether a group's name stops before word ``k``: punctuation, a place word ("in", "near"), a verb, or list ``more``."""
        return words[k] in ",;:." or any(self.vocab.at(name, words, k) for name in ("place_before", "label_ends", more))

    def _object_end(self, words: list[str], start: int) -> int:
        """Where the victims named after "killing" end: before a place ("in Al-Shuhail town") or a new clause."""
        for k in range(start, len(words)):
            if self.vocab.at("place_before", words, k) or (self.vocab.at("object_ends", words, k) and words[k].casefold() != "and"):
                return k
        return len(words)

    def _referring_count(self, toks: Tokens) -> tuple[int | None, int] | None:
        """How many "them" are ("them": None, all those named; "four of them": 4; "both": 2) and the tokens used."""
        if n := self.vocab.at("them", toks.words, toks.i):
            return {"both": 2, "him": 1, "her": 1}.get(toks.peek().casefold()), n
        value = self.vocab.count(toks.peek()) if toks.peek() else None
        if value is not None and (n := self.vocab.at("of_them", toks.words, toks.i + 1)):
            return value, n + 1
        return None

    def _groups_named(self, words: list[str]) -> list[tuple[int, float, int | None, Match]]:
        """Each known group a phrase names (end, score, its count if any, match): "two members of the Iranian-backed militias".

        A phrase runs from any word to the next punctuation, place word ("in",
        "near") or verb, and at most ``MAX_PHRASE_TOKENS`` words. One without a
        count must follow a word of its clause: at the clause's start it is the
        subject ("ISIS cells opened fire ...").
        """
        ends, end = [0] * len(words), len(words)
        for k in range(len(words) - 1, -1, -1):  # one pass: where the phrase from each word stops
            if self._ends_phrase(words, k, "killing"):
                end = k
            ends[k] = min(end, k + MAX_PHRASE_TOKENS)
        found = []
        for s, e in enumerate(ends):
            counted = self.items.count_at(Tokens(words[:e], s))
            if not counted and not (s and words[s - 1][:1].islower()):
                continue  # uncounted, a group is an object only inside a clause ("carrying members of ..."), not its subject
            label = clean_label(" ".join(words[s + (counted[1] if counted else 0) : e]))
            match = self.labels.group(label) if label else None
            if match is not None and match.known:
                found.append((e, match.score, counted[0] if counted else None, match))
        return found

    def _killed_verb_next(self, toks: Tokens) -> bool:
        i = toks.i + (1 if toks.peek() == "," else 0)
        return bool(self.vocab.at("killed_verbs", toks.words, i))

    def _reports_toll(self, body: list[tuple[int, Unit]]) -> bool:
        """Whether the post speaks of one incident's toll even where no victims were counted."""
        return any(self.vocab.pattern("before").search(u.text) or self.vocab.pattern("toll_update").search(u.text)
                   for _, u in body)

    def _victim(self, item: Item) -> Victims:
        return Victims(item.match.category, item.match.subgroup, item.match.label, item.count)

    def _before_and_injured(self, body: list[tuple[int, Unit]]):
        """The earlier toll (an item: "the death of five members of regime forces"), the injured, their lines."""
        before: Item | None = None
        injured = b_line = i_line = None
        used = set()
        for index, unit in body:
            text = unit.text
            if before is None and (m := self.vocab.pattern("before").search(text)):
                before = self._earlier_toll(text, m.end())
                if before is not None:
                    b_line = unit.line
                    used.add(index)
            if injured is None:
                injured = self._injured_in(text)
                i_line = unit.line if injured is not None else None
        return before, injured, b_line, i_line, used

    def _earlier_toll(self, text: str, start: int) -> Item | None:
        """The first group counted after "had documented", past a date put between
        ("had documented, on April 11, 2024, the death of five ...", "had reported on July 6 that seven soldiers ...")."""
        words = Tokens.of(text[start:]).words
        for i in range(min(len(words), EARLIER_TOLL_TOKENS)):
            found = self.items.count_at(Tokens(words, i))
            if found is not None:
                return self.items.item(Tokens(words, i)) or Item(found[0], Match("", "", known=False))
        return None

    def _injured_in(self, text: str) -> int | None:
        if m := self.vocab.pattern("injury_of").search(text):
            toks = Tokens.of(text[m.end():])
            value = 1 if self.vocab.at("another", toks.words, 0) else self.vocab.count(toks.peek()) if toks.peek() else None
            if value is not None:
                return value
        toks = Tokens.of(text)
        for i, word in enumerate(toks.words):
            value = self.vocab.count(word)
            if value is None or word.casefold() in ("a", "an"):
                continue
            if self.vocab.at("others_injured", toks.words, i + 1) and self._injured_word_near(toks.words, i + 1):
                return value
        return 1 if self.vocab.pattern("injured_one").search(text) else None

    def _injured_word_near(self, words: list[str], i: int) -> bool:
        """"three others were injured", "three others sustained injuries"."""
        return any(self.vocab.at("injuries", words, i + k) for k in range(3))  # "injured", "wounded" among them

    # -- where, who, what -------------------------------------------------------

    def _province(self, body: list[tuple[int, Unit]]) -> tuple[str | None, int | None]:
        for _, unit in body:
            m = self.vocab.pattern("province").search(unit.text)
            if not m:
                continue
            words = Tokens.of(unit.text[: m.start()]).words
            name: list[str] = []
            for word in reversed(words[-4:]):
                if not (word[:1].isupper() or word.casefold() in ("al", "el")):
                    break
                name.insert(0, word)
            if name:
                return clean_label(" ".join(name)), unit.line
        return self._province_named(body)

    def _province_named(self, body: list[tuple[int, Unit]]) -> tuple[str | None, int | None]:
        """The first profile region's province named in the post ("... countryside of Homs")."""
        for _, unit in body[:6]:
            if " | " in unit.text:
                continue
            folded = unit.text.casefold()
            found = [(folded.find(r.province.casefold()), r.province) for r in self.profile.regions if r.province]
            found = [(i, name) for i, name in found if i >= 0]
            if found:
                return min(found)[1], unit.line
        return None, None

    def _region(self, province: str | None, body: list[tuple[int, Unit]]) -> str | None:
        """The profile region of the province, or the first region a sentence names ("within regime-held areas")."""
        if province and self.labels.region(province).known:
            return self.labels.region(province).key
        aliases = profile_aliases(self.profile)
        for _, unit in body[:6]:
            folded = unit.text.casefold()
            for region in self.profile.regions:
                names = [region.name, region.province, *aliases.get(("region", region.key), [])]
                if any(re.search(rf"(?<!\w){re.escape(n.casefold())}(?!\w)", folded) for n in names if n):
                    return region.key
        return None

    def _place(self, body: list[tuple[int, Unit]], province: str | None):
        place = district = line = None
        first = body[:6]
        ordered = [u for _, u in first if " | " not in u.text] + [u for _, u in first if " | " in u.text]
        for unit in ordered:  # the body names the place more fully than the headline
            toks = Tokens.of(unit.text)
            for i in range(len(toks.words)):
                n = self.vocab.at("place_before", toks.words, i)
                if not n:
                    continue
                name, after = self._name_at(toks.words, i + n)
                if not name:
                    continue
                if self.vocab.at("district", toks.words, after):
                    district = district or name
                elif place is None and self._is_place(name, province):
                    noun = toks.words[after] if after < len(toks.words) else ""
                    place = f"{name} {noun}" if self.vocab.at("places", [noun], 0) and noun[:1].isupper() else name
                    line = unit.line
            if place:
                break
        return place, district, line

    def _name_at(self, words: list[str], i: int) -> tuple[str, int]:
        """Capitalised words from ``i`` ("Al-Shajiry", "Jabal Al-Bushri"); stops before a place noun."""
        name: list[str] = []
        while i < len(words) and len(name) < MAX_NAME_TOKENS:
            word = words[i]
            if word in "“”\"‘’":
                i += 1
                continue
            if not word[:1].isupper() or self.vocab.at("places", [word], 0) and name:
                break
            name.append(word)
            i += 1
        return " ".join(name), i

    def _is_place(self, name: str, province: str | None) -> bool:
        if province and name.casefold() == province.casefold() or name.casefold() in self.months \
                or self.vocab.at("weekdays", [name], 0):
            return False
        if self.labels.region(name).known or self.labels.actor(name) is not None:
            return False
        if name.isupper() or any(name.casefold() in hints for hints in self.vocab.kinds.values()):
            return False
        return not self.labels.group(name).known

    def _perpetrator(self, body: list[tuple[int, Unit]]) -> tuple[str | None, int | None]:
        for _, unit in body[:6]:
            for m in self.vocab.pattern("by").finditer(unit.text):
                words = []
                for word in Tokens.of(unit.text[m.end():]).words[:12]:
                    if word in ",;:.()":
                        break
                    words.append(word)
                actor = self.labels.actor(" ".join(words))
                if actor is not None:
                    return actor.key, unit.line
        for _, unit in body[:6]:
            actor = self.labels.actor(unit.text)
            if actor is not None:
                return actor.key, unit.line
        return None, None

    def _kind(self, body: list[tuple[int, Unit]]) -> tuple[str | None, int | None]:
        best: tuple[float, int, str, int] | None = None
        for order, (_, unit) in enumerate(body[:6]):
            words = {w.casefold() for w in Tokens.of(unit.text).words}
            text = unit.text.casefold()
            for key, phrase in self.profile.kinds.items():
                score = self._kind_score(key, phrase, words, text)
                if score and (best is None or (score, -order) > (best[0], -best[1])):
                    best = (score, order, key, unit.line)
        return (best[2], best[3]) if best else (None, None)

    def _kind_score(self, key: str, phrase: str, words: set[str], text: str) -> float:
        """The profile's phrase for the kind (all its words) counts most, then hints, then weak hints."""
        phrase_words = [w.casefold() for w in phrase.split()]
        if phrase_words and all(w in words for w in phrase_words):
            return len(phrase_words) + 1
        for weight, hints in ((1.0, self.vocab.kinds.get(key, [])), (0.5, self.vocab.weak_kinds.get(key, []))):
            if any(re.search(rf"(?<!\w){re.escape(h.casefold())}(?!\w)", text) for h in hints):
                return weight
        return 0

    # -- toll update ----------------------------------------------------------

    def _toll_update(self, body: list[tuple[int, Unit]], before: bool) -> tuple[bool, int | None, str]:
        for _, unit in body:
            m = self.vocab.pattern("toll_update").search(unit.text)
            if m:
                return True, unit.line, f"says {m.group()!r}"
            n = self.vocab.pattern("number_of").search(unit.text)
            if n and self.vocab.pattern("risen").search(unit.text, n.end()):
                return True, unit.line, "a toll that has risen"
        if before:
            return True, None, "an earlier toll is cited"
        return False, None, "no sign of an update"

    def _cause(self, body: list[tuple[int, Unit]]) -> tuple[str | None, int | None]:
        for _, unit in body:
            for cause, pattern in self.vocab.causes.items():
                if pattern.search(unit.text):
                    return cause, unit.line
        return None, None

    def _date(self, body: list[tuple[int, Unit]], tally: TallyReading | None) -> tuple[str | None, int | None]:
        for _, unit in body[:6]:
            m = self.date.search(unit.text)
            if not m:
                continue
            year = int(m[3]) if m[3] else tally.year if tally and tally.year else None
            if year is None:
                continue
            month, day = self.months[m[1].casefold()], int(m[2])
            if 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}", unit.line
        return None, None
