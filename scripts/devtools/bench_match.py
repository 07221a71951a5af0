"""Benchmark of CRM matching on a messy CRM export generated from the fixture world.

    python -m scripts.devtools.bench_match [--companies 2000] [--seed 11]
        [--thresholds 0.8,0.85,0.9,0.95] [--speed-rows 10000]

The fixture world's customers go into a real SQLite store. The CRM export lists every one of
them once (some twice, as CRMs do), in the ways a real export mangles them: typos, legal forms
added, changed or dropped, "The" in front, accents, CJK legal forms, upper case, websites with
www/https/paths/ports, only a contact's company e-mail, only a personal e-mail, no domain at
all, sometimes our customer ID in a TPID column; plus companies that are not in ascent (with
names made the same way as the world's, so near-misses are real). Columns are shuffled and
named as different CRMs name them. The truth of every row is known.

Reports, per threshold and per method: precision of automatic matches (right customer /
matched), share of matchable rows (customers that are in ascent) matched, ambiguous and none;
then the time per 10,000 rows, measured in this run.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from intent.crm_match import match_crm
from intent.imports import sub_segment
from intent.matching import AUTOMATIC, METHODS, Match
from scripts.fixture_web.world import NAME_A, NAME_B, World
from storage.customers import Customer
from storage.store import open_store

DOMAIN_HEADERS = ("Website", "Web", "URL", "Domain", "Company Website")
EMAIL_HEADERS = ("Email", "E-mail Address", "Contact Email")
NAME_HEADERS = ("Account Name", "Company Name", "Company", "Organisation Name")
ID_HEADERS = ("TPID", "Customer ID", "Customer Number")
OTHER_HEADERS = ("Owner", "Phone", "City", "Stage")
SUFFIXES = (
    "Inc.",
    "Inc",
    "Ltd",
    "Ltd.",
    "LLC",
    "GmbH",
    "AG",
    "S.A.",
    "SAS",
    "B.V.",
    "NV",
    "KK",
    "Pty Ltd",
    "PLC",
    "Corp.",
    "Co., Ltd.",
    "Corporation",
    "Limited",
    "GmbH & Co. KG",
)
PERSONAL = (
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.co.jp",
    "gmx.de",
    "web.de",
    "icloud.com",
    "mail.ru",
    "qq.com",
    "163.com",
    "proton.me",
)
ACCENTS = {"e": "é", "a": "à", "o": "ö", "u": "ü", "i": "í", "c": "ç", "n": "ñ"}


@dataclass
class CrmExport:
    header: list[str]
    rows: list[list[str]]
    truth: list[str]  # the ascent customer each row is, "" for companies not in ascent

    def csv_bytes(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buffer.getvalue().encode("utf-8")


def customers_of(world: World) -> list[Customer]:
    return [
        Customer(
            customer_id=c.customer_id,
            account_name=c.name,
            domain=c.domain,
            org_size=c.org_size,
            industry=c.industry,
            vertical=c.vertical,
            city=c.city,
            state=c.state,
            postal_code=c.postal_code,
            country=c.country,
            is_nonprofit=c.is_nonprofit,
            azure_monthly_revenue=c.azure_monthly_revenue,
            partner_id=c.partner_id,
            partner_name=c.partner_name,
            sub_segment=sub_segment(c.org_size, c.azure_monthly_revenue),
        )
        for c in world.companies
    ]


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip inside a word (never the first letter): drop, double, swap or replace."""
    spots = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i - 1].isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2 and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeiourstln") + text[i + 1 :]


