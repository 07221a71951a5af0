"""The CRM matching page: upload a CRM export, see the summary and first rows, download it matched.

The upload is capped in size before it is read, needs the form's CSRF token, and is matched in
a worker thread so other pages keep answering. The matched file is kept in memory for a short
while under an unguessable name, for its download link; nothing is written to the database.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intent.crm_file import CrmFileError
from intent.crm_match import CrmMatch, match_crm
from intent.matching import DEFAULT_FUZZY_THRESHOLD, METHODS
from scripts.web import csrf
from scripts.web.app import render, ui_state
from scripts.web.auth import authenticator
from scripts.web.viewer import viewer_of

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PREVIEW_ROWS = 20
KEEP_RESULTS = 8
KEEP_SECONDS = 30 * 60
_RESULT_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass
class MatchedFile:
    created: float
    filename: str
    data: bytes
    owner: str  # who uploaded it: nobody else's link finds it


async def page(request: Request) -> Response:
    if request.method == "POST":
        return await _upload(request)
    return _render(request, {})


async def download(request: Request) -> Response:
    name = request.path_params["name"]
    found = _results(request).get(name) if _RESULT_NAME.match(name) else None
    if found is None or found.owner != viewer_of(request).name:
        raise HTTPException(404, "this matched file has expired; upload the CRM file again")
    return Response(
        found.data,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


ROUTES = [
    Route("/match", page, methods=["GET", "POST"]),
    Route("/match/{name}.csv", download, methods=["GET"]),
]


async def _upload(request: Request) -> Response:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return _render(request, {"problems": ["the upload has no size (Content-Length)"]}, 411)
    if int(length) > MAX_UPLOAD_BYTES + 64 * 1024:
        return _render(
            request, {"problems": [f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MB"]}, 413
        )
    async with request.form(max_files=1, max_fields=4) as form:
        if not csrf.guard(request).accepts(request, form.get(csrf.FIELD)):
            await authenticator(request).refused(request, "CRM upload without a valid form token")
            return _render(
                request, {"problems": ["the form has expired: reload the page and try again"]}, 403
            )
        upload = form.get("crm")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _render(request, {"problems": ["choose a CSV file to upload"]}, 400)
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        filename = _safe_name(upload.filename)
    if len(data) > MAX_UPLOAD_BYTES:
        return _render(
            request, {"problems": [f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MB"]}, 413
        )
    customers = await ui_state(request).views.customers()  # only the viewer's partners' customers
    try:
        result = await run_in_threadpool(
            match_crm,
            filename,
            data,
            customers,
            threshold=DEFAULT_FUZZY_THRESHOLD,
            max_bytes=MAX_UPLOAD_BYTES,
        )
    except CrmFileError as exc:
        return _render(request, {"problems": exc.problems, "filename": filename}, 400)
    name = _keep(request, f"matched-{filename}", result.csv_bytes(bom=True))
    return _render(request, _result_context(result, filename, name))


def _result_context(result: CrmMatch, filename: str, name: str) -> dict[str, Any]:
    summary = result.summary.as_dict()
    return {
        "filename": filename,
        "summary": summary,
        "methods": [(m, result.summary.methods[m]) for m in METHODS],
        "header": result.header,
        "rows": result.rows[:PREVIEW_ROWS],
        "download": f"/match/{name}.csv",
    }


def _render(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    token = csrf.guard(request).token(request)
    base: dict[str, Any] = {
        "month": None,
        "months": [],
        "path": request.url.path,
        "csrf_field": csrf.FIELD,
        "csrf_token": token,
        "max_mb": MAX_UPLOAD_BYTES // 2**20,
        "preview_rows": PREVIEW_ROWS,
        "problems": [],
        "filename": "",
        "summary": None,
    }
    response = render(request, "match.html", {**base, **context}, status_code)
    csrf.guard(request).remember(response, token)
    return response


def _safe_name(filename: str) -> str:
    """A file name fit for a Content-Disposition header and a message: the base name, plain."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "crm"
    stem = cleaned[:80].removesuffix(".csv")
    return f"{stem}.csv"


def _results(request: Request) -> dict[str, MatchedFile]:
    kept: dict[str, MatchedFile] | None = getattr(request.app.state, "matched_files", None)
    if kept is None:
        kept = {}
        request.app.state.matched_files = kept
    now = time.monotonic()
    for name in [n for n, f in kept.items() if now - f.created > KEEP_SECONDS]:
        del kept[name]
    return kept


def _keep(request: Request, filename: str, data: bytes) -> str:
    kept = _results(request)
    while len(kept) >= KEEP_RESULTS:
        del kept[next(iter(kept))]  # the oldest: dicts keep insertion order
    name = secrets.token_urlsafe(24)
    kept[name] = MatchedFile(time.monotonic(), filename, data, viewer_of(request).name)
    return name
