"""The build stage: which bulletins the data allows, what each gathers, and safe writes."""

from __future__ import annotations

import os
from datetime import date

import pytest

from reportgen.build.gather import gather
from reportgen.build.jobs import Job, data_months, plan_jobs
from reportgen.build.outputs import check_output, write_outputs
from reportgen.errors import ReportgenError
from reportgen.files import UnsafeOutput, check_no_symlinks, output_folder, write_atomic
from reportgen.periods import month_scope, year_scope
from reportgen.store import open_store


@pytest.fixture(scope="module")
def sample(sample_db):
    store = open_store(sample_db, create=False)
    yield store
    store.close()


def keys(jobs: list[Job]) -> list[tuple[str, str]]:
    return [(j.kind, j.key) for j in jobs]


SAMPLE_JOBS = [("month", f"2023-{m:02d}") for m in range(1, 7)] + [("year", "2023")]


def test_everything_is_each_month_with_data_then_its_year(sample):
    assert keys(plan_jobs(sample)) == SAMPLE_JOBS
    assert keys(plan_jobs(sample, year="2023")) == SAMPLE_JOBS


def test_one_month_or_one_year(sample):
    assert keys(plan_jobs(sample, period="2023-06")) == [("month", "2023-06")]
    assert keys(plan_jobs(sample, period="2023")) == [("year", "2023")]


def test_as_of_leaves_out_later_months(sample):
    jobs = plan_jobs(sample, year="2023", as_of=date(2023, 2, 15))
    assert keys(jobs) == [("month", "2023-01"), ("month", "2023-02"), ("year", "2023")]
    assert all(j.scope.as_of == date(2023, 2, 15) for j in jobs)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"period": "2023-13"}, "month must be 01-12"),
        ({"period": "June"}, "expected YYYY-MM"),
        ({"period": "2023-06/../../x"}, "expected YYYY-MM"),
        ({"period": "../../x"}, "expected YYYY-MM"),
        ({"period": "2023-Q2"}, "monthly or yearly"),
        ({"period": "2022-06"}, "no incidents recorded in June 2022 (data: 2023-01 to 2023-06)"),
        ({"period": "2023-07"}, "no incidents recorded in July 2023"),
        ({"year": "2022"}, "no incidents recorded in 2022 (data: 2023-01 to 2023-06)"),
        ({"year": "2023-06"}, "expected YYYY"),
        ({"period": "2023-06", "year": "2023"}, "not both"),
    ],
)
def test_bad_or_empty_periods_are_one_line_errors(sample, options, message):
    with pytest.raises(ReportgenError) as failure:
        plan_jobs(sample, **options)
    assert message in str(failure.value) and "\n" not in str(failure.value)


def test_an_empty_database_has_no_bulletins(store):
    with pytest.raises(ReportgenError, match="no incidents recorded"):
        plan_jobs(store)


def test_folders_come_from_integers():
    assert Job("month", month_scope(2023, 6)).folder == ("2023", "06")
    assert Job("year", year_scope(2023)).folder == ("2023", "year")


def test_a_month_gathers_its_year_to_date_and_the_month_before(sample, profile):
    bulletin = gather(sample, profile, Job("month", month_scope(2023, 6)))
    assert bulletin.summary.scope.key == "2023-06" and bulletin.summary.incident_rows
    running = bulletin.running.scope
    assert (running.kind, running.start, running.end, running.as_of) == ("ytd", date(2023, 1, 1), date(2023, 6, 30), None)
    assert bulletin.previous.scope.key == "2023-05"
    assert bulletin.running.total_killed >= bulletin.summary.total_killed + bulletin.previous.total_killed
    assert sum(p["killed"] for p in bulletin.running.daily) == bulletin.running.total_killed


def test_january_and_the_first_year_have_nothing_to_compare_with(sample, profile):
    assert gather(sample, profile, Job("month", month_scope(2023, 1))).previous is None
    year = gather(sample, profile, Job("year", year_scope(2023)))
    assert year.previous is None and year.running is year.summary


def test_as_of_reaches_the_month_and_its_year_to_date(sample, profile):
    before = gather(sample, profile, Job("month", month_scope(2023, 6, date(2023, 6, 25))))
    after = gather(sample, profile, Job("month", month_scope(2023, 6)))
    assert before.running.scope.as_of == date(2023, 6, 25)
    assert after.summary.total_killed - before.summary.total_killed == 1  # the death from wounds recorded on 26 June
    assert after.running.total_killed - before.running.total_killed == 1
    assert data_months(sample, date(2023, 3, 1))[-1] == (2023, 3)


# -- writing -----------------------------------------------------------------------


