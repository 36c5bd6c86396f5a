"""Writers at the same time, in separate processes of the real ``reportgen`` command, on both stores.

Two imports of different files and a revision start together: every incident and
the revision land, and the data version counts three writes. Two revisions of one
toll started together never overwrite each other: each lands on the figures the
other left, or is refused as stale, and the history stays a chain. An import
killed (SIGKILL) while its transaction is open leaves nothing behind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reportgen.records import Casualty, Incident
from reportgen.store import open_store

pytestmark = pytest.mark.slow

KINDS = ["sqlite", "postgresql"]
PER_FILE = 1500
COLUMNS = "id,date,region,perpetrator,kind,location,combatants_killed,civilians_killed,isis_killed"


def command() -> list[str]:
    script = Path(sys.executable).parent / "reportgen"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "reportgen.cli"]


def incidents_file(path: Path, prefix: str) -> Path:
    rows = [f"{prefix}-{n:05d},2023-{n % 12 + 1:02d}-{n % 28 + 1:02d},homs,ISIS,ambush,Palmyra,1,{n % 3},0"
            for n in range(PER_FILE)]
    path.write_text("\n".join([COLUMNS, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(params=KINDS)
def location(request, tmp_path) -> str:
    """A database of either kind holding one incident with three combatants killed."""
    if request.param == "sqlite":
        where = str(tmp_path / "shared.db")
    else:
        cluster = request.getfixturevalue("pg_cluster")
        where = cluster.url(cluster.create_database())
    store = open_store(where)
    store.add_incidents([Incident(id="C-1", date="2023-03-01", region="homs", province="Homs", district="",
                                  location="Palmyra", perpetrator="ISIS", kind="ambush",
                                  casualties=(Casualty("combatants", "", 3, 0),))])
    store.close()
    return where


def start(location: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen([*command(), "--db", location, *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def test_two_imports_and_a_revision_at_once_lose_nothing(location, tmp_path):
    files = [incidents_file(tmp_path / f"{p}.csv", p) for p in ("A", "B")]
    processes = [start(location, "import", f) for f in files]
    processes.append(start(location, "revise", "C-1", "--killed", "combatants=4", "--reason", "died of wounds"))
    results = [finish(p) for p in processes]
    for code, _, err in results:
        assert code == 0, err
    assert [r[1] for r in results[:2]] == [f"{f}: {PER_FILE} incidents added, 0 already stored\n" for f in files]

    store = open_store(location, create=False)
    try:
        assert store.count_incidents() == 1 + 2 * PER_FILE
        expected = {f"{p}-{n:05d}" for p in ("A", "B") for n in range(PER_FILE)}
        assert store.existing_ids(expected) == expected
        assert store.incident("A-00007").killed("combatants") == 1
        assert [(r.killed_old, r.killed_new) for r in store.revisions_of("C-1")] == [(3, 4)]
        assert store.incident("C-1").killed("combatants") == 4
        assert store.data_version() == 1 + 3
    finally:
        store.close()


def test_two_revisions_of_one_toll_at_once_never_overwrite_each_other(location):
    processes = [start(location, "revise", "C-1", "--killed", f"combatants={n}", "--reason", "died of wounds",
                       "--correction") for n in (5, 6)]
    results = [finish(p) for p in processes]
    store = open_store(location, create=False)
    try:
        chain = [(r.killed_old, r.killed_new) for r in store.revisions_of("C-1")]
        final = store.incident("C-1").killed("combatants")
    finally:
        store.close()
    applied = [r for r in results if r[0] == 0]
    refused = [r for r in results if r[0] != 0]
    assert applied, results
    for _, _, err in refused:  # refused only as stale, in one line
        assert "changed meanwhile" in err and err.count("\n") == 1
    assert len(chain) == len(applied)
    assert chain[0][0] == 3 and chain[-1][1] == final
    assert all(a[1] == b[0] for a, b in zip(chain, chain[1:], strict=False))


def holds_a_write(location: str) -> bool:
    """Whether some process has a write transaction open on the database right now."""
    if "://" in location:
        import psycopg
        import sqlalchemy as sa

        url = sa.make_url(location)
        with psycopg.connect(host=url.query["host"], user=url.username, dbname=url.database, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                               " AND application_name = 'reportgen'"
                               " AND backend_xid IS NOT NULL").fetchone()
        return row[0] > 0
    import sqlite3

    conn = sqlite3.connect(location, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:  # database is locked: the import holds the write lock
        return True
    finally:
        conn.close()


def test_an_import_killed_in_the_middle_leaves_nothing(location, tmp_path):
    import time

    big = tmp_path / "big.csv"
    rows = [f"K-{n:06d},2023-05-{n % 28 + 1:02d},homs,ISIS,ambush,Palmyra,1,0,0" for n in range(60_000)]
    big.write_text("\n".join([COLUMNS, *rows]) + "\n", encoding="utf-8")
    process = start(location, "import", big)
    deadline = time.monotonic() + 120  # a guard against a hang, not a measure of speed
    while not holds_a_write(location):
        assert process.poll() is None, "the import ended before it was seen writing"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.kill()  # SIGKILL: no clean-up of any kind
    process.wait()
    store = open_store(location, create=False)
    try:
        assert (store.count_incidents(), store.data_version()) == (1, 1)
        assert store.existing_ids(["K-000000", "K-059999"]) == set()
        if not store.server:
            assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        store.close()
    code, out, err = finish(start(location, "import", big))
    assert code == 0 and "60000 incidents added" in out, err
