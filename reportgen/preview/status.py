"""Whether the copy of a bulletin in output/ is what a build would write now.

Until the build records a manifest of fingerprints, the answer comes from
content: summary.json on disk against the current Summary, then bulletin.txt
and bulletin.html against a fresh render dated as the built copy is (the PDF
is made from that HTML, so it is not compared). ``built_status`` is the one
place that decides. The ``StatusBoard`` keeps each answer until anything it
was computed from changes: the data version, the contents of the template
directories and the profile, or the built files themselves.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import jinja2

from ..build import Job, gather
from ..profile import Profile
from ..render import OUTPUT_NAMES, Bulletin, RenderSettings, render_html, render_text, summary_json, tallies
from ..store import Store

FRESH, STALE, MISSING = "fresh", "stale", "missing"
# Why a built copy is stale; the index template words each reason.
INCOMPLETE, DATA, WORDING, LAYOUT, UNREADABLE = "incomplete", "data", "wording", "layout", "unreadable"

_CREATED = re.compile(r'<meta name="dcterms\.created" content="([0-9]{4}-[0-9]{2}-[0-9]{2})">')

Charts = Callable[[Bulletin, RenderSettings, jinja2.Environment], dict[str, str]]


@dataclass(frozen=True)
class BuiltStatus:
    state: str  # FRESH, STALE or MISSING
    reason: str = ""  # for STALE: what differs

    def to_dict(self) -> dict[str, str]:
        return {"state": self.state, "reason": self.reason}


def built_status(store: Store, profile: Profile, settings: RenderSettings, job: Job, output_root: str | Path,
                 charts: Charts | None = None) -> BuiltStatus:
    """Compare the built copy of ``job`` under ``output_root`` with what a build would write now.

    ``charts`` may supply the SVG charts (a cache); they are drawn afresh otherwise.
    """
    folder = Path(output_root, *job.folder)
    present = [name for name in OUTPUT_NAMES if (folder / name).is_file()]
    if not present:
        return BuiltStatus(MISSING)
    if len(present) < len(OUTPUT_NAMES):
        return BuiltStatus(STALE, INCOMPLETE)
    try:
        built_json, built_text, built_html = (_read(folder / n) for n in ("summary.json", "bulletin.txt", "bulletin.html"))
    except (OSError, UnicodeDecodeError):
        return BuiltStatus(STALE, UNREADABLE)
    bulletin = gather(store, profile, job)
    if built_json != summary_json(bulletin):
        return BuiltStatus(STALE, DATA)
    now = replace(settings, draft=False, generated=_generated(built_html) or settings.generated)
    env = now.environment()
    texts = tallies(bulletin, now)
    if built_text != render_text(bulletin, now, env, texts):
        return BuiltStatus(STALE, WORDING)
    svgs = charts(bulletin, now, env) if charts else None
    if built_html != render_html(bulletin, now, svgs, env, texts):
        return BuiltStatus(STALE, LAYOUT)
    return BuiltStatus(FRESH)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _generated(html: str) -> date | None:
    """The day a built bulletin.html says it was generated (renders of that day compare equal)."""
    m = _CREATED.search(html)
    try:
        return date.fromisoformat(m.group(1)) if m else None
    except ValueError:
        return None


# -- remembered answers ---------------------------------------------------------


def tree_digest(dirs: list[Path]) -> str:
    """A digest of every file's name and content under ``dirs``."""
    h = hashlib.sha256()
    for root in dirs:
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _file_digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _built_files(job: Job, output_root: str | Path) -> tuple:
    folder = Path(output_root, *job.folder)
    found = []
    for name in OUTPUT_NAMES:
        try:
            st = (folder / name).stat()
        except OSError:
            continue
        found.append((name, st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(found)


class StatusBoard:
    """Each bulletin's last status, kept while its inputs and built files are unchanged."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple, BuiltStatus]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def inputs(store: Store, settings: RenderSettings) -> tuple:
        """What every status depends on besides the built files."""
        return (store.data_version(), tree_digest(settings.template_dirs()), _file_digest(settings.profile.path),
                settings.author)

    def known(self, job: Job, inputs: tuple, output_root: str | Path) -> BuiltStatus | None:
        """The status of ``job`` if it was checked against these inputs and files, else None."""
        hit = self._known.get(job.key)
        return hit[1] if hit and hit[0] == (inputs, _built_files(job, output_root)) else None

    def check(self, jobs: list[Job], inputs: tuple, output_root: str | Path,
              compute: Callable[[Job], BuiltStatus]) -> dict[str, BuiltStatus]:
        """Every job's status, computing those not known (one caller at a time)."""
        result = {}
        with self._lock:
            for job in jobs:
                status = self.known(job, inputs, output_root)
                if status is None:
                    fingerprint = (inputs, _built_files(job, output_root))
                    status = compute(job)
                    self._known[job.key] = (fingerprint, status)
                result[job.key] = status
        return result
