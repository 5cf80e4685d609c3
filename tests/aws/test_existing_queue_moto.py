"""An app with an existing queue, secrets and its own statements, deployed on moto server with
CloudFormation (the emulator subset): the stack creates no work queue, the task definition carries
secret references, and a `spotq worker` configured as the deployed container consumes the
producer's pre-existing queue through the app's decoder."""

from __future__ import annotations

import ast
import json
import textwrap
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

from spotq.api.app import create_app
from spotq.api.client import JobsClient
from spotq.api.settings import ApiSettings
from spotq.app import load_app
from spotq.aws.dynamo_schema import job_pk
from spotq.aws.session import AwsConfig, make_client
from spotq.aws.synth import Target
from spotq.fleet.apiserver import ApiServer
from spotq.worker.foreign import foreign_job_id

from .test_e2e_moto import deploy, events, start_worker, wait_for

APP_SOURCE = """
import spotq

app = spotq.App(
    {name!r},
    batch_size=2,
    max_receives=2,
    retry_backoff_s=0,
    queue={queue!r},
    environment={{"GREETING": "hello"}},
    secrets={{"API_TOKEN": "ssm:/e2e/api-token"}},
    task_role_statements=[{{"Effect": "Allow", "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::reference-data/*"}}],
)


@app.decoder
def decode(body):
    payload = json.loads(body)  # the producer's own JSON: {{"sku": ..., "qty": ...}}
    return {{"sku": payload["sku"], "qty": int(payload["qty"])}}


@app.handler
def handle(model, jobs):
    import os
    return [{{"line": f"{{os.environ['GREETING']}} {{j.input['qty']}} x {{j.input['sku']}}"}}
            for j in jobs]
"""


def test_existing_queue_stack_on_moto(aws_env: AwsConfig, moto_server: str, tmp_path: Path) -> None:
    sqs = make_client("sqs", aws_env)
    suffix = uuid.uuid4().hex[:8]
    dlq = sqs.create_queue(QueueName=f"orders-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    queue = sqs.create_queue(QueueName=f"orders-{suffix}", Attributes={"RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    app_file = tmp_path / "orders_app.py"
    source = "import json\n" + textwrap.dedent(
        APP_SOURCE.format(name=f"orders-{suffix}", queue=queue)
    )
    app_file.write_text(source)

    deployed = deploy(aws_env, moto_server, app_file, Target.FARGATE_SPOT)
    cfn = make_client("cloudformation", aws_env)
    stacks = cfn.describe_stacks()["Stacks"]
    (stack_name,) = [
        s["StackName"]
        for s in stacks
        if any(o["OutputValue"] == deployed.outputs["ClusterName"] for o in s.get("Outputs", []))
    ]
    resources = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    created_queues = {
        r["LogicalResourceId"] for r in resources if r["ResourceType"] == "AWS::SQS::Queue"
    }
    assert created_queues == {"HighPriorityQueue", "DeadLetterQueue"}
    assert deployed.stack.work_queue == queue
    assert deployed.outputs["QueueUrl"] == queue
    assert deployed.container_env["GREETING"] == "hello"
    assert "API_TOKEN" not in deployed.container_env  # a reference, resolved by ECS at start
    _check_secret_wiring(aws_env, deployed.outputs, resources)

    producer = {
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"sku": f"s{n}", "qty": n}))[
            "MessageId"
        ]: n
        for n in range(3)
    }
    # The job API, configured from the stack, submits to the existing queue as well.
    settings = ApiSettings(
        stack=deployed.stack, data_dir=tmp_path / "api", app_options=load_app(str(app_file)).options
    )
    server = ApiServer(create_app(settings), "127.0.0.1", 0)
    server.start()
    client = JobsClient(server.url)
    native = client.submit({"sku": "api", "qty": 9})["id"]
    log = tmp_path / "worker.log"
    worker = start_worker(app_file, deployed, {}, log)
    dynamodb = make_client("dynamodb", aws_env)
    table = deployed.outputs["TableName"]

    def state(message_id: str) -> str | None:
        item = dynamodb.get_item(
            TableName=table, Key={"pk": {"S": job_pk(foreign_job_id(message_id))}}
        )
        return item.get("Item", {}).get("state", {}).get("S")

    try:
        wait_for(
            lambda: all(state(m) == "succeeded" for m in producer), 90, "foreign jobs succeeded"
        )
        wait_for(lambda: client.job(native)["state"] == "succeeded", 60, "the API's job")
        assert json.loads(client.result(native)) == {"line": "hello 9 x api"}
    finally:
        worker.terminate()
        worker.wait(30)
        client.close()
        server.stop()
    assert worker.returncode == 0
    done = sorted(e["job_id"] for e in events(log) if e["event"] == "job_done")
    assert done == sorted([native, *(foreign_job_id(m) for m in producer)])
    assert not [e for e in events(log) if e["event"] == "error" and e["where"] == "queue"]


def _check_secret_wiring(aws: AwsConfig, outputs: dict[str, str], resources: list[Any]) -> None:
    """The deployed task definition names the parameter; the execution role may read just it."""
    ecs = make_client("ecs", aws)
    service = ecs.describe_services(
        cluster=outputs["ClusterName"], services=[outputs["ServiceName"]]
    )
    task_def = ecs.describe_task_definition(taskDefinition=service["services"][0]["taskDefinition"])
    container = task_def["taskDefinition"]["containerDefinitions"][0]
    parameter_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/e2e/api-token"
    assert container["secrets"] == [{"name": "API_TOKEN", "valueFrom": parameter_arn}]
    (role,) = [
        r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "ExecutionRole"
    ]
    iam = make_client("iam", aws)
    document = iam.get_role_policy(RoleName=role, PolicyName="execution")["PolicyDocument"]
    if isinstance(document, str):  # moto keeps a policy given by CloudFormation as its repr
        document = ast.literal_eval(urllib.parse.unquote(document))
    reads = [s for s in document["Statement"] if s and s.get("Sid") == "ReadSecretParameters"]
    assert reads == [
        {"Sid": "ReadSecretParameters", "Effect": "Allow", "Action": "ssm:GetParameters",
         "Resource": [parameter_arn]}
    ]  # fmt: skip
