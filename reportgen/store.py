"""The store: incidents, casualties and append-only revisions, in SQLite or PostgreSQL.

A path opens (or creates) a SQLite file; a ``postgresql://`` URL opens a database
on a PostgreSQL server through psycopg 3. Both run the same SQLAlchemy Core
statements, with every value a bound parameter; the tables, and what makes a
database usable, are in ``schema``.

Every write is one transaction, and a write transaction is explicit: ``BEGIN
IMMEDIATE`` in SQLite (WAL mode, a busy timeout), a READ COMMITTED transaction
in PostgreSQL that locks the incidents a revision changes (``SELECT ... FOR
UPDATE``) before it compares their figures. Either way a revision made from a
stale read is refused. Reads outside a write see committed data, statement by
statement. Queries return only the rows of the period asked for, or their sums
(an indexed date filter), never the whole table.

A write made with a profile first checks it against the profile the database
records, or records it (``binding``), inside the same transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import fields, replace
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from .binding import Binding, binding_of, canonical_json, check_compatible, check_holdings
from .errors import NoDatabase, ReportgenError
from .periods import day_after
from .profile import Profile
from .records import Casualty, Incident, Revision
from .rows import CasualtyRow, CasualtySum, IncidentCount, Month, RevisionRow
from .schema import (
    BINDING_KEYS,
    BOUND_ON_WRITE,
    CASUALTIES,
    INCIDENT_COLUMNS,
    INCIDENTS,
    META,
    RANGE_FIELDS,
    RANGE_REVISIONS,
    REVISIONS,
    ROW_COLUMNS,
    SCHEMA_LOCK,
    SCHEMA_VERSION,
    TEXT,
    set_up,
)

__all__ = ["BATCH", "SCHEMA_VERSION", "StaleRevision", "Store", "batches", "is_server_url", "open_store", "recorded_binding",
           "redacted", "shown_location"]

Areas = Sequence[tuple[str, Sequence[str], Sequence[str]]]  # (key, districts, locations) of named areas
BATCH = 5_000  # incidents per INSERT batch (or COPY in PostgreSQL)
BUSY_SECONDS = 30  # how long a write waits for another one to finish
SERVER_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
Row = TypeVar("Row", bound=tuple)
CASUALTY_FIELDS = tuple(f.name for f in fields(Casualty))  # a casualty row's columns, but its incident's id
REVISION_FIELDS = tuple(f.name for f in fields(Revision))



class StaleRevision(ReportgenError):
    pass


class Store:
    """One open database. Use ``open_store`` to get one.

    ``path`` names the database in messages: the file, or the URL with its
    password hidden. ``conn`` is the driver's own connection (sqlite3 or psycopg).
    """

    def __init__(self, engine: Engine, db: Connection, path: str):
        self._engine = engine
        self._db = db
        self.path = path
        self.server = engine.dialect.name == "postgresql"
        self.conn = db.connection.driver_connection
        self._depth = 0
        self._wrote = False
        # SQLAlchemy's connection objects sit in reference cycles, which only the garbage collector
        # frees: close the connection as soon as the store itself is dropped (a SQLite file is whole
        # once its last connection is closed), not at some later collection.
        self._closer = weakref.finalize(self, _dispose, engine, db)

    # -- writes -----------------------------------------------------------

    @contextmanager
    def transaction(self, profile: Profile | None = None) -> Iterator[Connection]:
        """One write transaction; everything in it lands, or nothing does. Nested calls join the outer one.

        ``profile``: the profile the write is made with. It is checked against the profile the
        database records (an incompatible one is refused before anything is written), or
        recorded, if the database records none yet.
        """
        if self._depth:
            self._depth += 1
            try:
                if profile is not None:
                    self._bind(profile)
                yield self._db
            finally:
                self._depth -= 1
            return
        with self._errors():
            self._db.exec_driver_sql("BEGIN" if self.server else "BEGIN IMMEDIATE")
        self._depth, self._wrote = 1, False
        try:
            with self._errors():
                if profile is not None:
                    self._bind(profile)
                yield self._db
                if self._wrote:
                    self._db.execute(
                        META.update().where(META.c.key == "data_version")
                        .values(value=sa.cast(sa.cast(META.c.value, sa.Integer) + 1, TEXT))
                    )
                self._db.exec_driver_sql("COMMIT")
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth = 0

    def add_incidents(self, incidents: Iterable[Incident], checked: bool = False, profile: Profile | None = None) -> int:
        """Insert new incidents in one transaction, in batches; return how many were inserted.

        An id already stored (or twice among ``incidents``) refuses the whole write.
        ``checked``: the caller found in the current transaction that none is stored.
        ``profile``: the profile they were read with (see ``transaction``).
        """
        count = 0
        with self.transaction(profile):
            for batch in batches(incidents, BATCH):
                if not checked:
                    self._refuse_stored(batch)
                self._insert(batch)
                count += len(batch)
        return count

    def add_revisions(self, revisions: Iterable[Revision], profile: Profile | None = None) -> list[int]:
        """Append revisions and apply their new values, in one transaction.

        A revision whose old values no longer match the stored ones was made from a
        stale read and is refused. ``profile``: the profile they were made with (see ``transaction``).
        """
        ids = []
        with self.transaction(profile) as db:
            pending = list(revisions)
            self._lock_incidents({rev.incident_id for rev in pending})
            for rev in pending:
                exists = self._check_current(rev)
                key = {"incident_id": rev.incident_id, "category": rev.category, "subgroup": rev.subgroup}
                if exists:
                    db.execute(CASUALTIES.update().where(*_matching(CASUALTIES, key))
                               .values(killed=rev.killed_new, injured=rev.injured_new))
                else:
                    db.execute(CASUALTIES.insert().values(**key, killed=rev.killed_new, injured=rev.injured_new))
                done = db.execute(REVISIONS.insert().values(
                    **key, killed_old=rev.killed_old, killed_new=rev.killed_new, injured_old=rev.injured_old,
                    injured_new=rev.injured_new, reason=rev.reason, correction=int(rev.correction),
                    recorded_at=rev.recorded_at, recorded_by=rev.recorded_by,
                ))
                ids.append(done.inserted_primary_key[0])  # type: ignore[index]  # an INSERT has a key
                self._wrote = True
        return ids

    def revise_bounds(self, incident_id: str, changes: dict[tuple[str, str], tuple[tuple, tuple]],
                      reason: str, recorded_at: str) -> None:
        """Give an incident's counts new low and high bounds: ``changes`` maps (category, subgroup) to
        (old, new) (low, high) pairs; a missing row is added with no one killed or injured.

        Each change is appended to the range revisions (the revisions table holds killed and
        injured only). Bounds stored other than ``old`` are refused as a stale read. Joins the
        caller's transaction, if any.
        """
        with self.transaction() as db:
            self._lock_incidents({incident_id})
            for (category, subgroup), (old, new) in sorted(changes.items()):
                key = {"incident_id": incident_id, "category": category, "subgroup": subgroup}
                row = db.execute(sa.select(CASUALTIES.c.killed_low, CASUALTIES.c.killed_high)
                                 .where(*_matching(CASUALTIES, key))).first()
                if (tuple(row) if row else (None, None)) != tuple(old):
                    raise StaleRevision(f"incident {incident_id}: the range of {category} changed meanwhile; read it again and retry")
                bounds = {"killed_low": new[0], "killed_high": new[1]}
                db.execute(CASUALTIES.update().where(*_matching(CASUALTIES, key)).values(**bounds) if row
                           else CASUALTIES.insert().values(**key, killed=0, injured=0, **bounds))
                db.execute(RANGE_REVISIONS.insert().values(**key, low_old=old[0], high_old=old[1], low_new=new[0],
                                                           high_new=new[1], reason=reason, recorded_at=recorded_at))
            self._wrote = True

    def _bind(self, profile: Profile) -> None:
        """In a write transaction: check ``profile`` against the recorded one, or record it (and, in a
        version-3 database, the schema version that says the database records its profile).

        Recording takes the schema lock (PostgreSQL; SQLite's write lock covers it), so that two
        first writes with different profiles cannot both record theirs; once recorded, a
        profile is never changed, and checking it needs no lock."""
        found = self.binding()
        if found is None and self.server:
            self._db.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK)))
            found = self.binding()
        if found is not None:
            check_compatible(self.path, found, profile)
            return
        check_holdings(self.path, self.holdings(), profile)
        new = binding_of(profile)
        values = (new.name, new.source, new.fingerprint, canonical_json(new.taxonomy))
        self._db.execute(META.insert(), [{"key": k, "value": v} for k, v in zip(BINDING_KEYS, values, strict=True)])
        if self._meta("schema_version") == BOUND_ON_WRITE:
            self._db.execute(META.update().where(META.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))

    # -- reads ------------------------------------------------------------

    def binding(self) -> Binding | None:
        """The profile the database records, if any (see ``binding``)."""
        rows = dict(self._rows(sa.select(META.c.key, META.c.value).where(META.c.key.in_(BINDING_KEYS))))
        if len(rows) < len(BINDING_KEYS):
            return None
        name, source, digest, taxonomy = (rows[k] for k in BINDING_KEYS)
        return Binding(name, source, digest, json.loads(taxonomy))

    def holdings(self) -> dict:
        """The keys the stored data uses, in the shape of a profile's taxonomy (its categories with
        their subgroups, regions and perpetrators): what a database that records no profile is
        checked by."""
        i, c = INCIDENTS.c, CASUALTIES.c
        categories: dict[str, list[str]] = {}
        for category, subgroup in self._rows(sa.select(c.category, c.subgroup).distinct()):
            categories.setdefault(category, [])
            if subgroup:
                categories[category].append(subgroup)
        return {
            "categories": {k: sorted(v) for k, v in categories.items()},
            "regions": sorted(r for (r,) in self._rows(sa.select(i.region).distinct())),
            "actors": sorted(a for (a,) in self._rows(sa.select(i.perpetrator).distinct())),
        }

    def schema_version(self) -> int:
        return int(self._meta("schema_version") or 0)

    def data_version(self) -> int:
        """A counter raised by every write: a cheap way to notice that the data changed."""
        return int(self._meta("data_version") or 0)

    def count_incidents(self) -> int:
        return self._scalar(sa.select(sa.func.count()).select_from(INCIDENTS))

    def incident(self, incident_id: str) -> Incident | None:
        return self.incidents([incident_id]).get(incident_id)

    def incidents(self, ids: Iterable[str]) -> dict[str, Incident]:
        """The stored incidents among ``ids``, by id (two queries per batch, whatever their number)."""
        found: dict[str, Incident] = {}
        c = CASUALTIES.c
        for chunk in batches(ids, BATCH):
            rows = self._records(sa.select(*(INCIDENTS.c[k] for k in ROW_COLUMNS)).where(self._among(INCIDENTS.c.id, chunk)))
            if not rows:
                continue
            parts = self._records(
                sa.select(c.incident_id, *(c[k] for k in CASUALTY_FIELDS))
                .where(self._among(c.incident_id, [r.id for r in rows])).order_by(c.incident_id, c.category, c.subgroup)
            )
            casualties: dict[str, list[Casualty]] = {}
            for part in parts:
                casualties.setdefault(part.incident_id, []).append(Casualty(**{k: part._mapping[k] for k in CASUALTY_FIELDS}))
            for row in rows:
                values = {k: row._mapping[k] for k in INCIDENT_COLUMNS}
                found[row.id] = Incident(**values, casualties=tuple(casualties.get(row.id, ())), extra=json.loads(row.extra))
        return found

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in batches(ids, BATCH):
            found.update(r.id for r in self._records(sa.select(INCIDENTS.c.id).where(self._among(INCIDENTS.c.id, chunk))))
        return found

    def casualty_rows(self, start: date, end: date, as_of: date | None = None) -> list[CasualtyRow]:
        """Casualty rows of the incidents dated in [start, end], as they stood on ``as_of``, in date order."""
        i, c = INCIDENTS.c, CASUALTIES.c
        source, stood = _as_of(INCIDENTS.outerjoin(CASUALTIES, c.incident_id == i.id), as_of)
        query = (
            sa.select(
                i.id.label("incident"), i.date, i.region, i.perpetrator, i.kind, i.province, i.location,
                sa.func.coalesce(c.category, "").label("category"), sa.func.coalesce(c.subgroup, "").label("subgroup"),
                sa.func.coalesce(stood.killed, 0).label("killed"), sa.func.coalesce(stood.injured, 0).label("injured"),
                stood.killed_low.label("killed_low"), stood.killed_high.label("killed_high"),
            )
            .select_from(source)
            .where(*_dated(start, end, as_of))
            .order_by(i.date, i.id, c.category, c.subgroup)
        )
        return self._typed(query, CasualtyRow)

    def casualty_sums(self, start: date, end: date, as_of: date | None = None, areas: Areas = ()) -> list[CasualtySum]:
        """The casualties of the incidents dated in [start, end] (as they stood on ``as_of``),
        summed by region, perpetrator, kind, area, category and subgroup.

        The area is the key of the first of ``areas`` whose districts or locations hold the
        incident, else "".
        """
        i, c = INCIDENTS.c, CASUALTIES.c
        source, stood = _as_of(INCIDENTS.join(CASUALTIES, c.incident_id == i.id), as_of)
        area = _area_of(areas)
        query = (
            sa.select(
                i.region, i.perpetrator, i.kind, area, c.category, c.subgroup,
                sa.func.sum(stood.killed).label("killed"), sa.func.sum(stood.injured).label("injured"),
                sa.func.sum(sa.func.coalesce(stood.killed_low, stood.killed)).label("low"),
                sa.func.sum(sa.func.coalesce(stood.killed_high, stood.killed)).label("high"),
                sa.func.count(stood.killed_low).label("ranged_low"), sa.func.count(stood.killed_high).label("ranged_high"),
            )
            .select_from(source)
            .where(*_dated(start, end, as_of))
            .group_by(i.region, i.perpetrator, i.kind, area, c.category, c.subgroup)
        )
        return self._typed(query, CasualtySum)

    def incident_counts(self, start: date, end: date, as_of: date | None = None, areas: Areas = ()) -> list[IncidentCount]:
        """How many incidents are dated in [start, end] (and recorded by ``as_of``), by region,
        perpetrator, kind and area (as in ``casualty_sums``)."""
        i = INCIDENTS.c
        area = _area_of(areas)
        query = (
            sa.select(i.region, i.perpetrator, i.kind, area, sa.func.count().label("incidents"))
            .where(*_dated(start, end, as_of))
            .group_by(i.region, i.perpetrator, i.kind, area)
        )
        return self._typed(query, IncidentCount)

    def revisions_recorded(self, start: date, end: date, as_of: date | None = None) -> list[RevisionRow]:
        """Revisions recorded in [start, end] (and by ``as_of``), with their incident's date and place."""
        last = min(end, as_of) if as_of else end
        r, i = REVISIONS.c, INCIDENTS.c
        query = (
            sa.select(r.incident_id, i.date, i.location, r.category, r.subgroup, r.killed_old, r.killed_new,
                      r.injured_old, r.injured_new, r.reason, r.correction, r.recorded_at)
            .select_from(REVISIONS.join(INCIDENTS, i.id == r.incident_id))
            .where(r.recorded_at >= start.isoformat(), r.recorded_at < day_after(last).isoformat())
            .order_by(r.recorded_at, r.id)
        )
        with self._errors():
            return [replace(RevisionRow(**row._mapping), correction=bool(row.correction)) for row in self._db.execute(query)]

    def revisions_of(self, incident_id: str) -> list[Revision]:
        return self.revisions_of_each([incident_id]).get(incident_id, [])

    def revisions_of_each(self, ids: Iterable[str]) -> dict[str, list[Revision]]:
        """The revisions of the incidents among ``ids`` that have any, by id, in the order recorded."""
        r = REVISIONS.c
        found: dict[str, list[Revision]] = {}
        for chunk in batches(ids, BATCH):
            rows = self._records(
                sa.select(*(r[k] for k in REVISION_FIELDS)).where(self._among(r.incident_id, chunk)).order_by(r.recorded_at, r.id)
            )
            for row in rows:
                values = {k: row._mapping[k] for k in REVISION_FIELDS}
                found.setdefault(row.incident_id, []).append(Revision(**{**values, "correction": bool(row.correction)}))
        return found

    def range_revisions_of(self, incident_id: str) -> list[dict]:
        """An incident's range revisions, in the order recorded: dicts of category, subgroup,
        low_old, high_old, low_new, high_new, reason and recorded_at."""
        r = RANGE_REVISIONS.c
        rows = self._rows(sa.select(*(r[k] for k in RANGE_FIELDS)).where(r.incident_id == incident_id).order_by(r.recorded_at, r.id))
        return [dict(zip(RANGE_FIELDS, row, strict=True)) for row in rows]

    def months_with_data(self) -> list[Month]:
        month = sa.func.substr(INCIDENTS.c.date, 1, 7).label("month")
        rows = self._records(sa.select(month).distinct().order_by(month))
        return [Month(int(r.month[:4]), int(r.month[5:7])) for r in rows]

    def has_data(self, start: date, end: date) -> bool:
        query = sa.select(sa.literal(1)).where(INCIDENTS.c.date.between(start.isoformat(), end.isoformat())).limit(1)
        return bool(self._rows(query))

    def note(self, key: str, value: str) -> None:
        """Record ``value`` under ``key`` among the database's settings (not data: the data version stays)."""
        with self.transaction() as db:
            db.execute(META.delete().where(META.c.key == key))
            db.execute(META.insert().values(key=key, value=value))

    def noted(self, key: str) -> str | None:
        """What ``note`` recorded under ``key``, if anything."""
        return self._meta(key)

    def close(self) -> None:
        self._closer()

    # -- helpers ----------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        return self._scalar(sa.select(META.c.value).where(META.c.key == key))

    def _rows(self, query: sa.Executable) -> list[tuple]:
        with self._errors():
            return [tuple(row) for row in self._db.execute(query)]

    def _records(self, query: sa.Executable) -> list[sa.Row[Any]]:
        """The query's rows as SQLAlchemy rows, read by column name (``row.id``)."""
        with self._errors():
            return list(self._db.execute(query))

    def _typed(self, query: sa.Select[Any], row_type: type[Row]) -> list[Row]:
        """The query's rows as ``row_type``, whose fields are the query's column names in their order."""
        names = tuple(query.selected_columns.keys())
        if names != row_type._fields:  # type: ignore[attr-defined]
            raise AssertionError(f"{row_type.__name__}: the query selects {names}")
        make = row_type._make  # type: ignore[attr-defined]
        with self._errors():
            return [make(row) for row in self._db.execute(query)]

    def _scalar(self, query: sa.Executable):
        with self._errors():
            return self._db.execute(query).scalar()

    def _among(self, column: sa.Column, values: Iterable[str]) -> sa.ColumnElement:
        """``column IN values``; on PostgreSQL one array parameter (psycopg parses 5,000 placeholders slowly)."""
        if self.server:
            return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(sa.Text)))
        return column.in_(list(values))

    def _refuse_stored(self, batch: tuple[Incident, ...]) -> None:
        """Refuse a batch with an id stored already (earlier batches of the same write included)."""
        seen: set[str] = set()
        stored = self.existing_ids(i.id for i in batch)
        for incident in batch:
            if incident.id in stored or incident.id in seen:
                raise _already_stored(self.path, incident.id)
            seen.add(incident.id)

    def _insert(self, batch: tuple[Incident, ...]) -> None:
        rows = [_incident_row(i) for i in batch]
        parts = [row for i in batch for row in _casualty_rows(i)]
        self._wrote = True
        try:
            if self.server:
                self._copy(INCIDENTS, rows)
                self._copy(CASUALTIES, parts)
            else:
                self._db.exec_driver_sql(self._insert_sql(INCIDENTS), rows)
                if parts:
                    self._db.exec_driver_sql(self._insert_sql(CASUALTIES), parts)
        except sa.exc.IntegrityError as exc:
            raise _already_stored(self.path, _conflicting_id(exc.orig)) from None
        except _UNIQUE_VIOLATIONS as exc:
            raise _already_stored(self.path, _conflicting_id(exc)) from None

    def _insert_sql(self, table: sa.Table) -> str:
        """The table's INSERT of all its columns, positional, compiled for the driver's own executemany
        (SQLAlchemy's handling of each row's parameters would double the time of a large import)."""
        statement = table.insert().values({c.key: sa.bindparam(c.key) for c in table.c})
        return str(statement.compile(dialect=self._engine.dialect))

    def _copy(self, table: sa.Table, rows: list[tuple]) -> None:
        """Rows of all the table's columns with PostgreSQL's COPY, its fastest bulk path."""
        conn: Any = self.conn  # psycopg's connection (a server store)
        with conn.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(table.c.keys())}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _lock_incidents(self, ids: set[str]) -> None:
        """Lock the incidents about to be revised, in a fixed order (PostgreSQL; SQLite's write lock covers all)."""
        if self.server and ids:
            self._db.execute(
                sa.select(INCIDENTS.c.id).where(INCIDENTS.c.id.in_(sorted(ids))).order_by(INCIDENTS.c.id).with_for_update()
            )

    def _check_current(self, rev: Revision) -> bool:
        """Whether the casualty row exists; refuse the revision if its old figures are not the stored ones."""
        key = {"incident_id": rev.incident_id, "category": rev.category, "subgroup": rev.subgroup}
        row = self._db.execute(
            sa.select(CASUALTIES.c.killed, CASUALTIES.c.injured).where(*_matching(CASUALTIES, key))
        ).first()
        current = tuple(row) if row else (0, 0)
        if current != (rev.killed_old, rev.injured_old):
            raise StaleRevision(
                f"incident {rev.incident_id}: {rev.category} changed meanwhile"
                f" (now {current[0]} killed, {current[1]} injured); read it again and retry"
            )
        return row is not None

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Database failures as one-line errors naming the database (its password hidden)."""
        try:
            yield
        except sa.exc.DBAPIError as exc:
            raise _scrubbed(_database_error(self.path, exc.orig), self._engine.url.password) from None
        except _PSYCOPG_ERRORS as exc:
            raise _scrubbed(_database_error(self.path, exc), self._engine.url.password) from None

    def _rollback(self) -> None:
        with suppress(sa.exc.DBAPIError):  # the connection is gone: the server has rolled back
            self._db.exec_driver_sql("ROLLBACK")


def _area_of(areas: Areas) -> sa.ColumnElement:
    """The key of the first area whose districts or locations hold an incident, else ""."""
    i = INCIDENTS.c
    whens = [
        (sa.or_(i.district.in_(districts), i.location.in_(locations)), key) for key, districts, locations in areas
    ]
    if not whens:
        return sa.literal("").label("area")
    return sa.case(*whens, else_="").label("area")


def batches(items: Iterable, size: int) -> Iterator[tuple]:
    """``items`` in tuples of ``size`` (the last one shorter), read lazily."""
    it = iter(items)
    while chunk := tuple(islice(it, size)):
        yield chunk


def _matching(table: sa.Table, key: dict) -> list:
    return [table.c[k] == v for k, v in key.items()]


def _as_of(source: sa.FromClause, as_of: date | None) -> tuple[sa.FromClause, AsOf]:
    """``source`` (which holds the casualties), and their killed, injured, killed_low and
    killed_high as they stood on ``as_of``.

    A figure stood at the old value of the first revision recorded after that day, if any, and
    a range at the old bounds of the first range revision recorded after it: one join to each
    kind's first later revisions (a window function), not a lookup per casualty row.
    """
    c = CASUALTIES.c
    if as_of is None:
        return source, AsOf(c.killed, c.injured, c.killed_low, c.killed_high)
    after = day_after(as_of).isoformat()
    tolls = _first_after(REVISIONS, ("killed_old", "injured_old"), after, "later")
    ranges = _first_after(RANGE_REVISIONS, ("id", "low_old", "high_old"), after, "later_ranges")
    source = source.outerjoin(tolls, _first_of(tolls, c)).outerjoin(ranges, _first_of(ranges, c))
    revised = ranges.c.id.is_not(None)  # an old bound may be NULL: no range (or no row) before
    return source, AsOf(
        sa.func.coalesce(tolls.c.killed_old, c.killed), sa.func.coalesce(tolls.c.injured_old, c.injured),
        sa.case((revised, ranges.c.low_old), else_=c.killed_low), sa.case((revised, ranges.c.high_old), else_=c.killed_high),
    )


class AsOf(NamedTuple):
    """A casualty row's figures as they stood on a day (SQL expressions)."""

    killed: sa.ColumnElement
    injured: sa.ColumnElement
    killed_low: sa.ColumnElement
    killed_high: sa.ColumnElement


