"""The store: incidents, casualties and append-only revisions in SQLite.

Every write is one ``BEGIN IMMEDIATE`` transaction. Queries return only the
rows of the period asked for (an indexed date filter), never the whole table.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from .errors import ReportgenError
from .periods import day_after
from .records import Casualty, Incident, Revision

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    date TEXT NOT NULL,
    region TEXT NOT NULL,
    province TEXT NOT NULL DEFAULT '',
    district TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    perpetrator TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    sources TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX incidents_date ON incidents(date);
CREATE TABLE casualties (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    category TEXT NOT NULL,
    subgroup TEXT NOT NULL DEFAULT '',
    killed INTEGER NOT NULL CHECK (killed >= 0),
    injured INTEGER NOT NULL CHECK (injured >= 0),
    killed_low INTEGER,
    killed_high INTEGER,
    PRIMARY KEY (incident_id, category, subgroup)
);
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    category TEXT NOT NULL,
    subgroup TEXT NOT NULL DEFAULT '',
    killed_old INTEGER NOT NULL,
    killed_new INTEGER NOT NULL,
    injured_old INTEGER NOT NULL,
    injured_new INTEGER NOT NULL,
    reason TEXT NOT NULL,
    correction INTEGER NOT NULL DEFAULT 0,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX revisions_key ON revisions(incident_id, category, subgroup, recorded_at);
CREATE INDEX revisions_recorded ON revisions(recorded_at);
"""

INCIDENT_COLUMNS = (
    "id", "date", "region", "province", "district", "location", "perpetrator", "kind",
    "summary", "sources", "recorded_at",
)


def _value_as_of(column: str) -> str:
    """SQL for a casualty value as it stood before the first revision recorded after as-of."""
    return (
        f"COALESCE((SELECT r.{column}_old FROM revisions r"
        " WHERE r.incident_id = c.incident_id AND r.category = c.category"
        " AND r.subgroup = c.subgroup AND r.recorded_at >= :after"
        f" ORDER BY r.recorded_at, r.id LIMIT 1), c.{column})"
    )


class Store:
    """One open database. Use ``open_store`` to get one."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path

    # -- writes -----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; everything in it lands, or nothing does."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'"
            )
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def add_incidents(self, incidents: Iterable[Incident]) -> int:
        """Insert new incidents in one transaction; return how many were inserted."""
        count = 0
        with self.transaction() as conn:
            for incident in incidents:
                try:
                    _insert_incident(conn, incident)
                except sqlite3.IntegrityError:
                    raise ReportgenError(
                        f"{self.path}: incident {incident.id!r} is already stored (written meanwhile?);"
                        " nothing was imported, import the file again"
                    ) from None
                count += 1
        return count

    def add_revisions(self, revisions: Iterable[Revision]) -> list[int]:
        """Append revisions and apply their new values, in one transaction.

        A revision whose old values no longer match the stored ones was made from a
        stale read and is refused.
        """
        ids = []
        with self.transaction() as conn:
            for rev in revisions:
                _check_current(conn, rev)
                conn.execute(
                    "INSERT INTO casualties (incident_id, category, subgroup, killed, injured)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (incident_id, category, subgroup)"
                    " DO UPDATE SET killed = excluded.killed, injured = excluded.injured",
                    (rev.incident_id, rev.category, rev.subgroup, rev.killed_new, rev.injured_new),
                )
                cur = conn.execute(
                    "INSERT INTO revisions (incident_id, category, subgroup, killed_old, killed_new,"
                    " injured_old, injured_new, reason, correction, recorded_at, recorded_by)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (rev.incident_id, rev.category, rev.subgroup, rev.killed_old, rev.killed_new,
                     rev.injured_old, rev.injured_new, rev.reason, int(rev.correction),
                     rev.recorded_at, rev.recorded_by),
                )
                ids.append(cur.lastrowid)
        return ids

    # -- reads ------------------------------------------------------------

    def data_version(self) -> int:
        """A counter raised by every write: a cheap way to notice that the data changed."""
        return int(self._meta("data_version") or 0)

    def count_incidents(self) -> int:
        return self.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]

    def incident(self, incident_id: str) -> Incident | None:
        row = self.conn.execute(
            f"SELECT {', '.join(INCIDENT_COLUMNS)}, extra FROM incidents WHERE id = ?",
            (incident_id,),
        ).fetchone()
        if row is None:
            return None
        casualties = tuple(
            Casualty(*r)
            for r in self.conn.execute(
                "SELECT category, subgroup, killed, injured, killed_low, killed_high"
                " FROM casualties WHERE incident_id = ? ORDER BY category, subgroup",
                (incident_id,),
            )
        )
        fields = dict(zip(INCIDENT_COLUMNS, row[:-1], strict=True))
        return Incident(**fields, casualties=casualties, extra=json.loads(row[-1]))

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        batch = list(ids)
        for i in range(0, len(batch), 500):
            chunk = batch[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0] for r in self.conn.execute(f"SELECT id FROM incidents WHERE id IN ({marks})", chunk)
            )
        return found

    def casualty_rows(self, start: date, end: date, as_of: date | None = None) -> list[tuple]:
        """Casualty rows of the incidents dated in [start, end], as they stood on ``as_of``.

        Columns: incident id, date, region, perpetrator, kind, province, location,
        category, subgroup, killed, injured, killed_low, killed_high.
        """
        params = {"start": start.isoformat(), "end": end.isoformat()}
        killed, injured, recorded = "c.killed", "c.injured", ""
        if as_of is not None:
            params["after"] = day_after(as_of).isoformat()
            killed, injured = _value_as_of("killed"), _value_as_of("injured")
            recorded = " AND i.recorded_at < :after"
        sql = (
            "SELECT i.id, i.date, i.region, i.perpetrator, i.kind, i.province, i.location,"
            " COALESCE(c.category, ''), COALESCE(c.subgroup, ''),"
            f" COALESCE({killed}, 0), COALESCE({injured}, 0), c.killed_low, c.killed_high"
            " FROM incidents i LEFT JOIN casualties c ON c.incident_id = i.id"
            f" WHERE i.date BETWEEN :start AND :end{recorded}"
            " ORDER BY i.date, i.id, c.category, c.subgroup"
        )
        return self.conn.execute(sql, params).fetchall()

    def revisions_recorded(self, start: date, end: date, as_of: date | None = None) -> list[tuple]:
        """Revisions recorded in [start, end] (and by ``as_of``), with their incident's date and place."""
        last = min(end, as_of) if as_of else end
        return self.conn.execute(
            "SELECT r.incident_id, i.date, i.location, r.category, r.subgroup, r.killed_old,"
            " r.killed_new, r.injured_old, r.injured_new, r.reason, r.correction, r.recorded_at"
            " FROM revisions r JOIN incidents i ON i.id = r.incident_id"
            " WHERE r.recorded_at >= ? AND r.recorded_at < ? ORDER BY r.recorded_at, r.id",
            (start.isoformat(), day_after(last).isoformat()),
        ).fetchall()

    def revisions_of(self, incident_id: str) -> list[Revision]:
        rows = self.conn.execute(
            "SELECT incident_id, category, subgroup, killed_old, killed_new, injured_old,"
            " injured_new, reason, recorded_at, correction, recorded_by, id"
            " FROM revisions WHERE incident_id = ? ORDER BY recorded_at, id",
            (incident_id,),
        )
        return [Revision(*r[:9], bool(r[9]), r[10], r[11]) for r in rows]

    def months_with_data(self) -> list[tuple[int, int]]:
        rows = self.conn.execute(
            "SELECT DISTINCT substr(date, 1, 7) FROM incidents ORDER BY 1"
        ).fetchall()
        return [(int(r[0][:4]), int(r[0][5:7])) for r in rows]

    def has_data(self, start: date, end: date) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM incidents WHERE date BETWEEN ? AND ? LIMIT 1",
            (start.isoformat(), end.isoformat()),
        ).fetchone()
        return row is not None

    def close(self) -> None:
        self.conn.close()

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None


