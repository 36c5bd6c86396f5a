"""The commands that read published text: ``parse``, ``check`` and ``import --from-text``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportgen.demo import SAMPLE_INCIDENTS
from reportgen.ingest import import_file
from reportgen.store import open_store

ROOT = Path(__file__).parent.parent
SEED = ROOT / "seeds" / "000_93b1b6f763f6354e.txt"
POSTS = Path(__file__).parent / "data" / "posts"


@pytest.fixture
def sample_copy(sample_location):
    return sample_location


@pytest.fixture
def unrevised_db(db_path, profile):
    """The sample incidents without the sample revisions (the Shajiry toll still at four)."""
    store = open_store(db_path)
    import_file(store, profile, SAMPLE_INCIDENTS)
    store.close()
    return db_path


def revisions_of(db: Path | str, incident: str) -> list:
    store = open_store(db, create=False)
    try:
        return store.revisions_of(incident)
    finally:
        store.close()


# -- parse ------------------------------------------------------------------------


def test_parse_shows_a_table_of_fields(cli):
    result = cli("parse", SEED)
    assert result.exit_code == 0, result.output
    assert "headline total of all groups" in result.stdout
    assert "groups.combatants.killed" in result.stdout and "353" in result.stdout
    assert "Al-Shajiry Village" in result.stdout
    assert "sentences not used (1)" in result.stdout


def test_parse_json_for_machines(cli):
    result = cli("parse", "--format", "json", SEED, POSTS / "desert-2023-in-addition.txt")
    assert result.exit_code == 0, result.output
    seed, older = json.loads(result.stdout)
    assert seed["tally"]["summary"]["total_killed"] == 562
    assert seed["tally"]["total_kind"] == "headline total of all groups"
    assert older["tally"]["total"] == 131
    assert older["tally"]["outside_total"] == ["civilians"]
    assert older["tally"]["summary"]["total_killed"] == 240
    fields = {f["field"]: f for f in seed["incident"]["fields"]}
    assert fields["incident.cause"] == {"field": "incident.cause", "value": "died of wounds", "found": True,
                                        "line": 3, "note": ""}
    assert fields["incident.date"]["found"] is False
    assert seed["unused"][0]["line"] == 7


def test_parse_with_a_sister_profile(cli):
    result = cli("--profile", "landmines", "parse", "--format", "json", POSTS / "landmines-2024.txt")
    assert result.exit_code == 0, result.output
    (reading,) = json.loads(result.stdout)
    regions = {r["region"]: r for r in reading["tally"]["summary"]["regions"]}
    assert (regions["regime"]["killed"], regions["regime"]["injured"]) == (92, 86)


def test_markup_in_a_post_is_shown_as_written(cli, tmp_path):
    post = tmp_path / "markup.txt"
    post.write_text(
        "Homs province: Two members of regime forces were killed in an ambush by ISIS cells near [bold red]FAKE[/] village.\n"
        "[/] [link=file:///etc/passwd]x[/link] \x1b]0;title\x07 stays text.\n",
        encoding="utf-8",
    )
    result = cli("parse", post)
    assert result.exit_code == 0, result.output
    assert "[/] [link=file:///etc/passwd]x[/link]" in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_parse_a_file_without_a_tally_or_incident_exits_1(cli, tmp_path):
    post = tmp_path / "nothing.txt"
    post.write_text("Nothing to read here.\n", encoding="utf-8")
    result = cli("parse", post)
    assert result.exit_code == 1
    assert "no tally or incident found" in result.stdout


def test_parse_refuses_bad_bytes_in_one_line(cli, tmp_path):
    post = tmp_path / "bad.txt"
    post.write_bytes(b"one line\n\xff bad\n")
    result = cli("parse", post)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert f"{post}:2:" in result.stderr and "Traceback" not in result.stderr


# -- check ------------------------------------------------------------------------


def test_check_reports_the_seeds_inconsistency_and_fails(cli):
    result = cli("check", SEED)
    assert result.exit_code == 1
    assert "1 inconsistent line" in result.stdout
    assert result.stdout.count("INCONSISTENT") == 1
    row = next(line for line in result.stdout.splitlines() if "INCONSISTENT" in line)
    assert "353" in row and "= 352" in row


def test_check_passes_a_consistent_tally(cli):
    result = cli("check", POSTS / "incident-ndf-armed-attack.txt")
    assert result.exit_code == 0, result.output
    assert "0 inconsistent lines" in result.stdout


def test_check_against_the_database(cli, sample_copy):
    result = cli("--db", sample_copy, "check", "--against-db", "--format", "json", SEED)
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)
    assert report["consistent"] is False and report["matches_database"] is False
    differ = [(f["field"], f["stated"], f["computed"]) for f in report["database"] if not f["ok"]]
    assert differ == [("regions.deir-ezzor.killed", 171, 172), ("regions.deir-ezzor.combatants", 138, 139)]


def test_generated_tally_checks_clean_against_its_database(cli, sample_copy, tmp_path):
    tally = cli("--db", sample_copy, "tally", "--year", "2023")
    assert tally.exit_code == 0, tally.output
    text = tmp_path / "tally.txt"
    text.write_text(tally.stdout, encoding="utf-8")
    result = cli("--db", sample_copy, "check", "--against-db", text)
    assert result.exit_code == 0, result.output
    assert "0 lines differ" in result.stdout


def test_check_needs_a_tally_and_as_of_needs_the_database(cli, tmp_path):
    assert cli("check", "--as-of", "2023-06-30", SEED).exit_code == 1
    post = POSTS / "incident-toll-update-ied.txt"
    result = cli("check", post)
    assert result.exit_code == 1 and "no tally found" in result.stderr


# -- import --from-text -------------------------------------------------------------


def test_seed_is_recognised_as_the_shajiry_update_already_applied(cli, sample_copy):
    before = len(revisions_of(sample_copy, "2023-DZ-SHAJIRY"))
    result = cli("--db", sample_copy, "import", "--from-text", "--yes", SEED)
    assert result.exit_code == 0, result.output
    assert "incident 2023-DZ-SHAJIRY: nothing to change" in result.stdout
    assert len(revisions_of(sample_copy, "2023-DZ-SHAJIRY")) == before


def test_toll_update_is_shown_then_applied_with_yes(cli, unrevised_db):
    shown = cli("--db", unrevised_db, "import", "--from-text", SEED)
    assert shown.exit_code == 0, shown.output
    assert "toll update of incident 2023-DZ-SHAJIRY (died of wounds)" in shown.stdout
    assert "combatants/national-defence: killed 4 -> 5, injured 18 -> 17" in shown.stdout
    assert "pass --yes" in shown.stderr
    assert revisions_of(unrevised_db, "2023-DZ-SHAJIRY") == []
    applied = cli("--db", unrevised_db, "import", "--from-text", "--yes", SEED)
    assert applied.exit_code == 0, applied.output
    revisions = revisions_of(unrevised_db, "2023-DZ-SHAJIRY")
    assert sorted((r.subgroup, r.killed_old, r.killed_new, r.reason) for r in revisions) == [
        ("", 4, 5, "died of wounds"), ("national-defence", 4, 5, "died of wounds")]
    again = cli("--db", unrevised_db, "import", "--from-text", "--yes", SEED)
    assert "nothing to change" in again.stdout


def test_a_new_incident_from_a_post(cli, db_path):
    post = POSTS / "incident-landmine-shepherd.txt"
    refused = cli("--db", db_path, "import", "--from-text", post)
    assert refused.exit_code == 1
    assert "shepherd: expected one of the profile's categories" in refused.stderr  # never guessed
    post = POSTS / "incident-toll-update-ied.txt"
    shown = cli("--db", db_path, "import", "--from-text", "--date", "2023-08-03", post)
    assert shown.exit_code == 0, shown.output
    assert "new incident 2023-08-03-al-tiyas on 2023-08-03 at Al-Tiyas (ied by ISIS)" in shown.stdout
    assert "combatants: 3 killed, 6 injured" in shown.stdout
    applied = cli("--db", db_path, "import", "--from-text", "--date", "2023-08-03", "--yes", post)
    assert applied.exit_code == 0, applied.output
    store = open_store(db_path, create=False)
    incident = store.incident("2023-08-03-al-tiyas")
    store.close()
    assert (incident.region, incident.kind, incident.location, incident.killed("combatants")) == ("homs", "ied", "Al-Tiyas", 3)
    again = cli("--db", db_path, "import", "--from-text", "--date", "2023-08-05", post)
    assert "incident 2023-08-03-al-tiyas: nothing to change" in again.stdout


def test_import_keeps_its_csv_behaviour_and_refuses_text_options_without_from_text(cli, db_path):
    result = cli("--db", db_path, "import", SAMPLE_INCIDENTS)
    assert result.exit_code == 0, result.output
    assert "incidents added" in result.stdout
    refused = cli("--db", db_path, "import", "--yes", SAMPLE_INCIDENTS)
    assert refused.exit_code == 1 and "--from-text" in refused.stderr
    mixed = cli("--db", db_path, "import", "--from-text", "--format", "csv", SEED)
    assert mixed.exit_code == 1 and "do not apply" in mixed.stderr


@pytest.mark.slow
def test_every_built_bulletin_text_reads_back_and_checks_clean(cli, sample_copy, tmp_path):
    """Each bulletin.txt (a month's tally and the year's) adds up and matches the database it came from."""
    out = tmp_path / "out"
    built = cli("--db", sample_copy, "build", "--all", "--output", out)
    assert built.exit_code == 0, built.output
    texts = sorted(out.rglob("bulletin.txt"))
    assert len(texts) >= 7
    result = cli("--db", sample_copy, "check", "--against-db", "--format", "json", *texts)
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert len(reports) >= len(texts) + 6  # a month's bulletin holds its month's tally and the year's
    assert all(r["consistent"] and r["matches_database"] for r in reports)
    assert {r["scope"]["kind"] for r in reports} == {"month", "ytd", "year"}
