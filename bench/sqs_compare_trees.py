"""Benchmark (a) of bench/sqs_throughput.py for two or more versions of spotq's SQS server side by
side: each NAME=SRC_DIR runs `spotq sqs serve` from that source tree (e.g. a `git worktree` of an
older commit), beside the canned server, in interleaved one-second slices. Prints each version's
msgs/s and its ratio to canned, so a change is judged against its parent in the same run.

    git worktree add /tmp/before HEAD~1
    .venv/bin/python bench/sqs_compare_trees.py before=/tmp/before/src now=src [--slices 20]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqs_servers import Peer, canned_server, free_port, spawn_peer
from sqs_throughput import Cycler


@contextlib.contextmanager
def tree_server(name: str, src: Path) -> Iterator[Peer]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-data-") as data_dir:
        argv = ["sqs", "serve", "--port", str(port), "--data-dir", data_dir]
        code = (
            f"import sys; sys.path.insert(0, {str(src)!r}); from spotq.cli import main; "
            f"sys.argv = ['spotq', *{argv!r}]; main()"
        )
        with spawn_peer(name, [sys.executable, "-c", code], port) as peer:
            yield peer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", metavar="NAME=SRC_DIR")
    parser.add_argument("--slices", type=int, default=20)
    args = parser.parse_args()
    trees = {}
    for item in args.trees:
        name, _, src = item.partition("=")
        if not name or not (Path(src) / "spotq" / "sqs").is_dir():
            raise SystemExit(f"expected NAME=SRC_DIR with SRC_DIR/spotq/sqs, got {item!r}")
        trees[name] = Path(src).resolve()
    with contextlib.ExitStack() as stack:
        peers = {name: stack.enter_context(tree_server(name, src)) for name, src in trees.items()}
        peers["canned"] = stack.enter_context(canned_server())
        cyclers = {name: Cycler(peer.endpoint_url, "compare") for name, peer in peers.items()}
        moved = dict.fromkeys(peers, 0)
        taken = dict.fromkeys(peers, 0.0)
        slices: dict[str, list[float]] = {name: [] for name in peers}
        for _ in range(args.slices):
            for name, cycler in cyclers.items():
                count, seconds = cycler.run_for(1.0)
                moved[name] += count
                taken[name] += seconds
                slices[name].append(count / seconds)
    rate = {name: moved[name] / taken[name] for name in peers}
    print(f"{args.slices} interleaved 1 s slices per server, one boto3 client each")
    for name in peers:
        per_slice = statistics.median(
            r / c for r, c in zip(slices[name], slices["canned"], strict=True)
        )
        print(
            f"{name:<12} {rate[name]:>6.0f} msgs/s  / canned {rate[name] / rate['canned']:.3f}"
            f"  (median of per-slice ratios {per_slice:.3f})"
        )


if __name__ == "__main__":
    main()
