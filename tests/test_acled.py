"""ACLED import: the real sample in both layouts, the mapping, re-imports as revisions, bad input.

Expected figures are computed here from the CSV with pandas, never copied from the program.
"""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from reportgen.aggregate import summarize
from reportgen.errors import ReportgenError
from reportgen.ingest import read_file
from reportgen.periods import month_scope, year_scope, ytd_scope
from reportgen.profile import load_profile
from reportgen.store import open_store

DATA = Path(__file__).parent / "data" / "interop"
SAMPLE = DATA / "acled_sample.csv"
ARMED = {"1", "2", "3", "4", "8"}
LABELS = {"0": "", "1": "State forces", "2": "Rebel group", "3": "Political militia", "4": "Identity militia",
          "5": "Rioters", "6": "Protesters", "7": "Civilians", "8": "External/Other forces"}
OLDER_COLUMNS = [
    "data_id", "iso", "event_id_cnty", "event_id_no_cnty", "event_date", "year", "time_precision", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "timestamp", "iso3",
]


def sample_frame() -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False, compression=None)


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def import_cli(cli, db: Path, path: Path, profile: str = "acled-syria", *options: str):
    return cli("--db", db, "--profile", profile, "import", "--format", "acled", *options, path)


@pytest.fixture(scope="module")
def syria_db(tmp_path_factory, databases) -> Path | str:
    """The sample imported once with the acled-syria profile (read-only: tests copy it to write)."""
    from click.testing import CliRunner

    from reportgen.cli import main

    def fill(db: Path | str) -> None:
        result = CliRunner().invoke(main, ["--db", str(db), "--profile", "acled-syria", "import", "--format", "acled", str(SAMPLE)])
        assert result.exit_code == 0, result.output
        assert "307 incidents added" in result.output

    return databases.built(tmp_path_factory.mktemp("acled") / "acled.db", fill)


def summary_of(db: Path, profile: str, scope):
    store = open_store(db, create=False)
    try:
        return summarize(store, load_profile(profile), scope)
    finally:
        store.close()


def comparable(summary) -> dict:
    d = summary.to_dict()
    d.pop("data_version")
    return d


# -- the sample, round trip ------------------------------------------------------


def test_monthly_totals_regions_and_events_match_the_csv(syria_db):
    frame = sample_frame()
    frame["killed"] = frame["fatalities"].astype(int)
    frame["month"] = frame["event_date"].str[:7]
    profile = load_profile("acled-syria")
    assert len(frame["month"].unique()) == 6
    for month, rows in frame.groupby("month"):
        summary = summary_of(syria_db, "acled-syria", month_scope(int(month[:4]), int(month[5:])))
        assert summary.total_killed == rows["killed"].sum()
        assert summary.incidents == summary.operations == len(rows)
        killed = rows.groupby(rows["admin1"].map(lambda a: profile.region(a).key))["killed"].sum()
        events = rows.groupby(rows["admin1"].map(lambda a: profile.region(a).key)).size()
        assert {r.region: r.killed for r in summary.regions} == killed.to_dict()
        assert {r.region: r.operations for r in summary.regions} == events.to_dict()
        assert [r.region for r in summary.regions] == [r.key for r in profile.regions if r.key in events]


def test_categories_follow_the_profile_rules(syria_db):
    frame = sample_frame()
    killed = frame["fatalities"].astype(int)
    civilian = (
        (frame["civilian_targeting"] != "") | (frame["event_type"] == "Violence against civilians")
        | (frame["sub_event_type"] == "Excessive force against protesters") | (frame["inter2"] == "7")
    )
    combatant = ~civilian & (
        (frame["event_type"] == "Battles")
        | ((frame["event_type"] == "Explosions/Remote violence") & frame["inter2"].isin(ARMED))
    )
    remote_on_sdf = ~civilian & (frame["event_type"] == "Explosions/Remote violence") & frame["actor2"].isin(
        ["QSD: Syrian Democratic Forces", "YPG: Peoples Protection Units"]
    )
    summary = summary_of(syria_db, "acled-syria", year_scope(2022))
    groups = {g.category: g.killed for g in summary.groups}
    assert groups == {
        "civilians": killed[civilian].sum(),
        "combatants": killed[combatant].sum(),
        "unattributed": killed[~civilian & ~combatant].sum(),
    }
    assert summary.group("combatants").subgroups["sdf"] == killed[remote_on_sdf].sum()
    assert summary.total_killed == killed.sum()


