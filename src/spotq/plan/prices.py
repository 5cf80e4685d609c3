"""AWS list prices and limits: the shipped dated snapshot, with user overrides merged on top."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from spotq.errors import ConfigError
from spotq.plan.validation import config_error

SNAPSHOT_FILE = "aws-prices-us-east-1.yaml"

NonNeg = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class FargateRates(_Frozen):
    vcpu_hr: NonNeg
    gb_hr: NonNeg


class Billing(_Frozen):
    granularity_s: NonNeg
    minimum_s: NonNeg


class MemoryRange(_Frozen):
    min: NonNeg
    max: NonNeg
    step: Annotated[float, Field(gt=0)]


class FargatePrices(_Frozen):
    linux_x86: FargateRates
    linux_arm64: FargateRates
    ephemeral_storage_gb_hr_over_20gb: NonNeg
    ephemeral_free_gb: NonNeg
    ephemeral_max_gb: NonNeg
    billing: Billing
    spot_discount_max: Fraction
    spot_stop_timeout_default_s: NonNeg
    spot_stop_timeout_max_s: NonNeg
    gpu_supported: bool
    cpu_memory_gb: dict[float, list[float] | MemoryRange]

    def memory_choices_gb(self, vcpu: float) -> list[float]:
        """The memory sizes Fargate accepts with `vcpu` vCPUs, ascending."""
        choice = self.cpu_memory_gb.get(vcpu)
        if choice is None:
            return []
        if isinstance(choice, list):
            return sorted(choice)
        count = round((choice.max - choice.min) / choice.step) + 1
        return [choice.min + i * choice.step for i in range(count)]


class InstanceShape(_Frozen):
    """One EC2 instance type's size. The YAML writes it as a 6-item list."""

    vcpu: Annotated[float, Field(gt=0)]
    mem_gib: Annotated[float, Field(gt=0)]
    accelerator_count: Annotated[int, Field(ge=0)]
    accelerator_model: str | None
    accelerator_mem_gb: NonNeg
    max_enis: Annotated[int, Field(ge=1)]

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            names = list(cls.model_fields)
            if len(value) != len(names):
                raise ValueError(f"expected a list of {len(names)} items: {', '.join(names)}")
            return dict(zip(names, value, strict=True))
        return value

    @property
    def gpus(self) -> int:
        """GPUs ECS can assign to tasks; Inferentia and Trainium chips are not GPUs to ECS."""
        model = (self.accelerator_model or "").lower()
        if model.startswith(("inferentia", "trainium")):
            return 0
        return self.accelerator_count


class FreeTier(_Frozen):
    requests: NonNeg
    gb_s: NonNeg


class LambdaPrices(_Frozen):
    x86_gb_s: NonNeg
    arm_gb_s: NonNeg
    per_million_requests: NonNeg
    ephemeral_gb_s_over_512mb: NonNeg
    free_tier: FreeTier
    max_memory_mb: NonNeg
    max_timeout_s: NonNeg
    max_image_gb: NonNeg
    max_tmp_mb: NonNeg
    gpu_supported: bool


class SqsPrices(_Frozen):
    standard_per_million: NonNeg
    fifo_per_million: NonNeg
    billing_chunk_kb: Annotated[float, Field(gt=0)]


class LoadBalancerPrices(_Frozen):
    hour: NonNeg
    lcu_hour: NonNeg


class NatGatewayPrices(_Frozen):
    hour: NonNeg
    gb_processed: NonNeg


class CloudWatchPrices(_Frozen):
    custom_metric_month_first_10k: NonNeg
    alarm_standard_metric_month: NonNeg
    dashboard_month: NonNeg = 3.00  # beyond an account's first 3 dashboards


class S3Prices(_Frozen):
    gb_month: NonNeg
    put_per_1k: NonNeg
    get_per_1k: NonNeg


class DynamoDbPrices(_Frozen):
    per_million_wru: NonNeg
    per_million_rru: NonNeg
    storage_gb_month: NonNeg


class DataTransferPrices(_Frozen):
    internet_out_gb_first_10tb: NonNeg
    internet_out_gb_next_40tb: NonNeg
    internet_out_gb_next_100tb: NonNeg
    inter_region_us_east_gb: NonNeg
    inter_region_other_gb: NonNeg
    cross_az_gb_each_way: NonNeg


