"""A throwaway PostgreSQL cluster for the tests and benchmarks: ``initdb`` and ``pg_ctl`` in a
temporary directory, reached on a unix socket there (no TCP port at all).

``initdb`` refuses to run as root, so as root (CI) the server runs as the ``postgres``
user that the Debian package creates (``runuser -u postgres --``), in a directory it
owns; anyone else runs it as themselves. The binaries are found in
``$REPORTGEN_PG_BIN``, on PATH, or in Debian's ``/usr/lib/postgresql/N/bin``.

Databases: ``create_database(name, template=...)`` copies a template, so a
database of sample data is loaded once and copied per test. The role ``editor``
logs in with ``EDITOR_PASSWORD`` only (scram-sha-256); everyone else is trusted.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

EDITOR_PASSWORD = "s3cret-Pw!"  # a test secret: it must never show in any message or output
HBA = """\
local all editor scram-sha-256
local all all trust
"""


def bin_dir() -> Path:
    """Where initdb and pg_ctl are."""
    wanted = os.environ.get("REPORTGEN_PG_BIN")
    if wanted:
        return Path(wanted)
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found: install the postgresql package or set REPORTGEN_PG_BIN")
    return Path(found[-1]).parent


class Cluster:
    """A running server; ``url(database)`` is what ``reportgen --db`` takes."""

    def __init__(self, options: tuple[str, ...] = ("fsync=off", "full_page_writes=off")):
        self.bin = bin_dir()
        self.dir = Path(tempfile.mkdtemp(prefix="reportgen-pg-"))
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self._run("initdb", "-D", self.data, "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
        (self.data / "pg_hba.conf").write_text(HBA, encoding="utf-8")
        settings = " ".join(f"-c {o}" for o in ("listen_addresses=", *options))
        self._run("pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "-o", f"-k {self.dir} {settings}", "start")
        self._count = 0
        try:
            from psycopg import sql

            self.admin(sql.SQL("CREATE ROLE editor LOGIN PASSWORD {}").format(sql.Literal(EDITOR_PASSWORD)))
        except BaseException:
            self.stop()
            raise

    def url(self, database: str, user: str = "postgres", password: str | None = None) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@/{database}?host={self.dir}"

    def admin(self, statement) -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(host=str(self.dir), user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, name: str | None = None, template: str | None = None, owner: str = "postgres") -> str:
        """A new database (empty, or a copy of ``template``); returns its name."""
        if name is None:
            self._count += 1
            name = f"test_{self._count}"
        # names are ours (letters, digits, underscores): identifiers cannot be bound parameters
        template_clause = f" TEMPLATE {template}" if template else ""
        self.admin(f"CREATE DATABASE {name}{template_clause} OWNER {owner}")
        return name

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, program: str, *args: object) -> None:
        command = [str(self.bin / program), *map(str, args)]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.dir)
        if done.returncode:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
