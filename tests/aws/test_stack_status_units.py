"""`spotq status --stack`, the parts moto cannot produce: which log lines are errors, which scaler
lines are shown, ECS service events and rollout, tasks stopped for Spot, the stack's own alarms
and the screen's rendering. The end-to-end path is in test_stack_status_moto.py."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from spotq.app import App
from spotq.aws.status import activities, alarms, capacity, discover, logs, render, service
from spotq.aws.status.model import (
    AlarmStatus,
    CapacityStatus,
    LogLine,
    QueueStatus,
    ServiceStatus,
    StackStatus,
)
from spotq.aws.synth import ScalingEngine, SynthSettings, Target, synth
from spotq.cli import cli


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ('{"event":"job_failed","outcome":"retry","error":"boom"}', True),
        ('{"event":"job_failed","outcome":"released","error":"drain"}', False),
        ('{"event":"bad_message","error":"not JSON"}', True),
        ('{"event":"error","where":"heartbeat","error":"x"}', True),
        ('{"event":"stopped","exit_code":1}', True),
        ('{"event":"stopped","exit_code":0}', False),
        ('{"event":"job_done","job_id":"a"}', False),
        ('{"_aws":{},"JobsFailed":3,"event":"error"}', False),
        ('{"level":"ERROR","msg":"db down"}', True),
        ('{"levelname":"warning","msg":"slow"}', False),
        ("Traceback (most recent call last):", True),
        ("ValueError: bad shape", True),
        ("2026-12-03 ERROR loader failed", True),
        ("loaded model in 3.2 s", False),
        ("[1, 2]", False),
    ],
)
def test_error_lines_are_recognised(message: str, error: bool) -> None:
    assert logs.is_error(message) is error


def test_error_pattern_covers_every_error_kind() -> None:
    for term in ("job_failed", "bad_message", "error", "Traceback", "Error", "exit_code"):
        assert f'?"{term}"' in logs.ERROR_PATTERN


class PagedLogs:
    """filter_log_events in pages of two, recording the calls."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        self.calls: list[dict[str, Any]] = []

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        start = int(kwargs.get("nextToken", 0))
        page = [
            {"timestamp": 1000 * (i + 1), "logStreamName": "s", "message": m}
            for i, m in enumerate(self.messages[start : start + 2], start)
        ]
        more = start + 2 < len(self.messages)
        return {"events": page, **({"nextToken": str(start + 2)} if more else {})}


def test_the_last_errors_are_kept_across_pages_and_bounded() -> None:
    lines = [f'{{"event":"error","error":"e{i}"}}' if i % 2 else "ok" for i in range(9)]
    reader = PagedLogs(lines)
    found = logs.error_lines(reader, "g", since_s=0, now_s=100, n=2)
    assert [json.loads(x.message)["error"] for x in found] == ["e5", "e7"]
    assert reader.calls[0]["filterPattern"] == logs.ERROR_PATTERN
    assert (reader.calls[0]["startTime"], reader.calls[0]["endTime"]) == (0, 100_000)
    capped = PagedLogs(lines)
    list(logs.events(capped, "g", 0, 100, max_pages=2))
    assert len(capped.calls) == 2


def _line(record: dict[str, Any] | str, at_s: float = 0.0) -> LogLine:
    return LogLine(at_s, "s", record if isinstance(record, str) else json.dumps(record))


def test_decisions_show_changes_skips_and_the_latest() -> None:
    lines = [
        _line("START RequestId: x"),
        _line(
            {
                "event": "decision",
                "at_s": 1,
                "reason": "from-zero",
                "desired": 1,
                "previous": 0,
                "applied": True,
            }
        ),
        _line({"event": "decision", "at_s": 2, "reason": "steady", "desired": 1, "previous": 1}),
        _line({"event": "skip", "at_s": 3, "reason": "read failed: Throttling"}),
        _line(
            {
                "event": "decision",
                "at_s": 4,
                "reason": "backlog",
                "desired": 3,
                "previous": 1,
                "applied": False,
                "error": "update failed: AccessDenied",
            }
        ),
        _line(
            {"event": "decision", "at_s": 5, "reason": "surplus-hold", "desired": 3, "previous": 3}
        ),
        _line({"event": "save-failed", "reason": "ConditionalCheckFailed"}, at_s=6),
    ]
    picked = service.pick_decisions(lines, 10)
    assert [(d.at_s, d.event, d.reason) for d in picked] == [
        (6, "save-failed", "ConditionalCheckFailed"),
        (5, "decision", "surplus-hold"),
        (4, "decision", "backlog"),
        (3, "skip", "read failed: Throttling"),
        (1, "decision", "from-zero"),
    ]
    assert [d.at_s for d in service.pick_decisions(lines, 2)] == [6, 5]
    texts = [render.decision_text(d) for d in picked]
    assert texts[1] == "stay at 3  surplus-hold"
    assert texts[2] == "1 → 3  backlog (not applied: update failed: AccessDenied)"
    assert texts[4] == "0 → 1  from-zero (applied)"


