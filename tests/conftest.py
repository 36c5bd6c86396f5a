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

- ``databases``: more databases on the store of the run (``Databases``): another empty one, a
  copy, one built once for a module to read and copy, whether one was made, a digest of all it holds.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.demo import load_sample
from reportgen.profile import Profile, load_profile
from reportgen.store import Store, open_store

ON_POSTGRESQL = os.environ.get("REPORTGEN_TEST_STORE", "sqlite") == "postgresql"
STORE_FIXTURES = {"db_path", "store", "sample_db", "sample_store", "sample_location", "databases"}


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
        location = cluster.url(cluster.create_database("sample", template="sample_template"))
        request.getfixturevalue("databases").copied_from(location, "sample_template")
        return location
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


class Databases:
    """More databases than the fixtures hand out, on the store of this run, and what they hold.

    Each location is given as the path a SQLite file would have; on PostgreSQL that path is
    not used and a new database of the session's server stands in for it.
    """

    def __init__(self, cluster=None):
        self.cluster = cluster
        self._templates: dict[str, str] = {}  # a built database's location -> the template it was copied from

    def new(self, path: Path) -> Path | str:
        """An empty location, nothing made there yet: ``path``, or a new, empty server database."""
        if self.cluster is None:
            return path
        return self.cluster.url(self.cluster.create_database())

    def built(self, path: Path, fill: Callable[[Path | str], object]) -> Path | str:
        """A database that ``fill`` writes once (for a module to read, and to ``copy``). On PostgreSQL
        ``fill`` writes a template no test connects to (a copy's source must have no sessions)."""
        if self.cluster is None:
            fill(path)
            return path
        template = self.cluster.create_database()
        fill(self.cluster.url(template))
        location = self.cluster.url(self.cluster.create_database(template=template))
        self.copied_from(location, template)
        return location

    def copied_from(self, location: str, template: str) -> None:
        """Copies of the server database at ``location`` are made from ``template``, which holds the same
        and which no test connects to."""
        self._templates[location] = template

    def copy(self, source: Path | str, path: Path) -> Path | str:
        """A private, writable copy of the database at ``source``: the file copied to ``path``, or a new server database."""
        if self.cluster is None:
            shutil.copyfile(source, path)
            return path
        template = self._templates.get(str(source)) or sa.make_url(str(source)).database
        return self.cluster.url(self.cluster.create_database(template=template))

    @contextmanager
    def connect(self, location: Path | str, read_only: bool = False) -> Iterator[sa.Connection]:
        """A plain SQLAlchemy connection to the database, past reportgen (to look at it, or to spoil it)."""
        if self.cluster is None:
            uri = f"{Path(location).resolve().as_uri()}?mode={'ro' if read_only else 'rwc'}"
            engine = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=sa.pool.NullPool)
        else:
            url = sa.make_url(str(location)).set(drivername="postgresql+psycopg")
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()

    def made(self, location: Path | str) -> bool:
        """Whether anything made a database at ``location``: a file, or on PostgreSQL (where the
        database itself is the administrator's) any table in it."""
        from stores import never_made

        return not never_made(location)

    def content(self, location: Path | str) -> str:
        """A digest of all the database holds: each table's (and view's) columns, keys and indexes, and every row."""
        import hashlib

        parts = []
        with self.connect(location, read_only=True) as conn:
            found = sa.MetaData()
            found.reflect(conn, views=True)  # all tables at once: a few catalog queries, not a few per table
            for table in sorted(found.tables.values(), key=lambda t: t.name):
                columns = [(c.name, str(c.type), c.nullable, str(c.server_default and c.server_default.arg)) for c in table.c]
                indexes = sorted((i.name, [c.name for c in i.columns], i.unique) for i in table.indexes)
                keys = sorted(f"{k.parent.name} -> {k.target_fullname}" for k in table.foreign_keys)
                parts.append(repr((table.name, columns, [c.name for c in table.primary_key], indexes, keys)))
                parts += [repr(tuple(row)) for row in conn.execute(sa.select(table).order_by(*table.c))]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@pytest.fixture(scope="session")
def databases(request: pytest.FixtureRequest) -> Databases:
    return Databases(request.getfixturevalue("pg_cluster") if ON_POSTGRESQL else None)


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
