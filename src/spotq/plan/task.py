"""The size of one worker task, as a scenario states it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class TaskSize(BaseModel):
    """vCPU, memory and GPUs of one worker task, and how ECS may place it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vcpu: Annotated[float, Field(gt=0, le=192)]
    memory_gib: Annotated[float, Field(gt=0, le=2048)]
    gpus: Annotated[int, Field(ge=0, le=16)] = 0
    # ECS placement constraint distinctInstance: at most one task of the service per host.
    distinct_instance: bool = False
    # awsvpc gives every task its own ENI, which caps tasks per host; bridge and host do not.
    network_mode: Literal["awsvpc", "bridge", "host"] = "awsvpc"
    # ENI trunking (awsvpcTrunking account setting) raises the awsvpc cap where the family allows.
    eni_trunking: bool = False

    @property
    def memory_mib(self) -> float:
        return self.memory_gib * 1024
