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