def _insert_incident(conn: sqlite3.Connection, incident: Incident) -> None:
    values = [getattr(incident, c) for c in INCIDENT_COLUMNS]
    values[INCIDENT_COLUMNS.index("recorded_at")] = incident.recorded_at or incident.date
    conn.execute(
        f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}, extra)"
        f" VALUES ({', '.join('?' * len(INCIDENT_COLUMNS))}, ?)",
        (*values, json.dumps(incident.extra, sort_keys=True)),
    )
    conn.executemany(
        "INSERT INTO casualties (incident_id, category, subgroup, killed, injured, killed_low,"
        " killed_high) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (incident.id, c.category, c.subgroup, c.killed, c.injured, c.killed_low, c.killed_high)
            for c in incident.casualties
        ],
    )


class StaleRevision(ReportgenError):
    pass


def _check_current(conn: sqlite3.Connection, rev: Revision) -> None:
    row = conn.execute(
        "SELECT killed, injured FROM casualties WHERE incident_id = ? AND category = ? AND subgroup = ?",
        (rev.incident_id, rev.category, rev.subgroup),
    ).fetchone()
    current = tuple(row) if row else (0, 0)
    if current != (rev.killed_old, rev.injured_old):
        raise StaleRevision(
            f"incident {rev.incident_id}: {rev.category} changed meanwhile"
            f" (now {current[0]} killed, {current[1]} injured); read it again and retry"
        )


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA trusted_schema = OFF")
    return conn


def _create(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        [("schema_version", str(SCHEMA_VERSION)), ("data_version", "0")],
    )
    conn.commit()


def _check_schema(conn: sqlite3.Connection, path: str) -> None:
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        raise ReportgenError(f"{path}: not a SQLite database (not made by reportgen?)") from None
    row = None
    if "meta" in tables:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        found = f"tables: {', '.join(sorted(tables))}" if tables else "no tables"
        raise ReportgenError(f"{path}: not a reportgen database ({found}, no schema version recorded)")
    if row[0] != str(SCHEMA_VERSION):
        raise ReportgenError(
            f"{path}: database schema version {row[0]}, this reportgen reads version"
            f" {SCHEMA_VERSION}; use the matching reportgen release or a new database"
        )


def open_store(path: str | Path, create: bool = True) -> Store:
    """Open (and, if missing, create) the database at ``path``, checking its schema version."""
    path = str(path)
    exists = Path(path).exists() and Path(path).stat().st_size > 0
    if not exists and not create:
        raise ReportgenError(f"{path}: no database here; run `reportgen import` or `reportgen demo` first")
    if not exists:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = None
    try:
        conn = _connect(path)
        if exists:
            _check_schema(conn, path)
        else:
            _create(conn)
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as exc:
        _close(conn)
        raise ReportgenError(f"{path}: cannot open as a SQLite database ({exc})") from None
    except ReportgenError:
        _close(conn)
        raise
    return Store(conn, path)


def _close(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        conn.close()
