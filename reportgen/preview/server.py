"""The preview's HTTP side: a Starlette app with a fixed set of GET routes, run by uvicorn.

Routes (nothing else is served; anything else is a 404):

- ``/``: the index of every bulletin the data allows;
- ``/YYYY/MM/`` and ``/YYYY/year/``: a draft page (a toolbar and the draft in a frame);
- ``/YYYY/MM/bulletin.html|.pdf|.txt``: the draft itself, rendered on request;
- ``/_preview/events``: server-sent events (``hello``, ``reload``);
- ``/_preview/status``: the built copies' fresh/stale status, as JSON;
- ``/_preview/static/...``: the preview's own script and stylesheet, through
  Starlette's ``StaticFiles`` (realpath + commonpath inside ``templates/preview/static``).

Every request must name this server in its ``Host`` header (a loopback name
and the port), which defeats DNS rebinding; every response says not to cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Iterable
from typing import Any

import anyio
import jinja2
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ReportgenError
from ..store import shown_location
from ..wording import SHIPPED_TEMPLATES
from .failure import Failure, describe_failure
from .site import NotFound, PreviewSettings, Site, page_href
from .watch import Changes, Watcher

PAGES = SHIPPED_TEMPLATES / "preview"
STATIC = PAGES / "static"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_PART = re.compile(r"(0[1-9]|1[0-2]|year)")

PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
               " frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
# The draft keeps the built bulletin's own policy (inline CSS and SVG, no script, nothing fetched).
DRAFT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
NO_CACHE = {
    "cache-control": "no-store, no-cache, must-revalidate, max-age=0",
    "pragma": "no-cache",
    "expires": "0",
}
SAFETY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-resource-policy": "same-origin",
}


# -- middleware -------------------------------------------------------------------


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` values this server answers: the loopback names, and a specific bound address, with the port."""
    names = set(LOOPBACK_NAMES)
    if host not in ("0.0.0.0", "::", ""):  # noqa: S104 - compared, not bound
        names.add(f"[{host}]" if ":" in host else host)
    return frozenset(f"{name}:{port}".lower() for name in names)


