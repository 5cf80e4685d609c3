"""Scaling and alarms of a realtime service: target tracking on ALBRequestCountPerTarget from the
app's rps_per_task (per minute, with headroom), alarms on 5xx and p95 target response time."""

from __future__ import annotations

from spotq.aws.synth import realtime_ids as ids
from spotq.aws.synth.cfn import NO_VALUE, Json, get_att, if_, ref, sub
from spotq.aws.synth.realtime_context import RealtimeContext as Ctx

_SCALE_OUT_COOLDOWN_S = 60
_SCALE_IN_COOLDOWN_S = 300  # scale in slowly: a removed task drains its streams


def scaling(ctx: Ctx) -> Json:
    return {
        ids.SCALABLE_TARGET: {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "MinCapacity": ref(ids.P_MIN_TASKS),
                "MaxCapacity": ref(ids.P_MAX_TASKS),
                "ResourceId": sub(f"service/${{{ids.CLUSTER}}}/${{{ids.SERVICE}.Name}}"),
                "ScalableDimension": "ecs:service:DesiredCount",
                "ServiceNamespace": "ecs",
            },
        },
        ids.TRACKING_POLICY: {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Properties": {
                "PolicyName": f"spotq-{ctx.app}-requests-per-task",
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": ref(ids.SCALABLE_TARGET),
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": ref(ids.P_REQUESTS_PER_TARGET),
                    "ScaleOutCooldown": _SCALE_OUT_COOLDOWN_S,
                    "ScaleInCooldown": _SCALE_IN_COOLDOWN_S,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "ALBRequestCountPerTarget",
                        "ResourceLabel": {
                            "Fn::Join": [
                                "/",
                                [
                                    get_att(ids.ALB, "LoadBalancerFullName"),
                                    get_att(ids.TARGET_GROUP, "TargetGroupFullName"),
                                ],
                            ]
                        },
                    },
                },
            },
        },
        ids.ALARM_5XX: _alarm(
            "The service answered 5xx (503s are load shedding: it needs more tasks or a "
            "larger latency budget).",
            "HTTPCode_Target_5XX_Count",
            {"Statistic": "Sum"},
            ref(ids.P_5XX_ALARM),
            with_target_group=True,
        ),
        ids.ALARM_ELB_5XX: _alarm(
            "The load balancer answered 5xx itself (no healthy task, or tasks not answering).",
            "HTTPCode_ELB_5XX_Count",
            {"Statistic": "Sum"},
            ref(ids.P_5XX_ALARM),
            with_target_group=False,
        ),
        ids.ALARM_P95: _alarm(
            "p95 target response time is over the latency budget.",
            "TargetResponseTime",
            {"ExtendedStatistic": "p95"},
            ref(ids.P_LATENCY_ALARM_S),
            with_target_group=True,
        ),
    }


def _alarm(
    description: str, metric: str, statistic: Json, threshold: Json, with_target_group: bool
) -> Json:
    dimensions = [{"Name": "LoadBalancer", "Value": get_att(ids.ALB, "LoadBalancerFullName")}]
    if with_target_group:
        dimensions.append(
            {"Name": "TargetGroup", "Value": get_att(ids.TARGET_GROUP, "TargetGroupFullName")}
        )
    actions = if_(ids.C_HAS_ALARM_TOPIC, [ref(ids.P_ALARM_TOPIC)], NO_VALUE)
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": "AWS/ApplicationELB",
            "MetricName": metric,
            "Dimensions": dimensions,
            **statistic,
            "Period": 60,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": threshold,
            "TreatMissingData": "notBreaching",
            "AlarmActions": actions,
            "OKActions": actions,
        },
    }
