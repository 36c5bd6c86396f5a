"""reportgen's own import formats: one CSV row or one JSON object per incident.

CSV columns (see the README): ``id, date, region, province, district, location,
perpetrator, kind, summary, sources, recorded``, then ``<category>_killed`` and
``<category>_injured`` for each of the profile's categories, and ``subgroups``:
``category/subgroup=killed[/injured]`` entries separated by ``;``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from ..errors import InputError, shown
from ..profile import Profile
from ..records import Casualty, Incident
from . import acled, fields, ucdp
from .fields import Where

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
REQUIRED = ("id", "date", "region", "perpetrator", "kind")
OPTIONAL = ("province", "district", "location", "summary", "sources", "recorded", "subgroups")
COLUMN = re.compile(r"[a-z0-9_-]{1,40}")
SUBGROUP_ENTRY = re.compile(r"([a-z0-9-]+)/([a-z0-9-]+)=([0-9]{1,6})(?:/([0-9]{1,6}))?")


def csv_columns(profile: Profile) -> list[str]:
    counts = [f"{c}_{what}" for c in profile.category_keys for what in ("killed", "injured")]
    return [*REQUIRED, *OPTIONAL[:3], *counts, "subgroups", "summary", "sources", "recorded"]


def build_incident(where: Where, record: dict, casualties: dict, profile: Profile, prefix: str = "") -> Incident:
    """Validate one incident's fields against the profile.

    ``casualties`` maps category -> (killed, injured, {subgroup: (killed, injured)});
    categories left out count zero. ``prefix`` names the casualty fields in
    messages (``"casualties."`` for JSON; CSV names subgroups by their column).
    """
    ident = fields.text(where, "id", record.get("id"), required=True)
    if not ID.fullmatch(ident):
        raise where.error("id", f"expected letters, digits, '.', '_', ':' or '-' (at most 64), got {shown(ident)}")
    day = fields.iso_date(where, "date", record.get("date"), latest=date.today())
    region_text = fields.text(where, "region", record.get("region"), required=True)
    region = profile.region(region_text)
    if region is None:
        names = ", ".join(r.key for r in profile.regions)
        known = [name for r in profile.regions for name in (r.key, r.name, *r.aliases)]
        raise where.error("region", f"expected one of the profile's regions ({names}), got {shown(region_text)}"
                                    f"{fields.did_you_mean(region_text, known)}")
    actor_text = fields.text(where, "perpetrator", record.get("perpetrator"), required=True)
    actor = profile.actor(actor_text)
    if actor is None:
        names = ", ".join(a.key for a in profile.actors)
        known = [name for a in profile.actors for name in (a.key, a.name)]
        raise where.error("perpetrator", f"expected one of the profile's actors ({names}), got {shown(actor_text)}"
                                         f"{fields.did_you_mean(actor_text, known)}")
    kind = fields.text(where, "kind", record.get("kind"), required=True)
    if profile.kinds and kind not in profile.kinds:
        raise where.error("kind", f"expected one of {', '.join(profile.kinds)}, got {shown(kind)}"
                                  f"{fields.did_you_mean(kind, profile.kinds)}")
    recorded = record.get("recorded") or ""
    if recorded:
        recorded = fields.iso_date(where, "recorded", recorded, allow_time=True)
        if recorded[:10] < day:
            raise where.error("recorded", f"expected a date on or after the incident's date {day}, got {recorded}")
    return Incident(
        id=ident,
        date=day,
        region=region.key,
        province=fields.text(where, "province", record.get("province")) or region.province,
        district=fields.text(where, "district", record.get("district")),
        location=fields.text(where, "location", record.get("location")),
        perpetrator=actor.key,
        kind=kind,
        summary=fields.text(where, "summary", record.get("summary"), multi_line=True),
        sources=fields.text(where, "sources", record.get("sources"), multi_line=True),
        recorded_at=recorded or day,
        casualties=tuple(_casualties(where, casualties, profile, prefix)),
        line=where.line or 0,
    )


def _casualties(where: Where, casualties: dict, profile: Profile, prefix: str) -> Iterator[Casualty]:
    """One row per profile category (zeros where the record has none), then its subgroups."""
    for key in casualties:
        if profile.category(key) is None:
            known = ", ".join(profile.category_keys)
            raise where.error(f"{prefix}{key}", f"expected one of the profile's categories ({known})"
                                                f"{fields.did_you_mean(key, profile.category_keys)}")
    for category in profile.categories:
        killed, injured, subgroups = casualties.get(category.key, (0, 0, {}))
        yield Casualty(category.key, "", killed, injured)
        for sub_key, (sub_killed, sub_injured) in subgroups.items():
            field = f"{prefix}{category.key}.subgroups.{sub_key}" if prefix else "subgroups"
            label = "" if prefix else f"{category.key}/{sub_key}: "
            if category.subgroup(sub_key) is None:
                known = ", ".join(s.key for s in category.subgroups) or "none"
                raise where.error(field, f"{label}expected a subgroup of {category.key} ({known})")
            if sub_killed > killed or sub_injured > injured:
                raise where.error(
                    field,
                    f"{label}{sub_killed} killed/{sub_injured} injured is more than the"
                    f" {killed} killed/{injured} injured {category.plural} of the incident",
                )
            yield Casualty(category.key, sub_key, sub_killed, sub_injured)


# -- CSV -------------------------------------------------------------------


def _csv_records(path: Path, text: str) -> Iterator[tuple[int, dict]]:
    """(line, row) pairs, with the header checked and every row of the header's width.

    The csv module runs strict (a quote left open is an error, not a short row)
    and without its 131,072-character field limit, so that an over-long field
    reaches the field checks, which name it.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    where = Where(str(path), 1)
    try:
        header = next(reader, None)
        if not header:
            raise where.error("header", "expected a header row, found an empty file")
        yield 1, {"__header__": header}
        while True:
            where.line = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                return
            if row:
                yield where.line, _row_of(where, header, row)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise where.error("CSV", "a quoted field opened in this record is still open at the end of the file") from None
        raise where.error("CSV", f"malformed record ({exc})") from None


