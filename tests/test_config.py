"""Settings: ``--db`` over ``REPORTGEN_DB`` over ``reportgen.toml`` over ``./reportgen.db``.

The CLI tests import a small valid file and look at which database was
written, so they check the setting that the command really used. In the PostgreSQL
run the settings name server databases (all but the default, which is a file).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ON_POSTGRESQL
from stores import never_made

from reportgen.config import CONFIG_FILE, ENV_KEYS, Config, load_config
from reportgen.errors import ReportgenError
from reportgen.store import open_store

VALID = Path(__file__).parent / "data" / "ingest" / "valid.csv"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No REPORTGEN_* variable from the outside, and an empty working directory."""
    for key in ENV_KEYS:
        monkeypatch.delenv(f"REPORTGEN_{key.upper()}", raising=False)
    monkeypatch.chdir(tmp_path)


def incidents_in(location: Path | str) -> int:
    store = open_store(location, create=False)
    try:
        return store.count_incidents()
    finally:
        store.close()


@pytest.fixture
def named(databases, tmp_path) -> dict[str, Path | str]:
    """What each name of ``PRECEDENCE`` stands for: itself (a file in the working directory) on SQLite,
    a new empty database on PostgreSQL; the default ``reportgen.db`` is a file on both."""
    found = {name: name for name in ("from-option.db", "from-env.db", "from-file.db", "reportgen.db")}
    if ON_POSTGRESQL:
        found.update({name: databases.new(tmp_path / name) for name in ("from-option.db", "from-env.db", "from-file.db")})
    return found


# (option, environment, file) -> the database the import writes (relative to the working directory)
PRECEDENCE = [
    ((None, None, None), "reportgen.db"),
    ((None, None, "from-file.db"), "from-file.db"),
    ((None, "from-env.db", "from-file.db"), "from-env.db"),
    (("from-option.db", "from-env.db", "from-file.db"), "from-option.db"),
    (("from-option.db", None, "from-file.db"), "from-option.db"),
    (("from-option.db", "from-env.db", None), "from-option.db"),
    ((None, "from-env.db", None), "from-env.db"),
    ((None, "", "from-file.db"), "from-file.db"),  # a variable set but empty is no setting
]


@pytest.mark.parametrize(("given", "used"), PRECEDENCE, ids=[u + "-" + "-".join(map(str, g)) for g, u in PRECEDENCE])
def test_the_database_setting_follows_option_env_file_default(given, used, tmp_path, cli, named):
    option, env, in_file = (named.get(name, name) for name in given)
    if in_file:
        (tmp_path / CONFIG_FILE).write_text(f'db = "{in_file}"\n', encoding="utf-8")
    args = ["--db", option] if option else []
    result = cli(*args, "import", VALID, env={"REPORTGEN_DB": str(env)} if env is not None else None)
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.glob("*.db"))
    assert written == ([used] if named[used] == used else [])
    assert incidents_in(named[used]) == 3
    assert all(never_made(location) for name, location in named.items() if name != used)


def test_library_precedence(tmp_path, monkeypatch):
    assert load_config().db == "reportgen.db"
    (tmp_path / CONFIG_FILE).write_text('[reportgen]\ndb = "file.db"\nprofile = "syrian-desert"\n', encoding="utf-8")
    assert load_config().db == str(tmp_path / "file.db")
    assert load_config().source == str(tmp_path / CONFIG_FILE)
    monkeypatch.setenv("REPORTGEN_DB", "env.db")
    assert load_config().db == "env.db"
    assert load_config().with_overrides(db="option.db", profile=None).db == "option.db"
    assert load_config().with_overrides(db=None).db == "env.db"  # an option not given overrides nothing


