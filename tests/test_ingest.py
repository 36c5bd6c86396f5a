"""The ingest stage in the library: field checks, the CSV and JSON readers, and re-import.

Every bad input of the import formats, through the CLI, is in ``test_cli_import.py``.
"""

from __future__ import annotations

import csv
import json
import re
import string
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportgen.errors import InputError
from reportgen.ingest import fields, import_file, read_file
from reportgen.ingest.fields import Where
from reportgen.records import Casualty, Revision

DATA = Path(__file__).parent / "data" / "ingest"
HERE = Where("f.csv", 7)


def refused(call, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- counts ---------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("7", 7), ("007", 7), ("999999", 999_999), ("", 0), (12, 12)])
def test_plain_counts_are_read(value, expected):
    assert fields.count(HERE, "isis_killed", value) == expected


@pytest.mark.parametrize(
    "value",
    ["-1", "1.5", "٣", "５", "1_000", " 5 ", "5 ", "+5", "9" * 5000, "1e3", "0x10", "1000000", "four", "½", "²",
     -1, 1.5, 4.0, float("nan"), float("inf"), True, False, 2**63, None, [4], {"killed": 4}],
    ids=repr,
)
def test_anything_but_ascii_digits_is_refused_naming_file_line_and_field(value):
    error = refused(fields.count, HERE, "isis_killed", value, blank_is_zero=False)
    assert (error.file, error.line, error.field) == ("f.csv", 7, "isis_killed")
    assert str(error).startswith("f.csv:7: isis_killed: expected a whole number 0-999999, got ")
    assert "\n" not in str(error) and len(str(error)) < 120


def test_json_counts_must_be_numbers_not_text():
    error = refused(fields.count, HERE, "casualties.isis.killed", "4", blank_is_zero=False, text_allowed=False)
    assert "got the text '4'" in str(error)


@given(st.text(alphabet=string.digits + " +-_.e٣５\u0660", max_size=12))
def test_count_accepts_exactly_one_to_six_ascii_digits(text):
    if re.fullmatch(r"[0-9]{1,6}", text):
        assert fields.count(HERE, "n", text, blank_is_zero=False) == int(text)
    else:
        refused(fields.count, HERE, "n", text, blank_is_zero=False)


# -- text -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [("Kabajeb\n• 999 civilians killed", "line break"), ("a\rb", "line break"), ("a\x85b", "line break"),
     ("a\u2028b", "line break"), ("a\u2029b", "line break"),
     ("a\tb", "control character"), ("a\x00b", "control character"), ("\x1b]0;pwned\x07", "control character"),
     ("\x0c", "control character"), ("\x7f", "control character"), ("\x9b31m", "control character"),
     ("\u202eabc", "bidi control"), ("\u202aabc", "bidi control"), ("\u2067abc", "bidi control"),
     ("\ufffe", "control character"), ("\ud800", "control character")],
    ids=repr,
)
def test_one_line_fields_refuse_line_breaks_controls_and_bidi_overrides(value, kind):
    error = refused(fields.text, HERE, "location", value)
    assert (error.field, error.line) == ("location", 7)
    assert f": location: {kind} " in str(error)
    assert "\n" not in str(error) and "\x1b" not in str(error) and "\u202e" not in str(error)


def test_multi_line_fields_keep_line_breaks_and_tabs_but_refuse_controls():
    assert fields.text(HERE, "summary", " First line.\r\nSecond\tline. ", multi_line=True) == "First line.\nSecond\tline."
    assert "control character" in str(refused(fields.text, HERE, "summary", "a\x1bb", multi_line=True))
    assert "bidi control" in str(refused(fields.text, HERE, "summary", "a\u202eb", multi_line=True))


def test_arabic_text_markup_and_sql_are_plain_text():
    for value in ("الشولا", "Dayr az-Zawr (دير الزور)", "[/]", "<script>x</script>", "x'); DROP TABLE incidents;--",
                  "{{ 7*7 }}", "\u200fRLM mark"):
        assert fields.text(HERE, "location", value) == value


def test_long_text_is_refused_with_its_length():
    assert fields.text(HERE, "location", "x" * fields.MAX_FIELD) == "x" * fields.MAX_FIELD
    error = refused(fields.text, HERE, "location", "x" * 200_000)
    assert str(error) == "f.csv:7: location: expected at most 10000 characters, got 200000"


