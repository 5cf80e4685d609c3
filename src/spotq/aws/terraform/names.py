"""Terraform names for CloudFormation ones: snake_case labels, variables, locals and outputs."""

from __future__ import annotations

import re

_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """JobQueue → job_queue, SubnetIds → subnet_ids, HTTPSListener → https_listener,
    RootVolumeGiB → root_volume_gib."""
    return _WORD_BREAK.sub("_", name.replace("GiB", "Gib")).replace("-", "_").lower()


def kebab(name: str) -> str:
    return snake(name).replace("_", "-")
