"""Log groups, alarms, dashboards, Application Auto Scaling targets and policies."""

from __future__ import annotations

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block, Raw, Value
from spotq.aws.terraform.resource import Mapping, Props, Resource, one_block, sub_blocks, tags


def _log_group(r: Resource) -> list[Block]:
    block, p = r.block("aws_cloudwatch_log_group"), r.props
    p.attrs(
        block,
        {
            "LogGroupName": "name",
            "RetentionInDays": "retention_in_days",
            "KmsKeyId": "kms_key_id",
            "LogGroupClass": "log_group_class",
        },
    )
    block.set("tags", tags(p))
    p.done()
    return [block]


def dimensions(p: Props, key: str = "Dimensions") -> Value:
    """CFN's [{Name, Value}] list → Terraform's dimensions map."""
    out: dict[str, Value] = {}
    for condition, dimension in p.items(key):
        name = dimension.raw("Name")
        if condition is not None or not isinstance(name, str):
            raise TerraformExportError(f"{dimension.where}: expected a plain, named dimension")
        out[name] = dimension.value("Value")
        dimension.done()
    return out or None


def _alarm(r: Resource) -> list[Block]:
    block, p = r.block("aws_cloudwatch_metric_alarm"), r.props
    block.set("alarm_name", p.value("AlarmName") or r.generated_name())
    p.attrs(block, _ALARM_ATTRS)
    block.set("dimensions", dimensions(p))
    sub_blocks(block, "metric_query", p.items("Metrics"), _metric_query)
    p.done()
    return [block]


_ALARM_ATTRS = {
    "AlarmDescription": "alarm_description",
    "ActionsEnabled": "actions_enabled",
    "AlarmActions": "alarm_actions",
    "OKActions": "ok_actions",
    "InsufficientDataActions": "insufficient_data_actions",
    "ComparisonOperator": "comparison_operator",
    "DatapointsToAlarm": "datapoints_to_alarm",
    "EvaluationPeriods": "evaluation_periods",
    "MetricName": "metric_name",
    "Namespace": "namespace",
    "Period": "period",
    "Statistic": "statistic",
    "ExtendedStatistic": "extended_statistic",
    "Threshold": "threshold",
    "TreatMissingData": "treat_missing_data",
    "Unit": "unit",
}


def _metric_query(block: Block, p: Props) -> None:
    p.attrs(
        block,
        {
            "Id": "id",
            "Expression": "expression",
            "Label": "label",
            "ReturnData": "return_data",
            "Period": "period",
        },
    )
    if (stat := p.nested("MetricStat")) is not None:
        metric = block.add(Block("metric"))
        stat.attrs(metric, {"Period": "period", "Stat": "stat", "Unit": "unit"})
        if (inner := stat.nested("Metric")) is not None:
            inner.attrs(metric, {"MetricName": "metric_name", "Namespace": "namespace"})
            metric.set("dimensions", dimensions(inner))
            inner.done()
        stat.done()


def _dashboard(r: Resource) -> list[Block]:
    block, p = r.block("aws_cloudwatch_dashboard"), r.props
    block.set("dashboard_name", p.value("DashboardName") or r.generated_name())
    p.attrs(block, {"DashboardBody": "dashboard_body"})
    p.done()
    return [block]


def _scalable_target(r: Resource) -> list[Block]:
    block, p = r.block("aws_appautoscaling_target"), r.props
    p.attrs(
        block,
        {
            "MaxCapacity": "max_capacity",
            "MinCapacity": "min_capacity",
            "ResourceId": "resource_id",
            "ScalableDimension": "scalable_dimension",
            "ServiceNamespace": "service_namespace",
            "RoleARN": "role_arn",
        },
    )
    p.done()
    return [block]


