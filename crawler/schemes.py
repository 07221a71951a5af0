"""Which scheme answers on each host: HTTPS first, plain HTTP where HTTPS cannot connect.

Many small-business sites still serve plain HTTP only, or HTTPS with a broken certificate.
The rules (docs/crawler.md, "Scheme fallback"):

* Every host is tried on HTTPS first. When HTTPS fails at the connection or TLS level
  (refused, reset, handshake failure, certificate error) *and has never answered*, the same
  URL is asked once over HTTP; if HTTP answers, the host is recorded as HTTP-only with the
  reason, and its https:// URLs are fetched over HTTP until ``scheme_recheck_s`` has passed,
  when HTTPS is tried again.
* A host whose HTTPS answered with any HTTP status (a 404 or a 503 included) is never
  downgraded: an error status is the site's answer, not a broken transport.
* Certificates are always verified: a certificate error is an error for HTTPS, reported as
  such; only the plain-HTTP fetch that follows it can succeed.
* A redirect back to HTTPS on a host whose HTTPS is known to fail is not followed (the
  HTTP -> HTTPS -> HTTP loop of a site that redirects to a TLS it cannot serve): the visit
  fails as ``tls`` without asking HTTPS again. A redirect to another host's dead HTTPS
  (apex over HTTP -> https://www) continues on that host's HTTP instead, after the redirect
  check, so robots.txt and the politeness slot follow the new URL.
* Every attempt goes through the same fetcher, so the SSRF guard checks each one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from crawler.errors import ConnectFailed, FetchError, TlsFailed
from crawler.fetch import Fetcher, FetchResponse, RedirectCheck
from crawler.urls import host_of
from storage.frontier import HostScheme

# Why a host is fetched over HTTP: its HTTPS failed at one of these levels.
REASON_CERTIFICATE = "certificate"  # TLS answered with a certificate that does not verify
REASON_TLS = "tls"  # TLS handshake failed (often: a plain HTTP server on port 443)
REASON_CONNECT = "connect"  # nothing accepts connections on port 443
MAX_DOWNGRADES = 5  # redirects continued on HTTP within one fetch (each is a new host)
MAX_REMEMBERED_HOSTS = 200_000


def https_failure_reason(exc: FetchError) -> str | None:
    """The REASON_* of a failure that says HTTPS cannot be used, None for any other failure."""
    if isinstance(exc, TlsFailed):
        text = exc.detail.upper()
        return REASON_CERTIFICATE if "CERTIFICATE" in text else REASON_TLS
    if isinstance(exc, ConnectFailed):
        return REASON_CONNECT
    return None


def to_scheme(url: str, scheme: str) -> str:
    """``url`` with its scheme replaced (default ports stay implicit)."""
    _, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest}" if sep else url


def other_scheme(url: str) -> str:
    """``url`` over the other of http and https."""
    return to_scheme(url, "http" if scheme_of(url) == "https" else "https")


def scheme_of(url: str) -> str:
    return url.partition("://")[0].lower()


class SchemeMemory:
    """What each host's HTTPS did, kept across passes through the frontier's hosts table.

    ``load`` takes the stored states at the start of a run; ``take_changes`` hands back what
    changed since, for the crawl loop to store.
    """

    def __init__(self, recheck_s: float, clock: Callable[[], float] = time.time):
        self.recheck_s = recheck_s
        self.clock = clock
        self._hosts: dict[str, HostScheme] = {}
        self._changed: dict[str, HostScheme] = {}
        self.failures: dict[str, str] = {}  # host -> REASON_* seen this run (for the report)
        self._used_http: set[str] = set()  # hosts fetched over HTTP in this run

    def load(self, states: Iterable[HostScheme]) -> None:
        for state in states:
            self._hosts.setdefault(state.host.lower(), state)

    def state(self, host: str) -> HostScheme | None:
        return self._hosts.get(host.lower())

    def http_only(self, host: str) -> bool:
        """HTTPS failed on this host recently enough not to try it again yet."""
        state = self._hosts.get(host.lower())
        return (
            state is not None
            and state.scheme == "http"
            and self.clock() < state.checked_at + self.recheck_s
        )

    def https_answered(self, host: str) -> bool:
        state = self._hosts.get(host.lower())
        return state is not None and state.scheme == "https"

    def effective(self, url: str) -> str:
        """The URL to request for ``url``: https:// becomes http:// on an HTTP-only host."""
        host = host_of(url)
        if scheme_of(url) == "https" and self.http_only(host):
            if len(self._used_http) < MAX_REMEMBERED_HOSTS:
                self._used_http.add(host)
            return to_scheme(url, "http")
        return url

    def record(self, host: str, scheme: str, reason: str | None = None) -> None:
        host = host.lower()
        known = self._hosts.get(host)
        if known is not None and known.scheme == scheme == "https":
            return  # nothing new: no write
        if known is not None and known.scheme == scheme and known.reason == reason and self.http_only(host):
            return
        if len(self._hosts) >= MAX_REMEMBERED_HOSTS and host not in self._hosts:
            self._hosts.pop(next(iter(self._hosts)))
        state = HostScheme(host, scheme, reason, self.clock())
        self._hosts[host] = state
        self._changed[host] = state
        if scheme == "http" and len(self._used_http) < MAX_REMEMBERED_HOSTS:
            self._used_http.add(host)

    def restore(self, host: str, previous: HostScheme | None) -> None:
        """Undo a :meth:`record` that turned out wrong (HTTP did not answer either)."""
        host = host.lower()
        self._changed.pop(host, None)
        if previous is None:
            self._hosts.pop(host, None)
        else:
            self._hosts[host] = previous

    def failed(self, host: str, reason: str) -> None:
        self.failures.setdefault(host.lower(), reason)  # the first failure says the most

    def take_changes(self) -> list[HostScheme]:
        changed, self._changed = list(self._changed.values()), {}
        return changed

    def report(self) -> dict[str, list[str]]:
        """For the crawl summary, of the hosts this run asked: those fetched over HTTP
        because their HTTPS does not connect or handshake, and those whose certificate does
        not verify (whether or not their HTTP answers)."""
        reasons = {}
        for host in self._used_http:
            state = self._hosts.get(host)
            if state is not None and state.scheme == "http":
                reasons[host] = state.reason
        reasons.update({h: r for h, r in self.failures.items() if r == REASON_CERTIFICATE})
        return {
            "http_only": sorted(h for h, r in reasons.items() if r in (REASON_TLS, REASON_CONNECT)),
            "broken_certificate": sorted(h for h, r in reasons.items() if r == REASON_CERTIFICATE),
        }


