"""The command line: parses arguments and calls library functions.

Heavy libraries (pandas, Altair, WeasyPrint) are imported inside the commands
that need them, so ``reportgen --help`` answers at once.
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .config import Config, load_config
from .errors import ReportgenError

if TYPE_CHECKING:
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

        where = store.path if store is not None else self.config.db
        return choose_profile(where, self.config.profile, store.binding() if store is not None else None)

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


def one_line_errors(func):
    """Turn known failures into one line on stderr and exit status 1 (a traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            message = one_line_message(exc)
            if message is None:
                raise
            _fail(message, getattr(exc, "exit_code", 1))

    return wrapper


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH", help="Database file (default: reportgen.toml's db, $REPORTGEN_DB or ./reportgen.db).")
@click.option("--profile", metavar="NAME_OR_PATH", help="A shipped profile by name or a profile file by path.")
@click.option("--config", "config_path", metavar="PATH", help="Config file (default: ./reportgen.toml).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="reportgen")
@click.pass_context
@one_line_errors
def main(ctx: click.Context, db: str | None, profile: str | None, config_path: str | None, debug: bool) -> None:
    """Turn a database of documented incidents into periodic summary bulletins."""
    ctx.obj = Context(load_config(config_path).with_overrides(db=db, profile=profile), debug)


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "acled", "ucdp"]),
              help="Input format (default: from the file name; ACLED and UCDP GED exports need acled or ucdp).")
@click.option("--skip-invalid", "rejects", metavar="REJECTS.csv", type=click.Path(dir_okay=False, path_type=Path),
              help="With --format acled|ucdp: import the valid rows and write the rejected ones, with their reasons, here.")
@click.option("--from-text", "from_text", is_flag=True,
              help="The files are incident posts in the source format: each adds an incident or revises a stored one.")
@click.option("--date", "day", metavar="DATE",
              help="With --from-text: the post's date (YYYY-MM-DD); a toll update matches incidents of the 30 days before.")
@click.option("--yes", is_flag=True, help="With --from-text: apply what is shown (without it, nothing is written).")
@pass_ctx
@one_line_errors
def import_command(ctx: Context, files: tuple[Path, ...], fmt: str | None, rejects: Path | None,
                   from_text: bool, day: str | None, yes: bool) -> None:
    """Import incidents from CSV or JSON files or ACLED / UCDP GED exports, each file all or nothing.

    Re-importing an updated ACLED or UCDP export records changed tolls as revisions.
    With --from-text, each file is a post: shown as a new incident or a revision, applied with --yes.
    """
    if from_text:
        _import_from_text(ctx, files, fmt or rejects, day, yes)
        return
    if yes or day:
        raise ReportgenError("--yes and --date apply only with --from-text")
    from .ingest import DATASETS, import_files

    if fmt not in DATASETS:
        if rejects:
            raise ReportgenError("--skip-invalid works with --format acled or ucdp")
        for result in import_files(lambda: ctx.store(create=True), ctx.import_profile(), files, fmt):
            click.echo(f"{result.file}: {counted(result.added, 'incident', 'incidents')} added, {result.unchanged} already stored")
        return
    from .export import write_atomic
    from .ingest.events import import_event_files, rejects_csv

    if rejects and any(rejects.resolve() == f.resolve() for f in files):
        raise ReportgenError(f"--skip-invalid {rejects}: that is an input file; name another file for the rejected rows")
    rejected: list = []
    for result in import_event_files(lambda: ctx.store(create=True), ctx.import_profile(), files, DATASETS[fmt], rejects is not None):
        for warning in result.warnings:
            click.echo(f"reportgen: warning: {warning}", err=True)
        rejected += result.rejected
        skipped = f", {counted(len(result.rejected), 'row', 'rows')} rejected" if rejects else ""
        click.echo(f"{result.file}: {counted(result.added, 'incident', 'incidents')} added, {result.revised} revised,"
                   f" {result.unchanged} already stored{skipped}")
        if rejects:
            write_atomic(rejects, rejects_csv(rejected).encode("utf-8"))
    if rejects:
        click.echo(f"{rejects}: {counted(len(rejected), 'rejected row', 'rejected rows')} with their reasons", err=True)


