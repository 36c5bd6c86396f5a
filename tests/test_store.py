"""The store, on whichever kind the run uses: schema checks, one transaction per write, date-filtered and as-of reads."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from reportgen.errors import ReportgenError
from reportgen.records import Casualty, Incident, Revision
from reportgen.store import SCHEMA_VERSION, StaleRevision, is_server_url, open_store, shown_location


def incident(ident: str, day: str, killed: int = 1, **kw) -> Incident:
    return Incident(
        id=ident, date=day, region=kw.get("region", "homs"), province="Homs", district="", location="Al-Sukhnah",
        perpetrator="ISIS", kind="ambush", casualties=(Casualty("combatants", "", killed, 0),),
    )


def state(store) -> tuple[int, int]:
    return store.count_incidents(), store.data_version()


# -- which databases reportgen can read -----------------------------------


def other_schema_version(location: Path | str, databases) -> None:
    open_store(location).close()
    with databases.connect(location) as conn:
        conn.execute(sa.text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(SCHEMA_VERSION + 1)})


def foreign_tables(location: Path | str, databases) -> None:
    with databases.connect(location) as conn:
        conn.exec_driver_sql("CREATE TABLE incidents (id TEXT, what TEXT)")
        conn.exec_driver_sql("INSERT INTO incidents VALUES ('x', 'y')")


def not_sqlite(path: Path, databases) -> None:
    path.write_text("id,date\nT-001,2023-03-05\n", encoding="utf-8")


def empty_sqlite(path: Path, databases) -> None:
    conn = sqlite3.connect(path)
    conn.execute("VACUUM")  # writes the header page: a valid SQLite file with no tables
    conn.close()


ON_FILES_ONLY = pytest.mark.sqlite_file("a file that is no SQLite database, or one without tables"
                                       " (a server database without tables is a new one)")
UNUSABLE = [
    pytest.param(other_schema_version, f"database schema version {SCHEMA_VERSION + 1}, this reportgen reads version",
                 id="other-schema-version"),
    pytest.param(foreign_tables, "not a reportgen database (tables: incidents", id="foreign-tables"),
    pytest.param(not_sqlite, "not a SQLite database", id="not-sqlite", marks=ON_FILES_ONLY),
    pytest.param(empty_sqlite, "not a reportgen database (no tables", id="empty-sqlite", marks=ON_FILES_ONLY),
]


def untouched(location: Path | str, databases) -> bytes | str:
    """What a refused command must leave as it was: the file's bytes, or all a server database holds."""
    return databases.content(location) if is_server_url(location) else Path(location).read_bytes()


@pytest.mark.parametrize(("maker", "says"), UNUSABLE)
def test_a_database_reportgen_cannot_read_is_refused_by_the_library(maker, says, db_path, databases):
    maker(db_path, databases)
    with pytest.raises(ReportgenError, match=re.escape(says)):
        open_store(db_path)


@pytest.mark.parametrize("command", [["tally", "--year", "2023"], ["import", "tests/data/ingest/valid.csv"]])
@pytest.mark.parametrize(("maker", "says"), UNUSABLE)
def test_a_database_reportgen_cannot_read_is_one_line_through_the_cli(maker, says, command, db_path, databases, cli):
    maker(db_path, databases)
    before = untouched(db_path, databases)
    result = cli("--db", db_path, *[str(Path(__file__).parent.parent / c) if c.endswith(".csv") else c for c in command])
    assert result.exit_code == 1
    assert result.stdout == "" and "Traceback" not in result.output
    assert result.stderr.startswith(f"reportgen: error: {shown_location(db_path)}: ") and result.stderr.count("\n") == 1
    assert says in result.stderr
    assert untouched(db_path, databases) == before


def test_a_directory_is_not_a_database(tmp_path, cli):
    result = cli("--db", tmp_path, "tally", "--year", "2023")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"reportgen: error: {tmp_path}: ") and result.stderr.count("\n") == 1


def test_a_new_database_records_its_schema_version(store, db_path, databases):
    with databases.connect(db_path, read_only=True) as conn:
        assert conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).all() == [(str(SCHEMA_VERSION),)]
    assert state(store) == (0, 0)


@pytest.mark.sqlite_file("the journal mode of the file")
def test_a_new_database_runs_in_wal_mode(store, db_path):
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_reading_a_missing_database_does_not_create_it(db_path, databases):
    says = "no reportgen tables in this database" if is_server_url(db_path) else "no database here"
    with pytest.raises(ReportgenError, match=says):
        open_store(db_path, create=False)
    assert not databases.made(db_path)


# -- one transaction per write ---------------------------------------------


