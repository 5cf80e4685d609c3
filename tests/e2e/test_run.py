"""`spotq run` as a user runs it: a subprocess, real files in, one JSON per input out."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from .conftest import ECHO_APP, FAILING_APP, write_app


def _spotq(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "spotq.cli", *map(str, args)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180)


def _inputs(tmp_path: Path, contents: dict[str, bytes]) -> list[Path]:
    (tmp_path / "in").mkdir()
    paths = []
    for name, data in contents.items():
        path = tmp_path / "in" / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_run_writes_one_result_per_input_and_a_summary(tmp_path: Path) -> None:
    app = write_app(tmp_path, ECHO_APP)
    inputs = _inputs(tmp_path, {f"clip{i}.wav": b"x" * (i + 1) for i in range(4)})
    out = tmp_path / "out"
    done = _spotq("run", app, *inputs, "--out", out, "--max-workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"clip{i}.wav.json" for i in range(4)]
    for i in range(4):
        result = json.loads((out / f"clip{i}.wav.json").read_text())
        assert result == {"input": {}, "name": f"clip{i}.wav", "size": i + 1}
    for row in ("jobs", "succeeded", "p95 end-to-end latency", "worker-seconds", "peak workers"):
        assert row in done.stdout
    assert "│ 4 │" in done.stdout.replace(" ", "").replace("│4│", "│ 4 │")


def test_run_with_json_inputs(tmp_path: Path) -> None:
    app = write_app(tmp_path, ECHO_APP)
    inputs = _inputs(tmp_path, {"a.json": b'{"text": "hi"}', "b.json": b'{"text": "yo"}'})
    done = _spotq("run", app, *inputs, "--input-json", "--out", "res", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "res" / "b.json.json").read_text())["input"] == {"text": "yo"}


def test_run_exits_non_zero_when_a_job_fails(tmp_path: Path) -> None:
    app = write_app(tmp_path, FAILING_APP)
    inputs = _inputs(tmp_path, {"good.txt": b"fine", "bad.txt": b"bad bytes"})
    out = tmp_path / "out"
    done = _spotq("run", app, *inputs, "--out", out, "--max-workers", "1", cwd=tmp_path)
    assert done.returncode == 1
    assert "bad.txt" in done.stderr and "cannot read bad.txt" in done.stderr
    assert [p.name for p in out.iterdir()] == ["good.txt.json"]


def test_run_refuses_inputs_that_would_collide(tmp_path: Path) -> None:
    app = write_app(tmp_path, ECHO_APP)
    for d in ("x", "y"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "same.wav").write_bytes(b"1")
    done = _spotq("run", app, "x/same.wav", "y/same.wav", cwd=tmp_path)
    assert done.returncode == 1
    assert "would both write same.wav.json" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_reports_an_app_that_cannot_start(tmp_path: Path) -> None:
    app = tmp_path / "broken.py"
    app.write_text("import spotq\napp = spotq.App('broken')\n@app.loader\ndef load():\n"
                   "    raise RuntimeError('model file missing')\n@app.handler\n"
                   "def handle(model, jobs):\n    return []\n")  # fmt: skip
    (tmp_path / "a.txt").write_text("a")
    done = _spotq("run", app, "a.txt", "--max-workers", "1", cwd=tmp_path)
    assert done.returncode == 1
    # At least 3: the run notices between polls, and on a loaded machine one more start can fail
    # first (a CI run under load reported more than 3).
    found = re.search(r"(\d+) workers in a row failed to start with the same error", done.stderr)
    assert found is not None and int(found.group(1)) >= 3, done.stderr
    assert "model file missing" in done.stderr


BATCH_APP = """
import time
import spotq

app = spotq.App("batches")  # batch_size 1

@app.handler
def handle(model, jobs):
    time.sleep(0.05)
    return [{"batch": len(jobs)} for _ in jobs]
"""


def test_run_batch_size_overrides_the_apps_own(tmp_path: Path) -> None:
    app = tmp_path / "batches.py"
    app.write_text(BATCH_APP)
    inputs = _inputs(tmp_path, {f"in{i}.txt": b"x" for i in range(12)})
    out = tmp_path / "out"
    args = ("--out", out, "--max-workers", "1", "--batch-size", "4")
    done = _spotq("run", app, *inputs, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sizes = [json.loads(p.read_text())["batch"] for p in out.iterdir()]
    assert len(sizes) == 12 and max(sizes) > 1 and max(sizes) <= 4  # the app alone gives 1s

    bad = _spotq("run", app, *inputs, "--batch-size", "11", cwd=tmp_path)
    assert bad.returncode != 0
    assert "--batch-size 11: batch_size must be 1..10" in bad.stderr
