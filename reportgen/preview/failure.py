"""A failed render described for the error page: what went wrong, in which template and line.

The template and line are found as the command line finds them
(``reportgen.template_errors.template_location``): the innermost frame of template
code in the traceback, or the template and line a syntax error names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from ..errors import ReportgenError
from ..template_errors import template_location

CONTEXT_LINES = 3


@dataclass(frozen=True)
class SourceLine:
    number: int
    text: str
    current: bool


@dataclass(frozen=True)
class Failure:
    """The error page's content."""

    kind: str  # "template", "data" (the database, the profile or the settings) or "internal"
    error: str  # the exception's class name
    message: str
    template: str | None = None  # the template's name, as the loader knows it ("html/month.html.j2")
    path: str | None = None  # its file
    line: int | None = None
    excerpt: list[SourceLine] = field(default_factory=list)

    @property
    def where(self) -> str:
        if self.template is None:
            return ""
        return f"{self.template}:{self.line}" if self.line else self.template


def describe_failure(exc: BaseException, template_dirs: list[Path]) -> Failure:
    """What the error page says about ``exc``, raised while rendering with ``template_dirs``."""
    where = template_location(exc)
    message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"template not found: {exc.name}"
    kind = "template" if where or isinstance(exc, jinja2.TemplateError) else "data" if isinstance(exc, ReportgenError) else "internal"
    if where is None:
        return Failure(kind, type(exc).__name__, message)
    path, line = where
    return Failure(kind, type(exc).__name__, message, _template_name(path, template_dirs), path, line, _excerpt(path, line))


def _template_name(path: str, template_dirs: list[Path]) -> str:
    real = os.path.realpath(path)
    for root in template_dirs:
        base = os.path.realpath(root)
        if os.path.commonpath([real, base]) == base:
            return Path(os.path.relpath(real, base)).as_posix()
    return os.path.basename(path)


def _excerpt(path: str, line: int | None) -> list[SourceLine]:
    if not line:
        return []
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    first, last = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
    return [SourceLine(n, lines[n - 1], n == line) for n in range(first, last + 1)]
