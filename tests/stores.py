"""Helpers for tests that run on either store (a SQLite file, or PostgreSQL with
``REPORTGEN_TEST_STORE=postgresql``): how the product names a database in its messages,
what "no database" means on each store, and what a store holds, read through its API.

On SQLite a database nobody created is a file that does not exist; on PostgreSQL it is a
database without reportgen's tables (a server database is made by its administrator, and
readers never give it tables).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from reportgen.store import Store, is_server_url, shown_location

EVER = (date(1900, 1, 1), date(2999, 12, 31))


def shown(location: Path | str) -> str:
    """How messages name the database at ``location`` (a file's path, or the URL with its password hidden)."""
    return shown_location(str(location))


def no_database(location: Path | str) -> str:
    """The end of the one-line error of a reader given a database that was never made."""
    if is_server_url(location):
        return f"{shown(location)}: no reportgen tables in this database; run `reportgen import` first"
    return f"{location}: no database here; run `reportgen import` or `reportgen demo` first"


def never_made(location: Path | str) -> bool:
    """Whether nothing made the database at ``location``: no file, or (PostgreSQL) no tables at all."""
    if not is_server_url(location):
        return not Path(location).exists()
    engine = sa.create_engine(sa.make_url(str(location)).set(drivername="postgresql+psycopg"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return not sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


def revision_count(store: Store) -> int:
    """How many revisions the store holds (every revision belongs to a stored incident)."""
    return len(store.revisions_recorded(*EVER))

