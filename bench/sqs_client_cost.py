"""What one boto3 SQS call costs the caller in CPU against the embedded SQS server in its own
process, three ways: botocore as it comes (urllib3, client-side parameter validation), without the
validation, and without it over spotq's loopback transport (`spotq.loopback_http`, what
`spotq.queues.make_sqs_client` gives a local endpoint).

The clients take turns in blocks of 20 rounds (SendMessageBatch of 10, ReceiveMessage of up
to 10, DeleteMessageBatch of what came back) inside one process, so a slow minute on a shared
machine hits all alike. Prints CPU per call (time.process_time) and the ratios to the first.

    .venv/bin/python bench/sqs_client_cost.py [BLOCKS (default 40)]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config

from spotq import loopback_http

_SERVER = """
import sys
from pathlib import Path
from spotq.sqs.server import SqsServerConfig, serve_forever
serve_forever(SqsServerConfig(port=0, data_dir=Path(sys.argv[1])),
              on_ready=lambda url: print(url, flush=True), stop_on_stdin_eof=True)
"""
BODY = (
    '{"v":1,"job_id":"0123456789abcdef0123456789abcdef","app":"noop","input":{"i":1},'
    '"input_ref":null,"filename":null,"submitted_at_s":1764870000.123}'
)
OPS = ("send", "receive", "delete")


def client(endpoint_url: str, validate: bool, loopback: bool = False) -> Any:
    config = Config(
        region_name="us-east-1",
        retries={"max_attempts": 5, "mode": "standard"},
        signature_version=UNSIGNED,
        parameter_validation=validate,
    )
    sqs = boto3.session.Session().client(
        "sqs",
        endpoint_url=endpoint_url,
        config=config,
        aws_access_key_id="spotq",
        aws_secret_access_key="spotq",
    )
    if loopback:
        loopback_http.install(sqs, connect_timeout_s=5, read_timeout_s=60, max_idle=10)
    return sqs


def one_round(sqs: Any, queue_url: str, spent: dict[str, float]) -> None:
    started = time.process_time()
    entries = [{"Id": str(i), "MessageBody": BODY} for i in range(10)]
    sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    sent = time.process_time()
    reply = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
    )
    received = time.process_time()
    handles = [m["ReceiptHandle"] for m in reply.get("Messages", [])]
    entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]
    sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    deleted = time.process_time()
    spent["send"] += sent - started
    spent["receive"] += received - sent
    spent["delete"] += deleted - received


def main() -> None:
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    with tempfile.TemporaryDirectory(prefix="spotq-bench-") as tmp:
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(Path(tmp) / "sqs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None and server.stdin is not None
        endpoint_url = server.stdout.readline().strip()
        sides = {
            "validated": client(endpoint_url, True),
            "unvalidated": client(endpoint_url, False),
            "loopback": client(endpoint_url, False, loopback=True),
        }
        queue_url = sides["validated"].create_queue(QueueName="cost")["QueueUrl"]
        spent = {side: dict.fromkeys(OPS, 0.0) for side in sides}
        rounds = 0
        for _ in range(blocks):
            for side, sqs in sides.items():
                for _ in range(20):
                    one_round(sqs, queue_url, spent[side])
            rounds += 20
        server.stdin.close()
        server.wait(30)
    print(f"{rounds} rounds per side, alternating in blocks of 20; client CPU per call")
    print("  (validated, unvalidated: urllib3; loopback: unvalidated, spotq.loopback_http)")
    for op in OPS:
        a, b, c = (1e6 * spent[side][op] / rounds for side in sides)
        print(
            f"  {op:<8} validated {a:5.0f} µs  unvalidated {b:5.0f} µs ({b / a:.2f})"
            f"  loopback {c:5.0f} µs ({c / a:.2f}; {c / b:.2f} of unvalidated)"
        )


if __name__ == "__main__":
    main()
