"""SQS server benchmark: spotq side by side with moto server and a canned do-nothing server.

(a) one boto3 client cycling SendMessageBatch + ReceiveMessage + DeleteMessageBatch of 10 against
    spotq, moto and the canned server (the client's own ceiling): msgs/s and ratios;
(b) 4 client processes against spotq: aggregate msgs/s;
(c) ReceiveMessage latency with 100,000 waiting messages vs 10 (p50, ratio);
(d) long-poll wake-up: a receive waiting with WaitTimeSeconds=20, another client sends; time from
    the send starting to the receive returning (p50/p95).
All in one run; (a) interleaves short slices of the peers so that machine noise hits them alike.

    .venv/bin/python bench/sqs_throughput.py            # full run (~4 minutes)
    .venv/bin/python bench/sqs_throughput.py --quick    # smoke run (~40 s)
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


class Cycler:
    """One client cycling batches through one queue of one peer, in time slices."""

    def __init__(self, endpoint_url: str, queue_name: str) -> None:
        self.sqs = client(endpoint_url)
        self.url = self.sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        self.entries = [{"Id": str(i), "MessageBody": BODY} for i in range(10)]
        self.run_for(0.2)  # warm up: connection, botocore caches

    def run_for(self, duration_s: float) -> tuple[int, float]:
        """(messages moved, seconds taken) cycling for about `duration_s`."""
        moved, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < duration_s:
            moved += _cycle(self.sqs, self.url, self.entries)
        return moved, elapsed


def cycle_rate(endpoint_url: str, duration_s: float, queue_name: str) -> float:
    """Messages per second through send+receive+delete for one client on one queue."""
    moved, elapsed = Cycler(endpoint_url, queue_name).run_for(duration_s)
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
    for index in range(samples):
        if index % 2:  # alternate which goes first, so neither always follows the other's refill
            deep_s.append(_timed_receive(sqs, deep))
            shallow_s.append(_timed_receive(sqs, shallow))
        else:
            shallow_s.append(_timed_receive(sqs, shallow))
            deep_s.append(_timed_receive(sqs, deep))
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


def _slices(peers: list[Peer], args: argparse.Namespace) -> tuple[dict[str, float], float]:
    """Interleave short slices of every peer so that noise on a shared box hits them alike.

    Returns each peer's rate over all its slices, and the median over slice rounds of
    spotq/canned (a noise check: it should agree with the ratio of the totals).
    """
    cyclers = {peer.name: Cycler(peer.endpoint_url, "cycle") for peer in peers}
    by_name = {peer.name: peer for peer in peers}
    totals = {name: [0, 0.0, 0.0] for name in cyclers}  # messages, seconds, server CPU s
    paired: list[float] = []
    names = list(cyclers)
    for index in range(args.slices):
        order = names[index % len(names) :] + names[: index % len(names)]
        rates: dict[str, float] = {}
        for name in order:
            cpu_before_s = by_name[name].cpu_s()
            moved, elapsed = cyclers[name].run_for(args.slice_s)
            totals[name][0] += moved
            totals[name][1] += elapsed
            totals[name][2] += by_name[name].cpu_s() - cpu_before_s
            rates[name] = moved / elapsed
        paired.append(rates["spotq"] / rates["canned"])
        if (index + 1) % max(1, args.slices // 5) == 0:
            shown = " | ".join(f"{n} {r:.0f}" for n, r in rates.items())
            print(f"    slice {index + 1}/{args.slices}: {shown} msgs/s", flush=True)
    rate = {name: moved / elapsed for name, (moved, elapsed, _) in totals.items()}
    cpu = " | ".join(
        f"{name} {1e3 * cpu_s / moved:.3f}" for name, (moved, _, cpu_s) in totals.items()
    )
    print(f"    server CPU seconds per 1,000 messages: {cpu}")
    return rate, statistics.median(paired)


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
                f"(a) one client, send+receive+delete batches of 10, {args.slices} interleaved "
                f"slices of {args.slice_s:g} s per peer"
            )
            rate, paired_ratio = _slices(peers, args)
        print("    " + " | ".join(f"{name} {value:.0f} msgs/s" for name, value in rate.items()))
        ratio_canned = rate["spotq"] / rate["canned"]
        print(
            f"    spotq/canned = {ratio_canned:.2f} over all slices (target >= 0.90; canned = "
            f"spotq's HTTP + JSON layers, no store); median of per-slice ratios {paired_ratio:.2f}"
        )
        print(
            f"    spotq/bare   = {rate['spotq'] / rate['bare']:.2f} (bare asyncio, no spotq code)"
        )
        checks.append(("(a) spotq >= 0.9 x canned", ratio_canned >= 0.9))
        if "moto" in rate:
            ratio_moto = rate["spotq"] / rate["moto"]
            print(f"    spotq/moto   = {ratio_moto:.1f} (target >= 7)")
            checks.append(("(a) spotq >= 7 x moto", ratio_moto >= 7))

        print(f"(b) {args.processes} client processes against spotq, {args.parallel_s:g} s")
        total = parallel_rate(spotq.endpoint_url, args.parallel_s, args.processes)
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
    parser.add_argument("--slices", type=int, default=20, help="slices per peer in (a)")
    parser.add_argument("--slice-s", type=float, default=1.0, help="seconds per slice in (a)")
    parser.add_argument("--parallel-s", type=float, default=10.0, help="duration of (b)")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--depth", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300, help="receive samples per depth")
    parser.add_argument("--wake-samples", type=int, default=100)
    parser.add_argument("--skip-moto", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args()
    if args.quick:
        args.slices, args.slice_s, args.parallel_s, args.depth = 4, 0.5, 2.0, 2_000
        args.samples, args.wake_samples = 50, 20
    sys.exit(0 if run(args) else 1)


if __name__ == "__main__":
    main()
