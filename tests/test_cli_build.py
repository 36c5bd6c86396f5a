"""`reportgen build` and `reportgen demo` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.demo import load_sample
from reportgen.profile import load_profile
from reportgen.store import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli-build") / "sample.db"
    store = open_store(path)
    load_sample(store, load_profile("syrian-desert"))
    store.close()
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_build_one_month_writes_its_four_files(sample_db, tmp_path):
    out = tmp_path / "out"
    result = run("--db", str(sample_db), "build", "--period", "2023-06", "--output", str(out))
    assert result.exit_code == 0, result.output
    folder = out / "2023" / "06"
    assert sorted(p.name for p in folder.iterdir()) == ["bulletin.html", "bulletin.pdf", "bulletin.txt", "summary.json"]
    assert (folder / "bulletin.pdf").read_bytes().startswith(b"%PDF-")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["scope"]["key"] == "2023-06"
    assert f"stood at {summary['total_killed']}" in (folder / "bulletin.txt").read_text(encoding="utf-8")
    assert not any(p.name.endswith(".tmp") for p in folder.iterdir())
