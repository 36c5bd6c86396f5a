"""The command line: parses arguments and calls library functions.

Heavy libraries (pandas, Altair, WeasyPrint) are imported inside the commands
that need them, so ``reportgen --help`` answers at once.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .config import Config, load_config
from .errors import ReportgenError

if TYPE_CHECKING:
    from .build.plan import BuildPlan
    from .build.run import Built
    from .periods import Scope
    from .store import Store


@dataclass
class Context:
    config: Config
    debug: bool

    def profile(self, store=None):
        """The command's profile: the one chosen (option, environment, reportgen.toml), which must be
        compatible with the database's; else the database's own; else the default (``binding``).
        ``store``: the open database, if the command uses one."""
        from .binding import choose_profile

        if store is None:
            return choose_profile(self.config.db, self.config.profile, None)
        binding = store.binding()
        return choose_profile(store.path, self.config.profile, binding, None if binding else store.holdings())

    def import_profile(self):
        """The profile of an import, which makes its database only once its first records pass:
        the database's, if there is one already (looked at without making it)."""
        from .binding import choose_profile
        from .store import recorded_binding, shown_location

        return choose_profile(shown_location(self.config.db), self.config.profile, recorded_binding(self.config.db))

    def store(self, create: bool = False):
        """The database, closed when the command ends, a refused one too (a server session is not left
        open until the store is collected, e.g. when ``main`` runs in a longer-lived process)."""
        from .store import open_store

        opened = open_store(self.config.db, create=create)
        click.get_current_context().call_on_close(opened.close)
        return opened


pass_ctx = click.make_pass_decorator(Context)
F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]


def one_line_errors(func):
    """Turn known failures into one line on stderr and exit status 1 (a traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            raise  # the reader went away: ``ReportgenGroup.invoke`` ends quietly
        except Exception as exc:
            message = one_line_message(exc)
            if message is None:
                raise
            _fail(message, getattr(exc, "exit_code", 1))

    return wrapper


class ReportgenGroup(click.Group):
    """The command group; a reader of standard output that goes away (``reportgen history ID | head -1``)
    ends the command quietly with status 0, as Python's documentation on SIGPIPE recommends."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # inside the try: a pipe closed early fails here, not at interpreter exit
            return result
        except BrokenPipeError:
            quiet_stdout()
            sys.exit(0)


def quiet_stdout() -> None:
    """Point standard output at the null device, so that Python's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test runner's capture)
        pass


def one_line_message(exc: Exception) -> str | None:
    """What the user is told of a known failure (an error in a template included); None for a bug."""
    from .template_errors import as_template_failure

    if isinstance(exc, ReportgenError):
        return str(exc)
    failure = as_template_failure(exc)
    if failure is not None:
        return str(failure)
    if isinstance(exc, (OSError, MemoryError)):
        return f"{type(exc).__name__}: {exc}"
    return None


def counted(n: int, singular: str, plural: str) -> str:
    """"1 incident", "3 incidents": the count in digits, the noun chosen by CLDR plural rules."""
    from .wording import noun

    return f"{n} {noun(n, singular, plural)}"


def _fail(message: str, code: int) -> None:
    ctx = click.get_current_context(silent=True)
    debug = ctx is not None and isinstance(ctx.obj, Context) and ctx.obj.debug
    if debug:
        raise
    click.echo(f"reportgen: error: {' '.join(message.split())}", err=True)
    sys.exit(code)


# -- options shared by several commands, declared once -----------------------------------------------
# Metavars: YYYY, YYYY-MM, DATE (YYYY-MM-DD), FILE, DIR, URL, N, ID.

PERIODS = "YYYY-MM|YYYY-Qn|YYYY"


def period_option(help: str = "A month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY).", metavar: str = PERIODS) -> Decorator:
    return click.option("--period", metavar=metavar, help=help)


def year_option(help: str = "The year; the whole year, or up to --as-of.", type: type = str) -> Decorator:
    return click.option("--year", metavar="YYYY", type=type, help=help)


def as_of_option(func: F) -> F:
    return click.option("--as-of", "as_of", metavar="DATE", help="Figures as recorded by the end of this day.")(func)


def format_option(*choices: str, default: str | None = None, help: str | None = None) -> Decorator:
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=default is not None, help=help)


def output_option(help: str, file: bool = False, default: str | None = None) -> Decorator:
    """``-o/--output``: a FILE (a ``Path``) or a DIR (text)."""
    if file:
        return click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path), help=help)
    return click.option("-o", "--output", metavar="DIR", default=default, show_default=default is not None, help=help)


def files_argument(func: F) -> F:
    return click.argument("files", metavar="FILE...", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))(func)


def incident_argument(func: F) -> F:
    return click.argument("incident_id", metavar="ID")(func)


def examples(*lines: str) -> str:
    """A command's help epilog: its examples, one per line, as typed."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


