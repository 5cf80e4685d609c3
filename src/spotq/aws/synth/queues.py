"""The job queue, the high-priority queue and their dead-letter queue."""

from __future__ import annotations

from spotq.aws.synth import ids
from spotq.aws.synth.app_env import creates_work_queue
from spotq.aws.synth.cfn import Json, arn, checkov_skips
from spotq.aws.synth.context import Context

_RETENTION_S = 4 * 24 * 3600  # SQS's default; a job waiting longer than this is lost
_DLQ_RETENTION_S = 14 * 24 * 3600  # the maximum: time to inspect and redrive dead jobs
_LONG_POLL_S = 20


def queues(ctx: Context) -> Json:
    """The DLQ, the work queue (unless the app consumes an existing one) and the high queue."""
    resources = {
        ids.DLQ: _queue(
            ctx.stack.dlq_name,
            {"MessageRetentionPeriod": _DLQ_RETENTION_S},
        ),
        ids.QUEUE: _queue(ctx.stack.queue_name, _work_queue_properties(ctx)),
        ids.HIGH_QUEUE: _queue(ctx.stack.high_queue_name, _work_queue_properties(ctx)),
    }
    if not creates_work_queue(ctx):
        del resources[ids.QUEUE]
    return resources


def _work_queue_properties(ctx: Context) -> Json:
    return {
        "MessageRetentionPeriod": _RETENTION_S,
        "ReceiveMessageWaitTimeSeconds": _LONG_POLL_S,
        "VisibilityTimeout": ctx.options.visibility_timeout_s,
        "RedrivePolicy": {
            "deadLetterTargetArn": arn(ids.DLQ),
            "maxReceiveCount": ctx.options.max_receives,
        },
    }


def _queue(name: str, properties: Json) -> Json:
    return {
        "Type": "AWS::SQS::Queue",
        # Queues hold in-flight work only; results live in the bucket and the table.
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_27",
                "Encrypted at rest with SSE-SQS (SqsManagedSseEnabled), which checkov does not "
                "recognise; SSE-KMS would add KMS calls and cost to every receive.",
            ),
        ),
        "Properties": {"QueueName": name, "SqsManagedSseEnabled": True, **properties},
    }
