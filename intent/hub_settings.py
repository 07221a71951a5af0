"""Settings of the reports (section [reports]): the folder of the monthly export and of the
downloads hub, how long scheduled reports are kept, how much a preview shows and how rows
are read."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportHubSettings:
    folder: str = field(
        default="reports",
        metadata={
            "doc": "Folder of every report file: the monthly export writes `<folder>/<YYYY-MM>/`,"
            " the downloads hub `<folder>/hub/`. A relative folder lies beside a SQLite database"
            " file, or under the working folder for a postgresql:// URL (set an absolute folder"
            " there). `[daemon] reports_dir` is its deprecated old name."
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