def test_every_fatal_event_of_the_sample_is_attributed(syria_db):
    store = open_store(syria_db, create=False)
    incidents = [store.incident(i) for i in sample_frame()["event_id_cnty"]]
    store.close()
    fatal = [i for i in incidents if i.extra["fatalities"]]
    assert fatal and all(i.extra["victim_rule"] is not None for i in fatal)
    assert all(c.category != "unattributed" for i in fatal for c in i.casualties)


def test_ids_precisions_and_timestamps_are_kept(syria_db):
    frame = sample_frame().set_index("event_id_cnty")
    store = open_store(syria_db, create=False)
    for event_id in ["SYR101631", "SYR98569", frame.index[-1]]:
        row, incident = frame.loc[event_id], store.incident(event_id)
        assert incident.date == row["event_date"]
        assert incident.extra["time_precision"] == int(row["time_precision"])
        assert incident.extra["geo_precision"] == int(row["geo_precision"])
        stamp = datetime.fromtimestamp(int(row["timestamp"]), UTC).strftime("%Y-%m-%dT%H:%M:%S")
        assert incident.recorded_at == stamp
        assert incident.summary == row["notes"]
        assert incident.location == row["location"] and incident.district == row["admin2"]
    store.close()


def test_generic_profile_takes_its_regions_from_admin1(cli, tmp_path, databases):
    db = databases.new(tmp_path / "any.db")
    assert import_cli(cli, db, SAMPLE, "acled").exit_code == 0
    frame = sample_frame()
    may = frame[frame["event_date"].str.startswith("2022-05")]
    summary = summary_of(db, "acled", month_scope(2022, 5))
    assert [r.name for r in summary.regions] == sorted(may["admin1"].unique(), key=str.casefold)
    assert {r.name: r.killed for r in summary.regions} == may.groupby("admin1")["fatalities"].apply(
        lambda s: s.astype(int).sum()).to_dict()
    incident = open_store(db, create=False).incident("SYR101631")
    assert incident.perpetrator == "Military Forces of Turkey (2016-)"  # no actor rules: actor1 as written


def test_the_library_import_routes_dataset_files_to_updates(tmp_path, db_path):
    from reportgen.ingest import import_file

    store = open_store(db_path)
    profile = load_profile("acled-syria")
    first = import_file(store, profile, DATA / "acled_labels.csv", "acled")
    frame = pd.read_csv(DATA / "acled_labels.csv", dtype=str, keep_default_na=False, compression=None)
    frame.loc[1, ["fatalities", "timestamp"]] = ["5", "1660000000"]
    again = import_file(store, profile, write(frame, tmp_path / "labels.csv"), "acled")
    assert (first.added, again.added, again.revised, again.unchanged) == (5, 0, 1, 4)
    assert store.incident("SYR900002").killed("combatants") == 5
    store.close()


# -- layouts and codes -------------------------------------------------------------


