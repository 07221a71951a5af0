"""Signing in to the UI: who each request comes from, the sign-in and sign-out forms.

With no account in the database the UI is the single-user UI it always was (every request is
the machine's owner, who sees everything). Once one exists, every page but the sign-in page,
``/healthz`` and the style sheet needs a session:

- **Sessions** are rows in the database keyed by a hash of a random token; the browser holds
  the token in an HttpOnly, SameSite=Lax cookie (Secure over https), signed with a key made
  once and kept in the database. A session ends after ``[web] session_idle_minutes`` unused or
  ``session_absolute_hours`` after sign-in, at sign-out, and as soon as its user is disabled or
  removed; the user's role and partners are read again on every request.
- **Sign-in** checks the password (Argon2id) in a worker thread; an unknown name is checked
  against a dummy hash so it takes as long as a known one. ``signin_max_failures`` wrong
  passwords lock the account for ``signin_lockout_minutes``; one client address may try
  ``signin_attempts_per_minute`` times a minute. Every sign-in, failure, lock-out, sign-out,
  expiry and refused access is in the audit trail (``ascent audit``).
- **A trusted reverse proxy** may name the user in ``trusted_proxy_header``; off by default,
  and believed only from the addresses in ``trusted_proxies``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scripts.passwords import MAX_LENGTH, hash_password, verify
from scripts.web import csrf
from scripts.web.forms import one, read_form
from scripts.web.settings import WebSettings
from scripts.web.viewer import LOCAL_VIEWER, NOBODY, Viewer, viewer_of
from storage.audit import OK, REFUSED
from storage.errors import StorageError
from storage.sessions import Session
from storage.store import Store
from storage.users import User, scope_of

Clock = Callable[[], float]
log = logging.getLogger("ascent.web.auth")

SESSION_COOKIE = "ascent_session"
SIGNING_KEY = "session_signing_key"
OPEN_PATHS = frozenset({"/login", "/healthz"})  # and everything under /static/
MAX_NAME = 64
MAX_LOGIN_FORM = 8 * 1024
FAILED = "Sign-in failed: wrong name or password, or the account is locked or disabled."
CONCURRENT_CHECKS = 2  # an Argon2 check is ~0.3 s of CPU and 64 MiB: a flood must not starve pages


class Authenticator:
    """The app's sign-in state: the store, the settings, the clock (tests pass their own),
    the signing key and the recent sign-in attempts per client address."""

    def __init__(self, store: Store, web: WebSettings, clock: Clock = time.time):
        self.store = store
        self.web = web
        self.clock = clock
        self._key: bytes | None = None
        self._dummy_hash: str | None = None
        self._attempts: dict[str, deque[float]] = {}
        self._checking = asyncio.Semaphore(CONCURRENT_CHECKS)

    # --- who is asking ---------------------------------------------------------------------

    async def identify(self, request: Request) -> Viewer:
        if await self.store.users.count() == 0:
            return LOCAL_VIEWER
        proxied = await self._from_proxy(request)
        if proxied is not None:
            return proxied
        return await self._from_cookie(request) or NOBODY

    async def _from_proxy(self, request: Request) -> Viewer | None:
        header = self.web.trusted_proxy_header
        address = peer_address(request)
        if not header or address not in self.web.trusted_proxies:
            return None
        name = request.headers.get(header, "")
        if not name:
            return None
        user = await self.store.users.get(name[:MAX_NAME])
        if user is None or user.disabled:
            await self.audit(
                shown(name), "signin.proxy", shown(name), REFUSED, f"unknown or disabled; proxy {address}"
            )
            return None
        return Viewer(user.name, user.role, scope_of(user), signed_in=True)

    async def _from_cookie(self, request: Request) -> Viewer | None:
        token = await self._token(request.cookies.get(SESSION_COOKIE, ""))
        if token is None:
            return None
        digest = token_hash(token)
        session = await self.store.sessions.get(digest)
        if session is None:
            return None
        now = self.clock()
        user = await self.store.users.get(session.user_name)
        why = self._expired(session, now)
        if user is None or user.disabled or why:
            await _best_effort(self.store.sessions.end(digest), "end a session")
            if why:
                await self.audit(session.user_name, "session.expire", session.user_name, OK, why)
            return None
        if now - session.last_seen_at > self._touch_every_s():
            await _best_effort(self.store.sessions.touch(digest, now), "note a session's use")
        return Viewer(user.name, user.role, scope_of(user), session=digest, signed_in=True)

    def _expired(self, session: Session, now: float) -> str:
        if now - session.created_at > self.web.session_absolute_hours * 3600:
            return "absolute lifetime reached"
        if now - session.last_seen_at > self.web.session_idle_minutes * 60:
            return "idle too long"
        return ""

    def _touch_every_s(self) -> float:
        # Writing on every request would serialise page views on the writer; a tenth of the
        # idle lifetime keeps the idle limit accurate to 10 %.
        return min(60.0, self.web.session_idle_minutes * 6)

    # --- the session cookie ----------------------------------------------------------------

    async def key(self) -> bytes:
        if self._key is None:
            self._key = bytes.fromhex(await self.store.sessions.secret(SIGNING_KEY))
        return self._key

    async def cookie_value(self, token: str) -> str:
        return f"{token}.{_sign(await self.key(), token)}"

    async def _token(self, value: str) -> str | None:
        token, _, signature = value.partition(".")
        if not token or len(value) > 200:
            return None
        expected = _sign(await self.key(), token).encode()
        return token if hmac.compare_digest(signature.encode(), expected) else None

    # --- signing in ------------------------------------------------------------------------

    def throttled(self, address: str) -> bool:
        """Whether ``address`` has used up its sign-in attempts of the last minute."""
        now = self.clock()
        window = self._attempts.setdefault(address, deque())
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= self.web.signin_attempts_per_minute:
            return True
        window.append(now)
        if len(self._attempts) > 10_000:  # many addresses: forget those with no recent attempt
            self._attempts = {a: w for a, w in self._attempts.items() if w and now - w[-1] < 60}
        return False

    async def check(self, name: str, password: str, address: str) -> User | None:
        """The user when ``password`` is theirs and they may sign in now; every outcome audited."""
        now = self.clock()
        user = await self.store.users.get(name)
        stored = await self.store.users.password_hash(name) if user is not None else None
        # Always one Argon2 verification, so an unknown name answers as slowly as a known one.
        async with self._checking:
            verdict = await asyncio.to_thread(verify, stored or await self._dummy(), password)
        where = f"from {address}"
        if user is None or stored is None:
            await self.store.audit.record(
                shown(name), "signin", shown(name), REFUSED, f"unknown user; {where}"
            )
            return None
        if user.disabled:
            await self.store.audit.record(name, "signin", name, REFUSED, f"disabled; {where}")
            return None
        if user.locked_until is not None and user.locked_until > now:
            await self.store.audit.record(name, "signin", name, REFUSED, f"locked; {where}")
            return None
        if not verdict.ok:
            await self.store.users.signin_failed(
                name,
                now=now,
                max_failures=self.web.signin_max_failures,
                lockout_s=self.web.signin_lockout_minutes * 60,
                detail=f"wrong password; {where}",
            )
            return None
        if verdict.new_hash is not None:
            await self.store.users.set_password_hash(name, verdict.new_hash, actor=name)
        await self.store.users.signin_succeeded(name, detail=where)
        return user

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(hash_password, secrets.token_hex(16))
        return self._dummy_hash

    async def start_session(self, user: User) -> str:
        """A new session for ``user``; answers the cookie's value."""
        now = self.clock()
        await self.store.sessions.forget_older(
            now - self.web.session_absolute_hours * 3600, now - self.web.session_idle_minutes * 60
        )
        token = secrets.token_urlsafe(32)
        await self.store.sessions.start(token_hash(token), user.name, now)
        return await self.cookie_value(token)

    async def refused(self, request: Request, why: str) -> None:
        """Audit a refused request (no session, a bad form token, another partner's page)."""
        viewer = viewer_of(request)
        actor = viewer.name or "anonymous"
        path = shown(request.url.path, 200)
        await self.audit(actor, "access.refused", path, REFUSED, f"{why}; from {client_address(request)}")

    async def audit(self, actor: str, action: str, target: str, outcome: str, detail: str) -> None:
        """An entry that goes with no change of its own; a page is still answered when the
        database cannot take it (busy), and the entry goes to the log instead."""
        await _best_effort(
            self.store.audit.record(actor, action, target, outcome, detail),
            f"audit {action} {outcome} {actor} {target} ({detail})",
        )


