"""Published text made readable: normalised characters, plain words, and units to read.

A post is read line by line; a line is cut where a bullet starts inside it
(posts copied from web pages run their bullets together) and then into
sentences. Every unit keeps the number of the line it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError
from .vocabulary import Vocabulary

MAX_CHARS = 10_000_000  # a post is a few kilobytes; refuse what cannot be one
MAX_UNIT = 2_000  # longer sentences are listed as unused, not read

_LINE_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029\x0b\x0c]")
_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff\ud800-\udfff]")
_RUNS = re.compile(" {2,}")
_OBFUSCATED = re.compile(r"(?<![\w*-])[^\W\d_]++(?:[*-][^\W\d_]++)++(?![\w*])")
_STARS = re.compile(r"[*-]")

_BULLET = re.compile(r"[•●▪◦·*–—-] ?+")
_BULLET_BREAK = re.compile(r"\s++(?=[•●▪◦]\s*+\S)|(?<=[.:;])\s++(?=[–—-] ?+[^\s\d])")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s++(?=[“\"‘(\[]?+[A-Z0-9•])")


class ParseError(InputError):
    """Text that cannot be read at all (not UTF-8, or far too large to be a post)."""


@dataclass(frozen=True)
class Unit:
    """One sentence of the post: where it is, its bullet (if any), its text."""

    line: int
    text: str
    bullet: str = ""
    first: bool = True  # the first sentence of its line or bullet

    @property
    def too_long(self) -> bool:
        return len(self.text) > MAX_UNIT


def plain_words(text: str, known: frozenset[str]) -> str:
    """"Dea*th" -> "Death", "kil-led" -> "killed"; "Al-Raqqah" and "Iranian-backed" stay."""

    def join(m: re.Match) -> str:
        joined = _STARS.sub("", m.group())
        return joined if joined.casefold() in known else m.group()

    return _OBFUSCATED.sub(join, text)


def normalise(text: str, known: frozenset[str]) -> str:
    """One kind of line break and space, no invisible or control characters, plain words."""
    if len(text) > MAX_CHARS:
        raise ParseError("text", None, None, f"expected a post of at most {MAX_CHARS:,} characters, got {len(text):,}")
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROLS.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = _RUNS.sub(" ", text)
    return plain_words(text, known)


def units(text: str) -> list[Unit]:
    """The sentences of a normalised text, in order, with their line numbers and bullets."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        for piece in _BULLET_BREAK.split(line):
            found += _piece_units(number, piece.strip())
    return found


def _piece_units(line: int, piece: str) -> list[Unit]:
    if not piece:
        return []
    bullet = ""
    if m := _BULLET.match(piece):
        rest = piece[m.end():]
        if rest.strip() and not (m.group() in ("-", "*") and rest[0].isdigit()):
            bullet, piece = m.group().strip(), rest.strip()
    sentences = [s.strip() for s in _SENTENCE_BREAK.split(piece) if s.strip()]
    return [Unit(line, s, bullet if i == 0 else "", i == 0) for i, s in enumerate(sentences)]


def known_words(vocab: Vocabulary, extra: list[str]) -> frozenset[str]:
    """Words that an obfuscated token may turn into: the vocabulary's and the profile's."""
    words = {w.casefold() for w in vocab.words("obfuscated")}
    for phrase in extra:
        words.update(w.casefold() for w in re.findall(r"[^\W\d_]+", phrase))
    return frozenset(words)
