"""Retry-After, read once for the host gate and the source schedule: capped, zone-less dates
as UTC, negative, overflowing and malformed values ignored."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from crawler.politeness import HostGates
from crawler.retry_after import parse_retry_after
from storage.store import Store
from tests.support.crawl_fakes import FakeGates, FakePage
from tests.support.crawl_loop import SETTINGS, Clock, W, _crawler, _customer, build_web
from tests.support.politeness import setup

CAP = 3600.0
NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
ZONELESS = "Fri, 15 Jan 2027 08:10:00"  # ten minutes after NOW, read as UTC
HOSTILE = ["-5", "-1.5", "soon", "1e9", "0x10", "Fri, 99 Foo 2027 25:61:00 GMT", "٣٠", "9" * 200]
OVERFLOW = "Fri, 31 Dec 99999 23:59:59 GMT"


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """The machine's zone far from UTC: a zone-less date read as local time would be off by
    hours."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "America/Los_Angeles")
        time.tzset()
        yield
    time.tzset()


def test_delays_are_capped_and_dates_read_as_utc(far_from_utc: None) -> None:
    assert parse_retry_after("999999999", cap_s=CAP, wall_now=NOW) == CAP
    assert parse_retry_after("9" * 60, cap_s=CAP, wall_now=NOW) == CAP
    assert parse_retry_after(float("inf"), cap_s=CAP) is None
    assert parse_retry_after(-3.0, cap_s=CAP) is None
    assert parse_retry_after(" 120 ", cap_s=CAP, wall_now=NOW) == 120.0
    assert datetime.fromtimestamp(NOW, UTC).isoformat() == "2027-01-15T08:00:00+00:00"
    assert parse_retry_after(ZONELESS, cap_s=CAP, wall_now=NOW) == 600.0
    assert parse_retry_after(ZONELESS + " GMT", cap_s=CAP, wall_now=NOW) == 600.0
    assert parse_retry_after("Fri, 15 Jan 2027 08:10:00 +0100", cap_s=CAP, wall_now=NOW) == 0.0
    assert parse_retry_after("Sat, 15 Jan 2028 08:00:00 GMT", cap_s=CAP, wall_now=NOW) == CAP


@pytest.mark.parametrize("value", [*HOSTILE, OVERFLOW, "", "   "])
def test_negative_overflowing_and_malformed_values_are_ignored(value: str) -> None:
    assert parse_retry_after(value, cap_s=CAP, wall_now=NOW) is None


@pytest.mark.parametrize("value", ["999999999", ZONELESS, OVERFLOW, *HOSTILE])
async def test_the_host_gate_waits_at_most_the_cap(value: str, far_from_utc: None) -> None:
    gates, _clock, _rec = setup(backoff_base_s=2.0, max_retry_after_s=CAP)
    wait = gates.penalise("busy.example", value)
    assert wait <= CAP
    assert isinstance(gates, HostGates) and gates.delay_for("busy.example") <= CAP
    if value in HOSTILE or value == OVERFLOW:
        assert wait <= 2.0  # only the first error's back-off: the header said nothing usable


@pytest.mark.parametrize(
    ("value", "earliest", "latest"),
    [
        ("999999999", CAP, CAP),  # was ~31 years
        (ZONELESS, 600.0, 600.0),  # was off by the machine's zone offset
        ("-5", 1.0, 1.1 * SETTINGS.source_retry_base_s),  # ignored: the normal retry back-off
        (OVERFLOW, 1.0, 1.1 * SETTINGS.source_retry_base_s),
        ("soon", 1.0, 1.1 * SETTINGS.source_retry_base_s),
    ],
)
async def test_the_source_schedule_uses_the_same_reading(
    store: Store, far_from_utc: None, value: str, earliest: float, latest: float
) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    clock.now = NOW
    web.add(W + "/about", FakePage(b"slow down", 429, headers={"Retry-After": value}))
    settings = dataclasses.replace(SETTINGS, max_retry_after_s=CAP)
    stats = await _crawler(store, web, gates, clock, settings=settings).run(once=True)
    assert stats.errors["http_429"] == 1
    about = next(s for s in await store.frontier.by_customer("C1") if s.url == W + "/about")
    assert earliest <= about.next_due_at - NOW <= latest, about.next_due_at - NOW
    assert all(wait <= CAP for _host, wait in gates.penalties)
