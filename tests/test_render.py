"""The render stage: real HTML, real WeasyPrint PDFs, the restricted URL fetcher, template overrides.

The sample month and a month of hostile incident text (stored in a database of its own, on the
store of the run) are each rendered once per module.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import IndirectObject, StreamObject

from reportgen.build.gather import gather
from reportgen.build.jobs import Job, plan_jobs
from reportgen.periods import month_scope
from reportgen.records import Casualty, Incident, Revision
from reportgen.render import (
    RenderSettings,
    render_bulletin,
    render_charts,
    render_html,
    render_pdf,
    render_text,
    shown,
)
from reportgen.store import open_store
from reportgen.wording import SHIPPED_TEMPLATES

pytestmark = pytest.mark.slow

GENERATED = date(2024, 2, 3)
PASSWD_LINE = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0]

# -- helpers -----------------------------------------------------------------------


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def pdf_streams(pdf: bytes) -> list[bytes]:
    """The decoded data of every stream object in the PDF."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    refs = [(num, gen) for gen, entries in reader.xref.items() for num in entries]
    refs += [(num, 0) for num in reader.xref_objStm]
    streams = []
    for num, gen in refs:
        obj = reader.get_object(IndirectObject(num, gen, reader))
        if isinstance(obj, StreamObject):
            streams.append(obj.get_data())
    return streams