class FakeEcs:
    def __init__(self, services: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> None:
        self.services, self.tasks = services, tasks
        self.list_kwargs: dict[str, Any] = {}

    def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
        return {"services": self.services, "failures": []}

    def list_tasks(self, **kwargs: Any) -> dict[str, Any]:
        self.list_kwargs = kwargs
        return {"taskArns": [f"arn:task/{i}" for i in range(len(self.tasks))]}

    def describe_tasks(self, cluster: str, tasks: list[str]) -> dict[str, Any]:
        return {"tasks": self.tasks}


def test_service_counts_rollout_and_newest_events() -> None:
    at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    ecs = FakeEcs(
        [
            {
                "status": "ACTIVE",
                "serviceName": "workers",
                "desiredCount": 3,
                "runningCount": 1,
                "pendingCount": 2,
                "deployments": [
                    {"status": "ACTIVE", "rolloutState": "COMPLETED"},
                    {"status": "PRIMARY", "rolloutState": "IN_PROGRESS"},
                ],
                "events": [{"createdAt": at, "message": f"event {i}"} for i in range(8)],
            }
        ],
        [],
    )
    svc = service.read_service(ecs, "arn:aws:ecs:r:1:cluster/c1", "arn:svc/workers")
    assert svc is not None
    assert (svc.cluster, svc.name, svc.desired, svc.running, svc.pending) == (
        "c1",
        "workers",
        3,
        1,
        2,
    )
    assert svc.rollout == "IN_PROGRESS"
    assert [e.message for e in svc.events] == [f"event {i}" for i in range(5)]
    assert svc.events[0].at_s == at.timestamp()
    gone = FakeEcs([{"status": "INACTIVE"}], [])
    assert service.read_service(gone, "c", "s") is None


def test_tasks_stopped_for_spot_are_counted() -> None:
    ecs = FakeEcs(
        [],
        [
            {"stopCode": "SpotInterruption", "stoppedReason": "Your Spot Task was interrupted."},
            {"stopCode": "EssentialContainerExited", "stoppedReason": "Essential container exited"},
            {"stopCode": "TerminationNotice", "stoppedReason": "Spot instance interruption notice"},
        ],
    )
    assert capacity.spot_stopped_tasks(ecs, "c", "workers") == 2
    assert ecs.list_kwargs == {"cluster": "c", "desiredStatus": "STOPPED", "serviceName": "workers"}
    assert capacity.spot_stopped_tasks(FakeEcs([], []), "c", None) == 0


def test_alarm_dimensions_include_metric_math() -> None:
    alarm = {
        "Dimensions": [{"Name": "QueueName", "Value": "q1"}],
        "Metrics": [
            {
                "MetricStat": {
                    "Metric": {"Dimensions": [{"Name": "ServiceName", "Value": "workers"}]}
                }
            },
            {"Expression": "m1"},
        ],
    }
    assert alarms.dimension_values(alarm) == {"q1", "workers"}


class FakeCfn:
    """A stack whose queues and log groups come from its resources or only its outputs."""

    def __init__(self, resources: list[tuple[str, str, str]], outputs: dict[str, str]) -> None:
        self.resources, self.outputs = resources, outputs

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        outputs = [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]
        return {
            "Stacks": [
                {"StackName": StackName, "StackStatus": "UPDATE_COMPLETE", "Outputs": outputs}
            ]
        }

    def get_paginator(self, name: str) -> Any:
        resources = self.resources

        class Pages:
            def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
                return [
                    {
                        "StackResourceSummaries": [
                            {
                                "LogicalResourceId": logical,
                                "ResourceType": kind,
                                "PhysicalResourceId": physical,
                                "ResourceStatus": "CREATE_COMPLETE",
                            }
                            for logical, kind, physical in resources
                        ]
                    }
                ]

        return Pages()

    def get_template(self, StackName: str) -> dict[str, Any]:
        return {"TemplateBody": {"Metadata": {"spotq": {"app": "from-metadata"}}}}


def test_discovery_reads_resources_then_outputs_never_names() -> None:
    cfn = FakeCfn(
        [
            ("DeadLetterQueue", "AWS::SQS::Queue", "https://sqs/1/prod-x-dlq"),
            ("JobQueue", "AWS::SQS::Queue", "https://sqs/1/Stack-JobQueue-ABC"),
            ("LogGroup", "AWS::Logs::LogGroup", "/custom/workers"),
            ("ScalerLogGroup", "AWS::Logs::LogGroup", "/custom/scaler"),
            ("OldestMessageAlarm", "AWS::CloudWatch::Alarm", "Stack-Oldest-1"),
            ("DeadLetterAlarm", "AWS::CloudWatch::Alarm", "Stack-Dead-1"),
            ("Cluster", "AWS::ECS::Cluster", "Stack-Cluster-Z"),
            ("Service", "AWS::ECS::Service", "arn:aws:ecs:r:1:service/Stack-Cluster-Z/svc"),
        ],
        # A queue the stack consumes without owning it comes from the outputs only.
        {"HighPriorityQueueUrl": "https://sqs/1/their-existing-queue"},
    )
    parts = discover.describe(cfn, "prod")
    assert [(q.role, q.name) for q in parts.queues] == [
        ("normal", "Stack-JobQueue-ABC"),
        ("high", "their-existing-queue"),
        ("dlq", "prod-x-dlq"),
    ]
    assert (parts.worker_log_group, parts.scaler_log_group) == ("/custom/workers", "/custom/scaler")
    assert parts.alarms == ("Stack-Dead-1", "Stack-Oldest-1")
    assert (parts.cluster, parts.app) == ("Stack-Cluster-Z", "from-metadata")
    assert parts.service == "arn:aws:ecs:r:1:service/Stack-Cluster-Z/svc"


def _status(**changes: Any) -> StackStatus:
    base: dict[str, Any] = {
        "stack": "prod",
        "stack_status": "UPDATE_COMPLETE",
        "app": "demo",
        "region": "eu-west-1",
        "at_s": 0.0,
        "queues": (
            QueueStatus("normal", "q", 5, 2, 0, 125.0),
            QueueStatus("dlq", "d", 1, 0, 0, None),
        ),
        "service": ServiceStatus("c", "workers", 2, 1, 1, "IN_PROGRESS"),
        "decisions": (),
        "capacity": CapacityStatus((), None, None, 0),
        "alarms_watched": 3,
        "alarms_firing": (AlarmStatus("Stack-Dead-1", "ALARM", "Threshold [crossed]", 0.0),),
        "errors": (LogLine(0.0, "worker/worker/t1", "ValueError: [bold]x[/bold]"),),
        "notes": ("worker errors: AccessDeniedException: not allowed",),
    }
    return StackStatus(**{**base, **changes})


def _screen(status: StackStatus) -> str:
    out = io.StringIO()
    render.show(status, Console(file=out, width=160, force_terminal=False))
    return out.getvalue()


def test_screen_shows_each_section_and_user_text_as_written() -> None:
    text = _screen(_status())
    for expected in (
        "stack prod UPDATE_COMPLETE · app demo · eu-west-1",
        "2m 05s",
        "no data",
        "desired 2 · running 1 · pending 1 · rollout IN_PROGRESS",
        "1 in ALARM (3 in the stack)",
        "Threshold [crossed]",
        "ValueError: [bold]x[/bold]",
        "could not read worker errors: AccessDeniedException: not allowed",
        "spot interruptions last 24 h: no data",
    ):
        assert expected in text, f"{expected!r} not in:\n{text}"
    quiet = _screen(_status(queues=(), service=None, alarms_firing=(), errors=(), notes=()))
    assert "queues: none in this stack" in quiet
    assert "worker errors: none in the window" in quiet
    assert "0 in ALARM" in quiet


def test_json_is_the_whole_status() -> None:
    doc = json.loads(render.to_json(_status()))
    assert doc["queues"][0] == {
        "role": "normal",
        "name": "q",
        "visible": 5,
        "in_flight": 2,
        "delayed": 0,
        "oldest_age_s": 125.0,
    }
    assert doc["alarms_firing"][0]["name"] == "Stack-Dead-1"
    assert doc["notes"] == ["worker errors: AccessDeniedException: not allowed"]


def test_stack_options_do_not_mix_with_the_local_status() -> None:
    runner = CliRunner()
    with_job = runner.invoke(cli, ["status", "job-1", "--stack", "prod"])
    assert with_job.exit_code == 2
    assert "--stack shows a whole stack: leave out JOB_ID and --state" in with_job.output
    json_alone = runner.invoke(cli, ["status", "--json"])
    assert json_alone.exit_code == 2
    assert "--json and --stage go with --stack" in json_alone.output


def _as_deployed(template: dict[str, Any]) -> FakeCfn:
    """The template's resources as CloudFormation would list them, with made-up physical IDs
    (queue URLs for queues) that no name rule could predict."""
    resources = [
        (
            logical,
            res["Type"],
            f"https://sqs/1/q-{i}" if res["Type"] == "AWS::SQS::Queue" else f"p-{i}",
        )
        for i, (logical, res) in enumerate(sorted(template["Resources"].items()))
    ]
    return FakeCfn(resources, {})


@pytest.mark.parametrize(
    ("target", "engine"),
    [(t, e) for t in Target for e in ScalingEngine],
    ids=lambda v: str(v.value),
)
def test_discovery_finds_every_part_spotq_synthesizes(
    target: Target, engine: ScalingEngine
) -> None:
    template = synth(App("demo", gpus=int(target is Target.GPU)), target,
                     SynthSettings(scaling_engine=engine))  # fmt: skip
    parts = discover.describe(_as_deployed(template), "prod")
    assert [q.role for q in parts.queues] == ["normal", "high", "dlq"]
    assert parts.cluster and parts.service and parts.worker_log_group
    kinds = [r["Type"] for r in template["Resources"].values()]
    assert len(parts.alarms) == kinds.count("AWS::CloudWatch::Alarm") >= 2
    assert bool(parts.auto_scaling_groups) is target.is_ec2
    assert bool(parts.scaler_log_group) is (engine is ScalingEngine.SPOTQ)
    assert parts.scalable_target is (engine is ScalingEngine.AWS_TARGET_TRACKING)
    assert parts.worker_log_group != parts.scaler_log_group


class FakeApplicationAutoScaling:
    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def describe_scaling_activities(self, **kwargs: Any) -> dict[str, Any]:
        self.kwargs = kwargs
        at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
        return {"ScalingActivities": [
            {"StartTime": at, "StatusCode": "Successful",
             "Description": "Setting desired count to 2.",
             "Cause": "monitor alarm BacklogPerTask-AlarmHigh in state ALARM triggered policy"},
            {"StartTime": at, "StatusCode": "Failed", "Description": "Setting desired count to 9.",
             "Cause": "monitor alarm x", "StatusMessage": "Service limit"},
        ]}  # fmt: skip


def test_target_tracking_decisions_are_the_scaling_activities() -> None:
    client = FakeApplicationAutoScaling()
    made = activities.scaling_activities(client, "arn:aws:ecs:r:1:cluster/c1", "workers", 5)
    assert client.kwargs["ResourceId"] == "service/c1/workers"
    assert client.kwargs["ScalableDimension"] == "ecs:service:DesiredCount"
    texts = [render.decision_text(d) for d in made]
    assert texts == [
        "activity: Setting desired count to 2 (monitor alarm BacklogPerTask-AlarmHigh in state "
        "ALARM triggered policy)",
        "activity: Setting desired count to 9 (monitor alarm x) (failed: Service limit)",
    ]
    assert [(d.applied, d.error) for d in made] == [(True, None), (False, "Service limit")]


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        (
            {"AWS_PROFILE": "no-such-profile"},
            [],
            "Error: cannot set up AWS clients: The config "
            "profile (no-such-profile) could not be found",
        ),
        ({}, ["--endpoint-url", "not a url"], "Error: cannot set up AWS clients: Invalid endpoint"),
    ],
)
def test_a_bad_profile_or_endpoint_is_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], args: list[str], expected: str
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["status", "--stack", "prod", *args])
    assert result.exit_code == 1
    assert result.output.startswith(expected), result.output
    assert len(result.output.strip().splitlines()) == 1
