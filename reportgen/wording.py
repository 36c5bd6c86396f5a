"""The wording stage: a Summary turned into the source format's sentences.

The phrases live in Jinja templates (``templates/text/``) and the profile;
this module only supplies the template environment and small filters: number
words (num2words), plural choice (CLDR plural rules from Babel) and the parts
of "including ..." clauses. No English grammar is written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale
from num2words import num2words

from .periods import Scope
from .profile import Category, Profile, Subgroup
from .summary import CategoryCount, GroupLine, Summary

PACKAGE_DIR = Path(__file__).parent
SHIPPED_TEMPLATES = next(
    (p for p in (PACKAGE_DIR / "_templates", PACKAGE_DIR.parent / "templates") if p.is_dir()),
    PACKAGE_DIR.parent / "templates",
)
WORD_LIMIT = 10  # counts up to ten are words, 11 and above digits
TALLY_TEMPLATE = "text/tally.txt.j2"  # the cumulative block and the regional distribution


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def plural_category(n: int, language: str = "en") -> str:
    """The CLDR plural category of ``n`` ("one", "other"; Arabic has six)."""
    return _locale(language).plural_form(n)


def count_word(n: int, cap: bool = False, language: str = "en") -> str:
    """``5`` -> "five" ("Five" with ``cap``); 11 and above stay digits."""
    if 1 <= n <= WORD_LIMIT:
        word = num2words(n, lang=language)
        return word[:1].upper() + word[1:] if cap else word
    return str(n)


def noun(n: int, singular: str, plural: str, language: str = "en") -> str:
    return singular if plural_category(n, language) == "one" else plural


def counted(n: int, singular: str, plural: str, cap: bool = False, language: str = "en") -> str:
    """"five combatants", "One civilian", "134 combatants"."""
    return f"{count_word(n, cap, language)} {noun(n, singular, plural, language)}"


def join_list(items: list[str], last: str = " and ", sep: str = ", ") -> str:
    """Join phrases: ``a, b and c``; the words come from the template."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return sep.join(items[:-1]) + last + items[-1]


def one_line(text: object) -> str:
    """Collapse all whitespace (line breaks included) so data cannot start a new line."""
    return " ".join(str(text).split())


class Wording:
    """Filters bound to one profile, for the templates of that profile."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.language = profile.language

    def count(self, n: int, cap: bool = False) -> str:
        return count_word(n, cap, self.language)

    def counted(self, n: int, singular: str, plural: str, cap: bool = False) -> str:
        return counted(n, singular, plural, cap, self.language)

    def noun(self, n: int, singular: str, plural: str) -> str:
        return noun(n, singular, plural, self.language)

    def category(self, key: str) -> Category | None:
        return self.profile.category(key)

    def category_label(self, count: CategoryCount, cap: bool = False, group: bool = False) -> str:
        """"134 combatants"; with ``group``, the cumulative block's label. A count whose cited
        subgroup is the whole of it is named as that subgroup ("three Iranian-backed militiamen")."""
        cat = self.profile.category(count.category)
        if cat is None:  # a category outside the profile (read from text): name it as found
            return self.counted(count.killed, count.category, count.category, cap)
        whole = self.whole_subgroup(count, "group" if group else "regions")
        if whole is not None:
            return self._subgroup_phrase(whole, count.killed, group, cap)
        if group:
            return self.counted(count.killed, cat.group_singular, cat.group_plural, cap)
        return self.counted(count.killed, cat.singular, cat.plural, cap)

    def whole_subgroup(self, count: CategoryCount, where: str = "regions") -> Subgroup | None:
        """The first cited subgroup that all of the count's dead belong to, if any."""
        cat = self.profile.category(count.category)
        if cat is None or not count.killed:
            return None
        return next((s for s in self._cited(cat, where) if count.subgroups.get(s.key, 0) == count.killed), None)

    def including_parts(self, count: CategoryCount, where: str = "regions") -> list[str]:
        """The cited subgroups of a count, each as a phrase ("a woman", "43 Iranian-backed ..."),
        but for one that is the whole count (the label names it)."""
        cat = self.profile.category(count.category)
        if cat is None:
            return []
        whole = self.whole_subgroup(count, where)
        return [
            self._subgroup_phrase(sub, count.subgroups[sub.key], where == "group")
            for sub in self._cited(cat, where)
            if count.subgroups.get(sub.key, 0) and sub != whole
        ]

    @staticmethod
    def _cited(cat: Category, where: str) -> list[Subgroup]:
        return [s for s in cat.subgroups if (s.cite_in_group if where == "group" else s.cite_in_regions)]

    def _subgroup_phrase(self, sub: Subgroup, n: int, group: bool, cap: bool = False) -> str:
        if n == 1 and plural_category(n, self.language) == "one":
            return sub.one[:1].upper() + sub.one[1:] if cap else sub.one
        if group:
            return self.counted(n, sub.group_singular, sub.group_plural, cap)
        return self.counted(n, sub.singular, sub.plural, cap)

    def place_names(self, line: GroupLine) -> list[str]:
        """The places of a cumulative line: its areas by name, then its regions in the profile's
        phrase for their number ("the deserts of Homs and Hama")."""
        names = [area.name for k in line.areas if (area := self.profile.area(k))]
        regions = [self._place_of(k) for k in line.places]
        if regions:
            phrase = self.profile.place_phrase(plural_category(len(regions), self.language))
            names.append(phrase.replace("{places}", join_list(regions)))
        return names

    def _place_of(self, key: str) -> str:
        region = self.profile.region(key)
        return region.place_name if region else key

    def kind_names(self, line: GroupLine) -> list[str]:
        """The names of the kinds of a line's operations, each once, in the profile's order;
        kinds the profile gives no name to are not named."""
        names = [self.profile.kind_phrases[k] for k in line.kinds if k in self.profile.kind_phrases]
        return list(dict.fromkeys(names))

    def cause_names(self, line: GroupLine) -> list[str]:
        cat = self.profile.category(line.category)
        phrases = {c.key: c.phrase for c in cat.causes} if cat else {}
        return [phrases[k] for k in line.causes if k in phrases]

    def filters(self) -> dict:
        return {
            "count": self.count,
            "counted": self.counted,
            "noun": self.noun,
            "label": self.category_label,
            "including_parts": self.including_parts,
            "place_names": self.place_names,
            "kind_names": self.kind_names,
            "cause_names": self.cause_names,
            "join_list": join_list,
            "one_line": one_line,
        }


