"""Scaling policies: observation in, desired worker count out. One module for the local fleet, the
simulator and the AWS synthesis, so a policy means the same thing everywhere."""

from spotq.scaling.backlog import tasks_for_backlog
from spotq.scaling.base import Observation, ScalingPolicy
from spotq.scaling.registry import ALL_POLICY_NAMES, POLICY_NAMES, make_policy, policy_params
from spotq.scaling.spotq_default import SpotqDefaultPolicy

__all__ = [
    "ALL_POLICY_NAMES",
    "POLICY_NAMES",
    "Observation",
    "ScalingPolicy",
    "SpotqDefaultPolicy",
    "make_policy",
    "policy_params",
    "tasks_for_backlog",
]
