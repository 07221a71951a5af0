"""Passages: the units the classifier reads — sentences, or short windows of short lines.

``split_passages`` cuts main text into sentences without being fooled by abbreviations
("Inc.", "Dr.", "U.S.", "z.B."), decimals ("3.5"), ellipses, list bullets or headlines that
carry no final period. Lines too short to mean anything alone ("Apply now", a date) are
joined with their neighbours into a window; long sentences are cut at ``max_chars`` on a word
boundary.

``BoilerplateIndex`` remembers, per site, on how many pages each passage occurs; passages
that repeat on at least ``threshold`` pages of one site (cookie notes, slogans, "About us"
footers the extractor let through) are boilerplate.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string (keeps long lists compact)."""
    return frozenset(text.split())


MIN_PASSAGE_CHARS = 40
MAX_TEXT_CHARS = 300_000  # longer texts are cut: bounded work per document

# Words that end with a period without ending the sentence (lowercase, without the period).
_ABBREVIATIONS = _words(
    """
     mr mrs ms dr prof sr jr st mt ft inc ltd co corp llc plc gmbh ag bv nv sa sas spa
     jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun vs
     etc approx appt apt dept est fig figs no nos vol vols ed eds rev gen col capt lt
     sgt gov sen rep pres hon ave blvd rd mio mrd bzw ca evtl ggf inkl max min nr str
     tel usw vgl zb dh ua zt sog bspw mme mlle cf al resp ref
     """
)
_BULLET = re.compile(r"^\s*(?:[-*•·▪►–—]|\d{1,3}[.)]|[a-z][.)])\s+")
_WS = re.compile(r"[ \t\r\f\v]+")
# A candidate boundary: terminal punctuation (with closing quotes/brackets) then whitespace.
_BOUNDARY = re.compile(r"([.!?…。！？]+[\"'”’»)\]]*)(\s+)")
_CJK_BOUNDARY = re.compile(r"([。！？])")
_CJK_STOPS = frozenset("。！？")


def _is_false_boundary(before: str, punct: str, after: str) -> bool:
    """True when the period after `before` does not end a sentence."""
    if punct != ".":
        # An ellipsis continues the sentence when the next word is lowercase.
        return punct.strip(".…") == "" and after[:1].islower()
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    bare = word.lstrip("(\"'“‘«[").lower()
    if not bare:
        return False
    if bare.rstrip(".") in _ABBREVIATIONS:
        return True
    # Initials and dotted abbreviations: "J.", "U.S", "e.g", "z.B".
    if len(bare) == 1 and bare.isalpha():
        return True
    if "." in bare and all(len(piece) <= 2 for piece in bare.split(".") if piece):
        return True
    # Ordinals and dates: "am 3. Mai", "14. Juli 2026".
    if bare.isdigit() and len(bare) <= 2 and after[:1].isalpha():
        return True
    # The next sentence should start with a capital, a digit, a quote or a bracket.
    first = after[:1]
    return bool(first) and first.islower()


def _split_line(line: str) -> list[str]:
    """Sentences of one line of text."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        end = match.end(1)
        before = line[max(start, match.start(1) - 40) : match.start(1)]  # last word only
        after = line[match.end() : match.end() + 20]
        punct = match.group(1).rstrip("\"'”’»)]")
        if _is_false_boundary(before, punct, after):
            continue
        sentence = line[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    rest = line[start:].strip()
    if rest:
        sentences.append(rest)
    # Japanese and Chinese end sentences without a following space.
    if not _CJK_STOPS.intersection(line):
        return sentences
    result: list[str] = []
    for sentence in sentences:
        if _CJK_BOUNDARY.search(sentence[:-1]):
            pieces = _CJK_BOUNDARY.split(sentence)
            joined = ["".join(pieces[i : i + 2]).strip() for i in range(0, len(pieces), 2)]
            result.extend(p for p in joined if p)
        else:
            result.append(sentence)
    return result


def split_sentences(text: str) -> list[str]:
    """Sentences of a text; every line break that separates blocks ends a sentence."""
    sentences: list[str] = []
    for raw_line in text[:MAX_TEXT_CHARS].splitlines():
        line = _WS.sub(" ", raw_line).strip()
        if not line:
            continue
        line = _BULLET.sub("", line)
        if line:
            sentences.extend(_split_line(line))
    return sentences


def _cut(sentence: str, max_chars: int) -> list[str]:
    """Pieces of at most max_chars, cut at the last space before the limit when there is one."""
    pieces: list[str] = []
    while len(sentence) > max_chars:
        cut = sentence.rfind(" ", max_chars // 2, max_chars + 1)
        if cut <= 0:
            cut = max_chars
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces


def split_passages(text: str, *, max_chars: int = 400, min_chars: int = MIN_PASSAGE_CHARS) -> list[str]:
    """Passages of main text: sentences, short ones joined into windows, none over max_chars."""
    max_chars = max(max_chars, 20)
    passages: list[str] = []
    window = ""
    for sentence in split_sentences(text):
        for piece in _cut(sentence, max_chars):
            if window and len(window) + 1 + len(piece) > max_chars:
                passages.append(window)
                window = ""
            window = f"{window} {piece}" if window else piece
            if len(window) >= min_chars:
                passages.append(window)
                window = ""
    if window:
        if passages and len(passages[-1]) + 1 + len(window) <= max_chars:
            passages[-1] = f"{passages[-1]} {window}"
        else:
            passages.append(window)
    return passages


def normalize_passage(text: str) -> str:
    """The form that identifies a passage: NFKC, casefolded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def passage_hash(text: str) -> str:
    """sha256 hex of the normalised passage: equal for the same words in another layout."""
    return hashlib.sha256(normalize_passage(text).encode("utf-8")).hexdigest()


class BoilerplateIndex:
    """Counts on how many pages of a site each passage hash occurs.

    Feed it every page's passage hashes with :meth:`add` (a page's repeats count once); a
    passage seen on at least ``threshold`` pages of the same site is boilerplate. Sites are
    whatever key the caller chooses (registered domain, host). Memory is bounded per site.
    """

    def __init__(self, threshold: int = 3, *, max_hashes_per_site: int = 200_000) -> None:
        if threshold < 2:
            raise ValueError("threshold must be at least 2 pages")
        self.threshold = threshold
        self.max_hashes_per_site = max_hashes_per_site
        self._counts: dict[str, dict[str, int]] = defaultdict(dict)

    def add(self, site: str, hashes: Iterable[str]) -> None:
        """Record one page of `site` with these passage hashes."""
        counts = self._counts[site]
        for digest in set(hashes):
            if digest in counts:
                counts[digest] += 1
            elif len(counts) < self.max_hashes_per_site:
                counts[digest] = 1

    def add_count(self, site: str, digest: str, pages: int) -> None:
        """Seed a count known from storage (pages of `site` that hold this passage)."""
        counts = self._counts[site]
        if digest in counts or len(counts) < self.max_hashes_per_site:
            counts[digest] = max(counts.get(digest, 0), pages)

    def pages_with(self, site: str, digest: str) -> int:
        return self._counts.get(site, {}).get(digest, 0)

    def is_boilerplate(self, site: str, digest: str) -> bool:
        return self.pages_with(site, digest) >= self.threshold

    def filter(self, site: str, passages: Iterable[str]) -> list[str]:
        """The passages of a page that are not boilerplate on its site."""
        return [p for p in passages if not self.is_boilerplate(site, passage_hash(p))]
