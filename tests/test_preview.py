"""The preview server, over real HTTP: a `reportgen preview` process on a free port.

Each server runs in a project folder of its own (``reportgen.toml``, a copy of
the sample database, a copy of the default profile, an empty user template
folder). On SQLite the database file is in the folder; in the PostgreSQL run
the config names a copy of the sample on the test server by its URL, and the
server notices data changes by asking the data version. Requests go through
``http.client`` with the path sent exactly as written, so nothing normalises a
traversal attempt before the server sees it.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from stores import never_made, no_database, shown

from reportgen.aggregate import summarize
from reportgen.build import build
from reportgen.build.gather import gather
from reportgen.build.jobs import plan_jobs
from reportgen.config import load_config
from reportgen.demo import load_sample
from reportgen.preview.server import allowed_hosts, create_app
from reportgen.preview.site import PreviewSettings, Site
from reportgen.preview.status import built_status
from reportgen.preview.watch import Changes, Watcher
from reportgen.profile import SHIPPED, load_profile
from reportgen.records import Casualty, Incident
from reportgen.render import RenderSettings, render_html, render_text
from reportgen.store import is_server_url, open_store

REPO = Path(__file__).resolve().parents[1]
WAIT = 60  # seconds before a server that never answers fails the test (not a speed check)

# -- a project and a server ---------------------------------------------------------


def make_project(folder: Path, database: Path | str) -> Path:
    """A project folder: config, database, profile and an (empty) user template folder.

    ``database`` is a writable copy of the sample data (``sample_location``): a file is moved into
    the folder as ``reportgen.db``, which the config names; a PostgreSQL database is named by its URL.
    """
    folder.mkdir(parents=True, exist_ok=True)
    setting = str(database)
    if not is_server_url(database):
        shutil.move(database, folder / "reportgen.db")
        setting = "reportgen.db"
    shutil.copyfile(SHIPPED / "syrian-desert.toml", folder / "profile.toml")
    (folder / "my-templates" / "html").mkdir(parents=True)
    (folder / "reportgen.toml").write_text(
        f'db = "{setting}"\nprofile = "profile.toml"\ntemplates = "my-templates"\noutput = "output"\n', encoding="utf-8")
    return folder


def database_of(project: Path) -> str:
    """The database the project's config names: the one its preview server reads."""
    return load_config(str(project / "reportgen.toml")).db


class PreviewServer:
    """``reportgen preview --port 0`` running in ``folder``; ``port`` read from its start-up message."""

    def __init__(self, folder: Path, *args: str, options: tuple[str, ...] = ()):
        """``options`` go before the command (``--db``), ``args`` after it."""
        self.folder = folder
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reportgen.cli", *options, "preview", "--port", "0", *args],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = self._url()
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _url(self) -> str:
        while True:
            line = self._lines.get(timeout=WAIT)
            if line is None:
                raise AssertionError(f"the server stopped: {''.join(self.lines)}")
            found = re.search(r"http://127\.0\.0\.1:[0-9]+/", line)
            if found:
                return found.group(0)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> int:
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(port: int, path: str, host: str | None = None, method: str = "GET", body: bytes | None = None) -> Reply:
    """One request with ``path`` sent verbatim and the given Host header (default: the server's own)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host or f"127.0.0.1:{port}")
        if body is not None:
            conn.putheader("Content-Type", "application/x-www-form-urlencoded")
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def raw_request(port: int, data: bytes) -> bytes:
    """Send ``data`` as it is and return everything the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


