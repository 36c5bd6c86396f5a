"""Where a build renders its bulletins: in a local process pool (``--jobs N``) or on a Dask
cluster (``--executor dask://HOST:PORT`` or ``tls://HOST:PORT``).

Both hand out the same task: ``render_task``, a top-level function of one ``RenderTask``
(plain, picklable data: the job, the render settings, the database location). A worker
opens its own connection to the database, gathers the bulletin's Summaries and renders
its files; the files come back as bytes, and the build process alone writes them (and
whatever record of the build it keeps), so a parallel build writes what a serial one does.

The pool starts its workers with ``spawn``: a forked worker's first vl-convert conversion
never returns when the parent has already used vl-convert (its JavaScript runtime runs on
threads that a fork does not copy). The year bulletins, the longest, are handed out first.

The database location may carry a password: it travels inside the task (to a process on
this machine, or over TLS to a cluster) but is never shown. A task's ``repr`` (which Dask
logs when a task fails) hides it, and every error that comes back has it replaced by ``***``.
"""

from __future__ import annotations

import ipaddress
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ReportgenError, shown
from ..store import is_server_url, open_store, redacted, shown_location
from ..template_errors import as_template_failure
from .gather import gather
from .jobs import Job

SCHEMES = ("dask://", "tls://")

Files = dict[str, bytes]


@dataclass(frozen=True)
class RenderTask:
    """Everything a worker needs to render one bulletin on its own."""

    job: Job
    settings: Any  # a render.RenderSettings (its profile travels with it)
    db: str = field(repr=False)  # file path or URL; may hold a password
    first_month: tuple[int, int] | None  # the first month with data (as the serial build sees it)
    build: str  # this build's id: a worker keeps one store and one template environment per build
    bulletin: Any = None  # the render.Bulletin, when the build process gathered it already

    def __repr__(self) -> str:
        return f"RenderTask({self.job.key}, {self.job.kind}, db={shown_location(self.db)!r})"


def render_task(task: RenderTask) -> Files:
    """One bulletin's files (name -> bytes), rendered in this process from the database.

    Errors come back as one ``ReportgenError`` whose message names no password (and
    carries no chained exception that could); an error in a template as ``TEMPLATE:LINE: message``.
    """
    try:
        with _RENDERING:
            return _render(task)
    except ReportgenError as exc:
        raise _plain(redacted(str(exc), task.db), exc.exit_code) from None
    except Exception as exc:
        failure = as_template_failure(exc)
        message = redacted(str(exc), task.db)
        if failure is not None:  # with its cause, which --debug shows, unless that names a password
            raise _plain(redacted(str(failure), task.db), 1) from (exc if message == str(exc) else None)
        if message != str(exc):
            raise _plain(f"{type(exc).__name__}: {message}", 1) from None
        raise


# WeasyPrint and vl-convert are not documented as thread-safe: a Dask worker with several
# threads renders one bulletin at a time (start workers with more processes instead).
_RENDERING = threading.Lock()
_WORKER: dict[str, tuple[Any, Any]] = {}  # build id -> (store, Jinja environment)


def _render(task: RenderTask) -> Files:
    from ..render import render_bulletin

    store, env = _worker_state(task)
    bulletin = task.bulletin or gather(store, task.settings.profile, task.job, task.first_month)
    return render_bulletin(bulletin, task.settings, env).files()


def _worker_state(task: RenderTask) -> tuple[Any, Any]:
    """This build's store and templates; a long-lived (Dask) worker drops the previous build's."""
    if task.build not in _WORKER:
        for store, _ in _WORKER.values():
            store.close()
        _WORKER.clear()
        _WORKER[task.build] = (open_store(task.db, create=False), task.settings.environment())
    return _WORKER[task.build]


def _plain(message: str, exit_code: int) -> ReportgenError:
    """A ReportgenError that pickles back whole (subclasses with other constructors may not)."""
    error = ReportgenError(message)
    error.exit_code = exit_code
    return error


# -- the tasks of a build ------------------------------------------------------------


def render_tasks(jobs: list[Job], settings, db: str, first_month: tuple[int, int] | None,
                 bulletins: dict[Job, Any] | None = None) -> list[RenderTask]:
    """One task per job (with its gathered Bulletin, if in ``bulletins``), the year bulletins first;
    paths made absolute (a worker may start elsewhere)."""
    if settings.templates:
        settings = replace(settings, templates=str(Path(settings.templates).resolve()))
    location = str(db) if is_server_url(db) else str(Path(db).resolve())
    build = uuid.uuid4().hex
    ordered = sorted(jobs, key=lambda job: job.kind != "year")
    return [RenderTask(job, settings, location, first_month, build, (bulletins or {}).get(job)) for job in ordered]


