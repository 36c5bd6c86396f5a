"""The bundled, illustrative 2023 sample data (see ``seeds/README.md``)."""

from __future__ import annotations

from pathlib import Path

from .ingest import import_file
from .profile import Profile
from .revise import apply_revision_file
from .store import Store

_PACKAGE = Path(__file__).parent
SEEDS = next((p for p in (_PACKAGE / "_seeds", _PACKAGE.parent / "seeds") if p.is_dir()), _PACKAGE.parent / "seeds")
SAMPLE_INCIDENTS = SEEDS / "sample-2023.csv"
SAMPLE_REVISIONS = SEEDS / "revisions-2023.csv"
SAMPLE_YEAR = 2023


def load_sample(store: Store, profile: Profile) -> tuple[int, int]:
    """Import the sample incidents and their revisions; return (incidents, revisions) added."""
    result = import_file(store, profile, SAMPLE_INCIDENTS)
    revisions = apply_revision_file(store, profile, SAMPLE_REVISIONS) if result.added else 0
    return result.added, revisions