def _import_from_text(ctx: Context, files: tuple[Path, ...], other: object, day: str | None, yes: bool) -> None:
    """Plan every post first (a bad one stops all), show the plans, then apply them with --yes."""
    from .parse import parse_file
    from .parse.from_text import apply_plan, plan_from_text
    from .parse.show import console, text_import_lines
    from .periods import parse_date

    if other:
        raise ReportgenError("--from-text reads posts: --format and --skip-invalid do not apply")
    store = ctx.store(create=True)
    profile = ctx.profile(store)
    when = parse_date(day, "--date") if day else None
    plans = [plan_from_text(store, profile, parse_file(path, profile), when) for path in files]
    out = console()
    for plan in plans:
        for line in text_import_lines(plan):
            out.print(line)
    if not yes:
        if any(p.action != "nothing" for p in plans):
            click.echo("Nothing written: pass --yes to apply.", err=True)
        return
    for plan in plans:
        written = apply_plan(store, plan, profile)
        click.echo(f"{plan.source}: {counted(written, 'record', 'records')} written", err=True)


def _as_of_option(func):
    return click.option("--as-of", "as_of", metavar="DATE", help="Figures as recorded by this day (YYYY-MM-DD).")(func)


@main.command()
@click.option("--year", type=str, help="The year (YYYY); the whole year, or up to --as-of.")
@click.option("--period", type=str, help="A month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY).")
@_as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_ctx
@one_line_errors
def tally(ctx: Context, year: str | None, period: str | None, as_of: str | None, fmt: str) -> None:
    """Print the cumulative tally and the regional distribution in the source format."""
    from .aggregate import summarize
    from .wording import tally_text

    store, scope = scoped_store(ctx, tally_scope(year, period, as_of))
    profile = ctx.profile(store)
    summary = summarize(store, profile, scope)
    if fmt == "json":
        click.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(tally_text(summary, profile, ctx.config.templates), nl=False)


def scoped_store(ctx: Context, scope: Scope) -> tuple[Store, Scope]:
    """The database and ``scope``, refused in one line when no incident is recorded in it."""
    from .periods import require_incidents

    store = ctx.store()
    require_incidents(store, scope)
    return store, scope


def tally_scope(year: str | None, period: str | None, as_of: str | None) -> Scope:
    """The scope the options name; a year with --as-of is the year to that day."""
    from .periods import parse_date, parse_period, ytd_scope

    if bool(year) == bool(period):
        raise ReportgenError("give one of --year YYYY or --period YYYY-MM|YYYY-Qn|YYYY")
    day = parse_date(as_of, "--as-of") if as_of else None
    scope = parse_period(year or period, day)
    if year and scope.kind != "year":
        raise ReportgenError(f"--year {year!r}: expected YYYY")
    if scope.kind == "year" and day and day.year == scope.year:
        return ytd_scope(day)
    return scope


