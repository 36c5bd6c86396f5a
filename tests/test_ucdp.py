"""UCDP GED import: the real sample, sides to categories, best/low/high, older releases, bad input.

Expected figures are computed here from the CSV with pandas, never copied from the program.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from reportgen.aggregate import summarize
from reportgen.ingest import read_file
from reportgen.ingest.ucdp import spread
from reportgen.periods import month_scope, year_scope
from reportgen.profile import load_profile
from reportgen.store import open_store
from reportgen.summary import Range, Summary
from reportgen.wording import tally_text

DATA = Path(__file__).parent / "data" / "interop"
SAMPLE = DATA / "ucdp_ged_sample.csv"
NUMBERS = ["best", "low", "high", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"]


def sample_frame() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False, compression=None)
    for column in NUMBERS:
        frame[column] = frame[column].astype(int)
    return frame


def record_lines(path: Path) -> list[int]:
    """The line each record starts on (quoted fields hold line breaks)."""
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    next(reader)
    lines, start = [], reader.line_num + 1
    for _ in reader:
        lines.append(start)
        start = reader.line_num + 1
    return lines


def import_cli(cli, db: Path, path: Path, *options: str):
    return cli("--db", db, "--profile", "ucdp", "import", "--format", "ucdp", *options, path)


@pytest.fixture(scope="module")
def ucdp_db(tmp_path_factory, databases) -> Path | str:
    """The sample imported once with the ucdp profile (read-only)."""
    from click.testing import CliRunner

    from reportgen.cli import main

    def fill(db: Path | str) -> None:
        result = CliRunner().invoke(main, ["--db", str(db), "--profile", "ucdp", "import", "--format", "ucdp", str(SAMPLE)])
        assert result.exit_code == 0, result.output
        assert "265 incidents added" in result.stdout

    return databases.built(tmp_path_factory.mktemp("ucdp") / "ucdp.db", fill)


def summary_of(db: Path, scope):
    store = open_store(db, create=False)
    try:
        return summarize(store, load_profile("ucdp"), scope)
    finally:
        store.close()


def expected_categories(rows: pd.DataFrame) -> dict[str, int]:
    """The ucdp profile's side rules, computed independently: governments, civilians, everyone else."""
    def category(side: str) -> str:
        return "government" if side.startswith("Government of ") else "civilians" if side == "Civilians" else "armed-groups"

    found = {"government": 0, "armed-groups": 0, "civilians": 0, "unattributed": 0}
    for _, row in rows.iterrows():
        found[category(row["side_a"])] += row["deaths_a"]
        found[category(row["side_b"])] += row["deaths_b"]
        found["civilians"] += row["deaths_civilians"]
        found["unattributed"] += row["deaths_unknown"]
    return found


def test_yearly_totals_categories_and_ranges_match_the_csv(ucdp_db):
    frame = sample_frame()
    frame["year_start"] = frame["date_start"].str[:4]
    for year, rows in frame.groupby("year_start"):
        summary = summary_of(ucdp_db, year_scope(int(year)))
        assert summary.total_killed == rows["best"].sum()
        assert summary.incidents == len(rows)
        assert {g.category: g.killed for g in summary.groups} == expected_categories(rows)
        low = sum(g.killed if g.killed_range is None else g.killed_range.low for g in summary.groups)
        high = sum(g.killed if g.killed_range is None else g.killed_range.high for g in summary.groups)
        assert (low, high) == (rows["low"].sum(), rows["high"].sum())
        assert summary.killed_range == Range(low, high)


def test_a_summary_with_ranges_round_trips_through_json(ucdp_db):
    store = open_store(ucdp_db, create=False)
    try:
        summary = summarize(store, load_profile("ucdp"), year_scope(2014), detail=True)
    finally:
        store.close()
    assert summary.killed_range is not None and any(r.killed_range for r in summary.regions)
    assert any(row.ranges for row in summary.incident_rows)
    data = json.loads(json.dumps(summary.to_dict()))
    assert (data["killed_low"], data["killed_high"]) == (summary.killed_range.low, summary.killed_range.high)
    assert Summary.from_dict(data) == summary


def test_the_chart_series_carry_the_ranges(ucdp_db):
    rows = sample_frame()[lambda f: f["date_start"].str.startswith("2014")]
    store = open_store(ucdp_db, create=False)
    summary = summarize(store, load_profile("ucdp"), year_scope(2014), detail=True)
    store.close()
    for key, column in (("killed", "best"), ("killed_low", "low"), ("killed_high", "high")):
        assert sum(p[key] for p in summary.series) == rows[column].sum()
    months = rows.groupby(rows["date_start"].str[:7])["high"].sum()
    by_month: dict[str, int] = {}
    for p in summary.series:
        by_month[p["period"]] = by_month.get(p["period"], 0) + p["killed_high"]
    assert by_month == months.to_dict()


