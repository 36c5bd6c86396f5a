"""``reportgen import`` through the real entry point: every bad input is one line and changes nothing.

Each bad file is ``tests/data/ingest/valid.csv`` or ``valid.json`` with one
thing broken, mostly in its last record, so that earlier, valid records would
be imported if the import were not all or nothing. The database is a copy of
the sample data; before and after each refused import its incident count, its
data version and its whole content are compared, on whichever store the run uses.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from reportgen.store import open_store

DATA = Path(__file__).parent / "data" / "ingest"
VALID_CSV = (DATA / "valid.csv").read_text(encoding="utf-8")
VALID_JSON = (DATA / "valid.json").read_text(encoding="utf-8")
LAST_CSV = 5  # the line where valid.csv's last record (T-003) starts, after a two-line record


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line containing ``needle``."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, needle
    return lines[0]


LAST_JSON = line_of(VALID_JSON, '"id": "T-003"') - 1  # the line of T-003's "{"
ERROR = re.compile(r"reportgen: error: (?P<file>[^\n]+?):(?P<line>[0-9]+): (?P<field>[^:\n]+): (?P<message>[^\n]+)\n")


@dataclass(frozen=True)
class Bad:
    name: str
    content: bytes
    line: int
    field: str
    says: str  # a part of the message
    suffix: str = "csv"


def csv_with(column: str, value: str, record: str = "T-003") -> bytes:
    """valid.csv with one cell of one record replaced (quoted where it holds a line break)."""
    rows = list(csv.reader(io.StringIO(VALID_CSV, newline="")))
    header = rows[0]
    for row in rows:
        if row[0] == record:
            row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if "\r" in value else "\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def csv_replace(old: str, new: str) -> bytes:
    assert VALID_CSV.count(old) == 1, old
    return VALID_CSV.replace(old, new).encode("utf-8")


def json_replace(old: str, new: str) -> bytes:
    assert VALID_JSON.count(old) == 1, old
    return VALID_JSON.replace(old, new).encode("utf-8")


def json_field(name: str, old: str, new: str, field: str, says: str, at: str | None = None) -> Bad:
    """valid.json with ``old`` replaced by ``new``: an error in a field names the line of its key
    (the line holding ``at``, by default the first line of ``new``)."""
    content = json_replace(old, new)
    return Bad(name, content, line_of(content.decode(), at or new.splitlines()[0]), field, says, "json")


def json_count(literal: str) -> Bad:
    """valid.json with T-003's ISIS members killed written as ``literal``."""
    return json_field(f"json-count-{literal[:12]}", '"killed": 4,', f'"killed": {literal},',
                      "casualties.isis.killed", "expected a whole number 0-999999")


TOMORROW = (date.today() + timedelta(days=1)).isoformat()
HEADER_WITHOUT_REGION = VALID_CSV.replace("id,date,region,", "id,date,").replace(",homs,", ",").replace(
    ",Hama desert,", ",").replace(",deir-ezzor,", ",")
LINE_BREAKS = {"newline": "Kabajeb\n• 999 civilians killed by ISIS", "cr": "Kabajeb\r", "nel": "Kabajeb\x85",
               "u2028": "Kabajeb\u2028x", "u2029": "Kabajeb\u2029x"}
CONTROLS = {"nul": "a\x00b", "escape": "\x1b]0;pwned\x07", "formfeed": "\x0c", "tab": "a\tb", "csi": "\x9b31m",
            "bidi-override": "\u202eabc", "bidi-isolate": "\u2066abc", "noncharacter": "\ufffe"}

