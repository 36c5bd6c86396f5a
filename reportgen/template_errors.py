"""A failure inside a template, told as ``TEMPLATE:LINE: message``: where the editor has to look.

A syntax error names its template and line itself. Any other error raised while a
template renders (an unknown variable, a missing include, a division by zero in an
expression, an error in a filter it calls) is found in the traceback: Jinja rewrites
it so that each frame of template code carries the template's file name and its line
in the template (a frame it made holds ``__jinja_exception__`` in its globals). The
innermost such frame is the line that failed.
"""

from __future__ import annotations

import os
from types import TracebackType

from .errors import ReportgenError


class TemplateFailure(ReportgenError):
    """An error in a template: ``TEMPLATE:LINE: Error: message``."""

    def __init__(self, template: str, line: int | None, message: str):
        self.template, self.line, self.message = template, line, message
        super().__init__(f"{template}:{line}: {message}" if line else f"{template}: {message}")


def template_location(exc: BaseException) -> tuple[str, int | None] | None:
    """The template file and line where ``exc`` arose, or None when no template was running."""
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return exc.filename, exc.lineno
    return _innermost_template_frame(exc.__traceback__)


def _innermost_template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    found = None
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    return found


def error_message(exc: BaseException) -> str:
    """``UndefinedError: 'x' is undefined``: the error's kind and what it says, without the place."""
    import jinja2

    if isinstance(exc, jinja2.TemplateNotFound):
        return f"{type(exc).__name__}: template not found: {exc.name}"
    message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def as_template_failure(exc: BaseException) -> TemplateFailure | None:
    """``exc`` as a ``TemplateFailure`` when it arose in a template (or is a template error), else None."""
    import jinja2

    if isinstance(exc, ReportgenError):
        return exc if isinstance(exc, TemplateFailure) else None
    where = template_location(exc)
    if where is None:
        if isinstance(exc, jinja2.TemplateNotFound):  # the bulletin's own template, asked for by name
            return TemplateFailure(str(exc.name or "template"), None, error_message(exc))
        return None
    path, line = where
    return TemplateFailure(shown_path(path), line, error_message(exc))


def shown_path(path: str) -> str:
    """A template's path as its user knows it: relative to the working directory when inside it."""
    if not os.path.isabs(path):
        return path
    here = os.getcwd()
    try:
        inside = os.path.commonpath([path, here]) == here
    except ValueError:
        return path
    return os.path.relpath(path, here) if inside else path

