"""Where an app's parts live: queue endpoint and names, blob store URL, job store URL. Built once,
passed explicitly (to worker subprocesses as JSON), identical in shape locally and on AWS."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from spotq.errors import ConfigError
from spotq.naming import DEFAULT_STAGE, queue_name


@dataclass(frozen=True)
class StackConfig:
    app: str
    sqs_endpoint_url: str | None  # None = AWS's own endpoint for the region
    region: str = "us-east-1"
    blob_url: str = ".spotq/blobs"  # a local directory or s3://bucket/prefix
    jobs_url: str = "sqlite:///.spotq/jobs.db"  # or dynamodb://table-name
    queue_prefix: str = "spotq-"
    # True where spotq owns the queues (the embedded stack creates and updates them); False where
    # CloudFormation owns them, so workers only look them up and need no sqs:CreateQueue.
    manage_queues: bool = True
    # False for spotq's embedded SQS server (loopback, no credentials: it checks no signatures),
    # whose clients then skip SigV4 signing, a quarter of botocore's CPU per call.
    sqs_signed: bool = True
    # Which copy of the app's AWS stack (spotq.naming): it is part of the queue names.
    stage: str = DEFAULT_STAGE
    # An existing queue (URL or ARN) the workers consume instead of `queue_name`: the app's
    # `queue` option, for producers that already write to a queue of their own.
    work_queue: str | None = None

    @property
    def queue_name(self) -> str:
        return queue_name(self.app, self.stage, "", self.queue_prefix)

    @property
    def high_queue_name(self) -> str:
        return queue_name(self.app, self.stage, "high", self.queue_prefix)

    @property
    def dlq_name(self) -> str:
        return queue_name(self.app, self.stage, "dlq", self.queue_prefix)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> StackConfig:
        try:
            data = json.loads(text)
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"stack config: {exc}") from None
