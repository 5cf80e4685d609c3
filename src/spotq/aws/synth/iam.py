"""IAM: the task execution role, the least-privilege task role, and the EC2 instance role."""

from __future__ import annotations

from spotq.aws import dynamo_schema
from spotq.aws.synth import ids
from spotq.aws.synth.app_env import app_policy, model_statements, secret_statements
from spotq.aws.synth.cfn import NO_VALUE, Json, arn, if_, ref, sub
from spotq.aws.synth.context import Context

_ECS_INSTANCE_POLICY = "arn:${AWS::Partition}:iam::aws:policy/service-role/" + (
    "AmazonEC2ContainerServiceforEC2Role"
)

SSM_INSTANCE_POLICY = "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"


def iam(ctx: Context) -> Json:
    resources: Json = {
        ids.EXECUTION_ROLE: _role(
            "ecs-tasks.amazonaws.com",
            "execution",
            [*_execution_statements(), *secret_statements(ctx)],
        ),
        ids.TASK_ROLE: _role("ecs-tasks.amazonaws.com", "task", _task_statements(ctx)),
    }
    resources[ids.TASK_ROLE]["Properties"]["Policies"].extend(app_policy(ctx))
    if ctx.target.is_ec2:
        resources[ids.INSTANCE_ROLE] = _instance_role()
        resources[ids.INSTANCE_PROFILE] = {
            "Type": "AWS::IAM::InstanceProfile",
            "Properties": {"Roles": [ref(ids.INSTANCE_ROLE)]},
        }
    return resources


def _role(service: str, policy_name: str, statements: list[Json]) -> Json:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": _trust(service),
            "Policies": [
                {
                    "PolicyName": policy_name,
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def _trust(service: str) -> Json:
    statement: Json = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if service == "ecs-tasks.amazonaws.com":
        # Only tasks of this account may assume it (confused-deputy guard).
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _execution_statements() -> list[Json]:
    return [
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": arn(ids.LOG_GROUP),
        },
        *image_pull_statements(),
    ]


def image_pull_statements() -> list[Json]:
    """The execution role's ECR access when the image comes from a repository parameter (worker
    and realtime stacks alike)."""
    return [
        # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
        if_(
            ids.C_HAS_REPOSITORY,
            {
                "Sid": "EcrLogin",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            NO_VALUE,
        ),
        if_(
            ids.C_HAS_REPOSITORY,
            {
                "Sid": "PullImage",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": ref(ids.P_REPOSITORY_ARN),
            },
            NO_VALUE,
        ),
    ]


def _task_statements(ctx: Context) -> list[Json]:
    """This app's queues, its prefix of the bucket, the job table, task protection, the model."""
    return [
        *_queue_statements(),
        *_storage_statements(ctx.blob_prefix),
        *_task_extras(),
        *model_statements(ctx),
    ]


def _queue_statements() -> list[Json]:
    return [
        {
            "Sid": "WorkQueues",
            "Effect": "Allow",
            "Action": [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
                "sqs:SendMessage",
            ],
            "Resource": [arn(ids.QUEUE), arn(ids.HIGH_QUEUE)],
        },
        {
            "Sid": "DeadLetterQueue",
            "Effect": "Allow",
            "Action": ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
            "Resource": arn(ids.DLQ),
        },
    ]


def _storage_statements(prefix: str) -> list[Json]:
    return [
        {
            "Sid": "Blobs",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": sub(f"${{{ids.BUCKET}.Arn}}/{prefix}/*"),
        },
        {
            "Sid": "ListBlobs",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": arn(ids.BUCKET),
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}/*"]}},
        },
        {
            "Sid": "JobTable",
            "Effect": "Allow",
            "Action": [
                "dynamodb:ConditionCheckItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ],
            "Resource": [
                arn(ids.TABLE),
                sub(f"${{{ids.TABLE}.Arn}}/index/{dynamo_schema.APP_INDEX}"),
            ],
        },
    ]


def _task_extras() -> list[Json]:
    return [
        {
            # The ECS agent's task-protection endpoint acts with the task role.
            "Sid": "TaskScaleInProtection",
            "Effect": "Allow",
            "Action": ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"],
            "Resource": sub(
                "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/"
                f"${{{ids.CLUSTER}}}/*"
            ),
        },
        if_(
            ids.C_HAS_MODEL,
            {
                "Sid": "ReadModel",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": ref(ids.P_MODEL_ARN),
            },
            NO_VALUE,
        ),
    ]


def _instance_role() -> Json:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": _trust("ec2.amazonaws.com"),
            # The AWS-maintained policy the ECS agent needs to register and poll, and, when the
            # SessionManagerAccess parameter says so, the one the SSM agent needs for shells.
            "ManagedPolicyArns": [
                sub(_ECS_INSTANCE_POLICY),
                if_(ids.C_SSM_ACCESS, sub(SSM_INSTANCE_POLICY), NO_VALUE),
            ],
        },
    }
