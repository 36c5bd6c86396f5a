"""Exports of incidents and Summaries as CSV, JSON and Parquet, through the real command."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from reportgen.aggregate import summarize
from reportgen.export import neutralised
from reportgen.periods import parse_period, ytd_scope
from reportgen.profile import load_profile
from reportgen.records import Casualty, Incident, Revision
from reportgen.store import open_store
from reportgen.summary import Summary

DATA = Path(__file__).parent / "data" / "interop"
FORMULAS = {
    "location": '=HYPERLINK("http://127.0.0.1/x","y")',
    "summary": "@SUM(1+1)",
    "sources": "+cmd|' /C calc'!A0",
    "district": "-5 km west",
    "province": "\tHoms",
    "kind": "\rambush",
}


@pytest.fixture
def formula_db(db_path, profile) -> Path | str:
    """Two incidents whose text starts like spreadsheet formulas; one toll revised twice."""
    db = db_path
    store = open_store(db)
    store.add_incidents([
        Incident(id="F-1", date="2023-06-02", region="homs", province="Homs", district="", location="Palmyra",
                 perpetrator="ISIS", kind="ambush", summary="plain text", sources="", recorded_at="2023-06-02",
                 casualties=(Casualty("combatants", "", 4, 2), Casualty("combatants", "national-defence", 4, 2)),
                 extra={"note": "=1+1"}),
        Incident(id="F-2", date="2023-06-05", region="hama", perpetrator="ISIS", recorded_at="2023-06-05",
                 casualties=(Casualty("civilians", "", 3, 0),), **FORMULAS),
    ])
    store.add_revisions([
        Revision("F-1", "combatants", "", 4, 5, 2, 1, "died of wounds", "2023-06-10T09:00:00"),
        Revision("F-1", "combatants", "national-defence", 4, 5, 2, 1, "died of wounds", "2023-06-10T09:00:00"),
    ])
    store.add_revisions([Revision("F-1", "combatants", "", 5, 6, 1, 0, "=died of wounds", "2023-06-20T09:00:00")])
    store.close()
    return db


def export(cli, db: Path | str, *args: object, profile: str = "syrian-desert"):
    result = cli("--db", db, "--profile", profile, "export", *args)
    assert result.exit_code == 0, result.output
    return result


def test_csv_neutralises_formulas_in_text_and_keeps_numbers(cli, formula_db, tmp_path):
    out = tmp_path / "incidents.csv"
    export(cli, formula_db, "incidents", "--format", "csv", "--output", out)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8"), newline=""))}
    second = rows["F-2"]
    for column, text in FORMULAS.items():
        assert second[column] == "'" + text
    assert second["civilians_killed"] == "3" and second["killed"] == "3"
    assert "killed_low" not in second and "civilians_killed_high" not in second  # the profile records no ranges
    first = rows["F-1"]
    assert (first["killed"], first["injured"], first["combatants_killed"]) == ("6", "0", "6")
    assert first["subgroups"] == "combatants/national-defence=5/1"
    assert first["summary"] == "plain text" and first["location"] == "Palmyra"
    revisions = json.loads(first["revisions"])
    assert [(r["killed_old"], r["killed_new"], r["reason"]) for r in revisions if not r["subgroup"]] == [
        (4, 5, "died of wounds"), (5, 6, "=died of wounds")]  # inside a JSON cell starting with "[": not a formula
    assert json.loads(first["extra"]) == {"note": "=1+1"}


def test_csv_cells_starting_with_any_formula_character_are_neutralised():
    for text in ("=A1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert neutralised(text) == "'" + text
    for text in ("A1", "1", "", " =x", "'=x"):
        assert neutralised(text) == text


def test_json_keeps_every_value_as_stored(cli, formula_db):
    rows = {r["id"]: r for r in json.loads(export(cli, formula_db, "incidents", "--format", "json").stdout)}
    assert {k: rows["F-2"][k] for k in FORMULAS} == FORMULAS
    assert rows["F-1"]["killed"] == 6 and rows["F-1"]["injured"] == 0 and "killed_low" not in rows["F-1"]
    store = open_store(formula_db, create=False)
    assert [r["killed_new"] for r in rows["F-1"]["revisions"]] == [r.killed_new for r in store.revisions_of("F-1")]
    store.close()
    assert rows["F-1"]["extra"] == {"note": "=1+1"}


def test_parquet_holds_the_same_rows_typed(cli, formula_db, tmp_path):
    out = tmp_path / "incidents.parquet"
    export(cli, formula_db, "incidents", "--format", "parquet", "-o", out)
    table = pq.read_table(out)
    assert str(table.schema.field("killed").type) == "int64"
    assert str(table.schema.field("revisions").type).startswith("list<")
    as_json = json.loads(export(cli, formula_db, "incidents", "--format", "json").stdout)
    for row in as_json:
        row["extra"] = json.dumps(row["extra"], ensure_ascii=False, sort_keys=True)
    assert table.to_pylist() == as_json


def test_incidents_of_a_period_only(cli, formula_db):
    rows = json.loads(export(cli, formula_db, "incidents", "--format", "json", "--period", "2023-06").stdout)
    assert [r["id"] for r in rows] == ["F-1", "F-2"]
    assert json.loads(export(cli, formula_db, "incidents", "--format", "json", "--year", "2022").stdout) == []


def test_ranges_are_exported_per_incident_and_category(cli, db_path):
    db = db_path
    assert cli("--db", db, "--profile", "ucdp", "import", "--format", "ucdp", DATA / "ucdp_older.csv").exit_code == 0
    rows = {r["id"]: r for r in json.loads(export(cli, db, "incidents", "--format", "json", profile="ucdp").stdout)}
    first = rows["ged-990001"]
    assert (first["killed_low"], first["killed"], first["killed_high"]) == (8, 10, 14)
    assert (first["unattributed_killed_low"], first["unattributed_killed_high"]) == (0, 4)
    assert first["extra"]["date_prec"] == 1


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_range_revisions_of_a_reimport_are_exported(cli, db_path, tmp_path, fmt):
    """A newer release that changes one event's low and high: the incident's ``range_revisions``
    give the old and new bounds, in each format; the other incidents have none."""
    db = db_path
    assert cli("--db", db, "--profile", "ucdp", "import", "--format", "ucdp", DATA / "ucdp_older.csv").exit_code == 0
    with open(DATA / "ucdp_older.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    event = next(r for r in rows if r["id"] == "990001")
    event["low"], event["high"] = str(int(event["low"]) - 1), str(int(event["high"]) + 3)
    release = tmp_path / "release.csv"
    with open(release, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert cli("--db", db, "--profile", "ucdp", "import", "--format", "ucdp", release).exit_code == 0
    out = tmp_path / f"incidents.{fmt}"
    export(cli, db, "incidents", "--format", fmt, "-o", out, profile="ucdp")
    if fmt == "json":
        exported = {r["id"]: r["range_revisions"] for r in json.loads(out.read_text(encoding="utf-8"))}
    elif fmt == "csv":
        exported = {r["id"]: json.loads(r["range_revisions"]) for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
    else:
        exported = {r["id"]: r["range_revisions"] for r in pq.read_table(out).to_pylist()}
    changes = exported.pop("ged-990001")
    assert changes and all(c["recorded_at"] and c["category"] for c in changes)
    # the event's bounds are spread over its categories: their changes add up to the event's
    assert sum(c["low_new"] - c["low_old"] for c in changes) == -1
    assert sum(c["high_new"] - c["high_old"] for c in changes) == 3
    assert exported and all(v == [] for v in exported.values())


def test_summary_json_is_the_summary(cli, sample_db, profile):
    data = json.loads(export(cli, sample_db, "summary", "--period", "2023-06", "--format", "json").stdout)
    store = open_store(sample_db, create=False)
    expected = summarize(store, profile, parse_period("2023-06"))
    store.close()
    assert Summary.from_dict(data) == expected


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_summary_table_has_one_row_per_figure_that_adds_up(cli, sample_db, profile, tmp_path, fmt):
    out = tmp_path / f"summary.{fmt}"
    export(cli, sample_db, "summary", "--year", "2023", "--as-of", "2023-06-25", "--format", fmt, "-o", out)
    if fmt == "csv":
        rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
        number = lambda v: int(v) if v not in ("", None) else None  # noqa: E731
    else:
        rows = pq.read_table(out).to_pylist()
        number = lambda v: v  # noqa: E731
    store = open_store(sample_db, create=False)
    expected = summarize(store, profile, ytd_scope(date(2023, 6, 25)))
    store.close()
    total = next(r for r in rows if r["level"] == "total")
    assert number(total["killed"]) == expected.total_killed
    assert number(total["operations"]) == expected.operations and total["as_of"] == "2023-06-25"
    groups = [r for r in rows if r["level"] == "group"]
    assert sum(number(r["killed"]) for r in groups) == expected.total_killed
    assert {r["category"]: number(r["killed"]) for r in groups} == {g.category: g.killed for g in expected.groups}
    for region in expected.regions:
        lines = [r for r in rows if r["region"] == region.region and r["level"] == "region-category"]
        assert sum(number(r["killed"]) for r in lines) == region.killed
    subgroups = {(r["category"], r["subgroup"]): number(r["killed"]) for r in rows if r["level"] == "group-subgroup"}
    assert subgroups[("combatants", "iranian-backed")] == expected.group("combatants").subgroups["iranian-backed"]


def test_export_needs_a_file_for_parquet_and_no_as_of_for_incidents(cli, formula_db):
    result = cli("--db", formula_db, "export", "incidents", "--format", "parquet")
    assert result.exit_code == 1 and "--output" in result.stderr
    result = cli("--db", formula_db, "export", "incidents", "--as-of", "2023-06-01")
    assert result.exit_code == 1 and "--as-of" in result.stderr
    result = cli("--db", formula_db, "export", "summary", "--format", "csv")
    assert result.exit_code == 1 and "--year" in result.stderr


def test_the_output_file_is_replaced_whole(cli, formula_db, tmp_path):
    out = tmp_path / "incidents.csv"
    out.write_text("old content that is longer than nothing\n" * 100, encoding="utf-8")
    export(cli, formula_db, "incidents", "-o", out)
    assert out.read_text(encoding="utf-8").startswith("id,date,region,")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_acled_import_exports_with_its_source_fields(cli, db_path):
    db = db_path
    assert cli("--db", db, "--profile", "acled-syria", "import", "--format", "acled", DATA / "acled_labels.csv").exit_code == 0
    rows = {r["id"]: r for r in json.loads(export(cli, db, "incidents", "--format", "json", profile="acled-syria").stdout)}
    assert rows["SYR900003"]["region_name"] == "Deir Ezzor"
    assert rows["SYR900003"]["subgroups"] == "combatants/isis=6"  # ACLED records no injured
    assert rows["SYR900002"]["extra"]["time_precision"] == 2
    assert load_profile("acled-syria").category("unattributed") and rows["SYR900005"]["unattributed_killed"] == 2


# -- only what the profile's source records ------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_acled_export_has_no_injured_and_no_range_columns(cli, db_path, tmp_path, fmt):
    assert cli("--db", db_path, "--profile", "acled-syria", "import", "--format", "acled",
               DATA / "acled_labels.csv").exit_code == 0
    for what, args in (("incidents", ()), ("summary", ("--year", "2022"))):
        out = tmp_path / f"{what}.{fmt}"
        export(cli, db_path, what, "--format", fmt, *args, "-o", out, profile="acled-syria")
        names = pq.read_table(out).column_names if fmt == "parquet" else next(csv.reader(out.open(encoding="utf-8")))
        assert "killed" in names
        assert not [n for n in names if "injured" in n or n.endswith(("_low", "_high"))], names


def test_a_desert_export_keeps_its_injured_and_a_ucdp_one_its_ranges(cli, sample_db, db_path, tmp_path):
    out = tmp_path / "summary.csv"
    export(cli, sample_db, "summary", "--period", "2023-06", "--format", "csv", "-o", out)
    names = next(csv.reader(out.open(encoding="utf-8")))
    assert "injured" in names and "killed_low" not in names
    assert cli("--db", db_path, "--profile", "ucdp", "import", "--format", "ucdp", DATA / "ucdp_older.csv").exit_code == 0
    rows = json.loads(export(cli, db_path, "incidents", "--format", "json", profile="ucdp").stdout)
    assert {"killed_low", "killed_high"} <= set(rows[0]) and not [n for n in rows[0] if "injured" in n]


def test_an_export_goes_through_the_one_writer_and_is_left_alone_when_unchanged(cli, formula_db, tmp_path, monkeypatch):
    from reportgen import files

    written, real = [], files.write_atomic
    monkeypatch.setattr(files, "write_atomic", lambda folder, name, data, root=None: written.append(name) or real(folder, name, data, root))
    out = tmp_path / "incidents.csv"
    export(cli, formula_db, "incidents", "-o", out)
    assert written == ["incidents.csv"]
    mtime = out.stat().st_mtime_ns
    export(cli, formula_db, "incidents", "-o", out)
    assert written == ["incidents.csv"] and out.stat().st_mtime_ns == mtime
