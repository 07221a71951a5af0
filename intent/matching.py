"""Line a partner's CRM rows up with ascent's customers: domain, then name, then customer ID.

The order is the one partners are told to follow: the registrable **domain** (from a website,
a bare domain or a contact's e-mail; public mail providers never count), then the **name**
(exact after normalisation, then fuzzy above a threshold), then the **customer ID**.

Never a guess between two customers: whenever a step finds two or more customers, the row is
``ambiguous`` and lists them. Two rules settle conflicting evidence:

- When several customers share the row's domain, the one with exactly the row's normalised
  name is taken, if there is exactly one; otherwise the row is ambiguous.
- A customer ID in the row that is one of ours and names a *different* customer than the
  domain or name step found makes the row ambiguous (both listed). An ID we do not know (the
  CRM's own account number, say) is no evidence either way. When a name step is ambiguous and
  the row's ID is one of the candidates, the ID decides (method ``id``).
- A fuzzy name match is dropped when the row has a company domain (not a public mail
  provider) that is not the candidate's own: a similar name under another company's
  website is another company. An exact name match stands whatever the domain (companies
  have more than one).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from rapidfuzz import fuzz, process

from intent.domains import DomainError, normalise_domain

METHODS: tuple[str, ...] = ("domain", "name", "fuzzy_name", "id", "ambiguous", "none")
AUTOMATIC: frozenset[str] = frozenset({"domain", "name", "fuzzy_name", "id"})
DEFAULT_FUZZY_THRESHOLD = 0.92
MIN_FUZZY_THRESHOLD = 0.5
# Legal forms dropped from the end of a name (after dots are removed: "S.A." is "sa").
LEGAL_SUFFIXES: frozenset[str] = frozenset(
    [
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "cos",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "kgaa",
        "ug",
        "se",
        "sa",
        "sas",
        "sasu",
        "sarl",
        "cv",
        "srl",
        "spa",
        "sl",
        "slu",
        "bv",
        "nv",
        "vof",
        "kk",
        "yk",
        "gk",
        "pty",
        "pte",
        "oy",
        "oyj",
        "ab",
        "as",
        "asa",
        "aps",
        "kft",
        "zrt",
        "sro",
        "spzoo",
        "sp",
        "zoo",
        "doo",
        "ooo",
        "oao",
        "zao",
        "pjsc",
        "jsc",
        "ltda",
        "eireli",
        "bhd",
        "sdn",
        "tbk",
        "pt",
        "lda",
        "cia",
    ]
)
# Legal forms written in CJK scripts, removed wherever they stand in the name.
CJK_LEGAL_FORMS: tuple[str, ...] = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "(株)",
    "(有)",
    "㈱",
    "주식회사",
    "(주)",
)


@dataclass(frozen=True)
class Known:
    """What matching needs of one ascent customer."""

    customer_id: str
    name: str
    domain: str


@dataclass(frozen=True)
class Keys:
    """What matching reads from one CRM row (raw text; normalised here)."""

    domain: str = ""
    email: str = ""
    name: str = ""
    customer_id: str = ""


@dataclass(frozen=True)
class Match:
    method: str
    customer_id: str = ""
    score: float = 0.0
    candidates: tuple[str, ...] = ()

    @property
    def automatic(self) -> bool:
        return self.method in AUTOMATIC

    def cells(self) -> list[object]:
        """The four output columns: ascent_customer_id, match_method, match_score, match_candidates."""
        return [self.customer_id, self.method, round(self.score, 3), ";".join(self.candidates)]


@dataclass
class Summary:
    rows: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    customers_matched: int = 0
    customers_on_several_rows: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "matched": sum(self.methods[m] for m in AUTOMATIC),
            "methods": {m: self.methods[m] for m in METHODS},
            "customers_matched": self.customers_matched,
            "customers_on_several_rows": self.customers_on_several_rows,
        }


@cache
def public_mail_domains() -> frozenset[str]:
    text = resources.files("intent").joinpath("public_mail_domains.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def registrable_domain(value: str) -> str | None:
    """'https://www.Contoso.co.uk:8443/about' or 'jane@mail.contoso.co.uk' -> 'contoso.co.uk'.

    None when the value holds no usable public domain.
    """
    text = value.strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    try:
        return normalise_domain(text)
    except DomainError:
        return None


def is_public_mail(domain: str) -> bool:
    return domain in public_mail_domains()


_PUNCTUATION = re.compile(r"[\W_]+")


def normalise_name(value: str) -> str:
    """'The Café & Co., GmbH' -> 'cafe'; '株式会社トヨタ' -> 'トヨタ'.

    Width and compatibility forms folded (NFKC), CJK legal forms removed, accents dropped
    (NFKD), case folded, "&" read as "and", punctuation as spaces, a leading "The" and trailing
    legal forms (with a dangling "and") removed. A name that is nothing but legal forms keeps them.
    """
    text = unicodedata.normalize("NFKC", value)
    for form in CJK_LEGAL_FORMS:
        text = text.replace(unicodedata.normalize("NFKC", form), " ")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("ß", "ss").replace("&", " and ").replace(".", "")
    tokens = _PUNCTUATION.sub(" ", text).split()
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    stripped = list(tokens)
    while stripped and (stripped[-1] in LEGAL_SUFFIXES or stripped[-1] == "and"):
        stripped.pop()
    return " ".join(stripped or tokens)


class CustomerIndex:
    """Ascent's customers keyed for matching: by domain, by normalised name, by ID."""

    def __init__(self, customers: Iterable[Known]):
        self.by_domain: dict[str, list[str]] = defaultdict(list)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.by_id: dict[str, str] = {}
        self.name_of: dict[str, str] = {}
        for customer in customers:
            domain = registrable_domain(customer.domain) if customer.domain else None
            if domain and customer.customer_id not in self.by_domain[domain]:
                self.by_domain[domain].append(customer.customer_id)
            name = normalise_name(customer.name)
            if name:
                self.by_name[name].append(customer.customer_id)
            self.by_id[customer.customer_id.strip().casefold()] = customer.customer_id
            self.name_of[customer.customer_id] = name
        self.names: list[str] = list(self.by_name)
        # Word order ignored: token_sort_ratio, with the sorting done once here, not per row.
        self.sorted_names: list[str] = [_sorted_words(name) for name in self.names]
        self.domain_of: dict[str, str] = {c: d for d, owners in self.by_domain.items() for c in owners}


