"""`reportgen profiles`, `reportgen profile check` and `reportgen init` through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.demo import SAMPLE_INCIDENTS
from reportgen.profile import shipped_profiles

BAD = """\
name = "mine"
titel = "Fatalities"
measures = ["killed", "dead"]

[[regions]]
key = "homs"
name = "Homs desert"
categories = ["civilians", "soldiers"]

[[categories]]
key = "civilians"
singular = "civilian"

[[categories]]
key = "civilians"
singular = "civilian"
plural = "civilians"
"""


def test_profiles_lists_each_shipped_profile_with_its_title_language_and_categories(cli):
    result = cli("profiles")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == shipped_profiles()
    desert = next(line for line in lines if line.startswith("syrian-desert "))
    assert desert.split()[1] == "en"
    assert "Fatalities in military operations in the Syrian desert" in desert
    assert desert.endswith("(categories: combatants, civilians, isis)")


def test_profile_check_passes_every_shipped_profile(cli):
    for name in shipped_profiles():
        path = Path("reportgen/profiles") / f"{name}.toml"
        result = cli("profile", "check", Path(__file__).parent.parent / path)
        assert result.exit_code == 0, result.output
        assert result.stdout.endswith(f"{name}.toml: a valid profile\n")


def test_profile_check_reports_every_problem_with_its_line(cli, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(BAD, encoding="utf-8")
    result = cli("profile", "check", path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f'{path}:2: titel: unknown key; did you mean "title"?',
        f"{path}:3: measures: expected some of killed, injured, ranges, \"killed\" among them; got ['killed', 'dead']",
        f"{path}:8: regions.homs.categories: unknown soldiers; expected some of civilians",
        f"{path}:10: categories.civilians: plural is missing",
        f"{path}:15: categories.civilians: key 'civilians' given twice",
    ]


def test_profile_check_gives_the_line_of_a_toml_syntax_error(cli, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\n\ntitle = \n', encoding="utf-8")
    result = cli("profile", "check", path)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:3: not valid TOML: ")
    assert result.stdout.count("\n") == 1


def test_profile_check_of_a_missing_file_is_one_line(cli, tmp_path):
    result = cli("profile", "check", tmp_path / "none.toml")
    assert result.exit_code == 1
    assert result.stderr == f"reportgen: error: {tmp_path / 'none.toml'}: profile file not found\n"


def test_init_writes_a_project_and_refuses_to_overwrite_it(cli, tmp_path):
    where = tmp_path / "project"
    result = cli("init", where, "--profile", "landmines")
    assert result.exit_code == 0, result.output
    written = ["reportgen.toml", "templates/html/month.html.j2", "profiles/landmines.toml"]
    assert result.stdout.splitlines() == [f"{where / name}: written" for name in written]
    config = (where / "reportgen.toml").read_text(encoding="utf-8")
    assert 'profile = "profiles/landmines.toml"' in config and 'templates = "templates"' in config
    assert config.startswith("# ")
    template = (where / "templates" / "html" / "month.html.j2").read_text(encoding="utf-8")
    assert '{% extends "default:html/month.html.j2" %}' in template and "{% block kicker %}" in template
    assert cli("profile", "check", where / "profiles" / "landmines.toml").exit_code == 0

    (where / "templates" / "html" / "month.html.j2").write_text("mine", encoding="utf-8")
    again = cli("init", where)
    assert again.exit_code == 1
    assert again.stderr == (f"reportgen: error: {where / 'reportgen.toml'}: already exists;"
                            " init writes only new files (nothing written)\n")
    assert (where / "templates" / "html" / "month.html.j2").read_text(encoding="utf-8") == "mine"


def test_init_refuses_an_unknown_profile(cli, tmp_path):
    result = cli("init", tmp_path, "--profile", "nowhere")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "unknown profile 'nowhere'" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_an_initialised_project_imports_and_builds_with_its_template_override(cli, tmp_path, monkeypatch):
    for key in ("DB", "PROFILE", "TEMPLATES", "OUTPUT"):
        monkeypatch.delenv(f"REPORTGEN_{key}", raising=False)
    assert cli("init", tmp_path).exit_code == 0
    monkeypatch.chdir(tmp_path)
    assert cli("import", SAMPLE_INCIDENTS).exit_code == 0
    result = cli("build", "--period", "2023-06")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "output" / "2023" / "06" / "bulletin.html").read_text(encoding="utf-8")
    assert "Monthly field report" in html
