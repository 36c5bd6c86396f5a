"""Every failure the CLI reports is one line (a traceback only with --debug), through the real entry point:
a scope without incidents, errors in a user's templates, a preview port in use, a dataset
export imported as reportgen's CSV, UCDP ranges out of order; and counts agree with their nouns."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from stores import shown

from reportgen.records import Casualty, Incident, Revision
from reportgen.store import open_store

ONE_LINE = re.compile(r"reportgen: error: [^\n]+\n")


def one_line(result, says: str) -> str:
    """The single line of a refusal, checked: exit status 1, nothing else on stderr, ``says`` in it."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert ONE_LINE.fullmatch(result.stderr), result.stderr
    assert says in result.stderr
    return result.stderr


# -- a scope without incidents ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["tally", "--period", "2019-01"],
        ["tally", "--year", "2019"],
        ["tally", "--period", "2023-Q4"],
        ["export", "summary", "--period", "2019-01", "--format", "json"],
        ["build", "--period", "2019-01", "--dry-run"],
    ],
)
def test_a_period_without_incidents_is_refused_alike(cli, sample_db, args):
    period = args[args.index("--period" if "--period" in args else "--year") + 1]
    line = one_line(cli("--db", sample_db, *args), f"in {shown(sample_db)}, no incidents recorded in ")
    assert f": {period}: " in line.replace("period ", ": ").replace("year ", ": ")
    assert "(data: 2023-01 to 2023-06)" in line


def test_tally_and_build_refuse_with_the_same_line(cli, sample_db, tmp_path):
    tally = cli("--db", sample_db, "tally", "--period", "2022-06")
    build = cli("--db", sample_db, "build", "--period", "2022-06", "--output", tmp_path / "out")
    assert one_line(tally, "June 2022") == one_line(build, "June 2022")
    assert not (tmp_path / "out").exists()


def test_as_of_before_any_incident_of_the_period_is_refused(cli, sample_db):
    one_line(cli("--db", sample_db, "tally", "--period", "2023-06", "--as-of", "2023-05-31"),
             "no incidents recorded by 2023-05-31 in June 2023")


def test_a_period_with_incidents_but_no_fatalities_is_not_refused(cli, db_path, profile):
    store = open_store(db_path)
    store.add_incidents([Incident("Q-1", "2022-03-04", "homs", "Homs", "", "", "ISIS", "ambush",
                                  casualties=(Casualty("combatants", "", 0, 2),))])
    store.close()
    result = cli("--db", db_path, "tally", "--period", "2022-03")
    assert result.exit_code == 0, result.stderr


def test_a_notice_whose_year_holds_no_incident_yet_is_refused(cli, db_path):
    store = open_store(db_path)  # recorded after its own revision: only a store written past `revise` holds that
    store.add_incidents([Incident("LATE", "2023-06-24", "deir-ezzor", "Deir Ezzor", "", "", "ISIS", "landmine",
                                  recorded_at="2023-07-10", casualties=(Casualty("combatants", "", 4, 18),))])
    store.add_revisions([Revision("LATE", "combatants", "", 4, 5, 18, 17, "died of wounds", "2023-06-30T10:00:00")])
    store.close()
    one_line(cli("--db", db_path, "notice", "LATE"), "year 2023: in ")


# -- errors in a user's templates ------------------------------------------------------------------

TALLY = "text/tally.txt.j2"
SHIPPED_TALLY = (Path(__file__).parent.parent / "templates" / TALLY).read_text(encoding="utf-8")


