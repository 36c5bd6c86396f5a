"""A database knows its profile, on the store of the run: the first write records it, commands
without --profile use it, and a profile of another taxonomy is refused in one line, before
anything is written. Commands go through the real entry point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from stores import shown

from reportgen.binding import binding_of, differences, fingerprint, taxonomy
from reportgen.profile import load_profile
from reportgen.store import SCHEMA_VERSION, open_store

DATA = Path(__file__).parent / "data"
ACLED = DATA / "interop" / "acled_sample.csv"
UCDP = DATA / "interop" / "ucdp_ged_sample.csv"
POST = DATA / "posts" / "incident-toll-update-ied.txt"
DESERT = Path(load_profile("syrian-desert").path).read_text(encoding="utf-8")


def meta(location, databases) -> dict[str, str]:
    """The database's meta table, read past reportgen."""
    with databases.connect(location, read_only=True) as conn:
        return dict(conn.execute(sa.text("SELECT key, value FROM meta")).all())


def recorded(location):
    store = open_store(location, create=False)
    try:
        return store.binding()
    finally:
        store.close()


def to_version_3(location, databases) -> None:
    """What a version-3 database looked like: the same tables, no profile recorded."""
    with databases.connect(location) as conn:
        conn.execute(sa.text("DELETE FROM meta WHERE key LIKE 'profile%'"))
        conn.execute(sa.text("UPDATE meta SET value = '3' WHERE key = 'schema_version'"))


def one_line_refusal(result) -> str:
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and result.stderr.startswith("reportgen: error: ") and result.stderr.count("\n") == 1
    return result.stderr


def edited(tmp_path: Path, name: str, *changes: tuple[str, str], drop: str | None = None) -> Path:
    """A user's copy of the desert profile with ``changes`` made (each must apply) and a block dropped."""
    text = DESERT
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    if drop:
        text, n = re.subn(drop, "", text, flags=re.DOTALL)
        assert n == 1
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    load_profile(str(path))  # a valid profile: what is refused is its taxonomy
    return path


RELABELLED = (('name = "syrian-desert"', 'name = "my-desert"'), ('plural = "civilians"', 'plural = "non-combatants"'),
              ('color = "#E69F00"', 'color = "#123456"'), ('group_order = ["isis", "combatants", "civilians"]',
                                                          'group_order = ["civilians", "isis", "combatants"]'))
WITHOUT_ISIS = ((', "isis"', ""), ('"isis", ', ""))
ISIS_BLOCK = r'\[\[categories\]\]\nkey = "isis".*?(?=# A part of the map)'


# -- the first write records the profile ---------------------------------------------


@pytest.mark.parametrize(
    ("profile", "args"),
    [
        (None, ["import", DATA / "ingest" / "valid.csv"]),
        (None, ["import", DATA / "ingest" / "valid.json"]),
        ("acled-syria", ["import", "--format", "acled", ACLED]),
        ("ucdp", ["import", "--format", "ucdp", UCDP]),
        (None, ["import", "--from-text", "--date", "2023-08-03", "--yes", POST]),
    ],
    ids=["csv", "json", "acled", "ucdp", "from-text"],
)
def test_the_first_import_records_the_profile(cli, db_path, databases, profile, args):
    chosen = ["--profile", profile] if profile else []
    result = cli("--db", db_path, *chosen, *args)
    assert result.exit_code == 0, result.output
    expected = binding_of(load_profile(profile or "syrian-desert"))
    assert recorded(db_path) == expected
    held = meta(db_path, databases)
    assert held["schema_version"] == str(SCHEMA_VERSION) == "4"
    assert (held["profile"], held["profile_source"]) == (profile or "syrian-desert",) * 2
    assert held["profile_fingerprint"] == fingerprint(expected.taxonomy) == expected.fingerprint


def test_the_sample_as_the_demo_loads_it_records_the_desert_profile(sample_store):
    assert sample_store.binding() == binding_of(load_profile("syrian-desert"))


def test_a_users_profile_is_recorded_by_its_path_and_used_while_it_exists(cli, db_path, tmp_path):
    mine = edited(tmp_path, "mine", *RELABELLED)
    assert cli("--db", db_path, "--profile", mine, "import", DATA / "ingest" / "valid.csv").exit_code == 0
    binding = recorded(db_path)
    assert (binding.name, binding.source) == ("my-desert", str(mine.resolve()))
    used = cli("--db", db_path, "tally", "--year", "2023")
    assert used.exit_code == 0, used.output
    assert "non-combatants" in used.stdout
    mine.unlink()
    gone = one_line_refusal(cli("--db", db_path, "tally", "--year", "2023"))
    assert f"profile 'my-desert' from {mine.resolve()}, which no longer exists" in gone
    shipped = cli("--db", db_path, "--profile", "syrian-desert", "tally", "--year", "2023")  # compatible: same keys
    assert shipped.exit_code == 0 and "civilians" in shipped.stdout


