"""`spotq synth`, `spotq deploy`, `spotq destroy`: thin commands over spotq.aws.synth and
spotq.aws.deploy (`spotq dockerfile` is in spotq.aws.dockerfile_cli)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from spotq.app import App, load_app
from spotq.errors import ConfigError, SpotqError
from spotq.naming import DEFAULT_STAGE, check_stage, stack_name

F = TypeVar("F", bound=Callable[..., Any])
_TARGETS = ["fargate-spot", "ec2-spot", "gpu", "realtime-fargate", "realtime-gpu"]
_ENGINES = ["spotq", "aws-target-tracking"]
# <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[a-z0-9._/-]+?)(?::[\w.-]+|@sha256:[0-9a-f]{64})?$"
)


_stage_option = click.option(
    "--stage",
    default=DEFAULT_STAGE,
    show_default=True,
    help="Which copy of the app's stack (prod, staging, ...): part of the stack, queue and log "
    "group names, so stages live side by side.",
)


def _synth_options(fn: F) -> F:
    for option in reversed(
        [
            click.argument("app_ref", metavar="APP"),
            click.option("--target", type=click.Choice(_TARGETS), required=True),
            click.option(
                "--max-workers",
                type=click.IntRange(1, 1000),
                default=10,
                show_default=True,
                help="Most worker tasks (MaxWorkers default).",
            ),
            click.option("--log-retention-days", type=int, default=30, show_default=True),
            click.option(
                "--stop-timeout-s",
                type=click.IntRange(2, 120),
                default=120,
                show_default=True,
                help="Seconds a stopping task gets between SIGTERM and SIGKILL.",
            ),
            click.option(
                "--scaling",
                "scaling",
                multiple=True,
                metavar="KEY=VALUE",
                help="A spotq-default policy parameter (repeatable), e.g. scale_in_cooldown_s=300.",
            ),
            click.option(
                "--scaling-engine",
                type=click.Choice(_ENGINES),
                default="spotq",
                show_default=True,
                help="spotq: a scheduled function runs the spotq-default policy on SQS and ECS "
                "(0→1 in about 15 s). aws-target-tracking: CloudWatch alarms only, no function "
                "(minutes to react; see docs/aws.md).",
            ),
            click.option(
                "--instance-types",
                default="",
                help="Comma-separated spot pool for EC2 targets (default: fit the app).",
            ),
            _stage_option,
        ]
    ):
        fn = option(fn)
    return fn


def _settings(
    max_workers: int,
    log_retention_days: int,
    instance_types: str,
    scaling: tuple[str, ...],
    stop_timeout_s: int,
    scaling_engine: str,
    stage: str,
) -> Any:
    """SynthSettings from the shared synth options."""
    from spotq.aws.synth import ScalingEngine, SynthSettings

    types = tuple(t.strip() for t in instance_types.split(",") if t.strip())
    policy: list[tuple[str, float | int]] = []
    for pair in scaling:
        key, sep, raw = pair.partition("=")
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not sep or not key or value != value:
            raise ConfigError(f"--scaling {pair!r}: expected KEY=NUMBER")
        policy.append((key, int(value) if value.is_integer() else value))
    return SynthSettings(
        max_workers=max_workers,
        log_retention_days=log_retention_days,
        stop_timeout_s=stop_timeout_s,
        instance_types=types,
        policy_params=tuple(policy),
        scaling_engine=ScalingEngine(scaling_engine),
        stage=stage,
    )


def _template(
    app: App, target: str, for_emulator: bool, app_ref: str, **synth_opts: Any
) -> dict[str, Any]:
    from spotq.aws.synth import Target, synth

    if target.startswith("realtime-"):
        return _realtime_template(app, target, for_emulator, app_ref, synth_opts)
    return synth(app, Target(target), _settings(**synth_opts), for_emulator=for_emulator)


def _realtime_template(
    app: App, target: str, for_emulator: bool, app_ref: str, synth_opts: dict[str, Any]
) -> dict[str, Any]:
    """`spotq serve` behind an ALB; --max-workers caps its tasks."""
    from spotq.aws.synth.realtime import RealtimeSettings, RealtimeTarget, synth_realtime

    if for_emulator:
        raise ConfigError("--for-emulator: the realtime targets have no emulator subset yet")
    settings = RealtimeSettings(
        max_tasks=synth_opts["max_workers"],
        log_retention_days=synth_opts["log_retention_days"],
        stage=synth_opts["stage"],
    )
    return synth_realtime(app, RealtimeTarget(target), settings, app_ref)


@click.command()
@_synth_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The template file, or with --format terraform the module's directory.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["cloudformation", "json", "yaml", "terraform"]),
    default="cloudformation",
    show_default=True,
    help="cloudformation: a template, YAML when the output ends in .yaml/.yml, else JSON "
    "(json/yaml force one); terraform: a Terraform module (see docs/aws.md).",
)
@click.option(
    "--for-emulator",
    is_flag=True,
    hidden=True,
    help="Only resources moto server can create (tests).",
)
@click.option(
    "--scaler-zip",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the scaler function's code zip here (to deploy without `spotq deploy`).",
)
def synth(
    app_ref: str,
    target: str,
    output: Path,
    fmt: str,
    for_emulator: bool,
    scaler_zip: Path | None,
    **synth_opts: Any,
) -> None:
    """Write the CloudFormation template (or a Terraform module) for APP on a target."""
    with _errors():
        app = load_app(app_ref)
        template = _template(app, target, for_emulator, app_ref, **synth_opts)
        if fmt == "terraform":
            _write_terraform(template, output, app_ref, target)
        else:
            _write_template(template, output, fmt, app_ref, target, synth_opts["stage"])
    if scaler_zip is not None:
        _write_scaler_zip(scaler_zip)


def _write_template(
    template: dict[str, Any], output: Path, fmt: str, app_ref: str, target: str, stage: str
) -> None:
    from spotq.aws.synth import render

    if output.is_dir():
        raise ConfigError(f"{output} is a directory; a template is one file")
    chosen = (
        fmt
        if fmt != "cloudformation"
        else ("yaml" if output.suffix in (".yaml", ".yml") else "json")
    )
    output.parent.mkdir(parents=True, exist_ok=True)  # `-o out/app.yaml` on a fresh clone
    output.write_text(render(template, "yaml" if chosen == "yaml" else "json"))
    click.echo(
        f"wrote {output} ({len(template['Resources'])} resources, {target}); "
        f"review it, then `spotq deploy {app_ref} --target {target} --stage {stage} ...`"
    )


def _write_terraform(template: dict[str, Any], output: Path, app_ref: str, target: str) -> None:
    from spotq.aws.terraform import write_module

    if output.exists() and not output.is_dir():
        raise ConfigError(f"{output} is a file; --format terraform writes a directory")
    paths = write_module(template, output)
    click.echo(
        f"wrote {', '.join(str(p) for p in paths)} ({len(template['Resources'])} "
        f"CloudFormation resources as Terraform, {target}); then "
        f"`terraform -chdir={output} init` and `terraform -chdir={output} plan -var ...` "
        "(docs/aws.md, Terraform)"
    )


def _write_scaler_zip(scaler_zip: Path) -> None:
    from spotq.aws.scaler import package

    asset = package.build()
    scaler_zip.write_bytes(asset.data)
    click.echo(
        f"wrote {scaler_zip}: upload it and pass ScalerCodeBucket=BUCKET "
        f"ScalerCodeKey={asset.key} (spotq deploy does this itself; Terraform: "
        "-var scaler_code_bucket=BUCKET -var scaler_code_key=KEY)"
    )


@click.command()
@_synth_options
@click.option(
    "--stack",
    "stack_override",
    default=None,
    help="CloudFormation stack name [default: spotq-APP-STAGE].",
)
@click.option(
    "--parameters",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A template parameter (repeatable), e.g. -p VpcId=vpc-123.",
)
@click.option("--image", default=None, help="Worker image URI (sets ContainerImage).")
@click.option(
    "--asset-bucket",
    default=None,
    help="S3 bucket for the scaler's code zip (default: spotq-assets-ACCOUNT-REGION, created "
    "private on first use).",
)
@click.option("--yes", is_flag=True, help="Apply the change set without asking.")
@click.option("--region", default=None, help="AWS region (default: from the AWS config).")
@click.option("--endpoint-url", default=None, help="CloudFormation endpoint (tests, emulators).")
@click.option("--for-emulator", is_flag=True, hidden=True)
def deploy(
    app_ref: str,
    target: str,
    stack_override: str | None,
    params: tuple[str, ...],
    image: str | None,
    asset_bucket: str | None,
    yes: bool,
    region: str | None,
    endpoint_url: str | None,
    for_emulator: bool,
    **synth_opts: Any,
) -> None:
    """Create or update the stack for APP: change set, review, apply, follow."""
    from spotq.aws.deploy import Deployer

    console = Console()
    with _errors():
        app = load_app(app_ref)
        template = _template(app, target, for_emulator, app_ref, **synth_opts)
        stack = stack_override or stack_name(app.name, synth_opts["stage"])
        parameters = stack_parameters(template, params, image)
        if "ScalerCodeKey" in template["Parameters"] and "ScalerCodeKey" not in parameters:
            parameters.update(_upload_scaler(asset_bucket, region, endpoint_url))
        missing = sorted(
            key
            for key, spec in template["Parameters"].items()
            if "Default" not in spec and key not in parameters
        )
        deployer = Deployer(_cloudformation(region, endpoint_url), _view(console))
        confirm = None if yes else _ask_to_apply
        result = deployer.deploy(
            stack,
            template,
            parameters,
            confirm=confirm,
            keep_previous=missing,
        )
    for key, value in sorted(result.outputs.items()):
        click.echo(f"{key} = {value}")


@click.command()
@click.argument("app_ref", metavar="[APP]", required=False)
@_stage_option
@click.option(
    "--stack",
    "stack_override",
    default=None,
    help="CloudFormation stack name [default: spotq-APP-STAGE; give APP or --stack].",
)
@click.option("--yes", is_flag=True, help="Delete without asking.")
@click.option("--region", default=None)
@click.option("--endpoint-url", default=None, help="CloudFormation endpoint (tests, emulators).")
def destroy(
    app_ref: str | None,
    stage: str,
    stack_override: str | None,
    yes: bool,
    region: str | None,
    endpoint_url: str | None,
) -> None:
    """Delete the stack of APP's stage, or --stack (the blob bucket and job table are kept,
    with their data)."""
    from spotq.aws.asg_release import ProtectionReleaser
    from spotq.aws.deploy import Deployer

    with _errors():
        stack = _destroy_target(app_ref, stage, stack_override)
    if not yes:
        click.confirm(f"Delete stack {stack!r}?", default=False, abort=True)
    console = Console()
    with _errors():
        releaser = ProtectionReleaser(
            _client("autoscaling", region, endpoint_url),
            lambda line: console.print(line, markup=False, highlight=False),
        )
        Deployer(_cloudformation(region, endpoint_url), _view(console)).destroy(
            stack, on_event=releaser
        )


def _destroy_target(app_ref: str | None, stage: str, stack_override: str | None) -> str:
    if stack_override is not None:
        return stack_override
    if app_ref is None:
        raise ConfigError("destroy: give the APP (with --stage) or --stack NAME")
    check_stage(stage)
    return stack_name(load_app(app_ref).name, stage)


def _ask_to_apply() -> bool:
    """The user's answer; no answer (end of input, Ctrl-C) is a no, so the change set is removed."""
    try:
        return click.confirm("Apply these changes?", default=False)
    except click.Abort:
        return False


