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
be read, or one of another format means a full rebuild, never a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .. import __version__
from ..files import check_inside, write_atomic
from .fingerprints import file_digest
from .reasons import INPUTS

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
    def from_dict(cls, d: dict[str, Any]) -> BulletinRecord:
        names = {f.name for f in fields(cls)}
        entry = cls(**{k: v for k, v in d.items() if k in names})
        if not (isinstance(entry.sources, str) and isinstance(entry.data, str) and isinstance(entry.inputs, dict)
                and isinstance(entry.files, dict) and isinstance(entry.stats, dict)):
            raise TypeError("malformed entry")
        return entry

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
    entries = {}
    for key, value in (body.get("bulletins") or {}).items():
        try:
            entries[key] = BulletinRecord.from_dict(value)
        except (TypeError, AttributeError):
            continue  # that bulletin is rebuilt
    return Manifest(entries)
