"""Main text of an HTML page: title, publish date, language and the article/post body.

How the body is found (one pass over the DOM, then decisions on the collected blocks):

1. The walk skips what is never content (scripts, styles, templates, SVG, media, buttons,
   ``<nav>``, hidden elements) and cuts the text into *blocks* at block-level elements and
   ``<br>``. Each block records its ancestors, how much of it is link text, and which
   ancestors name themselves as furniture (``<header>``/``<footer>``/``<aside>``/``<form>``,
   ARIA roles, class/id words such as footer, sidebar, cookie, share, comments, related).
2. The *root* of the content is the strongest container the page names as its body
   (``itemprop=articleBody``, CMS body classes, ``<article>``, ``<main>``/``role=main``,
   ``#content``) holding enough prose; otherwise the deepest container that holds most of
   the page's prose (text density with link text discounted). A furniture name on a wrapper
   of nearly the whole page is a theme quirk and is ignored.
3. Blocks under the root are kept unless a furniture-named element sits between them and
   the root or they are mostly links; a lead paragraph just above the root is added; a
   heading that only introduced dropped links, short lines after the last paragraph and
   short dated lines before the first are dropped.

All work is bounded (input size, nesting depth, nodes, blocks, time), so hostile pages give
a partial or empty text instead of hanging or raising.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from signals.charset import decode_html
from signals.dates import find_published
from signals.language import detect_language
from signals.structured import NO_STRUCTURED_DATA, StructuredData, extract_structured


def _words(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string (keeps long lists compact)."""
    return frozenset(text.split())


MAX_INPUT_CHARS = 1_500_000
MAX_NESTING = 2_000
NESTING_SCAN_TAGS = 8_000  # fewer tags than this can't nest deep enough to matter
MAX_WALK_DEPTH = 120
MAX_BLOCKS = 10_000
MAX_NODES = 200_000
MAX_WALK_SECONDS = 1.0
MAX_BLOCK_CHARS = 50_000
MAX_TITLE_CHARS = 500
MIN_ROOT_CHARS = 200
LEAD_LEVELS = 5  # how far above the body container a lead paragraph may sit
EDGE_PROSE_CHARS = 100  # a block this long is prose
EDGE_SHORT_CHARS = 40  # shorter blocks after the last prose block are furniture

# Elements whose content is never page text.
_SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "picture",
        "img",
        "map",
        "button",
        "input",
        "select",
        "option",
        "textarea",
        "label",
        "head",
        "title",
        "meta",
        "link",
        "base",
        "nav",
        "dialog",
        "menu",
        "figcaption",
    }
)
# Elements that start a new block of text.
_BLOCK_TAGS = frozenset(
    {
        "form",
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "caption",
        "legend",
    }
)
# Structural elements that are boilerplate by their very tag (outside the chosen root).
# A <form> is furniture (search, login, newsletter) unless it wraps the whole page, as
# ASP.NET pages do: the wrapper veto in _Layout tells the two apart.
_BOILERPLATE_TAGS = frozenset({"footer", "aside", "header", "form"})
_LEAD_TAGS = frozenset({"p", "div", "section", "header", "td"})
# What an element is, as far as its tag and attributes tell.
_CONTENT, _FURNITURE, _HIDDEN = 0, 1, 2
# Kinds of kept blocks.
_PLAIN, _HEADING, _LIST_ITEM = 0, 1, 2
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Tags that nest (and make the HTML tree builder scan its stack); counted before parsing.
_NESTING_OPENERS = tuple(
    f"<{tag}"
    for tag in _words(
        "div section article aside nav header footer main ul ol dl blockquote form "
        "fieldset figure details center address hgroup menu"
    )
)
_NESTING_TAG = re.compile(
    r"<(/?)(?:div|section|article|aside|nav|header|footer|main|ul|ol|dl|blockquote|"
    r"form|fieldset|figure|details|center|address|hgroup|menu)[\s>/]",
    re.IGNORECASE,
)

