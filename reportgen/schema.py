"""The schema: reportgen's tables, their version, and how a database gets them or is refused.

One definition (SQLAlchemy Core) makes the tables in SQLite and in PostgreSQL.
A database is used only if it holds reportgen's tables at this schema version;
an older version is brought up to date by named upgrades, each in one
transaction with its record; anything else is refused, never changed.

Version 4 adds no table: it is the version of a database that records its profile
(``meta`` keys ``BINDING_KEYS``, see ``binding``), which a release that cannot honour
the record must refuse. A version-3 database is read as it is (a read never writes to
it) and reaches version 4 in the transaction of its first write that records a profile.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateColumn

from .errors import NoDatabase, ReportgenError

SCHEMA_VERSION = 4
BOUND_ON_WRITE = "3"  # the version whose upgrade is its first write made with a profile
# The meta keys of a database's profile (see ``binding``): its name, source, fingerprint and taxonomy.
BINDING_KEYS = ("profile", "profile_source", "profile_fingerprint", "profile_taxonomy")
TEXT = sa.Text()

schema = sa.MetaData()
META = sa.Table(
    "meta", schema,
    sa.Column("key", TEXT, primary_key=True),
    sa.Column("value", TEXT, nullable=False),
)
INCIDENTS = sa.Table(
    "incidents", schema,
    sa.Column("id", TEXT, primary_key=True),
    sa.Column("date", TEXT, nullable=False),
    sa.Column("region", TEXT, nullable=False),
    sa.Column("province", TEXT, nullable=False, server_default=""),
    sa.Column("district", TEXT, nullable=False, server_default=""),
    sa.Column("location", TEXT, nullable=False, server_default=""),
    sa.Column("perpetrator", TEXT, nullable=False),
    sa.Column("kind", TEXT, nullable=False),
    sa.Column("summary", TEXT, nullable=False, server_default=""),
    sa.Column("sources", TEXT, nullable=False, server_default=""),
    sa.Column("recorded_at", TEXT, nullable=False),
    sa.Column("extra", TEXT, nullable=False, server_default="{}"),
    # Covering: a period's counts and sums read the index, not the incident rows.
    sa.Index("incidents_date", "date", "region", "perpetrator", "recorded_at", "id"),
)
CASUALTIES = sa.Table(
    "casualties", schema,
    sa.Column("incident_id", TEXT, sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("category", TEXT, primary_key=True),
    sa.Column("subgroup", TEXT, primary_key=True, server_default=""),
    sa.Column("killed", sa.Integer, sa.CheckConstraint("killed >= 0"), nullable=False),
    sa.Column("injured", sa.Integer, sa.CheckConstraint("injured >= 0"), nullable=False),
    sa.Column("killed_low", sa.Integer),
    sa.Column("killed_high", sa.Integer),
    # SQLite keeps the rows in key order: an incident's casualties are read where the key leads.
    sqlite_with_rowid=False,
)
REVISIONS = sa.Table(
    "revisions", schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", TEXT, sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("category", TEXT, nullable=False),
    sa.Column("subgroup", TEXT, nullable=False, server_default=""),
    sa.Column("killed_old", sa.Integer, nullable=False),
    sa.Column("killed_new", sa.Integer, nullable=False),
    sa.Column("injured_old", sa.Integer, nullable=False),
    sa.Column("injured_new", sa.Integer, nullable=False),
    sa.Column("reason", TEXT, nullable=False),
    sa.Column("correction", sa.Integer, nullable=False, server_default="0"),
    sa.Column("recorded_at", TEXT, nullable=False),
    sa.Column("recorded_by", TEXT, nullable=False, server_default=""),
    sa.Index("revisions_key", "incident_id", "category", "subgroup", "recorded_at"),
    sa.Index("revisions_recorded", "recorded_at"),
    sqlite_autoincrement=True,
)
RANGE_REVISIONS = sa.Table(
    "range_revisions", schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", TEXT, sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("category", TEXT, nullable=False),
    sa.Column("subgroup", TEXT, nullable=False, server_default=""),
    sa.Column("low_old", sa.Integer),  # NULL: no bound (or no row) before
    sa.Column("high_old", sa.Integer),
    sa.Column("low_new", sa.Integer),
    sa.Column("high_new", sa.Integer),
    sa.Column("reason", TEXT, nullable=False),
    sa.Column("recorded_at", TEXT, nullable=False),
    # The as-of join ranks each count's revisions by the time recorded: one index range per count.
    sa.Index("range_revisions_key", "incident_id", "category", "subgroup", "recorded_at"),
    sa.Index("range_revisions_recorded", "recorded_at"),
    sqlite_autoincrement=True,
)
# Tables a database of an older schema version lacks until its upgrade makes them.
ADDED_IN = {"range_revisions": 3}

ROW_COLUMNS = tuple(INCIDENTS.c.keys())  # an incident's row: its fields, then ``extra`` (JSON)
INCIDENT_COLUMNS = ROW_COLUMNS[:-1]


@compiles(CreateColumn, "postgresql")
def _byte_order_text(element: CreateColumn, compiler, **kw) -> str:
    """Our text columns compare byte by byte in PostgreSQL too, whatever the database's collation:
    dates, ids and keys sort as in SQLite and in Python. (Set in the DDL only: a collation on
    the column type would also be cast onto every bound parameter.)"""
    ddl = compiler.visit_create_column(element, **kw)
    column = element.element
    if column.table.metadata is schema and isinstance(column.type, sa.Text):
        ddl = ddl.replace(" TEXT", ' TEXT COLLATE "C"', 1)
    return ddl


def set_up(db: Connection, name: str, exists: bool | None, create: bool = True) -> None:
    """Check the schema of an existing database, or create it in a new one.

    ``exists`` is None for a server database, where only its tables tell whether
    it is new; creating takes the write lock (SQLite) or a transaction-scoped
    advisory lock (PostgreSQL), so that two processes starting on an empty
    database do not both create it.
    """
    if exists:
        _check_schema(db, name)
        return
    tables = _tables(db, name)
    if tables:
        _check_schema(db, name)
        return
    if not create:
        raise NoDatabase(f"{name}: no reportgen tables in this database; run `reportgen import` first")
    server = db.dialect.name == "postgresql"
    db.exec_driver_sql("BEGIN" if server else "BEGIN IMMEDIATE")
    try:
        if server:
            db.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK)))
        if not _tables(db, name):
            schema.create_all(db, checkfirst=False)
            db.execute(META.insert(), [{"key": "schema_version", "value": str(SCHEMA_VERSION)},
                                       {"key": "data_version", "value": "0"}])
        db.exec_driver_sql("COMMIT")
    except BaseException:
        db.exec_driver_sql("ROLLBACK")
        raise
    _check_schema(db, name)


SCHEMA_LOCK = 0x7265706F7274  # "report": the advisory lock held while a server database gets its tables


def _tables(db: Connection, name: str) -> set[str]:
    return set(sa.inspect(db).get_table_names())


def _check_schema(db: Connection, name: str) -> None:
    """Refuse a database that reportgen did not make, or made with another schema version."""
    tables = _tables(db, name)
    version = None
    if "meta" in tables:
        version = db.execute(sa.select(META.c.value).where(META.c.key == "schema_version")).scalar()
    if version is None:
        found = f"tables: {', '.join(sorted(tables))}" if tables else "no tables"
        raise ReportgenError(f"{name}: not a reportgen database ({found}, no schema version recorded)")
    if version != str(SCHEMA_VERSION) and not _upgradable(version):
        raise ReportgenError(
            f"{name}: database schema version {version}, this reportgen reads version"
            f" {SCHEMA_VERSION}; use the matching reportgen release or a new database"
        )
    _check_tables(db, name, tables, int(version))
    if version in UPGRADES:
        _upgrade(db)


def _covering_date_index(db: Connection) -> None:
    """Version 1 -> 2: the date index also holds region, perpetrator, recorded_at and id;
    SQLite's casualties are kept in key order (a table without rowid)."""
    index = next(i for i in INCIDENTS.indexes if i.name == "incidents_date")
    db.execute(sa.schema.DropIndex(index))
    db.execute(sa.schema.CreateIndex(index))
    if db.dialect.name == "sqlite":
        copy = sa.MetaData()
        INCIDENTS.to_metadata(copy)
        rebuilt = CASUALTIES.to_metadata(copy, name="casualties_v2")
        rebuilt.create(db)
        db.execute(rebuilt.insert().from_select(list(CASUALTIES.c.keys()), sa.select(CASUALTIES)))
        CASUALTIES.drop(db)
        db.exec_driver_sql("ALTER TABLE casualties_v2 RENAME TO casualties")


