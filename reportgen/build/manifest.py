"""The build manifest: what each built bulletin was made from, so that a later build redoes only what changed.

``OUTPUT/reportgen-manifest.json`` records, per bulletin folder (``2023/06``,
``2023/year``), the fingerprints of everything the bulletin depends on:

- ``data``: its Summaries (the period's, the year to date, the period before),
  without the database's data version, which every write raises;
- ``sources``: the database rows those Summaries were computed from (the casualty
  rows of the months they cover and the revisions recorded in the period), so
  that a build can tell which bulletins may have changed without aggregating
  every one of them;
- ``templates``: the content of every template the bulletin's templates reach
  (``extends``, ``include``, ``import``), user overrides included;
- ``profile`` (the profile file's content), ``settings`` (the organisation
  named in the bulletins) and ``version`` (reportgen's own).

It also keeps what the next version of the bulletin needs to say what changed
(the year-to-date figures, the revisions already reflected, earlier "Revised"
notes) and a digest of every file written, so a file changed or deleted by hand
is noticed. Never the database's location or password.

The file is JSON with a ``format`` number. A missing manifest, one that cannot
be read, or one of another format means a full rebuild, never a failure. Every
entry is checked field by field when the file is loaded (``check_entry``): a
malformed one is left out, so its bulletin is built again, and the manifest's
``problem`` says which and why.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .. import __version__
from ..files import check_inside, write_atomic
from ..rows import RevisionRow
from .fingerprints import file_digest
from .reasons import INPUTS
from .versions import FigureChange

FORMAT = 1
MANIFEST_NAME = "reportgen-manifest.json"


# -- one bulletin's record ------------------------------------------------------------


@dataclass
class BulletinRecord:
    """What one built bulletin was made from, and what was written."""

    sources: str
    data: str
    inputs: dict[str, str]  # TEMPLATES, PROFILE, SETTINGS, VERSION -> fingerprint
    files: dict[str, str]  # file name -> SHA-256 of the bytes written
    stats: dict[str, list[int]]  # file name -> [size, mtime_ns] when recorded (a hash is only taken if they differ)
    generated: str  # the generation date printed in the bulletin
    running: list = field(default_factory=list)  # a month's year-to-date figures (``versions.figures``)
    revisions: list[str] = field(default_factory=list)  # digests of the revisions reflected in its figures
    notes: list[dict] = field(default_factory=list)  # its "Revised" notes (``versions.Note.to_dict``)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))  # its fields hold JSON values only: no copy needed

    @classmethod
    def from_dict(cls, d: object) -> BulletinRecord:
        """The record ``d`` describes; ``MalformedEntry`` (saying which field) unless every field has its type."""
        check_entry(d)
        assert isinstance(d, dict)
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def input_reasons(self, inputs: dict[str, str]) -> list[str]:
        """The inputs besides the data that differ from the recorded ones."""
        return [name for name in INPUTS if self.inputs.get(name) != inputs.get(name)]

    def file_reasons(self, folder: Path) -> tuple[list[str], list[str]]:
        """(missing, changed): recorded files no longer there, and files whose content differs."""
        missing, changed = [], []
        for name, recorded in self.files.items():
            try:
                st = os.stat(folder / name)
            except OSError:
                missing.append(name)
                continue
            if [st.st_size, st.st_mtime_ns] != self.stats.get(name) and _safe_digest(folder / name) != recorded:
                changed.append(name)
        return missing, changed


# -- what a well-formed entry holds ------------------------------------------------------


class MalformedEntry(ValueError):
    """A manifest entry, or a part of it, that does not have the shape this reportgen writes."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[object], bool]] = {
    "str": lambda v: isinstance(v, str), "int": _is_int, "bool": lambda v: isinstance(v, bool)}


def _need(ok: bool, where: str, expected: str) -> None:
    if not ok:
        raise MalformedEntry(f"{where}: expected {expected}")


def _check_map(value: object, where: str, item: Callable[[object], bool], expected: str) -> None:
    _need(isinstance(value, dict), where, "an object")
    assert isinstance(value, dict)
    for key, v in value.items():
        _need(item(v), f"{where}.{key}", expected)


def _check_list(value: object, where: str, check: Callable[[object, str], None]) -> None:
    _need(isinstance(value, list), where, "a list")
    assert isinstance(value, list)
    for i, item in enumerate(value):
        check(item, f"{where}[{i}]")


def _check_record(value: object, where: str, cls: type) -> None:
    """A JSON object with every field of the dataclass ``cls``, each of its type (str, int or bool)."""
    _need(isinstance(value, dict), where, "an object")
    assert isinstance(value, dict)
    for f in fields(cls):
        _need(f.name in value, f"{where}.{f.name}", "a value")
        _need(_TYPES[str(f.type)](value[f.name]), f"{where}.{f.name}", str(f.type))


