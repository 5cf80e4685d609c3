"""The policy seam: an observation of the queue and the workers at a moment, and a decision."""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Observation(NamedTuple):
    """What a policy sees at one moment.

    `visible` and `in_flight` are the queue's ApproximateNumberOfMessages and
    ApproximateNumberOfMessagesNotVisible (a simulator or an AWS metric may give them late or
    coarse). `running` counts workers ready to take jobs, `starting` those launched but not yet
    ready, `busy` those holding at least one job. `now_s` is the policy clock, in seconds.
    `arrived` is the number of messages ever sent to the queue (monotonic; 0 when unknown), from
    which a policy may estimate the arrival rate. `startup_s` is the measured time from launching
    a worker to its being ready (0 when not measured: the policy keeps its configured figure).

    A NamedTuple rather than a frozen dataclass: the simulator builds one per policy tick, and
    this is five times cheaper to construct.
    """

    now_s: float
    visible: int
    in_flight: int
    running: int
    starting: int = 0
    busy: int = 0
    arrived: int = 0
    startup_s: float = 0.0

    @property
    def backlog(self) -> int:
        return self.visible + self.in_flight

    @property
    def workers(self) -> int:
        return self.running + self.starting


class ScalingPolicy(Protocol):
    """A policy returns the number of workers it wants now. It may keep state (cooldowns, the time
    the queue last had work) but reads time only from the observation, never from a clock of its
    own, so the same policy runs on real time, simulated time and in tests."""

    name: str
    # True: scale-in only ever stops idle workers (the fleet drains idle ones first, and the policy
    # never asks for fewer workers than are busy). False: the platform stops any worker, busy or
    # not, as ECS service scale-in and a Kubernetes Deployment do.
    idle_only_scale_in: bool

    def desired(self, obs: Observation) -> int: ...
