"""Write the illustrative 2023 sample data (seeds/sample-2023.csv, seeds/revisions-2023.csv).

ILLUSTRATIVE DATA. The incidents are invented; only their totals are taken
from the seed document's tally, so that aggregating them reproduces every
figure of that tally (with Deir Ezzor's combatants at 139, which makes the
regional lines add up to the seed's overall 353). The script is deterministic:
running it again writes the same files.

    python seeds/make_sample.py
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).parent
FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2023, 6, 23)

# Per region: ISIS operations and the people killed in them, by category, with
# subgroups (the seed's regional distribution, Deir Ezzor corrected to 139).
REGIONS = {
    "homs": dict(ops=53, combatants=134, civilians=89, isis=13,
                 subgroups={("combatants", "iranian-backed"): 16, ("civilians", "women"): 1}),
    "raqqa": dict(ops=13, combatants=35, civilians=1, isis=3, subgroups={}),
    "deir-ezzor": dict(ops=59, combatants=139, civilians=19, isis=14,
                       subgroups={("combatants", "iranian-backed"): 22}),
    "hama": dict(ops=18, combatants=37, civilians=53, isis=7,
                 subgroups={("combatants", "iranian-backed"): 5}),
    "aleppo": dict(ops=4, combatants=5, civilians=3, isis=0,
                   subgroups={("combatants", "25th-division"): 2}),
    "suwaidaa": dict(ops=1, combatants=3, civilians=0, isis=0, subgroups={}),
}
# ISIS members killed outside ISIS operations (regime clashes, Russian airstrikes):
# they count in the total (44 = 37 in the regions + these 7), not in the regions.
# The seed names the deserts where the year's ISIS dead fell: Homs, Al-Suwaidaa, Hama,
# Al-Raqqah, Deir Ezzor and Aleppo; no ISIS member died in the operations of the
# last two, so these place some of the seven there.
OTHER = [
    ("suwaidaa", "russia", "airstrike", 3, "Russian airstrikes on ISIS hideouts"),
    ("aleppo", "regime", "clash", 2, "clashes with regime forces"),
    ("hama", "russia", "airstrike", 2, "Russian airstrikes on ISIS hideouts"),
]
PLACES = {
    "homs": ["Palmyra", "Al-Sukhnah", "Al-Tayba", "Arak", "Al-Kawm", "Jabal Al-Bishri"],
    "raqqa": ["Al-Rusafa", "Maadan", "Dibsi Afnan", "Al-Sabkha"],
    "deir-ezzor": ["Al-Mayadin", "Al-Bukamal", "Al-Shoula", "Kabajeb", "Al-Quriyah", "Al-Tabni"],
    "hama": ["Ithriya", "Al-Saan", "Wadi Al-Azib", "Al-Sheikh Hilal", "Uqayribat"],
    "aleppo": ["Khanasser", "Al-Hamam"],
    "suwaidaa": ["Tal Asfar"],
}
PROVINCES = {"homs": "Homs", "raqqa": "Al-Raqqah", "deir-ezzor": "Deir Ezzor", "hama": "Hama",
             "aleppo": "Aleppo", "suwaidaa": "Al-Suwaidaa"}
# The seed's year names "ambushes, armed attacks, and explosions" as the kinds of ISIS operations.
# (Six entries, so that the seeded choices, and with them every other figure, stay as they were.)
KINDS = ["ambush", "armed-attack", "landmine", "ied", "explosion", "armed-attack"]
CATEGORIES = ("combatants", "civilians", "isis")

# The seed's toll update: documented with four dead and 18 injured, revised to five.
SHAJIRY = dict(
    id="2023-DZ-SHAJIRY", date="2023-06-24", region="deir-ezzor", province="Deir Ezzor",
    district="Al-Masrib", location="Al-Shajiry Village", perpetrator="ISIS", kind="landmine",
    killed=4, injured=18, subgroup="national-defence",
    # The toll-update notice cites the summary ("It is worth noting that the landmine ...");
    # its area ("western Deir Ezzor desert within regime-held areas") comes from the profile.
    summary="The landmine exploded during a combing operation by members of the National Defence in the region.",
)
SHAJIRY_REVISION = dict(
    incident_id=SHAJIRY["id"], killed=5, injured=17, reason="died of wounds", recorded="2023-06-26",
)

COLUMNS = ["id", "date", "region", "province", "district", "location", "perpetrator", "kind",
           "combatants_killed", "combatants_injured", "civilians_killed", "civilians_injured",
           "isis_killed", "isis_injured", "subgroups", "summary", "sources"]


def split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` buckets, unevenly, deterministically."""
    weights = [rng.random() ** 2 + 0.05 for _ in range(parts)]
    counts = [0] * parts
    for _ in range(total):
        counts[rng.choices(range(parts), weights)[0]] += 1
    return counts


