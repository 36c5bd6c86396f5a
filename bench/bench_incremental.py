"""Incremental builds on a synthetic 10-year dataset: a full build, a build with nothing to do, and builds
after one revision, measured in one run.

    python bench/bench_incremental.py [--incidents 4800] [--years 10] [--regions 14] [--noop-runs 5] [--revisions 3]

The script writes the dataset (``bench/synthetic.py``: 10 years x 14 regions, so 120 months and
10 years = 130 bulletins) into a temporary folder, imports it and then times, each as a new
``reportgen`` process (wall time, and the child's CPU time):

1. ``reportgen build``: the full build into an empty output folder;
2. ``reportgen build`` again, ``--noop-runs`` times: nothing to do. Checked: it prints
   "130 unchanged" and imports none of WeasyPrint, Altair, vl-convert (``-X importtime``);
3. ``--revisions`` rounds of: ``reportgen revise`` of one incident of June in the middle year (one
   more combatant killed, recorded in June), then ``reportgen build``. Checked: the bulletins it
   builds again are exactly those whose Summaries changed, found independently by gathering
   every bulletin before and after the revision. Its cost is compared with a new process that
   gathers, renders and writes exactly those bulletins and nothing else (no manifest, no
   comparison): the incremental machinery's overhead is the difference.

Targets: no-op build <= 1 s; a build after one revision <= the cost of the bulletins it builds + 1 s;
no bulletin built whose figures did not change. Figures are printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("weasyprint", "altair", "vl_convert")
REPORTGEN = [sys.executable, "-m", "reportgen.cli"]


def timed(command: list[str], env: dict | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``command`` to its end: (wall seconds, the child's CPU seconds, the finished process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


# -- the dataset ---------------------------------------------------------------------------------


def make_dataset(folder: Path, incidents: int, years: int, regions: int) -> list[str]:
    """The synthetic database and profile; the global options that name them."""
    sys.path.insert(0, str(Path(__file__).parent))
    from synthetic import write_dataset

    data, profile = write_dataset(folder, incidents, years, regions)
    options = ["--db", str(folder / "synth.db"), "--profile", str(profile)]
    timed([*REPORTGEN, *options, "import", str(data)])
    return options


def june_incident(options: list[str], year: int) -> tuple[str, int]:
    """An incident of June ``year`` (dated by the 20th) with combatants killed: its id and their number."""
    from reportgen.store import open_store

    store = open_store(options[1], create=False)
    try:
        from datetime import date

        rows = store.casualty_rows(date(year, 6, 1), date(year, 6, 20))
    finally:
        store.close()
    found = next(r for r in rows if r.category == "combatants" and r.subgroup == "" and r.killed > 0)
    return found.incident, found.killed


def figures_of_every_bulletin(options: list[str]) -> dict[str, str]:
    """Each bulletin's Summaries (without the data version), as gathered: for an independent check."""
    from reportgen.build.gather import gather
    from reportgen.build.jobs import data_months, plan_jobs
    from reportgen.profile import load_profile
    from reportgen.store import open_store

    store, profile = open_store(options[1], create=False), load_profile(options[3])
    try:
        first = data_months(store)[0]
        found = {}
        for job in plan_jobs(store):
            bulletin = gather(store, profile, job, first)
            parts = [s and {**s.to_dict(), "data_version": ""} for s in (bulletin.summary, bulletin.running, bulletin.previous)]
            found["/".join(job.folder)] = json.dumps(parts, sort_keys=True, default=str)
        return found
    finally:
        store.close()


# -- the bulletins alone (what a build after a revision must at least cost) --------------------------


def build_only(db: str, profile_path: str, out: str, folders: list[str]) -> None:
    """Gather, render and write ``folders`` into ``out``, one after another: no manifest, no comparison."""
    from reportgen.build.gather import gather
    from reportgen.build.jobs import data_months, plan_jobs
    from reportgen.build.outputs import write_outputs
    from reportgen.build.run import render_files
    from reportgen.profile import load_profile
    from reportgen.render import RenderSettings
    from reportgen.store import open_store

    store, profile = open_store(db, create=False), load_profile(profile_path)
    settings = RenderSettings(profile)
    env, first = settings.environment(), data_months(store)[0]
    for job in plan_jobs(store):
        if "/".join(job.folder) in folders:
            write_outputs(out, job, render_files(gather(store, profile, job, first), settings, env))


# -- the run -------------------------------------------------------------------------------------------


