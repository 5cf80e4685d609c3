"""The parts of a stack that the status reads, found from the stack itself.

Resources are listed with ListStackResources and sorted by type; where one type has several roles
(the three queues, the worker's and the scaler's log groups) spotq's own logical IDs tell them
apart, and the stack's outputs fill in what the stack names but does not own (a queue or log
group made elsewhere). Physical names are never derived from the app's name, so any naming a
template uses (stages, CloudFormation-generated names) reads the same.
"""

from __future__ import annotations

import json
from typing import Any

from spotq.aws.status.model import QueueRef, StackParts
from spotq.aws.synth import ids

_QUEUE_ROLES = {ids.QUEUE: "normal", ids.HIGH_QUEUE: "high", ids.DLQ: "dlq"}
_OUTPUT_QUEUE_ROLES = {
    "QueueUrl": "normal",
    "HighPriorityQueueUrl": "high",
    "DeadLetterQueueUrl": "dlq",
}
ROLE_ORDER = ("normal", "high", "dlq", "other")
_GONE = ("DELETE_COMPLETE", "DELETE_IN_PROGRESS")


def describe(cfn: Any, stack: str) -> StackParts:
    """The stack's parts; a missing stack raises the API's ClientError (gather turns it into a
    one-line error)."""
    summary = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: str(o.get("OutputValue", "")) for o in summary.get("Outputs", [])}
    by_type: dict[str, list[tuple[str, str]]] = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
        for res in page.get("StackResourceSummaries", []):
            physical = res.get("PhysicalResourceId")
            if physical and res.get("ResourceStatus") not in _GONE:
                by_type.setdefault(res["ResourceType"], []).append(
                    (res["LogicalResourceId"], physical)
                )
    logs = dict(by_type.get("AWS::Logs::LogGroup", []))
    return StackParts(
        stack=str(summary.get("StackName", stack)),
        stack_status=str(summary.get("StackStatus", "?")),
        app=_app(cfn, stack, outputs),
        queues=_queues(by_type.get("AWS::SQS::Queue", []), outputs),
        cluster=_first(by_type, "AWS::ECS::Cluster") or outputs.get("ClusterName"),
        service=_first(by_type, "AWS::ECS::Service") or outputs.get("ServiceName"),
        auto_scaling_groups=tuple(
            p for _, p in by_type.get("AWS::AutoScaling::AutoScalingGroup", [])
        ),
        alarms=tuple(sorted(p for _, p in by_type.get("AWS::CloudWatch::Alarm", []))),
        worker_log_group=_worker_log_group(logs) or outputs.get("LogGroupName"),
        scaler_log_group=logs.get(ids.SCALER_LOG_GROUP) or outputs.get("ScalerLogGroupName"),
        scalable_target="AWS::ApplicationAutoScaling::ScalableTarget" in by_type,
    )


def _first(by_type: dict[str, list[tuple[str, str]]], resource_type: str) -> str | None:
    found = by_type.get(resource_type, [])
    return found[0][1] if found else None


def _queues(resources: list[tuple[str, str]], outputs: dict[str, str]) -> tuple[QueueRef, ...]:
    refs = [
        QueueRef(_QUEUE_ROLES.get(logical, "other"), logical, url) for logical, url in resources
    ]
    known = {ref.url for ref in refs}
    for key, role in _OUTPUT_QUEUE_ROLES.items():
        url = outputs.get(key)
        if url and url not in known:  # a queue the stack consumes but does not own
            refs.append(QueueRef(role, key, url))
    return tuple(sorted(refs, key=lambda r: (ROLE_ORDER.index(r.role), r.logical_id)))


def _worker_log_group(logs: dict[str, str]) -> str | None:
    if ids.LOG_GROUP in logs:
        return logs[ids.LOG_GROUP]
    others = [name for logical, name in logs.items() if logical != ids.SCALER_LOG_GROUP]
    return others[0] if len(others) == 1 else None


def _app(cfn: Any, stack: str, outputs: dict[str, str]) -> str | None:
    """The app's name: from the StackConfig output, else the template's spotq metadata."""
    try:
        app = json.loads(outputs.get("StackConfig", "")).get("app")
        if isinstance(app, str):
            return app
    except (ValueError, AttributeError):
        pass
    body = cfn.get_template(StackName=stack).get("TemplateBody")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return None  # a YAML template from elsewhere: no spotq metadata to read
    app = body.get("Metadata", {}).get("spotq", {}).get("app") if isinstance(body, dict) else None
    return app if isinstance(app, str) else None
