"""Seconds per job measured at several batch sizes (by `spotq bench`), as a workload's job_s:

    workload:
      job_s:
        batch: {1: 0.9, 4: 0.4, 8: 0.25}  # seconds per job when a handler call takes b jobs
        batch_size: 8                      # what the workers run (default: the cheapest measured)

A handler that batches (short-clip packing, one encoder pass per batch) spends less per job at
larger batches; per-job seconds at the chosen size are what cost and capacity use. A job's own
latency is then a whole call's: `call_s` (per-job seconds x batch size).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BatchSize = Annotated[int, Field(ge=1, le=10)]  # one SQS receive
PerJobSeconds = Annotated[float, Field(gt=0)]


class BatchJobS(BaseModel):
    """Measured seconds per job at each batch size, and the size the workers run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch: Annotated[dict[BatchSize, PerJobSeconds], Field(min_length=1)]
    batch_size: BatchSize | None = None

    @model_validator(mode="after")
    def _size_was_measured(self) -> BatchJobS:
        if self.batch_size is not None and self.batch_size not in self.batch:
            measured = ", ".join(str(size) for size in sorted(self.batch))
            raise ValueError(
                f"batch_size {self.batch_size} was not measured (batch has {measured}): "
                "measure it with `spotq bench APP INPUT... --batch-sizes ...`"
            )
        return self

    @property
    def chosen_size(self) -> int:
        if self.batch_size is not None:
            return self.batch_size
        return min(self.batch, key=lambda size: (self.batch[size], size))

    def per_job_s(self) -> float:
        """Worker-seconds per job at the chosen batch size."""
        return float(self.batch[self.chosen_size])

    def call_s(self) -> float:
        """Seconds one handler call takes at the chosen size: what a job in it waits."""
        return self.per_job_s() * self.chosen_size


def parse_batch_job_s(value: dict[str, Any]) -> BatchJobS:
    """The `job_s: {batch: ...}` mapping, or a ValueError naming what is wrong in it."""
    try:
        return BatchJobS.model_validate(value)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or 'job_s'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise ValueError("; ".join(problems)) from None