def stack_parameters(
    template: dict[str, Any], pairs: tuple[str, ...], image: str | None
) -> dict[str, str]:
    """KEY=VALUE pairs checked against the template's parameters; --image fills ContainerImage
    and, for an ECR image, ImageRepositoryArn. Required ones left out keep their values on an
    update (a create refuses them)."""
    declared: dict[str, Any] = template["Parameters"]
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--parameters {pair!r}: expected KEY=VALUE")
        if key not in declared:
            raise ConfigError(
                f"--parameters {key!r}: not a parameter of this template "
                f"(expected one of {', '.join(sorted(declared))})"
            )
        values[key] = value
    if image is not None:
        values["ContainerImage"] = image
        match = _ECR_IMAGE.match(image)
        if match and "ImageRepositoryArn" not in values:
            values["ImageRepositoryArn"] = (
                f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
            )
    return values


def _upload_scaler(
    bucket: str | None, region: str | None, endpoint_url: str | None
) -> dict[str, str]:
    """Zip spotq's scaler from this install, upload it, and return the template parameters."""
    from spotq.aws import assets
    from spotq.aws.scaler import package
    from spotq.aws.session import AwsConfig, make_client

    aws = AwsConfig(region=region, endpoint_url=endpoint_url)
    s3 = make_client("s3", aws)
    region_name = str(s3.meta.region_name)
    create = bucket is None
    name = bucket or assets.default_bucket(make_client("sts", aws), region_name)
    done = assets.upload(s3, name, region_name, package.build(), create=create)
    verb = "uploaded" if done.uploaded else "unchanged:"
    click.echo(f"scaler code {verb} s3://{done.bucket}/{done.key}")
    return {"ScalerCodeBucket": done.bucket, "ScalerCodeKey": done.key}


def _cloudformation(region: str | None, endpoint_url: str | None) -> Any:
    return _client("cloudformation", region, endpoint_url)


def _client(service: str, region: str | None, endpoint_url: str | None) -> Any:
    from spotq.aws.session import AwsConfig, make_client

    return make_client(service, AwsConfig(region=region, endpoint_url=endpoint_url))


def _view(console: Console) -> Any:
    from spotq.aws.deploy_view import RichDeployView

    return RichDeployView(console)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn spotq's own errors, and any AWS error the deploy steps did not explain (the asset
    upload's, a missing region), into a one-line CLI error (exit 1), never a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise click.ClickException(
            f"AWS refused {exc.operation_name}: {error.get('Code', '?')}: "
            f"{error.get('Message', exc)} (check the credentials' permissions and the region, "
            "then run the command again)"
        ) from None
    except BotoCoreError as exc:
        raise click.ClickException(
            f"AWS: {exc} (check the region, credentials and network, then run the command again)"
        ) from None


cli_errors = _errors  # the same one-line error handling for the other AWS commands