def test_each_write_raises_the_data_version_by_one(store):
    store.add_incidents([incident("A", "2023-03-01"), incident("B", "2023-03-02")])
    assert state(store) == (2, 1)
    store.add_incidents([incident("C", "2023-03-03")])
    assert state(store) == (3, 2)


def test_a_write_that_fails_on_its_last_record_leaves_nothing(store):
    store.add_incidents([incident("A", "2023-03-01")])
    before = state(store)
    with pytest.raises(ReportgenError, match="incident 'A' is already stored"):
        store.add_incidents([incident("B", "2023-03-02"), incident("C", "2023-03-03"), incident("A", "2023-03-04")])
    assert state(store) == before
    assert store.existing_ids(["B", "C"]) == set()


def test_a_write_interrupted_while_its_records_are_produced_leaves_nothing(store):
    def records():
        yield incident("A", "2023-03-01")
        yield incident("B", "2023-03-02")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.add_incidents(records())
    assert state(store) == (0, 0)
    store.add_incidents([incident("A", "2023-03-01")])  # the store is usable afterwards
    assert state(store) == (1, 1)


def test_an_import_refused_on_its_last_record_leaves_the_count_unchanged(sample_store, profile, tmp_path):
    from reportgen.errors import InputError
    from reportgen.ingest import import_file

    valid = (Path(__file__).parent / "data" / "ingest" / "valid.csv").read_bytes()
    path = tmp_path / "incidents.csv"
    path.write_bytes(valid.replace(b",Field network,2023-03-12T18:30", b",Field network\xff,2023-03-12T18:30"))
    before = state(sample_store)
    with pytest.raises(InputError):
        import_file(sample_store, profile, path)
    assert state(sample_store) == before


def test_a_stale_revision_is_refused_and_nothing_of_its_batch_lands(store):
    store.add_incidents([incident("A", "2023-03-01", killed=3)])
    good = Revision("A", "combatants", "", 3, 4, 0, 0, "died of wounds", "2023-03-02")
    stale = Revision("A", "combatants", "", 3, 5, 0, 0, "died of wounds", "2023-03-03")
    with pytest.raises(StaleRevision, match="changed meanwhile"):
        store.add_revisions([good, stale])
    assert store.incident("A").killed("combatants") == 3
    assert store.revisions_of("A") == []


# -- reads: only the rows asked for ----------------------------------------


def test_casualty_rows_hold_only_the_incidents_dated_in_the_range(store):
    days = ["2023-05-31", "2023-06-01", "2023-06-15", "2023-06-30", "2023-07-01", "2022-06-15"]
    store.add_incidents(incident(f"I{n}", day) for n, day in enumerate(days))
    rows = store.casualty_rows(date(2023, 6, 1), date(2023, 6, 30))
    assert [(r.incident, r.date) for r in rows] == [("I1", "2023-06-01"), ("I2", "2023-06-15"), ("I3", "2023-06-30")]
    assert store.casualty_rows(date(2023, 8, 1), date(2023, 8, 31)) == []


def test_casualty_rows_on_the_sample_month_match_the_sample_file(sample_store):
    import csv

    from reportgen.demo import SAMPLE_INCIDENTS

    with SAMPLE_INCIDENTS.open(encoding="utf-8", newline="") as f:
        june = {row["id"] for row in csv.DictReader(f) if row["date"].startswith("2023-06")}
    rows = sample_store.casualty_rows(date(2023, 6, 1), date(2023, 6, 30))
    assert {r.incident for r in rows} == june and june
    assert all("2023-06-01" <= r.date <= "2023-06-30" for r in rows)


@pytest.mark.sqlite_file("SQLite's query plan (PostgreSQL's: test_postgres.py)")
def test_the_date_filter_uses_the_index(sample_store):
    plan = sample_store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM incidents WHERE date BETWEEN '2023-06-01' AND '2023-06-30'"
    ).fetchall()
    assert any("incidents_date" in row[-1] for row in plan)


def shajiry(store, as_of: date | None) -> dict[tuple[str, str], tuple[int, int]]:
    rows = store.casualty_rows(date(2023, 6, 1), date(2023, 6, 30), as_of)
    return {(r.category, r.subgroup): (r.killed, r.injured) for r in rows if r.incident == "2023-DZ-SHAJIRY"}


@pytest.mark.parametrize(
    ("as_of", "killed", "injured"),
    [(date(2023, 6, 24), 4, 18), (date(2023, 6, 25), 4, 18), (date(2023, 6, 26), 5, 17), (None, 5, 17)],
)
def test_the_sample_toll_as_of_a_day(sample_store, as_of, killed, injured):
    figures = shajiry(sample_store, as_of)
    assert figures[("combatants", "")] == (killed, injured)
    assert figures[("combatants", "national-defence")] == (killed, injured)


