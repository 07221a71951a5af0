"""Flags, cohorts (SPEC §6) and whitespace revenue (SPEC §7), rule by rule."""

from __future__ import annotations

from datetime import date

from common.vocabulary import COHORTS, FLAGS, REPORT_NAMES
from intent.cohorts import Holding, Profile, Technology, cohorts, flags, summarise
from intent.revenue import REPORT_LINES, report_revenue, whitespace
from intent.settings import IntentSettings

AS_OF = date(2026, 11, 30)
SETTINGS = IntentSettings()


def evaluate(org_size: int = 40, holdings=(), technologies=(), azure: float = 0.0):
    profile = Profile("C", org_size, azure, tuple(holdings), tuple(technologies))
    held = summarise(profile, AS_OF)
    evidence = flags(profile, held)
    has = {f: bool(e) for f, e in evidence.items()}
    return has, evidence, cohorts(profile, held, evidence), whitespace(profile, held, has, SETTINGS)


def active(product: str, quantity: int = 10, bought: date | None = date(2025, 1, 1)) -> Holding:
    return Holding(product, quantity, bought, "active")


def test_no_holdings_no_flags() -> None:
    has, _, members, _ = evaluate()
    assert not any(has.values())
    assert set(has) == set(FLAGS)
    assert members == ["M365_MoveToCloud"]


def test_flags_from_products_with_evidence() -> None:
    has, evidence, _, _ = evaluate(
        holdings=[active("Azure"), active("M365 E5", 30), active("Copilot", 5), active("D365 Sales Pro", 3)]
    )
    assert has["HasAzure"] and has["HasM365"] and has["HasE5"] and has["HasCopilot"] and has["HasD365"]
    assert evidence["HasE5"] == ["owns M365 E5 (30 active)"]


def test_expired_products_do_not_count() -> None:
    has, _, _, _ = evaluate(holdings=[Holding("M365 E3", 10, None, "expired")])
    assert not has["HasM365"]


def test_azure_consumption_is_azure() -> None:
    has, evidence, _, _ = evaluate(azure=250.0)
    assert has["HasAzure"] and "250" in evidence["HasAzure"][0]


def test_flags_from_technographics() -> None:
    techs = [
        Technology("Google Workspace", "dns_mx", "aspmx.l.google.com"),
        Technology("AWS CloudFront", "http_header", "x-amz-cf-id"),
        Technology("Salesforce", "dns_txt", "salesforce spf"),
        Technology("ZoomInfo", "html_script", "ws.zoominfo.com"),  # not Zoom
        Technology("Microsoft 365", "dns_mx", "contoso-com.mail.protection.outlook.com"),
    ]
    has, evidence, _, _ = evaluate(technologies=techs)
    assert has["HasGoogle"] and has["HasAWS"] and has["HasSalesforce"] and has["HasM365"]
    assert not has["HasZoom"]
    assert "aspmx.l.google.com" in evidence["HasGoogle"][0]


def test_surface_counts_only_recent_devices() -> None:
    has, _, members, _ = evaluate(holdings=[Holding("Surface", 12, date(2022, 1, 1), "active")])
    assert not has["HasSurface"]
    has, _, members, _ = evaluate(holdings=[Holding("Surface", 12, date(2025, 1, 1), "expired")])
    assert has["HasSurface"] and "Surface_Upsell_1_24Devices" in members
    _, _, members, _ = evaluate(holdings=[active("Surface", 25)])
    assert "Surface_Upsell_25PlusDevices" in members and "Surface_Upsell_1_24Devices" not in members


def test_surface_acquire_by_m365_seats() -> None:
    _, _, small, _ = evaluate(holdings=[active("M365 Business Premium", 49)])
    _, _, large, _ = evaluate(holdings=[active("M365 Business Premium", 50)])
    assert "Surface_Acquire_1_49Seats" in small and "Surface_Acquire_50PlusSeats" not in small
    assert "Surface_Acquire_50PlusSeats" in large
    _, _, with_surface, _ = evaluate(holdings=[active("M365 Business Premium", 50), active("Surface", 3)])
    assert not any(c.startswith("Surface_Acquire") for c in with_surface)


