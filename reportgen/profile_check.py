"""The shipped profiles at a glance, and a profile file checked: every problem, each with its line.

TOML syntax errors carry their line; for a problem in the content, the line is the one where
the offending key is set in the file's text (or the header of the table it belongs to).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .profile import MEASURES, _profile_from_dict, load_profile, shipped_profiles

# The top-level keys a profile may hold (see ``profile._profile_from_dict``).
TOP_KEYS = (
    "name", "language", "organisation", "title", "subject", "operations_label", "operations_label_singular",
    "operations_by", "methods", "compact_max_fatalities", "regions", "categories", "tally", "actors", "kinds",
    "operation_singular", "operation_plural", "mapping", "notice", "areas", "measures",
)
_TEXTS = ("name", "language", "organisation", "title", "subject", "operations_label", "methods")


@dataclass(frozen=True)
class ShippedProfile:
    """A shipped profile as ``reportgen profiles`` lists it."""

    name: str
    title: str
    language: str
    categories: tuple[str, ...]


def shipped_profile_list() -> list[ShippedProfile]:
    """Every shipped profile: its name, title, language and category keys."""
    found = []
    for name in shipped_profiles():
        profile = load_profile(name)
        found.append(ShippedProfile(name, profile.title, profile.language, tuple(c.key for c in profile.categories)))
    return found


@dataclass(frozen=True)
class ProfileProblem:
    line: int | None
    message: str

    def shown(self, path: str | Path) -> str:
        """``FILE:LINE: message`` (``FILE: message`` where no line applies)."""
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


def check_profile_file(path: str | Path) -> list[ProfileProblem]:
    """Every problem of the profile file at ``path``, in line order; none for a valid profile."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [ProfileProblem(None, f"not UTF-8 text ({exc.reason})")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        return [ProfileProblem(int(found.group(1)) if found else None, f"not valid TOML: {message}")]
    checker = _Checker(_Lines(text), data)
    problems = checker.run()
    if not problems:
        try:
            _profile_from_dict(data, path)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(ProfileProblem(checker.lines.key_line(str(exc).strip("'").split(" ")[0]),
                                           f"profile field {exc} is missing or malformed"))
    return sorted(problems, key=lambda p: p.line or 0)


class _Lines:
    """Where keys and tables are set in a TOML text (1-based line numbers)."""

    HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [(n, m.group(1)) for n, line in enumerate(self.lines, 1) if (m := self.HEADER.match(line))]

    def items(self, table: str) -> list[tuple[int, int]]:
        """The (first, last) lines of each ``[[table]]`` item, children excluded."""
        spans = []
        for i, (n, name) in enumerate(self.headers):
            if name == table:
                end = self.headers[i + 1][0] - 1 if i + 1 < len(self.headers) else len(self.lines)
                spans.append((n, end))
        return spans

    def key_line(self, key: str, span: tuple[int, int] | None = None) -> int | None:
        """The line that sets ``key`` (its last dotted part) within ``span`` (anywhere without it)."""
        name = re.escape(key.split(".")[-1])
        pattern = re.compile(rf"^\s*[\"']?{name}[\"']?\s*=")
        first, last = span or (1, len(self.lines))
        for n in range(first, last + 1):
            if pattern.match(self.lines[n - 1]):
                return n
        if span:
            return span[0]
        return next((n for n, name in self.headers if name == key or name.endswith(f".{key}")), None)


class _Checker:
    def __init__(self, lines: _Lines, data: dict) -> None:
        self.lines, self.data = lines, data
        self.problems: list[ProfileProblem] = []

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(ProfileProblem(line, message))

    def run(self) -> list[ProfileProblem]:
        for key in self.data:
            if key not in TOP_KEYS:
                self.add(self.lines.key_line(key), f"{key}: unknown key{_suggestion(key, TOP_KEYS)}")
        for key in _TEXTS:
            if key in self.data and not isinstance(self.data[key], str):
                self.add(self.lines.key_line(key), f"{key}: expected text, got {self.data[key]!r}")
        categories = self._items("categories", ("key", "singular", "plural"), required=True)
        regions = self._items("regions", ("key", "name"))
        self._items("actors", ("key",))
        self._items("areas", ("key", "name"))
        self._subgroups()
        known = set(categories)
        for key, span in regions.items():
            listed = self._region_categories(key)
            unknown = [c for c in listed if c not in known]
            if unknown:
                self.add(self.lines.key_line("categories", span),
                         f"regions.{key}.categories: unknown {', '.join(unknown)}; expected some of {', '.join(categories)}")
        tally = self.data.get("tally", {})
        order = tally.get("group_order") if isinstance(tally, dict) else None
        if order is not None and (not isinstance(order, list) or sorted(map(str, order)) != sorted(known)):
            self.add(self.lines.key_line("group_order"), f"tally.group_order: must list every category once ({', '.join(categories)})")
        measures = self.data.get("measures")
        if measures is not None:
            listed = measures if isinstance(measures, list) else [measures]
            wrong = [m for m in listed if m not in MEASURES]
            if wrong or "killed" not in listed:
                self.add(self.lines.key_line("measures"),
                         f"measures: expected some of {', '.join(MEASURES)}, \"killed\" among them; got {measures!r}")
        return self.problems

    def _items(self, table: str, fields: tuple[str, ...], required: bool = False) -> dict[str, tuple[int, int]]:
        """Check each item of the ``[[table]]`` list has its ``fields`` as text and a key of its own;
        return each item's span of lines by its key."""
        value = self.data.get(table)
        if value is None:
            if required:
                self.add(None, f"{table}: missing; a profile lists its [[{table}]]")
            return {}
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.add(self.lines.key_line(table), f"{table}: expected a list of tables ([[{table}]])")
            return {}
        spans = self.lines.items(table)
        found: dict[str, tuple[int, int]] = {}
        for n, item in enumerate(value):
            span = spans[n] if n < len(spans) else None
            label = f"{table}[{n + 1}]" if not isinstance(item.get("key"), str) else f"{table}.{item['key']}"
            for name in fields:
                if name not in item:
                    self.add(span[0] if span else self.lines.key_line(table), f"{label}: {name} is missing")
                elif not isinstance(item[name], str) or not item[name].strip():
                    self.add(self.lines.key_line(name, span), f"{label}: {name}: expected text, got {item[name]!r}")
            key = item.get("key")
            if isinstance(key, str):
                if key in found:
                    self.add(self.lines.key_line("key", span), f"{label}: key {key!r} given twice")
                elif span is not None:
                    found[key] = span
                else:
                    found[key] = (1, len(self.lines.lines))
        return found

    def _region_categories(self, key: str) -> list[str]:
        for region in self.data.get("regions", []):
            if isinstance(region, dict) and region.get("key") == key:
                listed = region.get("categories", [])
                return [str(c) for c in listed] if isinstance(listed, list) else [str(listed)]
        return []

    def _subgroups(self) -> None:
        spans = self.lines.items("categories.subgroups")
        n = 0
        for category in self.data.get("categories", []) if isinstance(self.data.get("categories"), list) else []:
            for subgroup in category.get("subgroups", []) if isinstance(category, dict) else []:
                span = spans[n] if n < len(spans) else None
                n += 1
                where = f"categories.{category.get('key', '?')}.subgroups"
                for key in ("key", "singular", "plural"):
                    if not isinstance(subgroup, dict) or not isinstance(subgroup.get(key), str):
                        self.add(span[0] if span else self.lines.key_line("subgroups"), f"{where}: {key} is missing")


def _suggestion(word: str, candidates: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f'; did you mean "{close[0]}"?' if close else ""
