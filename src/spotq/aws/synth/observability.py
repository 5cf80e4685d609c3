"""Worker logs and the alarms a queue-fed service needs: dead letters and stuck jobs."""

from __future__ import annotations

from spotq.aws.synth import ids
from spotq.aws.synth.cfn import NO_VALUE, Json, get_att, if_, log_group, ref
from spotq.aws.synth.context import Context
from spotq.naming import log_group_name


def observability(ctx: Context) -> Json:
    return {
        ids.LOG_GROUP: _log_group(ctx),
        ids.DLQ_ALARM: _queue_alarm(
            ids.DLQ,
            "ApproximateNumberOfMessagesVisible",
            "Jobs failed max_receives times and are in the dead-letter queue "
            f"(inspect with `spotq dlq {ctx.app}`).",
            "GreaterThanThreshold",
            0,
        ),
        ids.AGE_ALARM: _oldest_message_alarm(),
    }


def _oldest_message_alarm() -> Json:
    """The older of the two work queues' oldest jobs: a stuck high-priority queue alarms too."""
    metrics: list[Json] = [
        {
            "Id": metric_id,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SQS",
                    "MetricName": "ApproximateAgeOfOldestMessage",
                    "Dimensions": [{"Name": "QueueName", "Value": get_att(queue, "QueueName")}],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for metric_id, queue in (("normal", ids.QUEUE), ("high", ids.HIGH_QUEUE))
    ]
    metrics.append(
        {
            "Id": "oldest",
            "Label": "Age of the oldest job in either work queue (s)",
            "Expression": "MAX([normal, high])",
            "ReturnData": True,
        }
    )
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "The oldest queued job (normal or high priority) has waited too "
            "long: workers are not keeping up or not starting.",
            "Metrics": metrics,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": ref(ids.P_AGE_ALARM_S),
            "TreatMissingData": "notBreaching",
            "AlarmActions": alarm_actions(),
            "OKActions": alarm_actions(),
        },
    }


def _log_group(ctx: Context) -> Json:
    return log_group(
        log_group_name(ctx.app, ctx.stage, "worker"),
        "CloudWatch Logs encrypts every log group at rest; a customer managed KMS key "
        "adds cost and key-policy upkeep for worker logs that hold no job payloads.",
        "Retention is the LogRetentionDays parameter (30 days by default, any value "
        "up to 10 years); worker logs are operational, not an audit trail.",
    )


def _queue_alarm(
    queue: str, metric: str, description: str, operator: str, threshold: Json | int
) -> Json:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": "AWS/SQS",
            "MetricName": metric,
            "Dimensions": [{"Name": "QueueName", "Value": get_att(queue, "QueueName")}],
            "Statistic": "Maximum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "ComparisonOperator": operator,
            "Threshold": threshold,
            "TreatMissingData": "notBreaching",
            "AlarmActions": alarm_actions(),
            "OKActions": alarm_actions(),
        },
    }


def alarm_actions() -> Json:
    return if_(ids.C_HAS_ALARM_TOPIC, [ref(ids.P_ALARM_TOPIC)], NO_VALUE)
