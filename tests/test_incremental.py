"""Incremental builds in Sphinx's manner: build, change one thing, assert exactly what was built again.

The sample year is built once per module (``built``); each test works on a copy of that output
(times kept, so the manifest's record of the files still holds) and of the database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from reportgen.build import build
from reportgen.build.jobs import plan_jobs
from reportgen.build.manifest import MANIFEST_NAME, load_manifest
from reportgen.build.plan import plan_build, plan_lines, strays_among
from reportgen.build.reasons import FORCED, NEW, PROFILE, SETTINGS, TEMPLATES, VERSION
from reportgen.build.run import run_build
from reportgen.demo import load_sample
from reportgen.errors import ReportgenError
from reportgen.files import UnsafeOutput, output_lock
from reportgen.profile import load_profile
from reportgen.render import OUTPUT_NAMES, RenderSettings
from reportgen.revise import parse_changes, revise
from reportgen.store import open_store
from reportgen.wording import SHIPPED_TEMPLATES

REPORTGEN = [sys.executable, "-m", "reportgen.cli"]  # the command, in a process of its own
FOLDERS = ["2023/01", "2023/02", "2023/03", "2023/04", "2023/05", "2023/06", "2023/year"]
slow = pytest.mark.slow


@pytest.fixture(scope="module")
def built(sample_db, profile, tmp_path_factory) -> Path:
    """The sample year built once, with its manifest."""
    out = tmp_path_factory.mktemp("built") / "out"
    store = open_store(sample_db, create=False)
    try:
        build(store, profile, plan_jobs(store), out, RenderSettings(profile))
    finally:
        store.close()
    return out


@pytest.fixture
def out(built, tmp_path) -> Path:
    """A copy of the built sample year (file times kept)."""
    copy = tmp_path / "out"
    shutil.copytree(built, copy)
    return copy


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under ``root`` but the manifest: inode, modification time and bytes."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MANIFEST_NAME:
            st = path.stat()
            found[path.relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns, path.read_bytes())
    return found


def plan(store, profile, out, settings=None, **options):
    return plan_build(store, profile, plan_jobs(store), out, settings or RenderSettings(profile), **options)


def todo(found) -> list[tuple[str, list[str]]]:
    return [(step.folder, step.reasons) for step in found.todo]


def revise_one(store, profile, incident: str, killed: str, injured: str, recorded: str, reason: str = "died of wounds"):
    revise(store, profile, incident, parse_changes([killed], [injured] if injured else []), reason, recorded_at=recorded)


# -- nothing changed -------------------------------------------------------------------------------


def test_the_first_build_records_every_bulletin_and_no_database_location(built, sample_db):
    text = (built / MANIFEST_NAME).read_text(encoding="utf-8")
    body = json.loads(text)
    assert body["format"] == 1 and sorted(body["bulletins"]) == FOLDERS
    assert str(sample_db) not in text and Path(str(sample_db)).name not in text
    june = body["bulletins"]["2023/06"]
    assert sorted(june["files"]) == sorted(OUTPUT_NAMES) and june["notes"] == []


def test_a_build_with_nothing_changed_builds_nothing_and_writes_nothing(sample_store, profile, out):
    before, manifest = snapshot(out), (out / MANIFEST_NAME).read_bytes()
    found = plan(sample_store, profile, out)
    assert todo(found) == [] and plan_lines(found) == ["7 unchanged"]
    assert run_build(sample_store, profile, found, out, RenderSettings(profile)) == []
    assert snapshot(out) == before and (out / MANIFEST_NAME).read_bytes() == manifest


# -- one revision ---------------------------------------------------------------------------------


@slow
@pytest.mark.parametrize(("incident", "killed", "injured", "recorded", "expected"), [
    # June's figures, and the year's
    ("2023-06-018", "combatants=8", "combatants=4", "2023-06-27", ["2023/06", "2023/year"]),
    # April's figures, and every later month's year to date (May also compares with April)
    ("2023-04-009", "combatants=4", "", "2023-04-20", ["2023/04", "2023/05", "2023/06", "2023/year"]),
])
def test_one_revision_rebuilds_exactly_the_bulletins_whose_figures_changed(sample_store, profile, out, incident, killed,
                                                                             injured, recorded, expected):
    before = snapshot(out)
    revise_one(sample_store, profile, incident, killed, injured, recorded)
    found = plan(sample_store, profile, out)
    assert todo(found) == [(folder, ["data"]) for folder in expected]
    assert plan_lines(found)[-1] == f"{7 - len(expected)} unchanged"
    built = run_build(sample_store, profile, found, out, RenderSettings(profile))
    assert [b.job.folder for b in built] == [tuple(f.split("/")) for f in expected]

    after = snapshot(out)
    untouched = {name: v for name, v in before.items() if name.rsplit("/", 1)[0] not in expected}
    assert {name: after[name] for name in untouched} == untouched  # same inode, time and bytes
    for folder in expected:
        for name in OUTPUT_NAMES:  # the published version kept beside the new one, byte for byte
            assert after[f"{folder}/versions/v1/{name}"][2] == before[f"{folder}/{name}"][2]
            assert after[f"{folder}/{name}"][0] != before[f"{folder}/{name}"][0]
    assert sorted(set(after) - set(before)) == sorted(f"{f}/versions/v1/{n}" for f in expected for n in OUTPUT_NAMES)
    assert plan(sample_store, profile, out).todo == []


@slow
def test_the_revised_box_says_what_changed_and_why_and_stays_through_later_versions(sample_store, profile, out):
    revise_one(sample_store, profile, "2023-06-018", "combatants=8", "combatants=4", "2023-06-27")
    run_build(sample_store, profile, plan(sample_store, profile, out), out, RenderSettings(profile))
    june = (out / "2023/06/bulletin.html").read_text(encoding="utf-8")
    box = june[june.index('<aside class="revised"'):june.index("</aside>")]
    text = " ".join(_text(box).split())
    assert "Changed in June 2023: Deir Ezzor desert combatants 22 → 23; members of regime forces and their proxy" \
           " militias 42 → 43; total 60 → 61." in text
    assert "Changed since 1 January: Deir Ezzor desert combatants 139 → 140;" in text and "total 562 → 563." in text
    assert "Al-Bukamal, 2023-06-22: combatants killed 7 → 8, injured 5 → 4: died of wounds (recorded 2023-06-27)" in text
    assert "kept beside this one as versions/v1/" in text
    year = _text((out / "2023/year/bulletin.html").read_text(encoding="utf-8"))
    assert "Changed in 2023: Deir Ezzor desert combatants 139 → 140;" in " ".join(year.split())
    assert 'class="revised"' not in (out / "2023/05/bulletin.html").read_text(encoding="utf-8")
    assert "Al-Bukamal, 2023-06-22" in _pdf_text(out / "2023/06/bulletin.pdf")

    revise_one(sample_store, profile, "2023-06-011", "civilians=2", "", "2023-06-29", "found under rubble")
    run_build(sample_store, profile, plan(sample_store, profile, out), out, RenderSettings(profile))
    june = " ".join(_text((out / "2023/06/bulletin.html").read_text(encoding="utf-8")).split())
    assert june.index("found under rubble") < june.index("kept beside this one as versions/v1/")  # newest first
    assert "kept beside this one as versions/v2/" in june and "died of wounds" in june
    assert sorted(os.listdir(out / "2023/06/versions")) == ["v1", "v2"]

    settings = RenderSettings(profile, organisation="Another Observatory")  # a rebuild with the same figures
    assert todo(plan(sample_store, profile, out, settings)) == [(f, [SETTINGS]) for f in FOLDERS]
    found = plan(sample_store, profile, out, settings)
    run_build(sample_store, profile, replace(found, steps=[s for s in found.steps if s.folder == "2023/06"]), out, settings)
    june = " ".join(_text((out / "2023/06/bulletin.html").read_text(encoding="utf-8")).split())
    assert "found under rubble" in june and "died of wounds" in june and "versions/v3/" not in june


def _text(html: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


@slow
def test_a_forced_build_writes_only_files_whose_content_changed(sample_store, profile, out):
    before = snapshot(out)
    found = plan(sample_store, profile, out, force=True)
    assert todo(found) == [(f, [FORCED]) for f in FOLDERS]
    built = run_build(sample_store, profile, replace(found, steps=found.steps[:1]), out, RenderSettings(profile))
    assert built[0].paths == [] and snapshot(out) == before  # same data, same day: the same bytes, nothing written


# -- other inputs ------------------------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_template_change_rebuilds_the_bulletins_that_use_it(sample_store, profile, out, tmp_path):
    user = tmp_path / "my-templates"
    settings = RenderSettings(profile, templates=str(user))
    write(user / "html/notice.html.j2", "a notice is no bulletin")
    assert todo(plan(sample_store, profile, out, settings)) == []
    write(user / "html/year.html.j2", '{% extends "default:html/year.html.j2" %}{% block kicker %}Annual{% endblock %}')
    assert todo(plan(sample_store, profile, out, settings)) == [("2023/year", [TEMPLATES])]
    write(user / "text/tally.txt.j2", "{{ summary.total_killed }}\n")
    assert todo(plan(sample_store, profile, out, settings)) == [(f, [TEMPLATES]) for f in FOLDERS]
    assert plan_lines(plan(sample_store, profile, out, settings))[0] == "2023/01: templates changed"


def test_the_profile_the_settings_and_the_version_are_inputs(sample_store, profile, out, tmp_path, monkeypatch):
    copy = tmp_path / "profile.toml"
    copy.write_text(Path(profile.path).read_text(encoding="utf-8") + "\n# reworded\n", encoding="utf-8")
    assert todo(plan(sample_store, load_profile(str(copy)), out)) == [(f, [PROFILE]) for f in FOLDERS]
    settings = RenderSettings(profile, organisation="Another Observatory")
    assert plan_lines(plan(sample_store, profile, out, settings))[0] == "2023/01: settings changed"
    monkeypatch.setattr("reportgen.build.fingerprints.__version__", "99.0")
    assert plan_lines(plan(sample_store, profile, out))[0] == "2023/01: reportgen version changed"
    assert todo(plan(sample_store, profile, out))[0][1] == [VERSION]


def test_files_deleted_or_edited_since_the_build_are_built_again(sample_store, profile, out):
    (out / "2023/02/bulletin.pdf").unlink()
    (out / "2023/03/bulletin.html").write_text("edited", encoding="utf-8")
    os.utime(out / "2023/04/bulletin.txt", ns=(1, 1))  # touched only: not a change
    lines = plan_lines(plan(sample_store, profile, out))
    assert lines == ["2023/02: file missing (bulletin.pdf)",
                     "2023/03: file changed since it was written (bulletin.html)", "5 unchanged"]
    (out / "2023/02/bulletin.txt").unlink()
    (out / "2023/03/bulletin.txt").write_text("edited", encoding="utf-8")
    assert plan_lines(plan(sample_store, profile, out))[:2] == [
        "2023/02: files missing (bulletin.pdf, bulletin.txt)",
        "2023/03: files changed since they were written (bulletin.html, bulletin.txt)"]


def test_without_a_usable_manifest_everything_is_built_again(sample_store, profile, out):
    (out / MANIFEST_NAME).write_text('{"format": 0}', encoding="utf-8")
    lines = plan_lines(plan(sample_store, profile, out))
    assert lines[0] == f"{out / MANIFEST_NAME}: format 0, this reportgen writes format 1: building everything again"
    assert lines[1:] == [f"{f}: new" for f in FOLDERS] + ["0 unchanged"]
    (out / MANIFEST_NAME).unlink()
    assert todo(plan(sample_store, profile, out)) == [(f, [NEW]) for f in FOLDERS]


def _malformed(out: Path, **changes) -> str:
    """The manifest under ``out`` with June's entry changed by ``changes``."""
    body = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    body["bulletins"]["2023/06"].update(changes)
    return json.dumps(body)