class HostCheck:
    """Refuse any request whose Host header is not this server (400 if missing or repeated, 403 if foreign)."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]):
        self.app = app
        self.hosts = frozenset(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        values = [v.decode("latin-1").strip().lower() for k, v in scope["headers"] if k == b"host"]
        if len(values) != 1:
            response = PlainTextResponse("400 Bad Request: one Host header expected\n", 400, headers=NO_CACHE)
        elif values[0] not in self.hosts:
            response = PlainTextResponse("403 Forbidden: this preview answers only to "
                                         + ", ".join(sorted(self.hosts)) + "\n", 403, headers=NO_CACHE)
        else:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await response(scope, receive, send)


class Headers:
    """No caching and a content security policy on every response (ETag and Last-Modified dropped)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"etag", b"last-modified")]
                present = {k.lower() for k, _ in headers}
                extra = {**NO_CACHE, **SAFETY, "content-security-policy": PAGE_POLICY}
                headers += [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -- pages -------------------------------------------------------------------------


def pages() -> jinja2.Environment:
    """A fresh environment for the preview's own pages (shipped only; autoescape on)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PAGES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(request: Request, template: str, status: int = 200, framed: bool = False, **context) -> HTMLResponse:
    changes: Changes = request.app.state.changes
    html = pages().get_template(template).render(instance=changes.instance, generation=changes.generation,
                                                 framed=framed, **context)
    return HTMLResponse(html, status)


def _failure_page(request: Request, exc: Exception, framed: bool = False) -> HTMLResponse:
    site: Site = request.app.state.site
    failure: Failure = describe_failure(exc, site.template_dirs())
    return _page(request, "error.html.j2", 500, framed, failure=failure)


def _bulletin_address(request: Request) -> tuple[int, str]:
    year, part = request.path_params["year"], request.path_params["part"]
    if not _PART.fullmatch(part) or not 1900 <= year <= 2200:
        raise HTTPException(404)
    return year, part


def index(request: Request) -> Response:
    site: Site = request.app.state.site
    try:
        content = site.index()
    except Exception as exc:  # noqa: BLE001 - shown in the page; the server keeps running
        return _failure_page(request, exc)
    return _page(request, "index.html.j2", index=content, page_href=page_href)


def draft_page(request: Request) -> Response:
    site: Site = request.app.state.site
    year, part = _bulletin_address(request)
    try:
        job, before, after = site.neighbours(year, part)
    except NotFound:
        raise HTTPException(404) from None
    except Exception as exc:  # noqa: BLE001
        return _failure_page(request, exc)
    return _page(request, "draft.html.j2", job=job, before=before, after=after, page_href=page_href)


def _draft(render: Callable[[Site, int, str], str | bytes], media_type: str, name: str, headers: dict | None = None):
    def endpoint(request: Request) -> Response:
        year, part = _bulletin_address(request)
        try:
            content = render(request.app.state.site, year, part)
        except NotFound:
            raise HTTPException(404) from None
        except Exception as exc:  # noqa: BLE001 - a template or data error: the error page, and keep serving
            return _failure_page(request, exc, framed=media_type == "text/html")
        disposition = {"content-disposition": f'inline; filename="{year:04d}-{part}-draft-{name}"'}
        return Response(content, media_type=media_type, headers={**disposition, **(headers or {})})

    return endpoint


def status(request: Request) -> Response:
    site: Site = request.app.state.site
    try:
        found = site.check_statuses()
    except Exception as exc:  # noqa: BLE001
        return JSONResponse({"error": str(exc)}, 500)
    macros: Any = pages().get_template("macros.html.j2").module  # its macros are its attributes
    return JSONResponse({key: {**s.to_dict(), "label": str(macros.status_label(s))} for key, s in found.items()})


async def events(request: Request) -> Response:
    changes: Changes = request.app.state.changes
    stopping = anyio.Event()  # set by sse-starlette when the server stops: the stream then ends by itself
    return EventSourceResponse(changes.stream(stopping), ping=15, shutdown_event=stopping, shutdown_grace_period=1)


async def not_found(request: Request, exc: Exception) -> Response:
    code = getattr(exc, "status_code", 404)
    if code != 404:
        return PlainTextResponse(f"{code}\n", code)
    return _page(request, "not_found.html.j2", 404, path=request.url.path)


# -- the app -----------------------------------------------------------------------


def create_app(site: Site, hosts: Iterable[str], watch: bool = True) -> ASGIApp:
    """The preview as an ASGI app: routes, host check, headers and (with ``watch``) the file watcher."""
    changes = Changes()
    watcher = Watcher(site.settings.templates, site.settings.profile_path(), site.settings.db, changes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop)) if watch else None
        if task is not None:
            task.add_done_callback(_report_watcher_end)
        yield
        stop.set()
        if task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, 5)

    get = ["GET"]
    routes = [
        Route("/", index, methods=get),
        Route("/_preview/events", events, methods=get),
        Route("/_preview/status", status, methods=get),
        Mount("/_preview/static", StaticFiles(directory=STATIC, follow_symlink=False), name="static"),
        Route("/{year:int}/{part}/", draft_page, methods=get),
        Route("/{year:int}/{part}", draft_page, methods=get),
        Route("/{year:int}/{part}/bulletin.html", _draft(Site.draft_html, "text/html", "bulletin.html",
                                                         {"content-security-policy": DRAFT_POLICY}), methods=get),
        Route("/{year:int}/{part}/bulletin.pdf", _draft(Site.draft_pdf, "application/pdf", "bulletin.pdf"), methods=get),
        Route("/{year:int}/{part}/bulletin.txt", _draft(Site.draft_text, "text/plain", "bulletin.txt"), methods=get),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: not_found})
    app.router.redirect_slashes = False
    app.state.site, app.state.changes, app.state.watcher = site, changes, watcher
    return HostCheck(Headers(app), hosts)


def _report_watcher_end(task: asyncio.Task) -> None:
    """A watcher that fails says so (pages then no longer reload), instead of dying unseen."""
    if not task.cancelled() and task.exception() is not None:
        exc = task.exception()
        logging.getLogger("uvicorn.error").error("watching for changes stopped: %s: %s; pages will not reload by themselves",
                                                 type(exc).__name__, exc)


# -- running it --------------------------------------------------------------------


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one): browsers may connect as soon as it is announced."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ReportgenError(_cannot_listen(host, port, exc)) from exc
    return sock


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"{where}: address already in use (another program listens there); choose another port with --port N (0: any free port)"
    return f"{where}: cannot listen there ({exc.strerror or exc}); choose another address with --host or port with --port"


def url(host: str, port: int) -> str:
    """The address to open in a browser."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(settings: PreviewSettings, host: str = "127.0.0.1", port: int = 8000,
          announce: Callable[[str], None] = print) -> None:
    """Serve drafts until interrupted. Fails before binding if the database or profile cannot be read."""
    import uvicorn

    site = Site(settings)
    with site.store():
        site.profile()
    sock = bind(host, port)
    port = sock.getsockname()[1]
    app = create_app(site, allowed_hosts(host, port))
    for line in startup_lines(settings, host, port):
        announce(line)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2, lifespan="on")
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises the Ctrl-C it caught once it has stopped
        uvicorn.Server(config).run(sockets=[sock])
    announce("Preview stopped.")


def startup_lines(settings: PreviewSettings, host: str, port: int) -> list[str]:
    where = "this computer only" if _is_loopback(host) else "ALL NETWORK INTERFACES: other computers can reach it"
    return [
        f"Serving bulletin drafts at {url(host, port)} (bound to {host}, {where})",
        f"Drafts from {shown_location(settings.db)} with profile {settings.profile}; nothing is written to {settings.output}/.",
        "Pages reload when the database, the profile or a template changes. Press Ctrl-C to stop.",
    ]


def _is_loopback(host: str) -> bool:
    try:
        return all(_loopback_address(str(info[4][0])) for info in socket.getaddrinfo(host, None))
    except OSError:
        return False


def _loopback_address(address: str) -> bool:
    return ipaddress.ip_address(address.split("%")[0]).is_loopback