# class/id/role words that name boilerplate. Matched on word parts of the attribute values
# ("site-footer", "footerNav", "cookie_banner"), so "headline" does not match "head".
_BOILERPLATE_WORDS = _words(
    """
     nav navi navigation navbar menu menubar mainmenu submenu footer header masthead
     topbar sidebar sidebars aside breadcrumb breadcrumbs crumbs cookie
     cookies consent gdpr banner share shares sharing social socials sharedaddy addthis
     shariff comment comments kommentar kommentare respond disqus related recommended
     recommendations readmore weiterlesen teaser-list newsletter subscribe subscription
     signup pagination pager paging skiplink tagcloud tag-cloud taglist categories
     advert advertisement sponsor sponsored promo popup modal overlay toolbar rating
     ratings author-box authorbox byline postmeta entry-meta post-meta metadata
     dateline copyright imprint impressum sr-only visually-hidden screen-reader-text
     offcanvas searchform jump-links caption captions credit credits bildunterschrift
     bildnachweis copyright-notice photo-credit image-credit
     """
)
_BOILERPLATE_WORDS_IN_ARTICLE = _BOILERPLATE_WORDS - {"header", "masthead", "topbar"}
# Words that name boilerplate only as a whole class token ("hidden", not "label-hidden").
_BOILERPLATE_TOKENS = _words(
    """
     hidden meta print search legal toc side tags date skip login ad ads share widget widgets
     """
)
_BOILERPLATE_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"}
)
_WORD_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WS = re.compile(r"\s+")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—»·:]{1,2}\s+")

# Inline elements whose attributes are inspected (others are read straight through).
_CHECKED_INLINE_TAGS = frozenset({"span", "a", "small", "font", "ins"})

# How strongly an element claims to be the main content; lower is stronger.
_ROOT_ITEMPROP = 0
_ROOT_NAMED_BODY = 1
_ROOT_ARTICLE = 2
_ROOT_MAIN = 3
_ROOT_CONTENT = 4
_ROOT_NONE = 9
_ROOT_TAG_RANK = {"article": _ROOT_ARTICLE, "main": _ROOT_MAIN}
_BODY_NAMES = re.compile(
    r"entry-content|entry_content|post-content|post_content|postcontent|post__content|"
    r"article-content|article_content|article__content|articlecontent|article-body|"
    r"article_body|article__body|articlebody|post-body|post_body|postbody|post-entry|"
    r"story-body|storybody|story-content|article-text|articletext|post-text|posttext|"
    r"blog-content|single-content|field-body|news-text|newstext|text-content|rich-text|"
    r"richtext|body-text|bodytext|content-text|article__text"
)
_CONTENT_NAMES = re.compile(
    r"(?:^|\s)(?:content|main|main-content|maincontent|main_content|content-main|"
    r"content_main|page-content|primary|inhalt|content-area|contentarea|site-content|"
    r"container-content|col-main|main-col|mainbar|article)(?:\s|$)"
)


@dataclass(frozen=True)
class ExtractedPage:
    """What a page says, without its navigation and furniture."""

    title: str | None
    published: str | None
    language: str | None
    text: str
    blocks: list[str] = field(default_factory=list)
    structured: StructuredData = NO_STRUCTURED_DATA

    def as_json(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "published": self.published,
            "language": self.language,
            "text": self.text,
        }


EMPTY_PAGE = ExtractedPage(title=None, published=None, language=None, text="", blocks=[])


@dataclass
class _Block:
    text: str
    link_chars: int
    tag: str
    ancestors: tuple[int, ...]  # container ids, outermost first
    in_list: bool


@dataclass
class _Walk:
    blocks: list[_Block] = field(default_factory=list)
    depth_of: list[int] = field(default_factory=list)  # container id -> depth
    marked: list[bool] = field(default_factory=list)  # container id -> named as boilerplate
    rank: list[int] = field(default_factory=list)  # container id -> _ROOT_* rank


def _names_boilerplate(names: str, words: frozenset[str]) -> bool:
    """True when a class/id value names furniture: a token that is, starts or ends with a
    boilerplate word ("footer", "site-footer", "footer-links"), not one that merely contains
    it in the middle ("elementor-widget-text-editor")."""
    for token in names[:500].split():
        lowered = token.lower()
        if lowered in words or lowered in _BOILERPLATE_TOKENS:
            return True
        parts = [p.lower() for p in _WORD_SPLIT.split(token) if p]
        if len(parts) < 2:
            continue
        if parts[0] in words or parts[-1] in words:
            return True
        if "-".join(parts[-2:]) in words:
            return True
    return False


