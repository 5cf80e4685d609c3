"""A subset of a template that moto's CloudFormation can create, for end-to-end tests.

moto creates SQS, S3, DynamoDB, IAM, ECS clusters/task definitions/services, log groups, launch
templates and Auto Scaling groups, but not ECS capacity providers, Application Auto Scaling or
CloudWatch alarms or EventBridge schedules, nor does it hold the public SSM AMI parameters, and
its Lambda needs code uploaded first (the scaler's loop is tested against moto directly, in
tests/aws/test_scaler_moto.py). `for_emulator=True` drops those resources (with the role that
invokes the function, and outputs naming them), places the EC2 service by launch type instead of a
capacity provider, and turns the AMI parameter into a plain image ID.
"""

from __future__ import annotations

import json

from spotq.aws.synth import ids
from spotq.aws.synth.cfn import Json

UNSUPPORTED_TYPES = frozenset(
    {
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::CloudWatch::Alarm",
        "AWS::ECS::CapacityProvider",
        "AWS::ECS::ClusterCapacityProviderAssociations",
        "AWS::Lambda::Function",
        "AWS::S3::BucketPolicy",
        "AWS::Scheduler::Schedule",
    }
)
PLACEHOLDER_AMI = "ami-0123456789abcdef0"


def for_emulator(template: Json) -> Json:
    """A copy of `template` limited to what moto server creates."""
    out: Json = json.loads(json.dumps(template))
    resources: Json = out["Resources"]
    dropped = {name for name, res in resources.items() if res["Type"] in UNSUPPORTED_TYPES}
    # The role that only exists to invoke a dropped function goes with it.
    functions = {n for n in dropped if resources[n]["Type"] == "AWS::Lambda::Function"}
    dropped |= {
        name
        for name, res in resources.items()
        if res["Type"] == "AWS::IAM::Role" and _mentions(res, functions)
    }
    for name in dropped:
        del resources[name]
    service_props = resources[ids.SERVICE]["Properties"]
    if ids.CAPACITY_PROVIDER in dropped:
        del service_props["CapacityProviderStrategy"]
        service_props["LaunchType"] = "EC2"
        resources[ids.SERVICE].pop("DependsOn", None)
    out["Outputs"] = {
        name: output for name, output in out["Outputs"].items() if not _mentions(output, dropped)
    }
    if ids.P_AMI in out["Parameters"]:
        out["Parameters"][ids.P_AMI] = {"Type": "AWS::EC2::Image::Id", "Default": PLACEHOLDER_AMI}
    _drop_unused(out)
    return out


def _drop_unused(template: Json) -> None:
    """Remove the conditions, then the parameters, that only the dropped resources used."""
    body = [template["Resources"], template["Outputs"]]
    template["Conditions"] = {
        name: c for name, c in template["Conditions"].items() if _mentions(body, {name})
    }
    body.append(template["Conditions"])
    template["Parameters"] = {
        name: p for name, p in template["Parameters"].items() if _mentions(body, {name})
    }


def _mentions(node: object, names: set[str]) -> bool:
    text = json.dumps(node)
    return any(f'"{name}"' in text or "${" + name in text for name in names)