def test_m365_cohorts() -> None:
    _, _, on_prem, _ = evaluate(holdings=[active("M365 Business Premium", 40), active("Exchange Server", 1)])
    assert "M365_MoveToCloud" in on_prem
    _, _, full, _ = evaluate(org_size=40, holdings=[active("M365 Business Premium", 40)])
    assert "M365_UpsellExisting" not in full and "M365_MoveToCloud" not in full
    _, _, seats_gap, _ = evaluate(org_size=60, holdings=[active("M365 Business Premium", 40)])
    assert "M365_UpsellExisting" in seats_gap
    _, _, sku_gap, _ = evaluate(org_size=40, holdings=[active("M365 Business Standard", 40)])
    assert "M365_UpsellExisting" in sku_gap
    _, _, big_e3, _ = evaluate(org_size=500, holdings=[active("M365 E3", 500)])
    assert "M365_UpsellExisting" in big_e3
    assert "M365_Copilot" in big_e3
    _, _, has_copilot, _ = evaluate(holdings=[active("M365 E3", 40), active("Copilot", 5)])
    assert "M365_Copilot" not in has_copilot
    _, _, basic, _ = evaluate(holdings=[active("M365 Business Basic", 40)])
    assert "M365_Copilot" not in basic


def test_azure_d365_and_security_cohorts() -> None:
    _, _, members, _ = evaluate(holdings=[active("M365 E3", 40), active("Dynamics GP", 1)])
    assert "Azure_M365NoAzure" in members and "Security_UpsellE5" in members
    assert "D365BC_MigrateOnPrem" in members
    _, _, migrated, _ = evaluate(holdings=[active("Dynamics GP", 1), active("D365 Business Central", 5)])
    assert "D365BC_MigrateOnPrem" not in migrated
    _, _, crm_only, _ = evaluate(holdings=[active("Dynamics CRM On-Prem", 1)])
    assert "D365BC_MigrateOnPrem" not in crm_only
    _, _, e5, _ = evaluate(holdings=[active("M365 E5", 40), active("Azure")])
    assert "Security_UpsellE5" not in e5 and "Azure_M365NoAzure" not in e5


def test_cohorts_come_in_declared_order() -> None:
    _, _, members, _ = evaluate(org_size=80, holdings=[active("M365 E3", 60), active("Dynamics NAV", 1)])
    assert members == sorted(members, key=COHORTS.index)


def test_whitespace_from_the_price_table() -> None:
    _, _, _, none = evaluate(org_size=10)
    assert none["M365"] == 10 * 22 * 12
    assert none["Copilot"] == 10 * 30 * 12
    assert none["Security"] == 10 * 57 * 12
    assert none["Azure"] == 10 * 15 * 12
    assert none["D365BC"] == 2 * 80 * 12  # 15 % of 10 employees, rounded up
    assert none["Surface"] == 10 * 1200 / 3
    _, _, _, partial = evaluate(org_size=50, holdings=[active("M365 Business Standard", 40)], azure=100.0)
    assert partial["M365"] == (10 * 22 + 40 * (22 - 12.5)) * 12
    assert partial["Security"] == 40 * (57 - 12.5) * 12
    assert partial["Azure"] == (50 * 15 - 100) * 12
    _, _, _, owned = evaluate(
        holdings=[active("M365 E5", 40), active("Copilot", 40), active("Power Apps", 3)]
    )
    assert owned["Copilot"] == 0 and owned["Security"] == 0 and owned["PowerApps"] == 0
    assert all(v >= 0 for v in owned.values())
    assert report_revenue(none, "m365") == none["M365"] + none["Copilot"]
    assert report_revenue(none, "renewal") == sum(none.values())
    assert set(REPORT_LINES) == set(REPORT_NAMES)


def test_prices_are_a_setting() -> None:
    import dataclasses

    cheap = dataclasses.replace(SETTINGS, prices={**SETTINGS.prices, "M365 Business Premium": 1.0})
    profile = Profile("C", 10, 0.0)
    held = summarise(profile, AS_OF)
    assert whitespace(profile, held, {}, cheap)["M365"] == 10 * 1 * 12