# names -> (furniture outside an article, furniture inside an article, root rank)
_NAME_CACHE: dict[str, tuple[bool, bool, int]] = {}
_NAME_CACHE_MAX = 50_000


def _classify_names(names: str) -> tuple[bool, bool, int]:
    """How a class+id value reads; cached, since the pages of a site share a theme."""
    cached = _NAME_CACHE.get(names)
    if cached is not None:
        return cached
    lowered = names.lower()
    if _BODY_NAMES.search(lowered):
        rank = _ROOT_NAMED_BODY
    elif _CONTENT_NAMES.search(lowered):
        rank = _ROOT_CONTENT
    else:
        rank = _ROOT_NONE
    outside = _names_boilerplate(names, _BOILERPLATE_WORDS)
    inside = outside and _names_boilerplate(names, _BOILERPLATE_WORDS_IN_ARTICLE)
    result = (outside, inside, rank)
    if len(_NAME_CACHE) >= _NAME_CACHE_MAX:
        _NAME_CACHE.clear()
    _NAME_CACHE[names] = result
    return result


def _inspect(attrs: dict[str, str | None], tag: str, in_article: bool) -> tuple[int, int]:
    """(_CONTENT | _FURNITURE | _HIDDEN, root rank) of an element from its tag and attributes.

    Inside an article or main element, "header" names and <header> tags belong to the
    article (headline, standfirst), not to the site.
    """
    boilerplate = tag in _BOILERPLATE_TAGS and not (in_article and tag == "header")
    rank = _ROOT_TAG_RANK.get(tag, _ROOT_NONE)
    if not attrs:
        return (_FURNITURE if boilerplate else _CONTENT), rank
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return _HIDDEN, rank
    style = attrs.get("style")
    if style and _HIDDEN_STYLE.search(style[:300]):
        return _HIDDEN, rank
    if attrs.get("itemprop") == "articleBody":
        rank = _ROOT_ITEMPROP
    role = attrs.get("role")
    if role:
        role = role.lower()
        if role in _BOILERPLATE_ROLES:
            boilerplate = True
        elif role == "main":
            rank = min(rank, _ROOT_MAIN)
    names = attrs.get("class")
    ident = attrs.get("id")
    if ident:
        names = f"{names} {ident}" if names else ident
    if names:
        outside, inside, named_rank = _classify_names(names[:500])
        # Headings carry anchor ids ("nav_summary__1") rather than furniture names.
        if tag not in _HEADING_TAGS:
            boilerplate = boilerplate or (inside if in_article else outside)
        rank = min(rank, named_rank)
    return (_FURNITURE if boilerplate else _CONTENT), rank