def test_a_config_file_named_by_option_wins_over_the_working_directorys(tmp_path, cli, databases):
    elsewhere = tmp_path / "project"
    if ON_POSTGRESQL:
        here, there = databases.new(tmp_path / "here.db"), databases.new(tmp_path / "there.db")
        written = there
    else:  # a file named in the config file is relative to the file, not to the working directory
        (here, there), written = ("here.db", "data/there.db"), elsewhere / "data" / "there.db"
    (tmp_path / CONFIG_FILE).write_text(f'db = "{here}"\n', encoding="utf-8")
    elsewhere.mkdir()
    (elsewhere / "settings.toml").write_text(f'db = "{there}"\n', encoding="utf-8")
    result = cli("--config", elsewhere / "settings.toml", "import", VALID)
    assert result.exit_code == 0, result.output
    assert incidents_in(written) == 3
    assert never_made(here)


def test_paths_in_the_file_are_relative_to_the_file(tmp_path):
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "r.toml"
    path.write_text('db = "x.db"\ntemplates = "t"\noutput = "out"\nprofile = "profiles/mine.toml"\n', encoding="utf-8")
    config = load_config(str(path))
    assert (config.db, config.templates, config.output, config.profile) == (
        str(tmp_path / "conf" / "x.db"), str(tmp_path / "conf" / "t"), str(tmp_path / "conf" / "out"),
        str(tmp_path / "conf" / "profiles" / "mine.toml"),
    )
    assert load_config(str(path)).organisation is None


def test_defaults():
    config = load_config()
    assert config == Config()
    # No profile chosen: a command takes the database's, else the default (see test_binding).
    assert (config.db, config.profile, config.source) == ("reportgen.db", None, "defaults")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('db = "x.db"\ncolour = "red"\n', f"{CONFIG_FILE}:2: colour: unknown setting; expected one of db, organisation"),
        ('[reportgen]\n\ndatabase = "x.db"\n', f"{CONFIG_FILE}:3: database: unknown setting"),
        ("db = 3\n", f"{CONFIG_FILE}:1: db: expected text, got 3"),
        ('db = ""\n', f"{CONFIG_FILE}:1: db: expected text, got ''"),
        ('db = "a.db"\n[reportgen]\ndb = "b.db"\n', "db: given both at the top and under [reportgen]"),
        ("db = \n", "not valid TOML (Invalid value (at line 1, column 6))"),
        ('[other]\nx = "[/]"\n', f"{CONFIG_FILE}:1: other: unknown setting"),
        ('db: !!python/object/apply:os.system ["touch pwned.db"]\n', "not valid TOML"),
    ],
    ids=["unknown", "unknown-in-section", "not-text", "empty", "twice", "not-toml", "unknown-table", "yaml-tag-is-no-code"],
)
def test_a_bad_config_file_is_one_line_naming_the_setting(content, says, tmp_path, cli):
    (tmp_path / CONFIG_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(ReportgenError) as caught:
        load_config()
    assert says in str(caught.value)
    result = cli("import", VALID)
    assert result.exit_code == 1
    assert result.stdout == "" and "Traceback" not in result.output
    assert result.stderr.startswith("reportgen: error: ") and result.stderr.count("\n") == 1
    assert says in result.stderr
    assert not list(tmp_path.glob("*.db"))


def test_every_problem_of_the_file_is_reported_at_once(tmp_path):
    (tmp_path / CONFIG_FILE).write_text('colour = "red"\nsize = "a4"\nprofile = 1\n', encoding="utf-8")
    with pytest.raises(ReportgenError) as caught:
        load_config()
    message = str(caught.value)
    assert ":1: colour:" in message and ":2: size:" in message and ":3: profile:" in message
    assert "\n" not in message


def test_a_missing_config_file_named_by_option_is_one_line(tmp_path, cli):
    result = cli("--config", tmp_path / "none.toml", "import", VALID)
    assert result.exit_code == 1
    assert result.stderr == f"reportgen: error: {tmp_path / 'none.toml'}: config file not found\n"


def test_the_profile_setting_reaches_the_commands(tmp_path, cli, db_path):
    (tmp_path / CONFIG_FILE).write_text('profile = "no-such-profile"\n', encoding="utf-8")
    result = cli("--db", db_path, "import", VALID)
    assert result.exit_code == 1
    assert "unknown profile 'no-such-profile'" in result.stderr
    assert never_made(db_path)
