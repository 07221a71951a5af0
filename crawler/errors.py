"""One exception tree for everything that can go wrong while fetching or parsing a URL.

The class says what happened (``error_class``, a stable id written to ``fetch_log``) and
whether trying again later can help (``retryable``). HTTP error statuses are *not*
exceptions: a 404 or a 503 is a response the crawl loop decides about.
"""

from __future__ import annotations

from common.errors import FetchFailure


class FetchError(FetchFailure):
    """Base of every fetch failure; ``error_class`` is logged, ``retryable`` drives back-off."""

    error_class: str = "fetch"
    retryable: bool = False

    def __init__(self, message: str = "", *, url: str | None = None):
        super().__init__(message or self.error_class)
        self.url = url

    @property
    def detail(self) -> str:
        """A short human-readable detail for the fetch log (bounded)."""
        return str(self)[:500]


class BlockedAddress(FetchError):
    """The host resolved to (or redirected to) an address the SSRF guard refuses."""

    error_class = "blocked_address"


class UnsupportedScheme(FetchError):
    """Only http and https are fetched (also for every redirect target)."""

    error_class = "unsupported_scheme"


class InvalidUrl(FetchError):
    """The URL or a redirect's Location cannot be parsed."""

    error_class = "invalid_url"


class BodyTooLarge(FetchError):
    """The (decompressed) body grew past the cap; ``partial`` holds what was read before."""

    error_class = "too_large"

    def __init__(self, message: str = "", *, url: str | None = None, partial: bytes | bytearray = b""):
        super().__init__(message, url=url)
        self.partial = partial


class DecompressionFailed(FetchError):
    """The body does not decode with its declared Content-Encoding."""

    error_class = "decompression"


class DeadlineExceeded(FetchError):
    """The whole request (all redirects, headers and body) ran past its total deadline."""

    error_class = "deadline"
    retryable = True


class TooManyRedirects(FetchError):
    error_class = "too_many_redirects"


class RedirectLoop(FetchError):
    error_class = "redirect_loop"


class DnsFailed(FetchError):
    """The host name does not resolve (or the resolver timed out)."""

    error_class = "dns"
    retryable = True


class ConnectFailed(FetchError):
    """No TCP connection could be made (refused, unreachable, connect timeout)."""

    error_class = "connect"
    retryable = True


class TlsFailed(FetchError):
    """TLS handshake or certificate verification failed."""

    error_class = "tls"


class ProtocolError(FetchError):
    """The server broke HTTP (malformed response, connection reset mid-body...)."""

    error_class = "protocol"
    retryable = True


class RobotsDisallowed(FetchError):
    """robots.txt does not allow the URL for our user agent (never fetched).

    Also raised for a redirect hop to such a URL: ``url`` is then the refused hop.
    """

    error_class = "robots_disallowed"


class RobotsUnknown(FetchError):
    """A redirect leads to an origin whose robots.txt is not known yet (``url`` is the hop).

    The fetch stops there without requesting it; the caller loads that robots.txt (outside
    any politeness slot it holds) and tries again.
    """

    error_class = "robots_unknown"


class HostDeferred(FetchError):
    """The host may not be contacted before ``retry_at`` (politeness or back-off)."""

    error_class = "host_deferred"
    retryable = True

    def __init__(self, message: str = "", *, url: str | None = None, retry_at: float = 0.0):
        super().__init__(message, url=url)
        self.retry_at = retry_at


class ParseFailed(FetchError):
    """Parsing fetched bytes raised an error inside the isolated parser."""

    error_class = "parse"


class ParseTimeout(ParseFailed):
    """The isolated parser did not finish in time; its worker process was killed."""

    error_class = "parse_timeout"


class ParserCrashed(ParseFailed):
    """The isolated parser's worker process died (e.g. a crash in a C extension)."""

    error_class = "parse_crash"
