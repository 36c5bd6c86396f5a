"""``build``: the whole build stage, as the list of its stage calls.

The command line (``build``, ``demo``), the preview (its built copies'
status), the tests and the benchmarks all build through this one function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ReportgenError
from ..periods import parse_date
from ..profile import Profile
from ..store import Store
from .jobs import Job, plan_jobs
from .plan import BuildPlan, plan_build, strays_among
from .run import Built, Executor, run_build

if TYPE_CHECKING:
    from ..render import RenderSettings


@dataclass
class BuildResult:
    """What a build planned (every bulletin selected, with its reasons) and what it built."""

    plan: BuildPlan
    built: list[Built] = field(default_factory=list)


def build(store: Store, profile: Profile, jobs: list[Job], output: str | Path, settings: RenderSettings, *,
          force: bool = False, strays: Callable[[tuple[str, str]], bool] | None = None, dry_run: bool = False,
          executor: Executor | None = None, on_plan: Callable[[BuildPlan], None] | None = None,
          on_built: Callable[[Built], None] | None = None,
          inputs: dict[str, dict[str, str]] | None = None) -> BuildResult:
    """Build those of ``jobs`` that changed since the manifest under ``output`` recorded them (all with ``force``).

    ``strays``: which folders to report that hold a bulletin the data no longer has;
    ``dry_run``: plan only, write nothing; ``executor``: render elsewhere
    (``executors.executor_for``); ``on_plan``, ``on_built``: told the plan, then
    each bulletin as it is written; ``inputs``: the templates', profile's and
    settings' fingerprints, when the caller keeps them.
    """
    env = settings.environment()  # one per build: templates read afresh, shared by every bulletin's HTML and text
    plan = plan_build(store, profile, jobs, output, settings, force, strays, env, inputs)
    if on_plan:
        on_plan(plan)
    if dry_run:
        return BuildResult(plan)
    return BuildResult(plan, run_build(store, profile, plan, output, settings, on_built, executor, env))


def build_selection(store: Store, profile: Profile, output: str | Path, settings: RenderSettings, *,
                    period: str | None = None, year: str | None = None, all_: bool = False, as_of: str | None = None,
                    **options) -> BuildResult:
    """``build`` the bulletins a selection names: one month's or year's (``period``), a year and its
    months (``year``), or every month and year with data (``all_``, or neither), as of a day;
    ``options`` are ``build``'s. A selection of more than a period reports its stray folders."""
    if all_ and (period or year):
        raise ReportgenError("give --all, --period or --year, not several")
    jobs = plan_jobs(store, period=period, year=year, as_of=parse_date(as_of, "--as-of") if as_of else None)
    strays = None if period else strays_among(jobs, everything=year is None)
    return build(store, profile, jobs, output, settings, strays=strays, **options)
