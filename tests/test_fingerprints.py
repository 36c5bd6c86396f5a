"""The templates' fingerprint follows every template a bulletin renders: each one changed changes it."""

from __future__ import annotations

import shutil

import pytest

from reportgen import wording
from reportgen.build.fingerprints import template_inputs, template_names
from reportgen.build.gather import gather
from reportgen.build.jobs import Job
from reportgen.build.reasons import TEMPLATES
from reportgen.charts import CHART_NAMES
from reportgen.periods import month_scope, year_scope
from reportgen.render import RenderSettings, bulletin_templates, chart_text, render_html, render_text, tallies

KINDS = {"month": month_scope(2023, 6), "year": year_scope(2023)}


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A copy of the shipped templates, used as the shipped ones (so a test may edit them)."""
    copy = tmp_path / "templates"
    shutil.copytree(wording.SHIPPED_TEMPLATES, copy)
    monkeypatch.setattr(wording, "SHIPPED_TEMPLATES", copy)
    return copy


def fingerprint(profile, kind: str) -> str:
    return template_inputs(RenderSettings(profile), [kind])[kind][TEMPLATES]


@pytest.mark.parametrize("kind", KINDS)
def test_each_template_a_bulletin_renders_by_name_changes_the_fingerprint(shipped, profile, kind):
    names = bulletin_templates(kind)
    assert wording.TALLY_TEMPLATE in names and "default:html/chart_text.j2" in names
    for name in names:
        before = fingerprint(profile, kind)
        path = shipped / name.removeprefix("default:")
        path.write_text(path.read_text(encoding="utf-8") + "{# changed #}", encoding="utf-8")
        assert fingerprint(profile, kind) != before, name


@pytest.mark.parametrize("kind", KINDS)
def test_every_template_a_render_loads_is_within_the_fingerprints_reach(sample_store, profile, kind):
    settings = RenderSettings(profile)
    env, loaded = settings.environment(), []
    load = env.get_template

    def recording(name, *args, **kwargs):
        loaded.append(name)
        return load(name, *args, **kwargs)

    env.get_template = recording  # includes, imports and extends go through it too
    bulletin = gather(sample_store, profile, Job(kind, KINDS[kind]))
    chart_text(env)
    texts = tallies(bulletin, env)
    render_html(bulletin, settings, {name: "<svg></svg>" for name in CHART_NAMES}, env, texts)
    render_text(bulletin, settings, env, texts)
    reach = template_names(env, bulletin_templates(kind))
    assert wording.TALLY_TEMPLATE in loaded and set(loaded) <= set(reach)
