"""`spotq sqs serve` as a real subprocess."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import make_sqs_client
from spotq.cli import cli


def test_help_documents_durability() -> None:
    result = CliRunner().invoke(cli, ["sqs", "serve", "--help"])
    assert result.exit_code == 0
    assert "--sync" in result.output and "kill -9" in result.output


def test_non_loopback_bind_needs_credentials() -> None:
    result = CliRunner().invoke(cli, ["sqs", "serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert "credentials" in result.output


def test_serve_prints_endpoint_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spotq.cli",
            "sqs",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        endpoint = line.strip().rsplit(" ", 1)[-1]
        assert endpoint.startswith("http://127.0.0.1:")
        client = make_sqs_client(endpoint)
        url = client.create_queue(QueueName="cli")["QueueUrl"]
        client.send_message(QueueUrl=url, MessageBody="x")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "sqs.db").exists()


def test_non_loopback_bind_is_allowed_with_credentials() -> None:
    from spotq.errors import ConfigError
    from spotq.sqs.server import SqsServerConfig, check_config

    check_config(SqsServerConfig(host="0.0.0.0", credentials={"AKID": "secret"}))
    check_config(SqsServerConfig(host="::1"))
    with pytest.raises(ConfigError, match="host"):
        check_config(SqsServerConfig(host="10.0.0.5"))


def test_bad_credentials_file_is_a_clear_error(tmp_path: Path) -> None:
    creds = tmp_path / "creds.yaml"
    creds.write_text("- not\n- a map\n")
    result = CliRunner().invoke(
        cli, ["sqs", "serve", "--port", "0", "--credentials-file", str(creds)]
    )
    assert result.exit_code == 2
    assert "credentials-file" in result.output
