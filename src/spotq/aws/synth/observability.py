"""Worker logs and the alarms a queue-fed service needs: dead letters and stuck jobs."""

from __future__ import annotations

from spotq.aws.synth import ids
from spotq.aws.synth.cfn import NO_VALUE, Json, get_att, if_, log_group, ref
from spotq.aws.synth.context import Context


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
        ids.AGE_ALARM: _queue_alarm(
            ids.QUEUE,
            "ApproximateAgeOfOldestMessage",
            "The oldest queued job has waited too long: workers are not keeping up or not "
            "starting.",
            "GreaterThanThreshold",
            ref(ids.P_AGE_ALARM_S),
        ),
    }


def _log_group(ctx: Context) -> Json:
    return log_group(
        f"/spotq/{ctx.app}/worker",
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
