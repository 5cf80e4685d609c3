"""Every AWS name derived from an app and a stage, in one place.

A stage (`spotq deploy --stage NAME`, default `default`) is one copy of an app's stack: prod and
staging side by side in one account and region. Resources AWS needs no name for are left to
CloudFormation, which prefixes the stack name (unique by construction). The few spotq names
itself — queues (workers and clients look them up by name), log groups, task-definition families
— carry the app and the stage:

- stage `default` keeps the names spotq used before stages existed (`spotq-<app>`,
  `/spotq/<app>/worker`), so an existing stack updates in place instead of replacing its queues;
- any other stage adds it where no app name can reach: after `_` in queue names and families
  (app and stage names hold only lowercase letters, digits and `-`), as its own path segment in
  log groups. So a named stage never collides with `default`, nor with another stage of the app,
  and the role suffix (`-high`, `-dlq`) stays before the stage.

Length limits, with the 40-character app name: SQS queue names 80 (`spotq-` + app + `-high` +
`_` + stage = 52 + stage), ECS families 255, log group names 512, CloudFormation stack names 128;
IAM role, Lambda and target-group names are CloudFormation's (it truncates them). A stage of at
most STAGE_MAX_CHARS keeps every one of them in bounds.
"""

from __future__ import annotations

import re

from spotq.errors import ConfigError

DEFAULT_STAGE = "default"
STAGE_MAX_CHARS = 20
QUEUE_PREFIX = "spotq-"
SQS_NAME_MAX_CHARS = 80
_STAGE = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")


def check_stage(stage: str) -> str:
    """`stage` if it is a valid stage name, else a ConfigError that says what is allowed."""
    if len(stage) > STAGE_MAX_CHARS or not _STAGE.match(stage):
        raise ConfigError(
            f"stage {stage!r}: use 1-{STAGE_MAX_CHARS} lowercase letters, digits and '-', "
            "starting with a letter and not ending with '-' (it names queues and the stack)"
        )
    return stage


def _stage_suffix(stage: str) -> str:
    return "" if stage == DEFAULT_STAGE else f"_{stage}"


def queue_name(app: str, stage: str, role: str = "", prefix: str = QUEUE_PREFIX) -> str:
    """The SQS queue name: role '' (the job queue), 'high' or 'dlq'."""
    middle = f"-{role}" if role else ""
    return f"{prefix}{app}{middle}{_stage_suffix(stage)}"


def log_group_name(app: str, stage: str, role: str) -> str:
    """The CloudWatch log group: role 'worker', 'scaler' or 'serve'."""
    stage_part = "" if stage == DEFAULT_STAGE else f"/{stage}"
    return f"/spotq/{app}{stage_part}/{role}"


def task_family(app: str, stage: str, role: str = "") -> str:
    """The ECS task-definition family (two stages must not add revisions to one family)."""
    middle = f"-{role}" if role else ""
    return f"spotq-{app}{middle}{_stage_suffix(stage)}"


def display_name(app: str, stage: str, part: str = "") -> str:
    """The `Name` tag (what the console shows): readable, not required to be unique."""
    middle = f"-{part}" if part else ""
    stage_part = "" if stage == DEFAULT_STAGE else f"-{stage}"
    return f"spotq-{app}{stage_part}{middle}"


def stack_name(app: str, stage: str) -> str:
    """The CloudFormation stack `spotq deploy` uses when no --stack is given."""
    return f"spotq-{app}-{stage}"
