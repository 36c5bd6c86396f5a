"""Time the bulletins: cold (a new process) and warm (again in the same process), stage by stage.

    python bench/bench_bulletins.py [--runs 7] [--cold-runs 5]

Bulletins measured:
- ``sample``: June 2023 of the bundled sample data (19 incidents);
- ``synthetic``: July 2023 with 50 generated incidents added to the sample data.

Warm: in one process, after one untimed render of each, ``--runs`` rounds that
take the variants in turn (sample, synthetic, the sample's PDF without its
charts), each split into aggregate, charts, HTML, PDF and text. Cold: in
turn, ``reportgen build --period ...`` as a new process (wall time), and a new
process that imports and renders once, split the same way. Each render starts
after a garbage collection. Every figure is given as wall time and as CPU time
(this process's, or the child's for a new process): on a shared machine the
CPU time stays near what the step costs alone. Medians are printed as Markdown
(min-max in brackets).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("aggregate", "charts", "html", "pdf", "text")
PERIODS = {"sample": "2023-06", "synthetic": "2023-07"}
A4_TEXT_WIDTH_MM = 178  # 210 mm less the two 16 mm margins of print.css


# -- datasets ---------------------------------------------------------------------


def make_databases(folder: Path) -> dict[str, Path]:
    from reportgen.demo import load_sample
    from reportgen.profile import load_profile
    from reportgen.store import open_store

    profile = load_profile()
    paths = {"sample": folder / "sample.db", "synthetic": folder / "synthetic.db"}
    for name, path in paths.items():
        store = open_store(path)
        load_sample(store, profile)
        if name == "synthetic":
            store.add_incidents(synthetic_month(profile, 2023, 7, 50))
        store.close()
    return paths


def synthetic_month(profile, year: int, month: int, count: int, seed: int = 4):
    """``count`` plausible incidents in one month, spread over the profile's regions."""
    from reportgen.records import Casualty, Incident

    rng = random.Random(seed)
    kinds = list(profile.kinds)
    incidents = []
    for n in range(count):
        region = rng.choice(profile.regions)
        casualties = tuple(
            Casualty(cat.key, "", rng.choice((0, 1, 1, 2, 3, 5)), rng.choice((0, 1, 2, 4)))
            for cat in profile.categories
        )
        incidents.append(Incident(
            id=f"SYN-{year}{month:02d}-{n:03d}", date=f"{year}-{month:02d}-{rng.randint(1, 31):02d}",
            region=region.key, province=region.province, district="",
            location=f"{rng.choice(('Wadi', 'Jabal', 'Tal', 'Bir', 'Khirbet'))} {rng.choice('ABCDEFGHKLMNRST')}{n}",
            perpetrator="ISIS", kind=rng.choice(kinds), casualties=casualties,
        ))
    return incidents


# -- one render, split by stage ---------------------------------------------------------