BAD = [
    # the profile's taxonomy
    Bad("unknown-region", csv_with("region", "Atlantis desert"), LAST_CSV, "region", "expected one of the profile's regions"),
    Bad("unknown-actor", csv_with("perpetrator", "martians"), LAST_CSV, "perpetrator", "expected one of the profile's actors"),
    Bad("unknown-kind", csv_with("kind", "meteor"), LAST_CSV, "kind", "expected one of ambush"),
    Bad("unknown-category-column", csv_replace("isis_injured,", "isis_injured,police_killed,").replace(
        b",Field network,2023-03-12T18:30", b",0,Field network,2023-03-12T18:30").replace(
        b"ISIS cells ambushed a regime convoy near Al-Sukhnah.,Field network,", b"x,,Field network,"),
        1, "police_killed", "unexpected column"),
    Bad("unknown-category-in-subgroups", csv_with("subgroups", "police/officers=1"), LAST_CSV, "subgroups",
        "expected one of the profile's categories"),
    Bad("unknown-subgroup", csv_with("subgroups", "combatants/5th-corps=1"), LAST_CSV, "subgroups",
        "combatants/5th-corps: expected a subgroup of combatants"),
    Bad("subgroup-larger-than-category", csv_with("subgroups", "civilians/women=4", "T-002"), 3, "subgroups",
        "civilians/women: 4 killed/0 injured is more than the 3 killed/2 injured civilians"),
    Bad("subgroup-injured-larger", csv_with("subgroups", "civilians/children=1/3", "T-002"), 3, "subgroups",
        "is more than the 3 killed/2 injured"),
    Bad("subgroup-malformed", csv_with("subgroups", "civilians:women=1"), LAST_CSV, "subgroups",
        "expected category/subgroup=killed[/injured]"),
    Bad("subgroup-twice", csv_with("subgroups", "isis/x=1;isis/x=1"), LAST_CSV, "subgroups", "appears twice"),
    json_field("json-unknown-region", '"region": "deir-ezzor"', '"region": "Atlantis"', "region",
               "expected one of the profile's regions"),
    json_field("json-unknown-actor", '"perpetrator": "russia"', '"perpetrator": "martians"', "perpetrator",
               "expected one of the profile's actors"),
    json_field("json-unknown-category", '"isis": {\n        "killed": 4', '"police": {\n        "killed": 4',
               "casualties.police", "expected one of the profile's categories"),
    json_field("json-unknown-subgroup", '"iranian-backed": 2', '"5th-corps": 2',
               "casualties.combatants.subgroups.5th-corps", "expected a subgroup of combatants"),
    json_field("json-subgroup-larger-than-category", '"women": 1', '"women": 4',
               "casualties.civilians.subgroups.women", "4 killed/0 injured is more than the 3 killed/2 injured"),
    # dates
    Bad("impossible-date", csv_with("date", "2023-02-30"), LAST_CSV, "date", "expected a real calendar date, got '2023-02-30'"),
    Bad("month-13", csv_with("date", "2023-13-01"), LAST_CSV, "date", "expected a real calendar date"),
    Bad("future-date", csv_with("date", TOMORROW), LAST_CSV, "date", f"got {TOMORROW}"),
    Bad("short-date", csv_with("date", "2023-3-12"), LAST_CSV, "date", "expected a date YYYY-MM-DD"),
    Bad("day-first-date", csv_with("date", "12/03/2023"), LAST_CSV, "date", "expected a date YYYY-MM-DD"),
    Bad("blank-date", csv_with("date", ""), LAST_CSV, "date", "expected a date YYYY-MM-DD"),
    Bad("arabic-digit-date", csv_with("date", "٢٠٢٣-03-12"), LAST_CSV, "date", "expected a date YYYY-MM-DD"),
    Bad("recorded-before-date", csv_with("recorded", "2023-03-11"), LAST_CSV, "recorded", "on or after the incident's date"),
    Bad("impossible-recorded-time", csv_with("recorded", "2023-03-12T25:00"), LAST_CSV, "recorded", "expected a real time of day"),
    json_field("json-impossible-date", '"date": "2023-03-12"', '"date": "2023-02-30"', "date", "expected a real calendar date"),
    # counts that are not plain numbers
    *[Bad(f"count-{name}", csv_with("isis_killed", value), LAST_CSV, "isis_killed", "expected a whole number 0-999999")
      for name, value in {"negative": "-1", "decimal": "1.5", "arabic-indic": "٣", "fullwidth": "５",
                          "underscore": "1_000", "spaces": " 5 ", "plus": "+5", "5000-digits": "9" * 5000,
                          "exponent": "1e3", "hex": "0x10", "million": "1000000", "word": "four"}.items()],
    *[json_count(v) for v in ("NaN", "Infinity", "-Infinity", "1e309", "true", "null", str(2**63), "1.5", "4.0",
                              "-1", '"4"', '"٣"', "9" * 5000, "[4]")],
    json_field("json-count-subgroup-nan", '"iranian-backed": 2', '"iranian-backed": NaN',
               "casualties.combatants.subgroups.iranian-backed", "expected a whole number"),
    json_field("json-id-nan", '"id": "T-003"', '"id": NaN', "id", "expected text, got 'NaN'"),
    # duplicates, columns and rows
    Bad("duplicate-id-in-file", csv_with("id", "T-001"), LAST_CSV, "id", "duplicate id 'T-001' (first on line 2)"),
    Bad("json-duplicate-id-in-file", json_replace('"id": "T-003"', '"id": "T-001"'), LAST_JSON, "id",
        "duplicate id 'T-001' (first on line 2)", "json"),
    Bad("missing-required-column", HEADER_WITHOUT_REGION.encode(), 1, "region", "required column is missing"),
    Bad("unexpected-column", csv_replace("recorded\n", "recorded,notes\n").replace(b"\n2023-03-10\n", b"\n2023-03-10,x\n"),
        1, "notes", "unexpected column"),
    Bad("column-twice", csv_replace("recorded\n", "recorded,kind\n"), 1, "kind", "column appears twice"),
    Bad("padded-header", csv_replace("id,date,", " id,date,"), 1, "' id'", "unexpected column"),
    Bad("short-row", csv_replace(",Field network,2023-03-12T18:30", ",Field network"), LAST_CSV, "recorded",
        "missing: the record has 17 fields, the header 18"),
    Bad("long-row", csv_replace(",Field network,2023-03-12T18:30", ",Field network,2023-03-12T18:30,x"), LAST_CSV, "CSV",
        "expected 18 fields as in the header, got 19"),
    Bad("quote-left-open-at-end", csv_replace(",Russian warplanes struck ISIS hideouts.,Field network,2023-03-12T18:30\n",
                                              ',"Russian warplanes struck ISIS hideouts.,Field network,2023-03-12T18:30\n'),
        LAST_CSV, "CSV", "a quoted field opened in this record is still open at the end of the file"),
    Bad("stray-quote", csv_replace(",Al-Shula,", ',"Al-"Shula,'), LAST_CSV, "CSV", "malformed record"),
    Bad("empty-file", b"", 1, "header", "expected a header row"),
    Bad("json-missing-field", json_replace('    "region": "deir-ezzor",\n', ""), LAST_JSON, "region", "required field is missing", "json"),
    json_field("json-unexpected-field", '"id": "T-003",', '"id": "T-003",\n    "notes": "x",', "notes", "unexpected field",
               at='"notes"'),
    Bad("json-duplicate-key", json_replace('"killed": 4,', '"killed": 4, "killed": 5,'), LAST_JSON, "killed",
        "key appears twice in one object", "json"),
    Bad("json-duplicate-top-level-key", json_replace('"id": "T-003",', '"id": "T-003", "id": "T-004",'), LAST_JSON, "id",
        "key appears twice", "json"),
    Bad("json-cut-in-half", VALID_JSON[: len(VALID_JSON) // 2].encode(), VALID_JSON[: len(VALID_JSON) // 2].count("\n") + 1,
        "JSON", "malformed", "json"),
    Bad("json-nested-100000-deep", b"[" * 100_000 + b"]" * 100_000, 1, "JSON", "nested too deeply", "json"),
    Bad("json-nested-in-a-record", json_replace('"id": "T-003"', '"id": ' + "[" * 100_000 + "]" * 100_000), LAST_JSON,
        "JSON", "nested too deeply", "json"),
    Bad("json-not-an-array", b'{"id": "T-001"}', 1, "JSON", "expected an array of incidents", "json"),
    Bad("json-record-not-an-object", b'[\n  "T-001"\n]', 2, "JSON", "expected an incident object", "json"),
    Bad("json-text-after", VALID_JSON.encode() + b"x", VALID_JSON.count("\n") + 1, "JSON", "unexpected text after", "json"),
    # encodings and file kinds
    Bad("invalid-utf8", VALID_CSV.encode().replace(b"Al-Shula", b"Al-Shula\xff"), LAST_CSV, "encoding",
        "expected UTF-8 text, found byte 0xff"),
    Bad("latin-1", VALID_CSV.replace("Al-Shula", "Al-Shulá").encode("latin-1"), LAST_CSV, "encoding", "found byte 0xe1"),
    Bad("json-invalid-utf8", VALID_JSON.encode().replace(b"Al-Shula", b"Al-Shula\xc3"),
        line_of(VALID_JSON, '"location": "Al-Shula"'), "encoding", "expected UTF-8 text", "json"),
    Bad("utf-16", VALID_CSV.encode("utf-16"), 1, "encoding", "found UTF-16"),
    Bad("utf-16-without-bom", VALID_CSV.encode("utf-16-le"), 1, "encoding", "found a NUL byte"),
    Bad("gzip", gzip.compress(VALID_CSV.encode(), mtime=0), 1, "encoding", "found a gzip-compressed file"),
    Bad("nul-byte", VALID_CSV.encode().replace(b"Al-Shula", b"Al-\x00Shula"), LAST_CSV, "encoding", "found a NUL byte"),
    # one-line fields: line breaks, controls, bidi overrides, size
    *[Bad(f"{column}-{name}", csv_with(column, value), LAST_CSV, column, "line break")
      for column in ("location", "region", "perpetrator") for name, value in LINE_BREAKS.items()],
    *[Bad(f"{column}-{name}", csv_with(column, value), LAST_CSV, column, "not allowed in")
      for column in ("location", "region", "perpetrator") for name, value in CONTROLS.items() if name != "nul"],
    json_field("json-location-nul", '"location": "Al-Shula"', '"location": "a\\u0000b"', "location",
               "control character '\\x00' not allowed"),
    json_field("json-region-u2028", '"region": "deir-ezzor"', '"region": "deir-ezzor\\u2028x"', "region",
               "line break '\\u2028' not allowed"),
    Bad("summary-bidi-override", csv_with("summary", "Struck \u202ehideouts"), LAST_CSV, "summary", "bidi control '\\u202e'"),
    Bad("field-200kb", csv_with("location", "x" * 200_000), LAST_CSV, "location", "expected at most 10000 characters, got 200000"),
    json_field("json-field-200kb", '"location": "Al-Shula"', '"location": "' + "x" * 200_000 + '"', "location",
               "expected at most 10000 characters"),
    Bad("bad-id", csv_with("id", "../../etc/passwd"), LAST_CSV, "id", "expected letters, digits"),
    # markup that a terminal or rich would interpret
    Bad("rich-markup-region", csv_with("region", "[/]"), LAST_CSV, "region", "got '[/]'"),
    Bad("rich-link-region", csv_with("region", "[link=file:///etc/passwd]x[/link]"), LAST_CSV, "region", "got '[link=file:///"),
]


@pytest.fixture
def snapshot(databases) -> Callable[[Path | str], tuple[int, int, str]]:
    """``snapshot(db)``: incident count, data version and a digest of the whole content of the database."""

    def take(db: Path | str) -> tuple[int, int, str]:
        store = open_store(db, create=False)
        try:
            count, version = store.count_incidents(), store.data_version()
        finally:
            store.close()
        return count, version, databases.content(db)

    return take


@pytest.fixture
def db(sample_location) -> Path | str:
    return sample_location


def test_cases_are_distinct():
    assert len({b.name for b in BAD}) == len(BAD)


@pytest.mark.parametrize("bad", BAD, ids=lambda b: b.name)
def test_bad_input_is_one_line_naming_file_line_and_field_and_changes_nothing(bad, db, tmp_path, cli, snapshot):
    path = tmp_path / f"incidents.{bad.suffix}"
    path.write_bytes(bad.content)
    before = snapshot(db)
    result = cli("--db", db, "import", path)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    m = ERROR.fullmatch(result.stderr)
    assert m, f"not one line of the form FILE:LINE: field: message: {result.stderr!r}"
    assert (m["file"], int(m["line"]), m["field"]) == (str(path), bad.line, bad.field)
    assert bad.says in m["message"]
    assert snapshot(db) == before


def test_a_bad_file_is_refused_in_the_library_with_the_same_attributes(db, tmp_path, profile, sample_store):
    from reportgen.errors import InputError
    from reportgen.ingest import import_file

    path = tmp_path / "incidents.csv"
    path.write_bytes(csv_with("isis_killed", "٣"))
    with pytest.raises(InputError) as caught:
        import_file(sample_store, profile, path)
    assert (caught.value.file, caught.value.line, caught.value.field) == (str(path), LAST_CSV, "isis_killed")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["valid.csv", "valid.json"])
