"""The render stage: one bulletin's Summaries -> HTML, PDF, text and summary JSON.

Rendering is a pure function of a ``Bulletin`` (plain data from the aggregate
stage) and ``RenderSettings``; it reads no database and writes no file, so the
build, the preview server and the benchmark all call the same code.

The HTML is self-contained (inline CSS and SVG) and is also the PDF's source:
WeasyPrint lays it out with the print rules of the same stylesheet, through a
URL fetcher that refuses everything but ``data:`` URLs and files inside the
template directories.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import __version__
from .charts import CHART_NAMES, ChartText, bulletin_charts, category_label, ranged_charts
from .errors import ReportgenError
from .periods import Scope
from .profile import Category, Profile
from .summary import CategoryCount, GroupLine, Range, RegionLine, Summary
from .wording import TALLY_TEMPLATE, environment, render_tally, template_dirs

TEMPLATES = {"month": "html/month.html.j2", "year": "html/year.html.j2"}
TEXT_TEMPLATE = "text/bulletin.txt.j2"
CHART_TEXT_TEMPLATE = "html/chart_text.j2"
CHART_TEXT_TEMPLATES = (f"default:{CHART_TEXT_TEMPLATE}", CHART_TEXT_TEMPLATE)  # the shipped words, then a user's
INCIDENT_LIMIT = 400  # rows of the incident table; the rest are in summary.json (WeasyPrint: ~10 ms a row)
OUTPUT_NAMES = ("bulletin.html", "bulletin.pdf", "bulletin.txt", "summary.json")


def bulletin_templates(kind: str) -> tuple[str, ...]:
    """The templates a bulletin of ``kind`` renders by name: a build's fingerprint follows every
    template they reach, so a template named here alone is never left out of it."""
    return (TEMPLATES[kind], TEXT_TEMPLATE, *CHART_TEXT_TEMPLATES, TALLY_TEMPLATE)

# Shown data never carries bidi embeddings/overrides (they reorder neighbouring text)
# nor characters that XML cannot hold.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\ufffe\uffff\ud800-\udfff]")


# -- the data of one bulletin -------------------------------------------------


@dataclass(frozen=True)
class Bulletin:
    """Everything a bulletin shows, as plain data.

    ``summary`` is the period's (with detail), ``running`` the year from
    1 January to the period's end (the summary itself for a year bulletin),
    ``previous`` the period before (None when the data starts later).
    ``revised``: the "Revised" notes of a bulletin built again with other
    figures (``versions.Note``, newest first), which the build adds.
    """

    kind: str  # "month" or "year"
    summary: Summary
    running: Summary
    previous: Summary | None = None
    revised: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "summary": self.summary.to_dict(),
            "running": self.running.to_dict(),
            "previous": self.previous.to_dict() if self.previous else None,
        }


@dataclass(frozen=True)
class RenderSettings:
    profile: Profile
    templates: str | None = None  # a user's template directory, overriding shipped files
    organisation: str | None = None  # overrides the profile's
    generated: date = field(default_factory=date.today)
    draft: bool = False

    @property
    def author(self) -> str:
        return self.organisation or self.profile.organisation

    def template_dirs(self) -> list[Path]:
        return template_dirs(self.templates)

    def environment(self) -> jinja2.Environment:
        env = environment(self.profile, self.templates)
        env.filters.update(shown=shown, actor=self.actor_name, kind=self.kind_name, signed=signed)
        return env

    def actor_name(self, key: str) -> str:
        actor = self.profile.actor(key)
        return actor.name if actor else key

    def kind_name(self, key: str) -> str:
        return self.profile.kinds.get(key, key)


@dataclass(frozen=True)
class Figure:
    """A headline figure and its change against the previous period (None: no comparison)."""

    key: str  # "fatalities", "injured", "operations" or a category key
    value: int
    change: int | None
    category: Category | None = None
    label: str = ""
    range: Range | None = None  # the range of ``value`` (UCDP's low and high estimates), None without one


@dataclass(frozen=True)
class BulletinPage:
    """The one context every HTML bulletin template receives."""

    kind: str
    summary: Summary
    running: Summary
    previous: Summary | None
    profile: Profile
    title: str
    organisation: str
    generated: str
    version: str
    draft: bool
    figures: list[Figure]
    categories: list[Category]
    category_labels: dict[str, str]
    tally: str
    running_tally: str
    charts: dict[str, Markup]
    incident_limit: int = INCIDENT_LIMIT
    ranged: frozenset[str] = frozenset()  # the charts that draw ranges (error bars, bands)
    revised: tuple = ()  # the bulletin's "Revised" notes (``versions.Note``), newest first

    @property
    def scope(self) -> Scope:
        return self.summary.scope

    def shows(self, measure: str) -> bool:
        """Whether the profile's source records ``measure`` ("injured", "ranges"): what it does not
        record is left out of the page, not shown as zeros."""
        return measure in self.profile.measures

    def draws(self, chart: str) -> bool:
        """Whether a chart has any fatality to draw: a chart of nothing is left out, and the page says so."""
        if chart in self.ranged:
            return True
        if chart == "regions":
            return any(r.killed for r in self.summary.regions)
        return bool((self.running if chart == "cumulative" else self.summary).total_killed)

    def region_killed(self, region: RegionLine) -> dict[str, int]:
        """A region's fatalities per category, every profile category present."""
        found = {c.category: c.killed for c in region.categories}
        return {c.key: found.get(c.key, 0) for c in self.categories}

    def region_counts(self, region: RegionLine) -> dict[str, CategoryCount]:
        """A region's count of each profile category (a zero count where it has none), with its range."""
        found = {c.category: c for c in region.categories}
        return {c.key: found.get(c.key) or CategoryCount(c.key) for c in self.categories}

    def subgroup_label(self, category: str, subgroup: str) -> str:
        cat = self.profile.category(category)
        sub = cat.subgroup(subgroup) if cat else None
        return sub.plural if sub else subgroup

    def as_context(self) -> dict[str, Any]:
        return {"page": self, "summary": self.summary, "scope": self.scope}


