"""Uncertainty ranges in bulletins: the range phrases in HTML and PDF, error bars and bands in the charts,
nothing of them where the data has no ranges, and re-imports that change a range.

The UCDP sample is imported and its month with the most ranged events is built through the real CLI;
expected figures are summed from the CSV with pandas, never copied from the program.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from click.testing import CliRunner
from defusedxml import ElementTree

from reportgen.aggregate import sum_range, summarize
from reportgen.build.gather import gather, running_summary
from reportgen.build.jobs import plan_jobs
from reportgen.charts import (
    RANGE_RULE,
    ChartText,
    bulletin_charts,
    category_label,
    cumulative_band_rows,
    regions_chart,
)
from reportgen.cli import main
from reportgen.periods import month_scope, year_scope, ytd_scope
from reportgen.profile import load_profile
from reportgen.render import RenderSettings, render_html
from reportgen.rows import CasualtySum
from reportgen.store import open_store
from reportgen.summary import CategoryCount, Range
from reportgen.wording import environment

SAMPLE = Path(__file__).parent / "data" / "interop" / "ucdp_ged_sample.csv"
NUMBERS = ["best", "low", "high", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"]
DEATHS = ["deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"]
WORDS = ChartText("Fatalities", "Region", "Category", "Day of the month", "Month", "Fatalities since 1 January", "Date")
ANY_RANGE = re.compile(r"between \d+ and \d+|at least \d+|up to \d+")


def run(*args: object) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def phrase(best: int, low: int, high: int) -> str:
    """The expected wording of a range, written out independently of the templates."""
    if low == best and high > best:
        return f"up to {high}"
    if high == best and low < best:
        return f"at least {low}"
    return f"between {low} and {high}"


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(path: Path) -> str:
    return flat("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages))


def svg_of(html: str, name: str):
    found = re.search(rf'<figure class="chart chart-{name}">\s*(<svg.*?</svg>)', html, re.DOTALL)
    assert found, name
    return ElementTree.fromstring(found[1])


def error_bars(svg) -> list:
    return [e for e in svg.iter("line") if e.get("stroke") == RANGE_RULE["color"]]


# -- the UCDP sample -------------------------------------------------------------------


def sample_frame() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False, compression=None)
    for column in NUMBERS:
        frame[column] = frame[column].astype(int)
    frame["month"] = frame["date_start"].str[:7]
    frame["ranged"] = (frame["low"] != frame["best"]) | (frame["high"] != frame["best"])
    # A range reaches its event's one category when only one deaths column counts someone.
    frame["one_category"] = (frame[DEATHS] > 0).sum(axis=1) == 1
    return frame


def region_ranges(rows: pd.DataFrame) -> dict[str, tuple[int, int, int]]:
    """(best, low, high) of the month's regions whose ranged events each have deaths in one category."""
    found = {}
    regions = rows["adm_1"].replace("", load_profile("ucdp").mappings["ucdp"].region_default)
    for region, events in rows.groupby(regions):
        ranged = events[events["ranged"]]
        if not ranged.empty and ranged["one_category"].all():
            found[region] = (events["best"].sum(), events["low"].sum(), events["high"].sum())
    return found


def ranged_month(frame: pd.DataFrame) -> str:
    """The month with the most regions with ranged events that left deaths, then the most ranged events."""
    def score(rows: pd.DataFrame) -> tuple[int, int]:
        ranged = rows[rows["ranged"]]
        shown = ranged.groupby("adm_1")["best"].min() > 0
        return int(shown.sum()), int(len(ranged))

    scores = {m: score(rows) for m, rows in frame.groupby("month")}
    return max(sorted(scores), key=lambda m: scores[m])


@pytest.fixture(scope="module")
def built(tmp_path_factory, databases) -> dict:
    """The UCDP sample imported (into a database on the store of the run), and its most ranged month built through the CLI."""
    frame = sample_frame()
    month = ranged_month(frame)
    folder = tmp_path_factory.mktemp("ranges")
    db, out = databases.new(folder / "ucdp.db"), folder / "output"
    run("--db", db, "--profile", "ucdp", "import", "--format", "ucdp", SAMPLE)
    run("--db", db, "--profile", "ucdp", "build", "--period", month, "--output", out)
    bulletin = out / month[:4] / month[5:]
    return {"frame": frame, "month": month, "rows": frame[frame["month"] == month], "db": db,
            "html": (bulletin / "bulletin.html").read_text(encoding="utf-8"), "pdf": bulletin / "bulletin.pdf"}


