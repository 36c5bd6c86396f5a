"""Field checks shared by every reader: strict numbers, dates, text and file decoding.

Python's parsers are lenient where an import must not be: ``int()`` takes
``"٣"``, ``"1_000"`` and ``" 5 "``; a BOM becomes part of the first header;
``json.loads`` takes ``NaN`` and duplicate keys. Everything here refuses such
input with an ``InputError`` naming file, line and field.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import InputError, shown

COUNT = re.compile(r"[0-9]{1,6}")
DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?")
MAX_COUNT = 999_999
MAX_FIELD = 10_000

# Characters refused in any text: C0 controls (tab and line feed only where a
# field may span lines), DEL and the C1 controls (NEL, CSI), line/paragraph
# separators, bidi embeddings, overrides and isolates (Trojan Source),
# non-characters and lone surrogates.
_FORBIDDEN = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff"
)
_ONE_LINE_BAD = re.compile(f"[{_FORBIDDEN}\t\n\r]")
_MULTI_LINE_BAD = re.compile(f"[{_FORBIDDEN}]")


@dataclass
class Where:
    """Where a value was read: the file and the line its record starts on."""

    file: str
    line: int | None

    def error(self, field: str | None, message: str) -> InputError:
        return InputError(self.file, self.line, field, message)


def text(where: Where, field: str, value: object, multi_line: bool = False, required: bool = False) -> str:
    """A text field, stripped; control and bidi-override characters refused."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise where.error(field, f"expected text, got {shown(value)}")
    if len(value) > MAX_FIELD:
        raise where.error(field, f"expected at most {MAX_FIELD} characters, got {len(value)}")
    value = value.replace("\r\n", "\n") if multi_line else value
    bad = (_MULTI_LINE_BAD if multi_line else _ONE_LINE_BAD).search(value)
    if bad:
        raise where.error(field, f"{_kind(bad.group())} {bad.group()!r} not allowed in {shown(value)}")
    value = value.strip()
    if required and not value:
        raise where.error(field, "expected a value, got an empty field")
    return value


def _kind(char: str) -> str:
    if char in "\n\r\x85\u2028\u2029":
        return "line break"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return "bidi control"
    return "control character"


def count(where: Where, field: str, value: object, blank_is_zero: bool = True, text_allowed: bool = True) -> int:
    """A count: ASCII digits only (``"٣"``, ``"1_000"``, ``"+5"``, ``"5.0"`` refused).

    JSON readers pass ``text_allowed=False``: there a count is a number, not a string.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= MAX_COUNT:
            return value
        raise where.error(field, f"expected a whole number 0-{MAX_COUNT}, got {shown(value)}")
    if blank_is_zero and value in (None, ""):
        return 0
    if isinstance(value, str) and text_allowed and COUNT.fullmatch(value):
        return int(value)
    if isinstance(value, str) and not text_allowed:
        raise where.error(field, f"expected a whole number 0-{MAX_COUNT}, got the text {shown(value)}")
    raise where.error(field, f"expected a whole number 0-{MAX_COUNT}, got {shown(value)}")


def iso_date(where: Where, field: str, value: object, allow_time: bool = False, latest: date | None = None) -> str:
    """A real calendar day (``2023-02-30`` refused); optionally with a time of day."""
    pattern = DATETIME if allow_time else DATE
    m = pattern.fullmatch(value.strip()) if isinstance(value, str) else None
    if not m:
        expected = "YYYY-MM-DD[THH:MM[:SS]]" if allow_time else "YYYY-MM-DD"
        raise where.error(field, f"expected a date {expected}, got {shown(value)}")
    try:
        day = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise where.error(field, f"expected a real calendar date, got {shown(value)}") from None
    if day.year < 1900 or (latest and day > latest):
        raise where.error(field, f"expected a date between 1900 and {latest or 'today'}, got {value}")
    if allow_time and m[4] is not None:
        hour, minute, second = int(m[4]), int(m[5]), int(m[6] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise where.error(field, f"expected a real time of day, got {shown(value)}")
        return f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}"
    return day.isoformat()


_COMPRESSED = {b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"(\xb5/\xfd": "zstd"}


def decode(path: Path) -> str:
    """The file's text, decoded strictly as UTF-8 (a leading BOM allowed and dropped).

    Errors name the line of the first bad byte, with the field ``encoding``.
    """
    raw = path.read_bytes()
    where = Where(str(path), 1)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise where.error("encoding", "expected UTF-8 text, found UTF-16 (save the file as UTF-8)")
    for magic, name in _COMPRESSED.items():
        if raw.startswith(magic):
            raise where.error("encoding", f"expected plain UTF-8 text, found a {name}-compressed file (decompress it first)")
    nul = raw.find(b"\x00")
    if nul >= 0:
        where.line = raw.count(b"\n", 0, nul) + 1
        raise where.error("encoding", "expected UTF-8 text, found a NUL byte (UTF-16 or a binary file? save as UTF-8)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where.line = raw.count(b"\n", 0, exc.start) + 1
        raise where.error("encoding", f"expected UTF-8 text, found byte {raw[exc.start]:#04x} (save the file as UTF-8)") from None


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """``; did you mean "X"?`` for the candidate closest to ``value`` (compared case-insensitively),
    to append to a message; "" if none is close."""
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    close = difflib.get_close_matches(value.strip().casefold(), list(by_folded), n=1)
    return f'; did you mean "{by_folded[close[0]]}"?' if close else ""
