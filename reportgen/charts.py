"""The charts stage: Altair specifications built from Summaries, drawn as SVG by vl-convert.

Three charts per bulletin: fatalities by region stacked by category, fatalities
per day (a month) or per month (a year) by category, and the cumulative line
since 1 January. Each category keeps its profile colour in every chart. Where
counts have ranges (a dataset's low and high estimates), the regions chart adds
an error bar per region and the cumulative chart a band per category; without
ranges the specifications hold nothing more.

Safety: specifications carry inline ``data.values`` only; a spec naming a URL
is refused, and vl-convert is called with ``allowed_base_urls=[]`` as a second
layer. Control characters are stripped from every string of a spec, because
vl-convert aborts the whole process (not an exception) on one that reaches a label.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from defusedxml.ElementTree import fromstring as parse_xml

from .errors import ReportgenError
from .profile import Profile
from .summary import Range, Summary

if TYPE_CHECKING:
    import altair as alt

FONT = "DejaVu Sans"
WIDTH = 640  # px of the whole chart, legend included: the A4 text width at 96 dpi, a little less
BAR_STEP = 22  # px per region bar
CHART_NAMES = ("regions", "timeline", "cumulative")
REGION_LABELS = 160  # px of the regions chart's row labels, at most
COUNT_AXIS = 60  # px of a vertical count axis, its labels and title: a top legend starts beside it
LEGEND_ENTRY, LEGEND_LABEL_LIMIT, CHAR_WIDTH = 24, 200, 6.6  # px: a legend entry's symbol and gaps, its longest label, a letter
RANGE_RULE: dict[str, Any] = {"color": "#1b1f24", "thickness": 1.5}  # error bars: the page's ink, over any category colour
RANGE_TICKS: dict[str, Any] = {"size": 9, "thickness": 1.5, "opacity": 1}
BAND_OPACITY = 0.2  # the cumulative chart's low-high band, under its category's line

_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}")
# C0 controls (tab, line feed and carriage return become spaces), DEL, U+FFFE/U+FFFF and
# lone surrogates: not allowed in XML, and fatal to vl-convert 1.9 in a label.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_FETCHING_KEYS = {"url", "href"}


class ChartError(ReportgenError):
    """A chart specification that could make vl-convert fetch something."""


@dataclass(frozen=True)
class ChartText:
    """The words of the charts, from the template ``html/chart_text.j2`` (they follow the profile's language)."""

    fatalities: str
    region: str
    category: str
    day: str
    month: str
    cumulative: str
    date: str

    @classmethod
    def from_mapping(cls, words: Mapping[str, Any]) -> ChartText:
        known = cls.__dataclass_fields__
        missing = sorted(set(known) - set(words))
        if missing:
            raise ReportgenError(f"chart words missing: {', '.join(missing)} (set them in html/chart_text.j2)")
        return cls(**{k: str(words[k]) for k in known})


def clean_text(text: str) -> str:
    """``text`` without the characters that XML (and vl-convert) cannot hold."""
    return _NOT_XML.sub("", text.replace("\t", " ").replace("\n", " ").replace("\r", " "))


def clean_spec(value: Any) -> Any:
    """A copy of a specification with every string (keys included) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): clean_spec(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_spec(v) for v in value]
    return value


def refuse_fetching(spec: Any, where: str = "spec") -> None:
    """Raise ChartError if a specification names a URL (data, image marks, href encodings)."""
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if key in _FETCHING_KEYS:
                raise ChartError(f"chart {where}.{key}: charts take inline data only, not URLs")
            if key == "mark" and (value == "image" or (isinstance(value, Mapping) and value.get("type") == "image")):
                raise ChartError(f"chart {where}.mark: image marks are not allowed")
            refuse_fetching(value, f"{where}.{key}")
    elif isinstance(spec, list):
        for i, value in enumerate(spec):
            refuse_fetching(value, f"{where}[{i}]")


def vega_config() -> dict:
    """Fonts and sizes shared by every chart: the page's font, readable at A4 size."""
    return {
        "font": FONT,
        "background": None,
        "view": {"stroke": None},
        "axis": {"labelFontSize": 11, "titleFontSize": 11, "titleFontWeight": "normal", "ticks": False, "labelPadding": 4,
                 "titleColor": "#333", "labelColor": "#333", "gridColor": "#e3e3e3",
                 "domainColor": "#888", "tickColor": "#888"},
        "legend": {"labelFontSize": 11, "titleFontSize": 11, "titleFontWeight": "normal",
                   "orient": "top", "direction": "horizontal", "title": None, "symbolType": "square",
                   "labelLimit": LEGEND_LABEL_LIMIT},
    }


def to_svg(spec: Mapping[str, Any], name: str = "chart", language: str = "en") -> str:
    """The SVG of a Vega-Lite spec, drawn offline; ids made unique per chart for inlining. Dates on
    its axes are named in ``language`` (a time axis's month names)."""
    import vl_convert

    cleaned: dict[str, Any] = clean_spec(spec)
    refuse_fetching(cleaned)
    svg = vl_convert.vegalite_to_svg(cleaned, config=vega_config(), allowed_base_urls=[],
                                     time_format_locale=time_locale(language))
    return inline_svg(svg, name)


def inline_svg(svg: str, name: str) -> str:
    """vl-convert's SVG made ready for inlining in HTML, and lighter for WeasyPrint.

    Parsed and written back with ElementTree (never edited as text): no namespace
    URLs, no interaction and ARIA attributes on the marks, empty paths and
    attribute-less groups dropped, ids prefixed with ``name`` so that three
    charts can share a page. Refuses an SVG that links to anything.
    """
    root = parse_xml(svg)
    _slim(root, name)
    root.attrib.pop("class", None)
    root.attrib.update({"role": "img", "aria-labelledby": f"{name}-title"})
    return ElementTree.tostring(root, encoding="unicode", short_empty_elements=True)


_DROPPED_ATTRIBUTES = ("class", "role", "pointer-events")
_EMPTY_PATHS = ("", "M0,0h0v0h0Z")


def _slim(parent: ElementTree.Element, name: str) -> None:
    children: list[ElementTree.Element] = []
    for child in list(parent):
        child.tag = child.tag.rsplit("}", 1)[-1]
        invisible = child.get("class") == "background" and "fill" not in child.attrib and "stroke" not in child.attrib
        for key in list(child.attrib):
            local = key.rsplit("}", 1)[-1]
            if local == "href":
                raise ChartError(f"chart {name}: the drawn SVG links to a resource")
            if key in _DROPPED_ATTRIBUTES or key.startswith("aria-") or (key == "opacity" and child.attrib[key] == "1"):
                del child.attrib[key]
        if key_id := child.attrib.get("id"):
            child.attrib["id"] = f"{name}-{key_id}"
        for key, value in child.attrib.items():
            if "url(#" in value:
                child.attrib[key] = value.replace("url(#", f"url(#{name}-")
        _slim(child, name)
        if child.tag == "path" and (invisible or child.get("d", "") in _EMPTY_PATHS or child.get("display") == "none"):
            continue
        if child.tag == "g" and not child.attrib:
            children.extend(child)
            continue
        children.append(child)
    parent[:] = children
    parent.tag = parent.tag.rsplit("}", 1)[-1]


# -- the specifications -------------------------------------------------------


def category_scale(profile: Profile) -> dict:
    """The one palette: each category's label and profile colour, in profile order."""
    return {
        "domain": [category_label(profile, c.key) for c in profile.categories],
        "range": [c.color if _COLOUR.fullmatch(c.color) else "#999999" for c in profile.categories],
    }


def category_label(profile: Profile, key: str) -> str:
    cat = profile.category(key)
    label = cat.plural if cat else key
    return label[:1].upper() + label[1:]


def _order(profile: Profile) -> dict[str, int]:
    return {c.key: i for i, c in enumerate(profile.categories)}


def _color(profile: Profile) -> dict:
    return {"field": "category", "type": "nominal", "scale": category_scale(profile)}


def regions_chart(summary: Summary, profile: Profile, text: ChartText) -> alt.Chart | alt.LayerChart:
    """Fatalities in each region's operations, stacked by category (horizontal bars)."""
    import altair as alt

    order = _order(profile)
    rows = [
        {"region": r.name, "category": category_label(profile, c.category), "killed": c.killed,
         "order": order.get(c.category, 99)}
        for r in summary.regions for c in r.categories
    ]
    names = [r.name for r in summary.regions]
    y = alt.Y("region:N", title=None, sort=names, scale={"domain": names}, axis={"labelLimit": REGION_LABELS - 10})
    bars = alt.Chart(alt.Data(values=rows)).mark_bar(height={"band": 0.7}).encode(
        y=y,
        x=alt.X("sum(killed):Q", title=text.fatalities, axis=_count_axis()),
        color={**_color(profile), **_legend_rows(profile, WIDTH - REGION_LABELS)},
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("region:N"), alt.Tooltip("category:N"), alt.Tooltip("killed:Q")],
    )
    ranges = region_ranges(summary) if "ranges" in profile.measures else []
    if ranges:  # an error bar from each region's low to its high total
        bars = alt.layer(bars, alt.Chart(alt.Data(values=ranges)).mark_errorbar(ticks=RANGE_TICKS, **RANGE_RULE).encode(
            y=y, x=alt.X("low:Q", title=text.fatalities), x2="high:Q",
            tooltip=[alt.Tooltip("region:N"), alt.Tooltip("low:Q"), alt.Tooltip("high:Q")],
        ))
    return bars.properties(width=WIDTH, height={"step": BAR_STEP}, autosize={"type": "fit-x", "contains": "padding"})