@slow
@pytest.mark.parametrize(("manifest", "rebuilt"), [
    (lambda out: '{"format": 1, "bulletins": []}', FOLDERS),
    (lambda out: _malformed(out, revisions=5), ["2023/06"]),
    (lambda out: _malformed(out, running="x"), ["2023/06"]),
    (lambda out: _malformed(out, notes=[{"generated": 1}]), ["2023/06"]),
    (lambda out: _malformed(out, stats={"bulletin.html": None}), ["2023/06"]),
])
def test_a_malformed_manifest_is_treated_as_unreadable_and_the_bulletins_built_again(cli, sample_db, out, manifest,
                                                                                     rebuilt):
    (out / MANIFEST_NAME).write_text(manifest(out), encoding="utf-8")
    done = cli("--db", sample_db, "build", "--output", out)
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{out / MANIFEST_NAME}: ") and "malformed" in lines[0]
    assert lines[1:] == [f"{f}: new" for f in rebuilt] + [f"{len(FOLDERS) - len(rebuilt)} unchanged"]
    again = cli("--db", sample_db, "build", "--output", out)
    assert again.stdout == "7 unchanged\n" and load_manifest(out).problem == ""


def test_rows_that_changed_without_changing_the_summaries_build_nothing(sample_store, profile, out):
    body = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    real = body["bulletins"]["2023/03"]["sources"]
    body["bulletins"]["2023/03"]["sources"] = "0" * 64
    (out / MANIFEST_NAME).write_text(json.dumps(body), encoding="utf-8")
    before = snapshot(out)
    found = plan(sample_store, profile, out)
    assert todo(found) == []
    assert run_build(sample_store, profile, found, out, RenderSettings(profile)) == [] and snapshot(out) == before
    assert load_manifest(out).entry(("2023", "03")).sources == real


