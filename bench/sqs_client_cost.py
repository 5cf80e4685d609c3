"""What one boto3 SQS call costs the caller in CPU, with and without botocore's client-side
parameter validation, against the embedded SQS server in its own process.

The two clients take turns in blocks of 20 rounds (SendMessageBatch of 10, ReceiveMessage of up
to 10, DeleteMessageBatch of what came back) inside one process, so a slow minute on a shared
machine hits both alike. Prints CPU per call (time.process_time) and the ratio.

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


def client(endpoint_url: str, validate: bool) -> Any:
    config = Config(
        region_name="us-east-1",
        retries={"max_attempts": 5, "mode": "standard"},
        signature_version=UNSIGNED,
        parameter_validation=validate,
    )
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=endpoint_url,
        config=config,
        aws_access_key_id="spotq",
        aws_secret_access_key="spotq",
    )


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
    for op in OPS:
        a, b = (1e6 * spent[side][op] / rounds for side in sides)
        print(f"  {op:<8} validated {a:6.0f} µs   unvalidated {b:6.0f} µs   ratio {b / a:.2f}")


if __name__ == "__main__":
    main()