def region_ranges(summary: Summary) -> list[dict[str, Any]]:
    """Each region's low and high total where it differs from its fatalities (none without ranges)."""
    return [{"region": r.name, "low": r.killed_range.low, "high": r.killed_range.high}
            for r in summary.regions if r.killed_range and r.killed_range != Range(r.killed, r.killed)]


def timeline_chart(summary: Summary, profile: Profile, text: ChartText) -> alt.Chart:
    """Fatalities per day of the month (or per month of the year), stacked by category."""
    import altair as alt

    order = _order(profile)
    steps = _steps(summary, profile.language)
    by_key = dict(steps)
    rows = [
        {"step": by_key[p["period"]], "category": category_label(profile, p["category"]),
         "killed": p["killed"], "order": order.get(p["category"], 99)}
        for p in summary.series if p["period"] in by_key and p["killed"]
    ]
    title = text.day if summary.scope.kind == "month" else text.month
    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("step:O", title=title, scale={"domain": [label for _, label in steps]},
                axis={"labelAngle": 0, "values": _tick_labels(steps)}),
        y=alt.Y("sum(killed):Q", title=text.fatalities, axis=_count_axis()),
        color={**_color(profile), **_legend_rows(profile, WIDTH - COUNT_AXIS)},
        order=alt.Order("order:Q"),
    ).properties(width=WIDTH, height=170, autosize={"type": "fit-x", "contains": "padding"})


