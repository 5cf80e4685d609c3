"""The docs test: every command shown in README.md's code blocks and in the examples' docstrings
either runs here as written (in a scratch copy of the repository's examples and samples, with
the README's own shout.py) or is skipped with the reason named below. A new command in the README
that no rule covers fails this test, so the docs cannot drift from what runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import textwrap
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
TIMEOUT_S = 240

# Commands that are not run here, each with the reason.
SKIPS: dict[str, str] = {
    r"^make (demo|test)\b": "`make test` is this suite; `make demo` is `spotq run examples/"
    "transcribe.py samples/*.wav`, run by tests/worker/test_transcribe_example.py",
    r"spotq run examples/transcribe\.py": "the transcription run is tests/worker/"
    "test_transcribe_example.py (a real worker over the same samples)",
    r"^(aws ecr|docker )": "needs an AWS account and a Docker daemon (there is none here)",
    r"spotq deploy ": "needs AWS: tests/aws/test_deploy_moto.py deploys the same templates to moto",
    r"spotq destroy ": "needs AWS: tests/aws/test_deploy_stages.py destroys one stage on moto",
    r"^terraform |^aws s3 cp ": "needs AWS credentials: tests/aws/test_terraform_tools.py runs "
    "terraform init and validate on the same modules, test_terraform_parity.py compares them "
    "with the templates",
    r"spotq (serve|stream) |:8080/v1/": "tests/serve/ runs spotq serve over the same apps and "
    "streams the samples through it (test_predict.py, test_stream.py, test_drain.py)",
    r"spotq bench ": "tests/bench/ runs spotq bench through the CLI; timing the real models is "
    "a benchmark (bench/, docs/benchmarks.md), not a test",
}

# Blocks not run as a whole, each with the reason.
SKIP_BLOCKS: dict[str, str] = {
    "SPOTQ_STACK_CONFIG": "step 4 runs the job API against a deployed stack: "
    "tests/aws/test_e2e_moto.py runs the same API and workers against moto",
}


@dataclass
class Block:
    lang: str
    text: str
    where: str

    def commands(self) -> list[str]:
        """One entry per shell command, backslash continuations joined."""
        out: list[str] = []
        pending = ""
        for line in self.text.splitlines():
            if not line.strip():
                continue
            if line.endswith("\\"):
                pending += line[:-1].rstrip() + " "
                continue
            out.append((pending + line.strip()).strip())
            pending = ""
        return out


def readme_blocks() -> list[Block]:
    blocks = []
    text = README.read_text()
    for match in re.finditer(r"^( *)```(\w*)\n(.*?)^\1```", text, re.S | re.M):
        line = text[: match.start()].count("\n") + 1
        body = textwrap.dedent(match.group(3))
        blocks.append(Block(match.group(2), body, f"README.md:{line}"))
    return blocks


def docstring_commands() -> list[tuple[str, str]]:
    found = []
    for path in EXAMPLES:
        doc = path.read_text().split('"""')[1]
        for line in doc.splitlines():
            if line.startswith("    spotq "):
                found.append((f"examples/{path.name}", ".venv/bin/" + line.strip()))
    return found


def skip_reason(command: str) -> str | None:
    for pattern, reason in SKIPS.items():
        if re.search(pattern, command):
            return reason
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Workspace:
    """A scratch directory laid out like the repository, where README commands run."""

    root: Path
    env: dict[str, str]

    def sh(self, command: str, timeout_s: float = TIMEOUT_S) -> str:
        done = subprocess.run(
            ["bash", "-c", command], cwd=self.root, env=self.env, capture_output=True,
            text=True, timeout=timeout_s,
        )  # fmt: skip
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def background(self, command: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["bash", "-c", f"exec {command}"], cwd=self.root, env=self.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "samples").symlink_to(ROOT / "samples")
    # a copy, not a link: `spotq dockerfile` wants the app file inside its build context
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shout = next(b for b in readme_blocks() if b.lang == "python" and "spotq.App(" in b.text)
    (tmp_path / "shout.py").write_text(shout.text)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("hello from a")
    (tmp_path / "notes" / "b.txt").write_text("and from b")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTQ_", "AWS_"))}
    env.update(HF_HUB_OFFLINE="1", COLUMNS="100")
    return Workspace(tmp_path, env)


def stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out


def wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None and time.monotonic() < deadline, stop(proc)
        time.sleep(0.1)


