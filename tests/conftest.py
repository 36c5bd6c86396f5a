"""Shared fixtures: the default profile, real SQLite stores and the CLI runner.

- ``profile``: the shipped Syrian-desert profile (loaded once per session; it is frozen).
- ``db_path``: where a test's database file goes (``tmp_path/reportgen.db``, not created).
- ``store``: an empty store in a real SQLite file under ``tmp_path``, closed afterwards.
- ``sample_db``: a database file holding the bundled 2023 sample data (incidents
  and revisions, through ``reportgen.demo.load_sample``), built once per session.
  Read-only: copy it (``sample_store`` does) before writing.
- ``sample_location``: a private copy of ``sample_db`` (a file under ``tmp_path``), not opened:
  what ``--db`` takes; a test may write to it freely.
- ``sample_store``: ``sample_location`` opened.
- ``cli``: runs the real ``reportgen`` entry point in-process (click's CliRunner)
  and returns the result; ``result.stdout`` and ``result.stderr`` are kept apart.

With ``REPORTGEN_TEST_STORE=postgresql`` the database fixtures hand out PostgreSQL
instead: ``db_path`` is the URL of a fresh, empty database on a throwaway server
(``pg_cluster``, started once per session), ``sample_db`` the URL of a database
loaded once with the sample data, and ``sample_location`` the URL of a copy of it
(``CREATE DATABASE ... TEMPLATE``). Tests marked ``sqlite_file`` test the SQLite file
itself and are left out of the PostgreSQL run. ``pg_cluster`` itself serves the tests that
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
STORE_FIXTURES = {"db_path", "store", "sample_db", "sample_store", "sample_location"}
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL run: the tests that get their database from the fixtures, and only those
    (the others would repeat the SQLite run), but for those marked ``sqlite_file``: they test
    the SQLite file itself (its journal mode, its permissions, a damaged file)."""
    if not ON_POSTGRESQL:
        return
    keep, left_out = [], []
    for item in items:
        follows = STORE_FIXTURES & set(getattr(item, "fixturenames", ()))
        (keep if follows and not item.get_closest_marker("sqlite_file") else left_out).append(item)
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
def sample_location(sample_db: Path | str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """A private, writable copy of the sample database, as ``--db`` takes it (a path or a URL)."""
    if ON_POSTGRESQL:
        cluster = request.getfixturevalue("pg_cluster")
        return cluster.url(cluster.create_database(template="sample_template"))
    copy = tmp_path / "sample.db"
    shutil.copyfile(sample_db, copy)
    return copy


@pytest.fixture
def sample_store(sample_location: Path | str) -> Iterator[Store]:
    opened = open_store(sample_location, create=False)
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
