"""The job-title stage: the hiring type a job title names (hiring_tech, hiring_security,
hiring_sales, hiring_finance, or none for a role the taxonomy has no type for) and how far
that answer can be trusted.

The type comes from the word rules of ``signals/roles.py``. A linear model over the title's
words, fitted on real labelled ads, was measured against them and lost where it mattered:
on job families held out from its fit it typed 0.56 of the ads right against the rules'
0.75 (it learns one employer's filing habits, not roles); ``scripts/devtools/fit_roles.py``
repeats that measurement. What is fitted on real ads is the confidence: for each type, the
share of real ads given that type that had it (``signals/role_model.npz``, written by
``scripts/devtools/fit_roles.py --write``; numbers only, never the ads' text).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signals.roles import role_family

CONFIDENCE_PATH = Path(__file__).with_name("role_model.npz")
NONE = "none"


@dataclass(frozen=True)
class RoleTyping:
    label: str  # a hiring type or NONE
    confidence: float  # how often that answer was right on real ads


@functools.lru_cache(maxsize=1)
def confidence_by_type(path: Path = CONFIDENCE_PATH) -> dict[str, float]:
    with np.load(path, allow_pickle=False) as data:
        return {str(k): float(p) for k, p in zip(data["classes"], data["precision"], strict=True)}


def type_title(title: str) -> RoleTyping:
    """The hiring type a job title names (NONE for a role of no type) and its measured
    confidence."""
    label = role_family(title) or NONE
    return RoleTyping(label, confidence_by_type().get(label, 0.5))
