"""The UI's downloads hub: the Reports page (create form, preview, My reports), creating a
report to download now or to schedule, downloading a built file and deleting a report.

Forms are POSTed with a CSRF token (``scripts.web.csrf``); bodies are small URL-encoded forms,
read with a size limit. A report is built as a background task while the page keeps
answering; My reports shows its progress (rows written) until it is done.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from scripts.settings import Settings
from scripts.web.app import render
from scripts.web.csrf import FIELD, guard
from scripts.web.forms import one as _one
from scripts.web.forms import read_form as _form
from scripts.web.viewer import viewer_of
from storage.errors import StorageError
from storage.reports import ReportRecord
from storage.store import Store

log = logging.getLogger("ascent.web.reports")
TEXT_FILTERS = (("sub_segment", "sub-segment"), ("industry", "industry"), ("vertical", "vertical"),
                ("country", "country"), ("partner", "partner"))  # fmt: skip
CHOICE_FILTERS = ("area", "cluster", "cell", "cohort", "flag")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class ReportHub:
    """What the Reports pages need: the store they write to, settings, the CSRF guard and
    the builds running in the background (held so they are not collected mid-way)."""

    store: Store
    settings: Settings
    running: set[asyncio.Task[Any]] = field(default_factory=set)

    def user(self, request: Request) -> str:
        """The signed-in user's name (the one local user while no accounts exist)."""
        return viewer_of(request).name

    def start(self, record: ReportRecord, file_id: int) -> None:
        from scripts.report_hub import build_claimed

        task = asyncio.create_task(build_claimed(self.store, self.settings, record, file_id))
        self.running.add(task)
        task.add_done_callback(self.running.discard)


def hub_of(request: Request) -> ReportHub:
    hub: ReportHub = request.app.state.hub
    return hub


async def reports_page(request: Request) -> Response:
    return await _page(request, _defaults())


async def submit(request: Request) -> Response:
    """Preview, Download now (build in the background) or Schedule, by the button pressed."""
    hub = hub_of(request)
    form = await _form(request)
    if not guard(request).accepts(request, _one(form, FIELD)):
        raise HTTPException(403, "the form expired or came from another site; reload the page and retry")
    values = _values(form)
    action = _one(form, "action")
    try:
        if action not in ("preview", "download", "schedule"):
            raise _bad("action: choose Preview, Download now or Schedule")
        # The definition keeps the creator's partners: its files never hold anyone else's rows.
        record = replace(
            _definition(values, hub.settings, scheduled=action == "schedule"), scope=viewer_of(request).scope
        )
        if action == "preview":
            return await _page(request, values, preview=await _preview(hub, record))
    except (ValueError, LookupError) as exc:  # a bad choice, or a month that is not scored
        return await _page(request, values, error=str(exc), status=400)
    from scripts.report_hub import claim, create_report

    stored = await create_report(hub.store, record, hub.user(request))
    if action == "download":
        file_id = await claim(hub.store, stored)
        if file_id is not None:
            hub.start(stored, file_id)
    return RedirectResponse(f"/reports#report-{stored.report_id}", status_code=303)


async def download(request: Request) -> Response:
    hub = hub_of(request)
    report_id, file_id = request.path_params["report_id"], request.path_params["file_id"]
    user = hub.user(request)
    record = await hub.store.reports.get(report_id, user)
    file = await hub.store.reports.file(report_id, file_id, user)
    # A file built while its creator could see more partners than now is theirs no longer.
    if record is not None and not viewer_of(request).scope.covers(record.scope):
        record = None
    if record is None or file is None or file.status != "done":
        raise HTTPException(404, "no such report file (or it is still being built)")
    from scripts.report_hub import reports_folder

    folder = reports_folder(hub.store, hub.settings).resolve()
    path = Path(file.path).resolve()
    if folder not in path.parents or not path.is_file():
        raise HTTPException(404, "the report file is gone; build the report again")
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in record.name)[:80] or "report"
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[record.format],
        filename=f"{stem}-{file.month}.{record.format}",
        content_disposition_type="attachment",
    )


async def delete(request: Request) -> Response:
    hub = hub_of(request)
    form = await _form(request)
    if not guard(request).accepts(request, _one(form, FIELD)):
        raise HTTPException(403, "the form expired or came from another site; reload the page and retry")
    from scripts.report_hub import delete_report

    if not await delete_report(hub.store, request.path_params["report_id"], hub.user(request)):
        raise HTTPException(404, "no such report")
    return RedirectResponse("/reports#my-reports", status_code=303)