def messy_name(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.30:
        name = f"{name} {rng.choice(SUFFIXES)}"
    elif roll < 0.38:
        name = f"The {name}"
    elif roll < 0.44:
        name = f"株式会社{name}"
    elif roll < 0.50:
        name = name.upper()
    if rng.random() < 0.15:
        name = "".join(ACCENTS.get(ch, ch) if rng.random() < 0.3 else ch for ch in name)
    if rng.random() < 0.20:
        name = typo(rng, name)
    if rng.random() < 0.05:
        name = name.replace(" ", ", ", 1)
    return name


def messy_website(rng: random.Random, domain: str) -> str:
    return rng.choice(
        (
            domain,
            f"www.{domain}",
            f"https://www.{domain}/",
            f"http://{domain}/about-us",
            f"HTTPS://WWW.{domain.upper()}",
            f"https://{domain}:443/en/home?ref=crm",
            f"{domain}/",
        )
    )


def outsider_names(rng: random.Random, world: World, count: int) -> list[tuple[str, str]]:
    """Companies not in ascent, named the way the world names its companies."""
    taken = {c.name for c in world.companies}
    nouns = sorted({c.name.split(" ", 1)[1] for c in world.companies})
    made: list[tuple[str, str]] = []
    while len(made) < count:
        name = f"{rng.choice(NAME_A)}{rng.choice(NAME_B)} {rng.choice(nouns)}"
        if name in taken:
            continue
        taken.add(name)
        made.append((name, f"{name.split()[0].lower()}-{len(made)}.com"))
    return made


def messy_export(
    world: World, seed: int = 11, outsiders: float = 0.15, duplicates: float = 0.08
) -> CrmExport:
    """The CRM export of the module docstring, with the truth of every row."""
    rng = random.Random(f"crm:{seed}")
    columns = {
        "domain": rng.choice(DOMAIN_HEADERS),
        "email": rng.choice(EMAIL_HEADERS),
        "name": rng.choice(NAME_HEADERS),
        "id": rng.choice(ID_HEADERS),
        "crm_id": "CRM Account ID",
        "other": rng.choice(OTHER_HEADERS),
    }
    order = list(columns)
    rng.shuffle(order)
    records: list[tuple[dict[str, str], str]] = []
    people = ("anna", "li.wei", "j.smith", "mario", "sato", "k.müller", "info", "sales")
    entries = [(c.name, c.domain, c.customer_id) for c in world.companies]
    entries += [
        (c.name, c.domain, c.customer_id) for c in rng.sample(world.companies, int(len(entries) * duplicates))
    ]
    entries += [(n, d, "") for n, d in outsider_names(rng, world, int(len(world.companies) * outsiders))]
    rng.shuffle(entries)
    for number, (name, domain, truth) in enumerate(entries):
        row = {"name": messy_name(rng, name), "domain": "", "email": "", "id": "", "other": ""}
        row["crm_id"] = f"ACC-{100000 + number}"
        roll = rng.random()
        if roll < 0.45:
            row["domain"] = messy_website(rng, domain)
        elif roll < 0.60:
            row["email"] = f"{rng.choice(people)}@{domain}"
        elif roll < 0.75:
            row["email"] = f"{rng.choice(people)}{rng.randrange(99)}@{rng.choice(PERSONAL)}"
        elif roll < 0.80:
            row["domain"] = messy_website(rng, domain)
            row["email"] = f"{rng.choice(people)}@{domain}"
        # else: no domain at all, the name has to do
        if truth and rng.random() < 0.10:
            row["id"] = truth
        row["other"] = rng.choice(("", "Jane Doe", "+44 20 7946 0000", '=HYPERLINK("x")', "Qualified"))
        records.append((row, truth))
    header = [columns[key] for key in order]
    return CrmExport(header, [[row[key] for key in order] for row, _ in records], [t for _, t in records])


@dataclass
class Scores:
    precision: float
    recall: float
    per_method: dict[str, tuple[int, int]]  # method -> (rows, right)
    wrong: list[tuple[int, Match, str]]


def score(matches: Sequence[Match], truth: Sequence[str]) -> Scores:
    per_method: Counter[str] = Counter()
    right_per_method: Counter[str] = Counter()
    wrong: list[tuple[int, Match, str]] = []
    for number, (found, expected) in enumerate(zip(matches, truth, strict=True)):
        per_method[found.method] += 1
        if found.automatic:
            if found.customer_id == expected:
                right_per_method[found.method] += 1
            else:
                wrong.append((number, found, expected))
    automatic = sum(per_method[m] for m in AUTOMATIC)
    right = sum(right_per_method.values())
    matchable = sum(1 for t in truth if t)
    return Scores(
        precision=right / automatic if automatic else 1.0,
        recall=right / matchable if matchable else 1.0,
        per_method={m: (per_method[m], right_per_method[m]) for m in METHODS},
        wrong=wrong,
    )


async def load_customers(db: Path, customers: list[Customer]) -> list[Customer]:
    """Write the customers to a real SQLite store and read them back as `ascent match` does."""
    store = await open_store(db)
    async with store:
        await store.customers.upsert_all(customers)
    store = await open_store(db, reading=True)
    async with store:
        return await store.customers.all()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--thresholds", default="0.8,0.85,0.9,0.95")
    parser.add_argument("--speed-rows", type=int, default=10_000)
    parser.add_argument("--show-wrong", type=int, default=5, help="print this many wrong matches")
    args = parser.parse_args(argv)

    world = World.generate(companies=args.companies, seed=7)
    with tempfile.TemporaryDirectory() as folder:
        customers = asyncio.run(load_customers(Path(folder) / "bench.db", customers_of(world)))
    export = messy_export(world, args.seed)
    data = export.csv_bytes()
    matchable = sum(1 for t in export.truth if t)
    print(
        f"{len(customers)} customers in the store; CRM export: {len(export.rows)} rows, "
        f"{matchable} matchable, "
        f"columns {export.header}"
    )
    print(f"{'threshold':>9} {'precision':>9} {'matched':>8}  " + " ".join(f"{m:>15}" for m in METHODS))
    for threshold in (float(t) for t in args.thresholds.split(",")):
        result = match_crm("crm.csv", data, customers, threshold=threshold)
        scores = score(result.matches, export.truth)
        cells = " ".join(
            f"{rows:>6} ({right:>5})" if m in AUTOMATIC else f"{rows:>15}"
            for m, (rows, right) in scores.per_method.items()
        )
        print(f"{threshold:>9.2f} {scores.precision:>9.4f} {scores.recall:>8.4f}  {cells}")
        for number, found, expected in scores.wrong[: args.show_wrong]:
            print(
                f"{'':>12}wrong: row {number}: {export.rows[number]} -> {found.method} "
                f"{found.customer_id} (is {expected or 'not in ascent'})"
            )
    print(
        "(per method: rows (of which right); precision = right / automatic matches; "
        "matched = right / matchable rows)"
    )
    _speed(world, customers, args.seed, args.speed_rows)
    return 0


def _speed(world: World, customers: list[Customer], seed: int, rows: int) -> None:
    export = messy_export(world, seed + 1)
    repeated = (export.rows * (rows // len(export.rows) + 1))[:rows]
    data = CrmExport(export.header, repeated, []).csv_bytes()
    timings, cpu = [], []
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = match_crm("crm.csv", data, customers)
        result.csv_bytes()
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    scale = 10_000 / rows
    print(
        f"speed: {rows} rows against {len(customers)} customers, read + match + write, median of 3: "
        f"{statistics.median(timings) * scale:.2f} s wall, {statistics.median(cpu) * scale:.2f} s CPU "
        f"per 10,000 rows"
    )


if __name__ == "__main__":
    raise SystemExit(main())