@dataclass(frozen=True)
class Rendered:
    """The four outputs of one bulletin, ready to write."""

    html: str
    pdf: bytes
    text: str
    summary_json: str

    def files(self) -> dict[str, bytes]:
        return dict(zip(OUTPUT_NAMES, (self.html.encode(), self.pdf, self.text.encode(),
                                       self.summary_json.encode()), strict=True))


# -- filters --------------------------------------------------------------------


def shown(text: object) -> str:
    """Data text as shown in a bulletin: whitespace collapsed, no bidi overrides or controls."""
    return " ".join(_UNSHOWABLE.sub("", str(text)).split())


def signed(n: int) -> str:
    """+3, −2 (a real minus sign), 0."""
    return f"+{n}" if n > 0 else (f"\u2212{-n}" if n < 0 else "0")


# -- the page -------------------------------------------------------------------


def headline_figures(bulletin: Bulletin, profile: Profile) -> list[Figure]:
    now, before = bulletin.summary, bulletin.previous

    def change(value: int, old: int | None) -> int | None:
        return None if old is None else value - old

    def killed(s: Summary | None, key: str) -> int | None:
        if s is None:
            return None
        g: GroupLine | None = s.group(key)
        return g.killed if g else 0

    figures = [
        Figure("fatalities", now.total_killed, change(now.total_killed, before.total_killed if before else None), range=now.killed_range),
    ]
    if "injured" in profile.measures:
        figures.append(Figure("injured", now.total_injured, change(now.total_injured, before.total_injured if before else None)))
    figures.append(Figure("operations", now.operations, change(now.operations, before.operations if before else None)))
    for cat in profile.categories:
        value = killed(now, cat.key) or 0
        group = now.group(cat.key)
        figures.append(Figure(cat.key, value, change(value, killed(before, cat.key)), cat, category_label(profile, cat.key),
                              range=group.killed_range if group else None))
    return figures


def chart_text(env: jinja2.Environment) -> ChartText:
    """The charts' words: the shipped ``html/chart_text.j2``, then a user's copy word by word."""
    words: dict[str, Any] = {}
    for name in CHART_TEXT_TEMPLATES:
        module = env.get_template(name).make_module()
        words.update({k: getattr(module, k) for k in dir(module) if not k.startswith("_")})
    return ChartText.from_mapping(words)


@dataclass(frozen=True)
class Tallies:
    """The source-format texts of a bulletin: the period's, and (for a month) the year to date."""

    period: str
    running: str


