"""Customer domains: untrusted input normalised to the registered domain."""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from urllib.parse import urlsplit

import tldextract

from common.errors import InputError

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class DomainError(InputError):
    """The value is not a usable public domain; the message says why."""


@cache
def _extractor() -> tldextract.TLDExtract:
    # The bundled public-suffix snapshot only: nothing may download at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


def normalise_domain(value: str) -> str:
    """'https://www.Contoso.co.uk/x' -> 'contoso.co.uk'; raises DomainError when unusable."""
    text = value.strip()
    if not text:
        raise DomainError("is empty")
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise DomainError("contains whitespace or control characters")
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme.lower() not in {"http", "https"}:
            raise DomainError(f"scheme {parts.scheme!r} is not http or https")
        host = parts.hostname or ""
    elif ":" in text.split("/")[0] and not text.startswith("["):
        scheme = text.split(":", 1)[0]
        if not scheme.replace(".", "").isdigit() and "." not in scheme:
            raise DomainError(f"scheme {scheme!r} is not http or https")
        host = text.split("/")[0].split(":")[0]
    else:
        host = text.split("/")[0]
    host = host.strip(".").lower()
    if not host:
        raise DomainError("has no host name")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise DomainError("is an IP address, not a domain")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise DomainError("is not a valid internationalised domain name") from exc
    if len(host) > 253 or not all(_LABEL.match(label) for label in host.split(".")):
        raise DomainError(f"{host!r} is not a valid host name")
    found = _extractor()(host)
    if not found.domain or not found.suffix:
        raise DomainError(f"{host!r} has no registered domain under a public suffix")
    return f"{found.domain}.{found.suffix}"