def _scaling_policy(r: Resource) -> list[Block]:
    block, p = r.block("aws_appautoscaling_policy"), r.props
    block.set("name", p.value("PolicyName") or r.generated_name())
    p.attrs(block, {"PolicyType": "policy_type"})
    target = p.raw("ScalingTargetId")
    if not (isinstance(target, dict) and list(target) == ["Ref"]):
        raise TerraformExportError(f"{p.where}.ScalingTargetId: expected a Ref to a target")
    # CFN names the target by its Ref; Terraform repeats the target's three keys.
    for attribute in ("resource_id", "scalable_dimension", "service_namespace"):
        block.set(attribute, Raw(r.scope.attribute(str(target["Ref"]), attribute)))
    if (step := p.nested("StepScalingPolicyConfiguration")) is not None:
        _step_scaling(block.add(Block("step_scaling_policy_configuration")), step)
    if (tracking := p.nested("TargetTrackingScalingPolicyConfiguration")) is not None:
        _target_tracking(block.add(Block("target_tracking_scaling_policy_configuration")), tracking)
    p.done()
    return [block]


def _step_scaling(block: Block, p: Props) -> None:
    p.attrs(
        block,
        {
            "AdjustmentType": "adjustment_type",
            "Cooldown": "cooldown",
            "MetricAggregationType": "metric_aggregation_type",
            "MinAdjustmentMagnitude": "min_adjustment_magnitude",
        },
    )
    sub_blocks(block, "step_adjustment", p.items("StepAdjustments"), _step)
    p.done()


def _step(block: Block, p: Props) -> None:
    p.attrs(
        block,
        {
            "MetricIntervalLowerBound": "metric_interval_lower_bound",
            "MetricIntervalUpperBound": "metric_interval_upper_bound",
            "ScalingAdjustment": "scaling_adjustment",
        },
    )


def _target_tracking(block: Block, p: Props) -> None:
    p.attrs(
        block,
        {
            "TargetValue": "target_value",
            "ScaleInCooldown": "scale_in_cooldown",
            "ScaleOutCooldown": "scale_out_cooldown",
            "DisableScaleIn": "disable_scale_in",
        },
    )
    one_block(
        block,
        "predefined_metric_specification",
        p.nested("PredefinedMetricSpecification"),
        {"PredefinedMetricType": "predefined_metric_type", "ResourceLabel": "resource_label"},
    )
    if (custom := p.nested("CustomizedMetricSpecification")) is not None:
        spec = block.add(Block("customized_metric_specification"))
        custom.attrs(
            spec,
            {"MetricName": "metric_name", "Namespace": "namespace", "Statistic": "statistic",
             "Unit": "unit"},
        )  # fmt: skip
        sub_blocks(spec, "dimensions", custom.items("Dimensions"), _dimension_block)
        sub_blocks(spec, "metrics", custom.items("Metrics"), _tracking_metric)
        custom.done()
    p.done()


def _dimension_block(block: Block, p: Props) -> None:
    p.attrs(block, {"Name": "name", "Value": "value"})


def _tracking_metric(block: Block, p: Props) -> None:
    p.attrs(
        block,
        {"Id": "id", "Expression": "expression", "Label": "label", "ReturnData": "return_data"},
    )
    if (stat := p.nested("MetricStat")) is not None:
        out = block.add(Block("metric_stat"))
        stat.attrs(out, {"Stat": "stat", "Unit": "unit"})
        if (metric := stat.nested("Metric")) is not None:
            inner = out.add(Block("metric"))
            metric.attrs(inner, {"MetricName": "metric_name", "Namespace": "namespace"})
            sub_blocks(inner, "dimensions", metric.items("Dimensions"), _dimension_block)
            metric.done()
        stat.done()


MAPPINGS = {
    "AWS::Logs::LogGroup": Mapping(
        "aws_cloudwatch_log_group", "name", {"Arn": ("arn", ":*")}, _log_group
    ),
    "AWS::CloudWatch::Alarm": Mapping(
        "aws_cloudwatch_metric_alarm", "alarm_name", {"Arn": "arn"}, _alarm
    ),
    "AWS::CloudWatch::Dashboard": Mapping(
        "aws_cloudwatch_dashboard", "dashboard_name", {}, _dashboard
    ),
    "AWS::ApplicationAutoScaling::ScalableTarget": Mapping(
        "aws_appautoscaling_target", "id", {}, _scalable_target
    ),
    "AWS::ApplicationAutoScaling::ScalingPolicy": Mapping(
        "aws_appautoscaling_policy", "arn", {"Arn": "arn"}, _scaling_policy
    ),
}