@contextmanager
def _field_limit(size: int) -> Iterator[None]:
    """Lift the csv module's process-wide field size limit while one file is read."""
    previous = csv.field_size_limit(max(size, csv.field_size_limit()))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _row_of(where: Where, header: list[str], row: list[str]) -> dict:
    if len(row) < len(header):
        raise where.error(
            header[len(row)], f"missing: the record has {len(row)} fields, the header {len(header)}"
        )
    if len(row) > len(header):
        raise where.error("CSV", f"expected {len(header)} fields as in the header, got {len(row)}")
    return dict(zip(header, row, strict=True))


def _check_header(where: Where, header: list[str], profile: Profile) -> None:
    _not_a_dataset(where, header, profile)
    known = set(csv_columns(profile))
    seen = set()
    for column in header:
        name = _name(column)
        if column in seen:
            raise where.error(name, "column appears twice in the header")
        seen.add(column)
        if column not in known:
            raise where.error(name, f"unexpected column; expected columns: {', '.join(csv_columns(profile))}"
                                    f"{fields.did_you_mean(column, csv_columns(profile))}")
    for column in [*REQUIRED, *(f"{c}_killed" for c in profile.category_keys)]:
        if column not in seen:
            raise where.error(column, "required column is missing from the header")


def _not_a_dataset(where: Where, header: list[str], profile: Profile) -> None:
    """Refuse an ACLED export or a UCDP GED file read as reportgen's CSV, naming the flag that reads it."""
    columns = set(header)
    for dataset, name, markers in (("acled", "an ACLED export", acled.MARKERS), ("ucdp", "a UCDP GED file", ucdp.MARKERS)):
        if columns.issuperset(markers):
            needs = "" if dataset in profile.mappings else f" and a profile that maps it (--profile {dataset} before the command)"
            raise where.error("header", f"the columns of {name} ({', '.join(markers)}), not of reportgen's CSV;"
                                        f" import it with --format {dataset}{needs}")


