"""A bulletin's files under the output folder: checked before anything is rendered, then written.

Every write goes through the one writer (``reportgen.files``); this module
only knows where a bulletin's files go (``OUTPUT/YYYY/MM/``, ``OUTPUT/YYYY/year/``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..files import check_inside, current, output_folder, write_atomic
from .jobs import Job


def check_output(root: str | Path, job: Job, names: Iterable[str]) -> None:
    """Refuse, before any rendering, a bulletin whose folder or files lead outside ``root``."""
    folder = output_folder(root, job.folder)
    for name in names:
        check_inside(folder / name, root)


def write_outputs(root: str | Path, job: Job, files: dict[str, bytes]) -> list[Path]:
    """Write one bulletin's files into its folder under ``root``; return their paths."""
    folder = output_folder(root, job.folder)
    return [write_atomic(folder, name, data, root) for name, data in files.items()]


def changed_files(folder: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """Those of ``files`` (name -> bytes) whose content differs from the file of that name in ``folder``."""
    return {name: data for name, data in files.items() if current(folder / name) != data}