def test_a_month_and_its_regions_match_the_csv(ucdp_db):
    frame = sample_frame()
    frame["month"] = frame["date_start"].str[:7]
    month = frame["month"].value_counts().idxmax()
    rows = frame[frame["month"] == month]
    summary = summary_of(ucdp_db, month_scope(int(month[:4]), int(month[5:])))
    assert summary.total_killed == rows["best"].sum()
    regions = rows["adm_1"].replace("", load_profile("ucdp").mappings["ucdp"].region_default)
    assert {r.name: r.killed for r in summary.regions} == rows.groupby(regions)["best"].sum().to_dict()
    assert [r.name for r in summary.regions] == sorted(regions.unique(), key=str.casefold)


def test_the_text_states_the_best_figure_and_the_range(ucdp_db):
    rows = sample_frame()[lambda f: f["date_start"].str.startswith("2013")]
    best, low, high = rows["best"].sum(), rows["low"].sum(), rows["high"].sum()
    assert low < best < high
    text = tally_text(summary_of(ucdp_db, year_scope(2013)), load_profile("ucdp"))
    assert f"since early 2013 has increased to {best} (between {low} and {high}); and they are as follows:" in text
    civilians = rows[rows["type_of_violence"] == "3"]
    assert civilians["best"].sum() > 0
    assert " civilians (up to " in text or " civilians (between " in text


def test_ids_dates_precisions_and_sides_are_kept(ucdp_db):
    frame = sample_frame().set_index("id")
    store = open_store(ucdp_db, create=False)
    for event_id in ["186940", "187382", frame.index[-1]]:
        row, incident = frame.loc[event_id], store.incident(f"ged-{event_id}")
        assert incident.date == row["date_start"] and incident.extra["date_end"] == row["date_end"]
        assert incident.extra["date_prec"] == int(row["date_prec"])
        assert incident.extra["where_prec"] == int(row["where_prec"])
        assert (incident.extra["low"], incident.extra["best"], incident.extra["high"]) == (row["low"], row["best"], row["high"])
        assert incident.perpetrator == row["side_a"]
    listed = store.incident("ged-187382")
    assert listed.extra["source_article"] == frame.loc["187382", "source_article"]  # tabs inside quotes, kept
    assert "\t" in listed.extra["source_article"]
    store.close()


def test_rows_outside_their_own_range_are_kept_with_a_warning(cli, db_path):
    frame = sample_frame()
    odd = [line for line, (_, row) in zip(record_lines(SAMPLE), frame.iterrows(), strict=True)
           if not row["low"] <= row["best"] <= row["high"]]
    assert len(odd) == 2
    result = import_cli(cli, db_path, SAMPLE)
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("reportgen: warning:")]
    assert [w.split(":")[3] for w in warnings] == [str(line) for line in odd]
    assert all("kept as published" in w for w in warnings)


def test_an_older_release_with_fewer_columns_and_dates_with_a_time():
    incidents = {i.id: i for i in read_file(DATA / "ucdp_older.csv", load_profile("ucdp"), "ucdp")}
    first = incidents["ged-990001"]
    assert first.date == "2014-03-02" and first.region == "Rif Dimashq governorate" and first.kind == "state-based"
    assert first.summary == "Syria clashes\tnear Yabrud"
    assert "\n" in first.extra["source_article"] and "\t" in first.extra["source_article"]
    by_category = {c.category: (c.killed, c.killed_low, c.killed_high) for c in first.casualties}
    # several categories: the range goes to the unattributed one, the low's shortfall from the others in turn
    assert by_category == {"government": (3, 1, 3), "armed-groups": (5, 5, 5), "civilians": (2, 2, 2), "unattributed": (0, 0, 4)}
    assert sum(v[1] for v in by_category.values()) == 8 and sum(v[2] for v in by_category.values()) == 14
    second = incidents["ged-990002"]
    assert second.date == "2014-03-05" and second.recorded_at == "2014-03-07"
    assert [(c.category, c.killed, c.killed_low, c.killed_high) for c in second.casualties] == [("civilians", 7, 7, 12)]
    third = incidents["ged-990003"]
    assert third.region == "Location not narrowed to a province" and third.perpetrator == "IS"


@pytest.mark.parametrize(
    ("best", "carrier", "total", "expected"),
    [
        ({"a": 3, "b": 0}, "a", 5, {"a": 5, "b": 0}),
        ({"a": 3, "u": 1}, "u", 2, {"a": 2, "u": 0}),
        ({"a": 3, "b": 2, "u": 0}, "u", 1, {"a": 0, "b": 1, "u": 0}),
        ({"a": 4, "u": 0}, "u", 5, {"a": 4, "u": 1}),
    ],
)
def test_the_range_is_spread_so_that_it_adds_up(best, carrier, total, expected):
    assert spread(best, carrier, total) == expected
    assert sum(expected.values()) == total


# -- re-import and bad input -------------------------------------------------------