def _csv_subgroups(where: Where, value: str) -> dict[str, dict[str, tuple[int, int]]]:
    found: dict[str, dict[str, tuple[int, int]]] = {}
    for entry in filter(None, (e.strip() for e in value.split(";"))):
        m = SUBGROUP_ENTRY.fullmatch(entry)
        if not m:
            raise where.error("subgroups", f"expected category/subgroup=killed[/injured], got {shown(entry)}")
        category, sub = m[1], m[2]
        if sub in found.setdefault(category, {}):
            raise where.error("subgroups", f"{category}/{sub} appears twice")
        found[category][sub] = (int(m[3]), int(m[4] or 0))
    return found


def read_csv(path: Path, profile: Profile) -> list[Incident]:
    return list(csv_incidents(path, profile))


def csv_incidents(path: Path, profile: Profile) -> Iterator[Incident]:
    """The file's incidents one at a time, each validated as it is read."""
    text = fields.decode(path)
    with _field_limit(len(text) + 1):
        records = _csv_records(path, text)
        _, first = next(records)
        _check_header(Where(str(path), 1), first["__header__"], profile)
        for line, row in records:
            yield _csv_incident(Where(str(path), line), row, profile)


def _csv_incident(where: Where, row: dict, profile: Profile) -> Incident:
    subgroups = _csv_subgroups(where, fields.text(where, "subgroups", row.get("subgroups", "")))
    unknown = next((key for key in subgroups if profile.category(key) is None), None)
    if unknown is not None:
        known = ", ".join(profile.category_keys)
        raise where.error("subgroups", f"expected one of the profile's categories ({known}), got {shown(unknown)}")
    casualties = {}
    for key in profile.category_keys:
        killed = fields.count(where, f"{key}_killed", row.get(f"{key}_killed", ""))
        injured = fields.count(where, f"{key}_injured", row.get(f"{key}_injured", ""))
        casualties[key] = (killed, injured, subgroups.get(key, {}))
    return build_incident(where, row, casualties, profile)


# -- JSON ------------------------------------------------------------------


class DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


class Literal:
    """A JSON number that is no count (``NaN``, ``Infinity``, a float, 5,000 digits).

    Kept as its source text, so that the field checks refuse it by name.
    """

    def __init__(self, source: str):
        self.source = source

    def __str__(self) -> str:
        return self.source


def _integer(source: str) -> int | Literal:
    return int(source) if len(source) <= 20 else Literal(source)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=Literal, parse_float=Literal, parse_int=_integer
)


_SPACE = re.compile(r"\s*")


def _after_space(text: str, pos: int) -> int:
    """The position after the whitespace at ``pos``."""
    match = _SPACE.match(text, pos)  # matches everywhere, if only the empty string
    return match.end() if match else pos


def _json_objects(path: Path, text: str) -> Iterator[tuple[int | None, int, object]]:
    """The elements of the top-level array (or of ``{"incidents": [...]}``), with their line and offset."""
    name = str(path)
    pos = len(text) - len(text.lstrip())
    if text.startswith("{", pos):
        m = re.compile(r'\{\s*"incidents"\s*:\s*').match(text, pos)
        if not m:
            raise Where(name, _line(text, pos)).error("JSON", 'expected an array of incidents or {"incidents": [...]}')
        pos, wrapped = m.end(), True
    else:
        wrapped = False
    if not text.startswith("[", pos):
        raise Where(name, _line(text, pos)).error("JSON", "expected an array of incidents")
    pos += 1
    first = True
    while True:
        pos = _after_space(text, pos)
        if text.startswith("]", pos):
            pos += 1
            break
        if not first:
            if not text.startswith(",", pos):
                raise Where(name, _line(text, pos)).error("JSON", "expected ',' or ']' between incidents")
            pos = _after_space(text, pos + 1)
        first = False
        where, start = Where(name, _line(text, pos)), pos
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            where.line = exc.lineno
            raise where.error("JSON", f"malformed ({exc.msg}, column {exc.colno}); is the file complete?") from None
        except DuplicateKey as exc:
            raise where.error(_name(exc.key), "key appears twice in one object") from None
        except RecursionError:
            raise where.error("JSON", "nested too deeply") from None
        yield where.line, start, value
    rest = _after_space(text, pos)
    if wrapped:
        rest = _after_space(text, rest + 1) if text.startswith("}", rest) else -1
    if rest != len(text):
        raise Where(name, _line(text, max(rest, 0))).error("JSON", "unexpected text after the incidents")


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


