"""Synthetic datasets for the benchmarks: any number of incidents over years and regions.

    python bench/synthetic.py --incidents 100000 --years 10 --regions 14 --out /tmp/synth

writes ``/tmp/synth/incidents.csv`` (reportgen's canonical CSV) and
``/tmp/synth/profile.toml`` (the default profile's categories over N regions).
The output is deterministic for the same arguments.
"""

from __future__ import annotations

import argparse
import csv
import random
import tomllib
from datetime import date, timedelta
from pathlib import Path

from reportgen.profile import SHIPPED

KINDS = ["ambush", "armed-attack", "landmine", "ied", "explosion", "assassination", "airstrike", "clash"]


def synthetic_profile(regions: int) -> str:
    """The default profile's text with its regions replaced by ``regions`` numbered ones."""
    base = (SHIPPED / "syrian-desert.toml").read_text(encoding="utf-8")
    head, _, rest = base.partition("[[regions]]")
    rest = rest[rest.index("[[categories]]"):]
    blocks = [
        f'[[regions]]\nkey = "r{i:02d}"\nname = "Region {i}"\nprovince = "Province {i}"\n'
        for i in range(1, regions + 1)
    ]
    text = head.replace('name = "syrian-desert"', 'name = "synthetic"') + "\n".join(blocks) + "\n" + rest
    tomllib.loads(text)  # fail here, not in the benchmark, if the profile is malformed
    return text


def incident_rows(count: int, years: int, regions: int, first_year: int = 2015, seed: int = 7):
    rng = random.Random(seed)
    start = date(first_year, 1, 1)
    days = (date(first_year + years, 1, 1) - start).days
    for n in range(count):
        day = start + timedelta(days=rng.randrange(days))
        operation = rng.random() < 0.9
        killed = [rng.choice((0, 0, 1, 1, 2, 3, 5)) for _ in range(3)]
        row = {
            "id": f"S{n:07d}",
            "date": day.isoformat(),
            "region": f"r{rng.randrange(1, regions + 1):02d}",
            "province": "",
            "district": "",
            "location": f"Place {rng.randrange(500)}",
            "perpetrator": "ISIS" if operation else rng.choice(("regime", "russia")),
            "kind": rng.choice(KINDS),
            "combatants_killed": killed[0] if operation else 0,
            "combatants_injured": rng.choice((0, 1, 2)) if operation else 0,
            "civilians_killed": killed[1] if operation else 0,
            "civilians_injured": rng.choice((0, 0, 1)),
            "isis_killed": killed[2],
            "isis_injured": 0,
            "subgroups": "combatants/iranian-backed=1" if operation and killed[0] and rng.random() < 0.2 else "",
            "summary": "",
            "sources": "synthetic",
        }
        yield row


def write_dataset(out: Path, incidents: int, years: int, regions: int) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    profile = out / "profile.toml"
    profile.write_text(synthetic_profile(regions), encoding="utf-8")
    data = out / "incidents.csv"
    rows = incident_rows(incidents, years, regions)
    first = next(rows)
    with open(data, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(first), lineterminator="\n")
        writer.writeheader()
        writer.writerow(first)
        writer.writerows(rows)
    return data, profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--regions", type=int, default=14)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    data, profile = write_dataset(args.out, args.incidents, args.years, args.regions)
    print(f"{data}\n{profile}")


if __name__ == "__main__":
    main()