def rebuilt(stdout: str) -> list[str]:
    return [line.split(":")[0] for line in stdout.splitlines() if ": " in line and line[:4].isdigit()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=4800)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--regions", type=int, default=14)
    parser.add_argument("--noop-runs", type=int, default=5)
    parser.add_argument("--revisions", type=int, default=3)
    parser.add_argument("--build-only", nargs="+", help=argparse.SUPPRESS)  # DB PROFILE OUT FOLDER...
    args = parser.parse_args()
    if args.build_only:
        build_only(*args.build_only[:3], args.build_only[3:])
        return
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
        folder, out = Path(tmp), str(Path(tmp) / "out")
        options = make_dataset(folder, args.incidents, args.years, args.regions)
        full = timed([*REPORTGEN, *options, "build", "--output", out])
        bulletins = len(rebuilt(full[2].stdout))
        print(f"full build: {bulletins} bulletins, wall {full[0]:.1f} s, CPU {full[1]:.1f} s", file=sys.stderr)

        noops = [timed([*REPORTGEN, *options, "build", "--output", out]) for _ in range(args.noop_runs)]
        assert all(run[2].stdout == f"{bulletins} unchanged\n" for run in noops), noops[0][2].stdout
        imports = subprocess.run([sys.executable, "-X", "importtime", "-m", "reportgen.cli", *options, "build", "--output", out],
                                 capture_output=True, text=True, check=True).stderr
        heavy = sorted({m for m in HEAVY for line in imports.splitlines() if line.rstrip().endswith(f"| {m}")})

        year = 2015 + args.years // 2
        incident, killed = june_incident(options, year)
        rounds = []
        for n in range(args.revisions):
            before = figures_of_every_bulletin(options)
            killed += 1
            timed([*REPORTGEN, *options, "revise", incident, "--killed", f"combatants={killed}", "--reason", "died of wounds",
                   "--recorded", f"{year}-06-28T{10 + n:02d}:00"])
            after = figures_of_every_bulletin(options)
            changed = sorted(k for k in after if after[k] != before[k])
            incremental = timed([*REPORTGEN, *options, "build", "--output", out])
            built = rebuilt(incremental[2].stdout)
            scratch = str(folder / f"alone-{n}")
            alone = timed([sys.executable, __file__, "--build-only", options[1], options[3], scratch, *built])
            rounds.append({"changed": changed, "built": built, "incremental": incremental[:2], "alone": alone[:2]})
            print(f"revision {n + 1}: built {built}, wall {incremental[0]:.2f} s; the same bulletins alone {alone[0]:.2f} s",
                  file=sys.stderr)
    load.append(os.getloadavg()[0])
    report(args, bulletins, full, noops, heavy, rounds, load)


def report(args, bulletins: int, full, noops, heavy: list[str], rounds: list[dict], load: list[float]) -> None:
    def median(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

    print(f"Dataset: {args.incidents} incidents, {args.years} years, {args.regions} regions: {bulletins} bulletins."
          f" Load average {load[0]:.1f} at the start, {load[1]:.1f} at the end.\n")
    print("| build | bulletins built | wall (s) | CPU (s) |\n|---|---|---|---|")
    print(f"| full, empty output folder | {bulletins} | {full[0]:.1f} | {full[1]:.1f} |")
    print(f"| nothing to do, {len(noops)} runs | 0 | {median([r[0] for r in noops])} | {median([r[1] for r in noops])} |")
    for n, r in enumerate(rounds, 1):
        print(f"| after revision {n} | {len(r['built'])} | {r['incremental'][0]:.2f} | {r['incremental'][1]:.2f} |")
        alone = f"| the same {len(r['built'])} bulletins alone (no manifest) | {len(r['built'])} |"
        print(f"{alone} {r['alone'][0]:.2f} | {r['alone'][1]:.2f} |")
    overhead = [r["incremental"][0] - r["alone"][0] for r in rounds]
    overhead_cpu = [r["incremental"][1] - r["alone"][1] for r in rounds]
    print("\n| target | measured |\n|---|---|")
    print(f"| no-op build <= 1 s | {median([r[0] for r in noops])} s wall; imports of {', '.join(HEAVY)}: {heavy or 'none'} |")
    print(f"| after one revision <= the bulletins built + 1 s | overhead {median(overhead)} s wall, {median(overhead_cpu)} s CPU |")
    exact = all(sorted(r["built"]) == r["changed"] for r in rounds)
    print(f"| none built whose figures did not change | {'yes' if exact else 'NO'}: built {rounds[0]['built']},"
          f" changed {rounds[0]['changed']} |")


if __name__ == "__main__":
    main()
