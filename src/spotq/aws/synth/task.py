"""The worker task definition: size, GPUs, shared memory, environment, logs, health, shutdown."""

from __future__ import annotations

from spotq.aws.synth import ids
from spotq.aws.synth.app_env import container_secrets
from spotq.aws.synth.cfn import Json, arn, ref, sub
from spotq.aws.synth.context import CONTAINER_NAME, HEALTH_COMMAND, Context, Target
from spotq.aws.synth.sizing import (
    container_cpu_units,
    container_memory_mib,
    fargate_size,
    gpu_count,
    shared_memory_mib,
)
from spotq.naming import task_family
from spotq.stack import StackConfig

SCRATCH_PATH = "/tmp"  # the only writable path: the root filesystem is read-only
_SCRATCH_VOLUME = "scratch"


def task_definition(ctx: Context) -> Json:
    props: Json = {
        "Family": task_family(ctx.app, ctx.stage),
        "ExecutionRoleArn": arn(ids.EXECUTION_ROLE),
        "TaskRoleArn": arn(ids.TASK_ROLE),
        "ContainerDefinitions": [_container(ctx)],
        "Volumes": [{"Name": _SCRATCH_VOLUME}],
    }
    if ctx.target is Target.FARGATE_SPOT:
        size = fargate_size(ctx.options)
        props.update(
            {
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": str(size.cpu_units),
                "Memory": str(size.memory_mib),
                # Fargate Spot runs x86_64 Linux only.
                "RuntimePlatform": {
                    "CpuArchitecture": "X86_64",
                    "OperatingSystemFamily": "LINUX",
                },
            }
        )
    else:
        # bridge: no ENI per task (no per-instance task cap). Containers cannot reach IMDS (hop
        # limit 1): spot interruptions arrive as SIGTERM from the ECS agent's spot draining.
        props.update({"RequiresCompatibilities": ["EC2"], "NetworkMode": "bridge"})
    return {"Type": "AWS::ECS::TaskDefinition", "Properties": props}


def _container(ctx: Context) -> Json:
    container: Json = {
        "Name": CONTAINER_NAME,
        "Image": ref(ids.P_IMAGE),
        "Essential": True,
        "Environment": environment(ctx),
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": {
                "awslogs-group": ref(ids.LOG_GROUP),
                "awslogs-region": ref("AWS::Region"),
                "awslogs-stream-prefix": CONTAINER_NAME,
            },
        },
        # SIGTERM then this long to finish or release the current batch before SIGKILL.
        "StopTimeout": ctx.settings.stop_timeout_s,
        "HealthCheck": {
            "Command": list(HEALTH_COMMAND),
            "Interval": 30,
            "Timeout": 10,
            "Retries": 3,
            # Loading a model can take minutes; failures before then do not count.
            "StartPeriod": 300,
        },
        "ReadonlyRootFilesystem": True,
        "MountPoints": [{"SourceVolume": _SCRATCH_VOLUME, "ContainerPath": SCRATCH_PATH}],
        "LinuxParameters": _linux_parameters(ctx),
    }
    secrets = container_secrets(ctx)
    if secrets:  # references only: ECS reads the values with the execution role at task start
        container["Secrets"] = secrets
    if ctx.target.is_ec2:
        container["Cpu"] = container_cpu_units(ctx.options)
        container["Memory"] = container_memory_mib(ctx.options)
    gpus = gpu_count(ctx.options, ctx.target)
    if gpus:
        container["ResourceRequirements"] = [{"Type": "GPU", "Value": str(gpus)}]
    return container


def _linux_parameters(ctx: Context) -> Json:
    params: Json = {
        # An init process forwards SIGTERM to the worker and reaps its children.
        "InitProcessEnabled": True,
        "Capabilities": {"Drop": ["ALL"]},
    }
    if ctx.target.is_ec2:  # Fargate does not support SharedMemorySize
        params["SharedMemorySize"] = shared_memory_mib(ctx.options)
    return params


def environment(ctx: Context) -> list[Json]:
    """The container's environment: the app's own variables, the stack config the worker runtime
    reads, and scratch paths (spotq.app_env refuses app variables that would override these)."""
    values: dict[str, Json | str] = {
        **ctx.options.environment,
        "SPOTQ_APP": ctx.app,
        "SPOTQ_STACK_CONFIG": stack_config_json(ctx),
        "AWS_REGION": ref("AWS::Region"),
        "AWS_DEFAULT_REGION": ref("AWS::Region"),
        "TMPDIR": SCRATCH_PATH,
        "HOME": f"{SCRATCH_PATH}/home",
        "HF_HUB_OFFLINE": "1",
    }
    return [{"Name": name, "Value": values[name]} for name in sorted(values)]


def stack_config_json(ctx: Context) -> Json:
    """StackConfig as JSON, with the bucket and table names filled in by CloudFormation."""
    placeholders = StackConfig(
        app=ctx.app,
        sqs_endpoint_url=None,
        region="${AWS::Region}",
        blob_url=f"s3://${{{ids.BUCKET}}}/{ctx.blob_prefix}",
        jobs_url=f"dynamodb://${{{ids.TABLE}}}",
        queue_prefix=ctx.stack.queue_prefix,
        manage_queues=False,
        stage=ctx.stage,
        work_queue=ctx.options.queue,
    )
    return sub(placeholders.to_json())
