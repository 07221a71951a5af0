"""The analyst UI's forms as the tests fill them: the CSRF token a page hands out."""

from __future__ import annotations

import re

from starlette.testclient import TestClient


def form_token(client: TestClient, path: str) -> str:
    """The CSRF token of the first form on the page at ``path`` (which must answer 200)."""
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, path
    return found.group(1)
