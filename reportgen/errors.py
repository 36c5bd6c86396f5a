"""Errors that reach the user as one line, never as a traceback."""

from __future__ import annotations


class ReportgenError(Exception):
    """A failure the user can act on; the CLI prints it as one line and exits 1."""

    exit_code = 1


class NoDatabase(ReportgenError):
    """A reader found no database where one was named (no file, or a server database without reportgen's tables)."""


class InputError(ReportgenError):
    """Bad input in a file: ``FILE:LINE: field: what was expected``."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str):
        self.file, self.line, self.field, self.message = file, line, field, message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


def shown(value: object, limit: int = 40) -> str:
    """A value quoted for an error message: control characters visible, long text cut."""
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= limit else text[: limit - 4] + "...'"
