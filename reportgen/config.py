"""Configuration: ``reportgen.toml``, then environment variables, then command-line options.

An option not given never overrides the file. Every problem in the file is
reported at once.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ReportgenError

CONFIG_FILE = "reportgen.toml"


@dataclass(frozen=True)
class Config:
    db: str = "reportgen.db"
    profile: str | None = None  # None: the database's profile, else the default (see ``binding``)
    templates: str | None = None  # a user's template directory, overriding shipped files
    output: str = "output"
    organisation: str | None = None  # overrides the profile's, for PDF metadata
    recorded_by: str | None = None  # who records revisions
    timezone: str | None = None  # the zone of a recording time given without offset or zone (default UTC)
    source: str = "defaults"

    def with_overrides(self, **options: str | None) -> Config:
        return replace(self, **{k: v for k, v in options.items() if v is not None})


_KEYS = {f.name for f in fields(Config)} - {"source"}
ENV_KEYS = ("db", "profile", "templates", "output")  # each read from REPORTGEN_<KEY>


def _from_file(path: Path) -> dict:
    """The file's settings, flat or under ``[reportgen]``; every problem reported at once, in one line."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ReportgenError(f"{path}: not valid TOML ({exc})") from None
    section = {k: v for k, v in data.items() if k != "reportgen" or not isinstance(v, dict)}
    found = data.get("reportgen")
    nested: dict[str, Any] = found if isinstance(found, dict) else {}
    problems = [_problem(path, text, k, "given both at the top and under [reportgen]") for k in nested if k in section]
    section.update(nested)
    for key, value in section.items():
        if key not in _KEYS:
            problems.append(_problem(path, text, key, f"unknown setting; expected one of {', '.join(sorted(_KEYS))}"))
        elif not isinstance(value, str) or not value.strip():
            problems.append(_problem(path, text, key, f"expected text, got {value!r}"))
    if problems:
        raise ReportgenError("; ".join(problems))
    for key in ("db", "templates", "output"):
        if key in section and not _is_url(section[key]):
            section[key] = str(path.parent / section[key])
    if "profile" in section and _is_profile_path(section["profile"]):
        section["profile"] = str(path.parent / section["profile"])
    return section


def _problem(path: Path, text: str, key: str, message: str) -> str:
    """``FILE:LINE: key: message``, with the line where the key is set (when it can be found)."""
    name = re.escape(key)
    pattern = re.compile(rf"^[ \t]*(?:\[[ \t]*{name}[ \t]*\]|[\"']?{name}[\"']?[ \t]*=)", re.MULTILINE)
    m = pattern.search(text)
    where = f"{path}:{text.count(chr(10), 0, m.start()) + 1}" if m else str(path)
    return f"{where}: {key}: {message}"


def _is_profile_path(value: str) -> bool:
    return value.endswith(".toml") or "/" in value


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
    env = {k: os.environ.get(f"REPORTGEN_{k.upper()}") or None for k in ENV_KEYS}  # set but empty: not set
    return config.with_overrides(**env)