def _walk(body: LexborNode) -> _Walk:
    """One iterative pass: blocks of text with their ancestry and link density."""
    result = _Walk()
    blocks = result.blocks
    depth_of = result.depth_of
    marked = result.marked
    ranks = result.rank
    # Stack frames: (node, container id or -1, in_list outside it)
    stack: list[tuple[LexborNode, int, bool]] = []
    containers: list[int] = [0]  # open container ids; the body is container 0
    depth_of.append(0)
    marked.append(False)
    ranks.append(_ROOT_NONE)
    parts: list[str] = []
    link_chars = 0
    link_depth = 0
    block_tag = "body"
    visited = 0
    in_list = False
    deadline = time.monotonic() + MAX_WALK_SECONDS
    inside_article = 0
    block_tags = _BLOCK_TAGS
    skip_tags = _SKIP_TAGS
    checked_inline = _CHECKED_INLINE_TAGS

    def flush() -> None:
        nonlocal parts, link_chars
        text = " ".join("".join(parts).split())
        if text:
            if len(text) > MAX_BLOCK_CHARS:
                text = text[:MAX_BLOCK_CHARS]
            blocks.append(_Block(text, min(link_chars, len(text)), block_tag, tuple(containers), in_list))
        parts = []
        link_chars = 0

    node = body.child
    while True:
        if node is None:
            if not stack:
                break
            parent, cid, outer_list = stack.pop()
            if cid >= 0:
                if ranks[cid] <= _ROOT_MAIN:
                    inside_article -= 1
                if parts:
                    flush()
                containers.pop()
                block_tag = "div"
            elif link_depth and parent.tag == "a":
                link_depth -= 1
            in_list = outer_list
            node = parent.next
            continue
        visited += 1
        if not visited & 0xFFF and (
            visited > MAX_NODES or len(blocks) > MAX_BLOCKS or time.monotonic() > deadline
        ):
            break
        tag = node.tag
        if tag == "-text":
            value = node.text_content
            if value:
                if parts or not value.isspace():
                    parts.append(value)
                if link_depth:
                    link_chars += len(value.strip())
            node = node.next
            continue
        if tag is None or tag[0] == "-" or tag in skip_tags:
            node = node.next
            continue
        if tag == "br":
            if parts:
                flush()
            node = node.next
            continue
        child = node.child
        if child is None:
            if tag == "hr" and parts:
                flush()
            node = node.next
            continue
        if tag in block_tags:
            kind, rank = _inspect(node.attributes, tag, inside_article > 0)
            if kind == _HIDDEN or len(stack) >= MAX_WALK_DEPTH:
                node = node.next
                continue
            if parts:
                flush()
            cid = len(depth_of)
            boilerplate = kind == _FURNITURE
            if rank <= _ROOT_MAIN:
                inside_article += 1
            depth_of.append(len(containers))
            marked.append(boilerplate)
            ranks.append(rank)
            containers.append(cid)
            block_tag = tag
            stack.append((node, cid, in_list))
            if tag == "li":
                in_list = True
        else:
            if tag in checked_inline:
                attrs = node.attributes
                if attrs and _inspect(attrs, tag, inside_article > 0)[0] != _CONTENT:
                    # Inline furniture (a share link, a byline span): its text never belongs.
                    node = node.next
                    continue
            if tag == "a":
                link_depth += 1
            stack.append((node, -1, in_list))
        node = child
    if parts:
        flush()
    return result


def _cap_nesting(html: str) -> str:
    """Cut the document where block nesting gets absurd (the tree builder is quadratic there)."""
    # Nesting can't exceed the number of opening tags, and the tree builder handles 8,000
    # levels in a tenth of a second: count cheaply, scan exactly only when needed.
    if html.count("<") < NESTING_SCAN_TAGS:
        return html
    lowered = html.lower()
    if sum(lowered.count(opener) for opener in _NESTING_OPENERS) <= MAX_NESTING:
        return html
    depth = 0
    for match in _NESTING_TAG.finditer(html):
        if match.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > MAX_NESTING:
                return html[: match.start()]
    return html


def _prose_chars(block: _Block) -> int:
    """How much a block looks like running text: non-link characters, short lines discounted."""
    plain = len(block.text) - block.link_chars
    if plain <= 0:
        return 0
    if block.tag in _HEADING_TAGS:
        return plain // 2
    if plain < 25 or block.link_chars * 2 > len(block.text):
        return 0
    return plain


class _Layout:
    """Per-block prose and the depth of its nearest boilerplate-named ancestor."""

    def __init__(self, walk: _Walk) -> None:
        self.walk = walk
        self.prose = [_prose_chars(block) for block in walk.blocks]
        raw_under = [0] * len(walk.depth_of)
        for block, prose in zip(walk.blocks, self.prose, strict=True):
            if prose:
                for cid in block.ancestors:
                    raw_under[cid] += prose
        total = raw_under[0]
        marked = list(walk.marked)
        # A "boilerplate" name on a wrapper of nearly the whole page is a theme quirk
        # ("page has-sidebar"), not furniture: ignore it.
        for cid, is_marked in enumerate(marked):
            if is_marked and total and raw_under[cid] >= 0.7 * total:
                marked[cid] = False
        depth_of = walk.depth_of
        self.boilerplate_depth: list[int] = []
        for block in walk.blocks:
            nearest = -1
            for cid in block.ancestors:
                if marked[cid]:
                    nearest = depth_of[cid]
            self.boilerplate_depth.append(nearest)
        self.prose_under = [0] * len(depth_of)
        for block, prose, bp_depth in zip(walk.blocks, self.prose, self.boilerplate_depth, strict=True):
            if not prose:
                continue
            for cid in block.ancestors:
                # Text inside a boilerplate element counts only for containers inside it.
                if bp_depth <= depth_of[cid]:
                    self.prose_under[cid] += prose


