"""Crawled text on a terminal: never let it drive the terminal or rich's markup."""

from __future__ import annotations

import re

# C0/C1 controls (escape sequences start with ESC or CSI) except tab and newline.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def inert(text: str | None) -> str:
    """Crawled text made safe to print: control characters and escape sequences removed."""
    return _CONTROLS.sub("", text or "")
