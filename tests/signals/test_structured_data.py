"""schema.org structured data (JSON-LD and microdata) read from pages, hostile ones included,
and job titles typed by role."""

from __future__ import annotations

import json
import time

import pytest

from signals.document import JOB_AD, plan_page
from signals.extract import extract_html
from signals.role_model import confidence_by_type
from signals.roles import is_role_title, role_family
from signals.structured import MAX_FIELD_CHARS, MAX_SCRIPT_CHARS, JobPosting, StructuredData, from_jsonld


def page(*scripts: str, body: str = "<p>Join our team.</p>") -> str:
    blocks = "".join(f'<script type="application/ld+json">{s}</script>' for s in scripts)
    return f"<html><head><title>Jobs</title>{blocks}</head><body><main>{body}</main></body></html>"


def test_job_posting_fields_from_json_ld() -> None:
    posting = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "Careers"},
            {
                "@type": ["JobPosting"],
                "title": "  Senior <b>Data</b> Engineer ",
                "datePosted": "2026-09-30T08:00:00Z",
                "hiringOrganization": {"@type": "Organization", "name": "Westbrook Joinery"},
                "description": "<p>Build our pipelines.</p>",
            },
        ],
    }
    extracted = extract_html(page(json.dumps(posting)))
    job = extracted.structured.job
    assert job is not None
    assert job.title == "Senior Data Engineer"
    assert job.date_posted and job.date_posted.startswith("2026-09-30")
    assert job.hiring_organization == "Westbrook Joinery"
    assert job.description == "Build our pipelines."
    # datePosted dates the page when nothing better does
    assert extracted.published and extracted.published.startswith("2026-09-30")


def test_news_article_headline_and_date_from_json_ld_and_microdata() -> None:
    article = {"@type": "NewsArticle", "headline": "Westbrook opens a second workshop", "datePublished": "2026-10-01"}
    extracted = extract_html(page(json.dumps(article)))
    assert [(a.headline, a.date_published, a.schema_type) for a in extracted.structured.articles] == [
        ("Westbrook opens a second workshop", "2026-10-01", "newsarticle")
    ]
    microdata = (
        '<div itemscope itemtype="https://schema.org/JobPosting"><h1 itemprop="title">Payroll Clerk</h1>'
        '<time itemprop="datePosted" datetime="2026-08-02">2 August</time>'
        '<div itemprop="hiringOrganization" itemscope itemtype="https://schema.org/Organization">'
        '<span itemprop="name">Westbrook</span></div></div>'
    )
    extracted = extract_html(page(body=microdata))
    job = extracted.structured.job
    assert job is not None and (job.title, job.date_posted, job.hiring_organization) == (
        "Payroll Clerk",
        "2026-08-02",
        "Westbrook",
    )
    assert extracted.published == "2026-08-02"


def test_a_listing_of_several_postings_is_no_single_job_ad() -> None:
    postings = [{"@type": "JobPosting", "title": f"Role {n}"} for n in range(3)]
    assert extract_html(page(json.dumps(postings))).structured.job is None


@pytest.mark.parametrize(
    "script",
    [
        "{not json",
        '{"@type": "JobPosting", "title": ',  # cut off
        "[" * 50_000 + "]" * 50_000,  # nested past the parser's recursion limit
        json.dumps({"@type": "JobPosting", "title": ["a", "list"], "datePosted": 20260930}),
        json.dumps({"@type": {"not": "a string"}, "title": "Engineer"}),
        json.dumps({"@type": "JobPosting", "title": None, "name": 5}),
        json.dumps({"@type": "JobPosting", "title": "Engineer", "hiringOrganization": [1, 2, {"name": 3}]}),
        json.dumps("just a string"),
        json.dumps(12),
        "null",
    ],
)
def test_hostile_json_ld_is_ignored_not_raised(script: str) -> None:
    extracted = extract_html(page(script))
    for job in extracted.structured.jobs:
        assert isinstance(job.title, str) and job.title
        assert job.date_posted is None or isinstance(job.date_posted, str)
        assert job.hiring_organization is None or isinstance(job.hiring_organization, str)
    assert extracted.text == "Join our team."


