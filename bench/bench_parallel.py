"""Time a full build in one process against a build with ``--jobs N`` (same run, same data).

    python bench/bench_parallel.py [--incidents 1500] [--years 8] [--regions 14] [--runs 3] [--jobs 2]

Writes a synthetic dataset (``bench/synthetic.py``: 8 years of 14 regions by
default, so 96 monthly and 8 yearly bulletins), imports it into a SQLite file in
a temporary folder, then in each round runs ``reportgen build --all`` as a new
process with ``--jobs 1`` and with ``--jobs N`` (the order alternating from one
round to the next), each into a fresh output folder (so every bulletin is
built). Every figure is wall time and CPU time (the build process and its
workers); the speed-up is the ratio of the two wall times of the same round.
The first round's two output trees are compared file by file: a parallel build
must write the same bytes, and its manifest must record the same (apart from
the files' modification times). Medians are printed as Markdown (min-max in
brackets).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_dataset  # noqa: E402 - a script beside this one

from reportgen.build.manifest import MANIFEST_NAME  # noqa: E402

REPORTGEN = [sys.executable, "-m", "reportgen.cli"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for processes and their own waited-for children
    return usage.ru_utime + usage.ru_stime


def timed_build(db: Path, profile: Path, jobs: int, output: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``reportgen build --all --jobs JOBS`` as a new process."""
    command = [*REPORTGEN, "--db", str(db), "--profile", str(profile), "build", "--all", "--jobs", str(jobs),
               "--output", str(output)]
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"build failed: {done.stderr.strip()}")
    return wall, children_cpu() - cpu


def differences(left: Path, right: Path) -> list[str]:
    """Files that differ or exist on one side only, below two output folders (the manifests compared
    without the sizes and modification times of the files they list)."""
    found: list[str] = []
    comparison = filecmp.dircmp(left, right)
    stack = [(comparison, Path())]
    while stack:
        cmp, where = stack.pop()
        found += [str(where / n) for n in cmp.left_only + cmp.right_only + cmp.funny_files]
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        found += [str(where / n) for n in mismatch + errors if n != MANIFEST_NAME]
        stack += [(sub, where / name) for name, sub in cmp.subdirs.items()]
    if recorded(left / MANIFEST_NAME) != recorded(right / MANIFEST_NAME):
        found.append(MANIFEST_NAME)
    return found


def recorded(manifest: Path) -> dict:
    entries = json.loads(manifest.read_text(encoding="utf-8"))["bulletins"]
    return {folder: {k: v for k, v in entry.items() if k != "stats"} for folder, entry in entries.items()}


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1500)
    parser.add_argument("--years", type=int, default=8)
    parser.add_argument("--regions", type=int, default=14)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="reportgen-bench-parallel-"))
    data, profile = write_dataset(work, args.incidents, args.years, args.regions)
    db = work / "bench.db"
    subprocess.run([*REPORTGEN, "--db", str(db), "--profile", str(profile), "import", str(data)],
                   check=True, capture_output=True)
    load = os.getloadavg()[0]
    times: dict[int, list[tuple[float, float]]] = {1: [], args.jobs: []}
    ratios = []
    for run in range(args.runs):
        order = (1, args.jobs) if run % 2 == 0 else (args.jobs, 1)
        for jobs in order:
            times[jobs].append(timed_build(db, profile, jobs, work / f"out-{run}-{jobs}"))
            print(f"round {run + 1}, --jobs {jobs}: {times[jobs][-1][0]:.2f} s wall", file=sys.stderr)
        ratios.append(times[1][-1][0] / times[args.jobs][-1][0])
        if run == 0:
            bulletins = sum(1 for _ in (work / "out-0-1").rglob("bulletin.pdf"))
            changed = differences(work / "out-0-1", work / f"out-0-{args.jobs}")
            if changed:
                sys.exit(f"--jobs {args.jobs} wrote other files than --jobs 1: {', '.join(changed[:5])}")
    print(f"{args.incidents} incidents, {args.years} years, {args.regions} regions: {bulletins} bulletins;"
          f" {args.runs} rounds; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end;"
          f" {os.cpu_count()} CPUs\n")
    print("| build | wall (s) | CPU (s) |\n|---|---|---|")
    for jobs, pairs in times.items():
        print(f"| `--jobs {jobs}` | {median([w for w, _ in pairs])} | {median([c for _, c in pairs])} |")
    print(f"\nSpeed-up, `--jobs 1` wall / `--jobs {args.jobs}` wall of the same round: {median(ratios)}")
    print(f"`--jobs {args.jobs}` wrote the same {sum(1 for p in (work / 'out-0-1').rglob('*') if p.is_file())}"
          " files as `--jobs 1`, byte for byte (first round).")


if __name__ == "__main__":
    main()