class Clock:
    """Wall time and this process's CPU time, lap by lap.

    On a quiet machine they agree; when other work shares the CPU, wall time
    grows and CPU time stays close to what the same step costs alone.
    """

    def __init__(self):
        self.wall, self.cpu = {}, {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[name], self.cpu[name] = wall - self._wall, cpu - self._cpu
        self._wall, self._cpu = wall, cpu

    def result(self) -> dict[str, dict[str, float]]:
        for times in (self.wall, self.cpu):
            times["total"] = sum(v for k, v in times.items() if k != "total")
        return {"wall": self.wall, "cpu": self.cpu}


def render_once(db: Path, period: str, clock: Clock | None = None) -> dict[str, dict[str, float]]:
    """Seconds per stage for one bulletin, as the build does it: {"wall": {...}, "cpu": {...}}."""
    from reportgen.build.gather import gather
    from reportgen.build.jobs import plan_jobs
    from reportgen.profile import load_profile
    from reportgen.render import RenderSettings, render_charts, render_html, render_pdf, render_text, tallies
    from reportgen.store import open_store

    profile = load_profile()
    store = open_store(db, create=False)
    settings = RenderSettings(profile)
    gc.collect()  # each render starts without the previous one's garbage
    clock = clock or Clock()
    bulletin = gather(store, profile, plan_jobs(store, period=period)[0])
    clock.lap("aggregate")
    env = settings.environment()
    charts = render_charts(bulletin, settings, env)
    clock.lap("charts")
    texts = tallies(bulletin, env)
    html = render_html(bulletin, settings, charts, env, texts)
    clock.lap("html")
    render_pdf(html, settings)
    clock.lap("pdf")
    render_text(bulletin, settings, env, texts)
    clock.lap("text")
    store.close()
    return clock.result()


def pdf_with_and_without_charts(db: Path, period: str) -> dict[str, dict[str, float]]:
    """The PDF step of one bulletin, with its charts and with blank boxes of the same size."""
    from reportgen.build.gather import gather
    from reportgen.build.jobs import plan_jobs
    from reportgen.profile import load_profile
    from reportgen.render import RenderSettings, render_html, render_pdf
    from reportgen.store import open_store

    profile = load_profile()
    store = open_store(db, create=False)
    settings = RenderSettings(profile)
    html = render_html(gather(store, profile, plan_jobs(store, period=period)[0]), settings)
    store.close()
    blank = re.sub(r'<svg [^>]*\bwidth="(\d+)" height="(\d+)".*?</svg>', _blank_box, html, flags=re.S)
    assert blank.count("<svg") == 0
    gc.collect()
    clock = Clock()
    render_pdf(html, settings)
    clock.lap("charts")
    gc.collect()
    clock = _restart(clock)
    render_pdf(blank, settings)
    clock.lap("blank")
    return clock.result()


def _restart(clock: Clock) -> Clock:
    clock._wall, clock._cpu = time.perf_counter(), time.process_time()
    return clock


def _blank_box(match: re.Match) -> str:
    width, height = int(match[1]), int(match[2])
    return f'<div style="height: {height * A4_TEXT_WIDTH_MM / width:.1f}mm"></div>'


# -- the measurements ----------------------------------------------------------------


def warm(dbs: dict[str, Path], runs: int) -> dict[str, list]:
    for name, db in dbs.items():  # the first render in a process pays for vl-convert's start-up
        render_once(db, PERIODS[name])
    results: dict[str, list] = {name: [] for name in dbs} | {"pdf": []}
    for _ in range(runs):
        for name, db in dbs.items():
            results[name].append(render_once(db, PERIODS[name]))
        results["pdf"].append(pdf_with_and_without_charts(dbs["sample"], PERIODS["sample"]))
    return results


def cold(dbs: dict[str, Path], runs: int, out: Path) -> dict[str, list]:
    results: dict[str, list] = {f"cli_{name}": [] for name in dbs} | {f"split_{name}": [] for name in dbs}
    reportgen = shutil.which("reportgen") or str(Path(sys.executable).with_name("reportgen"))
    for _ in range(runs):
        for name, db in dbs.items():
            wall, cpu = time.perf_counter(), _children_cpu()
            subprocess.run([reportgen, "--db", str(db), "build", "--period", PERIODS[name], "--output", str(out)],
                           check=True, capture_output=True)
            results[f"cli_{name}"].append({"wall": {"total": time.perf_counter() - wall},
                                           "cpu": {"total": _children_cpu() - cpu}})
            done = subprocess.run([sys.executable, __file__, "--child", str(db), PERIODS[name]],
                                  check=True, capture_output=True, text=True)
            results[f"split_{name}"].append(json.loads(done.stdout))
    return results


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child(db: str, period: str) -> None:
    """A fresh process: imports, then one bulletin, split by stage."""
    clock = Clock()
    clock._cpu = 0.0  # CPU time counts from the process's start, interpreter start-up included
    import pandas  # noqa: F401
    import vl_convert  # noqa: F401
    import weasyprint  # noqa: F401

    import reportgen.build  # noqa: F401
    import reportgen.render  # noqa: F401

    clock.lap("imports")
    print(json.dumps(render_once(Path(db), period, clock)))


# -- report ---------------------------------------------------------------------------


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def table(title: str, rows: dict[str, list[dict]], columns: tuple[str, ...]) -> list[str]:
    lines = [f"**{title}** (seconds, median (min-max))", "",
             "| bulletin | clock | " + " | ".join(columns) + " |", "|---" * (len(columns) + 2) + "|"]
    for name, runs in rows.items():
        for kind in ("wall", "cpu"):
            lines.append(f"| {name} | {kind} | " + " | ".join(med([r[kind][c] for r in runs]) for c in columns) + " |")
    return lines + [""]


def output_time(runs: list[dict], kind: str) -> list[float]:
    return [sum(r[kind][s] for s in ("charts", "html", "pdf", "text")) for r in runs]


def report(w: dict, c: dict, runs: int, cold_runs: int, load: tuple[float, float]) -> str:
    lines = [f"Load average (1 min) of the machine at the start and the end: {load[0]:.2f}, {load[1]:.2f}.", "",
             f"Warm: {runs} rounds in one process after one untimed render of each bulletin.", ""]
    lines += table("Warm, by stage", {n: w[n] for n in PERIODS}, (*STAGES, "total"))
    for kind in ("wall", "cpu"):
        ratio = [r[kind]["charts"] / r[kind]["blank"] for r in w["pdf"]]
        lines += [f"- {kind}: charts + HTML + PDF + text, sample month: {med(output_time(w['sample'], kind))} s;"
                  f" 50-incident month: {med(output_time(w['synthetic'], kind))} s",
                  f"- {kind}: PDF step of the sample month with its three charts"
                  f" {med([r[kind]['charts'] for r in w['pdf']])} s, with blank boxes of the same size instead"
                  f" {med([r[kind]['blank'] for r in w['pdf']])} s; ratio {med(ratio)}"]
    lines += ["", f"Cold: {cold_runs} rounds, each a new process.", ""]
    lines += table("Cold, a new process that imports and renders once", {n: c[f"split_{n}"] for n in PERIODS},
                   ("imports", *STAGES, "total"))
    lines += table("Cold, `reportgen build --period P` as a new process",
                   {f"{n} ({PERIODS[n]})": c[f"cli_{n}"] for n in PERIODS}, ("total",))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("DB", "PERIOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    work = Path(tempfile.mkdtemp(prefix="reportgen-bench-"))
    try:
        dbs = make_databases(work)
        start = os.getloadavg()[0]
        c = cold(dbs, args.cold_runs, work / "output")
        w = warm(dbs, args.runs)
        print(report(w, c, args.runs, args.cold_runs, (start, os.getloadavg()[0])))
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
