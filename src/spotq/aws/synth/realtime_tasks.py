"""The tasks of a realtime service: cluster, task definition (`spotq serve` on port 8080 with
its API key from Secrets Manager), the ECS service behind the target group, logs and roles."""

from __future__ import annotations

from spotq.aws.synth import realtime_ids as ids
from spotq.aws.synth.cfn import Json, arn, checkov_skips, log_group, ref, tags
from spotq.aws.synth.iam import image_pull_statements
from spotq.aws.synth.realtime_context import CONTAINER_NAME, CONTAINER_PORT
from spotq.aws.synth.realtime_context import RealtimeContext as Ctx
from spotq.aws.synth.sizing import container_cpu_units, container_memory_mib, fargate_size
from spotq.naming import log_group_name, task_family

_SCRATCH = "/tmp"
# The image's own HEALTHCHECK watches a worker's heartbeat; a server answers /healthz instead.
_HEALTH = (
    "import urllib.request; "
    f"urllib.request.urlopen('http://127.0.0.1:{CONTAINER_PORT}/healthz', timeout=5)"
)


def tasks(ctx: Ctx) -> Json:
    return {
        ids.CLUSTER: _cluster(ctx),
        ids.LOG_GROUP: _log_group(ctx),
        ids.API_KEY: _api_key(ctx),
        ids.EXECUTION_ROLE: _execution_role(),
        ids.TASK_ROLE: _task_role(),
        ids.TASK_DEFINITION: _task_definition(ctx),
        ids.SERVICE: _service(ctx),
    }


def _cluster(ctx: Ctx) -> Json:
    props: Json = {
        "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
        "Tags": tags(ctx.app, ctx.stage, "realtime"),
    }
    if not ctx.is_gpu:
        props["CapacityProviders"] = ["FARGATE"]
    return {"Type": "AWS::ECS::Cluster", "Properties": props}


def _log_group(ctx: Ctx) -> Json:
    return log_group(
        log_group_name(ctx.app, ctx.stage, "serve"),
        "CloudWatch Logs encrypts every log group at rest; a customer managed KMS key "
        "adds cost and key-policy upkeep for server logs that hold no request bodies.",
        "Retention is the LogRetentionDays parameter (30 days by default); server logs "
        "are operational, not an audit trail.",
    )


def _api_key(ctx: Ctx) -> Json:
    """`spotq serve` off loopback requires a key; clients read it from this secret."""
    return {
        "Type": "AWS::SecretsManager::Secret",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_149",
                "Encrypted with the AWS managed key for Secrets Manager; a customer managed key "
                "adds key-policy upkeep without changing who may read the secret (IAM decides).",
            ),
            (
                "CKV2_AWS_57",
                "Rotating the key needs every client to re-read it; rotate by updating the "
                "secret and redeploying the service (a new task reads it at start).",
            ),
        ),
        "Properties": {
            "Description": f"Bearer key clients send to the spotq {ctx.app} service",
            "GenerateSecretString": {"PasswordLength": 40, "ExcludePunctuation": True},
            "Tags": tags(ctx.app, ctx.stage, "api-key"),
        },
    }


def _trust() -> Json:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
            }
        ],
    }


def _execution_role() -> Json:
    statements: list[Json] = [
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": arn(ids.LOG_GROUP),
        },
        {
            "Sid": "ReadApiKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": ref(ids.API_KEY),
        },
        *image_pull_statements(),
    ]
    return _role("execution", statements)


def _task_role() -> Json:
    """The server itself calls no AWS API: a role with no permissions at all."""
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": _trust()},
    }


