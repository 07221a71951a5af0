"""The fixture web: a local internet of fictional companies with a known ground truth.

    from scripts.fixture_web import World, FixtureWeb
    world = World.generate(companies=200, seed=7)
    async with FixtureWeb(world, port=0, dns_port=0) as web:
        web.resolve_map()   # host -> "127.0.0.1:<port>", the crawler's `resolve` setting
        web.nameserver      # "127.0.0.1:<dns port>", the crawler's `nameservers` entry
        web.clock.advance(days=7)   # newer posts appear

Nothing here reaches the real internet; every host is served on loopback.
"""

from scripts.fixture_web.clock import DEFAULT_NOW, Clock
from scripts.fixture_web.server import FixtureWeb, LogRecord
from scripts.fixture_web.world import Company, Planted, Post, World

__all__ = ["DEFAULT_NOW", "Clock", "Company", "FixtureWeb", "LogRecord", "Planted", "Post", "World"]
