"""The engine's inner loop over jobs, on preallocated numpy arrays, compiled by numba when present.

Plain Python that numba can compile: without numba (the `sim` extra) the same functions run
interpreted, only slower. Layouts (all float64):
  jobs[5, n]   arrival, service, start of last attempt, finish (inf: not done), receives
  workers[c,3] a min-heap on free_at: (free_at, launched_at, job; -1 = never ran a job)
  retries[n,2] a min-heap on visible_at: (visible_at, job)
  ints[16]     head, workers, retries, dead, arrived pointer, max_receives, n, capacity, out
`step` takes all three float arrays packed in one buffer (see `pack`): every argument numba
has to check costs time, and it is called once per policy tick.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

F = TypeVar("F", bound=Callable[..., Any])
Arr = NDArray[np.float64]
Ints = NDArray[np.int64]

try:  # numba is optional: the `sim` extra
    from numba import njit as _njit

    def jit(fn: F) -> F:
        return cast(F, _njit(cache=True, nogil=True)(fn))

    COMPILED = True
except ImportError:  # pragma: no cover - exercised only without the extra

    def jit(fn: F) -> F:
        return fn

    COMPILED = False

HEAD, NW, NR, DEAD, ARRIVED, MAX_RECEIVES, N_JOBS, CAPACITY = 0, 1, 2, 3, 4, 5, 6, 7
OUT = 8  # ints[8:14]: what `step` observed (visible, hidden, starting, busy, arrived, workers)
INTS = 16
ARR, SVC, START, FINISH, RECEIVES = 0, 1, 2, 3, 4


@jit
def _copy_row(heap: Arr, dst: int, src: int) -> None:
    for j in range(heap.shape[1]):
        heap[dst, j] = heap[src, j]


@jit
def sift_down(heap: Arr, start: int, pos: int) -> None:
    """Move heap[pos] up towards the root (heapq's _siftdown), keyed on column 0."""
    width = heap.shape[1]
    item0, item1 = heap[pos, 0], heap[pos, 1]
    item2 = heap[pos, 2] if width > 2 else 0.0
    while pos > start:
        parent = (pos - 1) >> 1
        if item0 < heap[parent, 0]:
            _copy_row(heap, pos, parent)
            pos = parent
            continue
        break
    heap[pos, 0] = item0
    heap[pos, 1] = item1
    if width > 2:
        heap[pos, 2] = item2


@jit
def sift_up(heap: Arr, size: int, pos: int) -> None:
    """Move heap[pos] down to a leaf, then back up (heapq's _siftup)."""
    width = heap.shape[1]
    start = pos
    item0, item1 = heap[pos, 0], heap[pos, 1]
    item2 = heap[pos, 2] if width > 2 else 0.0
    child = 2 * pos + 1
    while child < size:
        right = child + 1
        if right < size and not heap[child, 0] < heap[right, 0]:
            child = right
        _copy_row(heap, pos, child)
        pos = child
        child = 2 * pos + 1
    heap[pos, 0] = item0
    heap[pos, 1] = item1
    if width > 2:
        heap[pos, 2] = item2
    sift_down(heap, start, pos)


@jit
def heapify(heap: Arr, size: int) -> None:
    """Make heap[:size] a heap."""
    for i in range(size // 2 - 1, -1, -1):
        sift_up(heap, size, i)


@jit
def heap_push(heap: Arr, size: int, a: float, b: float, c: float) -> int:
    """Push a row; return the new size."""
    heap[size, 0] = a
    heap[size, 1] = b
    if heap.shape[1] > 2:
        heap[size, 2] = c
    sift_down(heap, 0, size)
    return size + 1


@jit
def heap_pop(heap: Arr, size: int) -> int:
    """Drop the root; return the new size."""
    size -= 1
    if size > 0:
        _copy_row(heap, 0, size)
        sift_up(heap, size, 0)
    return size


@jit
def dispatch(until: float, jobs: Arr, workers: Arr, retries: Arr, ints: Ints) -> None:
    """Give queued jobs, in visibility order, to the worker that frees first, for starts < until."""
    n = jobs.shape[1]
    head, nw, nr = ints[HEAD], ints[NW], ints[NR]
    max_receives = ints[MAX_RECEIVES]
    while nw > 0:
        a = jobs[ARR, head] if head < n else math.inf
        from_retry = nr > 0 and retries[0, 0] <= a
        if from_retry:
            a = retries[0, 0]
            job = int(retries[0, 1])
            if a >= until:
                break
            if jobs[RECEIVES, job] >= max_receives:
                nr = heap_pop(retries, nr)  # SQS redrive: the next receive moves it to the DLQ
                ints[DEAD] += 1
                continue
        else:
            if a >= until:
                break
            job = head
        free = workers[0, 0]
        s = a if a > free else free
        if s >= until:
            break
        fin = s + jobs[SVC, job]
        workers[0, 0] = fin
        workers[0, 2] = job
        sift_up(workers, nw, 0)
        jobs[START, job] = s
        jobs[FINISH, job] = fin
        jobs[RECEIVES, job] += 1
        if from_retry:
            nr = heap_pop(retries, nr)
        else:
            head += 1
    ints[HEAD], ints[NR] = head, nr


@jit
def observe(
    t: float,
    jobs: Arr,
    workers: Arr,
    retries: Arr,
    ints: Ints,
    out: Ints,
) -> None:
    """out = visible, hidden (invisible retries), starting, busy, arrived, workers at time t."""
    n = jobs.shape[1]
    p = max(ints[ARRIVED], ints[HEAD])
    while p < n and jobs[ARR, p] <= t:
        p += 1
    ints[ARRIVED] = p
    visible = p - ints[HEAD]
    hidden = 0
    for i in range(ints[NR]):
        if retries[i, 0] <= t:
            visible += 1
        else:
            hidden += 1
    starting = 0
    busy = 0
    for i in range(ints[NW]):
        if workers[i, 0] > t:
            if workers[i, 2] < 0:
                starting += 1
            else:
                busy += 1
    out[0], out[1], out[2], out[3], out[4], out[5] = visible, hidden, starting, busy, p, ints[NW]


def pack(n: int, capacity: int) -> tuple[Arr, Arr, Arr, Arr, Ints]:
    """One buffer holding jobs, workers and retries, those three views of it, and the ints."""
    buf = np.zeros(5 * n + 3 * capacity + 2 * (n + 1))
    jobs = buf[: 5 * n].reshape((5, n))
    workers = buf[5 * n : 5 * n + 3 * capacity].reshape((capacity, 3))
    retries = buf[5 * n + 3 * capacity :].reshape((n + 1, 2))
    ints = np.zeros(INTS, dtype=np.int64)
    ints[N_JOBS], ints[CAPACITY] = n, capacity
    return buf, jobs, workers, retries, ints


@jit
def step(t: float, buf: Arr, ints: Ints) -> None:
    """Dispatch every start before t, then observe at t into ints[OUT:] (once per policy tick)."""
    n, cap = ints[N_JOBS], ints[CAPACITY]
    jobs = buf[: 5 * n].reshape((5, n))
    workers = buf[5 * n : 5 * n + 3 * cap].reshape((cap, 3))
    retries = buf[5 * n + 3 * cap :].reshape((n + 1, 2))
    dispatch(t, jobs, workers, retries, ints)
    observe(t, jobs, workers, retries, ints, ints[OUT : OUT + 6])


def warm_up() -> None:
    """Compile (or load from cache) every kernel on tiny inputs."""
    buf, jobs, workers, retries, ints = pack(2, 2)
    jobs[FINISH, :] = np.inf
    workers[:, 2] = -1.0
    ints[NW], ints[MAX_RECEIVES] = 1, 3
    step(1.0, buf, ints)
    heapify(workers, 1)
    ints[NR] = heap_push(retries, 0, 1.0, 0.0, 0.0)
    ints[NR] = heap_pop(retries, int(ints[NR]))
