"""Counted groups in a sentence: "134 combatants, including 16 Iranian-backed militias".

A list item is a count, the label of a group and optionally an "including"
clause naming subgroups. Items are joined by commas and "and"; whether a
phrase after "and" continues the "including" clause or starts the next item
is decided by what it names: a category starts a new item ("..., including
two members of the 25th Division, and three civilians"), anything else is one
more subgroup ("including a child and a witch"). The reader walks the word
tokens once; nothing backtracks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..summary import CategoryCount
from .labels import Labels, Match, clean_label
from .vocabulary import TOKEN, Vocabulary

_STOPS = frozenset(",;:.!?")


@dataclass
class Item:
    count: int
    match: Match
    parts: list[Item] = field(default_factory=list)
    approximate: bool = False
    uncounted: list[str] = field(default_factory=list)  # "including commanders": named, not counted

    @property
    def category(self) -> str:
        return self.match.category


@dataclass
class Tokens:
    """A sentence cut into word tokens, with a cursor."""

    words: list[str]
    i: int = 0

    @classmethod
    def of(cls, text: str) -> Tokens:
        return cls(TOKEN.findall(text))

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.words[j] if j < len(self.words) else ""

    @property
    def done(self) -> bool:
        return self.i >= len(self.words)

    def rest(self) -> str:
        return " ".join(self.words[self.i :])


class ItemReader:
    def __init__(self, labels: Labels, vocab: Vocabulary):
        self.labels, self.vocab = labels, vocab

    # -- pieces ---------------------------------------------------------------

    def count_at(self, toks: Tokens, k: int = 0) -> tuple[int, int, bool] | None:
        """(count, tokens used, approximate) if a count (maybe qualified) starts at cursor+k."""
        j = toks.i + k
        q = self.vocab.qualifier_at(toks.words, j)
        value = self.vocab.count(toks.words[j + q]) if j + q < len(toks.words) else None
        if value is None:
            return None
        nxt = toks.words[j + q + 1] if j + q + 1 < len(toks.words) else ""
        if not nxt or nxt in _STOPS or self.vocab.at("label_ends", toks.words, j + q + 1):
            return None
        return value, q + 1, q > 0

    def _label_end(self, toks: Tokens) -> bool:
        w = toks.peek()
        if not w or w in _STOPS:
            return True
        if self.vocab.at("label_ends", toks.words, toks.i) or self.vocab.at("including", toks.words, toks.i):
            return True
        if self.vocab.at("left", toks.words, toks.i) and toks.i > 0:
            return True
        n = self.vocab.at("and", toks.words, toks.i)
        return bool(n) and self.count_at(toks, n) is not None

    def label(self, toks: Tokens) -> str:
        start = toks.i
        while not toks.done and not self._label_end(toks):
            toks.i += 1
        return clean_label(" ".join(toks.words[start : toks.i]))

    def _separator(self, toks: Tokens) -> int:
        """Tokens of a list separator (",", "and", ", and") followed by a count; 0 if none."""
        n = 0
        if toks.peek() == ",":
            n = 1
        n += self.vocab.at("and", toks.words, toks.i + n)
        return n if n and self.count_at(toks, n) is not None else 0

    def _including(self, toks: Tokens) -> int:
        n = 1 if toks.peek() == "," else 0
        k = self.vocab.at("including", toks.words, toks.i + n)
        return n + k if k else 0

    # -- items ----------------------------------------------------------------

    def item(self, toks: Tokens, category: str | None = None) -> Item | None:
        """One counted group at the cursor; with ``category``, a subgroup of it."""
        found = self.count_at(toks)
        if found is None:
            return None
        value, used, approximate = found
        save = toks.i
        toks.i += used
        text = self.label(toks)
        if not text:
            toks.i = save
            return None
        match = self.labels.subgroup(category, text) if category else self.labels.group(text)
        item = Item(value, match, approximate=approximate)
        if category is None:
            self._parts(toks, item)
        return item

    def _parts(self, toks: Tokens, item: Item) -> None:
        """The "including ..." clause(s) after an item: its subgroups."""
        while n := self._including(toks):
            toks.i += n
            if self.count_at(toks) is None:
                item.uncounted.append(self.label(toks))
                continue
            while (part := self.item(toks, item.category)) is not None:
                item.parts.append(part)
                sep = self._separator(toks)
                if not sep or self._names_category(toks, sep):
                    break
                toks.i += sep

    def _names_category(self, toks: Tokens, sep: int) -> bool:
        """Whether the item after a separator names a category (and so ends an "including")."""
        probe = Tokens(toks.words, toks.i + sep)
        _, used, _ = self.count_at(probe) or (0, 0, False)
        probe.i += used
        return self.labels.is_category(self.label(probe))

    def items(self, toks: Tokens) -> list[Item]:
        """A list of items from the cursor; stops at the first thing that is not one."""
        found = []
        while (item := self.item(toks)) is not None:
            found.append(item)
            sep = self._separator(toks)
            if not sep:
                break
            toks.i += sep
        return found


@dataclass
class CountSoFar:
    """A category's count while a text is read; ``final`` gives the Summary's (frozen) count."""

    category: str
    killed: int = 0
    injured: int = 0
    subgroups: dict[str, int] = field(default_factory=dict)

    def final(self) -> CategoryCount:
        return CategoryCount(self.category, self.killed, self.injured, dict(self.subgroups))


def category_counts(items: Iterable[Item]) -> list[CountSoFar]:
    """Items merged per category, in order of first mention (a subgroup adds to its category)."""
    counts: dict[str, CountSoFar] = {}
    for item in items:
        count = counts.setdefault(item.category, CountSoFar(item.category))
        count.killed += item.count
        if item.match.subgroup:
            _add(count.subgroups, item.match.subgroup, item.count)
        for part in item.parts:
            if part.match.subgroup:
                _add(count.subgroups, part.match.subgroup, part.count)
    return list(counts.values())


def _add(d: dict[str, int], key: str, n: int) -> None:
    d[key] = d.get(key, 0) + n
