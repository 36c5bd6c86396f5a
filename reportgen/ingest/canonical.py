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
from datetime import date
from pathlib import Path

from ..errors import shown
from ..profile import Profile
from ..records import Casualty, Incident
from . import fields
from .fields import Where

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
REQUIRED = ("id", "date", "region", "perpetrator", "kind")
OPTIONAL = ("province", "district", "location", "summary", "sources", "recorded", "subgroups")
SUBGROUP_ENTRY = re.compile(r"([a-z0-9-]+)/([a-z0-9-]+)=([0-9]{1,6})(?:/([0-9]{1,6}))?")


def csv_columns(profile: Profile) -> list[str]:
    counts = [f"{c}_{what}" for c in profile.category_keys for what in ("killed", "injured")]
    return [*REQUIRED, *OPTIONAL[:3], *counts, "subgroups", "summary", "sources", "recorded"]


def build_incident(where: Where, record: dict, casualties: dict, profile: Profile) -> Incident:
    """Validate one incident's fields against the profile.

    ``casualties`` maps category -> (killed, injured, {subgroup: (killed, injured)}).
    """
    ident = fields.text(where, "id", record.get("id"), required=True)
    if not ID.fullmatch(ident):
        raise where.error("id", f"expected letters, digits, '.', '_', ':' or '-' (at most 64), got {shown(ident)}")
    day = fields.iso_date(where, "date", record.get("date"), latest=date.today())
    region_text = fields.text(where, "region", record.get("region"), required=True)
    region = profile.region(region_text)
    if region is None:
        names = ", ".join(r.key for r in profile.regions)
        raise where.error("region", f"expected one of the profile's regions ({names}), got {shown(region_text)}")
    actor_text = fields.text(where, "perpetrator", record.get("perpetrator"), required=True)
    actor = profile.actor(actor_text)
    if actor is None:
        names = ", ".join(a.key for a in profile.actors)
        raise where.error("perpetrator", f"expected one of the profile's actors ({names}), got {shown(actor_text)}")
    kind = fields.text(where, "kind", record.get("kind"), required=True)
    if profile.kinds and kind not in profile.kinds:
        raise where.error("kind", f"expected one of {', '.join(profile.kinds)}, got {shown(kind)}")
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
        casualties=tuple(_casualties(where, casualties, profile)),
        line=where.line or 0,
    )


def _casualties(where: Where, casualties: dict, profile: Profile) -> Iterator[Casualty]:
    for key, (killed, injured, subgroups) in casualties.items():
        category = profile.category(key)
        if category is None:
            raise where.error(f"{key}", f"expected one of the profile's categories ({', '.join(profile.category_keys)})")
        yield Casualty(key, "", killed, injured)
        for sub_key, (sub_killed, sub_injured) in subgroups.items():
            label = f"{key}/{sub_key}"
            if category.subgroup(sub_key) is None:
                known = ", ".join(s.key for s in category.subgroups) or "none"
                raise where.error("subgroups", f"{label}: expected a subgroup of {key} ({known})")
            if sub_killed > killed or sub_injured > injured:
                raise where.error(
                    "subgroups",
                    f"{label}: {sub_killed} killed/{sub_injured} injured is more than the"
                    f" {killed} killed/{injured} injured {category.plural} of the incident",
                )
            yield Casualty(key, sub_key, sub_killed, sub_injured)


# -- CSV -------------------------------------------------------------------


