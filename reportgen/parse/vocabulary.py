"""The words a post of one language uses around its figures, and its number words.

The lists live in ``<language>.toml`` beside this module; this module turns them
into lookups and anchored, alternation-only patterns (no nested quantifiers),
so that scanning a line costs time proportional to its length.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from num2words import num2words

from ..errors import ReportgenError

HERE = Path(__file__).parent
MAX_WORD_NUMBER = 99
MAX_COUNT = 999_999

# A word token: digits with thousands separators, a word with inner hyphens or
# apostrophes, or one other visible character. Possessive: no backtracking.
TOKEN = re.compile(r"\d{1,3}(?:,\d{3})++(?![\w])|[\w][\w’'-]*+|\S")
DIGITS = re.compile(r"\d{1,3}(?:,\d{3})++|\d{1,7}")


def phrase_pattern(phrases: list[str]) -> re.Pattern:
    """One case-insensitive pattern for fixed phrases, longest first, on word boundaries."""
    alternatives = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    body = "|".join(r"\s++".join(re.escape(w) for w in p.split()) for p in alternatives)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Vocabulary:
    language: str
    lists: dict[str, list[str]]
    numbers: dict[str, int]
    patterns: dict[str, re.Pattern]
    causes: dict[str, re.Pattern]
    kinds: dict[str, list[str]]
    weak_kinds: dict[str, list[str]]
    stop: frozenset[str]
    sequences: dict[str, dict[str, tuple[tuple[str, ...], ...]]]  # list -> first word -> phrases

    def pattern(self, name: str) -> re.Pattern:
        return self.patterns[name]

    def words(self, name: str) -> list[str]:
        return self.lists[name]

    def count(self, token: str) -> int | None:
        """The value of a count token ("53", "2,550", "Ten", "a"), or None."""
        if token[:1].isdigit():
            if not DIGITS.fullmatch(token):
                return None
            value = int(token.replace(",", ""))
            return value if value <= MAX_COUNT else None
        return self.numbers.get(token.casefold())

    def at(self, name: str, tokens: list[str], i: int) -> int:
        """How many tokens from ``i`` make one of the phrases of list ``name``; 0 if none."""
        if i >= len(tokens):
            return 0
        for words in self.sequences[name].get(tokens[i].casefold(), ()):
            n = len(words)
            if n == 1 or tuple(t.casefold() for t in tokens[i : i + n]) == words:
                return n
        return 0

    def qualifier_at(self, tokens: list[str], i: int) -> int:
        """How many tokens from ``i`` make a qualifier ("over", "at least"); 0 if none."""
        return self.at("qualifiers", tokens, i)


def _number_words(language: str, ones: list[str]) -> dict[str, int]:
    words = {w.casefold(): 1 for w in ones}
    for n in range(1, MAX_WORD_NUMBER + 1):
        words[num2words(n, lang=language).casefold()] = n
    return words


@cache
def vocabulary(language: str = "en") -> Vocabulary:
    """The vocabulary of ``language`` (a file ``<language>.toml`` next to this module)."""
    path = HERE / f"{language}.toml"
    if not re.fullmatch(r"[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?", language) or not path.is_file():
        raise ReportgenError(f"no reading vocabulary for language {language!r} (expected {HERE}/{language}.toml)")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    lists = {k: v for k, v in data.items() if isinstance(v, list)}
    return Vocabulary(
        language=language,
        lists=lists,
        numbers=_number_words(language, lists["one"]),
        patterns={name: phrase_pattern(words) for name, words in lists.items()},
        causes={cause: phrase_pattern(phrases) for cause, phrases in data.get("causes", {}).items()},
        kinds={k: list(v) for k, v in data.get("kinds", {}).items()},
        weak_kinds={k: list(v) for k, v in data.get("weak_kinds", {}).items()},
        stop=frozenset(lists["stop"]),
        sequences={name: _sequences(words) for name, words in lists.items()},
    )


def _sequences(phrases: list[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Phrases as token tuples (as ``TOKEN`` cuts text), by first word, longest first."""
    found = sorted({tuple(t.casefold() for t in TOKEN.findall(p)) for p in phrases if p.strip()}, key=len, reverse=True)
    index: dict[str, list[tuple[str, ...]]] = {}
    for words in found:
        index.setdefault(words[0], []).append(words)
    return {first: tuple(seqs) for first, seqs in index.items()}