# -- commands without --profile use it ------------------------------------------------


def test_an_acled_database_is_tallied_in_the_acled_profiles_wording(cli, db_path):
    assert cli("--db", db_path, "--profile", "acled-syria", "import", "--format", "acled", ACLED).exit_code == 0
    result = cli("--db", db_path, "tally", "--year", "2022")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("According to ACLED statistics")
    assert "Syrian desert" not in result.stdout
    assert cli("--db", db_path, "export", "summary", "--year", "2022").exit_code == 0


def test_the_desert_sample_is_tallied_whole_without_a_profile_and_refused_with_acled_syria(cli, sample_location, databases):
    whole = cli("--db", sample_location, "tally", "--year", "2023")
    assert whole.exit_code == 0 and "has increased to 562;" in whole.stdout
    before = databases.content(sample_location)
    message = one_line_refusal(cli("--db", sample_location, "--profile", "acled-syria", "tally", "--year", "2023"))
    assert message.startswith(f"reportgen: error: {shown(sample_location)}: this database holds incidents of profile"
                              " 'syrian-desert'; profile 'acled-syria' has another taxonomy (no category isis;")
    assert databases.content(sample_location) == before


@pytest.mark.parametrize("command", [["export", "incidents"], ["build", "--period", "2023-06", "--dry-run"],
                                     ["notice", "2023-DZ-SHAJIRY"], ["check", "--against-db", "SEED"]])
def test_every_reader_refuses_a_profile_of_another_taxonomy(cli, sample_location, command):
    args = [Path(__file__).parents[1] / "seeds" / "000_93b1b6f763f6354e.txt" if a == "SEED" else a for a in command]
    message = one_line_refusal(cli("--db", sample_location, "--profile", "landmines", *args))
    assert "profile 'syrian-desert'; profile 'landmines' has another taxonomy (no categories combatants, isis;" in message


def test_a_profile_chosen_in_the_environment_is_checked_too(cli, sample_location):
    message = one_line_refusal(cli("--db", sample_location, "tally", "--year", "2023", env={"REPORTGEN_PROFILE": "acled-syria"}))
    assert "profile 'acled-syria' has another taxonomy" in message


# -- compatible: the same keys, other words ---------------------------------------------


def test_an_edited_copy_with_other_labels_is_accepted(cli, sample_location, tmp_path):
    mine = edited(tmp_path, "mine", *RELABELLED)
    result = cli("--db", sample_location, "--profile", mine, "tally", "--year", "2023")
    assert result.exit_code == 0, result.output
    assert "has increased to 562;" in result.stdout and "non-combatants" in result.stdout
    assert cli("--db", sample_location, "--profile", mine, "revise", "2023-DZ-SHAJIRY", "--killed", "combatants=9",
               "--reason", "died of wounds").exit_code == 0
    assert recorded(sample_location).name == "syrian-desert"  # what the database records stays


@pytest.mark.parametrize(
    ("changes", "drop", "says"),
    [
        (WITHOUT_ISIS, ISIS_BLOCK, "(no category isis)"),
        ((('operations_by = ["ISIS"]', 'operations_by = ["ISIS", "unknown"]'),), None, "(operations by ISIS, unknown, not ISIS)"),
        ((('key = "women"', 'key = "females"'),), None, "(no subgroup civilians/women)"),
    ],
    ids=["category-removed", "operations-by-changed", "subgroup-renamed"],
)
def test_an_edited_copy_that_drops_or_recounts_data_is_refused(cli, sample_location, tmp_path, databases, changes, drop, says):
    mine = edited(tmp_path, "mine", ('name = "syrian-desert"', 'name = "my-desert"'), *changes, drop=drop)
    tallied = one_line_refusal(cli("--db", sample_location, "--profile", mine, "tally", "--year", "2023"))
    assert f"profile 'syrian-desert'; profile 'my-desert' ({mine.resolve()}) has another taxonomy {says};" in tallied
    before = databases.content(sample_location)
    imported = one_line_refusal(cli("--db", sample_location, "--profile", mine, "import", DATA / "ingest" / "valid.csv"))
    assert says in imported
    assert databases.content(sample_location) == before


# -- another source's rows ---------------------------------------------------------------


def test_acled_rows_are_refused_by_a_desert_database_which_stays_unchanged(cli, sample_location, databases):
    before = databases.content(sample_location)
    message = one_line_refusal(cli("--db", sample_location, "--profile", "acled-syria", "import", "--format", "acled", ACLED))
    assert "this database holds incidents of profile 'syrian-desert'; profile 'acled-syria' has another taxonomy" in message
    assert databases.content(sample_location) == before