class _Downgrade(Exception):
    """A redirect leads to a host whose HTTPS fails: go on at its HTTP URL instead."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


class SchemeFallbackFetcher:
    """A :class:`Fetcher` that applies the scheme rules (module docstring) around another."""

    def __init__(self, inner: Fetcher, memory: SchemeMemory):
        self.inner = inner
        self.memory = memory

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_redirect: RedirectCheck | None = None,
    ) -> FetchResponse:
        target = self.memory.effective(url)
        for _ in range(MAX_DOWNGRADES + 1):
            try:
                return await self._attempt([target], etag, last_modified, check_redirect)
            except _Downgrade as moved:
                target = moved.url
        raise TlsFailed("redirects keep leading to hosts whose HTTPS fails", url=url)

    async def _attempt(
        self,
        chain: list[str],
        etag: str | None,
        last_modified: str | None,
        check_redirect: RedirectCheck | None,
    ) -> FetchResponse:
        """Fetch ``chain[0]``; each redirect target is appended to ``chain`` before it is
        checked (so the caller can tell whether the first request answered, and which URL a
        failure belongs to)."""

        async def check(hop: str) -> None:
            chain.append(hop)
            await self._redirect(chain[:-1], hop, check_redirect)

        try:
            response = await self.inner.fetch(
                chain[0], etag=etag, last_modified=last_modified, check_redirect=check
            )
        except FetchError as exc:
            return await self._after_failure(exc, chain, etag, last_modified, check_redirect)
        for answered in chain:
            if scheme_of(answered) == "https":
                self.memory.record(host_of(answered), "https")
        return response

    async def _redirect(self, chain: list[str], hop: str, check_redirect: RedirectCheck | None) -> None:
        """Refuse a hop back to a host's dead HTTPS when the chain came from its HTTP (a
        loop); move a hop to another host's dead HTTPS to its HTTP (checked like any hop)."""
        host = host_of(hop)
        if scheme_of(hop) == "https" and self.memory.http_only(host):
            if any(host_of(u) == host for u in chain):
                raise TlsFailed(
                    f"redirected back to https://{host}, whose HTTPS fails; not followed", url=chain[0]
                )
            downgraded = to_scheme(hop, "http")
            if check_redirect is not None:
                await check_redirect(downgraded)
            raise _Downgrade(downgraded)
        if check_redirect is not None:
            await check_redirect(hop)

    async def _after_failure(
        self,
        exc: FetchError,
        chain: list[str],
        etag: str | None,
        last_modified: str | None,
        check_redirect: RedirectCheck | None,
    ) -> FetchResponse:
        failed = chain[-1]
        host = host_of(failed)
        reason = https_failure_reason(exc)
        if reason is None or scheme_of(failed) != "https":
            raise exc
        self.memory.failed(host, reason)
        if self.memory.https_answered(host):
            raise exc  # HTTPS worked here before: a transient failure, never a downgrade
        previous = self.memory.state(host)
        if not self.memory.http_only(host):
            self.memory.record(host, "http", reason)
        if len(chain) > 1:
            # A redirect led to a dead HTTPS: go on at that host's HTTP, unless the chain
            # came from there (HTTP -> HTTPS -> HTTP would be a loop).
            if any(host_of(u) == host for u in chain[:-1]):
                raise exc
            plain_hop = to_scheme(failed, "http")
            if check_redirect is not None:
                await check_redirect(plain_hop)
            raise _Downgrade(plain_hop) from exc
        plain = [to_scheme(failed, "http")]
        try:
            return await self._attempt(plain, etag, last_modified, check_redirect)
        except FetchError:
            if len(plain) > 1:
                raise  # HTTP answered (a redirect), then failed: that failure is the news
            self.memory.restore(host, previous)
            raise exc from None  # HTTP does not answer either: the host is down; say why HTTPS failed

    async def aclose(self) -> None:
        await self.inner.aclose()
