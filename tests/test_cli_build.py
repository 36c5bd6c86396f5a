"""`reportgen build` and `reportgen demo` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from stores import never_made, no_database

pytestmark = pytest.mark.slow

FILES = ["bulletin.html", "bulletin.pdf", "bulletin.txt", "summary.json"]


def test_build_one_month_writes_its_four_files(cli, sample_db, tmp_path):
    out = tmp_path / "out"
    result = cli("--db", sample_db, "build", "--period", "2023-06", "--output", out)
    assert result.exit_code == 0, result.output
    folder = out / "2023" / "06"
    assert sorted(p.name for p in folder.iterdir()) == FILES
    assert (folder / "bulletin.pdf").read_bytes().startswith(b"%PDF-")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["scope"]["key"] == "2023-06"
    assert f"stood at {summary['total_killed']};" in (folder / "bulletin.txt").read_text(encoding="utf-8")
    assert str(folder) in result.stderr
    assert sorted(out.iterdir()) == [out / "2023", out / "reportgen-manifest.json"]
    assert list((out / "2023").iterdir()) == [folder]


def test_build_a_year_as_of_a_day_with_a_progress_report(cli, sample_db, tmp_path):
    out = tmp_path / "out"
    result = cli("--db", sample_db, "build", "--year", "2023", "--as-of", "2023-02-15", "--output", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "2023").iterdir()) == ["01", "02", "year"]
    assert all(sorted(p.name for p in (out / "2023" / f).iterdir()) == FILES for f in ("01", "02", "year"))
    assert [line for line in result.stderr.splitlines() if line.endswith("/")] == [
        f"{out}/2023/01/", f"{out}/2023/02/", f"{out}/2023/year/"]
    html = (out / "2023" / "02" / "bulletin.html").read_text(encoding="utf-8")
    assert "figures as recorded by 2023-02-15" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2023-13"], "month must be 01-12"),
        (["--period", "junk"], "expected YYYY-MM"),
        (["--period", "../../x"], "expected YYYY-MM"),
        (["--period", "2022-06"], "no incidents recorded in June 2022"),
        (["--year", "1850"], "out of range"),
        (["--all", "--period", "2023-06"], "not several"),
        (["--period", "2023-06", "--as-of", "26/06/2023"], "--as-of '26/06/2023': expected YYYY-MM-DD"),
    ],
)
def test_bad_periods_are_one_line_errors_and_write_nothing(cli, sample_db, tmp_path, args, message):
    out = tmp_path / "out"
    result = cli("--db", sample_db, "build", *args, "--output", out)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("reportgen: error: ")
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_missing_database_is_a_one_line_error(cli, db_path, tmp_path):
    result = cli("--db", db_path, "build", "--output", tmp_path / "out")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.strip().endswith(no_database(db_path))
    assert never_made(db_path) and not (tmp_path / "out").exists()


def test_build_refuses_a_symlink_under_output_that_leads_outside(cli, sample_db, tmp_path):
    out, outside = tmp_path / "output", tmp_path / "home"
    out.mkdir()
    outside.mkdir()
    (out / "2023").symlink_to(outside)
    result = cli("--db", sample_db, "build", "--period", "2023-06", "--output", out)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "symlink" in result.stderr
    assert list(outside.iterdir()) == []


def test_demo_builds_the_sample_year_says_where_and_prints_the_tally(cli, db_path, tmp_path):
    out = tmp_path / "output"
    result = cli("demo", "--db", db_path, "--output", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "2023").iterdir()) == ["01", "02", "03", "04", "05", "06", "year"]
    assert f"Built 7 bulletins of 2023 into {out}" in result.stderr
    assert result.stdout.startswith("According to SOHR statistics") and "has increased to 562;" in result.stdout
    assert (out / "2023" / "year" / "bulletin.pdf").read_bytes().startswith(b"%PDF-")


def test_the_cli_does_not_import_the_rendering_libraries_until_a_command_needs_them():
    code = "import sys, reportgen.cli; print(sorted(m for m in ('weasyprint', 'vl_convert', 'altair', 'pandas') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
