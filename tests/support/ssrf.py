"""The fixtures of the SSRF tests (crawler guard and security): an internal service that must
never see a connection, and a loopback DNS server whose answers the attacker chooses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.support.loopback_http import LoopbackDns, LoopbackHttp


@pytest_asyncio.fixture(loop_scope="function")
async def victim() -> AsyncIterator[LoopbackHttp]:
    """The internal service an attacker wants us to reach; it must never see a connection."""
    async with LoopbackHttp(host="127.0.0.1") as server:
        server.static("/", 200, b"internal secrets")
        server.static("/latest/meta-data/", 200, b"credentials")
        yield server


@pytest_asyncio.fixture(loop_scope="function")
async def dns() -> AsyncIterator[LoopbackDns]:
    async with LoopbackDns() as server:
        yield server
