"""The scenario file: workload, task size, latency target, capacity options and what they cost.

docs/scenarios.md documents every key; examples/scenarios/ has commented examples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from spotq.errors import ConfigError
from spotq.plan.arrivals import ArrivalSpec
from spotq.plan.batching import BatchJobS, parse_batch_job_s
from spotq.plan.options import CapacityOption, parse_option, parse_option_syntax
from spotq.plan.prices import Prices, load_prices, read_yaml_mapping
from spotq.plan.simulate_section import SimulateSection
from spotq.plan.task import TaskSize
from spotq.plan.validation import config_error

NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _to_option(value: Any) -> Any:
    if isinstance(value, CapacityOption):
        return value
    try:
        return parse_option_syntax(value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from exc


OptionField = Annotated[
    CapacityOption,
    BeforeValidator(_to_option),
    PlainSerializer(lambda option: option.text, return_type=str),
]


def _seconds(value: Any, where: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{where}expected seconds per job (a number > 0), got {value!r}")
    return seconds


def _to_job_s(value: Any) -> Any:
    """A number of seconds, or a mapping of option (or 'default') -> seconds."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return _seconds(value, "")
    if "batch" in value:  # measured per batch size: spotq.plan.batching
        return parse_batch_job_s(value)
    checked: dict[str, float] = {}
    for key, seconds in value.items():
        if key != "default":
            key = _to_option(key).text
        checked[key] = _seconds(seconds, f"{key}: ")
    return checked


class Workload(_Strict):
    """Batch jobs (jobs_per_day, arrival or trace_csv, with job_s) or a realtime service (RPS)."""

    jobs_per_day: NonNeg | None = None
    arrival: ArrivalSpec | None = None
    trace_csv: Path | None = None
    job_s: Annotated[
        Positive | dict[str, Positive] | BatchJobS | None, BeforeValidator(_to_job_s)
    ] = None
    rps_per_task: Positive | None = None
    peak_rps: NonNeg | None = None
    baseline_rps: NonNeg | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Workload:
        batch = [
            k for k in ("jobs_per_day", "arrival", "trace_csv") if getattr(self, k) is not None
        ]
        realtime = self.rps_per_task is not None or self.peak_rps is not None
        if len(batch) > 1:
            raise ValueError(f"state only one of jobs_per_day, arrival, trace_csv (got {batch})")
        if not batch and not realtime:
            raise ValueError(
                "expected one of jobs_per_day, arrival or trace_csv (batch jobs), "
                "or rps_per_task with peak_rps (a realtime service)"
            )
        if batch and realtime:
            raise ValueError("a workload is either batch jobs or a realtime service, not both")
        if realtime and (self.rps_per_task is None or self.peak_rps is None):
            raise ValueError("a realtime service needs both rps_per_task and peak_rps")
        if batch and self.job_s is None and self.trace_csv is None:
            raise ValueError("job_s: required for batch jobs (seconds per job, or per option)")
        return self

    @property
    def is_realtime(self) -> bool:
        return self.rps_per_task is not None

    def batch_wait_s(self) -> float:
        """Seconds a job waits for the rest of its batch (0 unless job_s is per batch size)."""
        if isinstance(self.job_s, BatchJobS):
            return self.job_s.call_s() - self.job_s.per_job_s()
        return 0.0

    def job_s_for(self, option: CapacityOption) -> float | None:
        """Seconds one job takes on `option`, or None when the scenario does not say."""
        if isinstance(self.job_s, BatchJobS):
            return self.job_s.per_job_s()
        if self.job_s is None or isinstance(self.job_s, float | int):
            return None if self.job_s is None else float(self.job_s)
        if option.text in self.job_s:
            return float(self.job_s[option.text])
        default = self.job_s.get("default")
        return None if default is None else float(default)


class SpotSection(_Strict):
    """Spot prices and behaviour; what is left out falls back to the snapshot's assumptions."""

    discount: Fraction | None = None
    fargate_discount: Fraction | None = None
    price_usd_per_hour: dict[str, NonNeg] = Field(default_factory=dict)
    on_demand_base: Fraction = 0.0
    interruptions_per_hour: NonNeg = 0.0

    def discount_for(self, option: CapacityOption, prices: Prices) -> float | None:
        """The discount off on-demand for a spot option (None: use the snapshot's default)."""
        if option.is_fargate:
            return self.fargate_discount
        price = self.price_usd_per_hour.get(option.instance_type or "")
        if price is not None and option.instance_type is not None:
            on_demand = prices.ec2_on_demand_linux_hr[option.instance_type]
            return 1.0 - price / on_demand if on_demand > 0 else 0.0
        return self.discount


