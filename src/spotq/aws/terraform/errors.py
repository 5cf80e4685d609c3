"""The exporter's one error: something in the template has no Terraform mapping yet."""

from __future__ import annotations

from spotq.errors import SpotqError


class TerraformExportError(SpotqError):
    """A resource type, property, attribute or intrinsic function the exporter does not map;
    the message names it, so a new synthesized property fails loudly instead of going missing."""
