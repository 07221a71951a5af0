"""Cross-site request forgery protection for the UI's forms: a signed double-submit token.

Each app instance signs tokens with its own random secret (one guard per app, shared by every
form). A form carries the token in a hidden field and the browser holds the same token in a
``SameSite=Strict``, HttpOnly cookie; a POST is accepted only when both are present, equal and
signed by this instance, and when its Origin (or, without one, its Referer) is this server. A
page on another site can neither read the cookie nor forge the signature.

A signed-in request's token is instead tied to its session (a signature of the session's id):
a token from another session, or from before signing in, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "ascent_csrf"
FIELD = "csrf_token"
MAX_TOKEN = 200


class CsrfGuard:
    def __init__(self, secret: bytes | None = None):
        self._secret = secret or secrets.token_bytes(32)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()

    def _valid(self, token: str) -> bool:
        nonce, _, signature = token.partition(".")
        expected = self._sign(nonce).encode()
        return bool(nonce) and len(token) < MAX_TOKEN and hmac.compare_digest(signature.encode(), expected)

    def token(self, request: Request) -> str:
        """The session's token when signed in; else the browser's current token when this
        instance signed it, else a new one."""
        session = _session(request)
        if session:
            return self._session_token(session)
        held = request.cookies.get(COOKIE, "")
        if self._valid(held):
            return held
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(nonce)}"

    def _session_token(self, session: str) -> str:
        return "s." + self._sign("session:" + session)

    def remember(self, response: Response, token: str) -> None:
        if not token.startswith("s."):  # a session's token needs no cookie of its own
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")

    def accepts(self, request: Request, submitted: object) -> bool:
        session = _session(request)
        if session:
            expected = self._session_token(session)
            return (
                isinstance(submitted, str)
                and hmac.compare_digest(submitted.encode(), expected.encode())
                and _same_origin(request)
            )
        held = request.cookies.get(COOKIE, "")
        # Compared as bytes: compare_digest refuses (raises on) text that is not ASCII.
        if (
            not isinstance(submitted, str)
            or not held
            or not hmac.compare_digest(held.encode(), submitted.encode())
        ):
            return False
        return self._valid(held) and _same_origin(request)


def guard(request: Request) -> CsrfGuard:
    """The app's one guard (made on first use), so every form accepts every page's cookie."""
    state = request.app.state
    if not hasattr(state, "csrf"):
        state.csrf = CsrfGuard()
    found: CsrfGuard = state.csrf
    return found


def _session(request: Request) -> str:
    """The signed-in session's id ("" without one), as the sign-in middleware set it."""
    viewer = getattr(request.state, "viewer", None)
    return str(getattr(viewer, "session", "") or "")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    # Under the UI's no-referrer policy browsers send "Origin: null" and no Referer; privacy
    # tools strip both. The signed token pair (and the SameSite=Strict cookie) still has to match.
    source = None if origin == "null" else origin or request.headers.get("referer")
    if not source:
        return True
    return urlsplit(source).netloc.lower() == request.headers.get("host", "").lower()
