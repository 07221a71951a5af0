"""A passage that opens a job ad is typed by the role its title names (classify --stdin)."""

from __future__ import annotations

import pytest

from signals.classify import Prediction
from signals.pipeline import read_as_job_ad
from signals.roles import job_ad_title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Data Engineer. Five years of experience with Spark are required.", "Data Engineer"),
        ("Payroll Specialist - we are looking for someone to run the monthly payroll.", "Payroll Specialist"),
        ("Security Analyst: responsibilities include triage of alerts.", "Security Analyst"),
        ("Acme Corp. The company opened a plant in Ohio last year.", None),  # no role, no ad
        ("Project Manager. The bridge opened to traffic in May.", None),  # a role, but no ad words
        ("We are hiring. Experience required.", None),
        ("", None),
    ],
)
def test_a_job_ads_opening_gives_its_title(text: str, title: str | None) -> None:
    assert job_ad_title(text) == title


def _said(label: str, confidence: float = 0.6) -> Prediction:
    return Prediction(label=label, confidence=confidence, top_label=label, top_probability=confidence)


def test_the_title_types_the_hire_whatever_the_body_talks_about() -> None:
    text = "Cloud Engineer. Experience with our sales team's CRM and security tooling is required."
    read = read_as_job_ad(text, _said("hiring_sales"))
    assert read.label == "hiring_tech" and read.confidence >= 0.9


def test_a_role_without_a_type_is_no_hire_but_may_name_a_technology() -> None:
    ad = "Brand Designer - we are looking for a designer with five years of experience."
    assert read_as_job_ad(ad, _said("hiring_sales")).label == "none"
    tools = "Brand Designer - experience moving our design files to the cloud is preferred."
    assert read_as_job_ad(tools, _said("cloud_migration")).label == "cloud_migration"


def test_a_passage_that_is_no_job_ad_keeps_its_reading() -> None:
    said = _said("partnership", 0.8)
    assert read_as_job_ad("Contoso and Fabrikam announced a partnership on Monday.", said) is said


def test_classify_stdin_types_a_job_ad_by_its_title() -> None:
    import json
    import subprocess
    import sys

    line = "Machine Learning Engineer. US citizenship and five years of experience are required."
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "classify", "--stdin", "--json"],
        input=line + "\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["signal_type"] == "hiring_tech"