def test_the_month_has_ranges_to_show(built):
    rows = built["rows"]
    assert rows["ranged"].any()
    assert len(region_ranges(rows)) >= 1
    assert len(error_bars(svg_of(built["html"], "regions"))) >= 2


def test_the_headline_figure_states_the_months_range(built):
    rows = built["rows"]
    best, low, high = rows["best"].sum(), rows["low"].sum(), rows["high"].sum()
    assert (low, high) != (best, best)
    html = flat(built["html"])
    assert f'<span class="figure-value">{best}</span> <span class="figure-range">{phrase(best, low, high)}</span>' in html


@pytest.mark.slow
def test_the_pdf_states_the_headline_range_under_its_figure(built):
    rows = built["rows"]
    best, low, high = rows["best"].sum(), rows["low"].sum(), rows["high"].sum()
    assert f"{best}{phrase(best, low, high)} Fatalities" in pdf_text(built["pdf"])


def test_the_region_table_states_each_regions_range(built):
    html = built["html"]
    table = html[html.index('<table class="numbers region-table">'):html.index("</table>", html.index("region-table"))]
    for region, (best, low, high) in region_ranges(built["rows"]).items():
        row = next(r for r in table.split("<tr>") if f">{region}</th>" in r)
        assert f'<td class="strong">{best} <span class="range">{phrase(best, low, high)}</span></td>' in row


@pytest.mark.slow
def test_the_pdf_region_table_states_each_regions_range(built):
    text = pdf_text(built["pdf"])
    for region, (best, low, high) in region_ranges(built["rows"]).items():
        assert re.search(rf"{re.escape(region)} [0-9 ]*{best} {phrase(best, low, high)}", text), region


def month_summary(built):
    month = built["month"]
    store = open_store(built["db"], create=False)
    try:
        return summarize(store, load_profile("ucdp"), month_scope(int(month[:4]), int(month[5:])))
    finally:
        store.close()


def test_the_region_chart_draws_an_error_bar_from_each_ranged_regions_low_to_its_high(built):
    layers = regions_chart(month_summary(built), load_profile("ucdp"), WORDS).to_dict(validate=False)["layer"]
    drawn = {r["region"]: (r["low"], r["high"]) for r in layers[1]["data"]["values"]}
    for region, (_, low, high) in region_ranges(built["rows"]).items():
        assert drawn[region] == (low, high)
    svg = svg_of(built["html"], "regions")
    bars = error_bars(svg)
    assert len(bars) == len(drawn)
    assert len([e for e in svg.iter("path") if e.get("fill") == RANGE_RULE["color"]]) == 2 * len(bars)  # end ticks
    # Each line's length is its range on the chart's one scale.
    lengths = sorted(float(e.get("x2")) for e in bars)
    spans = sorted(high - low for low, high in drawn.values())
    assert [round(n / lengths[-1], 3) for n in lengths] == [round(n / spans[-1], 3) for n in spans]
    assert "A black line spans each region" in built["html"]


def test_the_cumulative_chart_draws_a_band_ending_at_the_year_to_date_ranges(built):
    frame, month = built["frame"], built["month"]
    year = frame[(frame["month"] <= month) & (frame["month"].str[:4] == month[:4])]
    profile = load_profile("ucdp")
    end = month_scope(int(month[:4]), int(month[5:])).end
    store = open_store(built["db"], create=False)
    running = running_summary(store, profile, ytd_scope(end))
    store.close()
    last = {r["category"]: r for r in cumulative_band_rows(running, profile, end) if r["date"] == end.isoformat()}
    for bound, column in (("low", "low"), ("high", "high")):
        total = 0
        for g in running.groups:
            band = last.get(category_label(profile, g.category))
            total += band[bound] if band else g.killed
        assert total == year[column].sum()
    drawn = [e for e in svg_of(built["html"], "cumulative").iter("path") if e.get("opacity") == "0.2"]
    assert len(drawn) == len(last) >= 1
    assert "A shaded band spans a category" in built["html"]