def _range_revisions_table(db: Connection) -> None:
    """Version 2 -> 3: range revisions get a table of their own (the as-of reads join it), and
    those kept so far in each incident's ``extra["range_revisions"]`` move there, in their order."""
    RANGE_REVISIONS.create(db, checkfirst=True)
    i = INCIDENTS.c
    held = db.execute(sa.select(i.id, i.extra).where(i.extra.contains('"range_revisions"', autoescape=True)).order_by(i.id)).all()
    for incident_id, text in held:
        extra = json.loads(text)
        moved = extra.pop("range_revisions", None)
        if moved is None:  # the words were in some other value
            continue
        if moved:
            db.execute(RANGE_REVISIONS.insert(), [
                {"incident_id": incident_id, **{k: change.get(k) for k in RANGE_FIELDS}, "subgroup": change.get("subgroup") or ""}
                for change in moved
            ])
        db.execute(INCIDENTS.update().where(i.id == incident_id).values(extra=json.dumps(extra, sort_keys=True)))


RANGE_FIELDS = ("category", "subgroup", "low_old", "high_old", "low_new", "high_new", "reason", "recorded_at")

# Named upgrades, each from the version it starts at; none loses what the tables hold. (Version 3
# to 4 is not here: it needs the profile, which only a write knows; see ``Store.transaction``.)
UPGRADES = {"1": _covering_date_index, "2": _range_revisions_table}