class FixedSection(_Strict):
    """Costs besides compute: monthly quantities, or per-job counts multiplied by jobs per month."""

    alb: bool = False
    alb_lcu: NonNeg = 1.0
    nat_gateway_hours: NonNeg = 0.0
    nat_gb: NonNeg = 0.0
    cloudwatch_metrics: NonNeg = 0.0
    cloudwatch_alarms: NonNeg = 0.0
    s3_gb: NonNeg = 0.0
    s3_puts_per_job: NonNeg = 0.0
    s3_gets_per_job: NonNeg = 0.0
    dynamodb_gb: NonNeg = 0.0
    dynamodb_writes_per_job: NonNeg = 0.0
    dynamodb_reads_per_job: NonNeg = 0.0
    ecr_gb: NonNeg = 0.0
    message_size_bytes: Annotated[int, Field(ge=1, le=1024 * 1024)] = 1024
    sqs_fifo: bool = False
    sqs_extra_requests: NonNeg = 0.0
    data_transfer_out_gb: NonNeg = 0.0
    public_ipv4_addresses: NonNeg = 0.0
    # What `spotq synth --scaling-engine` creates to scale the workers (spotq.plan.scaling_costs);
    # "none" for a deployment scaled some other way.
    scaling_engine: Literal["spotq", "aws-target-tracking", "none"] = "spotq"
    other_usd: dict[str, NonNeg] = Field(default_factory=dict)


class Scenario(_Strict):
    """One planning and simulation scenario."""

    name: Annotated[str, Field(min_length=1)]
    description: str | None = None
    workload: Workload
    task: TaskSize
    latency_target_s: Positive | None = None
    latency_budget_ms: dict[str, NonNeg] | None = None
    options: Annotated[list[OptionField], Field(min_length=1)]
    spot: SpotSection = Field(default_factory=SpotSection)
    fixed: FixedSection = Field(default_factory=FixedSection)
    prices: Path | None = None
    # Owned by the simulator (spotq.sim); the planner ignores it.
    simulate: SimulateSection | None = None

    @field_validator("options")
    @classmethod
    def _no_repeats(cls, options: list[CapacityOption]) -> list[CapacityOption]:
        seen: set[str] = set()
        for option in options:
            if option.text in seen:
                raise ValueError(f"{option.text!r} is listed twice")
            seen.add(option.text)
        return options

    @model_validator(mode="after")
    def _job_s_names_known_options(self) -> Scenario:
        job_s = self.workload.job_s
        if not isinstance(job_s, dict):
            return self
        texts = {option.text for option in self.options}
        for key in job_s:
            if key != "default" and key not in texts:
                raise ValueError(f"workload.job_s.{key}: not one of the scenario's options")
        if "default" not in job_s and not self.workload.is_realtime:
            for option in self.options:
                if option.text not in job_s and self.workload.trace_csv is None:
                    raise ValueError(
                        f"workload.job_s: no seconds for option {option.text!r} "
                        "(add it, or a 'default' entry)"
                    )
        return self

    @property
    def latency_budget_total_ms(self) -> float | None:
        return None if self.latency_budget_ms is None else sum(self.latency_budget_ms.values())


def _resolve(raw: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """Paths in a scenario are relative to the scenario file."""
    resolved = dict(raw)
    if isinstance(resolved.get("prices"), str):
        resolved["prices"] = str(base_dir / resolved["prices"])
    workload = resolved.get("workload")
    if isinstance(workload, dict) and isinstance(workload.get("trace_csv"), str):
        resolved["workload"] = {**workload, "trace_csv": str(base_dir / workload["trace_csv"])}
    return resolved


def _check_files(scenario: Scenario, path: Path) -> None:
    for key, file in (
        ("workload.trace_csv", scenario.workload.trace_csv),
        ("prices", scenario.prices),
    ):
        if file is not None and not file.is_file():
            raise ConfigError(f"scenario {path}: {key}: file not found: {file}")
    trace = scenario.workload.trace_csv
    if trace is not None and scenario.workload.job_s is None:
        with trace.open(encoding="utf-8") as handle:
            header = handle.readline()
        if "duration_s" not in header:
            raise ConfigError(
                f"scenario {path}: workload.job_s: required, because {trace.name} "
                "has no duration_s column"
            )


def scenario_prices(scenario: Scenario, override: Path | None = None) -> Prices:
    """The snapshot, then the scenario's own prices file, then `override` (e.g. --prices)."""
    paths = [p for p in (scenario.prices, override) if p is not None]
    return load_prices(*paths)


def check_options(scenario: Scenario, prices: Prices, source: str) -> None:
    """Every option's instance type must be known to `prices`."""
    for index, option in enumerate(scenario.options):
        try:
            parse_option(option.text, prices)
        except ConfigError as exc:
            raise ConfigError(f"{source}: options[{index}]: {exc}") from exc


def load_scenario(path: Path, prices_override: Path | None = None) -> Scenario:
    """Read, validate and resolve a scenario file; every problem is a ConfigError naming its key.

    Instance types are checked against the snapshot merged with the scenario's own `prices` file
    and `prices_override` (e.g. `--prices`), which may add types.
    """
    path = Path(path)
    raw = read_yaml_mapping(path, "scenario")
    try:
        scenario = Scenario.model_validate(_resolve(raw, path.parent))
    except ValidationError as exc:
        raise config_error(exc, f"scenario {path}") from exc
    _check_files(scenario, path)
    check_options(scenario, scenario_prices(scenario, prices_override), f"scenario {path}")
    return scenario
