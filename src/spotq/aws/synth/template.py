"""Assemble one CloudFormation template from the resource groups."""

from __future__ import annotations

from spotq.aws.synth import ids
from spotq.aws.synth.app_env import point_at_existing_queue
from spotq.aws.synth.autoscaling import autoscaling
from spotq.aws.synth.capacity import capacity
from spotq.aws.synth.cfn import Json, get_att, ref, sub
from spotq.aws.synth.context import Context, ScalingEngine
from spotq.aws.synth.dashboard import dashboard
from spotq.aws.synth.iam import iam
from spotq.aws.synth.observability import observability
from spotq.aws.synth.parameters import conditions, parameters
from spotq.aws.synth.queues import queues
from spotq.aws.synth.scaler import scaler
from spotq.aws.synth.service import cluster, security_group, service
from spotq.aws.synth.storage import storage
from spotq.aws.synth.task import stack_config_json, task_definition


def build(ctx: Context) -> Json:
    resources: Json = {
        **queues(ctx),
        **storage(ctx),
        **iam(ctx),
        **observability(ctx),
        **dashboard(ctx),
        ids.CLUSTER: cluster(ctx),
        ids.SECURITY_GROUP: security_group(ctx),
        ids.TASK_DEFINITION: task_definition(ctx),
        ids.SERVICE: service(ctx),
        **(scaler(ctx) if ctx.engine is ScalingEngine.SPOTQ else autoscaling(ctx)),
    }
    if ctx.target.is_ec2:
        resources.update(capacity(ctx))
    # With an existing queue (the app's `queue` option) every JobQueue reference names it instead.
    resources = point_at_existing_queue(ctx, resources)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"spotq app '{ctx.app}' on {ctx.target.value}: queue-fed workers that scale with "
            "their backlog (synthesized by `spotq synth`)"
        ),
        "Metadata": {
            "spotq": {
                "app": ctx.app,
                "stage": ctx.stage,
                "target": ctx.target.value,
                "scaling_engine": ctx.engine.value,
            }
        },
        "Parameters": parameters(ctx),
        "Conditions": conditions(ctx),
        "Resources": resources,
        "Outputs": point_at_existing_queue(ctx, outputs(ctx)),
    }


def outputs(ctx: Context) -> Json:
    values: dict[str, tuple[str, Json]] = {
        "QueueUrl": ("Job queue URL", ref(ids.QUEUE)),
        "HighPriorityQueueUrl": ("High-priority job queue URL", ref(ids.HIGH_QUEUE)),
        "DeadLetterQueueUrl": ("Dead-letter queue URL", ref(ids.DLQ)),
        "BucketName": ("Blob bucket (inputs and results)", ref(ids.BUCKET)),
        "BlobUrl": ("Blob store URL", sub(f"s3://${{{ids.BUCKET}}}/{ctx.blob_prefix}")),
        "TableName": ("Job table", ref(ids.TABLE)),
        "ClusterName": ("ECS cluster", ref(ids.CLUSTER)),
        "ServiceName": ("ECS service", get_att(ids.SERVICE, "Name")),
        "LogGroupName": ("Worker log group", ref(ids.LOG_GROUP)),
        "StackConfig": ("spotq StackConfig JSON for clients", stack_config_json(ctx)),
    }
    if ctx.engine is ScalingEngine.SPOTQ:
        values["ScalerFunctionName"] = ("spotq's scaler function", ref(ids.SCALER_FUNCTION))
        values["ScalerLogGroupName"] = ("Scaler decision log", ref(ids.SCALER_LOG_GROUP))
    return {
        name: {"Description": description, "Value": value}
        for name, (description, value) in values.items()
    }
