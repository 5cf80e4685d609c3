"""`spotq dockerfile`: a thin command over spotq.aws.dockerfile."""

from __future__ import annotations

from pathlib import Path

import click

from spotq.app import load_app
from spotq.aws.cli import cli_errors
from spotq.errors import ConfigError


@click.command()
@click.argument("app_ref", metavar="APP")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("Dockerfile"),
    show_default=True,
    help="Its directory is the build context and must contain the app file.",
)
@click.option(
    "--model-from",
    default=None,
    metavar="s3://BUCKET/KEY",
    help="Fetch the model at start instead of baking it in.",
)
@click.option("--extra", "extras", multiple=True, help="spotq extra to install (repeatable).")
@click.option("--base-image", default="python:3.11-slim", show_default=True)
@click.option("--spotq-requirement", default="",
              help="pip requirement for spotq [default: a wheel of this spotq].")  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def dockerfile(
    app_ref: str,
    output: Path,
    model_from: str | None,
    extras: tuple[str, ...],
    base_image: str,
    spotq_requirement: str,
    force: bool,
) -> None:
    """Write a Dockerfile for APP's worker image."""
    from spotq.aws.dockerfile import WHEELS_DIR, make_spec, render
    from spotq.aws.wheel import build_wheel

    with cli_errors():
        if output.exists() and not force:
            raise ConfigError(f"{output} exists; pass --force to overwrite it")
        app = load_app(app_ref)
        context = output.resolve().parent
        wheel = None if spotq_requirement else build_wheel(context / WHEELS_DIR)
        spec = make_spec(
            app,
            app_ref,
            context,
            extras=extras or None,
            model_from=model_from,
            base_image=base_image,
            spotq_requirement=spotq_requirement,
            wheel=wheel,
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render(spec))
    if wheel is not None:
        click.echo(f"wrote {wheel.relative_to(context)} (this spotq, installed by the image)")
    click.echo(f"wrote {output}; build it with `docker build -t IMAGE {output.parent}`")