def _first_after(table: sa.Table, columns: tuple[str, ...], after: str, name: str) -> sa.Subquery:
    """``table``'s revisions recorded from ``after`` on, with their rank per count (1: the first recorded)."""
    r = table.c
    rank = sa.func.row_number().over(partition_by=(r.incident_id, r.category, r.subgroup), order_by=(r.recorded_at, r.id))
    return (sa.select(r.incident_id, r.category, r.subgroup, *(r[k] for k in columns), rank.label("rank"))
            .where(r.recorded_at >= after).subquery(name))


def _first_of(later: sa.Subquery, c) -> sa.ColumnElement:
    first = later.c
    return sa.and_(first.incident_id == c.incident_id, first.category == c.category, first.subgroup == c.subgroup, first.rank == 1)


def _dated(start: date, end: date, as_of: date | None) -> list[sa.ColumnElement[bool]]:
    """Incidents dated in [start, end], and recorded by the end of ``as_of``."""
    where: list[sa.ColumnElement[bool]] = [INCIDENTS.c.date.between(start.isoformat(), end.isoformat())]
    if as_of is not None:
        where.append(INCIDENTS.c.recorded_at < day_after(as_of).isoformat())
    return where


def _incident_row(incident: Incident) -> tuple:
    values = [getattr(incident, c) for c in INCIDENT_COLUMNS]
    values[INCIDENT_COLUMNS.index("recorded_at")] = incident.recorded_at or incident.date
    row = (*values, json.dumps(incident.extra, sort_keys=True) if incident.extra else "{}")
    if "\x00" in "".join(row):
        raise ReportgenError(f"incident {incident.id!r}: a text holds a NUL character, which no store keeps")
    return row


