"""Watching what the bulletins are made from, and telling open pages to reload.

The template directories are watched recursively; the database and the
profile through their folders, for their own file names only (so output/ and
anything else beside the database is never watched). A PostgreSQL database
has no file to watch: its data version is asked every ``POLL_S`` seconds. watchfiles groups a burst
of changes (an editor's save, an import of many rows) into one set once
``STEP_MS`` pass without a new one. A change to the database's files counts
only when the data version moved: a reader's checkpoint or SQLite's WAL
housekeeping is no change of data.

Every counted change raises a generation number and goes to each open event
stream. A stream starts with the generation and the server's instance id, so
a page that missed a change (or outlived a restart) reloads when it connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import anyio
from sqlalchemy.exc import SQLAlchemyError
from watchfiles import DefaultFilter, awatch

from ..errors import ReportgenError
from ..store import Store, is_server_url, open_store, shown_location
from ..wording import template_dirs

STEP_MS = 50  # quiet time that ends a burst of changes
DEBOUNCE_MS = 1600  # the longest burst grouped into one reload
POLL_S = 1.0  # how often a PostgreSQL database's data version is asked
RUST_TIMEOUT_MS = 500  # how often the watching thread looks up (stopping takes at most this long)
DB_SUFFIXES = ("", "-wal", "-journal")


@dataclass(frozen=True)
class WatchedChange:
    generation: int
    what: tuple[str, ...]  # "templates", "profile", "data"
    paths: tuple[str, ...]  # the changed files (the database's name for data)


class Changes:
    """The generation counter and the queues of the open event streams."""

    def __init__(self) -> None:
        self.instance = secrets.token_hex(6)
        self.generation = 0
        self.last: WatchedChange | None = None
        self._queues: set[asyncio.Queue[WatchedChange | None]] = set()

    def publish(self, what: tuple[str, ...], paths: tuple[str, ...]) -> WatchedChange:
        self.generation += 1
        self.last = WatchedChange(self.generation, what, paths)
        for queue in self._queues:
            queue.put_nowait(self.last)
        return self.last

    def hello(self) -> dict[str, str]:
        return {"event": "hello", "data": json.dumps({"instance": self.instance, "generation": self.generation})}

    async def stream(self, stop: anyio.Event | None = None) -> AsyncIterator[dict[str, str]]:
        """Server-sent events for one page: ``hello``, then one ``reload`` per change, until ``stop`` is set."""
        queue: asyncio.Queue[WatchedChange | None] = asyncio.Queue()
        self._queues.add(queue)

        async def end_on_stop(event: anyio.Event) -> None:
            await event.wait()
            queue.put_nowait(None)

        waiter = asyncio.create_task(end_on_stop(stop)) if stop else None
        try:
            yield self.hello()
            while (change := await queue.get()) is not None:
                yield {"event": "reload", "id": str(change.generation), "data": json.dumps(
                    {"instance": self.instance, "generation": change.generation, "what": change.what, "paths": change.paths})}
        finally:
            self._queues.discard(queue)
            if waiter:
                waiter.cancel()


class DataVersion:
    """The database's data version, read through one long-lived connection in one thread.

    Keeping one connection open means checking does not itself create and
    delete the ``-wal`` file (which would be seen as another change). A
    database file replaced by another (a restored copy) is opened anew.
    """

    def __init__(self, db: str):
        self.db = db
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reportgen-data-version")
        self._store: Store | None = None
        self._identity: tuple[int, int] | None = None

    async def read(self) -> tuple | None:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._read)

    def _read(self) -> tuple | None:
        try:
            identity = None if is_server_url(self.db) else _file_identity(self.db)
            if self._store is None or identity != self._identity:
                self._close()
                self._store, self._identity = open_store(self.db, create=False), identity
            return identity, self._store.data_version()
        except (OSError, ReportgenError, sqlite3.Error, SQLAlchemyError):  # the page that reloads says why
            self._close()
            return None

    def _close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def close(self) -> None:
        self._thread.submit(self._close).result()
        self._thread.shutdown()


def _file_identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


class Watcher:
    """Watches templates, profile and database; publishes each change to ``changes``."""

    def __init__(self, templates: str | None, profile_path: Path, db: str, changes: Changes):
        self.template_dirs = [Path(os.path.realpath(d)) for d in template_dirs(templates) if d.is_dir()]
        self.profile = os.path.realpath(profile_path)
        self.polled = is_server_url(db)
        self.db = db if self.polled else os.path.realpath(db)
        self.db_name = shown_location(db) if self.polled else os.path.basename(self.db)
        self.db_files = set() if self.polled else {self.db + suffix for suffix in DB_SUFFIXES}
        self.changes = changes
        self.data = DataVersion(db)
        self._version: tuple | None = None
        self._lock = asyncio.Lock()

    @property
    def file_dirs(self) -> list[str]:
        return sorted({os.path.dirname(p) for p in (self.profile, *self.db_files)})

    def _is_watched_file(self, _change: object, path: str) -> bool:
        return os.path.realpath(path) in self.db_files or os.path.realpath(path) == self.profile

    async def run(self, stop: asyncio.Event) -> None:
        """Watch until ``stop`` is set; if one watch fails, the others stop too and the failure is raised."""
        self._version = await self.data.read()
        jobs = [self._watch(self.template_dirs, True, DefaultFilter(), stop),
                self._watch([Path(d) for d in self.file_dirs], False, self._is_watched_file, stop)]
        if self.polled:
            jobs.append(self._poll(stop))
        tasks = [asyncio.create_task(job) for job in jobs]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            self.data.close()

    async def _poll(self, stop: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_S)
            if stop.is_set():
                return
            await self.on_changes(set(), data=True)

    async def _watch(self, paths: list[Path], recursive: bool, keep: Callable[..., bool], stop: asyncio.Event) -> None:
        if not paths:
            return
        async for found in awatch(*paths, watch_filter=keep, recursive=recursive, step=STEP_MS,
                                  debounce=DEBOUNCE_MS, stop_event=stop, rust_timeout=RUST_TIMEOUT_MS):
            await self.on_changes({os.path.realpath(p) for _, p in found})

    async def on_changes(self, paths: set[str], data: bool = False) -> WatchedChange | None:
        """Publish what ``paths`` changed (with ``data``: ask the database too), if anything a bulletin is made from."""
        async with self._lock:
            what, shown = [], []
            templates = sorted(p for p in paths if self._in_templates(p))
            if templates:
                what.append("templates")
                shown += [self._template_name(p) for p in templates]
            if self.profile in paths:
                what.append("profile")
                shown.append(os.path.basename(self.profile))
            if data or paths & self.db_files:
                version = await self.data.read()
                if version is None or version != self._version:
                    self._version = version
                    what.append("data")
                    shown.append(self.db_name)
            return self.changes.publish(tuple(what), tuple(shown)) if what else None

    def _in_templates(self, path: str) -> bool:
        return any(os.path.commonpath([path, str(d)]) == str(d) for d in self.template_dirs)

    def _template_name(self, path: str) -> str:
        root = next(d for d in self.template_dirs if os.path.commonpath([path, str(d)]) == str(d))
        return Path(os.path.relpath(path, root)).as_posix()
