from pathlib import Path

import psutil

from spotq.worker.memory import (
    MemoryGuard,
    cgroup_limit_bytes,
    process_rss_bytes,
    resolve_limit_bytes,
)


def test_cgroup_limits(tmp_path: Path) -> None:
    v2, v1 = tmp_path / "memory.max", tmp_path / "limit_in_bytes"
    v2.write_text("max\n")
    v1.write_text(f"{2**63 - 4096}\n")  # cgroup v1 "unlimited"
    assert cgroup_limit_bytes((v2, v1)) is None
    v2.write_text("536870912\n")
    assert cgroup_limit_bytes((v2, v1)) == 536_870_912
    assert cgroup_limit_bytes((tmp_path / "missing",)) is None


def test_configured_limit_wins_else_at_most_total_ram() -> None:
    assert resolve_limit_bytes(123) == 123
    assert 0 < resolve_limit_bytes(None) <= psutil.virtual_memory().total


def test_guard_compares_rss_to_threshold_of_limit() -> None:
    rss = [799]
    guard = MemoryGuard(0.8, 1000, rss_fn=lambda: rss[0])
    assert not guard.over()
    rss[0] = 801
    assert guard.over() and guard.last_rss_bytes == 801
    assert MemoryGuard(0.8, 10**15).over() is False  # the real process against a huge limit


def test_rss_reading_agrees_with_psutil_and_sees_growth() -> None:
    before = process_rss_bytes()
    assert abs(before - psutil.Process().memory_info().rss) < 8 * 1024 * 1024
    block = bytearray(64 * 1024 * 1024)  # touched pages: resident
    for i in range(0, len(block), 4096):
        block[i] = 1
    assert process_rss_bytes() >= before + 48 * 1024 * 1024
    del block