@click.group(cls=ReportgenGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=examples("reportgen demo", "reportgen --db reportgen.db tally --year 2023"))
@click.option("--db", metavar="FILE|URL",
              help="Database file or PostgreSQL URL (default: reportgen.toml's db, $REPORTGEN_DB or ./reportgen.db).")
@click.option("--profile", metavar="NAME|FILE", help="A shipped profile by name or a profile file by path.")
@click.option("--config", "config_path", metavar="FILE", help="Config file (default: ./reportgen.toml).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="reportgen")
@click.pass_context
@one_line_errors
def main(ctx: click.Context, db: str | None, profile: str | None, config_path: str | None, debug: bool) -> None:
    """Turn a database of documented incidents into periodic summary bulletins."""
    ctx.obj = Context(load_config(config_path).with_overrides(db=db, profile=profile), debug)


def command(name: str, *example_lines: str) -> Decorator:
    """A ``reportgen`` command whose ``--help`` ends with its examples."""
    return main.command(name, epilog=examples(*example_lines))


@command("import", "reportgen import incidents.csv", "reportgen import --from-text --date 2023-06-28 post.txt")
@files_argument
@format_option("csv", "json", "acled", "ucdp",
               help="Input format (default: from the file name; ACLED and UCDP GED exports need acled or ucdp).")
@click.option("--skip-invalid", "rejects", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="With --format acled|ucdp: import the valid rows and write the rejected ones, with their reasons, here.")
@click.option("--from-text", "from_text", is_flag=True,
              help="The files are incident posts in the source format: each adds an incident or revises a stored one.")
@click.option("--date", "day", metavar="DATE",
              help="With --from-text: the post's date; a toll update matches incidents of the 30 days before.")
@click.option("--yes", is_flag=True, help="With --from-text: apply what is shown (without it, nothing is written).")
@pass_ctx
@one_line_errors
def import_command(ctx: Context, files: tuple[Path, ...], fmt: str | None, rejects: Path | None,
                   from_text: bool, day: str | None, yes: bool) -> None:
    """Import incidents from CSV or JSON files or ACLED / UCDP GED exports, each file all or nothing.

    Re-importing an updated ACLED or UCDP export records changed tolls as revisions.
    With --from-text, each file is a post: shown as a new incident or a revision, applied with --yes.
    """
    from .ingest.run import check_options

    check_options(files, fmt, rejects, from_text, day, yes)
    if from_text:
        _import_posts(ctx, files, day, yes)
    else:
        _import_files(ctx, files, fmt, rejects)


def _import_files(ctx: Context, files: tuple[Path, ...], fmt: str | None, rejects: Path | None) -> None:
    """One line per file as it is imported; warnings, and the rejects file's count, on stderr."""
    from .ingest.events import EventImport
    from .ingest.run import import_paths

    rejected = 0
    for result in import_paths(lambda: ctx.store(create=True), ctx.import_profile(), files, fmt, rejects):
        for warning in getattr(result, "warnings", ()):
            click.echo(f"reportgen: warning: {warning}", err=True)
        added = f"{result.file}: {counted(result.added, 'incident', 'incidents')} added"
        if not isinstance(result, EventImport):
            click.echo(f"{added}, {result.unchanged} already stored")
            continue
        rejected += len(result.rejected)
        skipped = f", {counted(len(result.rejected), 'row', 'rows')} rejected" if rejects else ""
        click.echo(f"{added}, {result.revised} revised, {result.unchanged} already stored{skipped}")
    if rejects:
        click.echo(f"{rejects}: {counted(rejected, 'rejected row', 'rejected rows')} with their reasons", err=True)


def _import_posts(ctx: Context, files: tuple[Path, ...], day: str | None, yes: bool) -> None:
    """Show what every post would do (a bad one stops all); apply the plans with --yes."""
    from .ingest.run import apply_plans, plan_posts
    from .parse.show import console, text_import_lines

    store = ctx.store(create=True)
    profile = ctx.profile(store)
    plans = plan_posts(store, profile, files, day)
    out = console()
    for plan in plans:
        for line in text_import_lines(plan):
            out.print(line)
    if not yes:
        if any(p.action != "nothing" for p in plans):
            click.echo("Nothing written: pass --yes to apply.", err=True)
        return
    for plan, written in apply_plans(store, plans, profile):
        click.echo(f"{plan.source}: {counted(written, 'record', 'records')} written", err=True)


@command("tally", "reportgen tally --year 2023", "reportgen tally --period 2023-06 --format json")
@year_option()
@period_option()
@as_of_option
@format_option("text", "json", default="text")
@pass_ctx
@one_line_errors
def tally(ctx: Context, year: str | None, period: str | None, as_of: str | None, fmt: str) -> None:
    """Print the cumulative tally and the regional distribution in the source format."""
    from .aggregate import summarize
    from .wording import tally_text

    store, scope = scoped_store(ctx, year, period, as_of)
    profile = ctx.profile(store)
    summary = summarize(store, profile, scope)
    if fmt == "json":
        click.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(tally_text(summary, profile, ctx.config.templates), nl=False)


def scoped_store(ctx: Context, year: str | None, period: str | None, as_of: str | None) -> tuple[Store, Scope]:
    """The database and the scope the options name, refused in one line when no incident is recorded in it."""
    from .periods import require_incidents, scope_of_options

    scope = scope_of_options(year, period, as_of)
    store = ctx.store()
    require_incidents(store, scope)
    return store, scope


@command("demo", "reportgen demo", "reportgen demo --db demo.db -o demo-output")
@click.option("--db", "demo_db", metavar="FILE|URL",
              help="The database to fill (default: the project's: reportgen.toml's db, $REPORTGEN_DB or ./reportgen.db).")
@output_option("Where to build the sample year's bulletins (default: reportgen.toml's output, or ./output).")
@pass_ctx
@one_line_errors
def demo(ctx: Context, demo_db: str | None, output: str | None) -> None:
    """Import the illustrative 2023 sample data into the project's database, build its bulletins and print its tally.

    The database must hold no incidents, or be the demo's own, unchanged since: then its data is
    kept and only the bulletins that changed are built again.
    """
    from .demo import SAMPLE_YEAR, next_commands, run_demo
    from .store import shown_location

    location, out = demo_db or ctx.config.db, output or ctx.config.output

    def imported(where: str, incidents: int, revisions: int) -> None:
        click.echo(f"Imported {counted(incidents, 'illustrative incident', 'illustrative incidents')}"
                   f" and {counted(revisions, 'revision', 'revisions')} into {where}", err=True)

    def kept(where: str) -> None:
        click.echo(f"{where} already holds the demo's sample: kept as it is", err=True)

    with BuildProgress(out) as progress:
        run = run_demo(location, out, lambda profile: _render_settings(ctx, profile), imported,
                       progress.planned, progress.built, kept)
    up_to_date = f", {run.unchanged} up to date" if run.unchanged else ""
    click.echo(f"Built {counted(run.built, 'bulletin', 'bulletins')} of {SAMPLE_YEAR} into {Path(out).resolve()}{up_to_date}",
               err=True)
    click.echo(run.tally, nl=False)
    elsewhere = demo_db is not None and demo_db != ctx.config.db
    click.echo(f"The demo's database is {shown_location(location)}; next, try:", err=True)
    for line in next_commands(shown_location(location) if elsewhere else None):
        click.echo(f"  {line}", err=True)


@command("build", "reportgen build", "reportgen build --period 2023-06 --force")
@period_option("One month's bulletin (YYYY-MM) or one year's (YYYY).", metavar="YYYY-MM|YYYY")
@year_option("A year's monthly bulletins and its year bulletin.")
@click.option("--all", "all_", is_flag=True, help="Every month and year with data (the default).")
@output_option("Output folder (default: reportgen.toml's output, or ./output).")
@as_of_option
@click.option("--jobs", "-j", "processes", metavar="N", help="Render N bulletins at once, in N processes (default: 1).")
@click.option("--executor", metavar="URL",
              help="Render on a Dask cluster (the dask extra): dask://HOST:PORT on this machine, tls://HOST:PORT elsewhere.")
@click.option("--force", is_flag=True, help="Build every selected bulletin again, changed or not.")
@click.option("--dry-run", "dry_run", is_flag=True, help="Only list which bulletins would be built and why; write nothing.")
@pass_ctx
@one_line_errors
def build(ctx: Context, period: str | None, year: str | None, all_: bool, output: str | None, as_of: str | None,
          processes: str | None, executor: str | None, force: bool, dry_run: bool) -> None:
    """Build bulletins (HTML, PDF, text, summary JSON) into OUTPUT/YYYY/MM/ and OUTPUT/YYYY/year/.

    Only the bulletins whose data, templates, profile or settings changed since the last build
    (recorded in OUTPUT/reportgen-manifest.json) are built again; each is listed with the reason.
    """
    from .build import build_selection
    from .build.executors import executor_for

    elsewhere = executor_for(processes, executor, ctx.config.db)
    store = ctx.store(create=False)
    profile, out = ctx.profile(store), output or ctx.config.output
    with BuildProgress(out, plan_lines=True, dry_run=dry_run) as progress:
        build_selection(store, profile, out, _render_settings(ctx, profile), period=period, year=year, all_=all_,
                        as_of=as_of, force=force, dry_run=dry_run, executor=elsewhere,
                        on_plan=progress.planned, on_built=progress.built)


def _render_settings(ctx: Context, profile):
    from .render import RenderSettings

    return RenderSettings(profile, templates=ctx.config.templates, organisation=ctx.config.organisation)


class BuildProgress:
    """What a build says as it goes: its plan's lines (with ``plan_lines``), then each bulletin's folder
    on stderr as it is written, under a progress bar when more than one is built on a terminal."""

    def __init__(self, output: str, plan_lines: bool = False, dry_run: bool = False) -> None:
        self.output, self.plan_lines, self.dry_run = output, plan_lines, dry_run
        self._closing = contextlib.ExitStack()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> BuildProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.close()

    def planned(self, plan: BuildPlan) -> None:
        if self.plan_lines:
            from .build.plan import plan_lines

            for line in plan_lines(plan):
                click.echo(line)
        if not self.dry_run and len(plan.todo) > 1:
            self._start_bar(len(plan.todo))

    def built(self, done: Built) -> None:
        folder = str(Path(self.output, *done.job.folder)) + "/"
        if self._bar is None:
            click.echo(folder, err=True)
            return
        self._bar.console.print(folder, markup=False, highlight=False)
        self._bar.advance(self._task)

    def _start_bar(self, total: int) -> None:
        from rich.console import Console

        console = Console(stderr=True)
        if not console.is_terminal:  # a bar on a pipe or file would leave an empty line
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        self._bar = self._closing.enter_context(Progress(*columns, console=console, transient=True))
        self._task = self._bar.add_task("Building bulletins", total=total)


@command("revise", 'reportgen revise 2023-01-003 --killed combatants=3 --injured combatants=1 --reason "died of wounds"')
@incident_argument
@click.option("--killed", multiple=True, metavar="CATEGORY[/SUBGROUP]=N", help="The new number killed (repeatable).")
@click.option("--injured", multiple=True, metavar="CATEGORY[/SUBGROUP]=N", help="The new number injured (repeatable).")
@click.option("--reason", metavar="TEXT", default="", help='Why the toll changed, e.g. "died of wounds" (required).')
@click.option("--recorded", metavar="DATE", help="When it was recorded: YYYY-MM-DD[THH:MM[:SS]], with an offset (+03:00, Z) or a zone"
              " (' Asia/Damascus'); without, in reportgen.toml's timezone (default UTC). Default: now.")
@click.option("--correction", is_flag=True, help="Allow figures to fall: the revision corrects an error.")
@pass_ctx
@one_line_errors
def revise_command(
    ctx: Context, incident_id: str, killed: tuple[str, ...], injured: tuple[str, ...], reason: str,
    recorded: str | None, correction: bool,
) -> None:
    """Append a revision of an incident's toll (old and new figures, reason, when, by whom)."""
    from .revise import parse_changes, revise

    store = ctx.store()
    changes = parse_changes(list(killed), list(injured))
    revisions = revise(store, ctx.profile(store), incident_id, changes, reason, recorded_at=recorded,
                       correction=correction, recorded_by=ctx.config.recorded_by, zone=ctx.config.timezone)
    for rev in revisions:
        label = f"{rev.category}/{rev.subgroup}" if rev.subgroup else rev.category
        click.echo(f"{rev.incident_id}: {label} killed {rev.killed_old} -> {rev.killed_new},"
                   f" injured {rev.injured_old} -> {rev.injured_new} (recorded {rev.recorded_at})")


@command("history", "reportgen history 2023-DZ-SHAJIRY", "reportgen history 2023-DZ-SHAJIRY --format json")
@incident_argument
@format_option("table", "json", default="table")
@pass_ctx
@one_line_errors
def history_command(ctx: Context, incident_id: str, fmt: str) -> None:
    """List an incident's revisions and its current figures."""
    from .revise import history, history_tables

    item = history(ctx.store(), incident_id)
    if fmt == "json":
        click.echo(json.dumps(item.to_dict(), indent=2, ensure_ascii=False))
        return
    from .console import stdout_console

    console = stdout_console(highlight=False)
    for table in history_tables(item):
        console.print(table)


@command("notice", "reportgen notice 2023-DZ-SHAJIRY", "reportgen notice 2023-DZ-SHAJIRY --format html -o notice.html")
@incident_argument
@format_option("text", "html", default="text")
@as_of_option
@output_option("Write to this file (default: standard output).", file=True)
@pass_ctx
@one_line_errors
def notice_command(ctx: Context, incident_id: str, fmt: str, as_of: str | None, output: Path | None) -> None:
    """A toll-update notice for the incident's latest revision (recorded by --as-of), with the year's tally."""
    from .notice import build_notice, notice_html, notice_text, write_output
    from .periods import parse_date

    day = parse_date(as_of, "--as-of") if as_of else None
    store = ctx.store()
    profile = ctx.profile(store)
    notice = build_notice(store, profile, incident_id, day)
    render = notice_html if fmt == "html" else notice_text
    text = render(notice, profile, ctx.config.templates)
    if output is None:
        click.echo(text, nl=False)
        return
    write_output(output, text)
    click.echo(f"{output}: {fmt} notice of the revision recorded {notice.recorded_at}", err=True)


@command("export", "reportgen export incidents -o incidents.csv", "reportgen export summary --period 2023-06 --format json")
@click.argument("what", type=click.Choice(["incidents", "summary"]))
@format_option("csv", "json", "parquet", default="csv")
@period_option("A month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY); incidents: all without it.")
@year_option()
@as_of_option
@output_option("Write to this file (default: standard output; parquet needs a file).", file=True)
@pass_ctx
@one_line_errors
def export_command(ctx: Context, what: str, fmt: str, period: str | None, year: str | None, as_of: str | None,
                   output: Path | None) -> None:
    """Export incidents (current tolls and revision history) or a period's summary as CSV, JSON or Parquet."""
    from .export import export_incidents, export_summary, write_atomic

    if output is None and fmt == "parquet":
        raise ReportgenError("--format parquet writes binary data: give --output FILE")
    if what == "summary":
        from .aggregate import summarize

        store, scope = scoped_store(ctx, year, period, as_of)
        profile = ctx.profile(store)
        data = export_summary(summarize(store, profile, scope), fmt, profile)
    else:
        from .periods import scope_of_options

        if as_of:
            raise ReportgenError("--as-of applies to summaries; incidents are exported with their current tolls")
        chosen = scope_of_options(year, period, None) if year or period else None
        store = ctx.store()
        data = export_incidents(store, ctx.profile(store), fmt, chosen)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_atomic(output, data)
    click.echo(f"{output}: {what} as {fmt}", err=True)


@command("parse", "reportgen parse seeds/000_93b1b6f763f6354e.txt", "reportgen parse --format json post.txt")
@files_argument
@format_option("table", "json", default="table")
@pass_ctx
@one_line_errors
def parse_command(ctx: Context, files: tuple[Path, ...], fmt: str) -> None:
    """Read tallies and incident posts in the source format: every field, found or not, and the unused sentences.

    Exit status 1 if a file holds neither a tally nor an incident.
    """
    from .parse import parse_file
    from .parse.show import console, reading_tables

    profile = ctx.profile()
    readings = [parse_file(path, profile) for path in files]
    if fmt == "json":
        click.echo(json.dumps([r.to_dict() for r in readings], indent=2, ensure_ascii=False))
    else:
        out = console()
        for reading in readings:
            for table in reading_tables(reading):
                out.print(table)
    if any(r.tally is None and r.incident is None for r in readings):
        sys.exit(1)


@command("check", "reportgen check seeds/000_93b1b6f763f6354e.txt",
         "reportgen check --against-db --as-of 2023-06-25 seeds/000_93b1b6f763f6354e.txt")
@files_argument
@click.option("--against-db", "against_db", is_flag=True, help="Also compare each line with the database's figures for the tally's year.")
@year_option("The tally's year, where the text does not say it.", type=int)
@as_of_option
@format_option("table", "json", default="table")
@pass_ctx
@one_line_errors
def check_command(ctx: Context, files: tuple[Path, ...], against_db: bool, year: int | None, as_of: str | None, fmt: str) -> None:
    """Check that a published tally adds up (and, with --against-db, matches the database).

    Exit status 1 if any check fails.
    """
    from .check import check_files, inconsistencies
    from .parse.show import console, findings_table
    from .periods import parse_date

    day = parse_date(as_of, "--as-of") if as_of else None
    if as_of and not against_db:
        raise ReportgenError("--as-of applies with --against-db")
    store = ctx.store() if against_db else None
    reports = check_files(files, ctx.profile(store), store, year, day)
    if fmt == "json":
        click.echo(json.dumps([r.to_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        out = console()
        for r in reports:
            wrong = counted(len(inconsistencies(r.findings)), "inconsistent line", "inconsistent lines")
            out.print(findings_table(f"{r.source} ({r.label})", r.findings, wrong))
            if r.scope is not None:
                differ = counted(len(inconsistencies(r.database)), "line differs", "lines differ")
                out.print(findings_table(f"{r.source} ({r.label})", r.database, f"against the database ({r.scope.key}"
                                         f"{', as of ' + r.scope.as_of.isoformat() if r.scope.as_of else ''}): {differ}"))
    if any(r.problems for r in reports):
        sys.exit(1)


@command("profiles", "reportgen profiles")
@pass_ctx
@one_line_errors
def profiles_command(ctx: Context) -> None:
    """List the shipped profiles: name, language, title and category keys."""
    from .profile_check import shipped_profile_list

    for p in shipped_profile_list():
        click.echo(f"{p.name:<14} {p.language:<3} {p.title} (categories: {', '.join(p.categories)})")


@main.group("profile", epilog=examples("reportgen profile check my-project/profiles/syrian-desert.toml"))
def profile_group() -> None:
    """Work with profile files."""


@profile_group.command("check", epilog=examples("reportgen profile check my-project/profiles/syrian-desert.toml"))
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
@one_line_errors
def profile_check_command(ctx: Context, file: Path) -> None:
    """Check a profile file: every problem, FILE:LINE: what is wrong. Exit status 1 if any."""
    from .profile_check import check_profile_file

    if not file.is_file():
        raise ReportgenError(f"{file}: profile file not found")
    problems = check_profile_file(file)
    for problem in problems:
        click.echo(problem.shown(file))
    if problems:
        sys.exit(1)
    click.echo(f"{file}: a valid profile")


@command("init", "reportgen init my-project", "reportgen init --profile landmines mine")
@click.argument("directory", metavar="[DIR]", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--profile", "profile_name", metavar="NAME", default="syrian-desert", show_default=True,
              help="The shipped profile to copy into DIR/profiles/ for editing.")
@pass_ctx
@one_line_errors
def init_command(ctx: Context, directory: Path, profile_name: str) -> None:
    """Start a project in DIR (default: here): a commented reportgen.toml, templates/ with an example
    override, and a copy of a shipped profile to edit. Existing files are never overwritten."""
    from .project import init_project

    for path in init_project(directory, profile_name):
        click.echo(f"{path}: written")


@command("preview", "reportgen preview", "reportgen preview --port 8123 -o public")
@click.option("--port", metavar="N", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", metavar="ADDRESS", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep the loopback default unless you mean it.")
@output_option("Where built copies are compared from (default: reportgen.toml's output, or ./output).")
@pass_ctx
@one_line_errors
def preview_command(ctx: Context, port: int, host: str, output: str | None) -> None:
    """Serve live drafts of every bulletin, reloading open pages when data, profile or templates change."""
    from .binding import source_of
    from .preview import PreviewSettings, serve

    config = ctx.config
    store = ctx.store()
    profile = ctx.profile(store)  # the site loads it again by this name or path (and again when it changes)
    store.close()
    settings = PreviewSettings(db=config.db, profile=source_of(profile), templates=config.templates,
                               output=output or config.output, organisation=config.organisation)
    serve(settings, host, port, announce=lambda line: click.echo(line, err=True))


if __name__ == "__main__":
    main()
