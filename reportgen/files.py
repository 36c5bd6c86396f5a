"""The one writer: every file reportgen writes goes through here.

A file is written to a temporary file in its own folder, flushed to disk,
given the mode the umask allows, renamed over the old one, and the rename
itself made durable: a reader sees the old file or the new one, never half of
one, and a crash loses neither. A symlink at the target is replaced, never
written through; inside an output folder (``root``) any symlink is refused
(one leading outside would write there; one leading inside, say ``2023/06``
to ``05``, would make one bulletin overwrite another). The root itself may be
a link. A file whose content would not change is left alone, its time
kept (what Sphinx's ``FileAvoidWrite`` does). One build at a time holds an
output folder (``output_lock``), and it removes the temporary files a stopped
build left (``remove_leftovers``).

The umask is read once, when this module is imported, without changing it:
Linux shows it in ``/proc/self/status``; elsewhere it is set and restored at
that moment, before any thread could create a file in between.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ReportgenError


class UnsafeOutput(ReportgenError):
    """An output path that would write outside the output folder, or through a symlink inside it."""


def _read_umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()
FILE_MODE = 0o666 & ~UMASK  # what open() would give; mkstemp's 0600 would hide the output from others
FOLDER_MODE = 0o777 & ~UMASK  # what mkdir() would give; mkdtemp's 0700 likewise


# -- where files may go -----------------------------------------------------------------


def output_folder(root: str | Path, parts: Iterable[str]) -> Path:
    """``root/parts...``, created; refused if any part is a symlink."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root
    for part in parts:
        if part in ("", ".", "..") or "/" in part or os.sep in part:
            raise UnsafeOutput(f"output folder part {part!r}: not a plain name")
        path = path / part
        check_inside(path, root)
        path.mkdir(exist_ok=True)
    return path


def check_inside(path: str | Path, root: str | Path) -> None:
    """Refuse ``path`` when it is a symlink under the output folder ``root`` (any other path passes)."""
    if not os.path.islink(path) or os.path.abspath(path) == os.path.abspath(root):
        return
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath([real, real_root]) != real_root:
        raise UnsafeOutput(f"{path}: a symlink that leads outside {root} ({real}); refusing to write through it")
    raise UnsafeOutput(f"{path}: a symlink inside the output folder {root} (to {os.readlink(path)});"
                       " refusing to write through it (one bulletin would overwrite another)")


def check_no_symlinks(root: str | Path) -> None:
    """Refuse the output folder ``root`` when any path under it is a symlink (the first found is named)."""
    for folder, dirs, files in os.walk(root):  # links are listed, never followed
        for name in sorted([*dirs, *files]):
            check_inside(os.path.join(folder, name), root)


# -- writing ----------------------------------------------------------------------------


def write_atomic(folder: str | Path, name: str, data: bytes, root: str | Path | None = None) -> Path:
    """Write ``folder/name`` through a temporary file in ``folder``, renamed into place; return its path.

    ``root``: the output folder it belongs to, outside which a symlink at the
    target is refused (without one, the symlink is replaced).
    """
    folder = Path(folder)
    target = folder / name
    if root is not None:
        check_inside(target, root)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(folder)
    return target


def write_if_changed(folder: str | Path, name: str, data: bytes, root: str | Path | None = None) -> Path | None:
    """``write_atomic`` unless the file holds ``data`` already; the path written, or None."""
    if root is not None:
        check_inside(Path(folder, name), root)  # refused even when there is nothing to write
    if current(Path(folder, name)) == data:
        return None
    return write_atomic(folder, name, data, root)


def write_file(path: str | Path, data: bytes) -> Path | None:
    """A file named by the user (``--output FILE``), written if its content changes."""
    path = Path(path)
    return write_if_changed(path.parent if str(path.parent) else Path("."), path.name, data)


def current(path: Path) -> bytes | None:
    """The bytes ``path`` holds now; None when there is no such file (or it cannot be read)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def sync_file(path: str | Path, flags: int = 0) -> None:
    fd = os.open(path, os.O_RDONLY | flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(folder: str | Path) -> None:
    """Make the renames in ``folder`` durable (a rename is an entry of the folder, not of the file)."""
    sync_file(folder, os.O_DIRECTORY)


def temporary_folder(parent: Path, prefix: str) -> Path:
    """A new folder in ``parent`` to fill and then rename into place (``rename_folder``), readable like its siblings."""
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=prefix, suffix=".tmp"))
    os.chmod(tmp, FOLDER_MODE)
    return tmp


def rename_folder(tmp: Path, target: Path) -> None:
    """Put a folder made by ``temporary_folder`` in place, durably: whole or absent, never half."""
    os.rename(tmp, target)
    sync_folder(target.parent)


# -- one build at a time, and what a stopped one left ----------------------------------------


@contextmanager
def output_lock(root: str | Path) -> Iterator[None]:
    """Hold the output folder for one build at a time (an advisory lock on the folder itself)."""
    Path(root).mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ReportgenError(f"{root}: another build is writing there; run this one when it has finished") from None
    try:
        yield
    finally:
        os.close(fd)


def remove_leftovers(folder: Path, names: Iterable[str]) -> None:
    """Temporary files of ``names`` that a stopped build left in ``folder`` (``.NAME.XXXXXXXX.tmp``)."""
    remove_matching(folder, re.compile("|".join(rf"\.{re.escape(n)}\.[A-Za-z0-9_]+\.tmp" for n in names)))


def remove_matching(folder: Path, pattern: re.Pattern[str], folders: bool = False) -> None:
    """The files (or, with ``folders``, the folders) in ``folder`` whose names match ``pattern``;
    a symlink is never followed or removed."""
    try:
        found = os.listdir(folder)
    except OSError:
        return
    for name in found:
        path = folder / name
        if not pattern.fullmatch(name) or path.is_symlink() or path.is_dir() != folders:
            continue
        if folders:
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
