"""The product vocabulary (intent/products.toml) as typed data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class ProductInfo:
    name: str
    family: str
    on_prem: bool


@cache
def products() -> dict[str, ProductInfo]:
    text = (resources.files("intent") / "products.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["products"]
    return {
        name: ProductInfo(name, spec["family"], bool(spec.get("on_prem", False)))
        for name, spec in table.items()
    }