def test_write_outputs_puts_each_file_in_place_without_leftovers(tmp_path):
    job = Job("month", month_scope(2023, 6))
    paths = write_outputs(tmp_path / "out", job, {"bulletin.txt": b"one", "summary.json": b"{}"})
    folder = tmp_path / "out" / "2023" / "06"
    assert paths == [folder / "bulletin.txt", folder / "summary.json"]
    assert (folder / "bulletin.txt").read_bytes() == b"one"
    assert sorted(os.listdir(folder)) == ["bulletin.txt", "summary.json"]
    assert (folder / "bulletin.txt").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_rewrite_replaces_the_file_instead_of_overwriting_it(tmp_path):
    """A reader holding the old file keeps reading the old bytes: the new file is renamed into place."""
    folder = output_folder(tmp_path, ["2023", "06"])
    write_atomic(folder, "bulletin.txt", b"old text", tmp_path)
    with open(folder / "bulletin.txt", "rb") as reader:
        write_atomic(folder, "bulletin.txt", b"new", tmp_path)
        assert reader.read() == b"old text"
    assert (folder / "bulletin.txt").read_bytes() == b"new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    folder = output_folder(tmp_path, ["2023", "06"])
    write_atomic(folder, "bulletin.pdf", b"published", tmp_path)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(folder, "bulletin.pdf", b"half", tmp_path)
    monkeypatch.undo()
    assert (folder / "bulletin.pdf").read_bytes() == b"published"
    assert os.listdir(folder) == ["bulletin.pdf"]


def test_a_symlinked_folder_leading_outside_is_refused(tmp_path):
    root, outside = tmp_path / "output", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (root / "2023").symlink_to(outside)
    with pytest.raises(UnsafeOutput, match="leads outside"):
        write_outputs(root, Job("month", month_scope(2023, 6)), {"bulletin.txt": b"x"})
    assert list(outside.iterdir()) == []


def test_a_symlinked_file_leading_outside_is_refused_and_its_target_untouched(tmp_path):
    root, target = tmp_path / "output", tmp_path / "bashrc"
    target.write_text("keep me", encoding="utf-8")
    folder = output_folder(root, ["2023", "06"])
    (folder / "bulletin.pdf").symlink_to(target)
    with pytest.raises(UnsafeOutput):
        write_outputs(root, Job("month", month_scope(2023, 6)), {"bulletin.pdf": b"x"})
    assert target.read_text(encoding="utf-8") == "keep me"
    assert (folder / "bulletin.pdf").is_symlink()


def test_a_symlink_that_stays_inside_the_output_is_refused_too(tmp_path):
    root = tmp_path / "output"
    (root / "archive" / "2023").mkdir(parents=True)
    (root / "2023").symlink_to(root / "archive" / "2023")
    with pytest.raises(UnsafeOutput, match="a symlink inside the output folder") as caught:
        write_outputs(root, Job("year", year_scope(2023)), {"bulletin.txt": b"y"})
    assert str(caught.value).startswith(f"{root / '2023'}: ") and "\n" not in str(caught.value)
    assert list((root / "archive" / "2023").iterdir()) == []


def test_a_symlink_anywhere_under_the_output_is_found(tmp_path):
    root = tmp_path / "output"
    (root / "2023" / "05").mkdir(parents=True)
    check_no_symlinks(root)
    (root / "2023" / "05" / "extra").symlink_to(tmp_path)
    with pytest.raises(UnsafeOutput, match="extra: a symlink that leads outside"):
        check_no_symlinks(root)


def test_the_output_root_may_itself_be_a_link(tmp_path):
    real = tmp_path / "real-output"
    real.mkdir()
    (tmp_path / "output").symlink_to(real)
    write_outputs(tmp_path / "output", Job("year", year_scope(2023)), {"bulletin.txt": b"y"})
    assert (real / "2023" / "year" / "bulletin.txt").is_file()


@pytest.mark.parametrize("part", ["..", "", ".", "a/b"])
def test_folder_parts_must_be_plain_names(tmp_path, part):
    with pytest.raises(UnsafeOutput):
        output_folder(tmp_path, ["2023", part])


def test_a_build_checks_its_output_paths_before_rendering(tmp_path):
    root, target = tmp_path / "output", tmp_path / "profile.rc"
    target.write_text("keep", encoding="utf-8")
    folder = output_folder(root, ["2023", "year"])
    (folder / "summary.json").symlink_to(target)
    job = Job("year", year_scope(2023))
    check_output(root, job, ["bulletin.html"])
    with pytest.raises(UnsafeOutput):
        check_output(root, job, ["bulletin.html", "summary.json"])
    assert target.read_text(encoding="utf-8") == "keep"
