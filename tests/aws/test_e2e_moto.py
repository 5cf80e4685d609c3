"""End to end in AWS mode on moto server: deploy the synthesized template with CloudFormation, run
the job API (uvicorn) and a `spotq worker` subprocess configured exactly as the deployed task
definition configures the container (plus moto's endpoint, a fake ECS agent and a fake IMDS),
submit jobs through the API, then find results in S3 and states in DynamoDB. Finally a Spot
interruption notice drains the worker."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spotq.api.app import create_app
from spotq.api.client import JobsClient
from spotq.api.settings import ApiSettings
from spotq.app import load_app
from spotq.aws.dynamo_schema import job_pk
from spotq.aws.session import AwsConfig, make_client
from spotq.aws.synth import Target, synth
from spotq.fleet.apiserver import ApiServer
from spotq.stack import StackConfig

from .fakes import AgentState, ImdsState, fake_ecs_agent, fake_imds

APP_SOURCE = """
import spotq

app = spotq.App({name!r}, batch_size=2, visibility_timeout_s=30)


@app.handler
def handle(model, jobs):
    return [{{"upper": job.input["text"].upper()}} for job in jobs]
"""


@dataclasses.dataclass
class Deployed:
    stack: StackConfig  # as the task definition gives it to the container, SQS pointed at moto
    outputs: dict[str, str]
    container_env: dict[str, str]
    health_command: list[str]


def deploy(aws: AwsConfig, moto_url: str, app_file: Path, target: Target) -> Deployed:
    template = synth(load_app(str(app_file)), target, for_emulator=True)
    ec2 = make_client("ec2", aws)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    cfn = make_client("cloudformation", aws)
    name = f"spotq-e2e-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": "VpcId", "ParameterValue": vpc},
            {"ParameterKey": "SubnetIds", "ParameterValue": ",".join(subnets)},
            {"ParameterKey": "ContainerImage", "ParameterValue": "example.invalid/worker:1"},
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    ecs = make_client("ecs", aws)
    service = ecs.describe_services(
        cluster=outputs["ClusterName"], services=[outputs["ServiceName"]]
    )["services"][0]
    task_def = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    container = task_def["taskDefinition"]["containerDefinitions"][0]
    env = {item["name"]: item["value"] for item in container["environment"]}
    stack = StackConfig.from_json(env["SPOTQ_STACK_CONFIG"])
    return Deployed(
        stack=dataclasses.replace(stack, sqs_endpoint_url=moto_url),
        outputs=outputs,
        container_env=env,
        health_command=container["healthCheck"]["command"],
    )


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "e2e_app.py"
    path.write_text(textwrap.dedent(APP_SOURCE.format(name=f"e2e-{uuid.uuid4().hex[:8]}")))
    return path


@pytest.fixture
def api(tmp_path: Path) -> Iterator[list[ApiServer]]:
    servers: list[ApiServer] = []
    yield servers
    for server in servers:
        server.stop()


def start_worker(
    app_file: Path, deployed: Deployed, extra_env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    env = {**os.environ, **deployed.container_env, **extra_env}
    # What the task definition sets, but with SQS at moto (the container would use AWS's own).
    env["SPOTQ_STACK_CONFIG"] = deployed.stack.to_json()
    args = [sys.executable, "-m", "spotq.cli", "worker", str(app_file), "--poll-wait-s", "1"]
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [*args, "--grace-s", "5"], env=env, stderr=log, stdout=subprocess.DEVNULL
        )


def events(log_path: Path) -> list[dict[str, Any]]:
    found = []
    for line in log_path.read_text().splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def run_health(deployed: Deployed, env: dict[str, str]) -> int:
    assert deployed.health_command[:1] == ["CMD"]
    command = [sys.executable if a == "python" else a for a in deployed.health_command[1:]]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True).returncode


@pytest.mark.parametrize(
    ("target", "launch_type"), [(Target.EC2_SPOT, "EC2"), (Target.FARGATE_SPOT, "FARGATE")]
)
def test_synthesized_stack_runs_jobs_on_moto(
    target: Target,
    launch_type: str,
    aws_env: AwsConfig,
    moto_server: str,
    app_file: Path,
    tmp_path: Path,
    api: list[ApiServer],
) -> None:
    deployed = deploy(aws_env, moto_server, app_file, target)
    stack = deployed.stack
    assert stack.blob_url == deployed.outputs["BlobUrl"]
    assert stack.jobs_url == f"dynamodb://{deployed.outputs['TableName']}"

    app = load_app(str(app_file))
    settings = ApiSettings(stack=stack, data_dir=tmp_path / "api", app_options=app.options)
    server = ApiServer(create_app(settings), "127.0.0.1", 0)
    server.start()
    api.append(server)
    client = JobsClient(server.url)

    status_file = tmp_path / "status.json"
    log_path = tmp_path / "worker.log"
    with fake_ecs_agent(launch_type) as (agent_env, agent), fake_imds() as (imds_url, imds):
        extra = {
            **agent_env,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds_url,
            "SPOTQ_STATUS_FILE": str(status_file),
        }
        worker = start_worker(app_file, deployed, extra, log_path)
        try:
            _submit_and_check(client, deployed, aws_env, agent, log_path)
            assert run_health(deployed, extra) == 0
            if launch_type == "EC2":
                _interrupt_spot_instance(worker, imds, log_path)
            else:
                _stop_fargate_task(worker, imds, log_path)
            assert run_health(deployed, extra) == 1  # stopped
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    client.close()


def _submit_and_check(
    client: JobsClient, deployed: Deployed, aws: AwsConfig, agent: AgentState, log_path: Path
) -> None:
    texts = [f"hello {i}" for i in range(5)]
    ids = [client.submit({"text": text})["id"] for text in texts]
    again = client.submit({"text": "hello 0"}, idempotency_key="k-1")
    assert client.submit({"text": "other"}, idempotency_key="k-1")["id"] == again["id"]
    ids.append(again["id"])
    texts.append("hello 0")

    def all_done() -> bool:
        return all(client.job(job_id)["state"] == "succeeded" for job_id in ids)

    wait_for(all_done, 60, f"jobs to succeed (worker log: {log_path.read_text()[-2000:]})")
    for job_id, text in zip(ids, texts, strict=True):
        assert json.loads(client.result(job_id)) == {"upper": text.upper()}

    # The same facts straight from the AWS services.
    bucket = deployed.outputs["BucketName"]
    prefix = deployed.outputs["BlobUrl"].split("/", 3)[3]
    listed = make_client("s3", aws).list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/results/")
    assert {obj["Key"] for obj in listed.get("Contents", [])} == {
        f"{prefix}/results/{job_id}.json" for job_id in ids
    }
    dynamo = make_client("dynamodb", aws)
    for job_id in ids:
        item = dynamo.get_item(
            TableName=deployed.outputs["TableName"], Key={"pk": {"S": job_pk(job_id)}}
        )["Item"]
        assert item["state"] == {"S": "succeeded"}
        assert "expires_at" in item  # TTL set on finished jobs

    # Protected while it held jobs, unprotected once idle again.
    wait_for(lambda: not agent.protected, 10, "task protection to be released")
    history = agent.enabled_history()
    assert history and history[0] is True and history[-1] is False
    kinds = [e.get("event") for e in events(log_path)]
    assert "ecs_detected" in kinds and "task_protection" in kinds


def _interrupt_spot_instance(
    worker: subprocess.Popen[bytes], imds: ImdsState, log_path: Path
) -> None:
    """EC2 Spot: the two-minute notice appears in IMDS; the watcher drains the worker."""
    imds.instance_action = {"action": "terminate", "time": "2026-11-23T10:02:00Z"}
    assert worker.wait(timeout=30) == 0
    logged = events(log_path)
    notices = [e for e in logged if e.get("event") == "spot_notice"]
    assert len(notices) == 1 and "terminate" in notices[0]["reason"]
    assert imds.rejected == 0  # every IMDS read carried a v2 token


def _stop_fargate_task(worker: subprocess.Popen[bytes], imds: ImdsState, log_path: Path) -> None:
    """Fargate Spot (or an ECS stop): SIGTERM, and no IMDS to watch."""
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    stopped = [e for e in events(log_path) if e.get("event") == "stopped"]
    assert stopped and stopped[-1]["reason"] == "SIGTERM"
    assert imds.gets == 0 and imds.token_puts == 0
    detected = [e for e in events(log_path) if e.get("event") == "ecs_detected"]
    assert detected[0]["hooks"] == ["TaskProtectionHooks"]
