"""The charts stage: specs from Summaries, offline SVG through the real vl-convert."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest
import vl_convert
from defusedxml import ElementTree

from reportgen.aggregate import summarize
from reportgen.charts import (
    ChartError,
    ChartText,
    bulletin_charts,
    category_scale,
    clean_spec,
    clean_text,
    cumulative_rows,
    refuse_fetching,
    regions_chart,
    timeline_chart,
    to_svg,
)
from reportgen.periods import month_scope, ytd_scope
from reportgen.store import open_store

WORDS = ChartText("Fatalities", "Region", "Category", "Day of the month", "Month", "Fatalities since 1 January", "Date")


@pytest.fixture(scope="module")
def june(sample_db, profile):
    store = open_store(sample_db, create=False)
    month = summarize(store, profile, month_scope(2023, 6), detail=True)
    running = summarize(store, profile, replace(ytd_scope(month.scope.end), as_of=None), detail=True)
    store.close()
    return month, running


@pytest.fixture(scope="module")
def svgs(june, profile):
    return bulletin_charts(*june, profile, WORDS)


def data_of(chart) -> list[dict]:
    return chart.to_dict(validate=False)["data"]["values"]


def test_region_bars_hold_each_regions_category_figures(june, profile):
    month, _ = june
    rows = data_of(regions_chart(month, profile, WORDS))
    for region in month.regions:
        assert sum(r["killed"] for r in rows if r["region"] == region.name) == region.killed


def test_timeline_sums_to_the_months_group_lines(june, profile):
    month, _ = june
    rows = data_of(timeline_chart(month, profile, WORDS))
    assert sum(r["killed"] for r in rows) == month.total_killed
    assert {r["step"] for r in rows} <= {str(d) for d in range(1, 31)}


def test_cumulative_line_ends_at_the_year_to_date_figures(june, profile):
    month, running = june
    rows = cumulative_rows(running, profile, month.scope.end)
    for cat in profile.categories:
        label = cat.plural[:1].upper() + cat.plural[1:]
        last = [r for r in rows if r["category"] == label][-1]
        assert last["date"] == "2023-06-30"
        assert last["killed"] == running.group(cat.key).killed


def test_every_category_keeps_its_profile_colour(profile):
    scale = category_scale(profile)
    assert scale["range"] == [c.color for c in profile.categories]
    assert len(set(scale["range"])) == len(profile.categories)


def test_three_svgs_drawn_offline_with_the_page_font(svgs):
    assert sorted(svgs) == ["cumulative", "regions", "timeline"]
    for name, svg in svgs.items():
        root = ElementTree.fromstring(svg)
        assert root.tag == "svg"
        assert 'font-family="DejaVu Sans"' in svg
        assert "http" not in svg and "href" not in svg
        assert all(i.startswith(f"{name}-") for i in (e.get("id") for e in root.iter()) if i)


def test_axis_titles_come_from_the_chart_text(svgs):
    assert "Fatalities" in svgs["regions"]
    assert "Day of the month" in svgs["timeline"]
    assert "Fatalities since 1 January" in svgs["cumulative"]


def axis_labels(svg: str) -> list[str]:
    return [e.text for e in ElementTree.fromstring(svg).iter() if e.tag.rsplit("}", 1)[-1] == "text" and e.text]


def test_the_cumulative_charts_months_are_named_in_the_profiles_language(june, profile):
    """Vega names months in English; a profile's language names them (CLDR, through Babel),
    as the year bulletin's month-by-month chart does."""
    assert {"Jan", "Feb", "Jun"} <= set(axis_labels(bulletin_charts(*june, profile, WORDS)["cumulative"]))
    french = bulletin_charts(*june, replace(profile, language="fr"), WORDS)["cumulative"]
    assert {"janv.", "févr.", "juin"} <= set(axis_labels(french))
    assert not {"Jan", "Feb", "Jun"} & set(axis_labels(french))


