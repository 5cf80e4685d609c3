"""One target, one set of parameters: the spotq-default parameters `spotq synth` puts in the
scaler function's configuration equal those `spotq simulate` builds its policy with, for every
example app and batch scenario, given the same inputs (the app's batch_size and the start-up,
which a user passes to synth as `--scaling startup_s=...`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spotq.app import load_app
from spotq.aws.synth import SynthSettings, Target, synth
from spotq.plan.scenario import load_scenario
from spotq.scaling.params import EC2_HOST_DELAY_S, FARGATE_STARTUP_S
from spotq.sim.adapter import plan_simulation, policy_params
from spotq.sim.scenario import StartupSection

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APPS = {"labs.py": "lab-categorization", "transcribe.py": "transcription-worker",
        "faces.py": "face-recognition"}  # fmt: skip


def _synthesized(template: dict[str, Any]) -> dict[str, Any]:
    (function,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    raw = function["Properties"]["Environment"]["Variables"]["SPOTQ_SCALER"]["Fn::Sub"]
    return dict(json.loads(raw.replace("${MaxWorkers}", "1"))["policy_params"])


@pytest.mark.parametrize("scenario_name", sorted(set(APPS.values())))
@pytest.mark.parametrize("app_file", sorted(APPS))
def test_synth_and_simulate_compute_the_same_parameters(app_file: str, scenario_name: str) -> None:
    app = load_app(str(EXAMPLES / app_file))
    scenario = load_scenario(EXAMPLES / "scenarios" / f"{scenario_name}.yaml")
    if APPS[app_file] == scenario_name:  # the scenario states its app's batch size
        assert scenario.simulate is not None
        assert scenario.simulate.batch_size == app.options.batch_size
    else:  # simulate that app's worker on this scenario's traffic
        assert scenario.simulate is not None
        section = scenario.simulate.model_copy(update={"batch_size": app.options.batch_size})
        scenario = scenario.model_copy(update={"simulate": section})
    plan = plan_simulation(scenario)
    (spec,) = [p for p in plan.policies if p.name == "spotq-default"]
    simulated = policy_params(spec, plan)
    del simulated["max_workers"]
    target = Target.EC2_SPOT if plan.option.on_ec2 else Target.FARGATE_SPOT
    if app.options.gpus:
        target = Target.GPU
    settings = SynthSettings(policy_params=(("startup_s", simulated["startup_s"]),))
    assert _synthesized(synth(app, target, settings)) == simulated


def test_synths_default_start_up_is_the_simulators() -> None:
    startup = StartupSection()
    assert startup.task_start_s + startup.image_pull_s + startup.model_load_s == FARGATE_STARTUP_S
    host = startup.capacity_reaction_s + startup.ec2_boot_s + startup.ecs_register_s
    assert host == EC2_HOST_DELAY_S