def _upgradable(version: str) -> bool:
    return version in UPGRADES or version == BOUND_ON_WRITE


def _upgrade(db: Connection) -> None:
    """Bring an older database to this version, each upgrade in one transaction with its record."""
    server = db.dialect.name == "postgresql"
    while True:
        db.exec_driver_sql("BEGIN" if server else "BEGIN IMMEDIATE")
        try:
            if server:
                db.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK)))
            version = db.execute(sa.select(META.c.value).where(META.c.key == "schema_version")).scalar_one()
            if version in UPGRADES:
                UPGRADES[version](db)
                db.execute(META.update().where(META.c.key == "schema_version").values(value=str(int(version) + 1)))
            db.exec_driver_sql("COMMIT")
        except BaseException:
            db.exec_driver_sql("ROLLBACK")
            raise
        if version not in UPGRADES:
            return


def _check_tables(db: Connection, name: str, tables: set[str], version: int) -> None:
    """The tables and columns are reportgen's (but those ``version`` predates, which its upgrade
    makes), and (SQLite) no trigger or view runs code on our reads or writes."""
    inspector = sa.inspect(db)
    for table in schema.sorted_tables:
        if table.name not in tables and ADDED_IN.get(table.name, 0) > version:
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)} if table.name in tables else set()
        if columns != set(table.c.keys()):
            raise ReportgenError(f"{name}: table {table.name} is not the one reportgen makes (schema version {SCHEMA_VERSION})")
    if db.dialect.name == "sqlite":
        extra = db.exec_driver_sql("SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'view')").first()
        if extra:
            raise ReportgenError(f"{name}: holds a {extra[0]} ({extra[1]}) that reportgen does not make; refusing to use it")