def wait_finished(url: str, job: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while True:
        with urllib.request.urlopen(f"{url}/v1/jobs/{job}", timeout=30) as reply:
            if json.load(reply)["state"] not in ("queued", "running"):
                return
        assert proc.poll() is None and time.monotonic() < deadline, stop(proc)
        time.sleep(0.2)


def block_with(text: str) -> Block:
    return next(b for b in readme_blocks() if text in b.text)


def test_every_readme_and_docstring_command_is_run_or_skipped_with_a_reason() -> None:
    runners = [
        "spotq run shout.py",
        "spotq run examples/labs.py",
        "spotq up shout.py",
        "spotq submit",
        "spotq status",
        "spotq result JOB",
        "spotq dlq",
        "curl -F",
        "spotq sqs serve",
        "export AWS_ACCESS_KEY_ID",
        "aws --endpoint-url",
        "spotq plan",
        "spotq simulate",
        "spotq dockerfile",
        "spotq synth",
        "cfn-lint",
        "spotq run examples/faces.py",
        "spotq up examples/labs.py",
    ]  # what the tests below run
    blocks = [b for b in readme_blocks() if not any(k in b.text for k in SKIP_BLOCKS)]
    commands = [c for b in blocks if b.lang == "bash" for c in b.commands()]
    commands += [command for _, command in docstring_commands()]
    uncovered = [c for c in commands if skip_reason(c) is None and not any(r in c for r in runners)]
    assert uncovered == []
    langs = {b.lang for b in readme_blocks()}
    assert langs == {
        "bash",
        "python",
        "json",
    }  # json: the IAM policy, tests/aws/test_deploy_policy_readme.py


def test_run_commands(ws: Workspace) -> None:
    for command in block_with("spotq run shout.py").commands():
        ws.sh(command)
    assert json.loads((ws.root / "out" / "a.txt.json").read_text()) == {"text": "HELLO FROM A"}
    panel = json.loads((ws.root / "out" / "labs" / "panel-a.json.json").read_text())
    assert panel["results"][1]["category"] == "thyroid"


def test_up_and_its_clients(ws: Workspace) -> None:
    up_line, *clients = block_with("spotq up shout.py").commands()
    up = ws.background(up_line + " --port 0")
    try:
        wait_for(ws.root / ".spotq" / "api.json", up)
        url = json.loads((ws.root / ".spotq" / "api.json").read_text())["url"]
        job = ""
        for command in clients:
            command = command.replace("http://127.0.0.1:8000", url).replace(" JOB", f" {job}")
            if "spotq result" in command:  # as a reader would: once the job has run (a worker
                wait_finished(url, job, up)  # starts on the first job; slow on a loaded machine)
            out = ws.sh(command)
            if "spotq submit" in command:
                job = json.loads(out)["id"]
            if "spotq result" in command:
                assert json.loads(out) == {"text": "HELLO FROM A"}
            if command.startswith("curl"):
                assert json.loads(out)["state"] == "queued"
    finally:
        log = stop(up)
    assert "dashboard http://127.0.0.1:" in log


def test_sqs_server_with_boto3_and_the_aws_cli(ws: Workspace) -> None:
    port = str(free_port())
    [serve] = block_with("spotq sqs serve").commands()
    server = ws.background(serve.replace("9324", port))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, stop(server)
                time.sleep(0.1)
        boto = next(b for b in readme_blocks() if b.lang == "python" and "boto3" in b.text)
        (ws.root / "boto.py").write_text(boto.text.replace("9324", port))
        assert ws.sh(".venv/bin/python boto.py").strip() == "hello"
        cli = " && ".join(block_with("aws --endpoint-url").commands()).replace("9324", port)
        assert '"Body": "hello"' in ws.sh(cli)
    finally:
        stop(server)


def test_plan_and_simulate(ws: Workspace) -> None:
    for command in block_with("spotq plan").commands():
        ws.sh(command)
    assert (ws.root / "out" / "face.png").exists()
    for command in block_with("spotq simulate").commands():
        assert "SLO miss" in ws.sh(command)
    assert {p.name for p in (ws.root / "out" / "sim").iterdir()} >= {"backlog.png", "cost.png"}


def test_dockerfile_and_synth(ws: Workspace) -> None:
    for command in block_with("spotq dockerfile").commands():
        if skip_reason(command) is None:
            ws.sh(command)
    assert "spotq-wheels/" in (ws.root / "Dockerfile").read_text()
    for command in block_with("spotq synth").commands():
        ws.sh(command)
    assert "AWS::CloudWatch::Dashboard" in (ws.root / "out" / "transcribe.yaml").read_text()


def test_terraform_synth(ws: Workspace) -> None:
    for command in block_with("--format terraform").commands():
        if skip_reason(command) is None:
            ws.sh(command)
    module = ws.root / "out" / "tf"
    assert {p.name for p in module.iterdir()} >= {"versions.tf", "main.tf", "outputs.tf"}
    variables = (module / "variables.tf").read_text()
    for name in ("container_image", "vpc_id", "subnet_ids", "scaler_code_bucket"):
        assert f'variable "{name}"' in variables  # the README's -var names exist
    assert 'output "stack_config"' in (module / "outputs.tf").read_text()
    assert (ws.root / "out" / "scaler.zip").stat().st_size > 0


def test_example_docstrings(ws: Workspace) -> None:
    in_readme = {c for b in readme_blocks() for c in b.commands()}
    commands = [
        c for _, c in docstring_commands() if skip_reason(c) is None and c not in in_readme
    ]  # a command the README shows too is run by the tests above
    for command in commands:
        if "spotq up" in command:
            up = ws.background(command.split("#")[0].strip() + " --port 0")
            try:
                wait_for(ws.root / ".spotq" / "api.json", up)
                submit = next(c for c in commands if "spotq submit" in c)
                job = json.loads(ws.sh(submit))["id"]
                ws.sh(f".venv/bin/spotq status {job}")
            finally:
                stop(up)
        elif "spotq submit" not in command:
            ws.sh(command)
    faces = json.loads((ws.root / "out" / "faces" / "astronaut.jpg.json").read_text())
    assert faces["count"] == 1