def _check_figure(value: object, where: str) -> None:
    """One of ``versions.figures``: five texts and a number."""
    ok = isinstance(value, list) and len(value) == 6 and all(isinstance(v, str) for v in value[:5]) and _is_int(value[5])
    _need(ok, where, "[figure, region, name, category, subgroup, number]")


def _check_note(value: object, where: str) -> None:
    """One of ``versions.Note.to_dict``."""
    _need(isinstance(value, dict), where, "an object")
    assert isinstance(value, dict)
    for name, check in (("generated", _TYPES["str"]), ("version", _is_int), ("previous_generated", _TYPES["str"])):
        _need(check(value.get(name)), f"{where}.{name}", "str" if name != "version" else "int")
    _check_list(value.get("changes"), f"{where}.changes", lambda v, w: _check_record(v, w, FigureChange))
    _check_list(value.get("reasons"), f"{where}.reasons", lambda v, w: _check_record(v, w, RevisionRow))


def check_entry(d: object) -> None:
    """Raise ``MalformedEntry`` unless ``d`` is a manifest entry as ``BulletinRecord.to_dict`` writes it."""
    _need(isinstance(d, dict), "entry", "an object")
    assert isinstance(d, dict)
    for name in ("sources", "data", "generated"):
        _need(isinstance(d.get(name), str), name, "text")
    _check_map(d.get("inputs"), "inputs", _TYPES["str"], "text")
    _check_map(d.get("files"), "files", _TYPES["str"], "text")
    _check_map(d.get("stats"), "stats", lambda v: isinstance(v, list) and len(v) == 2 and all(map(_is_int, v)),
               "[size, mtime]")
    _check_list(d.get("running", []), "running", _check_figure)
    _check_list(d.get("revisions", []), "revisions", lambda v, w: _need(isinstance(v, str), w, "text"))
    _check_list(d.get("notes", []), "notes", _check_note)


def _safe_digest(path: Path) -> str:
    try:
        return file_digest(path)
    except OSError:
        return ""


def written_files(folder: Path, names: Iterable[str]) -> tuple[dict[str, str], dict[str, list[int]]]:
    """Digests and (size, mtime) of the files just written, for an ``BulletinRecord``."""
    hashes, stats = {}, {}
    for name in names:
        st = os.stat(folder / name)
        hashes[name] = file_digest(folder / name)
        stats[name] = [st.st_size, st.st_mtime_ns]
    return hashes, stats


# -- the whole manifest ----------------------------------------------------------------


@dataclass
class Manifest:
    entries: dict[str, BulletinRecord] = field(default_factory=dict)  # by folder, "2023/06"
    problem: str = ""  # why the file on disk was not used ("" when read, or when there was none)

    def entry(self, folder: Iterable[str]) -> BulletinRecord | None:
        return self.entries.get("/".join(folder))

    def record(self, folder: Iterable[str], entry: BulletinRecord) -> None:
        self.entries["/".join(folder)] = entry

    def to_json(self) -> str:
        """The manifest as JSON, one bulletin a line (saved after every bulletin built: kept quick to write)."""
        head = json.dumps({"format": FORMAT, "reportgen": __version__})[:-1]
        lines = [f"{json.dumps(k)}: {json.dumps(self.entries[k].to_dict(), ensure_ascii=False, separators=(',', ':'))}"
                 for k in sorted(self.entries)]
        return head + ', "bulletins": {\n' + ",\n".join(lines) + "\n}}\n"


def manifest_path(root: str | Path) -> Path:
    return Path(root) / MANIFEST_NAME


def check_manifest_path(root: str | Path) -> None:
    """Refuse, before anything is built, a manifest that is a symlink leading outside ``root``."""
    check_inside(manifest_path(root), root)


def save_manifest(root: str | Path, manifest: Manifest) -> None:
    """Write the manifest through the one writer (atomic, and the rename made durable)."""
    write_atomic(Path(root), MANIFEST_NAME, manifest.to_json().encode("utf-8"), root)


def load_manifest(root: str | Path) -> Manifest:
    """The manifest under ``root``: empty when there is none, or when it cannot be used (``problem`` says why)."""
    path = manifest_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Manifest()
    except (OSError, UnicodeDecodeError) as exc:
        return Manifest(problem=f"{path}: unreadable ({type(exc).__name__})")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return Manifest(problem=f"{path}: not valid JSON")
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        found = body.get("format") if isinstance(body, dict) else None
        return Manifest(problem=f"{path}: format {found!r}, this reportgen writes format {FORMAT}")
    bulletins = body.get("bulletins", {})
    if not isinstance(bulletins, dict):
        return Manifest(problem=f"{path}: malformed (bulletins: expected an object)")
    entries, dropped = {}, []
    for key, value in bulletins.items():
        try:
            entries[key] = BulletinRecord.from_dict(value)
        except MalformedEntry as exc:
            dropped.append(f"{key} malformed ({exc})")  # that bulletin is rebuilt
    return Manifest(entries, f"{path}: {'; '.join(dropped)}" if dropped else "")
