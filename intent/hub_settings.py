"""Settings of the downloads hub (section [reports]): where built reports go, how long
scheduled ones are kept, how much a preview shows and how rows are read."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportHubSettings:
    folder: str = field(
        default="report-files",
        metadata={
            "doc": "Folder of the downloads hub's built reports. A relative folder lies beside the"
            " database file; with a postgresql:// database it is relative to the working folder,"
            " so set an absolute folder there."
        },
    )
    keep_months: int = field(
        default=12,
        metadata={
            "min": 1,
            "max": 120,
            "doc": "Months of files a scheduled report keeps; older months' files are deleted"
            " after each monthly run.",
        },
    )
    preview_rows: int = field(
        default=50,
        metadata={"min": 1, "max": 500, "doc": "Rows the UI's report preview shows."},
    )
    chunk_customers: int = field(
        default=2_000,
        metadata={
            "min": 100,
            "max": 100_000,
            "doc": "Customers read and written per step while a report is built; memory grows with"
            " this, not with the number of customers.",
        },
    )
