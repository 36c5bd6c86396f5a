"""The rich console the commands print tables to, which leaves a closed pipe to the command's entry point.

Rich's own reaction to a reader that goes away (``reportgen history ID | head -1``)
is to exit with status 1; ``StdoutConsole`` raises ``BrokenPipeError`` instead,
which ``cli.ReportgenGroup`` turns into a quiet exit with status 0.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console


class StdoutConsole(Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more is written
        raise BrokenPipeError


def stdout_console(**options: Any) -> Console:
    """A console on standard output (``options`` as ``rich.console.Console`` takes them)."""
    return StdoutConsole(**options)
