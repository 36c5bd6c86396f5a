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
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.demo import load_sample
from reportgen.profile import Profile, load_profile
from reportgen.store import Store, open_store


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile("syrian-desert")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "reportgen.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = open_store(db_path)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory, profile: Profile) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    built = open_store(path)
    load_sample(built, profile)
    built.close()  # the last connection closing folds the WAL into the file, so a copy is whole
    return path


@pytest.fixture
def sample_store(sample_db: Path, tmp_path: Path) -> Iterator[Store]:
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
