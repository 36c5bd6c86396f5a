"""The tally and demo commands through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from stores import never_made, no_database, shown

from reportgen.cli import main
from reportgen.store import open_store


@pytest.fixture
def demo_db(sample_db):
    """The sample data as `reportgen demo` loads it (a SQLite file or, in the PostgreSQL run, a URL)."""
    return sample_db


@pytest.mark.slow
def test_demo_prints_the_tally_and_builds_the_year(db_path, tmp_path):
    result = CliRunner().invoke(main, ["demo", "--db", str(db_path), "--output", str(tmp_path / "output")])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Imported 151 illustrative incidents and 2 revisions into {shown(db_path)}\n")
    assert result.stdout.startswith("According to SOHR statistics")
    assert "since early 2023 has increased to 562;" in result.stdout
    assert (tmp_path / "output" / "2023" / "06" / "bulletin.pdf").is_file()
    assert (tmp_path / "output" / "2023" / "year" / "bulletin.pdf").is_file()
    store = open_store(db_path, create=False)
    assert (store.binding().name, store.schema_version()) == ("syrian-desert", 4)  # the demo's database knows its profile
    store.close()


def test_tally_prints_the_source_format(demo_db):
    result = CliRunner().invoke(main, ["--db", str(demo_db), "tally", "--year", "2023"])
    assert result.exit_code == 0
    assert result.output.startswith("According to SOHR statistics")
    assert "since early 2023 has increased to 562;" in result.output


def test_tally_json_is_the_summary(demo_db):
    result = CliRunner().invoke(main, ["--db", str(demo_db), "tally", "--year", "2023", "--format", "json"])
    data = json.loads(result.output)
    assert data["total_killed"] == 562
    assert data["scope"]["key"] == "2023"


def test_tally_as_of_uses_the_year_to_that_day(demo_db):
    result = CliRunner().invoke(main, ["--db", str(demo_db), "tally", "--year", "2023", "--as-of", "2023-06-25"])
    assert "has increased to 561;" in result.output


def test_db_from_environment(demo_db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPORTGEN_DB", str(demo_db))
    result = CliRunner().invoke(main, ["tally", "--period", "2023-06"])
    assert result.exit_code == 0
    assert "in June 2023 stood at" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tally", "--period", "June"], "expected YYYY-MM"),
        (["tally", "--year", "2023-06"], "--year '2023-06': expected YYYY"),
        (["tally", "--year", "2023", "--as-of", "2023-02-30"], "no such day"),
        (["tally"], "give one of --year"),
    ],
)
def test_bad_options_are_one_line_errors(demo_db, args, message):
    result = CliRunner().invoke(main, ["--db", str(demo_db), *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_database_is_not_created_by_a_read(db_path):
    result = CliRunner().invoke(main, ["--db", str(db_path), "tally", "--year", "2023"])
    assert result.exit_code == 1
    assert result.output.strip().endswith(no_database(db_path))
    assert never_made(db_path)


def test_the_demo_refuses_a_database_with_other_data(sample_location, tmp_path):
    before = CliRunner().invoke(main, ["--db", str(sample_location), "tally", "--year", "2023"]).stdout
    result = CliRunner().invoke(main, ["demo", "--db", str(sample_location), "--output", str(tmp_path / "output")])
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(f"{shown(sample_location)}: already holds data other than the demo's sample;"
                                          " give the demo another database with --db FILE|URL")
    assert not (tmp_path / "output").exists()
    assert CliRunner().invoke(main, ["--db", str(sample_location), "tally", "--year", "2023"]).stdout == before


def test_help_does_not_import_the_heavy_libraries():
    code = (
        "import sys; from reportgen.cli import main\n"
        "heavy = [m for m in ('pandas', 'weasyprint', 'altair', 'vl_convert') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    help_run = subprocess.run([sys.executable, "-m", "reportgen.cli", "--help"], capture_output=True, text=True)
    assert help_run.returncode == 0 and "tally" in help_run.stdout