class EventStream:
    """The server-sent events of ``/_preview/events``, one event at a time."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        self.conn.request("GET", "/_preview/events", headers={"Host": f"127.0.0.1:{port}", "Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("content-type", "").startswith("text/event-stream")
        self.hello = self.next()
        assert self.hello["event"] == "hello"

    def next(self, deadline: float | None = None) -> dict:
        """The next event (pings skipped); AssertionError once ``deadline`` (monotonic) has passed."""
        event: dict = {}
        while True:
            if deadline is not None and time.monotonic() > deadline:
                raise AssertionError("no such event in time")
            line = self.response.readline().decode("utf-8")
            if not line:
                raise AssertionError("the event stream ended")
            line = line.rstrip("\r\n")
            if not line:
                if "event" in event:
                    return event
                event = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")

    def reload(self, until: Callable[[dict], bool] = lambda data: True) -> dict:
        """The data of the next ``reload`` event for which ``until`` holds."""
        deadline = time.monotonic() + WAIT
        while True:
            event = self.next(deadline)
            if event["event"] == "reload":
                data = json.loads(event["data"])
                if until(data):
                    return data

    def close(self) -> None:
        self.conn.close()


def load_sample_into(location: Path | str) -> None:
    store = open_store(location)
    try:
        load_sample(store, load_profile("syrian-desert"))
    finally:
        store.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory, databases) -> Path:
    """The module's project, with a database of the sample data of its own (the session's sample has readers)."""
    folder = tmp_path_factory.mktemp("preview")
    return make_project(folder / "project", databases.built(folder / "sample.db", load_sample_into))


@pytest.fixture(scope="module")
def server(project) -> Iterator[PreviewServer]:
    running = PreviewServer(project)
    yield running
    running.stop()


@pytest.fixture
def events(server) -> Iterator[EventStream]:
    stream = EventStream(server.port)
    yield stream
    stream.close()


@pytest.fixture
def override(project) -> Iterator[Callable[[str, str], Path]]:
    """``override("html/month.html.j2", text)`` writes a user template; removed after the test."""
    written: list[Path] = []

    def write(name: str, text: str) -> Path:
        path = project / "my-templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
        return path

    yield write
    for path in written:
        path.unlink(missing_ok=True)


def settings_of(project: Path, draft: bool = True) -> RenderSettings:
    return RenderSettings(load_profile(str(project / "profile.toml")), templates=str(project / "my-templates"), draft=draft)


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in folder.rglob("*")} if folder.exists() else {}


MONTH_OVERRIDE = '{{% extends "default:html/month.html.j2" %}}\n{{% block kicker %}}{text}{{% endblock %}}\n'

# -- start-up ------------------------------------------------------------------------

slow = pytest.mark.slow


@slow
def test_it_says_where_it_listens_and_that_it_is_loopback_only(server):
    said = "".join(server.lines)
    assert f"http://127.0.0.1:{server.port}/" in said
    assert "bound to 127.0.0.1, this computer only" in said
    with socket.socket() as other:  # nothing listens on the other interfaces' address for that port
        assert other.connect_ex(("127.0.0.2", server.port)) != 0


# -- the index and the drafts -----------------------------------------------------------


@slow
def test_index_lists_every_bulletin_by_year_with_headline_figures(server, project):
    reply = request(server.port, "/")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    html = reply.text
    assert '<h2 id="year-2023">2023</h2>' in html
    profile = load_profile(str(project / "profile.toml"))
    store = open_store(database_of(project), create=False)
    try:
        jobs = plan_jobs(store)
        for job in jobs:
            summary = summarize(store, profile, job.scope)
            href = "/" + "/".join(job.folder) + "/"
            assert index_total(html, href) == summary.total_killed
            assert f'href="{href}bulletin.pdf"' in html
    finally:
        store.close()
    assert html.index('href="/2023/06/"') < html.index('href="/2023/01/"')  # newest month first
    assert 'data-status-of="2023-06"' in html


@slow
def test_a_monthly_draft_is_the_built_html_marked_draft_and_nothing_is_written(server, project):
    before = files_under(project / "output")
    page = request(server.port, "/2023/06/")
    assert page.status == 200
    assert '<iframe id="draft" src="/2023/06/bulletin.html"' in page.text
    assert 'href="/2023/05/"' in page.text and 'href="/2023/06/bulletin.pdf"' in page.text

    draft = request(server.port, "/2023/06/bulletin.html")
    assert draft.status == 200
    assert '<div class="draft-mark" aria-hidden="true">DRAFT</div>' in draft.text
    assert draft.text.count("<svg") == 3
    settings = settings_of(project)
    store = open_store(database_of(project), create=False)
    try:
        job = next(j for j in plan_jobs(store) if j.key == "2023-06")
        bulletin = gather(store, settings.profile, job)
    finally:
        store.close()
    assert draft.text == render_html(bulletin, settings)  # the same HTML a build writes, with the draft mark
    assert "Content-Security-Policy" in draft.text and "script" not in draft.headers["content-security-policy"]
    assert request(server.port, "/2023/06/bulletin.txt").text == render_text(bulletin, settings)
    assert files_under(project / "output") == before


@slow
def test_a_pdf_draft_is_a_valid_pdf_with_the_draft_mark(server):
    reply = request(server.port, "/2023/06/bulletin.pdf")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/pdf"
    assert reply.body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(reply.body))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2
    assert "DRAFT" in text and "June 2023" in text


@slow
def test_the_year_bulletin_and_its_neighbours(server):
    page = request(server.port, "/2023/year/")
    assert page.status == 200
    assert 'href="/2023/06/"' in page.text  # the month before it in the index's order
    assert request(server.port, "/2023/year/bulletin.html").text.count("<svg") == 3


@slow
@pytest.mark.parametrize("path", [
    "/2023/07/", "/2023/13/", "/2023/00/bulletin.html", "/2022/01/", "/1899/year/", "/2023/6/",
    "/2023/06/summary.json", "/2023/06/bulletin.exe", "/2023/06/bulletin.html/x", "/nothing",
    "/_preview", "/_preview/static/", "/_preview/static/missing.js", "/2023/06//bulletin.html",
])
def test_unknown_addresses_are_404(server, path):
    reply = request(server.port, path)
    assert reply.status == 404
    assert "location" not in reply.headers


# -- security (SECURITY.md rows 1, 18, 19) ---------------------------------------------------

TRAVERSALS = [
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E/%2E%2E/etc/passwd",
    "/_preview/static/../error.html.j2",  # a sibling of the static folder
    "/_preview/static/%2e%2e/error.html.j2",
    "/_preview/static/..%2ferror.html.j2",
    "/_preview/static/..%2f..%2f..%2fpyproject.toml",
    "/_preview/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
    "/_preview/static/../../html/month.html.j2",
    "/_preview/static/..%5c..%5c..%5cpyproject.toml",
    "/_preview/static/%252e%252e/%252e%252e/%252e%252e/pyproject.toml",  # decoded once: no dots
    "/_preview/static//etc/passwd",
    "/_preview/static/%2fetc%2fpasswd",
    "/_preview/static/./../static/../error.html.j2",
    "/_preview/static/preview.js/../../error.html.j2",
    "/2023/06/../../../etc/passwd",
    "/2023/%2e%2e/%2e%2e/etc/passwd",
    "//evil.example/%2e%2e/",
    "//evil.example",
    "/\\evil.example/",
    "http://evil.example/etc/passwd",
    "/etc/passwd",
    "/" + str(REPO / "pyproject.toml"),
]


@slow
def test_the_static_route_serves_its_own_files(server):
    reply = request(server.port, "/_preview/static/preview.js")
    assert reply.status == 200 and b"EventSource" in reply.body


@slow
@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_attempts_are_refused(server, path):
    reply = request(server.port, path)
    assert reply.status in (400, 404)
    assert "location" not in reply.headers
    for secret in (b"root:", b"[project]", b"{% extends", b"{%- ", b"{#"):
        assert secret not in reply.body


@slow
@pytest.mark.parametrize("path", ["/", "/2023/06/", "/2023/06/bulletin.html", "/_preview/events",
                                  "/_preview/status", "/_preview/static/preview.js", "/nothing"])
@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1", "127.0.0.1:1",
                                  "localhost.evil.example:{port}", "127.0.0.1.nip.io:{port}", "0.0.0.0:{port}",
                                  "[::2]:{port}", "127.0.0.1:{port}@evil.example"])
def test_foreign_host_headers_are_refused(server, path, host):
    reply = request(server.port, path, host=host.format(port=server.port))
    assert reply.status == 403
    assert b"<html" not in reply.body and b"event:" not in reply.body
    assert "no-store" in reply.headers["cache-control"]


@slow
@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_loopback_host_headers_are_served(server, host):
    assert request(server.port, "/_preview/static/preview.css", host=host.format(port=server.port)).status == 200


@slow
def test_a_request_without_one_host_header_is_refused(server):
    assert raw_request(server.port, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 400")
    two = f"GET / HTTP/1.0\r\nHost: 127.0.0.1:{server.port}\r\nHost: evil.example\r\n\r\n".encode()
    assert raw_request(server.port, two).startswith(b"HTTP/1.1 400")


@slow
@pytest.mark.parametrize("path", ["/", "/2023/06/", "/2023/06/bulletin.html", "/2023/06/bulletin.txt",
                                  "/_preview/status", "/_preview/static/preview.js", "/nothing"])
def test_every_response_says_not_to_cache(server, path):
    reply = request(server.port, path)
    assert "no-store" in reply.headers["cache-control"]
    assert reply.headers["pragma"] == "no-cache"
    assert "etag" not in reply.headers and "last-modified" not in reply.headers
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self'" in reply.headers["content-security-policy"]


@slow
def test_the_event_stream_says_not_to_cache(server):
    reply = raw_request_head(server.port, "/_preview/events")
    assert "no-store" in reply


def raw_request_head(port: int, path: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
    return head.decode("latin-1").lower()


@slow
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("path", ["/", "/2023/06/", "/2023/06/bulletin.html", "/_preview/events",
                                  "/_preview/status", "/_preview/static/preview.js"])
def test_no_method_but_get_is_accepted(server, project, method, path):
    store = open_store(database_of(project), create=False)
    version = store.data_version()
    reply = request(server.port, path, method=method, body=b"x=1")
    assert reply.status == 405
    assert store.data_version() == version
    store.close()


def test_every_route_is_get_only(tmp_path, sample_db):
    site = Site(PreviewSettings(db=str(sample_db), profile="syrian-desert"))
    app = create_app(site, allowed_hosts("127.0.0.1", 8000), watch=False)
    routes = app.app.app.routes  # HostCheck -> Headers -> Starlette
    for route in routes:
        methods = getattr(route, "methods", None)
        assert methods is None or methods <= {"GET", "HEAD"}, route.path
    assert {getattr(r, "path", "") for r in routes} >= {"/", "/_preview/events", "/_preview/static"}


def test_allowed_hosts_are_loopback_names_with_the_port():
    assert allowed_hosts("127.0.0.1", 8123) == {"127.0.0.1:8123", "localhost:8123", "[::1]:8123"}
    assert allowed_hosts("0.0.0.0", 8123) == {"127.0.0.1:8123", "localhost:8123", "[::1]:8123"}  # noqa: S104
    assert "192.168.1.5:8123" in allowed_hosts("192.168.1.5", 8123)


@slow
def test_markup_in_an_address_is_escaped_on_the_404_page(server):
    reply = request(server.port, "/%3Cscript%3Ealert(1)%3C/script%3E")
    assert reply.status == 404
    assert b"<script>alert(1)" not in reply.body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in reply.body


# -- reload and errors ---------------------------------------------------------------------


@slow
def test_a_template_change_sends_a_reload_event_and_the_draft_shows_it(server, events, override):
    path = override("html/month.html.j2", MONTH_OVERRIDE.format(text="Monthly bulletin, reworded"))
    data = events.reload(lambda d: "html/month.html.j2" in d["paths"])
    assert "templates" in data["what"]
    assert data["generation"] > json.loads(events.hello["data"])["generation"]
    assert "Monthly bulletin, reworded" in request(server.port, "/2023/06/bulletin.html").text
    path.unlink()
    events.reload(lambda d: "html/month.html.j2" in d["paths"])
    assert "Monthly bulletin, reworded" not in request(server.port, "/2023/06/bulletin.html").text


@slow
def test_a_template_error_shows_template_and_line_and_the_fix_reloads(server, events, override):
    broken = '{% extends "default:html/month.html.j2" %}\n{% block kicker %}\n{% if %}oops{% endif %}\n{% endblock %}\n'
    override("html/month.html.j2", broken)
    events.reload(lambda d: "html/month.html.j2" in d["paths"])
    reply = request(server.port, "/2023/06/bulletin.html")
    assert reply.status == 500
    assert "Template error in <code>html/month.html.j2:3</code>" in reply.text
    assert "TemplateSyntaxError" in reply.text
    assert '<span class="src src-current"><span class="lineno">3</span>{% if %}oops{% endif %}' in reply.text
    assert request(server.port, "/").status == 200  # the server keeps serving
    assert request(server.port, "/2023/05/bulletin.html").status == 500  # every month uses the template

    override("html/month.html.j2", MONTH_OVERRIDE.format(text="Fixed kicker"))
    events.reload(lambda d: "html/month.html.j2" in d["paths"])
    fixed = request(server.port, "/2023/06/bulletin.html")
    assert fixed.status == 200 and "Fixed kicker" in fixed.text


@slow
def test_an_error_while_rendering_names_the_innermost_template_and_line(server, override):
    override("html/partials/methods.html.j2", "<section>\n<p>{{ page.no_such_figure }}</p>\n</section>\n")
    reply = request(server.port, "/2023/06/bulletin.html")
    assert reply.status == 500
    assert "Template error in <code>html/partials/methods.html.j2:2</code>" in reply.text
    assert "no_such_figure" in reply.text and "UndefinedError" in reply.text


@slow
def test_a_missing_include_names_the_template_that_includes_it(server, override):
    override("html/month.html.j2", '{% extends "default:html/month.html.j2" %}\n'
             '{% block methods %}{% include "html/partials/nowhere.html.j2" %}{% endblock %}\n')
    reply = request(server.port, "/2023/06/bulletin.html")
    assert reply.status == 500
    assert "html/partials/nowhere.html.j2" in reply.text
    assert "html/month.html.j2:2" in reply.text


@slow
def test_a_broken_profile_shows_the_error_and_the_fix_reloads(server, project, events):
    profile = project / "profile.toml"
    good = profile.read_text(encoding="utf-8")
    try:
        profile.write_text(good + "\n[[categories]\n", encoding="utf-8")
        events.reload(lambda d: "profile" in d["what"])
        reply = request(server.port, "/")
        assert reply.status == 500
        assert "profile.toml" in reply.text and "not a valid TOML profile" in reply.text
    finally:
        profile.write_text(good, encoding="utf-8")
    events.reload(lambda d: "profile" in d["what"])
    assert request(server.port, "/").status == 200


# -- the built copies' status ------------------------------------------------------------------


@slow
def test_status_compares_the_built_copy_with_what_a_build_would_write_now(server, project, override):
    def status() -> dict:
        reply = request(server.port, "/_preview/status")
        assert reply.status == 200
        return json.loads(reply.body)

    settings = settings_of(project, draft=False)
    store = open_store(database_of(project), create=False)
    try:
        june = [j for j in plan_jobs(store) if j.key == "2023-06"]
        build(store, settings.profile, june, project / "output", settings)
    finally:
        store.close()
    found = status()
    assert found["2023-06"]["state"] == "fresh"
    assert found["2023-05"]["state"] == "missing"
    assert found["2023-06"]["label"] == "Built copy current"
    assert "Built copy current" in request(server.port, "/").text  # known statuses go straight into the index

    override("html/partials/methods.html.j2", "<section><p>Methods, reworded.</p></section>\n")
    assert status()["2023-06"] == {"state": "stale", "reason": "layout", "label": "Stale: templates changed"}
    (project / "my-templates" / "html" / "partials" / "methods.html.j2").unlink()
    assert status()["2023-06"]["state"] == "fresh"  # by content: the same output again

    (project / "output" / "2023" / "06" / "summary.json").write_text("{}\n", encoding="utf-8")
    assert status()["2023-06"]["reason"] == "data"
    (project / "output" / "2023" / "06" / "bulletin.pdf").unlink()
    assert status()["2023-06"]["reason"] == "incomplete"
    shutil.rmtree(project / "output")


@pytest.mark.parametrize("manifest", ['{"format": 1, "bulletins": []}', "revisions", "running"])
def test_status_with_a_malformed_manifest_answers_unrecorded_never_an_error(sample_store, profile, tmp_path, manifest):
    settings = RenderSettings(profile)
    june = [j for j in plan_jobs(sample_store) if j.key == "2023-06"]
    build(sample_store, profile, june, tmp_path, settings)
    path = tmp_path / "reportgen-manifest.json"
    if not manifest.startswith("{"):
        body = json.loads(path.read_text(encoding="utf-8"))
        body["bulletins"]["2023/06"][manifest] = 5 if manifest == "revisions" else "x"
        manifest = json.dumps(body)
    path.write_text(manifest, encoding="utf-8")
    found = built_status(sample_store, profile, settings, june[0], tmp_path)
    assert (found.state, found.reason) == ("stale", "unrecorded")


# -- data changes ---------------------------------------------------------------------------------


HOSTILE = "<script>alert(1)</script>"


def index_total(html: str, href: str) -> int:
    """The fatalities the index shows for the bulletin at ``href``."""
    row = re.search(rf'<a class="nav" href="{href}">[^<]+</a></th>\s*<td class="num total">([0-9]+)[ <]', html)
    assert row, href
    return int(row.group(1))


@slow
def test_a_data_change_reloads_and_markup_in_data_stays_text(tmp_path, sample_location):
    project = make_project(tmp_path / "project", sample_location)
    running = PreviewServer(project)
    stream = EventStream(running.port)
    try:
        assert "alert(1)" not in request(running.port, "/2023/06/bulletin.html").text  # rendered (and cached) before
        june_before = index_total(request(running.port, "/").text, "/2023/06/")
        store = open_store(database_of(project), create=False)
        store.add_incidents([Incident(
            id="2023-06-900", date="2023-06-20", region="homs", province="Homs", district="", location=HOSTILE,
            perpetrator="ISIS", kind="ambush", summary=HOSTILE, casualties=(Casualty("civilians", "", 2, 0),))])
        store.close()
        data = stream.reload(lambda d: "data" in d["what"])
        assert data["paths"] == [shown(sample_location) if is_server_url(sample_location) else "reportgen.db"]
        draft = request(running.port, "/2023/06/bulletin.html")
        assert draft.status == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in draft.text
        assert "<script>" not in draft.text
        assert request(running.port, "/2023/07/").status == 404
        assert index_total(request(running.port, "/").text, "/2023/06/") == june_before + 2
    finally:
        stream.close()
        assert running.stop() in (0, -15)


@slow
def test_ctrl_c_ends_open_event_streams_and_stops_cleanly(tmp_path, sample_location):
    running = PreviewServer(make_project(tmp_path / "project", sample_location))
    stream = EventStream(running.port)
    running.proc.send_signal(signal.SIGINT)
    assert running.proc.wait(timeout=WAIT) == 0
    with pytest.raises(AssertionError, match="the event stream ended"):
        while True:  # a reload (a shipped template edited meanwhile) may come first; then the end
            assert stream.next()["event"] == "reload"
    stream.close()
    assert running.lines[-1] == "Preview stopped.\n"
    assert not any("Traceback" in line or "ERROR" in line for line in running.lines), running.lines


def test_reading_the_database_is_no_change_but_a_write_is(tmp_path, sample_location):
    project = make_project(tmp_path / "project", sample_location)
    db = database_of(project)
    watcher = Watcher(str(project / "my-templates"), project / "profile.toml", db, Changes())
    polled = is_server_url(db)

    def noticed(*files: str):
        """What the watcher is told: the database's files changed (SQLite), or it is time to ask (PostgreSQL)."""
        return watcher.on_changes(set() if polled else set(files), data=polled)

    async def scenario() -> list:
        await watcher.data.read()
        watcher._version = await watcher.data.read()
        seen = []
        reader = open_store(db, create=False)  # a reader comes and goes: -wal created and removed
        reader.count_incidents()
        reader.close()
        seen.append(await noticed(db, db + "-wal"))
        writer = open_store(db, create=False)
        writer.add_incidents([Incident(id="x-1", date="2023-06-02", region="homs", province="Homs", district="",
                                       location="Palmyra", perpetrator="ISIS", kind="ambush")])
        writer.close()
        seen.append(await noticed(os.path.realpath(db) + "-wal"))
        seen.append(await watcher.on_changes({os.path.realpath(project / "my-templates" / "html" / "x.html.j2")}))
        watcher.data.close()
        return seen

    unchanged, written, template = asyncio.run(scenario())
    assert unchanged is None
    assert written.what == ("data",)
    assert template.what == ("templates",) and template.paths == ("html/x.html.j2",)


