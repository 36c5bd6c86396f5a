"""The one writer: atomic and durable, never through a symlink leading out, unchanged files left alone."""

from __future__ import annotations

import os
import stat

import pytest

from reportgen import files
from reportgen.files import (
    FILE_MODE,
    UnsafeOutput,
    output_folder,
    remove_leftovers,
    write_atomic,
    write_file,
    write_if_changed,
)


@pytest.fixture
def fsyncs(monkeypatch) -> list[int]:
    """The inode of every file or folder made durable (``os.fsync`` still called)."""
    found: list[int] = []
    real = os.fsync

    def recording(fd: int) -> None:
        found.append(os.fstat(fd).st_ino)
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return found


def test_a_write_makes_the_file_and_its_rename_durable(tmp_path, fsyncs):
    path = write_atomic(tmp_path, "bulletin.txt", b"text", tmp_path)
    assert path.read_bytes() == b"text"
    assert fsyncs == [path.stat().st_ino, tmp_path.stat().st_ino]  # the file's content, then the folder's entry


def test_a_file_named_by_the_user_is_made_durable_too(tmp_path, fsyncs):
    path = tmp_path / "export.csv"
    write_file(path, b"a,b\r\n")
    assert path.read_bytes() == b"a,b\r\n" and fsyncs == [path.stat().st_ino, tmp_path.stat().st_ino]


def test_a_symlink_leading_out_of_the_output_folder_is_refused_in_one_line_naming_it(tmp_path):
    root, outside = tmp_path / "output", tmp_path / "secret.txt"
    outside.write_text("keep me", encoding="utf-8")
    folder = output_folder(root, ["2023", "06"])
    (folder / "bulletin.txt").symlink_to(outside)
    with pytest.raises(UnsafeOutput) as refused:
        write_atomic(folder, "bulletin.txt", b"x", root)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"{folder / 'bulletin.txt'}: a symlink that leads outside {root}")
    with pytest.raises(UnsafeOutput):
        write_if_changed(folder, "bulletin.txt", b"keep me", root)
    assert outside.read_text(encoding="utf-8") == "keep me"


def test_without_an_output_folder_a_symlink_is_replaced_never_written_through(tmp_path):
    outside, link = tmp_path / "outside.txt", tmp_path / "out" / "notice.txt"
    outside.write_text("keep me", encoding="utf-8")
    link.parent.mkdir()
    link.symlink_to(outside)
    write_file(link, b"notice")
    assert not link.is_symlink() and link.read_bytes() == b"notice"
    assert outside.read_text(encoding="utf-8") == "keep me"


def test_an_unchanged_file_is_not_written_again(tmp_path, fsyncs):
    path = write_atomic(tmp_path, "summary.json", b"{}", tmp_path)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = path.stat()
    fsyncs.clear()
    assert write_if_changed(tmp_path, "summary.json", b"{}", tmp_path) is None
    assert write_file(path, b"{}") is None
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns) and fsyncs == []
    assert write_if_changed(tmp_path, "summary.json", b"{ }", tmp_path) == path and path.read_bytes() == b"{ }"


def test_files_get_the_mode_the_umask_allows_without_the_umask_being_touched(tmp_path, monkeypatch):
    mask = os.umask(0o022)  # read once here, before the writer runs
    os.umask(mask)

    def touched(_mask: int) -> int:
        raise AssertionError("the writer changed the process umask")

    monkeypatch.setattr(os, "umask", touched)
    path = write_atomic(tmp_path, "bulletin.pdf", b"%PDF-", tmp_path)
    assert mask == files.UMASK and stat.S_IMODE(path.stat().st_mode) == FILE_MODE == 0o666 & ~mask


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        write_atomic(tmp_path, "bulletin.html", b"<html>", tmp_path)
    assert os.listdir(tmp_path) == []


def test_leftovers_of_a_stopped_build_are_removed_and_nothing_else(tmp_path):
    for name in (".bulletin.pdf.abc_123.tmp", ".other.abc.tmp", "bulletin.pdf", ".bulletin.pdf.x.tmp.keep"):
        (tmp_path / name).write_bytes(b"")
    remove_leftovers(tmp_path, ["bulletin.pdf", "summary.json"])
    assert sorted(os.listdir(tmp_path)) == [".bulletin.pdf.x.tmp.keep", ".other.abc.tmp", "bulletin.pdf"]