# -- where they run -----------------------------------------------------------------


@dataclass(frozen=True)
class ProcessPool:
    """``workers`` local processes (``concurrent.futures``, started with ``spawn``)."""

    workers: int
    db: str

    def render(self, jobs: list[Job], settings, first_month, bulletins=None) -> Iterator[tuple[Job, Files]]:
        """Each job with its files, in the order they are done."""
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from multiprocessing import get_context

        tasks = render_tasks(jobs, settings, self.db, first_month, bulletins)
        workers = min(self.workers, len(tasks)) or 1
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_ignore_interrupts) as pool:
            futures = {pool.submit(render_task, task): task for task in tasks}
            try:
                for future in as_completed(futures):
                    yield futures[future].job, future.result()
            finally:
                pool.shutdown(cancel_futures=True)


def _ignore_interrupts() -> None:
    """Ctrl-C is the build process's to handle: it stops the pool, whose workers then exit quietly."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass(frozen=True)
class DaskCluster:
    """A Dask distributed scheduler: ``dask://HOST:PORT`` (plain TCP, loopback only) or ``tls://HOST:PORT``."""

    address: str
    db: str

    def render(self, jobs: list[Job], settings, first_month, bulletins=None) -> Iterator[tuple[Job, Files]]:
        """Each job with its files, in the order they are done."""
        distributed = _distributed(self.address)
        tasks = render_tasks(jobs, settings, self.db, first_month, bulletins)
        with _client(distributed, self.address) as client:
            futures = {
                client.submit(render_task, task, key=f"reportgen-{task.job.key}-{task.job.kind}-{task.build}",
                              pure=False, priority=len(tasks) - n): task
                for n, task in enumerate(tasks)
            }
            try:
                for future in distributed.as_completed(futures, loop=client.loop):
                    yield futures[future].job, future.result()
            finally:
                client.cancel(list(futures))


def _distributed(address: str):
    try:
        import distributed
    except ImportError:
        raise ReportgenError(f"--executor {address}: needs Dask distributed: pip install 'reportgen[dask]'") from None
    return distributed


def _client(distributed, address: str):
    """A client of the scheduler, over TLS with the certificates of Dask's configuration for ``tls://``."""
    if address.startswith("tls://"):
        security = distributed.Security(require_encryption=True)
        if not (security.tls_ca_file and security.tls_client_cert):
            raise ReportgenError(
                f"--executor {address}: TLS needs a CA file and a client certificate in Dask's configuration"
                " (distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and .key)"
            )
        target = address
    else:
        security, target = None, "tcp://" + address.removeprefix("dask://")
    try:
        return distributed.Client(target, security=security, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ReportgenError(f"--executor {address}: cannot reach the Dask scheduler ({' '.join(str(exc).split())})") from None


# -- choosing ---------------------------------------------------------------------


def executor_for(jobs: str | int | None, executor: str | None, db: str):
    """The executor that ``--jobs`` and ``--executor`` name, or None to render here, one bulletin after another."""
    if executor and jobs not in (None, 1, "1"):
        raise ReportgenError("give --jobs or --executor, not both (a Dask cluster has its own workers)")
    if executor:
        return DaskCluster(check_address(executor), str(db))
    count = job_count(jobs)
    return ProcessPool(count, str(db)) if count > 1 else None


def job_count(value: str | int | None) -> int:
    text = str(value if value is not None else 1).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 256:
        raise ReportgenError(f"--jobs {text[:20]!r}: expected a number of processes from 1 to 256")
    return int(text)


def check_address(address: str) -> str:
    """``dask://HOST:PORT`` on a loopback address, or ``tls://HOST:PORT`` anywhere; refused otherwise.

    The scheduler unpickles what it is sent and has no password: plain TCP beyond this machine
    would let anyone on the network run code there, and would carry the database URL in clear.
    """
    scheme = next((s for s in SCHEMES if address.startswith(s)), None)
    host, _, port = address[len(scheme):].rpartition(":") if scheme else ("", "", "")
    host = host.strip("[]")
    if scheme is None or not host or not port.isascii() or not port.isdigit() or "/" in host:
        raise ReportgenError(f"--executor {shown(address, 60)}: expected dask://HOST:PORT (this machine) or tls://HOST:PORT")
    if scheme == "dask://" and not _loopback(host):
        raise ReportgenError(
            f"--executor {shown(address, 60)}: plain TCP only to a scheduler on this machine (127.0.0.1, ::1 or localhost);"
            " another machine takes tls://HOST:PORT with certificates"
        )
    return address


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