def _sorted_words(name: str) -> str:
    return " ".join(sorted(name.split()))


class Matcher:
    """Matches CRM rows one by one; ``threshold`` (0.5-1) is the fuzzy name score needed."""

    def __init__(self, index: CustomerIndex, threshold: float = DEFAULT_FUZZY_THRESHOLD):
        if not MIN_FUZZY_THRESHOLD <= threshold <= 1.0:
            raise ValueError(f"threshold must be between {MIN_FUZZY_THRESHOLD} and 1, got {threshold}")
        self.index = index
        self.threshold = threshold

    def match(self, keys: Keys) -> Match:
        domains = self._company_domains(keys)
        found = self._by_domain(keys, domains) or self._by_name(keys) or self._by_fuzzy_name(keys, domains)
        known_id = self.index.by_id.get(keys.customer_id.strip().casefold()) if keys.customer_id else None
        if found is None:
            return Match("id", known_id, 1.0) if known_id else Match("none")
        if known_id is None:
            return found
        if found.method == "ambiguous":
            if known_id in found.candidates:
                return Match("id", known_id, 1.0)
            return Match("ambiguous", "", found.score, (*found.candidates, known_id))
        if known_id != found.customer_id:
            return Match("ambiguous", "", found.score, (found.customer_id, known_id))
        return found

    @staticmethod
    def _company_domains(keys: Keys) -> list[str]:
        """The row's registrable domains, public mail providers left out."""
        found = {registrable_domain(value) for value in (keys.domain, keys.email) if value}
        return sorted(d for d in found if d and not is_public_mail(d))

    def _by_domain(self, keys: Keys, domains: list[str]) -> Match | None:
        owners: list[str] = []
        for domain in domains:
            owners += [c for c in self.index.by_domain.get(domain, ()) if c not in owners]
        if not owners:
            return None
        if len(owners) == 1:
            return Match("domain", owners[0], 1.0)
        name = normalise_name(keys.name) if keys.name else ""
        named = [c for c in owners if name and self.index.name_of.get(c) == name]
        if len(named) == 1:
            return Match("domain", named[0], 1.0)
        return Match("ambiguous", "", 1.0, tuple(owners))

    def _by_name(self, keys: Keys) -> Match | None:
        name = normalise_name(keys.name) if keys.name else ""
        owners = self.index.by_name.get(name, []) if name else []
        if not owners:
            return None
        if len(owners) == 1:
            return Match("name", owners[0], 1.0)
        return Match("ambiguous", "", 1.0, tuple(owners))

    def _by_fuzzy_name(self, keys: Keys, domains: list[str]) -> Match | None:
        name = normalise_name(keys.name) if keys.name else ""
        if not name or not self.index.names:
            return None
        hits = process.extract(
            _sorted_words(name),
            self.index.sorted_names,
            scorer=fuzz.ratio,
            score_cutoff=self.threshold * 100,
            limit=None,
        )
        owners = [c for _, _score, at in hits for c in self.index.by_name[self.index.names[at]]]
        # A similar name is weak evidence: a company domain in the row that is not the
        # candidate's says it is another company with a similar name.
        if domains:
            owners = [c for c in owners if self.index.domain_of.get(c) in domains]
        if not owners:
            return None
        best = max(score for _, score, _ in hits) / 100
        if len(owners) == 1:
            return Match("fuzzy_name", owners[0], best)
        return Match("ambiguous", "", best, tuple(owners))


def match_all(matcher: Matcher, rows: Sequence[Keys]) -> tuple[list[Match], Summary]:
    """Every row's match and the counts per method."""
    matches = [matcher.match(keys) for keys in rows]
    return matches, summarise(matches)


def summarise(matches: Sequence[Match]) -> Summary:
    summary = Summary(rows=len(matches))
    per_customer: Counter[str] = Counter()
    for found in matches:
        summary.methods[found.method] += 1
        if found.automatic:
            per_customer[found.customer_id] += 1
    summary.customers_matched = len(per_customer)
    summary.customers_on_several_rows = sum(1 for n in per_customer.values() if n > 1)
    return summary
