"""Scale: import, aggregation and one bulletin at 10k, 100k and 1M synthetic incidents, on SQLite and PostgreSQL.

    python bench/bench_scale.py [--sizes 10000,100000,1000000] [--runs 3] [--big-runs 1]
                                [--stores sqlite,postgresql] [--no-bulletin]

Datasets come from ``bench/synthetic.py`` (10 years, 14 regions, a matching
profile), written once into a temporary folder. For each store and size:

- import: ``reportgen import`` of the whole file into a new database, as a new
  process (wall time, and the process's peak resident memory); ``--runs`` times,
  the largest size ``--big-runs`` times (a million-incident import takes a minute);
- aggregation: ``summarize`` of one year (2020) and of one month (2020-06) on the
  last imported database, in a new process, median of five after one untimed call;
- bulletin: ``reportgen build --period 2020-06`` (HTML, PDF, text) as a new process.

PostgreSQL runs on a throwaway cluster started for the run (``tests/pg_cluster.py``,
durable settings: fsync on), on a unix socket. Prints Markdown: medians with
min-max, the same-run growth ratios between sizes, and the largest peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

YEAR, MONTH = 2020, 6


def reportgen() -> list[str]:
    script = Path(sys.executable).parent / "reportgen"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "reportgen.cli"]


def timed_process(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of one process; its failure stops the benchmark."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    err = process.stderr.read().decode()
    process.stderr.close()
    if process.returncode:
        raise SystemExit(f"failed: {' '.join(args)}\n{err}")
    return wall, usage.ru_maxrss / 1024


class Stores:
    """New databases of each kind; PostgreSQL on a throwaway cluster started on first use."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.cluster = None
        self.count = 0

    def new(self, kind: str) -> str:
        self.count += 1
        if kind == "sqlite":
            return str(self.folder / f"bench-{self.count}.db")
        if self.cluster is None:
            from pg_cluster import Cluster

            self.cluster = Cluster(options=())
        return self.cluster.url(self.cluster.create_database(f"bench_{self.count}"))

    def drop(self, location: str) -> None:
        """Remove a database measured already (a million incidents take 300 MiB or more)."""
        if "://" in location:
            self.cluster.admin(f"DROP DATABASE {location.split('/')[3].split('?')[0]}")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(location + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def aggregate_times(location: str, profile_path: Path) -> dict[str, float]:
    from reportgen.aggregate import summarize
    from reportgen.periods import month_scope, year_scope
    from reportgen.profile import load_profile
    from reportgen.store import open_store

    profile = load_profile(str(profile_path))
    store = open_store(location, create=False)
    found = {}
    for label, scope in (("year", year_scope(YEAR)), ("month", month_scope(YEAR, MONTH))):
        summarize(store, profile, scope)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            summarize(store, profile, scope)
            times.append(time.perf_counter() - start)
        found[label] = statistics.median(times)
    store.close()
    return found


def aggregate_in_process(location: str, profile: Path) -> tuple[dict[str, float], float]:
    """``aggregate_times`` in a new process (this one stays small, so that children's peak memory is theirs)."""
    args = [sys.executable, __file__, "--aggregate", location, str(profile)]
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    out, err = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"failed: {' '.join(args)} after {time.perf_counter() - start:.0f} s\n{err}")
    return json.loads(out), usage.ru_maxrss / 1024


def measure(kind: str, size: int, runs: int, data: Path, profile: Path, stores: Stores, bulletin: bool) -> dict:
    imports, memory, location = [], [], None
    for _ in range(runs):
        if location:
            stores.drop(location)
        location = stores.new(kind)
        wall, peak = timed_process([*reportgen(), "--db", location, "--profile", str(profile), "import", str(data)])
        imports.append(wall)
        memory.append(peak)
    times, peak = aggregate_in_process(location, profile)
    result = {"import": imports, "memory": [*memory, peak], **times}
    if bulletin:
        out = Path(tempfile.mkdtemp(dir=stores.folder))
        wall, peak = timed_process([*reportgen(), "--db", location, "--profile", str(profile), "build",
                                    "--period", f"{YEAR}-{MONTH:02d}", "--output", str(out)])
        result["bulletin"], result["bulletin_memory"] = wall, peak
    stores.drop(location)
    return result


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} (1 run)"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f}, {len(values)} runs)"


def report(results: dict, sizes: list[int], bulletin: bool) -> str:
    lines = [f"Machine: {os.cpu_count()} cores; load average at the end {os.getloadavg()[0]:.2f}; {date.today()}", ""]
    head = "| store | incidents | import s | peak MiB | aggregate a year s | a month s |" + (" bulletin s |" if bulletin else "")
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for (kind, size), r in results.items():
        row = f"| {kind} | {size:,} | {spread(r['import'])} | {max(r['memory']):.0f} | {r['year']:.3f} | {r['month']:.3f} |"
        lines.append(row + (f" {r['bulletin']:.2f} |" if bulletin else ""))
    lines += ["", "Growth between sizes (time at the larger size / time at the smaller, same run):", ""]
    for kind in dict.fromkeys(k for k, _ in results):
        for small, large in zip(sizes, sizes[1:], strict=False):
            a, b = results[(kind, small)], results[(kind, large)]
            parts = [f"import x{statistics.median(b['import']) / statistics.median(a['import']):.1f}",
                     f"a year x{b['year'] / a['year']:.1f}", f"a month x{b['month'] / a['month']:.1f}"]
            if bulletin:
                parts.append(f"bulletin x{b['bulletin'] / a['bulletin']:.1f}")
            lines.append(f"- {kind}, {small:,} -> {large:,} incidents (x{large // small}): " + ", ".join(parts))
    peaks = [m for r in results.values() for m in (*r["memory"], r.get("bulletin_memory", 0))]
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Peak resident memory: {max(peaks):.0f} MiB in a reportgen process, {own:.0f} MiB in the benchmark process."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-runs", type=int, default=1, help="runs of the largest size's import")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--no-bulletin", dest="bulletin", action="store_false")
    parser.add_argument("--aggregate", nargs=2, metavar=("DB", "PROFILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.aggregate:
        print(json.dumps(aggregate_times(args.aggregate[0], Path(args.aggregate[1]))))
        return
    from synthetic import write_dataset

    sizes = sorted(int(s) for s in args.sizes.split(","))
    folder = Path(tempfile.mkdtemp(prefix="reportgen-scale-"))
    stores = Stores(folder)
    results = {}
    try:
        for size in sizes:
            data, profile = write_dataset(folder / f"data-{size}", size, 10, 14)
            for kind in args.stores.split(","):
                runs = args.big_runs if size == sizes[-1] else args.runs
                print(f"{kind} {size:,}: {runs} import(s)...", file=sys.stderr, flush=True)
                results[(kind, size)] = measure(kind, size, runs, data, profile, stores, args.bulletin)
    finally:
        stores.close()
    print(report(results, sizes, args.bulletin))


if __name__ == "__main__":
    main()
