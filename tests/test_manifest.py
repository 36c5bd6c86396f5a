"""The build manifest: reading it back (or falling back to a full rebuild), and the inputs' fingerprints."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reportgen.build.fingerprints import inputs_fingerprint, template_names, templates_digest
from reportgen.build.manifest import FORMAT, MANIFEST_NAME, BulletinRecord, Manifest, load_manifest, written_files
from reportgen.build.reasons import PROFILE, SETTINGS, TEMPLATES, VERSION
from reportgen.render import RenderSettings
from reportgen.wording import SHIPPED_TEMPLATES, environment, template_dirs

MONTH = ("html/month.html.j2", "text/bulletin.txt.j2", "text/tally.txt.j2")


def entry(**changes) -> BulletinRecord:
    fields = {"sources": "s", "data": "d", "inputs": {TEMPLATES: "t", PROFILE: "p", SETTINGS: "o", VERSION: "0.1.0"},
              "files": {}, "stats": {}, "generated": "2023-06-30"}
    return BulletinRecord(**{**fields, **changes})


# -- reading and writing -------------------------------------------------------------------


def test_a_manifest_reads_back_what_was_written(tmp_path):
    manifest = Manifest()
    manifest.record(("2023", "06"), entry(running=[["total", "", "", "", "", 5]], revisions=["abc"], notes=[NOTE]))
    (tmp_path / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    again = load_manifest(tmp_path)
    assert again.problem == "" and again.entries == manifest.entries
    assert again.entry(("2023", "06")).running == [["total", "", "", "", "", 5]]
    assert json.loads(manifest.to_json())["format"] == FORMAT


def test_no_manifest_is_an_empty_one_without_a_problem(tmp_path):
    found = load_manifest(tmp_path)
    assert found.entries == {} and found.problem == ""


@pytest.mark.parametrize(("text", "problem"), [
    ("{not json", "not valid JSON"),
    ("[" * 100_000, "not valid JSON"),
    ('{"format": 99, "bulletins": {}}', "format 99, this reportgen writes format 1"),
    ('["a list"]', "format None"),
    (b"\xff\xfe\x00", "unreadable"),
])
def test_an_unusable_manifest_means_building_everything_never_a_crash(tmp_path, text, problem):
    path = tmp_path / MANIFEST_NAME
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    found = load_manifest(tmp_path)
    assert found.entries == {}
    assert problem in found.problem and str(path) in found.problem


def test_a_malformed_entry_is_dropped_and_the_others_kept(tmp_path):
    good = entry().to_dict()
    body = {"format": FORMAT, "bulletins": {"2023/05": good, "2023/06": {"sources": 3}, "2023/07": "junk",
                                            "2023/08": {**good, "files": ["not", "a", "dict"]}}}
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(body), encoding="utf-8")
    found = load_manifest(tmp_path)
    assert list(found.entries) == ["2023/05"]
    assert "2023/06 malformed (sources: expected text)" in found.problem
    assert "2023/08 malformed (files: expected an object)" in found.problem


CHANGE = {"part": "period", "figure": "total", "region": "", "region_name": "", "category": "", "subgroup": "",
          "old": 3, "new": 4}
REASON = {"incident_id": "2023-06-018", "date": "2023-06-02", "location": "Palmyra", "category": "combatants",
          "subgroup": "", "killed_old": 3, "killed_new": 4, "injured_old": 0, "injured_new": 0, "reason": "died",
          "correction": False, "recorded_at": "2023-06-27T00:00:00+00:00"}
NOTE = {"generated": "2023-06-30", "version": 1, "previous_generated": "2023-06-28", "changes": [CHANGE],
        "reasons": [REASON]}


@pytest.mark.parametrize(("changes", "problem"), [
    ({"revisions": 5}, "revisions: expected a list"),
    ({"revisions": [5]}, "revisions[0]: expected text"),
    ({"running": "x"}, "running: expected a list"),
    ({"running": ["x"]}, "running[0]: expected [figure"),
    ({"running": [["total", "", "", "", "", "5"]]}, "running[0]: expected [figure"),
    ({"running": [["total", "", "", "", "", True]]}, "running[0]: expected [figure"),
    ({"stats": {"bulletin.html": "big"}}, "stats.bulletin.html: expected [size, mtime]"),
    ({"inputs": {"templates": None}}, "inputs.templates: expected text"),
    ({"generated": 20230630}, "generated: expected text"),
    ({"notes": {"x": 1}}, "notes: expected a list"),
    ({"notes": [{"x": 1}]}, "notes[0].generated: expected str"),
    ({"notes": [{**NOTE, "version": "1"}]}, "notes[0].version: expected int"),
    ({"notes": [{**NOTE, "changes": [{**CHANGE, "old": "3"}]}]}, "notes[0].changes[0].old: expected int"),
    ({"notes": [{**NOTE, "reasons": [{**REASON, "correction": 0}]}]}, "notes[0].reasons[0].correction: expected bool"),
    ({"notes": [{**NOTE, "reasons": [{k: v for k, v in REASON.items() if k != "reason"}]}]},
     "notes[0].reasons[0].reason: expected a value"),
])
def test_every_field_of_an_entry_is_checked_when_loading(tmp_path, changes, problem):
    body = {"format": FORMAT, "bulletins": {"2023/05": entry(notes=[NOTE]).to_dict(), "2023/06": {**entry().to_dict(), **changes}}}
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(body), encoding="utf-8")
    found = load_manifest(tmp_path)
    assert list(found.entries) == ["2023/05"]
    assert found.problem == f"{tmp_path / MANIFEST_NAME}: 2023/06 malformed ({problem}" + found.problem.split(problem)[1]


@pytest.mark.parametrize("bulletins", [[], None, "x", 5])
def test_bulletins_that_are_not_an_object_make_the_whole_manifest_unusable(tmp_path, bulletins):
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"format": FORMAT, "bulletins": bulletins}), encoding="utf-8")
    found = load_manifest(tmp_path)
    assert found.entries == {}
    assert found.problem == f"{tmp_path / MANIFEST_NAME}: malformed (bulletins: expected an object)"


# -- the files a bulletin wrote --------------------------------------------------------------


def test_files_deleted_or_changed_since_written_are_noticed(tmp_path):
    for name in ("bulletin.html", "bulletin.txt", "summary.json"):
        (tmp_path / name).write_text(name, encoding="utf-8")
    hashes, stats = written_files(tmp_path, ["bulletin.html", "bulletin.txt", "summary.json"])
    recorded = entry(files=hashes, stats=stats)
    assert recorded.file_reasons(tmp_path) == ([], [])
    os.utime(tmp_path / "bulletin.txt", ns=(1, 1))  # touched, same content: a time is not a change
    (tmp_path / "bulletin.html").write_text("edited by hand", encoding="utf-8")
    (tmp_path / "summary.json").unlink()
    assert recorded.file_reasons(tmp_path) == (["summary.json"], ["bulletin.html"])


# -- the inputs' fingerprints ------------------------------------------------------------------


def test_a_month_reaches_its_layout_partials_styles_and_text_templates(profile):
    names = template_names(environment(profile), MONTH)
    assert {"html/base.html.j2", "html/partials/revised.html.j2", "html/partials/incidents.html.j2",
            "css/bulletin.css", "css/print.css", "text/macros.txt.j2"} <= set(names)
    assert "html/year.html.j2" not in names and "html/notice.html.j2" not in names


def digest_with(profile, user: Path, entry_points=MONTH) -> str:
    env = environment(profile, user)
    return templates_digest(env, entry_points, template_dirs(user))


def override(user: Path, name: str, text: str) -> None:
    path = user / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_templates_fingerprint_follows_what_a_bulletin_uses(profile, tmp_path):
    user = tmp_path / "my-templates"
    user.mkdir()
    shipped = digest_with(profile, user)
    override(user, "html/notice.html.j2", "a notice, not a bulletin")
    override(user, "preview/index.html.j2", "the preview's page")
    assert digest_with(profile, user) == shipped
    override(user, "html/partials/methods.html.j2", (SHIPPED_TEMPLATES / "html/partials/methods.html.j2").read_text())
    assert digest_with(profile, user) == shipped  # the same content: the same fingerprint
    override(user, "html/partials/methods.html.j2", "<section>Methods, reworded.</section>")
    reworded = digest_with(profile, user)
    assert reworded != shipped
    override(user, "logo.png", "a picture a template may show")
    assert digest_with(profile, user) != reworded
    assert digest_with(profile, user, ("html/year.html.j2",)) != digest_with(profile, user)


def test_a_template_named_by_an_expression_makes_every_file_count(profile, tmp_path):
    user = tmp_path / "my-templates"
    override(user, "html/month.html.j2", '{% extends "default:html/month.html.j2" %}'
                                          '{% block methods %}{% include "html/" ~ "extra.html.j2" %}{% endblock %}')
    override(user, "html/extra.html.j2", "one")
    assert template_names(environment(profile, user), MONTH) is None
    before = digest_with(profile, user)
    override(user, "html/anything-else.j2", "two")
    assert digest_with(profile, user) != before


def test_a_missing_or_broken_template_leaves_the_error_to_the_render(profile, tmp_path):
    user = tmp_path / "my-templates"
    override(user, "html/month.html.j2", '{% include "html/nowhere.html.j2" ignore missing %}{% if %}')
    names = template_names(environment(profile, user), MONTH)
    assert names["html/month.html.j2"] and "html/base.html.j2" not in names


def test_inputs_name_contents_and_never_a_location(profile):
    settings = RenderSettings(profile, organisation="Observatory")
    fingerprint = inputs_fingerprint("t", profile.path, settings.author)
    assert set(fingerprint) == {TEMPLATES, PROFILE, SETTINGS, VERSION}
    assert profile.path not in json.dumps(fingerprint) and "Observatory" not in json.dumps(fingerprint)
    assert inputs_fingerprint("t", profile.path, "Another")[SETTINGS] != fingerprint[SETTINGS]