# -- the same phrases as the text -----------------------------------------------------------


@pytest.mark.parametrize(("best", "low", "high"), [(152, 152, 189), (31, 29, 31), (157, 152, 189), (76, 70, 105)])
def test_html_and_text_use_the_same_phrases(best, low, high):
    env = environment(load_profile("ucdp"))
    html = env.from_string('{% import "html/partials/macros.html.j2" as m %}{{ m.range_phrase(best, low, high) }}')
    text = env.from_string('{% import "text/macros.txt.j2" as m %}{{ m.range_note(best, low, high) }}')
    values = {"best": best, "low": low, "high": high}
    assert html.render(values) == phrase(best, low, high)
    assert text.render(values) == f" ({phrase(best, low, high)})"


@pytest.mark.parametrize(("low", "high"), [(None, None), (12, 12)])
def test_no_phrase_without_a_range_that_differs(low, high):
    env = environment(load_profile("ucdp"))
    template = env.from_string('{% import "html/partials/macros.html.j2" as m %}[{{ m.range_phrase(12, low, high) }}]'
                               '{{ m.count_cell(c) }}')
    count = CategoryCount("civilians", 12, 0, {}, None if low is None else Range(low, high))
    assert template.render(low=low, high=high, c=count) == "[]<td>12</td>"


def test_a_sum_takes_counts_without_a_range_at_their_figure():
    counts = [CategoryCount("a", 10, 0, {}, Range(8, 14)), CategoryCount("b", 5), CategoryCount("c", 0, 0, {}, Range(0, 3))]
    assert sum_range(counts) == Range(13, 22)
    assert sum_range([CategoryCount("a", 10), CategoryCount("b", 5)]) is None


# -- data without ranges: the bulletin as it was -------------------------------------------------


@pytest.fixture(scope="module")
def june(sample_db, profile):
    store = open_store(sample_db, create=False)
    bulletin = gather(store, profile, plan_jobs(store, period="2023-06")[0])
    store.close()
    return bulletin


def test_a_bulletin_without_ranges_shows_no_range(june, profile):
    html = render_html(june, RenderSettings(profile))
    assert not ANY_RANGE.search(html)
    assert 'class="range"' not in html and 'class="figure-range"' not in html
    assert "black line spans" not in html and "shaded band" not in html


def test_charts_without_ranges_draw_no_error_bars_or_bands(june, profile):
    running = june.running
    assert "layer" not in regions_chart(june.summary, profile, WORDS).to_dict(validate=False)
    assert cumulative_band_rows(running, profile, june.summary.scope.end) == []
    svgs = bulletin_charts(june.summary, running, profile, WORDS)
    for svg in map(ElementTree.fromstring, svgs.values()):
        assert error_bars(svg) == []
        assert not [e for e in svg.iter("path") if e.get("opacity") == "0.2"]


# -- a re-import that changes a range ---------------------------------------------------------


def one_ranged_category(numbers: pd.DataFrame) -> pd.Series:
    return numbers["ranged"] & numbers["one_category"] & (numbers["low"] > 0)


def changed_release(tmp_path: Path, change, pick=one_ranged_category) -> tuple[Path, pd.Series]:
    """The sample with its first event that ``pick`` selects (by default a ranged event of one
    category) changed by ``change(row)``; and the new row."""
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False, compression=None)
    numbers = sample_frame()
    index = numbers.index[pick(numbers)][0]
    for column, value in change(numbers.loc[index]).items():
        frame.loc[index, column] = str(value)
    path = tmp_path / "release.csv"
    frame.to_csv(path, index=False)
    return path, frame.loc[index]


def imported(db: Path | str) -> Path | str:
    """The sample imported into ``db`` (the ``db_path`` fixture: a SQLite file, or PostgreSQL in its run)."""
    run("--db", db, "--profile", "ucdp", "import", "--format", "ucdp", SAMPLE)
    return db


def reimport(db: Path | str, path: Path) -> str:
    result = CliRunner().invoke(main, ["--db", str(db), "--profile", "ucdp", "import", "--format", "ucdp", str(path)])
    assert result.exit_code == 0, result.output
    return result.stdout


def whole_rows(store, incident_id: str) -> dict:
    return {c.category: c for c in store.incident(incident_id).casualties if not c.subgroup}


