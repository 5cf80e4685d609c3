"""Scaling policies: observation in, desired worker count out. One module for the local fleet, the
simulator and the AWS synthesis, so a policy means the same thing everywhere."""

from spotq.scaling.base import Observation, ScalingPolicy

__all__ = ["Observation", "ScalingPolicy"]