def _casualty_rows(incident: Incident) -> list[tuple]:
    return [
        (incident.id, c.category, c.subgroup, c.killed, c.injured, c.killed_low, c.killed_high)
        for c in incident.casualties
    ]


def _already_stored(path: str, incident_id: str | None) -> ReportgenError:
    what = f"incident {incident_id!r} is" if incident_id else "an incident of this write is"
    return ReportgenError(f"{path}: {what} already stored (written meanwhile?); nothing was imported, import the file again")


def _driver_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(psycopg's unique violation, any psycopg error): raised as they are by COPY, which bypasses SQLAlchemy."""
    try:
        import psycopg
    except ImportError:
        return (), ()
    return (psycopg.errors.UniqueViolation,), (psycopg.Error,)


_UNIQUE_VIOLATIONS, _PSYCOPG_ERRORS = _driver_errors()


def _conflicting_id(error: BaseException | None) -> str | None:
    """The id a unique violation names (PostgreSQL: ``Key (id)=(X) already exists.``)."""
    detail = getattr(getattr(error, "diag", None), "message_detail", None) or ""
    m = re.match(r"Key \((?:incident_)?id\)=\((.*)\) already exists", detail)
    return m[1] if m else None


def _database_error(path: str, error: BaseException | None) -> ReportgenError:
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, sqlite3.OperationalError) and "locked" in text:
        return ReportgenError(f"{path}: the database stayed busy for {BUSY_SECONDS} s (a long write?); try again")
    if type(error).__name__ == "LockNotAvailable":
        return ReportgenError(f"{path}: the incidents stayed locked for {BUSY_SECONDS} s (a long write?); try again")
    return ReportgenError(f"{path}: database error ({text})")


