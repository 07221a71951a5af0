"""PotentialRevenue: yearly whitespace revenue from a configurable price table (SPEC §7).

Whitespace = what the customer does not yet own x seats or devices x price x 12, per line:

- ``M365``: employees without an M365 seat x the target SKU price, plus existing seats x the
  price step up to the target SKU. The target is Business Premium up to 300 employees, E3 above.
- ``Copilot``: M365 seats (employees when none) x Copilot price, unless the customer has Copilot.
- ``Security``: seats not on E5 x (E5 price - price of the SKU they are on), i.e. the E5 step-up
  that brings Defender and Entra P2; employees x E5 for a customer without M365.
- ``Azure``: employees x ``azure_per_employee_monthly`` minus today's Azure consumption.
- ``D365BC``, ``D365SP``, ``PowerApps``: ``business_apps_user_share`` of employees (at least
  one user) x the product price, unless the product is owned.
- ``Surface``: devices for every M365 seat (employees when none) not covered by a Surface
  bought within the refresh period, x device price / refresh years (yearly value).

Every line is yearly USD, never negative, rounded to whole dollars.
"""

from __future__ import annotations

import math

from intent.cohorts import BUSINESS_PLAN_LIMIT, M365_SKU_ORDER, Holdings, Profile
from intent.settings import IntentSettings, prices_of

REVENUE_LINES: tuple[str, ...] = (
    "Azure",
    "M365",
    "Copilot",
    "Security",
    "Surface",
    "D365BC",
    "D365SP",
    "PowerApps",
)

# Which revenue lines each report's PotentialRevenue adds up.
REPORT_LINES: dict[str, tuple[str, ...]] = {
    "azure": ("Azure",),
    "m365": ("M365", "Copilot"),
    "d365": ("D365BC", "D365SP", "PowerApps"),
    "security": ("Security",),
    "surface": ("Surface",),
    "renewal": REVENUE_LINES,
}


def whitespace(
    profile: Profile, holdings: Holdings, has: dict[str, bool], settings: IntentSettings
) -> dict[str, float]:
    """Yearly whitespace revenue per line for one customer."""
    price = prices_of(settings)
    employees = max(profile.org_size, 1)
    seats = holdings.m365_seats
    active = holdings.active
    target = "M365 Business Premium" if employees <= BUSINESS_PLAN_LIMIT else "M365 E3"
    target_price = price.get(target, 0.0)
    current_price = price.get(holdings.top_m365_sku or "", 0.0)
    lines: dict[str, float] = {}
    upgrade = max(target_price - current_price, 0.0) * seats if seats else 0.0
    lines["M365"] = (max(employees - seats, 0) * target_price + upgrade) * 12
    copilot_users = seats or employees
    lines["Copilot"] = 0.0 if has.get("HasCopilot") else copilot_users * price.get("Copilot", 0.0) * 12
    e5 = price.get("M365 E5", 0.0)
    if has.get("HasE5"):
        lines["Security"] = max(employees - seats, 0) * e5 * 12 if seats else 0.0
    elif seats:
        e5_gap = max(e5 - current_price, 0.0)
        lines["Security"] = seats * e5_gap * 12
    else:
        lines["Security"] = employees * e5 * 12
    azure_potential = employees * settings.azure_per_employee_monthly - profile.azure_monthly_revenue
    lines["Azure"] = max(azure_potential, 0.0) * 12
    users = max(1, math.ceil(employees * settings.business_apps_user_share))
    for line, product in (
        ("D365BC", "D365 Business Central"),
        ("D365SP", "D365 Sales Pro"),
        ("PowerApps", "Power Apps"),
    ):
        lines[line] = 0.0 if product in active else users * price.get(product, 0.0) * 12
    devices_needed = max((seats or employees) - holdings.recent_surface_devices, 0)
    years = max(settings.surface_refresh_years, 1e-9)
    lines["Surface"] = devices_needed * price.get("Surface", 0.0) / years
    return {line: float(round(max(lines[line], 0.0))) for line in REVENUE_LINES}


def report_revenue(lines: dict[str, float], report: str) -> float:
    return float(sum(lines.get(line, 0.0) for line in REPORT_LINES[report]))


__all__ = ["M365_SKU_ORDER", "REPORT_LINES", "REVENUE_LINES", "report_revenue", "whitespace"]
