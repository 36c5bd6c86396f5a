"""The parse stage: published posts read back into the product's structures.

``parse_text`` reads a post in the source format: a cumulative tally with its
regional distribution becomes the same ``Summary`` the aggregate stage makes
(a bulletin's month and year-to-date tallies become one each);
a single-incident post becomes an ``IncidentReading``. Every field says whether
the text stated it, and the sentences that were not used are listed. The only
error raised is ``ParseError`` (an ``InputError``): text that is not UTF-8 or
far too large to be a post. Anything else, however garbled, gives a reading.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..ingest import fields
from ..profile import Profile
from .incident import IncidentReader
from .labels import Labels
from .result import Found, IncidentReading, Reading, TallyReading, Unused
from .tally import TallyReader
from .text import MAX_UNIT, ParseError, known_words, normalise, units
from .vocabulary import vocabulary

__all__ = [
    "Found", "IncidentReading", "ParseError", "Reading", "TallyReading", "Unused",
    "parse_file", "parse_text",
]


def _profile_words(profile: Profile) -> list[str]:
    words = [profile.subject, profile.operations_label, *profile.kinds.values(), *profile.kinds]
    for cat in profile.categories:
        words += [cat.singular, cat.plural, cat.group_singular, cat.group_plural]
        words += [w for s in cat.subgroups for w in (s.singular, s.plural)]
    words += [r.name for r in profile.regions] + [a.key for a in profile.actors] + [a.name for a in profile.actors]
    return words


def parse_text(text: str, profile: Profile, source: str = "<text>") -> Reading:
    """Read a post: its tally (if any), its incident (if any) and the sentences not used."""
    vocab = vocabulary(profile.language)
    labels = Labels(profile, vocab)
    try:
        plain = normalise(text, known_words(vocab, _profile_words(profile)))
    except ParseError as exc:
        raise ParseError(source, None, "text", exc.message) from None
    found = units(plain)
    tallies, used = TallyReader(profile, labels, vocab).read(found)
    rest = [(i, u) for i, u in enumerate(found) if i not in used]
    incident, used_by_incident = IncidentReader(profile, labels, vocab).read([u for _, u in rest], tallies[0] if tallies else None)
    unused = [
        Unused(u.line, _shown(u.text))
        for k, (_, u) in enumerate(rest)
        if k not in used_by_incident
    ]
    return Reading(source, profile.name, tallies, incident, unused)


def parse_file(path: str | Path, profile: Profile) -> Reading:
    """Read the post in ``path`` (UTF-8 text)."""
    path = Path(path)
    if not path.is_file():
        raise ParseError(str(path), None, None, "no such file")
    try:
        text = fields.decode(path)
    except InputError as exc:
        raise ParseError(exc.file, exc.line, exc.field, exc.message) from None
    return parse_text(text, profile, str(path))


_WS = re.compile(r"\s+")


def _shown(text: str) -> str:
    return text if len(text) <= MAX_UNIT else text[: MAX_UNIT - 1] + "…"