# -- opening ---------------------------------------------------------------


def is_server_url(location: str | Path) -> bool:
    return "://" in str(location)


def shown_location(location: str | Path) -> str:
    """A database location fit for messages: a URL's password (and any password parameter) hidden."""
    location = str(location)
    if not is_server_url(location):
        return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]+:/+[^/@:]*):[^/@]*@", r"\1:***@", location)
    try:
        url = sa.make_url(location)
    except sa.exc.ArgumentError:
        return re.sub(r"//[^/@]*@", "//***@", location)
    hidden = {k: ("***" if k.lower() == "password" else v) for k, v in url.query.items()}
    return url.set(query=hidden).render_as_string(hide_password=True)


def _secret(location: str) -> str | None:
    try:
        url = sa.make_url(location)
    except sa.exc.ArgumentError:
        return None
    password = url.password or url.query.get("password")
    return password if isinstance(password, str) and password else None


def redacted(text: str, location: str | Path) -> str:
    """``text`` with the password of the database at ``location`` (if it has one) replaced by ``***``."""
    return str(_scrubbed(ReportgenError(text), _secret(str(location)) if is_server_url(location) else None))


def open_store(path: str | Path, create: bool = True) -> Store:
    """Open (and, if missing, create) the database at ``path`` (a file or a PostgreSQL URL), checking its schema."""
    if is_server_url(path):
        return _open_server(str(path), create)
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]+:/", str(path)):  # postgresql:/host/db: a URL with a slash lost, not a file
        raise ReportgenError(f"{shown_location(path)}: not a file path, nor a URL (postgresql://USER@HOST/DATABASE)")
    return _open_file(str(path), create)


