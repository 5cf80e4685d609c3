"""Instructions per send-batch/receive/delete cycle (10 messages) of spotq's SQS server for two or
more source trees, counted by valgrind (callgrind): a count, not a time, so it is the same on a
loaded shared machine as on a quiet one. Each tree runs SqsApp in its own process with no sockets
(the HTTP parsing that the canned server shares is left out, the reply encoding is kept), through
either protocol; the client side is a few byte-string operations. Instructions of N cycles minus
those of 0 cycles (start-up, imports, warm-up), divided by N. Needs `valgrind` on PATH.

    .venv/bin/python bench/sqs_instr_trees.py before=/tmp/before/src now=src [--protocol query]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, re, sys, tempfile
from pathlib import Path
from urllib.parse import urlencode
sys.path.insert(0, sys.argv[1])
from spotq.clock import SystemClock
from spotq.sqs.app import SqsApp
from spotq.sqs.http import HttpRequest, encode_response
from spotq.sqs.longpoll import Waiters
from spotq.sqs.service import SqsService
from spotq.sqs.store import SqsStore

cycles, protocol = int(sys.argv[2]), sys.argv[3]
store = SqsStore(Path(tempfile.mkdtemp()) / "sqs.db")
store.defer_allowed = True  # as the server runs it: flush after each reply
app = SqsApp(SqsService(store), Waiters(), SystemClock())
auth = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0")

def headers(op):
    out = {"host": "127.0.0.1:9324", "authorization": auth, "x-amz-date": "20260101T000000Z"}
    if protocol == "json":
        out.update({"x-amz-target": "AmazonSQS." + op,
                    "content-type": "application/x-amz-json-1.0"})
    else:
        out["content-type"] = "application/x-www-form-urlencoded; charset=utf-8"
    return out

def call(op, body):
    reply = app(HttpRequest("POST", "/", "", headers(op), body))
    encode_response(reply, True)
    store.flush()
    return reply.body

if protocol == "json":
    url = json.loads(call("CreateQueue", b'{"QueueName":"cpu"}'))["QueueUrl"]
    entries = [{"Id": str(i), "MessageBody": "x" * 100} for i in range(10)]
    send = json.dumps({"QueueUrl": url, "Entries": entries}).encode()
    recv = json.dumps({"QueueUrl": url, "MaxNumberOfMessages": 10}).encode()
    handle_re = re.compile(rb'"ReceiptHandle":"([^"]+)"')
    head = b'{"QueueUrl":"' + url.encode() + b'","Entries":['
    def delete_body(handles):
        items = (b'{"Id":"%d","ReceiptHandle":"%s"}' % (i, h) for i, h in enumerate(handles))
        return head + b",".join(items) + b"]}"
else:
    form = {"Action": "CreateQueue", "QueueName": "cpu", "Version": "2012-11-05"}
    reply = call("CreateQueue", urlencode(form).encode())
    url = re.search(rb"<QueueUrl>([^<]+)</QueueUrl>", reply).group(1).decode()
    form = {"Action": "SendMessageBatch", "QueueUrl": url, "Version": "2012-11-05"}
    for i in range(10):
        form[f"SendMessageBatchRequestEntry.{i + 1}.Id"] = str(i)
        form[f"SendMessageBatchRequestEntry.{i + 1}.MessageBody"] = "x" * 100
    send = urlencode(form).encode()
    form = {"Action": "ReceiveMessage", "QueueUrl": url, "MaxNumberOfMessages": 10,
            "Version": "2012-11-05"}
    recv = urlencode(form).encode()
    handle_re = re.compile(rb"<ReceiptHandle>([^<]+)</ReceiptHandle>")
    head = urlencode({"Action": "DeleteMessageBatch", "QueueUrl": url,
                      "Version": "2012-11-05"}).encode()
    def delete_body(handles):
        entry = b"&DeleteMessageBatchRequestEntry.%d"
        return head + b"".join(entry % (i + 1) + b".Id=%d" % i + entry % (i + 1)
                               + b".ReceiptHandle=" + h for i, h in enumerate(handles))

def cycle():
    call("SendMessageBatch", send)
    handles = handle_re.findall(call("ReceiveMessage", recv))
    call("DeleteMessageBatch", delete_body(handles))

for _ in range(50 + cycles):
    cycle()
assert store.queue("cpu").counts == [0, 0, 0]
"""


def _instructions(src: Path, cycles: int, protocol: str) -> int:
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            _CHILD,
            str(src),
            str(cycles),
            protocol,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", metavar="NAME=SRC_DIR")
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--protocol", choices=("json", "query"), default="json")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    trees: dict[str, Path] = {}
    for item in args.trees:
        name, _, src = item.partition("=")
        if not name or not (Path(src) / "spotq" / "sqs").is_dir():
            raise SystemExit(f"expected NAME=SRC_DIR with SRC_DIR/spotq/sqs, got {item!r}")
        trees[name] = Path(src).resolve()
    per_cycle: dict[str, float] = {}
    for name, src in trees.items():
        base = _instructions(src, 0, args.protocol)
        total = _instructions(src, args.cycles, args.protocol)
        per_cycle[name] = (total - base) / args.cycles
    first = next(iter(trees))
    print(f"instructions per 10-message cycle ({args.protocol}, {args.cycles} cycles, callgrind)")
    for name, count in per_cycle.items():
        print(f"{name:<10} {count:12,.0f}  / {first} {count / per_cycle[first]:.3f}")


if __name__ == "__main__":
    main()