def take(rng: random.Random, total: int, capacities: list[int]) -> list[int]:
    """``total`` spread over buckets without exceeding each bucket's capacity."""
    counts = [0] * len(capacities)
    for _ in range(total):
        open_ = [i for i, c in enumerate(capacities) if counts[i] < c]
        counts[rng.choice(open_)] += 1
    return counts


def operation_rows(rng: random.Random, region: str, spec: dict) -> list[dict]:
    ops = spec["ops"] - (1 if region == "deir-ezzor" else 0)  # Al-Shajiry is added on its own
    combatants = spec["combatants"] - (SHAJIRY_REVISION["killed"] if region == "deir-ezzor" else 0)
    killed = {c: split(rng, spec[c] if c != "combatants" else combatants, ops) for c in CATEGORIES}
    subgroups: list[dict[tuple[str, str], int]] = [{} for _ in range(ops)]
    for (cat, sub), total in spec["subgroups"].items():
        for i, n in enumerate(take(rng, total, killed[cat])):
            if n:
                subgroups[i][(cat, sub)] = n
    rows = []
    for i in range(ops):
        kind = rng.choice(KINDS)
        injured = {c: (rng.randint(0, killed[c][i] + 2) if killed[c][i] or rng.random() < 0.3 else 0)
                   for c in CATEGORIES}
        place = rng.choice(PLACES[region])
        rows.append(dict(
            region=region, province=PROVINCES[region], district="", location=place,
            perpetrator="ISIS", kind=kind, killed={c: killed[c][i] for c in CATEGORIES},
            injured=injured, subgroups=subgroups[i],
            summary=f"Illustrative record: ISIS {kind.replace('-', ' ')} near {place}.",
        ))
    return rows


def other_rows() -> list[dict]:
    return [
        dict(region=region, province=PROVINCES[region], district="", location=PLACES[region][0],
             perpetrator=actor, kind=kind, killed={"combatants": 0, "civilians": 0, "isis": n},
             injured={"combatants": 0, "civilians": 0, "isis": 0}, subgroups={},
             summary=f"Illustrative record: {text}.")
        for region, actor, kind, n, text in OTHER
    ]


def shajiry_row() -> dict:
    s = SHAJIRY
    return dict(
        id=s["id"], date=s["date"], region=s["region"], province=s["province"],
        district=s["district"], location=s["location"], perpetrator=s["perpetrator"], kind=s["kind"],
        killed={"combatants": s["killed"], "civilians": 0, "isis": 0},
        injured={"combatants": s["injured"], "civilians": 0, "isis": 0},
        subgroups={("combatants", s["subgroup"]): (s["killed"], s["injured"])},
        summary=s["summary"],
    )


def dated(rng: random.Random, rows: list[dict]) -> list[dict]:
    span = (LAST_DAY - FIRST_DAY).days
    for row in rows:
        row["date"] = (FIRST_DAY + timedelta(days=rng.randint(0, span))).isoformat()
    rows.sort(key=lambda r: (r["date"], r["region"], r["location"]))
    counters: dict[str, int] = {}
    for row in rows:
        month = row["date"][:7]
        counters[month] = counters.get(month, 0) + 1
        row["id"] = f"{month}-{counters[month]:03d}"
    return rows


def csv_row(row: dict) -> dict:
    subgroups = []
    for (cat, sub), n in sorted(row["subgroups"].items()):
        killed, injured = n if isinstance(n, tuple) else (n, 0)
        subgroups.append(f"{cat}/{sub}={killed}" + (f"/{injured}" if injured else ""))
    out = {k: row[k] for k in ("id", "date", "region", "province", "district", "location",
                               "perpetrator", "kind", "summary")}
    for c in CATEGORIES:
        out[f"{c}_killed"] = row["killed"][c]
        out[f"{c}_injured"] = row["injured"][c]
    out["subgroups"] = ";".join(subgroups)
    out["sources"] = "Illustrative sample data"
    return out


def main() -> None:
    rng = random.Random(2023)
    rows = [r for region, spec in REGIONS.items() for r in operation_rows(rng, region, spec)]
    rows = dated(rng, rows + other_rows()) + [shajiry_row()]
    with open(HERE / "sample-2023.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_row(r) for r in rows)
    with open(HERE / "revisions-2023.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["incident_id", "killed", "injured", "reason", "recorded"])
        r = SHAJIRY_REVISION
        killed = f"combatants={r['killed']};combatants/{SHAJIRY['subgroup']}={r['killed']}"
        injured = f"combatants={r['injured']};combatants/{SHAJIRY['subgroup']}={r['injured']}"
        writer.writerow([r["incident_id"], killed, injured, r["reason"], r["recorded"]])


if __name__ == "__main__":
    main()
