"""Language of a page: declared (``<html lang>``, meta, Content-Language) or guessed.

The guess is deliberately tiny: counts of very common function words for the languages our
customers publish in (en, de, fr, es, it, nl, pt) and the share of kana for Japanese. It
answers None rather than guessing from too little text.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string (keeps long lists compact)."""
    return frozenset(text.split())


SUPPORTED = ("en", "de", "fr", "es", "it", "nl", "pt", "ja")

_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and of to in is that for with on are was this be as by it from at or have has an "
        "will not we our you they their which been"
    ),
    "de": _words(
        "der die das und ist nicht ein eine zu mit den dem von sich auf für des im auch es wir "
        "sie ich wird werden bei oder aus nach wie aber noch"
    ),
    "fr": _words(
        "le la les et des est une un du en dans pour que qui pas sur au avec ce il nous vous "
        "sont par plus ne se ou aux cette"
    ),
    "es": _words(
        "el la los las y de que en un una es por con para del se no al lo como más su pero sus "
        "le ya o este está son"
    ),
    "it": _words(
        "il la di e che è un una per non in del della con sono le si da dei gli lo al nel "
        "anche come più alla delle ma"
    ),
    "nl": _words(
        "de het een en van is dat in op te voor met zijn niet er ook aan bij wordt door maar "
        "om als dan naar hun deze"
    ),
    "pt": _words(
        "o a os as e de que do da em um uma para com não no na por mais dos das se ao como mas foi é são pelo"
    ),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_KANA = re.compile(r"[\u3040-\u30ff]")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_LANG_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$")
_MIN_WORDS = 8
_SAMPLE_CHARS = 5000


def normalize_language(tag: str | None) -> str | None:
    """Primary subtag of a BCP 47 tag, lowercased: ``de-AT`` → ``de``. None for junk."""
    if not tag:
        return None
    first = tag.split(",")[0]
    match = _LANG_TAG.match(first[:40])
    if not match:
        return None
    code = match.group(1).lower()
    # "x-default", "und", "mul" and friends declare nothing useful.
    return None if code in {"und", "mul", "zxx", "x"} else code


def guess_language(text: str) -> str | None:
    """Language of running text from function-word counts; None when unsure."""
    sample = text[:_SAMPLE_CHARS]
    if not sample.strip():
        return None
    cjk = len(_CJK.findall(sample))
    if cjk >= 20 and len(_KANA.findall(sample)) >= 5 and cjk / max(len(sample), 1) > 0.2:
        return "ja"
    words = [w.lower() for w in _WORD.findall(sample)]
    if len(words) < _MIN_WORDS:
        return None
    scores = {lang: sum(1 for w in words if w in stop_words) for lang, stop_words in _STOP_WORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    ranked = sorted(scores.values(), reverse=True)
    # Demand a clear winner and a minimum share of function words.
    if ranked[0] < 3 or ranked[0] < 0.08 * len(words) or ranked[0] < 1.3 * ranked[1]:
        return None
    return best


def detect_language(
    *,
    html_lang: str | None = None,
    meta_lang: str | None = None,
    content_language: str | None = None,
    text: str = "",
) -> str | None:
    """Declared language if any (html lang, meta, HTTP header), else a guess from the text."""
    for declared in (html_lang, meta_lang, content_language):
        code = normalize_language(declared)
        if code:
            return code
    return guess_language(text)
