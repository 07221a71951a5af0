"""The words every part of ascent shares, defined once.

The six data sources a partner reports on, in the order they are listed everywhere.
"""

from __future__ import annotations

from typing import Final

# The propensity reports (data sources) of the downloads hub and `ascent export`.
REPORT_NAMES: Final[tuple[str, ...]] = ("azure", "m365", "d365", "security", "surface", "renewal")