def recorded_binding(path: str | Path) -> Binding | None:
    """The profile the database at ``path`` records; None if it records none, or if there is no
    database there yet (nothing is made: a reader's open)."""
    try:
        store = open_store(path, create=False)
    except NoDatabase:
        return None
    try:
        return store.binding()
    finally:
        store.close()


def _open_file(path: str, create: bool) -> Store:
    exists = Path(path).exists() and Path(path).stat().st_size > 0
    if not exists and not create:
        raise NoDatabase(f"{path}: no database here; run `reportgen import` or `reportgen demo` first")
    if not exists:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine("sqlite://", creator=lambda: _connect(path), poolclass=NullPool)
    db = None
    try:
        db = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        set_up(db, path, exists)
        db.exec_driver_sql("PRAGMA journal_mode = WAL")
    except (sa.exc.DBAPIError, sqlite3.DatabaseError) as exc:
        _dispose(engine, db)
        reason = getattr(exc, "orig", exc)
        if "file is not a database" in str(reason):
            raise ReportgenError(f"{path}: not a SQLite database (not made by reportgen?)") from None
        raise ReportgenError(f"{path}: cannot open as a SQLite database ({reason})") from None
    except ReportgenError:
        _dispose(engine, db)
        raise
    return Store(engine, db, path)


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute("PRAGMA cache_size = -65536")  # 64 MiB: large imports keep their indexes in memory
    return conn