def template_dirs(user_dir: str | Path | None = None) -> list[Path]:
    """The template search path: a user's directory first, then the shipped templates."""
    dirs = [Path(user_dir)] if user_dir else []
    return [*dirs, SHIPPED_TEMPLATES]


def _autoescape(name: str | None) -> bool:
    """HTML and XML templates are escaped whatever their suffix (``bulletin.html.j2`` too)."""
    if name is None:
        return True
    stem = name[:-3] if name.endswith(".j2") else name
    return not stem.endswith((".txt", ".text"))


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the process, shared by every environment: a bucket
    is reused only while its template's source is unchanged (Jinja checks its checksum)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED = _CompiledTemplates()


def environment(profile: Profile, user_dir: str | Path | None = None) -> jinja2.Environment:
    """A fresh Jinja environment for one profile.

    A user's template directory overrides shipped files by name; an override
    can extend the file it replaces as ``default:NAME``. Data only ever enters
    as template variables, never as template source.
    """
    shipped = jinja2.FileSystemLoader(str(SHIPPED_TEMPLATES))
    loaders: list[jinja2.BaseLoader] = []
    if user_dir:
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders += [shipped, jinja2.PrefixLoader({"default": shipped}, delimiter=":")]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=_autoescape,  # noqa: S701 - a callable: on for everything but text templates
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=COMPILED,
    )
    wording = Wording(profile)
    env.filters.update(wording.filters())
    env.globals.update(profile=profile, wording=wording)
    return env


TALLY_TEMPLATE = "text/tally.txt.j2"


@dataclass(frozen=True)
class TallyContext:
    """The one context of ``text/tally.txt.j2`` (besides the environment's ``profile``, ``wording``
    and filters): the Summary to word, and its scope."""

    summary: Summary

    @property
    def scope(self) -> Scope:
        return self.summary.scope

    def as_context(self) -> dict[str, Any]:
        return {"summary": self.summary, "scope": self.scope}


def tally_text(summary: Summary, profile: Profile, user_dir: str | Path | None = None) -> str:
    """The cumulative block and the regional distribution in the source format."""
    return render_tally(environment(profile, user_dir), summary)


def render_tally(env: jinja2.Environment, summary: Summary) -> str:
    """``tally_text`` with an environment already made (a build's, shared by all its bulletins)."""
    return env.get_template(TALLY_TEMPLATE).render(TallyContext(summary).as_context())
