"""Deploy failure paths that moto server cannot produce, against a scripted CloudFormation
stand-in (AWS itself is the outside world): a rollback, a stack that must be destroyed first, a
change set that fails, and the rich display ending on the final status."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from rich.console import Console

from spotq.aws.deploy import Deployer, DeployError, PollSettings, StackFailedError
from spotq.aws.deploy_view import RichDeployView
from spotq.clock import FakeClock

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _missing() -> ClientError:
    return ClientError(
        {"Error": {"Code": "ValidationError", "Message": "Stack with id s does not exist"}},
        "DescribeStacks",
    )


def _event(n: int, logical: str, status: str, reason: str = "") -> dict[str, Any]:
    return {
        "EventId": f"e{n}",
        "Timestamp": T0 + timedelta(seconds=n),
        "LogicalResourceId": logical,
        "ResourceType": "AWS::SQS::Queue" if logical != "s" else "AWS::CloudFormation::Stack",
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
    }


class ScriptedCloudFormation:
    """Answers like CloudFormation would for a first create that fails and rolls back."""

    def __init__(self, existing_status: str | None = None) -> None:
        self.existing_status = existing_status
        self.executed = False
        self.polls = 0

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if not self.executed:
            if self.existing_status is None:
                raise _missing()
            return {"Stacks": [{"StackId": "id", "StackStatus": self.existing_status}]}
        self.polls += 1
        status = "CREATE_IN_PROGRESS" if self.polls < 3 else "ROLLBACK_COMPLETE"
        return {"Stacks": [{"StackId": "id", "StackStatus": status}]}

    def describe_stack_events(self, StackName: str) -> dict[str, Any]:
        if not self.executed:
            return {"StackEvents": []}
        events = [
            _event(1, "s", "CREATE_IN_PROGRESS"),
            _event(2, "Jobs", "CREATE_FAILED", "Queue name already in use"),
            _event(3, "s", "ROLLBACK_IN_PROGRESS"),
        ]
        if self.polls >= 2:
            events.append(_event(4, "s", "ROLLBACK_COMPLETE"))
        return {"StackEvents": list(reversed(events))}  # newest first, as AWS returns them

    def get_template(self, **kwargs: Any) -> dict[str, Any]:
        return {"TemplateBody": {"Metadata": {"spotq": {"app": "a", "stage": "default"}}}}

    def create_change_set(self, **kwargs: Any) -> dict[str, Any]:
        return {"Id": "cs"}

    def describe_change_set(self, **kwargs: Any) -> dict[str, Any]:
        change = {"ResourceChange": {"Action": "Add", "LogicalResourceId": "Jobs",
                                     "ResourceType": "AWS::SQS::Queue"}}  # fmt: skip
        return {"Status": "CREATE_COMPLETE", "Changes": [change]}

    def execute_change_set(self, **kwargs: Any) -> None:
        self.executed = True

    def delete_change_set(self, **kwargs: Any) -> None:
        pass


def _deployer(client: Any, console: Console) -> tuple[Deployer, list[float]]:
    slept: list[float] = []
    deployer = Deployer(
        client,
        RichDeployView(console),
        poll=PollSettings(interval_s=5, timeout_s=600),
        clock=FakeClock(),
        sleep=slept.append,
    )
    return deployer, slept


def test_rollback_raises_with_the_failure_reason_and_the_display_ends_on_it() -> None:
    out = io.StringIO()
    deployer, slept = _deployer(ScriptedCloudFormation(), Console(file=out, width=120))
    with pytest.raises(StackFailedError) as caught:
        deployer.deploy("s", {"Resources": {}}, {})
    assert caught.value.status == "ROLLBACK_COMPLETE"
    assert caught.value.reasons == ["Jobs: Queue name already in use"]
    lines = [line.strip() for line in out.getvalue().splitlines() if line.strip()]
    assert lines[-1] == "s: ROLLBACK_COMPLETE"
    assert any("CREATE_FAILED" in line and "Queue name already in use" in line for line in lines)
    assert slept == [5, 5]  # polled until the stack settled, at the configured interval


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "DELETE_FAILED"])
def test_a_stack_that_cannot_be_updated_must_be_destroyed_first(status: str) -> None:
    deployer, _ = _deployer(ScriptedCloudFormation(status), Console(file=io.StringIO()))
    with pytest.raises(DeployError, match=f"in {status}.*spotq destroy --stack s"):
        deployer.deploy("s", {"Resources": {}}, {})


def test_busy_stack_is_refused() -> None:
    deployer, _ = _deployer(
        ScriptedCloudFormation("UPDATE_IN_PROGRESS"), Console(file=io.StringIO())
    )
    with pytest.raises(DeployError, match="busy"):
        deployer.deploy("s", {"Resources": {}}, {})


def test_failed_change_set_reports_its_reason() -> None:
    client = ScriptedCloudFormation()
    client.describe_change_set = lambda **kw: {  # type: ignore[method-assign]
        "Status": "FAILED",
        "StatusReason": "Parameters: [VpcId] must have values",
    }
    deployer, _ = _deployer(client, Console(file=io.StringIO()))
    with pytest.raises(DeployError, match=r"must have values"):
        deployer.deploy("s", {"Resources": {}}, {})


def test_oversized_template_is_refused_before_calling_aws() -> None:
    deployer, _ = _deployer(object(), Console(file=io.StringIO()))
    big = {"Description": "x" * 60_000}
    with pytest.raises(DeployError, match="at most 51200"):
        deployer.deploy("s", big, {})


def test_an_unparseable_reply_is_one_clear_error_not_a_traceback() -> None:
    from botocore.parsers import ResponseParserError

    client = ScriptedCloudFormation()

    def garbled(**kwargs: Any) -> dict[str, Any]:
        raise ResponseParserError("Unable to parse response (not well-formed), invalid XML")

    client.create_change_set = garbled  # type: ignore[method-assign]
    deployer, _ = _deployer(client, Console(file=io.StringIO()))
    with pytest.raises(DeployError, match=r"could not create the change set: Unable to parse"):
        deployer.deploy("s", {"Resources": {}}, {})
    client.create_change_set = lambda **kw: {}  # type: ignore[method-assign]
    with pytest.raises(DeployError, match=r"unexpected reply from AWS \(KeyError: 'Id'\)"):
        deployer.deploy("s", {"Resources": {}}, {})


def test_a_failed_change_set_is_deleted() -> None:
    client = ScriptedCloudFormation()
    deleted: list[str] = []
    client.describe_change_set = lambda **kw: {  # type: ignore[method-assign]
        "Status": "FAILED", "StatusReason": "Template format error",
    }  # fmt: skip
    client.delete_change_set = lambda **kw: deleted.append(kw["ChangeSetName"])  # type: ignore[method-assign]
    deployer, _ = _deployer(client, Console(file=io.StringIO()))
    with pytest.raises(DeployError, match="nothing was changed"):
        deployer.deploy("s", {"Resources": {}}, {})
    assert deleted == ["cs"]


class ReviewInProgress:
    """A stack whose first change set was never executed: no resources can be listed."""

    def __init__(self) -> None:
        self.deleted = False

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if self.deleted:
            raise _missing()
        return {"Stacks": [{"StackId": "id", "StackStatus": "REVIEW_IN_PROGRESS"}]}

    def describe_stack_events(self, StackName: str) -> dict[str, Any]:
        return {"StackEvents": []}

    def list_stack_resources(self, **kwargs: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "ValidationError", "Message": "no"}}, "List")

    def delete_stack(self, **kwargs: Any) -> None:
        self.deleted = True


def test_destroy_works_on_a_stack_stuck_in_review_in_progress() -> None:
    client = ReviewInProgress()
    deployer, _ = _deployer(client, Console(file=io.StringIO()))
    assert deployer.destroy("s") == "DELETE_COMPLETE"
    assert client.deleted


class UpdateRefused(ScriptedCloudFormation):
    """An existing stack whose change set AWS refuses (e.g. missing permissions)."""

    def create_change_set(self, **kwargs: Any) -> dict[str, Any]:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "CreateChangeSet"
        )


def test_an_aws_error_names_the_step_the_stack_status_and_the_next_step() -> None:
    deployer, _ = _deployer(UpdateRefused("UPDATE_COMPLETE"), Console(file=io.StringIO()))
    with pytest.raises(DeployError) as caught:
        deployer.deploy("s", {"Resources": {}}, {})
    assert str(caught.value) == (
        "could not create the change set: AccessDenied: not authorized; stack 's' is "
        "UPDATE_COMPLETE (unchanged); fix the cause and run the command again"
    )


class Unreachable:
    def describe_stacks(self, **kwargs: Any) -> dict[str, Any]:
        raise EndpointConnectionError(endpoint_url="https://cloudformation.example")


def test_an_unreachable_endpoint_is_one_line_with_an_unknown_status() -> None:
    deployer, _ = _deployer(Unreachable(), Console(file=io.StringIO()))
    for run in (lambda: deployer.deploy("s", {"Resources": {}}, {}), lambda: deployer.destroy("s")):
        with pytest.raises(DeployError, match=r"Could not connect.*status unknown; check"):
            run()


class DeleteFailed:
    """A stack that failed to delete before and fails again: a bucket that is not empty."""

    def __init__(self) -> None:
        self.deletes = 0

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        status = "DELETE_FAILED" if self.deletes in (0, 2) else "DELETE_IN_PROGRESS"
        if self.deletes == 1:
            self.deletes = 2
        return {"Stacks": [{"StackId": "id", "StackStatus": status}]}

    def describe_stack_events(self, StackName: str) -> dict[str, Any]:
        if not self.deletes:
            return {"StackEvents": []}
        return {"StackEvents": [_event(9, "Blobs", "DELETE_FAILED", "The bucket is not empty")]}

    def list_stack_resources(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "StackResourceSummaries": [
                {"LogicalResourceId": "Jobs", "ResourceType": "AWS::SQS::Queue",
                 "ResourceStatus": "DELETE_COMPLETE"},
                {"LogicalResourceId": "Blobs", "ResourceType": "AWS::S3::Bucket",
                 "ResourceStatus": "DELETE_FAILED"},
            ]
        }  # fmt: skip

    def delete_stack(self, **kwargs: Any) -> None:
        self.deletes += 1


def test_destroy_retries_a_delete_failed_stack_and_names_what_remains() -> None:
    client = DeleteFailed()
    deployer, _ = _deployer(client, Console(file=io.StringIO()))
    with pytest.raises(StackFailedError) as caught:
        deployer.destroy("s")
    assert client.deletes == 2  # delete_stack was called again
    message = str(caught.value)
    assert "Blobs: The bucket is not empty" in message
    assert "resources left: Blobs (AWS::S3::Bucket);" in message
    assert "Jobs" not in message.split("resources left")[1]
    assert "run `spotq destroy --stack" in message


class DeleteRefused(ScriptedCloudFormation):
    def list_stack_resources(self, **kwargs: Any) -> dict[str, Any]:
        return {"StackResourceSummaries": []}

    def delete_stack(self, **kwargs: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "DeleteStack"
        )


def test_cli_ends_an_aws_error_in_one_line_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from spotq.aws import cli as aws_cli
    from spotq.cli import cli

    monkeypatch.setattr(aws_cli, "_client", lambda *args: DeleteRefused("UPDATE_COMPLETE"))
    result = CliRunner().invoke(cli, ["destroy", "--stack", "s", "--yes"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert error_lines == [
        "Error: could not delete the stack: AccessDenied: not authorized; stack 's' is "
        "UPDATE_COMPLETE (unchanged); fix the cause and run the command again"
    ], result.output


class ReviewThenCreate(ScriptedCloudFormation):
    """A stack left in REVIEW_IN_PROGRESS: GetTemplate has nothing to return."""

    def get_template(self, **kwargs: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "ValidationError", "Message": "no"}}, "GetTemplate")


def test_deploy_over_review_in_progress_creates_without_reading_a_template() -> None:
    client = ReviewThenCreate("REVIEW_IN_PROGRESS")
    deployer, _ = _deployer(client, Console(file=io.StringIO()))
    with pytest.raises(StackFailedError, match="ROLLBACK_COMPLETE"):  # the scripted create fails
        deployer.deploy("s", {"Resources": {}}, {})
    assert client.executed
