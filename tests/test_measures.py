"""What a bulletin shows follows the profile's ``measures``, and its counted words agree with their figures.

ACLED records no injured, UCDP records ranges and no injured, the Syrian-desert network records the
killed and the injured: each bulletin shows those and nothing in their place. Real imports of the
samples in ``tests/data/interop/`` and the bundled 2023 sample, rendered to HTML (and a PDF once).
"""

from __future__ import annotations

import html as html_lib
import io
import re
from datetime import date
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from reportgen.build.gather import gather
from reportgen.build.jobs import plan_jobs
from reportgen.charts import ranged_charts
from reportgen.cli import main
from reportgen.profile import load_profile
from reportgen.records import Casualty, Incident
from reportgen.render import RenderSettings, render_charts, render_html, render_pdf
from reportgen.store import open_store

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "interop"
GENERATED = date(2024, 2, 3)
RANGE = re.compile(r"\b(up to|at least|between) \d")  # a range phrase (the methods note says "between its two sides")


def visible_text(page: str) -> str:
    """The words a reader sees: no style sheet, no chart markup, no tags; whitespace collapsed, and
    a ``|`` between blocks and table cells (a cell's number does not run into the next cell's words)."""
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"</?(td|th|tr|p|li|h1|h2|figcaption|div|section)\b[^>]*>", " | ", page)
    words = html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split()
    return re.sub(r"(\| )+", "| ", " ".join(words))


def imported(databases, folder: Path, profile: str, fmt: str, data: Path):
    def fill(db) -> None:
        result = CliRunner().invoke(main, ["--db", str(db), "--profile", profile, "import", "--format", fmt, str(data)])
        assert result.exit_code == 0, result.output

    return databases.built(folder / f"{profile}.db", fill)


def bulletin_of(db, profile, period: str):
    store = open_store(db, create=False)
    try:
        return gather(store, profile, plan_jobs(store, period=period)[0])
    finally:
        store.close()


def rendered(db, profile, period: str) -> dict:
    bulletin = bulletin_of(db, profile, period)
    settings = RenderSettings(profile, generated=GENERATED)
    charts = render_charts(bulletin, settings)
    html = render_html(bulletin, settings, charts=charts)
    return {"bulletin": bulletin, "html": html, "text": visible_text(html), "charts": charts, "settings": settings}


@pytest.fixture(scope="module")
def acled(tmp_path_factory, databases) -> dict:
    db = imported(databases, tmp_path_factory.mktemp("acled"), "acled-syria", "acled", DATA / "acled_sample.csv")
    return rendered(db, load_profile("acled-syria"), "2022-05")


@pytest.fixture(scope="module")
def ucdp_db(tmp_path_factory, databases):
    return imported(databases, tmp_path_factory.mktemp("ucdp"), "ucdp", "ucdp", DATA / "ucdp_ged_sample.csv")


@pytest.fixture(scope="module")
def ucdp(ucdp_db) -> dict:
    return rendered(ucdp_db, load_profile("ucdp"), "2013-01")


@pytest.fixture(scope="module")
def desert(sample_db, profile) -> dict:
    return rendered(sample_db, profile, "2023-06")


# -- task: show only what the source records --------------------------------------------------


def test_an_acled_bulletin_has_no_injured_column_heading_or_figure(acled):
    html, text = acled["html"], acled["text"]
    assert "injured" not in text.casefold()
    assert 'class="sub">injured' not in html and 'class="figure figure-injured"' not in html
    assert "Fatalities" in text and "Combatants killed" in text


def test_an_acled_bulletins_pdf_says_nothing_of_the_injured(acled):
    pdf = render_pdf(acled["html"], acled["settings"])
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "njured" not in text and "Fatalities" in text


def test_a_desert_bulletin_still_shows_the_injured(desert):
    summary, text = desert["bulletin"].summary, desert["text"]
    assert f"{summary.total_injured} Injured" in text  # the headline figure
    assert "| Fatalities | Injured |" in text  # the regional table's headings
    assert text.count("killed | injured") == len(load_profile().categories)  # the incident table's
    assert summary.total_injured > 0


def test_a_ucdp_bulletin_shows_ranges_and_no_injured(ucdp):
    text = ucdp["text"]
    assert RANGE.search(text)
    assert 'class="figure-range"' in ucdp["html"] and 'class="range"' in ucdp["html"]
    assert "injured" not in text.casefold()


def test_charts_of_a_killed_only_profile_have_no_injured_series(acled):
    for name, svg in acled["charts"].items():
        assert "njured" not in svg, name
    assert ranged_charts(acled["bulletin"].summary, acled["bulletin"].running, load_profile("acled-syria")) == frozenset()


