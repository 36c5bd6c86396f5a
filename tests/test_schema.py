"""Schema upgrades, on the store of the run: a version-2 database, which kept range revisions in
each incident's ``extra``, is brought to version 3 once, and then answers as a new one does; it
reaches this version (4) with its first write made with a profile, which it then records."""

from __future__ import annotations

import json
from datetime import date, timedelta

import sqlalchemy as sa
from test_ranges import changed_release, imported, reimport, revised_on, scopes_of, summaries

from reportgen.schema import RANGE_FIELDS
from reportgen.store import SCHEMA_VERSION, open_store


def to_version_2(location, databases) -> None:
    """What version 2 looked like: no range revisions table, each incident's range revisions in
    ``extra["range_revisions"]`` (as dicts of RANGE_FIELDS, in the order recorded)."""
    with databases.connect(location) as conn:
        kept: dict[str, list[dict]] = {}
        rows = conn.execute(sa.text(f"SELECT incident_id, {', '.join(RANGE_FIELDS)} FROM range_revisions ORDER BY recorded_at, id"))
        for incident_id, *values in rows:
            kept.setdefault(incident_id, []).append(dict(zip(RANGE_FIELDS, values, strict=True)))
        for incident_id, changes in kept.items():
            extra = json.loads(conn.execute(sa.text("SELECT extra FROM incidents WHERE id = :id"), {"id": incident_id}).scalar_one())
            extra["range_revisions"] = changes
            conn.execute(sa.text("UPDATE incidents SET extra = :extra WHERE id = :id"),
                         {"extra": json.dumps(extra, sort_keys=True), "id": incident_id})
        conn.execute(sa.text("DROP TABLE range_revisions"))
        conn.execute(sa.text("DELETE FROM meta WHERE key LIKE 'profile%'"))  # version 2 recorded no profile
        conn.execute(sa.text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))


def schema_version(location, databases) -> str:
    with databases.connect(location, read_only=True) as conn:
        return conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar_one()


def test_a_version_2_database_is_upgraded_once_and_answers_as_of_a_day_as_a_new_one(tmp_path, db_path, databases):
    db = imported(db_path)
    path, row = changed_release(tmp_path, lambda r: {"low": r["low"] - 2, "high": r["high"] + 1})
    reimport(db, path)
    incident_id = f"ged-{row['id']}"
    day = revised_on(db, incident_id)
    days = [day - timedelta(days=1), day, None]
    store = open_store(db, create=False)
    changes, incident = store.range_revisions_of(incident_id), store.incident(incident_id)
    store.close()
    expected = [summaries(db, scopes_of(row, d)) for d in days]
    assert expected[0] != expected[1]  # the range changed that day

    to_version_2(db, databases)
    assert schema_version(db, databases) == "2"
    with databases.connect(db, read_only=True) as conn:
        held = json.loads(conn.execute(sa.text("SELECT extra FROM incidents WHERE id = :id"), {"id": incident_id}).scalar_one())
    assert held["range_revisions"] == changes

    store = open_store(db, create=False)  # upgraded here
    assert store.range_revisions_of(incident_id) == changes
    upgraded = store.incident(incident_id)
    assert upgraded == incident and upgraded.extra == incident.extra and "range_revisions" not in upgraded.extra
    store.close()
    assert SCHEMA_VERSION == 4 and schema_version(db, databases) == "3"  # version 4 waits for a write with a profile
    assert [summaries(db, scopes_of(row, d)) for d in days] == expected
    # Once: nothing left to upgrade; a later range revision follows the moved one, and as of the
    # day of the moved one the range is still what it was then.
    (ranged,) = [c for c in incident.casualties if c.killed_low is not None and not c.subgroup]
    store = open_store(db, create=False)
    store.revise_bounds(incident_id, {(ranged.category, ""): ((ranged.killed_low, ranged.killed_high), (0, 999))},
                        "later", f"{day + timedelta(days=1)}T00:00:00")
    assert [c["reason"] for c in store.range_revisions_of(incident_id)] == [changes[0]["reason"], "later"]
    store.close()
    assert summaries(db, scopes_of(row, day)) == expected[1]
    assert schema_version(db, databases) == "3"  # that write named no profile


def test_a_version_2_database_without_range_revisions_is_upgraded_with_its_data_unchanged(db_path, databases):
    from reportgen.records import Casualty, Incident

    store = open_store(db_path)
    kept = Incident("A", "2023-03-01", "homs", "Homs", "", "x", "ISIS", "ambush", casualties=(Casualty("combatants", "", 2, 0),),
                    extra={"note": "range_revisions are mentioned, but not kept here"})
    store.add_incidents([kept])
    store.close()
    to_version_2(db_path, databases)
    store = open_store(db_path, create=False)
    assert store.incident("A").extra == kept.extra and store.range_revisions_of("A") == []
    assert store.casualty_sums(date(2023, 3, 1), date(2023, 3, 31), date(2023, 3, 2)) == [
        ("homs", "ISIS", "ambush", "", "combatants", "", 2, 0, 2, 2, 0, 0)]
    store.close()
    assert schema_version(db_path, databases) == "3"
