"""Rendering: a company's pages, feeds, sitemaps and robots.txt, the forum and the social host.

Every function takes the world state and the clock's "now" and returns a ``Page``; posts
dated after "now" do not exist yet (404 and absent from indexes, feeds and sitemaps).
Pages carry the boilerplate real sites have (navigation, cookie banner, share widgets,
comments, footer) in one of four layouts, with the publish date marked up differently in each.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from xml.sax.saxutils import escape as xml_escape

from scripts.fixture_web import content, fingerprints
from scripts.fixture_web.world import Company, Post, Site, World, with_article

SITE_LAUNCH_DAYS = 900


@dataclass
class Page:
    status: int
    content_type: str
    body: bytes
    last_modified: datetime | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    gzip_ok: bool = True  # may be compressed on the fly when the client accepts gzip


def not_found(message: str = "Not found") -> Page:
    body = f"<!doctype html><html><head><title>404</title></head><body><h1>{message}</h1></body></html>"
    return Page(404, "text/html; charset=utf-8", body.encode())



def visible(posts: list[Post], now: datetime) -> list[Post]:
    return [p for p in posts if p.published <= now]


def _date_text(when: datetime) -> str:
    return f"{when.day} {when.strftime('%B %Y')}"


# -- HTML scaffolding -----------------------------------------------------------------------
def _nav(company: Company) -> str:
    items = [
        ("/", "Home"),
        ("/about", "About us"),
        (company.blog_path, "Blog"),
        (company.news_path, "News"),
        (company.jobs_path, "Careers"),
        ("/contact", "Contact"),
    ]
    links = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in items)
    if company.layout in (1, 3):
        return f'<div class="top-menu" id="menu"><ul class="menu">{links}</ul></div>'
    return f'<nav class="site-nav" aria-label="Main"><ul>{links}</ul></nav>'


def _cookie_banner() -> str:
    return (
        '<div id="cookie-consent" class="cookie-banner" role="dialog">We use cookies to improve '
        "your experience and to analyse traffic. By clicking Accept you agree to our use of "
        'cookies. <button class="accept">Accept all</button> <a href="/privacy">Cookie '
        "settings</a></div>"
    )


def _share() -> str:
    return (
        '<div class="share-buttons">Share this: <a href="https://www.linkedin.com/shareArticle">'
        'LinkedIn</a> <a href="https://twitter.com/intent/tweet">X</a> '
        '<a href="https://www.facebook.com/sharer/sharer.php">Facebook</a> '
        '<a href="mailto:?subject=Worth%20a%20read">Email</a></div>'
    )


def _comments(rng: random.Random) -> str:
    lines = (
        "Great read, thanks for sharing!",
        "Congratulations to the whole team.",
        "Interesting, looking forward to the next update.",
        "Well done everyone!",
        "Is there a recording of this anywhere?",
    )
    chosen = rng.sample(lines, rng.randint(0, 3))
    items = "".join(
        f'<li class="comment"><span class="comment-author">Reader {i + 1}</span>'
        f'<p class="comment-body">{escape(text)}</p></li>'
        for i, text in enumerate(chosen)
    )
    return (
        f'<section class="comments" id="comments"><h3>{len(chosen)} comments</h3>'
        f'<ol class="comment-list">{items}</ol><form class="comment-form"><textarea name="c">'
        "</textarea><button>Post comment</button></form></section>"
    )


def _footer(world: World, company: Company, now: datetime) -> str:
    links = fingerprints.body_links(company)
    if company.social_handle:
        links.append(
            f'<a rel="me" href="http://{world.social_host}/@{company.social_handle}">'
            "Follow us on Fedimesh</a>"
        )
    links.append(f'<a href="http://{world.forum_host}/tag/{company.slug}">Community discussions</a>')
    links += ['<a href="/privacy">Privacy policy</a>', '<a href="/terms">Terms</a>']
    address = escape(f"{company.name}, {company.city} {company.postal_code}, {company.country}")
    return (
        f'<footer class="site-footer"><div class="footer-links">{" | ".join(links)}</div>'
        f"<p>{address}</p><p>© {now.year} {escape(company.name)}. All rights reserved.</p>"
        "<p>Subscribe to our newsletter for updates.</p></footer>"
    )


def _document(
    world: World,
    company: Company,
    now: datetime,
    title: str,
    body: str,
    extra_head: str = "",
) -> bytes:
    c = company
    feeds = (
        f'<link rel="alternate" type="application/rss+xml" title="{escape(c.name)} blog" '
        f'href="{c.blog_feed}">'
        f'<link rel="alternate" type="application/atom+xml" title="{escape(c.name)} news" '
        f'href="{c.news_feed}">'
    )
    head = "".join(fingerprints.head_tags(c))
    charset = (
        '<meta charset="utf-8">'
        if c.layout != 3
        else ('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">')
    )
    page = (
        f'<!DOCTYPE html><html lang="en"><head>{charset}<title>{escape(title)} | '
        f'{escape(c.name)}</title><meta name="viewport" content="width=device-width">'
        f"{feeds}{head}{extra_head}</head><body>{_cookie_banner()}"
        f'<header class="site-header"><a class="logo" href="/">{escape(c.name)}</a>{_nav(c)}'
        f"</header>{body}{_footer(world, c, now)}</body></html>"
    )
    return page.encode("utf-8")


def _article_html(post: Post, rng: random.Random, layout: int, sidebar: str) -> tuple[str, str]:
    """The article markup and extra <head> tags for one post, in the company's layout."""
    title = escape(post.title)
    iso = post.published.isoformat()
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in post.paragraphs)
    if post.bullets:
        paragraphs += "<ul>" + "".join(f"<li>{escape(b)}</li>" for b in post.bullets) + "</ul>"
    byline = f'<span class="author">By {escape(post.author)}</span>'
    extra_head = ""
    if layout == 0:
        article = (
            f'<main id="main"><article class="post"><h1>{title}</h1><p class="meta">{byline} · '
            f'<time datetime="{iso}">{_date_text(post.published)}</time></p>'
            f'<div class="entry-content">{paragraphs}</div>{_share()}</article>'
            f'{_comments(rng)}</main><aside class="sidebar">{sidebar}</aside>'
        )
    elif layout == 1:
        extra_head = f'<meta property="article:published_time" content="{iso}">'
        article = (
            f'<div id="content" class="content"><div class="post"><h2 class="post-title">{title}'
            f'</h2><span class="date">Posted on {_date_text(post.published)}</span> {byline}'
            f'<div class="post-body">{paragraphs}</div>{_share()}</div>{_comments(rng)}</div>'
            f'<div class="widget-area">{sidebar}</div>'
        )
    elif layout == 2:
        ld = (
            '{"@context":"https://schema.org","@type":"NewsArticle","headline":'
            f'"{xml_escape(post.title)}","datePublished":"{iso}","author":{{"@type":"Person",'
            f'"name":"{xml_escape(post.author)}"}}}}'
        )
        extra_head = f'<script type="application/ld+json">{ld}</script>'
        article = (
            f'<div role="main" class="page-main"><h1 class="headline">{title}</h1>'
            f'<div class="article-text">{paragraphs}</div>{_share()}{_comments(rng)}</div>'
            f'<div class="related">{sidebar}</div>'
        )
    else:
        extra_head = f'<meta name="date" content="{post.published.date().isoformat()}">'
        article = (
            '<table width="100%" class="layout"><tr><td class="left-col" valign="top">'
            f'{sidebar}</td><td class="main" valign="top"><h1>{title}</h1>'
            f"<p><i>Published: {post.published.strftime('%d/%m/%Y')}</i></p>{paragraphs}"
            f"{_share()}</td></tr></table>"
        )
    if post.kind == "job":
        ld = (
            '{"@context":"https://schema.org","@type":"JobPosting","title":'
            f'"{xml_escape(post.title)}","datePosted":"{iso}","hiringOrganization":'
            f'{{"@type":"Organization","name":"{xml_escape(post.author)}"}}}}'
        )
        extra_head += f'<script type="application/ld+json">{ld}</script>'
    return article, extra_head


