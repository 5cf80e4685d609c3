"""The `spotq` command line: a thin group whose subcommands live beside the code they drive.

Subcommands are imported lazily so that `spotq sqs serve` does not pay for FastAPI or matplotlib.
"""

from __future__ import annotations

import importlib

import click

from spotq import __version__

# command name -> "module:attribute" of a click.Command defined in that area's own cli module.
_COMMANDS: dict[str, str] = {
    "sqs": "spotq.sqs.cli:sqs",
    "worker": "spotq.worker.cli:worker",
    "up": "spotq.fleet.cli:up",
    "run": "spotq.fleet.cli:run",
    "submit": "spotq.api.cli:submit",
    "status": "spotq.api.cli:status",
    "result": "spotq.api.cli:result",
    "dlq": "spotq.api.cli:dlq",
    "plan": "spotq.plan.cli:plan",
    "simulate": "spotq.sim.cli:simulate",
    "synth": "spotq.aws.cli:synth",
    "deploy": "spotq.aws.cli:deploy",
    "destroy": "spotq.aws.cli:destroy",
    "dockerfile": "spotq.aws.dockerfile_cli:dockerfile",
    "serve": "spotq.serve.cli:serve",
    "stream": "spotq.serve.cli:stream",
    "bench": "spotq.bench.cli:bench",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in _COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = _COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only hide commands whose own module is not written yet, never a broken import inside.
            if exc.name is not None and module_name.startswith(exc.name):
                return None
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup)
@click.version_option(__version__, prog_name="spotq")
def cli() -> None:
    """spotq: run ML inference as queue-fed workers that scale with their backlog."""


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
