"""The spotq-default policy's parameters for one deployment, computed in one place.

`spotq synth` writes them into the scaler function's configuration and `spotq simulate` builds
the policy it simulates from them, from the same inputs: the app's `batch_size` (a worker takes
that many messages at once, so that is the backlog one worker is expected to hold), the expected
start-up, and the user's `--scaling KEY=VALUE` overrides. tests/aws/test_params_pinned.py pins
that both sides agree for every example app and scenario.
"""

from __future__ import annotations

from collections.abc import Mapping

# Decision → worker ready on Fargate: task provisioning 30 s + image pull 20 s + model load 10 s
# (spotq.sim.scenario.StartupSection's defaults; docs/simulation.md gives the sources).
FARGATE_STARTUP_S = 60.0
# On EC2 a new task usually needs a new host as well: capacity provider reaction 60 s + boot 60 s
# + ECS agent registration 15 s.
EC2_HOST_DELAY_S = 135.0
# Holds never shorter than this: below a minute a restart costs the 60 s billing minimum anyway.
MIN_HOLD_S = 60.0

ParamValue = float | int


def spotq_default_params(
    *,
    batch_size: int,
    startup_s: float,
    overrides: Mapping[str, ParamValue] | None = None,
) -> dict[str, ParamValue]:
    """Constructor parameters of SpotqDefaultPolicy (without max_workers, which the deployment's
    MaxWorkers sets). A `startup_s` override also moves the holds derived from it."""
    extra = dict(overrides or {})
    startup = float(extra.get("startup_s", startup_s))
    # Ski rental: hold an idle or surplus worker about as long as a restart would cost.
    hold = max(startup, MIN_HOLD_S)
    params: dict[str, ParamValue] = {
        "target_backlog_per_worker": float(max(batch_size, 1)),
        "startup_s": startup,
        "scale_in_cooldown_s": hold,
        "idle_to_zero_s": hold,
    }
    params.update(extra)
    return params


def expected_startup_s(on_ec2: bool) -> float:
    """The start-up synth assumes when the user gives none (`--scaling startup_s=...`)."""
    return FARGATE_STARTUP_S + (EC2_HOST_DELAY_S if on_ec2 else 0.0)