def test_a_write_made_with_another_profile_is_refused_inside_its_transaction(sample_store, databases, sample_location):
    """The library's write path checks too (the command's check may have been passed meanwhile)."""
    from reportgen.errors import ReportgenError
    from reportgen.ingest import import_file

    before = databases.content(sample_location)
    with pytest.raises(ReportgenError, match="profile 'acled-syria' has another taxonomy"):
        import_file(sample_store, load_profile("acled-syria"), ACLED, "acled")
    assert databases.content(sample_location) == before


# -- a database of the older schema ---------------------------------------------------------


def test_a_version_3_database_is_read_unchanged_and_bound_by_its_next_import(cli, sample_location, databases):
    to_version_3(sample_location, databases)
    before = databases.content(sample_location)
    for args in (["tally", "--year", "2023"], ["export", "incidents"], ["history", "2023-DZ-SHAJIRY"]):
        result = cli("--db", sample_location, *args)
        assert result.exit_code == 0, result.output
    assert databases.content(sample_location) == before  # no upgrade, no profile recorded: nothing written
    assert meta(sample_location, databases)["schema_version"] == "3" and recorded(sample_location) is None
    result = cli("--db", sample_location, "import", DATA / "ingest" / "valid.csv")
    assert result.exit_code == 0, result.output
    assert meta(sample_location, databases)["schema_version"] == "4"
    assert recorded(sample_location) == binding_of(load_profile("syrian-desert"))
    assert "has increased to" in cli("--db", sample_location, "tally", "--year", "2023").stdout


def test_a_version_3_database_is_bound_by_its_next_revision(cli, sample_location, databases, tmp_path):
    to_version_3(sample_location, databases)
    mine = edited(tmp_path, "mine", *RELABELLED)
    result = cli("--db", sample_location, "--profile", mine, "revise", "2023-DZ-SHAJIRY", "--killed", "combatants=9",
                 "--reason", "died of wounds")
    assert result.exit_code == 0, result.output
    assert meta(sample_location, databases)["schema_version"] == "4"
    assert recorded(sample_location).source == str(mine.resolve())


def test_a_failed_import_leaves_a_version_3_database_as_it_was(cli, sample_location, databases, tmp_path, monkeypatch):
    """The profile is recorded in the import's transaction: a bad record late in the file takes it back too."""
    monkeypatch.setattr("reportgen.ingest.BATCH", 1)  # the bad record comes after the first batch was written
    to_version_3(sample_location, databases)
    before = databases.content(sample_location)
    rows = (DATA / "ingest" / "valid.csv").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*rows, rows[-1].replace("T-00", "T-90", 1).replace(",deir-ezzor,", ",nowhere,")]) + "\n", encoding="utf-8")
    refused = one_line_refusal(cli("--db", sample_location, "import", bad))
    assert "region: expected one of the profile's regions" in refused
    assert databases.content(sample_location) == before


def test_a_version_3_database_of_acled_rows_is_not_read_or_written_with_the_desert_profile(cli, db_path, databases):
    """A database that records no profile is checked by what its data holds: ACLED rows filled before
    databases recorded their profile are not tallied in the desert profile's words by default."""
    assert cli("--db", db_path, "--profile", "acled-syria", "import", "--format", "acled", ACLED).exit_code == 0
    to_version_3(db_path, databases)
    before = databases.content(db_path)
    refused = one_line_refusal(cli("--db", db_path, "tally", "--year", "2022"))
    assert "records no profile, and its incidents do not fit profile 'syrian-desert' (no category unattributed;" in refused
    assert "choose their profile with --profile" in refused
    refused = one_line_refusal(cli("--db", db_path, "import", Path(__file__).parents[1] / "seeds" / "sample-2023.csv"))
    assert "do not fit profile 'syrian-desert'" in refused
    assert databases.content(db_path) == before
    result = cli("--db", db_path, "--profile", "acled-syria", "tally", "--year", "2022")
    assert result.exit_code == 0 and result.stdout.startswith("According to ACLED statistics"), result.output


# -- the rule ------------------------------------------------------------------------------------


def test_compatibility_is_keys_and_operations_by_not_wording():
    desert = taxonomy(load_profile("syrian-desert"))
    assert differences(desert, desert) == []
    wider = {**desert, "regions": [*desert["regions"], "palmyra"], "categories": {**desert["categories"], "guards": []}}
    assert differences(desert, wider) == []  # more keys: nothing stored is lost
    assert differences(wider, desert) == ["no category guards", "no region palmyra"]


def test_open_lists_accept_anything_and_a_listed_one_cannot_read_an_open_one():
    acled = taxonomy(load_profile("acled"))
    assert acled["regions"] == [] and acled["actors"] == []
    opened = {**acled, "categories": {**acled["categories"], "extra": []}}
    assert differences(acled, opened) == []
    listed = {**acled, "regions": ["aleppo"]}
    assert differences(acled, listed) == ["regions listed, where the database's are open"]
    assert differences(listed, acled) == []  # open regions take every region the database holds
