"""The CSV inputs (SPEC §2) that describe a world: customers, products, agreements, fit, outcomes.

Everything is consistent with the sites: Microsoft 365 mail in DNS goes with M365 seats,
other mail with Exchange Server and Office 2016, and opportunities are more likely, and more
often won, where the area fits the customer and where the planted intent in the area is
high, so validation can find lift (see OPPORTUNITY_LOGIT).
"""

from __future__ import annotations

import calendar
import csv
import math
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from common.vocabulary import AREAS
from scripts.fixture_web.truth import intent_by_area

if TYPE_CHECKING:
    from scripts.fixture_web.world import Company, World

CUSTOMER_COLUMNS = [
    "CustomerID",
    "AccountName",
    "Domain",
    "OrgSize",
    "Industry",
    "Vertical",
    "City",
    "State",
    "PostalCode",
    "Country",
    "IsNonprofit",
    "AzureMonthlyRevenue",
    "PartnerID",
    "PartnerName",
]
PRODUCT_COLUMNS = ["CustomerID", "Product", "Quantity", "PurchaseDate", "Status"]
AGREEMENT_COLUMNS = [
    "CustomerID",
    "AgreementID",
    "LicenseProgram",
    "AgreementEndDate",
    "RevSumDivisionName",
    "ExpiringRevenue",
]
FIT_COLUMNS = ["CustomerID", "Area", "Score", "Quarter"]
OUTCOME_COLUMNS = ["OpportunityID", "CustomerID", "Area", "CreatedDate", "ClosedDate", "Outcome", "Revenue"]

# Rough yearly deal value per seat or device, for opportunity revenue.
AREA_VALUE = {
    "Azure": 400.0,
    "M365": 260.0,
    "Security": 120.0,
    "Surface": 1200.0,
    "D365BC": 960.0,
    "D365SP": 780.0,
    "PowerApps": 240.0,
}