def _sidebar(posts: list[Post], now: datetime) -> str:
    recent = visible(posts, now)[:5]
    items = "".join(f'<li><a href="{p.path}">{escape(p.title)}</a></li>' for p in recent)
    return f'<div class="widget recent-posts"><h3>Recent posts</h3><ul>{items}</ul></div>'


# -- company pages --------------------------------------------------------------------------
def company_page(world: World, company: Company, path: str, now: datetime) -> Page:
    site = world.site(company)
    c = company
    launch = (now - timedelta(days=SITE_LAUNCH_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    headers = fingerprints.response_headers(c)
    if path in {"/", "/index.html"}:
        latest = visible(site.news + site.blog, now)
        modified = max([launch] + [p.published for p in latest])
        return _html(world, c, now, _home(world, site, now), modified, headers, "Home")
    if path == "/about":
        return _html(world, c, now, _about(c), launch, headers, "About us")
    if path in {"/contact", "/privacy", "/terms"}:
        return _html(world, c, now, _static(c, path), launch, headers, path[1:].title())
    if path == "/robots.txt":
        return robots(c)
    if path.startswith("/sitemap"):
        return sitemap(world, site, path, now)
    if path == c.blog_feed:
        return rss_feed(c, site.blog, now, f"{c.name} blog", c.base_url + c.blog_path)
    if path == c.news_feed:
        return atom_feed(c, site.news, now)
    for section, posts, label in (
        (c.blog_path, site.blog, "Blog"),
        (c.news_path, site.news, "News"),
        (c.jobs_path, site.jobs, "Careers"),
    ):
        if path in {section, section + "/"}:
            shown = visible(posts, now)
            last = shown[0].published if shown else launch
            return _html(world, c, now, _index(label, shown), last, headers, label)
        if path.startswith(section + "/"):
            post = next((p for p in posts if p.path == path), None)
            if post is None or post.published > now:
                return not_found()
            rng = random.Random(path)
            article, extra = _article_html(post, rng, c.layout, _sidebar(posts, now))
            body = _document(world, c, now, post.title, article, extra)
            return Page(200, "text/html; charset=utf-8", body, post.published, headers)
    return not_found()


def _html(
    world: World,
    company: Company,
    now: datetime,
    body: str,
    modified: datetime,
    headers: list[tuple[str, str]],
    title: str,
) -> Page:
    return Page(
        200, "text/html; charset=utf-8", _document(world, company, now, title, body), modified, headers
    )


def _home(world: World, site: Site, now: datetime) -> str:
    c = site.company
    rng = random.Random(c.token)
    context = {
        "company": c.name,
        "short": c.short_name,
        "city": c.city,
        "country": with_article(c.country),
        "industry_lower": c.industry.lower(),
        "ceo": c.ceo,
    }
    pitch = " ".join(content.fill(t, rng, context) for t in content.FILLER["marketing"][:3])
    latest = visible(site.news, now)[:3] + visible(site.blog, now)[:3]
    cards = "".join(
        f'<div class="card"><a href="{p.path}">{escape(p.title)}</a> '
        f'<span class="date">{_date_text(p.published)}</span></div>'
        for p in latest
    )
    return (
        f'<main class="home"><section class="hero"><h1>{escape(c.name)}</h1>'
        f'<p>{escape(pitch)}</p></section><section class="latest"><h2>Latest</h2>{cards}'
        f"</section>{fingerprints.salesforce_form(c)}</main>"
    )


def _about(c: Company) -> str:
    return (
        f'<main class="about"><h1>About {escape(c.name)}</h1><p>{escape(c.name)} was founded in '
        f"{c.founded} in {escape(c.city)} and today employs around {c.org_size} people in the "
        f'{escape(c.industry.lower())} sector.</p><h2>Leadership</h2><ul class="team">'
        f"<li><strong>{escape(c.ceo)}</strong>, Chief Executive Officer</li></ul></main>"
    )


def _static(c: Company, path: str) -> str:
    text = {
        "/contact": f"Call us or write to {c.name}, {c.city}. We reply within one working day.",
        "/privacy": "This policy explains what personal data we collect and how we use cookies.",
        "/terms": "These terms apply to every order placed with us.",
    }[path]
    form = fingerprints.salesforce_form(c) if path == "/contact" else ""
    return f"<main><h1>{escape(path[1:].title())}</h1><p>{escape(text)}</p>{form}</main>"


def _index(label: str, posts: list[Post]) -> str:
    items = "".join(
        f'<li class="entry"><a href="{p.path}">{escape(p.title)}</a> '
        f'<time datetime="{p.published.isoformat()}">{_date_text(p.published)}</time></li>'
        for p in posts
    )
    return f'<main class="listing"><h1>{label}</h1><ul class="entries">{items}</ul></main>'


# -- robots, sitemaps, feeds ---------------------------------------------------------------
def robots(c: Company) -> Page:
    if c.robots_style == "missing":
        return not_found()
    lines = ["User-agent: *"]
    if c.robots_style == "open":
        lines.append("Disallow:")
    else:
        lines += ["Disallow: /wp-admin/", "Disallow: /cart"]
        if c.disallowed:
            lines.append(f"Disallow: {c.disallowed}")
    if c.crawl_delay:
        lines.append(f"Crawl-delay: {c.crawl_delay}")
    lines.append("")
    lines += ["User-agent: BadBot", "Disallow: /", ""]
    if c.sitemap_style in {"gzip", "index-gzip"}:
        lines.append(f"Sitemap: {c.base_url}/sitemap.xml.gz")
    elif c.sitemap_style != "none":
        lines.append(f"Sitemap: {c.base_url}/sitemap.xml")
    return Page(200, "text/plain; charset=utf-8", ("\n".join(lines) + "\n").encode())


def _urlset(urls: list[tuple[str, datetime | None]]) -> bytes:
    rows = "".join(
        f"<url><loc>{xml_escape(u)}</loc>"
        + (f"<lastmod>{m.date().isoformat()}</lastmod>" if m else "")
        + "</url>"
        for u, m in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset '
        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'
    ).encode()


def sitemap(world: World, site: Site, path: str, now: datetime) -> Page:
    c = site.company
    style = c.sitemap_style
    posts = visible(site.blog + site.news + site.jobs, now)
    pages: list[tuple[str, datetime | None]] = [
        (c.base_url + p, None) for p in ("/", "/about", "/contact", c.blog_path, c.news_path, c.jobs_path)
    ]
    post_urls: list[tuple[str, datetime | None]] = [(p.url, p.published) for p in posts]
    last = max((p.published for p in posts), default=None)
    gz = style in {"gzip", "index-gzip"}
    ext = ".xml.gz" if gz else ".xml"
    if style == "none":
        return not_found()
    if path == "/sitemap" + ext:
        if style.startswith("index"):
            rows = "".join(
                f"<sitemap><loc>{c.base_url}/sitemap-{part}{ext}</loc>"
                + (f"<lastmod>{last.date().isoformat()}</lastmod>" if last else "")
                + "</sitemap>"
                for part in ("pages", "posts")
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>'
            ).encode()
        else:
            body = _urlset(pages + post_urls)
    elif style.startswith("index") and path == f"/sitemap-pages{ext}":
        body = _urlset(pages)
    elif style.startswith("index") and path == f"/sitemap-posts{ext}":
        body = _urlset(post_urls)
    else:
        return not_found()
    if gz:
        return Page(200, "application/x-gzip", gzip.compress(body, 6, mtime=0), last, gzip_ok=False)
    return Page(200, "application/xml; charset=utf-8", body, last)


def _rfc822(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def rss_feed(
    c: Company | None, posts: list[Post], now: datetime, title: str, link: str, self_url: str = ""
) -> Page:
    shown = visible(posts, now)[:20]
    items = "".join(
        "<item>"
        f"<title>{xml_escape(p.title)}</title><link>{xml_escape(p.url)}</link>"
        f'<guid isPermaLink="true">{xml_escape(p.url)}</guid>'
        f"<pubDate>{_rfc822(p.published)}</pubDate>"
        f"<description>{xml_escape(p.paragraphs[0][:200])}</description>"
        "<content:encoded><![CDATA["
        + "".join(f"<p>{escape(par)}</p>" for par in p.paragraphs)
        + "]]></content:encoded></item>"
        for p in shown
    )
    last = shown[0].published if shown else None
    build = f"<lastBuildDate>{_rfc822(last)}</lastBuildDate>" if last else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{xml_escape(title)}</title><link>{xml_escape(link)}</link>"
        f"<description>Latest from {xml_escape(title)}</description>{build}{items}"
        "</channel></rss>"
    )
    return Page(200, "application/rss+xml; charset=utf-8", body.encode(), last)


def atom_feed(c: Company, posts: list[Post], now: datetime) -> Page:
    shown = visible(posts, now)[:20]
    entries = "".join(
        "<entry>"
        f"<title>{xml_escape(p.title)}</title>"
        f'<link rel="alternate" href="{xml_escape(p.url)}"/>'
        f"<id>{xml_escape(p.url)}</id><published>{p.published.isoformat()}</published>"
        f"<updated>{p.published.isoformat()}</updated>"
        f"<author><name>{xml_escape(p.author)}</name></author>"
        f'<content type="html">{xml_escape("".join(f"<p>{escape(x)}</p>" for x in p.paragraphs))}'
        "</content></entry>"
        for p in shown
    )
    last = shown[0].published if shown else None
    updated = (last or now).isoformat()
    body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{xml_escape(c.name)} newsroom</title>"
        f'<link rel="alternate" href="{c.base_url}{c.news_path}"/>'
        f'<link rel="self" href="{c.base_url}{c.news_feed}"/>'
        f"<id>{c.base_url}{c.news_feed}</id><updated>{updated}</updated>{entries}</feed>"
    )
    return Page(200, "application/atom+xml; charset=utf-8", body.encode(), last)


# -- the shared forum -------------------------------------------------------------------------
def _forum_document(title: str, body: str, extra_head: str = "") -> bytes:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} - SMB Talk</title>{extra_head}</head><body>"
        '<header class="d-header"><a href="/">SMB Talk</a> <nav><a href="/latest">Latest</a> '
        '<a href="/tags">Tags</a> <a href="/login">Log in</a></nav></header>'
        f'<div id="main-outlet">{body}</div>'
        '<footer class="forum-footer">Powered by community. <a href="/guidelines">Guidelines'
        '</a> <a href="/privacy">Privacy</a></footer></body></html>'
    ).encode()


