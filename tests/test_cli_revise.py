"""The revise and history commands through the real entry point, on a copy of the sample data (on either store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from stores import revision_count, shown

from reportgen.store import open_store

SHAJIRY = "2023-DZ-SHAJIRY"


@pytest.fixture
def db(sample_location):
    return sample_location


def snapshot(path):
    """What a refused command must leave alone: the write counter, the revisions, the figures."""
    store = open_store(path, create=False)
    try:
        return store.data_version(), revision_count(store), store.incident(SHAJIRY).casualties
    finally:
        store.close()


def test_revise_appends_the_revisions_and_prints_them(cli, db, tmp_path):
    config = tmp_path / "reportgen.toml"
    config.write_text('recorded_by = "night desk"\n', encoding="utf-8")
    before = snapshot(db)
    result = cli("--db", db, "--config", config, "revise", SHAJIRY, "--killed", "combatants=6",
                 "--injured", "combatants=16", "--reason", "died of wounds", "--recorded", "2023-06-28")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{SHAJIRY}: combatants killed 5 -> 6, injured 17 -> 16 (recorded 2023-06-28)",
        f"{SHAJIRY}: combatants/national-defence killed 5 -> 6, injured 17 -> 16 (recorded 2023-06-28)",
    ]
    version, revisions, _ = snapshot(db)
    assert (version, revisions) == (before[0] + 1, before[1] + 2)
    data = json.loads(cli("--db", db, "history", SHAJIRY, "--format", "json").stdout)
    assert [(r["killed_new"], r["recorded_by"]) for r in data["revisions"]] == [(5, ""), (5, ""), (6, "night desk"), (6, "night desk")]


def test_revise_without_recorded_takes_now(cli, db):
    result = cli("--db", db, "revise", SHAJIRY, "--killed", "combatants=6", "--reason", "died of wounds")
    assert result.exit_code == 0, result.stderr
    data = json.loads(cli("--db", db, "history", SHAJIRY, "--format", "json").stdout)
    assert data["revisions"][-1]["recorded_at"] > "2024"


def test_a_correction_lowers_the_toll(cli, db):
    result = cli("--db", db, "revise", SHAJIRY, "--killed", "combatants=4", "--killed", "combatants/national-defence=4",
                 "--reason", "one death counted twice", "--recorded", "2023-06-27", "--correction")
    assert result.exit_code == 0, result.stderr
    tally = cli("--db", db, "tally", "--year", "2023").stdout
    assert "has increased to 561;" in tally


REFUSALS = [
    (["revise", "DZ-404", "--killed", "combatants=6"], "incident 'DZ-404': no such incident in"),
    (["revise", SHAJIRY, "--killed", "combatants=-6"], "--killed combatants: expected a whole number 0-999999, got '-6'"),
    (["revise", SHAJIRY, "--injured", "combatants=sixteen"], "--injured combatants: expected a whole number 0-999999, got 'sixteen'"),
    (["revise", SHAJIRY, "--killed", "combatants=6.5"], "expected a whole number 0-999999, got '6.5'"),
    (["revise", SHAJIRY, "--killed", "fighters=6"], "--killed: unknown category 'fighters'"),
    (["revise", SHAJIRY, "--killed", "combatants/militia=6"], "--killed: unknown subgroup combatants/militia"),
    (["revise", SHAJIRY, "--killed", "combatants/national-defence=6"],
     "combatants/national-defence (6 killed, 17 injured) would be more than all combatants (5 killed, 17 injured)"),
    (["revise", SHAJIRY, "--injured", "combatants=16"],
     "--injured: combatants would fall from 17 to 16 injured, more than the 0 who died of wounds: pass --correction"),
    (["revise", SHAJIRY, "--killed", "combatants=4"],
     "combatants would fall from 5 to 4 killed: a decrease is a correction; pass --correction"),
    (["revise", SHAJIRY, "--killed", "combatants=5", "--injured", "combatants=17"], "nothing changes"),
    (["revise", SHAJIRY], "expected at least one --killed or --injured change"),
    (["revise", SHAJIRY, "--killed", "combatants=6", "--recorded", "2023-06-20"],
     "--recorded: expected a date on or after the incident's date and recording (2023-06-24), got 2023-06-20"),
    (["revise", SHAJIRY, "--killed", "combatants=6", "--recorded", "2023-06-25"],
     "--recorded: expected a time on or after the incident's latest revision (2023-06-26), got 2023-06-25"),
    (["revise", SHAJIRY, "--killed", "combatants=6", "--recorded", "yesterday"], "--recorded: expected a date YYYY-MM-DD"),
    (["revise", SHAJIRY, "--killed", "combatants=6", "--recorded", "2999-01-01T10:00"], "--recorded: expected a date between 1900 and"),
    (["revise", SHAJIRY, "--killed", "combatants=6", "--reason", ""], "--reason: expected a value, got an empty field"),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS, ids=[m[:40] for _, m in REFUSALS])
def test_refusals_are_one_line_and_change_nothing(cli, db, args, message):
    if "--reason" not in args:
        args = [*args, "--reason", "died of wounds"]
    before = snapshot(db)
    result = cli("--db", db, *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("reportgen: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(db) == before


def test_history_table_shows_revisions_and_current_figures(cli, db):
    result = cli("--db", db, "history", SHAJIRY, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert f"{SHAJIRY}: 2023-06-24, Al-Shajiry Village, landmine" in result.stdout
    rows = [line for line in result.stdout.splitlines() if "died of wounds" in line]
    assert len(rows) == 2
    assert all("4 -> 5" in row and "18 -> 17" in row and "2023-06-26" in row for row in rows)
    assert "combatants/national-defence" in rows[1]
    assert "current figures" in result.stdout


REPORTGEN = [sys.executable, "-m", "reportgen.cli"]  # the command, in a process of its own


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_history_into_a_pipe_closed_early_exits_0_quietly(db, fmt):
    args = [*REPORTGEN, "--db", str(db), "history", SHAJIRY, "--format", fmt]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # the reader is gone before the command writes a byte
    error = child.stderr.read().decode()
    assert child.wait(timeout=120) == 0, error
    assert error == ""


def test_history_piped_into_head_exits_0(db):
    line = " ".join(["set -o pipefail;", *REPORTGEN, "--db", f"'{db}'", "history", SHAJIRY, "--format", "json", "| head -1"])
    done = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "{\n", "")


# -- one clock: recording times in UTC --------------------------------------------------------


def reportgen(db, *args: str, tz: str = "UTC", config: Path | None = None) -> subprocess.CompletedProcess:
    """The command in a process of its own, with the machine's time zone ``tz``."""
    options = ["--config", str(config)] if config else []
    return subprocess.run([*REPORTGEN, "--db", str(db), *options, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TZ": tz})


def recorded(db) -> list[str]:
    return [r["recorded_at"] for r in json.loads(reportgen(db, "history", SHAJIRY, "--format", "json").stdout)["revisions"]]


def test_now_is_recorded_in_utc_whatever_the_machine_s_zone(db):
    before = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    first = reportgen(db, "revise", SHAJIRY, "--killed", "combatants=6", "--reason", "a", tz="Pacific/Kiritimati")
    assert first.returncode == 0, first.stderr
    second = reportgen(db, "revise", SHAJIRY, "--killed", "combatants=7", "--reason", "b", tz="UTC")
    assert second.returncode == 0, second.stderr
    after = datetime.now(UTC).replace(tzinfo=None)
    times = [datetime.fromisoformat(t) for t in recorded(db)[-4:]]
    assert all(before <= t <= after for t in times), times


@pytest.mark.parametrize(("given", "tz", "zone", "stored"), [
    ("2023-06-28T10:00+03:00", "Pacific/Kiritimati", None, "2023-06-28T07:00:00"),
    ("2023-06-28T10:00:30Z", "Asia/Tokyo", None, "2023-06-28T10:00:30"),
    ("2023-06-28T10:00 Asia/Damascus", "UTC", None, "2023-06-28T07:00:00"),
    ("2023-06-28T10:00", "Asia/Tokyo", None, "2023-06-28T10:00:00"),  # the machine's zone plays no part
    ("2023-06-28T10:00", "UTC", "Asia/Damascus", "2023-06-28T07:00:00"),  # reportgen.toml's timezone
    ("2023-06-28", "Pacific/Kiritimati", "Asia/Damascus", "2023-06-28"),
])
def test_recorded_takes_an_offset_or_a_zone_and_stores_utc(db, tmp_path, given, tz, zone, stored):
    config = tmp_path / "reportgen.toml"
    config.write_text(f'timezone = "{zone}"\n' if zone else "", encoding="utf-8")
    done = reportgen(db, "revise", SHAJIRY, "--killed", "combatants=6", "--reason", "r", "--recorded", given, tz=tz,
                     config=config)
    assert done.returncode == 0, done.stderr
    assert recorded(db)[-1] == stored


def test_in_the_future_means_after_now_in_utc(db):
    now = datetime.now(UTC)
    kiritimati = (now - timedelta(minutes=1)).astimezone(ZoneInfo("Pacific/Kiritimati")).strftime("%Y-%m-%dT%H:%M")
    done = reportgen(db, "revise", SHAJIRY, "--killed", "combatants=6", "--reason", "r", "--recorded",
                     f"{kiritimati} Pacific/Kiritimati", tz="UTC")
    assert done.returncode == 0, done.stderr  # tomorrow's date there, but not after now
    later = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = reportgen(db, "revise", SHAJIRY, "--killed", "combatants=7", "--reason", "r", "--recorded", later,
                        tz="Pacific/Kiritimati")
    assert refused.returncode == 1 and "--recorded: expected a date between 1900 and now" in refused.stderr
    unknown = reportgen(db, "revise", SHAJIRY, "--killed", "combatants=7", "--reason", "r", "--recorded",
                        "2023-06-28T10:00 Mars/Olympus")
    assert unknown.returncode == 1 and "unknown time zone 'Mars/Olympus'" in unknown.stderr


def test_history_at_80_columns_keeps_each_category_on_one_line(cli, db):
    result = cli("--db", db, "history", SHAJIRY, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert [line.split("│")[2].strip() for line in result.stdout.splitlines() if "4 -> 5" in line] == [
        "combatants", "combatants/national-defence"]


def test_history_shows_rich_markup_literally(cli, db):
    reason = "[bold red]FAKE[/] [link=file:///etc/passwd]x[/link] [/]"
    assert cli("--db", db, "revise", SHAJIRY, "--killed", "combatants=6", "--reason", reason).exit_code == 0
    result = cli("--db", db, "history", SHAJIRY, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.stderr
    assert reason in result.stdout


def test_history_of_an_unknown_incident(cli, db):
    result = cli("--db", db, "history", "DZ-404")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"reportgen: error: incident 'DZ-404': no such incident in {shown(db)}"


def test_history_json_has_incident_current_figures_and_revisions(cli, db):
    data = json.loads(cli("--db", db, "history", SHAJIRY, "--format", "json").stdout)
    assert set(data) == {"incident", "current", "revisions"}
    assert data["incident"]["id"] == SHAJIRY
    current = {(c["category"], c["subgroup"]): (c["killed"], c["injured"]) for c in data["current"]}
    assert current[("combatants", "national-defence")] == (5, 17)
    assert [r["recorded_at"] for r in data["revisions"]] == ["2023-06-26", "2023-06-26"]