def _csv_records(path: Path, text: str) -> Iterator[tuple[int, dict]]:
    """(line, row) pairs, with the header checked and every row of the header's width."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    name = str(path)
    line = 1
    try:
        header = next(reader, None)
        if not header:
            raise Where(name, 1).error(None, "expected a header row, found an empty file")
        yield 1, {"__header__": header}
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                return
            line = start
            if not row:
                continue
            if len(row) != len(header):
                raise Where(name, start).error(
                    None, f"expected {len(header)} fields as in the header, got {len(row)}"
                )
            yield start, dict(zip(header, row, strict=True))
    except csv.Error as exc:
        raise Where(name, max(line, reader.line_num)).error(None, f"malformed CSV ({exc})") from None


def _check_header(where: Where, header: list[str], profile: Profile) -> None:
    known = set(csv_columns(profile))
    seen = set()
    for column in header:
        if column in seen:
            raise where.error(column, "column appears twice in the header")
        seen.add(column)
        if column not in known:
            raise where.error(column, f"unexpected column; expected columns: {', '.join(csv_columns(profile))}")
    for column in [*REQUIRED, *(f"{c}_killed" for c in profile.category_keys)]:
        if column not in seen:
            raise where.error(column, "required column is missing from the header")


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
    text = fields.decode(path)
    records = _csv_records(path, text)
    _, first = next(records)
    _check_header(Where(str(path), 1), first["__header__"], profile)
    incidents = []
    for line, row in records:
        where = Where(str(path), line)
        subgroups = _csv_subgroups(where, fields.text(where, "subgroups", row.get("subgroups", "")))
        casualties = {}
        for key in profile.category_keys:
            killed = fields.count(where, f"{key}_killed", row.get(f"{key}_killed", ""))
            injured = fields.count(where, f"{key}_injured", row.get(f"{key}_injured", ""))
            casualties[key] = (killed, injured, subgroups.pop(key, {}))
        for key in subgroups:
            known = ", ".join(profile.category_keys)
            raise where.error("subgroups", f"expected one of the profile's categories ({known}), got {shown(key)}")
        incidents.append(build_incident(where, row, casualties, profile))
    return incidents


# -- JSON ------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"key {key!r} appears twice in one object")
        seen[key] = value
    return seen


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def _json_objects(path: Path, text: str) -> Iterator[tuple[int, object]]:
    """The elements of the top-level array (or of ``{"incidents": [...]}``), with their line."""
    name = str(path)
    pos = len(text) - len(text.lstrip())
    if text.startswith("{", pos):
        m = re.compile(r'\{\s*"incidents"\s*:\s*').match(text, pos)
        if not m:
            raise Where(name, 1).error(None, 'expected a JSON array of incidents or {"incidents": [...]}')
        pos, wrapped = m.end(), True
    else:
        wrapped = False
    if not text.startswith("[", pos):
        raise Where(name, text.count("\n", 0, pos) + 1).error(None, "expected a JSON array of incidents")
    pos += 1
    ws = re.compile(r"\s*")
    first = True
    while True:
        pos = ws.match(text, pos).end()
        if text.startswith("]", pos):
            pos += 1
            break
        if not first:
            if not text.startswith(",", pos):
                raise Where(name, text.count("\n", 0, pos) + 1).error(None, "expected ',' or ']' between incidents")
            pos = ws.match(text, pos + 1).end()
        first = False
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise Where(name, exc.lineno).error(None, f"malformed JSON ({exc.msg}, column {exc.colno})") from None
        except ValueError as exc:
            raise Where(name, line).error(None, f"malformed JSON ({exc})") from None
        except RecursionError:
            raise Where(name, line).error(None, "malformed JSON (nested too deeply)") from None
        yield line, value
    rest = ws.match(text, pos).end()
    if wrapped:
        rest = ws.match(text, rest + 1).end() if text.startswith("}", rest) else -1
    if rest != len(text):
        raise Where(name, text.count("\n", 0, max(rest, 0)) + 1).error(None, "unexpected text after the incidents")


JSON_FIELDS = {"id", "date", "region", "province", "district", "location", "perpetrator", "kind",
               "summary", "sources", "recorded", "casualties"}


def _json_casualties(where: Where, value: object) -> dict:
    if not isinstance(value, dict):
        raise where.error("casualties", f"expected an object of categories, got {shown(value)}")
    found = {}
    for key, entry in value.items():
        if not isinstance(entry, dict) or set(entry) - {"killed", "injured", "subgroups"}:
            raise where.error(f"casualties.{key}", "expected an object with killed, injured and subgroups")
        killed = fields.count(where, f"casualties.{key}.killed", entry.get("killed", 0), blank_is_zero=False)
        injured = fields.count(where, f"casualties.{key}.injured", entry.get("injured", 0), blank_is_zero=False)
        subs = {}
        raw_subs = entry.get("subgroups", {})
        if not isinstance(raw_subs, dict):
            raise where.error(f"casualties.{key}.subgroups", f"expected an object, got {shown(raw_subs)}")
        for sub, sub_value in raw_subs.items():
            field = f"casualties.{key}.subgroups.{sub}"
            if isinstance(sub_value, dict):
                subs[sub] = (
                    fields.count(where, f"{field}.killed", sub_value.get("killed", 0), blank_is_zero=False),
                    fields.count(where, f"{field}.injured", sub_value.get("injured", 0), blank_is_zero=False),
                )
            else:
                subs[sub] = (fields.count(where, field, sub_value, blank_is_zero=False), 0)
        found[key] = (killed, injured, subs)
    return found


def read_json(path: Path, profile: Profile) -> list[Incident]:
    text = fields.decode(path)
    incidents = []
    for line, obj in _json_objects(path, text):
        where = Where(str(path), line)
        if not isinstance(obj, dict):
            raise where.error(None, f"expected an incident object, got {type(obj).__name__}")
        unknown = set(obj) - JSON_FIELDS
        if unknown:
            raise where.error(sorted(unknown)[0], f"unexpected field; expected {', '.join(sorted(JSON_FIELDS))}")
        for key in REQUIRED:
            if key not in obj:
                raise where.error(key, "required field is missing")
        incidents.append(build_incident(where, obj, _json_casualties(where, obj.get("casualties", {})), profile))
    return incidents
