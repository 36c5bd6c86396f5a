"""Whether the copy of a bulletin in output/ is what a build would write now.

The answer comes from the build's manifest (``OUTPUT/reportgen-manifest.json``):
the built copy is fresh when the fingerprints recorded for it (its Summaries,
its templates, the profile, the settings, reportgen's version) match the
current ones and its files are the ones written. ``built_status`` is the one
place that decides, by asking ``build`` for a dry run of that one bulletin:
the preview and ``reportgen build`` cannot disagree. The ``StatusBoard`` keeps each answer until anything it was
computed from changes: the data version, the contents of the template
directories and the profile, or the built files themselves.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..build import build
from ..build.fingerprints import template_inputs, tree_digest
from ..build.jobs import Job
from ..build.manifest import manifest_path
from ..build.plan import Step
from ..build.reasons import CHANGED, DATA, MISSING, NEW, PROFILE, SETTINGS
from ..profile import Profile
from ..render import OUTPUT_NAMES, RenderSettings
from ..store import Store

FRESH, STALE, MISSING_COPY = "fresh", "stale", "missing"
# Why a built copy is stale; the index template words each reason.
INCOMPLETE, DATA_CHANGED, WORDING, LAYOUT, UNRECORDED = "incomplete", "data", "wording", "layout", "unrecorded"


@dataclass(frozen=True)
class BuiltStatus:
    state: str  # FRESH, STALE or MISSING_COPY
    reason: str = ""  # for STALE: what differs

    def to_dict(self) -> dict[str, str]:
        return {"state": self.state, "reason": self.reason}


def built_status(store: Store, profile: Profile, settings: RenderSettings, job: Job, output_root: str | Path) -> BuiltStatus:
    """Compare the built copy of ``job`` under ``output_root`` with what a build would write now."""
    folder = Path(output_root, *job.folder)
    present = [name for name in OUTPUT_NAMES if (folder / name).is_file()]
    if not present:
        return BuiltStatus(MISSING_COPY)
    if len(present) < len(OUTPUT_NAMES):
        return BuiltStatus(STALE, INCOMPLETE)
    planned = build(store, profile, [job], output_root, settings, dry_run=True, inputs={job.kind: _inputs(settings, job.kind)})
    step = planned.plan.steps[0]
    return BuiltStatus(STALE, _reason(step)) if step.reasons else BuiltStatus(FRESH)


def _reason(step: Step) -> str:
    reasons = set(step.reasons)
    if NEW in reasons:
        return UNRECORDED  # built before the manifest, or recorded in a manifest since lost
    if MISSING in reasons:
        return INCOMPLETE
    if DATA in reasons or (CHANGED in reasons and "summary.json" in step.changed):
        return DATA_CHANGED
    return WORDING if reasons & {PROFILE, SETTINGS} else LAYOUT


def _inputs(settings: RenderSettings, kind: str) -> dict[str, str]:
    """The templates' (and profile's, settings') fingerprints, computed again only when a file changed."""
    key = (kind, settings.templates, settings.author, tree_digest(settings.template_dirs()), _file_digest(settings.profile.path))
    with _INPUTS_LOCK:
        if key not in _INPUTS:
            if len(_INPUTS) > 16:
                _INPUTS.clear()
            _INPUTS[key] = template_inputs(settings, [kind])[kind]
        return _INPUTS[key]


_INPUTS: dict[tuple, dict[str, str]] = {}
_INPUTS_LOCK = threading.Lock()


# -- remembered answers ---------------------------------------------------------


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
    try:
        st = manifest_path(output_root).stat()
        found.append(("manifest", st.st_ino, st.st_mtime_ns, st.st_size))
    except OSError:
        pass
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
