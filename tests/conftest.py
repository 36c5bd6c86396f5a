"""Shared fixtures: the default profile, real SQLite stores and the CLI runner.

- ``profile``: the shipped Syrian-desert profile (loaded once per session; it is frozen).
- ``db_path``: where a test's database file goes (``tmp_path/reportgen.db``, not created).
- ``store``: an empty store in a real SQLite file under ``tmp_path``, closed afterwards.
- ``sample_db``: a database file holding the bundled 2023 sample data (incidents
  and revisions, through ``reportgen.demo.load_sample``), built once per session.
  Read-only: copy it (``sample_store`` does) before writing.
- ``sample_store``: a private copy of ``sample_db`` under ``tmp_path``, opened; a test
  may write to it freely.
- ``cli``: runs the real ``reportgen`` entry point in-process (click's CliRunner)
  and returns the result; ``result.stdout`` and ``result.stderr`` are kept apart.

With ``REPORTGEN_TEST_STORE=postgresql`` the database fixtures hand out PostgreSQL
instead: ``db_path`` is the URL of a fresh, empty database on a throwaway server
(``pg_cluster``, started once per session), ``sample_db`` the URL of a database
loaded once with the sample data, and ``sample_store`` an opened copy of it
(``CREATE DATABASE ... TEMPLATE``). ``pg_cluster`` itself serves the tests that
always need PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.demo import load_sample
from reportgen.profile import Profile, load_profile
from reportgen.store import Store, open_store

ON_POSTGRESQL = os.environ.get("REPORTGEN_TEST_STORE", "sqlite") == "postgresql"
STORE_FIXTURES = {"db_path", "store", "sample_db", "sample_store"}
# Tests that take a database from the fixtures above but then reach for the SQLite file
# itself (sqlite3 on it, a copy of it, the file's existence): they cannot follow the
# switch to PostgreSQL and are left out of the PostgreSQL run until they do.
SQLITE_FILE_TESTS = {
    "tests/test_asof.py::" + name for name in (
        "test_a_revision_recorded_later_is_undone", "test_an_incident_recorded_after_the_as_of_day_is_left_out",
        "test_as_of_today_is_the_current_state", "test_summaries_either_side_of_the_revision_differ_by_one_death")
} | {
    "tests/test_cli_import.py::" + name for name in (
        "test_a_file_named_for_another_format_is_one_line", "test_a_valid_file_imports_and_a_second_import_adds_nothing",
        "test_arabic_text_and_markup_are_data", "test_bad_input_is_one_line_naming_file_line_and_field_and_changes_nothing",
        "test_files_are_each_all_or_nothing", "test_reimporting_the_sample_after_its_revision_adds_nothing",
        "test_sql_in_a_place_name_round_trips_as_text", "test_the_installed_script_prints_one_line_and_no_traceback",
        "test_the_csv_and_json_forms_of_one_incident_are_the_same_record", "test_an_id_stored_with_other_values_is_refused",
        "test_a_bom_prefixed_header_imports", "test_format_option_reads_a_file_of_any_name")
} | {
    "tests/test_cli_parse.py::" + name for name in (
        "test_check_against_the_database", "test_every_built_bulletin_text_reads_back_and_checks_clean",
        "test_generated_tally_checks_clean_against_its_database", "test_seed_is_recognised_as_the_shajiry_update_already_applied")
} | {
    "tests/test_store.py::" + name for name in (
        "test_a_database_reportgen_cannot_read_is_one_line_through_the_cli",
        "test_a_database_reportgen_cannot_read_is_refused_by_the_library",
        "test_a_new_database_records_its_schema_version_and_runs_in_wal_mode",
        "test_reading_a_missing_database_does_not_create_it", "test_the_date_filter_uses_the_index")
}
SQLITE_FILE_MODULES = {"test_cli_revise.py", "test_notice.py", "test_preview.py", "test_preview_browser.py"}  # their fixtures copy the file


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL run: the tests that get their database from the fixtures, and only those
    (the others would repeat the SQLite run)."""
    if not ON_POSTGRESQL:
        return
    keep, left_out = [], []
    for item in items:
        follows = STORE_FIXTURES & set(getattr(item, "fixturenames", ()))
        on_file = item.nodeid.split("[")[0] in SQLITE_FILE_TESTS or item.path.name in SQLITE_FILE_MODULES
        (keep if follows and not on_file else left_out).append(item)
    config.hook.pytest_deselected(items=left_out)
    items[:] = keep


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile("syrian-desert")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator:
    """A throwaway PostgreSQL server for this test session (see ``pg_cluster.py``)."""
    from pg_cluster import Cluster

    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def db_path(tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    if ON_POSTGRESQL:
        cluster = request.getfixturevalue("pg_cluster")
        return cluster.url(cluster.create_database())
    return tmp_path / "reportgen.db"


@pytest.fixture
def store(db_path: Path | str) -> Iterator[Store]:
    opened = open_store(db_path)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory, profile: Profile, request: pytest.FixtureRequest) -> Path | str:
    if ON_POSTGRESQL:  # built as a template no test connects to (a copy's source must have no sessions)
        cluster = request.getfixturevalue("pg_cluster")
        built = open_store(cluster.url(cluster.create_database("sample_template")))
        load_sample(built, profile)
        built.close()
        return cluster.url(cluster.create_database("sample", template="sample_template"))
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    built = open_store(path)
    load_sample(built, profile)
    built.close()  # the last connection closing folds the WAL into the file, so a copy is whole
    return path


@pytest.fixture
def sample_store(sample_db: Path | str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    if ON_POSTGRESQL:
        cluster = request.getfixturevalue("pg_cluster")
        copy = cluster.url(cluster.create_database(template="sample_template"))
    else:
        copy = tmp_path / "sample.db"
        shutil.copyfile(sample_db, copy)
    opened = open_store(copy, create=False)
    yield opened
    opened.close()


@pytest.fixture
def cli() -> Callable[..., Result]:
    """``cli("--db", path, "import", file)``: the command's result (arguments may be paths)."""

    def run(*args: object, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], env=env)

    return run


class LoopbackListener:
    """A real TCP listener on a free 127.0.0.1 port that counts the connections it accepts."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while self._running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._running = False
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[LoopbackListener]:
    """``listener.url`` / ``listener.port``: a loopback server; ``listener.connections`` counts who came."""
    server = LoopbackListener()
    yield server
    server.close()
