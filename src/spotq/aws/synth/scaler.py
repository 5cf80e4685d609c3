"""spotq's scaler on AWS (the default scaling engine): a Lambda function that EventBridge
Scheduler starts every minute, which ticks every `interval_s` within the minute and runs the
spotq-default policy on SQS and ECS readings (spotq.aws.scaler).

Its code is spotq's own modules, zipped by `spotq deploy` (spotq.aws.scaler.package) and uploaded
to the ScalerCodeBucket/ScalerCodeKey parameters. Its role reads the two work queues, describes
and updates this app's service, keeps its state in one job-table item and counts this app's
submissions in the table's by_app index; nothing else.
"""

from __future__ import annotations

import json

from spotq.aws import dynamo_schema
from spotq.aws.scaler import package
from spotq.aws.scaler.config import ENV_VAR
from spotq.aws.synth import ids
from spotq.aws.synth.cfn import Json, arn, checkov_skips, log_group, ref, sub
from spotq.aws.synth.context import Context
from spotq.aws.synth.observability import alarm_actions
from spotq.naming import log_group_name

MEMORY_MB = 128  # the function only waits on four small API calls per tick
TIMEOUT_S = 60  # one scheduled minute; the loop stops ticking early enough to save its state
_MAX_WORKERS_SLOT = "__MAX_WORKERS__"


def scaler(ctx: Context) -> Json:
    return {
        ids.SCALER_LOG_GROUP: _log_group(ctx),
        ids.SCALER_ROLE: _role(ctx),
        ids.SCALER_FUNCTION: _function(ctx),
        ids.SCALER_SCHEDULE_ROLE: _schedule_role(),
        ids.SCALER_SCHEDULE: _schedule(ctx),
        ids.SCALER_ALARM: _errors_alarm(),
    }


def config_json(ctx: Context) -> Json:
    """The scaler's configuration (spotq.aws.scaler.config) with the stack's names filled in."""
    document = {
        "app": ctx.app,
        "queue_urls": [f"${{{ids.QUEUE}}}", f"${{{ids.HIGH_QUEUE}}}"],
        "cluster": f"${{{ids.CLUSTER}}}",
        "service": f"${{{ids.SERVICE}.Name}}",
        "table": f"${{{ids.TABLE}}}",
        "max_workers": _MAX_WORKERS_SLOT,
        "policy_params": dict(ctx.scaling.policy),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return sub(text.replace(f'"{_MAX_WORKERS_SLOT}"', f"${{{ids.P_MAX_WORKERS}}}"))


def _log_group(ctx: Context) -> Json:
    return log_group(
        log_group_name(ctx.app, ctx.stage, "scaler"),
        "CloudWatch Logs encrypts every log group at rest; the scaler's decision lines "
        "hold queue counts only, not worth a customer managed KMS key.",
        "Retention is the LogRetentionDays parameter; decision logs are operational.",
    )


def _role(ctx: Context) -> Json:
    table_arn = arn(ids.TABLE)
    statements: list[Json] = [
        {
            "Sid": "ReadQueueDepth",
            "Effect": "Allow",
            "Action": "sqs:GetQueueAttributes",
            "Resource": [arn(ids.QUEUE), arn(ids.HIGH_QUEUE)],
        },
        {
            "Sid": "ScaleService",
            "Effect": "Allow",
            "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
            "Resource": ref(ids.SERVICE),
        },
        {
            "Sid": "KeepState",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Resource": table_arn,
            "Condition": {
                "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [f"scaler#{ctx.app}"]}
            },
        },
        {
            "Sid": "CountSubmissions",
            "Effect": "Allow",
            "Action": "dynamodb:Query",
            "Resource": sub(f"${{{ids.TABLE}.Arn}}/index/{dynamo_schema.APP_INDEX}"),
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [ctx.app]}},
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": arn(ids.SCALER_LOG_GROUP),
        },
    ]
    return _service_role("lambda.amazonaws.com", "scaler", statements)


def _service_role(service: str, name: str, statements: list[Json]) -> Json:
    trust: Json = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if service == "scheduler.amazonaws.com":
        # Scheduler documents this confused-deputy guard for its execution role; a Lambda
        # execution role's trust takes no such condition.
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "Policies": [
                {
                    "PolicyName": name,
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def _function(ctx: Context) -> Json:
    return {
        "Type": "AWS::Lambda::Function",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_116",
                "Invoked by a one-minute schedule with no retries: a failed invocation is "
                "replaced by the next minute's, and there is no event to keep in a DLQ.",
            ),
            (
                "CKV_AWS_117",
                "It calls only the SQS, ECS and DynamoDB APIs; outside a VPC it needs no NAT "
                "gateway or endpoints, and it accepts no inbound traffic.",
            ),
            (
                "CKV_AWS_173",
                "Its one environment variable holds resource names and policy numbers, no "
                "secret; Lambda encrypts it at rest with an AWS managed key.",
            ),
        ),
        "Properties": {
            "Description": f"spotq scaler for {ctx.app}: spotq-default policy on SQS + ECS",
            "Runtime": package.RUNTIME,
            "Architectures": ["arm64"],
            "Handler": package.HANDLER,
            "MemorySize": MEMORY_MB,
            "Timeout": TIMEOUT_S,
            # One scaler at a time: an invocation that overran never races the next one.
            "ReservedConcurrentExecutions": 1,
            "Code": {"S3Bucket": ref(ids.P_SCALER_BUCKET), "S3Key": ref(ids.P_SCALER_KEY)},
            "Role": arn(ids.SCALER_ROLE),
            "Environment": {"Variables": {ENV_VAR: config_json(ctx)}},
            "LoggingConfig": {"LogGroup": ref(ids.SCALER_LOG_GROUP), "LogFormat": "Text"},
            "Tags": [{"Key": "spotq:app", "Value": ctx.app}],
        },
    }


def _schedule_role() -> Json:
    statement: Json = {
        "Sid": "InvokeScaler",
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Resource": arn(ids.SCALER_FUNCTION),
    }
    return _service_role("scheduler.amazonaws.com", "invoke-scaler", [statement])


def _schedule(ctx: Context) -> Json:
    return {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "Description": f"Run spotq's scaler for {ctx.app} every minute",
            "ScheduleExpression": "rate(1 minute)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {
                "Arn": arn(ids.SCALER_FUNCTION),
                "RoleArn": arn(ids.SCALER_SCHEDULE_ROLE),
                # A late retry would overlap the next minute's run; skip it instead.
                "RetryPolicy": {"MaximumRetryAttempts": 0},
            },
        },
    }


def _errors_alarm() -> Json:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "spotq's scaler failed five minutes in a row: the worker count "
            "is not being managed (see its log group).",
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": ref(ids.SCALER_FUNCTION)}],
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 5,
            "DatapointsToAlarm": 5,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1,
            "TreatMissingData": "notBreaching",
            "AlarmActions": alarm_actions(),
            "OKActions": alarm_actions(),
        },
    }
