"""CRM matching rules: normalisation, public mail, the order of the steps, never a guess."""

from __future__ import annotations

import pytest

from intent.matching import (
    CustomerIndex,
    Keys,
    Known,
    Matcher,
    is_public_mail,
    normalise_name,
    registrable_domain,
)

CUSTOMERS = [
    Known("C1", "Contoso Ltd", "contoso.co.uk"),
    Known("C2", "Fabrikam", "https://www.fabrikam.com/"),
    Known("C3", "Northwind Traders", "northwind.com"),
    Known("C4", "Northwind Traders", "northwind.de"),  # same name, another company
    Known("C5", "Adatum Holdings", "adatum.com"),
    Known("C6", "Adatum Shared", "adatum.com"),  # two customers on one domain
    Known("C7", "Blue Yonder Airlines", "blueyonder.aero"),
    Known("C8", "Tailspin Toys", "tailspin.com"),
    Known("C9", "Tailspin Toyz", "tailspin-toyz.com"),
    Known("C10", "Société Générale Café", "cafe.fr"),
    Known("C11", "トヨタ", "toyota.co.jp"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(CustomerIndex(CUSTOMERS), threshold=0.9)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Contoso Ltd", "contoso"),
        ("CONTOSO LIMITED", "contoso"),
        ("Contoso, Inc.", "contoso"),
        ("Contoso GmbH & Co. KG", "contoso"),
        ("Contoso S.A.", "contoso"),
        ("Contoso Pty Ltd", "contoso"),
        ("Contoso Co., Ltd.", "contoso"),
        ("Contoso KK", "contoso"),
        ("The Contoso Group", "contoso group"),
        ("Smith & Jones", "smith and jones"),
        ("Smith and Jones LLC", "smith and jones"),
        ("Société Générale Café", "societe generale cafe"),
        ("株式会社トヨタ", "トヨタ"),
        ("トヨタ株式会社", "トヨタ"),
        ("ＡＢＣ　Holdings", "abc holdings"),  # full-width letters and space
        ("Inc.", "inc"),  # nothing but a legal form keeps it
        ("  Blue-Yonder   Airlines ", "blue yonder airlines"),
    ],
)
def test_name_normalisation(raw: str, normal: str) -> None:
    assert normalise_name(raw) == normal


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("contoso.co.uk", "contoso.co.uk"),
        ("www.Contoso.co.uk", "contoso.co.uk"),
        ("https://www.contoso.co.uk/about?x=1", "contoso.co.uk"),
        ("HTTP://CONTOSO.CO.UK:8080/", "contoso.co.uk"),
        ("shop.eu.contoso.co.uk", "contoso.co.uk"),
        ("jane.doe@mail.contoso.co.uk", "contoso.co.uk"),
        ("mailto:Jane@Contoso.co.uk", "contoso.co.uk"),
        ("<jane@contoso.co.uk>", "contoso.co.uk"),
        ("not a domain", None),
        ("10.0.0.1", None),
        ("", None),
    ],
)
def test_registrable_domain(raw: str, domain: str | None) -> None:
    assert registrable_domain(raw) == domain


@pytest.mark.parametrize(
    "address",
    [
        "x@gmail.com",
        "x@outlook.com",
        "x@mail.yahoo.co.jp",
        "x@gmx.de",
        "x@web.de",
        "x@qq.com",
        "x@163.com",
        "x@mail.ru",
        "x@proton.me",
        "x@icloud.com",
        "x@hotmail.co.uk",
    ],
)
def test_public_mail_providers_are_known(address: str) -> None:
    domain = registrable_domain(address)
    assert domain is not None and is_public_mail(domain)
    assert not is_public_mail("contoso.com")


def test_domain_matches_from_website_or_email(matcher: Matcher) -> None:
    assert matcher.match(Keys(domain="HTTPS://WWW.CONTOSO.CO.UK/en")).customer_id == "C1"
    found = matcher.match(Keys(email="ceo@contoso.co.uk", name="Something else entirely"))
    assert (found.method, found.customer_id, found.score) == ("domain", "C1", 1.0)


