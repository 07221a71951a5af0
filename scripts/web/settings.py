"""Settings of the analyst web UI (section [web])."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WebSettings:
    host: str = field(default="127.0.0.1", metadata={"doc": "Address `ascent serve` listens on."})
    port: int = field(
        default=8080, metadata={"min": 0, "max": 65_535, "doc": "Port `ascent serve` listens on."}
    )
    page_size: int = field(
        default=50,
        metadata={"min": 10, "max": 500, "doc": "Customers per page of the customer list (10-500)."},
    )
    feed_page_size: int = field(
        default=50, metadata={"min": 10, "max": 500, "doc": "Signals per page of the signal feed (10-500)."}
    )
    customer_signal_limit: int = field(
        default=500,
        metadata={"min": 1, "max": 100_000, "doc": "Most signals shown on one customer page (newest first)."},
    )
    csv_max_rows: int = field(
        default=200_000,
        metadata={
            "min": 1,
            "max": 10_000_000,
            "doc": "Most rows one CSV download of the customer list holds.",
        },
    )
    facet_cache_s: float = field(
        default=60.0,
        metadata={
            "min": 0,
            "max": 86_400,
            "doc": "Seconds the month list, areas and filter choices are cached.",
        },
    )
    count_cache_s: float = field(
        default=60.0,
        metadata={
            "min": 0,
            "max": 86_400,
            "doc": "Seconds the number of customers of one filtered list is cached.",
        },
    )
    header_timeout_s: float = field(
        default=10.0,
        metadata={
            "doc": "Seconds a connection has to send a request's headers, from opening or from the"
            " first byte of a later request, before `ascent serve` closes it.",
            "gt": 0,
            "max": 3600,
        },
    )
    keep_alive_s: float = field(
        default=75.0,
        metadata={
            "doc": "Seconds `ascent serve` keeps an idle keep-alive connection open (whole seconds);"
            " longer than clients keep theirs, so none reuses one the server is closing.",
            "min": 1,
            "max": 3600,
        },
    )
    session_idle_minutes: float = field(
        default=30.0,
        metadata={
            "min": 1,
            "max": 10_080,
            "doc": "Minutes a signed-in session may go unused before it ends (the person signs in again).",
        },
    )
    session_absolute_hours: float = field(
        default=12.0,
        metadata={
            "min": 0.1,
            "max": 720,
            "doc": "Hours after signing in that a session ends however busy it is.",
        },
    )
    signin_max_failures: int = field(
        default=5,
        metadata={
            "min": 1,
            "max": 100,
            "doc": "Wrong passwords in a row that lock an account (a right one resets the count).",
        },
    )
    signin_lockout_minutes: float = field(
        default=15.0,
        metadata={
            "min": 0.1,
            "max": 10_080,
            "doc": "Minutes a locked account refuses every sign-in, even with the right password.",
        },
    )
    signin_attempts_per_minute: int = field(
        default=10,
        metadata={
            "min": 1,
            "max": 1000,
            "doc": "Sign-in attempts one client address may make per minute, whatever the names tried;"
            " more are refused (429) without checking the password.",
        },
    )
    trusted_proxy_header: str = field(
        default="",
        metadata={
            "header_safe": True,
            "doc": "Name of a header (e.g. X-Remote-User) through which a reverse proxy names the"
            " signed-in user; empty (the default) turns proxy sign-in off. Only requests from"
            " `trusted_proxies` are believed.",
        },
    )
    trusted_proxies: list[str] = field(
        default_factory=list,
        metadata={
            "doc": "Addresses of the reverse proxies (exact IP addresses) whose `trusted_proxy_header`,"
            " X-Forwarded-For (the client address in the audit trail and the sign-in rate limit) and"
            " X-Forwarded-Proto (https: the session cookie is Secure) are believed; empty: none.",
        },
    )
