"""Server CPU per send-batch/receive/delete cycle (10 messages) for two or more source trees of
spotq's SQS server, side by side: each tree runs SqsApp in its own process with no sockets, and
the time counted is that process's CPU time, so a shared, loaded machine skews it far less than
the wall-clock msgs/s of bench/sqs_compare_trees.py. Rounds alternate between the trees.

    git worktree add --detach /tmp/before main
    .venv/bin/python bench/sqs_cpu_trees.py before=/tmp/before/src now=src [--rounds 6]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from spotq.clock import SystemClock
from spotq.sqs.app import SqsApp
from spotq.sqs.http import HttpRequest
from spotq.sqs.longpoll import Waiters
from spotq.sqs.service import SqsService
from spotq.sqs.store import SqsStore

store = SqsStore(Path(tempfile.mkdtemp()) / "sqs.db")
store.defer_allowed = True  # as the server runs it: flush after each reply
app = SqsApp(SqsService(store), Waiters(), SystemClock())
auth = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0")

def call(op, params):
    headers = {"host": "127.0.0.1:9324", "x-amz-target": "AmazonSQS." + op,
               "content-type": "application/x-amz-json-1.0", "authorization": auth}
    reply = app(HttpRequest("POST", "/", "", headers, json.dumps(params).encode()))
    store.flush()
    return json.loads(reply.body)

url = call("CreateQueue", {"QueueName": "cpu"})["QueueUrl"]
entries = [{"Id": str(i), "MessageBody": "x" * 100} for i in range(10)]

def cycle():
    call("SendMessageBatch", {"QueueUrl": url, "Entries": entries})
    got = call("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10})["Messages"]
    handles = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
    call("DeleteMessageBatch", {"QueueUrl": url, "Entries": handles})

for _ in range(200):
    cycle()
start = time.process_time()
for _ in range(1000):
    cycle()
print((time.process_time() - start) / 1000 * 1e6)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", metavar="NAME=SRC_DIR")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    trees: dict[str, Path] = {}
    for item in args.trees:
        name, _, src = item.partition("=")
        if not name or not (Path(src) / "spotq" / "sqs").is_dir():
            raise SystemExit(f"expected NAME=SRC_DIR with SRC_DIR/spotq/sqs, got {item!r}")
        trees[name] = Path(src).resolve()
    cpu_us: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, src in trees.items():
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(src)], capture_output=True, text=True, check=True
            )
            cpu_us[name].append(float(done.stdout.strip()))
    first = next(iter(trees))
    base = min(cpu_us[first])
    print(f"server CPU per 10-message cycle, best and median of {args.rounds} rounds of 1,000")
    for name, values in cpu_us.items():
        best = min(values)
        print(
            f"{name:<10} best {best:6.0f} us  median {statistics.median(values):6.0f} us  "
            f"best / {first} {best / base:.3f}"
        )


if __name__ == "__main__":
    main()