@slow
def test_built_status_without_a_server(tmp_path, sample_db, profile):
    store = open_store(sample_db, create=False)
    try:
        settings = RenderSettings(profile)
        job = next(j for j in plan_jobs(store) if j.key == "2023-01")
        assert built_status(store, profile, settings, job, tmp_path).state == "missing"
        build(store, profile, [job], tmp_path, settings)
        assert built_status(store, profile, settings, job, tmp_path).state == "fresh"
        other = RenderSettings(profile, organisation="Another Observatory")
        assert built_status(store, profile, other, job, tmp_path).reason in ("wording", "layout")
    finally:
        store.close()


# -- the command ------------------------------------------------------------------------------------


def test_preview_without_a_database_is_one_line_and_serves_nothing(cli, db_path):
    result = cli("--db", db_path, "preview", "--port", "0")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(no_database(db_path))
    assert len(result.stderr.strip().splitlines()) == 1
    assert never_made(db_path)


def test_preview_on_a_port_in_use_is_one_line(cli, sample_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli("--db", sample_db, "preview", "--port", port)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"reportgen: error: 127.0.0.1:{port}: address already in use")
    assert "--port" in result.stderr and "OSError" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_watcher_that_fails_says_so(caplog):
    from reportgen.preview.server import _report_watcher_end

    async def failing() -> None:
        raise OSError("inotify watch limit reached")

    async def scenario() -> None:
        task = asyncio.create_task(failing())
        await asyncio.wait([task])
        _report_watcher_end(task)

    asyncio.run(scenario())
    assert "watching for changes stopped: OSError: inotify watch limit reached" in caplog.text