def test_a_release_that_changes_only_the_range_updates_the_stored_range(tmp_path, db_path):
    db = imported(db_path)
    path, row = changed_release(tmp_path, lambda r: {"low": r["low"] - 1, "high": r["high"] + 5})
    incident_id, month = f"ged-{row['id']}", row["date_start"][:7]
    scope = month_scope(int(month[:4]), int(month[5:]))
    store = open_store(db, create=False)
    before, version = whole_rows(store, incident_id), store.data_version()
    month_before = summarize(store, load_profile("ucdp"), scope)
    store.close()
    assert "0 incidents added, 1 revised, 264 already stored" in reimport(db, path)
    store = open_store(db, create=False)
    after = whole_rows(store, incident_id)
    (category,) = [k for k, c in after.items() if c.killed]
    assert (after[category].killed_low, after[category].killed_high) == (int(row["low"]), int(row["high"]))
    assert after[category].killed == before[category].killed == int(row["best"])
    assert store.revisions_of(incident_id) == []  # killed and injured did not change
    history = store.range_revisions_of(incident_id)
    assert [(h["category"], h["low_old"], h["high_old"], h["low_new"], h["high_new"]) for h in history] == [
        (category, before[category].killed_low, before[category].killed_high, int(row["low"]), int(row["high"]))]
    assert history[0]["reason"] == load_profile("ucdp").mappings["ucdp"].revision_reason
    assert store.data_version() > version
    was, now = month_before.group(category), summarize(store, load_profile("ucdp"), scope).group(category)
    store.close()
    assert (now.killed, now.killed_range) == (was.killed, Range(was.killed_range.low - 1, was.killed_range.high + 5))
    assert "0 incidents added, 0 revised, 265 already stored" in reimport(db, path)


def test_a_release_that_changes_deaths_and_range_revises_both_in_one_import(tmp_path, db_path):
    db = imported(db_path)
    path, row = changed_release(tmp_path, lambda r: {
        **{c: r[c] + 2 for c in DEATHS if r[c]}, "best": r["best"] + 2, "low": r["low"] + 2, "high": r["high"] + 4})
    incident_id = f"ged-{row['id']}"
    assert "0 incidents added, 1 revised, 264 already stored" in reimport(db, path)
    store = open_store(db, create=False)
    after = whole_rows(store, incident_id)
    (revision,) = store.revisions_of(incident_id)
    category = revision.category
    assert (revision.killed_new - revision.killed_old, after[category].killed) == (2, int(row["best"]))
    assert (after[category].killed_low, after[category].killed_high) == (int(row["low"]), int(row["high"]))
    (change,) = store.range_revisions_of(incident_id)
    assert change["recorded_at"] == revision.recorded_at
    store.close()


def test_a_stale_range_is_refused_and_changes_nothing(db_path):
    from reportgen.store import StaleRevision

    db = imported(db_path)
    store = open_store(db, create=False)
    incident = next(iter(store.incidents(["ged-186940"]).values()))
    (row,) = [c for c in incident.casualties if c.killed]
    version = store.data_version()
    with pytest.raises(StaleRevision):
        store.revise_bounds(incident.id, {(row.category, ""): ((row.killed_low + 1, row.killed_high), (1, 2))},
                            "test", "2030-01-01T00:00:00")
    assert store.incident(incident.id) == incident and store.range_revisions_of(incident.id) == []
    assert store.data_version() == version
    store.close()


def test_a_region_whose_events_have_a_best_of_zero_states_how_many_it_may_be(built):
    """UCDP events with a best estimate of 0 and a higher high: their region's line says "no
    fatalities (up to N)" (or its total's range counts them), and the year's regions add up to the
    year's range, as the CSV does."""
    from num2words import num2words

    from reportgen.periods import year_scope
    from reportgen.wording import tally_text

    frame = built["frame"]
    rows = frame[frame["date_start"].str[:4] == "2013"]
    regions = rows["adm_1"].replace("", load_profile("ucdp").mappings["ucdp"].region_default)
    sums = rows.groupby(regions)[["best", "low", "high"]].sum()
    zero = sums[(sums["best"] == 0) & (sums["high"] > 0)]
    assert not zero.empty  # the sample has such a region in 2013
    store = open_store(built["db"], create=False)
    try:
        summary = summarize(store, load_profile("ucdp"), year_scope(2013))
    finally:
        store.close()
    text = tally_text(summary, load_profile("ucdp"))
    for name, row in zero.iterrows():
        assert f"-{name}: " in text
        line = next(line for line in text.splitlines() if line.startswith(f"-{name}: "))
        assert line.endswith(f"left no fatalities (up to {num2words(int(row['high']))}).")
    lines = {r.name: r for r in summary.regions}
    for name, row in sums.iterrows():
        total = lines[name].killed_range
        high = row["best"] if total is None else total.high
        assert (lines[name].killed, high) == (row["best"], row["high"]), name


