"""Features that see how a passage is said, not what it is about: who acts, with which verb,
in which tense, with which date, amount or hedge.

An embedding places "Intel announced it would introduce processors" next to a product page
about processors; the difference between an event and a topic is in the verb and its tense,
a date, a reporting frame ("said on Monday"), or a hedge ("could", "are rising"). These
indicators let a linear head learn that difference. Every pattern is ours, written from how
news, notices and job ads are generally phrased.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

_I = re.IGNORECASE

# (name, pattern): each becomes one 0/1 feature.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, flags))
    for name, pattern, flags in (
        (
            "past_event_verb",
            r"\b(announced|unveiled|launched|introduced|released|rolled out|debuted|signed|inked|"
            r"acquired|bought|purchased|merged|agreed|completed|closed|appointed|named|hired|"
            r"promoted|elected|stepped down|resigned|retired|raised|secured|received|won|awarded|"
            r"opened|expanded|entered|selected|chose|partnered|teamed up|joined forces|invested|"
            r"filed|fined|settled|sued|charged|approved|cleared|cut|eliminated|laid off|closed down|"
            r"shut|sold|divested|spun off|listed|priced|went public)\b",
            _I,
        ),
        (
            "present_event_verb",
            r"\b(announces|unveils|launches|introduces|releases|signs|acquires|buys|merges|agrees|"
            r"completes|appoints|names|hires|raises|secures|receives|wins|opens|expands|enters|"
            r"selects|partners|invests|files|fines|settles|sues|cuts|sells|lists|joins|taps|"
            r"adds|debuts|rolls out|teams up|inks)\b",
            _I,
        ),
        ("perfect", r"\b(has|have|had)\s+(been\s+|just\s+|now\s+|recently\s+)?\w+(ed|en|wn|ught|ld)\b", _I),
        ("passive_past", r"\b(was|were)\s+(\w+ly\s+)?\w+(ed|en|wn|ught|ld|lost|stolen)\b", _I),
        (
            "future_plan",
            r"\b(will|plans? to|intends? to|is set to|are set to|aims? to|is to|expects? to|"
            r"is going to|would)\b",
            _I,
        ),
        (
            "reporting",
            r"\b(said|says|told|according to|confirmed|reported|disclosed|stated|"
            r"announced today|in a statement|press release)\b",
            _I,
        ),
        (
            "weekday",
            r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|"
            r"yesterday|this week|last week|this month|last month)\b",
            _I,
        ),
        (
            "month",
            r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|"
            r"sep(t|tember)?|oct(ober)?|nov(ember)?|dec(ember)?)\.?\s+\d{1,2}\b|\b\d{1,2}\s+(january|"
            r"february|march|april|may|june|july|august|september|october|november|december)\b",
            _I,
        ),
        ("year", r"\b(19[89]\d|20[0-4]\d)\b", 0),
        ("money", r"[$€£¥]\s?\d|\b\d+(\.\d+)?\s?(million|billion|bn|mln|m|k)\b|\b(usd|eur|gbp)\s?\d", _I),
        ("percent", r"\d\s?(%|percent|per cent)", _I),
        (
            "count_people",
            r"\b\d[\d,]*\s+(people|individuals|customers|patients|employees|members|"
            r"users|accounts|records|residents|students|jobs|staff|workers|positions)\b",
            _I,
        ),
        ("first_person", r"\b(we|our|us)\b", _I),
        ("you_reader", r"\b(you|your|you'll|you will)\b", _I),
        (
            "hedge",
            r"\b(could|may|might|can|should|would be|often|typically|usually|generally|"
            r"increasingly|trend|rising|growing number|how to|tips|if you|whether)\b",
            _I,
        ),
        ("negation", r"\b(not|no|never|denied|denies|without|unlikely|declined to)\b", _I),
        ("question", r"\?", 0),
        ("quote", r"[\"“”]", 0),
        ("company_suffix", r"\b(inc|corp|corporation|ltd|llc|plc|co|group|holdings|ag|gmbh|sa|nv)\b\.?", _I),
        ("capital_start", r"^[A-Z][a-z]+(\s+[A-Z][\w&.-]*)+\s", 0),
        (
            "job_ad",
            r"\b(responsibilities|qualifications|requirements|experience (with|in)|years of "
            r"experience|degree in|bachelor'?s|you will|the role|this role|the position|candidates?|"
            r"apply|salary|full[- ]time|part[- ]time|remote|hybrid|m/f/d|preferred)\b",
            _I,
        ),
        ("job_title_start", r"^[A-Z][\w/&,.-]*(\s+[A-Z(][\w/&,.()-]*){0,6}\s*[.,:|–-]", 0),
        (
            "personal_data",
            r"\b(social security|personal (information|data)|date of birth|names?,|"
            r"addresses|credit card|card numbers?|account numbers?|medical|health information|"
            r"passwords?|email addresses|driver'?s licen[cs]e|bank account)\b",
            _I,
        ),
        (
            "unauthorized",
            r"\b(unauthori[sz]ed|without (permission|authori[sz]ation)|malicious|"
            r"criminals?|hackers?|attackers?|ransomware|phishing|malware|breach(ed|es)?|intrusion|"
            r"compromised|stolen|theft|exfiltrat\w*|leaked|exposed)\b",
            _I,
        ),
        (
            "regulator",
            r"\b(fine[ds]?|penalt(y|ies)|regulator|authority|court|dpa|gdpr|ico|"
            r"commission|sanction(ed)?|violat(ed|ion|ions)|infringement|lawsuit|settlement)\b",
            _I,
        ),
        (
            "deal_words",
            r"\b(deal|agreement|contract|partnership|alliance|joint venture|stake|"
            r"takeover|merger|acquisition|round|series [a-e]|ipo|funding|investment)\b",
            _I,
        ),
    )
)
NAMES: tuple[str, ...] = (*tuple(name for name, _ in PATTERNS), "log_length", "digits")


def event_features(texts: Sequence[str]) -> np.ndarray:
    """One row of indicators (plus a length and a digit share) per text."""
    out = np.zeros((len(texts), len(NAMES)), dtype=np.float32)
    for row, text in enumerate(texts):
        for col, (_, pattern) in enumerate(PATTERNS):
            if pattern.search(text):
                out[row, col] = 1.0
        out[row, -2] = math.log1p(len(text)) / 8.0
        out[row, -1] = min(1.0, 10.0 * sum(ch.isdigit() for ch in text) / max(1, len(text)))
    return out