@given(st.text(max_size=30))
def test_text_either_refuses_or_returns_clean_one_line_text(value):
    try:
        result = fields.text(HERE, "place", value)
    except InputError as error:
        assert error.field == "place" and "\n" not in str(error)
    else:
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", result)


# -- dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "says"),
    [("2023-02-30", "expected a real calendar date"), ("2023-02-29", "expected a real calendar date"),
     ("2023-13-01", "expected a real calendar date"), ("2023-00-10", "expected a real calendar date"),
     ("2023-3-1", "expected a date YYYY-MM-DD"), ("2023/03/01", "expected a date YYYY-MM-DD"),
     ("١٢٣٤-01-01", "expected a date YYYY-MM-DD"), ("1899-12-31", "expected a date between 1900 and"),
     ((date.today() + timedelta(days=1)).isoformat(), "expected a date between 1900 and"), (20230301, "expected a date")],
    ids=repr,
)
def test_dates_must_be_real_past_days(value, says):
    error = refused(fields.iso_date, HERE, "date", value, latest=date.today())
    assert error.field == "date" and says in str(error)


def test_dates_and_times_that_are_read():
    assert fields.iso_date(HERE, "date", "2024-02-29", latest=date.today()) == "2024-02-29"
    assert fields.iso_date(HERE, "date", date.today().isoformat(), latest=date.today()) == date.today().isoformat()
    assert fields.iso_date(HERE, "recorded", "2023-06-26T09:05", allow_time=True) == "2023-06-26T09:05:00"
    assert fields.iso_date(HERE, "recorded", "2023-06-26 09:05:07", allow_time=True) == "2023-06-26T09:05:07"
    assert "real time of day" in str(refused(fields.iso_date, HERE, "recorded", "2023-06-26T24:00", allow_time=True))


# -- decoding -------------------------------------------------------------


def test_decode_drops_a_bom_and_names_the_line_of_a_bad_byte(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbfid,date\n")
    assert fields.decode(path) == "id,date\n"
    path.write_bytes('a,b\n1,"two\nlines"\n3,Al-Shula\xe9\n'.encode("latin-1"))
    error = refused(fields.decode, path)
    assert (error.line, error.field) == (4, "encoding")
    assert "found byte 0xe9" in str(error)


@pytest.mark.parametrize(
    ("content", "says"),
    [("id,date\n".encode("utf-16-be"), "NUL byte"), ("id,date\n".encode("utf-16"), "UTF-16"),
     ("id,date\n".encode("utf-32"), "UTF-16"), (b"PK\x03\x04rest", "zip-compressed"), (b"\x1f\x8b\x08rest", "gzip-compressed"),
     (b"\xfd7zXZ\x00rest", "xz-compressed")],
    ids=["utf-16-be", "utf-16", "utf-32", "zip", "gzip", "xz"],
)
def test_other_encodings_and_compressed_files_are_named(content, says, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    error = refused(fields.decode, path)
    assert (error.file, error.line, error.field) == (str(path), 1, "encoding")
    assert says in str(error)


# -- the readers ----------------------------------------------------------


def test_csv_and_json_forms_read_to_the_same_incidents(profile):
    from_csv = read_file(DATA / "valid.csv", profile)
    from_json = read_file(DATA / "valid.json", profile)
    assert from_csv == from_json
    assert [i.line for i in from_csv] == [2, 3, 5]  # a record after a two-line record starts on line 5
    lines = (DATA / "valid.json").read_text(encoding="utf-8").splitlines()
    assert [lines[i.line - 1] for i in from_json] == ["  {"] * 3
    assert [lines[i.line] for i in from_json] == [f'    "id": "T-00{n}",' for n in (1, 2, 3)]


def test_names_become_the_profiles_keys_and_blanks_their_defaults(profile):
    t2 = read_file(DATA / "valid.csv", profile)[1]
    assert (t2.region, t2.perpetrator, t2.province, t2.district) == ("hama", "ISIS", "Hama", "")
    assert t2.summary == "Truffle hunters hit a landmine left by ISIS.\nTwo more were wounded."
    assert t2.recorded_at == "2023-03-10"
    assert set(t2.casualties) == {
        Casualty("combatants", "", 0, 0), Casualty("isis", "", 0, 0), Casualty("civilians", "", 3, 2),
        Casualty("civilians", "women", 1, 0), Casualty("civilians", "children", 1, 1),
    }


def test_json_may_wrap_the_list_and_give_a_category_as_a_bare_number(tmp_path, profile):
    records = json.loads((DATA / "valid.json").read_text(encoding="utf-8"))
    records[2]["casualties"] = {"isis": {"killed": 4, "injured": 2}, "civilians": 0}
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"incidents": records}), encoding="utf-8")
    assert read_file(path, profile) == read_file(DATA / "valid.json", profile)
    path.write_text('{"incidents": []}', encoding="utf-8")
    assert read_file(path, profile) == []


