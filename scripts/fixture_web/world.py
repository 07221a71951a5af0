"""The deterministic world behind the fixture web: companies, their stacks and their posts.

``World.generate(companies, seed)`` builds only the company list (fast even at 10,000);
each company's posts are written the first time they are needed and then kept, so a server
starts in seconds and the ground truth is the same however the world was visited.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from common.vocabulary import AREAS, SIGNAL_IDS
from scripts.fixture_web import content
from scripts.fixture_web.clock import DEFAULT_NOW
from scripts.fixture_web.content import pick_one

FORUM_HOST = "forum.smbtalk.com"
SOCIAL_HOST = "social.fedimesh.net"
HISTORY_DAYS = 540  # about 18 months of posts before "now"
FUTURE_DAYS = 60  # posts scheduled after "now" appear as the clock advances

PARTNERS = (
    ("P100", "Northwind Cloud Partners"),
    ("P200", "Fabrikam Solutions"),
    ("P300", "Tailspin IT Services"),
)

# (industry, verticals, name nouns)
INDUSTRIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "Manufacturing",
        ("Industrial Machinery", "Food Processing", "Plastics"),
        ("Engineering", "Manufacturing", "Industries", "Works", "Fabrication"),
    ),
    ("Retail", ("Fashion", "Grocery", "Home Goods"), ("Stores", "Outfitters", "Market", "Home")),
    (
        "Professional Services",
        ("Accounting", "Legal", "Consulting", "Architecture"),
        ("Advisory", "Partners", "Consulting", "Associates", "Law"),
    ),
    (
        "Healthcare",
        ("Clinics", "Dental", "Medical Devices"),
        ("Health", "Clinics", "Medical", "Care", "Dental"),
    ),
    (
        "Financial Services",
        ("Insurance Brokerage", "Wealth Management"),
        ("Finance", "Capital", "Insurance", "Wealth"),
    ),
    (
        "Construction",
        ("Commercial Construction", "Civil Engineering"),
        ("Construction", "Builders", "Contracting", "Civil"),
    ),
    ("Technology", ("Software", "IT Services"), ("Software", "Labs", "Systems", "Digital")),
    ("Logistics", ("Freight", "Warehousing"), ("Logistics", "Freight", "Transport", "Haulage")),
    ("Education", ("Private Schools", "Training"), ("Academy", "Learning", "Training")),
    ("Hospitality", ("Hotels", "Restaurants"), ("Hotels", "Kitchen", "Hospitality", "Inns")),
    ("Nonprofit", ("Charity", "Foundation"), ("Foundation", "Trust", "Charity")),
    ("Real Estate", ("Property Management",), ("Property", "Estates", "Homes")),
    ("Energy", ("Renewables", "Utilities Services"), ("Energy", "Solar", "Power")),
    ("Agriculture", ("Agritech", "Farming"), ("Farms", "Agri", "Growers")),
    ("Media", ("Publishing", "Marketing Agency"), ("Media", "Studio", "Creative", "Press")),
    ("Automotive", ("Dealership", "Parts"), ("Motors", "Automotive", "Auto Parts")),
)

# (country, public suffix, [(city, state, postal code)])
COUNTRIES: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "United States",
        "com",
        (
            ("Seattle", "WA", "98101"),
            ("Austin", "TX", "78701"),
            ("Denver", "CO", "80202"),
            ("Columbus", "OH", "43215"),
            ("Raleigh", "NC", "27601"),
            ("Phoenix", "AZ", "85004"),
        ),
    ),
    (
        "United Kingdom",
        "co.uk",
        (
            ("Manchester", "Greater Manchester", "M1 1AE"),
            ("Leeds", "West Yorkshire", "LS1 4AP"),
            ("Bristol", "Bristol", "BS1 5TR"),
            ("Glasgow", "Scotland", "G1 3SL"),
        ),
    ),
    (
        "Germany",
        "de",
        (
            ("München", "Bayern", "80331"),
            ("Hamburg", "Hamburg", "20095"),
            ("Köln", "Nordrhein-Westfalen", "50667"),
        ),
    ),
    (
        "Australia",
        "com.au",
        (("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000"), ("Brisbane", "QLD", "4000")),
    ),
    (
        "Canada",
        "ca",
        (("Toronto", "ON", "M5H 2N2"), ("Vancouver", "BC", "V6B 1A1"), ("Calgary", "AB", "T2P 1J9")),
    ),
    ("France", "fr", (("Lyon", "Auvergne-Rhône-Alpes", "69002"), ("Lille", "Hauts-de-France", "59000"))),
    ("Netherlands", "nl", (("Utrecht", "Utrecht", "3511"), ("Rotterdam", "Zuid-Holland", "3011"))),
    ("Ireland", "ie", (("Dublin", "Leinster", "D02"), ("Cork", "Munster", "T12"))),
    ("New Zealand", "co.nz", (("Auckland", "Auckland", "1010"), ("Wellington", "Wellington", "6011"))),
    ("Spain", "es", (("Valencia", "Valencia", "46001"), ("Bilbao", "País Vasco", "48001"))),
    ("Sweden", "se", (("Göteborg", "Västra Götaland", "411 01"),)),
    ("Switzerland", "ch", (("Zürich", "ZH", "8001"), ("Basel", "BS", "4051"))),
    ("Singapore", "com.sg", (("Singapore", "", "018989"),)),
    ("Japan", "co.jp", (("Osaka", "Osaka", "530-0001"),)),
)
COUNTRY_WEIGHTS = (30, 16, 8, 8, 7, 5, 5, 4, 3, 3, 3, 3, 2, 2)

NAME_A = (
    "Blue",
    "North",
    "Silver",
    "Oak",
    "Red",
    "Stone",
    "Bright",
    "Green",
    "Iron",
    "Clear",
    "High",
    "West",
    "East",
    "Sun",
    "Maple",
    "River",
    "Cedar",
    "Harbor",
    "Golden",
    "Swift",
    "Fox",
    "Pine",
    "Crest",
    "Falcon",
    "Summit",
    "Willow",
    "Amber",
    "Copper",
    "Lark",
    "Birch",
    "Moss",
    "Tide",
    "Ember",
    "Frost",
    "Granite",
    "Heron",
    "Juniper",
    "Kestrel",
    "Linden",
    "Orchard",
)
NAME_B = (
    "field",
    "gate",
    "wood",
    "bridge",
    "peak",
    "stone",
    "view",
    "brook",
    "line",
    "ford",
    "mark",
    "haven",
    "wick",
    "more",
    "side",
    "well",
    "crest",
    "vale",
    "point",
    "way",
    "ridge",
    "hurst",
    "ton",
    "dale",
    "port",
    "land",
    "light",
    "worth",
    "bay",
    "mill",
)

SECTIONS_BLOG = ("/blog", "/blog", "/insights", "/articles")
SECTIONS_NEWS = ("/news", "/press", "/newsroom", "/media")
SECTIONS_JOBS = ("/careers", "/jobs", "/careers", "/work-with-us")

# Where each signal type is naturally written.
TYPE_KINDS: dict[str, tuple[str, ...]] = {
    "hiring_tech": ("job", "job", "job", "news", "social"),
    "hiring_security": ("job", "job", "job", "news", "social"),
    "hiring_sales": ("job", "job", "job", "news", "social"),
    "hiring_finance": ("job", "job", "job", "blog"),
    "leadership_change": ("news", "news", "blog", "social"),
    "funding": ("news", "news", "social"),
    "expansion": ("news", "blog", "social"),
    "merger_acquisition": ("news", "news", "blog"),
    "partnership": ("news", "blog", "social"),
    "product_launch": ("news", "blog", "social"),
    "cloud_migration": ("blog", "news", "forum"),
    "ai_data_initiative": ("blog", "news", "job"),
    "business_apps_need": ("blog", "forum", "forum"),
    "competitor_tech": ("forum", "blog", "job"),
    "security_incident": ("news", "forum", "blog"),
    "compliance": ("news", "blog"),
    "modern_work": ("blog", "news", "forum"),
    "cost_cutting": ("news", "forum"),
}
HIRING_ROLE_SLOT = {
    "hiring_tech": "role_tech",
    "hiring_security": "role_sec",
    "hiring_sales": "role_sales",
    "hiring_finance": "role_fin",
}
NEUTRAL_ROLES = ("office manager", "operations coordinator", "project coordinator", "team administrator")

MAIL_OPTIONS = (("Microsoft 365", 55), ("Google Workspace", 27), ("other", 18))
DNS_OPTIONS = (("AWS", 25), ("Azure", 18), ("Cloudflare", 32), ("registrar", 25))
CMS_OPTIONS = (
    ("WordPress", 40),
    ("Shopify", 8),
    ("Wix", 10),
    ("Squarespace", 10),
    ("Drupal", 6),
    ("custom", 26),
)
EXTRAS = (
    ("Google Analytics", 0.6),
    ("HubSpot", 0.25),
    ("Salesforce", 0.18),
    ("Zoom", 0.22),
    ("Atlassian", 0.15),
    ("Slack", 0.12),
    ("QuickBooks", 0.12),
    ("Zendesk", 0.1),
    ("DocuSign", 0.1),
    ("Microsoft Clarity", 0.1),
    ("Intercom", 0.08),
)


@dataclass(frozen=True)
class Planted:
    signal_type: str
    text: str
    phrasing: int


@dataclass
class Post:
    """One blog post, press release, job ad, forum thread or social post."""

    kind: str  # blog | news | job | forum | social
    host: str
    path: str
    title: str
    published: datetime
    paragraphs: list[str]
    customer_id: str
    author: str
    planted: list[Planted] = field(default_factory=list)
    negatives: list[tuple[str, str]] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    replies: list[tuple[str, str, datetime]] = field(default_factory=list)
    robots_allowed: bool = True

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class Company:
    index: int
    customer_id: str
    name: str
    short_name: str
    slug: str
    domain: str
    www_host: str
    industry: str
    vertical: str
    country: str
    city: str
    state: str
    postal_code: str
    org_size: int
    is_nonprofit: bool
    azure_monthly_revenue: float
    partner_id: str
    partner_name: str
    mail: str
    dns_provider: str
    cms: str
    tech: list[str]
    ceo: str
    founded: int
    layout: int
    blog_path: str
    news_path: str
    jobs_path: str
    blog_feed: str
    news_feed: str
    sitemap_style: str  # plain | index | gzip | index-gzip | none
    robots_style: str  # open | admin | section | missing
    disallowed: str | None
    crawl_delay: int | None
    gzip_responses: bool
    social_handle: str | None
    heat: float
    focus_areas: tuple[str, ...]
    token: str  # stable per-company string for verification records and ids

    @property
    def base_url(self) -> str:
        return f"http://{self.www_host}"

    def allowed(self, path: str) -> bool:
        return not (self.disallowed and path.startswith(self.disallowed))


@dataclass
class Site:
    company: Company
    blog: list[Post]
    news: list[Post]
    jobs: list[Post]
    forum: list[Post]
    social: list[Post]

    @property
    def posts(self) -> list[Post]:
        return self.blog + self.news + self.jobs + self.forum + self.social


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0]


def with_article(country: str) -> str:
    """'United Kingdom' -> 'the United Kingdom', as it reads in a sentence."""
    return f"the {country}" if country.startswith(("United", "Netherlands")) else country


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


class World:
    """A fictional internet of companies, deterministic from ``seed``."""

    def __init__(self, companies: list[Company], seed: int, now: datetime) -> None:
        self.companies = companies
        self.seed = seed
        self.now = now
        self.forum_host = FORUM_HOST
        self.social_host = SOCIAL_HOST
        self.by_host: dict[str, Company] = {}
        for company in companies:
            self.by_host[company.domain] = company
            self.by_host[company.www_host] = company
        self.by_slug = {c.slug: c for c in companies}
        self.by_handle = {c.social_handle: c for c in companies if c.social_handle}
        self.by_id = {c.customer_id: c for c in companies}
        self._sites: dict[int, Site] = {}

    @classmethod
    def generate(cls, companies: int = 200, seed: int = 7, now: datetime = DEFAULT_NOW) -> World:
        if not 1 <= companies <= 100_000:
            raise ValueError("companies must be between 1 and 100000")
        rng = random.Random(f"world:{seed}")
        taken: set[str] = set()
        made = [_company(index, rng, taken) for index in range(companies)]
        return cls(made, seed, now)

    # -- content ------------------------------------------------------------------------
    def site(self, company: Company) -> Site:
        site = self._sites.get(company.index)
        if site is None:
            site = _SiteWriter(self, company).write()
            self._sites[company.index] = site
        return site

    def all_posts(self) -> list[Post]:
        return [post for company in self.companies for post in self.site(company).posts]

    @cached_property
    def hostile(self) -> list[dict[str, str]]:
        from scripts.fixture_web.hostile import catalogue

        return catalogue()

    def hosts(self) -> list[str]:
        names = [h for c in self.companies for h in dict.fromkeys((c.domain, c.www_host))]
        names += [self.forum_host, self.social_host]
        names += [entry["host"] for entry in self.hostile]
        return names

    # -- outputs --------------------------------------------------------------------------
    def ground_truth(self) -> dict[str, Any]:
        from scripts.fixture_web.truth import ground_truth

        return ground_truth(self)

    def write_ground_truth(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.ground_truth(), separators=(",", ":")), encoding="utf-8")
        return target

    def write_csv(self, directory: str | Path) -> dict[str, Path]:
        from scripts.fixture_web.csvs import write_csv

        return write_csv(self, Path(directory))


def _company(index: int, world_rng: random.Random, taken: set[str]) -> Company:
    rng = random.Random(f"{world_rng.random()}:{index}")
    industry, verticals, nouns = rng.choice(INDUSTRIES)
    vertical = rng.choice(verticals)
    country, suffix, places = rng.choices(COUNTRIES, weights=COUNTRY_WEIGHTS)[0]
    city, state, postal = rng.choice(places)
    if industry == "Technology" and rng.random() < 0.4:
        suffix = "io"
    name, domain = _name_and_domain(rng, nouns, suffix, taken)
    short = name.split()[0]
    org_size = _org_size(rng)
    acr = 0.0 if rng.random() < 0.5 else round(min(20000.0, rng.lognormvariate(5.0, 1.3)), 2)
    mail = _weighted(rng, MAIL_OPTIONS)
    dns_provider = _weighted(rng, DNS_OPTIONS)
    cms = _weighted(rng, CMS_OPTIONS if industry == "Retail" else CMS_OPTIONS[:1] + CMS_OPTIONS[2:])
    tech = [t for t in (mail, dns_provider, cms) if t not in {"other", "registrar", "custom"}]
    tech += [name_ for name_, p in EXTRAS if rng.random() < p]
    www = rng.random() < 0.7
    robots_style = rng.choices(("open", "admin", "section", "missing"), (35, 25, 25, 15))[0]
    blog_path = rng.choice(SECTIONS_BLOG)
    news_path = rng.choice(SECTIONS_NEWS)
    jobs_path = rng.choice(SECTIONS_JOBS)
    disallowed = None
    if robots_style == "section":
        disallowed = rng.choice((blog_path, news_path, jobs_path)) + "/archive/"
    sitemap_style = rng.choices(("plain", "index", "gzip", "index-gzip", "none"), (35, 25, 15, 15, 10))[0]
    if robots_style == "missing" and "gzip" in sitemap_style:
        # Without robots.txt nobody could find a gzipped sitemap: serve it plain instead.
        sitemap_style = "index" if sitemap_style == "index-gzip" else "plain"
    heat = rng.random() ** 2
    partner_id, partner_name = PARTNERS[index % len(PARTNERS)]
    return Company(
        index=index,
        customer_id=f"C{index + 1:05d}",
        name=name,
        short_name=short,
        slug=_slugify(name),
        domain=domain,
        www_host=f"www.{domain}" if www else domain,
        industry=industry,
        vertical=vertical,
        country=country,
        city=city,
        state=state,
        postal_code=postal,
        org_size=org_size,
        is_nonprofit=industry == "Nonprofit",
        azure_monthly_revenue=acr,
        partner_id=partner_id,
        partner_name=partner_name,
        mail=mail,
        dns_provider=dns_provider,
        cms=cms,
        tech=tech,
        ceo=rng.choice(content.POOLS["person"] + content.POOLS["person2"]),
        founded=rng.randrange(1950, 2022),
        layout=rng.randrange(4),
        blog_path=blog_path,
        news_path=news_path,
        jobs_path=jobs_path,
        blog_feed=rng.choice((f"{blog_path}/feed.xml", "/feed", "/rss.xml")),
        news_feed=rng.choice((f"{news_path}/atom.xml", "/news.atom")),
        sitemap_style=sitemap_style,
        robots_style=robots_style,
        disallowed=disallowed,
        crawl_delay=rng.choice((None, None, None, 1, 2)) if robots_style != "missing" else None,
        gzip_responses=rng.random() < 0.5,
        social_handle=_slugify(short).replace("-", "") + str(index) if rng.random() < 0.6 else None,
        heat=heat,
        focus_areas=tuple(rng.sample(AREAS, rng.choice((1, 2)))),
        token=f"{rng.getrandbits(64):016x}",
    )


def _name_and_domain(
    rng: random.Random, nouns: tuple[str, ...], suffix: str, taken: set[str]
) -> tuple[str, str]:
    for attempt in range(50):
        stem = rng.choice(NAME_A) + rng.choice(NAME_B)
        noun = rng.choice(nouns)
        name = f"{stem} {noun}"
        label = rng.choice((stem.lower(), f"{stem}{noun}".lower(), f"{stem}-{noun}".lower()))
        label = re.sub(r"[^a-z0-9-]", "", label.replace(" ", "-"))
        if attempt > 20:
            label = f"{label}{attempt}"
        domain = f"{label}.{suffix}"
        if domain not in taken and name not in taken:
            taken.update((domain, name))
            return name, domain
    raise RuntimeError("could not find a unique company name")  # pragma: no cover


def _org_size(rng: random.Random) -> int:
    band = rng.random()
    if band < 0.33:
        return rng.randint(2, 24)
    if band < 0.8:
        return int(25 * (12 ** rng.random()))  # 25..299, skewed small
    return int(300 * (10 ** rng.random()))  # 300..2999


class _SiteWriter:
    """Writes one company's posts from its own random stream."""

    def __init__(self, world: World, company: Company) -> None:
        self.world = world
        self.company = company
        self.rng = random.Random(f"site:{world.seed}:{company.index}")
        self.now = world.now
        self.context = {
            "company": company.name,
            "short": company.short_name,
            "city": company.city,
            "country": with_article(company.country),
            "industry_lower": company.industry.lower(),
            "ceo": company.ceo,
        }
        self.site = Site(company, [], [], [], [], [])
        self.counter = 0

    def write(self) -> Site:
        for signal_type in self._signal_types():
            self._signal_post(signal_type, self._date_for_signal())
        rng = self.rng
        for _ in range(rng.randint(3, 6)):
            self._none_post("blog", self._date_any())
        for _ in range(rng.randint(2, 4)):
            self._none_post("news", self._date_any())
        for _ in range(rng.randint(0, 2)):
            self._plain_job(self._date_any())
        for _ in range(rng.randint(0, 2)):
            self._none_forum(self._date_any())
        if self.company.social_handle:
            for _ in range(rng.randint(2, 4)):
                self._none_post("social", self._date_any())
        # Scheduled posts: invisible until the clock passes their date.
        for _ in range(rng.randint(1, 2)):
            when = self.now + timedelta(days=rng.uniform(0.5, FUTURE_DAYS))
            if rng.random() < 0.6:
                self._signal_post(pick_one(rng, SIGNAL_IDS), when, future=True)
            else:
                self._none_post(pick_one(rng, ("blog", "news")), when)
        for posts in (self.site.blog, self.site.news, self.site.jobs, self.site.forum, self.site.social):
            posts.sort(key=lambda p: p.published, reverse=True)
        return self.site

    # -- planning ---------------------------------------------------------------------------
    def _signal_types(self) -> list[str]:
        types = SIGNAL_IDS
        index = self.company.index
        # Round-robin first, so every type is planted evenly whatever the seed.
        chosen = [types[(index * 3 + k) % len(types)] for k in range(3)]
        extra = int(self.company.heat * 9 + self.rng.random() * 2)
        weights = [self._weight(t) for t in types]
        chosen += self.rng.choices(types, weights=weights, k=extra)
        return chosen

    def _weight(self, signal_type: str) -> float:
        """Types that raise the company's focus areas are drawn more often."""
        areas = content.TYPE_AREAS[signal_type]
        if len(areas) >= 5 or not areas:  # area-neutral types: leadership, cost cutting...
            return 2.0
        return 1.0 + 5.0 * any(a in self.company.focus_areas for a in areas)

    def _date_for_signal(self) -> datetime:
        skew = 1 + 3 * self.company.heat  # hot companies talk more recently
        days = HISTORY_DAYS * (self.rng.random() ** skew)
        return self._moment(days)

    def _date_any(self) -> datetime:
        return self._moment(self.rng.uniform(1, HISTORY_DAYS))

    def _moment(self, days_ago: float) -> datetime:
        when = self.now - timedelta(days=days_ago)
        return when.replace(minute=self.rng.randrange(60), second=0, microsecond=0)

    # -- writing ----------------------------------------------------------------------------
    def _kind_for(self, signal_type: str, future: bool) -> str:
        kinds = [k for k in TYPE_KINDS[signal_type] if k != "social" or self.company.social_handle]
        if future:
            kinds = [k for k in kinds if k in {"blog", "news", "job"}] or ["news"]
        return pick_one(self.rng, kinds)

    def _signal_post(self, signal_type: str, when: datetime, future: bool = False) -> None:
        kind = self._kind_for(signal_type, future)
        rng = self.rng
        context = dict(self.context)
        title_role = None
        if signal_type == "competitor_tech":
            own = [c for c in content.COMPETITORS if c[0] in self.company.tech]
            name, category, use, _area = pick_one(rng, own or content.COMPETITORS)
            context.update(competitor=name, competitor_category=category, competitor_use=use)
        if kind == "job":
            slot = HIRING_ROLE_SLOT.get(signal_type)
            title_role = pick_one(rng, content.POOLS[slot]) if slot else pick_one(rng, NEUTRAL_ROLES)
            if slot:
                context[slot] = title_role
        sentence, phrasing = content.signal_sentence(signal_type, rng, context)
        planted = Planted(signal_type, sentence, phrasing)
        if kind == "job":
            self._job(title_role or "team member", when, planted, context)
        elif kind == "forum":
            self._forum(when, planted, context)
        elif kind == "social":
            self._social(when, planted, context)
        else:
            title = content.pick(signal_type, content.TITLES, rng, context)
            self._article(kind, title, when, planted, context)

    def _none_post(self, kind: str, when: datetime) -> None:
        topic = pick_one(self.rng, tuple(content.FILLER))
        context = dict(self.context, month_name=when.strftime("%B"))
        title = content.pick(topic, content.TOPIC_TITLES, self.rng, context)
        if kind == "social":
            self._social(when, None, context)
        else:
            self._article(kind, title, when, None, context, topic)

    def _negative(self, post_negatives: list[tuple[str, str]], context: dict[str, str]) -> str:
        text, topic = content.hard_negative(self.rng, context)
        post_negatives.append((text, topic))
        return text

    def _article(
        self,
        kind: str,
        title: str,
        when: datetime,
        planted: Planted | None,
        context: dict[str, str],
        topic: str | None = None,
    ) -> None:
        rng = self.rng
        topic = topic or pick_one(rng, tuple(content.FILLER))
        used: set[str] = set()

        def filler(count: int) -> str:
            # Mostly on the post's topic, never the same sentence twice in one post.
            sentences = []
            for _ in range(count):
                for _attempt in range(4):
                    on_topic = topic if rng.random() < 0.7 else None
                    sentence = content.filler_sentence(rng, context, on_topic)
                    if sentence not in used:
                        break
                used.add(sentence)
                sentences.append(sentence)
            return " ".join(sentences)

        negatives: list[tuple[str, str]] = []
        first = content.pick(kind, content.INTROS, rng, context) + " " + filler(1)
        middle = [filler(rng.randint(1, 2))]
        if planted:
            middle.append(planted.text)
        if rng.random() < 0.7:
            middle.append(self._negative(negatives, context))
        middle.append(filler(1))
        paragraphs = [
            first,
            " ".join(middle),
            filler(rng.randint(1, 3)),
            content.pick(kind, content.OUTROS, rng, context),
        ]
        base = self.company.blog_path if kind == "blog" else self.company.news_path
        self._add(kind, base, title, when, paragraphs, planted, negatives)

    def _job(self, role: str, when: datetime, planted: Planted | None, context: dict[str, str]) -> None:
        rng = self.rng
        negatives: list[tuple[str, str]] = []
        paragraphs = [content.pick("job", content.INTROS, rng, context)]
        if planted:
            paragraphs.append(planted.text)
        else:
            context = dict(context, job_plain=role)
            paragraphs.append(content.fill(content.HARD_NEGATIVES["hiring"][5], rng, context))
            negatives.append((paragraphs[-1], "hiring"))
        paragraphs.append(content.pick("job", content.OUTROS, rng, context))
        title = role[:1].upper() + role[1:]
        post = self._add("job", self.company.jobs_path, title, when, paragraphs, planted, negatives)
        post.bullets = rng.sample(content.JOB_BULLETS, 5)

    def _plain_job(self, when: datetime) -> None:
        self._job(pick_one(self.rng, content.POOLS["job_plain"]), when, None, self.context)

    def _forum(self, when: datetime, planted: Planted, context: dict[str, str]) -> None:
        rng = self.rng
        opener = content.pick("forum", content.INTROS, rng, context)
        who = f"I look after IT for {self.company.name} in {self.company.city}."
        paragraphs = [f"{opener} {who}", planted.text, content.pick("forum", content.OUTROS, rng, context)]
        title = content.pick(planted.signal_type, content.TITLES, rng, context)
        self._thread(title, when, paragraphs, planted)

    def _none_forum(self, when: datetime) -> None:
        rng = self.rng
        context = dict(self.context, service=pick_one(rng, content.POOLS["service_noun"]))
        title, *paragraphs = pick_one(rng, content.FORUM_THREADS)
        self._thread(
            content.fill(title, rng, context),
            when,
            [content.fill(p, rng, context) for p in paragraphs],
            None,
        )

    def _thread(self, title: str, when: datetime, paragraphs: list[str], planted: Planted | None) -> None:
        rng = self.rng
        number = self.company.index * 100 + len(self.site.forum)
        path = f"/t/{_slugify(title)}/{number}"
        post = Post(
            "forum",
            FORUM_HOST,
            path,
            title,
            when,
            paragraphs,
            self.company.customer_id,
            pick_one(
                rng,
                ("itguy42", "office_admin", "sysadmin_sam", "k.m", "finance_fran", "lurker99", "ops_lead"),
            ),
            planted=[planted] if planted else [],
        )
        for k in range(rng.randint(0, 3)):
            post.replies.append(
                (
                    pick_one(rng, ("helpful_hal", "msp_mike", "anon", "ellie_b")),
                    pick_one(rng, content.REPLIES),
                    when + timedelta(hours=3 + 7 * k),
                )
            )
        self.site.forum.append(post)

    def _social(self, when: datetime, planted: Planted | None, context: dict[str, str]) -> None:
        rng = self.rng
        parts = [content.pick("social", content.INTROS, rng, context)]
        if planted:
            parts += [planted.text, content.filler_sentence(rng, context)]
        else:
            parts.append(content.filler_sentence(rng, context))
        outro = content.pick("social", content.OUTROS, rng, context)
        if outro:
            parts.append(outro)
        number = self.company.index * 1000 + len(self.site.social) + 100_000
        handle = self.company.social_handle
        post = Post(
            "social",
            SOCIAL_HOST,
            f"/@{handle}/{number}",
            " ".join(parts)[:60],
            when,
            [" ".join(parts)],
            self.company.customer_id,
            f"@{handle}",
            planted=[planted] if planted else [],
        )
        self.site.social.append(post)

    def _add(
        self,
        kind: str,
        base: str,
        title: str,
        when: datetime,
        paragraphs: list[str],
        planted: Planted | None,
        negatives: list[tuple[str, str]],
    ) -> Post:
        self.counter += 1
        slug = f"{_slugify(title)}-{self.counter}"
        # Older posts live in an archive section, which some robots.txt files disallow.
        archived = when < self.now - timedelta(days=180)
        path = f"{base}/archive/{slug}" if archived else f"{base}/{slug}"
        post = Post(
            kind,
            self.company.www_host,
            path,
            title,
            when,
            paragraphs,
            self.company.customer_id,
            self.company.ceo if kind == "news" else pick_one(self.rng, content.POOLS["person2"]),
            planted=[planted] if planted else [],
            negatives=negatives,
            robots_allowed=self.company.allowed(path),
        )
        {"blog": self.site.blog, "news": self.site.news, "job": self.site.jobs}[kind].append(post)
        return post
