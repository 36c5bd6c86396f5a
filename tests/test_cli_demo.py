"""`reportgen demo` fills the project's database and leads on to the other commands."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NEXT = ["reportgen tally --period 2023-06", "reportgen build", "reportgen preview"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, without reportgen's environment settings."""
    for key in ("DB", "PROFILE", "TEMPLATES", "OUTPUT"):
        monkeypatch.delenv(f"REPORTGEN_{key}", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _demo_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("reportgen-demo-*"))


def test_the_demo_fills_the_projects_database_and_the_next_commands_find_it(cli, project):
    before = _demo_folders()
    result = cli("demo")
    assert result.exit_code == 0, result.output
    assert (project / "reportgen.db").is_file() and (project / "output" / "2023" / "06" / "bulletin.pdf").is_file()
    assert "The demo's database is reportgen.db; next, try:" in result.stderr
    assert [line.strip() for line in result.stderr.splitlines()[-3:]] == NEXT
    tally = cli("tally", "--period", "2023-06")
    assert tally.exit_code == 0, tally.output
    assert tally.stdout.strip()
    assert _demo_folders() <= before  # nothing left in temporary folders

    again = cli("demo")
    assert again.exit_code == 0, again.output
    assert "reportgen.db already holds the demo's sample: kept as it is" in again.stderr
    assert f"Built 0 bulletins of 2023 into {project / 'output'}, 7 up to date" in again.stderr
    assert again.stdout == result.stdout
    assert cli("tally", "--period", "2023-06").stdout == tally.stdout


def test_the_demo_refuses_its_database_once_it_holds_other_data(cli, project):
    assert cli("demo", "--db", "demo.db", "-o", "demo-output").exit_code == 0
    revised = cli("--db", "demo.db", "revise", "2023-01-003", "--killed", "combatants=9", "--reason", "died of wounds")
    assert revised.exit_code == 0, revised.output
    result = cli("demo", "--db", "demo.db", "-o", "demo-output")
    assert result.exit_code == 1
    assert result.stderr == ("reportgen: error: demo.db: already holds data other than the demo's sample;"
                             " give the demo another database with --db FILE|URL\n")


def test_the_demo_names_its_database_in_the_next_commands_when_it_is_not_the_projects(cli, project):
    result = cli("demo", "--db", "demo.db", "-o", "demo-output")
    assert result.exit_code == 0, result.output
    assert [line.strip() for line in result.stderr.splitlines()[-3:]] == [
        "reportgen --db demo.db tally --period 2023-06", "reportgen --db demo.db build", "reportgen --db demo.db preview"]
    assert not (project / "reportgen.db").exists()