def _legend_rows(profile: Profile, room: int) -> dict:
    """A legend in as many columns as fit in ``room`` px (its labels' widths estimated from their
    lengths), or nothing where one row fits (Vega-Lite's own legend then stays as it is)."""
    widths = sorted((LEGEND_ENTRY + min(LEGEND_LABEL_LIMIT, round(CHAR_WIDTH * len(label)))
                     for label in category_scale(profile)["domain"]), reverse=True)
    if sum(widths) <= room:
        return {}
    columns = next((n for n in range(len(widths) - 1, 1, -1) if sum(widths[:n]) <= room), 1)
    return {"legend": {"columns": columns}}


def _count_axis() -> dict:
    """Whole numbers, few ticks: every label is a text WeasyPrint lays out. A scale of small counts
    still puts ticks between them (vl-convert does not honour ``tickMinStep``): those stay unlabelled."""
    return {"tickMinStep": 1, "format": "d", "tickCount": 5, "labelExpr": "datum.value % 1 ? '' : datum.label"}


def _tick_labels(steps: list[tuple[str, str]]) -> list[str]:
    """Every month of a year; days 1, 5, 10, ... and the last of a month."""
    if len(steps) <= 12:
        return [label for _, label in steps]
    keep = {0, len(steps) - 1} | set(range(4, len(steps) - 2, 5))
    return [label for i, (_, label) in enumerate(steps) if i in keep]


def _steps(summary: Summary, language: str) -> list[tuple[str, str]]:
    """(period key, axis label) for every day of the month, or every month of the year."""
    scope = summary.scope
    if scope.kind == "month":
        days = calendar.monthrange(scope.year, scope.start.month)[1]
        return [(f"{scope.key}-{d:02d}", str(d)) for d in range(1, days + 1)]
    names = month_names(language)
    return [(f"{scope.year:04d}-{m:02d}", names[m - 1]) for m in range(1, 13)]


@functools.cache
def time_locale(language: str) -> dict:
    """A d3-time-format locale for ``language``, from Babel's CLDR data (Vega's own is English)."""
    from babel import Locale
    from babel.dates import get_day_names, get_month_names

    days = [6, 0, 1, 2, 3, 4, 5]  # d3 weeks start on Sunday, Babel's day numbers on Monday
    periods = Locale.parse(language).day_periods.get("format", {}).get("abbreviated", {})
    return {
        "dateTime": "%x, %X", "date": "%-d %b %Y", "time": "%H:%M:%S",
        "periods": [str(periods.get("am", "AM")), str(periods.get("pm", "PM"))],
        "days": [str(get_day_names("wide", locale=language)[d]) for d in days],
        "shortDays": [str(get_day_names("abbreviated", locale=language)[d]) for d in days],
        "months": [str(get_month_names("wide", locale=language)[m]) for m in range(1, 13)],
        "shortMonths": month_names(language),
    }


def month_names(language: str) -> list[str]:
    from babel.dates import get_month_names

    names = get_month_names("abbreviated", locale=language)
    return [str(names[m]) for m in range(1, 13)]