def test_deeply_nested_and_huge_json_ld_is_bounded() -> None:
    core = json.dumps({"@type": "JobPosting", "title": "Too deep"})
    nested = '{"child": ' * 500 + core + "}" * 500  # parses, but deeper than MAX_DEPTH
    deeper = '{"child": ' * 5_000 + core + "}" * 5_000  # past the parser's recursion limit
    wide = [{"@type": "JobPosting", "title": f"Role {n}"} for n in range(20_000)]
    huge = json.dumps({"@type": "JobPosting", "title": "x" * (MAX_SCRIPT_CHARS + 10)})
    long_title = json.dumps({"@type": "JobPosting", "title": "Engineer " * 10_000})
    started = time.perf_counter()
    found = from_jsonld([nested, deeper, json.dumps(wide), huge, long_title])
    assert time.perf_counter() - started < 2.0
    assert all(job.title != "Too deep" for job in found.jobs)  # deeper than MAX_DEPTH: not walked
    assert len(found.jobs) <= 20
    assert all(len(job.title) <= MAX_FIELD_CHARS for job in found.jobs)
    assert from_jsonld([huge]).jobs == []


def test_many_scripts_and_microdata_scopes_are_capped() -> None:
    scripts = [json.dumps({"@type": "JobPosting", "title": f"Role {n}"}) for n in range(100)]
    scopes = "".join(
        f'<div itemscope itemtype="https://schema.org/JobPosting"><span itemprop="title">M {n}</span></div>'
        for n in range(1_000)
    )
    started = time.perf_counter()
    extracted = extract_html(page(*scripts, body=scopes))
    assert time.perf_counter() - started < 3.0
    assert 0 < len(extracted.structured.jobs) <= 20


@pytest.mark.parametrize(
    ("title", "family"),
    [
        ("Senior Cloud Security Engineer", "hiring_security"),
        ("Campus Security Officer", None),
        ("Sales Engineer", "hiring_sales"),
        ("Key Account Manager", "hiring_sales"),
        ("Customer Service Advisor", "hiring_sales"),
        ("Payroll Specialist", "hiring_finance"),
        ("FP&A Analyst", "hiring_finance"),
        (".NET Developer", "hiring_tech"),
        ("IT Support Analyst", "hiring_tech"),
        ("Data Scientist", "hiring_tech"),
        ("Director, Data Science", "hiring_tech"),  # data roles are tech hires (the taxonomy)
        ("Business Intelligence Analyst", "hiring_tech"),
        ("Civil Engineer", None),
        ("Cloud Programme Manager", None),
        ("Delivery Driver", None),
        ("Product Marketing Manager", None),
    ],
)
def test_role_family_from_the_title(title: str, family: str | None) -> None:
    assert role_family(title) == family


def test_role_titles_and_other_titles() -> None:
    assert is_role_title("Delivery Driver") and is_role_title("Payroll Specialist")
    assert not is_role_title("Life at Westbrook") and not is_role_title("Careers")


def test_a_job_ads_plan_carries_the_title_stages_measured_confidence() -> None:
    structured = StructuredData(jobs=[JobPosting(title="Payroll Specialist")])
    plan = plan_page(
        url="https://westbrook.example/careers/payroll",
        source_kind="careers",
        document_kind="page",
        title="Payroll Specialist - Careers",
        structured=structured,
    )
    assert plan.kind == JOB_AD and plan.role_type == "hiring_finance"
    assert plan.role_confidence == confidence_by_type()["hiring_finance"] < 0.9
    no_type = plan_page(
        url="https://westbrook.example/careers/driver",
        source_kind="careers",
        document_kind="page",
        title=None,
        structured=StructuredData(jobs=[JobPosting(title="Delivery Driver")]),
    )
    assert no_type.kind == JOB_AD and no_type.role_type is None
