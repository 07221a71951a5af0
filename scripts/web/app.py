"""The Starlette application of the analyst web UI: routes, security headers, lifespan.

Read-only but for a few forms: every route answers GET and HEAD only, every query goes
through a reader connection (``PRAGMA query_only``); the downloads hub's Reports forms (under
``/reports``) POST to save, build and delete reports, the CRM matching form (``/match``)
POSTs a file it matches without writing anything, and ``/login`` and ``/logout`` sign in and
out (``auth.py``). Each POST is checked for its CSRF token. Each request's viewer (who signed
in, and the partners they may see) is set before any page runs, and :func:`ui_state` gives
pages read queries limited to that viewer's scope.
The pages carry a strict Content-Security-Policy (no script at all, styles and images from
this origin only), so even text that slipped past escaping could not run.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scripts.settings import Settings
from scripts.web import params
from scripts.web.settings import WebSettings
from scripts.web.viewer import viewer_of
from storage.scope import EVERYTHING
from storage.scope import Scope as PartnerScope
from storage.store import Store, open_store
from storage.views import SqliteViewQueries, ViewQueries

HERE = Path(__file__).resolve().parent
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
READ_METHODS = frozenset({"GET", "HEAD"})
FORM_PATHS = ("/reports", "/match", "/login", "/logout")  # the forms that POST, each with a CSRF token


class SecurityMiddleware:
    """Adds the security headers to every response and refuses every method but GET/HEAD."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in READ_METHODS and not _form_post(scope):
            response = PlainTextResponse(
                "read-only: only GET and HEAD are allowed\n",
                status_code=405,
                headers={"Allow": "GET, HEAD"},
            )
            await response(scope, receive, self._with_headers(send))
            return
        await self.app(scope, receive, self._with_headers(send))

    @staticmethod
    def _with_headers(send: Send) -> Send:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {name for name, _ in SECURITY_HEADERS}
                ]
                message["headers"] = headers + SECURITY_HEADERS
            await send(message)

        return send_with_headers


def _form_post(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    forms = (path == form or path.startswith(form + "/") for form in FORM_PATHS)
    return scope["method"] == "POST" and any(forms)


@dataclass
class UiState:
    """What every page handler needs: the read queries, templates, settings, small caches.

    ``views`` and ``cached`` answer within ``scope``: the cache is shared by every viewer, its
    keys prefixed with the scope, so one partner's counts and choices never reach another."""

    views: ViewQueries
    templates: Jinja2Templates
    web: WebSettings
    cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    scope: PartnerScope = EVERYTHING

    def within(self, scope: PartnerScope) -> UiState:
        return replace(self, views=self.views.within(scope), scope=scope)  # the same cache dict

    async def cached(self, key: str, load: Callable[[], Awaitable[Any]], ttl: float | None = None) -> Any:
        """Slow-changing values (months, filter choices, list counts), kept ttl seconds
        (default: facet_cache_s); they change only when the monthly run writes a month."""
        ttl = self.web.facet_cache_s if ttl is None else ttl
        key = f"{self.scope.key}|{key}"
        hit = self.cache.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        value = await load()
        if len(self.cache) >= 1024:  # many distinct filters: forget what has expired
            longest = max(self.web.facet_cache_s, self.web.count_cache_s)
            self.cache = {k: v for k, v in self.cache.items() if now - v[0] < longest}
            if len(self.cache) >= 1024:
                self.cache.clear()
        self.cache[key] = (now, value)
        return value


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its file name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["link"] = params.link
    env.globals["customer_path"] = params.customer_path
    env.filters["money"] = _money
    env.filters["score"] = _score
    env.filters["pct"] = _pct
    env.filters["band_class"] = _band_class
    return env


def _money(value: float | None) -> str:
    return "–" if value is None else f"${value:,.0f}"


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _band_class(band: str | None) -> str:
    # A CSS class per band; anything unexpected gets the neutral style.
    known = {"High": "high", "Medium": "medium", "Low": "low", "Very low": "very-low"}
    return known.get(band or "", "unknown")


def create_app(
    target: str | Path | Store,
    settings: Settings | None = None,
    *,
    web: WebSettings | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The UI over a database file (opened for the app's lifetime) or an already open store.

    The UI's own settings come from ``web``, else from a ``web`` section of ``settings``,
    else from the defaults. ``clock`` tells the sessions' time (tests move it).
    """
    from scripts.web import auth, match, pages, reports

    if web is None:
        section = getattr(settings, "web", None)
        web = section if isinstance(section, WebSettings) else WebSettings()
    storage_settings = settings.storage if settings is not None else None
    templates = Jinja2Templates(env=_environment())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if isinstance(target, Store):
            _start(app, target)
            yield
            return
        store = await open_store(target, storage_settings, reading=True)
        try:
            _start(app, store)
            yield
        finally:
            await store.close()

    def _start(app: Starlette, store: Store) -> None:
        app.state.ui = UiState(SqliteViewQueries(store.db), templates, web)
        app.state.hub = reports.ReportHub(store, settings or Settings())
        app.state.auth = auth.Authenticator(store, web, clock)

    routes = [
        Route("/", pages.home, methods=["GET"]),
        Route("/matrix", pages.matrix, methods=["GET"]),
        Route("/customers", pages.customers, methods=["GET"]),
        Route("/customers.csv", pages.customers_csv, methods=["GET"]),
        Route("/customers/{customer_id:path}", pages.customer, methods=["GET"]),
        Route("/signals", pages.signals, methods=["GET"]),
        Route("/healthz", pages.healthz, methods=["GET"]),
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        *match.ROUTES,
        Route("/reports", reports.reports_page, methods=["GET"]),
        Route("/reports", reports.submit, methods=["POST"]),
        Route("/reports/{report_id:int}/files/{file_id:int}", reports.download, methods=["GET"]),
        Route("/reports/{report_id:int}/delete", reports.delete, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            403: pages.forbidden,
            404: pages.not_found,
            405: pages.not_allowed,
            500: pages.server_error,
            params.BadParameter: pages.bad_parameter,
        },
    )
    app.add_middleware(auth.SignInMiddleware)
    app.add_middleware(SecurityMiddleware)  # outermost: its headers go on every answer
    return app


def ui_state(request: Request) -> UiState:
    """The UI's state, its queries limited to what the request's viewer may see: the one
    place a page's reads get their scope."""
    state: UiState = request.app.state.ui
    return state.within(viewer_of(request).scope)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    from scripts.web.csrf import guard

    viewer = viewer_of(request)
    # Every page shows who is signed in and a sign-out form with the session's token.
    shared = {"viewer": viewer, "signout_token": guard(request).token(request) if viewer.session else ""}
    state: UiState = request.app.state.ui
    return state.templates.TemplateResponse(request, name, {**shared, **context}, status_code=status_code)
