"""Arrival profiles a scenario may state: the mean and peak rates the planner sizes for.

The simulator draws arrival times from the same parameters; their meaning is documented in
docs/scenarios.md, and each kind's defaults live here so both read them alike.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SECONDS_PER_DAY = 86_400.0

ArrivalKind = Literal["poisson", "diurnal", "bursty", "sparse"]

# kind -> {parameter: default}; parameters of other kinds are errors.
KIND_PARAMETERS: dict[str, dict[str, float]] = {
    "poisson": {},
    "diurnal": {"peak_to_mean": 2.0, "peak_hour_utc": 14.0},
    "bursty": {"bursts_per_day": 4.0, "burst_jobs": 100.0, "burst_duration_s": 60.0},
    "sparse": {"cluster_jobs": 1.0, "cluster_spread_s": 0.0},
}


class ArrivalSpec(BaseModel):
    """How jobs arrive. `jobs_per_day` is always the mean total, bursts and clusters included.

    poisson: independent arrivals at a constant rate.
    diurnal: rate(t) = mean × (1 + (peak_to_mean − 1) × cos(2π (hour − peak_hour_utc) / 24)).
    bursty: Poisson background plus `bursts_per_day` bursts of `burst_jobs` jobs spread evenly
        over `burst_duration_s`; the background carries what the bursts do not.
    sparse: Poisson-timed clusters of `cluster_jobs` jobs within `cluster_spread_s`, long idle gaps.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ArrivalKind
    jobs_per_day: Annotated[float, Field(ge=0)]
    peak_to_mean: Annotated[float, Field(ge=1, le=2)] | None = None
    peak_hour_utc: Annotated[float, Field(ge=0, lt=24)] | None = None
    bursts_per_day: Annotated[float, Field(ge=0)] | None = None
    burst_jobs: Annotated[int, Field(ge=1)] | None = None
    burst_duration_s: Annotated[float, Field(gt=0)] | None = None
    cluster_jobs: Annotated[int, Field(ge=1)] | None = None
    cluster_spread_s: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _only_this_kinds_parameters(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("kind") not in KIND_PARAMETERS:
            return data
        allowed = KIND_PARAMETERS[data["kind"]]
        for key in data:
            if key in ("kind", "jobs_per_day") or key in allowed:
                continue
            if any(key in params for params in KIND_PARAMETERS.values()):
                names = ", ".join(allowed) or "none besides jobs_per_day"
                raise ValueError(
                    f"{key}: not a parameter of kind {data['kind']!r} (its parameters: {names})"
                )
        return {**allowed, **data}

    @model_validator(mode="after")
    def _bursts_fit_the_mean(self) -> ArrivalSpec:
        if self.kind == "bursty" and self.background_jobs_per_day() < 0:
            raise ValueError(
                f"bursts_per_day × burst_jobs = {self.burst_jobs_per_day():g} exceeds "
                f"jobs_per_day = {self.jobs_per_day:g} (jobs_per_day is the mean total)"
            )
        return self

    def burst_jobs_per_day(self) -> float:
        if self.kind != "bursty":
            return 0.0
        return (self.bursts_per_day or 0.0) * (self.burst_jobs or 0)

    def background_jobs_per_day(self) -> float:
        """Jobs per day outside bursts."""
        return self.jobs_per_day - self.burst_jobs_per_day()

    def mean_jobs_per_s(self) -> float:
        return self.jobs_per_day / SECONDS_PER_DAY

    def peak_jobs_per_s(self) -> float:
        """The highest sustained arrival rate the profile reaches."""
        if self.kind == "diurnal":
            return self.mean_jobs_per_s() * (self.peak_to_mean or 1.0)
        if self.kind == "bursty":
            burst_rate = (self.burst_jobs or 0) / (self.burst_duration_s or 1.0)
            return self.background_jobs_per_day() / SECONDS_PER_DAY + burst_rate
        return self.mean_jobs_per_s()

    def jobs_arriving_together(self) -> int:
        """The largest group of jobs that lands at (nearly) one moment: a burst or a cluster."""
        if self.kind == "bursty":
            return self.burst_jobs or 0
        if self.kind == "sparse":
            return self.cluster_jobs or 1
        return 1
