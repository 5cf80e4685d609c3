"""`spotq synth`: one CloudFormation template for an app on fargate-spot, ec2-spot or gpu.

Each resource group is one module: queues, storage (bucket + table), task (task definition),
service (cluster, service, security group), capacity (EC2 launch template, Auto Scaling group,
capacity provider), scaler (the default engine: spotq's scaler function and its schedule) or
autoscaling (`aws-target-tracking`: 0→1 step policy, backlog-per-task target tracking), iam,
observability (log group, alarms). Output is deterministic (sorted keys), so golden files in
tests/aws/golden/ stay stable; after an intended change regenerate them with
`SPOTQ_UPDATE_GOLDEN=1 .venv/bin/pytest tests/aws/test_synth_validation.py` and review the diff.

For moto server (the AWS-runtime end-to-end test) pass `for_emulator=True`: the template keeps
every resource moto can create (queues, bucket, table, roles, cluster, task definition, service,
log group, and for EC2 targets the launch template and Auto Scaling group) and drops the rest;
see `spotq.aws.synth.emulator`. Deploy it with `create_stack` (moto 5.2 returns no stack
outputs after a change set) and read the container's environment from the task definition.
"""

from __future__ import annotations

from spotq.app import App
from spotq.aws.synth.cfn import Format, Json, render
from spotq.aws.synth.context import ScalingEngine, SynthSettings, Target, make_context
from spotq.aws.synth.emulator import for_emulator as emulator_subset
from spotq.aws.synth.template import build

__all__ = ["Format", "ScalingEngine", "SynthSettings", "Target", "render", "synth"]


def synth(
    app: App,
    target: Target,
    settings: SynthSettings | None = None,
    *,
    for_emulator: bool = False,
) -> Json:
    """The CloudFormation template (a dict) for `app` on `target`."""
    settings = settings or SynthSettings()
    template = build(make_context(app, target, settings))
    return emulator_subset(template) if for_emulator else template
