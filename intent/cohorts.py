"""Yes/No flags and cohorts of SPEC §6, each a documented rule over holdings and technographics.

A customer's *holdings* are its imported products; only ``active`` ones count, except Surface
devices, which count while bought within ``surface_refresh_years`` of the month's end.
Technographics (technologies seen on the customer's domain, DNS and pages) add evidence for
the flags of cloud services a partner may not sell itself (Google, AWS, Salesforce, Zoom) and
for Microsoft services bought elsewhere. Every flag keeps its evidence as short sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from common.vocabulary import FLAGS
from intent.vocabulary import products

# Technology names (lower case) that prove a flag; a name matches exactly or as a prefix
# followed by a space ("aws" matches "AWS CloudFront" but "zoom" does not match "ZoomInfo").
TECHNOLOGY_ALIASES: dict[str, tuple[str, ...]] = {
    "HasAzure": ("azure", "microsoft azure"),
    "HasM365": ("microsoft 365", "office 365", "exchange online", "sharepoint online", "microsoft teams"),
    "HasD365": ("dynamics 365", "microsoft dynamics 365"),
    "HasGoogle": ("google workspace", "g suite", "gmail"),
    "HasAWS": ("aws", "amazon web services", "amazon ses", "amazon cloudfront", "amazon s3"),
    "HasSalesforce": ("salesforce", "pardot"),
    "HasZoom": ("zoom",),
}

# M365 subscriptions from smallest to largest; the last of a customer's SKUs is its "top" SKU.
M365_SKU_ORDER: tuple[str, ...] = (
    "M365 Business Basic",
    "Office 365 E1",
    "M365 Business Standard",
    "M365 Business Premium",
    "M365 E3",
    "M365 E5",
)
# The SKU a customer of this many employees should end up on (Business plans stop at 300 seats).
BUSINESS_PLAN_LIMIT = 300
ON_PREM_ACCOUNTING: tuple[str, ...] = ("Dynamics NAV", "Dynamics GP", "Dynamics AX")
COPILOT_READY_SKUS: tuple[str, ...] = (
    "M365 Business Standard",
    "M365 Business Premium",
    "M365 E3",
    "M365 E5",
)


@dataclass(frozen=True)
class Holding:
    product: str
    quantity: int
    purchase_date: date | None
    status: str


@dataclass(frozen=True)
class Technology:
    name: str
    method: str
    evidence: str


@dataclass(frozen=True)
class Profile:
    """What flags, cohorts and whitespace need to know about one customer."""

    customer_id: str
    org_size: int
    azure_monthly_revenue: float
    holdings: tuple[Holding, ...] = ()
    technologies: tuple[Technology, ...] = ()


@dataclass(frozen=True)
class Holdings:
    """The facts the rules use, derived once per customer and month."""

    active: dict[str, int]  # product -> seats or devices, active subscriptions only
    m365_seats: int
    top_m365_sku: str | None
    recent_surface_devices: int  # bought within the refresh period


def summarise(profile: Profile, as_of: date, refresh_years: float = 3.0) -> Holdings:
    active: dict[str, int] = {}
    recent_surface = 0
    horizon_days = refresh_years * 365.25
    for holding in profile.holdings:
        if holding.product == "Surface":
            bought = holding.purchase_date
            if (bought is not None and 0 <= (as_of - bought).days <= horizon_days) or (
                bought is None and holding.status == "active"
            ):
                recent_surface += holding.quantity
            continue
        if holding.status == "active":
            active[holding.product] = active.get(holding.product, 0) + holding.quantity
    skus = [sku for sku in M365_SKU_ORDER if sku in active]
    return Holdings(
        active=active,
        m365_seats=sum(active.get(sku, 0) for sku in M365_SKU_ORDER),
        top_m365_sku=skus[-1] if skus else None,
        recent_surface_devices=recent_surface,
    )


def _families(holdings: Holdings) -> dict[str, list[str]]:
    known = products()
    by_family: dict[str, list[str]] = {}
    for product in sorted(holdings.active):
        info = known.get(product)
        by_family.setdefault(info.family if info else "", []).append(product)
    return by_family


def _technology_evidence(profile: Profile) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tech in sorted(profile.technologies, key=lambda t: (t.name, t.method, t.evidence)):
        name = tech.name.strip().lower()
        for flag, aliases in TECHNOLOGY_ALIASES.items():
            if any(name == a or name.startswith(a + " ") for a in aliases):
                found.setdefault(flag, []).append(
                    f"{tech.name} seen via {tech.method}: {tech.evidence}"[:200]
                )
    return found


def flags(profile: Profile, holdings: Holdings) -> dict[str, list[str]]:
    """Each flag with its evidence; a flag is Yes exactly when its evidence list is not empty.

    - HasAzure: an active Azure subscription, Azure consumption (AzureMonthlyRevenue > 0), or
      Azure seen in technographics.
    - HasM365: an active M365/Office 365 subscription or Microsoft 365 in technographics.
    - HasD365: an active Dynamics 365 cloud product (Business Central, Sales, Customer Service)
      or Dynamics 365 in technographics.
    - HasSurface: Surface devices bought within the refresh period (default 3 years).
    - HasCopilot: an active Copilot subscription.  HasE5: an active M365 E5 subscription.
    - HasGoogle, HasAWS, HasSalesforce, HasZoom: the technology in technographics.
    """
    by_family = _families(holdings)
    active = holdings.active
    evidence: dict[str, list[str]] = {flag: [] for flag in FLAGS}

    def owned(product: str) -> str:
        return f"owns {product} ({active[product]} active)"

    evidence["HasAzure"] += [owned(p) for p in by_family.get("Azure", [])]
    if profile.azure_monthly_revenue > 0:
        evidence["HasAzure"].append(f"Azure consumption {profile.azure_monthly_revenue:g} USD/month")
    evidence["HasM365"] += [owned(p) for p in by_family.get("M365", [])]
    evidence["HasD365"] += [owned(p) for p in by_family.get("D365", [])]
    if holdings.recent_surface_devices > 0:
        evidence["HasSurface"].append(f"{holdings.recent_surface_devices} Surface device(s) bought recently")
    if "Copilot" in active:
        evidence["HasCopilot"].append(owned("Copilot"))
    if "M365 E5" in active:
        evidence["HasE5"].append(owned("M365 E5"))
    for flag, items in _technology_evidence(profile).items():
        evidence[flag] += items
    return evidence


def cohorts(profile: Profile, holdings: Holdings, flag_evidence: dict[str, list[str]]) -> list[str]:
    """The cohorts a customer belongs to, in COHORTS order.

    - Azure_M365NoAzure: HasM365 and not HasAzure.
    - M365_MoveToCloud: an active on-prem Office or Exchange Server install, or not HasM365.
    - M365_UpsellExisting: HasM365 and room to grow: fewer M365 seats than employees, or a
      top SKU below the ceiling for its size (Business Premium up to 300 employees, E5 above).
    - M365_Copilot: HasM365 on a Copilot-ready SKU (Business Standard or better) and not HasCopilot.
    - Surface_Acquire_1_49Seats / Surface_Acquire_50PlusSeats: not HasSurface and 1-49 / 50+
      M365 seats.
    - Surface_Upsell_1_24Devices / Surface_Upsell_25PlusDevices: 1-24 / 25+ Surface devices
      bought within the refresh period.
    - D365BC_MigrateOnPrem: an active Dynamics NAV, GP or AX install and no D365 Business Central.
    - Security_UpsellE5: HasM365 and not HasE5.
    """
    has = {flag: bool(items) for flag, items in flag_evidence.items()}
    active = holdings.active
    seats = holdings.m365_seats
    on_prem_office = any(products().get(p) and products()[p].family == "OfficeOnPrem" for p in active)
    result: list[str] = []
    if has["HasM365"] and not has["HasAzure"]:
        result.append("Azure_M365NoAzure")
    if on_prem_office or not has["HasM365"]:
        result.append("M365_MoveToCloud")
    if has["HasM365"]:
        ceiling = "M365 Business Premium" if profile.org_size <= BUSINESS_PLAN_LIMIT else "M365 E5"
        top = holdings.top_m365_sku
        below_ceiling = top is not None and M365_SKU_ORDER.index(top) < M365_SKU_ORDER.index(ceiling)
        if seats < profile.org_size or below_ceiling:
            result.append("M365_UpsellExisting")
        if holdings.top_m365_sku in COPILOT_READY_SKUS and not has["HasCopilot"]:
            result.append("M365_Copilot")
    if not has["HasSurface"]:
        if 1 <= seats <= 49:
            result.append("Surface_Acquire_1_49Seats")
        elif seats >= 50:
            result.append("Surface_Acquire_50PlusSeats")
    devices = holdings.recent_surface_devices
    if 1 <= devices <= 24:
        result.append("Surface_Upsell_1_24Devices")
    elif devices >= 25:
        result.append("Surface_Upsell_25PlusDevices")
    if any(p in active for p in ON_PREM_ACCOUNTING) and "D365 Business Central" not in active:
        result.append("D365BC_MigrateOnPrem")
    if has["HasM365"] and not has["HasE5"]:
        result.append("Security_UpsellE5")
    return result


def profile_from_rows(
    customer_id: str,
    org_size: int,
    azure_monthly_revenue: float,
    product_rows: Sequence[tuple[str, int, str | None, str]],
    technology_rows: Sequence[tuple[str, str, str]],
) -> Profile:
    """Build a profile from stored rows (product, quantity, purchase_date, status) and
    (technology, method, evidence)."""
    holdings = tuple(
        Holding(product, int(quantity), _parse_date(purchased), status)
        for product, quantity, purchased, status in product_rows
    )
    techs = tuple(Technology(name, method, evidence) for name, method, evidence in technology_rows)
    return Profile(customer_id, int(org_size), float(azure_monthly_revenue), holdings, techs)


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