def test_a_valid_file_imports_and_a_second_import_adds_nothing(name, db, cli, snapshot):
    count, version, _ = snapshot(db)
    first = cli("--db", db, "import", DATA / name)
    assert first.exit_code == 0, first.output
    assert first.stdout == f"{DATA / name}: 3 incidents added, 0 already stored\n"
    after_first = snapshot(db)
    assert after_first[:2] == (count + 3, version + 1)
    second = cli("--db", db, "import", DATA / name)
    assert second.exit_code == 0, second.output
    assert second.stdout == f"{DATA / name}: 0 incidents added, 3 already stored\n"
    assert snapshot(db) == after_first


def test_the_csv_and_json_forms_of_one_incident_are_the_same_record(db, cli, snapshot):
    assert cli("--db", db, "import", DATA / "valid.csv").exit_code == 0
    after_csv = snapshot(db)
    result = cli("--db", db, "import", DATA / "valid.json")
    assert result.exit_code == 0, result.output
    assert "0 incidents added, 3 already stored" in result.stdout
    assert snapshot(db) == after_csv


def test_an_id_stored_with_other_values_is_refused(db, tmp_path, cli, snapshot):
    assert cli("--db", db, "import", DATA / "valid.csv").exit_code == 0
    before = snapshot(db)
    path = tmp_path / "changed.csv"
    path.write_bytes(csv_with("isis_killed", "5"))
    result = cli("--db", db, "import", path)
    assert result.exit_code == 1
    m = ERROR.fullmatch(result.stderr)
    assert m and (m["line"], m["field"]) == (str(LAST_CSV), "id")
    assert "'T-003' is already stored with other values" in m["message"]
    assert "reportgen revise" in m["message"]
    assert snapshot(db) == before