def forum_page(world: World, path: str, query: str, now: datetime) -> Page:
    if path in {"/", "/tags", "/latest"}:
        page = _page_number(query)
        per_page = 200
        chunk = world.companies[(page - 1) * per_page : page * per_page]
        items = "".join(f'<li><a href="/tag/{c.slug}">{escape(c.name)}</a></li>' for c in chunk)
        more = (
            f'<a rel="next" href="/tags?page={page + 1}">Next</a>'
            if page * per_page < len(world.companies)
            else ""
        )
        return Page(
            200,
            "text/html; charset=utf-8",
            _forum_document("Tags", f"<h1>Companies</h1><ul>{items}</ul>{more}"),
        )
    if path == "/robots.txt":
        return Page(200, "text/plain; charset=utf-8", b"User-agent: *\nDisallow: /login\nDisallow: /search\n")
    if path.startswith("/tag/"):
        slug = path[len("/tag/") :]
        rss = slug.endswith(".rss")
        company = world.by_slug.get(slug[:-4] if rss else slug)
        if company is None:
            return not_found()
        threads = world.site(company).forum
        link = f"http://{world.forum_host}/tag/{company.slug}"
        if rss:
            return rss_feed(None, threads, now, f"SMB Talk: {company.name}", link)
        shown = visible(threads, now)
        items = "".join(
            f'<li><a href="{t.path}">{escape(t.title)}</a> <span>{_date_text(t.published)}</span></li>'
            for t in shown
        )
        alt = f'<link rel="alternate" type="application/rss+xml" href="/tag/{company.slug}.rss">'
        last = shown[0].published if shown else None
        return Page(
            200,
            "text/html; charset=utf-8",
            _forum_document(company.name, f"<h1>{escape(company.name)}</h1><ul>{items}</ul>", alt),
            last,
        )
    if path.startswith("/t/"):
        try:
            number = int(path.rsplit("/", 1)[1])
        except ValueError:
            return not_found()
        company = world.companies[number // 100] if 0 <= number // 100 < len(world.companies) else None
        if company is None:
            return not_found()
        thread = next((t for t in world.site(company).forum if t.path == path), None)
        if thread is None or thread.published > now:
            return not_found()
        posts = [(thread.author, thread.paragraphs, thread.published)] + [
            (who, [text], when) for who, text, when in thread.replies if when <= now
        ]
        body = "".join(
            f'<div class="topic-post" id="post_{i + 1}"><div class="names"><span class="username">'
            f'{escape(who)}</span></div><time class="post-date" datetime="{when.isoformat()}">'
            f'{_date_text(when)}</time><div class="cooked">'
            + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
            + '</div><div class="post-controls">Like · Reply · Share</div></div>'
            for i, (who, paragraphs, when) in enumerate(posts)
        )
        html = _forum_document(thread.title, f'<h1 class="fancy-title">{escape(thread.title)}</h1>{body}')
        return Page(200, "text/html; charset=utf-8", html, posts[-1][2])
    return not_found()


def _page_number(query: str) -> int:
    for part in query.split("&"):
        if part.startswith("page="):
            try:
                return max(1, min(10_000, int(part[5:])))
            except ValueError:
                return 1
    return 1


# -- the fediverse-like social host ------------------------------------------------------------
def social_page(world: World, path: str, now: datetime) -> Page:
    if path == "/robots.txt":
        return Page(200, "text/plain; charset=utf-8", b"User-agent: *\nDisallow: /api/\n")
    if not path.startswith("/@"):
        return not_found()
    handle, _, rest = path[2:].partition("/")
    rss = handle.endswith(".rss")
    company = world.by_handle.get(handle[:-4] if rss else handle)
    if company is None:
        return not_found()
    posts = world.site(company).social
    profile = f"http://{world.social_host}/@{company.social_handle}"
    if rss:
        return rss_feed(None, posts, now, f"{company.name} (@{company.social_handle})", profile)
    if rest:
        post = next((p for p in posts if p.path == path), None)
        if post is None or post.published > now:
            return not_found()
        body = (
            f'<article class="status"><a class="account" href="/@{company.social_handle}">'
            f'@{company.social_handle}</a><div class="status__content"><p>'
            f'{escape(post.paragraphs[0])}</p></div><time datetime="{post.published.isoformat()}'
            f'">{_date_text(post.published)}</time></article>'
        )
        return Page(200, "text/html; charset=utf-8", _social_document(company, body), post.published)
    shown = visible(posts, now)
    items = "".join(
        f'<article class="status"><a href="{p.path}"><time datetime="{p.published.isoformat()}">'
        f"{_date_text(p.published)}</time></a><p>{escape(p.paragraphs[0])}</p></article>"
        for p in shown
    )
    body = (
        f'<div class="account-header"><h1>{escape(company.name)}</h1>'
        f'<a rel="me" href="{company.base_url}/">{company.www_host}</a></div>{items}'
    )
    last = shown[0].published if shown else None
    return Page(200, "text/html; charset=utf-8", _social_document(company, body), last)


def _social_document(company: Company, body: str) -> bytes:
    handle = company.social_handle
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{escape(company.name)} (@{handle}) - Fedimesh</title>"
        f'<link rel="alternate" type="application/rss+xml" href="/@{handle}.rss">'
        f"</head><body>{body}</body></html>"
    ).encode()