# -- ranges as they stood on a day ------------------------------------------------------------


def summaries(db: Path | str, scopes: list) -> list[dict]:
    """The Summaries of ``scopes`` from the database at ``db``, as dicts without their data version."""
    store = open_store(db, create=False)
    try:
        return [{k: v for k, v in summarize(store, load_profile("ucdp"), s).to_dict().items() if k != "data_version"}
                for s in scopes]
    finally:
        store.close()


def scopes_of(row: pd.Series, as_of: date | None) -> list:
    """The month and the year of the changed event, as of ``as_of``."""
    year, month = int(row["date_start"][:4]), int(row["date_start"][5:7])
    return [month_scope(year, month, as_of), year_scope(year, as_of)]


def revised_on(db: Path | str, incident_id: str) -> date:
    """The day the (one) range revision of ``incident_id`` was recorded: the re-import's."""
    store = open_store(db, create=False)
    try:
        (change,) = store.range_revisions_of(incident_id)
    finally:
        store.close()
    return date.fromisoformat(change["recorded_at"][:10])


def tally(db: Path | str, *args: object) -> str:
    result = CliRunner().invoke(main, ["--db", str(db), "--profile", "ucdp", "tally", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_range_a_release_revised_stood_as_first_imported_the_day_before(tmp_path, db_path, databases):
    db, original = imported(db_path), imported(databases.new(tmp_path / "original.db"))
    path, row = changed_release(tmp_path, lambda r: {"low": r["low"] - 1, "high": r["high"] + 5})
    reimport(db, path)
    day = revised_on(db, f"ged-{row['id']}")
    before = day - timedelta(days=1)
    assert summaries(db, scopes_of(row, before)) == summaries(original, scopes_of(row, before))
    # From the day it was recorded on, the new range: the same as with no day given, and not the first one.
    on_the_day, now = summaries(db, scopes_of(row, day)), summaries(db, scopes_of(row, None))
    assert on_the_day != summaries(original, scopes_of(row, day))
    for dated, current in zip(on_the_day, now, strict=True):
        assert {**dated, "scope": None} == {**current, "scope": None}
    (category,) = [c for c in DEATHS if int(row[c])]
    month = {(g["category"], g["killed_low"], g["killed_high"]) for g in on_the_day[0]["groups"]}
    was = {(g["category"], g["killed_low"], g["killed_high"]) for g in summaries(original, scopes_of(row, day))[0]["groups"]}
    ((name, low, high),) = month - was
    assert ((name, low + 1, high - 5),) == tuple(was - month), category


def test_the_tally_as_of_the_day_before_a_range_revision_is_the_first_imports(tmp_path, db_path, databases):
    db, original = imported(db_path), imported(databases.new(tmp_path / "original.db"))
    path, row = changed_release(tmp_path, lambda r: {"low": r["low"] - 1, "high": r["high"] + 5})
    reimport(db, path)
    day, month = revised_on(db, f"ged-{row['id']}"), row["date_start"][:7]
    before = (day - timedelta(days=1)).isoformat()
    first = tally(original, "--period", month, "--as-of", before)
    assert tally(db, "--period", month, "--as-of", before) == first
    assert tally(db, "--period", month, "--as-of", day.isoformat()) == tally(db, "--period", month) != first


def a_killed_pair_without_range(numbers: pd.DataFrame) -> pd.Series:
    """Events without a range whose deaths are of two categories and none of unknown status."""
    sides = numbers["deaths_a"] + numbers["deaths_b"]
    return ~numbers["ranged"] & (numbers["deaths_civilians"] > 0) & (sides > 0) & (numbers["deaths_unknown"] == 0)


def sum_key(row: CasualtySum) -> tuple[str, ...]:
    return (row.region, row.perpetrator, row.kind, row.area, row.category, row.subgroup)


def sum_figures(row: CasualtySum) -> tuple[int, ...]:
    return (row.killed, row.injured, row.low, row.high, row.ranged_low, row.ranged_high)


def test_a_count_a_range_revision_added_counts_for_nothing_before_it(tmp_path, db_path, databases):
    """An event of two categories whose new release gives it a range: the range goes to the unattributed
    category, a count the event did not have. Before that day it adds no count with a range."""
    db, original = imported(db_path), imported(databases.new(tmp_path / "original.db"))
    path, row = changed_release(tmp_path, lambda r: {"high": r["high"] + 3}, pick=a_killed_pair_without_range)
    incident_id = f"ged-{row['id']}"
    store = open_store(db, create=False)
    assert "unattributed" not in whole_rows(store, incident_id)
    store.close()
    reimport(db, path)
    store = open_store(db, create=False)
    added = whole_rows(store, incident_id)["unattributed"]
    store.close()
    assert (added.killed, added.injured, added.killed_low, added.killed_high) == (0, 0, 0, 3)
    day = revised_on(db, incident_id)
    before = day - timedelta(days=1)
    assert summaries(db, scopes_of(row, before)) == summaries(original, scopes_of(row, before))
    store = open_store(db, create=False)
    try:
        start, end = scopes_of(row, None)[0].start, scopes_of(row, None)[0].end
        sums = {sum_key(r): sum_figures(r) for r in store.casualty_sums(start, end, before) if r.category == "unattributed"}
        then = {sum_key(r): sum_figures(r) for r in store.casualty_sums(start, end, day) if r.category == "unattributed"}
        rows = [r for r in store.casualty_rows(start, end, before) if r.incident == incident_id and r.category == "unattributed"]
    finally:
        store.close()
    assert [(r.killed, r.injured, r.killed_low, r.killed_high) for r in rows] == [(0, 0, None, None)]  # as it stood: no one, no range
    # Sums: killed, injured, low, high, how many counts have a low and a high. The day it was
    # recorded, the new count adds its range and one to each number of counts with a range.
    ((key, (killed, injured, low, high, lows, highs)),) = [(k, v) for k, v in then.items() if v != sums.get(k)]
    assert sums[key] == (killed, injured, low, high - 3, lows - 1, highs - 1)


def test_history_lists_an_incidents_range_revisions(tmp_path, db_path):
    import json

    db = imported(db_path)
    path, row = changed_release(tmp_path, lambda r: {"low": r["low"] - 1, "high": r["high"] + 5})
    reimport(db, path)
    incident_id = f"ged-{row['id']}"
    store = open_store(db, create=False)
    (before,) = [c for c in whole_rows(store, incident_id).values() if c.killed]
    store.close()
    old = (int(row["low"]) + 1, int(row["high"]) - 5)
    reason = load_profile("ucdp").mappings["ucdp"].revision_reason
    runner = CliRunner()
    shown = runner.invoke(main, ["--db", str(db), "history", incident_id], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    table = shown.stdout[shown.stdout.index("range revisions"):shown.stdout.index("current figures")]
    (line,) = [line for line in table.splitlines() if before.category in line]
    assert f"{old[0]} -> {row['low']}" in line and f"{old[1]} -> {row['high']}" in line and reason in line
    data = json.loads(runner.invoke(main, ["--db", str(db), "history", incident_id, "--format", "json"]).stdout)
    (change,) = data["range_revisions"]
    assert (change["category"], change["low_old"], change["high_old"], change["low_new"], change["high_new"]) == (
        before.category, *old, int(row["low"]), int(row["high"]))
    assert data["revisions"] == []
    other = f"ged-{sample_frame()['id'].iloc[-1]}"  # an event the release left as it was
    assert other != incident_id
    plain = json.loads(runner.invoke(main, ["--db", str(db), "history", other, "--format", "json"]).stdout)
    assert plain["incident"]["id"] == other and "range_revisions" not in plain
    assert "range revisions" not in runner.invoke(main, ["--db", str(db), "history", other]).stdout
