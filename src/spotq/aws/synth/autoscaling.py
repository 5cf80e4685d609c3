"""Service auto scaling: a step policy for 0→1 and target tracking on backlog per task for 1..N.

Target tracking multiplies the current count by metric/target, so from zero tasks it can never
start one; the step policy fires only while the service wants zero tasks and messages wait. The
backlog counts visible and in-flight messages of both work queues (the spotq-default policy's
backlog), so busy tasks are not scaled away; RunningTaskCount comes from Container Insights.
"""

from __future__ import annotations

from spotq.aws.synth import ids
from spotq.aws.synth.cfn import Json, get_att, ref, sub
from spotq.aws.synth.context import Context

_PERIOD_S = 60
_SQS = "AWS/SQS"
_INSIGHTS = "ECS/ContainerInsights"


def autoscaling(ctx: Context) -> Json:
    return {
        ids.SCALABLE_TARGET: {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "MinCapacity": ctx.scaling.min_workers,
                "MaxCapacity": ref(ids.P_MAX_WORKERS),
                "ResourceId": sub(f"service/${{{ids.CLUSTER}}}/${{{ids.SERVICE}.Name}}"),
                "ScalableDimension": "ecs:service:DesiredCount",
                "ServiceNamespace": "ecs",
            },
        },
        ids.STEP_POLICY: _step_policy(ctx),
        ids.STEP_ALARM: _step_alarm(),
        ids.TRACKING_POLICY: _tracking_policy(ctx),
    }


def _step_policy(ctx: Context) -> Json:
    return {
        "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
        "Properties": {
            "PolicyName": f"spotq-{ctx.app}-scale-from-zero",
            "PolicyType": "StepScaling",
            "ScalingTargetId": ref(ids.SCALABLE_TARGET),
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ExactCapacity",
                "Cooldown": ctx.scaling.scale_out_cooldown_s,
                "MetricAggregationType": "Maximum",
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
            },
        },
    }


def _queue_metric(metric_id: str, queue: str, name: str) -> Json:
    return {
        "Id": metric_id,
        "ReturnData": False,
        "MetricStat": {
            "Metric": {
                "Namespace": _SQS,
                "MetricName": name,
                "Dimensions": [{"Name": "QueueName", "Value": get_att(queue, "QueueName")}],
            },
            "Stat": "Maximum",
            "Period": _PERIOD_S,
        },
    }


def _service_metric(metric_id: str, name: str) -> Json:
    return {
        "Id": metric_id,
        "ReturnData": False,
        "MetricStat": {
            "Metric": {
                "Namespace": _INSIGHTS,
                "MetricName": name,
                "Dimensions": [
                    {"Name": "ClusterName", "Value": ref(ids.CLUSTER)},
                    {"Name": "ServiceName", "Value": get_att(ids.SERVICE, "Name")},
                ],
            },
            "Stat": "Maximum",
            "Period": _PERIOD_S,
        },
    }


def _step_alarm() -> Json:
    visible = "FILL(visible, 0) + FILL(visible_high, 0)"
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "Jobs are waiting and the service wants no tasks: start one.",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "TreatMissingData": "notBreaching",
            "AlarmActions": [ref(ids.STEP_POLICY)],
            "Metrics": [
                _queue_metric("visible", ids.QUEUE, "ApproximateNumberOfMessagesVisible"),
                _queue_metric("visible_high", ids.HIGH_QUEUE, "ApproximateNumberOfMessagesVisible"),
                _service_metric("desired", "DesiredTaskCount"),
                {
                    "Id": "start",
                    "Label": "waiting jobs with no task wanted",
                    "Expression": f"IF(({visible}) >= 1 AND FILL(desired, 0) == 0, 1, 0)",
                    "ReturnData": True,
                },
            ],
        },
    }


def _tracking_metrics() -> list[Json]:
    backlog = " + ".join(
        f"FILL({name}, 0)" for name in ("visible", "in_flight", "visible_high", "in_flight_high")
    )
    return [
        _queue_metric_tt("visible", ids.QUEUE, "ApproximateNumberOfMessagesVisible"),
        _queue_metric_tt("in_flight", ids.QUEUE, "ApproximateNumberOfMessagesNotVisible"),
        _queue_metric_tt("visible_high", ids.HIGH_QUEUE, "ApproximateNumberOfMessagesVisible"),
        _queue_metric_tt("in_flight_high", ids.HIGH_QUEUE, "ApproximateNumberOfMessagesNotVisible"),
        _service_metric_tt("running", "RunningTaskCount"),
        {"Id": "backlog", "Expression": backlog, "ReturnData": False},
        {
            "Id": "backlog_per_task",
            "Label": "backlog per running task",
            # No running task: report the whole backlog instead of dividing by zero.
            "Expression": "IF(FILL(running, 0) > 0, backlog / FILL(running, 0), backlog)",
            "ReturnData": True,
        },
    ]


def _queue_metric_tt(metric_id: str, queue: str, name: str) -> Json:
    metric = _queue_metric(metric_id, queue, name)
    stat = metric["MetricStat"]
    del stat["Period"]  # target tracking queries use the policy's own one-minute period
    stat["Stat"] = "Average"
    return metric


def _service_metric_tt(metric_id: str, name: str) -> Json:
    metric = _service_metric(metric_id, name)
    stat = metric["MetricStat"]
    del stat["Period"]
    stat["Stat"] = "Average"
    return metric


def _tracking_policy(ctx: Context) -> Json:
    return {
        "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
        "Properties": {
            "PolicyName": f"spotq-{ctx.app}-backlog-per-task",
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": ref(ids.SCALABLE_TARGET),
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": ctx.scaling.target_backlog_per_worker,
                "ScaleOutCooldown": ctx.scaling.scale_out_cooldown_s,
                "ScaleInCooldown": ctx.scaling.scale_in_cooldown_s,
                "CustomizedMetricSpecification": {"Metrics": _tracking_metrics()},
            },
        },
    }