def test_a_spec_naming_a_data_url_is_refused(listener):
    spec = {"data": {"url": f"{listener.url}/x.csv"}, "mark": "point"}
    with pytest.raises(ChartError, match="data.url"):
        to_svg(spec)
    assert listener.connections == 0


@pytest.mark.parametrize(
    "spec",
    [
        {"layer": [{"data": {"values": []}}, {"data": {"url": "data/cars.json"}}]},
        {"data": {"values": [{"u": "x"}]}, "mark": "image", "encoding": {"url": {"field": "u"}}},
        {"data": {"values": [{"u": "x"}]}, "mark": {"type": "image"}},
        {"data": {"values": []}, "encoding": {"href": {"field": "u"}}},
    ],
)
def test_urls_and_images_anywhere_in_a_spec_are_refused(spec):
    with pytest.raises(ChartError):
        refuse_fetching(spec)


def test_vl_convert_itself_fetches_nothing_with_no_allowed_base_urls(listener):
    """The second layer: even a spec that slipped through is not fetched."""
    spec = {"data": {"url": f"{listener.url}/x.csv"}, "mark": "point",
            "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    with pytest.raises(ValueError, match="not allowed"):
        vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    assert listener.connections == 0


def test_control_characters_are_cleaned_from_every_string():
    assert clean_text("a\x00b\x01c\x1bd\x7fe\ufffef\tg\nh") == "abcdef g h"
    assert clean_spec({"k\x01": ["x\x1b", {"y": "z\x00"}], "n": 3}) == {"k": ["x", {"y": "z"}], "n": 3}


HOSTILE_LABELS = [
    "Homs\x01 desert\x00\x1b[31m",
    "</text><script>alert(1)</script>",
    '"/><image href="file:///etc/passwd"/>',
    "بادية دير الزور",
]

CHILD = """
import json
import sys
from dataclasses import replace
from reportgen.aggregate import summarize
from reportgen.charts import bulletin_charts
from reportgen.periods import month_scope
from reportgen.render import RenderSettings, chart_text
from reportgen.profile import load_profile
from reportgen.store import open_store

profile = load_profile("syrian-desert")
store = open_store(sys.argv[1], create=False)
month = summarize(store, profile, month_scope(2023, 6), detail=True)
labels = json.load(sys.stdin)
month.regions[:] = [replace(r, name=labels[i % len(labels)] + str(i)) for i, r in enumerate(month.regions)]
svg = bulletin_charts(month, month, profile, chart_text(RenderSettings(profile).environment()))["regions"]
sys.stdout.write(svg)
"""


def test_hostile_labels_reach_the_charts_without_killing_the_process(sample_db):
    """vl-convert 1.9 aborts the process on a control character: run it in a child to see it survive."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(sample_db)], input=json.dumps(HOSTILE_LABELS),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    svg = done.stdout
    root = ElementTree.fromstring(svg)
    assert {e.tag for e in root.iter()} <= {"svg", "g", "path", "line", "text", "rect"}
    texts = [e.text or "" for e in root.iter("text")]
    assert "Homs desert[31m0" in texts
    assert "</text><script>alert(1)</script>1" in texts or any(t.startswith("</text><script>") for t in texts)
    assert any(t.startswith("بادية دير الزور") for t in texts)
    assert not any("href" in key for e in root.iter() for key in e.attrib)
    assert "\x01" not in svg and "\x00" not in svg


def test_a_scale_of_small_counts_labels_each_whole_number_once(profile):
    from reportgen.summary import Summary

    daily = [{"period": "2025-07-03", "category": "isis", "killed": 2, "killed_low": 2, "killed_high": 2}]
    month = Summary(profile.name, month_scope(2025, 7), 2, 0, 0, 1, [], [], series=daily, daily=daily)
    svg = to_svg(timeline_chart(month, profile, WORDS).to_dict())
    count_labels = re.findall(r'<text text-anchor="end" transform="translate\(-4,[^"]*"[^>]*>([^<]*)</text>', svg)
    assert count_labels == ["0", "1", "2"]
