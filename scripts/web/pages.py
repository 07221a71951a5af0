"""Page handlers: matrix, customer list (and its CSV), customer page, signal feed."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse

from common.vocabulary import AREAS, CLUSTER_MEANINGS
from intent.months import in_range, latest_month
from scripts.web import params, svg
from scripts.web.app import UiState, render, ui_state
from scripts.web.auth import authenticator
from scripts.web.safety import highlight, neutralise_cell, safe_href
from scripts.web.viewer import viewer_of
from storage.views import SORT_KEYS, CustomerDetail, CustomerFilter, PropensityPoint

DEFAULT_AREAS = AREAS  # the usual order of the area tabs; the data may hold others
CSV_COLUMNS = (
    "CustomerID",
    "AccountName",
    "Domain",
    "Industry",
    "Country",
    "SubSegment",
    "OrgSize",
    "Month",
    "Area",
    "Fit",
    "FitBand",
    "Intent",
    "IntentBand",
    "Cell",
    "Cluster",
    "PotentialRevenue",
    "Cohorts",
)


async def _months(ui: UiState) -> list[str]:
    months: list[str] = await ui.cached("months", ui.views.months)
    # A month beyond next month (scored before months were checked) is never the default.
    return [m for m in months if in_range(m)]


async def _areas(ui: UiState, month: str | None) -> list[str]:
    if month is None:
        return list(DEFAULT_AREAS)

    async def load() -> list[str]:
        found = await ui.views.areas(month)
        # Known areas in their usual order first, then any others the data holds.
        return [a for a in DEFAULT_AREAS if a in found] + [a for a in found if a not in DEFAULT_AREAS]

    areas: list[str] = await ui.cached(f"areas:{month}", load)
    return areas or list(DEFAULT_AREAS)


async def _month_and_area(request: Request) -> tuple[str | None, list[str], str, list[str]]:
    """The selected month (default: the latest with scores) and area, validated."""
    ui = ui_state(request)
    query = request.query_params
    months = await _months(ui)
    month = params.month(query)
    if month is None:
        month = months[0] if months else None
    elif month not in months:
        raise params.BadParameter(f"month: no scores for {month}")
    areas = await _areas(ui, month)
    area = params.choice(query, "area", areas) or areas[0]
    return month, months, area, areas


def _common(request: Request, month: str | None, months: list[str], **extra: Any) -> dict[str, Any]:
    return {"month": month, "months": months, "path": request.url.path, **extra}


async def home(request: Request) -> Response:
    return RedirectResponse("/matrix", status_code=302)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


async def matrix(request: Request) -> Response:
    ui = ui_state(request)
    month, months, area, areas = await _month_and_area(request)
    cells = await ui.views.matrix(month, area) if month else []
    base = {"month": month, "area": area}
    chart = svg.heatmap(cells, lambda cell: params.link("/customers", base, cell=cell))
    clusters: dict[str, int] = dict.fromkeys(params.CLUSTERS, 0)
    for item in cells:
        clusters[item.cluster] = clusters.get(item.cluster, 0) + item.count
    return render(
        request,
        "matrix.html",
        _common(
            request,
            month,
            months,
            area=area,
            areas=areas,
            chart=chart,
            clusters=clusters,
            legend=CLUSTER_MEANINGS,
            total=sum(clusters.values()),
            base=base,
        ),
    )


async def _list_filter(request: Request) -> tuple[CustomerFilter | None, dict[str, Any]]:
    month, months, area, areas = await _month_and_area(request)
    q = request.query_params
    sort = params.choice(q, "sort", SORT_KEYS) or "intent"
    direction = params.choice(q, "dir", ("asc", "desc")) or "desc"
    values = {
        "month": month,
        "area": area,
        "cluster": params.text(q, "cluster"),  # the cluster map is a setting: any name
        "cell": params.pattern(q, "cell", params.CELL),
        "sub_segment": params.text(q, "sub_segment"),
        "industry": params.text(q, "industry"),
        "country": params.text(q, "country"),
        "cohort": params.text(q, "cohort"),
        "flag": params.choice(q, "flag", params.FLAGS),
        "q": params.text(q, "q"),
        "sort": sort,
        "dir": direction,
    }
    context = {"months": months, "areas": areas, "query": values}
    if month is None:
        return None, context
    try:
        flt = _filter(month, area, values)
    except ValueError as exc:  # e.g. an area name that cannot be listed
        raise params.BadParameter(str(exc)) from exc
    return flt, context


def _filter(month: str, area: str, values: dict[str, Any]) -> CustomerFilter:
    return CustomerFilter(
        month=month,
        area=area,
        cluster=values["cluster"],
        cell=values["cell"],
        sub_segment=values["sub_segment"],
        industry=values["industry"],
        country=values["country"],
        cohort=values["cohort"],
        flag=values["flag"],
        search=values["q"],
        sort=values["sort"],
        descending=values["dir"] == "desc",
    )


async def _facets(ui: UiState) -> dict[str, list[str]]:
    facets: dict[str, list[str]] = {}
    for column in ("sub_segment", "industry", "country"):

        async def load(column: str = column) -> list[str]:
            return await ui.views.distinct_values(column)

        facets[column] = await ui.cached(f"facet:{column}", load)
    return facets


async def customers(request: Request) -> Response:
    ui = ui_state(request)
    flt, context = await _list_filter(request)
    page_number = params.page(request.query_params)
    result = None
    if flt is not None:
        # Paging through one filtered list counts its matches once (cached like the facets).
        count_key = "count:" + repr(dataclasses.replace(flt, sort="intent", descending=True))
        chosen = flt

        async def count() -> int:
            return await ui.views.count_customers(chosen)

        total = await ui.cached(count_key, count, ui.web.count_cache_s)
        result = await ui.views.customer_page(flt, page_number, ui.web.page_size, total)
    query = context["query"]
    return render(
        request,
        "customers.html",
        _common(
            request,
            query["month"],
            context["months"],
            areas=context["areas"],
            area=query["area"],
            query=query,
            result=result,
            facets=await _facets(ui),
            clusters=params.CLUSTERS,
            cohorts=params.COHORTS,
            flags=params.FLAGS,
            csv_link=params.link("/customers.csv", query),
        ),
    )


async def customers_csv(request: Request) -> Response:
    ui = ui_state(request)
    flt, _ = await _list_filter(request)
    if flt is None:
        raise HTTPException(404, "no monthly scores yet")

    async def rows() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        buffer.write("\ufeff")  # a BOM so spreadsheet programs read UTF-8
        writer.writerow(CSV_COLUMNS)
        async for row in ui.views.iter_customers(flt, ui.web.csv_max_rows):
            text = [
                neutralise_cell(v)
                for v in (
                    row.customer_id,
                    row.account_name,
                    row.domain,
                    row.industry,
                    row.country,
                    row.sub_segment,
                )
            ]
            # Numbers we format ourselves are data, never formulas: they stay numbers.
            writer.writerow(
                [
                    *text,
                    row.org_size,
                    neutralise_cell(row.month),
                    neutralise_cell(row.area),
                    f"{row.fit:.1f}",
                    neutralise_cell(row.fit_band),
                    f"{row.intent:.1f}",
                    neutralise_cell(row.intent_band),
                    neutralise_cell(row.cell),
                    neutralise_cell(row.cluster),
                    "" if row.potential_revenue is None else f"{row.potential_revenue:.2f}",
                    neutralise_cell(";".join(row.cohorts)),
                ]
            )
            if buffer.tell() > 64_000:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")

    name = f"customers-{flt.area}-{flt.month}.csv"
    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _history_charts(detail: CustomerDetail) -> dict[str, Any]:
    by_area: dict[str, list[PropensityPoint]] = {}
    for point in detail.history:
        by_area.setdefault(point.area, []).append(point)
    return {
        area: svg.history_chart([svg.HistoryPoint(p.month, p.fit, p.intent) for p in points[-24:]])
        for area, points in by_area.items()
    }


async def customer(request: Request) -> Response:
    ui = ui_state(request)
    customer_id = request.path_params["customer_id"]
    if len(customer_id) > params.MAX_TEXT:
        raise HTTPException(404, "no such customer")
    month = params.month(request.query_params)
    detail = await ui.views.customer(customer_id, month, ui.web.customer_signal_limit, latest_month())
    if detail is None:
        raise HTTPException(404, "no such customer")
    current = [p for p in detail.history if p.month == detail.month]
    current.sort(key=lambda p: _area_order(p.area))
    return render(
        request,
        "customer.html",
        _common(
            request,
            detail.month,
            detail.months,
            c=detail,
            firm=detail.firmographics,
            current=current,
            charts=_history_charts(detail),
            intent_by_area={i.area: i for i in detail.intent},
            signals=[_signal_context(s) for s in detail.signals],
            flags=flags_row(detail.flags),
        ),
    )


def _area_order(area: str) -> tuple[int, str]:
    return (DEFAULT_AREAS.index(area) if area in DEFAULT_AREAS else len(DEFAULT_AREAS), area)


def _signal_context(signal: Any) -> dict[str, Any]:
    return {
        "s": signal,
        "passage": highlight(signal.passage, signal.key_phrase),
        "href": safe_href(signal.url),
        "detected": _date(signal.detected_at),
    }


def _date(instant: float) -> str:
    try:
        return datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return ""


async def signals(request: Request) -> Response:
    ui = ui_state(request)
    q = request.query_params
    types = await ui.cached("signal_types", ui.views.signal_types)
    signal_type = params.choice(q, "type", types) if q.get("type") else None
    area = params.choice(q, "area", DEFAULT_AREAS) if q.get("area") else None
    page_number = params.page(q)
    page_size = ui.web.feed_page_size
    # One extra row tells whether an older page exists.
    found = await ui.views.signal_feed(signal_type, area, page_size + 1, (page_number - 1) * page_size)
    query = {"type": signal_type, "area": area}
    months = await _months(ui)
    return render(
        request,
        "signals.html",
        _common(
            request,
            None,
            months,
            query=query,
            types=types,
            areas=DEFAULT_AREAS,
            signals=[_signal_context(s) for s in found[:page_size]],
            page=page_number,
            has_next=len(found) > page_size,
        ),
    )


def _error(request: Request, status: int, title: str, message: str) -> Response:
    if request.method == "HEAD" or not hasattr(request.app.state, "ui"):
        return PlainTextResponse(f"{title}: {message}\n", status_code=status)
    return render(
        request,
        "error.html",
        {
            "month": None,
            "months": [],
            "path": request.url.path,
            "title": title,
            "message": message,
            "status": status,
        },
        status_code=status,
    )


async def not_found(request: Request, exc: Exception) -> Response:
    detail = exc.detail if isinstance(exc, HTTPException) else "not found"
    viewer = viewer_of(request)
    if viewer.signed_in and not viewer.scope.everything:
        # Another partner's customer, report or file answers 404 like one that does not
        # exist (no existence leak); the audit trail still shows who went looking.
        await authenticator(request).refused(request, "not found (or another partner's)")
    return _error(request, 404, "Not found", str(detail))


async def forbidden(request: Request, exc: Exception) -> Response:
    detail = exc.detail if isinstance(exc, HTTPException) else "forbidden"
    if hasattr(request.app.state, "auth"):
        await authenticator(request).refused(request, str(detail))
    return _error(request, 403, "Refused", str(detail))


async def not_allowed(request: Request, exc: Exception) -> Response:
    response = PlainTextResponse("read-only: only GET and HEAD are allowed\n", status_code=405)
    response.headers["Allow"] = "GET, HEAD"
    return response


async def bad_parameter(request: Request, exc: Exception) -> Response:
    return _error(request, 400, "Bad request", str(exc))


async def server_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("internal error\n", status_code=500)


def flags_row(flags: Mapping[str, bool]) -> list[tuple[str, bool]]:
    return [(name, bool(flags.get(name, False))) for name in params.FLAGS] + [
        (name, bool(value)) for name, value in flags.items() if name not in params.FLAGS
    ]