@main.command()
@click.option("--db", "demo_db", metavar="PATH", help="Where to create the demo database (default: a temporary directory).")
@click.option("--output", metavar="DIR", default="output", show_default=True, help="Where to build the sample year's bulletins.")
@pass_ctx
@one_line_errors
def demo(ctx: Context, demo_db: str | None, output: str) -> None:
    """Import the illustrative 2023 sample data into a fresh database, build its bulletins and print its tally."""
    from .aggregate import summarize
    from .build import plan_jobs
    from .demo import SAMPLE_YEAR, load_sample
    from .incremental import plan_build
    from .periods import year_scope
    from .profile import load_profile
    from .store import is_server_url, open_store
    from .wording import tally_text

    workdir = Path(tempfile.mkdtemp(prefix="reportgen-demo-"))
    location = demo_db or str(workdir / "reportgen.db")
    if not is_server_url(location) and Path(location).exists():
        raise ReportgenError(f"{location}: already exists; the demo makes a fresh database")
    profile = load_profile("syrian-desert")
    store = open_store(location)
    if store.count_incidents():  # a server's database is made by its administrator: fresh means without data
        store.close()
        raise ReportgenError(f"{store.path}: already holds data; the demo makes a fresh database")
    incidents, revisions = load_sample(store, profile)
    click.echo(f"Imported {counted(incidents, 'illustrative incident', 'illustrative incidents')}"
               f" and {counted(revisions, 'revision', 'revisions')} into {store.path}", err=True)
    plan = plan_build(store, profile, plan_jobs(store, year=str(SAMPLE_YEAR)), output, _render_settings(ctx, profile))
    built = _build_with_progress(ctx, store, profile, plan, output)
    click.echo(f"Built {counted(len(built), 'bulletin', 'bulletins')} of {SAMPLE_YEAR} into {Path(output).resolve()}", err=True)
    summary = summarize(store, profile, year_scope(SAMPLE_YEAR))
    click.echo(tally_text(summary, profile, ctx.config.templates), nl=False)


@main.command()
@click.option("--period", metavar="YYYY-MM|YYYY", help="One month's bulletin (YYYY-MM) or one year's (YYYY).")
@click.option("--year", metavar="YYYY", help="A year's monthly bulletins and its year bulletin.")
@click.option("--all", "all_", is_flag=True, help="Every month and year with data (the default).")
@click.option("--output", metavar="DIR", help="Output folder (default: reportgen.toml's output, or ./output).")
@_as_of_option
@click.option("--jobs", "-j", "processes", metavar="N", help="Render N bulletins at once, in N processes (default: 1).")
@click.option("--executor", metavar="dask://HOST:PORT",
              help="Render on a Dask cluster (the dask extra): dask:// on this machine, tls:// elsewhere.")
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
    from .build import plan_jobs
    from .executors import executor_for
    from .incremental import build_plan_lines, plan_build, strays_among
    from .periods import parse_date

    if all_ and (period or year):
        raise ReportgenError("give --all, --period or --year, not several")
    day = parse_date(as_of, "--as-of") if as_of else None
    elsewhere = executor_for(processes, executor, ctx.config.db)
    store = ctx.store(create=False)
    jobs = plan_jobs(store, period=period, year=year, as_of=day)
    profile, out = ctx.profile(store), output or ctx.config.output
    plan = plan_build(store, profile, jobs, out, _render_settings(ctx, profile), force=force,
                      strays=None if period else strays_among(jobs, everything=year is None))
    for line in build_plan_lines(plan):
        click.echo(line)
    if not dry_run:
        _build_with_progress(ctx, store, profile, plan, out, elsewhere)


def _render_settings(ctx: Context, profile):
    from .render import RenderSettings

    return RenderSettings(profile, templates=ctx.config.templates, organisation=ctx.config.organisation)


def _build_with_progress(ctx: Context, store, profile, plan, output: str, executor=None) -> list:
    """Build what ``plan`` (a ``build.BuildPlan``) builds into ``output`` (here, or with an ``executors``
    executor), with a progress bar on stderr when there is more than one."""
    from .incremental import run_build

    settings = _render_settings(ctx, profile)

    def report(done) -> None:
        click.echo(str(Path(output, *done.job.folder)) + "/", err=True)

    if len(plan.todo) < 2:
        return run_build(store, profile, plan, output, settings, report, executor)
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:  # a bar on a pipe or file would leave an empty line
        return run_build(store, profile, plan, output, settings, report, executor)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Building bulletins", total=len(plan.todo))

        def advance(done) -> None:
            progress.console.print(str(Path(output, *done.job.folder)) + "/", markup=False, highlight=False)
            progress.advance(task)

        return run_build(store, profile, plan, output, settings, advance, executor)


