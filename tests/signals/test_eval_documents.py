"""The document-level evaluation's own pieces: pages built from labelled documents, scoring,
and the end-to-end path (a site on loopback, crawl, classify, explain --json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.devtools.eval_documents import (
    SOURCES,
    LabelledDocument,
    Tally,
    judge,
    page_path,
    render_page,
    report,
)
from signals.extract import extract_html

STORY = LabelledDocument(
    "test:1",
    "Westbrook Joinery acquires Northwind Timber in $40 million deal",
    ("The weather in the valley was mild this autumn.", "Visitors can tour the workshop on Saturdays."),
    frozenset({"merger_acquisition"}),
)
AD = LabelledDocument(
    "test:2", "Payroll Specialist", ("You will run the monthly pay cycle.",), frozenset({"hiring_finance"})
)


def test_pages_carry_title_paragraphs_and_structured_data() -> None:
    news = extract_html(render_page(SOURCES["biotech-news"], STORY, site="Example", jsonld=True))
    assert news.title == STORY.title
    assert news.text.split("\n\n")[-2:] == list(STORY.paragraphs)
    assert news.structured.articles and news.published
    job = extract_html(render_page(SOURCES["google-jobs"], AD, site="Example", jsonld=True))
    assert job.structured.job is not None and job.structured.job.title == "Payroll Specialist"
    assert page_path(SOURCES["google-jobs"], AD).startswith("/careers/")


def test_scoring_counts_only_the_types_a_source_labels() -> None:
    tally = Tally()
    judge(SOURCES["casie-documents"], STORY, {"security_incident", "merger_acquisition"}, tally)
    assert tally.fp["security_incident"] == 1 and tally.unjudged["merger_acquisition"] == 1
    jobs = Tally()
    judge(SOURCES["google-jobs"], AD, {"hiring_finance"}, jobs)
    judge(SOURCES["google-jobs"], AD, set(), jobs)
    assert jobs.roles_right == 1 and jobs.tp["hiring_finance"] == 1 and jobs.fn["hiring_finance"] == 1
    assert "role typing accuracy: 0.500" in report(SOURCES["google-jobs"], jobs, "test")


@pytest.mark.slow
def test_end_to_end_publishes_crawls_and_reads_explain_json(tmp_path: Path) -> None:
    from scripts.devtools.eval_documents import predict_end_to_end

    predicted = predict_end_to_end(SOURCES["biotech-news"], [STORY], jsonld=True, workdir=tmp_path)
    assert predicted == [{"merger_acquisition"}]
