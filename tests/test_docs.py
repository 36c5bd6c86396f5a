"""The documentation runs: every shell example of README.md and docs/*.md, against a scratch project.

Each command line of a fenced ``sh`` block (the lines after ``$`` in a ``console`` block; a
trailing backslash continues a line) runs with bash in a fresh temporary directory holding a
copy of the demo project: ``reportgen.db`` (the sample data and its revisions) and ``output/``
(its 2023 bulletins), both made once per session by ``reportgen demo``, with the repository's
``seeds/`` and ``tests/data/`` beside them, and the files that earlier blocks of the same page
name. ``reportgen`` is the one installed next to the running Python. A command must exit 0,
or with the status its comment gives (``# exits 1``).

Markers, HTML comments on the line before a fence (the rendered page does not show them):

- ``<!-- docs-test: skip KEY -->``: the block is not run, for one of the reasons in ``SKIPS``;
- ``<!-- docs-test: file NAME -->``: the block is the file NAME, for later blocks of the page;
- ``<!-- docs-test: file NAME imports -->``: the same, and the file imports into the demo database;
- ``<!-- docs-test: sequence -->``: the block's lines run one after another in one directory.

Each command's ``--help`` ends with examples, and each of them is run here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reportgen.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent  # the virtual environment's bin, where `reportgen` is

# Why a block is not run; keep this short.
SKIPS = {
    "install": "installs system packages or Python packages (setup.sh, pip); the tests run inside what it installed",
    "repository": "works on the repository itself (the test suite, ruff, the sample generator), not on a project",
    "project": "makes the demo project that every other example starts from: the test runs this very line once, first",
    "server": "serves until stopped (preview), or needs a server of its own (PostgreSQL, a Dask scheduler and workers)",
}

FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```$", re.M | re.S)
MARKER = re.compile(r"<!-- docs-test: (.*?) -->\s*$")
EXITS = re.compile(r"#.*\bexits ([0-9]+)\b")


@dataclass
class Block:
    page: str
    line: int
    lang: str
    text: str
    marker: str = ""

    @property
    def skip(self) -> str | None:
        m = re.fullmatch(r"skip (\w+)", self.marker)
        return m[1] if m else None

    @property
    def file(self) -> str | None:
        m = re.match(r"file (\S+)", self.marker)
        return m[1] if m else None

    @property
    def imports(self) -> bool:
        return bool(re.fullmatch(r"file \S+ imports", self.marker))

    def commands(self) -> list[tuple[int, str]]:
        """(line number in the page, command) for each command of a sh or console block."""
        found, pending, start = [], "", 0
        for n, raw in enumerate(self.text.splitlines(), self.line + 1):
            if self.lang == "console":
                if not pending and not raw.startswith("$ "):
                    continue
                raw = raw[2:] if not pending else raw
            if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
                continue
            start = start if pending else n
            pending += raw.rstrip()
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            found.append((start, pending.strip()))
            pending = ""
        return found


@dataclass
class Example:
    block: Block
    commands: list[tuple[int, str]]
    files: dict[str, str] = field(default_factory=dict)  # earlier file blocks of the page

    @property
    def id(self) -> str:
        return f"{self.block.page}:{self.commands[0][0]}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        found.append(Block(str(page.relative_to(ROOT)), line, m[1], m[2], marker[1] if marker else ""))
    return found


def collect() -> tuple[list[Example], list[Block]]:
    examples, files = [], []
    for page in PAGES:
        written: dict[str, str] = {}
        for block in blocks(page):
            if block.file:
                written[block.file] = block.text
                files.append(block)
            if block.lang not in ("sh", "console"):
                continue
            commands = block.commands()
            if block.marker == "sequence":
                examples.append(Example(block, commands, dict(written)))
            else:
                examples += [Example(block, [c], dict(written)) for c in commands]
    return examples, files


EXAMPLES, FILES = collect()


def test_every_marker_is_known():
    for page in PAGES:
        for block in blocks(page):
            assert block.marker in ("", "sequence") or block.file or block.skip in SKIPS, (block.page, block.line, block.marker)


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project every example starts from: database, built bulletins, the repository's data files."""
    where = tmp_path_factory.mktemp("demo-project")
    (make,) = [e for e in EXAMPLES if e.block.skip == "project"]
    run(make.commands[0][1], where, 0)
    (where / "tests").mkdir()
    (where / "seeds").symlink_to(ROOT / "seeds")
    (where / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    return where


def environment(cwd: Path) -> dict[str, str]:
    """The user's environment without reportgen's settings; `reportgen` from the virtual environment;
    temporary files inside the project."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTGEN_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    (cwd / ".tmp").mkdir(exist_ok=True)
    env["TMPDIR"] = str(cwd / ".tmp")
    return env


def run(command: str, cwd: Path, expected: int) -> subprocess.CompletedProcess:
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=environment(cwd), capture_output=True, text=True, timeout=600)
    assert done.returncode == expected, f"{command}\nexit status {done.returncode}, expected {expected}\n{done.stderr[-2000:]}"
    return done


def scratch(project: Path, tmp_path: Path, files: dict[str, str]) -> Path:
    where = tmp_path / "project"
    shutil.copytree(project, where, symlinks=True)
    for name, text in files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_text(text, encoding="utf-8")
    return where


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_shell_example_runs(example: Example, project: Path, tmp_path: Path):
    if example.block.skip:
        pytest.skip(f"{SKIPS[example.block.skip]}: {example.block.page}:{example.block.line}")
    where = scratch(project, tmp_path, example.files)
    for _, command in example.commands:
        expected = EXITS.search(command)
        run(command, where, int(expected[1]) if expected else 0)


@pytest.mark.parametrize("block", [b for b in FILES if b.imports], ids=lambda b: f"{b.page}:{b.line}")
def test_importable_example_imports(block: Block, project: Path, tmp_path: Path):
    where = scratch(project, tmp_path, {block.file: block.text})
    run(f"reportgen import {block.file}", where, 0)


def test_there_are_examples():
    assert len([e for e in EXAMPLES if not e.block.skip]) > 40
    assert [b for b in FILES if b.imports]


# -- the examples in each command's --help --------------------------------------------------------


def help_examples(command: click.Command) -> list[str]:
    epilog = command.epilog or ""
    assert epilog.startswith("Examples:"), f"{command.name}: --help has no Examples"
    return [line.strip() for line in epilog.splitlines()[1:] if line.strip() and line.strip() != "\b"]


COMMANDS = {"reportgen": main, **{name: command for name, command in main.commands.items()}}


@pytest.mark.parametrize("name", COMMANDS)
def test_help_ends_with_examples_that_the_docs_run(name: str):
    command = COMMANDS[name]
    shown = CliRunner().invoke(main, [*([] if command is main else [name]), "--help"]).output
    assert re.search(r"\n *Examples:\n\n( +reportgen .*\n)+$", shown), f"{name} --help does not end with examples"
    documented = {" ".join(c.split("#")[0].split()): e.block.skip for e in EXAMPLES for _, c in e.commands}
    for example in help_examples(command):
        assert example in documented, f"{name} --help: {example!r} is in no shell example of the docs"
        assert documented[example] in (None, "server"), f"{name} --help: {example!r} is documented but not run"


def test_the_readme_test_command_is_the_one_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/python -m pytest" in readme
    assert '"$VENV/bin/python" -m pytest' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
