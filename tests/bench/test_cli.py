"""`spotq bench` end to end on the echo test app: a table per batch size and a job_s line."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from spotq.cli import cli

ECHO = str(Path(__file__).resolve().parents[1] / "worker" / "apps" / "echo.py") + ":echo"


def _inputs(tmp_path: Path) -> list[str]:
    paths = []
    for name, body in (("a.json", {"echo": 1}), ("b.json", {"fail": "permanent"})):
        (tmp_path / name).write_text(json.dumps(body))
        paths.append(str(tmp_path / name))
    return paths


def test_bench_prints_each_batch_size_and_the_plan_mapping(tmp_path: Path) -> None:
    args = ["bench", ECHO, *_inputs(tmp_path), "--input-json", "--batch-sizes", "1,4"]
    result = CliRunner().invoke(cli, [*args, "--jobs", "8", "--rounds", "2"])
    assert result.exit_code == 0, result.output
    rows = {
        int(m.group(1)): int(m.group(2))
        for m in re.finditer(r"^\s+(\d+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(\d+)$",
                             result.stdout, re.MULTILINE)
    }  # fmt: skip
    assert rows == {1: 4, 4: 4}  # batch size -> failed jobs (every other input fails)
    assert re.search(
        r"job_s: \{batch: \{1: [\d.e-]+, 4: [\d.e-]+\}, batch_size: [14]\}", result.stdout
    )


def test_bench_files_become_job_data(tmp_path: Path) -> None:
    audio = tmp_path / "clip.wav"
    audio.write_bytes(b"RIFF....")
    result = CliRunner().invoke(cli, ["bench", ECHO, str(audio), "--batch-sizes", "2"])
    assert result.exit_code == 0, result.output
    assert "8 jobs per round" in result.stdout  # 4 x the largest size


def test_bench_refuses_bad_sizes_and_missing_inputs(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path)
    result = CliRunner().invoke(cli, ["bench", ECHO, *inputs, "--batch-sizes", "1,20"])
    assert result.exit_code == 1 and "each size must be 1..10" in result.output
    result = CliRunner().invoke(cli, ["bench", ECHO, str(tmp_path / "nope.json")])
    assert result.exit_code == 1 and "no such file" in result.output
