"""Who a request comes from, as the pages see it: a name, a role and the scope they read with.

Set on each request by :class:`scripts.web.auth.SignInMiddleware` before any page runs; a page
never decides what a person may see, it only passes ``viewer_of(request).scope`` on (through
:func:`scripts.web.app.ui_state`, the one place the UI's read queries are made).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from storage.reports import LOCAL_USER
from storage.scope import EVERYTHING, NOTHING, Scope

OWNER = "owner"  # the role of the single user of a UI with no accounts


@dataclass(frozen=True)
class Viewer:
    """``session``: the hash of the signed-in session's token ("" without one: the single-user
    UI, or a sign-in through a trusted proxy)."""

    name: str
    role: str
    scope: Scope
    session: str = ""
    signed_in: bool = False

    @property
    def known(self) -> bool:
        """Whether the request may see pages at all."""
        return bool(self.name)


LOCAL_VIEWER = Viewer(LOCAL_USER, OWNER, EVERYTHING)
NOBODY = Viewer("", "", NOTHING)


def viewer_of(request: Request) -> Viewer:
    """The request's viewer; nobody (sees nothing) when none was set."""
    found = getattr(request.state, "viewer", None)
    return found if isinstance(found, Viewer) else NOBODY
