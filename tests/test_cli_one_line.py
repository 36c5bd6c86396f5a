"""Every failure the CLI reports is one line (a traceback only with --debug), through the real entry point:
a scope without incidents, errors in a user's templates, a preview port in use, a dataset
export imported as reportgen's CSV, UCDP ranges out of order; and counts agree with their nouns."""

from __future__ import annotations

import re

import pytest
from stores import shown

from reportgen.records import Casualty, Incident, Revision
from reportgen.store import open_store

ONE_LINE = re.compile(r"reportgen: error: [^\n]+\n")


def one_line(result, says: str) -> str:
    """The single line of a refusal, checked: exit status 1, nothing else on stderr, ``says`` in it."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert ONE_LINE.fullmatch(result.stderr), result.stderr
    assert says in result.stderr
    return result.stderr


# -- a scope without incidents ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["tally", "--period", "2019-01"],
        ["tally", "--year", "2019"],
        ["tally", "--period", "2023-Q4"],
        ["export", "summary", "--period", "2019-01", "--format", "json"],
        ["build", "--period", "2019-01", "--dry-run"],
    ],
)
def test_a_period_without_incidents_is_refused_alike(cli, sample_db, args):
    period = args[args.index("--period" if "--period" in args else "--year") + 1]
    line = one_line(cli("--db", sample_db, *args), f"in {shown(sample_db)}, no incidents recorded in ")
    assert f": {period}: " in line.replace("period ", ": ").replace("year ", ": ")
    assert "(data: 2023-01 to 2023-06)" in line


def test_tally_and_build_refuse_with_the_same_line(cli, sample_db, tmp_path):
    tally = cli("--db", sample_db, "tally", "--period", "2022-06")
    build = cli("--db", sample_db, "build", "--period", "2022-06", "--output", tmp_path / "out")
    assert one_line(tally, "June 2022") == one_line(build, "June 2022")
    assert not (tmp_path / "out").exists()


def test_as_of_before_any_incident_of_the_period_is_refused(cli, sample_db):
    one_line(cli("--db", sample_db, "tally", "--period", "2023-06", "--as-of", "2023-05-31"),
             "no incidents recorded by 2023-05-31 in June 2023")


def test_a_period_with_incidents_but_no_fatalities_is_not_refused(cli, db_path, profile):
    store = open_store(db_path)
    store.add_incidents([Incident("Q-1", "2022-03-04", "homs", "Homs", "", "", "ISIS", "ambush",
                                  casualties=(Casualty("combatants", "", 0, 2),))])
    store.close()
    result = cli("--db", db_path, "tally", "--period", "2022-03")
    assert result.exit_code == 0, result.stderr


def test_a_notice_whose_year_holds_no_incident_yet_is_refused(cli, db_path):
    store = open_store(db_path)  # recorded after its own revision: only a store written past `revise` holds that
    store.add_incidents([Incident("LATE", "2023-06-24", "deir-ezzor", "Deir Ezzor", "", "", "ISIS", "landmine",
                                  recorded_at="2023-07-10", casualties=(Casualty("combatants", "", 4, 18),))])
    store.add_revisions([Revision("LATE", "combatants", "", 4, 5, 18, 17, "died of wounds", "2023-06-30T10:00:00")])
    store.close()
    one_line(cli("--db", db_path, "notice", "LATE"), "year 2023: in ")