def older_layout(frame: pd.DataFrame) -> pd.DataFrame:
    """The sample as a pre-2023 export: data_id, event_id_no_cnty, iso3; dates written out; no disorder_type."""
    old = frame.drop(columns=["disorder_type", "civilian_targeting", "tags"]).copy()
    old["data_id"] = [str(9_000_000 + n) for n in range(len(old))]
    old["event_id_no_cnty"] = old["event_id_cnty"].str[3:]
    old["iso3"] = "SYR"
    old["event_date"] = pd.to_datetime(old["event_date"]).map(lambda d: f"{d.day} {d:%B %Y}")
    return old[OLDER_COLUMNS]


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The sample as current exports write actor types: labels, not codes."""
    labelled = frame.copy()
    for column in ("inter1", "inter2"):
        labelled[column] = labelled[column].map(LABELS)
    labelled["interaction"] = labelled["interaction"].map(lambda c: "-".join(LABELS[d] for d in c if d != "0"))
    return labelled


@pytest.mark.parametrize("variant", ["older layout", "text labels", "shuffled rows"])
def test_other_layouts_codes_and_row_orders_read_alike(cli, tmp_path, syria_db, db_path, variant):
    frame = sample_frame()
    changed = {
        "older layout": lambda: older_layout(frame),
        "text labels": lambda: with_labels(frame),
        "shuffled rows": lambda: frame.sample(frac=1, random_state=7),
    }[variant]()
    db = db_path
    result = import_cli(cli, db, write(changed, tmp_path / "variant.csv"))
    assert result.exit_code == 0, result.output
    for scope in (year_scope(2022), month_scope(2022, 3)):
        assert comparable(summary_of(db, "acled-syria", scope)) == comparable(summary_of(syria_db, "acled-syria", scope))


def test_hand_written_exports_in_both_layouts():
    profile = load_profile("acled-syria")
    current = {i.id: i for i in read_file(DATA / "acled_labels.csv", profile, "acled")}
    older = {i.id: i for i in read_file(DATA / "acled_older.csv", profile, "acled")}
    expected = {"900001": ("civilians", ""), "900002": ("combatants", ""), "900003": ("combatants", "isis"),
                "900005": ("unattributed", "")}
    for number, (category, subgroup) in expected.items():
        for incident in (current[f"SYR{number}"], older[f"SYR8{number[1:]}"]):
            assert {(c.category, c.subgroup) for c in incident.casualties} == {(category, ""), (category, subgroup)}
    first = current["SYR900001"]
    assert first.summary == (
        'On 10 March 2022, gunmen shot a man, a "mukhtar", in Tafas, Dara.\nHe died later, in hospital; the attackers fled.'
    )
    assert first.region == "daraa" and first.perpetrator == "unknown" and first.kind == "attack"
    assert current["SYR900003"].extra["interaction"] == "Rebel group-External/Other forces"
    assert current["SYR900002"].extra["time_precision"] == 2 and current["SYR900003"].extra["geo_precision"] == 3
    assert older["SYR800001"].date == "2022-03-10" and older["SYR800001"].extra["data_id"] == "8800001"
    assert older["SYR800001"].extra["interaction"] == "Political militia-Civilians"


# -- re-import of an updated export ------------------------------------------------


def test_an_updated_export_turns_changed_fatalities_into_revisions(cli, tmp_path, syria_db, databases):
    db = databases.copy(syria_db, tmp_path / "updated.db")
    frame = sample_frame()
    fatal = frame.index[frame["fatalities"].astype(int) >= 2]
    raised, lowered, noted = fatal[0], fatal[1], frame.index[0]
    later = int(frame["timestamp"].astype(int).max()) + 3 * 86_400  # two whole days after the last change
    updated = frame.copy()
    updated.loc[raised, "fatalities"] = str(int(frame.loc[raised, "fatalities"]) + 2)
    updated.loc[lowered, "fatalities"] = str(int(frame.loc[lowered, "fatalities"]) - 1)
    updated.loc[[raised, lowered, noted], "timestamp"] = str(later)
    updated.loc[noted, "notes"] = "Notes revised by the source; the toll is the same."
    path = write(updated, tmp_path / "updated.csv")

    result = import_cli(cli, db, path)
    assert result.exit_code == 0, result.output
    assert "0 incidents added, 2 revised, 305 already stored" in result.output

    store = open_store(db, create=False)
    assert store.count_incidents() == 307
    recorded = datetime.fromtimestamp(later, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    up, down = (store.revisions_of(frame.loc[i, "event_id_cnty"]) for i in (raised, lowered))
    assert [(r.killed_old, r.killed_new, r.recorded_at, r.correction) for r in up if not r.subgroup] == [
        (int(frame.loc[raised, "fatalities"]), int(updated.loc[raised, "fatalities"]), recorded, False)]
    assert [(r.killed_new, r.correction) for r in down if not r.subgroup] == [(int(updated.loc[lowered, "fatalities"]), True)]
    assert up[0].reason == load_profile("acled-syria").mappings["acled"].revision_reason
    assert store.incident(frame.loc[noted, "event_id_cnty"]).summary == frame.loc[noted, "notes"]  # kept as first imported
    store.close()

    months = updated["event_date"].str[:7]
    for month in sorted({months[raised], months[lowered]}):
        scope = month_scope(int(month[:4]), int(month[5:]))
        assert summary_of(db, "acled-syria", scope).total_killed == updated.loc[months == month, "fatalities"].astype(int).sum()
    before = ytd_scope(datetime.fromtimestamp(later, UTC).date() - timedelta(days=1))
    assert summary_of(db, "acled-syria", before).total_killed == frame["fatalities"].astype(int).sum()

    again = import_cli(cli, db, path)
    assert "0 incidents added, 0 revised, 307 already stored" in again.output

    stale = import_cli(cli, db, SAMPLE)  # the first export, older than what is stored now
    assert stale.exit_code == 1
    line = min(raised, lowered) + 2
    assert stale.stderr.startswith(f"reportgen: error: {SAMPLE}:{line}: timestamp: ")
    assert "older release" in stale.stderr
    store = open_store(db, create=False)
    assert len(store.revisions_of(frame.loc[raised, "event_id_cnty"])) == len(up)
    store.close()


# -- bad input -------------------------------------------------------------------

ROW = 10  # the sample's notes hold no line breaks: row n is on line n + 2
LINE = ROW + 2


def _set(column: str, value: str, **more: str):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        for name, text in {column: value, **more}.items():
            frame.loc[ROW, name] = text
        return frame

    return change


BAD = {
    "missing column": (lambda f: f.drop(columns=["fatalities"]), 1, "fatalities", "missing from the header"),
    "renamed column": (lambda f: f.rename(columns={"admin1": "admin_1"}), 1, "admin1", "missing from the header"),
    "bad date": (_set("event_date", "2022-02-30"), LINE, "event_date", "real calendar date"),
    "date as words": (_set("event_date", "last Tuesday"), LINE, "event_date", "expected a date"),
    "negative fatalities": (_set("fatalities", "-1"), LINE, "fatalities", "whole number"),
    "non-numeric fatalities": (_set("fatalities", "three"), LINE, "fatalities", "whole number"),
    "Arabic-Indic digit": (_set("fatalities", "٣"), LINE, "fatalities", "whole number"),
    "padded count": (_set("fatalities", " 5 "), LINE, "fatalities", "whole number"),
    "signed count": (_set("fatalities", "+5"), LINE, "fatalities", "whole number"),
    "bidi override in notes": (_set("notes", "killed \u202e3"), LINE, "notes", "bidi"),
    "unknown actor": (_set("actor1", "Military Forces of France (1958-)", inter1="8"), LINE, "actor1", "actor rules know"),
    "unknown actor type": (_set("inter1", "9"), LINE, "inter1", "actor type"),
    "unknown sub-event type": (_set("sub_event_type", "Drone swarm"), LINE, "sub_event_type", "kinds lists"),
    "region outside the profile": (_set("admin1", "Beirut"), LINE, "admin1", "profile's regions"),
    "duplicate id": (_set("event_id_cnty", "SYR101631"), LINE, "event_id_cnty", "duplicate id"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_and_imports_nothing(cli, tmp_path, db_path, databases, case):
    change, line, field, words = BAD[case]
    path = write(change(sample_frame()), tmp_path / "bad.csv")
    db = db_path
    result = import_cli(cli, db, path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"reportgen: error: {path}:{line}: {field}: ")
    assert words in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not databases.made(db)


def test_a_failing_file_leaves_the_database_unchanged(cli, tmp_path, syria_db, databases):
    db = databases.copy(syria_db, tmp_path / "kept.db")
    before = databases.content(db)
    frame = sample_frame()
    frame["event_id_cnty"] = "NEW" + frame["event_id_cnty"]
    frame.loc[len(frame) - 1, "fatalities"] = "-4"
    result = import_cli(cli, db, write(frame, tmp_path / "new.csv"))
    assert result.exit_code == 1
    assert open_store(db, create=False).count_incidents() == 307
    assert databases.content(db) == before


def test_skip_invalid_imports_the_valid_rows_and_writes_the_rejected(cli, tmp_path, db_path):
    frame = sample_frame()
    bad = {3: ("fatalities", "-2"), 8: ("event_date", "2022-13-01"), 20: ("actor1", "Military Forces of Peru (2000-)")}
    for row, (column, value) in bad.items():
        frame.loc[row, column] = value
    frame.loc[20, "inter1"] = "1"
    db, rejects = db_path, tmp_path / "rejects.csv"
    result = import_cli(cli, db, write(frame, tmp_path / "some-bad.csv"), "acled-syria", "--skip-invalid", str(rejects))
    assert result.exit_code == 0, result.output
    assert "304 incidents added, 0 revised, 0 already stored, 3 rows rejected" in result.output
    with rejects.open(newline="", encoding="utf-8") as f:
        rejected = list(csv.DictReader(f))
    assert [(int(r["rejected_line"]), r["rejected_field"]) for r in rejected] == [
        (row + 2, column) for row, (column, _) in bad.items()]
    assert all(r["rejected_reason"].startswith("expected") for r in rejected)
    assert [r[column] for r, (column, value) in zip(rejected, bad.values(), strict=True)] == [v for _, v in bad.values()]

    fixed = pd.read_csv(rejects, dtype=str, keep_default_na=False, compression=None)
    original = sample_frame()
    for n, row in enumerate(bad):
        fixed.loc[n, original.columns] = original.loc[row].to_numpy()  # the rejected_* columns stay: they are ignored
    again = import_cli(cli, db, write(fixed, tmp_path / "fixed.csv"))
    assert "3 incidents added" in again.output
    assert open_store(db, create=False).count_incidents() == 307


def test_skip_invalid_is_for_dataset_formats_and_never_an_input_file(cli, tmp_path):
    result = cli("--db", tmp_path / "x.db", "import", "--skip-invalid", tmp_path / "r.csv", SAMPLE)
    assert result.exit_code == 1 and "--format acled or ucdp" in result.stderr
    result = import_cli(cli, tmp_path / "x.db", SAMPLE, "acled-syria", "--skip-invalid", str(SAMPLE))
    assert result.exit_code == 1 and "input file" in result.stderr


@pytest.mark.parametrize("name", ["export.csv.gz", "export.csv"])
def test_compressed_exports_are_refused(cli, tmp_path, db_path, databases, name):
    path = tmp_path / name
    path.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    result = import_cli(cli, db_path, path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"reportgen: error: {path}:1: ") and "compressed" in result.stderr
    assert not databases.made(db_path)


def test_a_row_cut_inside_its_quoted_notes_is_refused(cli, tmp_path, db_path, databases):
    text = SAMPLE.read_text(encoding="utf-8")
    cut = text[: text.rindex('"On ') + 30]
    path = tmp_path / "cut.csv"
    path.write_text(cut, encoding="utf-8")
    result = import_cli(cli, db_path, path)
    assert result.exit_code == 1
    assert f"{path}:{text.count(chr(10))}: " in result.stderr and "malformed CSV" in result.stderr
    assert not databases.made(db_path)


def test_invalid_utf8_is_refused_and_a_bom_is_fine(cli, tmp_path, databases):
    raw = SAMPLE.read_bytes()
    bad = tmp_path / "latin1.csv"
    cut = raw.index(b"\n", raw.index(b"\n") + 1) + 5  # inside the second record (line 3)
    bad.write_bytes(raw[:cut] + b"\xe9" + raw[cut:])
    result = import_cli(cli, databases.new(tmp_path / "bad.db"), bad)
    assert result.exit_code == 1 and result.stderr.startswith(f"reportgen: error: {bad}:3: encoding: ")
    with_bom = tmp_path / "excel.csv"
    with_bom.write_bytes(b"\xef\xbb\xbf" + raw)
    assert "307 incidents added" in import_cli(cli, databases.new(tmp_path / "bom.db"), with_bom).output


def test_a_profile_without_an_acled_mapping_says_so(cli, tmp_path):
    result = cli("--db", tmp_path / "x.db", "import", "--format", "acled", SAMPLE)
    assert result.exit_code == 1 and "[mapping.acled]" in result.stderr


def test_a_rule_on_a_field_acled_does_not_have_is_refused(tmp_path):
    profile = tmp_path / "typo.toml"
    text = (Path(load_profile("acled").path)).read_text(encoding="utf-8")
    profile.write_text(text.replace('event_type = "Battles"', 'event_typ = "Battles"'), encoding="utf-8")
    with pytest.raises(ReportgenError, match="unknown ACLED field 'event_typ'"):
        read_file(SAMPLE, load_profile(str(profile)), "acled")


# -- bulletins ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_monthly_bulletin_builds_from_the_sample(cli, tmp_path, syria_db, databases):
    db = databases.copy(syria_db, tmp_path / "build.db")
    out = tmp_path / "out"
    result = cli("--db", db, "--profile", "acled-syria", "build", "--period", "2022-05", "--output", out)
    assert result.exit_code == 0, result.output
    text = (out / "2022" / "05" / "bulletin.txt").read_text(encoding="utf-8")
    may = sample_frame()[lambda f: f["event_date"].str.startswith("2022-05")]
    total = may["fatalities"].astype(int).sum()
    assert f"According to ACLED statistics, the number of fatalities in political violence in Syria in May 2022 stood at {total};" in text
    assert "-Al-Hasakah: 12 events left 15 fatalities:" in text
    assert (out / "2022" / "05" / "bulletin.pdf").read_bytes().startswith(b"%PDF")