JSON_FIELDS = {"id", "date", "region", "province", "district", "location", "perpetrator", "kind",
               "summary", "sources", "recorded", "casualties"}


def _json_casualties(where: Where, value: object) -> dict:
    if not isinstance(value, dict):
        raise where.error("casualties", f"expected an object of categories, got {shown(value)}")
    found = {}
    for key, entry in value.items():
        field = f"casualties.{_name(key)}"
        raw_subs = entry.pop("subgroups", {}) if isinstance(entry, dict) else {}
        if not isinstance(raw_subs, dict):
            raise where.error(f"{field}.subgroups", f"expected an object of subgroups, got {shown(raw_subs)}")
        subs = {sub: _json_counts(where, f"{field}.subgroups.{_name(sub)}", v) for sub, v in raw_subs.items()}
        found[key] = (*_json_counts(where, field, entry), subs)
    return found


def _json_counts(where: Where, field: str, value: object) -> tuple[int, int]:
    """(killed, injured) from ``{"killed": N, "injured": N}``, or from a bare number of killed."""
    if not isinstance(value, dict):
        return _json_count(where, field, value), 0
    unknown = sorted(set(value) - {"killed", "injured"})
    if unknown:
        raise where.error(f"{field}.{_name(unknown[0])}", 'unexpected field; expected "killed", "injured" (and "subgroups" for a category)')
    return (
        _json_count(where, f"{field}.killed", value.get("killed", 0)),
        _json_count(where, f"{field}.injured", value.get("injured", 0)),
    )


def _name(key: str) -> str:
    """A key as a message names it: plain keys as they are, others quoted."""
    return key if COLUMN.fullmatch(key) else shown(key)


def _json_count(where: Where, field: str, value: object) -> int:
    return fields.count(where, field, value, blank_is_zero=False, text_allowed=False)


def read_json(path: Path, profile: Profile) -> list[Incident]:
    return list(json_incidents(path, profile))


def json_incidents(path: Path, profile: Profile) -> Iterator[Incident]:
    """The file's incidents one at a time, each validated as it is read."""
    text = fields.decode(path)
    for line, start, obj in _json_objects(path, text):
        try:
            incident = _json_incident(Where(str(path), line), obj, profile)
        except InputError as error:
            raise InputError(error.file, _field_line(text, start, error), error.field, error.message) from None
        yield incident


def _field_line(text: str, start: int, error: InputError) -> int | None:
    """The line of the key that ``error.field`` names (``casualties.isis.killed``) inside the
    record starting at ``start``; the record's own line when the key cannot be found."""
    pos = start
    for key in (error.field or "").split("."):
        m = re.compile(rf'(?<!\\)"{re.escape(key)}"\s*:').search(text, pos)
        if not COLUMN.fullmatch(key) or not m:
            return error.line
        pos = m.start()
    return _line(text, pos) if pos > start else error.line


def _json_incident(where: Where, obj: object, profile: Profile) -> Incident:
    if not isinstance(obj, dict):
        raise where.error("JSON", f"expected an incident object, got {shown(obj)}")
    unknown = sorted(set(obj) - JSON_FIELDS)
    if unknown:
        raise where.error(_name(unknown[0]), f"unexpected field; expected {', '.join(sorted(JSON_FIELDS))}")
    for key in REQUIRED:
        if key not in obj:
            raise where.error(key, "required field is missing")
    for key, value in obj.items():
        if key != "casualties" and value is not None and not isinstance(value, str):
            raise where.error(key, f"expected text, got {shown(value)}")
    return build_incident(where, obj, _json_casualties(where, obj.get("casualties", {})), profile, prefix="casualties.")
