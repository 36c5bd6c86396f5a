"""A new project: a commented ``reportgen.toml``, a templates folder with one example override,
and a copy of a shipped profile to edit (``reportgen init``)."""

from __future__ import annotations

from pathlib import Path

from .config import CONFIG_FILE
from .errors import ReportgenError
from .profile import DEFAULT_PROFILE, resolve_profile_path, shipped_profiles

EXAMPLE_TEMPLATE = Path("templates") / "html" / "month.html.j2"

_CONFIG = """\
# reportgen's settings for this project. Paths are relative to this file.
# Environment variables (REPORTGEN_DB, REPORTGEN_PROFILE, REPORTGEN_TEMPLATES,
# REPORTGEN_OUTPUT) and command-line options (reportgen --db ... --profile ...)
# override what is set here.

# The database: a SQLite file, or a PostgreSQL URL (postgresql://user@host/name).
db = "reportgen.db"

# Where `reportgen build` writes the bulletins (OUTPUT/YYYY/MM/, OUTPUT/YYYY/year/).
output = "output"

# Your templates: a file here replaces the shipped one of the same name, or
# extends it with {{% extends "default:..." %}} (see templates/html/month.html.j2).
templates = "templates"

# The tally's taxonomy: a shipped profile by name ({shipped}),
# or a profile file of your own: this copy of "{profile}", yours to edit
# (check it with `reportgen profile check {profile_file}`).
profile = "{profile_file}"

# organisation = "..."   # the publisher named in the PDF's metadata (default: the profile's)
# recorded_by = "..."    # who records toll revisions
"""

_TEMPLATE = """\
{# Extends the shipped month bulletin and replaces one block of it. The blocks of
   base.html.j2: title, masthead (with kicker, period, meta), figures, regions,
   timeline, tally, running, incidents, revisions and methods. #}
{% extends "default:html/month.html.j2" %}
{% block kicker %}Monthly field report{% endblock %}
"""


def init_project(directory: str | Path = ".", profile: str = DEFAULT_PROFILE) -> list[Path]:
    """Write a new project's files into ``directory`` (made if need be) and return them; nothing is
    written if any of them exists already. ``profile``: the shipped profile to copy."""
    if profile not in shipped_profiles():
        raise ReportgenError(f"unknown profile {profile!r}: expected one of {', '.join(shipped_profiles())}")
    root = Path(directory)
    profile_file = Path("profiles") / f"{profile}.toml"
    files = {
        Path(CONFIG_FILE): _CONFIG.format(shipped=", ".join(shipped_profiles()), profile=profile,
                                          profile_file=profile_file.as_posix()),
        EXAMPLE_TEMPLATE: _TEMPLATE,
        profile_file: resolve_profile_path(profile).read_text(encoding="utf-8"),
    }
    existing = [root / name for name in files if (root / name).exists()]
    if existing:
        raise ReportgenError(f"{existing[0]}: already exists; init writes only new files (nothing written)")
    written = []
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
