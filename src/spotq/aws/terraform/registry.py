"""Every CloudFormation resource type the exporter maps, by type name. A type not listed here
is an error naming it (add a mapping, in the module of its service)."""

from __future__ import annotations

from spotq.aws.terraform import (
    map_compute,
    map_ecs,
    map_edge,
    map_iam,
    map_monitoring,
    map_storage,
    map_task,
)
from spotq.aws.terraform.resource import Mapping

MAPPINGS: dict[str, Mapping] = {
    **map_storage.MAPPINGS,
    **map_task.MAPPINGS,
    **map_ecs.MAPPINGS,
    **map_compute.MAPPINGS,
    **map_iam.MAPPINGS,
    **map_monitoring.MAPPINGS,
    **map_edge.MAPPINGS,
}
