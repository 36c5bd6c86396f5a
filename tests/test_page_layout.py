"""The printed page: no word of a bulletin's PDF lies outside the text block (a table or a chart
legend too wide for A4 is cut off at the paper's edge, where a reader cannot see it).

Words and their boxes come from poppler's ``pdftotext -bbox`` (the package setup.sh installs). It
leaves out what lies wholly beyond the paper, but anything wider than the text block puts words
into the 16 mm side margin or across the paper's edge, and those it reports.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "interop"
POINTS_PER_MM = 72 / 25.4
SIDE_MARGIN_MM = 16  # templates/css/print.css, @page
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>')

pytestmark = pytest.mark.slow


def words_outside_the_text_block(pdf: Path) -> list[tuple[int, str]]:
    """(page, word) for each word reaching more than a point past either side margin."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    outside = []
    for number, page in enumerate(re.finditer(r'<page width="([\d.]+)"[^>]*>(.*?)</page>', boxes, re.S), 1):
        left = SIDE_MARGIN_MM * POINTS_PER_MM - 1
        right = float(page.group(1)) - SIDE_MARGIN_MM * POINTS_PER_MM + 1
        outside += [(number, w.group(3)) for w in WORD.finditer(page.group(2))
                    if float(w.group(1)) < left or float(w.group(2)) > right]
    return outside


def build(cli, db, profile: str, period: str, out: Path) -> Path:
    result = cli("--db", db, "--profile", profile, "build", "--period", period, "--output", out)
    assert result.exit_code == 0, result.output
    folder = out.joinpath(*period.split("-")) if "-" in period else out / period / "year"
    return folder / "bulletin.pdf"


def test_the_sample_month_stays_inside_the_page(cli, sample_db, tmp_path):
    pdf = build(cli, sample_db, "syrian-desert", "2023-06", tmp_path / "out")
    assert words_outside_the_text_block(pdf) == []


def test_four_categories_with_long_names_stay_inside_the_page(cli, db_path, tmp_path):
    """UCDP's profile: four categories named in up to 28 letters, in the incident table's columns
    and in the legends of the charts."""
    imported = cli("--db", db_path, "--profile", "ucdp", "import", "--format", "ucdp", DATA / "ucdp_ged_sample.csv")
    assert imported.exit_code == 0, imported.output
    pdf = build(cli, db_path, "ucdp", "2013", tmp_path / "out")
    assert words_outside_the_text_block(pdf) == []


def test_the_check_sees_a_table_wider_than_the_page(tmp_path):
    """The measure itself: a row of words wider than A4 is found, by the words in the margin and the
    word cut at the paper's edge."""
    from weasyprint import HTML

    pdf = tmp_path / "wide.pdf"
    HTML(string="<style>@page { size: A4; margin: 20mm 16mm }</style><table style='width: 260mm'><tr>"
         + "".join(f"<td>cell{n}</td>" for n in range(12)) + "</tr></table>").write_pdf(pdf)
    assert [word for _, word in words_outside_the_text_block(pdf)] == ["cell8", "ce"]