def _server_url(location: str) -> URL:
    try:
        url = sa.make_url(location)
    except sa.exc.ArgumentError:
        raise ReportgenError(f"{shown_location(location)}: not a database URL; expected postgresql://USER@HOST/DATABASE") from None
    if url.drivername not in SERVER_SCHEMES:
        raise ReportgenError(
            f"{shown_location(location)}: unknown kind of database {url.drivername!r};"
            " expected a file path or a postgresql:// URL"
        )
    return url.set(drivername="postgresql+psycopg")


def _open_server(location: str, create: bool) -> Store:
    name = shown_location(location)
    try:
        engine = sa.create_engine(_server_url(location), poolclass=NullPool, connect_args={"application_name": "reportgen"})
    except ImportError:
        raise ReportgenError(f"{name}: PostgreSQL needs psycopg: pip install 'reportgen[postgresql]'") from None
    db = None
    try:
        db = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        db.exec_driver_sql(f"SET lock_timeout = '{BUSY_SECONDS}s'")
        set_up(db, name, None, create)
    except sa.exc.DBAPIError as exc:
        _dispose(engine, db)
        raise _scrubbed(_server_error(name, exc), _secret(location)) from None
    except ReportgenError as exc:
        _dispose(engine, db)
        raise _scrubbed(exc, _secret(location)) from None
    return Store(engine, db, name)


def _server_error(name: str, exc: sa.exc.DBAPIError) -> ReportgenError:
    text = " ".join(str(exc.orig).split())
    if not exc.connection_invalidated and "connection" not in text.lower():
        return ReportgenError(f"{name}: database error ({text})")
    return ReportgenError(f"{name}: cannot connect ({text})")


def _scrubbed(error: ReportgenError, secret: str | None) -> ReportgenError:
    """The error with any trace of the password replaced, whatever the driver put in its message."""
    if secret and secret in str(error):
        return (NoDatabase if isinstance(error, NoDatabase) else ReportgenError)(str(error).replace(secret, "***"))
    return error


def _dispose(engine: Engine, db: Connection | None) -> None:
    if db is not None:
        with suppress(sa.exc.DBAPIError):
            db.close()
    engine.dispose()