def assert_nothing_embedded(pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert dict(reader.attachments) == {}
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert not any(PASSWD_LINE.encode() in data for data in pdf_streams(pdf))
    assert PASSWD_LINE not in pdf_text(pdf)


class Tags(HTMLParser):
    """Every start tag of a document with its attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def named(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.tags if tag == name]


# -- the sample month ----------------------------------------------------------------


@pytest.fixture(scope="module")
def settings(profile) -> RenderSettings:
    return RenderSettings(profile, generated=GENERATED)


@pytest.fixture(scope="module")
def june_bulletin(sample_db, profile):
    store = open_store(sample_db, create=False)
    job = plan_jobs(store, period="2023-06")[0]
    bulletin = gather(store, profile, job)
    store.close()
    return bulletin


@pytest.fixture(scope="module")
def june(june_bulletin, settings):
    return render_bulletin(june_bulletin, settings)


def test_pdf_text_holds_the_summarys_numbers(june, june_bulletin):
    summary, running = june_bulletin.summary, june_bulletin.running
    text = flat(pdf_text(june.pdf))
    assert f"stood at {summary.total_killed};" in text
    assert f"has increased to {running.total_killed};" in text
    assert f"{summary.total_killed}Fatalities" in text
    assert f"{summary.operations}ISIS attacks" in text
    assert f"{summary.total_injured}Injured" in text
    for group in summary.groups:
        one, many = {"combatants": ("Combatant", "Combatants"), "civilians": ("Civilian", "Civilians"),
                     "isis": ("ISIS member", "ISIS members")}[group.category]
        assert f"{group.killed}{one if group.killed == 1 else many} killed" in text
    for region in summary.regions:
        killed = {c.category: c.killed for c in region.categories}
        cells = [region.operations, killed.get("combatants", 0), killed.get("civilians", 0),
                 killed.get("isis", 0), region.killed, region.injured]
        assert f"{region.name} {' '.join(map(str, cells))}" in text
    totals = [summary.operations, *(sum(c.killed for r in summary.regions for c in r.categories if c.category == k)
                                    for k in ("combatants", "civilians", "isis"))]
    assert f"All regions {' '.join(map(str, totals))}" in text
    for row in summary.incident_rows:
        assert row.date in text and row.location in text
    assert "died of wounds" in text


def test_headline_figures_show_the_change_against_the_previous_month(june, june_bulletin):
    summary, previous = june_bulletin.summary, june_bulletin.previous
    assert previous is not None and previous.scope.key == "2023-05"
    change = summary.total_killed - previous.total_killed
    sign = "+" if change > 0 else "\u2212"
    assert f"{summary.total_killed}Fatalities {sign}{abs(change)} vs May 2023" in flat(pdf_text(june.pdf))


def test_pdf_is_a4_with_running_header_footer_metadata_and_embedded_fonts(june, profile):
    reader = pypdf.PdfReader(io.BytesIO(june.pdf))
    pages = reader.pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        text = page.extract_text()
        assert f"Page {number} of {len(pages)}" in text
        assert "generated 2024-02-03" in text and "data version" in text
    assert profile.title in pages[1].extract_text() and "June 2023" in pages[1].extract_text()
    meta = reader.metadata
    assert meta.title == f"{profile.title} — June 2023"
    assert meta.author == profile.organisation
    assert meta.creation_date.date() == GENERATED
    fonts = []
    for page in pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)["/FontDescriptor"]
            fonts.append(descriptor.get_object())
    assert fonts and all(any(k in f for k in ("/FontFile", "/FontFile2", "/FontFile3")) for f in fonts)
    assert_nothing_embedded(june.pdf)


def test_html_is_self_contained_with_three_svg_charts(june):
    html = june.html
    tags = Tags(html)
    assert len(tags.named("svg")) == 3
    assert not tags.named("script") and not tags.named("link") and not tags.named("img") and not tags.named("iframe")
    assert not any("src" in attrs or "href" in attrs for _, attrs in tags.tags)
    assert not re.search(r"(?i)\b(?:https?|ftp|file|javascript):|url\(", html)
    csp = [a for a in tags.named("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp == [{"http-equiv": "Content-Security-Policy",
                    "content": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}]
    assert "<style>" in html and "@page" in html


def test_the_same_svg_charts_go_into_html_and_pdf(june_bulletin, settings, june):
    charts = render_charts(june_bulletin, settings)
    for svg in charts.values():
        assert svg in june.html
    assert "Day of the month" in pdf_text(june.pdf)  # the timeline's axis, drawn into the PDF


def test_text_and_summary_json(june, june_bulletin):
    assert june.text.startswith("Fatalities in military operations in the Syrian desert | June 2023\n\n")
    assert "in June 2023 stood at 60;" in june.text and "since early 2023 has increased to 562;" in june.text
    assert "\n\n\n" not in june.text and june.text.endswith(".\n")
    assert june.files()["summary.json"].decode() == june.summary_json
    assert f'"total_killed": {june_bulletin.summary.total_killed}' in june.summary_json


def test_year_bulletin_has_months_in_place_of_days(sample_db, profile, settings):
    store = open_store(sample_db, create=False)
    bulletin = gather(store, profile, Job("year", plan_jobs(store, period="2023")[0].scope))
    store.close()
    html = render_html(bulletin, settings)
    assert "Month by month" in html and "Day by day" not in html
    assert html.count("<svg") == 3
    assert ">Jan<" in html and ">Dec<" in html
    assert "since early 2023 has increased to 562;" in render_text(bulletin, settings)


# -- hostile incident text -------------------------------------------------------------

LONG = "Ж" * 5000
HOSTILE_PLACES = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=file:///etc/passwd>",
    "attach": "<link rel=attachment href=file:///etc/passwd>",
    "anchor": '<a rel="attachment" href="file:///etc/passwd">x</a>',
    "ssti": "{{ 7*7 }} {% raw %}",
    "long": LONG,
    "arabic": "بادية دير الزور",
    "control": "Kaba\x01jeb\x1b[31m",
    "bidi": "\u202eabc 123",
}


@pytest.fixture(scope="module")
def hostile(databases, tmp_path_factory, profile, settings):
    store = open_store(databases.new(tmp_path_factory.mktemp("hostile") / "hostile.db"))
    incidents = [
        Incident(id=f"H-{key}", date=f"2023-06-{i + 1:02d}", region="homs", province="Homs", district="",
                 location=place, perpetrator="ISIS", kind="ambush",
                 casualties=(Casualty("combatants", "", i + 1, 1),))
        for i, (key, place) in enumerate(HOSTILE_PLACES.items())
    ]
    incidents.append(Incident(id="H-actor", date="2023-06-20", region="hama", province="Hama", district="",
                              location="Plain", perpetrator="<b>bold</b>", kind="{{ 6*7 }}",
                              casualties=(Casualty("civilians", "", 2, 0),)))
    store.add_incidents(incidents)
    store.add_revisions([Revision("H-script", "combatants", "", 1, 2, 1, 0,
                                  "<script>r()</script> {{ 7*7 }}", "2023-06-25")])
    bulletin = gather(store, profile, Job("month", month_scope(2023, 6)))
    store.close()
    return render_bulletin(bulletin, settings)


def test_hostile_text_is_inert_in_html(hostile):
    tags = Tags(hostile.html)
    assert not tags.named("script") and not tags.named("img") and not tags.named("link") and not tags.named("a")
    assert not tags.named("b")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.html
    assert "&lt;img src=file:///etc/passwd&gt;" in hostile.html
    assert "&lt;link rel=attachment href=file:///etc/passwd&gt;" in hostile.html
    assert "{{ 7*7 }} {% raw %}" in hostile.html and "{{ 6*7 }}" in hostile.html
    assert "&lt;script&gt;r()&lt;/script&gt; {{ 7*7 }}" in hostile.html
    assert not any(k.startswith("on") for _, attrs in tags.tags for k in attrs)


def test_hostile_text_is_readable_in_html(hostile):
    assert LONG in hostile.html
    assert '<td class="text" dir="auto">بادية دير الزور</td>' in hostile.html
    assert "Kabajeb[31m" in hostile.html and "\x01" not in hostile.html and "\x1b" not in hostile.html
    assert "\u202e" not in hostile.html and '<td class="text" dir="auto">abc 123</td>' in hostile.html


def test_hostile_text_is_inert_and_readable_in_pdf(hostile):
    text = pdf_text(hostile.pdf)
    assert "{{ 7*7 }}" in text and "{{ 6*7 }}" in text
    assert "<script>alert(1)</script>" in flat(text)
    assert "<link rel=attachment" in flat(text)
    assert text.count("Ж") == 5000
    letters = unicodedata.normalize("NFKC", text)
    assert "دير" in letters or "ريد" in letters
    assert_nothing_embedded(hostile.pdf)


def test_hostile_text_stays_one_line_in_the_text_tally(hostile):
    assert "7*7" not in hostile.text  # places are not part of the tally; nothing evaluated either
    assert "49" not in hostile.text


def test_shown_strips_overrides_and_controls_and_keeps_arabic():
    assert shown("a\u202eb\x00c\n\u2028d  e") == "abc d e"
    assert shown("بادية") == "بادية"


# -- the URL fetcher -----------------------------------------------------------------


@pytest.fixture
def templates_dir(tmp_path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', encoding="utf-8")
    (folder / "escape.txt").symlink_to("/etc/passwd")
    return folder


@pytest.fixture
def fetcher(templates_dir):
    from reportgen.fetcher import RestrictedFetcher

    return RestrictedFetcher([templates_dir])


def test_fetcher_refuses_files_outside_the_templates(fetcher):
    from reportgen.fetcher import FetchRefused

    with pytest.raises(FetchRefused):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(FetchRefused):
        fetcher("file://localhost/etc/passwd")


def test_fetcher_refuses_a_symlink_inside_the_templates_that_leads_outside(fetcher, templates_dir):
    from reportgen.fetcher import FetchRefused

    with pytest.raises(FetchRefused):
        fetcher.fetch((templates_dir / "escape.txt").as_uri())
    with pytest.raises(FetchRefused):
        fetcher.fetch((templates_dir / ".." / ".." / ".." / "etc" / "passwd").as_uri())


def test_fetcher_refuses_http_without_connecting(fetcher, listener):
    from reportgen.fetcher import FetchRefused

    for url in (f"{listener.url}/x.png", f"https://127.0.0.1:{listener.port}/", f"ftp://127.0.0.1:{listener.port}/x"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert listener.connections == 0
    assert len(fetcher.refused) == 3


def test_fetcher_serves_data_urls_and_template_files(fetcher, templates_dir):
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    response = fetcher.fetch((templates_dir / "logo.svg").as_uri())
    assert response.read().startswith(b"<svg") and response.content_type == "image/svg+xml"


ATTACKS = """<!DOCTYPE html><html><head><title>t</title>
<link rel="attachment" href="file:///etc/passwd"><link rel="stylesheet" href="file:///etc/passwd">
<link rel="stylesheet" href="{url}/style.css"></head><body>
<p>Attacks</p><a rel="attachment" href="file:///etc/passwd">x</a>
<img src="file:///etc/passwd"><img src="{url}/x.png"><div style="background: url({url}/bg.png)">bg</div>
<svg width="10" height="10"><image href="{url}/i.png" width="10" height="10"/></svg>
</body></html>"""


def test_pdf_step_fetches_nothing_even_from_markup_that_asks(listener, settings):
    """Defence in depth: raw markup (as if escaping had failed) still embeds and fetches nothing."""
    pdf = render_pdf(ATTACKS.format(url=listener.url), settings)
    assert pdf.startswith(b"%PDF-") and "Attacks" in pdf_text(pdf)
    assert listener.connections == 0
    assert_nothing_embedded(pdf)


def test_weasyprints_default_fetcher_would_have_embedded_the_file():
    """The control for the test above: without the restricted fetcher the attack works."""
    import weasyprint

    pdf = weasyprint.HTML(string='<link rel="attachment" href="file:///etc/passwd"><p>x</p>').write_pdf()
    with pytest.raises(AssertionError):
        assert_nothing_embedded(pdf)


# -- template overrides ----------------------------------------------------------------


@pytest.fixture(scope="module")
def june_charts(june_bulletin, settings):
    return render_charts(june_bulletin, settings)


def test_a_user_template_file_overrides_the_shipped_one(tmp_path, profile, june_bulletin, june_charts):
    (tmp_path / "html" / "partials").mkdir(parents=True)
    (tmp_path / "html" / "partials" / "methods.html.j2").write_text(
        '<section id="methods"><h2>How we count</h2><p>{{ page.organisation }} counts {{ "<b>" }}.</p></section>\n',
        encoding="utf-8")
    html = render_html(june_bulletin, RenderSettings(profile, templates=str(tmp_path), generated=GENERATED), june_charts)
    assert "<h2>How we count</h2>" in html and "SOHR counts &lt;b&gt;." in html
    assert "<h2>Methods</h2>" not in html
    assert html.count("<svg") == 3


def test_a_user_template_can_extend_the_shipped_file_it_replaces(tmp_path, profile, june_bulletin, june_charts):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "month.html.j2").write_text(
        '{% extends "default:html/month.html.j2" %}{% block kicker %}Field edition{% endblock %}\n', encoding="utf-8")
    html = render_html(june_bulletin, RenderSettings(profile, templates=str(tmp_path), generated=GENERATED), june_charts)
    assert "Field edition" in html and "Monthly bulletin" not in html
    assert "Regional distribution of ISIS attacks" in html and html.count("<svg") == 3


def test_chart_words_come_from_an_overridable_template(tmp_path, profile, june_bulletin):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "chart_text.j2").write_text(
        '{% set day = "Jour du mois" %}\n', encoding="utf-8")
    charts = render_charts(june_bulletin, RenderSettings(profile, templates=str(tmp_path)))
    assert "Jour du mois" in charts["timeline"]
    assert "Fatalities since 1 January" in charts["cumulative"]  # the words the copy leaves out stay shipped


def test_shipped_templates_hold_every_file_the_renderer_names():
    for name in ("html/base.html.j2", "html/month.html.j2", "html/year.html.j2", "html/chart_text.j2",
                 "css/bulletin.css", "css/print.css", "text/bulletin.txt.j2"):
        assert (SHIPPED_TEMPLATES / name).is_file(), name


def test_hostile_organisation_stays_one_metadata_string(june_bulletin, june_charts, profile):
    """Metadata only through escaped <title>/<meta>: no injected PDF keys, no control characters."""
    hostile = "T ) /Author (evil\x00\x07 <x>"
    settings = RenderSettings(profile, organisation=hostile, generated=GENERATED)
    pdf = render_pdf(render_html(june_bulletin, settings, june_charts), settings)
    info = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert info.author == "T ) /Author (evil <x>"
    assert set(info) == {"/Title", "/Author", "/Subject", "/Creator", "/Producer", "/CreationDate", "/ModDate"}


def test_the_incident_table_is_capped_and_says_where_the_rest_are(june_bulletin, june_charts, settings):
    from dataclasses import replace

    from reportgen.render import INCIDENT_LIMIT, Bulletin

    rows = june_bulletin.summary.incident_rows
    many = rows * (INCIDENT_LIMIT // len(rows) + 2)
    bulletin = Bulletin("month", replace(june_bulletin.summary, incident_rows=many), june_bulletin.running,
                        june_bulletin.previous)
    html = render_html(bulletin, settings, june_charts)
    table = html[html.index('<table class="incident-table">'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") == INCIDENT_LIMIT + 2  # two header rows
    assert f"{len(many) - INCIDENT_LIMIT} more incidents are listed in summary.json." in html


def test_a_draft_carries_a_visible_mark(june_bulletin, june_charts, profile):
    html = render_html(june_bulletin, RenderSettings(profile, draft=True), june_charts)
    assert '<div class="draft-mark" aria-hidden="true">DRAFT</div>' in html
    assert "DRAFT" not in render_html(june_bulletin, RenderSettings(profile), june_charts)


def test_right_to_left_text_and_overrides_do_not_reorder_a_pdf_row(hostile):
    """Each cell is its own paragraph: an Arabic name keeps its row's figures in place, and the
    stripped U+202E no longer reverses what follows it."""
    lines = pdf_text(hostile.pdf).splitlines()
    assert "2023-06-07 Homs desert بادية دير الزور ISIS cells ambush 7 1 0 0 0 0" in lines
    assert "2023-06-09 Homs desert abc 123 ISIS cells ambush 9 1 0 0 0 0" in lines


def test_a_month_without_fatalities_draws_no_empty_chart_and_follows_the_text(store, profile, settings):
    store.add_incidents([Incident(id="Q-1", date="2025-06-03", region="homs", province="Homs", district="", location="Palmyra",
                                  perpetrator="ISIS", kind="ambush", casualties=(Casualty("combatants", "", 0, 2),))])
    bulletin = gather(store, profile, Job("month", month_scope(2025, 6)))
    html = render_html(bulletin, settings)
    assert "<svg" not in html
    assert "No fatalities were documented in June 2025." in html
    assert "No fatalities were documented from 1 January to 30 June 2025." in html
    assert "no fatalities in military operations in the Syrian desert were documented in June 2025." in flat(html)
    assert "stood at" not in html and "as follows" not in html
