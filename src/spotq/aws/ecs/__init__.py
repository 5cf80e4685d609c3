"""The worker on ECS: Spot interruption notices, task scale-in protection, and the glue that turns
them on when the worker runs in an ECS task (see `integration`)."""
