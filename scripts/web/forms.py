"""Reading the UI's small URL-encoded forms (reports, sign-in, sign-out) with a size limit."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request

MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request, max_bytes: int = MAX_FORM_BYTES) -> list[tuple[str, str]]:
    """The URL-encoded form body, at most ``max_bytes``."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded")
    body = b""
    async for piece in request.stream():
        body += piece
        if len(body) > max_bytes:
            raise HTTPException(413, "the form is too large")
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, "the form is not valid URL-encoded UTF-8") from exc


def one(form: list[tuple[str, str]], key: str) -> str:
    """The first value of ``key`` ("" when absent)."""
    return next((v for k, v in form if k == key), "")
