"""The classifier on the real model and the bundled examples: every type recognised in
phrasings written here (not in the examples), calibrated confidences, explanations."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from signals.classify import (
    Example,
    SignalClassifier,
    apply_temperature,
    expected_calibration_error,
    fit_classifier,
    fit_temperature,
    get_classifier,
    load_examples,
    make_scorer,
    pick_threshold,
)
from signals.embed import SentenceTransformerEmbedder, default_embedder, normalise, text_hash
from signals.explain import cue_phrase, key_phrase, why_now
from signals.pipeline import classify_texts
from signals.taxonomy import NONE, default_taxonomy

# Written for this test; none of these sentences is in signals/examples.
UNSEEN: dict[str, list[str]] = {
    "hiring_tech": [
        "Quillfeather Logistics is recruiting a platform engineer to run our Kubernetes clusters.",
        "We have three openings for Python developers on the data engineering team in Leeds.",
    ],
    "hiring_security": [
        "Ravensworth Insurance is looking for a SOC analyst to join its 24/7 security operations centre.",
        "Open position: senior security engineer to lead vulnerability management and incident response.",
    ],
    "hiring_sales": [
        "Bramblecote Foods is hiring six inside sales representatives to cover the northern region.",
        "We're growing our customer support team and need four new service agents for the help desk.",
    ],
    "hiring_finance": [
        "Tidewater Marine seeks an experienced management accountant to join the finance team.",
        "Vacancy: accounts receivable clerk, full time, reporting to the financial controller.",
    ],
    "leadership_change": [
        "Kestrel Engineering has named Amara Okafor its new chief technology officer.",
        "After twelve years at the helm, our chief executive Tom Reilly will retire in March.",
    ],
    "funding": [
        "Glowmill Robotics closed a $27 million Series B led by Foundry Peak Capital.",
        "The cooperative secured a £4m revolving credit facility from its bank to fund growth.",
    ],
    "expansion": [
        "Pemberton Dental will open two new clinics in Bristol and Cardiff this spring.",
        "Our team grew from 40 to 95 people this year as we opened an office in Lisbon.",
    ],
    "merger_acquisition": [
        "Harrowgate Foods has agreed to acquire Little Acre Bakery for an undisclosed sum.",
        "Following the merger with Castlebright, the combined firm will operate under one brand.",
    ],
    "partnership": [
        "Silverline Analytics signed a three-year contract with the regional health authority.",
        "We are proud to announce a strategic partnership with Orbis Freight to co-develop routing tools.",
    ],
    "product_launch": [
        "Lumenfield today unveiled SolarTrack Pro, a monitoring service for commercial rooftops.",
        "Our new mobile ordering app is now available on iOS and Android.",
    ],
    "cloud_migration": [
        "Over the summer we moved our ageing on-premises servers to a public cloud platform.",
        "Ashdown Legal plans to shut its data centre and migrate every workload to the cloud by 2027.",
    ],
    "ai_data_initiative": [
        "We are piloting a machine learning model that predicts which parts will fail before they do.",
        "Northgate Retail is building a central data platform so every store manager gets live dashboards.",
    ],
    "business_apps_need": [
        "Our stock is still tracked in spreadsheets and we have clearly outgrown them.",
        "Fernhill Manufacturing has started evaluating ERP systems to replace its legacy accounting package.",
    ],
    "competitor_tech": [
        "Every employee at Corvid Design uses Google Workspace for mail and documents.",
        "Our sales pipeline is managed in Salesforce and the finance team relies on QuickBooks.",
    ],
    "security_incident": [
        "Millbrook Council confirmed that a ransomware attack has taken its payment systems offline.",
        "Criminals gained unauthorised access to our customer database through a phishing email.",
    ],
    "compliance": [
        "Brightwater Health has completed its SOC 2 Type II audit with no exceptions.",
        "The firm is preparing for ISO 27001 certification ahead of new regulatory requirements.",
    ],
    "modern_work": [
        "From January our staff will work in a hybrid model, three days in the office and two at home.",
        "Every employee is getting a new laptop as part of this year's device refresh and Windows 11 upgrade.",
    ],
    "cost_cutting": [
        "Greystone Retail will lay off 120 employees and close four stores as sales decline.",
        "The company has frozen all hiring and is cutting costs after a difficult quarter.",
    ],
}
UNSEEN_NONE = [
    "Our offices are closed on bank holidays; normal service resumes the next working day.",
    "Revenue for the quarter was 31.2 million euros, up 4 percent on last year.",
    "Shares in the group were little changed in early trading.",
    "Sign up to our newsletter for recipes and seasonal offers.",
    "Home | Products | About us | Contact",
    "We use cookies to give you the best experience on our website.",
    "The bakery has been family-owned since 1962.",
    "Photos from the summer barbecue are now in the gallery.",
]


@pytest.fixture(scope="module")
def classifier() -> SignalClassifier:
    return get_classifier(default_embedder())


def predict(classifier: SignalClassifier, texts: list[str]) -> list[str]:
    vectors = default_embedder().encode(texts)
    return [p.label for p in classifier.predict(vectors, texts)]


def test_unseen_phrasings_are_not_training_examples() -> None:
    known = {e.text.lower() for e in load_examples()}
    for texts in UNSEEN.values():
        for text in texts:
            assert text.lower() not in known


@pytest.mark.parametrize("signal_type", list(UNSEEN))
def test_each_type_is_recognised_in_unseen_phrasings(classifier: SignalClassifier, signal_type: str) -> None:
    labels = predict(classifier, UNSEEN[signal_type])
    assert labels.count(signal_type) >= 1, (signal_type, labels)


def test_unseen_phrasings_overall_accuracy(classifier: SignalClassifier) -> None:
    texts = [t for group in UNSEEN.values() for t in group]
    truth = [label for label, group in UNSEEN.items() for _ in group]
    labels = predict(classifier, texts)
    right = sum(1 for a, b in zip(labels, truth, strict=True) if a == b)
    assert right / len(texts) >= 0.8, list(zip(truth, labels, strict=True))


def test_unseen_non_signals_stay_none(classifier: SignalClassifier) -> None:
    labels = predict(classifier, UNSEEN_NONE)
    assert labels.count(NONE) >= len(UNSEEN_NONE) - 1, list(zip(UNSEEN_NONE, labels, strict=True))


def test_confidences_are_probabilities_and_thresholds_respected(classifier: SignalClassifier) -> None:
    texts = [t for group in UNSEEN.values() for t in group] + UNSEEN_NONE
    vectors = default_embedder().encode(texts)
    probs = classifier.probabilities(vectors, texts)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    for prediction in classifier.decide(probs):
        assert 0.0 <= prediction.confidence <= 1.0
        if prediction.label != NONE:
            assert prediction.confidence >= classifier.thresholds[prediction.label]
            assert prediction.confidence >= 0.5
    assert set(classifier.thresholds) == set(default_taxonomy().ids)


def test_explanation_fields_always_present(classifier: SignalClassifier) -> None:
    texts = [*UNSEEN["funding"], *UNSEEN_NONE[:2], "x", "🙂🙂🙂", "a " * 3000]
    embedder = default_embedder()
    results = classify_texts(texts, embedder.encode(texts), classifier, encode=embedder.encode)
    for result in results:
        data = result.as_json()
        assert set(data) == {"text", "signal_type", "confidence", "areas", "explanation"}
        explanation = data["explanation"]
        assert set(explanation) == {"key_phrase", "nearest_examples", "why_now"}
        assert isinstance(explanation["key_phrase"], str)
        assert len(explanation["nearest_examples"]) == 3
        for example in explanation["nearest_examples"]:
            assert set(example) == {"text", "label", "similarity"}
            assert -1.0 <= example["similarity"] <= 1.0001
        assert explanation["why_now"]
    funding = results[0]
    assert funding.signal_type == "funding"
    assert funding.areas == ["Azure", "M365"]
    assert funding.explanation.key_phrase and funding.explanation.key_phrase in texts[0]
    sims = [e.similarity for e in funding.explanation.nearest_examples]
    assert sims == sorted(sims, reverse=True)


def test_key_phrase_uses_cues_then_prototype(classifier: SignalClassifier) -> None:
    text = "Fabrikam has raised $30 million in a Series B round to grow its team."
    assert "raised $30 million" in key_phrase(text, "funding")
    assert cue_phrase("Nothing here matches.", "funding") == ""
    # no cue: the clause nearest to the type's prototype is chosen
    phrase = key_phrase(
        "Lovely weather today, and the board welcomed Dana Li to the top job",
        "leadership_change",
        classifier,
        default_embedder().encode,
    )
    assert "Dana Li" in phrase


def test_why_now_line() -> None:
    line = why_now("funding", "raised $30 million", company="Fabrikam", published="2026-11-03T10:00:00Z")
    assert line.startswith("Fabrikam") and "2026-11-03" in line and "raised $30 million" in line
    assert "\n" not in line
    assert why_now("expansion", "", company=None, published=None).startswith("The company")


def test_calibration_is_reasonable_on_held_out_examples(classifier: SignalClassifier) -> None:
    held_out = [e for e in load_examples() if e.split == "eval"]
    assert held_out, "the bundled examples have an evaluation split"
    vectors = default_embedder().encode([e.text for e in held_out])
    predictions = classifier.predict(vectors, [e.text for e in held_out])
    confidence = np.array([p.confidence for p in predictions])
    correct = np.array([p.label == e.label for p, e in zip(predictions, held_out, strict=True)])
    assert expected_calibration_error(confidence, correct.astype(float)) < 0.1


# --------------------------------------------------------------- pure pieces (no model)


def test_pick_threshold_reaches_target_precision() -> None:
    scores = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6])
    correct = np.array([1, 1, 1, 0, 1, 0], dtype=float)
    assert pick_threshold(scores, correct, 0.9, 0.5) == 0.85
    assert pick_threshold(scores, correct, 0.7, 0.5) == 0.7
    assert pick_threshold(scores, correct, 0.6, 0.5) == 0.6
    assert pick_threshold(scores, np.zeros(6), 0.9, 0.5) == 0.99
    assert pick_threshold(np.array([]), np.array([]), 0.9, 0.5) == 0.5


def test_temperature_scaling_sharpens_underconfident_probabilities() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=300)
    probs = np.full((300, 3), 0.3)
    probs[np.arange(300), y] = 0.4
    temperature = fit_temperature(probs, y)
    assert temperature < 1.0
    assert apply_temperature(probs, temperature)[0].max() > 0.4


def test_every_scorer_fits_and_predicts_on_toy_data() -> None:
    rng = np.random.default_rng(1)
    centres = normalise(rng.normal(size=(3, 8)))
    y = np.repeat(np.arange(3), 20)
    vectors = normalise(centres[y] + 0.1 * rng.normal(size=(60, 8)))
    cues = np.zeros((60, 2), dtype=np.float32)
    for method in ("prototype", "knn", "logreg", "logreg+kw", "knn+kw", "prototype+kw"):
        scorer = make_scorer(method)
        texts = [f"label{label} sample" for label in y]
        scorer.fit(vectors, cues, texts, y, 3)
        probs = scorer.predict_proba(vectors, cues, texts)
        assert probs.shape == (60, 3)
        assert (probs.argmax(axis=1) == y).mean() > 0.9, method
    with pytest.raises(ValueError):
        make_scorer("forest")


def test_fit_on_tiny_example_set_does_not_crash() -> None:
    taxonomy = default_taxonomy()
    examples = [Example("We are hiring engineers", "hiring_tech"), Example("Hello", NONE)]
    vectors = normalise(np.eye(2, 16, dtype=np.float32))
    classifier = fit_classifier(examples, vectors, method="prototype", taxonomy=taxonomy)
    assert set(classifier.thresholds) == set(taxonomy.ids)
    predictions = classifier.predict(vectors, [e.text for e in examples])
    assert len(predictions) == 2


def test_load_examples_skips_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "funding.jsonl").write_text(
        '{"text": "Raised money", "label": "funding", "split": "train"}\n'
        "not json\n"
        '{"text": "", "label": "funding"}\n'
        '{"text": "Bogus", "label": "astrology"}\n'
        "[1, 2]\n"
        '{"text": "Raised money", "label": "funding", "split": "train"}\n'
        '{"text": "Held out", "label": "funding", "split": "eval"}\n',
        encoding="utf-8",
    )
    examples = load_examples(tmp_path)
    assert [(e.text, e.split) for e in examples] == [("Raised money", "train"), ("Held out", "eval")]


def test_bundled_examples_cover_every_label() -> None:
    examples = load_examples()
    labels = {e.label for e in examples}
    assert labels == set(default_taxonomy().labels)
    assert any(e.split == "eval" for e in examples)


# --------------------------------------------------------------- the embedder


def test_embedder_returns_normalised_float32() -> None:
    embedder = default_embedder()
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert default_embedder() is embedder  # loaded once per process
    vectors = embedder.encode(["Contoso is hiring.", "", "x" * 100_000])
    assert vectors.dtype == np.float32 and vectors.shape == (3, embedder.dim)
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-4)
    assert embedder.encode([]).shape == (0, embedder.dim)
    assert text_hash("a") == text_hash("a") != text_hash("b")


def test_a_texts_vector_does_not_depend_on_its_batch() -> None:
    # Padding and small matrix products change the last bits of a vector; a passage on a
    # threshold then flips label depending on what it was embedded with.
    embedder = default_embedder()
    texts = [e.text for e in load_examples()[:150]] + ["IT jobs", "We grow.", "Hiring now!"]
    together = embedder.encode(texts)
    for picked in ([150], [151, 3], [152, 40, 7, 99], list(range(0, 150, 7))):
        alone = embedder.encode([texts[i] for i in picked])
        assert np.array_equal(alone, together[picked]), picked
    reversed_order = embedder.encode(texts[::-1])[::-1]
    assert np.array_equal(reversed_order, together)


# --------------------------------------------------------------- classify --stdin


def run_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes) -> list[dict]:
    from scripts.cli import main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["classify", "--stdin", "--json"]) == 0
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def test_classify_stdin_json_contract(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [UNSEEN["hiring_security"][0], UNSEEN_NONE[1], UNSEEN["competitor_tech"][0]]
    rows = run_stdin(monkeypatch, capsys, ("\n".join(lines) + "\n").encode())
    assert [r["text"] for r in rows] == lines
    assert rows[0]["signal_type"] == "hiring_security" and rows[0]["areas"] == ["Security"]
    assert rows[1]["signal_type"] == NONE and rows[1]["areas"] == []
    assert rows[2]["signal_type"] == "competitor_tech" and rows[2]["areas"] == ["M365"]
    for row in rows:
        assert set(row) == {"text", "signal_type", "confidence", "areas", "explanation", "scores"}
        assert {"key_phrase", "nearest_examples", "why_now"} <= set(row["explanation"])
        assert set(row["explanation"]) <= {"key_phrase", "nearest_examples", "why_now", "runner_up"}
        assert row["scores"][0]["probability"] >= row["scores"][-1]["probability"]


def test_classify_stdin_survives_hostile_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = b"\n".join(
        [
            b"",
            b"   ",
            b"A" * 100_000,
            bytes(range(256)),
            b"\xff\xfe\x00\x00garbage\x1b[31m",
            "Ünïcödé 🙂 \u202e reversed".encode(),
            b"\r",
        ]
    )
    rows = run_stdin(monkeypatch, capsys, hostile + b"\n")
    assert len(rows) == len(hostile.split(b"\n"))
    for row in rows:
        assert row["signal_type"] in default_taxonomy().labels
        assert 0.0 <= row["confidence"] <= 1.0
        assert {"key_phrase", "nearest_examples", "why_now"} <= set(row["explanation"])
        assert all(0.0 <= s["probability"] <= 1.0 for s in row["scores"])
        assert len(row["text"]) <= 2000
    assert rows[0]["signal_type"] == NONE and rows[0]["text"] == ""
