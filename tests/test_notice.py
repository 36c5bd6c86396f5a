"""Toll-update notices: the seed's notice reproduced from the sample data, as-of, HTML, refusals."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from seed_text import SEED, SEED_TALLY_DIFFERENCES

from reportgen.errors import ReportgenError
from reportgen.notice import build_notice, notice_html, notice_text, tally_blocks
from reportgen.profile import load_profile
from reportgen.records import Casualty, Incident
from reportgen.revise import parse_changes, revise
from reportgen.store import open_store

SHAJIRY = "2023-DZ-SHAJIRY"

# The notice's own paragraphs (headline, body, what had been documented, the
# note) match the seed exactly; only its tally differs, as the tally alone does.
DOCUMENTED_DIFFERENCES = SEED_TALLY_DIFFERENCES


def seed_lines() -> list[str]:
    """The seed as published, without the asterisks that obfuscate a few words of its headline."""
    return SEED.read_text(encoding="utf-8").replace("*", "").splitlines()


@pytest.fixture
def db(sample_location):
    return sample_location


@pytest.fixture
def store(db):
    opened = open_store(db, create=False)
    yield opened
    opened.close()


def test_the_notice_reproduces_the_seed_but_for_documented_differences(sample_store, profile):
    generated = notice_text(build_notice(sample_store, profile, SHAJIRY), profile).splitlines()
    seed = seed_lines()
    assert len(generated) == len(seed)
    differences = {(s, g) for s, g in zip(seed, generated, strict=True) if s != g}
    assert differences == set(DOCUMENTED_DIFFERENCES)


def test_the_notice_paragraphs_match_the_seed_exactly(sample_store, profile):
    seed = "\n".join(seed_lines())
    text = notice_text(build_notice(sample_store, profile, SHAJIRY), profile)
    notice, tally = text.split("\nAccording to ", 1)
    assert seed.startswith(notice + "\nAccording to ")
    assert notice.splitlines()[0] == (
        "Death toll update | Five members of National Defence in landmine explosion in a desert in Deir Ezzor")
    assert "has increased to 562;" in tally


def test_the_notice_through_the_cli(cli, sample_db):
    result = cli("--db", sample_db, "notice", SHAJIRY)
    assert result.exit_code == 0, result.stderr
    differences = {(s, g) for s, g in zip(seed_lines(), result.stdout.splitlines(), strict=True) if s != g}
    assert differences == set(DOCUMENTED_DIFFERENCES)


def test_the_tally_of_the_notice_is_the_year_as_of_the_revision(store, profile):
    """A later incident does not change the notice of an earlier revision."""
    before = notice_text(build_notice(store, profile, SHAJIRY), profile)
    store.add_incidents([Incident(
        id="JULY", date="2023-07-02", region="homs", province="Homs", district="", location="Palmyra",
        perpetrator="ISIS", kind="ambush", casualties=(Casualty("civilians", "", 4, 0),),
    )])
    assert notice_text(build_notice(store, profile, SHAJIRY), profile) == before


def test_a_later_revision_gets_its_own_notice_and_the_earlier_one_is_kept(cli, db, store, profile):
    first = cli("--db", db, "notice", SHAJIRY).stdout
    revise(store, profile, SHAJIRY, parse_changes(["combatants=6"], ["combatants=16"]), "died of wounds",
           recorded_at="2023-07-01")
    latest = cli("--db", db, "notice", SHAJIRY).stdout
    assert latest.startswith("Death toll update | Six members of National Defence in landmine explosion")
    assert "has risen to six, after the death of a member affected by his wounds" in latest
    assert "had documented the death of five members of the National Defence and the injury of 17 others" in latest
    assert "has increased to 563;" in latest
    assert "-Deir Ezzor desert: 59 operations left 173 fatalities:" in latest
    assert cli("--db", db, "notice", SHAJIRY, "--as-of", "2023-06-30").stdout == first
    assert cli("--db", db, "notice", SHAJIRY, "--as-of", "2023-06-26").stdout == first


def test_html_lays_out_the_text_notice(sample_store, profile):
    notice = build_notice(sample_store, profile, SHAJIRY)
    page = notice_html(notice, profile)
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page
    texts = visible_text(page)
    lines = [line.removeprefix("• ") for line in notice_text(notice, profile).splitlines() if line.strip()]
    assert texts[0] == texts[1] == lines[0]  # the title and the headline
    assert texts[1:-1] == lines
    assert texts[-1] == f"SOHR · incident {SHAJIRY} · revision recorded 2023-06-26: died of wounds"


def test_html_escapes_every_piece_of_data(store, profile):
    store.add_incidents([Incident(
        id="XSS", date="2023-05-01", region="hama", province="<b>Hama</b>", district="<i>x</i>",
        location='<script>alert(1)</script>', perpetrator="ISIS", kind="ambush",
        summary="The {{ 7*7 }} [bold]x[/] <img src=x onerror=alert(1)>",
        casualties=(Casualty("civilians", "", 1, 2),),
    )])
    revise(store, profile, "XSS", parse_changes(["civilians=2"], ["civilians=1"]), "<em>died</em>", recorded_at="2023-05-03")
    notice = build_notice(store, profile, "XSS")
    page = notice_html(notice, profile)
    assert "<script" not in page and "<img" not in page and "<b>" not in page and "<em>" not in page
    assert "in &lt;script&gt;alert(1)&lt;/script&gt; in &lt;i&gt;x&lt;/i&gt; district in Hama desert" in page
    assert "{{ 7*7 }}" in page and "49" not in page
    assert "&lt;em&gt;died&lt;/em&gt;" in page
    text = notice_text(notice, profile)
    assert "It is worth noting that the {{ 7*7 }} [bold]x[/] <img src=x onerror=alert(1)>" in text


def test_a_death_not_from_wounds_and_a_category_without_notice_names(store, profile):
    """A civilian found dead later (the injured did not fall): 'after documenting the death of ...'."""
    store.add_incidents([Incident(
        id="H-1", date="2023-05-01", region="homs", province="Homs", district="Tadmur", location="Palmyra",
        perpetrator="ISIS", kind="ambush", summary="Illustrative record: shepherds attacked.",
        casualties=(Casualty("civilians", "", 3, 0),),
    )])
    revise(store, profile, "H-1", parse_changes(["civilians=4"], []), "body found", recorded_at="2023-05-04")
    text = notice_text(build_notice(store, profile, "H-1"), profile, with_tally=False)
    assert text.splitlines() == [
        "Death toll update | Four civilians in ambush in a desert in Homs",
        "",
        "Homs province: The number of victims of civilians has risen to four, after documenting the death of"
        " one civilian due to an ambush by ISIS cells in Palmyra in Tadmur district in Homs desert within"
        " regime-held areas.",
        "",
        "SOHR activists had documented the death of three civilians.",
        "",
        "Illustrative record: shepherds attacked.",
    ]


def test_several_deaths_from_wounds(store, profile):
    revise(store, profile, SHAJIRY, parse_changes(["combatants=7"], ["combatants=15"]), "died of wounds",
           recorded_at="2023-06-30")
    text = notice_text(build_notice(store, profile, SHAJIRY), profile, with_tally=False)
    assert "Death toll update | Seven members of National Defence in landmine explosion" in text
    assert "has risen to seven, after the death of two more affected by their wounds due to" in text
    assert "had documented the death of five members of the National Defence and the injury of 17 others" in text


def test_a_profile_without_notice_phrases_falls_back_to_its_labels(store, tmp_path):
    shipped = Path(load_profile("syrian-desert").path).read_text(encoding="utf-8")
    bare = tmp_path / "bare.toml"
    bare.write_text(shipped[: shipped.index("[notice]")], encoding="utf-8")
    profile = load_profile(str(bare))
    text = notice_text(build_notice(store, profile, SHAJIRY), profile, with_tally=False)
    assert text.splitlines()[0] == "Death toll update | Five members of the National Defence in landmine explosion in Deir Ezzor desert"
    assert ("after the death of a member of the National Defence affected by their wounds due to the landmine explosion by"
            " ISIS cells in Al-Shajiry Village in Al-Masrib district in Deir Ezzor desert, where") in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["notice", "DZ-404"], "incident 'DZ-404': no such incident in"),
        (["notice", "2023-01-001"], "incident '2023-01-001': no revision recorded; a notice reports a toll update"),
        (["notice", SHAJIRY, "--as-of", "2023-06-25"], "no revision recorded by 2023-06-25"),
        (["notice", SHAJIRY, "--as-of", "2023-06-31"], "--as-of '2023-06-31': no such day"),
        (["notice", SHAJIRY, "--format", "pdf"], "Invalid value for '--format'"),
    ],
)
def test_refusals(cli, db, args, message):
    result = cli("--db", db, *args)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert message in result.stderr


def test_a_correction_has_no_toll_update_notice(cli, db, store, profile):
    revise(store, profile, SHAJIRY, parse_changes(["combatants=4", "combatants/national-defence=4"], []),
           "counted twice", recorded_at="2023-06-28", correction=True)
    result = cli("--db", db, "notice", SHAJIRY)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"reportgen: error: incident '{SHAJIRY}': its revision recorded 2023-06-28 raises no death toll;"
        " a toll-update notice reports a rise in the dead")


def test_output_is_written_whole_and_replaces_a_symlink(cli, db, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me", encoding="utf-8")
    target = tmp_path / "out" / "notice.html"
    target.parent.mkdir()
    target.symlink_to(outside)
    result = cli("--db", db, "notice", SHAJIRY, "--format", "html", "--output", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert not target.is_symlink()
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert os.listdir(target.parent) == ["notice.html"]
    assert target.stat().st_mode & 0o044  # readable by others, as files written with open() are


def test_tally_blocks_group_bullets_into_lists():
    assert tally_blocks(["Total:", "• a", "• b", "Regions:", "-Homs: x", "• c", ""]) == [
        ("p", "Total:"), ("ul", ["a", "b"]), ("p", "Regions:"), ("p", "-Homs: x"), ("ul", ["c"]),
    ]


def test_an_unreadable_notice_table_is_a_one_line_error(store, tmp_path):
    shipped = Path(load_profile("syrian-desert").path).read_text(encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text(shipped.replace('control = "within regime-held areas"', "control = 3"), encoding="utf-8")
    profile = load_profile(str(broken))
    with pytest.raises(ReportgenError, match=r"broken.toml: notice.control: expected text, got 3"):
        build_notice(store, profile, SHAJIRY)


class _Texts(HTMLParser):
    BLOCKS = {"title", "h1", "p", "li", "footer"}

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.open = False

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.texts.append("")
            self.open = True

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.open = False

    def handle_data(self, data):
        if self.open:
            self.texts[-1] += data


def visible_text(page: str) -> list[str]:
    """The text of the page's title, headings, paragraphs and list items, unescaped, in order."""
    parser = _Texts()
    parser.feed(page)
    return parser.texts


def test_a_notice_goes_through_the_one_writer(cli, db, tmp_path, monkeypatch):
    from reportgen import files

    synced, real = [], os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(os.fstat(fd).st_ino) or real(fd))
    target = tmp_path / "notice.txt"
    assert cli("--db", db, "notice", SHAJIRY, "--output", target).exit_code == 0
    assert synced == [target.stat().st_ino, tmp_path.stat().st_ino]  # the file, then its folder's entry
    assert files.current(target) == target.read_bytes() and target.read_text(encoding="utf-8").startswith("Death toll update")