def test_public_mail_never_matches_on_its_own(matcher: Matcher) -> None:
    assert matcher.match(Keys(email="contoso@gmail.com")).method == "none"
    # ... the name still may.
    assert matcher.match(Keys(email="someone@gmail.com", name="Contoso Limited")).method == "name"


def test_exact_name_after_domain(matcher: Matcher) -> None:
    found = matcher.match(Keys(name="FABRIKAM, INC."))
    assert (found.method, found.customer_id) == ("name", "C2")


def test_two_customers_with_one_name_are_ambiguous(matcher: Matcher) -> None:
    found = matcher.match(Keys(name="Northwind Traders GmbH"))
    assert found.method == "ambiguous" and found.customer_id == ""
    assert sorted(found.candidates) == ["C3", "C4"]
    assert found.cells()[3] == ";".join(found.candidates)


def test_shared_domain_is_ambiguous_unless_the_name_picks_one(matcher: Matcher) -> None:
    found = matcher.match(Keys(domain="adatum.com"))
    assert found.method == "ambiguous" and sorted(found.candidates) == ["C5", "C6"]
    picked = matcher.match(Keys(domain="adatum.com", name="Adatum Shared Ltd"))
    assert (picked.method, picked.customer_id) == ("domain", "C6")


def test_website_and_email_of_two_customers_are_ambiguous(matcher: Matcher) -> None:
    found = matcher.match(Keys(domain="contoso.co.uk", email="a@fabrikam.com"))
    assert found.method == "ambiguous" and sorted(found.candidates) == ["C1", "C2"]


def test_fuzzy_name_with_a_typo(matcher: Matcher) -> None:
    found = matcher.match(Keys(name="Blue Yondr Airlines"))
    assert (found.method, found.customer_id) == ("fuzzy_name", "C7")
    assert 0.9 <= found.score < 1.0


def test_fuzzy_name_between_two_customers_is_ambiguous(matcher: Matcher) -> None:
    found = matcher.match(Keys(name="Tailspin Toy"))
    assert found.method == "ambiguous" and sorted(found.candidates) == ["C8", "C9"]


def test_fuzzy_name_under_another_company_domain_does_not_match(matcher: Matcher) -> None:
    assert matcher.match(Keys(name="Blue Yondr Airlines", domain="blueyonder-travel.com")).method == "none"
    # A public mail address is no company domain: the fuzzy match stands.
    assert matcher.match(Keys(name="Blue Yondr Airlines", email="x@gmail.com")).method == "fuzzy_name"


def test_threshold_decides_fuzzy_matches() -> None:
    strict = Matcher(CustomerIndex(CUSTOMERS), threshold=0.99)
    assert strict.match(Keys(name="Blue Yondr Airlines")).method == "none"
    with pytest.raises(ValueError):
        Matcher(CustomerIndex(CUSTOMERS), threshold=0.2)


def test_customer_id_last(matcher: Matcher) -> None:
    found = matcher.match(Keys(name="Unknown Corp", customer_id=" c8 "))
    assert (found.method, found.customer_id) == ("id", "C8")
    assert matcher.match(Keys(customer_id="ACC-991")).method == "none"


def test_id_contradicting_the_domain_is_ambiguous(matcher: Matcher) -> None:
    found = matcher.match(Keys(domain="contoso.co.uk", customer_id="C2"))
    assert found.method == "ambiguous" and sorted(found.candidates) == ["C1", "C2"]
    # An ID that is not ours (the CRM's own number) is no evidence against the domain.
    assert matcher.match(Keys(domain="contoso.co.uk", customer_id="ACC-1")).customer_id == "C1"
    # Agreeing evidence keeps the first step's method.
    assert matcher.match(Keys(domain="contoso.co.uk", customer_id="C1")).method == "domain"


def test_id_settles_an_ambiguous_name(matcher: Matcher) -> None:
    found = matcher.match(Keys(name="Northwind Traders", customer_id="C4"))
    assert (found.method, found.customer_id) == ("id", "C4")


def test_non_ascii_names(matcher: Matcher) -> None:
    assert matcher.match(Keys(name="SOCIETE GENERALE CAFE SAS")).customer_id == "C10"
    assert matcher.match(Keys(name="株式会社トヨタ")).customer_id == "C11"
