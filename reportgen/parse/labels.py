"""Naming what a post counts: categories, subgroups, regions and actors, from the profile.

Posts name the same group in many ways ("combatants", "regime soldiers",
"members of regime forces and their proxy militias"; "Iranian-backed militias",
"Iranian-backed Syrian militiamen"). A phrase is matched to the profile entry
whose labels share its most distinctive words (a word found in few entries
weighs more), with plural and singular read as one word and acronyms ("NDF",
"SDF") read against the initials of capitalised names. A profile may add
``aliases = [...]`` to a category, subgroup, region or actor. A phrase that
matches nothing well enough becomes its own entry, keyed by its words.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..profile import Profile
from .vocabulary import Vocabulary

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_NAME_WORD = re.compile(r"[^\W\d_][\w’'-]*+|[^\w\s]")
_IRREGULAR = {"children": "child", "people": "person", "persons": "person", "men": "man", "women": "woman"}
MIN_SCORE = 0.9
MIN_SHARE = 0.3
MIN_DICE = 0.5
ACRONYM_WEIGHT = 1.0


def stem(word: str) -> str:
    """A crude singular: "militiamen" -> "militiaman", "militias" -> "militia", "Raqqah" -> "raqqa"."""
    w = word.casefold()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) > 4 and w.endswith("men"):
        return w[:-3] + "man"
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    if len(w) > 5 and w.endswith("ah"):
        return w[:-1]
    return w


def slug(words: list[str]) -> str:
    return "-".join(w.casefold() for w in words)[:60] or "unnamed"


def acronyms(text: str, stop: frozenset[str]) -> set[str]:
    """Acronyms written in ``text`` ("NDF") and the initials of its runs of capitalised names."""
    found = {w for w in _WORD.findall(text) if len(w) >= 2 and w.isupper() and w.isalpha()}
    run: list[str] = []
    for word in [*_NAME_WORD.findall(text), "."]:
        head, _, tail = word.partition("-")
        if tail and head.casefold() in stop:  # "Al-Sham" counts as "Sham"
            word = tail
        if word[:1].isupper() and "-" not in word and not word.isupper() and word.casefold() not in stop:
            run.append(word[0])
            continue
        if run and word.casefold() in stop:  # "of", "the" inside a name
            continue
        if len(run) >= 2:
            found.add("".join(run))
        run = []
    return found


def _acronym_match(a: set[str], b: set[str]) -> bool:
    for x in a:
        for y in b:
            short, long = sorted((x, y), key=len)
            if short == long or (len(short) >= 2 and len(long) == len(short) + 1 and long.startswith(short)):
                return True
    return False


@dataclass(frozen=True)
class Target:
    """A profile entry a phrase can name."""

    kind: str  # "category", "subgroup", "region" or "actor"
    key: str
    category: str = ""  # for subgroups: their category
    tokens: frozenset[str] = frozenset()
    acronyms: frozenset[str] = frozenset()
    heads: tuple[tuple[str, ...], ...] = ()  # singular and plural as token tuples
    labels: tuple[frozenset[str], ...] = ()  # each label's tokens


@dataclass(frozen=True)
class Match:
    """What a phrase names: a known entry, or a new one keyed by its words."""

    label: str
    key: str
    category: str = ""
    subgroup: str = ""
    known: bool = True
    score: float = 0.0

    @property
    def is_subgroup(self) -> bool:
        return bool(self.subgroup)


@dataclass
class Phrase:
    text: str
    words: list[str]
    tokens: list[str]
    acronyms: set[str]


@dataclass
class Family:
    """Targets compared with each other (weights come from how many share a word)."""

    targets: list[Target] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)

    def weigh(self) -> None:
        counts = Counter(t for target in self.targets for t in target.tokens)
        self.weights = {t: 1.0 / n for t, n in counts.items()}

    def weight(self, token: str) -> float:
        return self.weights.get(token, 1.0)


class Labels:
    """The matcher for one profile and one language."""

    def __init__(self, profile: Profile, vocab: Vocabulary):
        self.profile, self.vocab = profile, vocab
        aliases = profile_aliases(profile)
        self.groups = Family()
        self.regions = Family()
        self.actors = Family()
        noise = frozenset(stem(w) for w in vocab.words("region_noise"))
        for cat in profile.categories:
            labels = [cat.singular, cat.plural, cat.group_singular, cat.group_plural, *aliases.get(("category", cat.key), [])]
            self.groups.targets.append(self._target("category", cat.key, labels, heads=[cat.singular, cat.plural]))
            for sub in cat.subgroups:
                labels = [sub.singular, sub.plural, sub.group_singular, sub.group_plural,
                          *aliases.get(("subgroup", f"{cat.key}/{sub.key}"), [])]
                self.groups.targets.append(self._target("subgroup", sub.key, labels, category=cat.key))
        for region in profile.regions:
            labels = [region.name, region.province, region.key.replace("-", " "), *aliases.get(("region", region.key), [])]
            self.regions.targets.append(self._target("region", region.key, labels, noise=noise))
        for actor in profile.actors:
            labels = [actor.key, actor.name, *aliases.get(("actor", actor.key), [])]
            self.actors.targets.append(self._target("actor", actor.key, labels))
        for family in (self.groups, self.regions, self.actors):
            family.weigh()
        self._cache: dict[tuple[str, str], Match] = {}
        self._new_keys: dict[tuple[str, ...], str] = {}
        self.region_noise = noise

    # -- building ----------------------------------------------------------

    def tokens(self, text: str, noise: frozenset[str] = frozenset()) -> list[str]:
        stop = self.vocab.stop
        words = (w for w in _WORD.findall(text) if w.casefold() not in stop and not w.isdigit())
        return [s for s in map(stem, words) if s not in noise]

    def _target(self, kind: str, key: str, labels: list[str], category: str = "",
                heads: list[str] | None = None, noise: frozenset[str] = frozenset()) -> Target:
        per_label = tuple(frozenset(self.tokens(label, noise)) for label in labels if label)
        tokens = frozenset(t for label in per_label for t in label)
        found = set()
        for label in labels:
            found |= acronyms(label, self.vocab.stop)
        return Target(kind, key, category, tokens, frozenset(found),
                      tuple(tuple(self.tokens(h)) for h in heads or []), per_label)

    def phrase(self, text: str, noise: frozenset[str] = frozenset()) -> Phrase:
        text = clean_label(text)
        words = [w for w in _WORD.findall(text) if w.casefold() not in self.vocab.stop]
        return Phrase(text, words, self.tokens(text, noise), acronyms(text, self.vocab.stop))

    # -- matching ----------------------------------------------------------

    def _ranked(self, family: Family, phrase: Phrase, targets: list[Target]) -> list[tuple[float, Target]]:
        ranked = []
        for target in targets:
            score = 0.0
            for token in phrase.tokens:
                if token in target.tokens:
                    score += family.weight(token)
                elif len(token) >= 5 and any(len(t) >= 5 and (t.startswith(token) or token.startswith(t)) for t in target.tokens):
                    score += 0.5 * family.weight(token)
            if phrase.acronyms and _acronym_match(phrase.acronyms, set(target.acronyms)):
                score += ACRONYM_WEIGHT
            if score > 0:
                ranked.append((score, target))
        ranked.sort(key=lambda st: -st[0])
        return ranked

    def _good(self, family: Family, phrase: Phrase, score: float) -> bool:
        whole = sum(family.weight(t) for t in phrase.tokens) or 1.0
        return score >= MIN_SCORE and score / whole >= MIN_SHARE

    def group(self, text: str) -> Match:
        """A category or subgroup named at the top of a line or list item."""
        key = ("", text)
        if key not in self._cache:
            self._cache[key] = self._group(text)
        return self._cache[key]

    def _group(self, text: str) -> Match:
        phrase = self.phrase(text)
        ranked = self._ranked(self.groups, phrase, self.groups.targets)
        headed = [(s, t) for s, t in ranked if t.kind == "category" and _starts_with_head(phrase, t)]
        if headed and (ranked[0][1].kind != "subgroup" or ranked[0][1].category != headed[0][1].key):
            return self._category_match(phrase, headed[0][1], headed[0][0])
        if not ranked or not self._good(self.groups, phrase, ranked[0][0]):
            return self._unknown(phrase)
        score, best = ranked[0]
        rivals = [t for s, t in ranked[1:] if s >= score - 0.1 and _family_key(t) != _family_key(best)]
        if rivals:
            return self._unknown(phrase)
        if best.kind == "subgroup":
            return Match(phrase.text, best.key, best.category, best.key, True, score)
        return self._category_match(phrase, best, score)

    def _category_match(self, phrase: Phrase, best: Target, score: float) -> Match:
        """A category; "civilian truffle pickers" also names an unknown subgroup of it."""
        for head in best.heads:
            n = len(head)
            rest = phrase.tokens[n:]
            if n and tuple(phrase.tokens[:n]) == head and rest and not set(rest) & best.tokens:
                return Match(phrase.text, best.key, best.key, self._new_key(phrase.words[n:]), True, score)
        return Match(phrase.text, best.key, best.key, "", True, score)

    def subgroup(self, category: str, text: str) -> Match:
        """A subgroup of ``category`` (an "including" part); unknown ones keyed by their words."""
        key = (category, text)
        if key not in self._cache:
            self._cache[key] = self._subgroup(category, text)
        return self._cache[key]

    def _subgroup(self, category: str, text: str) -> Match:
        phrase = self.phrase(text)
        targets = [t for t in self.groups.targets if t.kind == "subgroup" and t.category == category]
        ranked = self._ranked(self.groups, phrase, targets)
        if ranked and self._good(self.groups, phrase, ranked[0][0]):
            return Match(phrase.text, ranked[0][1].key, category, ranked[0][1].key, True, ranked[0][0])
        whole = self.group(text)
        if whole.known and whole.category == category and not whole.subgroup:
            return Match(phrase.text, category, category, "", True, whole.score)
        unknown = self._new_key(phrase.words)
        return Match(phrase.text, unknown, category, unknown, False, 0.0)

    def is_category(self, text: str) -> bool:
        """Whether a phrase names a category (not one of its subgroups)."""
        m = self.group(text)
        return m.known and not m.subgroup

    def region(self, text: str) -> Match:
        """A region: the label that shares most of its words with the phrase (weighted Dice)."""
        phrase = self.phrase(text, self.region_noise)
        ranked = sorted(((self._dice(phrase, t), t) for t in self.regions.targets), key=lambda st: -st[0])
        if ranked and ranked[0][0] >= MIN_DICE and (len(ranked) == 1 or ranked[1][0] < ranked[0][0] - 0.1):
            return Match(phrase.text, ranked[0][1].key, score=ranked[0][0])
        words = [w for w in phrase.words if stem(w) not in self.region_noise]
        return Match(phrase.text, slug(words or phrase.words), known=False)

    def _dice(self, phrase: Phrase, target: Target) -> float:
        weight = self.regions.weight
        mine = set(phrase.tokens)
        best = 1.0 if phrase.acronyms and _acronym_match(phrase.acronyms, set(target.acronyms)) else 0.0
        for label in target.labels:
            shared = sum(weight(t) for t in mine & label)
            whole = sum(weight(t) for t in mine) + sum(weight(t) for t in label)
            if whole:
                best = max(best, 2 * shared / whole)
        return best

    def actor(self, text: str) -> Match | None:
        phrase = self.phrase(text)
        ranked = self._ranked(self.actors, phrase, self.actors.targets)
        if ranked and ranked[0][0] >= MIN_SCORE:
            return Match(phrase.text, ranked[0][1].key, score=ranked[0][0])
        return None

    def _unknown(self, phrase: Phrase) -> Match:
        key = self._new_key(phrase.words)
        return Match(phrase.text, key, key, "", False, 0.0)

    def _new_key(self, words: list[str]) -> str:
        """The key of a group the profile does not know: its words, the same for "a shepherd" and "shepherds"."""
        return self._new_keys.setdefault(tuple(stem(w) for w in words), slug(words))


def _starts_with_head(phrase: Phrase, target: Target) -> bool:
    return any(head and tuple(phrase.tokens[: len(head)]) == head for head in target.heads)


def _family_key(target: Target) -> str:
    return target.category or target.key


def clean_label(text: str) -> str:
    """A label as shown: quotes, brackets and trailing punctuation gone, spaces single."""
    text = re.sub(r"[“”\"‘’«»()\[\]]", "", text)
    return " ".join(text.split()).strip(" ,.;:")


def profile_aliases(profile: Profile) -> dict[tuple[str, str], list[str]]:
    """``aliases`` lists from the profile file (extra names a post may use for an entry)."""
    try:
        data = tomllib.loads(Path(profile.path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    found: dict[tuple[str, str], list[str]] = {}
    for cat in data.get("categories", []):
        found[("category", cat.get("key", ""))] = _strings(cat.get("aliases"))
        for sub in cat.get("subgroups", []):
            found[("subgroup", f"{cat.get('key', '')}/{sub.get('key', '')}")] = _strings(sub.get("aliases"))
    for kind in ("regions", "actors"):
        for entry in data.get(kind, []):
            found[(kind[:-1], entry.get("key", ""))] = _strings(entry.get("aliases"))
    return found


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