def test_outputs_of_periods_without_data_are_reported_and_left_in_place(sample_store, profile, out):
    write(out / "2019/03/bulletin.txt", "an old month")
    found = plan(sample_store, profile, out, strays=strays_among(plan_jobs(sample_store), everything=True))
    assert found.strays == ["2019/03"]
    assert "2019/03: no such bulletin in the data any more; its files are left in place" in plan_lines(found)
    run_build(sample_store, profile, found, out, RenderSettings(profile))
    assert (out / "2019/03/bulletin.txt").read_text(encoding="utf-8") == "an old month"
    one_year = plan(sample_store, profile, out, strays=strays_among(plan_jobs(sample_store, year="2023"), everything=False))
    assert one_year.strays == []


# -- safety --------------------------------------------------------------------------------------------


def test_a_manifest_symlinked_outside_is_never_written_through(sample_store, profile, out, tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("keep me", encoding="utf-8")
    (out / MANIFEST_NAME).unlink()
    (out / MANIFEST_NAME).symlink_to(target)
    before = snapshot(out)
    with pytest.raises(UnsafeOutput, match="leads outside"):
        run_build(sample_store, profile, plan(sample_store, profile, out), out, RenderSettings(profile))
    assert target.read_text(encoding="utf-8") == "keep me" and snapshot(out) == before


def test_a_versions_folder_symlinked_outside_is_refused_before_rendering(sample_store, profile, out, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (out / "2023/06/versions").symlink_to(outside)
    found = plan(sample_store, profile, out, force=True)
    with pytest.raises(UnsafeOutput, match="leads outside"):
        run_build(sample_store, profile, found, out, RenderSettings(profile))
    assert list(outside.iterdir()) == []


def test_a_bulletin_folder_linked_to_another_is_refused_in_one_line(cli, sample_db, out):
    may = snapshot(out / "2023" / "05")
    shutil.rmtree(out / "2023" / "06")
    (out / "2023" / "06").symlink_to("05")  # ln -s 05 output/2023/06
    done = cli("--db", sample_db, "build", "--output", out)
    assert done.exit_code == 1
    assert done.stderr.startswith(f"reportgen: error: {out / '2023' / '06'}: a symlink inside the output folder")
    assert len(done.stderr.splitlines()) == 1
    assert snapshot(out / "2023" / "05") == may


def test_one_build_at_a_time_per_output_folder(sample_store, profile, out):
    found = plan(sample_store, profile, out, force=True)
    with output_lock(out), pytest.raises(ReportgenError, match="another build is writing there"):
        run_build(sample_store, profile, found, out, RenderSettings(profile))


# -- through the command ---------------------------------------------------------------------------


@pytest.fixture
def database(store, profile, db_path):
    """A fresh database of the sample data (a file, or a PostgreSQL URL), which a test may revise."""
    load_sample(store, profile)
    return db_path


@slow
def test_the_command_lists_what_it_builds_and_why_and_a_dry_run_writes_nothing(cli, database, store, profile, out):
    revise_one(store, profile, "2023-06-018", "combatants=8", "combatants=4", "2023-06-27")
    before, manifest = snapshot(out), (out / MANIFEST_NAME).read_bytes()
    dry = cli("--db", database, "build", "--output", out, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == ["2023/06: data changed", "2023/year: data changed", "5 unchanged"]
    assert snapshot(out) == before and (out / MANIFEST_NAME).read_bytes() == manifest
    done = cli("--db", database, "build", "--output", out)
    assert done.exit_code == 0, done.output
    assert done.stdout == dry.stdout
    assert [line for line in done.stderr.splitlines() if line.endswith("/")] == [f"{out}/2023/06/", f"{out}/2023/year/"]
    again = cli("--db", database, "build", "--output", out)
    assert again.stdout == "7 unchanged\n" and again.stderr == ""
    forced = cli("--db", database, "build", "--period", "2023-05", "--output", out, "--force", "--dry-run")
    assert forced.stdout.splitlines() == ["2023/05: forced", "0 unchanged"]


def test_a_build_with_nothing_to_do_imports_no_rendering_library(sample_db, out):
    code = (
        "import sys\n"
        "from reportgen.cli import main\n"
        "try:\n"
        f"    main(['--db', {str(sample_db)!r}, 'build', '--output', {str(out)!r}])\n"
        "except SystemExit as end:\n"
        "    assert not end.code, end.code\n"
        "print(sorted(m for m in ('weasyprint', 'altair', 'vl_convert') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["7 unchanged", "[]"], done.stderr


@slow
@pytest.mark.parametrize("stage", ["first build", "rebuild"])
def test_a_build_killed_half_way_leaves_earlier_outputs_and_the_manifest_usable(database, profile, out, tmp_path, stage):
    """A real ``reportgen build`` killed with SIGKILL once its first bulletin's files start to appear."""
    config = tmp_path / "reportgen.toml"
    if stage == "first build":  # only January was built before: the others are new
        shutil.rmtree(out)
        store = open_store(database, create=False)
        build(store, profile, plan_jobs(store, period="2023-01"), out, RenderSettings(profile))
        store.close()
        config.write_text("", encoding="utf-8")
        watched = out / "2023/02/bulletin.html"
    else:  # a style every bulletin uses changes: each is built again and its version kept
        css = (SHIPPED_TEMPLATES / "css/print.css").read_text(encoding="utf-8")
        write(tmp_path / "my-templates/css/print.css", css + "\n/* reworded */\n")
        config.write_text(f'templates = "{tmp_path / "my-templates"}"\n', encoding="utf-8")
        watched = out / "2023/01/versions/v1"
    before, earlier = snapshot(out), load_manifest(out).entries
    command = [*REPORTGEN, "--config", str(config), "--db", str(database), "build", "--output", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not watched.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the build ended before it could be killed"

    manifest = load_manifest(out)
    assert manifest.problem == ""  # the manifest reads
    done = {f for f, e in manifest.entries.items() if f not in earlier or e.inputs != earlier[f].inputs}
    remaining = [f for f in FOLDERS if f not in done and (stage == "rebuild" or f not in earlier)]
    assert remaining, "the build was not stopped half way"
    after = snapshot(out)
    outputs = {name: data for name, (_, _, data) in after.items() if not name.rsplit("/", 1)[-1].startswith(".")}
    assert [name for name, data in outputs.items() if not _whole(name, data)] == []  # each the old one or the new one
    assert set(before) <= set(after)  # nothing published was lost
    if stage == "first build":
        assert {name: after[name] for name in before} == before  # earlier outputs untouched
    assert all(p.name.startswith(".") and p.name.endswith(".tmp") for p in out.rglob("*")
               if p.is_file() and p.name != MANIFEST_NAME and p.name not in OUTPUT_NAMES)

    finish = subprocess.run(command, capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr
    assert [line.split(":")[0] for line in finish.stdout.splitlines()[:-1]] == remaining
    assert finish.stdout.splitlines()[-1] == f"{len(FOLDERS) - len(remaining)} unchanged"
    assert sorted(load_manifest(out).entries) == FOLDERS
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    if stage == "rebuild":
        for folder in FOLDERS:  # each published version kept once, whole
            assert sorted(os.listdir(out / folder / "versions")) == ["v1"]
            assert (out / folder / "versions/v1/bulletin.pdf").read_bytes() == before[f"{folder}/bulletin.pdf"][2]


def _whole(name: str, data: bytes) -> bool:
    if name.endswith(".pdf"):
        return data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    if name.endswith(".json"):
        return isinstance(json.loads(data), dict)
    if name.endswith(".html"):
        return data.rstrip().endswith(b"</html>")
    return name.endswith(".txt") and data.endswith(b"\n")