@pytest.fixture
def my_templates(tmp_path, monkeypatch):
    """``write(name, text)``: a file in ``my-templates/`` of the working directory, the `templates` setting."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPORTGEN_TEMPLATES", "my-templates")

    def write(name: str, text: str) -> str:
        path = tmp_path / "my-templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return f"my-templates/{name}"

    return write


FIRST_CODE_LINE = next(n for n, line in enumerate(SHIPPED_TALLY.splitlines(), 1) if line.rstrip().endswith("-#}")) + 1


def tally_with(line: str) -> str:
    """The shipped tally template with ``line`` inserted as line FIRST_CODE_LINE, after its header comment."""
    lines = SHIPPED_TALLY.splitlines(keepends=True)
    return "".join([*lines[:FIRST_CODE_LINE - 1], line + "\n", *lines[FIRST_CODE_LINE - 1:]])


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("{% if %}", "TemplateSyntaxError: Expected an expression"),
        ("{{ summary.no_such_figure }}", "UndefinedError: "),
        ("{{ summary.total_killed / 0 }}", "ZeroDivisionError: division by zero"),
        ('{% include "text/nowhere.txt.j2" %}', "TemplateNotFound: template not found: text/nowhere.txt.j2"),
    ],
)
def test_an_error_in_a_template_is_its_file_and_line(cli, sample_db, my_templates, line, says):
    name = my_templates(TALLY, tally_with(line))
    one_line(cli("--db", sample_db, "tally", "--year", "2023"), f"reportgen: error: {name}:{FIRST_CODE_LINE}: {says}")


def test_an_error_in_a_macro_names_the_macro_file(cli, sample_db, my_templates):
    shipped = (Path(__file__).parent.parent / "templates" / "text" / "macros.txt.j2").read_text(encoding="utf-8")
    broken = shipped.replace("{% macro since(", "{% macro since(scope) %}{{ scope.nothing }}{% endmacro %}\n{% macro unused(", 1)
    assert broken != shipped
    line = shipped[: shipped.index("{% macro since(")].count("\n") + 1
    name = my_templates("text/macros.txt.j2", broken)
    one_line(cli("--db", sample_db, "tally", "--year", "2023"), f"{name}:{line}: UndefinedError: ")


def test_debug_shows_the_traceback_of_a_template_error(cli, sample_db, my_templates):
    my_templates(TALLY, tally_with("{{ 1 / 0 }}"))
    result = cli("--db", sample_db, "--debug", "tally", "--year", "2023")
    assert result.exit_code != 0
    assert isinstance(result.exception, ZeroDivisionError)


def test_a_notice_with_a_broken_template_is_one_line(cli, sample_db, my_templates):
    name = my_templates("text/notice.txt.j2", "Death toll update\n{{ notice.no_such_field }}\n")
    one_line(cli("--db", sample_db, "notice", "2023-DZ-SHAJIRY"), f"{name}:2: UndefinedError: ")


MONTH_OVERRIDE = '{% extends "default:html/month.html.j2" %}\n{% block kicker %}\n{{ page.no_such_thing }}\n{% endblock %}\n'


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_with_a_broken_template_is_one_line_here_and_in_worker_processes(cli, sample_db, my_templates, tmp_path, jobs):
    name = my_templates("html/month.html.j2", MONTH_OVERRIDE)
    result = cli("--db", sample_db, "build", "--period", "2023-06", "--output", tmp_path / "out", "--jobs", jobs)
    assert result.stdout == "2023/06: new\n0 unchanged\n"
    one_line(result, f"reportgen: error: {name}:3: UndefinedError: ")
    assert "no_such_thing" in result.stderr
    assert not (tmp_path / "out" / "2023" / "06" / "bulletin.html").exists()



# -- ACLED and UCDP files ----------------------------------------------------------------------------

INTEROP = Path(__file__).parent / "data" / "interop"


@pytest.mark.parametrize(
    ("name", "flag"),
    [("acled_sample.csv", "acled"), ("acled_older.csv", "acled"), ("acled_labels.csv", "acled"),
     ("ucdp_ged_sample.csv", "ucdp"), ("ucdp_older.csv", "ucdp")],
)
@pytest.mark.parametrize("profile_name", ["syrian-desert", "acled", "ucdp"])
def test_a_dataset_file_read_as_our_csv_names_the_flag_that_reads_it(cli, db_path, name, flag, profile_name):
    result = cli("--db", db_path, "--profile", profile_name, "import", INTEROP / name)
    line = one_line(result, f"reportgen: error: {INTEROP / name}:1: header: ")
    assert f"import it with --format {flag}" in line
    assert ("--profile" in line) == (profile_name != flag)
    assert "--format acled" not in line if flag == "ucdp" else "--format ucdp" not in line
    assert cli("--db", db_path, "tally", "--year", "2022").exit_code == 1  # nothing imported


def test_our_csv_with_a_column_named_like_acled_is_not_taken_for_acled(cli, db_path, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("id,date,fatalities\n", encoding="utf-8")
    line = one_line(cli("--db", db_path, "import", path), f"{path}:1: fatalities: unexpected column")
    assert "--format" not in line


def with_figures(low: int, best: int, high: int) -> str:
    """ucdp_older.csv with its first event's low, best and high replaced (its deaths made to add up to ``best``)."""
    rows = list(csv.reader(io.StringIO((INTEROP / "ucdp_older.csv").read_text(encoding="utf-8"), newline="")))
    header, first = rows[0], rows[1]
    first[header.index("deaths_a")] = str(best)
    for column in ("deaths_b", "deaths_civilians", "deaths_unknown"):
        first[header.index(column)] = "0"
    for column, value in (("low", low), ("best", best), ("high", high)):
        first[header.index(column)] = str(value)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    ("figures", "says"),
    [
        ((12, 10, 14), "low 12 is above best 10"),
        ((8, 10, 9), "best 10 is above high 9"),
        ((8, 3, 2), "low 8 is above best 3; low 8 is above high 2; best 3 is above high 2"),
        ((12, 10, 11), "low 12 is above best 10; low 12 is above high 11"),
    ],
)
def test_a_ucdp_range_out_of_order_says_which_figure_is_which(cli, db_path, tmp_path, figures, says):
    path = tmp_path / "ged.csv"
    path.write_text(with_figures(*figures), encoding="utf-8")
    result = cli("--db", db_path, "--profile", "ucdp", "import", "--format", "ucdp", path)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("reportgen: warning:")]
    assert warnings == [f"reportgen: warning: {path}:2: {says} (low <= best <= high expected); kept as published"]


