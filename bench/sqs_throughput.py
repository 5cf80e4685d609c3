"""SQS server benchmark: spotq side by side with moto server and a canned do-nothing server.

(a) one boto3 client cycling SendMessageBatch + ReceiveMessage + DeleteMessageBatch of 10 against
    spotq, moto and the canned server (the client's own ceiling): msgs/s and ratios;
(b) 4 client processes against spotq: aggregate msgs/s;
(c) ReceiveMessage latency with 100,000 waiting messages vs 10 (p50, ratio);
(d) long-poll wake-up: a receive waiting with WaitTimeSeconds=20, another client sends; time from
    the send starting to the receive returning (p50/p95).
All in one run; rounds alternate the peers so that machine noise hits them alike.

    .venv/bin/python bench/sqs_throughput.py            # full run (~3 minutes)
    .venv/bin/python bench/sqs_throughput.py --quick    # smoke run (~30 s)
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqs_servers import Peer, canned_server, client, moto_server, spotq_server

BODY = "x" * 100  # a typical small job message


def _cycle(sqs: Any, url: str, entries: list[dict[str, str]]) -> int:
    """One send/receive/delete cycle of up to 10 messages; returns messages received."""
    sqs.send_message_batch(QueueUrl=url, Entries=entries)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    if messages:
        batch = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        sqs.delete_message_batch(QueueUrl=url, Entries=batch)
    return len(messages)


def cycle_rate(endpoint_url: str, duration_s: float, queue_name: str) -> float:
    """Messages per second through send+receive+delete for one client on one queue."""
    sqs = client(endpoint_url)
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    entries = [{"Id": str(i), "MessageBody": BODY} for i in range(10)]
    for _ in range(5):
        _cycle(sqs, url, entries)
    moved, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < duration_s:
        moved += _cycle(sqs, url, entries)
    return moved / elapsed


def _worker(endpoint_url: str, duration_s: float, name: str, barrier: Any, out: Any) -> None:
    barrier.wait()
    out.put(cycle_rate(endpoint_url, duration_s, name))


def parallel_rate(endpoint_url: str, duration_s: float, processes: int) -> float:
    """Aggregate msgs/s of `processes` client processes, each on its own queue."""
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(endpoint_url, duration_s, f"par-{i}", barrier, out))
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    rates = [out.get(timeout=duration_s + 120) for _ in procs]
    for proc in procs:
        proc.join()
    return float(sum(rates))


def _fill(endpoint_url: str, url: str, count: int) -> None:
    def send(batches: int) -> None:
        sqs = client(endpoint_url)
        entries = [{"Id": str(i), "MessageBody": BODY} for i in range(10)]
        for _ in range(batches):
            sqs.send_message_batch(QueueUrl=url, Entries=entries)

    threads = 4
    per_thread = count // 10 // threads
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, [per_thread] * threads))


def _timed_receive(sqs: Any, url: str) -> float:
    """Latency of one receive of 10; then delete and replace them so the depth stays put."""
    start = time.perf_counter()
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    latency_s = time.perf_counter() - start
    if messages:
        batch = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        sqs.delete_message_batch(QueueUrl=url, Entries=batch)
        refill = [{"Id": str(i), "MessageBody": BODY} for i in range(len(messages))]
        sqs.send_message_batch(QueueUrl=url, Entries=refill)
    return latency_s


def depth_latency(endpoint_url: str, depth: int, samples: int) -> tuple[float, float]:
    """p50 receive latency (s) with `depth` waiting messages and with 10, interleaved."""
    sqs = client(endpoint_url)
    deep = sqs.create_queue(QueueName="depth-deep")["QueueUrl"]
    shallow = sqs.create_queue(QueueName="depth-shallow")["QueueUrl"]
    _fill(endpoint_url, deep, depth)
    sqs.send_message_batch(
        QueueUrl=shallow, Entries=[{"Id": str(i), "MessageBody": BODY} for i in range(10)]
    )
    waiting = sqs.get_queue_attributes(
        QueueUrl=deep, AttributeNames=["ApproximateNumberOfMessages"]
    )
    print(f"    deep queue holds {waiting['Attributes']['ApproximateNumberOfMessages']} messages")
    for _ in range(10):
        _timed_receive(sqs, deep), _timed_receive(sqs, shallow)
    deep_s, shallow_s = [], []
    for _ in range(samples):
        deep_s.append(_timed_receive(sqs, deep))
        shallow_s.append(_timed_receive(sqs, shallow))
    return statistics.median(deep_s), statistics.median(shallow_s)


def wake_latency(endpoint_url: str, samples: int) -> tuple[list[float], list[float]]:
    """(send start -> waiting receive returns, send round trip) in seconds, per sample."""
    receiver, sender = client(endpoint_url), client(endpoint_url)
    url = sender.create_queue(QueueName=f"wake-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    wake_s, send_s = [], []
    for _ in range(samples):
        got: dict[str, Any] = {}

        def wait(got: dict[str, Any] = got) -> None:
            got["reply"] = receiver.receive_message(QueueUrl=url, WaitTimeSeconds=20)
            got["at"] = time.perf_counter()

        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(0.05)  # let the receive reach the server and park
        start = time.perf_counter()
        sender.send_message(QueueUrl=url, MessageBody=BODY)
        send_s.append(time.perf_counter() - start)
        thread.join()
        wake_s.append(got["at"] - start)
        for message in got["reply"].get("Messages", []):
            sender.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return wake_s, send_s


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _rounds(peers: list[Peer], args: argparse.Namespace) -> dict[str, float]:
    rates: dict[str, list[float]] = {peer.name: [] for peer in peers}
    for round_no in range(args.rounds):
        for peer in peers:
            rate = cycle_rate(peer.endpoint_url, args.seconds, f"cycle-{round_no}")
            rates[peer.name].append(rate)
            print(f"    round {round_no + 1}: {peer.name:7s} {rate:8.0f} msgs/s", flush=True)
    return {name: statistics.median(values) for name, values in rates.items()}


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run(args: argparse.Namespace) -> bool:
    checks: list[tuple[str, bool]] = []
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    bare_ctx = canned_server("bare", "bare")
    with spotq_server() as spotq, canned_server() as canned, bare_ctx as bare:
        peers = [spotq, canned, bare]
        moto_ctx: Callable[[], Any] = contextlib.nullcontext if args.skip_moto else moto_server
        with moto_ctx() as moto:
            if moto is not None:
                peers.append(moto)
            print(
                f"(a) one client, send+receive+delete batches of 10, {args.rounds} x "
                f"{args.seconds:g} s per peer (median of rounds)"
            )
            rate = _rounds(peers, args)
        print("    " + " | ".join(f"{name} {value:.0f} msgs/s" for name, value in rate.items()))
        ratio_canned = rate["spotq"] / rate["canned"]
        print(
            f"    spotq/canned = {ratio_canned:.2f} (target >= 0.90; canned = spotq's HTTP + JSON "
            "layers with canned results)"
        )
        print(
            f"    spotq/bare   = {rate['spotq'] / rate['bare']:.2f} (bare asyncio, no spotq code)"
        )
        checks.append(("(a) spotq >= 0.9 x canned", ratio_canned >= 0.9))
        if "moto" in rate:
            ratio_moto = rate["spotq"] / rate["moto"]
            print(f"    spotq/moto   = {ratio_moto:.1f} (target >= 7)")
            checks.append(("(a) spotq >= 7 x moto", ratio_moto >= 7))

        print(f"(b) {args.processes} client processes against spotq, {args.seconds:g} s")
        total = parallel_rate(spotq.endpoint_url, args.seconds, args.processes)
        print(f"    aggregate {total:.0f} msgs/s = {total / rate['spotq']:.2f} x one client")

        print(f"(c) receive latency, {args.depth:,} waiting vs 10, {args.samples} samples each")
        deep_s, shallow_s = depth_latency(spotq.endpoint_url, args.depth, args.samples)
        ratio_depth = deep_s / shallow_s
        print(
            f"    p50 deep {deep_s * 1e3:.2f} ms | shallow {shallow_s * 1e3:.2f} ms | "
            f"deep/shallow = {ratio_depth:.3f} (target within 10 %)"
        )
        checks.append(("(c) depth ratio within 10 %", abs(ratio_depth - 1) <= 0.10))

        print(f"(d) long-poll wake-up, {args.wake_samples} samples")
        wake_s, send_s = wake_latency(spotq.endpoint_url, args.wake_samples)
        p50, p95 = _pct(wake_s, 0.5), _pct(wake_s, 0.95)
        print(
            f"    send start -> receive returns: p50 {p50 * 1e3:.2f} ms, p95 {p95 * 1e3:.2f} ms "
            f"(send round trip alone p50 {_pct(send_s, 0.5) * 1e3:.2f} ms; target p50 <= 5 ms)"
        )
        checks.append(("(d) wake-up p50 <= 5 ms", p50 <= 0.005))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print("acceptance:")
    for name, ok in checks:
        print(f"    {_verdict(ok)}  {name}")
    return all(ok for _, ok in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per peer per round in (a)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--depth", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300, help="receive samples per depth")
    parser.add_argument("--wake-samples", type=int, default=100)
    parser.add_argument("--skip-moto", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.depth = 1.0, 1, 2_000
        args.samples, args.wake_samples = 50, 20
    sys.exit(0 if run(args) else 1)


if __name__ == "__main__":
    main()