def test_csv_with_crlf_line_ends_and_blank_lines_reads_the_same(tmp_path, profile):
    text = (DATA / "valid.csv").read_text(encoding="utf-8")
    path = tmp_path / "x.csv"
    path.write_bytes(text.replace("\n", "\r\n").encode() + b"\r\n\r\n")
    assert read_file(path, profile) == read_file(DATA / "valid.csv", profile)


def test_the_csv_modules_field_limit_is_restored_after_a_read(tmp_path, profile):
    limit = csv.field_size_limit()
    path = tmp_path / "x.csv"
    path.write_text((DATA / "valid.csv").read_text(encoding="utf-8").replace("Al-Shula", "x" * 200_000), encoding="utf-8")
    assert refused(read_file, path, profile).field == "location"
    assert csv.field_size_limit() == limit
    read_file(DATA / "valid.csv", profile)
    assert csv.field_size_limit() == limit


def test_the_canonical_columns_follow_the_profile(profile):
    from reportgen.ingest.canonical import csv_columns

    header = (DATA / "valid.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert sorted(header) == sorted(csv_columns(profile))
    with (Path(__file__).parent.parent / "seeds" / "sample-2023.csv").open(encoding="utf-8") as f:
        assert set(next(csv.reader(f))) <= set(csv_columns(profile))


# -- import: all or nothing, idempotent, changes refused -------------------


def test_importing_twice_adds_nothing_and_writes_nothing(store, profile):
    first = import_file(store, profile, DATA / "valid.csv")
    assert (first.added, first.unchanged) == (3, 0)
    version = store.data_version()
    second = import_file(store, profile, DATA / "valid.json")
    assert (second.added, second.unchanged) == (0, 3)
    assert (store.count_incidents(), store.data_version()) == (3, version)


def test_zero_subgroups_are_not_stored_but_every_category_is(store, profile, tmp_path):
    path = tmp_path / "x.csv"
    text = (DATA / "valid.csv").read_text(encoding="utf-8")
    path.write_text(text.replace(",,Russian", ",combatants/iranian-backed=0,Russian"), encoding="utf-8")
    import_file(store, profile, path)
    assert [(c.category, c.subgroup) for c in store.incident("T-003").casualties] == [
        ("civilians", ""), ("combatants", ""), ("isis", "")]


def test_an_id_stored_with_other_values_is_refused_and_nothing_of_the_file_lands(store, profile, tmp_path):
    import_file(store, profile, DATA / "valid.csv")
    header, t1, _, _, t3 = (DATA / "valid.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "x.csv"
    path.write_text(f"{header}\n{t3.replace('T-003', 'T-004')}\n{t1.replace(',6,2,', ',7,2,')}\n", encoding="utf-8")
    before = (store.count_incidents(), store.data_version())
    error = refused(import_file, store, profile, path)
    assert (error.line, error.field) == (3, "id")
    assert str(error).endswith(
        "incident 'T-001' is already stored with other values (combatants: stored 6 killed/2 injured, file 7/2);"
        " record a changed toll with `reportgen revise`"
    )
    assert (store.count_incidents(), store.data_version()) == before
    assert store.incident("T-004") is None


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [(",Al-Shula,", ",Al-Shoula,", "(location: stored 'Al-Shula', file 'Al-Shoula')"),
     (",4,2,,", ",4,2,combatants/iranian-backed=0,", None),
     ("2023-03-12T18:30", "2023-03-12T18:31", "(recorded_at: stored '2023-03-12T18:30:00', file '2023-03-12T18:31:00')"),
     (",0,0,0,0,4,2,,", ",0,0,0,1,4,2,,", "(civilians: stored 0 killed/0 injured, file 0/1)")],
    ids=["text", "zero-subgroup-is-no-change", "recorded", "new-figure"],
)
def test_a_changed_record_names_what_changed(old, new, says, store, profile, tmp_path):
    import_file(store, profile, DATA / "valid.csv")
    path = tmp_path / "x.csv"
    path.write_text((DATA / "valid.csv").read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    if says is None:  # a subgroup of zero says nothing new: the same record
        assert import_file(store, profile, path).unchanged == 3
        return
    error = refused(import_file, store, profile, path)
    assert (error.line, error.field) == (5, "id")
    assert says in str(error)


def test_a_revised_incident_still_matches_the_file_it_came_from(store, profile):
    import_file(store, profile, DATA / "valid.csv")
    store.add_revisions([Revision("T-003", "isis", "", 4, 5, 2, 1, "died of wounds", "2023-03-20")])
    result = import_file(store, profile, DATA / "valid.csv")
    assert (result.added, result.unchanged) == (0, 3)
    assert store.incident("T-003").killed("isis") == 5


def test_duplicate_ids_in_one_file_name_both_lines(tmp_path, profile):
    records = json.loads((DATA / "valid.json").read_text(encoding="utf-8"))
    path = tmp_path / "x.json"
    path.write_text(json.dumps([records[0], records[1], {**records[0], "location": "other"}], indent=1), encoding="utf-8")
    error = refused(read_file, path, profile)
    assert error.field == "id" and error.line > 2
    assert "duplicate id 'T-001' (first on line 2)" in str(error)


def test_the_sample_file_imports_whole(store, profile):
    from reportgen.demo import SAMPLE_INCIDENTS

    with SAMPLE_INCIDENTS.open(encoding="utf-8", newline="") as f:
        rows = sum(1 for _ in csv.DictReader(f))
    result = import_file(store, profile, SAMPLE_INCIDENTS)
    assert (result.added, result.unchanged, store.count_incidents()) == (rows, 0, rows)
    stored = store.incident("2023-DZ-SHAJIRY")
    assert replace(stored, casualties=()).location == "Al-Shajiry Village"
    assert Casualty("combatants", "national-defence", 4, 18) in stored.casualties


IMPORT_FORMATS = Path(__file__).parent.parent / "docs" / "import-formats.md"


def formats_section() -> str:
    """docs/import-formats.md up to "What is refused": the formats and their examples."""
    return IMPORT_FORMATS.read_text(encoding="utf-8").split("\n### What is refused\n", 1)[0]


def readme_block(language: str) -> str:
    """The first ``language`` code block of the import formats' page."""
    return re.search(rf"```{language}\n(.*?)```", formats_section(), re.DOTALL)[1]


def test_the_documented_examples_import_as_the_same_incident(tmp_path, profile):
    (tmp_path / "example.csv").write_text(readme_block("csv"), encoding="utf-8")
    (tmp_path / "example.json").write_text(readme_block("json"), encoding="utf-8")
    from_csv = read_file(tmp_path / "example.csv", profile)
    assert [i.id for i in from_csv] == ["2023-DZ-SHAJIRY"]
    assert from_csv == read_file(tmp_path / "example.json", profile)
    assert Casualty("combatants", "national-defence", 4, 18) in from_csv[0].casualties


def test_the_import_formats_page_lists_every_csv_column(profile):
    from reportgen.ingest.canonical import OPTIONAL, REQUIRED

    section = formats_section()
    for column in [*REQUIRED, *OPTIONAL, "CATEGORY_killed", "CATEGORY_injured"]:
        assert f"| `{column}` |" in section, column
    for category in profile.categories:
        assert f"`{category.key}`" in section
        assert all(f"`{s.key}`" in section for s in category.subgroups)


def test_a_json_field_error_names_the_line_of_its_key(tmp_path, profile):
    text = (DATA / "valid.json").read_text(encoding="utf-8")
    text = text.replace('"location": "Al-Shula"', '"location": "Al-Shula \\"casualties\\": {\\"isis\\": {\\"killed\\": 1"')
    text = text.replace('"killed": 4,', '"killed": -4,')
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    error = refused(read_file, path, profile)
    assert error.field == "casualties.isis.killed"
    assert text.splitlines()[error.line - 1].strip() == '"killed": -4,'
