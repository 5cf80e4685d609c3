"""Deploy and destroy a synthesized stack through CloudFormation change sets.

deploy: create a change set → show its changes → (confirm) → execute → follow stack events until
the stack settles (complete, or rolled back: an error). destroy: delete → follow until gone.
All calls go through one boto3 CloudFormation client, passed in; what the user sees goes through
a `DeployView` (a rich display in the CLI, a recorder in tests).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from spotq.aws.deploy_advice import change_set_type, check_owner, next_step
from spotq.aws.deploy_model import (
    AwsCallError,
    Change,
    DeployCancelledError,
    DeployError,
    DeployResult,
    DeployView,
    StackEvent,
    StackFailedError,
    StackNotFoundError,
    change_from_aws,
    event_from_aws,
    failed,
    terminal,
)
from spotq.aws.deploy_params import previous_lists
from spotq.clock import Clock, SystemClock

TEMPLATE_BODY_MAX_BYTES = 51_200  # CloudFormation's limit for an inline template
# No answer, one that could not be parsed (ResponseParserError is not a BotoCoreError), or one
# without the fields the API documents: each ends in a DeployError naming the step, never a
# traceback.
_NO_ANSWER = (BotoCoreError, ResponseParserError, KeyError, TypeError, ValueError)
_CAPABILITIES = ["CAPABILITY_IAM"]
__all__ = [
    "AwsCallError",
    "Change",
    "DeployCancelledError",
    "DeployError",
    "DeployResult",
    "DeployView",
    "Deployer",
    "PollSettings",
    "StackEvent",
    "StackFailedError",
    "StackNotFoundError",
    "failed",
    "terminal",
]


@dataclass(frozen=True)
class PollSettings:
    interval_s: float = 5.0
    timeout_s: float = 3600.0


def _is_missing(exc: ClientError) -> bool:
    message = str(exc.response.get("Error", {}).get("Message", ""))
    return "does not exist" in message


class Deployer:
    """Drives one CloudFormation client through change sets and follows the stack's events."""

    def __init__(
        self,
        client: Any,
        view: DeployView,
        *,
        poll: PollSettings | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._cf = client
        self._view = view
        self._poll = poll or PollSettings()
        self._clock = clock or SystemClock()
        self._sleep = sleep

    def deploy(
        self,
        stack: str,
        template: dict[str, Any],
        parameters: dict[str, str],
        confirm: Callable[[], bool] | None = None,
        keep_previous: Sequence[str] = (),
    ) -> DeployResult:
        """Create or update `stack` (see `_deploy`); an AWS error ends in one DeployError that
        names the step, the stack's status and the next step."""
        with self._explained(stack, "deploy"):
            return self._deploy(stack, template, parameters, confirm, keep_previous)

    @contextlib.contextmanager
    def _explained(self, stack: str, action: str) -> Iterator[None]:
        try:
            yield
        except AwsCallError as exc:
            try:
                found = self._describe(stack)
                status = None if found is None else str(found.get("StackStatus", "UNKNOWN"))
            except DeployError:
                status = "UNKNOWN"
            raise AwsCallError(f"{exc}; {next_step(stack, status, action)}") from None

    def _deploy(
        self,
        stack: str,
        template: dict[str, Any],
        parameters: dict[str, str],
        confirm: Callable[[], bool] | None = None,
        keep_previous: Sequence[str] = (),
    ) -> DeployResult:
        """Create or update `stack`; returns when it is complete, raises when it rolled back.

        `keep_previous` names parameters not given this time: an update keeps their current
        values; a first create cannot, and fails before anything is sent. An existing stack whose
        template names another spotq app or stage (Metadata.spotq) is refused."""
        body = json.dumps(template, sort_keys=True, separators=(",", ":"))
        if len(body.encode()) > TEMPLATE_BODY_MAX_BYTES:
            raise DeployError(
                f"template is {len(body.encode())} bytes; CloudFormation takes at most "
                f"{TEMPLATE_BODY_MAX_BYTES} inline"
            )
        description = self._describe(stack)
        # A stack in REVIEW_IN_PROGRESS has no deployed template (its first change set was never
        # executed), so there is no owner to compare.
        if description is not None and description.get("StackStatus") != "REVIEW_IN_PROGRESS":
            check_owner(stack, self._deployed_template(stack), template)
        change_type = change_set_type(stack, description)
        if change_type == "CREATE" and keep_previous:
            raise DeployError(
                f"parameters {', '.join(sorted(keep_previous))}: required to create {stack!r} "
                "(pass --image for ContainerImage and -p KEY=VALUE for the others)"
            )
        kept = previous_lists(template, description, keep_previous)
        name = self._create_change_set(
            stack,
            change_type,
            body,
            {**parameters, **kept},
            [k for k in keep_previous if k not in kept],
        )
        changes = self._wait_change_set(stack, name)
        if changes is None:
            self._view.finish(stack, "NO_CHANGES", ok=True)
            return DeployResult(stack, "NO_CHANGES", (), self._outputs(stack))
        self._view.changes(stack, changes)
        if confirm is not None and not confirm():
            self._cancel(stack, name)
        seen = {e.event_id for e in self._events(stack)}
        self._call(
            "execute the change set",
            self._cf.execute_change_set,
            StackName=stack,
            ChangeSetName=name,
        )
        self._view.start(stack, change_type, len(changes))
        status = self._follow(stack, stack, seen)
        return DeployResult(stack, status, tuple(changes), self._outputs(stack))

    def _cancel(self, stack: str, name: str) -> NoReturn:
        self._call(
            "delete the change set", self._cf.delete_change_set, StackName=stack, ChangeSetName=name
        )
        raise DeployCancelledError(f"deployment of {stack!r} cancelled; nothing changed")

    def _create_change_set(
        self,
        stack: str,
        change_type: str,
        body: str,
        parameters: dict[str, str],
        keep_previous: Sequence[str],
    ) -> str:
        values: list[dict[str, Any]] = [
            {"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())
        ]
        values += [{"ParameterKey": k, "UsePreviousValue": True} for k in sorted(keep_previous)]
        created = self._call(
            "create the change set",
            self._cf.create_change_set,
            StackName=stack,
            ChangeSetName=f"spotq-{int(self._clock.now())}-{uuid.uuid4().hex[:8]}",
            ChangeSetType=change_type,
            TemplateBody=body,
            Parameters=values,
            Capabilities=_CAPABILITIES,
        )
        # Later calls name the change set by its ARN: unambiguous whatever else is pending.
        try:
            return str(created["Id"])
        except (KeyError, TypeError) as exc:
            raise DeployError(f"could not create the change set: {_unexpected(exc)}") from None

    def destroy(self, stack: str, on_event: Callable[[StackEvent], None] | None = None) -> str:
        """Delete `stack` in whatever state it is and follow it until it is gone; returns the
        final status. `on_event` sees each new stack event (e.g. to unprotect hosts). A stack
        left in DELETE_FAILED is an error naming the resources that remain."""
        with self._explained(stack, "destroy"):
            description = self._describe(stack)
            if description is None:
                raise StackNotFoundError(f"stack {stack!r} does not exist")
            stack_id = str(description.get("StackId") or stack)
            seen = {e.event_id for e in self._events(stack_id)}
            total = self._resource_count(stack, str(description.get("StackStatus", "")))
            # A stack that failed to delete before is deleted again: CloudFormation retries
            # the resources that remain.
            self._call("delete the stack", self._cf.delete_stack, StackName=stack)
            self._view.start(stack, "DELETE", total)
            try:
                return self._follow(stack, stack_id, seen, on_event)
            except StackFailedError as exc:
                raise StackFailedError(
                    stack, exc.status, [*exc.reasons, self._remaining(stack_id)]
                ) from None

    def _remaining(self, stack_id: str) -> str:
        try:
            listing = self._call(
                "list the stack's resources", self._cf.list_stack_resources, StackName=stack_id
            )
        except DeployError:
            return "could not list the resources that remain"
        left = [
            f"{r.get('LogicalResourceId')} ({r.get('ResourceType')})"
            for r in listing.get("StackResourceSummaries", [])
            if r.get("ResourceStatus") != "DELETE_COMPLETE"
        ]
        return f"resources left: {', '.join(left) or 'none listed'}; " + next_step(
            stack_id, "DELETE_FAILED", "destroy"
        )

    def _deployed_template(self, stack: str) -> dict[str, Any]:
        """The stack's current template as a dict ({} when it is not JSON, e.g. YAML)."""
        body = self._call("read the stack's template", self._cf.get_template, StackName=stack)
        text = body.get("TemplateBody", {})
        if isinstance(text, dict):
            return text
        try:
            parsed = json.loads(str(text))
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def _resource_count(self, stack: str, status: str) -> int:
        """For the progress bar only: a stack in any state can be deleted, even one whose
        resources cannot be listed (REVIEW_IN_PROGRESS has none; a listing error is no reason
        not to delete)."""
        if status == "REVIEW_IN_PROGRESS":
            return 0
        try:
            listing = self._call(
                "list the stack's resources", self._cf.list_stack_resources, StackName=stack
            )
        except DeployError:
            return 0
        return len(listing.get("StackResourceSummaries", []))

    def _wait_change_set(self, stack: str, name: str) -> list[Change] | None:
        """The change set's changes once it is ready; None when it holds no changes."""
        deadline = self._clock.monotonic() + self._poll.timeout_s
        while True:
            pages = self._change_set_pages(stack, name)
            status = str(pages[0].get("Status", ""))
            if status == "CREATE_COMPLETE":
                return [change_from_aws(c) for page in pages for c in page.get("Changes", [])]
            if status == "FAILED":
                reason = str(pages[0].get("StatusReason", ""))
                if "didn't contain changes" in reason or "No updates" in reason:
                    self._call(
                        "delete the empty change set",
                        self._cf.delete_change_set,
                        StackName=stack,
                        ChangeSetName=name,
                    )
                    return None
                with contextlib.suppress(DeployError):  # leave no failed change set behind
                    self._call(
                        "delete the failed change set",
                        self._cf.delete_change_set,
                        StackName=stack,
                        ChangeSetName=name,
                    )
                raise DeployError(
                    f"change set for {stack!r} failed: {reason} (nothing was changed; fix the "
                    "template or parameters and deploy again)"
                )
            self._wait(deadline, f"change set for {stack!r}")

    def _change_set_pages(self, stack: str, name: str) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        kwargs: dict[str, str] = {"StackName": stack, "ChangeSetName": name}
        while True:
            page = self._call("describe the change set", self._cf.describe_change_set, **kwargs)
            pages.append(page)
            if not page.get("NextToken"):
                return pages
            kwargs["NextToken"] = str(page["NextToken"])

    def _follow(
        self,
        stack: str,
        stack_ref: str,
        seen: set[str],
        on_event: Callable[[StackEvent], None] | None = None,
    ) -> str:
        deadline = self._clock.monotonic() + self._poll.timeout_s
        while True:
            new = [e for e in self._events(stack_ref) if e.event_id not in seen]
            for event in sorted(new, key=lambda e: e.timestamp):
                seen.add(event.event_id)
                self._view.event(event)
                if on_event is not None:
                    on_event(event)
            description = self._describe(stack_ref)
            status = "DELETE_COMPLETE" if description is None else str(description["StackStatus"])
            if terminal(status) and not status.endswith("_IN_PROGRESS"):
                ok = not failed(status)
                self._view.finish(stack, status, ok=ok)
                if not ok:
                    raise StackFailedError(stack, status, self._reasons(stack_ref))
                return status
            self._wait(deadline, f"stack {stack!r}")

    def _wait(self, deadline: float, what: str) -> None:
        if self._clock.monotonic() >= deadline:
            raise AwsCallError(f"gave up waiting for {what} after {self._poll.timeout_s:.0f} s")
        self._sleep(self._poll.interval_s)

    def _describe(self, stack: str) -> dict[str, Any] | None:
        try:
            stacks = self._cf.describe_stacks(StackName=stack)["Stacks"]
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise AwsCallError(f"cannot describe stack {stack!r}: {exc}") from None
        except _NO_ANSWER as exc:
            raise AwsCallError(f"cannot describe stack {stack!r}: {_unexpected(exc)}") from None
        return dict(stacks[0]) if stacks else None

    def _events(self, stack: str) -> list[StackEvent]:
        try:
            raw = self._cf.describe_stack_events(StackName=stack)["StackEvents"]
            return [event_from_aws(e) for e in raw]
        except ClientError as exc:
            if _is_missing(exc):
                return []
            raise AwsCallError(f"cannot read events of {stack!r}: {exc}") from None
        except _NO_ANSWER as exc:
            raise AwsCallError(f"cannot read events of {stack!r}: {_unexpected(exc)}") from None

    def _reasons(self, stack: str) -> list[str]:
        return [
            f"{e.logical_id}: {e.reason}"
            for e in sorted(self._events(stack), key=lambda e: e.timestamp)
            if e.status.endswith("_FAILED") and e.reason and "cancelled" not in e.reason
        ]

    def _outputs(self, stack: str) -> dict[str, str]:
        description = self._describe(stack) or {}
        return {str(o["OutputKey"]): str(o["OutputValue"]) for o in description.get("Outputs", [])}

    @staticmethod
    def _call(what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise AwsCallError(
                f"could not {what}: {error.get('Code', '?')}: {error.get('Message', exc)}"
            ) from None
        except _NO_ANSWER as exc:
            raise AwsCallError(f"could not {what}: {_unexpected(exc)}") from None


def _unexpected(exc: Exception) -> str:
    if isinstance(exc, KeyError | TypeError | ValueError):
        return f"unexpected reply from AWS ({type(exc).__name__}: {exc})"
    return f"{exc} (check the region, credentials and network, then run the command again)"