def cumulative_chart(summary: Summary, profile: Profile, text: ChartText, end: date | None = None) -> alt.Chart | alt.LayerChart:
    """The running total since 1 January per category, to ``end`` (the scope's end)."""
    import altair as alt

    end = end or summary.scope.end
    x = alt.X("date:T", title=None, scale={"type": "utc"},
              axis={"format": "%b", "formatType": "time", "tickCount": "month", "labelAngle": 0})
    color = {**_color(profile), "legend": {"symbolType": "stroke", "symbolStrokeWidth": 3,
                                           **_legend_rows(profile, WIDTH - COUNT_AXIS).get("legend", {})}}
    lines = alt.Chart(alt.Data(values=cumulative_rows(summary, profile, end))).mark_line(
        interpolate="step-after", strokeWidth=2).encode(
        x=x,
        y=alt.Y("killed:Q", title=text.cumulative, axis=_count_axis()),
        color=color,
    )
    bands = cumulative_band_rows(summary, profile, end)
    if bands:  # each ranged category's running low-high band, under its line (one legend for both, drawn solid)
        color["legend"] = {**color["legend"], "symbolOpacity": 1}
        lines = alt.layer(alt.Chart(alt.Data(values=bands)).mark_area(interpolate="step-after", opacity=BAND_OPACITY).encode(
            x=x, y=alt.Y("low:Q", title=text.cumulative), y2="high:Q", color=color,
        ), lines.encode(color=color))
    return lines.properties(width=WIDTH, height=170, autosize={"type": "fit-x", "contains": "padding"})


def cumulative_rows(summary: Summary, profile: Profile, end: date) -> list[dict]:
    """One point per category at 1 January, at each day its total changes, and at ``end``."""
    start = date(summary.scope.year, 1, 1)
    per_day: dict[tuple[str, str], int] = {}
    for p in summary.daily:
        per_day[(p["period"], p["category"])] = per_day.get((p["period"], p["category"]), 0) + p["killed"]
    days = sorted({d for d, _ in per_day if start.isoformat() <= d <= end.isoformat()})
    rows = []
    for cat in profile.categories:
        label, total = category_label(profile, cat.key), 0
        rows.append({"date": start.isoformat(), "category": label, "killed": 0})
        for day in days:
            if per_day.get((day, cat.key)):
                total += per_day[(day, cat.key)]
                rows.append({"date": day, "category": label, "killed": total})
        rows.append({"date": end.isoformat(), "category": label, "killed": total})
    return rows


def cumulative_band_rows(summary: Summary, profile: Profile, end: date) -> list[dict]:
    """The running low and high totals of each category whose range differs from its figure on some
    day to ``end``: a point at 1 January, at each day with a figure, and at ``end`` (none without ranges,
    nor for a profile whose source records none)."""
    if "ranges" not in profile.measures:
        return []
    start, last = date(summary.scope.year, 1, 1).isoformat(), end.isoformat()
    per_day: dict[tuple[str, str], tuple[int, int]] = {}
    ranged = set()
    for p in summary.daily:
        if not start <= p["period"] <= last:
            continue
        low, high = p.get("killed_low", p["killed"]), p.get("killed_high", p["killed"])
        before = per_day.get((p["period"], p["category"]), (0, 0))
        per_day[(p["period"], p["category"])] = (before[0] + low, before[1] + high)
        if (low, high) != (p["killed"], p["killed"]):
            ranged.add(p["category"])
    rows = []
    for cat in (c for c in profile.categories if c.key in ranged):
        label, low, high = category_label(profile, cat.key), 0, 0
        rows.append({"date": start, "category": label, "low": 0, "high": 0})
        for day in sorted(d for d, c in per_day if c == cat.key):
            low, high = low + per_day[(day, cat.key)][0], high + per_day[(day, cat.key)][1]
            rows.append({"date": day, "category": label, "low": low, "high": high})
        rows.append({"date": last, "category": label, "low": low, "high": high})
    return rows


def ranged_charts(summary: Summary, running: Summary, profile: Profile) -> frozenset[str]:
    """The names of a bulletin's charts that draw ranges (error bars, bands): none without ranges."""
    names = {"regions"} if "ranges" in profile.measures and region_ranges(summary) else set()
    if cumulative_band_rows(running, profile, summary.scope.end):
        names.add("cumulative")
    return frozenset(names)


def bulletin_charts(summary: Summary, running: Summary, profile: Profile, text: ChartText) -> dict[str, str]:
    """The three SVG charts of a bulletin; ``running`` is the Summary since 1 January."""
    specs = {
        "regions": regions_chart(summary, profile, text),
        "timeline": timeline_chart(summary, profile, text),
        "cumulative": cumulative_chart(running, profile, text, summary.scope.end),
    }
    return {name: to_svg(chart.to_dict(validate=False), name, profile.language) for name, chart in specs.items()}
