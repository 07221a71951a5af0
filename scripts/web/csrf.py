"""CSRF protection for the UI's few POST forms: a double-submit token bound to a cookie.

A form page sets a random token in a ``SameSite=Strict``, HttpOnly cookie and repeats it in a
hidden field; a POST is accepted only when both are present and equal, and when its Origin
(or, without one, its Referer) is this server. Another site can neither read the cookie nor
make the browser send it, so it cannot forge the pair.
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "ascent_csrf"
FIELD = "csrf_token"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def token_for(request: Request) -> str:
    """The request's token when it carries a well-formed one, else a new one."""
    current = request.cookies.get(COOKIE, "")
    return current if _TOKEN.match(current) else secrets.token_urlsafe(32)


def set_token(response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")


def valid(request: Request, form: FormData) -> bool:
    """Whether a POST carries the cookie's token in its form and comes from this origin."""
    cookie = request.cookies.get(COOKIE, "")
    sent = form.get(FIELD)
    if not isinstance(sent, str) or not _TOKEN.match(cookie) or not hmac.compare_digest(cookie, sent):
        return False
    return _same_origin(request)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    # Under the UI's no-referrer policy browsers send "Origin: null" and no Referer; privacy
    # tools strip both. The token pair (and the SameSite=Strict cookie) still has to match.
    source = None if origin == "null" else origin or request.headers.get("referer")
    if not source:
        return True
    parts = urlsplit(source)
    return parts.netloc.lower() == request.headers.get("host", "").lower()
