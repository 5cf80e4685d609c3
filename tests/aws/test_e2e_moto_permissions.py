"""Every AWS call the worker makes must be allowed by the task role `spotq synth` writes: moto
does not enforce IAM, so the calls are recorded on the clients and checked against the policy."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from spotq.app import App, Job, JobFailed
from spotq.aws.dynamo_jobs import DynamoJobStore
from spotq.aws.s3_blobs import S3BlobStore
from spotq.aws.session import AwsConfig, make_client
from spotq.aws.synth import Target, synth
from spotq.aws.synth import ids as synth_ids
from spotq.jobs import JobMessage, JobRecord, JobState
from spotq.queues import ensure_queues, make_sqs_client
from spotq.stack import StackConfig
from spotq.worker.hooks import Hooks
from spotq.worker.runtime import Worker, WorkerConfig

# API operations whose IAM action has another name (SQS batches need the single action).
_IAM_ACTION = {
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "s3:HeadObject": "s3:GetObject",
    "s3:ListObjectsV2": "s3:ListBucket",
    "dynamodb:TransactWriteItems": "dynamodb:PutItem",  # authorized per item: Put + condition
}


def record_calls(client: Any, calls: set[str]) -> Any:
    prefix = client.meta.service_model.signing_name

    def note(model: Any, **_: Any) -> None:
        action = f"{prefix}:{model.name}"
        calls.add(_IAM_ACTION.get(action, action))

    client.meta.events.register("before-call.*.*", note)
    return client


def task_role_actions(app: App, target: Target) -> set[str]:
    role = synth(app, target)["Resources"][synth_ids.TASK_ROLE]
    actions: set[str] = set()
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                statement = statement["Fn::If"][1]
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def handle(model: Any, jobs: list[Job]) -> list[Any]:
    return [JobFailed("try later") if job.input.get("fail") else {"ok": True} for job in jobs]


class Idle(Hooks):
    def __init__(self) -> None:
        self.jobs_finished = 0
        self.lock = threading.Lock()

    def on_job_done(self, *args: Any) -> None:
        with self.lock:
            self.jobs_finished += 1

    def on_job_failed(self, *args: Any) -> None:
        with self.lock:
            self.jobs_finished += 1


def test_worker_calls_are_all_allowed_by_the_task_role(
    aws_env: AwsConfig, aws_stack: StackConfig
) -> None:
    app = App("ecsdemo", handler=handle, batch_size=2, visibility_timeout_s=30)
    setup_sqs = make_sqs_client(aws_stack)
    urls = ensure_queues(setup_sqs, aws_stack, app.options)  # as CloudFormation would have
    calls: set[str] = set()
    jobs = DynamoJobStore(
        aws_stack.jobs_url, client=record_calls(make_client("dynamodb", aws_env), calls)
    )
    for payload in ({"fail": False}, {"fail": True}):
        job_id = uuid.uuid4().hex
        jobs.create(JobRecord(job_id, app.name, JobState.QUEUED, submitted_at_s=time.time()))
        body = JobMessage(job_id, app.name, input=payload).encode()
        setup_sqs.send_message(QueueUrl=urls.normal, MessageBody=body)
    calls.clear()  # the job API did the above; from here on it is the worker alone
    counter = Idle()
    s3_client = make_client("s3", aws_env)
    worker = Worker(
        app,
        aws_stack,
        sqs=record_calls(make_sqs_client(aws_stack), calls),
        blobs=S3BlobStore(aws_stack.blob_url, client=record_calls(s3_client, calls)),
        jobs=jobs,
        config=WorkerConfig(poll_wait_s=1, grace_s=1),
        hooks=counter,
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while counter.jobs_finished < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.request_drain("test over")
    thread.join(20)
    assert counter.jobs_finished == 2
    for target in Target:
        # The gpu target needs an app that asks for a GPU; its task role is the same.
        target_app = App(app.name, handler=handle, gpus=int(target is Target.GPU))
        denied = calls - task_role_actions(target_app, target)
        assert not denied, f"{target}: task role lacks {sorted(denied)}"
