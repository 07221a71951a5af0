"""URL normalisation: one spelling per resource, so the frontier never visits a page twice.

``normalize_url`` lower-cases scheme and host, converts internationalised host names to
IDNA (punycode), drops fragments, default and empty ports, resolves dot segments and repeated
slashes, normalises percent-escapes (unreserved characters decoded, the rest upper-cased,
stray ``%`` escaped, unsafe characters encoded), removes tracking parameters and sorts the
query. It returns ``None`` for anything that is not a usable URL instead of raising.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urljoin, urlsplit

import idna

WEB_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
MAX_URL_LENGTH = 2048

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/%")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_HEX = frozenset("0123456789abcdefABCDEF")
_HOST_CHARS = re.compile(r"^[a-z0-9._-]+$")
_ZONE_ID = re.compile(r"^[a-z0-9._~-]+$")  # RFC 6874: unreserved characters only
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")

TRACKING_PARAMS = frozenset(
    {
        "gclid",
        "gclsrc",
        "dclid",
        "fbclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "__hstc",
        "__hssc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "_ga",
        "_gl",
        "ref_src",
        "oly_anon_id",
        "oly_enr_id",
        "vero_id",
        "wickedid",
        "jsessionid",
        "phpsessid",
        "sessionid",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")


def resolve_url(reference: str, base: str | None) -> str:
    """Resolve a (possibly relative) reference against a base URL, per RFC 3986."""
    reference = reference.strip()
    if not base:
        return reference
    return urljoin(base, reference)


def normalize_url(
    url: str,
    base: str | None = None,
    *,
    schemes: tuple[str, ...] | None = WEB_SCHEMES,
    strip_tracking: bool = True,
) -> str | None:
    """The canonical spelling of ``url`` (resolved against ``base``), or None if unusable.

    ``schemes`` limits the accepted schemes (None accepts any); the crawler only ever takes
    http and https.
    """
    if not isinstance(url, str):
        return None
    text = url.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        return None
    if base:
        try:
            text = urljoin(base, text)
        except ValueError:
            return None
    elif not _SCHEME.match(text) or text.split(":", 1)[1][:1].isdigit():
        # 'foo.com/x' and 'foo.com:8080/x' are host names without a scheme.
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if schemes is not None and scheme not in schemes:
        return None
    netloc = parts.netloc
    if not netloc and scheme in WEB_SCHEMES:
        return None
    authority = _normalize_authority(netloc, scheme)
    if authority is None:
        return None
    path = _normalize_path(parts.path, has_authority=bool(authority))
    query = _normalize_query(parts.query, strip_tracking=strip_tracking)
    if "://" in text.split("?", 1)[0] or authority:
        result = f"{scheme}://{authority}{path}"
    else:
        result = f"{scheme}:{path}"
    if query:
        result += "?" + query
    return result if len(result) <= MAX_URL_LENGTH else None


def host_of(url: str) -> str:
    """The lower-case host of a URL ('' when there is none)."""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def in_domain(host: str, domain: str) -> bool:
    """Whether ``host`` is the registered ``domain`` or one of its subdomains."""
    host = host.lower().rstrip(".")
    domain = domain.lower().rstrip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def path_of(url: str) -> str:
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "/"


def _normalize_authority(netloc: str, scheme: str) -> str | None:
    if not netloc:
        return ""
    userinfo, _, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return None
        literal, rest = _normalize_ip_literal(hostport[1:end].lower()), hostport[end + 1 :]
        if literal is None or (rest and not rest.startswith(":")):
            return None
        host = literal
        port = rest[1:]
    else:
        raw_host, _, port = hostport.partition(":")
        normalized = _normalize_host(raw_host)
        if normalized is None:
            return None
        host = normalized
    if port:
        if not port.isdigit() or int(port) > 65535:
            return None
        port = "" if int(port) == DEFAULT_PORTS.get(scheme) else str(int(port))
    authority = host + (f":{port}" if port else "")
    if userinfo:
        # User-info is passed on verbatim by nothing: encode whatever is not URL-safe.
        userinfo = _normalize_escapes(userinfo, _UNRESERVED | frozenset("!$&'()*+,;=:"))
        return f"{userinfo}@{authority}"
    return authority


def _normalize_ip_literal(inner: str) -> str | None:
    """``[IPv6]`` or ``[IPv6%25zone]`` in its compressed form; anything else between the
    brackets (an IPvFuture, a name, controls or stray bytes a hostile link can carry) is no
    address and no URL of ours."""
    address, percent, zone = inner.partition("%25")
    if "%" in address:  # ipaddress would take "fe80::1%anything" as a scope
        return None
    try:
        ip = ipaddress.IPv6Address(address)
    except ValueError:
        return None
    if percent and not _ZONE_ID.match(zone):
        return None
    return f"[{ip.compressed}{percent}{zone}]"


def _normalize_host(host: str) -> str | None:
    if "%" in host:
        raw = _percent_decode_strict(host)
        if raw is None:
            return None
        try:
            host = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                return None
        # UTS 46 maps the ideographic and other full stops to "." only now
        host = host.rstrip(".")
    if not host or not _HOST_CHARS.match(host) or len(host) > 253 or ".." in host:
        return None
    return host


def _percent_decode_strict(text: str) -> bytes | None:
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%":
            pair = text[i + 1 : i + 3]
            if len(pair) != 2 or not set(pair) <= _HEX:
                return None
            out.append(int(pair, 16))
            i += 3
        else:
            out.extend(ch.encode("utf-8", "surrogatepass"))
            i += 1
    return bytes(out)


def _normalize_escapes(text: str, safe: frozenset[str]) -> str:
    """Decode escaped unreserved characters, upper-case the other escapes, encode the unsafe."""
    out: list[str] = []
    i = 0
    length = len(text)
    while i < length:
        ch = text[i]
        if ch == "%":
            pair = text[i + 1 : i + 3]
            if len(pair) == 2 and set(pair) <= _HEX:
                decoded = chr(int(pair, 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + pair.upper())
                i += 3
                continue
            out.append("%25")
        elif ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _normalize_path(path: str, *, has_authority: bool) -> str:
    path = _normalize_escapes(path, _PATH_SAFE)
    if not path:
        return "/" if has_authority else ""
    absolute = path.startswith("/")
    segments: list[str] = []
    pieces = path.split("/")
    for index, segment in enumerate(pieces):
        last = index == len(pieces) - 1
        if segment == "..":
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif segment == "." or segment == "":
            if last:
                segments.append("")
        else:
            segments.append(segment)
    joined = "/".join(segments)
    if absolute or has_authority:
        joined = "/" + joined
    return joined or "/"


def _normalize_query(query: str, *, strip_tracking: bool) -> str:
    if not query:
        return ""
    params: list[str] = []
    for param in query.split("&"):
        if not param:
            continue
        key, sep, value = param.partition("=")
        if not key:
            continue
        if strip_tracking and _is_tracking(key):
            continue
        key = _normalize_escapes(key, _QUERY_SAFE)
        value = _normalize_escapes(value, _QUERY_SAFE | frozenset("="))
        params.append(f"{key}={value}" if sep and value else key)
    params.sort(key=lambda p: p.partition("=")[0])
    return "&".join(params)


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)