def test_an_updated_release_revises_changed_deaths(cli, tmp_path, db_path):
    db = db_path
    assert import_cli(cli, db, SAMPLE).exit_code == 0
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False, compression=None)
    row = frame.index[frame["type_of_violence"] == "3"][0]
    for column in ("deaths_civilians", "best", "high"):
        frame.loc[row, column] = str(int(frame.loc[row, column]) + 3)
    path = tmp_path / "update.csv"
    frame.to_csv(path, index=False)
    result = import_cli(cli, db, path)
    assert result.exit_code == 0, result.output
    assert "0 incidents added, 1 revised, 264 already stored" in result.stdout
    store = open_store(db, create=False)
    revisions = store.revisions_of(f"ged-{frame.loc[row, 'id']}")
    assert [(r.category, r.killed_new - r.killed_old) for r in revisions] == [("civilians", 3)]
    assert store.count_incidents() == 265
    store.close()


BAD = {
    "missing column": (lambda f: f.drop(columns=["best"]), None, "best", "missing from the header"),
    "renamed column": (lambda f: f.rename(columns={"deaths_civilians": "deaths_civ"}), None, "deaths_civilians", "missing"),
    "bad date": ("date_start", "2013-02-29", "date_start", "real calendar date"),
    "date in another form": ("date_end", "02/03/2013", "date_end", "expected a date"),
    "negative deaths": ("deaths_a", "-3", "deaths_a", "whole number"),
    "non-numeric deaths": ("deaths_unknown", "some", "deaths_unknown", "whole number"),
    "best that is not the sum": ("best", "999", "best", "expected the sum"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_and_imports_nothing(cli, tmp_path, db_path, databases, case):
    change, value, field, words = BAD[case]
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False, compression=None)
    row = 5
    if callable(change):
        frame, line = change(frame), 1
    else:
        frame.loc[row, change] = value
        line = record_lines(SAMPLE)[row]
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    result = import_cli(cli, db_path, path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"reportgen: error: {path}:{line}: {field}: ")
    assert words in result.stderr and result.stderr.count("\n") == 1
    assert not databases.made(db_path)


def test_skip_invalid_sets_bad_rows_aside(cli, tmp_path, db_path):
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False, compression=None)
    frame.loc[[2, 40], "deaths_b"] = "-1"
    path, rejects = tmp_path / "some-bad.csv", tmp_path / "rejects.csv"
    frame.to_csv(path, index=False)
    result = import_cli(cli, db_path, path, "--skip-invalid", str(rejects))
    assert result.exit_code == 0
    assert "263 incidents added, 0 revised, 0 already stored, 2 rows rejected" in result.stdout
    rejected = pd.read_csv(rejects, dtype=str, keep_default_na=False, compression=None)
    assert rejected["id"].tolist() == frame.loc[[2, 40], "id"].tolist()
    assert set(rejected["rejected_field"]) == {"deaths_b"}


def test_compressed_files_are_refused(cli, tmp_path, db_path, databases):
    path = tmp_path / "ged.csv.gz"
    path.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    result = import_cli(cli, db_path, path)
    assert result.exit_code == 1 and "compressed" in result.stderr
    assert not databases.made(db_path)


def test_each_incident_row_carries_its_events_range(ucdp_db):
    """Per incident, the best figure and the low and high bounds summed over its categories are the
    event's ``best``, ``low`` and ``high``; an event without a range has none."""
    frame = sample_frame().set_index("id")
    store = open_store(ucdp_db, create=False)
    try:
        summary = summarize(store, load_profile("ucdp"), year_scope(2013), detail=True)
    finally:
        store.close()
    assert any(row.ranges for row in summary.incident_rows)
    for row in summary.incident_rows:
        event = frame.loc[row.id.removeprefix("ged-")]
        bounds = {c: row.ranges.get(c, Range(n, n)) for c, n in {**row.killed, **{c: 0 for c in row.ranges}}.items()}
        best = sum(row.killed.values())
        low, high = sum(b.low for b in bounds.values()), sum(b.high for b in bounds.values())
        assert (best, low, high) == (event["best"], event["low"], event["high"]), row.id
        assert bool(row.ranges) == ((event["low"], event["high"]) != (event["best"], event["best"])), row.id


def test_the_incident_table_states_a_ranged_events_range_in_its_cell(cli, ucdp_db, tmp_path):
    frame = sample_frame()
    ranged = frame[(frame["high"] > frame["best"]) & (frame["low"] == frame["best"]) & (frame["best"] > 0)
                   & (frame["deaths_civilians"] == frame["best"])].iloc[0]
    month = ranged["date_start"][:7]
    built = cli("--db", ucdp_db, "--profile", "ucdp", "build", "--period", month, "--output", tmp_path)
    assert built.exit_code == 0, built.output
    html = (tmp_path / month[:4] / month[5:] / "bulletin.html").read_text(encoding="utf-8")
    table = html[html.index('<table class="incident-table">'):html.index("</table>", html.index('<table class="incident-table">'))]
    rows = [r for r in table.split("<tr>") if f">{ranged['date_start'][:10]}<" in r]
    assert any(f'<td>{ranged["best"]} <span class="range">up to {ranged["high"]}</span></td>' in r for r in rows)
    in_month = frame[frame["date_start"].str[:7] == month]
    assert table.count('class="range"') >= ((in_month["low"] != in_month["best"]) | (in_month["high"] != in_month["best"])).sum()