def test_reimporting_the_sample_after_its_revision_adds_nothing(db, cli, snapshot):
    from reportgen.demo import SAMPLE_INCIDENTS

    before = snapshot(db)
    result = cli("--db", db, "import", SAMPLE_INCIDENTS)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(f": 0 incidents added, {before[0]} already stored\n")
    assert snapshot(db) == before


def test_a_bom_prefixed_header_imports(db, tmp_path, cli):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + VALID_CSV.replace("\n", "\r\n").encode())
    result = cli("--db", db, "import", path)
    assert result.exit_code == 0, result.output
    assert "3 incidents added" in result.stdout


def test_sql_in_a_place_name_round_trips_as_text(db, tmp_path, cli, sample_store, snapshot):
    payload = "x'); DROP TABLE incidents;-- \"Al-Shula\""
    path = tmp_path / "incidents.csv"
    path.write_bytes(csv_with("location", payload))
    result = cli("--db", db, "import", path)
    assert result.exit_code == 0, result.output
    assert sample_store.incident("T-003").location == payload
    assert sample_store.count_incidents() == snapshot(db)[0]


def test_arabic_text_and_markup_are_data(db, tmp_path, cli, sample_store):
    path = tmp_path / "incidents.csv"
    path.write_bytes(csv_with("location", "الشولا [bold]x[/] <b>"))
    assert cli("--db", db, "import", path).exit_code == 0
    assert sample_store.incident("T-003").location == "الشولا [bold]x[/] <b>"