def write_csv(world: World, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    rows: dict[str, tuple[list[str], list[list[str]]]] = {
        "customers": (CUSTOMER_COLUMNS, []),
        "products": (PRODUCT_COLUMNS, []),
        "agreements": (AGREEMENT_COLUMNS, []),
        "fit": (FIT_COLUMNS, []),
        "outcomes": (OUTCOME_COLUMNS, []),
    }
    for company in world.companies:
        rng = random.Random(f"csv:{world.seed}:{company.index}")
        rows["customers"][1].append(_customer(company))
        products = _products(company, rng, world.now.date())
        rows["products"][1].extend(products)
        rows["agreements"][1].extend(_agreements(company, rng, world.now.date()))
        propensity = fit_propensity(company, {row[1] for row in products})
        rows["fit"][1].extend(_fit(company, rng, world.now.date(), propensity))
        rows["outcomes"][1].extend(_outcomes(world, company, rng, propensity))
    paths = {}
    for name, (header, body) in rows.items():
        path = directory / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(body)
        paths[name] = path
    return paths


def _customer(c: Company) -> list[str]:
    return [
        c.customer_id,
        c.name,
        c.domain,
        str(c.org_size),
        c.industry,
        c.vertical,
        c.city,
        c.state,
        c.postal_code,
        c.country,
        "Yes" if c.is_nonprofit else "No",
        f"{c.azure_monthly_revenue:.2f}",
        c.partner_id,
        c.partner_name,
    ]


def _ago(rng: random.Random, today: date, max_days: int, min_days: int = 30) -> str:
    return (today - timedelta(days=rng.randint(min_days, max_days))).isoformat()


def _products(c: Company, rng: random.Random, today: date) -> list[list[str]]:
    rows: list[list[str]] = []
    seats = max(1, int(c.org_size * rng.uniform(0.5, 1.0)))

    def add(product: str, quantity: int, status: str = "active", max_days: int = 1400) -> None:
        rows.append([c.customer_id, product, str(quantity), _ago(rng, today, max_days), status])

    if c.mail == "Microsoft 365":
        if c.org_size <= 300:
            sku = rng.choice(
                (
                    "M365 Business Basic",
                    "M365 Business Standard",
                    "M365 Business Premium",
                    "M365 Business Premium",
                )
            )
        else:
            sku = rng.choice(("M365 E3", "M365 E3", "M365 E5"))
        add(sku, min(seats, 300) if sku.startswith("M365 Business") else seats)
        if rng.random() < 0.2:
            add("Copilot", max(1, seats // 10), max_days=300)
        if rng.random() < 0.15:
            add("Defender for Business", seats)
        if c.org_size > 300 and rng.random() < 0.2:
            add("Entra ID P2", seats)
        if rng.random() < 0.1:
            add("Office 365 E1", seats, "expired")
    elif c.mail == "Google Workspace":
        if rng.random() < 0.4:
            add("Office 2019", max(1, seats // 4))
    else:
        add("Exchange Server", 1, max_days=3000)
        add("Office 2016", seats, max_days=3000)
    if c.azure_monthly_revenue > 0:
        add("Azure", 1)
    accounting = rng.random()
    if accounting < 0.12:
        add("Dynamics NAV", max(1, seats // 8), max_days=4000)
    elif accounting < 0.2:
        add("Dynamics GP", max(1, seats // 8), max_days=4000)
    elif accounting < 0.3:
        add("D365 Business Central", max(1, seats // 6))
    elif accounting < 0.33 and c.org_size > 300:
        add("Dynamics AX", max(1, seats // 10), max_days=4000)
    if rng.random() < 0.08:
        add("D365 Sales Pro", max(1, seats // 10))
    elif rng.random() < 0.04:
        add("Dynamics CRM On-Prem", max(1, seats // 10), max_days=4000)
    if rng.random() < 0.06:
        add("Power Apps", max(1, seats // 5))
    if rng.random() < 0.3:
        add("Surface", max(1, min(200, int(seats * rng.uniform(0.05, 0.4)))), max_days=1800)
    if rng.random() < 0.15:
        add("Windows Server 2012", max(1, c.org_size // 50), max_days=4000)
    if rng.random() < 0.08:
        add("SQL Server 2012", max(1, c.org_size // 100), max_days=4000)
    return rows


def _agreements(c: Company, rng: random.Random, today: date) -> list[list[str]]:
    if rng.random() > 0.7:
        return []
    program = rng.choice(("CSP", "CSP", "MCA", "EA", "Open Value", "MPSA"))
    division = (
        "Public Sector"
        if c.industry in {"Education", "Nonprofit"}
        else "SMB Corporate"
        if c.org_size >= 300
        else "SMB"
    )
    end = today + timedelta(days=rng.randint(5, 365))
    revenue = round(c.org_size * rng.uniform(80, 450), 2)
    return [[c.customer_id, f"AG-{c.index + 1:06d}", program, end.isoformat(), division, f"{revenue:.2f}"]]


def _quarter(today: date) -> str:
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def fit_propensity(c: Company, owned: set[str]) -> dict[str, float]:
    """How well each area fits a customer (0..1), from what it owns and its size.

    The world's hidden truth behind fit: it drives the imported fit scores, past wins (what a
    lookalike model learns from) and, with intent, the opportunities after the clock's month.
    """
    m365 = any(p.startswith(("M365", "Office 365")) for p in owned)
    on_prem_office = bool(owned & {"Office 2016", "Office 2019", "Exchange Server"})
    on_prem_erp = bool(owned & {"Dynamics NAV", "Dynamics GP", "Dynamics AX"})
    servers = bool(owned & {"Windows Server 2012", "SQL Server 2012"})
    sized = min(1.0, math.log10(max(c.org_size, 2)) / 3)  # 0.1 at 2 staff, 1.0 at 1000+
    return {
        "Azure": min(1.0, 0.2 + 0.3 * (m365 and "Azure" not in owned) + 0.3 * servers + 0.2 * sized),
        "M365": min(1.0, 0.15 + 0.6 * (on_prem_office or not m365) + 0.15 * sized),
        "Security": min(1.0, 0.1 + 0.6 * (m365 and "M365 E5" not in owned) + 0.2 * sized),
        "Surface": min(1.0, 0.1 + 0.5 * (m365 and "Surface" not in owned) + 0.3 * sized),
        "D365BC": min(1.0, 0.1 + 0.7 * on_prem_erp + 0.1 * (25 <= c.org_size < 300)),
        "D365SP": min(
            1.0, 0.1 + 0.5 * ("Dynamics CRM On-Prem" in owned) + 0.3 * ("Salesforce" in c.tech) + 0.1 * sized
        ),
        "PowerApps": min(1.0, 0.15 + 0.4 * m365 + 0.2 * sized),
    }


def _fit(c: Company, rng: random.Random, today: date, propensity: dict[str, float]) -> list[list[str]]:
    if rng.random() > 0.4:
        return []
    rows = []
    for area in rng.sample(AREAS, rng.randint(3, len(AREAS))):
        score = max(0.0, min(100.0, 10 + 80 * propensity[area] + rng.gauss(0, 10)))
        rows.append([c.customer_id, area, f"{score:.1f}", _quarter(today)])
    return rows


def _month_end(when: datetime) -> date:
    last = calendar.monthrange(when.year, when.month)[1]
    return date(when.year, when.month, last)


# How the world's customers buy. A customer opens an opportunity in an area, and wins it, with
# log-odds that grow alike with fit (does the area suit what it owns and its size) and with
# being in market (recent planted signals in the area): the premise of the SPEC's matrix, whose
# clusters rank cells by both bands and put a high-fit, quiet customer (C1) above a poor-fit,
# busy one (D1). In a quarter 8-25 % of customers open an opportunity in an area (the broad
# areas Azure and M365 most), half or more where both fit and intent are high, and a quiet,
# poorly fitting customer almost never does (about 2 %).
OPPORTUNITY_LOGIT = (-4.2, 2.8)  # intercept; slope per unit of (fit + in-market), each 0..1
WIN_LOGIT = (-1.6, 1.6)
HISTORY_LOGIT = (-4.0, 2.8)  # last year's opportunities, from fit alone (intent then is unknown)


def _logistic(coefficients: tuple[float, float], x: float) -> float:
    intercept, slope = coefficients
    return 1.0 / (1.0 + math.exp(-(intercept + slope * x)))


def in_market(strength: float) -> float:
    """0 with no recent planted intent in an area, towards 1 with a lot."""
    return 1.0 - math.exp(-max(0.0, strength))


def opportunity_chance(fit: float, intent_strength: float) -> tuple[float, float]:
    """(chance of an opportunity within the quarter after the month, chance it is won)."""
    x = fit + in_market(intent_strength)
    return _logistic(OPPORTUNITY_LOGIT, x), _logistic(WIN_LOGIT, x)


def _outcomes(world: World, c: Company, rng: random.Random, propensity: dict[str, float]) -> list[list[str]]:
    """Opportunities created in the 90 days after the clock's month, plus a year of history.

    Both are more likely, and more often won, where the area fits the customer; the new ones
    also where the planted intent in the area is high (see OPPORTUNITY_LOGIT).
    """
    rows: list[list[str]] = []
    intent = intent_by_area(world, c, world.now)
    start = _month_end(world.now)
    seq = 0
    for area in AREAS:
        fit = propensity[area]
        opens, wins = opportunity_chance(fit, intent.get(area, 0.0))
        if rng.random() < opens:
            seq += 1
            created = start + timedelta(days=rng.randint(1, 90))
            roll = rng.random()
            outcome = "won" if roll < wins else "open" if roll < wins + 0.2 * (1 - wins) else "lost"
            rows.append(_opportunity(c, seq, area, created, outcome, rng))
        if rng.random() < _logistic(HISTORY_LOGIT, 2 * fit):
            seq += 1
            created = world.now.date() - timedelta(days=rng.randint(60, 420))
            outcome = "won" if rng.random() < _logistic(WIN_LOGIT, 2 * fit) else "lost"
            rows.append(_opportunity(c, seq, area, created, outcome, rng))
    return rows


def _opportunity(
    c: Company, seq: int, area: str, created: date, outcome: str, rng: random.Random
) -> list[str]:
    closed = "" if outcome == "open" else (created + timedelta(days=rng.randint(10, 75))).isoformat()
    units = max(1, int(c.org_size * rng.uniform(0.1, 0.8)))
    revenue = 0.0 if outcome == "lost" else round(units * AREA_VALUE[area], 2)
    return [
        f"OPP-{c.index + 1:05d}-{seq:02d}",
        c.customer_id,
        area,
        created.isoformat(),
        closed,
        outcome,
        f"{revenue:.2f}",
    ]