@dataclass(frozen=True)
class BulletinText:
    """The one context of ``text/bulletin.txt.j2`` (besides the environment's ``profile``): the kind
    of bulletin, its period's Summary and scope, and its worded tallies (``tally``, ``running_tally``:
    texts without a final line break; the running one empty for a year)."""

    kind: str
    summary: Summary
    texts: Tallies

    @property
    def scope(self) -> Scope:
        return self.summary.scope

    def as_context(self) -> dict[str, Any]:
        return {"kind": self.kind, "summary": self.summary, "scope": self.scope,
                "tally": self.texts.period, "running_tally": self.texts.running}


def tallies(bulletin: Bulletin, env: jinja2.Environment) -> Tallies:
    running = render_tally(env, bulletin.running) if bulletin.kind == "month" else ""
    return Tallies(render_tally(env, bulletin.summary).rstrip("\n"), running.rstrip("\n"))


def page(bulletin: Bulletin, settings: RenderSettings, charts: dict[str, str], texts: Tallies) -> BulletinPage:
    profile = settings.profile
    return BulletinPage(
        kind=bulletin.kind,
        summary=bulletin.summary,
        running=bulletin.running,
        previous=bulletin.previous,
        profile=profile,
        title=profile.title,
        organisation=settings.author,
        generated=settings.generated.isoformat(),
        version=__version__,
        draft=settings.draft,
        figures=headline_figures(bulletin, profile),
        categories=list(profile.categories),
        category_labels={c.key: category_label(profile, c.key) for c in profile.categories},
        tally=texts.period,
        running_tally=texts.running,
        # vl-convert's SVG (labels escaped by it, links refused by charts.inline_svg) is the only markup from outside a template
        charts={name: Markup(svg) for name, svg in charts.items()},  # noqa: S704
        ranged=ranged_charts(bulletin.summary, bulletin.running, profile),
        revised=bulletin.revised,
    )


# -- the outputs ----------------------------------------------------------------


def render_charts(bulletin: Bulletin, settings: RenderSettings, env: jinja2.Environment | None = None) -> dict[str, str]:
    env = env or settings.environment()
    return bulletin_charts(bulletin.summary, bulletin.running, settings.profile, chart_text(env))


def render_html(bulletin: Bulletin, settings: RenderSettings, charts: dict[str, str] | None = None,
                env: jinja2.Environment | None = None, texts: Tallies | None = None) -> str:
    """The self-contained bulletin.html (``charts`` and ``texts`` are computed when not given)."""
    env = env or settings.environment()
    if charts is None:
        charts = render_charts(bulletin, settings, env)
    missing = set(CHART_NAMES) - set(charts)
    if missing:
        raise ReportgenError(f"charts missing: {', '.join(sorted(missing))}")
    context = page(bulletin, settings, charts, texts or tallies(bulletin, env))
    return env.get_template(TEMPLATES[bulletin.kind]).render(context.as_context())


def render_text(bulletin: Bulletin, settings: RenderSettings, env: jinja2.Environment | None = None,
                texts: Tallies | None = None) -> str:
    """bulletin.txt: the source-format tally of the period (and of the year to date)."""
    env = env or settings.environment()
    texts = texts or tallies(bulletin, env)
    return env.get_template(TEXT_TEMPLATE).render(BulletinText(bulletin.kind, bulletin.summary, texts).as_context())


def summary_json(bulletin: Bulletin) -> str:
    return json.dumps(bulletin.summary.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_pdf(html: str, settings: RenderSettings) -> bytes:
    """bulletin.pdf from bulletin.html: A4, fonts embedded, nothing fetched from outside the templates."""
    import weasyprint

    from .fetcher import RestrictedFetcher

    fetcher = RestrictedFetcher(settings.template_dirs())
    base = settings.template_dirs()[0].resolve().as_uri() + "/"
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher)
    return document.write_pdf(font_config=_font_config())


def _font_config():
    """One FontConfiguration per process: building it costs more than a small page."""
    global _FONTS
    if _FONTS is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONTS = FontConfiguration()
    return _FONTS


_FONTS = None


def render_bulletin(bulletin: Bulletin, settings: RenderSettings, env: jinja2.Environment | None = None) -> Rendered:
    """All four outputs of one bulletin; the same SVG charts in the HTML and the PDF.

    A build renders all its bulletins with one ``env``: its HTML and text templates, tallies and
    charts' words alike (templates read once per build, compiled once).
    """
    env = env or settings.environment()
    texts = tallies(bulletin, env)
    html = render_html(bulletin, settings, env=env, texts=texts)
    return Rendered(html=html, pdf=render_pdf(html, settings), text=render_text(bulletin, settings, env, texts),
                    summary_json=summary_json(bulletin))