@main.command("revise")
@click.argument("incident_id")
@click.option("--killed", multiple=True, metavar="CATEGORY[/SUBGROUP]=N", help="The new number killed (repeatable).")
@click.option("--injured", multiple=True, metavar="CATEGORY[/SUBGROUP]=N", help="The new number injured (repeatable).")
@click.option("--reason", default="", help='Why the toll changed, e.g. "died of wounds" (required).')
@click.option("--recorded", metavar="DATE", help="When it was recorded: YYYY-MM-DD[THH:MM[:SS]] (default: now, local time).")
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
                       correction=correction, recorded_by=ctx.config.recorded_by)
    for rev in revisions:
        label = f"{rev.category}/{rev.subgroup}" if rev.subgroup else rev.category
        click.echo(f"{rev.incident_id}: {label} killed {rev.killed_old} -> {rev.killed_new},"
                   f" injured {rev.injured_old} -> {rev.injured_new} (recorded {rev.recorded_at})")


@main.command("history")
@click.argument("incident_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_ctx
@one_line_errors
def history_command(ctx: Context, incident_id: str, fmt: str) -> None:
    """List an incident's revisions and its current figures."""
    from .revise import history, history_tables

    item = history(ctx.store(), incident_id)
    if fmt == "json":
        click.echo(json.dumps(item.to_dict(), indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    console = Console(highlight=False)
    for table in history_tables(item):
        console.print(table)


@main.command("notice")
@click.argument("incident_id")
@click.option("--format", "fmt", type=click.Choice(["text", "html"]), default="text", show_default=True)
@_as_of_option
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: standard output).")
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


@main.command("export")
@click.argument("what", type=click.Choice(["incidents", "summary"]))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet"]), default="csv", show_default=True)
@click.option("--period", type=str, help="A month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY); incidents: all without it.")
@click.option("--year", type=str, help="The year (YYYY); the whole year, or up to --as-of.")
@_as_of_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output; parquet needs a file).")
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

        store, scope = scoped_store(ctx, tally_scope(year, period, as_of))
        profile = ctx.profile(store)
        data = export_summary(summarize(store, profile, scope), fmt, profile)
    else:
        if as_of:
            raise ReportgenError("--as-of applies to summaries; incidents are exported with their current tolls")
        scope = tally_scope(year, period, None) if year or period else None
        store = ctx.store()
        data = export_incidents(store, ctx.profile(store), fmt, scope)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_atomic(output, data)
    click.echo(f"{output}: {what} as {fmt}", err=True)


@main.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
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


@main.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--against-db", "against_db", is_flag=True, help="Also compare each line with the database's figures for the tally's year.")
@click.option("--year", type=int, help="The tally's year, where the text does not say it.")
@_as_of_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_ctx
@one_line_errors
def check_command(ctx: Context, files: tuple[Path, ...], against_db: bool, year: int | None, as_of: str | None, fmt: str) -> None:
    """Check that a published tally adds up (and, with --against-db, matches the database).

    Exit status 1 if any check fails.
    """
    from .check import check_reading, inconsistencies
    from .parse import parse_file
    from .parse.show import console, findings_table
    from .periods import parse_date

    day = parse_date(as_of, "--as-of") if as_of else None
    db_summary, store = None, None
    if against_db:
        from .aggregate import summarize

        store = ctx.store()
        db_summary = lambda scope: summarize(store, profile, scope)  # noqa: E731 - one call site
    elif as_of:
        raise ReportgenError("--as-of applies with --against-db")
    profile = ctx.profile(store)
    reports = [r for path in files for r in check_reading(parse_file(path, profile), profile, db_summary, year, day)]
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


@main.command("preview")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; keep the loopback default unless you mean it.")
@click.option("--output", metavar="DIR", help="Where built copies are compared from (default: reportgen.toml's output, or ./output).")
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