@slow
def test_a_postgresql_database_is_previewed_its_changes_reload_and_its_password_shows_nowhere(pg_cluster, tmp_path, profile):
    from pg_cluster import EDITOR_PASSWORD

    url = pg_cluster.url(pg_cluster.create_database(owner="editor"), "editor", EDITOR_PASSWORD)
    store = open_store(url)
    load_sample(store, profile)
    store.close()
    project = tmp_path / "project"
    (project / "my-templates").mkdir(parents=True)
    running = PreviewServer(project, options=("--db", url))
    stream = EventStream(running.port)
    try:
        index = request(running.port, "/")
        assert index.status == 200 and 'href="/2023/06/"' in index.text
        assert EDITOR_PASSWORD not in index.text and EDITOR_PASSWORD not in "".join(running.lines)
        assert "editor:***@" in "".join(running.lines)
        writer = open_store(url)
        writer.add_incidents([Incident(id="pg-1", date="2023-07-03", region="homs", province="Homs", district="",
                                       location="Palmyra", perpetrator="ISIS", kind="ambush",
                                       casualties=(Casualty("civilians", "", 1, 0),))])
        writer.close()
        data = stream.reload(lambda d: "data" in d["what"])  # asked every second: no file to watch
        assert EDITOR_PASSWORD not in json.dumps(data)
        assert request(running.port, "/2023/07/bulletin.html").status == 200
    finally:
        stream.close()
        running.stop()