class ManagedScaling(_Frozen):
    instance_warmup_s: NonNeg
    target_capacity_default: NonNeg
    min_step: NonNeg
    max_step: NonNeg
    scale_in_datapoints_min: NonNeg


class EcsFacts(_Frozen):
    cpu_units_per_vcpu: Annotated[int, Field(gt=0)]
    reserved_memory_default_mib: NonNeg
    managed_scaling: ManagedScaling


class Assumptions(_Frozen):
    """spotq's planning assumptions, shipped beside the prices so they can be overridden alike."""

    fargate_spot_discount: Fraction
    ec2_spot_fraction_of_on_demand: Fraction
    ecs_registered_memory_fraction: Fraction
    lambda_mb_per_vcpu: Annotated[float, Field(gt=0)]


class Prices(_Frozen):
    """Every price and limit the planner and the simulator use."""

    snapshot_date: str
    region: str
    hours_per_month: Annotated[float, Field(gt=0)]
    fargate: FargatePrices
    ec2_on_demand_linux_hr: dict[str, NonNeg]
    ec2_shapes: dict[str, InstanceShape]
    ecs_awsvpc_tasks_with_trunking: dict[str, Annotated[int, Field(ge=0)] | None]
    spot_interruption_buckets: list[str]
    spot_notice_s: NonNeg
    lambda_: LambdaPrices = Field(alias="lambda")
    sqs: SqsPrices
    alb: LoadBalancerPrices
    nlb: LoadBalancerPrices
    nat_gateway: NatGatewayPrices
    public_ipv4_hour: NonNeg
    cloudwatch: CloudWatchPrices
    s3_standard: S3Prices
    dynamodb_on_demand: DynamoDbPrices
    ecr_storage_gb_month: NonNeg
    data_transfer: DataTransferPrices
    ecs: EcsFacts
    assumptions: Assumptions

    @field_validator("snapshot_date", mode="before")
    @classmethod
    def _date_to_text(cls, value: Any) -> Any:
        # YAML reads 2026-11-22 as a date; we keep the text as written.
        return value.isoformat() if isinstance(value, dt.date) else value

    @model_validator(mode="after")
    def _every_priced_type_has_a_shape(self) -> Prices:
        for name in self.ec2_on_demand_linux_hr:
            if name not in self.ec2_shapes:
                raise ValueError(
                    f"ec2_shapes.{name}: missing; each type in ec2_on_demand_linux_hr needs one"
                )
        return self

    def instance_types(self) -> list[str]:
        """Instance types with both a price and a shape."""
        return sorted(t for t in self.ec2_on_demand_linux_hr if t in self.ec2_shapes)

    def shape(self, instance_type: str) -> InstanceShape:
        """The shape of a known instance type, or a ConfigError naming the known ones."""
        shape = self.ec2_shapes.get(instance_type)
        if shape is None or instance_type not in self.ec2_on_demand_linux_hr:
            known = ", ".join(self.instance_types())
            raise ConfigError(
                f"unknown instance type {instance_type!r}: the price snapshot knows {known}; "
                "add it under ec2_on_demand_linux_hr and ec2_shapes in a prices override file"
            )
        return shape


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A copy of `base` with `override` merged in: mappings merge key by key, the rest replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """A YAML file whose top level is a mapping, or a ConfigError saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read it ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {path}: expected a mapping of key: value at the top level")
    return data


@functools.cache
def _shipped_raw() -> dict[str, Any]:
    text = resources.files("spotq.plan").joinpath("data", SNAPSHOT_FILE).read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@functools.cache
def _shipped() -> Prices:
    return Prices.model_validate(_shipped_raw())


def load_prices(override: Path | None = None, *more_overrides: Path) -> Prices:
    """The shipped snapshot with each override file merged on top, in order."""
    paths = [p for p in (override, *more_overrides) if p is not None]
    if not paths:
        return _shipped()
    raw = _shipped_raw()
    for path in paths:
        raw = deep_merge(raw, read_yaml_mapping(path, "prices override"))
    try:
        return Prices.model_validate(raw)
    except ValidationError as exc:
        names = ", ".join(str(p) for p in paths)
        raise config_error(exc, f"prices (snapshot + {names})") from exc
