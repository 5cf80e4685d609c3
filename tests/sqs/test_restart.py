"""Restarting the server on the same data dir restores queues, messages and in-flight state."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_sqs_client
from spotq.errors import ServiceError
from spotq.sqs.server import SqsServerConfig, start_server


def test_restart_restores_everything(tmp_path: Path) -> None:
    config = SqsServerConfig(port=0, data_dir=tmp_path / "data")
    with start_server(config) as server:
        client = make_sqs_client(server.endpoint_url)
        url = client.create_queue(QueueName="keep", tags={"k": "v"})["QueueUrl"]
        client.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)]
        )
        taken = client.receive_message(QueueUrl=url, VisibilityTimeout=600)["Messages"][0]
    with start_server(config) as server:
        client = make_sqs_client(server.endpoint_url)
        url = client.get_queue_url(QueueName="keep")["QueueUrl"]
        assert client.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
        attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == "2"
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
        got = client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
        )["Messages"]
        assert taken["Body"] not in {m["Body"] for m in got}
        assert len(got) == 2
        # The in-flight message keeps its receipt handle and receive count across the restart.
        client.change_message_visibility(
            QueueUrl=url, ReceiptHandle=taken["ReceiptHandle"], VisibilityTimeout=0
        )
        again = client.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])
        assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_a_second_server_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    config = SqsServerConfig(port=0, data_dir=tmp_path / "data")
    with start_server(config), pytest.raises(ServiceError, match="locked"):
        start_server(config)
