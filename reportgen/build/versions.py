"""Earlier versions of a bulletin, kept beside it, and what changed from one to the next.

When a build writes a bulletin again and its files change, the files it
replaces stay in its folder as ``versions/vN/`` (N = 1, 2, ...: copied into
a temporary folder that is then renamed, so a kept version is whole or
absent). When the bulletin's figures changed, the new version carries a
"Revised" note: which figures changed (the period's, from the summary.json of
the version it replaces; a month's year to date, from the figures the manifest
recorded) and why (the revisions the earlier version did not reflect). Notes
are plain data; the words are in ``templates/html/partials/revised.html.j2``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import remove_matching, rename_folder, sync_file, temporary_folder
from ..summary import RevisionRow, Summary
from .fingerprints import Sources, digest, file_digest

if TYPE_CHECKING:
    from ..render import Bulletin
    from .manifest import BulletinRecord

VERSIONS = "versions"
_KEPT = re.compile(r"v([0-9]{1,9})")
_TEMPORARY = re.compile(r"\.v[0-9]+\..+\.tmp")


# -- what changed -----------------------------------------------------------------


@dataclass(frozen=True)
class FigureChange:
    """One published figure that changed.

    ``figure``: "region" (a region's category, or one of its subgroups),
    "region-operations", "group" (a line of the cumulative block, or a subgroup),
    "operations" or "total". ``part``: "period", or "running" for a month's
    year-to-date figures.
    """

    part: str
    figure: str
    region: str
    region_name: str
    category: str
    subgroup: str
    old: int
    new: int


def figures(summary: Summary) -> list[list]:
    """A Summary's published figures in the order a reader meets them:
    ``[figure, region, region name, category, subgroup, value]`` (JSON-ready)."""
    out: list[list] = []
    for r in summary.regions:
        out.append(["region-operations", r.region, r.name, "", "", r.operations])
        for c in r.categories:
            out.append(["region", r.region, r.name, c.category, "", c.killed])
            out += [["region", r.region, r.name, c.category, s, n] for s, n in c.subgroups.items()]
    for g in summary.groups:
        out.append(["group", "", "", g.category, "", g.killed])
        out += [["group", "", "", g.category, s, n] for s, n in g.subgroups.items()]
    out.append(["operations", "", "", "", "", summary.operations])
    out.append(["total", "", "", "", "", summary.total_killed])
    return out


def changes(old: list[list], new: list[list], part: str) -> list[FigureChange]:
    """The figures that differ between two ``figures`` lists (a figure absent from one counts as 0)."""

    def keyed(items: list[list]) -> dict[tuple, list]:
        return {(f, r, c, s): [name, v] for f, r, name, c, s, v in items}

    before, after = keyed(old), keyed(new)
    found = []
    for key in [*after, *(k for k in before if k not in after)]:
        name, was = before.get(key, ["", 0])
        name_now, now = after.get(key, [name, 0])
        if was != now:
            figure, region, category, subgroup = key
            found.append(FigureChange(part, figure, region, name_now or name, category, subgroup, was, now))
    return found


@dataclass(frozen=True)
class Note:
    """A "Revised" note: this version replaces ``versions/v{version}/`` (generated ``previous_generated``)."""

    generated: str
    version: int
    previous_generated: str
    changes: tuple[FigureChange, ...]
    reasons: tuple[RevisionRow, ...]

    @property
    def period_changes(self) -> list[FigureChange]:
        return [c for c in self.changes if c.part == "period"]

    @property
    def running_changes(self) -> list[FigureChange]:
        return [c for c in self.changes if c.part == "running"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Note:
        return cls(d["generated"], int(d["version"]), d.get("previous_generated", ""),
                   tuple(FigureChange(**c) for c in d["changes"]), tuple(RevisionRow(**r) for r in d["reasons"]))


def revision_digest(row: RevisionRow) -> str:
    return digest(asdict(row))[:20]


def notes_of(recorded: Iterable[dict]) -> list[Note]:
    """Notes kept in the manifest; one that cannot be read is left out."""
    notes = []
    for d in recorded:
        try:
            notes.append(Note.from_dict(d))
        except (KeyError, TypeError, ValueError):
            continue
    return notes


def revised_notes(entry: BulletinRecord | None, replaces: Published | None, bulletin: Bulletin, sources: Sources,
                  generated: str) -> tuple[Note, ...]:
    """The bulletin's "Revised" notes, newest first: the earlier ones, and one for this build when
    the figures differ from the version it replaces."""
    earlier = notes_of(entry.notes) if entry else []
    old = replaces.summary() if replaces else None
    found = changes(figures(old), figures(bulletin.summary), "period") if old else []
    if bulletin.kind == "month" and entry and entry.running:
        found += changes(entry.running, figures(bulletin.running), "running")
    if not found:
        return tuple(earlier)
    if entry is not None:
        reflected = set(entry.revisions)
        why = [r for r in sources.revisions if revision_digest(r) not in reflected]
    else:  # no record: the revisions of the period that the replaced summary.json did not list
        why = [r for r in bulletin.summary.revisions if r not in old.revisions] if old else []
    assert replaces is not None  # figures changed: there was a published version to compare with
    note = Note(generated, replaces.number, replaces.generated, tuple(found), tuple(why))
    return (note, *earlier)


# -- the version a build replaces --------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """The files a bulletin folder published last, and their number among the kept versions.

    ``kept``: they are already in ``versions/v{number}/`` (a build that stopped
    after keeping them); ``where``: the folder their files are read from.
    """

    hashes: dict[str, str]
    number: int
    kept: bool
    where: Path
    generated: str

    def summary(self) -> Summary | None:
        try:
            return Summary.from_dict(json.loads((self.where / "summary.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None


def kept_numbers(folder: Path) -> list[int]:
    try:
        names = os.listdir(folder / VERSIONS)
    except OSError:
        return []
    return sorted(int(m[1]) for n in names if (m := _KEPT.fullmatch(n)) and (folder / VERSIONS / n).is_dir())


def published(folder: Path, names: Iterable[str], recorded: dict[str, str] | None, generated: str = "") -> Published | None:
    """The version of the bulletin in ``folder`` that a new build replaces: the files the manifest
    ``recorded`` (else those in the folder); None when nothing was published."""
    present = {n: file_digest(folder / n) for n in names if (folder / n).is_file()}
    hashes = recorded or present
    if not hashes:
        return None
    numbers = kept_numbers(folder)
    latest = folder / VERSIONS / f"v{numbers[-1]}" if numbers else None
    if latest is not None and _holds(latest, hashes):
        return Published(hashes, numbers[-1], True, latest, generated)
    return Published(hashes, (numbers[-1] if numbers else 0) + 1, False, folder, generated)


def _holds(where: Path, hashes: dict[str, str]) -> bool:
    try:
        return all(file_digest(where / n) == h for n, h in hashes.items())
    except OSError:
        return False


def keep(version: Published, folder: Path, names: Iterable[str], versions_dir: Path) -> None:
    """Keep the files ``names`` now in ``folder`` as ``versions_dir/v{number}`` (unless they are kept already)."""
    if version.kept:
        return
    tmp = temporary_folder(versions_dir, f".v{version.number}.")  # a kept version reads like its bulletin
    try:
        for name in names:
            source = folder / name
            if not source.is_file() or source.is_symlink():
                continue
            shutil.copy2(source, tmp / name)  # a copy, not a link: editing the current file leaves it alone
            sync_file(tmp / name)
        rename_folder(tmp, versions_dir / f"v{version.number}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_leftovers(versions_dir: Path) -> None:
    """Temporary folders of versions that a stopped build did not finish keeping."""
    remove_matching(versions_dir, _TEMPORARY, folders=True)