# --- the page -------------------------------------------------------------------------------


async def _page(
    request: Request,
    values: dict[str, Any],
    *,
    preview: tuple[tuple[str, ...], list[list[Any]]] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    from common.vocabulary import AREAS, COHORTS, FLAGS, REPORT_NAMES
    from intent.matrix import Matrix
    from intent.report_definition import FILTER_KEYS, PRESETS, available_columns

    hub = hub_of(request)
    token = guard(request).token(request)
    matrix = Matrix.from_settings(hub.settings.intent)
    try:
        mine = await _my_reports(hub, hub.user(request))
        months = await hub.store.reports.rows.scored_months()
    except StorageError as exc:
        mine, months, error = [], [], error or f"the database cannot be read: {exc}"
    response = render(
        request,
        "reports.html",
        {
            "month": None,
            "months": [],
            "path": request.url.path,
            "csrf": token,
            "csrf_field": FIELD,
            "values": values,
            "sources": REPORT_NAMES,
            "source_columns": {s: available_columns(s) for s in REPORT_NAMES},
            "presets": PRESETS,
            "filter_keys": FILTER_KEYS,
            "scored_months": list(reversed(months)),
            "areas": AREAS,
            "clusters": matrix.clusters,
            "cells": sorted(matrix.cluster_of),
            "cohorts": COHORTS,
            "flags": FLAGS,
            "preview": preview,
            "error": error,
            "mine": mine,
        },
        status_code=status,
    )
    guard(request).remember(response, token)
    return response


async def _my_reports(hub: ReportHub, user: str) -> list[dict[str, Any]]:
    listed = []
    for record in await hub.store.reports.definitions(user):
        files = await hub.store.reports.files(record.report_id, user)
        listed.append(
            {
                "record": record,
                "filters": ", ".join(f"{k}={v}" for k, v in record.filters) or "–",
                "created": _when(record.created_at),
                "files": [
                    {"file": f, "created": _when(f.created_at), "size": _size(f.byte_size)} for f in files
                ],
            }
        )
    return listed


def _when(instant: float) -> str:
    return datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _size(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}"
        size //= 1024
    return f"{size:.0f} GiB"


# --- the form -------------------------------------------------------------------------------


def _defaults() -> dict[str, Any]:
    return {"source": "azure", "columns": "", "preset": "", "month": "", "name": "", "format": "csv",
            "bom": False, **{k: "" for k, _ in TEXT_FILTERS}, **{k: "" for k in CHOICE_FILTERS},
            "intent": "", "fit": ""}  # fmt: skip


def _values(form: list[tuple[str, str]]) -> dict[str, Any]:
    values = _defaults()
    for key in values:
        if key == "bom":
            values[key] = _one(form, "bom") == "on"
        else:
            values[key] = _one(form, key).strip()
    return values


def _bad(message: str) -> ValueError:
    from intent.report_definition import ReportInputError

    return ReportInputError(message)


def _definition(values: dict[str, Any], settings: Settings, *, scheduled: bool) -> ReportRecord:
    """The checked definition; a scheduled one keeps only the choice of Lifetime (each monthly
    run picks its month)."""
    from intent.matrix import Matrix
    from intent.report_definition import checked_filter, checked_matrix_filters, make_definition

    filters = [checked_filter(key, values[name]) for name, key in TEXT_FILTERS if values[name]]
    filters += [checked_filter(key, values[key]) for key in (*CHOICE_FILTERS, "intent", "fit") if values[key]]
    matrix = Matrix.from_settings(settings.intent)
    checked_matrix_filters(filters, matrix.cluster_of, matrix.clusters)
    return make_definition(
        source=values["source"],
        columns=values["columns"].split(",") if values["columns"] else (),
        preset=values["preset"] or None,
        filters=filters,
        month=("lifetime" if values["month"] == "lifetime" else "") if scheduled else values["month"],
        name=values["name"],
        format=values["format"],
        bom=values["bom"],
        scheduled=scheduled,
    )


async def _preview(hub: ReportHub, record: ReportRecord) -> tuple[tuple[str, ...], list[list[Any]]]:
    from intent.report_builder import preview

    if not record.month:
        raise _bad("month: choose a scored month or Lifetime to preview")
    return await preview(
        record,
        hub.store.reports.within(record.scope).rows,
        hub.store.scores,
        hub.settings.intent,
        hub.settings.reports.preview_rows,
    )
