"""The wording stage: a Summary turned into the source format's sentences.

The phrases live in Jinja templates (``templates/text/``) and the profile;
this module only supplies the template environment and small filters: number
words (num2words), plural choice (CLDR plural rules from Babel) and the parts
of "including ..." clauses. No English grammar is written here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from babel import Locale
from num2words import num2words

from .profile import Category, Profile
from .summary import CategoryCount, Summary

PACKAGE_DIR = Path(__file__).parent
SHIPPED_TEMPLATES = next(
    (p for p in (PACKAGE_DIR / "_templates", PACKAGE_DIR.parent / "templates") if p.is_dir()),
    PACKAGE_DIR.parent / "templates",
)
WORD_LIMIT = 10  # counts up to ten are words, 11 and above digits


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
        """"134 combatants"; with ``group``, the cumulative block's label."""
        cat = self.profile.category(count.category)
        if cat is None:  # a category outside the profile (read from text): name it as found
            return self.counted(count.killed, count.category, count.category, cap)
        if group:
            return self.counted(count.killed, cat.group_singular, cat.group_plural, cap)
        return self.counted(count.killed, cat.singular, cat.plural, cap)

    def including_parts(self, count: CategoryCount, where: str = "regions") -> list[str]:
        """The cited subgroups of a count, each as a phrase ("a woman", "43 Iranian-backed ...")."""
        cat = self.profile.category(count.category)
        if cat is None:
            return []
        parts = []
        for sub in cat.subgroups:
            n = count.subgroups.get(sub.key, 0)
            cited = sub.cite_in_group if where == "group" else sub.cite_in_regions
            if not n or not cited:
                continue
            if plural_category(n, self.language) == "one" and n == 1:
                parts.append(sub.one)
            elif where == "group":
                parts.append(self.counted(n, sub.group_singular, sub.group_plural))
            else:
                parts.append(self.counted(n, sub.singular, sub.plural))
        return parts

    def filters(self) -> dict:
        return {
            "count": self.count,
            "counted": self.counted,
            "noun": self.noun,
            "label": self.category_label,
            "including_parts": self.including_parts,
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
    )
    wording = Wording(profile)
    env.filters.update(wording.filters())
    env.globals.update(profile=profile, wording=wording)
    return env


def render_text(
    template: str, summary: Summary, profile: Profile, user_dir: str | Path | None = None, **extra
) -> str:
    env = environment(profile, user_dir)
    return env.get_template(template).render(summary=summary, scope=summary.scope, **extra)


def tally_text(summary: Summary, profile: Profile, user_dir: str | Path | None = None) -> str:
    """The cumulative block and the regional distribution in the source format."""
    return render_text("text/tally.txt.j2", summary, profile, user_dir)