def test_a_profile_without_ranges_shows_none_even_where_the_data_has_them(ucdp_db, tmp_path):
    """The UCDP sample under a profile that lists the killed only: best figures, no range anywhere."""
    shipped = Path(load_profile("ucdp").path).read_text(encoding="utf-8")
    assert 'measures = ["killed", "ranges"]' in shipped
    path = tmp_path / "ucdp-best.toml"
    path.write_text(shipped.replace('measures = ["killed", "ranges"]', 'measures = ["killed"]'), encoding="utf-8")
    profile = load_profile(str(path))
    page = rendered(ucdp_db, profile, "2013-01")
    assert not RANGE.search(page["text"])
    assert 'class="figure-range"' not in page["html"] and 'class="range"' not in page["html"]
    assert ranged_charts(page["bulletin"].summary, page["bulletin"].running, profile) == frozenset()
    summary = page["bulletin"].summary
    assert all(g.killed_range is None for g in summary.groups) and all(not r.ranges for r in summary.incident_rows)


# -- task: agreement -------------------------------------------------------------------------


def agreement_db(databases, folder: Path, n: int):
    """June 2023: ``max(n, 1)`` ISIS attacks in the Homs desert; each category ``n`` killed, ``n`` injured in all."""
    def fill(db) -> None:
        store = open_store(db)
        incidents = [
            Incident(id=f"A-{i}", date=f"2023-06-0{i + 1}", region="homs", province="Homs", district="", location="Palmyra",
                     perpetrator="ISIS", kind="ambush", recorded_at=f"2023-06-0{i + 1}",
                     casualties=tuple(Casualty(c, "", 1 if i < n else 0, 1 if (c == "combatants" and i < n) else 0)
                                      for c in ("combatants", "civilians", "isis")))
            for i in range(max(n, 1))
        ]
        store.add_incidents(incidents)
        store.close()

    return databases.built(folder / f"agreement-{n}.db", fill)


@pytest.fixture(scope="module")
def agreement(tmp_path_factory, databases, profile):
    def page(n: int) -> dict:
        return rendered(agreement_db(databases, tmp_path_factory.mktemp(f"n{n}"), n), profile, "2023-06")

    return page


LABELS = {"combatants": ("Combatant", "Combatants"), "civilians": ("Civilian", "Civilians"),
          "isis": ("ISIS member", "ISIS members")}


def test_one_of_each_reads_singular_everywhere(agreement):
    page = agreement(1)
    summary, text = page["bulletin"].summary, page["text"]
    assert (summary.incidents, summary.operations, summary.total_injured) == (1, 1, 1)
    assert [g.killed for g in summary.groups] == [1, 1, 1]
    for one, _ in LABELS.values():
        assert f"1 {one} killed" in text
    assert "3 Fatalities" in text and "1 Injured" in text and "1 ISIS attack " in text
    assert "Incident (1)" in text
    # no "1" or "one" before a plural anywhere on the page, the source-format text included
    plurals = "|".join(["combatants", "civilians", "ISIS members", "ISIS attacks", "operations", "incidents",
                        "fatalities", "members of [A-Za-z ]+"])
    assert not re.search(rf"\b(1|one) ({plurals})\b", text, flags=re.I), re.search(rf"\b(1|one) ({plurals})\b", text, flags=re.I)


def test_one_death_is_one_fatality(databases, tmp_path, profile):
    location = databases.new(tmp_path / "one.db")
    store = open_store(location)
    store.add_incidents([Incident(id="O-1", date="2023-06-03", region="hama", province="Hama", district="", location="x",
                                  perpetrator="ISIS", kind="ambush", casualties=(Casualty("civilians", "", 1, 0),))])
    store.close()
    text = rendered(location, profile, "2023-06")["text"]
    assert "1 Fatality" in text and "1 Civilian killed" in text and "0 Combatants killed" in text


@pytest.mark.parametrize("n", [0, 2])
def test_two_and_none_read_plural(agreement, n):
    page = agreement(n)
    text = page["text"]
    for _, many in LABELS.values():
        assert f"{n} {many} killed" in text
    operations = page["bulletin"].summary.operations
    assert f"{operations} {'ISIS attack' if operations == 1 else 'ISIS attacks'} " in text
    assert f"{3 * n} Fatalities" in text and f"{n} Injured" in text
    assert not re.search(r"\b(2|two|0) (combatant|civilian|ISIS member|ISIS attack|operation|incident|fatality)\b", text, flags=re.I)
