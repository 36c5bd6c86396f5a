"""Kept versions of a bulletin and what changed between two versions' figures."""

from __future__ import annotations

import json
import os
import stat

from reportgen.aggregate import summarize
from reportgen.build.versions import (
    VERSIONS,
    FigureChange,
    Note,
    changes,
    figures,
    keep,
    kept_numbers,
    published,
    remove_leftovers,
)
from reportgen.periods import year_scope
from reportgen.summary import RevisionRow

NAMES = ["bulletin.html", "summary.json"]


def test_the_seeds_death_from_wounds_changes_the_deir_ezzor_line_the_group_line_and_the_total(sample_store, profile):
    from datetime import date

    before = summarize(sample_store, profile, year_scope(2023, date(2023, 6, 25)))
    after = summarize(sample_store, profile, year_scope(2023, date(2023, 6, 26)))
    found = changes(figures(before), figures(after), "period")
    assert [(c.figure, c.region_name, c.category, c.subgroup, c.old, c.new) for c in found] == [
        ("region", "Deir Ezzor desert", "combatants", "", 138, 139),
        ("region", "Deir Ezzor desert", "combatants", "national-defence", 4, 5),
        ("group", "", "combatants", "", 352, 353),
        ("group", "", "combatants", "national-defence", 4, 5),
        ("total", "", "", "", 561, 562),
    ]


def test_a_figure_that_appears_or_disappears_counts_from_zero():
    old = [["region-operations", "r1", "Region 1", "", "", 2], ["total", "", "", "", "", 5]]
    new = [["region-operations", "r2", "Region 2", "", "", 1], ["total", "", "", "", "", 5]]
    assert changes(old, new, "running") == [
        FigureChange("running", "region-operations", "r2", "Region 2", "", "", 0, 1),
        FigureChange("running", "region-operations", "r1", "Region 1", "", "", 2, 0),
    ]
    assert changes(new, new, "period") == []


def test_a_note_round_trips_through_json():
    reason = RevisionRow("2023-06-018", "2023-06-22", "Al-Bukamal", "combatants", "", 7, 8, 5, 4, "died of wounds",
                         False, "2023-06-27")
    note = Note("2023-06-28", 1, "2023-06-25", (FigureChange("period", "total", "", "", "", "", 60, 61),
                                                FigureChange("running", "total", "", "", "", "", 562, 563)), (reason,))
    assert Note.from_dict(json.loads(json.dumps(note.to_dict()))) == note
    assert [c.old for c in note.period_changes] == [60] and [c.old for c in note.running_changes] == [562]


def write(folder, **files) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text, encoding="utf-8")


def test_nothing_published_nothing_to_keep(tmp_path):
    assert published(tmp_path, NAMES, None) is None


def test_the_published_files_are_kept_as_the_next_numbered_version(tmp_path):
    folder = tmp_path / "2023" / "06"
    write(folder, bulletin_html="first", summary_json="{}")
    first = published(folder, NAMES, None, "2023-06-25")
    assert (first.number, first.kept, first.where, first.generated) == (1, False, folder, "2023-06-25")
    (folder / VERSIONS).mkdir()
    keep(first, folder, NAMES, folder / VERSIONS)
    kept = folder / VERSIONS / "v1"
    assert sorted(os.listdir(kept)) == NAMES and (kept / "bulletin.html").read_text() == "first"
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o777 & ~_umask()
    write(folder, bulletin_html="second")  # even written in place, the current file is not the kept one
    assert (kept / "bulletin.html").read_text() == "first"
    assert kept_numbers(folder) == [1] and published(folder, NAMES, None).number == 2


def test_a_version_kept_by_a_stopped_build_is_not_kept_twice(tmp_path):
    """A build kept v1, wrote one new file and was stopped: the manifest still records the old files."""
    folder = tmp_path / "06"
    write(folder, bulletin_html="old", summary_json='{"old": 1}')
    recorded = {n: _sha(folder / n) for n in NAMES}
    (folder / VERSIONS).mkdir()
    keep(published(folder, NAMES, recorded), folder, NAMES, folder / VERSIONS)
    os.unlink(folder / "bulletin.html")
    write(folder, bulletin_html="new")
    again = published(folder, NAMES, recorded)
    assert (again.number, again.kept, again.where) == (1, True, folder / VERSIONS / "v1")
    keep(again, folder, NAMES, folder / VERSIONS)
    assert kept_numbers(folder) == [1] and (folder / VERSIONS / "v1" / "bulletin.html").read_text() == "old"
    assert again.summary() is None  # {"old": 1} is no Summary: a note then has no "changed" part


def test_leftovers_of_a_version_being_kept_are_removed_and_nothing_else(tmp_path):
    versions = tmp_path / VERSIONS
    (versions / ".v2.abc123.tmp").mkdir(parents=True)
    (versions / ".v2.abc123.tmp" / "bulletin.pdf").write_bytes(b"%PDF-")
    (versions / "v1").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (versions / ".v3.link.tmp").symlink_to(outside)
    remove_leftovers(versions)
    assert sorted(os.listdir(versions)) == [".v3.link.tmp", "v1"] and outside.is_dir()


def _sha(path) -> str:
    from reportgen.build.fingerprints import file_digest

    return file_digest(path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
