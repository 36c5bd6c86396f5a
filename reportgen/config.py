"""Configuration: ``reportgen.toml``, then environment variables, then command-line options.

An option not given never overrides the file. Every problem in the file is
reported at once.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import ReportgenError
from .profile import DEFAULT_PROFILE

CONFIG_FILE = "reportgen.toml"


@dataclass(frozen=True)
class Config:
    db: str = "reportgen.db"
    profile: str = DEFAULT_PROFILE
    templates: str | None = None  # a user's template directory, overriding shipped files
    output: str = "output"
    organisation: str | None = None  # overrides the profile's, for PDF metadata
    recorded_by: str | None = None  # who records revisions
    source: str = "defaults"

    def with_overrides(self, **options: str | None) -> Config:
        return replace(self, **{k: v for k, v in options.items() if v is not None})


_KEYS = {f.name for f in fields(Config)} - {"source"}


def _from_file(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ReportgenError(f"{path}: not valid TOML ({exc})") from None
    section = data.get("reportgen", data)
    problems = [f"unknown setting {k!r}" for k in section if k not in _KEYS]
    problems += [f"{k}: expected text" for k, v in section.items() if k in _KEYS and not isinstance(v, str)]
    if problems:
        raise ReportgenError(f"{path}: {'; '.join(problems)} (settings: {', '.join(sorted(_KEYS))})")
    base = path.parent
    for key in ("db", "templates", "output"):
        if key in section and not _is_url(section[key]):
            section[key] = str(base / section[key])
    return section


def _is_url(value: str) -> bool:
    return "://" in value


def load_config(config_path: str | None = None, cwd: Path | None = None) -> Config:
    """The file's settings (``reportgen.toml`` in the working directory), then ``REPORTGEN_*`` variables."""
    path = Path(config_path) if config_path else (cwd or Path.cwd()) / CONFIG_FILE
    config = Config()
    if config_path and not path.is_file():
        raise ReportgenError(f"{path}: config file not found")
    if path.is_file():
        config = replace(config, **_from_file(path), source=str(path))
    env = {k: os.environ.get(f"REPORTGEN_{k.upper()}") for k in ("db", "profile", "templates", "output")}
    return config.with_overrides(**env)