def test_a_failed_first_import_leaves_no_database_behind(tmp_path, cli, databases):
    path = tmp_path / "incidents.csv"
    path.write_bytes(csv_with("date", "2023-02-30"))
    new = databases.new(tmp_path / "new.db")
    result = cli("--db", new, "import", path)
    assert result.exit_code == 1
    assert not databases.made(new)


def test_files_are_each_all_or_nothing(db, tmp_path, cli, snapshot):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_with("date", "2023-02-30").replace(b"T-00", b"U-00"))
    count = snapshot(db)[0]
    result = cli("--db", db, "import", DATA / "valid.csv", bad)
    assert result.exit_code == 1
    assert "3 incidents added" in result.stdout
    assert f"{bad}:{LAST_CSV}: date:" in result.stderr
    assert snapshot(db)[0] == count + 3


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("incidents.csv.gz", gzip.compress(VALID_CSV.encode()), "incidents.csv.gz:1: encoding: expected plain UTF-8 text"),
        ("incidents.txt", VALID_CSV.encode(), "cannot tell the format from the name; pass --format"),
    ],
)
def test_a_file_named_for_another_format_is_one_line(name, content, says, db, tmp_path, cli, snapshot):
    path = tmp_path / name
    path.write_bytes(content)
    before = snapshot(db)
    result = cli("--db", db, "import", path)
    assert result.exit_code == 1
    assert says in result.stderr and result.stderr.count("\n") == 1
    assert snapshot(db) == before


