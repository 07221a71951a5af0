"""The shipped two-stage head: its file, its decision rule, its event-grammar features, and
what `classify --stdin --json` prints with it (scores, runner-up, long real-voice lines)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from signals.classify import decide_two_stage, examples_digest, load_examples
from signals.eventcues import NAMES, event_features
from signals.head import TwoStageHead, fit_head, shipped_head_path
from signals.taxonomy import NONE, default_taxonomy

LABELS = default_taxonomy().labels


def test_shipped_head_matches_the_bundled_model_and_examples() -> None:
    head = TwoStageHead.load(shipped_head_path())
    assert head.model_name == "all-MiniLM-L6-v2"
    assert head.labels == LABELS
    assert set(head.type_ids) == set(default_taxonomy().ids)
    # fitted on the training split as it is now: editing the examples needs
    # `python -m scripts.devtools.fit_head` (the file says which examples it was fitted on)
    train = [e for e in load_examples() if e.split == "train"]
    assert head.examples_digest == examples_digest(train)
    assert 0.05 < head.event_threshold < 0.95


def test_head_file_holds_numbers_only(tmp_path: Path) -> None:
    with np.load(shipped_head_path(), allow_pickle=False) as data:
        for key in data.files:
            assert data[key].dtype.kind in "fiuU", key
        # no text of the real sources can hide in a string field
        assert (
            max(len(str(x)) for key in data.files if data[key].dtype.kind == "U" for x in data[key].ravel())
            < 40
        )


def _toy_head() -> TwoStageHead:
    rng = np.random.default_rng(3)
    dim = 6
    features = rng.normal(size=(120, dim)).astype(np.float32)
    types = np.array(["funding" if f[0] > 0.5 else "expansion" if f[1] > 0.5 else "" for f in features])
    return fit_head(features, event=types != "", types=types, weights=np.ones(120), labels=LABELS)


def test_head_round_trips_and_rejects_broken_files(tmp_path: Path) -> None:
    head = _toy_head()
    head.event_threshold = 0.42
    path = tmp_path / "head.npz"
    head.save(path)
    loaded = TwoStageHead.load(path)
    features = np.random.default_rng(1).normal(size=(5, 6)).astype(np.float32)
    assert np.allclose(loaded.joint(features), head.joint(features))
    assert loaded.event_threshold == pytest.approx(0.42)
    joint = head.joint(features)
    assert np.allclose(joint.sum(axis=1), 1.0)
    assert set(np.nonzero(joint.sum(axis=0))[0]) == {LABELS.index(t) for t in (*head.type_ids, NONE)}

    with np.load(path, allow_pickle=False) as data:
        fields = dict(data)
    broken = tmp_path / "broken.npz"
    np.savez(broken, **{**fields, "type_w": np.full_like(fields["type_w"], np.nan)})
    with pytest.raises(ValueError, match="non-finite"):
        TwoStageHead.load(broken)
    np.savez(broken, **{**fields, "event_w": fields["event_w"][:-1]})
    with pytest.raises(ValueError, match="shapes"):
        TwoStageHead.load(broken)
    np.savez(broken, **{**fields, "labels": np.array(["x", "y"])})
    with pytest.raises(ValueError):
        TwoStageHead.load(broken)


def test_decision_is_event_first_then_type() -> None:
    none, funding, expansion = LABELS.index(NONE), LABELS.index("funding"), LABELS.index("expansion")
    probs = np.zeros((3, len(LABELS)))
    # P(event) 0.6 split over two types: no single type beats none, yet it is an event
    probs[0, [none, funding, expansion]] = [0.4, 0.35, 0.25]
    probs[1, [none, funding]] = [0.7, 0.3]  # below the event threshold
    probs[2, [none, expansion]] = [0.5, 0.5]  # exactly at it
    out = decide_two_stage(probs, LABELS, 0.5)
    assert [p.label for p in out] == ["funding", NONE, "expansion"]
    assert out[0].confidence == pytest.approx(0.35)
    assert out[1].confidence == pytest.approx(0.7)
    assert out[0].top_label == NONE


def test_a_types_own_threshold_replaces_the_event_threshold() -> None:
    none, funding, expansion = LABELS.index(NONE), LABELS.index("funding"), LABELS.index("expansion")
    probs = np.zeros((2, len(LABELS)))
    probs[0, [none, funding]] = [0.15, 0.85]
    probs[1, [none, expansion]] = [0.15, 0.85]
    # funding needs 0.8, expansion 0.9: the same P(event) is a signal of one, not the other
    out = decide_two_stage(probs, LABELS, 0.95, {"funding": 0.8, "expansion": 0.9})
    assert [p.label for p in out] == ["funding", NONE]
    assert [p.label for p in decide_two_stage(probs, LABELS, 0.95)] == [NONE, NONE]


def test_rescue_thresholds_and_temperature_round_trip(tmp_path: Path) -> None:
    head = _toy_head()
    head.event_temperature = 1.7
    head.rescue_thresholds = {"funding": 0.83}
    path = tmp_path / "head.npz"
    head.save(path)
    loaded = TwoStageHead.load(path)
    assert loaded.rescue_thresholds == {"funding": pytest.approx(0.83)}
    features = np.random.default_rng(2).normal(size=(4, 6)).astype(np.float32)
    assert np.allclose(loaded.event_probability(features), head.event_probability(features))
    with np.load(path, allow_pickle=False) as data:
        fields = dict(data)
    broken = tmp_path / "broken.npz"
    np.savez(broken, **{**fields, "rescue_types": np.array(["not_a_type"])})
    with pytest.raises(ValueError, match="rescue"):
        TwoStageHead.load(broken)
    np.savez(broken, **{**fields, "rescue_thresholds": np.array([1.5])})
    with pytest.raises(ValueError, match="rescue"):
        TwoStageHead.load(broken)
    np.savez(broken, **{**fields, "event_temperature": np.array(0.0)})
    with pytest.raises(ValueError, match="temperature"):
        TwoStageHead.load(broken)


def test_event_features_see_verb_tense_and_hedges() -> None:
    rows = event_features(
        [
            "Acme announced on Monday it had acquired a rival for $40 million.",
            "Ransomware attacks could keep rising, experts say.",
            "Senior Accountant. Prepare month-end close; CPA preferred.",
        ]
    )
    on = {name: rows[:, i] for i, name in enumerate(NAMES)}
    assert on["past_event_verb"][0] == 1 and on["past_event_verb"][1] == 0
    assert on["weekday"][0] == 1 and on["money"][0] == 1
    assert on["hedge"][1] == 1 and on["hedge"][0] == 0
    assert on["job_ad"][2] == 1 and on["job_title_start"][2] == 1
    assert rows.shape == (3, len(NAMES)) and np.isfinite(rows).all()


# ------------------------------------------------------------------ classify --stdin --json

BREACH_LETTER = (
    "Dear customer, we are writing to let you know about an incident involving some of your "
    "information. On 14 August our IT team noticed unusual activity on a file server at our "
    "Leeds office. We disconnected the server, hired an outside forensic firm and found that "
    "an unknown person had copied folders holding names, postal addresses and bank details of "
    "about 2,300 customers between 9 and 13 August. We have reported the matter to the police "
    "and to the regulator, and we are offering two years of free credit monitoring."
)
JOB_AD = (
    "Cloud Infrastructure Engineer. Build and run the Kubernetes platform our product teams "
    "deploy to; automate provisioning with Terraform; improve monitoring, alerting and on-call "
    "runbooks; work with security on network policies. Minimum qualifications: 3 years running "
    "Linux in production, scripting in Python or Go. Preferred: experience with Azure or AWS, "
    "CI/CD pipelines and incident response."
)


def run_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes, config: Path
) -> list[dict]:
    from scripts.cli import main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["--config", str(config), "classify", "--stdin", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize("classifier", ["head", "svm+kw", "svm+kw+head"])
def test_stdin_json_adds_top_three_scores(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, classifier: str
) -> None:
    config = tmp_path / "ascent.toml"
    config.write_text(f'[signals]\nclassifier = "{classifier}"\n', encoding="utf-8")
    lines = [BREACH_LETTER, JOB_AD, "Our offices are closed on public holidays.", ""]
    rows = run_stdin(monkeypatch, capsys, ("\n".join(lines) + "\n").encode(), config)
    assert [r["text"] for r in rows] == lines
    assert rows[0]["signal_type"] == "security_incident"
    assert rows[1]["signal_type"] == "hiring_tech"
    assert rows[2]["signal_type"] == NONE
    for row in rows:
        assert {"text", "signal_type", "confidence", "areas", "explanation", "scores"} == set(row)
        scores = row["scores"]
        assert 1 <= len(scores) <= 3
        probabilities = [s["probability"] for s in scores]
        assert probabilities == sorted(probabilities, reverse=True)
        assert all(s["label"] in LABELS and 0.0 <= s["probability"] <= 1.0 for s in scores)
        assert sum(probabilities) <= 1.0001
    assert len(rows[0]["scores"]) == 3
    assert rows[3]["scores"] == [{"label": "none", "probability": 1.0}]


def test_runner_up_is_named_only_when_it_came_close() -> None:
    from scripts.commands.classify import with_scores

    def line(label: str) -> dict:
        return {"signal_type": label, "confidence": 0.5, "explanation": {}}

    close = np.zeros(len(LABELS))
    close[[LABELS.index("funding"), LABELS.index("merger_acquisition"), LABELS.index(NONE)]] = [0.5, 0.4, 0.1]
    out = with_scores(line("funding"), LABELS, close)
    assert out["explanation"]["runner_up"] == {"label": "merger_acquisition", "probability": 0.4}
    far = np.zeros(len(LABELS))
    far[[LABELS.index("funding"), LABELS.index(NONE)]] = [0.9, 0.1]
    assert "runner_up" not in with_scores(line("funding"), LABELS, far)["explanation"]


def test_rescue_asks_the_second_classifier_only_about_nones() -> None:
    from dataclasses import replace

    from signals.classify import SignalClassifier

    class Fixed:
        """A scorer that returns the probabilities it was given, row by row."""

        def __init__(self, rows: np.ndarray) -> None:
            self.rows = rows

        def fit(
            self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str], y: np.ndarray, n_labels: int
        ) -> None: ...

        def predict_proba(self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str]) -> np.ndarray:
            return self.rows[vectors[:, 0].astype(int)]

    none, funding, expansion = LABELS.index(NONE), LABELS.index("funding"), LABELS.index("expansion")
    first_rows = np.zeros((3, len(LABELS)))
    first_rows[0, funding] = 1.0  # the first classifier's signal stands
    first_rows[1, none] = 1.0  # none: the second may call it an event
    first_rows[2, none] = 1.0  # none, and the second is not sure either
    second_rows = np.zeros((3, len(LABELS)))
    second_rows[0, expansion] = 1.0
    second_rows[1, [expansion, none]] = [0.97, 0.03]
    second_rows[2, [expansion, none]] = [0.6, 0.4]
    base = SignalClassifier(
        labels=LABELS,
        method="fixed",
        scorer=Fixed(first_rows),
        temperature=1.0,
        thresholds={t: 0.5 for t in default_taxonomy().ids},
        examples=[],
        vectors=np.zeros((0, 2), dtype=np.float32),
    )
    second = replace(base, scorer=Fixed(second_rows), event_threshold=0.95)
    vectors = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]], dtype=np.float32)
    texts = ["a", "b", "c"]
    assert [p.label for p in base.predict(vectors, texts)] == ["funding", NONE, NONE]
    probabilities, rescued = replace(base, rescue=second).score(vectors, texts)
    assert [p.label for p in rescued] == ["funding", "expansion", NONE]
    assert rescued[1].confidence == pytest.approx(0.97)
    # a rescued passage's probabilities are the ones it was decided on; the others keep the first's
    np.testing.assert_allclose(probabilities[1], second_rows[1], atol=1e-9)
    np.testing.assert_allclose(probabilities[[0, 2]], first_rows[[0, 2]], atol=1e-9)


def test_rescue_uses_the_heads_per_type_thresholds_else_the_flat_one() -> None:
    from signals.classify import RESCUE_EVENT_THRESHOLD, SignalClassifier, _rescue_thresholds

    head = _toy_head()
    wrapped = SignalClassifier(
        labels=LABELS,
        method="head",
        scorer=head,
        temperature=1.0,
        thresholds={},
        examples=[],
        vectors=np.zeros((0, 6), dtype=np.float32),
        event_threshold=head.event_threshold,
    )
    assert set(_rescue_thresholds(wrapped).values()) == {RESCUE_EVENT_THRESHOLD}
    head.rescue_thresholds = {"funding": 0.82}
    chosen = _rescue_thresholds(wrapped)
    assert chosen["funding"] == pytest.approx(0.82)
    assert chosen["expansion"] == RESCUE_EVENT_THRESHOLD
    assert NONE not in chosen
