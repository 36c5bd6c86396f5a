"""``reportgen.ingest.run``: the import modes as the command line calls them, without it."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from reportgen.errors import ReportgenError
from reportgen.ingest import ImportResult
from reportgen.ingest.events import EventImport
from reportgen.ingest.run import apply_plans, check_options, import_paths, plan_posts
from reportgen.profile import load_profile
from reportgen.store import open_store

DATA = Path(__file__).parent / "data"
UCDP = DATA / "interop" / "ucdp_ged_sample.csv"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"from_text": True, "fmt": "csv"}, "--from-text reads posts: --format and --skip-invalid do not apply"),
        ({"yes": True}, "--yes and --date apply only with --from-text"),
        ({"day": "2023-06-28"}, "--yes and --date apply only with --from-text"),
        ({"rejects": Path("rejects.csv")}, "--skip-invalid works with --format acled or ucdp"),
        ({"rejects": UCDP, "fmt": "ucdp"}, "that is an input file"),
    ],
)
def test_options_that_do_not_go_together_are_refused(options, says):
    with pytest.raises(ReportgenError, match=says):
        check_options([UCDP], **options)


def test_our_files_are_imported_one_result_each(sample_store, profile):
    results = list(import_paths(lambda: sample_store, profile, [DATA / "ingest" / "valid.csv", DATA / "ingest" / "valid.json"]))
    assert [type(r) for r in results] == [ImportResult, ImportResult]
    assert results[0].added == 3 and results[1].unchanged == 3


def test_a_dataset_with_rejects_writes_them_after_each_file(tmp_path):
    bad = tmp_path / "ucdp.csv"
    rows = UCDP.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    broken = next(csv.reader([rows[1]]))
    broken[header.index("best")] = "-1"
    bad.write_text("\n".join([rows[0], ",".join(f'"{v}"' for v in broken), *rows[2:]]) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    store = open_store(tmp_path / "ucdp.db")
    try:
        results = list(import_paths(lambda: store, load_profile("ucdp"), [bad], "ucdp", rejects))
    finally:
        store.close()
    assert isinstance(results[0], EventImport) and len(results[0].rejected) == 1
    written = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [(r["rejected_line"], r["rejected_field"]) for r in written] == [("2", "best")]


def test_a_post_is_planned_then_applied(sample_location, tmp_path, profile):
    post = tmp_path / "post.txt"
    shutil.copyfile(Path(__file__).parent.parent / "seeds" / "000_93b1b6f763f6354e.txt", post)
    store = open_store(sample_location, create=False)
    try:
        plans = plan_posts(store, profile, [post], "2023-06-26")
        assert [p.action for p in plans] == ["nothing"]  # the seed's revision is in the sample already
        assert [written for _, written in apply_plans(store, plans, profile)] == [0]
    finally:
        store.close()