def _role(name: str, statements: list[Json]) -> Json:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": _trust(),
            "Policies": [
                {
                    "PolicyName": name,
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def _command(ctx: Ctx) -> list[str]:
    return [
        "spotq", "serve", ctx.app_in_image,
        "--host", "0.0.0.0", "--port", str(CONTAINER_PORT),
        "--drain-s", str(ctx.settings.drain_s),
    ]  # fmt: skip


def _container(ctx: Ctx) -> Json:
    container: Json = {
        "Name": CONTAINER_NAME,
        "Image": ref(ids.P_IMAGE),
        "Essential": True,
        "Command": _command(ctx),
        "PortMappings": [{"ContainerPort": CONTAINER_PORT, "Protocol": "tcp"}],
        "Environment": [
            {"Name": "HF_HUB_OFFLINE", "Value": "1"},
            {"Name": "HOME", "Value": f"{_SCRATCH}/home"},
            {"Name": "TMPDIR", "Value": _SCRATCH},
        ],
        "Secrets": [{"Name": "SPOTQ_API_KEY", "ValueFrom": ref(ids.API_KEY)}],
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": {
                "awslogs-group": ref(ids.LOG_GROUP),
                "awslogs-region": ref("AWS::Region"),
                "awslogs-stream-prefix": CONTAINER_NAME,
            },
        },
        # SIGTERM, then the drain (in-flight requests, streams closed 1001), then SIGKILL.
        "StopTimeout": ctx.stop_timeout_s,
        "HealthCheck": {
            "Command": ["CMD", "python", "-c", _HEALTH],
            "Interval": 30,
            "Timeout": 10,
            "Retries": 3,
            "StartPeriod": 300,
        },
        "ReadonlyRootFilesystem": True,
        "MountPoints": [{"SourceVolume": "scratch", "ContainerPath": _SCRATCH}],
        "LinuxParameters": {"InitProcessEnabled": True, "Capabilities": {"Drop": ["ALL"]}},
    }
    if ctx.is_gpu:
        container["Cpu"] = container_cpu_units(ctx.options)
        container["Memory"] = container_memory_mib(ctx.options)
        gpus = max(1, ctx.options.gpus)  # whole GPUs per task
        container["ResourceRequirements"] = [{"Type": "GPU", "Value": str(gpus)}]
    return container


def _task_definition(ctx: Ctx) -> Json:
    props: Json = {
        "Family": task_family(ctx.app, ctx.stage, "serve"),
        "ExecutionRoleArn": arn(ids.EXECUTION_ROLE),
        "TaskRoleArn": arn(ids.TASK_ROLE),
        "NetworkMode": "awsvpc",  # one ENI per task: the target group registers task IPs
        "ContainerDefinitions": [_container(ctx)],
        "Volumes": [{"Name": "scratch"}],
    }
    if ctx.is_gpu:
        props["RequiresCompatibilities"] = ["EC2"]
    else:
        size = fargate_size(ctx.options)
        props.update(
            {
                "RequiresCompatibilities": ["FARGATE"],
                "Cpu": str(size.cpu_units),
                "Memory": str(size.memory_mib),
                "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
            }
        )
    return {"Type": "AWS::ECS::TaskDefinition", "Properties": props}


def _service(ctx: Ctx) -> Json:
    props: Json = {
        "Cluster": ref(ids.CLUSTER),
        "TaskDefinition": ref(ids.TASK_DEFINITION),
        "DesiredCount": ref(ids.P_MIN_TASKS),
        "HealthCheckGracePeriodSeconds": 300,  # loading a model takes a while
        "LoadBalancers": [
            {
                "ContainerName": CONTAINER_NAME,
                "ContainerPort": CONTAINER_PORT,
                "TargetGroupArn": ref(ids.TARGET_GROUP),
            }
        ],
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "SecurityGroups": [{"Fn::GetAtt": [ids.TASK_SG, "GroupId"]}],
                "Subnets": ref(ids.P_TASK_SUBNETS),
            }
        },
        "DeploymentConfiguration": {
            "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
            "MaximumPercent": 200,
            "MinimumHealthyPercent": 100,
        },
        "EnableECSManagedTags": True,
        "PropagateTags": "SERVICE",
        "Tags": tags(ctx.app, ctx.stage, "realtime"),
    }
    depends_on = [ids.HTTPS_LISTENER]  # the target group must belong to a load balancer first
    if ctx.is_gpu:
        props["CapacityProviderStrategy"] = [
            {"CapacityProvider": ref(ids.CAPACITY_PROVIDER), "Weight": 1, "Base": 0}
        ]
        props["PlacementStrategies"] = [
            {"Type": "spread", "Field": "attribute:ecs.availability-zone"},
            {"Type": "binpack", "Field": "memory"},
        ]
        depends_on.append(ids.CAPACITY_ASSOCIATION)
    else:
        props["LaunchType"] = "FARGATE"
        props["PlatformVersion"] = "LATEST"
    return {"Type": "AWS::ECS::Service", "DependsOn": depends_on, "Properties": props}
