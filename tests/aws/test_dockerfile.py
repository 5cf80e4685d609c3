"""`spotq dockerfile`: the rendered Dockerfile (no docker engine here, so its shape is checked
line by line), and the S3 model fetch it uses at start, against moto."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from spotq.app import App
from spotq.aws.dockerfile import make_spec, render
from spotq.aws.model_fetch import fetch
from spotq.aws.session import AwsConfig, make_client
from spotq.aws.wheel import build_wheel, wheel_name
from spotq.cli import cli
from spotq.errors import ConfigError

APP = """
import spotq
app = spotq.App("transcribe", batch_size=2)

@app.loader
def load():
    return "model"
"""
_INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line, joining backslash continuations."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            logical.append(pending)
            pending = ""
    assert pending == "", "dangling line continuation"
    return [(line.split(" ", 1)[0], line.split(" ", 1)[1]) for line in logical]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "transcribe.py").write_text(textwrap.dedent(APP))
    return tmp_path


def test_baked_model_dockerfile(project: Path) -> None:
    out = project / "Dockerfile"
    result = CliRunner().invoke(
        cli, ["dockerfile", str(project / "apps" / "transcribe.py"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    steps = _instructions(out.read_text())
    assert {name for name, _ in steps} <= _INSTRUCTIONS
    names = [name for name, _ in steps]
    assert names[0] == "FROM" and steps[0][1] == "python:3.11-slim"
    assert names[-1] == "CMD"
    assert json.loads(steps[-1][1])[:3] == ["spotq", "worker", "/app/transcribe.py"]
    args = dict(steps)
    # This spotq, as a wheel built into the context (no PyPI name needed), with the app's extra.
    wheel = project / "spotq-wheels" / wheel_name()
    assert zipfile.is_zipfile(wheel)
    in_image = f"/tmp/spotq-wheels/{wheel_name()}"
    copies = [arg for name, arg in steps if name == "COPY"]
    assert copies[0] == f"spotq-wheels/{wheel_name()} {in_image}"
    assert args["ARG"] == "SPOTQ_REQUIREMENT=" + json.dumps(f"{in_image}[aws,transcribe]")
    assert names.index("COPY") + 1 == names.index("ARG") == names.index("RUN", 3) - 1
    assert copies[-1] == "apps/transcribe.py /app/transcribe.py"  # relative to the context
    assert any("load_model()" in arg for name, arg in steps if name == "RUN")  # model baked
    user = args["USER"]
    assert not user.startswith(("0", "root"))
    assert names.index("USER") < names.index("CMD")
    health = args["HEALTHCHECK"]
    assert json.loads(health.split("CMD ", 1)[1]) == ["python", "-m", "spotq.aws.health"]
    assert "ENTRYPOINT" not in names


def test_model_from_s3_dockerfile_fetches_at_start(project: Path) -> None:
    out = project / "Dockerfile"
    app = f"{project / 'apps' / 'transcribe.py'}:app"
    result = CliRunner().invoke(
        cli, ["dockerfile", app, "-o", str(out), "--model-from", "s3://models/whisper.tar.gz"]
    )
    assert result.exit_code == 0, result.output
    steps = dict(_instructions(out.read_text()))
    entry = json.loads(steps["ENTRYPOINT"])
    assert entry[:4] == ["python", "-m", "spotq.aws.model_fetch", "s3://models/whisper.tar.gz"]
    assert entry[-1] == "--"
    assert json.loads(steps["CMD"])[2] == "/app/transcribe.py:app"
    assert "load_model()" not in out.read_text()


def test_bad_inputs_are_clear_errors(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    app = str(project / "apps" / "transcribe.py")
    runner = CliRunner()
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "Dockerfile"
    outside = runner.invoke(cli, ["dockerfile", app, "-o", str(elsewhere)])
    assert outside.exit_code == 1 and "outside the build context" in outside.output
    bad_uri = runner.invoke(
        cli, ["dockerfile", app, "-o", str(project / "D"), "--model-from", "s3://bucket/"]
    )
    assert bad_uri.exit_code == 1 and "expected s3://bucket/key" in bad_uri.output
    (project / "Dockerfile").write_text("mine")
    exists = runner.invoke(cli, ["dockerfile", app, "-o", str(project / "Dockerfile")])
    assert exists.exit_code == 1 and "--force" in exists.output
    assert (project / "Dockerfile").read_text() == "mine"


def test_model_fetch_unpacks_an_archive_from_s3(
    aws_env: AwsConfig, s3_bucket: str, tmp_path: Path
) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"weights"
        info = tarfile.TarInfo("model/weights.bin")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    s3 = make_client("s3", aws_env)
    s3.put_object(Bucket=s3_bucket, Key="m/model.tar.gz", Body=buffer.getvalue())
    s3.put_object(Bucket=s3_bucket, Key="m/vocab.txt", Body=b"a b c")

    dest = tmp_path / "model"
    fetch(s3, f"s3://{s3_bucket}/m/model.tar.gz", dest)
    assert (dest / "model" / "weights.bin").read_bytes() == b"weights"
    assert fetch(s3, f"s3://{s3_bucket}/m/vocab.txt", dest).read_text() == "a b c"
    assert sorted(p.name for p in dest.iterdir()) == ["model", "vocab.txt"]  # no partial files


def test_model_fetch_refuses_paths_outside_dest(
    aws_env: AwsConfig, s3_bucket: str, tmp_path: Path
) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    s3 = make_client("s3", aws_env)
    s3.put_object(Bucket=s3_bucket, Key="evil.tar", Body=buffer.getvalue())
    with pytest.raises(ConfigError, match="refused"):
        fetch(s3, f"s3://{s3_bucket}/evil.tar", tmp_path / "model")
    assert not (tmp_path / "escape.txt").exists()


def test_the_wheel_installs_and_runs_this_spotq(tmp_path: Path) -> None:
    """What the image's `pip install` does with the generated wheel, minus the dependencies."""
    wheel = build_wheel(tmp_path / "wheels")
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*pip, "--target", str(site), str(wheel)], check=True, timeout=120)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "spotq/api/ui/static/app.js" in names and "spotq/py.typed" in names
    assert not any("__pycache__" in n for n in names)
    assert (site / "bin" / "spotq").exists()  # the console script, from entry_points.txt
    probe = "import spotq, spotq.cli; print(spotq.__file__)"
    env = {"PYTHONPATH": str(site), "PATH": os.environ.get("PATH", "")}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         timeout=60, check=True)  # fmt: skip
    assert out.stdout.strip().startswith(str(site))


def test_an_app_with_model_uri_is_not_baked(tmp_path: Path) -> None:
    app_file = tmp_path / "m.py"
    app_file.write_text("")
    app = App("m", model_uri="s3://models/m/model.tar.gz")
    spec = make_spec(app, str(app_file), tmp_path, spotq_requirement="spotq")
    text = render(spec)
    assert "load_model()" not in text and "s3://models/m/model.tar.gz" in text
    with pytest.raises(ConfigError, match="model_uri"):
        make_spec(app, str(app_file), tmp_path, model_from="s3://other/x")