def test_format_option_reads_a_file_of_any_name(db, tmp_path, cli):
    path = tmp_path / "incidents.txt"
    path.write_text(VALID_JSON, encoding="utf-8")
    result = cli("--db", db, "import", "--format", "json", path)
    assert result.exit_code == 0, result.output


def test_a_missing_file_is_one_line(db, tmp_path, cli):
    result = cli("--db", db, "import", tmp_path / "none.csv")
    assert result.exit_code == 1
    assert result.stderr == f"reportgen: error: {tmp_path / 'none.csv'}: no such file\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "field"),
    [
        (VALID_CSV.encode().replace(b"Al-Shula", b"Al-Shula\xff"), "encoding"),
        (csv_replace(",Field network,2023-03-12T18:30\n", ',"Field network,2023-03-12T18:30\n'), "CSV"),
    ],
    ids=["invalid-utf8-in-last-record", "last-record-cut-inside-a-quote"],
)
def test_the_installed_script_prints_one_line_and_no_traceback(content, field, db, tmp_path, snapshot):
    path = tmp_path / "incidents.csv"
    path.write_bytes(content)
    before = snapshot(db)
    script = Path(sys.executable).parent / "reportgen"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "reportgen.cli"]
    done = subprocess.run([*command, "--db", str(db), "import", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"reportgen: error: {path}:{LAST_CSV}: {field}: ")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert snapshot(db) == before
    assert done.stdout == ""


@pytest.mark.parametrize(("content", "suffix", "suggestion"), [
    (csv_with("region", "Hmos desert"), "csv", 'did you mean "Homs desert"?'),
    (csv_with("perpetrator", "Rusia"), "csv", 'did you mean "russia"?'),
    (csv_with("kind", "ambsh"), "csv", 'did you mean "ambush"?'),
    (csv_replace("civilians_killed,", "civilans_killed,"), "csv", 'did you mean "civilians_killed"?'),
    (json_replace('"region": "deir-ezzor"', '"region": "deir-ezor"'), "json", 'did you mean "deir-ezzor"?'),
    (json_replace('"civilians": {', '"civilans": {'), "json", 'did you mean "civilians"?'),
], ids=["region", "actor", "kind", "category-column", "json-region", "json-category"])
def test_an_unknown_name_gets_the_closest_known_one_suggested(content, suffix, suggestion, db, tmp_path, cli):
    path = tmp_path / f"incidents.{suffix}"
    path.write_bytes(content)
    result = cli("--db", db, "import", path)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.rstrip("\n").endswith(f"; {suggestion}")


def test_a_name_close_to_nothing_gets_no_suggestion(db, tmp_path, cli):
    path = tmp_path / "incidents.csv"
    path.write_bytes(csv_with("region", "Atlantis"))
    result = cli("--db", db, "import", path)
    assert result.exit_code == 1 and "did you mean" not in result.stderr