# -- counts agree with their nouns --------------------------------------------------------------------

VALID_CSV = Path(__file__).parent / "data" / "ingest" / "valid.csv"


def first_records(n: int, path: Path) -> Path:
    """valid.csv cut to its header and first ``n`` records."""
    rows = list(csv.reader(io.StringIO(VALID_CSV.read_text(encoding="utf-8"), newline="")))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows[: n + 1])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize(("n", "says"), [(1, "1 incident added"), (2, "2 incidents added")])
def test_import_counts_agree(cli, db_path, tmp_path, n, says):
    path = first_records(n, tmp_path / "some.csv")
    assert cli("--db", db_path, "import", path).stdout == f"{path}: {says}, 0 already stored\n"
    assert cli("--db", db_path, "import", path).stdout == f"{path}: 0 incidents added, {n} already stored\n"


def acled_with_bad_rows(path: Path, bad: int) -> Path:
    """acled_labels.csv with the fatalities of its first ``bad`` rows made negative."""
    rows = list(csv.reader(io.StringIO((INTEROP / "acled_labels.csv").read_text(encoding="utf-8"), newline="")))
    column = rows[0].index("fatalities")
    for row in rows[1: bad + 1]:
        row[column] = "-1"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize(("bad", "rows", "rejected"), [(1, "1 row", "1 rejected row"), (2, "2 rows", "2 rejected rows")])
def test_rejected_rows_are_counted_in_agreement(cli, db_path, tmp_path, bad, rows, rejected):
    path, rejects = acled_with_bad_rows(tmp_path / "acled.csv", bad), tmp_path / "rejects.csv"
    result = cli("--db", db_path, "--profile", "acled", "import", "--format", "acled", "--skip-invalid", rejects, path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(f", 0 revised, 0 already stored, {rows} rejected\n")
    assert f"{rejects}: {rejected} with their reasons\n" in result.stderr