def test_an_incident_recorded_after_the_as_of_day_is_left_out(store):
    late = Incident(id="L", date="2023-06-10", region="homs", province="Homs", district="", location="x",
                    perpetrator="ISIS", kind="ambush", recorded_at="2023-06-20",
                    casualties=(Casualty("combatants", "", 2, 0),))
    store.add_incidents([late])
    assert store.casualty_rows(date(2023, 6, 1), date(2023, 6, 30), date(2023, 6, 19)) == []
    assert len(store.casualty_rows(date(2023, 6, 1), date(2023, 6, 30), date(2023, 6, 20))) == 1


def test_revisions_recorded_in_a_range(sample_store):
    june = sample_store.revisions_recorded(date(2023, 6, 1), date(2023, 6, 30))
    assert [(r.incident_id, r.category, r.subgroup, r.killed_old, r.killed_new) for r in june] == [
        ("2023-DZ-SHAJIRY", "combatants", "", 4, 5), ("2023-DZ-SHAJIRY", "combatants", "national-defence", 4, 5),
    ]
    assert sample_store.revisions_recorded(date(2023, 6, 1), date(2023, 6, 30), as_of=date(2023, 6, 25)) == []
    assert sample_store.revisions_recorded(date(2023, 7, 1), date(2023, 7, 31)) == []


def test_months_with_data_and_has_data(store):
    store.add_incidents([incident("A", "2023-03-01"), incident("B", "2023-05-31")])
    assert store.months_with_data() == [(2023, 3), (2023, 5)]
    assert store.has_data(date(2023, 5, 1), date(2023, 5, 31))
    assert not store.has_data(date(2023, 4, 1), date(2023, 4, 30))


def test_an_incident_reads_back_as_written(store):
    written = incident("A", "2023-03-01", killed=7)
    store.add_incidents([written])
    assert store.incident("A") == Incident(**{**written.__dict__, "recorded_at": "2023-03-01"})
    assert store.incident("nope") is None


def test_ranges_as_of_a_day(store):
    """Each count's low and high as they stood: the old bounds of its first range revision recorded
    after the day, else the current ones; a count a range revision added is no one, without a range, before it."""
    ranged = Incident(id="R", date="2023-06-01", region="homs", province="Homs", district="", location="x",
                      perpetrator="ISIS", kind="ambush", recorded_at="2023-06-01",
                      casualties=(Casualty("combatants", "", 5, 0, 4, 8),))
    store.add_incidents([ranged])
    store.revise_bounds("R", {("combatants", ""): ((4, 8), (3, 9)), ("civilians", ""): ((None, None), (0, 2))},
                        "new release", "2023-06-10T12:00:00")
    store.revise_bounds("R", {("combatants", ""): ((3, 9), (2, 10))}, "newer release", "2023-06-20T08:00:00")

    def rows(as_of):
        found = store.casualty_rows(date(2023, 6, 1), date(2023, 6, 30), as_of)
        return {r.category: (r.killed, r.injured, r.killed_low, r.killed_high) for r in found}

    def sums(as_of):
        found = store.casualty_sums(date(2023, 6, 1), date(2023, 6, 30), as_of)
        return {r.category: (r.killed, r.injured, r.low, r.high, r.ranged_low, r.ranged_high) for r in found}

    first = {"combatants": (5, 0, 4, 8), "civilians": (0, 0, None, None)}
    then = {"combatants": (5, 0, 3, 9), "civilians": (0, 0, 0, 2)}
    now = {"combatants": (5, 0, 2, 10), "civilians": (0, 0, 0, 2)}
    for day, expected in [(date(2023, 6, 9), first), (date(2023, 6, 10), then), (date(2023, 6, 19), then),
                          (date(2023, 6, 20), now), (None, now)]:
        assert rows(day) == expected, day
        # Sums: killed, injured, low, high (a count without a bound at its killed figure), how many have each bound.
        assert sums(day) == {k: (killed, injured, killed if low is None else low, killed if high is None else high,
                                 int(low is not None), int(high is not None))
                             for k, (killed, injured, low, high) in expected.items()}, day
    assert [(c["category"], c["low_old"], c["high_old"], c["low_new"], c["high_new"]) for c in store.range_revisions_of("R")] == [
        ("civilians", None, None, 0, 2), ("combatants", 4, 8, 3, 9), ("combatants", 3, 9, 2, 10)]