def _choose_root(layout: _Layout) -> int:
    """Container id of the main content."""
    walk = layout.walk
    prose_under = layout.prose_under
    total = prose_under[0]
    by_rank: dict[int, list[int]] = {}
    for cid, rank in enumerate(walk.rank):
        if rank != _ROOT_NONE:
            by_rank.setdefault(rank, []).append(cid)
    for rank in sorted(by_rank):
        candidates = by_rank[rank]
        best = max(candidates, key=lambda cid: prose_under[cid])
        # Listing pages hold many <article>s: take their common parent by falling through.
        if rank == _ROOT_ARTICLE and len(candidates) > 1:
            share = prose_under[best] / max(total, 1)
            if share < 0.5:
                continue
        if prose_under[best] >= MIN_ROOT_CHARS and prose_under[best] >= 0.25 * total:
            return best
    return _densest_container(walk, prose_under)


def _densest_container(walk: _Walk, prose_under: list[int]) -> int:
    """Deepest container that still holds most of the page's prose."""
    total = prose_under[0]
    if total == 0:
        return 0
    threshold = 0.6 * total
    best, best_depth = 0, 0
    for cid, prose in enumerate(prose_under):
        if prose >= threshold and walk.depth_of[cid] > best_depth:
            best, best_depth = cid, walk.depth_of[cid]
    return best


def _lead_region(walk: _Walk, root: int) -> int:
    """The container a few levels above the root where an article's lead may sit."""
    if root == 0:
        return 0
    for block in walk.blocks:
        ancestors = block.ancestors
        depth = walk.depth_of[root]
        if len(ancestors) > depth and ancestors[depth] == root:
            return ancestors[max(1, depth - LEAD_LEVELS)] if depth > 1 else root
    return root


def _is_lead(block: _Block) -> bool:
    """A standalone paragraph of prose (a standfirst/teaser above the body), not furniture."""
    return (
        block.tag in _LEAD_TAGS
        and len(block.text) >= 60
        and block.link_chars * 4 < len(block.text)
        and not block.in_list
    )


def _select_blocks(layout: _Layout, root: int) -> tuple[list[str], str]:
    """Texts of the content blocks under `root` in document order, and the untrimmed head
    of the selection (where bylines and dates sit) for dating the page."""
    walk = layout.walk
    root_depth = walk.depth_of[root]
    kept: list[tuple[str, int]] = []  # (text, _PLAIN | _HEADING | _LIST_ITEM)
    dangling = False  # the last kept heading was followed by dropped furniture only
    lead_root = _lead_region(walk, root)
    lead_depth = lead_root_depth = walk.depth_of[lead_root]
    in_root = False
    for block, bp_depth in zip(walk.blocks, layout.boilerplate_depth, strict=True):
        ancestors = block.ancestors
        if len(ancestors) <= root_depth or ancestors[root_depth] != root:
            if (
                not in_root
                and not kept
                and len(ancestors) > lead_depth
                and ancestors[lead_root_depth] == lead_root
                and bp_depth <= lead_depth
                and _is_lead(block)
            ):
                kept.append((block.text, _PLAIN))
            continue
        in_root = True
        length = len(block.text)
        if bp_depth > root_depth or (block.link_chars * 2 > length and (length < 300 or block.in_list)):
            if kept and kept[-1][1] == _HEADING:
                dangling = True
            continue
        if kept and kept[-1][0] == block.text:
            continue
        if dangling:
            # "Related articles", "More on this topic": a heading that only introduced links.
            kept.pop()
            dangling = False
        kind = _HEADING if block.tag in _HEADING_TAGS else _LIST_ITEM if block.in_list else _PLAIN
        kept.append((block.text, kind))
    if kept and (dangling or kept[-1][1] == _HEADING):
        kept.pop()
    # Dates and bylines trimmed from the text still date the page.
    head = " \n".join(text for text, _ in kept[:12])
    return _trim_edges(kept), head


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _trim_edges(kept: list[tuple[str, int]]) -> list[str]:
    """Drop short lines after the last paragraph of prose ("Comments are closed", "Share",
    "Category: News") and short lines with numbers before the first (dates, "4 min read").
    Real content rarely sits there in lines that short."""
    prose = [i for i, (text, _) in enumerate(kept) if len(text) >= EDGE_PROSE_CHARS]
    if not prose:
        return [text for text, _ in kept]
    first, last = prose[0], prose[-1]
    result: list[str] = []
    for position, (text, kind) in enumerate(kept):
        if len(text) < EDGE_SHORT_CHARS and (
            (position > last and kind != _LIST_ITEM)
            or (position < first and kind == _PLAIN and _has_digit(text))
        ):
            continue
        result.append(text)
    return result


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())[:MAX_TITLE_CHARS]


