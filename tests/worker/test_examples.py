"""examples/faces.py and examples/labs.py through the worker loop with their real models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import skimage.data

from spotq.app import Job, JobFailed, load_app
from spotq.jobs import JobState
from spotq.storage.base import input_key

from .conftest import WorkerEnv, wait_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _finished(env: WorkerEnv, job_id: str) -> bool:
    record = env.jobs.get(job_id)
    return record is not None and record.state in (JobState.SUCCEEDED, JobState.FAILED)


def test_faces_finds_the_astronaut(env: WorkerEnv) -> None:
    app = load_app(str(EXAMPLES / "faces.py"))
    astronaut = Path(skimage.data.__file__).parent / "astronaut.png"
    for job_id, data in (("astronaut", astronaut.read_bytes()), ("junk", b"not an image")):
        env.blobs.put(input_key(job_id), data)
        env.send(app, job_id, {}, input_ref=input_key(job_id), filename=f"{job_id}.png")
    running = env.start(app)
    wait_for(lambda: _finished(env, "astronaut") and _finished(env, "junk"), 60, "faces jobs")
    running.stop()
    result = env.result("astronaut")
    assert result["count"] == 1 and (result["width"], result["height"]) == (512, 512)
    face = result["faces"][0]
    assert 150 <= face["x"] <= 200 and 50 <= face["y"] <= 90 and 80 <= face["w"] <= 110
    junk = env.jobs.get("junk")
    assert junk is not None and junk.state is JobState.FAILED
    assert junk.last_error is not None and "not an image" in junk.last_error


def test_minilm_matches_the_reference_embeddings() -> None:
    app = load_app(str(EXAMPLES / "labs.py"))
    model = app.load_model()
    vectors = model.encoder.encode(
        ["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."]
    )
    similarity = vectors @ vectors.T
    # sentence-transformers' published cosine similarities for all-MiniLM-L6-v2
    assert abs(similarity[0, 1] - 0.7553) < 1e-3
    assert abs(similarity[0, 2] - 0.2474) < 1e-3


def test_labs_categorizes_unseen_names(env: WorkerEnv) -> None:
    app = load_app(str(EXAMPLES / "labs.py"))
    expected = {
        "Haemoglobin level": "complete blood count",
        "Serum cholesterol": "lipid panel",
        "SGPT": "liver function",
        "Serum creatinine": "kidney function",
        "Blood glucose fasting": "blood sugar",
        "Free thyroxine": "thyroid",
        "Serum potassium": "electrolytes",
        "25-OH Vitamin D": "vitamins and minerals",
    }
    env.send(app, "panel", {"tests": list(expected)})
    env.send(app, "bad", {"tests": "Hemoglobin"})
    running = env.start(app)
    wait_for(lambda: _finished(env, "panel") and _finished(env, "bad"), 60, "labs jobs")
    running.stop()
    results = env.result("panel")["results"]
    assert {r["name"]: r["category"] for r in results} == expected
    assert all(0 < r["score"] <= 1 for r in results)
    bad = env.jobs.get("bad")
    assert bad is not None and bad.state is JobState.FAILED


def test_labs_one_encode_per_batch_matches_one_name_at_a_time() -> None:
    app = load_app(str(EXAMPLES / "labs.py"))
    model = app.load_model()
    names = [
        "TSH",
        "Serum creatinine",
        "Free thyroxine (FT4) in serum by chemiluminescent immunoassay",
        "Hb",
        "25-OH Vitamin D, total, by liquid chromatography and mass spectrometry",
        "Blood glucose fasting",
    ]
    together = model.encoder.encode(names)
    alone = np.stack([model.encoder.encode([name])[0] for name in names])
    assert np.max(1.0 - np.sum(together * alone, axis=1)) < 1e-5
    assert model.encoder.encode([]).shape == (0, together.shape[1])
    jobs = [
        Job(id="a", input={"tests": names[:2]}),
        Job(id="bad", input={"tests": ["", "TSH"]}),
        Job(id="b", input={"tests": names[2:5]}),
        Job(id="empty", input={"tests": []}),
        Job(id="c", input={"tests": names[5:]}),
    ]
    batched = app.handle(model, jobs)
    assert isinstance(batched[1], JobFailed) and batched[3] == {"results": []}
    for n in (0, 2, 4):
        (single,) = app.handle(model, [jobs[n]])
        assert [r["name"] for r in batched[n]["results"]] == jobs[n].input["tests"]
        assert [r["category"] for r in batched[n]["results"]] == [
            r["category"] for r in single["results"]
        ]
        for got, want in zip(batched[n]["results"], single["results"], strict=True):
            assert abs(got["score"] - want["score"]) <= 1e-4
