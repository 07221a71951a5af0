"""Cross-site request forgery protection for the UI's forms: a signed double-submit token.

Each app instance signs tokens with its own random secret. A form carries the token in a
hidden field and the browser holds the same token in a SameSite=Strict cookie; a POST is
accepted only when both are present, equal and signed by this instance. A page on another
site can make the browser send the cookie but can neither read it nor forge the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "ascent_csrf"
FIELD = "csrf"


class CsrfGuard:
    def __init__(self, secret: bytes | None = None):
        self._secret = secret or secrets.token_bytes(32)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()

    def _valid(self, token: str) -> bool:
        nonce, _, signature = token.partition(".")
        return bool(nonce) and len(token) < 200 and hmac.compare_digest(signature, self._sign(nonce))

    def token(self, request: Request) -> str:
        """The browser's current token when this instance signed it, else a new one."""
        held = request.cookies.get(COOKIE, "")
        if self._valid(held):
            return held
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(nonce)}"

    def remember(self, response: Response, token: str) -> None:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")

    def accepts(self, request: Request, submitted: str) -> bool:
        held = request.cookies.get(COOKIE, "")
        return bool(held) and hmac.compare_digest(held, submitted) and self._valid(held)
