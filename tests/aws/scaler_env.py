"""An app's scaler surroundings on moto server: two work queues, an ECS service, the job table,
and a clock the scaler's loop reads and sleeps on (simulated time, real boto3 calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spotq.aws.dynamo_schema import create_table_kwargs
from spotq.aws.scaler.config import ScalerConfig
from spotq.aws.scaler.loop import Clients
from spotq.aws.session import AwsConfig, make_client

EPOCH_S = 1_790_000_000.0  # the simulated clock's start (epoch seconds, as on Lambda)


@dataclass
class FakeClock:
    now_s: float = EPOCH_S
    slept_s: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.slept_s.append(seconds)
        self.now_s += seconds


@dataclass
class ScalerEnv:
    cfg: ScalerConfig
    clients: Clients
    aws: AwsConfig

    @property
    def queue_url(self) -> str:
        return self.cfg.queue_urls[0]

    def desired(self) -> int:
        reply = self.clients.ecs.describe_services(
            cluster=self.cfg.cluster, services=[self.cfg.service]
        )
        return int(reply["services"][0]["desiredCount"])

    def set_desired(self, count: int) -> None:
        self.clients.ecs.update_service(
            cluster=self.cfg.cluster, service=self.cfg.service, desiredCount=count
        )

    def send(self, count: int, url: str | None = None) -> None:
        for start in range(0, count, 10):
            entries = [{"Id": str(i), "MessageBody": "job"} for i in range(min(10, count - start))]
            self.clients.sqs.send_message_batch(QueueUrl=url or self.queue_url, Entries=entries)

    def receive(self, count: int) -> list[str]:
        """Take `count` visible messages in flight (as busy workers do); their receipt handles."""
        handles: list[str] = []
        while len(handles) < count:
            reply = self.clients.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, count - len(handles)),
                VisibilityTimeout=43_200,
            )
            got = reply.get("Messages", [])
            assert got, f"expected {count - len(handles)} more visible messages"
            handles += [m["ReceiptHandle"] for m in got]
        return handles

    def delete(self, handles: list[str]) -> None:
        for start in range(0, len(handles), 10):
            batch = handles[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(batch)]
            self.clients.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)

    def submit(self, *submitted_at_s: float) -> None:
        """Job records as the job API writes them (only the fields the scaler's count reads)."""
        items = [
            {
                "pk": {"S": f"job#{at_s!r}-{index}"},
                "app": {"S": self.cfg.app},
                "submitted_at_s": {"N": repr(at_s)},
                "kind": {"S": "job"},
            }
            for index, at_s in enumerate(submitted_at_s)
        ]
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            self.clients.dynamodb.batch_write_item(RequestItems={self.cfg.table: requests})


def make_env(aws: AwsConfig, name: str, **cfg: Any) -> ScalerEnv:
    """Queues `<name>` and `<name>-high`, a cluster and a service with desired count 0, a table."""
    sqs, ecs, ddb = (make_client(s, aws) for s in ("sqs", "ecs", "dynamodb"))
    urls = tuple(sqs.create_queue(QueueName=q)["QueueUrl"] for q in (name, f"{name}-high"))
    ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(
        family=name,
        containerDefinitions=[{"name": "worker", "image": "img:1", "memory": 512}],
    )
    ecs.create_service(cluster=name, serviceName=name, taskDefinition=name, desiredCount=0)
    ddb.create_table(**create_table_kwargs(name))
    settings: dict[str, Any] = {"settle_s": 0.0, "max_workers": 10, **cfg}
    config = ScalerConfig(
        app=name, queue_urls=urls, cluster=name, service=name, table=name, **settings
    )
    return ScalerEnv(config, Clients(sqs=sqs, ecs=ecs, dynamodb=ddb), aws)
