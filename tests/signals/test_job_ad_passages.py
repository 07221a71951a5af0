"""A passage that opens a job ad is typed by the role its title names (classify --stdin)."""

from __future__ import annotations

import pytest

from signals.classify import Prediction
from signals.pipeline import read_as_job_ad
from signals.role_model import RoleTyping, confidence_by_type, type_title
from signals.roles import job_ad_title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Data Engineer. Five years of experience with Spark are required.", "Data Engineer"),
        ("Payroll Specialist - we are looking for someone to run the monthly payroll.", "Payroll Specialist"),
        ("Security Analyst: responsibilities include triage of alerts.", "Security Analyst"),
        ("Acme Corp. The company opened a plant in Ohio last year.", None),  # no role, no ad
        ("Project Manager. The bridge opened to traffic in May.", None),  # a role, but no ad words
        # straight into the duties, in the imperative, as many career sites open an ad
        ("Account Executive. Manage a book of mid-market customers in the region.", "Account Executive"),
        ("Sr. Data Scientist. Build churn models with the retail team.", "Sr. Data Scientist"),
        ("Account Executive. manage a book of customers.", None),  # a duty opens with a capital
        ("Contoso and Fabrikam. Build 2026 opened in Seattle.", None),  # no role
        # a role named in a later sentence is no title
        ("Acme Corp. Its new sales director starts Monday. Work begins in May.", None),
        ("Project Manager. The bridge opened in May. Work on the second span starts soon.", None),
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
    # the confidence is how often the title stage's hiring_tech was right on real ads
    assert read.label == "hiring_tech" and read.confidence == type_title("Cloud Engineer").confidence
    agreed = read_as_job_ad(text, _said("hiring_tech", 0.97))
    assert agreed.label == "hiring_tech" and agreed.confidence == 0.97


def test_the_title_stages_confidence_is_measured_not_a_prior() -> None:
    confidence = confidence_by_type()
    assert set(confidence) == {"none", "hiring_tech", "hiring_security", "hiring_sales", "hiring_finance"}
    assert all(0.0 < p < 1.0 for p in confidence.values())
    assert type_title("Payroll Specialist") == RoleTyping("hiring_finance", confidence["hiring_finance"])
    assert type_title("Delivery Driver").label == "none"


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

    line = "Statistician. Citizenship of the United States and an active government clearance are mandatory."
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "classify", "--stdin", "--json"],
        input=line + "\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["signal_type"] == "hiring_tech"
    # the scores and the runner-up tell the label it was given, not the reading before the title
    told = {s["label"]: s["probability"] for s in answer["scores"]}
    assert told["hiring_tech"] == pytest.approx(answer["confidence"], abs=1e-3)
    assert sum(told.values()) <= 1.0001
    runner_up = answer["explanation"].get("runner_up")
    assert runner_up is None or runner_up["label"] != "hiring_tech"


def test_a_later_decision_is_told_with_its_own_probability() -> None:
    import numpy as np

    from signals.pipeline import told_as

    labels = ("none", "hiring_tech", "product_launch", "funding")
    row = np.array([0.9, 0.05, 0.05, 0.0])
    told = told_as(row, labels, Prediction("hiring_tech", 0.6, "none", 0.9))
    np.testing.assert_allclose(told, [0.4 * 0.9 / 0.95, 0.6, 0.4 * 0.05 / 0.95, 0.0])
    assert told.sum() == pytest.approx(1.0)
    alone = told_as(
        np.array([0.0, 1.0, 0.0, 0.0]), labels, Prediction("hiring_tech", 0.7, "hiring_tech", 1.0)
    )
    np.testing.assert_allclose(alone, [0.1, 0.7, 0.1, 0.1])