async def _best_effort(write: Awaitable[Any], what: str) -> None:
    """A write a page must not fail for: the session's last use, an audit entry of a refusal."""
    try:
        await write
    except StorageError as exc:
        log.warning("could not %s: %s", what, exc)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sign(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def peer_address(request: Request) -> str:
    """The address the connection comes from (the server believes no forwarding header)."""
    return request.client.host if request.client else ""


def _from_trusted_proxy(request: Request) -> bool:
    auth: Authenticator | None = getattr(request.app.state, "auth", None)
    return auth is not None and peer_address(request) in auth.web.trusted_proxies


def client_address(request: Request) -> str:
    """The person's address: the peer's, or the nearest address a trusted proxy forwarded."""
    forwarded = request.headers.get("x-forwarded-for", "")
    if forwarded and _from_trusted_proxy(request):
        return shown(forwarded.split(",")[-1].strip(), 64)
    return peer_address(request)


def over_https(request: Request) -> bool:
    """Whether the browser reached the UI over https (directly, or through a trusted proxy)."""
    if request.url.scheme == "https":
        return True
    return _from_trusted_proxy(request) and request.headers.get("x-forwarded-proto", "").lower() == "https"


def shown(text: str, limit: int = MAX_NAME) -> str:
    """Typed text as the audit trail keeps it: printable characters only, cut to ``limit``."""
    return "".join(ch for ch in text[:limit] if ch.isprintable())


def authenticator(request: Request) -> Authenticator:
    found: Authenticator = request.app.state.auth
    return found


# --- the middleware ---------------------------------------------------------------------------


class SignInMiddleware:
    """Sets each request's viewer before any page runs; a request that needs a session and
    has none is sent to the sign-in page (GET, HEAD) or refused (anything else)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        auth: Authenticator | None = getattr(request.app.state, "auth", None)
        if auth is None:  # the app has not started (its lifespan makes the authenticator)
            await PlainTextResponse("starting\n", status_code=503)(scope, receive, send)
            return
        viewer = await auth.identify(request)
        scope.setdefault("state", {})["viewer"] = viewer
        if not viewer.known and not _open(request.url.path):
            response = await _sign_in_first(request, auth)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, _private(send) if viewer.signed_in else send)


def _open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith("/static/")


async def _sign_in_first(request: Request, auth: Authenticator) -> Response:
    """To the sign-in page (coming back here after), or 403 for a form posted without a
    session (audited: nobody signed in should be posting)."""
    if request.method in ("GET", "HEAD"):
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(wanted, safe='')}", status_code=303)
    await auth.refused(request, "no session")
    return PlainTextResponse("sign in first\n", status_code=403)


def _private(send: Send) -> Send:
    """Pages for a signed-in person are never kept by shared caches or the browser's history."""

    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
            message["headers"] = [*headers, (b"cache-control", b"no-store")]
        await send(message)

    return send_private


# --- the pages --------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    if viewer_of(request).known:
        return RedirectResponse(_next(request.query_params.get("next", "")), status_code=303)
    return _login(request, next_url=_next(request.query_params.get("next", "")))


async def login(request: Request) -> Response:
    auth = authenticator(request)
    form = await read_form(request, MAX_LOGIN_FORM)
    next_url = _next(one(form, "next"))
    if not csrf.guard(request).accepts(request, one(form, csrf.FIELD)):
        await auth.refused(request, "sign-in form without a valid token")
        return _login(request, next_url=next_url, error="The form expired; sign in again.", status=403)
    if viewer_of(request).known:
        return RedirectResponse(next_url, status_code=303)
    address = client_address(request)
    name, password = one(form, "username").strip(), one(form, "password")
    if auth.throttled(address):
        await auth.audit(shown(name), "signin", shown(name), REFUSED, f"too many attempts; from {address}")
        return _login(
            request, next_url=next_url, error="Too many sign-in attempts; wait a minute.", status=429
        )
    if not (0 < len(name) <= MAX_NAME and 0 < len(password) <= MAX_LENGTH):
        await auth.audit(shown(name), "signin", shown(name), REFUSED, f"malformed; from {address}")
        return _login(request, next_url=next_url, error=FAILED, status=401, name=name[:MAX_NAME])
    try:
        # A sign-in is recorded with its audit entry or not made at all.
        user = await auth.check(name, password, address)
        cookie = await auth.start_session(user) if user is not None else ""
    except StorageError:
        log.warning("sign-in not possible: the database cannot be written", exc_info=True)
        return _login(
            request, next_url=next_url, error="The database is busy; try again in a moment.", status=503
        )
    if user is None:
        return _login(request, next_url=next_url, error=FAILED, status=401, name=name[:MAX_NAME])
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(auth.web.session_absolute_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=over_https(request),
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    auth = authenticator(request)
    form = await read_form(request, MAX_LOGIN_FORM)
    viewer = viewer_of(request)
    if not csrf.guard(request).accepts(request, one(form, csrf.FIELD)):
        raise HTTPException(403, "the form expired or came from another site; reload the page and retry")
    if viewer.session:
        await auth.store.sessions.end(viewer.session)
        await auth.store.audit.record(
            viewer.name, "signout", viewer.name, OK, f"from {client_address(request)}"
        )
    response = RedirectResponse("/login" if viewer.session else "/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


def _next(value: str) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or a URL)."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 2000:
        return "/"
    if any(ord(ch) < 32 for ch in value) or value.startswith("/login"):
        return "/"
    return value


def _login(
    request: Request, *, next_url: str, error: str = "", status: int = 200, name: str = ""
) -> Response:
    from scripts.web.app import render

    token = csrf.guard(request).token(request)
    response = render(
        request,
        "login.html",
        {
            "month": None,
            "months": [],
            "path": request.url.path,
            "csrf": token,
            "csrf_field": csrf.FIELD,
            "next_url": next_url,
            "error": error,
            "name": name,
        },
        status_code=status,
    )
    csrf.guard(request).remember(response, token)
    return response
