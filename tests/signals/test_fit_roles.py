"""The job-title stage's parameters: how fit_roles reads job ads and what confidence it ships."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.devtools import fit_roles
from signals.role_model import confidence_by_type


def _write_ads(folder: Path, rows: list[tuple[str, str, str]]) -> None:
    with open(folder / fit_roles.JOB_FILE, "w", encoding="utf-8") as handle:
        for i, (text, label, note) in enumerate(rows):
            handle.write(json.dumps({"id": f"job:{i}", "text": text, "labels": [label], "note": note}) + "\n")


def test_ads_are_read_as_title_label_and_category(tmp_path: Path) -> None:
    _write_ads(
        tmp_path,
        [
            ("Payroll Specialist.\nRun the monthly payroll.", "hiring_finance", "category: Finance"),
            ("Brand Designer.\nDesign campaigns.", "hiring_other", "category: Design; a note"),
        ],
    )
    ads = fit_roles.load_ads(tmp_path)
    assert ads == [
        fit_roles.Ad("Payroll Specialist", "hiring_finance", "Finance"),
        fit_roles.Ad("Brand Designer", "none", "Design"),  # a role of no type is none
    ]


def test_confidence_is_the_smoothed_share_right_per_type() -> None:
    ads = [fit_roles.Ad("a", "hiring_sales", "x"), fit_roles.Ad("b", "none", "x"), fit_roles.Ad("c", "none", "x")]
    said = ["hiring_sales", "hiring_sales", "none"]
    precision = dict(zip(fit_roles.CLASSES, fit_roles.precision_by_class(ads, said), strict=True))
    assert precision["hiring_sales"] == pytest.approx((1 + 1) / (2 + 2))
    assert precision["none"] == pytest.approx((1 + 1) / (1 + 2))
    assert precision["hiring_tech"] == pytest.approx(0.5)  # never given: no evidence either way


@pytest.mark.skipif(not (fit_roles.DEV_DIR / fit_roles.JOB_FILE).exists(), reason="signals-dev data not here")
def test_the_shipped_confidence_is_reproduced_from_the_dev_ads() -> None:
    ads = fit_roles.load_ads()
    said = [fit_roles.role_family(ad.title) or fit_roles.NONE for ad in ads]
    shipped = confidence_by_type()
    for label, precision in zip(fit_roles.CLASSES, fit_roles.precision_by_class(ads, said), strict=True):
        assert shipped[label] == pytest.approx(float(precision), abs=1e-6)
