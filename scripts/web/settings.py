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
