"""Readable tables of readings, checks and import plans (rich), with data never read as markup.

Every value from a post goes to rich as a ``Text`` object, so ``[bold]`` or
``[/]`` in a post is shown as written; control characters are shown escaped.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..check import Finding
from ..console import stdout_console
from .from_text import Plan
from .result import Reading

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
SHOWN_CHARS = 160


def plain(value: object) -> Text:
    """A value as inert text: control characters escaped, very long text cut."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    if len(text) > SHOWN_CHARS:
        text = text[: SHOWN_CHARS - 1] + "…"
    return Text(text)


def console() -> Console:
    return stdout_console(markup=False, highlight=False, emoji=False, soft_wrap=True)


def _heading(reading: Reading) -> Text:
    parts = [reading.source, f"profile {reading.profile}"]
    if reading.tally:
        year = reading.tally.year or "year not found"
        parts.append(f"tally {year}, {reading.tally.total_kind}")
    if reading.incident:
        parts.append("incident post")
    if not reading.tally and not reading.incident:
        parts.append("no tally or incident found")
    return plain(" | ".join(str(p) for p in parts))


def reading_tables(reading: Reading) -> list[Table | Text]:
    """The fields found (and not found) in a post, then the sentences not used."""
    fields = Table(title=_heading(reading), title_justify="left")
    fields.add_column("field", no_wrap=True)
    fields.add_column("value", min_width=18, overflow="fold")
    fields.add_column("found")
    fields.add_column("line")
    fields.add_column("note", min_width=12, overflow="fold")
    for f in reading.fields:
        fields.add_row(plain(f.field), plain(f.value if f.found else "—"), plain("yes" if f.found else "no"),
                       plain(f.line or ""), plain(f.note))
    shown: list[Table | Text] = [fields]
    if reading.tally and reading.tally.labels:
        names = Table(title=plain("named in the text, not in the profile"), title_justify="left")
        names.add_column("key")
        names.add_column("as written", overflow="fold")
        for key, label in reading.tally.labels.items():
            names.add_row(plain(key), plain(label))
        shown.append(names)
    if reading.unused:
        unused = Table(title=plain(f"sentences not used ({len(reading.unused)})"), title_justify="left")
        unused.add_column("line")
        unused.add_column("text", overflow="fold")
        for u in reading.unused:
            unused.add_row(plain(u.line), plain(u.text))
        shown.append(unused)
    return shown


def findings_table(source: str, findings: list[Finding], title: str) -> Table:
    """One row per comparison: the text's figure, the computed one, and whether they agree."""
    table = Table(title=plain(f"{source}: {title}"), title_justify="left")
    for column in ("check", "line", "what", "text", "computed", "result"):
        table.add_column(column, overflow="fold")
    for f in findings:
        result = "ok" if f.ok else "DIFFERS" if f.check == "database" else "INCONSISTENT"
        computed = "—" if f.computed is None else f"{_RELATION[f.relation]} {f.computed}"
        table.add_row(plain(f.check), plain(f.line or ""), plain(f.subject), plain("—" if f.stated is None else f.stated),
                      plain(computed), plain(result))
    return table


_RELATION = {"=": "=", ">=": "≥", "<=": "≤"}


def text_import_lines(plan: Plan) -> list[Text]:
    """What an import from text would do, one line each."""
    lines = []
    if plan.action == "revise":
        lines.append(plain(f"{plan.source}: toll update of incident {plan.incident_id} ({plan.reason})"))
        for r in plan.revisions:
            what = f"{r.category}/{r.subgroup}" if r.subgroup else r.category
            lines.append(plain(f"  {what}: killed {r.killed_old} -> {r.killed_new}, injured {r.injured_old} -> {r.injured_new}"))
    elif plan.action == "add":
        i = plan.incident
        assert i is not None, plan.incident_id  # a plan to add has its incident
        lines.append(plain(f"{plan.source}: new incident {i.id} on {i.date} at {i.location or i.region}"
                           f" ({i.kind} by {i.perpetrator})"))
        for c in i.casualties:
            if c.killed or c.injured:
                what = f"{c.category}/{c.subgroup}" if c.subgroup else c.category
                lines.append(plain(f"  {what}: {c.killed} killed, {c.injured} injured"))
    else:
        lines.append(plain(f"{plan.source}: incident {plan.incident_id}: nothing to change"))
    lines += [plain(f"  note: {n}") for n in plan.notes]
    return lines