def _strip_site_name(title: str) -> str:
    """ "Headline | Site" → "Headline": the first segment when it reads like a headline."""
    segments = [part.strip() for part in _TITLE_SEPARATORS.split(title) if part.strip()]
    if len(segments) < 2:
        return title
    first = segments[0]
    if len(first) >= 12 or len(first.split()) >= 2:
        return first
    return max(segments, key=len)


def _title(tree: LexborHTMLParser) -> str | None:
    """og:title/twitter:title, else the single <h1>, else <title>; site names trimmed."""
    declared = ""
    for selector in ('meta[property="og:title"]', 'meta[name="twitter:title"]'):
        node = tree.css_first(selector)
        if node is not None:
            declared = _clean(node.attributes.get("content"))
            if declared:
                break
    h1s = tree.css("h1")
    heading = _clean(h1s[0].text(deep=True)) if h1s else ""
    node = tree.css_first("title")
    document = _clean(node.text(deep=True)) if node is not None else ""
    # "Headline - Site" around an <h1> that says "Headline": the <h1> is the clean title.
    if heading and len(heading) >= 8:
        lowered = heading.lower()
        if any(lowered in candidate.lower() for candidate in (declared, document) if candidate):
            return heading
    if declared:
        return _strip_site_name(declared)
    if heading and len(h1s) == 1:
        return heading
    if document:
        return _strip_site_name(document)
    return heading or None


def _meta_language(tree: LexborHTMLParser) -> str | None:
    for selector in (
        'meta[http-equiv="content-language"]',
        'meta[http-equiv="Content-Language"]',
        'meta[name="language"]',
        'meta[property="og:locale"]',
    ):
        node = tree.css_first(selector)
        if node is not None and node.attributes.get("content"):
            return node.attributes.get("content")
    return None


def extract_html(
    data: bytes | str,
    *,
    url: str | None = None,
    content_type: str | None = None,
    content_language: str | None = None,
) -> ExtractedPage:
    """Title, publish date, language and main text of a page. Never raises on bad input.

    ``content_type`` and ``content_language`` are the HTTP response headers, when known.
    """
    try:
        return _extract(data, url=url, content_type=content_type, content_language=content_language)
    except Exception:  # a page must never take the pipeline down; an empty text is the answer
        return EMPTY_PAGE


def _extract(
    data: bytes | str,
    *,
    url: str | None,
    content_type: str | None,
    content_language: str | None,
) -> ExtractedPage:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data[: MAX_INPUT_CHARS * 2])
        html = decode_html(raw, content_type)
    else:
        html = decode_html(str(data))
    html = _cap_nesting(html[:MAX_INPUT_CHARS])
    if not html.strip():
        return EMPTY_PAGE
    tree = LexborHTMLParser(html)
    title = _title(tree)
    jsonld = [node.text(deep=True) or "" for node in tree.css('script[type="application/ld+json"]')[:10]]
    root_node = tree.root
    html_lang = root_node.attributes.get("lang") if root_node is not None else None
    body = tree.body
    blocks: list[str] = []
    head = ""
    if body is not None:
        walk = _walk(body)
        if walk.blocks:
            layout = _Layout(walk)
            blocks, head = _select_blocks(layout, _choose_root(layout))
    text = "\n\n".join(blocks)
    published = find_published(tree, url=url, jsonld=jsonld, text=head[:2000])
    language = detect_language(
        html_lang=html_lang,
        meta_lang=_meta_language(tree),
        content_language=content_language,
        text=text,
    )
    return ExtractedPage(
        title=title,
        published=published,
        language=language,
        text=text,
        blocks=blocks,
        structured=extract_structured(tree, jsonld),
    )
