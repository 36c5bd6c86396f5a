"""The PostgreSQL store against a real server (``pg_cluster``), and the same behaviour on both stores.

Every test here runs in the plain (SQLite) test run too: the parity tests make one
store of each kind and compare them; the PostgreSQL-only tests (URLs, passwords,
schema, collation) use the session's throwaway server directly.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest
from pg_cluster import EDITOR_PASSWORD

from reportgen.aggregate import summarize
from reportgen.demo import load_sample
from reportgen.errors import InputError, ReportgenError
from reportgen.ingest import import_file, stream_file
from reportgen.periods import month_scope, parse_period, year_scope, ytd_scope
from reportgen.records import Casualty, Incident, Revision
from reportgen.schema import BOUND_ON_WRITE
from reportgen.store import SCHEMA_VERSION, StaleRevision, open_store, shown_location
from reportgen.wording import tally_text

KINDS = ["sqlite", "postgresql"]
VALID_CSV = Path(__file__).parent / "data" / "ingest" / "valid.csv"


@pytest.fixture
def new_location(tmp_path, request):
    """``new_location(kind)``: where a fresh database of that kind goes (a file, or a new server database)."""
    def make(kind: str) -> str:
        if kind == "sqlite":
            return str(tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.db")
        cluster = request.getfixturevalue("pg_cluster")
        return cluster.url(cluster.create_database())

    return make


@pytest.fixture(params=KINDS)
def each_store(request, new_location):
    store = open_store(new_location(request.param))
    yield store
    store.close()


@pytest.fixture(scope="module")
def sample_pair(tmp_path_factory, request):
    """The sample data in a SQLite file and in a PostgreSQL database (read-only)."""
    from reportgen.profile import load_profile

    profile = load_profile("syrian-desert")
    cluster = request.getfixturevalue("pg_cluster")
    stores = {
        "sqlite": open_store(tmp_path_factory.mktemp("pair") / "sample.db"),
        "postgresql": open_store(cluster.url(cluster.create_database())),
    }
    for store in stores.values():
        load_sample(store, profile)
    yield stores
    for store in stores.values():
        store.close()


V1_CASUALTIES = """CREATE TABLE casualties (
    incident_id TEXT NOT NULL REFERENCES incidents(id), category TEXT NOT NULL, subgroup TEXT NOT NULL DEFAULT '',
    killed INTEGER NOT NULL CHECK (killed >= 0), injured INTEGER NOT NULL CHECK (injured >= 0),
    killed_low INTEGER, killed_high INTEGER, PRIMARY KEY (incident_id, category, subgroup))"""


def incident(ident: str, day: str = "2023-03-01", killed: int = 1, **kw) -> Incident:
    return Incident(
        id=ident, date=day, region=kw.get("region", "homs"), province="Homs", district="", location=kw.get("location", "x"),
        perpetrator=kw.get("perpetrator", "ISIS"), kind="ambush", recorded_at=kw.get("recorded_at", ""),
        casualties=kw.get("casualties", (Casualty("combatants", "", killed, 0),)),
    )


# -- the same answers from both stores --------------------------------------


SCOPES = [year_scope(2023), month_scope(2023, 6), month_scope(2023, 1), parse_period("2023-Q2"),
          ytd_scope(date(2023, 6, 25)), ytd_scope(date(2023, 6, 26)), parse_period("2023-06", date(2023, 6, 25))]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.kind}-{s.key}-{s.as_of}")
def test_both_stores_summarize_the_sample_alike(sample_pair, profile, scope):
    lite, server = (summarize(sample_pair[k], profile, scope, detail=True).to_dict() for k in KINDS)
    assert lite == server
    assert server["total_killed"] > 0


def test_the_sample_tally_from_postgresql_is_the_golden_one(sample_pair, profile):
    lite, server = (tally_text(summarize(sample_pair[k], profile, year_scope(2023)), profile) for k in KINDS)
    assert server == lite
    assert "has increased to 562;" in server


def test_the_date_filter_can_use_the_index_on_postgresql(sample_pair):
    """The sample is too small for the planner to prefer the index: with sequential scans priced out, it uses it."""
    conn = sample_pair["postgresql"].conn
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = conn.execute("EXPLAIN SELECT id FROM incidents WHERE date BETWEEN '2023-06-01' AND '2023-06-30'").fetchall()
    assert any("incidents_date" in row[0] for row in plan), plan


def test_both_stores_read_back_rows_revisions_and_months_alike(sample_pair):
    lite, server = sample_pair["sqlite"], sample_pair["postgresql"]
    june = (date(2023, 6, 1), date(2023, 6, 30))
    assert server.casualty_rows(*june) == lite.casualty_rows(*june) != []
    assert server.casualty_rows(*june, date(2023, 6, 25)) == lite.casualty_rows(*june, date(2023, 6, 25))
    assert server.revisions_recorded(date(2023, 1, 1), date(2023, 12, 31)) == lite.revisions_recorded(date(2023, 1, 1), date(2023, 12, 31))
    assert server.revisions_of("2023-DZ-SHAJIRY") == lite.revisions_of("2023-DZ-SHAJIRY") != []
    assert server.incident("2023-DZ-SHAJIRY") == lite.incident("2023-DZ-SHAJIRY")
    assert server.months_with_data() == lite.months_with_data()
    assert (server.count_incidents(), server.data_version()) == (lite.count_incidents(), lite.data_version())


def test_uncertainty_ranges_sum_alike_on_both_stores(new_location, profile):
    profile = dataclasses.replace(profile, measures=("killed", "injured", "ranges"))
    ranged = (Casualty("combatants", "", 4, 0, 3, 6), Casualty("civilians", "", 2, 1, None, 5))
    summaries = []
    for kind in KINDS:
        store = open_store(new_location(kind))
        store.add_incidents([incident("R-1", casualties=ranged), incident("R-2", killed=3, region="raqqa")])
        summaries.append(summarize(store, profile, year_scope(2023)).to_dict())
        store.close()
    assert summaries[0] == summaries[1]
    combatants = next(g for g in summaries[1]["groups"] if g["category"] == "combatants")
    civilians = next(g for g in summaries[1]["groups"] if g["category"] == "civilians")
    assert (combatants["killed"], combatants["killed_low"], combatants["killed_high"]) == (7, 6, 9)
    assert (civilians["killed"], civilians["killed_low"], civilians["killed_high"]) == (2, 2, 5)  # a missing bound is the figure


def test_a_write_is_one_transaction_on_each_store(each_store):
    each_store.add_incidents([incident("A")])
    with pytest.raises(ReportgenError, match="incident 'A' is already stored"):
        each_store.add_incidents([incident("B"), incident("C"), incident("A")])
    assert (each_store.count_incidents(), each_store.data_version()) == (1, 1)
    assert each_store.existing_ids(["A", "B", "C"]) == {"A"}


def test_a_stale_revision_is_refused_on_each_store(each_store):
    each_store.add_incidents([incident("A", killed=3)])
    read = each_store.incident("A").killed("combatants")
    each_store.add_revisions([Revision("A", "combatants", "", read, 4, 0, 0, "died of wounds", "2023-03-02")])
    with pytest.raises(StaleRevision, match="now 4 killed"):
        each_store.add_revisions([Revision("A", "combatants", "", read, 5, 0, 0, "died of wounds", "2023-03-03")])
    assert [r.killed_new for r in each_store.revisions_of("A")] == [4]
    assert each_store.incident("A").killed("combatants") == 4


def test_sql_in_text_round_trips_on_each_store(each_store):
    payload = "x'); DROP TABLE incidents;-- \"Al-Shula\" \\ % _ $1"
    each_store.add_incidents([incident("A", location=payload)])
    assert each_store.incident("A").location == payload
    assert each_store.count_incidents() == 1


def test_nul_in_text_is_refused_alike_by_both_stores(each_store):
    with pytest.raises(ReportgenError, match="NUL"):
        each_store.add_incidents([incident("A", location="a\x00b")])
    assert each_store.count_incidents() == 0


@pytest.mark.parametrize(("name", "content"), [
    ("nul.json", (VALID_CSV.parent / "valid.json").read_text(encoding="utf-8").replace("Al-Shula", "Al-Sh\\u0000ula")),
    ("escape.csv", VALID_CSV.read_text(encoding="utf-8").replace("Al-Shula", "Al-Sh\x1b]0;pwned\x07ula")),
])
def test_a_hostile_file_is_refused_alike_by_both_stores(name, content, new_location, tmp_path, cli):
    hostile = tmp_path / name
    hostile.write_text(content, encoding="utf-8")
    errors = []
    for kind in KINDS:
        location = new_location(kind)
        open_store(location).close()
        result = cli("--db", location, "import", hostile)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1
        assert open_store(location, create=False).count_incidents() == 0
        errors.append(result.stderr)
    assert errors[0] == errors[1]
    assert re.match(rf"reportgen: error: {re.escape(str(hostile))}:[0-9]+: location: control character", errors[0])


# -- streaming import: batches inside one transaction -------------------------


def big_csv(path: Path, count: int, bad_last: bool = False) -> Path:
    header = VALID_CSV.read_text(encoding="utf-8").splitlines()[0]
    columns = header.split(",")
    lines = [header]
    for n in range(count):
        row = dict.fromkeys(columns, "")
        row.update(id=f"B{n:06d}", date="2023-05-01", region="homs", perpetrator="ISIS", kind="ambush",
                   combatants_killed="1", location="Palmyra")
        if bad_last and n == count - 1:
            row["date"] = "2023-02-30"
        lines.append(",".join(row[c] for c in columns))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_records_are_read_one_at_a_time(tmp_path, profile):
    path = big_csv(tmp_path / "late-error.csv", 5, bad_last=True)
    records = stream_file(path, profile)
    assert next(records).id == "B000000"  # the bad last record has not been read yet
    with pytest.raises(InputError, match="date"):
        list(records)


@pytest.fixture
def small_batches(monkeypatch) -> int:
    """Batches of 40 records, so that a small file is written in several."""
    import reportgen.ingest
    import reportgen.store

    for module in (reportgen.ingest, reportgen.store):
        monkeypatch.setattr(module, "BATCH", 40)
    return 40


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_record_after_several_batches_leaves_nothing(kind, new_location, tmp_path, profile, small_batches):
    store = open_store(new_location(kind))
    count = 3 * small_batches + 10
    path = big_csv(tmp_path / "big.csv", count, bad_last=True)
    with pytest.raises(InputError) as caught:
        import_file(store, profile, path)
    assert (caught.value.line, caught.value.field) == (count + 1, "date")
    assert (store.count_incidents(), store.data_version()) == (0, 0)
    good = big_csv(tmp_path / "good.csv", count)
    assert import_file(store, profile, good).added == count
    assert (store.count_incidents(), store.data_version()) == (count, 1)
    assert import_file(store, profile, good).unchanged == count
    assert store.data_version() == 1
    assert store.existing_ids(f"B{n:06d}" for n in range(count + 5)) == {f"B{n:06d}" for n in range(count)}
    store.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_first_import_of_a_long_bad_file_leaves_a_database_without_data(kind, new_location, tmp_path, cli, small_batches):
    location = new_location(kind)
    path = big_csv(tmp_path / "big.csv", 3 * small_batches, bad_last=True)
    result = cli("--db", location, "import", path)
    assert result.exit_code == 1
    store = open_store(location, create=False)
    assert (store.count_incidents(), store.data_version()) == (0, 0)
    store.close()


# -- PostgreSQL: URLs, passwords, schema --------------------------------------


def test_a_password_is_hidden_in_locations():
    assert shown_location("postgresql://editor:secret@db.example.org/incidents") == "postgresql://editor:***@db.example.org/incidents"
    assert "secret" not in shown_location("postgresql://editor@db/x?password=secret&sslmode=require")
    assert shown_location("reports/incidents.db") == "reports/incidents.db"


def test_a_wrong_password_is_one_line_without_the_password(pg_cluster, cli):
    name = pg_cluster.create_database(owner="editor")
    wrong = "Wr0ng-" + EDITOR_PASSWORD
    result = cli("--db", pg_cluster.url(name, "editor", wrong), "tally", "--year", "2023")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "editor:***@" in result.stderr and "password authentication failed" in result.stderr
    assert wrong not in result.output and EDITOR_PASSWORD not in result.output


def test_the_editor_imports_and_builds_and_the_password_shows_nowhere(pg_cluster, cli, tmp_path):
    name = pg_cluster.create_database(owner="editor")
    url = pg_cluster.url(name, "editor", EDITOR_PASSWORD)
    imported = cli("--db", url, "import", VALID_CSV)
    assert imported.exit_code == 0, imported.stderr
    assert "3 incidents added" in imported.stdout
    failed = cli("--db", url, "import", VALID_CSV.parent / "missing.csv")
    built = cli("--db", url, "build", "--period", "2023-03", "--output", tmp_path / "out")
    assert built.exit_code == 0, built.stderr
    outputs = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in outputs)
    for text in [imported.output, failed.output, built.output, *(p.read_bytes().decode("latin-1") for p in outputs)]:
        assert EDITOR_PASSWORD not in text


def test_a_url_that_lost_a_slash_is_no_file_path(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("--db", "postgresql:/editor:secret@db/incidents", "import", VALID_CSV)
    assert result.exit_code == 1 and "postgresql:/editor:***@db/incidents: not a file path, nor a URL" in result.stderr
    assert "secret" not in result.output and list(tmp_path.iterdir()) == []


def test_the_server_must_exist_and_be_reachable(pg_cluster, cli):
    result = cli("--db", pg_cluster.url("no_such_database"), "tally", "--year", "2023")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert 'database "no_such_database" does not exist' in result.stderr
    other = cli("--db", "mysql://u@host/db", "tally", "--year", "2023")
    assert other.exit_code == 1 and "expected a file path or a postgresql:// URL" in other.stderr


def test_an_empty_server_database_is_not_created_by_readers(pg_cluster):
    url = pg_cluster.url(pg_cluster.create_database())
    with pytest.raises(ReportgenError, match="no reportgen tables in this database"):
        open_store(url, create=False)
    open_store(url).close()
    assert open_store(url, create=False).count_incidents() == 0


def test_a_server_database_of_another_kind_or_version_is_refused(pg_cluster):
    import psycopg

    foreign, future = pg_cluster.create_database(), pg_cluster.create_database()
    with psycopg.connect(host=str(pg_cluster.dir), user="postgres", dbname=foreign, autocommit=True) as conn:
        conn.execute("CREATE TABLE incidents (id text, what text)")
    with pytest.raises(ReportgenError, match=r"not a reportgen database \(tables: incidents"):
        open_store(pg_cluster.url(foreign))
    open_store(pg_cluster.url(future)).close()
    with psycopg.connect(host=str(pg_cluster.dir), user="postgres", dbname=future, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(ReportgenError, match=f"database schema version {SCHEMA_VERSION + 1}"):
        open_store(pg_cluster.url(future))


@pytest.mark.parametrize("kind", KINDS)
def test_a_version_1_database_is_upgraded_once_and_keeps_its_data(kind, new_location):
    import sqlalchemy as sa

    location = new_location(kind)
    store = open_store(location)
    store.add_incidents([incident("A")])
    store.add_revisions([Revision("A", "combatants", "", 1, 2, 0, 0, "died of wounds", "2023-03-02")])
    with store.transaction() as db:  # what version 1 looked like: a date index on the date alone, casualties with rowids
        db.exec_driver_sql("DROP INDEX incidents_date")
        db.exec_driver_sql("CREATE INDEX incidents_date ON incidents (date)")
        if kind == "sqlite":
            db.exec_driver_sql("CREATE TABLE old AS SELECT * FROM casualties")
            db.exec_driver_sql("DROP TABLE casualties")
            db.exec_driver_sql(V1_CASUALTIES)
            db.exec_driver_sql("INSERT INTO casualties SELECT * FROM old")
            db.exec_driver_sql("DROP TABLE old")
        db.exec_driver_sql("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    before = store.incident("A")
    store.close()
    upgraded = open_store(location, create=False)
    index = next(i for i in sa.inspect(upgraded._db).get_indexes("incidents") if i["name"] == "incidents_date")
    assert index["column_names"] == ["date", "region", "perpetrator", "recorded_at", "id"]
    assert upgraded._meta("schema_version") == BOUND_ON_WRITE  # the last step waits for a write made with a profile
    assert upgraded.incident("A") == before and before.killed("combatants") == 2
    assert [r.killed_new for r in upgraded.revisions_of("A")] == [2]
    if kind == "sqlite":
        assert "WITHOUT ROWID" in upgraded.conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'casualties'").fetchone()[0]
    upgraded.close()
    assert open_store(location, create=False).count_incidents() == 1  # once: nothing left to upgrade


def test_a_sqlite_database_with_a_trigger_is_refused(tmp_path):
    path = tmp_path / "x.db"
    store = open_store(path)
    store.conn.execute("CREATE TRIGGER t AFTER INSERT ON incidents BEGIN DELETE FROM revisions; END")
    store.close()
    with pytest.raises(ReportgenError, match=r"holds a trigger \(t\)"):
        open_store(path)


def test_text_sorts_byte_by_byte_whatever_the_database_collation(pg_cluster, tmp_path):
    name = "icu_english"
    pg_cluster.admin(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
    stores = [open_store(pg_cluster.url(name)), open_store(tmp_path / "x.db")]
    rows = []
    for store in stores:
        store.add_incidents([incident("a-1", "2023-06-20"), incident("B-1", "2023-06-20")])
        rows.append([r.incident for r in store.casualty_rows(date(2023, 6, 1), date(2023, 6, 30))])
        store.close()
    assert rows[0] == rows[1] == ["B-1", "a-1"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_revision_waits_for_the_write_that_holds_its_incident(kind, new_location):
    """Two connections: the second revision blocks on the first's lock, then finds its read stale."""
    import threading

    location = new_location(kind)
    first = open_store(location)
    first.add_incidents([incident("A", killed=3)])
    second = open_store(location, create=False)
    outcome = {}

    def late_revision():
        try:
            second.add_revisions([Revision("A", "combatants", "", 3, 5, 0, 0, "died of wounds", "2023-03-03")])
            outcome["result"] = "applied"
        except StaleRevision as exc:
            outcome["result"] = str(exc)

    with first.transaction():
        first.add_revisions([Revision("A", "combatants", "", 3, 4, 0, 0, "died of wounds", "2023-03-02")])
        waiting = threading.Thread(target=late_revision)
        waiting.start()
        waiting.join(0.5)  # it cannot finish while this transaction holds the lock
        assert waiting.is_alive()
    waiting.join()
    assert "changed meanwhile (now 4 killed" in outcome["result"]
    assert [r.killed_new for r in first.revisions_of("A")] == [4]
    first.close()
    second.close()
